"""A Lambda transformation (a real function in nubis's Lambda) with Ok,
Dropped and ProcessingFailed results and partition keys, and JSON records
converted to Parquet and ORC."""
import io
import json
import zipfile

import pytest

from .conftest import ACCOUNT, body, keys

TRANSFORM = '''
import base64, json

def handler(event, context):
    out = []
    for r in event["records"]:
        doc = json.loads(base64.b64decode(r["data"]))
        if doc.get("drop"):
            out.append({"recordId": r["recordId"], "result": "Dropped", "data": r["data"]})
        elif doc.get("fail"):
            out.append({"recordId": r["recordId"], "result": "ProcessingFailed", "data": r["data"]})
        else:
            doc["seen"] = event["deliveryStreamArn"].split("/")[-1]
            data = base64.b64encode((json.dumps(doc) + "\\n").encode()).decode()
            out.append({"recordId": r["recordId"], "result": "Ok", "data": data,
                        "metadata": {"partitionKeys": {"team": doc["team"]}}})
    return {"records": out}
'''


def zip_of(source: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", source)
    return buf.getvalue()


@pytest.fixture
def transformer(aws_client):
    lam = aws_client("lambda")
    return lam.create_function(FunctionName="transform", Runtime="python3.12", Handler="app.handler",
                               Role=f"arn:aws:iam::{ACCOUNT}:role/lambda", Code={"ZipFile": zip_of(TRANSFORM)},
                               Timeout=30)["FunctionArn"]


def lambda_processor(arn: str) -> dict:
    return {"Type": "Lambda", "Parameters": [{"ParameterName": "LambdaArn", "ParameterValue": arn},
                                              {"ParameterName": "NumberOfRetries", "ParameterValue": "0"}]}


def test_lambda_transform_ok_dropped_and_failed(nubis, firehose, s3, make_stream, transformer):
    make_stream("tx", Prefix="ok/", ErrorOutputPrefix="errors/", BufferingHints={"IntervalInSeconds": 60},
                ProcessingConfiguration={"Enabled": True, "Processors": [lambda_processor(transformer)]})
    records = [{"team": "x", "n": 1}, {"team": "x", "drop": True}, {"team": "x", "fail": True, "n": 3}]
    firehose.put_record_batch(DeliveryStreamName="tx", Records=[{"Data": json.dumps(r).encode()} for r in records])
    nubis.advance(60)
    (ok,) = keys(s3, "landing", "ok/")
    assert [json.loads(line) for line in body(s3, "landing", ok).splitlines()] == [
        {"team": "x", "n": 1, "seen": "tx"}]
    (failed,) = keys(s3, "landing", "errors/")
    assert failed.startswith("errors/processing-failed/")
    doc = json.loads(body(s3, "landing", failed))
    assert doc["errorCode"] == "Lambda.ProcessingFailed" and doc["lambdaArn"] == transformer
    import base64
    assert json.loads(base64.b64decode(doc["rawData"])) == records[2]


def test_partition_keys_from_lambda(nubis, firehose, s3, make_stream, transformer):
    make_stream("lp", Prefix="team=!{partitionKeyFromLambda:team}/",
                ErrorOutputPrefix="e/!{firehose:error-output-type}/", BufferingHints={"SizeInMBs": 64,
                                                                                      "IntervalInSeconds": 60},
                DynamicPartitioningConfiguration={"Enabled": True},
                ProcessingConfiguration={"Enabled": True, "Processors": [lambda_processor(transformer)]})
    firehose.put_record_batch(DeliveryStreamName="lp", Records=[
        {"Data": json.dumps({"team": t, "n": i}).encode()} for i, t in enumerate(["red", "blue", "red"])])
    nubis.advance(60)
    (red,) = keys(s3, "landing", "team=red/")
    assert [json.loads(x)["n"] for x in body(s3, "landing", red).splitlines()] == [0, 2]
    assert len(keys(s3, "landing", "team=blue/")) == 1


def test_a_missing_function_sends_every_record_to_processing_failed(nubis, firehose, s3, make_stream):
    make_stream("nofn", BufferingHints={"IntervalInSeconds": 60}, ProcessingConfiguration={
        "Enabled": True, "Processors": [lambda_processor(f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:none")]})
    firehose.put_record(DeliveryStreamName="nofn", Record={"Data": b"{}"})
    nubis.advance(60)
    (key,) = keys(s3, "landing")
    assert key.startswith("processing-failed/")
    assert json.loads(body(s3, "landing", key))["rawData"] == "e30="


def conversion(serializer: dict) -> dict:
    return {"Enabled": True, "SchemaConfiguration": {"RoleARN": "arn:aws:iam::000000000000:role/glue",
                                                     "DatabaseName": "db", "TableName": "t"},
            "InputFormatConfiguration": {"Deserializer": {"OpenXJsonSerDe": {}}},
            "OutputFormatConfiguration": {"Serializer": serializer}}


def test_parquet_and_orc_conversion(nubis, firehose, s3, make_stream):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.orc
    import pyarrow.parquet as pq
    make_stream("pq", Prefix="pq/", ErrorOutputPrefix="pqerr/", BufferingHints={"SizeInMBs": 64,
                                                                                "IntervalInSeconds": 60},
                DataFormatConversionConfiguration=conversion({"ParquetSerDe": {}}))
    make_stream("orc", Prefix="orc/", BufferingHints={"SizeInMBs": 64, "IntervalInSeconds": 60},
                DataFormatConversionConfiguration=conversion({"OrcSerDe": {}}))
    rows = [{"id": 1, "name": "a", "score": 1.5}, {"id": 2, "name": "b", "score": 2.5}]
    for name in ("pq", "orc"):
        firehose.put_record_batch(DeliveryStreamName=name, Records=[{"Data": json.dumps(r).encode()} for r in rows]
                                  + [{"Data": b"[1, 2]"}])
    nubis.advance(60)
    (pkey,) = keys(s3, "landing", "pq/")
    assert pkey.endswith(".parquet")
    assert pq.read_table(pa.BufferReader(body(s3, "landing", pkey))).to_pylist() == rows
    (okey,) = keys(s3, "landing", "orc/")
    assert pyarrow.orc.read_table(pa.BufferReader(body(s3, "landing", okey))).to_pylist() == rows
    (bad,) = keys(s3, "landing", "pqerr/")
    assert bad.startswith("pqerr/format-conversion-failed/")
    assert json.loads(body(s3, "landing", bad))["rawData"] == "WzEsIDJd"


def test_conversion_needs_uncompressed_and_big_buffers(firehose, make_stream):
    from .conftest import code, error_of
    e = error_of(make_stream, "c1", CompressionFormat="GZIP", DataFormatConversionConfiguration=conversion(
        {"ParquetSerDe": {}}))
    assert code(e) == "InvalidArgumentException"
    e = error_of(make_stream, "c2", BufferingHints={"SizeInMBs": 5, "IntervalInSeconds": 60},
                 DataFormatConversionConfiguration=conversion({"ParquetSerDe": {}}))
    assert code(e) == "InvalidArgumentException"


def test_records_that_do_not_fit_one_schema_fail_conversion(nubis, firehose, s3, make_stream):
    make_stream("mixed", Prefix="m/", ErrorOutputPrefix="merr/", BufferingHints={"SizeInMBs": 64,
                                                                                 "IntervalInSeconds": 60},
                DataFormatConversionConfiguration=conversion({"ParquetSerDe": {}}))
    firehose.put_record_batch(DeliveryStreamName="mixed", Records=[{"Data": b'{"a": 1}'}, {"Data": b'{"a": "x"}'}])
    nubis.advance(60)
    assert keys(s3, "landing", "m/") == []
    (bad,) = keys(s3, "landing", "merr/format-conversion-failed/")
    assert len(body(s3, "landing", bad).splitlines()) == 2
    nubis.advance(120)
    assert len(keys(s3, "landing")) == 1   # given up to the error prefix, not retried


FAILING = '''
def handler(event, context):
    raise RuntimeError("boom")
'''


def test_a_failing_function_is_retried_then_its_records_fail(nubis, aws_client, firehose, s3, make_stream):
    lam = aws_client("lambda")
    arn = lam.create_function(FunctionName="failing", Runtime="python3.12", Handler="app.handler",
                              Role=f"arn:aws:iam::{ACCOUNT}:role/lambda", Code={"ZipFile": zip_of(FAILING)})[
        "FunctionArn"]
    make_stream("boom", BufferingHints={"IntervalInSeconds": 60}, ErrorOutputPrefix="failed/",
                ProcessingConfiguration={"Enabled": True, "Processors": [{"Type": "Lambda", "Parameters": [
                    {"ParameterName": "LambdaArn", "ParameterValue": arn},
                    {"ParameterName": "NumberOfRetries", "ParameterValue": "1"}]}]})
    firehose.put_record(DeliveryStreamName="boom", Record={"Data": b'{"x": 1}'})
    nubis.advance(60)
    (key,) = keys(s3, "landing")
    assert key.startswith("failed/processing-failed/")
    doc = json.loads(body(s3, "landing", key))
    assert doc["errorCode"] == "Lambda.FunctionError" and doc["lambdaArn"] == arn


FLAKY = '''
import base64, json, os

def handler(event, context):
    marker = os.environ["MARKER"]
    if not os.path.exists(marker):
        open(marker, "w").close()
        raise RuntimeError("first time fails")
    return {"records": [{"recordId": r["recordId"], "result": "Ok",
                         "data": base64.b64encode(base64.b64decode(r["data"]).upper()).decode()}
                        for r in event["records"]]}
'''


def test_a_failed_invocation_is_retried_with_the_same_records(nubis, aws_client, firehose, s3, make_stream,
                                                              tmp_path):
    lam = aws_client("lambda")
    arn = lam.create_function(FunctionName="flaky", Runtime="python3.12", Handler="app.handler",
                              Role=f"arn:aws:iam::{ACCOUNT}:role/lambda", Code={"ZipFile": zip_of(FLAKY)},
                              Environment={"Variables": {"MARKER": str(tmp_path / "marker")}})["FunctionArn"]
    make_stream("flaky", BufferingHints={"IntervalInSeconds": 60}, ProcessingConfiguration={
        "Enabled": True, "Processors": [{"Type": "Lambda", "Parameters": [
            {"ParameterName": "LambdaArn", "ParameterValue": arn},
            {"ParameterName": "NumberOfRetries", "ParameterValue": "2"}]}]})
    firehose.put_record_batch(DeliveryStreamName="flaky", Records=[{"Data": b"abc "}, {"Data": b"def"}])
    nubis.advance(60)
    (key,) = keys(s3, "landing")
    assert body(s3, "landing", key) == b"ABC DEF"
