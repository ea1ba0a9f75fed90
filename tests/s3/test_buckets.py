"""Buckets: create (names, regions, re-creation), head, location, list, delete."""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError


def error_of(call, *args, **kwargs):
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)
    r = info.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r


def test_create_head_list_delete(s3):
    r = s3.create_bucket(Bucket="my-bucket")
    assert r["Location"] == "/my-bucket"
    head = s3.head_bucket(Bucket="my-bucket")
    assert head["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"] == "us-east-1"
    assert head["BucketRegion"] == "us-east-1"
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert names == ["my-bucket"]
    assert s3.get_bucket_location(Bucket="my-bucket")["LocationConstraint"] is None
    s3.delete_bucket(Bucket="my-bucket")
    code, status, r = error_of(s3.head_bucket, Bucket="my-bucket")
    assert (code, status) == ("404", 404)
    code, status, r = error_of(s3.delete_bucket, Bucket="my-bucket")
    assert (code, status) == ("NoSuchBucket", 404)
    assert r["Error"]["BucketName"] == "my-bucket"


@pytest.mark.parametrize("name", ["ab", "A-bucket", "bucket_name", "-bucket", "bucket-", "a..b", "192.168.1.1",
                                  "xn--bucket", "bucket-s3alias", "a" * 64, "my.-bucket"])
def test_invalid_bucket_names(s3, name):
    code, status, r = error_of(s3.create_bucket, Bucket=name)
    assert (code, status) == ("InvalidBucketName", 400)


def test_valid_odd_names(s3):
    for name in ("abc", "a.b.c", "1-2-3", "a" * 63):
        s3.create_bucket(Bucket=name)


def test_location_constraints(aws_client):
    east = aws_client("s3", region="us-east-1")
    west = aws_client("s3", region="eu-west-1")
    code, status, _ = error_of(east.create_bucket, Bucket="b-east",
                               CreateBucketConfiguration={"LocationConstraint": "us-east-1"})
    assert (code, status) == ("InvalidLocationConstraint", 400)
    code, status, _ = error_of(west.create_bucket, Bucket="b-west")
    assert (code, status) == ("IllegalLocationConstraintException", 400)
    code, status, _ = error_of(west.create_bucket, Bucket="b-west",
                               CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    assert (code, status) == ("IllegalLocationConstraintException", 400)
    west.create_bucket(Bucket="b-west", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert west.head_bucket(Bucket="b-west")["BucketRegion"] == "eu-west-1"
    # The us-east-1 endpoint creates buckets in other regions too.
    east.create_bucket(Bucket="b-far", CreateBucketConfiguration={"LocationConstraint": "ap-south-1"})
    listed = {b["Name"]: b["BucketRegion"] for b in east.list_buckets()["Buckets"]}
    assert listed == {"b-west": "eu-west-1", "b-far": "ap-south-1"}


def test_recreate_own_bucket(aws_client):
    east = aws_client("s3", region="us-east-1")
    west = aws_client("s3", region="eu-west-1")
    east.create_bucket(Bucket="mine")
    # us-east-1's legacy answer: 200 for the owner.
    assert east.create_bucket(Bucket="mine")["ResponseMetadata"]["HTTPStatusCode"] == 200
    west.create_bucket(Bucket="mine-west", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    code, status, r = error_of(west.create_bucket, Bucket="mine-west",
                               CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert (code, status) == ("BucketAlreadyOwnedByYou", 409)
    assert r["Error"]["BucketName"] == "mine-west"


def test_bucket_of_another_account(aws_client):
    ours = aws_client("s3", aws_access_key_id="111111111111", aws_secret_access_key="x")
    theirs = aws_client("s3", aws_access_key_id="222222222222", aws_secret_access_key="x")
    ours.create_bucket(Bucket="shared-name")
    code, status, _ = error_of(theirs.create_bucket, Bucket="shared-name")
    assert (code, status) == ("BucketAlreadyExists", 409)
    code, status, r = error_of(theirs.head_bucket, Bucket="shared-name")
    assert (code, status) == ("403", 403)
    assert r["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"] == "us-east-1"
    assert theirs.list_buckets()["Buckets"] == []
    assert [b["Name"] for b in ours.list_buckets()["Buckets"]] == ["shared-name"]


def test_list_buckets_pages_prefix_region(aws_client):
    s3 = aws_client("s3")
    for i in range(5):
        s3.create_bucket(Bucket=f"page-{i}")
    s3.create_bucket(Bucket="other-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    seen, token = [], None
    while True:
        kw = {"MaxBuckets": 2, "Prefix": "page-"}
        if token:
            kw["ContinuationToken"] = token
        r = s3.list_buckets(**kw)
        seen += [b["Name"] for b in r["Buckets"]]
        token = r.get("ContinuationToken")
        if not token:
            break
    assert seen == [f"page-{i}" for i in range(5)]
    assert [b["Name"] for b in s3.list_buckets(BucketRegion="eu-west-1")["Buckets"]] == ["other-bucket"]
    assert s3.list_buckets()["Owner"]["ID"]


def test_delete_non_empty_bucket(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    code, status, r = error_of(s3.delete_bucket, Bucket=bucket)
    assert (code, status) == ("BucketNotEmpty", 409)
    s3.delete_object(Bucket=bucket, Key="k")
    s3.delete_bucket(Bucket=bucket)
    assert s3.list_buckets()["Buckets"] == []


def test_virtual_host_addressing(s3, virtual_s3):
    virtual_s3.create_bucket(Bucket="vhost-bucket")
    virtual_s3.put_object(Bucket="vhost-bucket", Key="dir/file.txt", Body=b"via host")
    assert s3.get_object(Bucket="vhost-bucket", Key="dir/file.txt")["Body"].read() == b"via host"
    assert virtual_s3.get_object(Bucket="vhost-bucket", Key="dir/file.txt")["Body"].read() == b"via host"
    keys = [o["Key"] for o in virtual_s3.list_objects_v2(Bucket="vhost-bucket")["Contents"]]
    assert keys == ["dir/file.txt"]
    virtual_s3.head_bucket(Bucket="vhost-bucket")


def test_cli_mb_ls_rb(nubis, tmp_path):
    import subprocess
    import sys
    env = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1",
           "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "awscli", "--endpoint-url", nubis.endpoint, *args],
                              env=env, capture_output=True, text=True, timeout=60)

    assert cli("s3", "mb", "s3://cli-bucket").returncode == 0
    f = tmp_path / "hello.txt"
    f.write_text("hello from the cli")
    r = cli("s3", "cp", str(f), "s3://cli-bucket/docs/hello.txt")
    assert r.returncode == 0, r.stderr
    r = cli("s3", "ls", "s3://cli-bucket/docs/")
    assert "hello.txt" in r.stdout
    out = tmp_path / "back.txt"
    assert cli("s3", "cp", "s3://cli-bucket/docs/hello.txt", str(out)).returncode == 0
    assert out.read_text() == "hello from the cli"
    r = cli("s3", "rb", "s3://cli-bucket", "--force")
    assert r.returncode == 0, r.stderr
    r = cli("s3api", "head-bucket", "--bucket", "cli-bucket")
    assert r.returncode != 0


def test_get_bucket_location(aws_client):
    east = aws_client("s3", region="us-east-1")
    east.create_bucket(Bucket="loc-east")
    east.create_bucket(Bucket="loc-west", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert east.get_bucket_location(Bucket="loc-east")["LocationConstraint"] is None
    assert east.get_bucket_location(Bucket="loc-west")["LocationConstraint"] == "eu-west-1"
