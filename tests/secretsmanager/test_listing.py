"""ListSecrets (filters, negation, paging) and BatchGetSecretValue."""
from .conftest import code, error_of


def names(out):
    return [s["Name"] for s in out["SecretList"]]


def make(sm):
    sm.create_secret(Name="prod/db", SecretString="1", Description="Production database",
                     Tags=[{"Key": "env", "Value": "prod"}])
    sm.create_secret(Name="prod/api", SecretString="2", Tags=[{"Key": "env", "Value": "prod"}])
    sm.create_secret(Name="dev/db", SecretString="3", Description="dev database",
                     Tags=[{"Key": "env", "Value": "dev"}, {"Key": "owner", "Value": "me"}])


def test_filters(sm):
    make(sm)
    assert names(sm.list_secrets()) == ["prod/db", "prod/api", "dev/db"]
    assert names(sm.list_secrets(Filters=[{"Key": "name", "Values": ["prod/"]}])) == ["prod/db", "prod/api"]
    assert names(sm.list_secrets(Filters=[{"Key": "name", "Values": ["Prod/"]}])) == []  # case-sensitive
    assert names(sm.list_secrets(Filters=[{"Key": "description", "Values": ["PRODUCTION"]}])) == ["prod/db"]
    assert names(sm.list_secrets(Filters=[{"Key": "tag-key", "Values": ["own"]}])) == ["dev/db"]
    assert names(sm.list_secrets(Filters=[{"Key": "tag-value", "Values": ["prod"]},
                                          {"Key": "name", "Values": ["!prod/api"]}])) == ["prod/db"]
    assert names(sm.list_secrets(Filters=[{"Key": "all", "Values": ["DATABASE"]}])) == ["prod/db", "dev/db"]
    assert names(sm.list_secrets(SortOrder="desc")) == ["dev/db", "prod/api", "prod/db"]
    e = error_of(sm.list_secrets, Filters=[{"Key": "nope", "Values": ["x"]}])
    assert code(e) in ("ValidationException", "InvalidParameterException")
    entry = sm.list_secrets(Filters=[{"Key": "name", "Values": ["dev/"]}])["SecretList"][0]
    assert list(entry["SecretVersionsToStages"].values()) == [["AWSCURRENT"]]


def test_paging(sm):
    for i in range(5):
        sm.create_secret(Name=f"s{i}", SecretString="v")
    first = sm.list_secrets(MaxResults=2)
    assert names(first) == ["s0", "s1"] and first["NextToken"]
    second = sm.list_secrets(MaxResults=2, NextToken=first["NextToken"])
    third = sm.list_secrets(MaxResults=2, NextToken=second["NextToken"])
    assert names(second) == ["s2", "s3"] and names(third) == ["s4"] and "NextToken" not in third
    paginator = sm.get_paginator("list_secrets")
    assert [n for page in paginator.paginate(PaginationConfig={"PageSize": 2}) for n in names(page)] == \
        [f"s{i}" for i in range(5)]


def test_batch_get_secret_value(sm):
    make(sm)
    sm.delete_secret(SecretId="prod/api")
    out = sm.batch_get_secret_value(SecretIdList=["prod/db", "dev/db", "missing", "prod/api"])
    assert {v["Name"]: v["SecretString"] for v in out["SecretValues"]} == {"prod/db": "1", "dev/db": "3"}
    assert {e["SecretId"]: e["ErrorCode"] for e in out["Errors"]} == {
        "missing": "ResourceNotFoundException", "prod/api": "InvalidRequestException"}
    out = sm.batch_get_secret_value(Filters=[{"Key": "tag-value", "Values": ["prod", "dev"]}], MaxResults=1)
    assert [v["Name"] for v in out["SecretValues"]] == ["prod/db"] and out["NextToken"]
    out = sm.batch_get_secret_value(Filters=[{"Key": "tag-value", "Values": ["prod", "dev"]}], MaxResults=1,
                                    NextToken=out["NextToken"])
    assert [v["Name"] for v in out["SecretValues"]] == ["dev/db"]
    e = error_of(sm.batch_get_secret_value, SecretIdList=["a"], Filters=[{"Key": "name", "Values": ["a"]}])
    assert code(e) == "InvalidParameterException"
