"""UpdateObjectEncryption, and the SSE-KMS fields HeadObject and GetObject return."""
from __future__ import annotations

import datetime as dt

import pytest
from botocore.exceptions import ClientError


def _error(call, **kwargs):
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture
def key_arn(aws_client):
    return aws_client("kms").create_key()["KeyMetadata"]["Arn"]


def test_an_sse_s3_object_becomes_sse_kms_and_keeps_everything_else(s3, bucket, key_arn):
    s3.put_object(Bucket=bucket, Key="doc", Body=b"payload", Metadata={"m": "1"}, StorageClass="STANDARD_IA",
                  ChecksumAlgorithm="SHA256")
    before = s3.head_object(Bucket=bucket, Key="doc", ChecksumMode="ENABLED")
    assert before["ServerSideEncryption"] == "AES256" and "SSEKMSKeyId" not in before
    s3.update_object_encryption(Bucket=bucket, Key="doc", ObjectEncryption={"SSEKMS": {"KMSKeyArn": key_arn}})
    after = s3.head_object(Bucket=bucket, Key="doc", ChecksumMode="ENABLED")
    assert (after["ServerSideEncryption"], after["SSEKMSKeyId"]) == ("aws:kms", key_arn)
    assert "BucketKeyEnabled" not in after
    for field in ("ETag", "LastModified", "Metadata", "StorageClass", "ChecksumSHA256", "ContentLength"):
        assert after[field] == before[field], field
    got = s3.get_object(Bucket=bucket, Key="doc")
    assert got["Body"].read() == b"payload" and got["SSEKMSKeyId"] == key_arn


def test_the_key_can_change_and_a_bucket_key_can_be_applied(s3, bucket, key_arn, aws_client):
    other = aws_client("kms").create_key()["KeyMetadata"]["Arn"]
    s3.put_object(Bucket=bucket, Key="doc", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=key_arn)
    assert s3.head_object(Bucket=bucket, Key="doc")["SSEKMSKeyId"] == key_arn
    s3.update_object_encryption(Bucket=bucket, Key="doc",
                                ObjectEncryption={"SSEKMS": {"KMSKeyArn": other, "BucketKeyEnabled": True}})
    h = s3.head_object(Bucket=bucket, Key="doc")
    assert (h["ServerSideEncryption"], h["SSEKMSKeyId"], h["BucketKeyEnabled"]) == ("aws:kms", other, True)


def test_one_version_is_updated(s3, bucket, key_arn):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    v1 = s3.put_object(Bucket=bucket, Key="doc", Body=b"one")["VersionId"]
    s3.put_object(Bucket=bucket, Key="doc", Body=b"two")
    s3.update_object_encryption(Bucket=bucket, Key="doc", VersionId=v1,
                                ObjectEncryption={"SSEKMS": {"KMSKeyArn": key_arn}})
    assert s3.head_object(Bucket=bucket, Key="doc", VersionId=v1)["ServerSideEncryption"] == "aws:kms"
    assert s3.head_object(Bucket=bucket, Key="doc")["ServerSideEncryption"] == "AES256"


def test_request_errors(s3, bucket, key_arn):
    s3.put_object(Bucket=bucket, Key="doc", Body=b"x")

    def update(key="doc", **sse):
        return _error(s3.update_object_encryption, Bucket=bucket, Key=key, ObjectEncryption={"SSEKMS": sse})
    assert update(KMSKeyArn="alias/my-alias-for-a-key") == ("InvalidRequest", 400)  # the full ARN only
    assert update(KMSKeyArn="arn:aws:kms:us-east-1:111122223333:key/abc") == ("AccessDenied", 403)
    assert update(KMSKeyArn="arn:aws:kms:us-east-1:000000000000:key/00000000-0000-0000-0000-000000000000") == \
        ("KMS.NotFoundException", 400)
    assert update(key="missing", KMSKeyArn=key_arn) == ("NoSuchKey", 404)
    assert _error(s3.update_object_encryption, Bucket="no-such-bucket-here", Key="doc",
                  ObjectEncryption={"SSEKMS": {"KMSKeyArn": key_arn}}) == ("NoSuchBucket", 404)
    assert s3.head_object(Bucket=bucket, Key="doc")["ServerSideEncryption"] == "AES256"


def test_dsse_kms_objects_are_not_supported(s3, bucket, key_arn):
    s3.put_object(Bucket=bucket, Key="dsse", Body=b"x", ServerSideEncryption="aws:kms:dsse")
    assert _error(s3.update_object_encryption, Bucket=bucket, Key="dsse",
                  ObjectEncryption={"SSEKMS": {"KMSKeyArn": key_arn}}) == ("InvalidRequest", 400)


def test_an_object_under_object_lock_is_refused(s3, key_arn):
    s3.create_bucket(Bucket="locked-bucket", ObjectLockEnabledForBucket=True)
    until = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)
    s3.put_object(Bucket="locked-bucket", Key="held", Body=b"x", ObjectLockLegalHoldStatus="ON",
                  ChecksumAlgorithm="CRC32")
    s3.put_object(Bucket="locked-bucket", Key="kept", Body=b"x", ObjectLockMode="GOVERNANCE",
                  ObjectLockRetainUntilDate=until, ChecksumAlgorithm="CRC32")
    for key in ("held", "kept"):
        assert _error(s3.update_object_encryption, Bucket="locked-bucket", Key=key,
                      ObjectEncryption={"SSEKMS": {"KMSKeyArn": key_arn}}) == ("AccessDenied", 403)
    s3.put_object_legal_hold(Bucket="locked-bucket", Key="held", LegalHold={"Status": "OFF"})
    s3.update_object_encryption(Bucket="locked-bucket", Key="held", ObjectEncryption={"SSEKMS": {"KMSKeyArn": key_arn}})
    assert s3.head_object(Bucket="locked-bucket", Key="held")["SSEKMSKeyId"] == key_arn


def test_a_copy_with_its_own_encryption_does_not_keep_the_sources_key(s3, bucket, key_arn):
    s3.put_object(Bucket=bucket, Key="src", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=key_arn)
    s3.copy_object(Bucket=bucket, Key="dst", CopySource=f"{bucket}/src", ServerSideEncryption="AES256")
    h = s3.head_object(Bucket=bucket, Key="dst")
    assert h["ServerSideEncryption"] == "AES256" and "SSEKMSKeyId" not in h
