"""Tables: CreateTable's validation, DescribeTable, UpdateTable, DeleteTable, ListTables,
tags, TTL, resource policies, limits and endpoints."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
import zlib

import pytest
from botocore.config import Config

from .conftest import code, error_of, key_schema, message

INVALID = "One or more parameter values were invalid: "


def defs(**types):
    return [{"AttributeName": k, "AttributeType": v} for k, v in types.items()]


def test_create_describe_and_waiter(ddb, resource):
    out = ddb.create_table(TableName="orders", KeySchema=key_schema("pk", "sk"),
                           AttributeDefinitions=defs(pk="S", sk="N"), BillingMode="PAY_PER_REQUEST")
    d = out["TableDescription"]
    assert d["TableStatus"] == "CREATING"
    assert d["TableArn"] == "arn:aws:dynamodb:us-east-1:000000000000:table/orders"
    ddb.get_waiter("table_exists").wait(TableName="orders", WaiterConfig={"Delay": 1, "MaxAttempts": 2})
    t = ddb.describe_table(TableName="orders")["Table"]
    assert t["TableStatus"] == "ACTIVE"
    assert t["TableId"] == d["TableId"]
    assert t["KeySchema"] == key_schema("pk", "sk")
    assert t["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert t["ProvisionedThroughput"]["ReadCapacityUnits"] == 0
    assert t["ItemCount"] == 0 and t["TableSizeBytes"] == 0
    assert t["DeletionProtectionEnabled"] is False
    assert t["TableClassSummary"]["TableClass"] == "STANDARD"
    # The resource's helpers work too.
    table = resource.Table("orders")
    table.wait_until_exists()
    table.put_item(Item={"pk": "a", "sk": 1, "v": "x"})
    t = ddb.describe_table(TableName="orders")["Table"]
    assert t["ItemCount"] == 1 and t["TableSizeBytes"] > 0


def test_provisioned_table_and_indexes_described(ddb):
    ddb.create_table(
        TableName="prov", KeySchema=key_schema("pk", "sk"), AttributeDefinitions=defs(pk="S", sk="S", g="S", l="N"),
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 3},
        GlobalSecondaryIndexes=[{"IndexName": "by-g", "KeySchema": key_schema("g"),
                                 "Projection": {"ProjectionType": "KEYS_ONLY"},
                                 "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}],
        LocalSecondaryIndexes=[{"IndexName": "by-l", "KeySchema": key_schema("pk", "l"),
                                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x"]}}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    t = ddb.describe_table(TableName="prov")["Table"]
    assert t["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
    assert t["ProvisionedThroughput"]["WriteCapacityUnits"] == 3
    assert "BillingModeSummary" not in t
    (g,) = t["GlobalSecondaryIndexes"]
    assert g["IndexName"] == "by-g" and g["IndexStatus"] == "ACTIVE"
    assert g["IndexArn"] == t["TableArn"] + "/index/by-g"
    assert g["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    (lsi,) = t["LocalSecondaryIndexes"]
    assert lsi["Projection"]["NonKeyAttributes"] == ["x"]
    assert t["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert t["LatestStreamArn"] == f"{t['TableArn']}/stream/{t['LatestStreamLabel']}"


def test_table_already_exists(ddb, make_table):
    make_table("dup")
    e = error_of(make_table, "dup")
    assert code(e) == "ResourceInUseException"
    assert message(e) == "Table already exists: dup"


@pytest.mark.parametrize("kwargs,text", [
    (dict(KeySchema=key_schema("id"), AttributeDefinitions=defs(other="S")),
     INVALID + "Some index key attributes are not defined in AttributeDefinitions. Keys: [id], "
     "AttributeDefinitions: [other]"),
    (dict(KeySchema=key_schema("id"), AttributeDefinitions=defs(id="S", extra="S")),
     INVALID + "Number of attributes in KeySchema does not exactly match number of attributes defined in "
     "AttributeDefinitions"),
    (dict(KeySchema=[{"AttributeName": "id", "KeyType": "RANGE"}], AttributeDefinitions=defs(id="S")),
     "Invalid KeySchema: The first KeySchemaElement is not a HASH key type"),
    (dict(KeySchema=key_schema("id"), AttributeDefinitions=defs(id="S"),
          ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}),
     INVALID + "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is "
     "PAY_PER_REQUEST"),
    (dict(KeySchema=key_schema("id"), AttributeDefinitions=defs(id="S", l="S"),
          LocalSecondaryIndexes=[{"IndexName": "lsi", "KeySchema": key_schema("id", "l"),
                                  "Projection": {"ProjectionType": "ALL"}}]),
     INVALID + "Table KeySchema does not have a range key, which is required when specifying a "
     "LocalSecondaryIndex"),
    (dict(KeySchema=key_schema("id", "s"), AttributeDefinitions=defs(id="S", s="S", l="S"),
          LocalSecondaryIndexes=[{"IndexName": "lsi", "KeySchema": key_schema("l", "s"),
                                  "Projection": {"ProjectionType": "ALL"}}]),
     INVALID + "Index KeySchema does not have the same leading hash key as table KeySchema for index: lsi. "
     "index hash key: l, table hash key: id"),
    (dict(KeySchema=key_schema("id"), AttributeDefinitions=defs(id="S", g="S"),
          GlobalSecondaryIndexes=[{"IndexName": "gsi", "KeySchema": key_schema("g"),
                                   "Projection": {"ProjectionType": "ALL"}}] * 2),
     INVALID + "Duplicate index name: gsi"),
    (dict(KeySchema=key_schema("id"), AttributeDefinitions=defs(id="S", g="S"),
          GlobalSecondaryIndexes=[{"IndexName": "gsi", "KeySchema": key_schema("g"),
                                   "Projection": {"ProjectionType": "KEYS_ONLY", "NonKeyAttributes": ["a"]}}]),
     INVALID + "ProjectionType is KEYS_ONLY, but NonKeyAttributes is specified"),
])
def test_create_table_validation(ddb, kwargs, text):
    kwargs.setdefault("BillingMode", "PAY_PER_REQUEST")
    e = error_of(ddb.create_table, TableName="bad", **kwargs)
    assert code(e) == "ValidationException"
    assert message(e) == text
    assert ddb.list_tables()["TableNames"] == []


def test_missing_table(ddb):
    e = error_of(ddb.describe_table, TableName="nope")
    assert code(e) == "ResourceNotFoundException"
    assert message(e) == "Requested resource not found: Table: nope not found"
    e = error_of(ddb.get_item, TableName="nope", Key={"pk": {"S": "a"}})
    assert code(e) == "ResourceNotFoundException"
    assert message(e) == "Requested resource not found"


def test_list_tables_pages(ddb, make_table):
    for n in ("t-c", "t-a", "t-b", "t-d"):
        make_table(n)
    page = ddb.list_tables(Limit=3)
    assert page["TableNames"] == ["t-a", "t-b", "t-c"]
    assert page["LastEvaluatedTableName"] == "t-c"
    page = ddb.list_tables(ExclusiveStartTableName="t-c", Limit=3)
    assert page["TableNames"] == ["t-d"] and "LastEvaluatedTableName" not in page
    names = [n for p in ddb.get_paginator("list_tables").paginate(PaginationConfig={"PageSize": 1})
             for n in p["TableNames"]]
    assert names == ["t-a", "t-b", "t-c", "t-d"]


def test_tables_are_per_region(aws_client, make_table):
    make_table("here")
    other = aws_client("dynamodb", region="eu-west-1")
    assert other.list_tables()["TableNames"] == []


def test_delete_table_and_deletion_protection(ddb, make_table):
    make_table("keep", DeletionProtectionEnabled=True)
    e = error_of(ddb.delete_table, TableName="keep")
    assert code(e) == "ValidationException"
    assert "protected against deletion" in message(e)
    ddb.update_table(TableName="keep", DeletionProtectionEnabled=False)
    out = ddb.delete_table(TableName="keep")["TableDescription"]
    assert out["TableStatus"] == "DELETING"
    ddb.get_waiter("table_not_exists").wait(TableName="keep", WaiterConfig={"Delay": 1, "MaxAttempts": 2})
    assert code(error_of(ddb.delete_table, TableName="keep")) == "ResourceNotFoundException"
    # The name is free again, and the new table is empty.
    make_table("keep")
    assert ddb.scan(TableName="keep")["Count"] == 0


def test_update_table_billing_stream_class(ddb, make_table):
    make_table("upd")
    out = ddb.update_table(TableName="upd", BillingMode="PROVISIONED",
                           ProvisionedThroughput={"ReadCapacityUnits": 7, "WriteCapacityUnits": 2})
    assert out["TableDescription"]["TableStatus"] == "UPDATING"
    t = ddb.describe_table(TableName="upd")["Table"]
    assert t["TableStatus"] == "ACTIVE"
    assert t["ProvisionedThroughput"]["ReadCapacityUnits"] == 7
    ddb.update_table(TableName="upd", StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
                     TableClass="STANDARD_INFREQUENT_ACCESS")
    t = ddb.describe_table(TableName="upd")["Table"]
    assert t["StreamSpecification"]["StreamViewType"] == "KEYS_ONLY" and t["LatestStreamLabel"]
    assert t["TableClassSummary"]["TableClass"] == "STANDARD_INFREQUENT_ACCESS"
    e = error_of(ddb.update_table, TableName="upd",
                 StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
    assert message(e) == "Table already has an enabled stream: TableName: upd"
    ddb.update_table(TableName="upd", StreamSpecification={"StreamEnabled": False})
    assert "StreamSpecification" not in ddb.describe_table(TableName="upd")["Table"]
    e = error_of(ddb.update_table, TableName="upd", StreamSpecification={"StreamEnabled": False})
    assert message(e) == "Table has no stream to disable: TableName: upd"


def test_update_table_creates_gsi_with_backfill_and_deletes_it(ddb, make_table):
    make_table("gsi")
    for i in range(5):
        item = {"pk": {"S": f"k{i}"}}
        if i % 2 == 0:
            item["color"] = {"S": "red" if i < 4 else "blue"}
        ddb.put_item(TableName="gsi", Item=item)
    out = ddb.update_table(TableName="gsi", AttributeDefinitions=defs(pk="S", color="S"), GlobalSecondaryIndexUpdates=[
        {"Create": {"IndexName": "by-color", "KeySchema": key_schema("color"),
                    "Projection": {"ProjectionType": "ALL"}}}])
    assert out["TableDescription"]["GlobalSecondaryIndexes"][0]["IndexStatus"] == "CREATING"
    t = ddb.describe_table(TableName="gsi")["Table"]
    assert t["GlobalSecondaryIndexes"][0]["IndexStatus"] == "ACTIVE"
    assert t["GlobalSecondaryIndexes"][0]["ItemCount"] == 3
    got = ddb.query(TableName="gsi", IndexName="by-color", KeyConditions={
        "color": {"AttributeValueList": [{"S": "red"}], "ComparisonOperator": "EQ"}})
    assert sorted(i["pk"]["S"] for i in got["Items"]) == ["k0", "k2"]
    ddb.update_table(TableName="gsi", GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by-color"}}])
    assert "GlobalSecondaryIndexes" not in ddb.describe_table(TableName="gsi")["Table"]
    e = error_of(ddb.scan, TableName="gsi", IndexName="by-color")
    assert message(e) == "The table does not have the specified index: by-color"


def test_tags(ddb, make_table):
    make_table("tagged", Tags=[{"Key": "team", "Value": "a"}])
    arn = ddb.describe_table(TableName="tagged")["Table"]["TableArn"]
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "dev"}])
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "env", "Value": "dev"},
                                                                 {"Key": "team", "Value": "a"}]
    ddb.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "env", "Value": "dev"}]
    e = error_of(ddb.list_tags_of_resource, ResourceArn=arn + "x")
    assert code(e) == "ResourceNotFoundException"


def test_time_to_live(ddb, make_table):
    make_table("ttl")
    assert ddb.describe_time_to_live(TableName="ttl")["TimeToLiveDescription"] == {"TimeToLiveStatus": "DISABLED"}
    out = ddb.update_time_to_live(TableName="ttl", TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    assert out["TimeToLiveSpecification"] == {"Enabled": True, "AttributeName": "exp"}
    assert ddb.describe_time_to_live(TableName="ttl")["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED", "AttributeName": "exp"}
    e = error_of(ddb.update_time_to_live, TableName="ttl",
                 TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    assert message(e) == "TimeToLive is already enabled"


def test_resource_policy(ddb, make_table):
    make_table("pol")
    arn = ddb.describe_table(TableName="pol")["Table"]["TableArn"]
    assert code(error_of(ddb.get_resource_policy, ResourceArn=arn)) == "PolicyNotFoundException"
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
                                                                 "Action": "dynamodb:GetItem", "Resource": arn}]})
    rev = ddb.put_resource_policy(ResourceArn=arn, Policy=policy)["RevisionId"]
    got = ddb.get_resource_policy(ResourceArn=arn)
    assert got["Policy"] == policy and got["RevisionId"] == rev
    ddb.delete_resource_policy(ResourceArn=arn)
    assert code(error_of(ddb.get_resource_policy, ResourceArn=arn)) == "PolicyNotFoundException"
    make_table("pol2", ResourcePolicy=policy)
    assert ddb.get_resource_policy(ResourceArn=arn + "2")["Policy"] == policy


def test_limits_endpoints_and_crc32(ddb):
    assert ddb.describe_limits()["TableMaxReadCapacityUnits"] == 40000
    assert ddb.describe_endpoints()["Endpoints"][0]["CachePeriodInMinutes"] == 1440
    raw = ddb.list_tables()["ResponseMetadata"]["HTTPHeaders"]
    assert "x-amz-crc32" in raw


def raw(nubis, operation: str, doc: dict):
    """(status, headers, body) of a hand-made DynamoDB request."""
    req = urllib.request.Request(nubis.endpoint + "/", json.dumps(doc).encode(), method="POST", headers={
        "X-Amz-Target": f"DynamoDB_20120810.{operation}", "Content-Type": "application/x-amz-json-1.0",
        "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/aws4_request, "
                         "SignedHeaders=host, Signature=0"})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def test_crc32_matches_body(nubis, make_table):
    make_table("crc")
    status, headers, body = raw(nubis, "DescribeTable", {"TableName": "crc"})
    assert status == 200 and int(headers["x-amz-crc32"]) == zlib.crc32(body)


def test_errors_carry_dynamodb_namespaces(nubis):
    status, headers, body = raw(nubis, "DescribeTable", {"TableName": "nope"})
    assert status == 400 and int(headers["x-amz-crc32"]) == zlib.crc32(body)
    assert json.loads(body)["__type"] == "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"
    status, _, body = raw(nubis, "DescribeTable", {"TableName": "x"})
    assert json.loads(body)["__type"] == "com.amazon.coral.validate#ValidationException"


def test_throughput_must_be_positive(ddb, aws_client):
    unchecked = aws_client("dynamodb", config=Config(parameter_validation=False, retries={"max_attempts": 1}))
    e = error_of(unchecked.create_table, TableName="zero", KeySchema=key_schema("id"), AttributeDefinitions=defs(id="S"),
                 ProvisionedThroughput={"ReadCapacityUnits": 0, "WriteCapacityUnits": 0})
    assert message(e) == (
        "2 validation errors detected: Value '0' at 'provisionedThroughput.writeCapacityUnits' failed to satisfy "
        "constraint: Member must have value greater than or equal to 1; Value '0' at "
        "'provisionedThroughput.readCapacityUnits' failed to satisfy constraint: Member must have value greater "
        "than or equal to 1")
    e = error_of(ddb.create_table, TableName="none", KeySchema=key_schema("id"), AttributeDefinitions=defs(id="S"))
    assert message(e) == "No provisioned throughput specified for the table"


def test_point_in_time_recovery_and_other_settings_read_back(ddb, nubis, make_table):
    make_table("pitr")
    desc = ddb.describe_continuous_backups(TableName="pitr")["ContinuousBackupsDescription"]
    assert desc["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "DISABLED"
    desc = ddb.update_continuous_backups(TableName="pitr", PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 7})["ContinuousBackupsDescription"]
    pitr = desc["PointInTimeRecoveryDescription"]
    assert pitr["PointInTimeRecoveryStatus"] == "ENABLED" and pitr["RecoveryPeriodInDays"] == 7
    nubis.advance(30 * 86400)
    pitr = ddb.describe_continuous_backups(TableName="pitr")["ContinuousBackupsDescription"][
        "PointInTimeRecoveryDescription"]
    span = pitr["LatestRestorableDateTime"] - pitr["EarliestRestorableDateTime"]
    assert 6 * 86400 < span.total_seconds() <= 7 * 86400
    e = error_of(ddb.describe_continuous_backups, TableName="nope")
    assert code(e) == "TableNotFoundException" and message(e) == "Table not found: nope"
    assert ddb.describe_contributor_insights(TableName="pitr")["ContributorInsightsStatus"] == "DISABLED"
    assert ddb.describe_kinesis_streaming_destination(TableName="pitr")["KinesisDataStreamDestinations"] == []


def test_missing_members_are_validation_errors_not_500s(aws_client, make_table):
    unchecked = aws_client("dynamodb", config=Config(parameter_validation=False, retries={"max_attempts": 1}))
    make_table("val")
    arn = unchecked.describe_table(TableName="val")["Table"]["TableArn"]
    calls = [
        ("create_table", dict(TableName="bad", KeySchema=[{"KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST",
                              AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])),
        ("create_table", dict(TableName="bad", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                              AttributeDefinitions=[{"AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")),
        ("create_table", dict(TableName="bad", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                              AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="X")),
        ("tag_resource", dict(ResourceArn=arn, Tags=[{"Key": "a"}])),
        ("update_time_to_live", dict(TableName="val", TimeToLiveSpecification={"Enabled": True})),
        ("update_continuous_backups", dict(TableName="val")),
        ("batch_get_item", dict(RequestItems={"val": {}})),
        ("update_table", dict(TableName="val", GlobalSecondaryIndexUpdates=[{}])),
        ("transact_write_items", dict(TransactItems=[{"Put": {}}])),
        ("batch_write_item", dict(RequestItems={"val": [{}]})),
    ]
    for method, kwargs in calls:
        e = error_of(getattr(unchecked, method), **kwargs)
        assert code(e) == "ValidationException", (method, kwargs, e.response)
    e = error_of(unchecked.tag_resource, ResourceArn=arn, Tags=[{"Key": "a"}])
    assert message(e) == ("1 validation error detected: Value null at 'tags.1.member.value' failed to satisfy "
                          "constraint: Member must not be null")


def test_item_count_and_size_follow_every_write(ddb, make_table):
    make_table("counted", hash=("pk", "S"))

    def stats():
        t = ddb.describe_table(TableName="counted")["Table"]
        return t["ItemCount"], t["TableSizeBytes"]

    assert stats() == (0, 0)
    ddb.put_item(TableName="counted", Item={"pk": {"S": "a"}, "v": {"S": "12345"}})     # 3 + 6 bytes
    assert stats() == (1, 9)
    ddb.put_item(TableName="counted", Item={"pk": {"S": "a"}, "v": {"S": "1"}})         # replaced
    ddb.batch_write_item(RequestItems={"counted": [{"PutRequest": {"Item": {"pk": {"S": "b"}}}},
                                                   {"PutRequest": {"Item": {"pk": {"S": "c"}}}}]})
    assert stats() == (3, 5 + 3 + 3)
    ddb.update_item(TableName="counted", Key={"pk": {"S": "d"}}, UpdateExpression="SET v = :v",
                    ExpressionAttributeValues={":v": {"S": "xy"}})
    ddb.delete_item(TableName="counted", Key={"pk": {"S": "b"}})
    ddb.delete_item(TableName="counted", Key={"pk": {"S": "zz"}})
    ddb.batch_write_item(RequestItems={"counted": [{"DeleteRequest": {"Key": {"pk": {"S": "c"}}}}]})
    # A failed condition writes nothing and counts nothing.
    error_of(ddb.put_item, TableName="counted", Item={"pk": {"S": "e"}}, ConditionExpression="attribute_exists(pk)")
    ddb.transact_write_items(TransactItems=[{"Put": {"TableName": "counted", "Item": {"pk": {"S": "f"}}}}])
    assert stats() == (3, 5 + 6 + 3)
    assert stats()[0] == ddb.scan(TableName="counted", Select="COUNT")["Count"]
