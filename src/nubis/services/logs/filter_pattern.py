"""CloudWatch Logs filter patterns (metric filters, subscription filters,
FilterLogEvents), after the user guide's "Filter pattern syntax".

Three forms, told apart by the first character:

- text terms: ``ERROR``, ``"quoted phrase"``, ``-excluded``, ``?either ?or``,
  ``%regex%``. All plain terms must occur (case-sensitive) and no ``-`` term
  may; each ``?`` opens an alternative group of terms, of which one group
  must match. An empty pattern (or ``""``) matches every event.
- JSON: ``{ $.a.b[0] = "x" && ($.n > 5 || $.f IS NULL) }``, with ``=``,
  ``!=``, ``<``, ``<=``, ``>``, ``>=``, ``IS NULL``, ``IS TRUE``, ``IS FALSE``,
  ``NOT EXISTS``, ``*`` wildcards in strings and ``%regex%`` values.
- space-delimited: ``[ip, user, ..., status_code = 4* || status_code = 5*, bytes > 1000]``
  where ``...`` stands for any number of fields; an event's fields are split on
  spaces, with ``"..."`` and ``[...]`` each one field.

``compile(text)`` returns a ``Pattern`` (``matches(message)``,
``extract(message)`` for TestMetricFilter's extracted values) or raises
``PatternError``.
"""
from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable

__all__ = ["PatternError", "Pattern", "compile"]


class PatternError(ValueError):
    """The pattern is not valid filter pattern syntax."""


_MISSING = object()


# -- values ----------------------------------------------------------------------------

def _number(text: str) -> float | None:
    try:
        n = float(text)
    except (TypeError, ValueError):
        return None
    return n if n == n and n not in (float("inf"), float("-inf")) else None


@dataclass(frozen=True)
class _Value:
    """The right-hand side of a comparison: a literal, a glob (``*``) or a regex."""

    text: str
    quoted: bool = False
    regex: re.Pattern | None = None

    @property
    def number(self) -> float | None:
        return None if self.quoted or self.regex is not None else _number(self.text)

    def equals(self, actual: Any) -> bool:
        if self.regex is not None:
            return isinstance(actual, str) and self.regex.search(actual) is not None
        if isinstance(actual, bool) or actual is None:
            return not self.quoted and self.text == json.dumps(actual)
        if isinstance(actual, (int, float)):
            n = self.number
            return n is not None and float(actual) == n
        if not isinstance(actual, str):
            return False
        if "*" in self.text:
            return fnmatch.fnmatchcase(actual, self.text.replace("[", "[[]").replace("?", "[?]"))
        if actual == self.text:
            return True
        n = self.number
        return n is not None and _number(actual) == n


def _compare(op: str, actual: Any, value: _Value) -> bool:
    if actual is _MISSING:
        return False
    if op == "=":
        return value.equals(actual)
    if op == "!=":
        return not value.equals(actual)
    n = value.number
    if n is None:
        return False
    if isinstance(actual, bool) or not isinstance(actual, (int, float, str)):
        return False
    a = float(actual) if not isinstance(actual, str) else _number(actual)
    if a is None:
        return False
    return {"<": a < n, "<=": a <= n, ">": a > n, ">=": a >= n}[op]


# -- lexing ------------------------------------------------------------------------------

_OPS = ("!=", "<=", ">=", "=", "<", ">")
_WORD_END = set(" \t\r\n{}()[],&|=!<>\"")


@dataclass
class _Tok:
    kind: str   # op, punct, string, regex, word, selector, end
    text: str
    pos: int


def _lex(src: str, json_mode: bool) -> list[_Tok]:
    out, i, n = [], 0, len(src)
    while i < n:
        c = src[i]
        if c.isspace():
            i += 1
        elif src.startswith("...", i):
            out.append(_Tok("word", "...", i))
            i += 3
        elif src.startswith("&&", i) or src.startswith("||", i):
            out.append(_Tok("punct", src[i:i + 2], i))
            i += 2
        elif any(src.startswith(op, i) for op in _OPS):
            op = next(op for op in _OPS if src.startswith(op, i))
            out.append(_Tok("op", op, i))
            i += len(op)
        elif c in "{}()[],":
            out.append(_Tok("punct", c, i))
            i += 1
        elif c == '"':
            text, i = _quoted(src, i)
            out.append(_Tok("string", text, i))
        elif c == "%":
            end = src.find("%", i + 1)
            if end < 0:
                raise PatternError("Unterminated regular expression")
            out.append(_Tok("regex", src[i + 1:end], i))
            i = end + 1
        elif c == "$" and json_mode:
            start = i
            i += 1
            while i < n and (src[i].isalnum() or src[i] in "._-*@" or src[i] == "["):
                if src[i] == "[":
                    end = src.find("]", i)
                    if end < 0:
                        raise PatternError("Unbalanced brackets in selector")
                    i = end + 1
                else:
                    i += 1
            out.append(_Tok("selector", src[start:i], start))
        else:
            start = i
            while i < n and src[i] not in _WORD_END:
                i += 1
            if i == start:
                raise PatternError(f"Invalid character '{c}' at position {i}")
            out.append(_Tok("word", src[start:i], start))
    out.append(_Tok("end", "", n))
    return out


