"""Query and Scan: key conditions, order, filters after Limit, projections, Select,
paging with LastEvaluatedKey, parallel scan segments, and secondary indexes."""
from __future__ import annotations

import pytest
from boto3.dynamodb.conditions import Attr, Key

from .conftest import code, error_of, message


@pytest.fixture
def numbers(ddb, make_table):
    """Partition "p" holds sk -5..14 (N), with parity "odd"/"even" in ``kind``; partition "q" one item."""
    make_table("nums", hash=("pk", "S"), range=("sk", "N"))
    for i in range(-5, 15):
        ddb.put_item(TableName="nums", Item={"pk": {"S": "p"}, "sk": {"N": str(i)},
                                             "kind": {"S": "odd" if i % 2 else "even"}, "pad": {"S": "x" * 10}})
    ddb.put_item(TableName="nums", Item={"pk": {"S": "q"}, "sk": {"N": "0"}})
    return "nums"


def sks(items):
    return [int(i["sk"]["N"]) for i in items]


def q(ddb, expr, values, **kwargs):
    return ddb.query(TableName="nums", KeyConditionExpression=expr,
                     ExpressionAttributeValues=values, **kwargs)


def test_query_orders_numbers_and_ranges(ddb, numbers):
    out = q(ddb, "pk = :p", {":p": {"S": "p"}})
    assert sks(out["Items"]) == list(range(-5, 15))
    assert out["Count"] == out["ScannedCount"] == 20 and "LastEvaluatedKey" not in out
    out = q(ddb, "pk = :p", {":p": {"S": "p"}}, ScanIndexForward=False)
    assert sks(out["Items"]) == list(range(14, -6, -1))
    assert sks(q(ddb, "pk = :p AND sk BETWEEN :a AND :b", {":p": {"S": "p"}, ":a": {"N": "-2"},
                                                            ":b": {"N": "3"}})["Items"]) == [-2, -1, 0, 1, 2, 3]
    assert sks(q(ddb, "pk = :p AND sk < :a", {":p": {"S": "p"}, ":a": {"N": "-3"}})["Items"]) == [-5, -4]
    assert sks(q(ddb, "pk = :p AND sk >= :a", {":p": {"S": "p"}, ":a": {"N": "12.5"}})["Items"]) == [13, 14]
    assert sks(q(ddb, "sk = :a AND pk = :p", {":p": {"S": "p"}, ":a": {"N": "7"}})["Items"]) == [7]
    assert q(ddb, "pk = :p", {":p": {"S": "none"}})["Items"] == []


def test_filter_applies_after_limit(ddb, numbers):
    out = q(ddb, "pk = :p", {":p": {"S": "p"}, ":k": {"S": "odd"}}, FilterExpression="kind = :k", Limit=4)
    assert sks(out["Items"]) == [-5, -3]
    assert out["Count"] == 2 and out["ScannedCount"] == 4
    assert out["LastEvaluatedKey"] == {"pk": {"S": "p"}, "sk": {"N": "-2"}}
    out = q(ddb, "pk = :p", {":p": {"S": "p"}, ":k": {"S": "odd"}}, FilterExpression="kind = :k", Limit=4,
            ExclusiveStartKey=out["LastEvaluatedKey"])
    assert sks(out["Items"]) == [-1, 1]


def test_pagination_visits_everything_once(ddb, numbers):
    pages = list(ddb.get_paginator("query").paginate(
        TableName="nums", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p"}},
        ScanIndexForward=False, PaginationConfig={"PageSize": 3}))
    assert [i for p in pages for i in sks(p["Items"])] == list(range(14, -6, -1))
    scanned = [i for p in ddb.get_paginator("scan").paginate(TableName="nums", PaginationConfig={"PageSize": 7})
               for i in p["Items"]]
    assert len(scanned) == 21


def test_projection_select_and_count(ddb, numbers):
    out = q(ddb, "pk = :p AND sk = :s", {":p": {"S": "p"}, ":s": {"N": "1"}}, ProjectionExpression="kind")
    assert out["Items"] == [{"kind": {"S": "odd"}}]
    out = q(ddb, "pk = :p", {":p": {"S": "p"}}, Select="COUNT")
    assert out["Count"] == 20 and "Items" not in out
    e = error_of(q, ddb, "pk = :p", {":p": {"S": "p"}}, Select="SPECIFIC_ATTRIBUTES")
    assert code(e) == "ValidationException"
    e = error_of(q, ddb, "pk = :p", {":p": {"S": "p"}}, Select="ALL_ATTRIBUTES", ProjectionExpression="kind")
    assert message(e) == "Cannot specify the ProjectionExpression when choosing to get ALL_ATTRIBUTES"
    e = error_of(q, ddb, "pk = :p", {":p": {"S": "p"}}, Select="COUNT", ProjectionExpression="kind")
    assert message(e) == "Cannot specify the ProjectionExpression when choosing to get only the Count"
    e = error_of(q, ddb, "pk = :p", {":p": {"S": "p"}}, Select="ALL_PROJECTED_ATTRIBUTES")
    assert code(e) == "ValidationException"


