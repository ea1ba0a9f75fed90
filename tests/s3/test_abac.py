"""PutBucketAbac / GetBucketAbac, and bucket tagging while ABAC is enabled."""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError


def _error(call, **kwargs):
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_a_new_bucket_has_abac_disabled_and_the_status_is_stored(s3, bucket):
    assert s3.get_bucket_abac(Bucket=bucket)["AbacStatus"] == {"Status": "Disabled"}
    s3.put_bucket_abac(Bucket=bucket, AbacStatus={"Status": "Enabled"})
    assert s3.get_bucket_abac(Bucket=bucket)["AbacStatus"] == {"Status": "Enabled"}
    s3.put_bucket_abac(Bucket=bucket, AbacStatus={"Status": "Disabled"})
    assert s3.get_bucket_abac(Bucket=bucket)["AbacStatus"] == {"Status": "Disabled"}


def test_abac_errors(s3, bucket):
    assert _error(s3.get_bucket_abac, Bucket="no-such-bucket-here") == ("NoSuchBucket", 404)
    assert _error(s3.put_bucket_abac, Bucket="no-such-bucket-here",
                  AbacStatus={"Status": "Enabled"}) == ("NoSuchBucket", 404)
    assert _error(s3.get_bucket_abac, Bucket=bucket, ExpectedBucketOwner="111122223333") == ("AccessDenied", 403)


def test_bucket_tagging_is_refused_while_abac_is_enabled(s3, bucket):
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "team", "Value": "a"}]})
    s3.put_bucket_abac(Bucket=bucket, AbacStatus={"Status": "Enabled"})
    assert _error(s3.put_bucket_tagging, Bucket=bucket,
                  Tagging={"TagSet": [{"Key": "team", "Value": "b"}]}) == ("InvalidRequest", 400)
    assert _error(s3.delete_bucket_tagging, Bucket=bucket) == ("InvalidRequest", 400)
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == [{"Key": "team", "Value": "a"}]
    s3.put_bucket_abac(Bucket=bucket, AbacStatus={"Status": "Disabled"})
    s3.delete_bucket_tagging(Bucket=bucket)
    assert _error(s3.get_bucket_tagging, Bucket=bucket) == ("NoSuchTagSet", 404)


def test_a_deleted_bucket_forgets_its_abac_status(s3):
    s3.create_bucket(Bucket="abac-gone")
    s3.put_bucket_abac(Bucket="abac-gone", AbacStatus={"Status": "Enabled"})
    s3.delete_bucket(Bucket="abac-gone")
    s3.create_bucket(Bucket="abac-gone")
    assert s3.get_bucket_abac(Bucket="abac-gone")["AbacStatus"] == {"Status": "Disabled"}
