"""SigV4 (header and presigned) and SigV2 checked against botocore's own signers."""
from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

import boto3
import httpx
from botocore.config import Config
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from nubis.testing.loopback import loopback

from .conftest import OTHER, error_of


def test_the_root_keys_and_any_12_digit_key_with_secret_test_are_accepted(client, s3):
    s3.create_bucket(Bucket="mine")
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["mine"]
    other = client("s3", key=OTHER)
    assert other.list_buckets()["Buckets"] == []
    ident = client("sts", key=OTHER).get_caller_identity()
    assert ident["Account"] == OTHER and ident["Arn"] == f"arn:aws:iam::{OTHER}:root"
    assert client("sts").get_caller_identity()["Arn"] == "arn:aws:iam::000000000000:root"


def test_a_wrong_secret_is_signature_does_not_match_with_what_s3_computed(client):
    err = error_of(client("s3", secret="wrong").list_buckets)
    assert err["Code"] == "SignatureDoesNotMatch" and err["Status"] == 403
    assert err["Message"].startswith("The request signature we calculated does not match")
    assert err["AWSAccessKeyId"] == "test"
    assert err["StringToSign"].startswith("AWS4-HMAC-SHA256\n")
    assert err["CanonicalRequest"].startswith("GET\n/\n")
    assert err["StringToSignBytes"].startswith("41 57 53 34")  # "AWS4"
    assert len(err["SignatureProvided"]) == 64
    # A 12-digit key with another secret than "test" is refused too.
    assert error_of(client("s3", key=OTHER, secret="nope").list_buckets)["Code"] == "SignatureDoesNotMatch"


def test_an_unknown_key_is_invalid_access_key_id(client):
    err = error_of(client("s3", key="AKIANOTAREALKEY").list_buckets)
    assert err["Code"] == "InvalidAccessKeyId" and err["Status"] == 403
    assert err["Message"] == "The AWS Access Key Id you provided does not exist in our records."
    assert err["AWSAccessKeyId"] == "AKIANOTAREALKEY"


