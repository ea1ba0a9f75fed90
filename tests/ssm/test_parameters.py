"""PutParameter / GetParameter(s) / history / delete: types, versions,
selectors, tiers, name rules, allowed patterns, data types, SecureString."""
import base64

import pytest

from .conftest import code, error_of, message


def test_put_get_overwrite_and_versions(ssm):
    out = ssm.put_parameter(Name="/app/url", Value="http://a", Type="String")
    assert (out["Version"], out["Tier"]) == (1, "Standard")
    p = ssm.get_parameter(Name="/app/url")["Parameter"]
    assert (p["Name"], p["Value"], p["Type"], p["Version"], p["DataType"]) == ("/app/url", "http://a", "String", 1,
                                                                               "text")
    assert p["ARN"] == "arn:aws:ssm:us-east-1:000000000000:parameter/app/url"
    e = error_of(ssm.put_parameter, Name="/app/url", Value="http://b", Type="String")
    assert code(e) == "ParameterAlreadyExists"
    assert message(e) == ("The parameter already exists. To overwrite this value, set the overwrite option in the "
                          "request to true.")
    assert ssm.put_parameter(Name="/app/url", Value="http://b", Overwrite=True)["Version"] == 2
    assert ssm.get_parameter(Name="/app/url")["Parameter"]["Type"] == "String"  # kept
    assert ssm.get_parameter(Name="/app/url:1")["Parameter"]["Value"] == "http://a"
    assert ssm.get_parameter(Name="/app/url:1")["Parameter"]["Selector"] == ":1"
    assert code(error_of(ssm.get_parameter, Name="/app/url:9")) == "ParameterVersionNotFound"
    e = error_of(ssm.get_parameter, Name="/nope")
    assert code(e) == "ParameterNotFound"
    arn = "arn:aws:ssm:us-east-1:000000000000:parameter/app/url"
    assert ssm.get_parameter(Name=arn)["Parameter"]["Value"] == "http://b"


def test_type_is_required_on_create_and_string_list(ssm):
    e = error_of(ssm.put_parameter, Name="untyped", Value="v")
    assert code(e) == "ValidationException" and "type is required" in message(e)
    ssm.put_parameter(Name="list", Value="a,b,c", Type="StringList")
    assert ssm.get_parameter(Name="list")["Parameter"]["Value"] == "a,b,c"
    assert ssm.get_parameter(Name="list")["Parameter"]["Type"] == "StringList"


def test_get_parameters_reports_invalid_ones(ssm):
    ssm.put_parameter(Name="/a", Value="1", Type="String")
    ssm.put_parameter(Name="/b", Value="2", Type="String")
    out = ssm.get_parameters(Names=["/a", "/b", "/missing", "/a:7"])
    assert [p["Value"] for p in out["Parameters"]] == ["1", "2"]
    assert out["InvalidParameters"] == ["/missing", "/a:7"]


