"""ABAC status, S3 Metadata configurations and an object's updated encryption survive a restart."""
from __future__ import annotations


def test_abac_metadata_and_object_encryption_survive_restarts(server_process, tmp_path):
    data = str(tmp_path / "data")
    server = server_process("--data-dir", data)
    s3, kms = server.client("s3"), server.client("kms")
    key = kms.create_key()["KeyMetadata"]["Arn"]
    for name in ("abac-durable", "meta-v1-durable"):
        s3.create_bucket(Bucket=name)
    s3.put_bucket_abac(Bucket="abac-durable", AbacStatus={"Status": "Enabled"})
    s3.create_bucket_metadata_configuration(Bucket="abac-durable", MetadataConfiguration={
        "JournalTableConfiguration": {"RecordExpiration": {"Expiration": "ENABLED", "Days": 90}},
        "InventoryTableConfiguration": {"ConfigurationState": "ENABLED"}})
    s3.create_bucket_metadata_table_configuration(Bucket="meta-v1-durable", MetadataTableConfiguration={
        "S3TablesDestination": {"TableBucketArn": "arn:aws:s3tables:us-east-1:000000000000:bucket/table-bucket",
                                "TableName": "journal_v1"}})
    s3.put_object(Bucket="abac-durable", Key="doc", Body=b"x")
    s3.update_object_encryption(Bucket="abac-durable", Key="doc",
                                ObjectEncryption={"SSEKMS": {"KMSKeyArn": key, "BucketKeyEnabled": True}})
    before = s3.get_bucket_metadata_configuration(Bucket="abac-durable")["GetBucketMetadataConfigurationResult"]
    v1 = s3.get_bucket_metadata_table_configuration(Bucket="meta-v1-durable")[
        "GetBucketMetadataTableConfigurationResult"]
    server.kill9()

    server = server_process("--data-dir", data)
    s3 = server.client("s3")
    assert s3.get_bucket_abac(Bucket="abac-durable")["AbacStatus"] == {"Status": "Enabled"}
    assert s3.get_bucket_metadata_configuration(Bucket="abac-durable")[
        "GetBucketMetadataConfigurationResult"] == before
    assert s3.get_bucket_metadata_table_configuration(Bucket="meta-v1-durable")[
        "GetBucketMetadataTableConfigurationResult"] == v1
    h = s3.head_object(Bucket="abac-durable", Key="doc")
    assert (h["ServerSideEncryption"], h["SSEKMSKeyId"], h["BucketKeyEnabled"]) == ("aws:kms", key, True)
