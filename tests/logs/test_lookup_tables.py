"""Lookup tables: CSV stored, described, replaced and deleted."""
from .conftest import code, error_of

CSV = "user_id,name,team\n1,ann,web\n2,bob,data\n"


def test_lookup_table_lifecycle(logs, now_ms):
    out = logs.create_lookup_table(lookupTableName="users", tableBody=CSV, description="people", tags={"k": "v"})
    arn = out["lookupTableArn"]
    assert arn == "arn:aws:logs:us-east-1:000000000000:lookup-table:users" and out["createdAt"] == now_ms()
    got = logs.get_lookup_table(lookupTableArn=arn)
    assert (got["tableBody"], got["description"], got["sizeBytes"]) == (CSV, "people", len(CSV))
    logs.create_lookup_table(lookupTableName="teams", tableBody="team\nweb\n")
    [t] = logs.describe_lookup_tables(lookupTableNamePrefix="us")["lookupTables"]
    assert (t["tableFields"], t["recordsCount"]) == (["user_id", "name", "team"], 2)
    page = logs.describe_lookup_tables(maxResults=1)
    assert [x["lookupTableName"] for x in page["lookupTables"]] == ["teams"]
    assert [x["lookupTableName"] for x in logs.describe_lookup_tables(
        maxResults=1, nextToken=page["nextToken"])["lookupTables"]] == ["users"]
    logs.update_lookup_table(lookupTableArn=arn, tableBody="user_id,name\n3,cy\n")
    got = logs.get_lookup_table(lookupTableArn=arn)
    assert got["tableBody"] == "user_id,name\n3,cy\n" and got["description"] == "people"
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"k": "v"}
    assert code(error_of(logs.create_lookup_table, lookupTableName="users", tableBody=CSV)) == \
        "ResourceAlreadyExistsException"
    logs.delete_lookup_table(lookupTableArn=arn)
    assert code(error_of(logs.get_lookup_table, lookupTableArn=arn)) == "ResourceNotFoundException"
    assert code(error_of(logs.delete_lookup_table, lookupTableArn=arn)) == "ResourceNotFoundException"


def test_lookup_table_input_is_checked(logs):
    assert code(error_of(logs.create_lookup_table, lookupTableName="bad-name", tableBody=CSV)) == \
        "ValidationException"
    assert code(error_of(logs.create_lookup_table, lookupTableName="dup", tableBody="a,a\n1,2\n")) == \
        "InvalidParameterException"
    assert code(error_of(logs.create_lookup_table, lookupTableName="empty", tableBody="\n\n")) == \
        "InvalidParameterException"
    assert code(error_of(logs.get_lookup_table, lookupTableArn="not-an-arn")) == "InvalidParameterException"
