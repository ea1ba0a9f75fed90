"""A subset of the CloudWatch Logs Insights query language (StartQuery).

Commands, joined by ``|``: ``fields`` / ``display`` (field names, ``as``
aliases), ``filter`` (``and``, ``or``, ``not``, parentheses, ``=``, ``!=``,
``<``, ``<=``, ``>``, ``>=``, ``like "text"`` / ``like /regex/`` and
``not like``, ``=~ /regex/``, ``in [..]`` and ``not in``, ``ispresent(f)``),
``sort f [asc|desc], ...``, ``limit n``, and ``stats count(*) | count(f) |
count_distinct(f) | sum(f) | avg(f) | min(f) | max(f) | earliest(f) |
latest(f) [as name], ... [by f | bin(5m), ...]``.
``parse f "glob * *" as a, b`` and ``parse f /(?<a>...)/`` add fields,
``dedup f, ...`` keeps the first event of each combination, ``#`` starts a
comment. Without a ``sort``, events come newest first, as in Insights.
Anything else (functions, arithmetic) is a MalformedQueryException.

An event's fields are the system fields (``@timestamp``, ``@message``,
``@logStream``, ``@log``, ``@ingestionTime``) and, for a JSON message, its
members flattened with dots (``a.b``, ``list.0``), as Insights discovers them.
``compile(text)`` returns a ``Query`` or raises ``QueryError``.
"""
from __future__ import annotations

import datetime as _dt
import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

__all__ = ["QueryError", "Query", "compile", "event_fields", "format_time", "text"]


class QueryError(ValueError):
    """The query does not parse."""


_MISSING = object()
_TOKEN = re.compile(r"""
    (?P<ws>\s+|\#[^\n]*)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<regex>/(?:[^/\\]|\\.)*/)
  | (?P<number>-?\d+(?:\.\d+)?(?![\w.]))
  | (?P<duration>\d+(?:ms|s|m|h|d|w)\b)
  | (?P<name>`[^`]+`|[@A-Za-z_][\w.@$-]*(?:\*)?)
  | (?P<op>=~|!=|<=|>=|=|<|>|\||,|\(|\)|\[|\]|\*)
""", re.X)
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


@dataclass
class _Tok:
    kind: str
    text: str
    pos: int


def _lex(src: str) -> list[_Tok]:
    out, i = [], 0
    while i < len(src):
        m = _TOKEN.match(src, i)
        if m is None:
            raise QueryError(f"unexpected symbol found {src[i]!r} at line 1 and position {i + 1}")
        kind = m.lastgroup
        if kind != "ws":
            out.append(_Tok(kind, m.group(), i))
        i = m.end()
    out.append(_Tok("end", "", len(src)))
    return out


def format_time(ms: int) -> str:
    """Insights' timestamp text: ``2026-11-29 11:23:19.000``."""
    t = _dt.datetime.fromtimestamp(ms / 1000, tz=_dt.timezone.utc)
    return t.strftime("%Y-%m-%d %H:%M:%S.") + f"{ms % 1000:03d}"


def event_fields(ts: int, message: str, ingestion: int, stream: str, log: str) -> dict:
    out: dict[str, Any] = {"@timestamp": ts, "@message": message, "@logStream": stream, "@log": log,
                           "@ingestionTime": ingestion}
    if message[:1] == "{":
        try:
            doc = json.loads(message)
        except ValueError:
            doc = None
        if isinstance(doc, dict):
            _flatten(doc, "", out)
    return out


def _flatten(value: Any, prefix: str, out: dict) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(v, f"{prefix}{k}.", out)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _flatten(v, f"{prefix}{i}.", out)
    else:
        out.setdefault(prefix[:-1], value)


def text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])


# -- the parser ------------------------------------------------------------------------------

