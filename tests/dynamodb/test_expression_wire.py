"""Expressions through the wire: boto3 against a live nubis sees DynamoDB's
messages for bad expressions and DynamoDB's semantics for good ones."""
from __future__ import annotations

import pytest

from .conftest import code, error_of, message


@pytest.fixture
def table(make_table):
    return make_table("things", hash=("pk", "S"), range=("sk", "N"))


def put(ddb, table, **attrs):
    ddb.put_item(TableName=table, Item={"pk": {"S": "p"}, "sk": {"N": "1"}, **attrs})


KEY = {"pk": {"S": "p"}, "sk": {"N": "1"}}


@pytest.mark.parametrize("kwargs, text", [
    ({"ConditionExpression": "status = :v", "ExpressionAttributeValues": {":v": {"S": "x"}}},
     "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status"),
    ({"ConditionExpression": "a = = :v", "ExpressionAttributeValues": {":v": {"S": "x"}}},
     'Invalid ConditionExpression: Syntax error; token: "=", near: "= = :v"'),
    ({"ConditionExpression": "#a = :v", "ExpressionAttributeValues": {":v": {"S": "x"}}},
     "Invalid ConditionExpression: An expression attribute name used in the document path is not defined; "
     "attribute name: #a"),
    ({"ConditionExpression": "a = :v"},
     "Invalid ConditionExpression: An expression attribute value used in expression is not defined; "
     "attribute value: :v"),
    ({"ConditionExpression": "attribute_exists(a)", "ExpressionAttributeValues": {":v": {"S": "x"}}},
     "Value provided in ExpressionAttributeValues unused in expressions: keys: {:v}"),
    ({"ConditionExpression": "begins_with(a, :v)", "ExpressionAttributeValues": {":v": {"N": "1"}}},
     "Invalid ConditionExpression: Incorrect operand type for operator or function; "
     "operator or function: begins_with, operand type: N"),
    ({"ConditionExpression": "a = :v", "ExpressionAttributeValues": {":v": {"SS": []}}},
     "ExpressionAttributeValues contains invalid value: One or more parameter values were invalid: "
     "An string set  may not be empty for key :v"),
])
def test_condition_expression_errors_on_put(ddb, table, kwargs, text):
    e = error_of(ddb.put_item, TableName=table, Item=KEY, **kwargs)
    assert code(e) == "ValidationException"
    assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert message(e) == text


@pytest.mark.parametrize("expression, values, text", [
    ("SET", None, 'Invalid UpdateExpression: Syntax error; token: "<EOF>", near: "SET"'),
    ("SET a = :v ADD b :n ADD c :n", {":v": {"S": "x"}, ":n": {"N": "1"}},
     'Invalid UpdateExpression: The "ADD" section can only be used once in an update expression;'),
    ("SET a = :v, a.b = :v", {":v": {"S": "x"}},
     "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of "
     "these paths; path one: [a], path two: [a, b]"),
    ("SET a = b + :n", {":n": {"N": "1"}},
     "The provided expression refers to an attribute that does not exist in the item"),
    ("SET a = s + :n", {":n": {"N": "1"}}, "An operand in the update expression has an incorrect data type"),
    ("ADD a :v", {":v": {"S": "x"}},
     "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, "
     "operand type: STRING"),
    ("SET m.x = :v", {":v": {"S": "x"}},
     "The document path provided in the update expression is invalid for update"),
])
def test_update_expression_errors(ddb, table, expression, values, text):
    put(ddb, table, s={"S": "text"})
    kwargs = {"ExpressionAttributeValues": values} if values else {}
    e = error_of(ddb.update_item, TableName=table, Key=KEY, UpdateExpression=expression, **kwargs)
    assert code(e) == "ValidationException"
    assert message(e) == text
    # nothing was written
    assert ddb.get_item(TableName=table, Key=KEY)["Item"] == {**KEY, "s": {"S": "text"}}


def test_update_expression_forms(ddb, table):
    put(ddb, table, n={"N": "1.50"}, l={"L": [{"S": "a"}]}, m={"M": {"x": {"N": "1"}}},
        tags={"SS": ["a", "b"]}, labels={"SS": ["a", "b"]}, gone={"S": "x"})
    out = ddb.update_item(
        TableName=table, Key=KEY,
        UpdateExpression="SET n = n + :one, l = list_append(l, :more), m.y = if_not_exists(m.y, :one), "
                         "#c = :one REMOVE gone ADD tags :c DELETE labels :a",
        ExpressionAttributeNames={"#c": "count"},
        ExpressionAttributeValues={":one": {"N": "1"}, ":more": {"L": [{"S": "b"}]}, ":c": {"SS": ["c"]},
                                   ":a": {"SS": ["a"]}},
        ReturnValues="UPDATED_NEW")
    updated = out["Attributes"]
    # a set's order is not defined
    assert sorted(updated.pop("tags")["SS"]) == ["a", "b", "c"]
    assert updated.pop("labels") == {"SS": ["b"]}
    assert updated == {"n": {"N": "2.5"}, "l": {"L": [{"S": "a"}, {"S": "b"}]},
                       "m": {"M": {"y": {"N": "1"}}}, "count": {"N": "1"}}
    item = ddb.get_item(TableName=table, Key=KEY)["Item"]
    assert "gone" not in item
    assert item["m"] == {"M": {"x": {"N": "1"}, "y": {"N": "1"}}}
    assert sorted(item["tags"]["SS"]) == ["a", "b", "c"]
    assert item["labels"] == {"SS": ["b"]}


