"""Function URLs: the configuration operations, and requests to
``<url-id>.lambda-url.<region>.localhost`` (sent to 127.0.0.1 with that Host,
as DNS would resolve it) becoming payload format 2.0 events and the function's
answer becoming the HTTP response."""
from __future__ import annotations

import base64
import json
import re
import shutil
from urllib.parse import urlsplit

import boto3
import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from nubis.testing.fixtures import enforcing  # noqa: F401  (a second nubis enforcing IAM, per module)

from .conftest import ACCOUNT, NO_RETRY, ROLE, code, error_of, status, zip_of

ECHO = """
import json
def handler(event, context):
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(event)}
"""


def call(function_url: str, path: str = "/", method: str = "GET", **kwargs) -> httpx.Response:
    """A request to a function URL, sent to 127.0.0.1 with the URL's Host."""
    parts = urlsplit(function_url)
    headers = dict(kwargs.pop("headers", {}) or {})
    headers["Host"] = parts.netloc
    return httpx.request(method, f"http://127.0.0.1:{parts.port}{path}", headers=headers, timeout=30, **kwargs)


@pytest.fixture
def echo_url(lam, make_function):
    make_function("echo", {"app.py": ECHO})
    return lam.create_function_url_config(FunctionName="echo", AuthType="NONE")["FunctionUrl"]


# -- configuration ---------------------------------------------------------------------------


def test_url_config_lifecycle(lam, make_function, nubis_endpoint):
    make_function("urlfn", {"app.py": ECHO})
    created = lam.create_function_url_config(FunctionName="urlfn", AuthType="AWS_IAM",
                                             Cors={"AllowOrigins": ["https://example.com"], "MaxAge": 60})
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    port = urlsplit(nubis_endpoint).port
    assert re.fullmatch(rf"http://[a-z0-9]{{32}}\.lambda-url\.us-east-1\.localhost:{port}/", created["FunctionUrl"])
    assert created["FunctionArn"] == f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:urlfn"
    assert created["AuthType"] == "AWS_IAM" and created["InvokeMode"] == "BUFFERED"
    assert created["Cors"] == {"AllowOrigins": ["https://example.com"], "MaxAge": 60}

    got = lam.get_function_url_config(FunctionName="urlfn")
    assert got["FunctionUrl"] == created["FunctionUrl"] and got["CreationTime"] == created["CreationTime"]
    assert "LastModifiedTime" in got

    e = error_of(lam.create_function_url_config, FunctionName="urlfn", AuthType="NONE")
    assert code(e) == "ResourceConflictException" and status(e) == 409

    updated = lam.update_function_url_config(FunctionName="urlfn", AuthType="NONE", InvokeMode="RESPONSE_STREAM")
    assert updated["AuthType"] == "NONE" and updated["InvokeMode"] == "RESPONSE_STREAM"
    assert updated["Cors"]["MaxAge"] == 60  # what the update did not name stays
    assert updated["FunctionUrl"] == created["FunctionUrl"]  # a URL never changes

    listed = lam.list_function_url_configs(FunctionName="urlfn")["FunctionUrlConfigs"]
    assert [c["FunctionUrl"] for c in listed] == [created["FunctionUrl"]]

    lam.delete_function_url_config(FunctionName="urlfn")
    e = error_of(lam.get_function_url_config, FunctionName="urlfn")
    assert code(e) == "ResourceNotFoundException" and status(e) == 404
    assert call(created["FunctionUrl"]).status_code == 403


def test_url_of_an_alias(lam, make_function):
    make_function("aliased", {"app.py": ECHO}, Publish=True)
    e = error_of(lam.create_function_url_config, FunctionName="aliased", Qualifier="live", AuthType="NONE")
    assert code(e) == "ResourceNotFoundException"
    lam.create_alias(FunctionName="aliased", Name="live", FunctionVersion="1")
    out = lam.create_function_url_config(FunctionName="aliased", Qualifier="live", AuthType="NONE")
    assert out["FunctionArn"].endswith(":function:aliased:live")
    plain = lam.create_function_url_config(FunctionName="aliased", AuthType="NONE")
    assert plain["FunctionUrl"] != out["FunctionUrl"]
    assert len(lam.list_function_url_configs(FunctionName="aliased")["FunctionUrlConfigs"]) == 2
    event = call(out["FunctionUrl"]).json()
    assert event["requestContext"]["apiId"] == urlsplit(out["FunctionUrl"]).hostname.split(".")[0]


