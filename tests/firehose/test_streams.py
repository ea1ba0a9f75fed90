"""The control plane: create, describe, list, update, delete, encryption, tags."""
from nubis.testing.cli import aws_json

from .conftest import ROLE, code, error_of


def test_create_describe_list_delete(firehose, make_stream):
    arn = make_stream("clicks", Prefix="raw/", ErrorOutputPrefix="err/")
    assert arn == "arn:aws:firehose:us-east-1:000000000000:deliverystream/clicks"
    d = firehose.describe_delivery_stream(DeliveryStreamName="clicks")["DeliveryStreamDescription"]
    assert d["DeliveryStreamStatus"] in ("CREATING", "ACTIVE")
    assert d["DeliveryStreamType"] == "DirectPut" and d["VersionId"] == "1"
    assert d["Source"] == {"DirectPutSourceDescription": {}}
    (dest,) = d["Destinations"]
    assert dest["DestinationId"] == "destinationId-000000000001"
    ext = dest["ExtendedS3DestinationDescription"]
    assert ext["BucketARN"] == "arn:aws:s3:::landing" and ext["Prefix"] == "raw/"
    assert ext["BufferingHints"] == {"SizeInMBs": 5, "IntervalInSeconds": 300}
    assert ext["CompressionFormat"] == "UNCOMPRESSED" and ext["S3BackupMode"] == "Disabled"
    assert dest["S3DestinationDescription"]["BucketARN"] == "arn:aws:s3:::landing"
    d = firehose.describe_delivery_stream(DeliveryStreamName="clicks")["DeliveryStreamDescription"]
    assert d["DeliveryStreamStatus"] == "ACTIVE"
    assert d["DeliveryStreamEncryptionConfiguration"]["Status"] == "DISABLED"

    make_stream("another")
    assert firehose.list_delivery_streams()["DeliveryStreamNames"] == ["another", "clicks"]
    page = firehose.list_delivery_streams(Limit=1)
    assert page["DeliveryStreamNames"] == ["another"] and page["HasMoreDeliveryStreams"] is True
    assert firehose.list_delivery_streams(ExclusiveStartDeliveryStreamName="another")["DeliveryStreamNames"] == [
        "clicks"]
    assert firehose.list_delivery_streams(DeliveryStreamType="KinesisStreamAsSource")["DeliveryStreamNames"] == []

    e = error_of(make_stream, "clicks")
    assert code(e) == "ResourceInUseException"
    firehose.delete_delivery_stream(DeliveryStreamName="clicks")
    e = error_of(firehose.describe_delivery_stream, DeliveryStreamName="clicks")
    assert code(e) == "ResourceNotFoundException"
    assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_create_needs_one_destination_and_valid_prefixes(firehose, bucket, make_stream):
    e = error_of(firehose.create_delivery_stream, DeliveryStreamName="none")
    assert code(e) == "InvalidArgumentException"
    e = error_of(make_stream, "p", Prefix="data/!{timestamp:yyyy}/")   # no ErrorOutputPrefix
    assert code(e) == "InvalidArgumentException"
    e = error_of(make_stream, "p", Prefix="d/!{timestamp:yyyy}/", ErrorOutputPrefix="e/!{timestamp:yyyy}/")
    assert code(e) == "InvalidArgumentException" and "error-output-type" in e.response["Error"]["Message"]
    e = error_of(make_stream, "p", Prefix="d/!{firehose:error-output-type}/", ErrorOutputPrefix="e/")
    assert code(e) == "InvalidArgumentException"
    e = error_of(make_stream, "p", Prefix="d/!{nope:x}/", ErrorOutputPrefix="e/!{firehose:error-output-type}")
    assert code(e) == "InvalidArgumentException"
    e = error_of(make_stream, "p", Prefix="d/!{partitionKeyFromQuery:a}/",
                 ErrorOutputPrefix="e/!{firehose:error-output-type}/")
    assert code(e) == "InvalidArgumentException"   # partition keys need dynamic partitioning
    e = error_of(make_stream, "p", Prefix="d/!{partitionKeyFromQuery:a}/",
                 ErrorOutputPrefix="e/!{firehose:error-output-type}/",
                 DynamicPartitioningConfiguration={"Enabled": True},
                 BufferingHints={"SizeInMBs": 5, "IntervalInSeconds": 60})
    assert code(e) == "InvalidArgumentException"   # at least 64 MiB buffers
    e = error_of(make_stream, "p", FileExtension="json")
    assert code(e) == "InvalidArgumentException"
    e = error_of(make_stream, "p", BucketARN="not-an-arn")
    assert code(e) == "InvalidArgumentException"
    assert firehose.list_delivery_streams()["DeliveryStreamNames"] == []


