"""Access point names, aliases and ARNs: what S3 accepts and how it spells them."""
from __future__ import annotations

import re
import secrets
import string

from ...protocol.errors import ServiceError

# 3-50 lowercase letters, digits and hyphens, starting and ending with a letter
# or digit (S3 user guide, "Naming rules for access points").
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{1,48}[a-z0-9]$")
ALIAS_SUFFIX = "-s3alias"
_RESERVED_SUFFIXES = (ALIAS_SUFFIX, "--ol-s3", "--xa-s3")
_ALPHABET = string.ascii_lowercase + string.digits
_ARN = re.compile(r"^arn:(?P<partition>[^:]+):s3:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
                  r"accesspoint/(?P<name>[^/]+)$")
# An alias stands where a bucket name does, so it keeps to 63 characters:
# a prefix of the name, 34 random characters and the suffix.
_ALIAS_PREFIX = 63 - 1 - 34 - len(ALIAS_SUFFIX)


def invalid_uri() -> ServiceError:
    return ServiceError("InvalidURI", "Couldn't parse the specified URI.", 400)


def check_name(name: str) -> None:
    if not _NAME.match(name) or name.endswith(_RESERVED_SUFFIXES):
        raise invalid_uri()


def new_alias(name: str) -> str:
    prefix = name[:_ALIAS_PREFIX].rstrip("-")
    return f"{prefix}-{''.join(secrets.choice(_ALPHABET) for _ in range(34))}{ALIAS_SUFFIX}"


def arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:s3:{region}:{account}:accesspoint/{name}"


def parse_arn(value: str) -> tuple[str, str, str] | None:
    """(region, account, name) of an access point ARN, or None for any other ARN."""
    m = _ARN.match(value)
    return (m["region"], m["account"], m["name"]) if m else None
