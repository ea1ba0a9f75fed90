"""The input constraints of EventBridge's model (and its Schemas service's) (required members, lengths,
patterns, enums, ranges), checked before an operation runs, with the
service's "N validation error(s) detected" ValidationException.

A checker is built once per operation from botocore's shape and reused.
"""
from __future__ import annotations

import functools
import re

from ...protocol.errors import ServiceError

_MAX_REPORTED = 10


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def _compile(pattern: str | None):
    if not pattern:
        return None
    try:
        return re.compile(pattern, re.DOTALL)
    except re.error:
        return None  # a Java-only construct: left to the operation


def _checker(shape, depth: int = 0):
    """A function ``(value, path, errors)`` checking ``shape``'s constraints, or None when it has none."""
    if depth > 20:
        return None
    t = shape.type_name
    meta = shape.metadata
    if t == "structure":
        required = tuple(shape.required_members)
        members = tuple((name, _checker(m, depth + 1)) for name, m in shape.members.items())
        members = tuple((name, c) for name, c in members if c is not None)
        if not required and not members:
            return None

        def structure(value, path, errors):
            if value.__class__ is not dict:
                return
            for name in required:
                if value.get(name) is None:
                    errors.append(f"Value null at '{_join(path, name)}' failed to satisfy constraint: "
                                  "Member must not be null")
            for name, c in members:
                v = value.get(name)
                if v is not None:
                    c(v, _join(path, name), errors)
        return structure
    if t == "list":
        item = _checker(shape.member, depth + 1)
        lo, hi = meta.get("min"), meta.get("max")

        def listing(value, path, errors):
            if value.__class__ is not list:
                return
            _length(lo, hi, "[...]", len(value), path, errors)
            if item is not None:
                for v in value:
                    if v is not None:
                        item(v, path, errors)
        return listing
    if t == "map":
        lo, hi = meta.get("min"), meta.get("max")
        if lo is None and hi is None:
            return None
        return lambda value, path, errors: _length(lo, hi, "[...]", len(value), path, errors)
    if t == "string":
        lo, hi = meta.get("min"), meta.get("max")
        enum = frozenset(shape.enum or ())
        pattern = _compile(meta.get("pattern"))
        if lo is None and hi is None and not enum and pattern is None:
            return None

        def string(value, path, errors):
            if value.__class__ is not str:
                return
            _length(lo, hi, value, len(value), path, errors)
            if enum and value not in enum:
                errors.append(f"Value '{value}' at '{path}' failed to satisfy constraint: Member must satisfy enum "
                              f"value set: [{', '.join(shape.enum)}]")
            if pattern is not None and not pattern.fullmatch(value):
                errors.append(f"Value '{value}' at '{path}' failed to satisfy constraint: Member must satisfy "
                              f"regular expression pattern: {meta['pattern']}")
        return string
    if t in ("integer", "long"):
        lo, hi = meta.get("min"), meta.get("max")
        if lo is None and hi is None:
            return None

        def number(value, path, errors):
            if lo is not None and value < lo:
                errors.append(f"Value '{value}' at '{path}' failed to satisfy constraint: Member must have value "
                              f"greater than or equal to {lo}")
            if hi is not None and value > hi:
                errors.append(f"Value '{value}' at '{path}' failed to satisfy constraint: Member must have value "
                              f"less than or equal to {hi}")
        return number
    return None


def _length(lo, hi, shown, n: int, path: str, errors: list) -> None:
    if lo is not None and n < lo:
        errors.append(f"Value '{shown}' at '{path}' failed to satisfy constraint: Member must have length greater "
                      f"than or equal to {lo}")
    if hi is not None and n > hi:
        errors.append(f"Value '{shown}' at '{path}' failed to satisfy constraint: Member must have length less "
                      f"than or equal to {hi}")


def _join(path: str, name: str) -> str:
    return f"{path}.{_lower_first(name)}" if path else _lower_first(name)


@functools.lru_cache(maxsize=None)
def _for(service: str, operation: str):
    from ...protocol import models

    try:
        shape = models.load_service(service).operation_model(operation).input_shape
    except Exception:
        return None
    return _checker(shape) if shape is not None else None


def check(operation: str, params: dict, service: str = "events", code: str = "ValidationException") -> None:
    """Raise ``code`` (ValidationException) when ``params`` break the model's constraints for
    ``operation`` (of EventBridge, or of its Schemas service)."""
    checker = _for(service, operation)
    if checker is None:
        return
    errors: list[str] = []
    checker(params, "", errors)
    if errors:
        n = len(errors)
        head = f"{n} validation error{'s' if n > 1 else ''} detected: "
        raise ServiceError(code, head + "; ".join(errors[:_MAX_REPORTED]), 400)
