"""S3 POST Object: browser form uploads, signed with boto3's generate_presigned_post
and sent as a browser would, as multipart/form-data through httpx."""
from __future__ import annotations

import base64
import hashlib
import json
import os
import time
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

import boto3
import httpx
import pytest
from botocore.config import Config

from nubis.testing.fixtures import enforcing  # noqa: F401  (a second nubis enforcing IAM, per module)

@pytest.fixture(autouse=True)
def frozen_clock(nubis):
    """The clock stands still between advances, so an expiry is exact."""
    nubis.freeze()


@pytest.fixture
def s3v4(nubis):
    return boto3.client("s3", endpoint_url=nubis.endpoint, region_name="us-east-1", aws_access_key_id="test",
                        aws_secret_access_key="test", config=Config(signature_version="s3v4"))


@pytest.fixture
def s3v2(nubis):
    return boto3.client("s3", endpoint_url=nubis.endpoint, region_name="us-east-1", aws_access_key_id="test",
                        aws_secret_access_key="test", config=Config(signature_version="s3"))


def post(url: str, fields: dict, data: bytes = b"hello", filename: str = "hello.txt", virtual: bool = False,
         file_type: str = "application/octet-stream") -> httpx.Response:
    """A browser's form post: the fields in order, then the file."""
    headers = {}
    if virtual:  # a virtual host, reached on the loopback as DNS would resolve it
        parts = urlsplit(url)
        headers["Host"] = parts.netloc
        url = parts._replace(netloc="127.0.0.1:" + str(parts.port)).geturl()
    return httpx.post(url, data=fields, files={"file": (filename, data, file_type)}, headers=headers,
                      timeout=30, follow_redirects=False)


def error(r: httpx.Response) -> dict:
    root = ET.fromstring(r.content)
    assert root.tag == "Error"
    return {child.tag: child.text for child in root}


