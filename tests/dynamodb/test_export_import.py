"""Export to S3 (the documented layout, read back) and import from S3 (DynamoDB JSON, Ion, CSV)."""
from __future__ import annotations

import datetime as dt
import gzip
import json

import pytest

from nubis.testing.fixtures import frozen_clock  # noqa: F401  (the clock stands still between advances)

from .conftest import code, error_of


@pytest.fixture
def s3(aws_client):
    client = aws_client("s3")
    client.create_bucket(Bucket="exports")
    return client


ITEMS = [
    {"pk": {"S": "a"}, "sk": {"N": "1"}, "n": {"N": "1.5"}, "b": {"B": b"\x00\xff"}, "ok": {"BOOL": True},
     "nothing": {"NULL": True}, "ss": {"SS": ["x", "y"]}, "ns": {"NS": ["1", "2.5"]}, "bs": {"BS": [b"\x01"]},
     "l": {"L": [{"S": "q\"uote"}, {"N": "-3e2"}]}, "m": {"M": {"inner key": {"S": "é"}, "true": {"N": "0"}}}},
    {"pk": {"S": "a"}, "sk": {"N": "2"}, "g": {"S": "red"}},
    {"pk": {"S": "b"}, "sk": {"N": "1"}, "g": {"S": "blue"}},
]


def _source(ddb, make_table):
    make_table("src", hash=("pk", "S"), range=("sk", "N"))
    ddb.update_continuous_backups(TableName="src", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    for item in ITEMS:
        ddb.put_item(TableName="src", Item=item)
    return ddb.describe_table(TableName="src")["Table"]["TableArn"]


def _all(ddb, name):
    return sorted(ddb.scan(TableName=name)["Items"], key=lambda i: (i["pk"]["S"], i["sk"]["N"]))


def _canonical(items):
    return json.loads(json.dumps(items, default=lambda b: b.hex(), sort_keys=True))


def _creation(name):
    return {"TableName": name, "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                     {"AttributeName": "sk", "AttributeType": "N"}]}


@pytest.mark.parametrize("fmt", ["DYNAMODB_JSON", "ION"])
def test_export_layout_and_reimport(ddb, s3, make_table, nubis, fmt):
    arn = _source(ddb, make_table)
    nubis.advance(10)
    described = ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket="exports", S3Prefix="backups/2026",
                                                  ExportFormat=fmt)["ExportDescription"]
    assert described["ExportStatus"] == "IN_PROGRESS"
    export_arn = described["ExportArn"]
    export_id = export_arn.split("/")[-1]
    done = ddb.describe_export(ExportArn=export_arn)["ExportDescription"]
    assert done["ExportStatus"] == "COMPLETED" and done["ItemCount"] == 3 and done["ExportFormat"] == fmt
    base = f"backups/2026/AWSDynamoDB/{export_id}/"
    assert done["ExportManifest"] == base + "manifest-summary.json"
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="exports", Prefix=base)["Contents"]}
    assert {base + n for n in ("_started", "manifest-summary.json", "manifest-files.json",
                               "manifest-summary.checksum", "manifest-files.checksum")} <= keys
    summary = json.loads(s3.get_object(Bucket="exports", Key=base + "manifest-summary.json")["Body"].read())
    assert summary["exportArn"] == export_arn and summary["itemCount"] == 3 and summary["outputFormat"] == fmt
    assert summary["manifestFilesS3Key"] == base + "manifest-files.json"
    files = [json.loads(line) for line in
             s3.get_object(Bucket="exports", Key=base + "manifest-files.json")["Body"].read().splitlines()]
    suffix = ".json.gz" if fmt == "DYNAMODB_JSON" else ".ion.gz"
    assert all(f["dataFileS3Key"].startswith(base + "data/") and f["dataFileS3Key"].endswith(suffix) for f in files)
    text = gzip.decompress(s3.get_object(Bucket="exports", Key=files[0]["dataFileS3Key"])["Body"].read()).decode()
    if fmt == "DYNAMODB_JSON":
        lines = [json.loads(line) for line in text.splitlines()]
        assert {"Item": {"pk": {"S": "b"}, "sk": {"N": "1"}, "g": {"S": "blue"}}} in lines
        assert any(line["Item"].get("b") == {"B": "AP8="} for line in lines)
    else:
        assert '$ion_1_0 {Item:{pk:"b",sk:1.,g:"blue"}}' in text.splitlines()
        assert "$dynamodb_SS::" in text

    out = ddb.import_table(S3BucketSource={"S3Bucket": "exports", "S3KeyPrefix": base + "data/"},
                           InputFormat=fmt, InputCompressionType="GZIP",
                           TableCreationParameters=_creation("copy"))["ImportTableDescription"]
    assert out["ImportStatus"] == "IN_PROGRESS"
    done = ddb.describe_import(ImportArn=out["ImportArn"])["ImportTableDescription"]
    assert done["ImportStatus"] == "COMPLETED"
    assert (done["ProcessedItemCount"], done["ImportedItemCount"], done["ErrorCount"]) == (3, 3, 0)
    assert _canonical(_all(ddb, "copy")) == _canonical(_all(ddb, "src"))
    assert [e["ExportArn"] for e in ddb.list_exports(TableArn=arn)["ExportSummaries"]] == [export_arn]
    assert [i["ImportArn"] for i in ddb.list_imports()["ImportSummaryList"]] == [out["ImportArn"]]


