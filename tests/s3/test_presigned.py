"""Presigned URLs end to end: boto3's generate_presigned_url in SigV4 and SigV2,
path-style and virtual-host, used by a plain HTTP client, expiring exactly on
the controllable clock."""
from __future__ import annotations

import calendar
import time
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit, urlunsplit

import boto3
import httpx
import pytest
from botocore.config import Config

from nubis.testing.loopback import loopback

SIGNATURES = ("s3v4", "s3")
STYLES = ("path", "virtual")


@pytest.fixture(autouse=True)
def frozen_clock(nubis):
    nubis.freeze()


def client(nubis, signature: str, style: str):
    port = urlsplit(nubis.endpoint).port
    endpoint = nubis.endpoint if style == "path" else f"http://s3.localhost:{port}"
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
                      aws_secret_access_key="test",
                      config=Config(signature_version=signature, s3={"addressing_style": style}))

    # the client's own calls reach the virtual host as ``send`` does
    return loopback(s3, port) if style == "virtual" else s3


def send(method: str, url: str, body: bytes | None = None, headers: dict | None = None) -> httpx.Response:
    """A plain HTTP request to a presigned URL; a virtual host is reached on the
    loopback with its name in the Host header, as DNS would resolve it."""
    parts = urlsplit(url)
    headers = dict(headers or {})
    if parts.hostname != "localhost" and parts.hostname != "127.0.0.1":
        headers["Host"] = parts.netloc
        url = urlunsplit(parts._replace(netloc=f"127.0.0.1:{parts.port}"))
    return httpx.request(method, url, content=body, headers=headers, timeout=30)


def error(r: httpx.Response) -> dict:
    root = ET.fromstring(r.content)
    assert root.tag == "Error"
    return {child.tag: child.text for child in root}


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("signature", SIGNATURES)
def test_presigned_object_operations(nubis, bucket, signature, style):
    s3 = client(nubis, signature, style)
    params = {"Bucket": bucket, "Key": "dir/presigned file.txt"}
    put = s3.generate_presigned_url("put_object", Params=params, ExpiresIn=300)
    if style == "virtual":
        assert urlsplit(put).hostname == f"{bucket}.s3.localhost"
    assert ("X-Amz-Signature=" in put) == (signature == "s3v4")
    assert ("AWSAccessKeyId=" in put) == (signature == "s3")
    r = send("PUT", put, b"signed body")
    assert r.status_code == 200, r.text
    etag = r.headers["ETag"]

    r = send("GET", s3.generate_presigned_url("get_object", Params=params, ExpiresIn=300))
    assert r.status_code == 200, r.text
    assert r.content == b"signed body"
    assert r.headers["ETag"] == etag

    r = send("HEAD", s3.generate_presigned_url("head_object", Params=params, ExpiresIn=300))
    assert r.status_code == 200
    assert r.headers["Content-Length"] == str(len(b"signed body"))

    r = send("DELETE", s3.generate_presigned_url("delete_object", Params=params, ExpiresIn=300))
    assert r.status_code == 204, r.text
    r = send("GET", s3.generate_presigned_url("get_object", Params=params, ExpiresIn=300))
    assert r.status_code == 404 and error(r)["Code"] == "NoSuchKey"


def _expiry_of(url: str) -> int:
    """When a presigned URL stops working, in epoch seconds, read from the URL."""
    q = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    if "X-Amz-Date" in q:
        signed = calendar.timegm(time.strptime(q["X-Amz-Date"], "%Y%m%dT%H%M%SZ"))
        return signed + int(q["X-Amz-Expires"])
    return int(q["Expires"])


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("signature", SIGNATURES)
def test_presigned_url_expires_on_the_clock(nubis, bucket, signature, style):
    s3 = client(nubis, signature, style)
    s3.put_object(Bucket=bucket, Key="k", Body=b"data")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=90)
    until = _expiry_of(url)
    now = nubis.clock()
    assert until - now == pytest.approx(90, abs=2)
    nubis.advance(until - now - 0.5)
    assert send("GET", url).status_code == 200
    nubis.advance(1)
    r = send("GET", url)
    assert r.status_code == 403
    e = error(r)
    assert e["Code"] == "AccessDenied"
    assert e["Message"] == "Request has expired"
    assert e["Expires"] == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(until))
    assert e["ServerTime"] == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(until + 0.5))
    if signature == "s3v4":
        assert e["X-Amz-Expires"] == "90"
    else:
        assert "X-Amz-Expires" not in e
    assert e["RequestId"]
    # Every method's URL expires alike, and an expired PUT writes nothing.
    put = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "late"}, ExpiresIn=10)
    nubis.advance(11)
    r = send("PUT", put, b"too late")
    assert r.status_code == 403 and error(r)["Message"] == "Request has expired"
    assert s3.list_objects_v2(Bucket=bucket, Prefix="late")["KeyCount"] == 0


@pytest.mark.parametrize("signature", SIGNATURES)
def test_presigned_put_with_content_type_and_metadata(nubis, bucket, signature):
    s3 = client(nubis, signature, "path")
    params = {"Bucket": bucket, "Key": "typed.json", "ContentType": "application/json",
              "Metadata": {"origin": "browser"}, "CacheControl": "no-cache"}
    url = s3.generate_presigned_url("put_object", Params=params, ExpiresIn=60)
    # SigV4 signs these headers: the uploader sends them. SigV2 carries Content-Type
    # and x-amz-* in the query string, where S3 reads them from (and does not sign
    # Cache-Control, which the uploader sends as it likes).
    headers = {"Content-Type": "application/json", "x-amz-meta-origin": "browser",
               "Cache-Control": "no-cache"} if signature == "s3v4" else {"Cache-Control": "no-cache"}
    if signature == "s3":
        assert "content-type=application%2Fjson" in url and "x-amz-meta-origin=browser" in url
    r = send("PUT", url, b'{"a": 1}', headers)
    assert r.status_code == 200, r.text
    got = s3.get_object(Bucket=bucket, Key="typed.json")
    assert got["Body"].read() == b'{"a": 1}'
    assert got["ContentType"] == "application/json"
    assert got["Metadata"] == {"origin": "browser"}
    assert got["CacheControl"] == "no-cache"


def test_presigned_get_with_response_overrides(nubis, bucket):
    s3 = client(nubis, "s3v4", "virtual")
    s3.put_object(Bucket=bucket, Key="report.csv", Body=b"a,b\n")
    url = s3.generate_presigned_url("get_object", Params={
        "Bucket": bucket, "Key": "report.csv", "ResponseContentType": "text/csv",
        "ResponseContentDisposition": 'attachment; filename="r.csv"'}, ExpiresIn=60)
    r = send("GET", url)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/csv"
    assert r.headers["Content-Disposition"] == 'attachment; filename="r.csv"'


def test_expires_over_a_week_is_rejected(nubis, bucket):
    s3 = client(nubis, "s3v4", "path")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=604801)
    r = send("GET", url)
    assert r.status_code == 400
    assert error(r)["Code"] == "AuthorizationQueryParametersError"
