"""Items are kept as their DynamoDB JSON; the CBOR rows of earlier versions still read,
and are converted when the new version first starts."""
from __future__ import annotations

import os
import sqlite3

import cbor2

from nubis.services.dynamodb.store import MIGRATIONS, decode

ITEMS = [
    {"pk": {"S": "p"}, "sk": {"N": "1"}, "b": {"B": b"\x00\xff"}, "bs": {"BS": [b"a", b"\x01"]},
     "m": {"M": {"inner": {"B": b"x"}, "l": {"L": [{"B": b"y"}, {"N": "1.5"}, {"NULL": True}]}}},
     "n": {"N": "-12.5"}, "ns": {"NS": ["1", "2"]}, "ss": {"SS": ["a", "é"]}, "t": {"BOOL": False},
     "text": {"S": "naïve ☃ \"quoted\" \\ /"}},
    {"pk": {"S": "p"}, "sk": {"N": "2"}, "B": {"S": "an attribute named B"}, "e": {"L": []}, "z": {"M": {}}},
    {"pk": {"S": "p"}, "sk": {"N": "3"}, "d": {"S": "d" * 2000}},
]


def _create(ddb):
    ddb.create_table(TableName="kept", BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                           {"AttributeName": "sk", "AttributeType": "N"}])
    for item in ITEMS:
        ddb.put_item(TableName="kept", Item=item)


def _reads(ddb) -> dict:
    """What GetItem, Query (whole pages and cut ones), Scan and projections answer."""
    def key(i):
        return {"pk": {"S": "p"}, "sk": {"N": str(i)}}
    q = {"TableName": "kept", "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "p"}}}
    out = {
        "get": [ddb.get_item(TableName="kept", Key=key(i), ReturnConsumedCapacity="TOTAL") for i in (1, 2, 3)],
        "query": ddb.query(**q, ReturnConsumedCapacity="TOTAL"),
        "back": ddb.query(**q, ScanIndexForward=False, Limit=2),
        "scan": ddb.scan(TableName="kept", Limit=2),
        "projected": ddb.get_item(TableName="kept", Key=key(1), ProjectionExpression="m.l[0], bs"),
        "filtered": ddb.query(**{**q, "ExpressionAttributeValues": {":p": {"S": "p"}, ":b": {"B": b"\x00\xff"}}},
                              FilterExpression="b = :b"),
        "batch": ddb.batch_get_item(RequestItems={"kept": {"Keys": [key(1), key(2)]}})["Responses"]["kept"],
        "partiql": ddb.execute_statement(Statement='SELECT * FROM "kept" WHERE pk = \'p\'')["Items"],
    }
    for answer in [out["query"], out["back"], out["scan"], out["filtered"], *out["get"], out["projected"]]:
        answer.pop("ResponseMetadata")
    out["batch"].sort(key=lambda i: i["sk"]["N"])
    return out


def test_items_read_back_as_written(ddb):
    _create(ddb)
    got = _reads(ddb)
    assert [g["Item"] for g in got["get"]] == ITEMS
    assert got["get"][2]["ConsumedCapacity"]["CapacityUnits"] == 0.5
    assert got["query"]["Items"] == ITEMS and got["query"]["Count"] == 3
    assert "LastEvaluatedKey" not in got["query"]
    assert got["back"]["Items"] == ITEMS[:0:-1]
    assert got["back"]["LastEvaluatedKey"] == {"pk": {"S": "p"}, "sk": {"N": "2"}}
    assert got["scan"]["Items"] == ITEMS[:2] and got["scan"]["LastEvaluatedKey"] == {"pk": {"S": "p"}, "sk": {"N": "2"}}
    assert got["projected"]["Item"] == {"m": {"M": {"l": {"L": [{"B": b"y"}]}}}, "bs": {"BS": [b"a", b"\x01"]}}
    assert got["filtered"]["Items"] == ITEMS[:1] and got["filtered"]["ScannedCount"] == 3
    assert got["batch"] == ITEMS[:2]
    assert sorted(got["partiql"], key=lambda i: i["sk"]["N"]) == ITEMS


def _database(data: str) -> sqlite3.Connection:
    return sqlite3.connect(os.path.join(data, "nubis.db"))


def _bodies(db: sqlite3.Connection) -> list[bytes]:
    return [r[0] for r in db.execute("SELECT body FROM dynamodb_items ORDER BY rk")]


def test_rows_of_an_earlier_version_read_back_and_are_converted(server_process, tmp_path):
    data = str(tmp_path / "data")
    server = server_process("--data-dir", data)
    _create(server.client("dynamodb"))
    expected = _reads(server.client("dynamodb"))
    assert server.terminate() == 0

    # The database as the version before left it: CBOR bodies, the conversion's migration not applied.
    db = _database(data)
    with db:
        for (rk, body) in db.execute("SELECT rk, body FROM dynamodb_items").fetchall():
            db.execute("UPDATE dynamodb_items SET body = ? WHERE rk = ?", (cbor2.dumps(decode(body)), rk))
        db.execute("DROP TABLE dynamodb_cbor_items")
        db.execute("DELETE FROM nubis_tables WHERE name = 'dynamodb_cbor_items'")
        db.execute("UPDATE nubis_schema SET version = ? WHERE service = 'dynamodb'", (len(MIGRATIONS) - 1,))
    assert all(body[:1] != b"{" for body in _bodies(db))
    db.close()

    server = server_process("--data-dir", data)
    assert _reads(server.client("dynamodb")) == expected
    db = _database(data)
    assert [decode(body) for body in _bodies(db)] == ITEMS
    assert all(body[:1] == b"{" for body in _bodies(db))
    db.close()


def test_a_cbor_row_written_after_the_conversion_still_reads(server_process, tmp_path):
    # A restore of a backup taken by an earlier version copies CBOR bodies back in.
    data = str(tmp_path / "data")
    server = server_process("--data-dir", data)
    _create(server.client("dynamodb"))
    expected = _reads(server.client("dynamodb"))
    assert server.terminate() == 0
    db = _database(data)
    with db:
        for (rk, body) in db.execute("SELECT rk, body FROM dynamodb_items").fetchall():
            db.execute("UPDATE dynamodb_items SET body = ? WHERE rk = ?", (cbor2.dumps(decode(body)), rk))
    db.close()
    server = server_process("--data-dir", data)
    assert _reads(server.client("dynamodb")) == expected
