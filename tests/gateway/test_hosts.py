"""Routing by Host and by presigned query, through the wire.

The S3 cases run against a server whose S3 has no operations
(``tests/support/routing_s3.py``): each answers 501 naming the
``s3:Operation`` it was routed to, which shows where each request went.
"""
from __future__ import annotations

import http.client
import urllib.parse

import pytest

from conftest import ServerProcess

@pytest.fixture(scope="module")
def routed():
    server = ServerProcess("--ephemeral", env={"NUBIS_PROVIDERS": "s3=support.routing_s3:RoutingS3"})
    try:
        yield server
    finally:
        server.stop()


SIGNED_S3 = "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0"


def send(endpoint: str, method: str, path: str, host: str | None = None, headers: dict | None = None,
         body: bytes | None = None):
    u = urllib.parse.urlsplit(endpoint)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    h = dict(headers or {})
    if host:
        h["Host"] = f"{host}:{u.port}"
    conn.request(method, path, body=body, headers=h)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, dict(resp.getheaders()), data.decode("utf-8", "replace")


@pytest.mark.parametrize("host,method,path,expected", [
    ("my-bucket.s3.localhost", "GET", "/some/deep/key.txt", "s3:GetObject"),
    ("my-bucket.s3.localhost.localstack.cloud", "GET", "/some/key", "s3:GetObject"),
    ("my-bucket.s3.eu-west-1.localhost", "PUT", "/k", "s3:PutObject"),
    ("my-bucket.s3.localhost", "GET", "/?list-type=2", "s3:ListObjectsV2"),
    ("my-bucket.s3.localhost", "GET", "/?versioning", "s3:GetBucketVersioning"),
    ("my-bucket.localhost", "GET", "/k", "s3:GetObject"),
    ("s3.localhost.localstack.cloud", "GET", "/bucket?list-type=2", "s3:ListObjectsV2"),
    ("s3.us-east-1.localhost", "GET", "/", "s3:ListBuckets"),
    ("localhost", "GET", "/bucket/key", "s3:GetObject"),
])
def test_s3_addressing_styles(routed, host, method, path, expected):
    status, headers, body = send(routed.endpoint, method, path, host, {"Authorization": SIGNED_S3})
    assert status == 501, body
    assert expected in body
    assert "<Error><Code>NotImplemented</Code>" in body
    assert headers["x-amz-request-id"]


def test_unsigned_request_is_s3(routed):
    status, _, body = send(routed.endpoint, "GET", "/bucket/key.txt")
    assert status == 501 and "s3:GetObject" in body


def test_head_error_has_no_body(routed):
    status, headers, body = send(routed.endpoint, "HEAD", "/bucket/key.txt")
    assert status == 501 and body == ""


def test_presigned_sigv4_url_routes_by_its_credential_scope(routed):
    s3 = routed.client("s3", config=__import__("botocore.config").config.Config(signature_version="s3v4"))
    url = s3.generate_presigned_url("put_object", Params={"Bucket": "b", "Key": "x/y.bin"}, ExpiresIn=60)
    assert "X-Amz-Credential" in url
    u = urllib.parse.urlsplit(url)
    status, _, body = send(routed.endpoint, "PUT", f"{u.path}?{u.query}", body=b"data")
    assert status == 501 and "s3:PutObject" in body


def test_presigned_sigv2_url_is_s3(routed):
    url = routed.client("s3").generate_presigned_url("get_object", Params={"Bucket": "b", "Key": "k"})
    assert "AWSAccessKeyId" in url
    u = urllib.parse.urlsplit(url)
    status, _, body = send(routed.endpoint, "GET", f"{u.path}?{u.query}")
    assert status == 501 and "s3:GetObject" in body


@pytest.mark.parametrize("host,kind", [
    ("abc123.execute-api.localhost", "execute-api"),
    ("abc123.execute-api.localhost.localstack.cloud", "execute-api"),
    ("e1a2b3.cloudfront.localhost", "cloudfront"),
])
def test_data_plane_hosts_are_recognised(nubis, host, kind):
    status, _, body = send(nubis.endpoint, "GET", "/path", host)
    assert status == 501
    assert f"does not serve {kind} yet" in body


@pytest.mark.parametrize("host", ["site.s3-website.localhost", "site.s3-website-us-east-1.localhost.localstack.cloud"])
def test_s3_website_hosts_are_served_by_s3(nubis, host):
    status, headers, body = send(nubis.endpoint, "GET", "/path", host)
    assert status == 404 and headers["content-type"].startswith("text/html")
    assert "<li>Code: NoSuchBucket</li>" in body and "<li>BucketName: site</li>" in body


def test_service_host_names_route_query_requests(nubis):
    # sqs.<region>.localhost.localstack.cloud, as awslocal and the CLI v1 use it.
    body = b"Action=GetCallerIdentity&Version=2011-06-15"
    status, _, text = send(nubis.endpoint, "POST", "/", "sts.us-east-1.localhost.localstack.cloud",
                           {"Content-Type": "application/x-www-form-urlencoded"}, body)
    assert status == 200 and "<Account>000000000000</Account>" in text