def test_query_and_json_services_answer_their_own_codes(client):
    sts = error_of(client("sts", secret="wrong").get_caller_identity)
    assert sts["Code"] == "SignatureDoesNotMatch" and sts["Status"] == 403
    assert "The Canonical String for this request should have been" in sts["Message"]
    assert error_of(client("sts", key="AKIANOTAREALKEY").get_caller_identity)["Code"] == "InvalidClientTokenId"
    sns = error_of(client("sns", secret="wrong").list_topics)
    assert sns["Code"] == "SignatureDoesNotMatch" and sns["Status"] == 403
    sqs = error_of(client("sqs", secret="wrong").list_queues)
    assert sqs["Code"] == "SignatureDoesNotMatch" and sqs["Status"] == 403
    assert error_of(client("sqs", key="AKIANOTAREALKEY").list_queues)["Code"] == "InvalidClientTokenId"
    assert client("sqs").list_queues()["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_unsigned_requests_to_other_services_are_missing_authentication_token(cloud):
    r = httpx.post(cloud.endpoint + "/", data={"Action": "ListTopics", "Version": "2010-03-31"})
    assert r.status_code == 403
    assert "<Code>MissingAuthenticationToken</Code>" in r.text
    r = httpx.post(cloud.endpoint + "/", data={"Action": "GetCallerIdentity", "Version": "2011-06-15"})
    assert r.status_code == 403 and "MissingAuthenticationToken" in r.text
    # JSON: SQS keeps its query codes; an awsJson service (CloudWatch Logs) answers 400 with the Exception form.
    r = httpx.post(cloud.endpoint + "/", content=b"{}", headers={"X-Amz-Target": "AmazonSQS.ListQueues",
                                                                 "Content-Type": "application/x-amz-json-1.0"})
    assert r.status_code == 403 and r.headers["x-amzn-query-error"] == "MissingAuthenticationToken;Sender"
    r = httpx.post(cloud.endpoint + "/", content=b"{}", headers={"X-Amz-Target": "Logs_20140328.DescribeLogGroups",
                                                                 "Content-Type": "application/x-amz-json-1.1"})
    assert r.status_code == 400 and r.json()["__type"] == "MissingAuthenticationTokenException"


def _signed(cloud, service: str, url: str, *, method="GET", body=b"", headers=None, secret="test", s3=True):
    creds = Credentials("test", secret)
    req = AWSRequest(method=method, url=url, data=body, headers=headers or {})
    (S3SigV4Auth if s3 else SigV4Auth)(creds, service, "us-east-1").add_auth(req)
    return req.prepare()


def _headers(req) -> dict:
    return {k: v for k, v in req.headers.items() if k.lower() != "content-length"}


def test_a_signature_missing_parts_is_incomplete_or_malformed(cloud):
    form = {"Action": "ListTopics", "Version": "2010-03-31"}
    auth = "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/sns/aws4_request, SignedHeaders=host"
    r = httpx.post(cloud.endpoint + "/", data=form, headers={"Authorization": auth, "X-Amz-Date": "20240101T000000Z"})
    assert r.status_code == 403 and "<Code>IncompleteSignature</Code>" in r.text
    assert "Authorization header requires &apos;Signature&apos; parameter" in r.text or \
        "Authorization header requires 'Signature' parameter" in r.text
    bad = "AWS4-HMAC-SHA256 Credential=test/2024/us-east-1, SignedHeaders=host, Signature=abcd"
    r = httpx.get(cloud.endpoint + "/", headers={"Authorization": bad, "X-Amz-Date": "20240101T000000Z",
                                                 "x-amz-content-sha256": hashlib.sha256(b"").hexdigest()})
    assert r.status_code == 400 and "<Code>AuthorizationHeaderMalformed</Code>" in r.text


def test_a_request_signed_too_far_from_the_clock_is_refused(cloud, client):
    s3, sqs, v2 = client("s3"), client("sqs"), client("s3", signature_version="s3")
    s3.list_buckets()
    v2.list_buckets()
    cloud.advance(16 * 60)  # botocore signs with the wall clock; the server's is now 16 minutes ahead
    err = error_of(s3.list_buckets)
    assert err["Code"] == "RequestTimeTooSkewed" and err["Status"] == 403
    assert err["MaxAllowedSkewMilliseconds"] == "900000"
    err = error_of(sqs.list_queues)
    assert err["Code"] == "SignatureDoesNotMatch" and err["Message"].startswith("Signature expired:")
    assert error_of(v2.list_buckets)["Code"] == "RequestTimeTooSkewed"


def test_the_payload_must_hash_to_x_amz_content_sha256(cloud, s3, bucket):
    req = _signed(cloud, "s3", f"{cloud.endpoint}/{bucket}?tagging", method="PUT",
                  body=b"<Tagging><TagSet/></Tagging>")
    r = httpx.put(req.url, headers=_headers(req), content=b"<Tagging><TagSet></TagSet></Tagging>")
    assert r.status_code == 400 and "<Code>XAmzContentSHA256Mismatch</Code>" in r.text
    # A streamed PutObject body is hashed as it streams.
    req = _signed(cloud, "s3", f"{cloud.endpoint}/{bucket}/streamed", method="PUT", body=b"a" * 1000)
    r = httpx.put(req.url, headers=_headers(req), content=b"b" * 1000)
    assert r.status_code == 400 and "XAmzContentSHA256Mismatch" in r.text
    assert "streamed" not in [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    req = _signed(cloud, "s3", f"{cloud.endpoint}/{bucket}/streamed", method="PUT", body=b"a" * 1000)
    assert httpx.put(req.url, headers=_headers(req), content=b"a" * 1000).status_code == 200


def test_a_tampered_path_or_query_no_longer_matches(cloud, bucket):
    req = _signed(cloud, "s3", f"{cloud.endpoint}/{bucket}/docs/readme.txt")
    assert httpx.get(req.url, headers=_headers(req)).content == b"hello"
    r = httpx.get(f"{cloud.endpoint}/{bucket}/private/secret.txt", headers=_headers(req))
    assert r.status_code == 403 and "<Code>SignatureDoesNotMatch</Code>" in r.text
    assert f"<CanonicalRequest>GET\n/{bucket}/private/secret.txt\n" in r.text
    # Keys that need encoding are encoded once for S3.
    req = _signed(cloud, "s3", f"{cloud.endpoint}/{bucket}/a%20b%2Bc%C3%A9", method="PUT", body=b"x")
    assert httpx.put(req.url, headers=_headers(req), content=b"x").status_code == 200


def test_presigned_urls_work_until_tampered_with_or_expired(cloud, client, bucket):
    s3 = client("s3", signature_version="s3v4")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "docs/readme.txt"},
                                    ExpiresIn=60)
    assert "X-Amz-Signature=" in url
    assert httpx.get(url).content == b"hello"
    r = httpx.get(url.replace("docs/readme.txt", "private/secret.txt"))
    assert r.status_code == 403 and "SignatureDoesNotMatch" in r.text
    sig = url.split("X-Amz-Signature=")[1][:64]
    r = httpx.get(url.replace(sig, "0" * 64))
    assert r.status_code == 403 and "SignatureDoesNotMatch" in r.text
    r = httpx.get(url.replace("X-Amz-Expires=60", "X-Amz-Expires=600"))
    assert r.status_code == 403 and "SignatureDoesNotMatch" in r.text
    wrong = client("s3", secret="wrong", signature_version="s3v4").generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "docs/readme.txt"})
    assert httpx.get(wrong).status_code == 403
    put = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "uploaded"})
    assert httpx.put(put, content=b"via url").status_code == 200
    assert s3.get_object(Bucket=bucket, Key="uploaded")["Body"].read() == b"via url"
    cloud.advance(61)
    r = httpx.get(url)
    assert r.status_code == 403 and "Request has expired" in r.text


