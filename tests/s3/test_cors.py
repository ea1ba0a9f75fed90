"""CORS enforcement: preflight OPTIONS and the headers of actual requests,
through the wire (boto3 configures, httpx plays the browser)."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import httpx
import pytest

BUCKET = "cors-bucket"
VARY = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"


@pytest.fixture
def port(nubis):
    return urlsplit(nubis.endpoint).port


@pytest.fixture
def http(port):
    """http(method, path, host=None, **headers): a request as a browser sends it (unsigned)."""
    def call(method: str, path: str, host: str | None = None, **headers):
        h = {k.replace("_", "-"): v for k, v in headers.items()}
        if host:
            h["Host"] = f"{host}:{port}"
        return httpx.request(method, f"http://127.0.0.1:{port}{path}", headers=h)
    return call


def preflight(http, path, origin="https://app.example.com", method="PUT", request_headers=None, host=None):
    headers = {"Origin": origin, "Access_Control_Request_Method": method}
    if request_headers:
        headers["Access_Control_Request_Headers"] = request_headers
    return http("OPTIONS", path, host=host, **headers)


def error_of(response) -> tuple[str, str]:
    root = ET.fromstring(response.content)
    return root.findtext("Code"), root.findtext("Message")


@pytest.fixture
def cors_bucket(s3):
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_cors(Bucket=BUCKET, CORSConfiguration={"CORSRules": [
        {"AllowedOrigins": ["https://app.example.com"], "AllowedMethods": ["GET", "PUT"],
         "AllowedHeaders": ["content-type", "x-amz-*"], "ExposeHeaders": ["ETag", "x-amz-version-id"],
         "MaxAgeSeconds": 300},
        {"AllowedOrigins": ["https://*.example.org"], "AllowedMethods": ["GET"], "AllowedHeaders": ["*"]},
        {"AllowedOrigins": ["*"], "AllowedMethods": ["HEAD"]},
    ]})
    s3.put_object(Bucket=BUCKET, Key="photo.jpg", Body=b"jpeg")
    return BUCKET


def test_preflight_matching_rule_answers_200_with_its_headers(cors_bucket, http):
    r = preflight(http, f"/{BUCKET}/photo.jpg", request_headers="Content-Type, X-Amz-Date")
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "https://app.example.com"
    assert r.headers["access-control-allow-methods"] == "GET, PUT"
    assert r.headers["access-control-allow-headers"] == "content-type, x-amz-date"
    assert r.headers["access-control-expose-headers"] == "ETag, x-amz-version-id"
    assert r.headers["access-control-max-age"] == "300"
    assert r.headers["access-control-allow-credentials"] == "true"
    assert r.headers["vary"] == VARY
    assert r.content == b""


def test_preflight_on_a_virtual_host(cors_bucket, http):
    r = preflight(http, "/photo.jpg", host=f"{BUCKET}.s3.localhost")
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "https://app.example.com"


def test_preflight_to_the_bucket_itself(cors_bucket, http):
    r = preflight(http, f"/{BUCKET}", method="GET")
    assert r.status_code == 200


def test_origin_wildcard_matches_and_echoes_the_origin(cors_bucket, http):
    r = preflight(http, f"/{BUCKET}/photo.jpg", origin="https://cdn.example.org", method="GET",
                  request_headers="x-anything")
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "https://cdn.example.org"
    assert r.headers["access-control-allow-headers"] == "x-anything"
    assert "access-control-max-age" not in r.headers


def test_star_origin_answers_star_without_credentials(cors_bucket, http):
    r = preflight(http, f"/{BUCKET}/photo.jpg", origin="http://anywhere.test", method="HEAD")
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in r.headers


def test_the_first_matching_rule_answers(cors_bucket, http):
    # GET from app.example.com matches rule 1 (GET, PUT), not rule 3.
    r = preflight(http, f"/{BUCKET}/photo.jpg", method="GET")
    assert r.headers["access-control-allow-methods"] == "GET, PUT"


@pytest.mark.parametrize("origin,method,headers", [
    ("https://evil.example.net", "GET", None),  # origin not listed
    ("https://app.example.com", "DELETE", None),  # method not allowed
    ("https://app.example.com", "PUT", "content-type, authorization"),  # a header not allowed
    ("https://example.org", "GET", None),  # the wildcard needs its "." part
])
def test_preflight_without_a_matching_rule_is_403(cors_bucket, http, origin, method, headers):
    r = preflight(http, f"/{BUCKET}/photo.jpg", origin=origin, method=method, request_headers=headers)
    assert r.status_code == 403
    code, message = error_of(r)
    assert code == "AccessForbidden"
    assert message.startswith("CORSResponse: This CORS request is not allowed.")
    assert ET.fromstring(r.content).findtext("Method") == method
    assert ET.fromstring(r.content).findtext("ResourceType") == "OBJECT"
    assert "access-control-allow-origin" not in r.headers


def test_preflight_without_cors_configuration_is_403(s3, http):
    s3.create_bucket(Bucket=BUCKET)
    r = preflight(http, f"/{BUCKET}/photo.jpg")
    assert r.status_code == 403
    assert error_of(r) == ("AccessForbidden", "CORSResponse: CORS is not enabled for this bucket.")


@pytest.mark.parametrize("headers", [{"Access_Control_Request_Method": "GET"}, {"Origin": "https://a.test"}, {}])
def test_preflight_missing_origin_or_method_is_400(cors_bucket, http, headers):
    r = http("OPTIONS", f"/{BUCKET}/photo.jpg", **headers)
    assert r.status_code == 400
    assert error_of(r) == ("BadRequest", "Insufficient information. Origin request header needed.")


def test_preflight_to_a_missing_bucket_is_no_such_bucket(http):
    r = preflight(http, "/no-such-bucket/k")
    assert r.status_code == 404
    assert error_of(r)[0] == "NoSuchBucket"


def test_changed_and_deleted_configuration_take_effect_at_once(cors_bucket, http, s3):
    assert preflight(http, f"/{BUCKET}/photo.jpg").status_code == 200
    s3.put_bucket_cors(Bucket=BUCKET, CORSConfiguration={"CORSRules": [
        {"AllowedOrigins": ["https://other.test"], "AllowedMethods": ["PUT"]}]})
    assert preflight(http, f"/{BUCKET}/photo.jpg").status_code == 403
    assert preflight(http, f"/{BUCKET}/photo.jpg", origin="https://other.test").status_code == 200
    s3.delete_bucket_cors(Bucket=BUCKET)
    r = preflight(http, f"/{BUCKET}/photo.jpg", origin="https://other.test")
    assert r.status_code == 403 and "not enabled" in error_of(r)[1]


def test_a_recreated_bucket_does_not_inherit_cors(cors_bucket, http, s3):
    assert preflight(http, f"/{BUCKET}/photo.jpg").status_code == 200
    s3.delete_object(Bucket=BUCKET, Key="photo.jpg")
    s3.delete_bucket(Bucket=BUCKET)
    s3.create_bucket(Bucket=BUCKET)
    assert preflight(http, f"/{BUCKET}/photo.jpg").status_code == 403


def test_actual_request_with_a_matching_origin_gets_cors_headers(cors_bucket, http):
    r = http("GET", f"/{BUCKET}/photo.jpg", Origin="https://app.example.com")
    assert r.status_code == 200 and r.content == b"jpeg"
    assert r.headers["access-control-allow-origin"] == "https://app.example.com"
    assert r.headers["access-control-expose-headers"] == "ETag, x-amz-version-id"
    assert r.headers["access-control-allow-credentials"] == "true"
    assert r.headers["vary"] == VARY


def test_actual_request_on_a_virtual_host_gets_cors_headers(cors_bucket, http):
    r = http("GET", "/photo.jpg", host=f"{BUCKET}.s3.localhost", Origin="https://x.example.org")
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "https://x.example.org"


def test_actual_request_whose_method_no_rule_allows_gets_no_allow_origin(cors_bucket, http):
    r = http("DELETE", f"/{BUCKET}/photo.jpg", Origin="https://app.example.com")
    assert "access-control-allow-origin" not in r.headers


def test_actual_request_from_an_unlisted_origin_gets_no_allow_origin(cors_bucket, http):
    r = http("GET", f"/{BUCKET}/photo.jpg", Origin="https://evil.test")
    assert r.status_code == 200
    assert "access-control-allow-origin" not in r.headers
    assert r.headers["vary"] == VARY


def test_actual_request_without_origin_gets_no_cors_headers(cors_bucket, http):
    r = http("GET", f"/{BUCKET}/photo.jpg")
    assert r.status_code == 200
    assert not [h for h in r.headers if h.startswith("access-control-")]


def test_error_answers_carry_cors_headers_too(cors_bucket, http):
    # So that the page's script can read the 404 rather than a network error.
    r = http("GET", f"/{BUCKET}/missing.jpg", Origin="https://app.example.com")
    assert r.status_code == 404
    assert r.headers["access-control-allow-origin"] == "https://app.example.com"


def test_bucket_without_cors_gets_no_cors_headers(s3, http):
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="k", Body=b"v")
    r = http("GET", f"/{BUCKET}/k", Origin="https://app.example.com")
    assert r.status_code == 200
    assert not [h for h in r.headers if h.startswith("access-control-")]


def test_boto3_put_from_an_allowed_origin(cors_bucket, s3):
    """A signed SDK request carrying Origin (as a browser SDK's does) gets the headers."""
    def add_origin(request, **kwargs):
        request.headers["Origin"] = "https://app.example.com"

    s3.meta.events.register("before-sign.s3.PutObject", add_origin)
    s3.meta.events.register("after-call.s3.PutObject", lambda http_response, parsed, **kw: parsed.update(
        {"_cors": http_response.headers.get("access-control-allow-origin")}))
    out = s3.put_object(Bucket=BUCKET, Key="upload.txt", Body=b"hi")
    assert out["_cors"] == "https://app.example.com"


def test_website_endpoint_preflight_and_get(cors_bucket, http, s3):
    s3.put_bucket_website(Bucket=BUCKET, WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}})
    host = f"{BUCKET}.s3-website.localhost"
    r = preflight(http, "/photo.jpg", method="GET", host=host)
    assert r.status_code == 200
    r = http("GET", "/photo.jpg", host=host, Origin="https://app.example.com")
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "https://app.example.com"


def test_preflight_of_a_presigned_url(cors_bucket, s3, http):
    # A browser uploading to a presigned URL sends its preflight to the same URL, query and all.
    url = s3.generate_presigned_url("put_object", Params={"Bucket": BUCKET, "Key": "up.bin"}, ExpiresIn=60)
    u = urlsplit(url)
    r = http("OPTIONS", f"{u.path}?{u.query}", Origin="https://app.example.com",
             Access_Control_Request_Method="PUT", Access_Control_Request_Headers="content-type")
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "https://app.example.com"
    r = http("PUT", f"{u.path}?{u.query}", Origin="https://app.example.com")
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "https://app.example.com"
