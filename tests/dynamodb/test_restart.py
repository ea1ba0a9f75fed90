"""Tables, items, index entries, tags, TTL and transaction tokens survive SIGTERM and kill -9."""
from __future__ import annotations


def test_tables_and_items_survive_restarts(server_process, tmp_path):
    data = str(tmp_path / "data")
    server = server_process("--data-dir", data)
    ddb = server.client("dynamodb")
    ddb.create_table(
        TableName="durable", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"},
                              {"AttributeName": "g", "AttributeType": "S"}],
        GlobalSecondaryIndexes=[{"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "ALL"}}],
        Tags=[{"Key": "team", "Value": "a"}])
    for i in range(5):
        ddb.put_item(TableName="durable", Item={"pk": {"S": "p"}, "sk": {"N": str(i)}, "g": {"S": "red"},
                                                "b": {"B": bytes([i])}})
    ddb.update_time_to_live(TableName="durable", TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    assert server.terminate() == 0

    server = server_process("--data-dir", data)
    ddb = server.client("dynamodb")
    table = ddb.describe_table(TableName="durable")["Table"]
    assert table["ItemCount"] == 5 and table["GlobalSecondaryIndexes"][0]["IndexName"] == "by-g"
    assert ddb.list_tags_of_resource(ResourceArn=table["TableArn"])["Tags"] == [{"Key": "team", "Value": "a"}]
    assert ddb.describe_time_to_live(TableName="durable")["TimeToLiveDescription"]["TimeToLiveStatus"] == "ENABLED"
    got = ddb.query(TableName="durable", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p"}},
                    ScanIndexForward=False)
    assert [i["b"]["B"] for i in got["Items"]] == [bytes([i]) for i in range(4, -1, -1)]
    ddb.transact_write_items(ClientRequestToken="once", TransactItems=[
        {"Update": {"TableName": "durable", "Key": {"pk": {"S": "p"}, "sk": {"N": "0"}},
                    "UpdateExpression": "ADD n :one", "ExpressionAttributeValues": {":one": {"N": "1"}}}}])
    ddb.delete_item(TableName="durable", Key={"pk": {"S": "p"}, "sk": {"N": "4"}})
    server.kill9()

    server = server_process("--data-dir", data)
    ddb = server.client("dynamodb")
    assert "Item" not in ddb.get_item(TableName="durable", Key={"pk": {"S": "p"}, "sk": {"N": "4"}})
    # The token is remembered: a retry after the crash does not apply the update twice.
    ddb.transact_write_items(ClientRequestToken="once", TransactItems=[
        {"Update": {"TableName": "durable", "Key": {"pk": {"S": "p"}, "sk": {"N": "0"}},
                    "UpdateExpression": "ADD n :one", "ExpressionAttributeValues": {":one": {"N": "1"}}}}])
    item = ddb.get_item(TableName="durable", Key={"pk": {"S": "p"}, "sk": {"N": "0"}})["Item"]
    assert item["n"] == {"N": "1"}
    red = ddb.query(TableName="durable", IndexName="by-g", KeyConditionExpression="g = :g",
                    ExpressionAttributeValues={":g": {"S": "red"}})
    assert red["Count"] == 4
