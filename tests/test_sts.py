"""STS GetCallerIdentity, the foundation's one real service, end to end."""
import json
import os

import boto3

from nubis.testing.cli import aws_cli


def test_default_account_is_root(aws_client):
    ident = aws_client("sts").get_caller_identity()
    assert ident["Account"] == "000000000000"
    assert ident["UserId"] == "000000000000"
    assert ident["Arn"] == "arn:aws:iam::000000000000:root"


def test_twelve_digit_access_key_is_the_account(nubis):
    sts = nubis.client("sts", aws_access_key_id="123456789012")
    assert sts.get_caller_identity()["Account"] == "123456789012"


def test_partition_follows_the_region(nubis):
    sts = nubis.client("sts", region="cn-north-1")
    assert sts.get_caller_identity()["Arn"] == "arn:aws-cn:iam::000000000000:root"


def test_request_id_is_returned(aws_client):
    meta = aws_client("sts").get_caller_identity()["ResponseMetadata"]
    assert meta["HTTPStatusCode"] == 200
    assert len(meta["RequestId"]) == 36


def test_environment_variables_alone_reach_nubis(nubis):
    # The plugin sets AWS_ENDPOINT_URL and dummy credentials: plain boto3 works.
    assert os.environ["AWS_ENDPOINT_URL"] == nubis.endpoint
    assert boto3.client("sts").get_caller_identity()["Account"] == "000000000000"


def test_aws_cli_get_caller_identity(nubis):
    out = aws_cli(nubis.endpoint, "sts", "get-caller-identity", key="210987654321", secret="x", region="eu-west-1")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"UserId": "210987654321", "Account": "210987654321",
                                      "Arn": "arn:aws:iam::210987654321:root"}
