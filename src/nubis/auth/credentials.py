"""Access key -> account and principal (before IAM enforcement exists)."""
from __future__ import annotations

import re

_ACCOUNT = re.compile(r"^\d{12}$")


def account_for(access_key: str | None, default: str) -> str:
    """The account of a request: the access key id when it is 12 digits."""
    if access_key and _ACCOUNT.match(access_key):
        return access_key
    return default


def partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def root_arn(account: str, region: str = "us-east-1") -> str:
    return f"arn:{partition(region)}:iam::{account}:root"
