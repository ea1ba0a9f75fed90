"""Log groups: create, describe (prefix, pattern, paging), delete, retention, KMS keys, tags."""
import pytest

from .conftest import code, error_of


def test_create_describe_delete(logs, now_ms):
    created = now_ms()
    logs.create_log_group(logGroupName="/aws/lambda/fn", tags={"team": "a"},
                          kmsKeyId="arn:aws:kms:us-east-1:000000000000:key/k1")
    [g] = logs.describe_log_groups()["logGroups"]
    assert g["logGroupName"] == "/aws/lambda/fn"
    assert g["arn"] == "arn:aws:logs:us-east-1:000000000000:log-group:/aws/lambda/fn:*"
    assert g["logGroupArn"] == "arn:aws:logs:us-east-1:000000000000:log-group:/aws/lambda/fn"
    assert g["creationTime"] == created
    assert g["storedBytes"] == 0 and g["metricFilterCount"] == 0
    assert g["kmsKeyId"] == "arn:aws:kms:us-east-1:000000000000:key/k1"
    assert g["logGroupClass"] == "STANDARD"
    assert "retentionInDays" not in g
    e = error_of(logs.create_log_group, logGroupName="/aws/lambda/fn")
    assert code(e) == "ResourceAlreadyExistsException"
    logs.delete_log_group(logGroupName="/aws/lambda/fn")
    assert logs.describe_log_groups()["logGroups"] == []
    e = error_of(logs.delete_log_group, logGroupName="/aws/lambda/fn")
    assert code(e) == "ResourceNotFoundException"
    assert e.response["Error"]["Message"] == "The specified log group does not exist."


@pytest.mark.parametrize("name", ["a:b", "has space", "x" * 513, "star*"])
def test_bad_group_names(logs, name):
    e = error_of(logs.create_log_group, logGroupName=name)
    assert code(e) == "InvalidParameterException"
    assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "1 validation error detected" in e.response["Error"]["Message"]


def test_group_names_may_use_the_whole_alphabet(logs):
    name = "A.z-0_/#" + "x" * 504
    logs.create_log_group(logGroupName=name)
    assert logs.describe_log_groups()["logGroups"][0]["logGroupName"] == name


def test_group_class(logs):
    logs.create_log_group(logGroupName="ia", logGroupClass="INFREQUENT_ACCESS")
    logs.create_log_group(logGroupName="std")
    found = logs.describe_log_groups(logGroupClass="INFREQUENT_ACCESS")["logGroups"]
    assert [g["logGroupName"] for g in found] == ["ia"]


def test_prefix_pattern_limit_and_paging(logs):
    for name in ["/aws/lambda/a", "/aws/lambda/b", "/aws/ecs/c", "/other/LAMBDA-x", "z"]:
        logs.create_log_group(logGroupName=name)
    names = lambda r: [g["logGroupName"] for g in r["logGroups"]]
    assert names(logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/")) == ["/aws/lambda/a", "/aws/lambda/b"]
    # The pattern matches anywhere in the name, case-sensitive, and the answer is brief.
    found = logs.describe_log_groups(logGroupNamePattern="lambda")
    assert names(found) == ["/aws/lambda/a", "/aws/lambda/b"]
    assert set(found["logGroups"][0]) == {"logGroupName", "creationTime", "arn"}
    assert names(logs.describe_log_groups(logGroupNamePattern="LAMBDA")) == ["/other/LAMBDA-x"]
    e = error_of(logs.describe_log_groups, logGroupNamePrefix="/a", logGroupNamePattern="b")
    assert code(e) == "InvalidParameterException"
    page1 = logs.describe_log_groups(limit=2)
    assert names(page1) == ["/aws/ecs/c", "/aws/lambda/a"] and "nextToken" in page1
    page2 = logs.describe_log_groups(limit=2, nextToken=page1["nextToken"])
    assert names(page2) == ["/aws/lambda/b", "/other/LAMBDA-x"]
    page3 = logs.describe_log_groups(limit=2, nextToken=page2["nextToken"])
    assert names(page3) == ["z"] and "nextToken" not in page3
    every = [g for p in logs.get_paginator("describe_log_groups").paginate(PaginationConfig={"PageSize": 2})
             for g in p["logGroups"]]
    assert len(every) == 5
    assert code(error_of(logs.describe_log_groups, limit=51)) == "InvalidParameterException"


def test_groups_are_per_region(logs, aws_client):
    logs.create_log_group(logGroupName="g")
    other = aws_client("logs", region="eu-west-1")
    assert other.describe_log_groups()["logGroups"] == []
    other.create_log_group(logGroupName="g")  # the same name, another region


def test_retention_policy(logs):
    logs.create_log_group(logGroupName="g")
    logs.put_retention_policy(logGroupName="g", retentionInDays=30)
    assert logs.describe_log_groups()["logGroups"][0]["retentionInDays"] == 30
    for bad in (0, 2, 4000):
        e = error_of(logs.put_retention_policy, logGroupName="g", retentionInDays=bad)
        assert code(e) == "InvalidParameterException"
        assert "Member must satisfy enum value set" in e.response["Error"]["Message"]
    logs.delete_retention_policy(logGroupName="g")
    assert "retentionInDays" not in logs.describe_log_groups()["logGroups"][0]
    e = error_of(logs.put_retention_policy, logGroupName="nope", retentionInDays=1)
    assert code(e) == "ResourceNotFoundException"


def test_kms_key_association(logs):
    logs.create_log_group(logGroupName="g")
    key = "arn:aws:kms:us-east-1:000000000000:key/abc"
    logs.associate_kms_key(logGroupName="g", kmsKeyId=key)
    assert logs.describe_log_groups()["logGroups"][0]["kmsKeyId"] == key
    logs.disassociate_kms_key(logGroupName="g")
    assert "kmsKeyId" not in logs.describe_log_groups()["logGroups"][0]


def test_tags_new_and_legacy_operations(logs):
    logs.create_log_group(logGroupName="g", tags={"a": "1"})
    arn = logs.describe_log_groups()["logGroups"][0]["logGroupArn"]
    logs.tag_resource(resourceArn=arn, tags={"b": "2"})
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"a": "1", "b": "2"}
    logs.untag_resource(resourceArn=arn, tagKeys=["a"])
    assert logs.list_tags_log_group(logGroupName="g")["tags"] == {"b": "2"}
    logs.tag_log_group(logGroupName="g", tags={"c": "3"})
    logs.untag_log_group(logGroupName="g", tags=["b"])
    assert logs.list_tags_for_resource(resourceArn=arn + ":*")["tags"] == {"c": "3"}
    e = error_of(logs.list_tags_for_resource, resourceArn=arn.replace(":g", ":missing"))
    assert code(e) == "ResourceNotFoundException"


