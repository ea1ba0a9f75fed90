"""DynamoDB fine-grained access (developer guide, "Using IAM policy conditions for
fine-grained access control"): dynamodb:LeadingKeys keeps a user to their own
rows, dynamodb:Attributes to some attributes, dynamodb:Select and
dynamodb:ReturnValues to some answers."""
from __future__ import annotations

import pytest

from .conftest import OWNER, error_of
from .test_service_authorizers import as_user, user  # noqa: F401  (fixture)

TABLE = f"arn:aws:dynamodb:us-east-1:{OWNER}:table/GameScores"
ITEM_ACTIONS = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:PutItem",
                "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"]


def own_rows(**more_conditions) -> dict:
    return {"Effect": "Allow", "Action": ITEM_ACTIONS, "Resource": [TABLE, TABLE + "/index/*"],
            "Condition": {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["${aws:username}"]},
                          **more_conditions}}


@pytest.fixture
def ddb(client):
    d = client("dynamodb")
    d.create_table(TableName="GameScores",
                   KeySchema=[{"AttributeName": "UserId", "KeyType": "HASH"},
                              {"AttributeName": "GameTitle", "KeyType": "RANGE"}],
                   AttributeDefinitions=[{"AttributeName": "UserId", "AttributeType": "S"},
                                         {"AttributeName": "GameTitle", "AttributeType": "S"}],
                   BillingMode="PAY_PER_REQUEST")
    for who in ("alice", "bob"):
        d.put_item(TableName="GameScores", Item={"UserId": {"S": who}, "GameTitle": {"S": "Chess"},
                                                 "TopScore": {"N": "10"}, "Secret": {"S": "x"}})
    return d


def key(who: str) -> dict:
    return {"UserId": {"S": who}, "GameTitle": {"S": "Chess"}}


def test_a_user_reads_and_writes_only_their_own_rows(client, ddb, user):
    alice = as_user(client, "dynamodb", user("alice", own_rows()))
    assert alice.get_item(TableName="GameScores", Key=key("alice"))["Item"]["UserId"] == {"S": "alice"}
    e = error_of(alice.get_item, TableName="GameScores", Key=key("bob"))
    assert (e["Code"], e["Status"]) == ("AccessDeniedException", 400)
    assert e["Message"] == (f"User: arn:aws:iam::{OWNER}:user/alice is not authorized to perform: dynamodb:GetItem "
                            f"on resource: {TABLE} because no identity-based policy allows the dynamodb:GetItem "
                            "action")
    alice.put_item(TableName="GameScores", Item={**key("alice"), "TopScore": {"N": "99"}})
    assert error_of(alice.put_item, TableName="GameScores", Item={**key("bob"), "TopScore": {"N": "0"}})[
        "Code"] == "AccessDeniedException"
    alice.update_item(TableName="GameScores", Key=key("alice"), UpdateExpression="SET TopScore = :s",
                      ExpressionAttributeValues={":s": {"N": "100"}})
    assert error_of(alice.delete_item, TableName="GameScores", Key=key("bob"))["Code"] == "AccessDeniedException"
    assert ddb.get_item(TableName="GameScores", Key=key("bob"))["Item"]["TopScore"] == {"N": "10"}


def test_query_and_batches_by_partition_key(client, ddb, user):
    alice = as_user(client, "dynamodb", user("alice", own_rows()))
    mine = alice.query(TableName="GameScores", KeyConditionExpression="#u = :u",
                       ExpressionAttributeNames={"#u": "UserId"}, ExpressionAttributeValues={":u": {"S": "alice"}})
    assert mine["Count"] == 1
    e = error_of(alice.query, TableName="GameScores", KeyConditionExpression="UserId = :u AND GameTitle = :g",
                 ExpressionAttributeValues={":u": {"S": "bob"}, ":g": {"S": "Chess"}})
    assert "dynamodb:Query" in e["Message"]
    alice.batch_get_item(RequestItems={"GameScores": {"Keys": [key("alice")]}})
    # Every key of a batch must be the user's.
    assert error_of(alice.batch_get_item, RequestItems={"GameScores": {"Keys": [key("alice"), key("bob")]}})[
        "Code"] == "AccessDeniedException"
    assert error_of(alice.batch_write_item, RequestItems={"GameScores": [
        {"PutRequest": {"Item": key("alice")}}, {"DeleteRequest": {"Key": key("bob")}}]})[
        "Code"] == "AccessDeniedException"
    # A scan names no partition key: this policy does not allow dynamodb:Scan at all.
    assert error_of(alice.scan, TableName="GameScores")["Code"] == "AccessDeniedException"


def test_attributes_and_select(client, ddb, user):
    policy = own_rows(**{"ForAllValues:StringEquals": {
        "dynamodb:LeadingKeys": ["${aws:username}"],
        "dynamodb:Attributes": ["UserId", "GameTitle", "TopScore"]},
        "StringEqualsIfExists": {"dynamodb:Select": "SPECIFIC_ATTRIBUTES", "dynamodb:ReturnValues": "NONE"}})
    alice = as_user(client, "dynamodb", user("alice", policy))
    got = alice.get_item(TableName="GameScores", Key=key("alice"), ProjectionExpression="UserId, TopScore")
    assert got["Item"] == {"UserId": {"S": "alice"}, "TopScore": {"N": "10"}}
    e = error_of(alice.get_item, TableName="GameScores", Key=key("alice"), ProjectionExpression="Secret")
    assert e["Code"] == "AccessDeniedException"
    assert error_of(alice.query, TableName="GameScores", KeyConditionExpression="UserId = :u",
                    ExpressionAttributeValues={":u": {"S": "alice"}}, Select="ALL_ATTRIBUTES")[
        "Code"] == "AccessDeniedException"
    alice.query(TableName="GameScores", KeyConditionExpression="UserId = :u",
                ExpressionAttributeValues={":u": {"S": "alice"}}, Select="SPECIFIC_ATTRIBUTES",
                ProjectionExpression="TopScore")
    assert error_of(alice.put_item, TableName="GameScores", Item={**key("alice"), "TopScore": {"N": "1"}},
                    ReturnValues="ALL_OLD")["Code"] == "AccessDeniedException"
    assert error_of(alice.put_item, TableName="GameScores", Item={**key("alice"), "Secret": {"S": "y"}})[
        "Code"] == "AccessDeniedException"
    alice.put_item(TableName="GameScores", Item={**key("alice"), "TopScore": {"N": "1"}}, ReturnValues="NONE")


def test_a_transaction_item_for_another_user_is_refused(client, ddb, user):
    alice = as_user(client, "dynamodb", user("alice", own_rows(), {
        "Effect": "Allow", "Action": "dynamodb:ConditionCheckItem", "Resource": TABLE,
        "Condition": {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["${aws:username}"]}}}))
    alice.transact_write_items(TransactItems=[{"Put": {"TableName": "GameScores", "Item": key("alice")}}])
    e = error_of(alice.transact_write_items, TransactItems=[
        {"Put": {"TableName": "GameScores", "Item": key("alice")}},
        {"ConditionCheck": {"TableName": "GameScores", "Key": key("bob"),
                            "ConditionExpression": "attribute_exists(UserId)"}}])
    assert "dynamodb:ConditionCheckItem" in e["Message"]