def test_key_condition_errors(ddb, numbers):
    e = error_of(q, ddb, "sk = :s", {":s": {"N": "1"}})
    assert code(e) == "ValidationException"
    e = error_of(q, ddb, "pk = :p", {":p": {"N": "1"}})
    assert code(e) == "ValidationException"
    e = error_of(ddb.query, TableName="nums")
    assert code(e) == "ValidationException"
    e = error_of(q, ddb, "pk = :p AND sk BETWEEN :b AND :a", {":p": {"S": "p"}, ":a": {"N": "1"}, ":b": {"N": "5"}})
    assert code(e) == "ValidationException" and "BETWEEN" in message(e)


def test_begins_with_on_strings_and_binary(ddb, make_table):
    make_table("strs", hash=("pk", "S"), range=("sk", "S"))
    for s in ("a", "ab", "abc", "abd", "ac", "b", "\u00e9t\u00e9", "ab\uffff"):
        ddb.put_item(TableName="strs", Item={"pk": {"S": "p"}, "sk": {"S": s}})
    got = ddb.query(TableName="strs", KeyConditionExpression="pk = :p AND begins_with(sk, :x)",
                    ExpressionAttributeValues={":p": {"S": "p"}, ":x": {"S": "ab"}})
    assert [i["sk"]["S"] for i in got["Items"]] == ["ab", "abc", "abd", "ab\uffff"]
    got = ddb.query(TableName="strs", KeyConditionExpression="pk = :p AND begins_with(sk, :x)",
                    ExpressionAttributeValues={":p": {"S": "p"}, ":x": {"S": "ab"}}, ScanIndexForward=False)
    assert [i["sk"]["S"] for i in got["Items"]] == ["ab\uffff", "abd", "abc", "ab"]
    make_table("bins", hash=("pk", "S"), range=("sk", "B"))
    for b in (b"\x00", b"\x01\xff", b"\x01\xff\xff", b"\x02", b"\xff"):
        ddb.put_item(TableName="bins", Item={"pk": {"S": "p"}, "sk": {"B": b}})
    got = ddb.query(TableName="bins", KeyConditionExpression="pk = :p AND begins_with(sk, :x)",
                    ExpressionAttributeValues={":p": {"S": "p"}, ":x": {"B": b"\x01\xff"}})
    assert [i["sk"]["B"] for i in got["Items"]] == [b"\x01\xff", b"\x01\xff\xff"]
    for forward in (True, False):
        got = ddb.query(TableName="bins", KeyConditionExpression="pk = :p AND begins_with(sk, :x)",
                        ExpressionAttributeValues={":p": {"S": "p"}, ":x": {"B": b"\xff"}}, ScanIndexForward=forward)
        assert [i["sk"]["B"] for i in got["Items"]] == [b"\xff"]
    got = ddb.query(TableName="bins", KeyConditionExpression="pk = :p AND sk > :x",
                    ExpressionAttributeValues={":p": {"S": "p"}, ":x": {"B": b"\x01\xff\xff"}})
    assert [i["sk"]["B"] for i in got["Items"]] == [b"\x02", b"\xff"]


def test_scan_filter_limit_and_segments(ddb, numbers):
    out = ddb.scan(TableName="nums", FilterExpression="kind = :k", ExpressionAttributeValues={":k": {"S": "even"}})
    assert out["Count"] == 10 and out["ScannedCount"] == 21
    out = ddb.scan(TableName="nums", ScanFilter={"kind": {"AttributeValueList": [{"S": "even"}],
                                                          "ComparisonOperator": "EQ"}})
    assert out["Count"] == 10
    seen = []
    for segment in range(3):
        for page in ddb.get_paginator("scan").paginate(TableName="nums", Segment=segment, TotalSegments=3,
                                                        PaginationConfig={"PageSize": 4}):
            seen += [(i["pk"]["S"], i["sk"]["N"]) for i in page["Items"]]
    assert len(seen) == len(set(seen)) == 21
    e = error_of(ddb.scan, TableName="nums", Segment=3, TotalSegments=3)
    assert message(e) == ("The Segment parameter is zero-based and must be less than parameter TotalSegments: "
                          "Segment: 3 is not less than TotalSegments: 3")
    e = error_of(ddb.scan, TableName="nums", TotalSegments=3)
    assert code(e) == "ValidationException"


