"""What a target receives: the event, a constant ``Input``, the part of the
event an ``InputPath`` selects, or an ``InputTransformer``'s template filled
from the event (the user guide's "Amazon EventBridge input transformation").

The JSON paths are the subset EventBridge evaluates: dot notation, bracketed
names, array indices and ``*``. In a template, a placeholder inside a JSON
string is inserted raw (a string without its quotes); outside one, as JSON.
"""
from __future__ import annotations

import datetime as _dt
import json
import re

from ...protocol.errors import ServiceError

_MISSING = object()
_STEP = re.compile(r"""\.([^.\[\]]+)|\[(\d+)\]|\[\*\]|\[['"]([^'"]*)['"]\]""")
_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.:\-]+)>")
PREDEFINED = ("aws.events.rule-arn", "aws.events.rule-name", "aws.events.event.ingestion-time",
              "aws.events.event", "aws.events.event.json")
_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def parse_path(path: str) -> list | None:
    """A JSON path as a list of steps (str key, int index, or ``"*"``), or None if invalid."""
    if not isinstance(path, str) or not path.startswith("$"):
        return None
    steps, pos = [], 1
    while pos < len(path):
        m = _STEP.match(path, pos)
        if not m:
            return None
        if m.group(1) is not None:
            steps.append("*" if m.group(1) == "*" else m.group(1))
        elif m.group(2) is not None:
            steps.append(int(m.group(2)))
        elif m.group(3) is not None:
            steps.append(m.group(3))
        else:
            steps.append("*")
        pos = m.end()
    return steps


def select(doc, path: str):
    """The value ``path`` selects in ``doc`` (``_MISSING`` when there is none)."""
    steps = parse_path(path)
    if steps is None:
        return _MISSING
    return _walk(doc, steps)


def _walk(value, steps: list):
    for i, step in enumerate(steps):
        if step == "*":
            items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else None
            if items is None:
                return _MISSING
            out = [_walk(v, steps[i + 1:]) for v in items]
            return [v for v in out if v is not _MISSING]
        if isinstance(step, int):
            if not isinstance(value, list) or step >= len(value):
                return _MISSING
            value = value[step]
        elif isinstance(value, dict) and step in value:
            value = value[step]
        else:
            return _MISSING
    return value


def validate_target_input(target: dict) -> str | None:
    """Why a target's input settings are not valid, or None."""
    given = [k for k in ("Input", "InputPath", "InputTransformer") if target.get(k) is not None]
    if len(given) > 1:
        return "Only one of Input, InputPath, or InputTransformer must be provided."
    if target.get("Input") is not None:
        try:
            json.loads(target["Input"])
        except ValueError:
            return "Input is not a valid JSON text."
    if target.get("InputPath") is not None and parse_path(target["InputPath"]) is None:
        return "InputPath is not a valid JSON path."
    transformer = target.get("InputTransformer")
    if transformer is not None:
        paths = transformer.get("InputPathsMap") or {}
        if len(paths) > 100:
            return "InputPathsMap has more than 100 entries."
        for name, path in paths.items():
            if name in PREDEFINED or name.startswith("aws."):
                return f"Input template variable name {name} is reserved."
            if parse_path(path) is None:
                return f"Target InputPathsMap contains invalid JSONPath {path}."
    return None


def render(target: dict, event: dict, rule_arn: str, ingestion_time: float) -> str:
    """The text the target receives for ``event``."""
    if target.get("Input") is not None:
        return target["Input"]
    if target.get("InputPath") is not None:
        value = select(event, target["InputPath"])
        return "null" if value is _MISSING else _dumps(value)
    transformer = target.get("InputTransformer")
    if transformer is None:
        return _dumps(event)
    values = {name: select(event, path) for name, path in (transformer.get("InputPathsMap") or {}).items()}
    values["aws.events.rule-arn"] = rule_arn
    values["aws.events.rule-name"] = rule_arn.rsplit("/", 1)[-1]
    values["aws.events.event.ingestion-time"] = iso(ingestion_time)
    values["aws.events.event"] = _Raw(_dumps({k: v for k, v in event.items() if k != "detail"}))
    values["aws.events.event.json"] = _Raw(_dumps(event))
    return fill(transformer.get("InputTemplate") or "", values)


class _Raw(str):
    """JSON text inserted as it is, in or out of quotes."""


def fill(template: str, values: dict) -> str:
    out, pos, in_string = [], 0, False
    i, n = 0, len(template)
    while i < n:
        ch = template[i]
        if in_string and ch == "\\":
            i += 2
            continue
        if ch == '"':
            in_string = not in_string
        elif ch == "<":
            m = _PLACEHOLDER.match(template, i)
            if m and m.group(1) in values:
                out.append(template[pos:i])
                out.append(_insert(values[m.group(1)], in_string))
                pos = i = m.end()
                continue
        i += 1
    out.append(template[pos:])
    return "".join(out)


def _insert(value, quoted: bool) -> str:
    if isinstance(value, _Raw):
        return str(value)
    if value is _MISSING:
        return "" if quoted else "null"
    if quoted:
        text = value if isinstance(value, str) else _dumps(value)
        return _dumps(text)[1:-1]  # escaped for its place inside a JSON string
    return _dumps(value)


def iso(t: float) -> str:
    return _dt.datetime.fromtimestamp(t, tz=_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def invalid_input(message: str) -> ServiceError:
    return ServiceError("ValidationException", message, 400)