def test_sigv4_post_creates_the_object(s3v4, bucket):
    p = s3v4.generate_presigned_post(bucket, "docs/readme.txt",
                                     Fields={"Content-Type": "text/plain", "x-amz-meta-owner": "alice",
                                             "Cache-Control": "max-age=60"},
                                     Conditions=[{"Content-Type": "text/plain"}, {"x-amz-meta-owner": "alice"},
                                                 ["starts-with", "$Cache-Control", "max-age"]],
                                     ExpiresIn=300)
    assert p["fields"]["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    r = post(p["url"], p["fields"], b"read me")
    assert r.status_code == 204, r.text
    assert r.content == b""
    assert r.headers["ETag"] == '"%s"' % hashlib.md5(b"read me").hexdigest()
    assert r.headers["Location"].endswith(f"/{bucket}/docs/readme.txt")
    got = s3v4.get_object(Bucket=bucket, Key="docs/readme.txt")
    assert got["Body"].read() == b"read me"
    assert got["ContentType"] == "text/plain"
    assert got["Metadata"] == {"owner": "alice"}
    assert got["CacheControl"] == "max-age=60"
    assert got["ETag"] == r.headers["ETag"]


def test_sigv2_post_creates_the_object(s3v2, bucket):
    p = s3v2.generate_presigned_post(bucket, "v2.bin", ExpiresIn=60)
    assert "AWSAccessKeyId" in p["fields"] and "signature" in p["fields"]
    r = post(p["url"], p["fields"], b"\x00\x01binary")
    assert r.status_code == 204, r.text
    assert s3v2.get_object(Bucket=bucket, Key="v2.bin")["Body"].read() == b"\x00\x01binary"


def test_filename_variable(s3v4, bucket):
    p = s3v4.generate_presigned_post(bucket, "uploads/${filename}", ExpiresIn=60)
    r = post(p["url"], p["fields"], b"png bytes", filename="photo.png")
    assert r.status_code == 204, r.text
    assert s3v4.get_object(Bucket=bucket, Key="uploads/photo.png")["Body"].read() == b"png bytes"
    # A browser that sends a path: only what follows the last slash or backslash.
    r = post(p["url"], p["fields"], b"second", filename="C:\\Users\\me\\report.pdf")
    assert r.status_code == 204, r.text
    keys = [o["Key"] for o in s3v4.list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == ["uploads/photo.png", "uploads/report.pdf"]


def test_success_action_status_201_answers_post_response(s3v4, bucket):
    p = s3v4.generate_presigned_post(bucket, "made.txt", Fields={"success_action_status": "201"},
                                     Conditions=[{"success_action_status": "201"}], ExpiresIn=60)
    r = post(p["url"], p["fields"], b"created")
    assert r.status_code == 201, r.text
    root = ET.fromstring(r.content)
    assert root.tag == "PostResponse"
    doc = {c.tag: c.text for c in root}
    assert doc["Bucket"] == bucket and doc["Key"] == "made.txt"
    assert doc["ETag"] == '"%s"' % hashlib.md5(b"created").hexdigest()
    assert doc["Location"].endswith(f"/{bucket}/made.txt")


def test_success_action_status_200_and_unknown_default_to_empty(s3v4, bucket):
    for status, expected in (("200", 200), ("404", 204)):
        p = s3v4.generate_presigned_post(bucket, "s.txt", Fields={"success_action_status": status},
                                         Conditions=[{"success_action_status": status}], ExpiresIn=60)
        r = post(p["url"], p["fields"])
        assert r.status_code == expected, r.text
        assert r.content == b""


def test_success_action_redirect(s3v4, bucket):
    target = "https://example.com/done?from=form"
    p = s3v4.generate_presigned_post(bucket, "r/${filename}", Fields={"success_action_redirect": target},
                                     Conditions=[["starts-with", "$success_action_redirect", "https://example.com/"]],
                                     ExpiresIn=60)
    r = post(p["url"], p["fields"], b"redirected", filename="a b.txt")
    assert r.status_code == 303, r.text
    location = urlsplit(r.headers["Location"])
    assert (location.scheme, location.netloc, location.path) == ("https", "example.com", "/done")
    query = parse_qs(location.query)
    assert query == {"from": ["form"], "bucket": [bucket], "key": ["r/a b.txt"],
                     "etag": ['"%s"' % hashlib.md5(b"redirected").hexdigest()]}
    assert s3v4.get_object(Bucket=bucket, Key="r/a b.txt")["Body"].read() == b"redirected"


def test_expired_policy_on_the_controllable_clock(nubis, s3v4, bucket):
    p = s3v4.generate_presigned_post(bucket, "late.txt", ExpiresIn=120)
    nubis.advance(100)
    assert post(p["url"], p["fields"]).status_code == 204
    nubis.advance(30)
    r = post(p["url"], p["fields"])
    assert r.status_code == 403
    e = error(r)
    assert e["Code"] == "AccessDenied"
    assert e["Message"] == "Invalid according to Policy: Policy expired."
    assert e["RequestId"]


def test_content_length_range(s3v4, bucket):
    p = s3v4.generate_presigned_post(bucket, "sized", Conditions=[["content-length-range", 5, 10]],
                                     ExpiresIn=60)
    r = post(p["url"], p["fields"], b"x" * 11)
    assert r.status_code == 400
    e = error(r)
    assert e["Code"] == "EntityTooLarge" and e["ProposedSize"] == "11" and e["MaxSizeAllowed"] == "10"
    r = post(p["url"], p["fields"], b"x" * 4)
    assert r.status_code == 400
    e = error(r)
    assert e["Code"] == "EntityTooSmall" and e["ProposedSize"] == "4" and e["MinSizeAllowed"] == "5"
    assert s3v4.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    assert post(p["url"], p["fields"], b"x" * 10).status_code == 204
    assert post(p["url"], p["fields"], b"x" * 5).status_code == 204


def test_large_file_over_the_range_stops_without_an_object(s3v4, bucket):
    p = s3v4.generate_presigned_post(bucket, "big", Conditions=[["content-length-range", 0, 1024 * 1024]],
                                     ExpiresIn=60)
    r = post(p["url"], p["fields"], os.urandom(3 * 1024 * 1024))
    assert r.status_code == 400
    e = error(r)
    assert (e["Code"], e["ProposedSize"], e["MaxSizeAllowed"]) == ("EntityTooLarge", str(3 * 1024 * 1024),
                                                                   str(1024 * 1024))
    assert s3v4.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_extra_input_field(s3v4, bucket):
    p = s3v4.generate_presigned_post(bucket, "extra.txt", ExpiresIn=60)
    r = post(p["url"], {**p["fields"], "x-amz-meta-sneaky": "1"})
    assert r.status_code == 403
    e = error(r)
    assert e["Code"] == "AccessDenied"
    assert e["Message"] == "Invalid according to Policy: Extra input fields: x-amz-meta-sneaky"
    # x-ignore-* fields need no condition.
    r = post(p["url"], {**p["fields"], "x-ignore-tracking": "abc"})
    assert r.status_code == 204, r.text


def test_failed_conditions(s3v4, bucket):
    p = s3v4.generate_presigned_post(bucket, "user/alice/${filename}",
                                     Fields={"Content-Type": "image/png"},
                                     Conditions=[["starts-with", "$Content-Type", "image/"]], ExpiresIn=60)
    fields = dict(p["fields"])
    fields["key"] = "admin/x.png"
    r = post(p["url"], fields)
    assert r.status_code == 403
    assert error(r)["Message"] == ('Invalid according to Policy: Policy Condition failed: '
                                   '["starts-with", "$key", "user/alice/"]')
    fields = {**p["fields"], "Content-Type": "text/html"}
    r = post(p["url"], fields)
    assert r.status_code == 403
    assert error(r)["Message"] == ('Invalid according to Policy: Policy Condition failed: '
                                   '["starts-with", "$Content-Type", "image/"]')
    # An exact match is reported in its ["eq", ...] form.
    p = s3v4.generate_presigned_post(bucket, "fixed.txt", Fields={"acl": "private"},
                                     Conditions=[{"acl": "private"}], ExpiresIn=60)
    r = post(p["url"], {**p["fields"], "acl": "public-read"})
    assert r.status_code == 403
    assert error(r)["Message"] == 'Invalid according to Policy: Policy Condition failed: ["eq", "$acl", "private"]'
    # A policy for another bucket.
    s3v4.create_bucket(Bucket="other-bucket")
    other = s3v4.generate_presigned_post("other-bucket", "fixed.txt", ExpiresIn=60)
    r = post(p["url"], other["fields"])
    assert r.status_code == 403
    assert error(r)["Message"] == ('Invalid according to Policy: Policy Condition failed: '
                                   '["eq", "$bucket", "other-bucket"]')
    assert s3v4.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_versioned_bucket(s3v4, bucket):
    s3v4.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    p = s3v4.generate_presigned_post(bucket, "v.txt", ExpiresIn=60)
    first = post(p["url"], p["fields"], b"one")
    second = post(p["url"], p["fields"], b"two")
    assert first.status_code == second.status_code == 204
    v1, v2 = first.headers["x-amz-version-id"], second.headers["x-amz-version-id"]
    assert v1 != v2
    versions = s3v4.list_object_versions(Bucket=bucket)["Versions"]
    assert {v["VersionId"] for v in versions} == {v1, v2}
    assert s3v4.get_object(Bucket=bucket, Key="v.txt", VersionId=v1)["Body"].read() == b"one"
    assert s3v4.get_object(Bucket=bucket, Key="v.txt")["Body"].read() == b"two"


def test_large_file_streams(s3v4, bucket):
    data = os.urandom(8 * 1024 * 1024 + 123)
    p = s3v4.generate_presigned_post(bucket, "large.bin", ExpiresIn=60)
    r = post(p["url"], p["fields"], data)
    assert r.status_code == 204, r.text
    assert r.headers["ETag"] == '"%s"' % hashlib.md5(data).hexdigest()
    got = s3v4.get_object(Bucket=bucket, Key="large.bin")
    assert got["ContentLength"] == len(data)
    assert got["Body"].read() == data


def test_fields_after_the_file_are_ignored(nubis, bucket, s3v4):
    boundary = "nubisboundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nafter.txt\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n"
            "Content-Type: text/plain\r\n\r\nfile body\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"x-amz-meta-late\"\r\n\r\nlate\r\n"
            f"--{boundary}--\r\n").encode()
    r = httpx.post(f"{nubis.endpoint}/{bucket}", content=body,
                   headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert r.status_code == 204, r.text
    got = s3v4.get_object(Bucket=bucket, Key="after.txt")
    assert got["Body"].read() == b"file body"
    assert got["Metadata"] == {}


def test_unsigned_form_and_its_errors(nubis, s3v4, bucket):
    url = f"{nubis.endpoint}/{bucket}"
    r = post(url, {"key": "anon.txt", "Content-Type": "text/csv", "tagging":
                   "<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>"}, b"a,b")
    assert r.status_code == 204, r.text
    assert s3v4.get_object(Bucket=bucket, Key="anon.txt")["ContentType"] == "text/csv"
    assert s3v4.get_object_tagging(Bucket=bucket, Key="anon.txt")["TagSet"] == [{"Key": "k", "Value": "v"}]

    r = post(url, {"Content-Type": "text/csv"})
    assert r.status_code == 400
    e = error(r)
    assert e["Code"] == "InvalidArgument" and e["ArgumentName"] == "key"
    assert e["Message"] == ("Bucket POST must contain a field named 'key'.  If it is specified, please check "
                            "the order of the fields.")

    r = httpx.post(url, content=b"--b\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nk\r\n--b--\r\n",
                   headers={"Content-Type": "multipart/form-data; boundary=b"})
    assert r.status_code == 400
    e = error(r)
    assert e["Code"] == "InvalidArgument" and e["ArgumentName"] == "file"

    r = post(f"{nubis.endpoint}/no-such-bucket-here", {"key": "k"})
    assert r.status_code == 404 and error(r)["Code"] == "NoSuchBucket"

    # A policy without the access key that signs it.
    policy = base64.b64encode(json.dumps({"expiration": "2100-01-01T00:00:00Z",
                                          "conditions": [{"bucket": bucket}]}).encode()).decode()
    r = post(url, {"key": "k", "policy": policy})
    assert r.status_code == 400
    assert error(r)["ArgumentName"] == "AWSAccessKeyId"
    r = post(url, {"key": "k", "AWSAccessKeyId": "test", "signature": "x", "policy": "not base64!"})
    assert r.status_code == 400 and error(r)["Code"] == "InvalidPolicyDocument"


def test_checksum_field_is_verified(s3v4, bucket):
    data = b"checked"
    good = base64.b64encode(hashlib.sha256(data).digest()).decode()
    p = s3v4.generate_presigned_post(bucket, "sum.txt", Fields={"x-amz-checksum-sha256": good},
                                     Conditions=[{"x-amz-checksum-sha256": good}], ExpiresIn=60)
    r = post(p["url"], p["fields"], data)
    assert r.status_code == 204, r.text
    got = s3v4.head_object(Bucket=bucket, Key="sum.txt", ChecksumMode="ENABLED")
    assert got["ChecksumSHA256"] == good
    r = post(p["url"], p["fields"], b"tampered")
    assert r.status_code == 400 and error(r)["Code"] == "BadDigest"


def test_virtual_host_post(virtual_s3, bucket):
    p = virtual_s3.generate_presigned_post(bucket, "vh.txt", ExpiresIn=60)
    assert urlsplit(p["url"]).netloc.startswith(f"{bucket}.s3.localhost")
    r = post(p["url"], p["fields"], b"virtual", virtual=True)
    assert r.status_code == 204, r.text
    assert virtual_s3.get_object(Bucket=bucket, Key="vh.txt")["Body"].read() == b"virtual"


def test_post_emits_object_created_post(aws_client, s3v4, bucket):
    sqs = aws_client("sqs")
    queue = sqs.create_queue(QueueName="posted")["QueueUrl"]
    s3v4.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
        "QueueConfigurations": [{"QueueArn": "arn:aws:sqs:us-east-1:000000000000:posted",
                                 "Events": ["s3:ObjectCreated:Post"]}]})
    p = s3v4.generate_presigned_post(bucket, "evt.txt", ExpiresIn=60)
    assert post(p["url"], p["fields"], b"event").status_code == 204
    deadline = time.monotonic() + 10
    records = []
    while time.monotonic() < deadline and not records:
        for m in sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages", []):
            doc = json.loads(m["Body"])
            records += doc.get("Records", [])
    assert [r["eventName"] for r in records] == ["ObjectCreated:Post"]
    assert records[0]["s3"]["object"]["key"] == "evt.txt"


