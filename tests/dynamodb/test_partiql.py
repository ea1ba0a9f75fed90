"""PartiQL: ExecuteStatement (SELECT, INSERT, UPDATE, DELETE, parameters, paging),
BatchExecuteStatement and ExecuteTransaction, with DynamoDB's errors."""
from __future__ import annotations

import pytest

from nubis.testing.fixtures import frozen_clock  # noqa: F401  (the clock stands still between advances)

from .conftest import code, error_of, message


@pytest.fixture
def music(ddb, make_table):
    make_table("Music", hash=("Artist", "S"), range=("Song", "S"), attributes=[("Year", "N")],
               GlobalSecondaryIndexes=[{"IndexName": "by-year",
                                        "KeySchema": [{"AttributeName": "Year", "KeyType": "HASH"}],
                                        "Projection": {"ProjectionType": "ALL"}}])
    for artist, song, year, tags in [("Acme", "Alpha", 2001, ["rock"]), ("Acme", "Beta", 2003, ["pop", "rock"]),
                                     ("Acme", "Gamma", 2001, []), ("Zed", "Omega", 1999, ["jazz"])]:
        item = {"Artist": {"S": artist}, "Song": {"S": song}, "Year": {"N": str(year)},
                "Info": {"M": {"plays": {"N": "10"}}}}
        if tags:
            item["Tags"] = {"SS": tags}
        ddb.put_item(TableName="Music", Item=item)
    return "Music"


def songs(out):
    return [i["Song"]["S"] for i in out["Items"]]


def test_select_by_key_and_filters(ddb, music):
    out = ddb.execute_statement(Statement="SELECT * FROM Music WHERE Artist = 'Acme'")
    assert songs(out) == ["Alpha", "Beta", "Gamma"]
    out = ddb.execute_statement(Statement="SELECT * FROM \"Music\" WHERE Artist = ? AND Song > ? ORDER BY Song DESC",
                                Parameters=[{"S": "Acme"}, {"S": "Alpha"}])
    assert songs(out) == ["Gamma", "Beta"]
    out = ddb.execute_statement(Statement="SELECT Song, Info.plays FROM Music WHERE Artist='Acme' AND Year = 2001")
    assert out["Items"] == [{"Song": {"S": "Alpha"}, "Info": {"M": {"plays": {"N": "10"}}}},
                            {"Song": {"S": "Gamma"}, "Info": {"M": {"plays": {"N": "10"}}}}]
    out = ddb.execute_statement(Statement="SELECT * FROM Music WHERE contains(Tags, 'rock') AND begins_with(Song, 'B')")
    assert songs(out) == ["Beta"]
    out = ddb.execute_statement(Statement="SELECT * FROM Music WHERE Tags IS MISSING")
    assert songs(out) == ["Gamma"]
    out = ddb.execute_statement(Statement="SELECT * FROM Music WHERE Year IN [1999, 2003] OR Song = 'Gamma'")
    assert sorted(songs(out)) == ["Beta", "Gamma", "Omega"]
    out = ddb.execute_statement(Statement="SELECT * FROM Music.\"by-year\" WHERE \"Year\" = 2001")
    assert sorted(songs(out)) == ["Alpha", "Gamma"]
    out = ddb.execute_statement(Statement="SELECT Song FROM Music WHERE Year BETWEEN 2000 AND 2002 AND NOT Song = 'Alpha'")
    assert out["Items"] == [{"Song": {"S": "Gamma"}}]


def test_select_pages_with_limit_and_next_token(ddb, music):
    seen, token = [], None
    while True:
        kwargs = {"NextToken": token} if token else {}
        out = ddb.execute_statement(Statement="SELECT Song FROM Music", Limit=1, ConsistentRead=True, **kwargs)
        seen += songs(out)
        token = out.get("NextToken")
        if not token:
            break
    assert sorted(seen) == ["Alpha", "Beta", "Gamma", "Omega"]


