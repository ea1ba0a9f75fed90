"""DynamoDB items in the text form of Amazon Ion, as exports write them and
imports read them (the developer guide's Ion mapping: strings, decimals,
blobs, bools, nulls, lists, structs, and sets as lists annotated
``$dynamodb_SS``, ``$dynamodb_NS``, ``$dynamodb_BS``).

The subset: the version marker ``$ion_1_0``, annotations, structs (bare,
quoted or string field names), lists, short strings, ints, decimals and
floats (all become N), blobs ``{{base64}}``, ``true``/``false``, ``null`` and
typed nulls, and comments. Not read: S-expressions, long strings, clobs,
timestamps, binary Ion.
"""
from __future__ import annotations

import base64
import json
import re

_BARE = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
_KEYWORDS = {"true", "false", "null", "nan"}


class IonError(ValueError):
    pass


# -- writing ---------------------------------------------------------------------------------

def _field(name: str) -> str:
    return name if _BARE.match(name) and name not in _KEYWORDS else json.dumps(name, ensure_ascii=False)


def _number(text: str) -> str:
    """An N as an Ion decimal (``103.``, ``1.5d3``)."""
    t = text.lower()
    if "e" in t:
        return t.replace("e", "d")
    return t if "." in t else t + "."


def _blob(value: bytes) -> str:
    return "{{" + base64.b64encode(value).decode() + "}}"


def dump_value(value: dict) -> str:
    (kind, v), = value.items()
    if kind == "S":
        return json.dumps(v, ensure_ascii=False)
    if kind == "N":
        return _number(v)
    if kind == "B":
        return _blob(v)
    if kind == "BOOL":
        return "true" if v else "false"
    if kind == "NULL":
        return "null"
    if kind == "L":
        return "[" + ",".join(dump_value(x) for x in v) + "]"
    if kind == "M":
        return "{" + ",".join(f"{_field(k)}:{dump_value(x)}" for k, x in v.items()) + "}"
    if kind == "SS":
        return "$dynamodb_SS::[" + ",".join(json.dumps(x, ensure_ascii=False) for x in v) + "]"
    if kind == "NS":
        return "$dynamodb_NS::[" + ",".join(_number(x) for x in v) + "]"
    if kind == "BS":
        return "$dynamodb_BS::[" + ",".join(_blob(x) for x in v) + "]"
    raise IonError(f"unknown attribute type {kind}")


def dump_item(item: dict, member: str = "Item") -> str:
    return dump_value({"M": {member: {"M": item}}})


# -- reading ---------------------------------------------------------------------------------

_TOKEN = re.compile(r"""
    (?P<ws>\s+|//[^\n]*|/\*.*?\*/)
  | (?P<blob>\{\{[^}]*\}\})
  | (?P<str>"(?:[^"\\]|\\.)*")
  | (?P<sym>'(?:[^'\\]|\\.)*')
  | (?P<num>[-+]?(?:\d[\d_]*)(?:\.[\d_]*)?(?:[eEdD][-+]?\d+)?|[-+]?\.\d+(?:[eEdD][-+]?\d+)?)
  | (?P<id>[A-Za-z_$][A-Za-z0-9_$]*(?:\.[a-z]+)?)
  | (?P<punct>::|[{}\[\],:])
""", re.VERBOSE | re.DOTALL)


def _tokens(text: str) -> list:
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise IonError(f"unexpected character {text[pos]!r} at {pos}")
        pos = m.end()
        if m.lastgroup != "ws":
            out.append((m.lastgroup, m.group()))
    return out


_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|U[0-9a-fA-F]{8}|u[0-9a-fA-F]{4}|.)", re.DOTALL)
_SIMPLE = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "a": "\a", "b": "\b", "f": "\f", "v": "\v",
           "\\": "\\", "/": "/", "?": "?", "'": "'", '"': '"', "\n": ""}


def _unquote(token: str) -> str:
    """The text of a quoted Ion string or symbol, its escapes (``\\xHH``, ``\\uHHHH``,
    ``\\UHHHHHHHH`` and the single-character ones) resolved."""
    def one(m):
        e = m.group(1)
        if e[0] in "xuU" and len(e) > 1:
            return chr(int(e[1:], 16))
        if e in _SIMPLE:
            return _SIMPLE[e]
        raise IonError(f"unknown escape \\{e}")
    return _ESCAPE.sub(one, token[1:-1])


class _Reader:
    def __init__(self, text: str):
        self.toks = _tokens(text)
        self.i = 0

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else ("end", "")

    def take(self, text: str) -> None:
        if self.peek()[1] != text:
            raise IonError(f"expected {text!r}, found {self.peek()[1]!r}")
        self.i += 1

    def values(self) -> list:
        out = []
        while self.peek()[0] != "end":
            if self.peek() == ("id", "$ion_1_0"):
                self.i += 1
                continue
            out.append(self.value())
        return out

    def value(self) -> dict:
        annotations = []
        while self.i + 1 < len(self.toks) and self.toks[self.i + 1] == ("punct", "::"):
            annotations.append(self.toks[self.i][1].strip("'"))
            self.i += 2
        kind, text = self.peek()
        self.i += 1
        if kind == "str":
            return {"S": _unquote(text)}
        if kind == "num":
            n = text.replace("_", "").lower().replace("d", "e")
            if n.endswith("."):
                n = n[:-1]
            return {"N": n}
        if kind == "blob":
            return {"B": base64.b64decode("".join(text[2:-2].split()))}
        if kind == "id":
            if text in ("true", "false"):
                return {"BOOL": text == "true"}
            if text == "null" or text.startswith("null."):
                return {"NULL": True}
            return {"S": text}            # a symbol value: its text
        if kind == "sym":
            return {"S": _unquote(text)}
        if text == "[":
            items = []
            while self.peek()[1] != "]":
                items.append(self.value())
                if self.peek()[1] == ",":
                    self.i += 1
            self.take("]")
            for a in annotations:
                if a in ("$dynamodb_SS", "$dynamodb_NS", "$dynamodb_BS"):
                    t = a[-2]
                    return {t + "S": [x[t] for x in items]}
            return {"L": items}
        if text == "{":
            members = {}
            while self.peek()[1] != "}":
                k_kind, k = self.peek()
                self.i += 1
                name = _unquote(k) if k_kind in ("str", "sym") else k
                self.take(":")
                members[name] = self.value()
                if self.peek()[1] == ",":
                    self.i += 1
            self.take("}")
            return {"M": members}
        raise IonError(f"unexpected {text!r}")


def load_items(text: str, member: str = "Item") -> list:
    """The items of an Ion text of ``{Item: {...}}`` structs."""
    out = []
    for v in _Reader(text).values():
        if "M" not in v or member not in v["M"] or "M" not in v["M"][member]:
            raise IonError(f"a value without an {member} struct")
        out.append(v["M"][member]["M"])
    return out
