"""Step Functions' checks of names, ARNs, JSON documents and page tokens, with AWS's errors."""
from __future__ import annotations

import base64
import binascii
import functools
import json
import re

from ...protocol.errors import ServiceError

# The developer guide's name rules: 1-80 characters, none of whitespace,
# brackets, wildcards, these special characters or control characters.
_BAD_NAME = re.compile(r"[\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]")
_ROLE = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")
MAX_PAYLOAD = 256 * 1024


def error(code: str, message: str) -> ServiceError:
    return ServiceError(code, message, 400)


def validation(message: str) -> ServiceError:
    return error("ValidationException", message)


def name(value, what: str = "Name") -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= 80 or _BAD_NAME.search(value):
        raise error("InvalidName", f"Invalid Name: '{value}'")
    return value


def role_arn(value) -> str:
    if not isinstance(value, str) or not _ROLE.match(value):
        raise error("InvalidArn", f"Invalid Arn: 'Resource type not valid in this context: {value}'")
    return value


def arn_parts(arn, resource_type: str) -> list[str]:
    """The colon-separated parts of a states ARN of ``resource_type``, or InvalidArn."""
    parts = arn.split(":") if isinstance(arn, str) else []
    if len(parts) < 7 or parts[0] != "arn" or parts[2] != "states" or parts[5] != resource_type:
        raise error("InvalidArn", f"Invalid Arn: '{arn}'")
    return parts


def json_document(text, code: str, what: str) -> object:
    if text is None:
        text = "{}"
    if not isinstance(text, str) or len(text.encode()) > MAX_PAYLOAD:
        raise error(code, f"Invalid State Machine Execution {what}: 'exceeds the maximum size'")
    try:
        return json.loads(text)
    except ValueError as e:
        raise error(code, f"Invalid State Machine Execution {what}: '{e}'") from None


def max_results(params: dict, default: int = 100, hi: int = 1000) -> int:
    n = params.get("maxResults")
    if n in (None, 0):
        return default
    if not isinstance(n, int) or not 0 <= n <= hi:
        raise validation(f"1 validation error detected: Value '{n}' at 'maxResults' failed to satisfy "
                         f"constraint: Member must have value less than or equal to {hi}")
    return n


def paged(params: dict, rows: list, member: str) -> dict:
    """A list operation's answer: one page of ``rows`` under ``member``, and ``nextToken`` if more follow."""
    chunk, token = page(params, rows, max_results(params))
    out = {member: chunk}
    if token:
        out["nextToken"] = token
    return out


def page(params: dict, rows: list, limit: int) -> tuple[list, str | None]:
    """One page of ``rows`` from the request's nextToken, and the token of the next."""
    start = 0
    if params.get("nextToken"):
        try:
            start = int(json.loads(base64.b64decode(params["nextToken"]))["o"])
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise error("InvalidToken", f"Invalid Token: '{params['nextToken']}'") from None
    chunk = rows[start:start + limit]
    more = start + limit < len(rows)
    return chunk, (base64.b64encode(json.dumps({"o": start + limit}).encode()).decode() if more else None)


@functools.lru_cache(maxsize=None)
def required_members(operation: str) -> tuple[str, ...]:
    """The members the model requires of ``operation``'s input."""
    from ...protocol.models import load_service

    try:
        shape = load_service("stepfunctions").operation_model(operation).input_shape
    except Exception:
        return ()
    return tuple(shape.required_members) if shape is not None else ()


def check_required(operation: str, params: dict) -> None:
    for member in required_members(operation):
        if params.get(member) is None:
            raise validation(f"1 validation error detected: Value null at '{member}' failed to satisfy "
                             "constraint: Member must not be null")