def test_insert_update_delete(ddb, music):
    out = ddb.execute_statement(Statement="INSERT INTO Music VALUE {'Artist': 'New', 'Song': ?, 'Year': 2024, "
                                          "'Meta': {'tags': <<'a', 'b'>>, 'l': [1, 'x', true, null]}}",
                                Parameters=[{"S": "First"}])
    assert out["Items"] == []
    item = ddb.get_item(TableName="Music", Key={"Artist": {"S": "New"}, "Song": {"S": "First"}})["Item"]
    assert item["Year"] == {"N": "2024"}
    assert item["Meta"]["M"]["l"] == {"L": [{"N": "1"}, {"S": "x"}, {"BOOL": True}, {"NULL": True}]}
    assert sorted(item["Meta"]["M"]["tags"]["SS"]) == ["a", "b"]
    e = error_of(ddb.execute_statement, Statement="INSERT INTO Music VALUE {'Artist': 'New', 'Song': 'First'}")
    assert code(e) == "DuplicateItemException" and message(e) == "Duplicate primary key exists in table"

    out = ddb.execute_statement(Statement="UPDATE Music SET Year = Year + 1 SET Note = 'x' REMOVE Meta "
                                          "WHERE Artist = 'New' AND Song = 'First' RETURNING ALL NEW *")
    assert out["Items"][0]["Year"] == {"N": "2025"} and "Meta" not in out["Items"][0]
    ddb.execute_statement(Statement="UPDATE Music SET Tags = set_add(Tags, <<'blues'>>) "
                                    "WHERE Artist = 'Zed' AND Song = 'Omega'")
    got = ddb.get_item(TableName="Music", Key={"Artist": {"S": "Zed"}, "Song": {"S": "Omega"}})["Item"]
    assert sorted(got["Tags"]["SS"]) == ["blues", "jazz"]
    e = error_of(ddb.execute_statement, Statement="UPDATE Music SET Year = 1 WHERE Artist = 'Nobody' AND Song = 'x'")
    assert code(e) == "ConditionalCheckFailedException"
    e = error_of(ddb.execute_statement, Statement="UPDATE Music SET Year = 1 WHERE Artist = 'Acme' AND Song = 'Alpha' "
                                                  "AND Year = 1900")
    assert code(e) == "ConditionalCheckFailedException"
    e = error_of(ddb.execute_statement, Statement="UPDATE Music SET Year = 1 WHERE Artist = 'Acme'")
    assert code(e) == "ValidationException" and "key attributes" in message(e)

    out = ddb.execute_statement(Statement="DELETE FROM Music WHERE Artist = 'New' AND Song = 'First' "
                                          "RETURNING ALL OLD *")
    assert out["Items"][0]["Note"] == {"S": "x"}
    assert "Item" not in ddb.get_item(TableName="Music", Key={"Artist": {"S": "New"}, "Song": {"S": "First"}})
    e = error_of(ddb.execute_statement, Statement="DELETE FROM Music WHERE Artist = 'Acme' AND Song = 'Beta' "
                                                  "AND Year = 1")
    assert code(e) == "ConditionalCheckFailedException"
    # An absent item is no failure (the developer guide): nothing is deleted.
    assert ddb.execute_statement(Statement="DELETE FROM Music WHERE Artist = 'Nobody' AND Song = 'x' "
                                           "AND Year = 1")["Items"] == []


def test_malformed_statements_and_errors(ddb, music):
    for bad in ["SELEC * FROM Music", "SELECT * FROM", "SELECT * FROM Music WHERE", "INSERT INTO Music VALUES {'a': 1}",
                "SELECT * FROM Music WHERE Artist = 'x' garbage"]:
        e = error_of(ddb.execute_statement, Statement=bad)
        assert code(e) == "ValidationException"
        assert message(e).startswith("Statement wasn't well formed, can't be processed"), bad
    e = error_of(ddb.execute_statement, Statement="SELECT * FROM Music WHERE Artist = ?")
    assert code(e) == "ValidationException" and "parameters" in message(e)
    e = error_of(ddb.execute_statement, Statement="SELECT * FROM Music ORDER BY Song")
    assert code(e) == "ValidationException"
    e = error_of(ddb.execute_statement, Statement="SELECT * FROM Music", NextToken="AAAA")
    assert code(e) == "ValidationException"
    e = error_of(ddb.execute_statement, Statement="SELECT * FROM NoSuchTable")
    assert code(e) == "ResourceNotFoundException"