def _quoted(src: str, i: int) -> tuple[str, int]:
    """A ``"..."`` string starting at ``i`` (``\\"`` and ``\\\\`` escaped): (text, end)."""
    buf, i = [], i + 1
    while i < len(src):
        c = src[i]
        if c == "\\" and i + 1 < len(src):
            buf.append(src[i + 1])
            i += 2
        elif c == '"':
            return "".join(buf), i + 1
        else:
            buf.append(c)
            i += 1
    raise PatternError("Unterminated quoted string")


def _regex(text: str) -> re.Pattern:
    try:
        return re.compile(text)
    except re.error as e:
        raise PatternError(f"Invalid regular expression: {e}") from None


class _Parser:
    def __init__(self, toks: list[_Tok]):
        self.toks, self.i = toks, 0

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def expect(self, kind: str, text: str | None = None) -> _Tok:
        tok = self.take()
        if tok.kind != kind or (text is not None and tok.text != text):
            want = text or kind
            raise PatternError(f"Expected '{want}' at position {tok.pos}, found '{tok.text or 'end'}'")
        return tok

    def at(self, kind: str, text: str | None = None) -> bool:
        tok = self.peek()
        return tok.kind == kind and (text is None or tok.text == text)

    def value(self) -> _Value:
        tok = self.take()
        if tok.kind == "string":
            return _Value(tok.text, quoted=True)
        if tok.kind == "regex":
            return _Value(tok.text, regex=_regex(tok.text))
        if tok.kind == "word" and tok.text != "...":
            return _Value(tok.text)
        raise PatternError(f"Expected a value at position {tok.pos}")

    def boolean(self, leaf: Callable[[], Callable]) -> Callable:
        """``a && b || c`` with parentheses; && binds tighter, as usual."""
        def disjunction():
            parts = [conjunction()]
            while self.at("punct", "||"):
                self.take()
                parts.append(conjunction())
            return parts[0] if len(parts) == 1 else (lambda doc, ps=tuple(parts): any(p(doc) for p in ps))

        def conjunction():
            parts = [unary()]
            while self.at("punct", "&&"):
                self.take()
                parts.append(unary())
            return parts[0] if len(parts) == 1 else (lambda doc, ps=tuple(parts): all(p(doc) for p in ps))

        def unary():
            if self.at("punct", "("):
                self.take()
                inner = disjunction()
                self.expect("punct", ")")
                return inner
            return leaf()

        return disjunction()


# -- JSON patterns -----------------------------------------------------------------------

_STEP = re.compile(r"\.([^.\[\]]+)|\[(\d+|\*)\]")


def _selector(text: str) -> tuple:
    """``$.a.b[0][*]`` -> ("a", "b", 0, "*")."""
    if not text.startswith("$"):
        raise PatternError(f"Invalid selector '{text}'")
    steps, i = [], 1
    while i < len(text):
        m = _STEP.match(text, i)
        if m is None:
            raise PatternError(f"Invalid selector '{text}'")
        if m.group(1) is not None:
            steps.append(m.group(1))
        else:
            steps.append("*" if m.group(2) == "*" else int(m.group(2)))
        i = m.end()
    if not steps:
        raise PatternError(f"Invalid selector '{text}'")
    return tuple(steps)


def _resolve(doc: Any, steps: tuple) -> list:
    """Every value ``steps`` reaches in ``doc`` (``*`` fans out over arrays and objects)."""
    current = [doc]
    for step in steps:
        nxt = []
        for node in current:
            if step == "*":
                if isinstance(node, list):
                    nxt.extend(node)
                elif isinstance(node, dict):
                    nxt.extend(node.values())
            elif isinstance(step, int):
                if isinstance(node, list) and step < len(node):
                    nxt.append(node[step])
            elif isinstance(node, dict) and step in node:
                nxt.append(node[step])
        current = nxt
    return current


