"""Subscription filter policies: validation (as Subscribe and
SetSubscriptionAttributes do it) and matching, on message attributes or, with
``FilterPolicyScope=MessageBody``, on the JSON body.

A policy is a JSON object. Each key names an attribute (or a body field; body
policies nest), its value is a list of patterns of which one must match, and
all keys must match. ``$or`` takes a list of policies of which one must match.
Patterns: a string, number, boolean or null (exact), or an object with one of
``prefix``, ``suffix``, ``equals-ignore-case``, ``anything-but``, ``numeric``,
``exists``, ``cidr``.
"""
from __future__ import annotations

import ipaddress
import json
import math
from typing import Any

from ...protocol.errors import ServiceError

MAX_KEYS = 5
MAX_COMBINATIONS = 150
MAX_NUMBER = 1e9
_OPERATORS = {"prefix", "suffix", "equals-ignore-case", "anything-but", "numeric", "exists", "cidr"}
_LOWER = {">", ">="}
_UPPER = {"<", "<="}
_MISSING = object()


def _invalid(reason: str) -> ServiceError:
    return ServiceError("InvalidParameter", f"Invalid parameter: FilterPolicy: {reason}", status=400)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


# -- validation -------------------------------------------------------------------------

def parse(text: str, scope: str = "MessageAttributes") -> dict:
    """The policy as a dict, or InvalidParameter with the reason AWS gives."""
    if len(text.encode("utf-8")) > 256 * 1024:
        raise _invalid("Filter policy is too large")
    try:
        policy = json.loads(text)
    except ValueError as e:
        raise _invalid(f"failed to parse JSON. {e}") from None
    if not isinstance(policy, dict):
        raise _invalid("Filter policy must be a JSON object")
    leaves = _validate_object(policy, scope, depth=0)
    if leaves > MAX_KEYS and scope == "MessageAttributes":
        raise _invalid(f"Filter policy can not have more than {MAX_KEYS} keys")
    if _combinations(policy) > MAX_COMBINATIONS:
        raise _invalid("Filter policy is too complex")
    return policy


def _validate_object(node: dict, scope: str, depth: int) -> int:
    """Validate one policy object; return its number of leaf keys."""
    if not node:
        raise _invalid("Filter policy can not be empty")
    leaves = 0
    for key, value in node.items():
        if key == "$or":
            if not isinstance(value, list) or len(value) < 2 or not all(isinstance(b, dict) for b in value):
                raise _invalid("$or must be an array of at least two filter policy objects")
            leaves = max(leaves, max(_validate_object(b, scope, depth) for b in value))
            continue
        if isinstance(value, dict):
            if scope == "MessageAttributes":
                raise ServiceError("InvalidParameter", "Invalid parameter: Filter policy scope MessageAttributes "
                                   "does not support nested filter policy", status=400)
            leaves += _validate_object(value, scope, depth + 1)
            continue
        if not isinstance(value, list):
            raise _invalid(f'"{key}" must be an object or an array')
        if not value:
            raise _invalid("Empty arrays are not allowed")
        for pattern in value:
            _validate_pattern(key, pattern)
        leaves += 1
    return leaves


def _validate_pattern(key: str, pattern: Any) -> None:
    if pattern is None or isinstance(pattern, (str, bool)):
        return
    if _is_number(pattern):
        _check_number(pattern)
        return
    if isinstance(pattern, list):
        raise _invalid(f'Match value for "{key}" must be a string, number, true, false, null or an object')
    if len(pattern) != 1:
        raise _invalid("Match object must have exactly one operator")
    (op, arg), = pattern.items()
    if op not in _OPERATORS:
        raise _invalid(f"Unrecognized match type {op}")
    if op in ("prefix", "suffix", "equals-ignore-case"):
        if not isinstance(arg, str):
            raise _invalid(f"{op} match pattern must be a string")
    elif op == "exists":
        if not isinstance(arg, bool):
            raise _invalid("exists match pattern must be either true or false.")
    elif op == "cidr":
        if not isinstance(arg, str):
            raise _invalid("cidr match pattern must be a string")
        try:
            ipaddress.ip_network(arg, strict=False)
        except ValueError:
            raise _invalid(f"Malformed CIDR: {arg}") from None
    elif op == "anything-but":
        _validate_anything_but(arg)
    else:
        _numeric_range(arg)


def _validate_anything_but(arg: Any) -> None:
    if isinstance(arg, str):
        return
    if _is_number(arg):
        _check_number(arg)
        return
    if isinstance(arg, list):
        if not arg or not all(isinstance(v, str) or _is_number(v) for v in arg):
            raise _invalid("Inside anything but list, start|null|boolean is not supported.")
        if len({isinstance(v, str) for v in arg}) > 1:
            raise _invalid("Inside anything but list, mixed types are not supported.")
        return
    if isinstance(arg, dict) and len(arg) == 1:
        (op, value), = arg.items()
        if op in ("prefix", "suffix", "equals-ignore-case") and isinstance(value, str):
            return
        raise _invalid(f"Unsupported anything-but pattern: {op}")
    raise _invalid("Value of anything-but must be an array or single string/number value.")


def _check_number(v: float) -> None:
    if not math.isfinite(v) or abs(v) > MAX_NUMBER:
        raise _invalid(f"Numeric value {v} is out of range [-1.0E9, 1.0E9]")