def test_batch_execute_statement(ddb, music):
    out = ddb.batch_execute_statement(Statements=[
        {"Statement": "SELECT Song FROM Music WHERE Artist = ? AND Song = ?", "Parameters": [{"S": "Acme"}, {"S": "Beta"}]},
        {"Statement": "SELECT * FROM Music WHERE Artist = 'Acme' AND Song = 'Nope'"},
        {"Statement": "SELECT * FROM Music WHERE Artist = 'Acme'"},
    ])["Responses"]
    assert out[0] == {"TableName": "Music", "Item": {"Song": {"S": "Beta"}}}
    assert out[1] == {"TableName": "Music"}
    assert out[2]["Error"]["Code"] == "ValidationError"
    out = ddb.batch_execute_statement(Statements=[
        {"Statement": "INSERT INTO Music VALUE {'Artist': 'B', 'Song': 'One'}"},
        {"Statement": "INSERT INTO Music VALUE {'Artist': 'Acme', 'Song': 'Alpha'}"},
        {"Statement": "UPDATE Music SET Year = 5 WHERE Artist = 'Zed' AND Song = 'Omega'"},
    ])["Responses"]
    assert "Error" not in out[0] and out[1]["Error"]["Code"] == "DuplicateItem" and "Error" not in out[2]
    assert ddb.get_item(TableName="Music", Key={"Artist": {"S": "B"}, "Song": {"S": "One"}})["Item"]


def test_execute_transaction_is_atomic(ddb, music):
    ddb.execute_transaction(TransactStatements=[
        {"Statement": "INSERT INTO Music VALUE {'Artist': 'T', 'Song': 'One'}"},
        {"Statement": "UPDATE Music SET Year = 2002 WHERE Artist = 'Acme' AND Song = 'Alpha'"},
        {"Statement": "DELETE FROM Music WHERE Artist = 'Zed' AND Song = 'Omega'"},
    ], ClientRequestToken="tok-1")
    got = ddb.execute_transaction(TransactStatements=[
        {"Statement": "SELECT Year FROM Music WHERE Artist = 'Acme' AND Song = 'Alpha'"},
        {"Statement": "SELECT * FROM Music WHERE Artist = ? AND Song = ?", "Parameters": [{"S": "Zed"}, {"S": "Omega"}]},
    ])["Responses"]
    assert got == [{"Item": {"Year": {"N": "2002"}}}, {}]
    e = error_of(ddb.execute_transaction, TransactStatements=[
        {"Statement": "UPDATE Music SET Year = 1 WHERE Artist = 'Acme' AND Song = 'Beta'"},
        {"Statement": "INSERT INTO Music VALUE {'Artist': 'T', 'Song': 'One'}"},
    ])
    assert code(e) == "TransactionCanceledException"
    assert [r["Code"] for r in e.response["CancellationReasons"]] == ["None", "DuplicateItem"]
    year = ddb.get_item(TableName="Music", Key={"Artist": {"S": "Acme"}, "Song": {"S": "Beta"}})["Item"]["Year"]
    assert year == {"N": "2003"}


def test_exists_checks_in_a_transaction(ddb, music):
    update = {"Statement": "UPDATE Music SET Checked = true WHERE Artist = 'Zed' AND Song = 'Omega'"}
    e = error_of(ddb.execute_transaction, TransactStatements=[
        {"Statement": "EXISTS(SELECT * FROM Music WHERE Artist = 'Acme' AND Song = 'Alpha' AND Year = 1990)"}, update])
    assert code(e) == "TransactionCanceledException"
    assert [r["Code"] for r in e.response["CancellationReasons"]] == ["ConditionalCheckFailed", "None"]
    ddb.execute_transaction(TransactStatements=[
        {"Statement": "EXISTS(SELECT * FROM Music WHERE Artist = ? AND Song = 'Alpha' AND Tags IS NOT MISSING)",
         "Parameters": [{"S": "Acme"}]},
        {"Statement": "NOT EXISTS(SELECT * FROM Music WHERE Artist = 'Acme' AND Song = 'Nope')"}, update])
    item = ddb.get_item(TableName="Music", Key={"Artist": {"S": "Zed"}, "Song": {"S": "Omega"}})["Item"]
    assert item["Checked"] == {"BOOL": True}
    e = error_of(ddb.execute_statement, Statement="EXISTS(SELECT * FROM Music WHERE Artist = 'Acme' AND Song = 'A')")
    assert code(e) == "ValidationException"
