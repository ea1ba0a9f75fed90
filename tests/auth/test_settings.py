"""Turning enforcement on: the flag, the variable, and the root keys settings."""
from __future__ import annotations

from .conftest import error_of


def test_nubis_start_enforce_iam(server_process):
    server = server_process("--ephemeral", "--enforce-iam")
    server.client("s3").create_bucket(Bucket="flagged")
    err = error_of(server.client("s3", aws_secret_access_key="wrong").list_buckets)
    assert err["Code"] == "SignatureDoesNotMatch"


def test_the_variable_and_configured_root_keys(server_process):
    server = server_process("--ephemeral", env={"NUBIS_ENFORCE_IAM": "1", "NUBIS_ROOT_ACCESS_KEY_ID": "admin",
                                                "NUBIS_ROOT_SECRET_ACCESS_KEY": "s3cret"})
    ident = server.client("sts", aws_access_key_id="admin", aws_secret_access_key="s3cret").get_caller_identity()
    assert ident["Arn"] == "arn:aws:iam::000000000000:root"
    err = error_of(server.client("sts", aws_access_key_id="test", aws_secret_access_key="test").get_caller_identity)
    assert err["Code"] == "InvalidClientTokenId"
