"""Log transformers: a log group's pipeline of processors (PutTransformer,
GetTransformer, DeleteTransformer), and TestTransformer, which runs a
pipeline over sample messages.

A log event being transformed is a JSON object; the original message is
read through the key ``@message`` (every parser's default source), and the
transformed message is the object's JSON. Keys are paths: ``a.b`` is key
``b`` of the object at ``a``. When a processor fails on an event, the event
keeps its original message, as an ingested event that fails transformation
does.

TestTransformer runs the parsers parseJSON, csv and parseKeyValue and the
mutate processors addKeys, deleteKeys, moveKeys, renameKeys, copyValue,
listToMap, lowerCaseString, upperCaseString, trimString, splitString,
substituteString and typeConverter; a configuration with another processor
(grok, dateTimeConverter, the vended-log parsers, parseToOCSF) is stored by
PutTransformer but answered with an error by TestTransformer. nubis stores
transformers without applying them at ingestion.
A mixin of ``LogsProvider``.
"""
from __future__ import annotations

import csv
import json
import re

from ...protocol.errors import ServiceError
from . import validation as v

TRANSFORMER = "transformer"
PARSERS = ("parseJSON", "csv", "parseKeyValue", "grok", "parseCloudfront", "parseRoute53", "parseVPC", "parseWAF",
           "parsePostgres", "parseToOCSF")
# "If you use this processor, it must be the first processor in your transformer."
FIRST_ONLY = ("parseCloudfront", "parseRoute53", "parseVPC", "parseWAF", "parsePostgres")
MESSAGE = "@message"
MAX_PARSERS = 5
# Each processor's members: (name, required, kind) with kind "str", "bool", "strs" or "entries".
_ENTRY_MEMBERS = {
    "addKeys": (("key", True), ("value", True), ("overwriteIfExists", False)),
    "copyValue": (("source", True), ("target", True), ("overwriteIfExists", False)),
    "moveKeys": (("source", True), ("target", True), ("overwriteIfExists", False)),
    "renameKeys": (("key", True), ("renameTo", True), ("overwriteIfExists", False)),
    "splitString": (("source", True), ("delimiter", True)),
    "substituteString": (("source", True), ("from", True), ("to", True)),
    "typeConverter": (("key", True), ("type", True)),
}
_ENTRY_LIMITS = {"addKeys": 5, "copyValue": 5, "moveKeys": 5, "renameKeys": 5, "splitString": 10,
                 "substituteString": 10, "typeConverter": 5}
_KEY_LISTS = {"deleteKeys": 5, "lowerCaseString": 10, "upperCaseString": 10, "trimString": 10}
_REQUIRED = {"grok": ("match",), "listToMap": ("source", "key"), "dateTimeConverter": ("source", "target",
                                                                                       "matchPatterns"),
             "parseToOCSF": ("eventSource", "ocsfVersion")}
TYPES = ("boolean", "integer", "double", "string")


class TransformError(Exception):
    """A processor could not transform one event."""


# -- paths ---------------------------------------------------------------------------------------

def _get(event: dict, path: str, message: str):
    if path == MESSAGE:
        return event.get(MESSAGE, message)
    node = event
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _has(event: dict, path: str) -> bool:
    node = event
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def _set(event: dict, path: str, value, overwrite: bool = True) -> None:
    parts = path.split(".")
    node = event
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            if child is not None and not overwrite:
                return
            child = node[part] = {}
        node = child
    if overwrite or parts[-1] not in node:
        node[parts[-1]] = value


def _delete(event: dict, path: str):
    parts = path.split(".")
    node = event
    for part in parts[:-1]:
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict):
        return node.pop(parts[-1], None)
    return None


def _place(event: dict, values: dict, destination: str | None, overwrite: bool = True) -> None:
    if destination:
        _set(event, destination, values)
    else:
        for k, val in values.items():
            if overwrite or k not in event:
                event[k] = val


# -- the processors ---------------------------------------------------------------------------------

