"""BatchGetItem, BatchWriteItem, TransactWriteItems and TransactGetItems."""
from __future__ import annotations

import pytest

from .conftest import code, error_of, message


@pytest.fixture
def tables(make_table):
    make_table("one")
    make_table("two", hash=("id", "N"))
    return "one", "two"


def k1(pk):
    return {"pk": {"S": pk}}


def k2(i):
    return {"id": {"N": str(i)}}


def test_batch_write_and_get(ddb, tables):
    out = ddb.batch_write_item(RequestItems={
        "one": [{"PutRequest": {"Item": {**k1(f"a{i}"), "v": {"N": str(i)}}}} for i in range(10)],
        "two": [{"PutRequest": {"Item": {**k2(i), "w": {"S": "x"}}}} for i in range(3)]})
    assert out["UnprocessedItems"] == {}
    ddb.batch_write_item(RequestItems={"one": [{"DeleteRequest": {"Key": k1("a0")}}]})
    got = ddb.batch_get_item(RequestItems={
        "one": {"Keys": [k1("a0"), k1("a1"), k1("a2")], "ProjectionExpression": "v"},
        "two": {"Keys": [k2(2)], "ConsistentRead": True}})
    assert sorted(i["v"]["N"] for i in got["Responses"]["one"]) == ["1", "2"]
    assert got["Responses"]["two"] == [{**k2(2), "w": {"S": "x"}}]
    assert got["UnprocessedKeys"] == {}


def test_batch_rules(ddb, tables):
    e = error_of(ddb.batch_write_item, RequestItems={"one": [{"PutRequest": {"Item": k1("a")}},
                                                            {"DeleteRequest": {"Key": k1("a")}}]})
    assert message(e) == "Provided list of item keys contains duplicates"
    e = error_of(ddb.batch_write_item, RequestItems={"one": [{"PutRequest": {"Item": k1(str(i))}}
                                                            for i in range(26)]})
    assert code(e) == "ValidationException"
    assert ddb.scan(TableName="one")["Count"] == 0
    e = error_of(ddb.batch_get_item, RequestItems={"one": {"Keys": [k1("a"), k1("a")]}})
    assert message(e) == "Provided list of item keys contains duplicates"
    e = error_of(ddb.batch_get_item, RequestItems={"one": {"Keys": [k1(str(i)) for i in range(101)]}})
    assert message(e) == "Too many items requested for the BatchGetItem call"
    e = error_of(ddb.batch_get_item, RequestItems={"nope": {"Keys": [k1("a")]}})
    assert code(e) == "ResourceNotFoundException"
    # One bad request refuses the whole batch.
    e = error_of(ddb.batch_write_item, RequestItems={"one": [{"PutRequest": {"Item": k1("ok")}},
                                                            {"PutRequest": {"Item": {"pk": {"N": "1"}}}}]})
    assert code(e) == "ValidationException"
    assert ddb.scan(TableName="one")["Count"] == 0


def test_batch_get_over_16_megabytes_leaves_unprocessed_keys(ddb, tables):
    blob = "x" * (390 * 1024)
    for start in range(0, 50, 25):
        ddb.batch_write_item(RequestItems={"one": [{"PutRequest": {"Item": {**k1(f"b{i:02}"), "v": {"S": blob}}}}
                                                   for i in range(start, start + 25)]})
    keys = [k1(f"b{i:02}") for i in range(50)]
    got = ddb.batch_get_item(RequestItems={"one": {"Keys": keys, "ProjectionExpression": "pk"}})
    n = len(got["Responses"]["one"])
    assert 0 < n < 50
    rest = got["UnprocessedKeys"]["one"]
    assert len(rest["Keys"]) == 50 - n and rest["ProjectionExpression"] == "pk"
    again = ddb.batch_get_item(RequestItems=got["UnprocessedKeys"])
    assert n + len(again["Responses"]["one"]) == 50