def test_export_at_a_past_time_and_incremental(ddb, s3, make_table, nubis):
    arn = _source(ddb, make_table)
    nubis.advance(60)
    t1 = ddb.describe_continuous_backups(TableName="src")["ContinuousBackupsDescription"][
        "PointInTimeRecoveryDescription"]["LatestRestorableDateTime"] + dt.timedelta(seconds=300)
    t1 = t1.replace(microsecond=0)
    nubis.advance(60)
    ddb.delete_item(TableName="src", Key={"pk": {"S": "b"}, "sk": {"N": "1"}})
    ddb.put_item(TableName="src", Item={"pk": {"S": "c"}, "sk": {"N": "1"}})
    nubis.advance(60)
    past = ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket="exports", ExportTime=t1)["ExportDescription"]
    assert ddb.describe_export(ExportArn=past["ExportArn"])["ExportDescription"]["ItemCount"] == 3
    inc = ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket="exports", ExportType="INCREMENTAL_EXPORT",
                                            IncrementalExportSpecification={"ExportFromTime": t1})["ExportDescription"]
    base = "AWSDynamoDB/" + inc["ExportArn"].split("/")[-1] + "/"
    files = [json.loads(line) for line in
             s3.get_object(Bucket="exports", Key=base + "manifest-files.json")["Body"].read().splitlines()]
    lines = [json.loads(line) for f in files for line in
             gzip.decompress(s3.get_object(Bucket="exports", Key=f["dataFileS3Key"])["Body"].read()).splitlines()]
    by_key = {rec["Keys"]["pk"]["S"]: rec for rec in lines}
    assert set(by_key) == {"b", "c"}
    assert "NewImage" not in by_key["b"] and by_key["b"]["OldImage"]["g"] == {"S": "blue"}
    assert by_key["c"]["NewImage"] == {"pk": {"S": "c"}, "sk": {"N": "1"}} and "OldImage" not in by_key["c"]


def test_export_errors(ddb, s3, make_table):
    make_table("nopitr")
    arn = ddb.describe_table(TableName="nopitr")["Table"]["TableArn"]
    e = error_of(ddb.export_table_to_point_in_time, TableArn=arn, S3Bucket="exports")
    assert code(e) == "PointInTimeRecoveryUnavailableException"
    e = error_of(ddb.export_table_to_point_in_time, TableArn=arn.replace("nopitr", "other"), S3Bucket="exports")
    assert code(e) == "TableNotFoundException"
    e = error_of(ddb.describe_export, ExportArn=arn + "/export/01700000000000-deadbeef")
    assert code(e) == "ExportNotFoundException"
    ddb.update_continuous_backups(TableName="nopitr", PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": True})
    failed = ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket="no-such-bucket")["ExportDescription"]
    done = ddb.describe_export(ExportArn=failed["ExportArn"])["ExportDescription"]
    assert done["ExportStatus"] == "FAILED" and done["FailureCode"] == "NoSuchBucket"


def test_csv_import_with_header_types_and_errors(ddb, s3, aws_client):
    s3.put_object(Bucket="exports", Key="csv/one.csv", Body=b"pk,sk,name,city\na,1,Ann,Oslo\na,2,Bob,\nb,x,Bad,Rome\n")
    s3.put_object(Bucket="exports", Key="csv/two.csv.gz", Body=gzip.compress(b"pk,sk,name,city\nc,3,Cy,Lima\n"))
    out = ddb.import_table(S3BucketSource={"S3Bucket": "exports", "S3KeyPrefix": "csv/one"}, InputFormat="CSV",
                           TableCreationParameters=_creation("people"))["ImportTableDescription"]
    done = ddb.describe_import(ImportArn=out["ImportArn"])["ImportTableDescription"]
    assert (done["ProcessedItemCount"], done["ImportedItemCount"], done["ErrorCount"]) == (3, 2, 1)
    items = _all(ddb, "people")
    assert items == [{"pk": {"S": "a"}, "sk": {"N": "1"}, "name": {"S": "Ann"}, "city": {"S": "Oslo"}},
                     {"pk": {"S": "a"}, "sk": {"N": "2"}, "name": {"S": "Bob"}}]
    logs = aws_client("logs")
    events = logs.filter_log_events(logGroupName="/aws-dynamodb/imports")["events"]
    assert any("csv/one.csv" in e["message"] for e in events)

    s3.put_object(Bucket="exports", Key="semi/x.csv", Body=b"d;1;v\n")
    out = ddb.import_table(S3BucketSource={"S3Bucket": "exports", "S3KeyPrefix": "semi/"}, InputFormat="CSV",
                           InputFormatOptions={"Csv": {"Delimiter": ";", "HeaderList": ["pk", "sk", "val"]}},
                           TableCreationParameters=_creation("semi"))["ImportTableDescription"]
    assert _all(ddb, "semi") == [{"pk": {"S": "d"}, "sk": {"N": "1"}, "val": {"S": "v"}}]
    e = error_of(ddb.import_table, S3BucketSource={"S3Bucket": "exports"}, InputFormat="CSV",
                 TableCreationParameters=_creation("semi"))
    assert code(e) == "ResourceInUseException"
    e = error_of(ddb.describe_import, ImportArn=out["ImportArn"] + "0")
    assert code(e) == "ImportNotFoundException"
    first = ddb.list_imports(PageSize=1)
    assert len(first["ImportSummaryList"]) == 1
    second = ddb.list_imports(PageSize=1, NextToken=first["NextToken"])
    assert [i["ImportArn"] for i in first["ImportSummaryList"] + second["ImportSummaryList"]] == \
        [i["ImportArn"] for i in ddb.list_imports()["ImportSummaryList"]]
    assert "NextToken" not in second


