"""Objects: put/get/head/delete, metadata, ranges, conditions, copies, batch deletes, tagging."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import http.client
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import pytest
from botocore.exceptions import ClientError


def error_of(call, *args, **kwargs):
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)
    r = info.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r


def test_put_get_head_with_metadata(s3, bucket):
    body = b"hello, object"
    r = s3.put_object(Bucket=bucket, Key="docs/a.txt", Body=body, ContentType="text/plain",
                      Metadata={"Color": "blue"}, ContentDisposition="attachment", ContentLanguage="en",
                      CacheControl="max-age=60", ContentEncoding="identity", StorageClass="STANDARD_IA",
                      Expires=dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc), Tagging="a=1&b=2")
    etag = f'"{hashlib.md5(body).hexdigest()}"'
    assert r["ETag"] == etag
    g = s3.get_object(Bucket=bucket, Key="docs/a.txt")
    assert g["Body"].read() == body
    assert g["ETag"] == etag
    assert g["ContentLength"] == len(body)
    assert g["ContentType"] == "text/plain"
    assert g["Metadata"] == {"color": "blue"}
    assert g["ContentDisposition"] == "attachment"
    assert g["ContentLanguage"] == "en"
    assert g["CacheControl"] == "max-age=60"
    assert g["ContentEncoding"] == "identity"
    assert g["StorageClass"] == "STANDARD_IA"
    assert g["TagCount"] == 2
    assert g["AcceptRanges"] == "bytes"
    assert g["ResponseMetadata"]["HTTPHeaders"]["expires"] == "Tue, 01 Jan 2030 00:00:00 GMT"
    h = s3.head_object(Bucket=bucket, Key="docs/a.txt")
    assert h["ContentLength"] == len(body)
    assert h["ETag"] == etag
    assert h["Metadata"] == {"color": "blue"}
    assert isinstance(h["LastModified"], dt.datetime)


def test_default_content_type_and_empty_object(s3, bucket):
    s3.put_object(Bucket=bucket, Key="empty", Body=b"")
    g = s3.get_object(Bucket=bucket, Key="empty")
    assert g["Body"].read() == b""
    assert g["ContentLength"] == 0
    assert g["ETag"] == '"d41d8cd98f00b204e9800998ecf8427e"'
    assert g["ContentType"] == "binary/octet-stream"


def test_overwrite_and_missing_keys(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"one")
    s3.put_object(Bucket=bucket, Key="k", Body=b"two")
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"two"
    code, status, r = error_of(s3.get_object, Bucket=bucket, Key="missing/key")
    assert (code, status) == ("NoSuchKey", 404)
    assert r["Error"]["Key"] == "missing/key"
    code, status, r = error_of(s3.head_object, Bucket=bucket, Key="missing")
    assert (code, status) == ("404", 404)
    code, status, r = error_of(s3.get_object, Bucket="no-such-bucket", Key="k")
    assert (code, status) == ("NoSuchBucket", 404)
    assert r["Error"]["BucketName"] == "no-such-bucket"


def test_unicode_and_odd_keys(s3, bucket):
    for key in ("ümlaut/ключ.txt", "with space+plus", "a%2Fb", "emoji-🎉", "dots/../x", "q?x=1&y"):
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == key.encode()
    code, status, _ = error_of(s3.put_object, Bucket=bucket, Key="k" * 1025, Body=b"")
    assert (code, status) == ("KeyTooLongError", 400)


@pytest.fixture
def s3_once(aws_client):
    """A client that does not retry (botocore retries BadDigest, as S3 advises)."""
    from botocore.config import Config
    return aws_client("s3", config=Config(retries={"max_attempts": 1}))


def test_content_md5(s3_once, bucket):
    s3 = s3_once
    body = b"checked body"
    good = base64.b64encode(hashlib.md5(body).digest()).decode()
    s3.put_object(Bucket=bucket, Key="md5", Body=body, ContentMD5=good)
    wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    code, status, _ = error_of(s3.put_object, Bucket=bucket, Key="md5-bad", Body=body, ContentMD5=wrong)
    assert (code, status) == ("BadDigest", 400)
    code, status, _ = error_of(s3.put_object, Bucket=bucket, Key="md5-bad", Body=body, ContentMD5="notbase64!")
    assert (code, status) == ("InvalidDigest", 400)
    error_of(s3.head_object, Bucket=bucket, Key="md5-bad")


def test_checksums_round_trip(s3_once, bucket):
    s3 = s3_once
    r = s3.put_object(Bucket=bucket, Key="sum", Body=b"abc", ChecksumAlgorithm="SHA256")
    assert r["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(b"abc").digest()).decode()
    g = s3.get_object(Bucket=bucket, Key="sum", ChecksumMode="ENABLED")
    assert g["Body"].read() == b"abc"
    assert g["ChecksumSHA256"] == r["ChecksumSHA256"]
    code, status, _ = error_of(s3.put_object, Bucket=bucket, Key="sum2", Body=b"abc",
                               ChecksumSHA256=base64.b64encode(hashlib.sha256(b"abd").digest()).decode())
    assert (code, status) == ("BadDigest", 400)


def test_ranges(s3, bucket):
    body = bytes(range(256)) * 4
    s3.put_object(Bucket=bucket, Key="r", Body=body)
    g = s3.get_object(Bucket=bucket, Key="r", Range="bytes=10-19")
    assert g["Body"].read() == body[10:20]
    assert g["ContentRange"] == f"bytes 10-19/{len(body)}"
    assert g["ContentLength"] == 10
    assert s3.get_object(Bucket=bucket, Key="r", Range="bytes=1000-")["Body"].read() == body[1000:]
    assert s3.get_object(Bucket=bucket, Key="r", Range="bytes=-5")["Body"].read() == body[-5:]
    assert s3.get_object(Bucket=bucket, Key="r", Range="bytes=1020-5000")["Body"].read() == body[1020:]
    code, status, r = error_of(s3.get_object, Bucket=bucket, Key="r", Range="bytes=5000-")
    assert (code, status) == ("InvalidRange", 416)
    assert r["Error"]["ActualObjectSize"] == str(len(body))
    # A range S3 cannot parse is ignored: the whole object.
    assert s3.get_object(Bucket=bucket, Key="r", Range="bytes=x-y")["Body"].read() == body


def _raw_get(endpoint, path, headers):
    u = urlsplit(endpoint)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    conn.request("GET", path, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, dict(resp.getheaders()), data


def test_range_status_is_206(nubis, s3, bucket):
    s3.put_object(Bucket=bucket, Key="r", Body=b"0123456789")
    status, headers, data = _raw_get(nubis.endpoint, f"/{bucket}/r", {"Range": "bytes=2-3"})
    assert (status, data) == (206, b"23")


def test_get_conditions(s3, bucket, nubis):
    r = s3.put_object(Bucket=bucket, Key="c", Body=b"cond")
    etag = r["ETag"]
    last = s3.head_object(Bucket=bucket, Key="c")["LastModified"]
    before, after = last - dt.timedelta(hours=1), last + dt.timedelta(hours=1)
    assert s3.get_object(Bucket=bucket, Key="c", IfMatch=etag)["Body"].read() == b"cond"
    code, status, r = error_of(s3.get_object, Bucket=bucket, Key="c", IfMatch='"nope"')
    assert (code, status) == ("PreconditionFailed", 412)
    assert r["Error"]["Condition"] == "If-Match"
    code, status, _ = error_of(s3.get_object, Bucket=bucket, Key="c", IfNoneMatch=etag)
    assert (code, status) == ("304", 304)
    code, status, _ = error_of(s3.get_object, Bucket=bucket, Key="c", IfModifiedSince=after)
    assert (code, status) == ("304", 304)
    assert s3.get_object(Bucket=bucket, Key="c", IfModifiedSince=before)["Body"].read() == b"cond"
    code, status, _ = error_of(s3.get_object, Bucket=bucket, Key="c", IfUnmodifiedSince=before)
    assert (code, status) == ("PreconditionFailed", 412)
    # If-Match true wins over If-Unmodified-Since false; If-None-Match false wins over If-Modified-Since.
    assert s3.get_object(Bucket=bucket, Key="c", IfMatch=etag, IfUnmodifiedSince=before)["ETag"] == etag
    assert s3.get_object(Bucket=bucket, Key="c", IfNoneMatch='"x"', IfModifiedSince=after)["ETag"] == etag
    code, status, _ = error_of(s3.head_object, Bucket=bucket, Key="c", IfMatch='"nope"')
    assert (code, status) == ("412", 412)
    # The clock moves: the object is now older than "an hour after it was written".
    nubis.advance(7200)
    s3.put_object(Bucket=bucket, Key="c", Body=b"newer")
    assert s3.get_object(Bucket=bucket, Key="c", IfModifiedSince=after)["Body"].read() == b"newer"


def test_conditional_writes(s3, bucket):
    s3.put_object(Bucket=bucket, Key="once", Body=b"1", IfNoneMatch="*")
    code, status, r = error_of(s3.put_object, Bucket=bucket, Key="once", Body=b"2", IfNoneMatch="*")
    assert (code, status) == ("PreconditionFailed", 412)
    assert s3.get_object(Bucket=bucket, Key="once")["Body"].read() == b"1"
    etag = s3.head_object(Bucket=bucket, Key="once")["ETag"]
    code, status, _ = error_of(s3.put_object, Bucket=bucket, Key="once", Body=b"3", IfMatch='"abc"')
    assert (code, status) == ("PreconditionFailed", 412)
    s3.put_object(Bucket=bucket, Key="once", Body=b"3", IfMatch=etag)
    assert s3.get_object(Bucket=bucket, Key="once")["Body"].read() == b"3"
    code, status, _ = error_of(s3.put_object, Bucket=bucket, Key="never", Body=b"3", IfMatch=etag)
    assert (code, status) == ("NoSuchKey", 404)


def test_delete_is_idempotent(s3, bucket):
    s3.put_object(Bucket=bucket, Key="d", Body=b"x")
    assert s3.delete_object(Bucket=bucket, Key="d")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert s3.delete_object(Bucket=bucket, Key="d")["ResponseMetadata"]["HTTPStatusCode"] == 204
    error_of(s3.get_object, Bucket=bucket, Key="d")


def test_delete_objects(s3, bucket):
    for k in ("a", "b", "c"):
        s3.put_object(Bucket=bucket, Key=k, Body=b"x")
    r = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "a"}, {"Key": "b"}, {"Key": "zz"}]})
    assert sorted(d["Key"] for d in r["Deleted"]) == ["a", "b", "zz"]
    assert "Errors" not in r
    r = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "c"}], "Quiet": True})
    assert "Deleted" not in r
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_copy_object(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"copy me", Metadata={"m": "1"}, ContentType="text/x",
                  Tagging="t=1")
    r = s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"})
    assert r["CopyObjectResult"]["ETag"] == f'"{hashlib.md5(b"copy me").hexdigest()}"'
    g = s3.get_object(Bucket=bucket, Key="dst")
    assert g["Body"].read() == b"copy me"
    assert g["Metadata"] == {"m": "1"}
    assert g["ContentType"] == "text/x"
    assert s3.get_object_tagging(Bucket=bucket, Key="dst")["TagSet"] == [{"Key": "t", "Value": "1"}]
    s3.copy_object(Bucket=bucket, Key="dst2", CopySource=f"{bucket}/src", MetadataDirective="REPLACE",
                   Metadata={"n": "2"}, ContentType="text/y", TaggingDirective="REPLACE", Tagging="u=2")
    g = s3.get_object(Bucket=bucket, Key="dst2")
    assert g["Metadata"] == {"n": "2"}
    assert g["ContentType"] == "text/y"
    assert s3.get_object_tagging(Bucket=bucket, Key="dst2")["TagSet"] == [{"Key": "u", "Value": "2"}]
    # Onto itself: only with REPLACE.
    code, status, _ = error_of(s3.copy_object, Bucket=bucket, Key="src", CopySource=f"{bucket}/src")
    assert (code, status) == ("InvalidRequest", 400)
    s3.copy_object(Bucket=bucket, Key="src", CopySource=f"{bucket}/src", MetadataDirective="REPLACE",
                   Metadata={"fresh": "yes"})
    assert s3.head_object(Bucket=bucket, Key="src")["Metadata"] == {"fresh": "yes"}
    code, status, _ = error_of(s3.copy_object, Bucket=bucket, Key="x", CopySource=f"{bucket}/missing")
    assert (code, status) == ("NoSuchKey", 404)


def test_copy_conditions(s3, bucket):
    etag = s3.put_object(Bucket=bucket, Key="src", Body=b"abc")["ETag"]
    s3.copy_object(Bucket=bucket, Key="ok", CopySource=f"{bucket}/src", CopySourceIfMatch=etag)
    code, status, _ = error_of(s3.copy_object, Bucket=bucket, Key="no", CopySource=f"{bucket}/src",
                               CopySourceIfMatch='"other"')
    assert (code, status) == ("PreconditionFailed", 412)
    code, status, _ = error_of(s3.copy_object, Bucket=bucket, Key="no", CopySource=f"{bucket}/src",
                               CopySourceIfNoneMatch=etag)
    assert (code, status) == ("PreconditionFailed", 412)
    future = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)
    code, status, _ = error_of(s3.copy_object, Bucket=bucket, Key="no", CopySource=f"{bucket}/src",
                               CopySourceIfModifiedSince=future)
    assert (code, status) == ("PreconditionFailed", 412)
    error_of(s3.head_object, Bucket=bucket, Key="no")


def test_object_tagging(s3, bucket):
    s3.put_object(Bucket=bucket, Key="t", Body=b"x")
    assert s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"] == []
    s3.put_object_tagging(Bucket=bucket, Key="t", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
    assert s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"] == [{"Key": "k", "Value": "v"}]
    too_many = [{"Key": f"k{i}", "Value": "v"} for i in range(11)]
    code, status, _ = error_of(s3.put_object_tagging, Bucket=bucket, Key="t", Tagging={"TagSet": too_many})
    assert (code, status) == ("BadRequest", 400)
    s3.delete_object_tagging(Bucket=bucket, Key="t")
    assert s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"] == []
    code, status, r = error_of(s3.get_object_tagging, Bucket=bucket, Key="nope")
    assert (code, status) == ("NoSuchKey", 404)


def test_get_object_attributes(s3, bucket):
    s3.put_object(Bucket=bucket, Key="attrs", Body=b"12345", ChecksumAlgorithm="CRC32")
    r = s3.get_object_attributes(Bucket=bucket, Key="attrs",
                                 ObjectAttributes=["ETag", "ObjectSize", "StorageClass", "Checksum"])
    assert r["ETag"] == hashlib.md5(b"12345").hexdigest()
    assert r["ObjectSize"] == 5
    assert r["StorageClass"] == "STANDARD"
    assert "ChecksumCRC32" in r["Checksum"]



def test_get_object_attributes_needs_its_header(nubis_endpoint, bucket):
    """Without x-amz-object-attributes (clients that do not check required members) the
    request is still GetObjectAttributes (by its ?attributes), refused as S3 refuses it."""
    import boto3
    from botocore.config import Config

    raw = boto3.client("s3", endpoint_url=nubis_endpoint, region_name="us-east-1", aws_access_key_id="test",
                       aws_secret_access_key="test",
                       config=Config(parameter_validation=False, retries={"max_attempts": 1}))
    raw.put_object(Bucket=bucket, Key="attrs", Body=b"12345")
    code, status, r = error_of(raw.get_object_attributes, Bucket=bucket, Key="attrs")
    assert (code, status) == ("InvalidRequest", 400)
    assert r["Error"]["Message"] == ("The x-amz-object-attributes header specifying the attributes to be "
                                     "retrieved is either missing or empty")
    code, status, _ = error_of(raw.get_object_attributes, Bucket=bucket, Key="attrs", ObjectAttributes=["Colour"])
    assert (code, status) == ("InvalidArgument", 400)


def test_large_object_streams(s3, bucket):
    body = (b"0123456789abcdef" * 65536) * 5  # 5 MiB
    s3.put_object(Bucket=bucket, Key="big", Body=body)
    g = s3.get_object(Bucket=bucket, Key="big")
    assert hashlib.md5(g["Body"].read()).hexdigest() == hashlib.md5(body).hexdigest()
    g = s3.get_object(Bucket=bucket, Key="big", Range="bytes=1048570-1048580")
    assert g["Body"].read() == body[1048570:1048581]


def test_upload_and_download_file(s3, bucket, tmp_path):
    src = tmp_path / "in.bin"
    src.write_bytes(b"z" * 300_000)
    s3.upload_file(str(src), bucket, "files/in.bin")
    out = tmp_path / "out.bin"
    s3.download_file(bucket, "files/in.bin", str(out))
    assert out.read_bytes() == src.read_bytes()


def _raw(endpoint, method, path, headers, body=b""):
    u = urlsplit(endpoint)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    conn.request(method, path, body=body, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data


def test_aws_chunked_upload_with_trailing_checksum(nubis, s3, bucket):
    payload = b"hello world"
    body = (b"%x\r\n" % len(payload)) + payload + b"\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n"
    headers = {"Content-Encoding": "aws-chunked", "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
               "x-amz-decoded-content-length": str(len(payload)), "x-amz-trailer": "x-amz-checksum-crc32",
               "Content-Type": "text/plain"}
    status, h, data = _raw(nubis.endpoint, "PUT", f"/{bucket}/chunked", headers, body)
    assert status == 200, data
    assert h["x-amz-checksum-crc32"] == "DUoRhQ=="
    g = s3.get_object(Bucket=bucket, Key="chunked", ChecksumMode="ENABLED")
    assert g["Body"].read() == payload
    assert "ContentEncoding" not in g  # aws-chunked is not kept
    assert g["ChecksumCRC32"] == "DUoRhQ=="
    bad = body.replace(b"DUoRhQ==", b"AAAAAA==")
    status, h, data = _raw(nubis.endpoint, "PUT", f"/{bucket}/chunked2", headers, bad)
    assert status == 400 and b"<Code>BadDigest</Code>" in data
    error_of(s3.head_object, Bucket=bucket, Key="chunked2")


def test_presigned_urls(nubis, s3, bucket):
    import urllib.request
    put = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "signed/obj"}, ExpiresIn=60)
    req = urllib.request.Request(put, data=b"presigned body", method="PUT")
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.status == 200
    get = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "signed/obj",
                                                          "ResponseContentType": "text/special"}, ExpiresIn=60)
    with urllib.request.urlopen(get, timeout=10) as r:
        assert r.read() == b"presigned body"
        assert r.headers["Content-Type"] == "text/special"


def test_error_before_body_keeps_connection_usable(s3, bucket):
    s3.put_object(Bucket=bucket, Key="exists", Body=b"x")
    for _ in range(3):
        code, status, _ = error_of(s3.put_object, Bucket=bucket, Key="exists", Body=b"y" * 100_000,
                                   IfNoneMatch="*")
        assert status == 412
        code, status, _ = error_of(s3.put_object, Bucket="missing-bucket-x", Key="k", Body=b"y" * 100_000)
        assert code == "NoSuchBucket"
    assert s3.get_object(Bucket=bucket, Key="exists")["Body"].read() == b"x"


def test_default_crc64nvme_checksum(nubis, s3, bucket):
    import urllib.request
    url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "plain"}, ExpiresIn=60)
    with urllib.request.urlopen(urllib.request.Request(url, data=b"no checksum sent", method="PUT")) as r:
        assert r.headers["x-amz-checksum-crc64nvme"]
    g = s3.get_object(Bucket=bucket, Key="plain", ChecksumMode="ENABLED")
    assert g["Body"].read() == b"no checksum sent"  # botocore checks the CRC64NVME as it reads
    assert g["ChecksumCRC64NVME"] and g["ChecksumType"] == "FULL_OBJECT"


def test_object_acls(s3, bucket):
    s3.put_object(Bucket=bucket, Key="private", Body=b"x")
    acl = s3.get_object_acl(Bucket=bucket, Key="private")
    assert [g["Permission"] for g in acl["Grants"]] == ["FULL_CONTROL"]
    assert acl["Grants"][0]["Grantee"]["ID"] == acl["Owner"]["ID"]
    # New buckets enforce bucket-owner ownership: ACLs other than the owner's are refused.
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="public", Body=b"x", ACL="public-read")
    assert e.value.response["Error"]["Code"] == "AccessControlListNotSupported"
    s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
    s3.put_object(Bucket=bucket, Key="public", Body=b"x", ACL="public-read")
    grants = s3.get_object_acl(Bucket=bucket, Key="public")["Grants"]
    assert {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"} in \
        [g["Grantee"] for g in grants]
    s3.put_object_acl(Bucket=bucket, Key="public", ACL="private")
    assert len(s3.get_object_acl(Bucket=bucket, Key="public")["Grants"]) == 1
    s3.copy_object(Bucket=bucket, Key="copied", CopySource=f"{bucket}/public")
    assert len(s3.get_object_acl(Bucket=bucket, Key="copied")["Grants"]) == 1
    with pytest.raises(ClientError) as e:
        s3.get_object_acl(Bucket=bucket, Key="nope")
    assert e.value.response["Error"]["Code"] == "NoSuchKey"


def test_storage_classes_and_metadata_limits(s3, bucket):
    code, status, _ = error_of(s3.put_object, Bucket=bucket, Key="k", Body=b"x", StorageClass="NOPE")
    assert (code, status) == ("InvalidStorageClass", 400)
    s3.put_object(Bucket=bucket, Key="cold", Body=b"x", StorageClass="GLACIER")
    assert s3.head_object(Bucket=bucket, Key="cold")["StorageClass"] == "GLACIER"
    code, status, r = error_of(s3.get_object, Bucket=bucket, Key="cold")
    assert (code, status) == ("InvalidObjectState", 403)
    listed = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert [(o["Key"], o["StorageClass"]) for o in listed] == [("cold", "GLACIER")]
    code, status, _ = error_of(s3.put_object, Bucket=bucket, Key="k", Body=b"x", Metadata={"big": "v" * 2100})
    assert (code, status) == ("MetadataTooLarge", 400)


def test_restore_archived_object_on_the_clock(nubis, s3, bucket):
    s3.put_object(Bucket=bucket, Key="archive", Body=b"frozen", StorageClass="GLACIER")
    code, status, _ = error_of(s3.copy_object, Bucket=bucket, Key="thawed", CopySource=f"{bucket}/archive")
    assert (code, status) == ("InvalidObjectState", 403)
    s3.restore_object(Bucket=bucket, Key="archive",
                      RestoreRequest={"Days": 2, "GlacierJobParameters": {"Tier": "Expedited"}})
    assert s3.head_object(Bucket=bucket, Key="archive")["Restore"] == 'ongoing-request="true"'
    code, status, _ = error_of(s3.restore_object, Bucket=bucket, Key="archive", RestoreRequest={"Days": 2})
    assert (code, status) == ("RestoreAlreadyInProgress", 409)
    error_of(s3.get_object, Bucket=bucket, Key="archive")
    nubis.advance(5 * 60)
    assert s3.head_object(Bucket=bucket, Key="archive")["Restore"].startswith('ongoing-request="false", expiry-date=')
    assert s3.get_object(Bucket=bucket, Key="archive")["Body"].read() == b"frozen"
    s3.copy_object(Bucket=bucket, Key="thawed", CopySource=f"{bucket}/archive", StorageClass="STANDARD")
    assert s3.get_object(Bucket=bucket, Key="thawed")["Body"].read() == b"frozen"
    assert "Restore" not in s3.head_object(Bucket=bucket, Key="thawed")
    nubis.advance(2 * 86400)
    code, status, _ = error_of(s3.get_object, Bucket=bucket, Key="archive")
    assert (code, status) == ("InvalidObjectState", 403)
    s3.put_object(Bucket=bucket, Key="warm", Body=b"x")
    code, status, _ = error_of(s3.restore_object, Bucket=bucket, Key="warm", RestoreRequest={"Days": 1})
    assert (code, status) == ("InvalidObjectState", 403)


def test_event_notifications_to_sqs(aws_client, s3, bucket):
    import json
    sqs = aws_client("sqs")
    url = sqs.create_queue(QueueName="s3-events")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={"QueueConfigurations": [
        {"Id": "created", "QueueArn": arn, "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"],
         "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "in/"}]}}}]})

    def receive():
        got = []
        for _ in range(10):
            r = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            for m in r.get("Messages", []):
                got.append(json.loads(m["Body"]))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            if got:
                return got
        return got

    test = receive()
    assert test[0]["Event"] == "s3:TestEvent" and test[0]["Bucket"] == bucket
    s3.put_object(Bucket=bucket, Key="other/skip", Body=b"x")
    etag = s3.put_object(Bucket=bucket, Key="in/a file.txt", Body=b"hello")["ETag"]
    rec = receive()[0]["Records"][0]
    assert rec["eventName"] == "ObjectCreated:Put" and rec["eventSource"] == "aws:s3"
    assert rec["s3"]["bucket"]["name"] == bucket and rec["s3"]["configurationId"] == "created"
    assert rec["s3"]["object"] == {"key": "in/a+file.txt", "size": 5, "eTag": etag.strip('"'),
                                   "sequencer": rec["s3"]["object"]["sequencer"]}
    s3.delete_object(Bucket=bucket, Key="in/a file.txt")
    assert receive()[0]["Records"][0]["eventName"] == "ObjectRemoved:Delete"


def test_presigned_urls_expire_on_the_clock(nubis, s3, bucket):
    s3.put_object(Bucket=bucket, Key="soon", Body=b"here")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "soon"}, ExpiresIn=60)
    with urllib.request.urlopen(url) as r:
        assert r.read() == b"here"
    nubis.advance(61)
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(url)
    assert info.value.code == 403
    body = info.value.read().decode()
    assert "<Code>AccessDenied</Code>" in body and "<Message>Request has expired</Message>" in body
    assert "<Expires>" in body and "<ServerTime>" in body


def test_sigv4_presigned_urls_expire_too(nubis, bucket):
    from botocore.config import Config

    s3v4 = nubis.client("s3", config=Config(signature_version="s3v4"))
    s3v4.put_object(Bucket=bucket, Key="v4", Body=b"four")
    url = s3v4.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "v4"}, ExpiresIn=30)
    assert "X-Amz-Expires=30" in url
    with urllib.request.urlopen(url) as r:
        assert r.read() == b"four"
    nubis.advance(31)
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(url)
    assert info.value.code == 403
    assert "<X-Amz-Expires>30</X-Amz-Expires>" in info.value.read().decode()


def test_presigned_expiry_over_a_week_is_refused(nubis, bucket):
    from botocore.config import Config

    s3v4 = nubis.client("s3", config=Config(signature_version="s3v4"))
    url = s3v4.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=604801)
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(url)
    assert info.value.code == 400
    assert "AuthorizationQueryParametersError" in info.value.read().decode()


def test_an_event_to_a_deleted_queue_is_dropped_and_later_ones_flow(aws_client, s3, bucket):
    import json
    sqs = aws_client("sqs")
    urls = [sqs.create_queue(QueueName=f"s3-events-{i}")["QueueUrl"] for i in range(2)]
    arns = [sqs.get_queue_attributes(QueueUrl=u, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            for u in urls]
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={"QueueConfigurations": [
        {"Id": f"q{i}", "QueueArn": arn, "Events": ["s3:ObjectCreated:*"],
         "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": prefix}]}}}
        for i, (arn, prefix) in enumerate(zip(arns, ["gone/", "here/"]))]})
    sqs.delete_queue(QueueUrl=urls[0])
    s3.put_object(Bucket=bucket, Key="gone/k", Body=b"x")  # its queue no longer exists: dropped
    s3.put_object(Bucket=bucket, Key="here/k", Body=b"x")
    records = []
    for _ in range(10):
        for m in sqs.receive_message(QueueUrl=urls[1], MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
            doc = json.loads(m["Body"])
            records += doc.get("Records", [])
        if records:
            break
    assert [r["eventName"] for r in records] == ["ObjectCreated:Put"]
    assert records[0]["s3"]["configurationId"] == "q1"


def test_a_put_over_5_gib_is_refused_before_its_body_is_read(nubis, bucket):
    # Only the headers and a few bytes are sent: S3 answers from Content-Length
    # and closes the connection rather than wait for 5 GiB.
    import socket
    from urllib.parse import urlsplit
    length = 5 * 1024 ** 3 + 1
    host, port = urlsplit(nubis.endpoint).hostname, urlsplit(nubis.endpoint).port
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(f"PUT /{bucket}/huge HTTP/1.1\r\nHost: {host}:{port}\r\n"
                     f"Content-Length: {length}\r\n\r\n".encode() + b"x" * 10)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 400")
    assert b"<Code>EntityTooLarge</Code>" in answer
    assert f"<ProposedSize>{length}</ProposedSize>".encode() in answer
    assert b"<MaxSizeAllowed>5368709120</MaxSizeAllowed>" in answer
