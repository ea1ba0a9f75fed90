"""Items: PutItem, GetItem, UpdateItem, DeleteItem with conditions, ReturnValues,
ReturnValuesOnConditionCheckFailure, consumed capacity and the item rules."""
from __future__ import annotations

from decimal import Decimal

import pytest
from boto3.dynamodb.conditions import Attr

from .conftest import code, error_of, message


@pytest.fixture
def table(make_table):
    return make_table("items", hash=("pk", "S"), range=("sk", "N"))


def key(pk="a", sk="1"):
    return {"pk": {"S": pk}, "sk": {"N": sk}}


def test_put_get_delete(ddb, table):
    item = {**key(), "s": {"S": "x"}, "n": {"N": "1.50"}, "b": {"B": b"\x00\xff"}, "ss": {"SS": ["a", "b"]},
            "m": {"M": {"l": {"L": [{"N": "1e2"}, {"NULL": True}, {"BOOL": False}]}}}}
    assert ddb.put_item(TableName=table, Item=item)["ResponseMetadata"]["HTTPStatusCode"] == 200
    got = ddb.get_item(TableName=table, Key=key())["Item"]
    # Numbers come back canonical, binary as bytes.
    assert got["n"] == {"N": "1.5"} and got["b"] == {"B": b"\x00\xff"}
    assert got["m"]["M"]["l"]["L"][0] == {"N": "100"}
    assert set(got["ss"]["SS"]) == {"a", "b"}
    # The number key matches by value, not by text.
    assert ddb.get_item(TableName=table, Key=key(sk="1.0"), ConsistentRead=True)["Item"]["s"] == {"S": "x"}
    assert "Item" not in ddb.get_item(TableName=table, Key=key(sk="2"))
    old = ddb.delete_item(TableName=table, Key=key(), ReturnValues="ALL_OLD")["Attributes"]
    assert old["s"] == {"S": "x"}
    assert "Item" not in ddb.get_item(TableName=table, Key=key())
    # Deleting what is not there is fine and returns nothing.
    assert "Attributes" not in ddb.delete_item(TableName=table, Key=key(), ReturnValues="ALL_OLD")


def test_projection_on_get(ddb, table):
    ddb.put_item(TableName=table, Item={**key(), "a": {"M": {"b": {"L": [{"S": "0"}, {"S": "1"}]}}}, "c": {"S": "c"}})
    got = ddb.get_item(TableName=table, Key=key(), ProjectionExpression="#a.b[1], c",
                       ExpressionAttributeNames={"#a": "a"})["Item"]
    assert got == {"a": {"M": {"b": {"L": [{"S": "1"}]}}}, "c": {"S": "c"}}
    got = ddb.get_item(TableName=table, Key=key(), AttributesToGet=["c"])["Item"]
    assert got == {"c": {"S": "c"}}


@pytest.mark.parametrize("bad_key,text", [
    ({"pk": {"S": "a"}}, "The provided key element does not match the schema"),
    ({"pk": {"S": "a"}, "sk": {"S": "1"}}, "The provided key element does not match the schema"),
    ({"pk": {"S": "a"}, "sk": {"N": "1"}, "x": {"S": "y"}}, "The provided key element does not match the schema"),
])
def test_key_must_match_schema(ddb, table, bad_key, text):
    e = error_of(ddb.get_item, TableName=table, Key=bad_key)
    assert code(e) == "ValidationException" and message(e) == text


def test_put_item_key_rules(ddb, table):
    e = error_of(ddb.put_item, TableName=table, Item={"pk": {"S": "a"}})
    assert message(e) == "One or more parameter values were invalid: Missing the key sk in the item"
    e = error_of(ddb.put_item, TableName=table, Item={"pk": {"N": "1"}, "sk": {"N": "1"}})
    assert message(e) == "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N"
    e = error_of(ddb.put_item, TableName=table, Item={"pk": {"S": ""}, "sk": {"N": "1"}})
    assert code(e) == "ValidationException" and "empty string value. Key: pk" in message(e)


def test_item_size_limit(ddb, table):
    ddb.put_item(TableName=table, Item={**key(), "big": {"S": "x" * (400 * 1024 - 100)}})
    e = error_of(ddb.put_item, TableName=table, Item={**key(sk="2"), "big": {"S": "x" * (400 * 1024)}})
    assert code(e) == "ValidationException"
    assert message(e) == "Item size has exceeded the maximum allowed size"
    assert "Item" not in ddb.get_item(TableName=table, Key=key(sk="2"))


