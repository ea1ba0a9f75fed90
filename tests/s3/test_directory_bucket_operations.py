"""RenameObject and CreateSession are for directory buckets; every nubis bucket is a general purpose one."""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError


def _error(call, **kwargs):
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_rename_object_in_a_general_purpose_bucket_is_not_allowed(s3, bucket):
    s3.put_object(Bucket=bucket, Key="old", Body=b"x")
    assert _error(s3.rename_object, Bucket=bucket, Key="new", RenameSource="old") == ("MethodNotAllowed", 405)
    assert s3.get_object(Bucket=bucket, Key="old")["Body"].read() == b"x"
    assert _error(s3.head_object, Bucket=bucket, Key="new") == ("404", 404)


def test_create_session_on_a_general_purpose_bucket_is_not_allowed(s3, bucket):
    assert _error(s3.create_session, Bucket=bucket) == ("MethodNotAllowed", 405)


def test_a_missing_bucket_is_no_such_bucket(s3):
    assert _error(s3.rename_object, Bucket="no-such-bucket-here", Key="new", RenameSource="old") == \
        ("NoSuchBucket", 404)
    assert _error(s3.create_session, Bucket="no-such-bucket-here") == ("NoSuchBucket", 404)