def test_one_megabyte_pages(ddb, make_table):
    make_table("big", hash=("pk", "S"), range=("sk", "N"))
    blob = "x" * (300 * 1024)
    for i in range(5):
        ddb.put_item(TableName="big", Item={"pk": {"S": "p"}, "sk": {"N": str(i)}, "v": {"S": blob}})
    first = ddb.query(TableName="big", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p"}})
    assert first["Count"] == 4 and "LastEvaluatedKey" in first
    rest = ddb.query(TableName="big", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p"}},
                     ExclusiveStartKey=first["LastEvaluatedKey"])
    assert sks(rest["Items"]) == [4] and "LastEvaluatedKey" not in rest
    assert ddb.scan(TableName="big", Select="COUNT")["ScannedCount"] == 4


@pytest.fixture
def indexed(ddb, make_table):
    make_table("idx", hash=("pk", "S"), range=("sk", "S"), attributes=[("g", "S"), ("gs", "N"), ("l", "N")],
               GlobalSecondaryIndexes=[
                   {"IndexName": "all", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"},
                                                      {"AttributeName": "gs", "KeyType": "RANGE"}],
                    "Projection": {"ProjectionType": "ALL"}},
                   {"IndexName": "keys", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "KEYS_ONLY"}},
                   {"IndexName": "incl", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x"]}}],
               LocalSecondaryIndexes=[
                   {"IndexName": "local", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                        {"AttributeName": "l", "KeyType": "RANGE"}],
                    "Projection": {"ProjectionType": "KEYS_ONLY"}}])
    for i in range(6):
        item = {"pk": {"S": "p" if i < 4 else "q"}, "sk": {"S": f"s{i}"}, "x": {"S": f"x{i}"}, "y": {"S": f"y{i}"},
                "l": {"N": str(10 - i)}}
        if i != 5:  # item 5 is not in the GSIs (sparse)
            item["g"] = {"S": "red" if i % 2 == 0 else "blue"}
            item["gs"] = {"N": str(i)}
        ddb.put_item(TableName="idx", Item=item)
    return "idx"


def test_gsi_query_projection_and_paging(ddb, indexed):
    out = ddb.query(TableName="idx", IndexName="all", KeyConditionExpression="g = :g",
                    ExpressionAttributeValues={":g": {"S": "red"}}, ScanIndexForward=False)
    assert [i["sk"]["S"] for i in out["Items"]] == ["s4", "s2", "s0"]
    assert out["Items"][0]["y"] == {"S": "y4"}
    out = ddb.query(TableName="idx", IndexName="keys", KeyConditionExpression="g = :g",
                    ExpressionAttributeValues={":g": {"S": "red"}})
    assert all(set(i) == {"pk", "sk", "g"} for i in out["Items"])
    out = ddb.query(TableName="idx", IndexName="incl", KeyConditionExpression="g = :g",
                    ExpressionAttributeValues={":g": {"S": "blue"}})
    assert all(set(i) == {"pk", "sk", "g", "x"} for i in out["Items"]) and out["Count"] == 2
    page = ddb.query(TableName="idx", IndexName="all", KeyConditionExpression="g = :g",
                     ExpressionAttributeValues={":g": {"S": "red"}}, Limit=2)
    assert page["LastEvaluatedKey"] == {"pk": {"S": "p"}, "sk": {"S": "s2"}, "g": {"S": "red"}, "gs": {"N": "2"}}
    page = ddb.query(TableName="idx", IndexName="all", KeyConditionExpression="g = :g",
                     ExpressionAttributeValues={":g": {"S": "red"}}, ExclusiveStartKey=page["LastEvaluatedKey"])
    assert [i["sk"]["S"] for i in page["Items"]] == ["s4"]
    e = error_of(ddb.query, TableName="idx", IndexName="keys", KeyConditionExpression="g = :g",
                 ExpressionAttributeValues={":g": {"S": "red"}}, Select="ALL_ATTRIBUTES")
    assert code(e) == "ValidationException"
    e = error_of(ddb.query, TableName="idx", IndexName="all", KeyConditionExpression="g = :g",
                 ExpressionAttributeValues={":g": {"S": "red"}}, ConsistentRead=True)
    assert message(e) == "Consistent reads are not supported on global secondary indexes"


