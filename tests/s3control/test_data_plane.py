"""S3 through an access point: by ARN (``<name>-<account>.localhost``), by alias (path-style and
virtual-host) and by the access point's own host; the objects are the bucket's."""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from .conftest import ACCOUNT

ARN = f"arn:aws:s3:us-east-1:{ACCOUNT}:accesspoint/myap"


def error(exc_info) -> tuple[str, int]:
    e = exc_info.value.response
    return e["Error"]["Code"], e["ResponseMetadata"]["HTTPStatusCode"]


def keys(listing) -> list[str]:
    return [o["Key"] for o in listing.get("Contents", [])]


def test_objects_by_arn_and_alias_are_the_buckets(s3, bucket, access_point):
    alias = access_point["Alias"]
    s3.put_object(Bucket=ARN, Key="by-arn.txt", Body=b"through the ARN")
    s3.put_object(Bucket=alias, Key="by-alias.txt", Body=b"through the alias")
    s3.put_object(Bucket=bucket, Key="direct.txt", Body=b"to the bucket")
    assert s3.get_object(Bucket=bucket, Key="by-arn.txt")["Body"].read() == b"through the ARN"
    assert s3.get_object(Bucket=ARN, Key="by-alias.txt")["Body"].read() == b"through the alias"
    assert s3.get_object(Bucket=alias, Key="direct.txt")["Body"].read() == b"to the bucket"
    everything = ["by-alias.txt", "by-arn.txt", "direct.txt"]
    for name in (bucket, ARN, alias):
        assert keys(s3.list_objects_v2(Bucket=name)) == everything
    assert keys(s3.list_objects(Bucket=alias, Prefix="by-")) == ["by-alias.txt", "by-arn.txt"]
    assert s3.head_object(Bucket=ARN, Key="direct.txt")["ContentLength"] == len(b"to the bucket")
    s3.delete_object(Bucket=ARN, Key="by-arn.txt")
    s3.delete_objects(Bucket=alias, Delete={"Objects": [{"Key": "by-alias.txt"}]})
    assert keys(s3.list_objects_v2(Bucket=bucket)) == ["direct.txt"]


def test_virtual_host_alias(make_client, bucket, access_point):
    virtual = make_client("s3", addressing_style="virtual")
    alias = access_point["Alias"]
    virtual.put_object(Bucket=alias, Key="k", Body=b"virtual")
    assert virtual.get_object(Bucket=alias, Key="k")["Body"].read() == b"virtual"
    assert keys(virtual.list_objects_v2(Bucket=bucket)) == ["k"]


def test_the_access_points_own_host(make_client, bucket, access_point):
    """``<name>-<account>.s3-accesspoint.<region>.localhost``, the host GetAccessPoint's Endpoints name."""
    s3 = make_client("s3", host="s3-accesspoint.us-east-1.localhost")
    s3.put_object(Bucket=ARN, Key="own-host", Body=b"x")
    assert keys(s3.list_objects_v2(Bucket=ARN)) == ["own-host"]


