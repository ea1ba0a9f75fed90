"""Failures become AWS errors in the request's protocol, never tracebacks."""
import http.client
import urllib.parse

import pytest
from botocore.exceptions import ClientError

PROVIDERS = {"NUBIS_PROVIDERS": "ssm=support.kv_ssm:KvSsm"}


@pytest.fixture(scope="module")
def server():
    import sys
    import os

    sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))
    from conftest import ServerProcess

    s = ServerProcess("--ephemeral", env=PROVIDERS)
    yield s
    s.stop()


def test_a_provider_bug_is_an_internal_failure(server):
    with pytest.raises(ClientError) as info:
        server.client("ssm").delete_parameter(Name="x")
    err = info.value.response
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert err["Error"]["Code"] == "InternalFailure"
    assert "Traceback" not in str(err)


def test_a_required_member_left_out_is_a_validation_error(server):
    """Clients that do not check required members (raw HTTP, the JS SDK) get AWS's
    validation error for one left out, in the service's protocol, not an internal error."""
    from botocore.config import Config

    raw = Config(parameter_validation=False, retries={"max_attempts": 1})
    with pytest.raises(ClientError) as info:
        server.client("iam", config=raw).create_role(RoleName="r")
    err = info.value.response
    assert (err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]) == ("ValidationError", 400)
    assert err["Error"]["Message"] == ("1 validation error detected: Value null at 'assumeRolePolicyDocument' "
                                       "failed to satisfy constraint: Member must not be null")
    with pytest.raises(ClientError) as info:
        server.client("lambda", config=raw).create_function(
            Runtime="python3.12", Handler="app.handler", Role="arn:aws:iam::000000000000:role/r",
            Code={"ZipFile": b"zip"})
    err = info.value.response
    assert (err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]) == ("ValidationException", 400)
    assert "Value null at 'functionName'" in err["Error"]["Message"]
    kinesis = server.client("kinesis", config=raw)  # a nested member, named by its path
    kinesis.create_stream(StreamName="s", ShardCount=1)
    with pytest.raises(ClientError) as info:
        kinesis.update_stream_mode(StreamARN="arn:aws:kinesis:us-east-1:000000000000:stream/s",
                                   StreamModeDetails={})
    assert info.value.response["Error"]["Message"] == (
        "1 validation error detected: Value null at 'streamModeDetails.streamMode' failed to satisfy "
        "constraint: Member must not be null")


def test_modeled_error_reaches_boto3_as_its_exception(server):
    ssm = server.client("ssm")
    with pytest.raises(ssm.exceptions.ParameterNotFound):
        ssm.get_parameter(Name="/nope")


def post_json(server, target: str, body: bytes):
    u = urllib.parse.urlsplit(server.endpoint)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    conn.request("POST", "/", body=body, headers={"X-Amz-Target": target,
                                                  "Content-Type": "application/x-amz-json-1.1"})
    resp = conn.getresponse()
    return resp.status, resp.read().decode()


def test_malformed_json_body(server):
    status, body = post_json(server, "AmazonSSM.GetParameter", b"{not json")
    assert status == 400
    assert "SerializationException" in body


def test_wrong_type_in_json_body(server):
    status, body = post_json(server, "AmazonSSM.GetParameters", b'{"Names": "not-a-list"}')
    assert status == 400
    assert "SerializationException" in body


def test_internal_client_calls_another_service_as_a_principal(server):
    out = server.client("ssm").get_parameters(Names=["a", "b"])
    assert [p["Value"] for p in out["Parameters"]] == ["ssm.amazonaws.com", "ssm.amazonaws.com"]


def test_unimplemented_operation_of_a_provider(server):
    ssm = server.client("ssm")
    with pytest.raises(ClientError) as info:
        ssm.describe_parameters()
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert "ssm:DescribeParameters" in info.value.response["Error"]["Message"]