def _json_leaf(p: _Parser, selectors: list) -> Callable:
    sel = p.expect("selector")
    steps = _selector(sel.text)
    selectors.append(sel.text)
    tok = p.peek()
    if tok.kind == "word" and tok.text.upper() in ("IS", "NOT", "EXISTS"):
        p.take()
        word = tok.text.upper()
        if word == "EXISTS":
            return lambda doc: bool(_resolve(doc, steps))
        if word == "NOT":
            nxt = p.take()
            if nxt.kind != "word" or nxt.text.upper() != "EXISTS":
                raise PatternError(f"Expected EXISTS at position {nxt.pos}")
            return lambda doc: not _resolve(doc, steps)
        what = p.take()
        kind = what.text.upper() if what.kind == "word" else ""
        if kind == "NULL":
            return lambda doc: any(v is None for v in _resolve(doc, steps))
        if kind in ("TRUE", "FALSE"):
            want = kind == "TRUE"
            return lambda doc: any(v is want for v in _resolve(doc, steps))
        raise PatternError(f"Expected NULL, TRUE or FALSE at position {what.pos}")
    op = p.expect("op").text
    value = p.value()
    if op in ("<", "<=", ">", ">=") and value.number is None:
        raise PatternError(f"Numeric comparison '{op}' needs a number at position {tok.pos}")
    if op == "!=":
        # Every value found differs (and there is one).
        return lambda doc: (lambda vs: bool(vs) and all(_compare("!=", v, value) for v in vs))(_resolve(doc, steps))
    return lambda doc: any(_compare(op, v, value) for v in _resolve(doc, steps))


def _compile_json(src: str) -> "Pattern":
    p = _Parser(_lex(src, json_mode=True))
    p.expect("punct", "{")
    selectors: list[str] = []
    test = p.boolean(lambda: _json_leaf(p, selectors))
    p.expect("punct", "}")
    p.expect("end")

    def parse(message: str):
        try:
            doc = json.loads(message)
        except ValueError:
            return _MISSING
        return doc if isinstance(doc, (dict, list)) else _MISSING

    def matches(message: str) -> bool:
        doc = parse(message)
        return doc is not _MISSING and bool(test(doc))

    def extract(message: str) -> dict:
        doc = parse(message)
        out = {}
        for text in selectors:
            found = _resolve(doc, _selector(text)) if doc is not _MISSING else []
            if found and not isinstance(found[0], (dict, list)):
                v = found[0]
                out[text] = v if isinstance(v, str) else json.dumps(v)
        return out

    return Pattern(src, matches, extract)


# -- space-delimited patterns ---------------------------------------------------------------

@dataclass
class _Field:
    name: str            # "" for an unnamed slot, "..." for the ellipsis
    test: Callable | None = None


def _delimited_leaf(p: _Parser, name: str) -> Callable:
    tok = p.take()
    if tok.kind != "word" or tok.text != name:
        raise PatternError(f"Expected field '{name}' at position {tok.pos}")
    op = p.expect("op").text
    value = p.value()
    if op in ("<", "<=", ">", ">=") and value.number is None:
        raise PatternError(f"Numeric comparison '{op}' needs a number at position {tok.pos}")
    return lambda text: _compare(op, text, value)


def _compile_delimited(src: str) -> "Pattern":
    p = _Parser(_lex(src, json_mode=False))
    p.expect("punct", "[")
    fields: list[_Field] = []
    if not p.at("punct", "]"):
        while True:
            tok = p.peek()
            if tok.kind != "word" and not (tok.kind == "punct" and tok.text == "("):
                raise PatternError(f"Expected a field name at position {tok.pos}")
            if tok.text == "...":
                p.take()
                fields.append(_Field("..."))
            else:
                name = tok.text if tok.kind == "word" else _first_word(p)
                if tok.kind == "word" and p.toks[p.i + 1].kind != "op":
                    p.take()
                    fields.append(_Field(name))
                else:
                    fields.append(_Field(name, p.boolean(lambda n=name: _delimited_leaf(p, n))))
            if p.at("punct", ","):
                p.take()
                continue
            break
    p.expect("punct", "]")
    p.expect("end")
    slots = tuple(fields)

    def bind(message: str) -> dict | None:
        return _bind(slots, split_fields(message))

    def matches(message: str) -> bool:
        return bind(message) is not None

    def extract(message: str) -> dict:
        bound = bind(message) or {}
        return {f"${k}": v for k, v in bound.items()}

    return Pattern(src, matches, extract)


def _first_word(p: _Parser) -> str:
    for tok in p.toks[p.i:]:
        if tok.kind == "word":
            return tok.text
    raise PatternError("Expected a field name")