def test_update_destination_checks_the_version(firehose, make_stream):
    make_stream("u")
    e = error_of(firehose.update_destination, DeliveryStreamName="u", CurrentDeliveryStreamVersionId="7",
                 DestinationId="destinationId-000000000001",
                 ExtendedS3DestinationUpdate={"Prefix": "new/"})
    assert code(e) == "ConcurrentModificationException"
    firehose.update_destination(DeliveryStreamName="u", CurrentDeliveryStreamVersionId="1",
                                DestinationId="destinationId-000000000001",
                                ExtendedS3DestinationUpdate={"Prefix": "new/", "CompressionFormat": "GZIP",
                                                             "BufferingHints": {"IntervalInSeconds": 60}})
    d = firehose.describe_delivery_stream(DeliveryStreamName="u")["DeliveryStreamDescription"]
    assert d["VersionId"] == "2" and "LastUpdateTimestamp" in d
    ext = d["Destinations"][0]["ExtendedS3DestinationDescription"]
    assert ext["Prefix"] == "new/" and ext["CompressionFormat"] == "GZIP"
    assert ext["BufferingHints"] == {"SizeInMBs": 5, "IntervalInSeconds": 60}
    e = error_of(firehose.update_destination, DeliveryStreamName="u", CurrentDeliveryStreamVersionId="1",
                 DestinationId="destinationId-000000000001", ExtendedS3DestinationUpdate={"Prefix": "x/"})
    assert code(e) == "ConcurrentModificationException"


def test_encryption_and_tags(firehose, make_stream):
    make_stream("enc")
    firehose.start_delivery_stream_encryption(DeliveryStreamName="enc",
                                              DeliveryStreamEncryptionConfigurationInput={"KeyType": "AWS_OWNED_CMK"})
    d = firehose.describe_delivery_stream(DeliveryStreamName="enc")["DeliveryStreamDescription"]
    assert d["DeliveryStreamEncryptionConfiguration"] == {"KeyType": "AWS_OWNED_CMK", "Status": "ENABLED"}
    assert firehose.put_record(DeliveryStreamName="enc", Record={"Data": b"x"})["Encrypted"] is True
    e = error_of(firehose.start_delivery_stream_encryption, DeliveryStreamName="enc",
                 DeliveryStreamEncryptionConfigurationInput={"KeyType": "CUSTOMER_MANAGED_CMK"})
    assert code(e) == "InvalidArgumentException"
    firehose.stop_delivery_stream_encryption(DeliveryStreamName="enc")
    assert firehose.put_record(DeliveryStreamName="enc", Record={"Data": b"x"})["Encrypted"] is False

    firehose.tag_delivery_stream(DeliveryStreamName="enc",
                                 Tags=[{"Key": "b", "Value": "2"}, {"Key": "a", "Value": "1"}])
    out = firehose.list_tags_for_delivery_stream(DeliveryStreamName="enc", Limit=1)
    assert out["Tags"] == [{"Key": "a", "Value": "1"}] and out["HasMoreTags"] is True
    firehose.untag_delivery_stream(DeliveryStreamName="enc", TagKeys=["a"])
    assert firehose.list_tags_for_delivery_stream(DeliveryStreamName="enc")["Tags"] == [{"Key": "b", "Value": "2"}]


def test_put_record_batch_answers_per_record_and_limits(firehose, make_stream):
    make_stream("b")
    out = firehose.put_record_batch(DeliveryStreamName="b", Records=[{"Data": b"one"}, {"Data": b"two"}])
    assert out["FailedPutCount"] == 0 and len(out["RequestResponses"]) == 2
    assert len({r["RecordId"] for r in out["RequestResponses"]}) == 2
    e = error_of(firehose.put_record, DeliveryStreamName="missing", Record={"Data": b"x"})
    assert code(e) == "ResourceNotFoundException"


def test_server_side_limits(aws_client, make_stream):
    from botocore.config import Config
    raw = aws_client("firehose", config=Config(parameter_validation=False, retries={"max_attempts": 1}))
    make_stream("lim")
    e = error_of(raw.put_record_batch, DeliveryStreamName="lim", Records=[{"Data": b"x"}] * 501)
    assert code(e) == "InvalidArgumentException"
    e = error_of(raw.put_record, DeliveryStreamName="lim", Record={"Data": b"x" * (1000 * 1024 + 1)})
    assert code(e) == "InvalidArgumentException"
    e = error_of(raw.put_record_batch, DeliveryStreamName="lim", Records=[{"Data": b"x" * 1000 * 1024}] * 5)
    assert code(e) == "InvalidArgumentException"


