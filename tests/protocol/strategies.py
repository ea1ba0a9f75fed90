"""Hypothesis strategies for VALID values of a botocore ``Shape``.

A value is valid when a real client could send it (request direction) or a
real service could return it (response direction) in the place the model puts
it: a header, a URI label, the query string, a host label, or the body of the
protocol in use. The constraints that follow from the place are listed in
``_string`` and friends; every one is a property of the wire, not of nubis.

Sizes are kept small and recursion is bounded (some shapes are recursive):
past ``MAX_DEPTH`` a structure carries only its required members and a list
or map only its minimum number of entries.
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import re
from typing import Any

from hypothesis import strategies as st

MAX_DEPTH = 4
MAX_ITEMS = 3  # lists and maps
MAX_SCALAR_ITEMS = 11  # lists of scalars near the top
MAX_TEXT = 12  # characters beyond a string's minimum length
HARD_DEPTH = MAX_DEPTH + 8  # required-member recursion deeper than this is unsatisfiable

INT32 = (-(2 ** 31), 2 ** 31 - 1)
INT64 = (-(2 ** 63), 2 ** 63 - 1)
_INT_RANGES = {"integer": INT32, "long": INT64, "short": (-(2 ** 15), 2 ** 15 - 1), "byte": (-128, 127)}

# 1970-01-01 .. 2100-01-01 (exclusive), in seconds.
_TS_MAX = 4102444800
UTC = _dt.timezone.utc

XML_PROTOCOLS = ("query", "ec2", "rest-xml")
REST_PROTOCOLS = ("rest-json", "rest-xml")

# Characters XML 1.0 cannot carry at all (section 2.2): C0 controls other
# than TAB, LF, CR; and U+FFFE/U+FFFF. No client can put them in an XML
# document, and a service answering in XML cannot return them.
_XML_FORBIDDEN = "".join(chr(c) for c in range(0x20) if chr(c) not in "\t\n\r") + "\ufffe\uffff"

# Text that can be encoded as UTF-8 (no lone surrogates).
_ANY_TEXT = st.characters(blacklist_categories=("Cs",))
_XML_TEXT = st.characters(blacklist_categories=("Cs",), blacklist_characters=_XML_FORBIDDEN)
# A header field value (RFC 9110 5.5): visible ASCII and spaces. Non-ASCII
# is not portable (http.client encodes latin-1), controls are forbidden.
_HEADER_TEXT = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
# An item of a header list: see _string.
_HEADER_ITEM_TEXT = st.characters(min_codepoint=0x20, max_codepoint=0x7E, blacklist_characters="\\")
# A header field name's token characters, lower-cased: HTTP field names are
# case-insensitive, so a map keyed by header-name suffix cannot keep case.
_HEADER_KEY = st.from_regex(r"[a-z0-9][a-z0-9-]{0,8}", fullmatch=True)
# A DNS label: what botocore's host-prefix expansion and DNS accept.
_HOST_LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)


@dataclasses.dataclass(frozen=True)
class Ctx:
    """Where a value travels, which decides what a client can put there.

    ``location``: None (body), "header", "header-item" (an item of a header
    list), "headers" (a prefixed header map), "uri", "greedy" (a ``{Label+}``
    URI label), "querystring", "querymap", "hostLabel", "statusCode".
    """

    protocol: str
    direction: str  # "request" | "response"
    location: str | None = None
    depth: int = 0
    # Names the value of a prefixed header map / query-string map must avoid.
    reserved: frozenset = frozenset()

    @property
    def xml(self) -> bool:
        return self.protocol in XML_PROTOCOLS

    def nested(self, location: str | None = None) -> "Ctx":
        return dataclasses.replace(self, location=location, depth=self.depth + 1, reserved=frozenset())


# -- scalars ------------------------------------------------------------------

def _bounds(shape, lo: int, hi: int) -> tuple[int, int]:
    md = shape.metadata
    if "min" in md:
        lo = max(lo, int(md["min"]))
    if "max" in md:
        hi = min(hi, int(md["max"]))
    return lo, hi


def _length(shape, cap: int = MAX_TEXT) -> tuple[int, int]:
    lo = int(shape.metadata.get("min", 0) or 0)
    hi = shape.metadata.get("max")
    hi = lo + cap if hi is None else max(lo, min(int(hi), lo + cap))
    return lo, hi


def _pad(text: str, lo: int) -> str:
    return text + "a" * (lo - len(text)) if len(text) < lo else text


def _is_dot_segment_path(text: str) -> bool:
    # RFC 3986 5.2.4: an HTTP client or server may remove "." and ".."
    # path segments, so a label that is (or, greedy, contains) one does
    # not reach the server as written.
    return any(seg in (".", "..") for seg in text.split("/"))


@st.composite
def _string(draw, shape, ctx: Ctx):
    loc = ctx.location
    enum = shape.enum
    lo, hi = _length(shape)
    if loc == "hostLabel":
        label = draw(_HOST_LABEL)
        return _pad(label, lo)[: max(hi, 1)]
    if enum:
        choices = [e for e in enum if _string_ok(e, ctx)]
        if choices:
            return draw(st.sampled_from(choices))
    if loc in ("header", "header-item", "headers"):
        # A header value loses leading/trailing whitespace on the wire
        # (RFC 9110 5.5). An empty item of a header list is not distinct
        # from a missing one, so list items have at least one character.
        # In a header list botocore quotes an item holding a comma or a quote
        # but does not escape a backslash, so '\\' + '"' could not be read back:
        # list items have no backslash.
        alphabet = _HEADER_ITEM_TEXT if loc == "header-item" else _HEADER_TEXT
        text = draw(st.text(alphabet, min_size=lo, max_size=hi)).strip(" \t")
        return _pad(text, max(lo, 1 if loc == "header-item" else lo))
    if loc in ("uri", "greedy"):
        # A URI label cannot be empty: the path would not match the template.
        text = draw(st.text(_ANY_TEXT, min_size=max(lo, 1), max_size=max(hi, 1))
                    .filter(lambda s: not _is_dot_segment_path(s)))
        return text
    if loc == "querymap-key":
        return draw(st.text(_ANY_TEXT, min_size=max(lo, 1), max_size=max(hi, 1))
                    .filter(lambda s: s not in ctx.reserved))
    alphabet = _XML_TEXT if ctx.xml else _ANY_TEXT
    return draw(st.text(alphabet, min_size=lo, max_size=hi))


def _string_ok(value: str, ctx: Ctx) -> bool:
    loc = ctx.location
    if loc in ("header", "header-item", "headers"):
        return value == value.strip(" \t") and all(0x20 <= ord(c) <= 0x7E for c in value) \
            and (value or loc != "header-item")
    if loc in ("uri", "greedy"):
        return bool(value) and not _is_dot_segment_path(value)
    if ctx.xml:
        return not any(c in _XML_FORBIDDEN for c in value)
    return True


def _integer(shape, ctx: Ctx):
    lo, hi = _INT_RANGES.get(shape.type_name, INT64)
    if ctx.location == "statusCode":
        # The member is the HTTP status of a successful response.
        lo, hi = 200, 299
    lo, hi = _bounds(shape, lo, hi)
    if lo > hi:
        lo, hi = hi, lo
    return st.integers(lo, hi)


def _float(shape, ctx: Ctx):
    # Values with at most three decimals and a short decimal form: they
    # survive every text form (JSON, XML, query, headers) exactly.
    lo = shape.metadata.get("min", -1e6)
    hi = shape.metadata.get("max", 1e6)
    lo, hi = max(float(lo), -1e6), min(float(hi), 1e6)
    if lo > hi:
        lo, hi = hi, lo
    return st.integers(int(lo * 1000) + (lo * 1000 != int(lo * 1000)), int(hi * 1000)).map(lambda n: n / 1000)


@st.composite
def timestamps(draw):
    """An aware datetime in 1970..2100, whole seconds or whole milliseconds."""
    seconds = draw(st.integers(0, _TS_MAX - 1))
    millis = draw(st.sampled_from([0, None]))
    if millis is None:
        millis = draw(st.integers(0, 999))
    dt = _dt.datetime.fromtimestamp(seconds, UTC) + _dt.timedelta(milliseconds=millis)
    # Sometimes another zone: the same instant, which a client converts to UTC.
    offset = draw(st.sampled_from([0, 0, 0, 330, -480]))
    if offset:
        dt = dt.astimezone(_dt.timezone(_dt.timedelta(minutes=offset)))
    return dt


def json_values(max_leaves: int = 6):
    """JSON-like values (a document, a jsonvalue header)."""
    scalars = (st.none() | st.booleans() | st.integers(INT32[0], INT32[1])
               | st.integers(-10 ** 6, 10 ** 6).map(lambda n: n / 1000)
               | st.text(_XML_TEXT, max_size=8))
    return st.recursive(
        scalars,
        lambda children: st.lists(children, max_size=MAX_ITEMS)
        | st.dictionaries(st.text(_XML_TEXT, max_size=6), children, max_size=MAX_ITEMS),
        max_leaves=max_leaves)


# -- the dispatcher -----------------------------------------------------------

def values(shape, ctx: Ctx) -> st.SearchStrategy:
    """A strategy for valid values of ``shape`` travelling as ``ctx`` says."""
    t = shape.type_name
    if t == "string":
        if ctx.location == "header" and shape.serialization.get("jsonvalue"):
            # A jsonvalue header carries a JSON document (base64 of it); the
            # client passes the decoded value.
            return st.dictionaries(st.text(_HEADER_TEXT, max_size=6), json_values(4), max_size=MAX_ITEMS)
        return _string(shape, ctx)
    if t in ("integer", "long", "short", "byte"):
        return _integer(shape, ctx)
    if t in ("float", "double"):
        return _float(shape, ctx)
    if t == "boolean":
        return st.booleans()
    if t == "timestamp":
        return timestamps()
    if t == "blob":
        lo, hi = _length(shape, cap=16)
        return st.binary(min_size=lo, max_size=hi)
    if t == "list":
        return _list(shape, ctx)
    if t == "map":
        return _map(shape, ctx)
    if t == "structure":
        if shape.is_document_type:
            # A null document is no document: the member is absent.
            return json_values().filter(lambda v: v is not None)
        if shape.is_tagged_union:
            return _union(shape, ctx)
        return _structure(shape, ctx)
    raise TypeError(f"unknown shape type {t!r} ({shape.name})")


def _items_range(shape, ctx: Ctx) -> tuple[int, int]:
    lo = int(shape.metadata.get("min", 0) or 0)
    cap = MAX_ITEMS
    if shape.type_name == "list" and shape.member.type_name not in ("structure", "list", "map") \
            and ctx.depth <= 2:
        # Lists of scalars near the top may reach two-digit indexes
        # (member.10 sorts before member.2 as text).
        cap = MAX_SCALAR_ITEMS
    hi = shape.metadata.get("max")
    hi = cap if hi is None else min(int(hi), cap)
    hi = max(hi, lo)
    if ctx.depth >= MAX_DEPTH:
        hi = lo
    return lo, hi


def _list(shape, ctx: Ctx):
    lo, hi = _items_range(shape, ctx)
    if ctx.location == "header":
        item_ctx = ctx.nested("header-item")
    elif ctx.location == "querystring":
        item_ctx = ctx.nested("querystring")
    else:
        item_ctx = ctx.nested()
    return st.lists(values(shape.member, item_ctx), min_size=lo, max_size=hi)


def _map(shape, ctx: Ctx):
    lo, hi = _items_range(shape, ctx)
    if ctx.location == "headers":
        # A prefixed header map: key = header-name suffix, value = header value.
        keys = _HEADER_KEY.filter(lambda k: k not in ctx.reserved)
        vals = values(shape.value, ctx.nested("header"))
    elif ctx.location == "querystring":
        # A map of otherwise-unbound query parameters. A name another member
        # or the URI template already uses would be read as that one.
        keys = _string(shape.key, dataclasses.replace(ctx, location="querymap-key"))
        if shape.value.type_name == "list":
            # An empty list puts nothing on the wire; a list of one or more.
            item = values(shape.value.member, ctx.nested("querystring"))
            vals = st.lists(item, min_size=1, max_size=MAX_ITEMS)
        else:
            vals = values(shape.value, ctx.nested("querystring"))
    else:
        keys = values(shape.key, ctx.nested())
        vals = values(shape.value, ctx.nested())
    return st.dictionaries(keys, vals, min_size=lo, max_size=hi)


def xml_clashes(shape) -> set[str]:
    """Members of a structure written as the same XML element (S3's
    deprecated TopicConfiguration has ``Event`` and a flattened ``Events``
    of ``Event`` items): a reader cannot tell them apart, so neither is drawn."""
    from collections import defaultdict

    by_element = defaultdict(list)
    for name, member in shape.members.items():
        if member.serialization.get("location") or member.serialization.get("xmlAttribute"):
            continue
        element = member.serialization.get("name", name)
        if member.type_name == "list" and member.serialization.get("flattened"):
            element = member.member.serialization.get("name", element)
        by_element[element].append(name)
    return {n for names in by_element.values() if len(names) > 1 for n in names}


def _is_eventstream(shape) -> bool:
    return bool(shape.serialization.get("eventstream"))


def _is_container(shape) -> bool:
    """True if ``shape`` holds other shapes (where recursion can go on)."""
    return shape.type_name in ("structure", "list", "map") and not getattr(shape, "is_document_type", False)


@st.composite
def _union(draw, shape, ctx: Ctx):
    names = [n for n, m in shape.members.items() if not _is_eventstream(m)]
    if ctx.depth >= MAX_DEPTH:
        # Prefer a member that ends the recursion.
        leaves = [n for n in names if not _is_container(shape.members[n])]
        names = leaves or names
    if ctx.depth > HARD_DEPTH or not names:
        return draw(st.nothing())
    name = draw(st.sampled_from(names))
    return {name: draw(values(shape.members[name], ctx.nested()))}


@st.composite
def _structure(draw, shape, ctx: Ctx):
    if ctx.depth > HARD_DEPTH:
        return draw(st.nothing())
    required = set(shape.required_members)
    clashing = xml_clashes(shape) if ctx.xml else set()
    out: dict[str, Any] = {}
    for name, member in shape.members.items():
        if _is_eventstream(member) or name in clashing:
            continue
        if name not in required and (ctx.depth >= MAX_DEPTH or not draw(st.booleans())):
            continue
        out[name] = draw(values(member, ctx.nested()))
    return out


# -- top-level shapes: members bound to HTTP locations -------------------------

def _top_location(member, name: str, protocol: str, direction: str, greedy: set) -> str | None:
    """Where a top-level member of an input/output/error shape travels."""
    if member.serialization.get("hostLabel") and direction == "request":
        return "hostLabel"
    if protocol not in REST_PROTOCOLS:
        return None
    loc = member.serialization.get("location")
    if loc == "uri":
        return "greedy" if member.serialization.get("name", name) in greedy else "uri"
    return loc


def _uri_parts(operation) -> tuple[set, set]:
    """The greedy labels of an operation's requestUri and its literal query keys."""
    uri = operation.http.get("requestUri", "") if operation is not None else ""
    path, _, query = uri.partition("?")
    greedy = {m.rstrip("+") for m in re.findall(r"\{([^}]+\+)\}", path)}
    literal = {p.partition("=")[0] for p in query.split("&") if p}
    return greedy, literal


