"""S3 Metadata configurations: the V2 operations, the V1 ones, and how they meet."""
from __future__ import annotations

import re

import pytest
from botocore.exceptions import ClientError

JOURNAL_ONLY = {"JournalTableConfiguration": {"RecordExpiration": {"Expiration": "DISABLED"}}}
TABLE_ARN = re.compile(r"^arn:aws:s3tables:us-east-1:000000000000:bucket/aws-s3/table/[0-9a-f-]{36}$")


def _error(call, **kwargs):
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def _result(s3, bucket):
    return s3.get_bucket_metadata_configuration(Bucket=bucket)["GetBucketMetadataConfigurationResult"][
        "MetadataConfigurationResult"]


def test_create_get_delete_a_v2_configuration(s3, bucket):
    assert _error(s3.get_bucket_metadata_configuration, Bucket=bucket) == ("MetadataConfigurationNotFound", 404)
    s3.create_bucket_metadata_configuration(Bucket=bucket, MetadataConfiguration={
        "JournalTableConfiguration": {"RecordExpiration": {"Expiration": "ENABLED", "Days": 30},
                                      "EncryptionConfiguration": {"SseAlgorithm": "AES256"}},
        "InventoryTableConfiguration": {"ConfigurationState": "ENABLED"}})
    result = _result(s3, bucket)
    assert result["DestinationResult"] == {"TableBucketType": "aws",
                                           "TableBucketArn": "arn:aws:s3tables:us-east-1:000000000000:bucket/aws-s3",
                                           "TableNamespace": f"b_{bucket}"}
    journal, inventory = result["JournalTableConfigurationResult"], result["InventoryTableConfigurationResult"]
    assert (journal["TableStatus"], journal["TableName"]) == ("ACTIVE", "journal")
    assert journal["RecordExpiration"] == {"Expiration": "ENABLED", "Days": 30}
    assert (inventory["ConfigurationState"], inventory["TableStatus"], inventory["TableName"]) == \
        ("ENABLED", "ACTIVE", "inventory")
    assert TABLE_ARN.match(journal["TableArn"]) and TABLE_ARN.match(inventory["TableArn"])
    assert journal["TableArn"] != inventory["TableArn"]
    assert _error(s3.create_bucket_metadata_configuration, Bucket=bucket,
                  MetadataConfiguration=JOURNAL_ONLY) == ("MetadataConfigurationAlreadyExists", 409)
    s3.delete_bucket_metadata_configuration(Bucket=bucket)
    assert _error(s3.get_bucket_metadata_configuration, Bucket=bucket) == ("MetadataConfigurationNotFound", 404)
    assert _error(s3.delete_bucket_metadata_configuration, Bucket=bucket) == ("MetadataConfigurationNotFound", 404)


def test_the_inventory_table_is_disabled_unless_asked_for(s3, bucket):
    s3.create_bucket_metadata_configuration(Bucket=bucket, MetadataConfiguration=JOURNAL_ONLY)
    assert _result(s3, bucket)["InventoryTableConfigurationResult"] == {"ConfigurationState": "DISABLED"}


def test_update_the_inventory_and_journal_tables(s3, bucket):
    s3.create_bucket_metadata_configuration(Bucket=bucket, MetadataConfiguration=JOURNAL_ONLY)
    journal_arn = _result(s3, bucket)["JournalTableConfigurationResult"]["TableArn"]
    s3.update_bucket_metadata_inventory_table_configuration(
        Bucket=bucket, InventoryTableConfiguration={"ConfigurationState": "ENABLED"})
    inventory = _result(s3, bucket)["InventoryTableConfigurationResult"]
    assert inventory["ConfigurationState"] == "ENABLED" and TABLE_ARN.match(inventory["TableArn"])
    # Enabling it again keeps the same table.
    s3.update_bucket_metadata_inventory_table_configuration(
        Bucket=bucket, InventoryTableConfiguration={"ConfigurationState": "ENABLED"})
    assert _result(s3, bucket)["InventoryTableConfigurationResult"]["TableArn"] == inventory["TableArn"]
    s3.update_bucket_metadata_journal_table_configuration(
        Bucket=bucket, JournalTableConfiguration={"RecordExpiration": {"Expiration": "ENABLED", "Days": 7}})
    result = _result(s3, bucket)
    assert result["JournalTableConfigurationResult"]["RecordExpiration"] == {"Expiration": "ENABLED", "Days": 7}
    assert result["JournalTableConfigurationResult"]["TableArn"] == journal_arn
    s3.update_bucket_metadata_inventory_table_configuration(
        Bucket=bucket, InventoryTableConfiguration={"ConfigurationState": "DISABLED"})
    assert _result(s3, bucket)["InventoryTableConfigurationResult"] == {"ConfigurationState": "DISABLED"}


def test_updates_need_a_configuration(s3, bucket):
    assert _error(s3.update_bucket_metadata_inventory_table_configuration, Bucket=bucket,
                  InventoryTableConfiguration={"ConfigurationState": "ENABLED"}) == \
        ("MetadataConfigurationNotFound", 404)
    assert _error(s3.update_bucket_metadata_journal_table_configuration, Bucket=bucket,
                  JournalTableConfiguration={"RecordExpiration": {"Expiration": "DISABLED"}}) == \
        ("MetadataConfigurationNotFound", 404)


