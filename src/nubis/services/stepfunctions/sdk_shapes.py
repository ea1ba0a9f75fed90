"""Parameter and result names of the service integrations.

The developer guide: "Parameters in Step Functions are expressed in
PascalCase, even if the native service API is in camelCase", and so are the
results. The operation's botocore shapes say which member each name is.
"""
from __future__ import annotations

import functools

from ...protocol.models import load_service


@functools.lru_cache(maxsize=512)
def _operation(service: str, operation: str):
    try:
        return load_service(service).operation_model(operation)
    except Exception:
        return None


def _members(shape) -> dict:
    return {name.lower(): (name, member) for name, member in shape.members.items()}


def to_api(service: str, operation: str, params):
    """PascalCase parameters as the operation's members."""
    op = _operation(service, operation)
    if op is None or op.input_shape is None:
        return params
    return _rename_in(params, op.input_shape)


def _rename_in(value, shape):
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        members = _members(shape)
        out = {}
        for key, item in value.items():
            name, member = members.get(key.lower(), (key, None))
            out[name] = _rename_in(item, member) if member is not None else item
        return out
    if kind == "list" and isinstance(value, list):
        return [_rename_in(v, shape.member) for v in value]
    if kind == "map" and isinstance(value, dict):
        return {k: _rename_in(v, shape.value) for k, v in value.items()}
    return value


def to_states(service: str, operation: str, result):
    """An operation's result with PascalCase member names."""
    op = _operation(service, operation)
    if op is None or op.output_shape is None:
        return result
    return _rename_out(result, op.output_shape)


def _rename_out(value, shape):
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        out = {}
        for key, item in value.items():
            member = shape.members.get(key)
            name = key[:1].upper() + key[1:]
            out[name] = _rename_out(item, member) if member is not None else item
        return out
    if kind == "list" and isinstance(value, list):
        return [_rename_out(v, shape.member) for v in value]
    if kind == "map" and isinstance(value, dict):
        return {k: _rename_out(v, shape.value) for k, v in value.items()}
    return value