def test_condition_expression_on_put(ddb, table):
    ddb.put_item(TableName=table, Item={**key(), "v": {"N": "1"}}, ConditionExpression="attribute_not_exists(pk)")
    e = error_of(ddb.put_item, TableName=table, Item={**key(), "v": {"N": "2"}},
                 ConditionExpression="attribute_not_exists(pk)")
    assert code(e) == "ConditionalCheckFailedException"
    assert message(e) == "The conditional request failed"
    assert "Item" not in e.response
    e = error_of(ddb.put_item, TableName=table, Item={**key(), "v": {"N": "2"}},
                 ConditionExpression="v = :two", ExpressionAttributeValues={":two": {"N": "2"}},
                 ReturnValuesOnConditionCheckFailure="ALL_OLD")
    assert e.response["Item"] == {**key(), "v": {"N": "1"}}
    ddb.put_item(TableName=table, Item={**key(), "v": {"N": "2"}}, ConditionExpression="v = :one",
                 ExpressionAttributeValues={":one": {"N": "1"}})
    assert ddb.get_item(TableName=table, Key=key())["Item"]["v"] == {"N": "2"}


def test_legacy_expected(ddb, table):
    ddb.put_item(TableName=table, Item={**key(), "v": {"S": "x"}})
    e = error_of(ddb.put_item, TableName=table, Item=key(), Expected={"v": {"Value": {"S": "y"}}})
    assert code(e) == "ConditionalCheckFailedException"
    ddb.put_item(TableName=table, Item=key(), Expected={"v": {"Value": {"S": "x"}}})
    e = error_of(ddb.put_item, TableName=table, Item=key(), Expected={"v": {"Exists": False}},
                 ConditionExpression="attribute_exists(v)")
    assert message(e).startswith("Can not use both expression and non-expression parameters in the same request")


def test_return_values_rules(ddb, table):
    for op, kwargs in (("put_item", {"Item": key()}), ("delete_item", {"Key": key()})):
        for rv in ("ALL_NEW", "UPDATED_OLD", "UPDATED_NEW"):
            e = error_of(getattr(ddb, op), TableName=table, ReturnValues=rv, **kwargs)
            assert code(e) == "ValidationException" and message(e) == "Return values set to invalid value"
    e = error_of(ddb.put_item, TableName=table, Item=key(), ReturnValues="SOME")
    assert code(e) == "ValidationException" and "returnValues" in message(e)
    ddb.put_item(TableName=table, Item={**key(), "v": {"S": "old"}})
    out = ddb.put_item(TableName=table, Item={**key(), "v": {"S": "new"}}, ReturnValues="ALL_OLD")
    assert out["Attributes"]["v"] == {"S": "old"}
    assert "Attributes" not in ddb.put_item(TableName=table, Item={**key("z"), "v": {"S": "x"}}, ReturnValues="NONE")


def test_update_item_expressions_and_return_values(ddb, table):
    out = ddb.update_item(TableName=table, Key=key(), UpdateExpression="SET #c = :one, tags = :t",
                          ExpressionAttributeNames={"#c": "count"},
                          ExpressionAttributeValues={":one": {"N": "1"}, ":t": {"SS": ["x"]}}, ReturnValues="ALL_NEW")
    assert out["Attributes"] == {**key(), "count": {"N": "1"}, "tags": {"SS": ["x"]}}
    out = ddb.update_item(TableName=table, Key=key(), UpdateExpression="SET #c = #c + :one ADD tags :y",
                          ExpressionAttributeNames={"#c": "count"},
                          ExpressionAttributeValues={":one": {"N": "1"}, ":y": {"SS": ["y"]}},
                          ReturnValues="UPDATED_OLD")
    assert out["Attributes"] == {"count": {"N": "1"}, "tags": {"SS": ["x"]}}
    out = ddb.update_item(TableName=table, Key=key(), UpdateExpression="REMOVE tags SET m = :m",
                          ExpressionAttributeValues={":m": {"M": {"a": {"N": "1"}}}}, ReturnValues="UPDATED_NEW")
    assert out["Attributes"] == {"m": {"M": {"a": {"N": "1"}}}}
    out = ddb.update_item(TableName=table, Key=key(), UpdateExpression="SET m.b = :b",
                          ExpressionAttributeValues={":b": {"S": "nested"}}, ReturnValues="UPDATED_NEW")
    assert out["Attributes"] == {"m": {"M": {"b": {"S": "nested"}}}}
    out = ddb.update_item(TableName=table, Key=key(), UpdateExpression="SET x = :x",
                          ExpressionAttributeValues={":x": {"S": "x"}}, ReturnValues="ALL_OLD")
    assert out["Attributes"]["count"] == {"N": "2"}
    assert ddb.get_item(TableName=table, Key=key())["Item"] == {
        **key(), "count": {"N": "2"}, "m": {"M": {"a": {"N": "1"}, "b": {"S": "nested"}}}, "x": {"S": "x"}}


