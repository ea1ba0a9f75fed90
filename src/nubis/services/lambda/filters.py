"""Event filtering for event source mappings (FilterCriteria).

Each filter's ``Pattern`` is an EventBridge pattern (compiled once by the
events service's ``pattern`` module) matched against a record as Lambda
delivers it. A record passes when any filter matches (up to 5 filters are
ORed). The record's payload is matched as JSON when it is JSON: an SQS
record's ``body``, a Kinesis record's ``data`` (base64-decoded, the only key
a Kinesis filter sees); a DynamoDB record as delivered; a payload
that is not JSON is matched as the plain string, so a pattern on its fields
simply does not match, as the developer guide describes.
"""
from __future__ import annotations

import base64
import json

from ...protocol.errors import ServiceError
from ..events.pattern import Pattern, compile_pattern
from . import validation as v

MAX_FILTERS = 5
MAX_PATTERN = 4096


def check(criteria: dict | None) -> tuple[dict | None, list[Pattern]]:
    """The FilterCriteria to store (None when there are no filters) and their patterns."""
    filters = (criteria or {}).get("Filters") or []
    if len(filters) > MAX_FILTERS:
        raise v.invalid(f"The maximum number of filters is {MAX_FILTERS}.")
    patterns = []
    for f in filters:
        text = f.get("Pattern")
        if text is None:
            continue
        if len(text) > MAX_PATTERN:
            raise v.validation("filterCriteria.filters.member.pattern", text,
                               f"have length less than or equal to {MAX_PATTERN}")
        patterns.append(_compile(text))
    if not filters:
        return ({"Filters": []} if criteria is not None else None), []
    return {"Filters": [{"Pattern": f["Pattern"]} for f in filters if f.get("Pattern") is not None]}, patterns


def _compile(text: str) -> Pattern:
    try:
        return compile_pattern(text)
    except ServiceError:
        raise v.invalid("Invalid filter pattern definition.") from None


def compiled(criteria: dict | None) -> list[Pattern]:
    return [_compile(f["Pattern"]) for f in (criteria or {}).get("Filters") or [] if f.get("Pattern")]


def _parsed(text):
    try:
        doc = json.loads(text)
    except (ValueError, TypeError):
        return text
    return doc if isinstance(doc, (dict, list)) else text


def sqs_view(record: dict) -> dict:
    """An SQS record as filters see it: ``body`` parsed when it is JSON."""
    return dict(record, body=_parsed(record.get("body")))


def kinesis_view(record: dict) -> dict:
    """A Kinesis record as filters see it: only its ``data`` key (the developer guide:
    Kinesis mappings filter on ``data`` alone), decoded and parsed when it is JSON."""
    try:
        data = _parsed(base64.b64decode((record.get("kinesis") or {}).get("data") or "").decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        data = (record.get("kinesis") or {}).get("data")
    return {"data": data}


def passes(patterns: list[Pattern], view: dict) -> bool:
    return not patterns or any(p.matches(view) for p in patterns)
