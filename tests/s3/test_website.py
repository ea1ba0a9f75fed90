"""Static website hosting: a bucket's website endpoint, through the wire.

Configuration goes through boto3; pages are fetched with httpx from
127.0.0.1 with the website Host header, as DNS would resolve it.
"""
from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest

from nubis.testing.fixtures import enforcing  # noqa: F401  (a second nubis enforcing IAM, per module)

SITE = "site"


@pytest.fixture
def port(nubis):
    return urlsplit(nubis.endpoint).port


@pytest.fixture
def web(port):
    """web(method, path, host=..., headers=...) -> the website endpoint's answer."""
    def call(method: str, path: str, host: str = f"{SITE}.s3-website.localhost", headers: dict | None = None):
        h = {"Host": f"{host}:{port}", **(headers or {})}
        return httpx.request(method, f"http://127.0.0.1:{port}{path}", headers=h, follow_redirects=False)
    return call


@pytest.fixture
def site(s3):
    s3.create_bucket(Bucket=SITE)
    s3.put_object(Bucket=SITE, Key="index.html", Body=b"<h1>home</h1>", ContentType="text/html",
                  CacheControl="max-age=60", Metadata={"team": "web"})
    s3.put_object(Bucket=SITE, Key="docs/index.html", Body=b"<h1>docs</h1>", ContentType="text/html")
    s3.put_object(Bucket=SITE, Key="docs/intro.html", Body=b"intro", ContentType="text/html")
    s3.put_object(Bucket=SITE, Key="error.html", Body=b"<h1>oops</h1>", ContentType="text/html")
    s3.put_bucket_website(Bucket=SITE, WebsiteConfiguration={
        "IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "error.html"}})
    return SITE


def test_root_serves_the_index_document_with_its_headers(site, web, s3):
    r = web("GET", "/")
    assert r.status_code == 200
    assert r.content == b"<h1>home</h1>"
    assert r.headers["content-type"] == "text/html"
    assert r.headers["cache-control"] == "max-age=60"
    assert r.headers["etag"] == s3.head_object(Bucket=SITE, Key="index.html")["ETag"]
    assert "last-modified" in r.headers
    assert r.headers["x-amz-meta-team"] == "web"


@pytest.mark.parametrize("host", [f"{SITE}.s3-website.localhost", f"{SITE}.s3-website-us-east-1.localhost",
                                  f"{SITE}.s3-website.eu-west-1.localhost",
                                  f"{SITE}.s3-website.us-east-1.localhost.localstack.cloud"])
def test_every_website_host_form_serves_the_bucket(site, web, host):
    r = web("GET", "/docs/intro.html", host=host)
    assert r.status_code == 200 and r.content == b"intro"


def test_a_folder_serves_its_index_document(site, web):
    r = web("GET", "/docs/")
    assert r.status_code == 200 and r.content == b"<h1>docs</h1>"


def test_a_folder_without_its_slash_is_redirected_to_it(site, web):
    r = web("GET", "/docs")
    assert r.status_code == 302
    assert r.headers["location"] == "/docs/"


def test_head_answers_the_headers_without_a_body(site, web):
    r = web("HEAD", "/docs/intro.html")
    assert r.status_code == 200
    assert r.headers["content-length"] == "5"
    assert r.content == b""


def test_a_missing_page_serves_the_error_document_with_404(site, web):
    r = web("GET", "/no/such/page.html")
    assert r.status_code == 404
    assert r.content == b"<h1>oops</h1>"
    assert r.headers["content-type"] == "text/html"


def test_without_an_error_document_a_missing_page_is_s3s_html_error(s3, web):
    s3.create_bucket(Bucket=SITE)
    s3.put_bucket_website(Bucket=SITE, WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}})
    r = web("GET", "/missing.html")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert "<h1>404 Not Found</h1>" in r.text
    assert "<li>Code: NoSuchKey</li>" in r.text
    assert "<li>Key: missing.html</li>" in r.text
    assert "<?xml" not in r.text