def test_update_item_rules(ddb, table):
    e = error_of(ddb.update_item, TableName=table, Key=key(), UpdateExpression="SET pk = :v",
                 ExpressionAttributeValues={":v": {"S": "b"}})
    assert message(e) == ("One or more parameter values were invalid: Cannot update attribute pk. "
                          "This attribute is part of the key")
    e = error_of(ddb.update_item, TableName=table, Key=key(), UpdateExpression="SET a = :v",
                 ExpressionAttributeValues={":v": {"S": "b"}, ":unused": {"S": "c"}})
    assert message(e) == "Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}"
    e = error_of(ddb.update_item, TableName=table, Key=key(), UpdateExpression="SET a = :v",
                 ExpressionAttributeValues={":v": {"S": "b"}}, ConditionExpression="attribute_exists(pk)",
                 ReturnValuesOnConditionCheckFailure="ALL_OLD")
    assert code(e) == "ConditionalCheckFailedException" and "Item" not in e.response
    assert "Item" not in ddb.get_item(TableName=table, Key=key())
    # An update of an absent item creates it.
    ddb.update_item(TableName=table, Key=key(), AttributeUpdates={"v": {"Value": {"N": "5"}, "Action": "PUT"}})
    assert ddb.get_item(TableName=table, Key=key())["Item"] == {**key(), "v": {"N": "5"}}


def test_consumed_capacity(ddb, make_table):
    make_table("cap", attributes=[("g", "S")], GlobalSecondaryIndexes=[
        {"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
         "Projection": {"ProjectionType": "ALL"}}])
    out = ddb.put_item(TableName="cap", Item={"pk": {"S": "a"}, "g": {"S": "x"}, "big": {"S": "x" * 1500}},
                       ReturnConsumedCapacity="TOTAL")
    assert out["ConsumedCapacity"] == {"TableName": "cap", "CapacityUnits": 4.0}
    out = ddb.put_item(TableName="cap", Item={"pk": {"S": "b"}}, ReturnConsumedCapacity="INDEXES")
    assert out["ConsumedCapacity"]["Table"] == {"CapacityUnits": 1.0}
    assert "GlobalSecondaryIndexes" not in out["ConsumedCapacity"]
    out = ddb.put_item(TableName="cap", Item={"pk": {"S": "c"}, "g": {"S": "y"}}, ReturnConsumedCapacity="INDEXES")
    assert out["ConsumedCapacity"]["GlobalSecondaryIndexes"] == {"by-g": {"CapacityUnits": 1.0}}
    assert out["ConsumedCapacity"]["CapacityUnits"] == 2.0
    out = ddb.get_item(TableName="cap", Key={"pk": {"S": "a"}}, ReturnConsumedCapacity="TOTAL")
    assert out["ConsumedCapacity"] == {"TableName": "cap", "CapacityUnits": 0.5}
    out = ddb.get_item(TableName="cap", Key={"pk": {"S": "a"}}, ReturnConsumedCapacity="TOTAL", ConsistentRead=True)
    assert out["ConsumedCapacity"]["CapacityUnits"] == 1.0
    assert "ConsumedCapacity" not in ddb.get_item(TableName="cap", Key={"pk": {"S": "a"}})


def test_index_key_type_is_checked(ddb, make_table):
    make_table("typed", attributes=[("g", "S")], GlobalSecondaryIndexes=[
        {"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
         "Projection": {"ProjectionType": "ALL"}}])
    e = error_of(ddb.put_item, TableName="typed", Item={"pk": {"S": "a"}, "g": {"N": "1"}})
    assert message(e) == ("One or more parameter values were invalid: Type mismatch for Index Key g Expected: S "
                          "Actual: N IndexName: by-g")


def test_resource_table_with_conditions(resource, table):
    t = resource.Table(table)
    t.put_item(Item={"pk": "r", "sk": 1, "price": Decimal("9.99"), "tags": {"a", "b"}})
    t.put_item(Item={"pk": "r", "sk": 2, "price": Decimal("20")})
    with pytest.raises(t.meta.client.exceptions.ConditionalCheckFailedException):
        t.put_item(Item={"pk": "r", "sk": 1}, ConditionExpression=Attr("price").gt(10))
    t.update_item(Key={"pk": "r", "sk": 1}, UpdateExpression="SET price = price + :d",
                  ExpressionAttributeValues={":d": Decimal("0.01")}, ConditionExpression=Attr("tags").contains("a"))
    assert t.get_item(Key={"pk": "r", "sk": 1})["Item"]["price"] == Decimal("10")
    t.delete_item(Key={"pk": "r", "sk": 2}, ConditionExpression=Attr("price").between(Decimal(1), Decimal(30)))
    assert "Item" not in t.get_item(Key={"pk": "r", "sk": 2})