def test_transact_write_all_or_nothing(ddb, tables):
    ddb.put_item(TableName="one", Item={**k1("acct"), "balance": {"N": "10"}})
    ddb.put_item(TableName="one", Item=k1("guard"))
    ddb.transact_write_items(TransactItems=[
        {"Update": {"TableName": "one", "Key": k1("acct"), "UpdateExpression": "SET balance = balance - :n",
                    "ConditionExpression": "balance >= :n", "ExpressionAttributeValues": {":n": {"N": "4"}}}},
        {"Put": {"TableName": "two", "Item": {**k2(1), "amount": {"N": "4"}},
                 "ConditionExpression": "attribute_not_exists(id)"}},
        {"ConditionCheck": {"TableName": "one", "Key": k1("guard"), "ConditionExpression": "attribute_exists(pk)"}},
    ])
    assert ddb.get_item(TableName="one", Key=k1("acct"))["Item"]["balance"] == {"N": "6"}
    e = error_of(ddb.transact_write_items, TransactItems=[
        {"Update": {"TableName": "one", "Key": k1("acct"), "UpdateExpression": "SET balance = balance - :n",
                    "ConditionExpression": "balance >= :n", "ExpressionAttributeValues": {":n": {"N": "4"}}}},
        {"Put": {"TableName": "two", "Item": {**k2(1), "amount": {"N": "4"}},
                 "ConditionExpression": "attribute_not_exists(id)", "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
        {"Delete": {"TableName": "one", "Key": k1("other")}},
    ])
    assert code(e) == "TransactionCanceledException"
    assert message(e) == ("Transaction cancelled, please refer cancellation reasons for specific reasons "
                          "[None, ConditionalCheckFailed, None]")
    reasons = e.response["CancellationReasons"]
    assert [r["Code"] for r in reasons] == ["None", "ConditionalCheckFailed", "None"]
    assert reasons[1]["Item"] == {**k2(1), "amount": {"N": "4"}}
    # Nothing of the cancelled transaction was written.
    assert ddb.get_item(TableName="one", Key=k1("acct"))["Item"]["balance"] == {"N": "6"}


def test_transact_write_rules(ddb, tables):
    e = error_of(ddb.transact_write_items, TransactItems=[
        {"Put": {"TableName": "one", "Item": k1("x")}}, {"Delete": {"TableName": "one", "Key": k1("x")}}])
    assert message(e) == "Transaction request cannot include multiple operations on one item"
    e = error_of(ddb.transact_write_items, TransactItems=[
        {"Put": {"TableName": "one", "Item": k1(str(i))}} for i in range(101)])
    assert code(e) == "ValidationException"
    e = error_of(ddb.transact_write_items, TransactItems=[{"Put": {"TableName": "nope", "Item": k1("x")}}])
    assert code(e) == "ResourceNotFoundException"


def test_client_request_token_is_idempotent_for_ten_minutes(ddb, nubis, tables):
    items = [{"Update": {"TableName": "one", "Key": k1("ctr"), "UpdateExpression": "ADD n :one",
                         "ExpressionAttributeValues": {":one": {"N": "1"}}}}]
    ddb.transact_write_items(TransactItems=items, ClientRequestToken="tok-1")
    ddb.transact_write_items(TransactItems=items, ClientRequestToken="tok-1")
    assert ddb.get_item(TableName="one", Key=k1("ctr"))["Item"]["n"] == {"N": "1"}
    other = [{"Put": {"TableName": "one", "Item": k1("different")}}]
    e = error_of(ddb.transact_write_items, TransactItems=other, ClientRequestToken="tok-1")
    assert code(e) == "IdempotentParameterMismatchException"
    nubis.advance(601)
    ddb.transact_write_items(TransactItems=items, ClientRequestToken="tok-1")
    assert ddb.get_item(TableName="one", Key=k1("ctr"))["Item"]["n"] == {"N": "2"}


def test_transact_get(ddb, tables):
    ddb.put_item(TableName="one", Item={**k1("a"), "v": {"S": "1"}, "w": {"S": "2"}})
    out = ddb.transact_get_items(TransactItems=[
        {"Get": {"TableName": "one", "Key": k1("a"), "ProjectionExpression": "#v", "ExpressionAttributeNames": {"#v": "v"}}},
        {"Get": {"TableName": "two", "Key": k2(9)}}], ReturnConsumedCapacity="TOTAL")
    assert out["Responses"] == [{"Item": {"v": {"S": "1"}}}, {}]
    assert {c["TableName"]: c["CapacityUnits"] for c in out["ConsumedCapacity"]} == {"one": 2.0, "two": 2.0}


def test_transaction_update_of_the_wrong_type_is_a_validation_error_reason(ddb, tables):
    ddb.put_item(TableName="one", Item={**k1("s"), "a": {"S": "text"}, "b": {"B": b"\x01\x02"}})
    e = error_of(ddb.transact_write_items, TransactItems=[
        {"Put": {"TableName": "two", "Item": k2(5)}},
        {"Update": {"TableName": "one", "Key": k1("s"), "UpdateExpression": "SET a = a + :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}}}}])
    assert code(e) == "TransactionCanceledException"
    assert [r["Code"] for r in e.response["CancellationReasons"]] == ["None", "ValidationError"]
    assert "Item" not in ddb.get_item(TableName="two", Key=k2(5))
    # The old item in a cancellation reason keeps its binary values.
    e = error_of(ddb.transact_write_items, TransactItems=[
        {"ConditionCheck": {"TableName": "one", "Key": k1("s"), "ConditionExpression": "attribute_not_exists(b)",
                            "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}}])
    assert e.response["CancellationReasons"][0]["Item"]["b"] == {"B": b"\x01\x02"}


def test_resource_batch_writer_and_batch_get(resource, tables):
    t = resource.Table("one")
    with t.batch_writer(overwrite_by_pkeys=["pk"]) as batch:
        for i in range(60):
            batch.put_item(Item={"pk": f"w{i:02}", "n": i})
        batch.put_item(Item={"pk": "w00", "n": 100})     # overwrites the first in the same buffer
        batch.delete_item(Key={"pk": "w59"})
    assert t.scan(Select="COUNT")["Count"] == 59
    got = resource.batch_get_item(RequestItems={"one": {"Keys": [{"pk": "w00"}, {"pk": "w01"}, {"pk": "w59"}]}})
    assert sorted(int(i["n"]) for i in got["Responses"]["one"]) == [1, 100]
