"""An access point's policy document (standard or Object Lambda), checked as S3 Control checks it."""
from __future__ import annotations

import json

from ...protocol.errors import ServiceError

MAX_POLICY_BYTES = 20 * 1024


def checked_policy(policy: str) -> str:
    try:
        doc = json.loads(policy)
    except ValueError:
        doc = None
    if not isinstance(doc, dict) or not policy.lstrip().startswith("{"):
        raise ServiceError("MalformedPolicy", "Policies must be valid JSON and the first byte must be '{'", 400)
    if len(policy.encode("utf-8")) > MAX_POLICY_BYTES:
        raise ServiceError("PolicyTooLarge", "Policy exceeds the maximum allowed document size.", 400)
    return policy