def test_presigned_url_without_all_its_parameters(cloud, bucket):
    r = httpx.get(f"{cloud.endpoint}/{bucket}/docs/readme.txt?X-Amz-Credential=test%2F20240101%2Fus-east-1"
                  "%2Fs3%2Faws4_request&X-Amz-Signature=00")
    assert r.status_code == 400 and "<Code>AuthorizationQueryParametersError</Code>" in r.text


def test_sigv2_header_and_query_forms(cloud, client, bucket):
    v2 = client("s3", signature_version="s3")
    assert v2.get_object(Bucket=bucket, Key="docs/readme.txt")["Body"].read() == b"hello"
    v2.put_object(Bucket=bucket, Key="v2 key+1", Body=b"v2", ContentType="text/plain", Metadata={"a": "b"})
    assert v2.get_object(Bucket=bucket, Key="v2 key+1")["Body"].read() == b"v2"
    err = error_of(client("s3", secret="wrong", signature_version="s3").list_objects, Bucket=bucket)
    assert err["Code"] == "SignatureDoesNotMatch" and err["StringToSign"].startswith("GET\n")
    assert "CanonicalRequest" not in err
    url = v2.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "docs/readme.txt"})
    assert "AWSAccessKeyId=test" in url and httpx.get(url).content == b"hello"
    r = httpx.get(url.replace("docs/readme.txt", "private/secret.txt"))
    assert r.status_code == 403 and "SignatureDoesNotMatch" in r.text