def test_url_goes_with_its_function(lam, make_function):
    make_function("short-lived", {"app.py": ECHO})
    url = lam.create_function_url_config(FunctionName="short-lived", AuthType="NONE")["FunctionUrl"]
    assert call(url).status_code == 200
    lam.delete_function(FunctionName="short-lived")
    assert call(url).status_code == 403
    make_function("short-lived", {"app.py": ECHO})
    e = error_of(lam.get_function_url_config, FunctionName="short-lived")
    assert code(e) == "ResourceNotFoundException"


def test_bad_url_config_input(unchecked_lam, make_function):
    make_function("badurl", {"app.py": ECHO})
    e = error_of(unchecked_lam.create_function_url_config, FunctionName="badurl", AuthType="OPEN")
    assert code(e) == "ValidationException" and "authType" in e.response["Error"]["Message"]
    e = error_of(unchecked_lam.create_function_url_config, FunctionName="nosuch", AuthType="NONE")
    assert code(e) == "ResourceNotFoundException"


# -- requests ----------------------------------------------------------------------------------------


def test_request_becomes_a_version_2_event(echo_url):
    r = call(echo_url, "/my/path?b=2&a=1&a=3", headers={"Cookie": "c1=v1; c2=v2", "X-Custom": "yes",
                                                         "User-Agent": "tester/1.0"})
    assert r.status_code == 200
    event = r.json()
    assert event["version"] == "2.0" and event["routeKey"] == "$default"
    assert event["rawPath"] == "/my/path" and event["rawQueryString"] == "b=2&a=1&a=3"
    assert event["queryStringParameters"] == {"a": "1,3", "b": "2"}
    assert event["cookies"] == ["c1=v1", "c2=v2"]
    assert event["headers"]["x-custom"] == "yes" and "cookie" not in event["headers"]
    url_id = urlsplit(echo_url).hostname.split(".")[0]
    ctx = event["requestContext"]
    assert ctx["accountId"] == ACCOUNT and ctx["apiId"] == url_id and ctx["domainPrefix"] == url_id
    assert ctx["domainName"] == urlsplit(echo_url).hostname
    assert ctx["http"] == {"method": "GET", "path": "/my/path", "protocol": "HTTP/1.1",
                           "sourceIp": ctx["http"]["sourceIp"], "userAgent": "tester/1.0"}
    assert ctx["stage"] == "$default" and ctx["routeKey"] == "$default"
    assert re.fullmatch(r"\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000", ctx["time"])
    assert isinstance(ctx["timeEpoch"], int) and "authorizer" not in ctx
    assert event["isBase64Encoded"] is False and "body" not in event


def test_text_and_binary_bodies(echo_url):
    event = call(echo_url, "/", "POST", content=b'{"k": "v"}', headers={"Content-Type": "application/json"}).json()
    assert event["body"] == '{"k": "v"}' and event["isBase64Encoded"] is False
    assert event["requestContext"]["http"]["method"] == "POST"
    blob = bytes(range(256))
    event = call(echo_url, "/", "PUT", content=blob, headers={"Content-Type": "application/octet-stream"}).json()
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == blob