def test_ion_import_reads_the_text_form(ddb, s3):
    text = """$ion_1_0
// a comment
{Item: {pk: "a\\x41\\U0001F600", sk: 1, 'a field': 'a symbol', d: 1.50d1, f: 2.5e0, none: null.string,
        nums: $dynamodb_NS::[1., 2], strs: $dynamodb_SS::["x"], blob: {{AP8=}}, ok: true, l: [1, "2"],
        m: {"k": null}}}
/* another */ {Item: {pk: "b", sk: 2}}
"""
    s3.put_object(Bucket="exports", Key="ion/all.ion", Body=text.encode())
    s3.put_object(Bucket="exports", Key="ion/bad.ion", Body=b'{Item: {pk: "c", sk: 3}}\n{Item: {pk: \n')
    out = ddb.import_table(S3BucketSource={"S3Bucket": "exports", "S3KeyPrefix": "ion/"}, InputFormat="ION",
                           TableCreationParameters=_creation("ions"))["ImportTableDescription"]
    done = ddb.describe_import(ImportArn=out["ImportArn"])["ImportTableDescription"]
    assert (done["ProcessedItemCount"], done["ImportedItemCount"], done["ErrorCount"]) == (4, 3, 1)
    first = ddb.get_item(TableName="ions", Key={"pk": {"S": "a\U0001F600"[:1] + "A\U0001F600"},
                                                "sk": {"N": "1"}})["Item"]
    assert first["a field"] == {"S": "a symbol"} and first["d"] == {"N": "15"} and first["f"] == {"N": "2.5"}
    assert first["none"] == {"NULL": True} and sorted(first["nums"]["NS"]) == ["1", "2"]
    assert first["blob"] == {"B": b"\x00\xff"} and first["l"] == {"L": [{"N": "1"}, {"S": "2"}]}
    assert first["m"] == {"M": {"k": {"NULL": True}}} and first["strs"] == {"SS": ["x"]}
    assert ddb.get_item(TableName="ions", Key={"pk": {"S": "c"}, "sk": {"N": "3"}})["Item"]


def test_client_tokens_make_exports_and_imports_idempotent_for_8_hours(ddb, s3, make_table, nubis):
    arn = _source(ddb, make_table)
    first = ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket="exports", ClientToken="tok")["ExportDescription"]
    again = ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket="exports", ClientToken="tok")["ExportDescription"]
    assert again["ExportArn"] == first["ExportArn"]
    s3.create_bucket(Bucket="elsewhere")
    e = error_of(ddb.export_table_to_point_in_time, TableArn=arn, S3Bucket="elsewhere", ClientToken="tok")
    assert code(e) == "ExportConflictException"
    s3.put_object(Bucket="exports", Key="in/a.csv", Body=b"pk,sk\nz,1\n")
    source = {"S3Bucket": "exports", "S3KeyPrefix": "in/"}
    one = ddb.import_table(S3BucketSource=source, InputFormat="CSV", ClientToken="imp",
                           TableCreationParameters=_creation("imported"))["ImportTableDescription"]
    two = ddb.import_table(S3BucketSource=source, InputFormat="CSV", ClientToken="imp",
                           TableCreationParameters=_creation("imported"))["ImportTableDescription"]
    assert one["ImportArn"] == two["ImportArn"]
    e = error_of(ddb.import_table, S3BucketSource={"S3Bucket": "exports", "S3KeyPrefix": "other/"},
                 InputFormat="CSV", ClientToken="imp", TableCreationParameters=_creation("imported"))
    assert code(e) == "ImportConflictException"
    nubis.advance(8 * 3600 + 1)
    later = ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket="exports", ClientToken="tok")["ExportDescription"]
    assert later["ExportArn"] != first["ExportArn"]
