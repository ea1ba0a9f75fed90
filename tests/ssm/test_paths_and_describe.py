"""GetParametersByPath (recursion, filters, pages of at most 10) and
DescribeParameters (filters, paging)."""
from .conftest import code, error_of


def fill(ssm):
    ssm.put_parameter(Name="/app/prod/db/url", Value="db", Type="String")
    ssm.put_parameter(Name="/app/prod/db/password", Value="pw", Type="SecureString")
    ssm.put_parameter(Name="/app/prod/name", Value="prod", Type="String", Tags=[{"Key": "team", "Value": "a"}])
    ssm.put_parameter(Name="/app/dev/name", Value="dev", Type="String", Tier="Advanced")
    ssm.put_parameter(Name="/other", Value="x", Type="StringList")
    ssm.put_parameter(Name="flat", Value="y", Type="String")


def names(params):
    return [p["Name"] for p in params]


def test_by_path_one_level_and_recursive(ssm):
    fill(ssm)
    assert names(ssm.get_parameters_by_path(Path="/app/prod")["Parameters"]) == ["/app/prod/name"]
    assert names(ssm.get_parameters_by_path(Path="/app/prod/")["Parameters"]) == ["/app/prod/name"]
    out = ssm.get_parameters_by_path(Path="/app", Recursive=True, WithDecryption=True)["Parameters"]
    assert names(out) == ["/app/dev/name", "/app/prod/db/password", "/app/prod/db/url", "/app/prod/name"]
    assert out[1]["Value"] == "pw"
    assert ssm.get_parameters_by_path(Path="/app/prod/db")["Parameters"][0]["Value"] != "pw"
    assert names(ssm.get_parameters_by_path(Path="/")["Parameters"]) == ["/other"]
    assert code(error_of(ssm.get_parameters_by_path, Path="app")) == "ValidationException"


def test_by_path_filters(ssm):
    fill(ssm)
    out = ssm.get_parameters_by_path(Path="/app", Recursive=True,
                                     ParameterFilters=[{"Key": "Type", "Values": ["SecureString"]}])
    assert names(out["Parameters"]) == ["/app/prod/db/password"]
    ssm.label_parameter_version(Name="/app/prod/db/url", Labels=["live"])
    out = ssm.get_parameters_by_path(Path="/app", Recursive=True,
                                     ParameterFilters=[{"Key": "Label", "Values": ["live"]}])
    assert names(out["Parameters"]) == ["/app/prod/db/url"]
    # Name, Path, Tier, DataType and tags are DescribeParameters' filters, not GetParametersByPath's.
    for key in ("Name", "Tier", "tag:team"):
        e = error_of(ssm.get_parameters_by_path, Path="/app", ParameterFilters=[{"Key": key, "Values": ["x"]}])
        assert code(e) == "InvalidFilterKey"
    e = error_of(ssm.get_parameters_by_path, Path="/app",
                 ParameterFilters=[{"Key": "Label", "Option": "BeginsWith", "Values": ["l"]}])
    assert code(e) == "InvalidFilterOption"


def test_by_path_pages_of_ten(ssm):
    for i in range(25):
        ssm.put_parameter(Name=f"/many/p{i:02}", Value=str(i), Type="String")
    first = ssm.get_parameters_by_path(Path="/many")
    assert len(first["Parameters"]) == 10 and first["NextToken"]
    assert code(error_of(ssm.get_parameters_by_path, Path="/many", MaxResults=11)) == "ValidationException"
    pages = list(ssm.get_paginator("get_parameters_by_path").paginate(Path="/many"))
    assert [len(p["Parameters"]) for p in pages] == [10, 10, 5]
    assert [p["Name"] for page in pages for p in page["Parameters"]] == [f"/many/p{i:02}" for i in range(25)]


def test_describe_parameters_filters(ssm):
    fill(ssm)
    every = names(ssm.describe_parameters(MaxResults=50)["Parameters"])
    assert sorted(every) == sorted(["/app/prod/db/url", "/app/prod/db/password", "/app/prod/name", "/app/dev/name",
                                    "/other", "flat"])

    def described(**kw):
        return names(p for page in ssm.get_paginator("describe_parameters").paginate(**kw) for p in page["Parameters"])

    assert described(ParameterFilters=[{"Key": "Name", "Option": "BeginsWith", "Values": ["/app/prod"]}]) == \
        ["/app/prod/db/password", "/app/prod/db/url", "/app/prod/name"]
    assert described(ParameterFilters=[{"Key": "Name", "Option": "Contains", "Values": ["name"]}]) == \
        ["/app/dev/name", "/app/prod/name"]
    assert described(ParameterFilters=[{"Key": "Path", "Option": "Recursive", "Values": ["/app/prod"]}]) == \
        ["/app/prod/db/password", "/app/prod/db/url", "/app/prod/name"]
    assert described(ParameterFilters=[{"Key": "Path", "Values": ["/app/prod"]}]) == ["/app/prod/name"]
    assert described(ParameterFilters=[{"Key": "Tier", "Values": ["Advanced"]}]) == ["/app/dev/name"]
    assert described(ParameterFilters=[{"Key": "Type", "Values": ["StringList"]}]) == ["/other"]
    assert described(ParameterFilters=[{"Key": "tag:team", "Values": ["a"]}]) == ["/app/prod/name"]
    assert described(Filters=[{"Key": "Type", "Values": ["SecureString"]}]) == ["/app/prod/db/password"]
    meta = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": ["/app/dev/name"]}])["Parameters"][0]
    assert meta["Tier"] == "Advanced" and meta["Version"] == 1 and meta["LastModifiedUser"].startswith("arn:aws:iam::")
    e = error_of(ssm.describe_parameters, Filters=[{"Key": "Name", "Values": ["a"]}],
                 ParameterFilters=[{"Key": "Name", "Values": ["a"]}])
    assert code(e) == "ValidationException"
    e = error_of(ssm.describe_parameters, ParameterFilters=[{"Key": "Type", "Option": "Contains",
                                                             "Values": ["Str"]}])
    assert code(e) == "InvalidFilterOption"
    assert code(error_of(ssm.describe_parameters, ParameterFilters=[{"Key": "Label", "Values": ["x"]}])) == \
        "InvalidFilterKey"
    assert code(error_of(ssm.describe_parameters, ParameterFilters=[{"Key": "Nope", "Values": ["a"]}])) == \
        "InvalidFilterKey"


def test_describe_parameters_paging(ssm):
    for i in range(12):
        ssm.put_parameter(Name=f"/pg/{i:02}", Value="v", Type="String")
    first = ssm.describe_parameters(MaxResults=5)
    assert len(first["Parameters"]) == 5 and first["NextToken"]
    rest = ssm.describe_parameters(MaxResults=50, NextToken=first["NextToken"])
    assert len(rest["Parameters"]) == 7 and "NextToken" not in rest
