"""An operation nubis does not implement yet: a well-formed 501 in the
service's own protocol, parsed by boto3 into a readable ClientError."""
import urllib.request

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

NO_RETRY = Config(retries={"max_attempts": 1})

CASES = [
    # (service, operation, kwargs, protocol botocore uses for it)
    ("codecommit", "list_repositories", {}, "json"),
    ("elasticbeanstalk", "describe_applications", {}, "query"),
    ("route53", "list_health_checks", {}, "rest-xml"),
    ("eks", "list_clusters", {}, "rest-json"),
    ("ecr", "describe_repositories", {}, "json"),
    ("cloudwatch", "list_metrics", {}, "smithy-rpc-v2-cbor"),
    ("ec2", "describe_instances", {}, "ec2"),
]


@pytest.mark.parametrize("service,method,kwargs,protocol", CASES, ids=[c[0] for c in CASES])
def test_unimplemented_operation_is_a_501_client_error(nubis, service, method, kwargs, protocol):
    client = nubis.client(service, config=NO_RETRY)
    assert client.meta.service_model.protocol == protocol
    with pytest.raises(ClientError) as info:
        getattr(client, method)(**kwargs)
    err = info.value.response
    op = client.meta.method_to_api_mapping[method]
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert err["Error"]["Code"] == "NotImplemented"
    assert f"{service}:{op}" in err["Error"]["Message"]
    assert "not implement" in str(info.value)


def test_unimplemented_operation_over_a_form_encoded_request(nubis):
    # Older SDKs and the CLI v1 send query-protocol requests form-encoded.
    body = b"Action=DescribeApplications&Version=2010-12-01"
    req = urllib.request.Request(nubis.endpoint + "/", body, method="POST", headers={
        "Content-Type": "application/x-www-form-urlencoded",
        "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/elasticbeanstalk/aws4_request, "
                         "SignedHeaders=host, Signature=0"})
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(req)
    assert info.value.code == 501
    text = info.value.read().decode()
    assert "<ErrorResponse" in text and "<Code>NotImplemented</Code>" in text and "elasticbeanstalk:DescribeApplications" in text


@pytest.mark.parametrize("protocol,target,content_type", [
    ("json", "GraniteServiceVersion20100801.ListMetrics", "application/x-amz-json-1.0"),
    ("query", None, "application/x-www-form-urlencoded"),
])
def test_cloudwatch_answers_in_the_protocol_the_request_used(nubis, protocol, target, content_type):
    headers = {"Content-Type": content_type,
               "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/monitoring/aws4_request, "
                                "SignedHeaders=host, Signature=0"}
    if target:
        headers["X-Amz-Target"] = target
        body = b"{}"
    else:
        body = b"Action=ListMetrics&Version=2010-08-01"
    req = urllib.request.Request(nubis.endpoint + "/", body, method="POST", headers=headers)
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(req)
    assert info.value.code == 501
    text = info.value.read().decode()
    if protocol == "json":
        assert info.value.headers["Content-Type"].startswith("application/x-amz-json-1.0")
        assert '"__type": "NotImplemented"' in text or '"__type":"NotImplemented"' in text
        # CloudWatch is awsQueryCompatible: the query code travels in a header.
        assert info.value.headers["x-amzn-query-error"] == "NotImplemented;Receiver"
    else:
        assert "<Code>NotImplemented</Code>" in text


def test_unknown_service_is_a_clear_error(nubis):
    req = urllib.request.Request(nubis.endpoint + "/", b"{}", method="POST", headers={
        "X-Amz-Target": "NoSuchService_20990101.DoThing", "Content-Type": "application/x-amz-json-1.1"})
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(req)
    assert info.value.code == 400
    text = info.value.read().decode()
    assert "UnknownService" in text and "NoSuchService_20990101.DoThing" in text


def test_unknown_operation_of_a_known_service(nubis):
    client = nubis.client("sts", config=NO_RETRY)
    req = urllib.request.Request(nubis.endpoint + "/", b"Action=NoSuchAction&Version=2011-06-15", method="POST",
                                 headers={"Content-Type": "application/x-www-form-urlencoded",
                                          "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sts/"
                                                           "aws4_request, SignedHeaders=host, Signature=0"})
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(req)
    assert info.value.code == 400
    assert "<Code>InvalidAction</Code>" in info.value.read().decode()
    assert client.get_caller_identity()["Account"]  # the server is fine afterwards