def test_multipart_and_copy_through_an_alias(s3, bucket, access_point):
    alias = access_point["Alias"]
    up = s3.create_multipart_upload(Bucket=alias, Key="big")["UploadId"]
    assert [u["Key"] for u in s3.list_multipart_uploads(Bucket=ARN).get("Uploads", [])] == ["big"]
    part = b"p" * (5 * 1024 * 1024)
    e1 = s3.upload_part(Bucket=alias, Key="big", UploadId=up, PartNumber=1, Body=part)["ETag"]
    e2 = s3.upload_part(Bucket=ARN, Key="big", UploadId=up, PartNumber=2, Body=b"end")["ETag"]
    assert [p["PartNumber"] for p in s3.list_parts(Bucket=alias, Key="big", UploadId=up)["Parts"]] == [1, 2]
    s3.complete_multipart_upload(Bucket=alias, Key="big", UploadId=up, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
    assert s3.head_object(Bucket=bucket, Key="big")["ContentLength"] == len(part) + 3
    s3.copy_object(Bucket=alias, Key="copy", CopySource={"Bucket": alias, "Key": "big"})
    assert s3.head_object(Bucket=bucket, Key="copy")["ContentLength"] == len(part) + 3


def test_object_tagging_through_an_access_point(s3, bucket, access_point):
    s3.put_object(Bucket=bucket, Key="t", Body=b"")
    s3.put_object_tagging(Bucket=ARN, Key="t", Tagging={"TagSet": [{"Key": "a", "Value": "1"}]})
    assert s3.get_object_tagging(Bucket=access_point["Alias"], Key="t")["TagSet"] == [{"Key": "a", "Value": "1"}]


def test_head_bucket_by_alias_says_so(s3, bucket, access_point):
    out = s3.head_bucket(Bucket=access_point["Alias"])
    assert out["BucketRegion"] == "us-east-1" and out["AccessPointAlias"] is True
    assert s3.head_bucket(Bucket=bucket)["AccessPointAlias"] is False
    assert s3.get_bucket_location(Bucket=access_point["Alias"])["LocationConstraint"] is None


def test_an_unknown_access_point_is_no_such_bucket(s3, bucket, access_point):
    for name in ("nope-abcdefghijklmnopqrstuvwxyz01234567-s3alias",
                 f"arn:aws:s3:us-east-1:{ACCOUNT}:accesspoint/nope"):
        with pytest.raises(ClientError) as e:
            s3.list_objects_v2(Bucket=name)
        assert error(e) == ("NoSuchBucket", 404)
    with pytest.raises(ClientError) as e:
        s3.head_bucket(Bucket="nope-abcdefghijklmnopqrstuvwxyz01234567-s3alias")
    assert error(e) == ("404", 404)


def test_a_deleted_access_point_no_longer_reaches_the_bucket(s3, control, bucket, access_point):
    s3.put_object(Bucket=ARN, Key="k", Body=b"x")
    control.delete_access_point(AccountId=ACCOUNT, Name="myap")
    for name in (ARN, access_point["Alias"]):
        with pytest.raises(ClientError) as e:
            s3.get_object(Bucket=name, Key="k")
        assert error(e) == ("NoSuchBucket", 404)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"x"


def test_an_access_point_whose_bucket_is_gone_fails(s3, bucket, access_point):
    s3.delete_bucket(Bucket=bucket)
    with pytest.raises(ClientError) as e:
        s3.list_objects_v2(Bucket=access_point["Alias"])
    assert error(e) == ("NoSuchBucket", 404)
    # A new bucket of the same name is reached again.
    s3.create_bucket(Bucket=bucket)
    assert keys(s3.list_objects_v2(Bucket=ARN)) == []


def test_bucket_operations_are_not_served_by_an_access_point(s3, bucket, access_point):
    with pytest.raises(ClientError) as e:
        s3.delete_bucket(Bucket=access_point["Alias"])
    assert error(e) == ("InvalidRequest", 400)
    with pytest.raises(ClientError) as e:
        s3.put_bucket_versioning(Bucket=ARN, VersioningConfiguration={"Status": "Enabled"})
    assert error(e) == ("InvalidRequest", 400)
    assert s3.head_bucket(Bucket=bucket)["BucketRegion"] == "us-east-1"


def test_another_accounts_access_point_is_access_denied(make_client, bucket, access_point):
    stranger = make_client("s3", key="111111111111")
    with pytest.raises(ClientError) as e:
        stranger.list_objects_v2(Bucket=access_point["Alias"])
    assert error(e) == ("AccessDenied", 403)


def test_an_access_point_in_another_region(make_client, s3):
    west_s3 = make_client("s3", region="us-west-2")
    west_s3.create_bucket(Bucket="west-bucket", CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    make_client("s3control", region="us-west-2").create_access_point(AccountId=ACCOUNT, Name="myap",
                                                                      Bucket="west-bucket")
    west_arn = f"arn:aws:s3:us-west-2:{ACCOUNT}:accesspoint/myap"
    west_s3.put_object(Bucket=west_arn, Key="from-west", Body=b"w")
    assert keys(west_s3.list_objects_v2(Bucket="west-bucket")) == ["from-west"]
    # The same name in us-east-1 is another access point, which does not exist.
    with pytest.raises(ClientError) as e:
        s3.list_objects_v2(Bucket=ARN)
    assert error(e) == ("NoSuchBucket", 404)


def test_copy_from_an_access_point_arn(s3, bucket, access_point):
    s3.create_bucket(Bucket="target-bucket")
    s3.put_object(Bucket=bucket, Key="dir/a b.txt", Body=b"source")
    s3.copy_object(Bucket="target-bucket", Key="copied", CopySource={"Bucket": ARN, "Key": "dir/a b.txt"})
    assert s3.get_object(Bucket="target-bucket", Key="copied")["Body"].read() == b"source"
    s3.copy_object(Bucket="target-bucket", Key="copied2", CopySource=f"{ARN}/object/dir/a b.txt")
    assert s3.get_object(Bucket="target-bucket", Key="copied2")["Body"].read() == b"source"
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket="target-bucket", Key="x", CopySource={
            "Bucket": f"arn:aws:s3:us-east-1:{ACCOUNT}:accesspoint/nope", "Key": "dir/a b.txt"})
    assert error(e) == ("NoSuchBucket", 404)