def _numeric_range(arg: Any) -> tuple:
    """``[op, n(, op, n)]`` -> (low, low_inclusive, high, high_inclusive, equal)."""
    if not isinstance(arg, list) or not arg:
        raise _invalid("Value of numeric must be an array.")
    if len(arg) % 2 or len(arg) > 4:
        raise _invalid("Too many elements in numeric expression" if len(arg) > 4
                       else "Value of numeric must be an array of operator and value pairs.")
    low = high = equal = None
    low_inc = high_inc = False
    for i in range(0, len(arg), 2):
        op, value = arg[i], arg[i + 1]
        if not isinstance(op, str) or op not in _LOWER | _UPPER | {"="}:
            raise _invalid(f"Unrecognized numeric range operator: {op}")
        if not _is_number(value):
            raise _invalid(f"Value of {op} must be numeric")
        _check_number(value)
        if op == "=":
            if len(arg) != 2:
                raise _invalid("Bad numeric range operator: =")
            equal = value
        elif op in _LOWER:
            if low is not None:
                raise _invalid(f"Bad numeric range operator: {op}")
            low, low_inc = value, op == ">="
        else:
            if high is not None:
                raise _invalid(f"Bad numeric range operator: {op}")
            high, high_inc = value, op == "<="
    if low is not None and high is not None and low >= high:
        raise _invalid("Bottom must be less than top")
    return low, low_inc, high, high_inc, equal


def _combinations(node: dict) -> int:
    total = 1
    ors = 0
    for key, value in node.items():
        if key == "$or":
            ors = sum(_combinations(b) for b in value)
        elif isinstance(value, dict):
            total *= _combinations(value)
        else:
            total *= len(value)
    return total * ors if ors else total


# -- matching -----------------------------------------------------------------------------

def attributes_document(attributes: dict | None) -> dict:
    """Message attributes as the values a policy compares: a String as text, a
    Number as a number, a String.Array as its elements; Binary never matches."""
    doc: dict = {}
    for name, attr in (attributes or {}).items():
        kind = attr.get("DataType", "").split(".", 1)
        base = kind[0]
        if base == "Binary":
            doc[name] = _Opaque
            continue
        text = attr.get("StringValue", "")
        if base == "Number":
            try:
                doc[name] = float(text)
            except ValueError:
                doc[name] = text
        elif base == "String" and len(kind) > 1 and kind[1] == "Array":
            try:
                value = json.loads(text)
                doc[name] = value if isinstance(value, list) else text
            except ValueError:
                doc[name] = text
        else:
            doc[name] = text
    return doc


class _Opaque:
    """A present value no pattern but ``exists`` matches (Binary attributes)."""


def matches(policy: dict, document: Any) -> bool:
    """Whether ``document`` (attributes_document(...) or a parsed JSON body) passes."""
    if not isinstance(document, dict):
        return False
    return _match_object(policy, document)


def _match_object(policy: dict, doc: dict) -> bool:
    for key, value in policy.items():
        if key == "$or":
            if not any(_match_object(branch, doc) for branch in value):
                return False
            continue
        found = _lookup(doc, key)
        if isinstance(value, dict):
            children = [c for c in _flatten(found) if isinstance(c, dict)]
            if children:
                if not any(_match_object(value, c) for c in children):
                    return False
            elif not _match_object(value, {}):
                return False
            continue
        candidates = _flatten(found)
        if not any(_match_pattern(p, found is not _MISSING, candidates) for p in value):
            return False
    return True


def _lookup(doc: dict, key: str):
    return doc.get(key, _MISSING)


def _flatten(value) -> list:
    if value is _MISSING:
        return []
    if isinstance(value, list):
        out = []
        for v in value:
            out.extend(_flatten(v))
        return out
    return [value]


def _match_pattern(pattern, present: bool, values: list) -> bool:
    if isinstance(pattern, dict):
        (op, arg), = pattern.items()
        if op == "exists":
            return present is arg
        if not present:
            return False
        return any(_match_operator(op, arg, v) for v in values)
    if not present:
        return False
    return any(_equal(pattern, v) for v in values)


def _equal(pattern, value) -> bool:
    if pattern is None:
        return value is None
    if isinstance(pattern, bool):
        return isinstance(value, bool) and value is pattern
    if isinstance(pattern, str):
        return isinstance(value, str) and value == pattern
    return _is_number(value) and float(value) == float(pattern)


def _match_operator(op: str, arg, value) -> bool:
    if op == "prefix":
        return isinstance(value, str) and value.startswith(arg)
    if op == "suffix":
        return isinstance(value, str) and value.endswith(arg)
    if op == "equals-ignore-case":
        return isinstance(value, str) and value.casefold() == arg.casefold()
    if op == "numeric":
        if not _is_number(value):
            return False
        low, low_inc, high, high_inc, equal = _numeric_range(arg)
        v = float(value)
        if equal is not None:
            return v == float(equal)
        if low is not None and (v < low or (v == low and not low_inc)):
            return False
        if high is not None and (v > high or (v == high and not high_inc)):
            return False
        return True
    if op == "cidr":
        if not isinstance(value, str):
            return False
        try:
            return ipaddress.ip_address(value) in ipaddress.ip_network(arg, strict=False)
        except ValueError:
            return False
    # anything-but: a present value that is none of those listed.
    if value is _Opaque:
        return False
    if isinstance(arg, dict):
        (inner, text), = arg.items()
        return isinstance(value, str) and not _match_operator(inner, text, value)
    excluded = arg if isinstance(arg, list) else [arg]
    return not any(_equal(e, value) for e in excluded)
