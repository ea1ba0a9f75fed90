"""Delivery to S3: buffering by interval and size on the clock, object keys,
custom and error prefixes, compression, backup, dynamic partitioning."""
import datetime as dt
import gzip
import io
import json
import re
import zipfile

import pytest

from .conftest import ROLE, body, keys, wait_for_keys

NAME_TAIL = r"-1-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9a-f-]{36}"


def utc(nubis) -> dt.datetime:
    return dt.datetime.fromtimestamp(nubis.clock(), tz=dt.timezone.utc)


def test_interval_flush_with_the_default_key_layout(nubis, firehose, s3, make_stream):
    make_stream("clicks", BufferingHints={"SizeInMBs": 1, "IntervalInSeconds": 60})
    t = utc(nubis)
    firehose.put_record(DeliveryStreamName="clicks", Record={"Data": b'{"n":1}\n'})
    firehose.put_record_batch(DeliveryStreamName="clicks", Records=[{"Data": b'{"n":2}\n'}, {"Data": b'{"n":3}\n'}])
    nubis.advance(59)
    assert keys(s3, "landing") == []
    nubis.advance(1)
    (key,) = keys(s3, "landing")
    assert re.fullmatch(t.strftime("%Y/%m/%d/%H/") + "clicks" + NAME_TAIL, key), key
    assert key.split("/")[-1].startswith("clicks-1-" + t.strftime("%Y-%m-%d-%H-%M-%S"))
    assert body(s3, "landing", key) == b'{"n":1}\n{"n":2}\n{"n":3}\n'
    nubis.advance(600)
    assert len(keys(s3, "landing")) == 1   # nothing more to deliver


def test_size_flush_before_the_interval(nubis, firehose, s3, make_stream):
    make_stream("big", BufferingHints={"SizeInMBs": 1, "IntervalInSeconds": 900})
    chunk = b"a" * (600 * 1024)
    firehose.put_record(DeliveryStreamName="big", Record={"Data": chunk})
    assert wait_for_keys(s3, "landing", 1, timeout=0.5) == []
    firehose.put_record(DeliveryStreamName="big", Record={"Data": chunk})
    (key,) = wait_for_keys(s3, "landing", 1)
    assert body(s3, "landing", key) == chunk * 2


def test_plain_prefix_gets_the_time_folders_and_expressions_are_evaluated(nubis, firehose, s3, make_stream):
    make_stream("plain", Prefix="raw/", BufferingHints={"IntervalInSeconds": 60})
    make_stream("expr", Prefix="year=!{timestamp:yyyy}/month=!{timestamp:MM}/!{firehose:random-string}/",
                ErrorOutputPrefix="errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/",
                BufferingHints={"IntervalInSeconds": 60})
    t = utc(nubis)
    firehose.put_record(DeliveryStreamName="plain", Record={"Data": b"p"})
    firehose.put_record(DeliveryStreamName="expr", Record={"Data": b"e"})
    nubis.advance(60)
    (plain,) = keys(s3, "landing", "raw/")
    assert plain.startswith("raw/" + t.strftime("%Y/%m/%d/%H/") + "plain-1-")
    (expr,) = keys(s3, "landing", "year=")
    m = re.fullmatch(rf"year={t:%Y}/month={t:%m}/([A-Za-z0-9]{{11}})/expr{NAME_TAIL}", expr)
    assert m, expr


def test_compression(nubis, firehose, s3, make_stream):
    make_stream("gz", Prefix="gz/", CompressionFormat="GZIP", BufferingHints={"IntervalInSeconds": 60})
    make_stream("zip", Prefix="zip/", CompressionFormat="ZIP", BufferingHints={"IntervalInSeconds": 60})
    make_stream("snappy", Prefix="sn/", CompressionFormat="Snappy", BufferingHints={"IntervalInSeconds": 60})
    for name in ("gz", "zip", "snappy"):
        firehose.put_record_batch(DeliveryStreamName=name, Records=[{"Data": b"hello "}, {"Data": b"world"}])
    nubis.advance(60)
    (gz,) = keys(s3, "landing", "gz/")
    assert gz.endswith(".gz") and gzip.decompress(body(s3, "landing", gz)) == b"hello world"
    (zp,) = keys(s3, "landing", "zip/")
    with zipfile.ZipFile(io.BytesIO(body(s3, "landing", zp))) as z:
        (inner,) = z.namelist()
        assert z.read(inner) == b"hello world"
    (sn,) = keys(s3, "landing", "sn/")
    cramjam = pytest.importorskip("cramjam")
    assert sn.endswith(".snappy") and bytes(cramjam.snappy.decompress(body(s3, "landing", sn))) == b"hello world"