def _parse_json(event: dict, cfg: dict, message: str) -> None:
    source = cfg.get("source") or MESSAGE
    raw = _get(event, source, message)
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise TransformError(f"parseJSON: {source} is not JSON") from None
    if not isinstance(raw, dict):
        raise TransformError(f"parseJSON: {source} is not a JSON object")
    _place(event, raw, cfg.get("destination"))


def _csv(event: dict, cfg: dict, message: str) -> None:
    source = cfg.get("source") or MESSAGE
    raw = _get(event, source, message)
    if not isinstance(raw, str):
        raise TransformError(f"csv: {source} is not a string")
    delimiter, quote = cfg.get("delimiter") or ",", cfg.get("quoteCharacter") or '"'
    if delimiter == "\\t":
        delimiter = "\t"
    try:
        [row] = list(csv.reader([raw], delimiter=delimiter, quotechar=quote)) or [[]]
    except (csv.Error, ValueError, TypeError):
        raise TransformError("csv: the value is not one CSV line") from None
    columns = cfg.get("columns") or [f"column_{i + 1}" for i in range(len(row))]
    _place(event, dict(zip(columns, row)), cfg.get("destination"))


def _parse_key_value(event: dict, cfg: dict, message: str) -> None:
    source = cfg.get("source") or MESSAGE
    raw = _get(event, source, message)
    if not isinstance(raw, str):
        raise TransformError(f"parseKeyValue: {source} is not a string")
    field_sep, pair_sep = cfg.get("fieldDelimiter") or "&", cfg.get("keyValueDelimiter") or "="
    prefix, fallback = cfg.get("keyPrefix") or "", cfg.get("nonMatchValue")
    values: dict = {}
    for item in raw.split(field_sep):
        if not item:
            continue
        key, sep, value = item.partition(pair_sep)
        if not sep:
            if fallback is None:
                continue
            value = fallback
        values[prefix + key] = value
    _place(event, values, cfg.get("destination"), overwrite=bool(cfg.get("overwriteIfExists")))


def _add_keys(event: dict, cfg: dict, message: str) -> None:
    for e in cfg["entries"]:
        _set(event, e["key"], e["value"], bool(e.get("overwriteIfExists")))


def _delete_keys(event: dict, cfg: dict, message: str) -> None:
    for key in cfg["withKeys"]:
        _delete(event, key)


def _move(event: dict, source: str, target: str, overwrite: bool) -> None:
    if not _has(event, source) or (_has(event, target) and not overwrite):
        return
    _set(event, target, _delete(event, source))


def _move_keys(event: dict, cfg: dict, message: str) -> None:
    for e in cfg["entries"]:
        _move(event, e["source"], e["target"], bool(e.get("overwriteIfExists")))


def _rename_keys(event: dict, cfg: dict, message: str) -> None:
    for e in cfg["entries"]:
        parent, _, _ = e["key"].rpartition(".")
        _move(event, e["key"], f"{parent}.{e['renameTo']}" if parent else e["renameTo"],
              bool(e.get("overwriteIfExists")))


def _copy_value(event: dict, cfg: dict, message: str) -> None:
    for e in cfg["entries"]:
        if e["source"] == MESSAGE or _has(event, e["source"]):
            _set(event, e["target"], json.loads(json.dumps(_get(event, e["source"], message))),
                 bool(e.get("overwriteIfExists")))


def _strings(fn):
    def run(event: dict, cfg: dict, message: str) -> None:
        for key in cfg["withKeys"]:
            value = _get(event, key, message)
            if isinstance(value, str):
                _set(event, key, fn(value))
    return run


def _split_string(event: dict, cfg: dict, message: str) -> None:
    for e in cfg["entries"]:
        value = _get(event, e["source"], message)
        if isinstance(value, str):
            _set(event, e["source"], value.split(e["delimiter"]))


def _substitute_string(event: dict, cfg: dict, message: str) -> None:
    for e in cfg["entries"]:
        value = _get(event, e["source"], message)
        if isinstance(value, str):
            try:
                _set(event, e["source"], re.sub(e["from"], _replacement(e["to"]), value))
            except re.error:
                raise TransformError(f"substituteString: invalid regular expression {e['from']}") from None