def test_response_mapping(lam, make_function):
    source = """
import base64, json
def handler(event, context):
    kind = event["queryStringParameters"]["kind"]
    if kind == "string":
        return "Hello, world!"
    if kind == "object":
        return {"message": "Hello, world!"}
    if kind == "custom":
        return {"statusCode": 201, "headers": {"Content-Type": "text/plain", "My-Custom-Header": "Custom Value"},
                "body": "made", "cookies": ["Cookie_1=Value1; Max-Age=78000", "Cookie_2=Value2"]}
    if kind == "binary":
        return {"statusCode": 200, "headers": {"content-type": "image/png"},
                "body": base64.b64encode(bytes([0, 1, 2, 255])).decode(), "isBase64Encoded": True}
    raise RuntimeError("boom")
"""
    make_function("mapper", {"app.py": source})
    url = lam.create_function_url_config(FunctionName="mapper", AuthType="NONE")["FunctionUrl"]
    r = call(url, "/?kind=string")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    assert r.content == b'"Hello, world!"'
    r = call(url, "/?kind=object")
    assert r.status_code == 200 and r.json() == {"message": "Hello, world!"}
    r = call(url, "/?kind=custom")
    assert r.status_code == 201 and r.text == "made"
    assert r.headers["content-type"] == "text/plain" and r.headers["my-custom-header"] == "Custom Value"
    assert r.headers.get_list("set-cookie") == ["Cookie_1=Value1; Max-Age=78000", "Cookie_2=Value2"]
    r = call(url, "/?kind=binary")
    assert r.content == bytes([0, 1, 2, 255]) and r.headers["content-type"] == "image/png"
    r = call(url, "/?kind=error")
    assert r.status_code == 502 and r.text == "Internal Server Error"


def test_body_over_6_mb_is_refused(echo_url):
    r = call(echo_url, "/", "POST", content=b"x" * (6 * 1024 * 1024 + 1), headers={"Content-Type": "text/plain"})
    assert r.status_code == 413 and "6291456" in r.json()["Message"]


def test_unknown_url_is_forbidden(nubis_endpoint):
    port = urlsplit(nubis_endpoint).port
    r = call(f"http://{'a' * 32}.lambda-url.us-east-1.localhost:{port}/")
    assert r.status_code == 403 and r.json() == {"Message": "Forbidden"}


