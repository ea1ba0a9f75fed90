"""Policy documents as IAM takes and gives them: the grammar checked on the
way in (``MalformedPolicyDocument``, IAM user guide "IAM JSON policy
grammar"), URL-encoded on the way out as the IAM API returns them."""
from __future__ import annotations

import json
import re
from urllib.parse import quote

from ...protocol.errors import ServiceError

_TOP = {"Version", "Id", "Statement"}
_STATEMENT = {"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource",
              "Condition"}
MAX_SIZE = {"managed": 6144, "user": 2048, "group": 5120, "role": 10240, "trust": 2048}


def malformed(message: str) -> ServiceError:
    return ServiceError("MalformedPolicyDocument", message, 400)


def encoded(text: str) -> str:
    """A policy document as IAM's Get* operations return it (SDKs decode it)."""
    return quote(text, safe="")


def check(text: str, kind: str = "identity", limit: int | None = None) -> dict:
    """Parse and check a policy; ``kind``: ``identity``, ``trust`` (a role's
    AssumeRolePolicyDocument) or ``resource``. Returns the parsed document."""
    if limit is not None and len("".join(text.split())) > limit:
        raise ServiceError("LimitExceeded", f"Cannot exceed quota for PolicySize: {limit}", 409)
    try:
        doc = json.loads(text)
    except (ValueError, TypeError):
        raise malformed("This policy contains invalid Json") from None
    if not isinstance(doc, dict):
        raise malformed("Syntax errors in policy.")
    for field in doc:
        if field not in _TOP:
            raise malformed("Syntax errors in policy.")
    if "Version" in doc and doc["Version"] not in ("2012-10-17", "2008-10-17"):
        raise malformed("The policy failed legacy parsing")
    statements = doc.get("Statement")
    if statements is None:
        raise malformed("Syntax errors in policy.")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not statements:
        raise malformed("Syntax errors in policy.")
    sids = set()
    for st in statements:
        if not isinstance(st, dict) or any(k not in _STATEMENT for k in st):
            raise malformed("Syntax errors in policy.")
        if st.get("Effect") not in ("Allow", "Deny"):
            raise malformed("Missing required field Effect" if "Effect" not in st else "Syntax errors in policy.")
        if "Action" not in st and "NotAction" not in st:
            raise malformed("Policy statement must contain actions.")
        for field in ("Action", "NotAction", "Resource", "NotResource"):
            if field in st and not _strings(st[field]):
                raise malformed("Syntax errors in policy.")
        if "Condition" in st and not _condition_block(st["Condition"]):
            raise malformed("Syntax errors in policy.")
        sid = st.get("Sid")
        if sid is not None:
            if not isinstance(sid, str) or (kind == "identity" and not re.fullmatch(r"[0-9A-Za-z]*", sid)):
                raise malformed("Statement IDs (SID) must be alpha-numeric. Check that your input satisfies "
                                "the regular expression [0-9A-Za-z]*")
            if sid in sids:
                raise malformed("Statement IDs (SID) in a single policy must be unique.")
            sids.add(sid)
        principal = "Principal" in st or "NotPrincipal" in st
        if kind == "identity":
            if principal:
                raise malformed("Policy document should not specify a principal.")
            if "Resource" not in st and "NotResource" not in st:
                raise malformed("Policy statement must contain resources.")
            for resource in _list(st.get("Resource", st.get("NotResource"))):
                if resource != "*" and not resource.startswith("arn:"):
                    raise malformed(f'Resource {resource} must be in ARN format or "*".')
            for action in _list(st.get("Action", st.get("NotAction"))):
                if action != "*" and ":" not in action:
                    raise malformed("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")
        elif kind == "trust":
            if "Resource" in st or "NotResource" in st:
                raise malformed("Has prohibited field Resource")
            if not principal:
                raise malformed("Missing required field Principal")
            for action in _list(st.get("Action", st.get("NotAction"))):
                if action != "*" and not action.lower().startswith("sts:"):
                    raise malformed("AssumeRole policy may only specify STS AssumeRole actions.")
        if principal and not _principal(st.get("Principal", st.get("NotPrincipal"))):
            raise malformed("Invalid principal in policy")
    return doc


def _list(value) -> list:
    return value if isinstance(value, list) else [value]


def _strings(value) -> bool:
    items = _list(value)
    return bool(items) and all(isinstance(v, str) and v for v in items)


def _principal(value) -> bool:
    if value == "*":
        return True
    if not isinstance(value, dict) or not value:
        return False
    return all(k in ("AWS", "Service", "Federated", "CanonicalUser") and _strings(v) for k, v in value.items())


def _condition_block(block) -> bool:
    return isinstance(block, dict) and all(isinstance(v, dict) for v in block.values())