class _Parser:
    def __init__(self, src: str):
        self.toks, self.i = _lex(src), 0

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def word(self, *words: str) -> bool:
        tok = self.peek()
        return tok.kind == "name" and tok.text.lower() in words

    def op(self, *ops: str) -> bool:
        tok = self.peek()
        return tok.kind == "op" and tok.text in ops

    def expect_op(self, op: str) -> None:
        if not self.op(op):
            self.fail(f"expected '{op}'")
        self.take()

    def fail(self, what: str):
        tok = self.peek()
        found = tok.text or "end of query"
        raise QueryError(f"{what}: unexpected symbol found {found} at line 1 and position {tok.pos + 1}")

    def field_name(self) -> str:
        tok = self.take()
        if tok.kind != "name":
            self.i -= 1
            self.fail("expected a field name")
        return tok.text.strip("`")

    # -- filter expressions ----------------------------------------------------------------

    def expr(self) -> Callable[[dict], bool]:
        parts = [self.conj()]
        while self.word("or"):
            self.take()
            parts.append(self.conj())
        return parts[0] if len(parts) == 1 else (lambda r, ps=tuple(parts): any(p(r) for p in ps))

    def conj(self) -> Callable[[dict], bool]:
        parts = [self.unary()]
        while self.word("and"):
            self.take()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else (lambda r, ps=tuple(parts): all(p(r) for p in ps))

    def unary(self) -> Callable[[dict], bool]:
        if self.word("not"):
            self.take()
            inner = self.unary()
            return lambda r: not inner(r)
        if self.op("("):
            self.take()
            inner = self.expr()
            self.expect_op(")")
            return inner
        if self.word("ispresent") and self.toks[self.i + 1].text == "(":
            self.take()
            self.take()
            name = self.field_name()
            self.expect_op(")")
            return lambda r: r.get(name, _MISSING) is not _MISSING
        return self.comparison()

    def like(self, left: str) -> Callable[[dict], bool]:
        """``like "text"`` (a substring), ``like /regex/`` or ``=~ /regex/``."""
        self.take()
        kind, value = self.literal()
        if kind == "regex":
            return lambda r: (lambda v: v is not _MISSING and value.search(text(v)) is not None)(
                r.get(left, _MISSING))
        if kind != "value":
            self.fail("expected a string or /regex/")
        needle = text(value)
        return lambda r: (lambda v: v is not _MISSING and needle in text(v))(r.get(left, _MISSING))

    def literal(self) -> tuple[str, Any]:
        tok = self.take()
        if tok.kind == "string":
            return "value", _unquote(tok.text)
        if tok.kind == "number":
            return "value", float(tok.text)
        if tok.kind == "regex":
            return "regex", re.compile(tok.text[1:-1])
        if tok.kind == "name":
            return "field", tok.text.strip("`")
        self.i -= 1
        self.fail("expected a value")

    def comparison(self) -> Callable[[dict], bool]:
        left = self.field_name()
        if self.word("not") and self.toks[self.i + 1].text.lower() == "like":
            self.take()
            inner = self.like(left)
            return lambda r: r.get(left, _MISSING) is not _MISSING and not inner(r)
        if self.word("like") or self.op("=~"):
            return self.like(left)
        negate = False
        if self.word("not") and self.toks[self.i + 1].text.lower() == "in":
            self.take()
            negate = True
        if self.word("in"):
            self.take()
            self.expect_op("[")
            values = []
            while not self.op("]"):
                kind, value = self.literal()
                if kind != "value":
                    self.fail("expected a literal")
                values.append(value)
                if self.op(","):
                    self.take()
            self.take()
            texts = {text(v) for v in values}
            return lambda r: (lambda v: v is not _MISSING and (text(v) in texts) != negate)(r.get(left, _MISSING))
        if not self.op("=", "!=", "<", "<=", ">", ">="):
            self.fail("expected a comparison")
        op = self.take().text
        kind, value = self.literal()
        if kind == "regex":
            self.fail("a regular expression needs like or =~")

        def test(r: dict) -> bool:
            a = r.get(left, _MISSING)
            b = r.get(value, _MISSING) if kind == "field" else value
            if a is _MISSING or b is _MISSING:
                return False
            na, nb = _num(a), _num(b)
            if na is not None and nb is not None:
                x, y = na, nb
            else:
                x, y = text(a), text(b)
            return {"=": x == y, "!=": x != y, "<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op]
        return test


# -- commands ------------------------------------------------------------------------------------

_AGGREGATES = ("count", "count_distinct", "sum", "avg", "min", "max", "earliest", "latest")


@dataclass
class _Agg:
    func: str         # count, sum, avg, min, max
    arg: str | None   # None for count(*)
    name: str


@dataclass
class _Stats:
    aggs: list[_Agg]
    by: list[tuple[str, str, float | None]]  # (column name, field, bin seconds or None)


@dataclass
class Query:
    text: str
    steps: list = field(default_factory=list)

    def run(self, records: Iterable[dict], limit: int) -> tuple[list[list[dict]], int]:
        """Rows as GetQueryResults gives them, and how many records matched.
        ``records`` come oldest first; Insights' own order is newest first."""
        rows: Iterable[dict] = list(records)[::-1]
        display: list[tuple[str, str]] | None = None
        stats = False
        matched = 0
        explicit_limit = None
        for kind, step in self.steps:
            if kind == "filter":
                rows = [r for r in rows if step(r)]
            elif kind == "parse":
                rows = [step(r) for r in rows]
            elif kind == "dedup":
                rows = _dedup(rows, step)
            elif kind == "fields":
                rows = [_with_aliases(r, step) for r in rows]
                display = (display or []) + [(alias, alias) for _, alias in step]
            elif kind == "stats":
                rows = list(rows)
                matched = len(rows)
                rows = _aggregate(rows, step)
                display = [(c, c) for c, _, _ in step.by] + [(a.name, a.name) for a in step.aggs]
                stats = True
            elif kind == "sort":
                rows = list(rows)
                for name, descending in reversed(step):
                    present = [r for r in rows if r.get(name, _MISSING) is not _MISSING]
                    absent = [r for r in rows if r.get(name, _MISSING) is _MISSING]
                    present.sort(key=lambda r: _sort_key(r[name]), reverse=descending)
                    rows = present + absent
            elif kind == "limit":
                explicit_limit = step
                rows = list(rows)[:step]
        rows = list(rows)
        if not stats:
            matched = len(rows)
        rows = rows[:min(limit, explicit_limit or limit)]
        if display is None:
            display = [("@timestamp", "@timestamp"), ("@message", "@message")]
        seen: set[str] = set()
        columns = [c for c, _ in display if not (c in seen or seen.add(c))]
        out = []
        for r in rows:
            row = [{"field": c, "value": _show(c, r[c])} for c in columns if r.get(c, _MISSING) is not _MISSING]
            if not stats and "@ptr" in r:
                row.append({"field": "@ptr", "value": r["@ptr"]})
            out.append(row)
        return out, matched


def _dedup(rows: Iterable[dict], names: list[str]) -> list[dict]:
    """The first row of each combination of values; a row missing one of them is kept."""
    seen, out = set(), []
    for r in rows:
        if any(r.get(n, _MISSING) in (_MISSING, None) for n in names):
            out.append(r)
            continue
        key = tuple(text(r[n]) for n in names)
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


def _with_aliases(r: dict, step: list[tuple[str, str]]) -> dict:
    extra = {alias: r[name] for name, alias in step if alias != name and name in r}
    return {**r, **extra} if extra else r


def _show(column: str, value: Any) -> str:
    if column in ("@timestamp", "@ingestionTime") and isinstance(value, int):
        return format_time(value)
    return text(value)


def _sort_key(value: Any) -> tuple:
    n = _num(value)
    return (0, n, "") if n is not None else (1, 0.0, text(value))


def _aggregate(rows: list[dict], stats: _Stats) -> list[dict]:
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        key = []
        for column, name, seconds in stats.by:
            v = r.get(name, _MISSING)
            if v is not _MISSING and seconds is not None:
                step = int(seconds * 1000)
                v = int(v) // step * step
            key.append(v)
        groups.setdefault(tuple(key), []).append(r)
    out = []
    for key, members in groups.items():
        row = {}
        for (column, name, seconds), v in zip(stats.by, key):
            if v is not _MISSING:
                row[column] = format_time(v) if seconds is not None else v
        for agg in stats.aggs:
            if agg.func == "count":
                row[agg.name] = len(members) if agg.arg is None else sum(
                    1 for m in members if m.get(agg.arg, _MISSING) is not _MISSING)
                continue
            if agg.func == "count_distinct":
                row[agg.name] = len({text(m[agg.arg]) for m in members if agg.arg in m})
                continue
            if agg.func in ("earliest", "latest"):
                having = [m for m in members if agg.arg in m]
                if having:
                    pick = min if agg.func == "earliest" else max
                    row[agg.name] = pick(having, key=lambda m: m["@timestamp"])[agg.arg]
                continue
            nums = [n for n in (_num(m.get(agg.arg)) for m in members) if n is not None]
            if not nums:
                continue
            row[agg.name] = {"sum": sum(nums), "avg": sum(nums) / len(nums), "min": min(nums),
                             "max": max(nums)}[agg.func]
        out.append(row)
    if any(seconds is not None for _, _, seconds in stats.by):
        out.sort(key=lambda r: tuple(text(r.get(c, "")) for c, _, _ in stats.by))
    return out


def _parse_fields(p: _Parser) -> list[tuple[str, str]]:
    out = []
    while True:
        name = p.field_name()
        alias = name
        if p.word("as"):
            p.take()
            alias = p.field_name()
        out.append((name, alias))
        if not p.op(","):
            return out
        p.take()


def _parse_stats(p: _Parser) -> _Stats:
    aggs = []
    while True:
        func_tok = p.take()
        func = func_tok.text.lower()
        if func_tok.kind != "name" or func not in _AGGREGATES:
            p.i -= 1
            p.fail(f"expected one of {', '.join(_AGGREGATES)}")
        p.expect_op("(")
        if p.op("*"):
            p.take()
            if func != "count":
                p.fail(f"{func}(*) is not valid")
            arg = None
        else:
            arg = p.field_name()
        p.expect_op(")")
        name = f"{func}({'*' if arg is None else arg})"
        if p.word("as"):
            p.take()
            name = p.field_name()
        aggs.append(_Agg(func, arg, name))
        if not p.op(","):
            break
        p.take()
    by = []
    if p.word("by"):
        p.take()
        while True:
            if p.word("bin") and p.toks[p.i + 1].text == "(":
                p.take()
                p.take()
                tok = p.take()
                if tok.kind != "duration":
                    p.i -= 1
                    p.fail("expected a period such as 5m")
                p.expect_op(")")
                m = re.fullmatch(r"(\d+)(ms|s|m|h|d|w)", tok.text)
                seconds = int(m.group(1)) * _UNITS[m.group(2)]
                column = f"bin({tok.text})"
                if p.word("as"):
                    p.take()
                    column = p.field_name()
                by.append((column, "@timestamp", seconds))
            else:
                name = p.field_name()
                column = name
                if p.word("as"):
                    p.take()
                    column = p.field_name()
                by.append((column, name, None))
            if not p.op(","):
                break
            p.take()
    return _Stats(aggs, by)


def _parse_parse(p: _Parser) -> Callable[[dict], dict]:
    """``parse f "glob * with * stars" as a, b`` or ``parse f /(?<a>..)(?<b>..)/``: new fields
    from the parts of ``f`` (the event is kept, without them, when it does not match)."""
    source = p.field_name()
    tok = p.take()
    if tok.kind == "regex":
        pattern = tok.text[1:-1].replace("(?<", "(?P<").replace("(?P<=", "(?<=").replace("(?P<!", "(?<!")
        try:
            rx = re.compile(pattern)
        except re.error as e:
            raise QueryError(f"invalid regular expression in parse: {e}") from None
        names = list(rx.groupindex)
        if not names:
            p.fail("a parse regular expression needs named groups (?<name>...)")
    elif tok.kind == "string":
        parts = [re.escape(part) for part in _unquote(tok.text).split("*")]
        # Each "*" takes as little as it can, but the last takes the rest.
        body = "".join(part + ("(.*?)" if i < len(parts) - 2 else "(.*)") for i, part in enumerate(parts[:-1]))
        rx = re.compile(body + parts[-1], re.S)
        if not p.word("as"):
            p.fail("expected 'as' after the parse pattern")
        p.take()
        names = [f for f, _ in _parse_fields(p)]
        if len(names) != rx.groups:
            p.fail(f"the pattern has {rx.groups} '*' but {len(names)} names follow 'as'")
    else:
        p.i -= 1
        p.fail("expected a \"glob\" or /regex/ after the field to parse")

    keys = names if tok.kind == "regex" else list(range(1, len(names) + 1))

    def apply(r: dict) -> dict:
        value = r.get(source, _MISSING)
        m = rx.search(text(value)) if value is not _MISSING else None
        if m is None:
            return r
        found = {name: m.group(key) for name, key in zip(names, keys) if m.group(key) is not None}
        return {**r, **found}
    return apply


def compile(text: str) -> Query:
    p = _Parser(text)
    q = Query(text)
    while True:
        tok = p.take()
        cmd = tok.text.lower() if tok.kind == "name" else ""
        if cmd in ("fields", "display"):
            q.steps.append(("fields", _parse_fields(p)))
        elif cmd == "filter":
            q.steps.append(("filter", p.expr()))
        elif cmd == "sort":
            keys = []
            while True:
                name = p.field_name()
                descending = False
                if p.word("asc", "desc"):
                    descending = p.take().text.lower() == "desc"
                keys.append((name, descending))
                if not p.op(","):
                    break
                p.take()
            q.steps.append(("sort", keys))
        elif cmd == "limit":
            n = p.take()
            if n.kind != "number" or not n.text.isdigit() or int(n.text) < 1:
                p.i -= 1
                p.fail("expected a positive number")
            q.steps.append(("limit", int(n.text)))
        elif cmd == "stats":
            q.steps.append(("stats", _parse_stats(p)))
        elif cmd == "parse":
            q.steps.append(("parse", _parse_parse(p)))
        elif cmd == "dedup":
            q.steps.append(("dedup", [name for name, _ in _parse_fields(p)]))
        else:
            p.i -= 1
            p.fail("expected a command (fields, display, filter, parse, sort, dedup, limit, stats)")
        if p.peek().kind == "end":
            return q
        p.expect_op("|")