def _replacement(text: str) -> str:
    """A Java replacement string (``$1`` for a group, as the reference's regular expressions are
    Java's) as Python's."""
    return re.sub(r"\$(\d+)", r"\\g<\1>", text.replace("\\", "\\\\"))


def _type_converter(event: dict, cfg: dict, message: str) -> None:
    for e in cfg["entries"]:
        if not _has(event, e["key"]):
            continue
        value = _get(event, e["key"], message)
        try:
            if e["type"] == "string":
                value = value if isinstance(value, str) else json.dumps(value)
            elif e["type"] == "integer":
                value = int(value) if not isinstance(value, str) else int(value.strip())
            elif e["type"] == "double":
                value = float(value)
            elif isinstance(value, str):
                if value.strip().lower() not in ("true", "false"):
                    raise ValueError
                value = value.strip().lower() == "true"
            else:
                value = bool(value)
        except (TypeError, ValueError):
            raise TransformError(f"typeConverter: {e['key']} cannot be converted to {e['type']}") from None
        _set(event, e["key"], value)


def _list_to_map(event: dict, cfg: dict, message: str) -> None:
    items = _get(event, cfg["source"], message)
    if not isinstance(items, list):
        raise TransformError(f"listToMap: {cfg['source']} is not a list")
    flatten, which = bool(cfg.get("flatten")), cfg.get("flattenedElement")
    out: dict = {}
    for item in items:
        if not isinstance(item, dict) or cfg["key"] not in item:
            continue
        value = item.get(cfg["valueKey"]) if cfg.get("valueKey") else item
        name = str(item[cfg["key"]])
        if flatten:
            if which == "last" or name not in out:
                out[name] = value
        else:
            out.setdefault(name, []).append(value)
    _place(event, out, cfg.get("target"))


RUN = {"parseJSON": _parse_json, "csv": _csv, "parseKeyValue": _parse_key_value, "addKeys": _add_keys,
       "deleteKeys": _delete_keys, "moveKeys": _move_keys, "renameKeys": _rename_keys, "copyValue": _copy_value,
       "lowerCaseString": _strings(str.lower), "upperCaseString": _strings(str.upper),
       "trimString": _strings(str.strip), "splitString": _split_string, "substituteString": _substitute_string,
       "typeConverter": _type_converter, "listToMap": _list_to_map}


def transform(processors: list[dict], message: str) -> str:
    """The transformed message (the event's JSON), or the original one when a processor fails."""
    event: dict = {}
    try:
        for p in processors:
            [(name, cfg)] = p.items()
            RUN[name](event, cfg, message)
    except TransformError:
        return message
    event.pop(MESSAGE, None)
    return json.dumps(event, separators=(",", ":"))