def test_multipart_uploads_and_sub_resources_sign_and_verify(client, bucket):
    for version in ("s3v4", "s3"):
        s3 = client("s3", signature_version=version)
        key = f"multi/{version} part ü"
        upload = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
        etag = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=1, Body=b"p" * 100)["ETag"]
        assert [p["PartNumber"] for p in s3.list_parts(Bucket=bucket, Key=key, UploadId=upload)["Parts"]] == [1]
        s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload,
                                     MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
        assert s3.get_object(Bucket=bucket, Key=key, Range="bytes=0-1")["Body"].read() == b"pp"
        s3.put_object_tagging(Bucket=bucket, Key=key, Tagging={"TagSet": [{"Key": "a", "Value": "b c"}]})
        assert s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"] == [{"Key": "a", "Value": "b c"}]
        listed = s3.list_objects_v2(Bucket=bucket, Prefix="multi/", Delimiter="/", StartAfter="multi/a b")
        assert key in [o["Key"] for o in listed["Contents"]]


def test_virtual_hosted_requests_sign_with_the_bucket_in_the_host(cloud, bucket):
    port = urlsplit(cloud.endpoint).port
    for version in ("s3v4", "s3"):
        s3 = loopback(boto3.client("s3", endpoint_url=f"http://s3.localhost:{port}", region_name="us-east-1",
                                   aws_access_key_id="test", aws_secret_access_key="test",
                                   config=Config(signature_version=version, s3={"addressing_style": "virtual"},
                                                 retries={"max_attempts": 1})), port)
        assert s3.get_object(Bucket=bucket, Key="docs/readme.txt")["Body"].read() == b"hello"
        s3.put_object(Bucket=bucket, Key=f"vhost/{version}", Body=b"v")
        assert s3.get_object_tagging(Bucket=bucket, Key=f"vhost/{version}")["TagSet"] == []


def test_a_streamed_body_signed_by_its_hash_is_checked_before_the_provider_acts(client):
    # Lambda's Invoke payload streams in with no x-amz-content-sha256: botocore signs
    # its SHA-256, which nubis can only know once the body is in. A wrong secret is
    # refused before Lambda looks for the function (so it cannot say whether it exists).
    wrong = client("lambda", secret="not-the-secret")
    e = error_of(wrong.invoke, FunctionName="no-such-function", Payload=b'{"a": 1}')
    assert (e["Code"], e["Status"]) == ("InvalidSignatureException", 403)
    right = client("lambda")
    e = error_of(right.invoke, FunctionName="no-such-function", Payload=b'{"a": 1}')
    assert (e["Code"], e["Status"]) == ("ResourceNotFoundException", 404)


def test_a_signature_with_characters_beyond_ascii_is_a_mismatch(cloud, bucket):
    """A signature (header, presigned query or SigV2) holding non-ASCII text is compared as
    bytes: SignatureDoesNotMatch, not an internal error."""
    import time

    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(cloud.clock()))
    sigv4 = (f"AWS4-HMAC-SHA256 Credential=test/{stamp[:8]}/us-east-1/s3/aws4_request, SignedHeaders=host, "
             "Signature=\u00e9" + "0" * 63)
    r = httpx.get(f"{cloud.endpoint}/{bucket}", headers={"Authorization": sigv4.encode("latin-1"), "X-Amz-Date": stamp,
                                                         "x-amz-content-sha256": hashlib.sha256(b"").hexdigest()})
    assert r.status_code == 403 and b"<Code>SignatureDoesNotMatch</Code>" in r.content
    r = httpx.get(f"{cloud.endpoint}/{bucket}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=test%2F{stamp[:8]}"
                  f"%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date={stamp}&X-Amz-Expires=600&X-Amz-SignedHeaders=host"
                  "&X-Amz-Signature=%C3%A9abc")
    assert r.status_code == 403 and b"<Code>SignatureDoesNotMatch</Code>" in r.content
    r = httpx.get(f"{cloud.endpoint}/{bucket}?AWSAccessKeyId=test&Expires={int(cloud.clock()) + 600}"
                  "&Signature=%C3%A9abc")
    assert r.status_code == 403 and b"<Code>SignatureDoesNotMatch</Code>" in r.content