def _bind(slots: tuple, values: list) -> dict | None:
    """Match an event's fields to the slots; the named values, or None.

    The slots between ellipses form segments: the first is anchored at the
    start, the last at the end, those between may start anywhere (the earliest
    place that lets the rest match). Recursion goes by segment, never by field,
    so a long message cannot exhaust the stack."""
    segments: list[list[_Field]] = [[]]
    for slot in slots:
        if slot.name == "...":
            segments.append([])
        else:
            segments[-1].append(slot)
    if len(segments) == 1:
        return _match_at(segments[0], values, 0) if len(values) == len(segments[0]) else None
    head = _match_at(segments[0], values, 0)
    tail_start = len(values) - len(segments[-1])
    if head is None or tail_start < len(segments[0]):
        return None
    tail = _match_at(segments[-1], values, tail_start)
    if tail is None:
        return None

    def middle(si: int, vi: int, named: dict) -> dict | None:
        if si == len(segments) - 1:
            return named
        seg = segments[si]
        for start in range(vi, tail_start - len(seg) + 1):
            found = _match_at(seg, values, start)
            if found is not None:
                rest = middle(si + 1, start + len(seg), {**named, **found})
                if rest is not None:
                    return rest
        return None

    return middle(1, len(segments[0]), {**head, **tail})


def _match_at(segment: list, values: list, start: int) -> dict | None:
    if start + len(segment) > len(values):
        return None
    named = {}
    for slot, value in zip(segment, values[start:]):
        if slot.test is not None and not slot.test(value):
            return None
        if slot.name:
            named[slot.name] = value
    return named


def split_fields(message: str) -> list[str]:
    """An event's space-delimited fields; ``"..."`` and ``[...]`` are one field each."""
    out, i, n = [], 0, len(message)
    while i < n:
        c = message[i]
        if c.isspace():
            i += 1
            continue
        close = {'"': '"', "[": "]"}.get(c)
        if close is not None:
            end = message.find(close, i + 1)
            if end >= 0:
                out.append(message[i + 1:end])
                i = end + 1
                continue
        start = i
        while i < n and not message[i].isspace():
            i += 1
        out.append(message[start:i])
    return out


# -- text terms ----------------------------------------------------------------------------

def _compile_terms(src: str) -> "Pattern":
    # A "?" opens an alternative; the terms after it, up to the next "?", belong
    # to it (``?"ERROR" "MainThread" ?"WARN" "Deadlock"`` is two groups, as
    # CDK's anyTermGroup writes it). Without "?", every term is one group.
    groups: list[tuple[list, list]] = [([], [])]   # (must occur, must not occur)
    opened = False
    i, n = 0, len(src)
    while i < n:
        if src[i].isspace():
            i += 1
            continue
        exclude = False
        if src[i] in "?-" and i + 1 < n and not src[i + 1].isspace():
            if src[i] == "?":
                if opened or groups[0] != ([], []):
                    groups.append(([], []))
                opened = True
            else:
                exclude = True
            i += 1
        if src[i] == '"':
            text, i = _quoted(src, i)
            term = _term(text)
        elif src[i] == "%":
            end = src.find("%", i + 1)
            if end < 0:
                raise PatternError("Unterminated regular expression")
            rx = _regex(src[i + 1:end])
            term = lambda m, rx=rx: rx.search(m) is not None
            i = end + 1
        else:
            start = i
            while i < n and not src[i].isspace():
                i += 1
            term = _term(src[start:i])
        if term is not None:
            groups[-1][1 if exclude else 0].append(term)
    alternatives = tuple((tuple(need), tuple(avoid)) for need, avoid in groups)

    def matches(message: str) -> bool:
        return any(all(t(message) for t in need) and not any(t(message) for t in avoid)
                   for need, avoid in alternatives)

    return Pattern(src, matches, lambda message: {})


def _term(text: str) -> Callable | None:
    if not text.strip():
        return None  # "" and " " match everything
    if "*" in text:
        rx = re.compile(".*".join(re.escape(part) for part in text.split("*")), re.S)
        return lambda m: rx.search(m) is not None
    return lambda m: text in m


# -- entry point -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Pattern:
    text: str
    matches: Callable[[str], bool]
    extract: Callable[[str], dict] = field(default=lambda message: {})


_ALL = Pattern("", lambda message: True)


def compile(text: str | None) -> Pattern:
    """The pattern ``text`` (None or blank: everything matches)."""
    src = (text or "").strip()
    if not src:
        return _ALL
    if src[0] == "{":
        return _compile_json(src)
    if src[0] == "[":
        return _compile_delimited(src)
    return _compile_terms(src)