def test_secure_string(ssm, aws_client):
    ssm.put_parameter(Name="/db/password", Value="hunter2", Type="SecureString")
    hidden = ssm.get_parameter(Name="/db/password")["Parameter"]["Value"]
    assert hidden != "hunter2" and base64.b64decode(hidden)
    assert ssm.get_parameter(Name="/db/password", WithDecryption=True)["Parameter"]["Value"] == "hunter2"
    meta = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": ["/db/password"]}])["Parameters"][0]
    assert meta["KeyId"] == "alias/aws/ssm"
    kms = aws_client("kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    ssm.put_parameter(Name="/db/custom", Value="mine", Type="SecureString", KeyId=key)
    assert ssm.get_parameter(Name="/db/custom", WithDecryption=True)["Parameter"]["Value"] == "mine"
    kms.disable_key(KeyId=key)
    assert code(error_of(ssm.get_parameter, Name="/db/custom", WithDecryption=True)) == "InvalidKeyId"
    assert ssm.get_parameter(Name="/db/custom")["Parameter"]["Value"] != "mine"  # the ciphertext still reads
    assert code(error_of(ssm.put_parameter, Name="/db/bad", Value="x", Type="SecureString",
                         KeyId="alias/does-not-exist")) == "InvalidKeyId"
    assert code(error_of(ssm.get_parameter, Name="/db/bad")) == "ParameterNotFound"


@pytest.mark.parametrize("name,expected", [
    ("/aws/mine", "ValidationException"),
    ("ssm-thing", "ValidationException"),
    ("/SSM/x", "ValidationException"),
    ("a/b", "ValidationException"),
    ("/bad name", "ValidationException"),
    ("/" + "/".join(f"l{i}" for i in range(16)), "HierarchyLevelLimitExceededException"),
])
def test_name_rules(ssm, name, expected):
    assert code(error_of(ssm.put_parameter, Name=name, Value="v", Type="String")) == expected


def test_spaces_around_a_name_are_removed(ssm):
    ssm.put_parameter(Name="  /spaced  ", Value="v", Type="String")
    assert ssm.get_parameter(Name="/spaced")["Parameter"]["Name"] == "/spaced"
    assert code(error_of(ssm.put_parameter, Name="/in side", Value="v", Type="String")) == "ValidationException"


def test_fifteen_levels_are_fine(ssm):
    name = "/" + "/".join(f"l{i}" for i in range(15))
    ssm.put_parameter(Name=name, Value="deep", Type="String")
    assert ssm.get_parameter(Name=name)["Parameter"]["Value"] == "deep"


def test_tiers_and_sizes(ssm):
    big = "x" * 5000
    e = error_of(ssm.put_parameter, Name="/big", Value=big, Type="String")
    assert code(e) == "ValidationException" and "4096" in message(e)
    assert ssm.put_parameter(Name="/big", Value=big, Type="String", Tier="Advanced")["Tier"] == "Advanced"
    e = error_of(ssm.put_parameter, Name="/big", Value="small", Overwrite=True, Tier="Standard")
    assert code(e) == "ValidationException" and "downgrade" in message(e)
    assert ssm.put_parameter(Name="/big", Value="small", Overwrite=True)["Tier"] == "Advanced"
    assert code(error_of(ssm.put_parameter, Name="/huge", Value="x" * 8193, Type="String",
                         Tier="Advanced")) == "ValidationException"
    assert ssm.put_parameter(Name="/auto", Value="small", Type="String", Tier="Intelligent-Tiering")["Tier"] == \
        "Standard"
    assert ssm.put_parameter(Name="/auto2", Value=big, Type="String", Tier="Intelligent-Tiering")["Tier"] == \
        "Advanced"


def test_allowed_pattern_and_data_type(ssm):
    ssm.put_parameter(Name="/port", Value="8080", Type="String", AllowedPattern=r"^\d+$")
    e = error_of(ssm.put_parameter, Name="/port", Value="http", Overwrite=True)
    assert code(e) == "ParameterPatternMismatchException"
    assert message(e) == r"Parameter value, cannot be validated against allowedPattern: ^\d+$"
    ssm.put_parameter(Name="/ami", Value="ami-0123456789abcdef0", Type="String", DataType="aws:ec2:image")
    assert ssm.get_parameter(Name="/ami")["Parameter"]["DataType"] == "aws:ec2:image"
    assert code(error_of(ssm.put_parameter, Name="/ami2", Value="not-an-ami", Type="String",
                         DataType="aws:ec2:image")) == "ValidationException"
    e = error_of(ssm.put_parameter, Name="/dt", Value="v", Type="String", DataType="Text")
    assert code(e) == "ValidationException" and "data type is not supported" in message(e)


def test_tags_and_overwrite_together_are_refused(ssm):
    ssm.put_parameter(Name="/t", Value="v", Type="String")
    e = error_of(ssm.put_parameter, Name="/t", Value="w", Overwrite=True, Tags=[{"Key": "k", "Value": "v"}])
    assert code(e) == "ValidationException" and "tags and overwrite" in message(e)


def test_history_and_version_limit(ssm):
    ssm.put_parameter(Name="/h", Value="v1", Type="String", Description="first")
    for i in range(2, 101):
        ssm.put_parameter(Name="/h", Value=f"v{i}", Overwrite=True)
    history = [p for page in ssm.get_paginator("get_parameter_history").paginate(Name="/h") for p in page["Parameters"]]
    assert [p["Version"] for p in history] == list(range(1, 101))
    assert history[0]["Description"] == "first" and history[0]["Value"] == "v1"
    # The 101st version pushes out the oldest...
    assert ssm.put_parameter(Name="/h", Value="v101", Overwrite=True)["Version"] == 101
    assert code(error_of(ssm.get_parameter, Name="/h:1")) == "ParameterVersionNotFound"
    # ...unless it has a label.
    ssm.label_parameter_version(Name="/h", ParameterVersion=2, Labels=["keep"])
    e = error_of(ssm.put_parameter, Name="/h", Value="v102", Overwrite=True)
    assert code(e) == "ParameterMaxVersionLimitExceeded"


def test_delete_parameter_and_parameters(ssm):
    for n in ("/d1", "/d2"):
        ssm.put_parameter(Name=n, Value="v", Type="String")
    ssm.delete_parameter(Name="/d1")
    assert code(error_of(ssm.delete_parameter, Name="/d1")) == "ParameterNotFound"
    out = ssm.delete_parameters(Names=["/d2", "/d3"])
    assert out["DeletedParameters"] == ["/d2"] and out["InvalidParameters"] == ["/d3"]
    ssm.put_parameter(Name="/d1", Value="again", Type="String")
    assert ssm.get_parameter(Name="/d1")["Parameter"]["Version"] == 1