def test_cross_origin_form_gets_the_buckets_cors_headers(s3v4, bucket):
    s3v4.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [
        {"AllowedOrigins": ["https://app.example"], "AllowedMethods": ["POST"], "ExposeHeaders": ["ETag"]}]})
    p = s3v4.generate_presigned_post(bucket, "cors.txt", ExpiresIn=60)
    r = httpx.post(p["url"], data=p["fields"], files={"file": ("f", b"x")},
                   headers={"Origin": "https://app.example"})
    assert r.status_code == 204, r.text
    assert r.headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert "ETag" in r.headers["Access-Control-Expose-Headers"]
    # Errors carry them too, so the page can read why.
    r = httpx.post(p["url"], data={**p["fields"], "key": "elsewhere"}, files={"file": ("f", b"x")},
                   headers={"Origin": "https://app.example"})
    assert r.status_code == 403
    assert r.headers["Access-Control-Allow-Origin"] == "https://app.example"


def test_with_iam_enforcement_the_signature_and_bucket_policy_count(enforcing):
    enforcing.reset()

    def s3(secret="test", key="test", version="s3v4"):
        return boto3.client("s3", endpoint_url=enforcing.endpoint, region_name="us-east-1", aws_access_key_id=key,
                            aws_secret_access_key=secret, config=Config(signature_version=version))

    owner = s3()
    owner.create_bucket(Bucket="guarded")
    for version in ("s3v4", "s3"):
        p = owner.generate_presigned_post("guarded", f"ok-{version}", ExpiresIn=60)
        assert post(p["url"], p["fields"]).status_code == 204
        p = s3(secret="wrong", version=version).generate_presigned_post("guarded", "forged", ExpiresIn=60)
        r = post(p["url"], p["fields"])
        assert r.status_code == 403 and error(r)["Code"] == "SignatureDoesNotMatch"
    p = owner.generate_presigned_post("guarded", "beyond-ascii", ExpiresIn=60)
    r = post(p["url"], {**p["fields"], "x-amz-signature": "\u00e9" + p["fields"]["x-amz-signature"][1:]})
    assert r.status_code == 403 and error(r)["Code"] == "SignatureDoesNotMatch"
    p = s3(key="AKIANOSUCHKEY").generate_presigned_post("guarded", "unknown", ExpiresIn=60)
    r = post(p["url"], p["fields"])
    assert r.status_code == 403 and error(r)["Code"] == "InvalidAccessKeyId"
    # An unsigned form is anonymous: refused until the bucket policy lets anyone put.
    url = f"{enforcing.endpoint}/guarded"
    r = post(url, {"key": "public/anon"})
    assert r.status_code == 403 and error(r)["Code"] == "AccessDenied"
    owner.delete_public_access_block(Bucket="guarded")  # a new bucket blocks public policies
    owner.put_bucket_policy(Bucket="guarded", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::guarded/public/*"}]}))
    assert post(url, {"key": "public/anon"}).status_code == 204
    assert post(url, {"key": "private/anon"}).status_code == 403
    keys = sorted(o["Key"] for o in owner.list_objects_v2(Bucket="guarded")["Contents"])
    assert keys == ["ok-s3", "ok-s3v4", "public/anon"]


def test_bucket_host_under_the_base_name(nubis, s3v4, bucket):
    """``<bucket>.localhost``: what boto3 builds for virtual addressing against a custom endpoint."""
    port = urlsplit(nubis.endpoint).port
    client = boto3.client("s3", endpoint_url=f"http://localhost:{port}", region_name="us-east-1",
                          aws_access_key_id="test", aws_secret_access_key="test",
                          config=Config(signature_version="s3v4", s3={"addressing_style": "virtual"}))
    p = client.generate_presigned_post(bucket, "base.txt", Fields={"success_action_status": "201"},
                                       Conditions=[{"success_action_status": "201"}], ExpiresIn=60)
    assert urlsplit(p["url"]).netloc == f"{bucket}.localhost:{port}"
    r = post(p["url"], p["fields"], b"base host", virtual=True)
    assert r.status_code == 201, r.text
    assert ET.fromstring(r.content).find("Location").text == f"http://{bucket}.localhost:{port}/base.txt"
    assert s3v4.get_object(Bucket=bucket, Key="base.txt")["Body"].read() == b"base host"


def test_acl_storage_class_expires_and_the_old_redirect_field(s3v4, bucket):
    fields = {"acl": "public-read", "x-amz-storage-class": "STANDARD_IA", "Content-Disposition": "inline",
              "Expires": "Thu, 01 Dec 2044 16:00:00 GMT", "redirect": "http://example.com/ok"}
    p = s3v4.generate_presigned_post(bucket, "attrs.txt", Fields=fields,
                                     Conditions=[{k: v} for k, v in fields.items()], ExpiresIn=60)
    r = post(p["url"], p["fields"], b"attributes")
    # A new bucket's owner enforces its ownership: no ACLs, as for a PUT.
    assert r.status_code == 400 and error(r)["Code"] == "AccessControlListNotSupported"
    s3v4.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={
        "Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]})
    r = post(p["url"], p["fields"], b"attributes")
    assert r.status_code == 303, r.text
    assert r.headers["Location"].startswith("http://example.com/ok?bucket=")
    head = s3v4.head_object(Bucket=bucket, Key="attrs.txt")
    assert head["StorageClass"] == "STANDARD_IA"
    assert head["ContentDisposition"] == "inline"
    assert head["ResponseMetadata"]["HTTPHeaders"]["expires"] == "Thu, 01 Dec 2044 16:00:00 GMT"
    grants = s3v4.get_object_acl(Bucket=bucket, Key="attrs.txt")["Grants"]
    assert any(g["Grantee"].get("URI", "").endswith("/global/AllUsers") and g["Permission"] == "READ"
               for g in grants)
    # A storage class S3 does not have is S3's error.
    p = s3v4.generate_presigned_post(bucket, "bad.txt", Fields={"x-amz-storage-class": "COLD"},
                                     Conditions=[{"x-amz-storage-class": "COLD"}], ExpiresIn=60)
    r = post(p["url"], p["fields"])
    assert r.status_code == 400 and error(r)["Code"] == "InvalidStorageClass"


def test_malformed_forms(nubis, bucket):
    url = f"{nubis.endpoint}/{bucket}"
    # The body ends inside the file part.
    body = (b'--b\r\nContent-Disposition: form-data; name="key"\r\n\r\nk\r\n'
            b'--b\r\nContent-Disposition: form-data; name="file"; filename="f"\r\n\r\ncut sho')
    r = httpx.post(url, content=body, headers={"Content-Type": "multipart/form-data; boundary=b"})
    assert r.status_code == 400 and error(r)["Code"] == "MalformedPOSTRequest"
    r = httpx.post(url, content=body, headers={"Content-Type": "multipart/form-data"})  # no boundary
    assert r.status_code == 400 and error(r)["Code"] == "MalformedPOSTRequest"
    # More than 20 KB of fields before the file.
    r = post(url, {"key": "k", "x-amz-meta-big": "x" * 21 * 1024})
    assert r.status_code == 400 and error(r)["Code"] == "MaxPostPreDataLengthExceeded"
    # A POST to a key is not a form upload: nothing is stored.
    r = post(f"{url}/some/key", {"key": "k"})
    assert r.status_code >= 400
    assert httpx.head(f"{url}/k").status_code == 404