def test_an_error_document_that_is_missing_too_is_reported_in_the_page(s3, web):
    s3.create_bucket(Bucket=SITE)
    s3.put_bucket_website(Bucket=SITE, WebsiteConfiguration={
        "IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "gone.html"}})
    r = web("GET", "/")
    assert r.status_code == 404
    assert "<li>Key: index.html</li>" in r.text
    assert "An Error Occurred While Attempting to Retrieve a Custom Error Document" in r.text
    assert "<li>Key: gone.html</li>" in r.text


def test_a_missing_bucket_is_no_such_bucket(web):
    r = web("GET", "/", host="nobody.s3-website.localhost")
    assert r.status_code == 404
    assert "<li>Code: NoSuchBucket</li>" in r.text
    assert "<li>BucketName: nobody</li>" in r.text


def test_a_bucket_without_website_configuration_is_no_such_website_configuration(s3, web):
    s3.create_bucket(Bucket=SITE)
    r = web("GET", "/")
    assert r.status_code == 404
    assert "<li>Code: NoSuchWebsiteConfiguration</li>" in r.text


def test_deleting_the_website_configuration_stops_serving(site, web, s3):
    assert web("GET", "/").status_code == 200
    s3.delete_bucket_website(Bucket=SITE)
    r = web("GET", "/")
    assert r.status_code == 404 and "NoSuchWebsiteConfiguration" in r.text


@pytest.mark.parametrize("method", ["PUT", "POST", "DELETE"])
def test_only_get_and_head_are_served(site, web, method):
    r = web(method, "/index.html")
    assert r.status_code == 405
    assert "<li>Code: MethodNotAllowed</li>" in r.text
    assert f"<li>Method: {method}</li>" in r.text


def test_redirect_all_requests_to_another_host(s3, web):
    s3.create_bucket(Bucket=SITE)
    s3.put_bucket_website(Bucket=SITE, WebsiteConfiguration={
        "RedirectAllRequestsTo": {"HostName": "example.com", "Protocol": "https"}})
    r = web("GET", "/a/b.html")
    assert r.status_code == 301
    assert r.headers["location"] == "https://example.com/a/b.html"


def test_routing_rule_by_key_prefix_replaces_the_prefix(site, web, s3):
    s3.put_bucket_website(Bucket=SITE, WebsiteConfiguration={
        "IndexDocument": {"Suffix": "index.html"},
        "RoutingRules": [{"Condition": {"KeyPrefixEquals": "old/"},
                          "Redirect": {"ReplaceKeyPrefixWith": "new/", "HttpRedirectCode": "302"}}]})
    r = web("GET", "/old/page.html")
    assert r.status_code == 302
    assert r.headers["location"].endswith(".s3-website.localhost:%s/new/page.html" % r.url.port)
    assert r.headers["location"].startswith(f"http://{SITE}.")
    assert web("GET", "/docs/intro.html").status_code == 200  # other keys are untouched


def test_routing_rule_replace_key_with_host_and_protocol(site, web, s3):
    s3.put_bucket_website(Bucket=SITE, WebsiteConfiguration={
        "IndexDocument": {"Suffix": "index.html"},
        "RoutingRules": [{"Condition": {"KeyPrefixEquals": "docs/"},
                          "Redirect": {"ReplaceKeyWith": "documentation.html", "HostName": "docs.example.com",
                                       "Protocol": "https"}}]})
    r = web("GET", "/docs/intro.html")
    assert r.status_code == 301
    assert r.headers["location"] == "https://docs.example.com/documentation.html"


def test_routing_rule_on_an_error_code_redirects_only_failed_requests(site, web, s3):
    s3.put_bucket_website(Bucket=SITE, WebsiteConfiguration={
        "IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "error.html"},
        "RoutingRules": [{"Condition": {"HttpErrorCodeReturnedEquals": "404", "KeyPrefixEquals": "docs/"},
                          "Redirect": {"HostName": "archive.example.com", "ReplaceKeyPrefixWith": "v1/"}}]})
    assert web("GET", "/docs/intro.html").status_code == 200
    r = web("GET", "/docs/missing.html")
    assert r.status_code == 301
    assert r.headers["location"] == "http://archive.example.com/v1/missing.html"
    # A 404 outside the rule's prefix still gets the error document.
    r = web("GET", "/other.html")
    assert r.status_code == 404 and r.content == b"<h1>oops</h1>"


def test_object_website_redirect_location_is_a_301(site, web, s3):
    s3.put_object(Bucket=SITE, Key="moved.html", Body=b"", WebsiteRedirectLocation="/docs/intro.html")
    r = web("GET", "/moved.html")
    assert r.status_code == 301
    assert r.headers["location"] == "/docs/intro.html"
    s3.put_object(Bucket=SITE, Key="away.html", Body=b"x", WebsiteRedirectLocation="https://example.com/")
    assert web("HEAD", "/away.html").headers["location"] == "https://example.com/"


def test_conditional_get_answers_304(site, web):
    etag = web("GET", "/").headers["etag"]
    r = web("GET", "/", headers={"If-None-Match": etag})
    assert r.status_code == 304
    assert r.content == b""
    assert r.headers["etag"] == etag


def test_range_get_answers_206(site, web):
    r = web("GET", "/docs/intro.html", headers={"Range": "bytes=1-3"})
    assert r.status_code == 206
    assert r.content == b"ntr"
    assert r.headers["content-range"] == "bytes 1-3/5"


def test_keys_are_percent_decoded(site, web, s3):
    s3.put_object(Bucket=SITE, Key="a b/ü.html", Body=b"spaced", ContentType="text/html")
    r = web("GET", "/a%20b/%C3%BC.html")
    assert r.status_code == 200 and r.content == b"spaced"


def test_a_deleted_page_is_gone(site, web, s3):
    s3.delete_object(Bucket=SITE, Key="docs/intro.html")
    r = web("GET", "/docs/intro.html")
    assert r.status_code == 404 and r.content == b"<h1>oops</h1>"


def test_large_page_is_streamed_whole(site, web, s3):
    body = bytes(range(256)) * 8192  # 2 MiB: read from a blob file, not the database
    s3.put_object(Bucket=SITE, Key="big.bin", Body=body)
    r = web("GET", "/big.bin")
    assert r.status_code == 200
    assert r.headers["content-length"] == str(len(body))
    assert r.content == body


# -- with IAM enforcement on: only public pages are served ------------------------------------


def test_with_enforcement_only_a_public_bucket_is_served(enforcing):
    import json

    enforcing.reset()
    s3 = enforcing.client("s3")
    s3.create_bucket(Bucket=SITE)
    s3.put_object(Bucket=SITE, Key="index.html", Body=b"home", ContentType="text/html")
    s3.put_object(Bucket=SITE, Key="error.html", Body=b"denied page", ContentType="text/html")
    s3.put_bucket_website(Bucket=SITE, WebsiteConfiguration={
        "IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "error.html"}})
    port = urlsplit(enforcing.endpoint).port

    def get(path):
        return httpx.get(f"http://127.0.0.1:{port}{path}", headers={"Host": f"{SITE}.s3-website.localhost:{port}"})

    r = get("/")
    assert r.status_code == 403
    assert "<li>Code: AccessDenied</li>" in r.text  # the error document is not public either
    s3.put_public_access_block(Bucket=SITE, PublicAccessBlockConfiguration={
        k: False for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")})
    s3.put_bucket_policy(Bucket=SITE, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{SITE}/*"}]}))
    r = get("/")
    assert r.status_code == 200 and r.content == b"home"