def test_conditions_decide_writes(ddb, table):
    put(ddb, table, word={"S": "é𝄞"}, n={"N": "5"})
    # size() of a string counts UTF-16 code units
    ddb.update_item(TableName=table, Key=KEY, UpdateExpression="SET ok = :t",
                    ConditionExpression="size(word) = :three AND n BETWEEN :low AND :high",
                    ExpressionAttributeValues={":t": {"BOOL": True}, ":three": {"N": "3"},
                                               ":low": {"N": "-1"}, ":high": {"N": "5.0"}})
    e = error_of(ddb.put_item, TableName=table, Item=KEY, ConditionExpression="attribute_not_exists(pk)")
    assert code(e) == "ConditionalCheckFailedException"
    # a comparison across types is false, <> true
    e = error_of(ddb.delete_item, TableName=table, Key=KEY, ConditionExpression="n = :s",
                 ExpressionAttributeValues={":s": {"S": "5"}})
    assert code(e) == "ConditionalCheckFailedException"
    ddb.delete_item(TableName=table, Key=KEY, ConditionExpression="n <> :s",
                    ExpressionAttributeValues={":s": {"S": "5"}})
    assert "Item" not in ddb.get_item(TableName=table, Key=KEY)


def test_number_sort_keys_come_back_in_numeric_order(ddb, table):
    numbers = ["-1E+10", "-2.5", "-2", "-0.001", "0", "1E-5", "0.5", "2", "10", "11", "100.25", "9E+20"]
    for n in reversed(numbers):
        ddb.put_item(TableName=table, Item={"pk": {"S": "q"}, "sk": {"N": n}})
    got = ddb.query(TableName=table, KeyConditionExpression="pk = :p",
                    ExpressionAttributeValues={":p": {"S": "q"}})["Items"]
    assert [i["sk"]["N"] for i in got] == ["-10000000000", "-2.5", "-2", "-0.001", "0", "0.00001", "0.5", "2",
                                           "10", "11", "100.25", "900000000000000000000"]
    got = ddb.query(TableName=table, KeyConditionExpression="pk = :p AND sk BETWEEN :a AND :b",
                    ExpressionAttributeValues={":p": {"S": "q"}, ":a": {"N": "-2"}, ":b": {"N": "2"}},
                    ScanIndexForward=False)["Items"]
    assert [i["sk"]["N"] for i in got] == ["2", "0.5", "0.00001", "0", "-0.001", "-2"]


@pytest.mark.parametrize("expression, values, text", [
    ("sk = :n", {":n": {"N": "1"}}, "Query condition missed key schema element: pk"),
    ("pk = :p AND extra = :n", {":p": {"S": "p"}, ":n": {"N": "1"}}, "Query key condition not supported"),
    ("pk = :p OR sk = :n", {":p": {"S": "p"}, ":n": {"N": "1"}},
     "Invalid operator used in KeyConditionExpression: OR"),
    ("pk = :p AND sk > :n AND sk < :n", {":p": {"S": "p"}, ":n": {"N": "1"}},
     "KeyConditionExpressions must only contain one condition per key"),
])
def test_key_condition_errors(ddb, table, expression, values, text):
    e = error_of(ddb.query, TableName=table, KeyConditionExpression=expression, ExpressionAttributeValues=values)
    assert code(e) == "ValidationException"
    assert message(e) == text


def test_projection_and_filter_on_nested_paths(ddb, table):
    put(ddb, table, doc={"M": {"a": {"L": [{"N": "1"}, {"M": {"b": {"S": "deep"}}}]}, "c": {"S": "x"}}})
    got = ddb.get_item(TableName=table, Key=KEY, ProjectionExpression="doc.a[1].b, pk")["Item"]
    assert got == {"pk": {"S": "p"}, "doc": {"M": {"a": {"L": [{"M": {"b": {"S": "deep"}}}]}}}}
    got = ddb.scan(TableName=table, FilterExpression="doc.a[1].b = :d",
                   ExpressionAttributeValues={":d": {"S": "deep"}})
    assert got["Count"] == 1
    e = error_of(ddb.get_item, TableName=table, Key=KEY, ProjectionExpression="doc, doc.c")
    assert message(e) == ("Invalid ProjectionExpression: Two document paths overlap with each other; must remove "
                          "or rewrite one of these paths; path one: [doc], path two: [doc, c]")


def test_expression_and_legacy_parameters_do_not_mix(ddb, table):
    e = error_of(ddb.get_item, TableName=table, Key=KEY, AttributesToGet=["pk"], ProjectionExpression="pk")
    assert code(e) == "ValidationException"
    assert message(e) == ("Can not use both expression and non-expression parameters in the same request: "
                          "Non-expression parameters: {AttributesToGet} Expression parameters: "
                          "{ProjectionExpression}")
