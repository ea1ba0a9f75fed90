"""Parameter policies: Expiration, ExpirationNotification, NoChangeNotification.

``Policies`` is a JSON array of ``{"Type", "Version", "Attributes"}``. They
are kept with the parameter's version; Expiration deletes the parameter at
its timestamp (a durable timer on the clock).
"""
from __future__ import annotations

import json

from ...protocol.base import parse_timestamp
from ...protocol.errors import ServiceError

TYPES = ("Expiration", "ExpirationNotification", "NoChangeNotification")
UNITS = ("Days", "Hours")


def _attribute_error(message: str) -> ServiceError:
    return ServiceError("InvalidPolicyAttributeException", message)


def parse(text: str, now: float) -> list[dict]:
    """The policies as stored: ``[{"PolicyText", "PolicyType", "PolicyStatus"}]``, plus the expiry time."""
    try:
        doc = json.loads(text)
    except ValueError:
        raise ServiceError("InvalidPolicyTypeException", "The policies are not a valid JSON array.") from None
    if isinstance(doc, dict):
        doc = [doc]
    if not isinstance(doc, list) or len(doc) > 10:
        raise ServiceError("InvalidPolicyTypeException", "The policies are not a valid JSON array.")
    out, seen = [], set()
    for policy in doc:
        if not isinstance(policy, dict):
            raise ServiceError("InvalidPolicyTypeException", "A policy must be a JSON object.")
        kind = policy.get("Type")
        if kind not in TYPES:
            raise ServiceError("InvalidPolicyTypeException", f"The following policy types are not supported: {kind}")
        if kind in seen:
            raise ServiceError("InvalidPolicyTypeException", f"A parameter can have only one {kind} policy.")
        seen.add(kind)
        if str(policy.get("Version", "1.0")) != "1.0":
            raise _attribute_error(f"Invalid version for policy type {kind}: {policy.get('Version')}")
        attrs = policy.get("Attributes")
        if not isinstance(attrs, dict):
            raise _attribute_error(f"The {kind} policy needs Attributes.")
        if kind == "Expiration":
            try:
                when = parse_timestamp(attrs["Timestamp"]).timestamp()
            except (KeyError, ValueError, TypeError, ServiceError):
                raise _attribute_error("Invalid Timestamp for the Expiration policy: use ISO 8601, "
                                       "for example 2020-05-13T00:00:00.000Z.") from None
            if when <= now:
                raise _attribute_error("The Expiration policy's Timestamp must be in the future.")
        else:
            amount = attrs.get("Before" if kind == "ExpirationNotification" else "After")
            try:
                valid = int(str(amount)) >= 1
            except ValueError:
                valid = False
            if not valid or attrs.get("Unit", "Days") not in UNITS:
                raise _attribute_error(f"Invalid attributes for policy type {kind}.")
        out.append({"PolicyText": json.dumps(policy, separators=(",", ":")), "PolicyType": kind,
                    "PolicyStatus": "Pending"})
    return out


def expires_at(policies: list[dict]) -> float | None:
    for p in policies:
        if p["PolicyType"] == "Expiration":
            return parse_timestamp(json.loads(p["PolicyText"])["Attributes"]["Timestamp"]).timestamp()
    return None