def test_cors_preflight_and_response_headers(lam, make_function):
    make_function("corsy", {"app.py": ECHO})
    url = lam.create_function_url_config(
        FunctionName="corsy", AuthType="NONE",
        Cors={"AllowOrigins": ["https://app.example"], "AllowMethods": ["GET", "POST"],
              "AllowHeaders": ["x-token"], "ExposeHeaders": ["x-trace"], "MaxAge": 300,
              "AllowCredentials": True})["FunctionUrl"]
    r = call(url, "/", "OPTIONS", headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST",
                                           "Access-Control-Request-Headers": "x-token"})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "https://app.example"
    assert r.headers["access-control-allow-methods"] == "GET,POST"
    assert r.headers["access-control-allow-headers"] == "x-token"
    assert r.headers["access-control-max-age"] == "300"
    assert r.headers["access-control-allow-credentials"] == "true"
    r = call(url, "/", headers={"Origin": "https://app.example"})
    assert r.status_code == 200 and r.json()["rawPath"] == "/"
    assert r.headers["access-control-allow-origin"] == "https://app.example"
    assert r.headers["access-control-expose-headers"] == "x-trace"
    r = call(url, "/", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers


def test_url_cors_replaces_the_functions_cors_headers(lam, make_function):
    source = """
def handler(event, context):
    return {"statusCode": 200, "headers": {"Access-Control-Allow-Origin": "*", "X-Mine": "1"}, "body": "ok"}
"""
    make_function("cors-own", {"app.py": source})
    url = lam.create_function_url_config(FunctionName="cors-own", AuthType="NONE")["FunctionUrl"]
    assert call(url, headers={"Origin": "https://a.example"}).headers["access-control-allow-origin"] == "*"
    lam.update_function_url_config(FunctionName="cors-own", Cors={"AllowOrigins": ["https://a.example"]})
    r = call(url, headers={"Origin": "https://a.example"})
    assert r.headers.get_list("access-control-allow-origin") == ["https://a.example"]
    assert r.headers["x-mine"] == "1"


@pytest.mark.skipif(shutil.which("node") is None, reason="no node on this machine")
def test_response_stream_mode_streams_with_a_prelude(lam, make_function):
    source = """
exports.handler = awslambda.streamifyResponse(async (event, responseStream) => {
  const stream = awslambda.HttpResponseStream.from(responseStream, {
    statusCode: 206, headers: {"content-type": "text/plain", "x-streamed": "yes"}, cookies: ["s=1"]});
  stream.write("first,");
  await new Promise((r) => setTimeout(r, 50));
  stream.write("second");
  stream.end();
});
"""
    make_function("url-streamer", {"index.js": source}, handler="index.handler", runtime="nodejs20.x")
    url = lam.create_function_url_config(FunctionName="url-streamer", AuthType="NONE",
                                         InvokeMode="RESPONSE_STREAM")["FunctionUrl"]
    r = call(url)
    assert r.status_code == 206 and r.text == "first,second"
    assert r.headers["x-streamed"] == "yes" and r.headers["set-cookie"] == "s=1"
    assert r.headers.get("transfer-encoding") == "chunked"
    # A Python function in the same mode answers at once, mapped as a buffered answer.
    make_function("url-py-stream", {"app.py": ECHO})
    url = lam.create_function_url_config(FunctionName="url-py-stream", AuthType="NONE",
                                         InvokeMode="RESPONSE_STREAM")["FunctionUrl"]
    assert call(url, "/x").json()["rawPath"] == "/x"


def test_aws_iam_url_without_enforcement_names_the_signer(lam, make_function):
    make_function("iam-open", {"app.py": ECHO})
    url = lam.create_function_url_config(FunctionName="iam-open", AuthType="AWS_IAM")["FunctionUrl"]
    assert "authorizer" not in call(url).json()["requestContext"]  # IAM is not enforced: unsigned passes
    iam = signed(url, "111122223333").json()["requestContext"]["authorizer"]["iam"]
    assert iam["accountId"] == "111122223333" and iam["accessKey"] == "111122223333"
    assert iam["userArn"] == "arn:aws:iam::111122223333:root"


# -- AWS_IAM with enforcement on ----------------------------------------------------------------------


def signed(function_url: str, key: str, path: str = "/") -> httpx.Response:
    request = AWSRequest("GET", function_url.rstrip("/") + path, headers={"Host": urlsplit(function_url).netloc})
    SigV4Auth(Credentials(key, "test"), "lambda", "us-east-1").add_auth(request)
    return call(function_url, path, headers=dict(request.headers.items()))


def test_aws_iam_url_needs_a_signature_and_a_permission(enforcing):
    enforcing.reset()
    lam = boto3.client("lambda", endpoint_url=enforcing.endpoint, region_name="us-east-1",
                       aws_access_key_id="test", aws_secret_access_key="test", config=NO_RETRY)
    lam.create_function(FunctionName="private", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                        Code={"ZipFile": zip_of({"app.py": ECHO})})
    url = lam.create_function_url_config(FunctionName="private", AuthType="AWS_IAM")["FunctionUrl"]
    r = call(url)
    assert r.status_code == 403 and r.json() == {"Message": "Forbidden"}
    # The owner's root signs: allowed, and the event names the caller.
    r = signed(url, "test")
    assert r.status_code == 200
    iam = r.json()["requestContext"]["authorizer"]["iam"]
    assert iam["accountId"] == ACCOUNT and iam["accessKey"] == "test" and iam["userArn"].endswith(":root")
    # Another account needs the function's resource policy.
    other = "111122223333"
    assert signed(url, other).status_code == 403
    lam.add_permission(FunctionName="private", StatementId="other", Action="lambda:InvokeFunctionUrl",
                       Principal=other, FunctionUrlAuthType="AWS_IAM")
    # Function URLs made since October 2025 need lambda:InvokeFunction too.
    assert signed(url, other).status_code == 403
    lam.add_permission(FunctionName="private", StatementId="other-invoke", Action="lambda:InvokeFunction",
                       Principal=other, InvokedViaFunctionUrl=True)
    r = signed(url, other)
    assert r.status_code == 200 and r.json()["requestContext"]["authorizer"]["iam"]["accountId"] == other
    # A NONE URL is public only when the policy lets anyone invoke it.
    lam.update_function_url_config(FunctionName="private", AuthType="NONE")
    assert call(url).status_code == 403
    lam.add_permission(FunctionName="private", StatementId="public", Action="lambda:InvokeFunctionUrl",
                       Principal="*", FunctionUrlAuthType="NONE")
    assert call(url).status_code == 403
    statement = lam.add_permission(FunctionName="private", StatementId="public-invoke",
                                   Action="lambda:InvokeFunction", Principal="*", InvokedViaFunctionUrl=True)
    assert json.loads(statement["Statement"])["Condition"] == {"Bool": {"lambda:InvokedViaFunctionUrl": "true"}}
    assert call(url).status_code == 200
