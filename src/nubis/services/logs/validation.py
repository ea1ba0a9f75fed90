"""CloudWatch Logs' input checks and errors, worded as the service words them
(its model constraints come back as ``InvalidParameterException`` with the
"1 validation error detected" text)."""
from __future__ import annotations

import json
import re

from ...protocol.errors import ServiceError

GROUP_NAME = re.compile(r"[\.\-_/#A-Za-z0-9]+")
STREAM_NAME = re.compile(r"[^:*]*")
FILTER_NAME = STREAM_NAME
RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
                  3288, 3653)
GROUP_CLASSES = ("STANDARD", "INFREQUENT_ACCESS", "DELIVERY")


def invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterException", message)


def validation(message: str) -> ServiceError:
    return ServiceError("ValidationException", message)


def constraint(value, member: str, rule: str) -> ServiceError:
    return invalid(f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: "
                   f"{rule}")


def not_found(what: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", f"The specified {what} does not exist.")


def already_exists(what: str) -> ServiceError:
    return ServiceError("ResourceAlreadyExistsException", f"The specified {what} already exists")


def limit_exceeded(message: str) -> ServiceError:
    return ServiceError("LimitExceededException", message)


def required(params: dict, member: str):
    value = params.get(member)
    if value is None:
        raise constraint("null", member, "Member must not be null")
    return value


def name(params: dict, member: str, pattern: re.Pattern, lo: int = 1, hi: int = 512) -> str:
    value = required(params, member)
    check_name(value, member, pattern, lo, hi)
    return value


def check_name(value: str, member: str, pattern: re.Pattern, lo: int = 1, hi: int = 512) -> None:
    if len(value) < lo:
        raise constraint(value, member, f"Member must have length greater than or equal to {lo}")
    if len(value) > hi:
        raise constraint(value, member, f"Member must have length less than or equal to {hi}")
    if not pattern.fullmatch(value):
        raise constraint(value, member, f"Member must satisfy regular expression pattern: {pattern.pattern}")


def limit(params: dict, default: int, hi: int) -> int:
    value = params.get("limit")
    if value is None:
        return default
    if value < 1:
        raise constraint(value, "limit", "Member must have value greater than or equal to 1")
    if value > hi:
        raise constraint(value, "limit", f"Member must have value less than or equal to {hi}")
    return value


def retention(value) -> int:
    if value not in RETENTION_DAYS:
        raise constraint(value, "retentionInDays", "Member must satisfy enum value set: "
                         f"[{', '.join(map(str, RETENTION_DAYS))}]")
    return value


def tags(value: dict | None, member: str = "tags") -> dict:
    value = dict(value or {})
    if len(value) > 50:
        raise constraint(value, member, "Member must have length less than or equal to 50")
    for key, v in value.items():
        if not 1 <= len(key) <= 128 or key.lower().startswith("aws:"):
            raise invalid(f"Invalid tag key: {key}")
        if len(v or "") > 256:
            raise invalid(f"Invalid tag value for key {key}")
    return value


# The newer operations (deliveries, policies, transformers, anomaly detectors) answer a model
# constraint with ValidationException rather than InvalidParameterException.

def bad_value(value, member: str, rule: str) -> ServiceError:
    return validation(f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: "
                      f"{rule}")


def text(params: dict, member: str, lo: int = 1, hi: int | None = None, pattern: re.Pattern | None = None,
         optional: bool = False) -> str | None:
    value = params.get(member)
    if value is None:
        if optional:
            return None
        raise bad_value("null", member, "Member must not be null")
    if not isinstance(value, str):
        raise bad_value(value, member, "Member must be a string")
    if len(value) < lo:
        raise bad_value(value, member, f"Member must have length greater than or equal to {lo}")
    if hi is not None and len(value) > hi:
        raise bad_value(value, member, f"Member must have length less than or equal to {hi}")
    if pattern is not None and not pattern.fullmatch(value):
        raise bad_value(value, member, f"Member must satisfy regular expression pattern: {pattern.pattern}")
    return value


def one_of(params: dict, member: str, allowed, default=None):
    value = params.get(member)
    if value is None:
        return default
    if value not in allowed:
        raise bad_value(value, member, f"Member must satisfy enum value set: [{', '.join(allowed)}]")
    return value


def page(items: list, params: dict, default: int, hi: int, limit_member: str = "limit") -> tuple[list, str | None]:
    """One page of ``items`` from an offset ``nextToken``: (page, the next token or None)."""
    size = params.get(limit_member)
    if size is None:
        size = default
    elif not 1 <= size <= hi:
        raise bad_value(size, limit_member, f"Member must have value between 1 and {hi}")
    start = 0
    token = params.get("nextToken")
    if token is not None:
        if not str(token).isdigit():
            raise invalid("The specified nextToken is invalid.")
        start = int(token)
    nxt = str(start + size) if start + size < len(items) else None
    return items[start:start + size], nxt


def policy_document(value: str, member: str, hi: int = 51200) -> dict:
    """A policy document: JSON text of an object."""
    if not 1 <= len(value) <= hi:
        raise bad_value("...", member, f"Member must have length less than or equal to {hi}")
    try:
        doc = json.loads(value)
    except ValueError:
        doc = None
    if not isinstance(doc, dict):
        raise invalid(f"The {member} is not a valid JSON object.")
    return doc