def payload_member(shape):
    name = shape.serialization.get("payload") if shape is not None else None
    return (name, shape.members[name]) if name else (None, None)


@st.composite
def top_level(draw, shape, protocol: str, direction: str, operation=None):
    """A value for an operation's input or output shape (or an error shape).

    Members bound to the URI (and host labels) are always present: the
    request line cannot be built without them. Members bound to a location
    that does not exist in this direction (a response has no URI or query
    string) are left out.
    """
    if shape is None:
        return {}
    greedy, literal = _uri_parts(operation)
    required = set(shape.required_members)
    query_names = set(literal)
    header_names = set()
    if protocol in REST_PROTOCOLS:
        for name, member in shape.members.items():
            loc = member.serialization.get("location")
            if loc == "querystring" and member.type_name != "map":
                query_names.add(member.serialization.get("name", name))
            elif loc == "header":
                header_names.add(member.serialization.get("name", name).lower())
    clashing = xml_clashes(shape) if protocol in XML_PROTOCOLS else set()
    out: dict[str, Any] = {}
    content_length = None
    for name, member in shape.members.items():
        if _is_eventstream(member) or name in clashing:
            continue
        loc = _top_location(member, name, protocol, direction, greedy)
        if direction == "response" and loc in ("uri", "greedy", "querystring"):
            continue
        if direction == "request" and loc == "statusCode":
            continue
        if loc == "header" and member.serialization.get("name", name).lower() == "content-length":
            content_length = name
            continue
        forced = loc in ("uri", "greedy", "hostLabel")
        if not forced and name not in required and not draw(st.booleans()):
            continue
        reserved: frozenset = frozenset()
        if loc == "querystring" and member.type_name == "map":
            reserved = frozenset(query_names)
        elif loc == "headers":
            prefix = member.serialization.get("name", "").lower()
            reserved = frozenset(h[len(prefix):] for h in header_names if h.startswith(prefix))
            if not prefix:
                # An unprefixed header map cannot hold the headers HTTP itself
                # and the client's framing use.
                reserved |= _FRAMING_HEADERS
        ctx = Ctx(protocol, direction, loc, 1, reserved)
        out[name] = draw(values(member, ctx))
    if content_length is not None and protocol in REST_PROTOCOLS:
        # Content-Length frames the HTTP message: it must be the length of
        # the body, which is known here only when the body is a blob/string
        # payload. Elsewhere the member is left out.
        pname, pmember = payload_member(shape)
        if pmember is not None and pmember.type_name in ("blob", "string") and draw(st.booleans()):
            body = out.get(pname, b"")
            out[content_length] = len(body.encode("utf-8") if isinstance(body, str) else body)
    return out


# Headers an HTTP client or the protocol sets on every request/response.
_FRAMING_HEADERS = frozenset({
    "host", "content-length", "content-type", "transfer-encoding", "connection", "expect",
    "user-agent", "x-amz-target", "x-amzn-requestid", "x-amz-request-id", "x-amz-id-2",
    "date", "content-md5", "accept", "accept-encoding", "te", "keep-alive", "upgrade",
    "x-amzn-query-mode", "smithy-protocol", "x-amz-content-sha256", "authorization",
})