def test_stored_bytes_and_metric_filter_count(logs, stream, now_ms):
    g, s = stream
    logs.put_log_events(logGroupName=g, logStreamName=s, logEvents=[{"timestamp": now_ms(), "message": "héllo"}])
    logs.put_metric_filter(logGroupName=g, filterName="f", filterPattern="ERROR", metricTransformations=[
        {"metricName": "Errors", "metricNamespace": "App", "metricValue": "1"}])
    [desc] = logs.describe_log_groups()["logGroups"]
    assert desc["storedBytes"] == len("héllo".encode()) and desc["metricFilterCount"] == 1


def test_names_starting_with_aws_slash_are_reserved(logs):
    e = error_of(logs.create_log_group, logGroupName="aws/cwagent")
    assert code(e) == "InvalidParameterException"
    assert e.response["Error"]["Message"] == "Log groups starting with AWS/ are reserved for AWS."
    logs.create_log_group(logGroupName="/aws/lambda/ok")


def test_deletion_protection(logs):
    logs.create_log_group(logGroupName="kept", deletionProtectionEnabled=True)
    assert logs.describe_log_groups()["logGroups"][0]["deletionProtectionEnabled"] is True
    e = error_of(logs.delete_log_group, logGroupName="kept")
    assert code(e) == "ValidationException"
    logs.put_log_group_deletion_protection(logGroupIdentifier="kept", deletionProtectionEnabled=False)
    logs.delete_log_group(logGroupName="kept")


def test_list_log_groups(logs):
    for name, tags in [("/aws/lambda/a", {"env": "prod"}), ("/aws/lambda/b", {}), ("/ecs/c", {"env": "dev"})]:
        logs.create_log_group(logGroupName=name, tags=tags)
    names = lambda r: [g["logGroupName"] for g in r["logGroups"]]
    assert names(logs.list_log_groups(logGroupNamePattern="^/aws/lambda")) == ["/aws/lambda/a", "/aws/lambda/b"]
    assert names(logs.list_log_groups(logGroupNamePattern="^/ecs|/b$")) == ["/aws/lambda/b", "/ecs/c"]
    assert names(logs.list_log_groups(logGroupTags=[{"key": "env", "values": ["prod"]}])) == ["/aws/lambda/a"]
    page = logs.list_log_groups(limit=2)
    assert names(page) == ["/aws/lambda/a", "/aws/lambda/b"]
    rest = logs.list_log_groups(limit=2, nextToken=page["nextToken"])
    assert names(rest) == ["/ecs/c"] and rest["logGroups"][0]["logGroupArn"].endswith(":log-group:/ecs/c")


def test_describe_by_identifiers(logs):
    for name in ("a", "b", "c"):
        logs.create_log_group(logGroupName=name)
    arn_b = "arn:aws:logs:us-east-1:000000000000:log-group:b"
    found = logs.describe_log_groups(logGroupIdentifiers=["a", arn_b])["logGroups"]
    assert [g["logGroupName"] for g in found] == ["a", "b"]
    e = error_of(logs.describe_log_groups, logGroupIdentifiers=["a"], logGroupNamePrefix="a")
    assert code(e) == "InvalidParameterException"