@pytest.mark.parametrize("expiration", [{"Expiration": "ENABLED", "Days": 6}, {"Expiration": "ENABLED"}])
def test_journal_records_are_kept_at_least_7_days(s3, bucket, expiration):
    assert _error(s3.create_bucket_metadata_configuration, Bucket=bucket, MetadataConfiguration={
        "JournalTableConfiguration": {"RecordExpiration": expiration}}) == ("InvalidRequest", 400)
    assert _error(s3.get_bucket_metadata_configuration, Bucket=bucket) == ("MetadataConfigurationNotFound", 404)


def test_table_encryption_with_kms_needs_a_key_that_exists(s3, bucket, aws_client):
    def create(encryption):
        return _error(s3.create_bucket_metadata_configuration, Bucket=bucket, MetadataConfiguration={
            "JournalTableConfiguration": {"RecordExpiration": {"Expiration": "DISABLED"},
                                          "EncryptionConfiguration": encryption}})
    assert create({"SseAlgorithm": "aws:kms"}) == ("InvalidRequest", 400)
    assert create({"SseAlgorithm": "AES256", "KmsKeyArn": "arn:aws:kms:us-east-1:000000000000:key/x"}) == \
        ("InvalidRequest", 400)
    missing = "arn:aws:kms:us-east-1:000000000000:key/00000000-0000-0000-0000-000000000000"
    assert create({"SseAlgorithm": "aws:kms", "KmsKeyArn": missing}) == ("KMS.NotFoundException", 400)
    key = aws_client("kms").create_key()["KeyMetadata"]["Arn"]
    s3.create_bucket_metadata_configuration(Bucket=bucket, MetadataConfiguration={
        "JournalTableConfiguration": {"RecordExpiration": {"Expiration": "DISABLED"},
                                      "EncryptionConfiguration": {"SseAlgorithm": "aws:kms", "KmsKeyArn": key}}})
    assert _result(s3, bucket)["JournalTableConfigurationResult"]["TableName"] == "journal"


def test_a_v1_configuration(s3, bucket):
    table_bucket = "arn:aws:s3tables:us-east-1:000000000000:bucket/my-table-bucket"
    assert _error(s3.get_bucket_metadata_table_configuration, Bucket=bucket) == \
        ("MetadataConfigurationNotFound", 404)
    s3.create_bucket_metadata_table_configuration(Bucket=bucket, MetadataTableConfiguration={
        "S3TablesDestination": {"TableBucketArn": table_bucket, "TableName": "my_metadata"}})
    out = s3.get_bucket_metadata_table_configuration(Bucket=bucket)["GetBucketMetadataTableConfigurationResult"]
    destination = out["MetadataTableConfigurationResult"]["S3TablesDestinationResult"]
    assert out["Status"] == "ACTIVE"
    assert (destination["TableBucketArn"], destination["TableName"], destination["TableNamespace"]) == \
        (table_bucket, "my_metadata", "aws_s3_metadata")
    assert destination["TableArn"].startswith(table_bucket + "/table/")
    # The V2 Get reads a V1 configuration; a second configuration is refused.
    v2 = _result(s3, bucket)
    assert v2["DestinationResult"]["TableBucketType"] == "customer"
    assert v2["JournalTableConfigurationResult"]["TableArn"] == destination["TableArn"]
    assert _error(s3.create_bucket_metadata_configuration, Bucket=bucket,
                  MetadataConfiguration=JOURNAL_ONLY) == ("MetadataConfigurationAlreadyExists", 409)
    # A V1 configuration has no inventory table and no journal record expiration.
    assert _error(s3.update_bucket_metadata_inventory_table_configuration, Bucket=bucket,
                  InventoryTableConfiguration={"ConfigurationState": "ENABLED"}) == ("MethodNotAllowed", 405)
    s3.delete_bucket_metadata_table_configuration(Bucket=bucket)
    assert _error(s3.get_bucket_metadata_configuration, Bucket=bucket) == ("MetadataConfigurationNotFound", 404)


def test_v1_operations_on_a_v2_configuration_are_not_allowed(s3, bucket):
    s3.create_bucket_metadata_configuration(Bucket=bucket, MetadataConfiguration=JOURNAL_ONLY)
    assert _error(s3.get_bucket_metadata_table_configuration, Bucket=bucket) == ("MethodNotAllowed", 405)
    assert _error(s3.delete_bucket_metadata_table_configuration, Bucket=bucket) == ("MethodNotAllowed", 405)
    assert _result(s3, bucket)["JournalTableConfigurationResult"]["TableName"] == "journal"


def test_v1_destination_is_checked(s3, bucket):
    def create(arn, name):
        return _error(s3.create_bucket_metadata_table_configuration, Bucket=bucket, MetadataTableConfiguration={
            "S3TablesDestination": {"TableBucketArn": arn, "TableName": name}})
    assert create("arn:aws:s3:::not-a-table-bucket", "t") == ("InvalidRequest", 400)
    assert create("arn:aws:s3tables:us-east-1:000000000000:bucket/tb", "Bad-Name") == ("InvalidRequest", 400)


def test_metadata_operations_on_a_missing_bucket(s3):
    assert _error(s3.get_bucket_metadata_configuration, Bucket="no-such-bucket-here") == ("NoSuchBucket", 404)
    assert _error(s3.create_bucket_metadata_configuration, Bucket="no-such-bucket-here",
                  MetadataConfiguration=JOURNAL_ONLY) == ("NoSuchBucket", 404)
