"""A function runs with its execution role's credentials (AssumeRole as lambda.amazonaws.com)."""
from __future__ import annotations

import json

import boto3
import pytest

from nubis.testing.fixtures import enforcing  # noqa: F401  (a second nubis enforcing IAM, per module)

from .conftest import ACCOUNT, NO_RETRY, ROLE, zip_of

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
TRUSTS_EC2 = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})

SOURCE = """
import os, boto3
from botocore.exceptions import ClientError

def handler(event, context):
    out = {"arn": boto3.client("sts").get_caller_identity()["Arn"],
           "key": os.environ["AWS_ACCESS_KEY_ID"], "token": os.environ.get("AWS_SESSION_TOKEN")}
    sqs = boto3.client("sqs")
    for name, url in (event.get("queues") or {}).items():
        try:
            sqs.send_message(QueueUrl=url, MessageBody="hi")
            out[name] = "sent"
        except ClientError as e:
            out[name] = e.response["Error"]["Code"]
    return out
"""


def clients(endpoint):
    def make(service, **kw):
        return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
                            aws_secret_access_key="test", **kw)
    return make


def role(iam, name, trust=TRUST, **more):
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust, **more)["Role"]["Arn"]


def run(lam, name, event=None) -> dict:
    out = lam.invoke(FunctionName=name, Payload=json.dumps(event or {}).encode())
    body = json.loads(out["Payload"].read())
    assert "FunctionError" not in out, body
    return body


def test_a_function_acts_as_its_role_under_enforcement(enforcing):
    enforcing.reset()
    make = clients(enforcing.endpoint)
    iam, sqs, lam = make("iam"), make("sqs"), make("lambda", config=NO_RETRY)
    allowed = sqs.create_queue(QueueName="allowed")["QueueUrl"]
    other = sqs.create_queue(QueueName="other")["QueueUrl"]
    arn = role(iam, "worker-role")
    iam.put_role_policy(RoleName="worker-role", PolicyName="send", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage",
                                                "Resource": f"arn:aws:sqs:us-east-1:{ACCOUNT}:allowed"}]}))
    lam.create_function(FunctionName="worker", Runtime="python3.12", Role=arn, Handler="app.handler",
                        Timeout=30, Code={"ZipFile": zip_of({"app.py": SOURCE})})
    out = run(lam, "worker", {"queues": {"allowed": allowed, "other": other}})
    assert out["arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/worker-role/worker"
    assert out["key"].startswith("ASIA") and out["token"]
    assert out["allowed"] == "sent"
    assert out["other"] == "AccessDenied"
    assert sqs.get_queue_attributes(QueueUrl=allowed, AttributeNames=["ApproximateNumberOfMessages"])[
        "Attributes"]["ApproximateNumberOfMessages"] == "1"


def test_a_made_up_role_runs_with_the_accounts_keys(aws_client):
    lam = aws_client("lambda", config=NO_RETRY)
    lam.create_function(FunctionName="plain", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                        Code={"ZipFile": zip_of({"app.py": SOURCE})})
    out = run(lam, "plain")
    assert out["arn"] == f"arn:aws:iam::{ACCOUNT}:root"
    assert out["key"] == ACCOUNT


def test_a_role_that_does_not_trust_lambda_is_not_assumed(aws_client):
    iam, lam = aws_client("iam"), aws_client("lambda", config=NO_RETRY)
    arn = role(iam, "ec2-only", TRUSTS_EC2)
    lam.create_function(FunctionName="plain", Runtime="python3.12", Role=arn, Handler="app.handler",
                        Code={"ZipFile": zip_of({"app.py": SOURCE})})
    assert run(lam, "plain")["arn"] == f"arn:aws:iam::{ACCOUNT}:root"


def test_the_session_lasts_the_roles_maximum_and_its_environment_is_retired_before_it_ends(aws_client, nubis):
    iam, lam = aws_client("iam"), aws_client("lambda", config=NO_RETRY)
    arn = role(iam, "short", MaxSessionDuration=3600)
    lam.create_function(FunctionName="fn", Runtime="python3.12", Role=arn, Handler="app.handler",
                        Code={"ZipFile": zip_of({"app.py": SOURCE})})
    first = run(lam, "fn")
    assert first["arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/short/fn"
    nubis.advance(60)
    assert run(lam, "fn")["key"] == first["key"]  # warm: the same environment, the same session
    # Kept warm by an invocation every few minutes, it still gets a fresh session before the hour is out.
    keys = set()
    for _ in range(12):
        nubis.advance(270)
        keys.add(run(lam, "fn")["key"])
    assert len(keys) == 2 and first["key"] in keys