def test_source_backup_and_file_extension(nubis, firehose, s3, make_stream):
    s3.create_bucket(Bucket="backup")
    make_stream("bk", Prefix="out/", FileExtension=".json", BufferingHints={"IntervalInSeconds": 60},
                S3BackupMode="Enabled",
                S3BackupConfiguration={"RoleARN": ROLE, "BucketARN": "arn:aws:s3:::backup", "Prefix": "src/",
                                       "CompressionFormat": "GZIP"})
    firehose.put_record(DeliveryStreamName="bk", Record={"Data": b"rec"})
    nubis.advance(60)
    (out,) = keys(s3, "landing", "out/")
    assert out.endswith(".json") and body(s3, "landing", out) == b"rec"
    (src,) = keys(s3, "backup", "src/")
    assert gzip.decompress(body(s3, "backup", src)) == b"rec"
    d = firehose.describe_delivery_stream(DeliveryStreamName="bk")["DeliveryStreamDescription"]
    ext = d["Destinations"][0]["ExtendedS3DestinationDescription"]
    assert ext["S3BackupMode"] == "Enabled" and ext["S3BackupDescription"]["BucketARN"] == "arn:aws:s3:::backup"


def test_dynamic_partitioning_by_query(nubis, firehose, s3, make_stream):
    make_stream("parts", Prefix="customer=!{partitionKeyFromQuery:customer}/kind=!{partitionKeyFromQuery:kind}/",
                ErrorOutputPrefix="bad/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/",
                BufferingHints={"SizeInMBs": 64, "IntervalInSeconds": 60},
                DynamicPartitioningConfiguration={"Enabled": True},
                ProcessingConfiguration={"Enabled": True, "Processors": [
                    {"Type": "MetadataExtraction", "Parameters": [
                        {"ParameterName": "MetadataExtractionQuery",
                         "ParameterValue": "{customer: .customer, kind: .event.kind}"},
                        {"ParameterName": "JsonParsingEngine", "ParameterValue": "JQ-1.6"}]},
                    {"Type": "AppendDelimiterToRecord", "Parameters": []}]})
    t = utc(nubis)
    records = [{"customer": "a", "event": {"kind": "click"}, "n": 1},
               {"customer": "b", "event": {"kind": "view"}, "n": 2},
               {"customer": "a", "event": {"kind": "click"}, "n": 3}]
    firehose.put_record_batch(DeliveryStreamName="parts", Records=[{"Data": json.dumps(r).encode()} for r in records]
                              + [{"Data": b"not json"}])
    nubis.advance(60)
    (a,) = keys(s3, "landing", "customer=a/kind=click/")
    assert [json.loads(x)["n"] for x in body(s3, "landing", a).splitlines()] == [1, 3]
    (b,) = keys(s3, "landing", "customer=b/kind=view/")
    assert json.loads(body(s3, "landing", b))["n"] == 2
    (bad,) = keys(s3, "landing", "bad/processing-failed/" + t.strftime("%Y/%m/%d/parts-1-"))
    doc = json.loads(body(s3, "landing", bad))
    assert doc["errorCode"] == "DynamicPartitioning.MetadataExtractionFailed"
    assert doc["rawData"] == "bm90IGpzb24="


def test_missing_bucket_is_retried_until_it_exists(nubis, firehose, s3, make_stream):
    make_stream("later", BufferingHints={"IntervalInSeconds": 60})
    s3.delete_bucket(Bucket="landing")
    firehose.put_record(DeliveryStreamName="later", Record={"Data": b"kept"})
    nubis.advance(60)
    s3.create_bucket(Bucket="landing")
    assert keys(s3, "landing") == []
    nubis.advance(5)     # retried every 5 seconds
    (key,) = keys(s3, "landing")
    assert body(s3, "landing", key) == b"kept"


def test_undeliverable_records_are_discarded_after_24_hours(nubis, firehose, s3, make_stream):
    make_stream("gone", BufferingHints={"IntervalInSeconds": 60})
    s3.delete_bucket(Bucket="landing")
    firehose.put_record(DeliveryStreamName="gone", Record={"Data": b"too late"})
    nubis.advance(24 * 3600 + 60)
    s3.create_bucket(Bucket="landing")
    nubis.advance(600)
    assert keys(s3, "landing") == []


