"""What the EventBridge operations share: errors, names, documents, times and paging."""
from __future__ import annotations

import base64
import datetime as _dt
import re

from ...protocol.errors import ServiceError

PAGE = 100
BUS_ARN = re.compile(r"^arn:aws[\w-]*:events:([a-z0-9-]+):(\d{12}):event-bus/([/.\-_A-Za-z0-9]+)$")
RESOURCE_NAME = re.compile(r"^[.\-_A-Za-z0-9]{1,64}$")


def validation(message: str) -> ServiceError:
    return ServiceError("ValidationException", message, 400)


def not_found(message: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", message, 400)


def exists(message: str) -> ServiceError:
    return ServiceError("ResourceAlreadyExistsException", message, 400)


def public(doc: dict) -> dict:
    """A stored document as the API answers it (keys starting ``_`` are nubis's own)."""
    return {k: v for k, v in doc.items() if not k.startswith("_") and k != "Tags"}


def iso(t: float) -> str:
    return _dt.datetime.fromtimestamp(t, tz=_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch(value) -> float:
    if isinstance(value, _dt.datetime):
        return value.timestamp()
    return float(value)


def event_time(event: dict, default: float) -> float:
    """An event's ``time`` in epoch seconds (``default`` if it has none that parses)."""
    try:
        return _dt.datetime.strptime(event["time"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=_dt.timezone.utc).timestamp()
    except (KeyError, ValueError):
        return default


def page(items: list, limit, key: str) -> tuple[list, str | None]:
    """The first ``limit`` items, and the token of the next page (the last item's ``key``) if there is one."""
    limit = limit or PAGE
    if len(items) > limit:
        items = items[:limit]
        return items, base64.urlsafe_b64encode(items[-1][key].encode()).decode()
    return items, None


def resume_after(token: str | None) -> str:
    """The key a NextToken continues after."""
    if not token:
        return ""
    try:
        return base64.urlsafe_b64decode(token.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        raise validation("The NextToken is not valid.") from None