def test_index_entries_follow_writes(ddb, indexed):
    ddb.update_item(TableName="idx", Key={"pk": {"S": "p"}, "sk": {"S": "s0"}}, UpdateExpression="SET g = :b",
                    ExpressionAttributeValues={":b": {"S": "blue"}})
    ddb.delete_item(TableName="idx", Key={"pk": {"S": "p"}, "sk": {"S": "s1"}})
    ddb.update_item(TableName="idx", Key={"pk": {"S": "p"}, "sk": {"S": "s2"}}, UpdateExpression="REMOVE gs")
    red = ddb.query(TableName="idx", IndexName="all", KeyConditionExpression="g = :g",
                    ExpressionAttributeValues={":g": {"S": "red"}})
    assert [i["sk"]["S"] for i in red["Items"]] == ["s4"]
    blue = ddb.query(TableName="idx", IndexName="keys", KeyConditionExpression="g = :g",
                     ExpressionAttributeValues={":g": {"S": "blue"}})
    assert sorted(i["sk"]["S"] for i in blue["Items"]) == ["s0", "s3"]
    assert ddb.scan(TableName="idx", IndexName="keys")["Count"] == 4
    assert ddb.scan(TableName="idx", IndexName="all")["Count"] == 3


def test_lsi_query_in_index_order(ddb, indexed):
    out = ddb.query(TableName="idx", IndexName="local", KeyConditionExpression="pk = :p AND l > :l",
                    ExpressionAttributeValues={":p": {"S": "p"}, ":l": {"N": "7"}})
    assert [i["l"]["N"] for i in out["Items"]] == ["8", "9", "10"]
    assert set(out["Items"][0]) == {"pk", "sk", "l"}
    # An LSI may fetch every attribute from the table.
    out = ddb.query(TableName="idx", IndexName="local", KeyConditionExpression="pk = :p",
                    ExpressionAttributeValues={":p": {"S": "p"}}, Select="ALL_ATTRIBUTES")
    assert out["Items"][0]["y"] == {"S": "y3"}
    out = ddb.query(TableName="idx", IndexName="local", KeyConditionExpression="pk = :p",
                    ExpressionAttributeValues={":p": {"S": "p"}}, ProjectionExpression="y")
    assert out["Items"][0] == {"y": {"S": "y3"}}


def test_resource_query_with_conditions(resource, numbers):
    t = resource.Table("nums")
    got = t.query(KeyConditionExpression=Key("pk").eq("p") & Key("sk").between(0, 4),
                  FilterExpression=Attr("kind").eq("even"))
    assert [int(i["sk"]) for i in got["Items"]] == [0, 2, 4]
    got = t.scan(FilterExpression=Attr("sk").lt(-3) | Attr("pk").eq("q"))
    assert sorted(int(i["sk"]) for i in got["Items"]) == [-5, -4, 0]


def test_exclusive_start_key_must_be_a_whole_key(ddb, numbers):
    e = error_of(q, ddb, "pk = :p", {":p": {"S": "p"}}, ExclusiveStartKey={"pk": {"S": "p"}})
    assert code(e) == "ValidationException"
    assert message(e).startswith("The provided starting key is invalid: ")
    e = error_of(ddb.scan, TableName="nums", ExclusiveStartKey={"pk": {"S": "p"}, "sk": {"S": "1"}})
    assert message(e).startswith("The provided starting key is invalid: ")


def test_gsi_filter_sees_only_the_projection(ddb, indexed):
    # "y" is not projected into the KEYS_ONLY index: a filter on it matches nothing there.
    out = ddb.query(TableName="idx", IndexName="keys", KeyConditionExpression="g = :g",
                    FilterExpression="attribute_exists(y)", ExpressionAttributeValues={":g": {"S": "red"}})
    assert out["Count"] == 0 and out["ScannedCount"] == 3
    out = ddb.query(TableName="idx", IndexName="all", KeyConditionExpression="g = :g",
                    FilterExpression="attribute_exists(y)", ExpressionAttributeValues={":g": {"S": "red"}})
    assert out["Count"] == 3


def test_read_capacity_and_item_collection_metrics(ddb, indexed):
    out = ddb.query(TableName="idx", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p"}},
                    ReturnConsumedCapacity="TOTAL")
    assert out["ConsumedCapacity"] == {"TableName": "idx", "CapacityUnits": 0.5}
    out = ddb.query(TableName="idx", IndexName="all", KeyConditionExpression="g = :g",
                    ExpressionAttributeValues={":g": {"S": "red"}}, ReturnConsumedCapacity="INDEXES")
    assert out["ConsumedCapacity"]["GlobalSecondaryIndexes"] == {"all": {"CapacityUnits": 0.5}}
    out = ddb.scan(TableName="idx", ConsistentRead=True, ReturnConsumedCapacity="TOTAL")
    assert out["ConsumedCapacity"]["CapacityUnits"] == 1.0
    # The table has a local index: writes report their item collection.
    out = ddb.put_item(TableName="idx", Item={"pk": {"S": "p"}, "sk": {"S": "new"}}, ReturnItemCollectionMetrics="SIZE")
    assert out["ItemCollectionMetrics"]["ItemCollectionKey"] == {"pk": {"S": "p"}}