def test_hadoop_snappy_blocks(nubis, firehose, s3, make_stream):
    cramjam = pytest.importorskip("cramjam")
    make_stream("hs", CompressionFormat="HADOOP_SNAPPY", BufferingHints={"IntervalInSeconds": 60})
    firehose.put_record(DeliveryStreamName="hs", Record={"Data": b"block data " * 10})
    nubis.advance(60)
    (key,) = keys(s3, "landing")
    raw = body(s3, "landing", key)
    size, clen = int.from_bytes(raw[:4], "big"), int.from_bytes(raw[4:8], "big")
    assert size == 110 and len(raw) == 8 + clen
    assert bytes(cramjam.snappy.decompress_raw(raw[8:])) == b"block data " * 10


def test_custom_time_zone_in_keys(nubis, firehose, s3, make_stream):
    make_stream("tz", CustomTimeZone="Asia/Tokyo", BufferingHints={"IntervalInSeconds": 60})
    t = dt.datetime.fromtimestamp(nubis.clock(), tz=dt.timezone(dt.timedelta(hours=9)))
    firehose.put_record(DeliveryStreamName="tz", Record={"Data": b"x"})
    nubis.advance(60)
    (key,) = keys(s3, "landing")
    assert key.startswith(t.strftime("%Y/%m/%d/%H/tz-1-%Y-%m-%d-%H-%M-%S"))


def test_plain_s3_configuration_and_a_stored_only_destination(nubis, firehose, s3, bucket):
    firehose.create_delivery_stream(DeliveryStreamName="legacy", S3DestinationConfiguration={
        "RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}", "Prefix": "legacy/",
        "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 60}})
    firehose.put_record(DeliveryStreamName="legacy", Record={"Data": b"old style"})
    nubis.advance(60)
    (key,) = keys(s3, bucket, "legacy/")
    assert body(s3, bucket, key) == b"old style"

    firehose.create_delivery_stream(DeliveryStreamName="warehouse", RedshiftDestinationConfiguration={
        "RoleARN": ROLE, "ClusterJDBCURL": "jdbc:redshift://example:5439/db", "Username": "u", "Password": "secret!",
        "CopyCommand": {"DataTableName": "events"},
        "S3Configuration": {"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}"}})
    d = firehose.describe_delivery_stream(DeliveryStreamName="warehouse")["DeliveryStreamDescription"]
    red = d["Destinations"][0]["RedshiftDestinationDescription"]
    assert red["ClusterJDBCURL"] == "jdbc:redshift://example:5439/db" and "Password" not in red
    assert red["S3DestinationDescription"]["BucketARN"] == f"arn:aws:s3:::{bucket}"


def test_redshift_intermediate_objects_and_splunk_records_to_the_error_prefix(nubis, firehose, s3, bucket):
    s3_cfg = {"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}", "Prefix": "staging/",
              "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 60}}
    firehose.create_delivery_stream(DeliveryStreamName="rs", RedshiftDestinationConfiguration={
        "RoleARN": ROLE, "ClusterJDBCURL": "jdbc:redshift://example:5439/db", "Username": "u", "Password": "secret!",
        "CopyCommand": {"DataTableName": "events"}, "S3Configuration": s3_cfg})
    firehose.create_delivery_stream(DeliveryStreamName="splunk", SplunkDestinationConfiguration={
        "HECEndpoint": "https://splunk.example:8088", "HECEndpointType": "Raw", "HECToken": "t",
        "S3Configuration": {**s3_cfg, "Prefix": "splunk/"}})
    firehose.put_record(DeliveryStreamName="rs", Record={"Data": b"row"})
    firehose.put_record(DeliveryStreamName="splunk", Record={"Data": b"event"})
    nubis.advance(60)
    (staged,) = keys(s3, bucket, "staging/")
    assert body(s3, bucket, staged) == b"row"
    (failed,) = keys(s3, bucket, "splunk-failed/")
    assert json.loads(body(s3, bucket, failed))["rawData"] == "ZXZlbnQ="


def test_new_buffering_hints_apply_to_the_buffer(nubis, firehose, s3, make_stream):
    make_stream("slow", BufferingHints={"IntervalInSeconds": 900})
    firehose.put_record(DeliveryStreamName="slow", Record={"Data": b"soon"})
    firehose.update_destination(DeliveryStreamName="slow", CurrentDeliveryStreamVersionId="1",
                                DestinationId="destinationId-000000000001",
                                ExtendedS3DestinationUpdate={"BufferingHints": {"IntervalInSeconds": 60}})
    nubis.advance(60)
    (key,) = keys(s3, "landing")
    assert key.split("/")[-1].startswith("slow-2-")   # named with the stream's new version