def test_cli_lists_streams(nubis_endpoint, make_stream):
    make_stream("cli-stream")
    d = aws_json(nubis_endpoint, "firehose", "describe-delivery-stream",
                 "--delivery-stream-name", "cli-stream")["DeliveryStreamDescription"]
    assert d["DeliveryStreamName"] == "cli-stream" and ROLE == d["Destinations"][0][
        "ExtendedS3DestinationDescription"]["RoleARN"]


def test_customer_managed_keys_are_checked_with_kms(aws_client, firehose, make_stream):
    kms = aws_client("kms")
    key = kms.create_key()["KeyMetadata"]
    make_stream("cmk")
    firehose.start_delivery_stream_encryption(DeliveryStreamName="cmk", DeliveryStreamEncryptionConfigurationInput={
        "KeyType": "CUSTOMER_MANAGED_CMK", "KeyARN": key["Arn"]})
    enc = firehose.describe_delivery_stream(DeliveryStreamName="cmk")["DeliveryStreamDescription"][
        "DeliveryStreamEncryptionConfiguration"]
    assert enc == {"KeyType": "CUSTOMER_MANAGED_CMK", "KeyARN": key["Arn"], "Status": "ENABLED"}
    missing = key["Arn"].rsplit("/", 1)[0] + "/11111111-2222-3333-4444-555555555555"
    e = error_of(firehose.start_delivery_stream_encryption, DeliveryStreamName="cmk",
                 DeliveryStreamEncryptionConfigurationInput={"KeyType": "CUSTOMER_MANAGED_CMK", "KeyARN": missing})
    assert code(e) == "InvalidKMSResourceException" and e.response["code"] == "NotFoundException"
    kms.disable_key(KeyId=key["KeyId"])
    e = error_of(firehose.create_delivery_stream, DeliveryStreamName="cmk2",
                 DeliveryStreamEncryptionConfigurationInput={"KeyType": "CUSTOMER_MANAGED_CMK", "KeyARN": key["Arn"]},
                 ExtendedS3DestinationConfiguration={"RoleARN": ROLE, "BucketARN": "arn:aws:s3:::landing"})
    assert code(e) == "InvalidKMSResourceException"


def test_tags_on_create_and_deleting_drops_the_buffer(nubis, firehose, s3, bucket):
    firehose.create_delivery_stream(DeliveryStreamName="t", Tags=[{"Key": "team", "Value": "data"}],
                                    ExtendedS3DestinationConfiguration={
                                        "RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}",
                                        "BufferingHints": {"IntervalInSeconds": 60}})
    assert firehose.list_tags_for_delivery_stream(DeliveryStreamName="t")["Tags"] == [
        {"Key": "team", "Value": "data"}]
    firehose.put_record(DeliveryStreamName="t", Record={"Data": b"never"})
    firehose.delete_delivery_stream(DeliveryStreamName="t")
    nubis.advance(120)
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0
    e = error_of(firehose.put_record, DeliveryStreamName="t", Record={"Data": b"x"})
    assert code(e) == "ResourceNotFoundException"
    assert e.response["Error"]["Message"] == "Firehose stream t under account 000000000000 not found."


def test_an_msk_sourced_stream_is_stored_and_refuses_puts(firehose, bucket):
    cluster = "arn:aws:kafka:us-east-1:000000000000:cluster/c/11111111-2222-3333-4444-555555555555-1"
    firehose.create_delivery_stream(
        DeliveryStreamName="msk", DeliveryStreamType="MSKAsSource",
        MSKSourceConfiguration={"MSKClusterARN": cluster, "TopicName": "orders",
                                "AuthenticationConfiguration": {"RoleARN": ROLE, "Connectivity": "PRIVATE"}},
        ExtendedS3DestinationConfiguration={"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}"})
    d = firehose.describe_delivery_stream(DeliveryStreamName="msk")["DeliveryStreamDescription"]
    assert d["DeliveryStreamType"] == "MSKAsSource"
    assert d["Source"]["MSKSourceDescription"]["TopicName"] == "orders"
    e = error_of(firehose.put_record, DeliveryStreamName="msk", Record={"Data": b"x"})
    assert code(e) == "InvalidArgumentException"
    e = error_of(firehose.create_delivery_stream, DeliveryStreamName="msk2", DeliveryStreamType="MSKAsSource",
                 ExtendedS3DestinationConfiguration={"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}"})
    assert code(e) == "InvalidArgumentException"