def check_processors(processors, member: str = "transformerConfig") -> list[dict]:
    """The shape checks of a transformer configuration (each processor one named, complete object)."""
    if not isinstance(processors, list) or not 1 <= len(processors) <= 20:
        raise v.invalid(f"{member} must be a list of 1 to 20 processors.")
    named = []
    for i, p in enumerate(processors):
        present = [k for k, val in (p.items() if isinstance(p, dict) else ()) if val is not None]
        if len(present) != 1:
            raise v.invalid(f"Processor {i + 1} of {member} must set exactly one processor.")
        name, cfg = present[0], p[present[0]]
        if not isinstance(cfg, dict):
            raise v.invalid(f"Processor {name} must be an object.")
        if name in FIRST_ONLY and i != 0:
            raise v.invalid(f"The {name} processor must be the first processor in a transformer.")
        if name in _ENTRY_MEMBERS:
            entries = cfg.get("entries")
            if not isinstance(entries, list) or not 1 <= len(entries) <= _ENTRY_LIMITS[name]:
                raise v.invalid(f"{name} must have 1 to {_ENTRY_LIMITS[name]} entries.")
            for e in entries:
                for member_name, needed in _ENTRY_MEMBERS[name]:
                    if needed and not (isinstance(e, dict) and isinstance(e.get(member_name), str)
                                       and e[member_name]):
                        raise v.invalid(f"Each entry of {name} must have a {member_name}.")
                if name == "typeConverter" and e["type"] not in TYPES:
                    raise v.invalid(f"typeConverter type must be one of {', '.join(TYPES)}.")
                if name == "substituteString":
                    try:
                        re.compile(e["from"])
                    except re.error:
                        raise v.invalid(f"substituteString: invalid regular expression {e['from']}") from None
        elif name in _KEY_LISTS:
            keys = cfg.get("withKeys")
            if not isinstance(keys, list) or not 1 <= len(keys) <= _KEY_LISTS[name] or \
                    not all(isinstance(k, str) and k for k in keys):
                raise v.invalid(f"{name} must have 1 to {_KEY_LISTS[name]} withKeys.")
        for member_name in _REQUIRED.get(name, ()):
            if cfg.get(member_name) in (None, "", []):
                raise v.invalid(f"The {name} processor requires {member_name}.")
        if name == "listToMap" and cfg.get("flatten") and cfg.get("flattenedElement") not in ("first", "last"):
            raise v.invalid("listToMap requires flattenedElement (first or last) when flatten is true.")
        named.append({name: cfg})
    # The user guide's rules for a transformer ("Create and manage log transformers").
    names = [next(iter(p)) for p in named]
    if names[0] not in PARSERS:
        raise v.invalid("The first processor in a transformer must be a parser.")
    if sum(n in PARSERS for n in names) > MAX_PARSERS:
        raise v.invalid(f"A transformer can include at most {MAX_PARSERS} parser-type processors.")
    if sum(n in FIRST_ONLY for n in names) > 1:
        raise v.invalid("A transformer can include only one parser for a type of AWS vended logs.")
    for once in ("grok", "addKeys", "copyValue"):
        if names.count(once) > 1:
            raise v.invalid(f"A transformer can include only one {once} processor.")
    return named


class Transformers:
    def _check_processors(self, processors, member: str) -> list[dict]:
        return check_processors(processors, member)

    def put_transformer(self, ctx, params: dict) -> dict:
        ident, g = self._identified_group(ctx, params)
        config = check_processors(v.required(params, "transformerConfig"))
        if g.cls != "STANDARD":
            raise ServiceError("InvalidOperationException",
                               "Transformers can be created only for log groups in the Standard log class.")
        now = self._now()
        existing = self.store.config(g.account, g.region, TRANSFORMER, g.arn)
        transformer = {"creationTime": existing["creationTime"] if existing else now, "lastModifiedTime": now,
                       "transformerConfig": config}
        self.store.put_config(g.account, g.region, TRANSFORMER, g.arn, transformer, now, group_id=g.id)
        return {}

    def get_transformer(self, ctx, params: dict) -> dict:
        ident, g = self._identified_group(ctx, params)
        transformer = self.store.config(g.account, g.region, TRANSFORMER, g.arn) or {}
        return {"logGroupIdentifier": ident, **transformer}

    def delete_transformer(self, ctx, params: dict) -> dict:
        _, g = self._identified_group(ctx, params)
        if not self.store.delete_config(g.account, g.region, TRANSFORMER, g.arn):
            raise v.not_found("transformer")
        return {}

    def test_transformer(self, ctx, params: dict) -> dict:
        config = check_processors(v.required(params, "transformerConfig"))
        messages = v.required(params, "logEventMessages")
        if not 1 <= len(messages) <= 50:
            raise v.constraint("[...]", "logEventMessages", "Member must have length less than or equal to 50")
        unsupported = sorted({next(iter(p)) for p in config} - set(RUN))
        if unsupported:
            raise v.invalid(f"nubis's TestTransformer does not run the {', '.join(unsupported)} processor"
                            f"{'s' if len(unsupported) > 1 else ''}.")
        return {"transformedLogs": [{"eventNumber": i + 1, "eventMessage": m,
                                     "transformedEventMessage": transform(config, m)}
                                    for i, m in enumerate(messages)]}
