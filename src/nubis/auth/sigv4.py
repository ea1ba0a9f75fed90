"""Signature Version 4: reading a request's signature and checking it.

As the IAM user guide's "Create a signed AWS API request" defines it: a
canonical request (method, URI, query, headers, signed header names, payload
hash), a string to sign (algorithm, time, scope, the canonical request's
hash) and an HMAC-SHA256 under a key derived from the secret, the date, the
region and the service. S3 differs in two ways: its path is URI-encoded once
(other services encode the already-encoded path again), and its payload hash
is the ``x-amz-content-sha256`` header (a hex digest, ``UNSIGNED-PAYLOAD`` or
a ``STREAMING-...`` marker) rather than the body's.

Signed ``aws-chunked`` bodies carry one signature per chunk, chained from
the request's (:class:`ChunkSignatures`).
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

from ..protocol.errors import ServiceError
from . import errors

ALGORITHM = "AWS4-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
MAX_SKEW = 15 * 60
_SPACES = re.compile(r"\s+")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


@dataclass
class Signature:
    """What a request says about its signature."""

    access_key: str
    date: str           # the scope's YYYYMMDD
    region: str
    service: str
    signed_headers: list[str]
    signature: str
    amz_date: str       # YYYYMMDDTHHMMSSZ
    presigned: bool
    token: str | None

    @property
    def scope(self) -> str:
        return f"{self.date}/{self.region}/{self.service}/aws4_request"


def _credential(text: str, style: str, s3_message) -> tuple[str, str, str, str]:
    parts = text.split("/")
    # isdecimal: what \d matches in a str pattern
    if len(parts) != 5 or parts[4] != "aws4_request" or len(parts[1]) != 8 or not parts[1].isdecimal():
        raise s3_message('the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/'
                         'aws4_request".')
    return parts[0], parts[1], parts[2], parts[3]


# The header as SDKs write it: read in one match (anything else takes the long way below).
SDK_HEADER = re.compile(r"AWS4-HMAC-SHA256 Credential=([^/,\s=]+)/([0-9]{8})/([^/,\s]+)/([^/,\s]+)/aws4_request, ?"
                         r"SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})")


# The header up to its signature, as SDKs write it: the same for every request a client
# signs that day (the credential's scope and the signed headers' names).
_SDK_SCOPE = re.compile(r"AWS4-HMAC-SHA256 Credential=([^/,\s=]+)/([0-9]{8})/([^/,\s]+)/([^/,\s]+)/aws4_request, "
                        r"SignedHeaders=([a-z0-9;-]+)")
_scopes: dict[str, tuple] = {}


def _sdk_scope(scope: str) -> tuple | None:
    """What precedes the signature in an ``Authorization`` header as SDKs write it, parsed once:
    (access key, date, region, service, signed header names, the canonical request as a
    %-template of method, path, query, each signed header's value and payload hash, the
    string to sign's scope line); None for any other form."""
    m = _SDK_SCOPE.fullmatch(scope)
    if m is None:
        return None
    if len(_scopes) > 1024:
        _scopes.clear()
    key, date, region, service, names = m.groups()
    name_list = names.split(";")
    # Names are [a-z0-9-]: no '%' to escape in the template.
    template = "%s\n%s\n%s\n" + "".join(f"{n}:%s\n" for n in name_list) + f"\n{names}\n%s"
    found = _scopes[scope] = (key, date, region, service, name_list, template,
                              f"{date}/{region}/{service}/aws4_request\n")
    return found


def from_header(header: str, headers, style: str) -> Signature:
    """``Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...``."""
    m = SDK_HEADER.fullmatch(header)
    if m is not None:
        amz_date = headers.get("x-amz-date")
        if amz_date and (style != errors.S3 or amz_date[:8] == m[2]):
            key, date, region, service, names, signature = m.groups()
            return Signature(key, date, region, service, names.split(";"), signature, amz_date, False,
                             headers.get("x-amz-security-token"))
    rest = header[len(ALGORITHM):].strip()
    fields: dict[str, str] = {}
    for part in rest.split(","):
        name, eq, value = part.strip().partition("=")
        if eq:
            fields[name.strip()] = value.strip()
    missing = [n for n in ("Credential", "SignedHeaders", "Signature") if n not in fields]
    if missing:
        if style == errors.S3:
            raise errors.malformed(style, f"missing {missing[0]}")
        raise errors.incomplete(style, " ".join(f"Authorization header requires '{n}' parameter." for n in missing)
                                + f" Authorization={header}")
    key, date, region, service = _credential(fields["Credential"], style,
                                             lambda m: errors.malformed(style, m))
    amz_date = headers.get("x-amz-date")
    if amz_date is None:
        date_header = headers.get("date")
        amz_date = http_date(date_header) if date_header else None
    if not amz_date:
        if style == errors.S3:
            raise ServiceError("AccessDenied", "AWS authentication requires a valid Date or x-amz-date header", 403)
        raise errors.incomplete(style, "Authorization header requires existence of either a 'X-Amz-Date' or a "
                                       f"'Date' header. Authorization={header}")
    if style == errors.S3 and amz_date[:8] != date:
        raise errors.malformed(style, "Invalid credential date. Date is not the same as X-Amz-Date.")
    return Signature(key, date, region, service, fields["SignedHeaders"].lower().split(";"),
                     fields["Signature"], amz_date, False, headers.get("x-amz-security-token"))


_QUERY_FIELDS = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-Date", "X-Amz-SignedHeaders")


def from_query(query: dict[str, str], style: str) -> Signature:
    """The presigned form: ``X-Amz-Algorithm``, ``X-Amz-Credential``, ... in the query."""
    missing = [n for n in _QUERY_FIELDS if n not in query]
    if missing or (style == errors.S3 and "X-Amz-Expires" not in query):
        if style == errors.S3:
            raise errors.query_malformed(
                "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
                "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.")
        raise errors.incomplete(style, " ".join(f"AWS query-string parameters must include '{n}'." for n in missing)
                                + " Re-examine the query-string parameters.")
    if query["X-Amz-Algorithm"] != ALGORITHM:
        if style == errors.S3:
            raise errors.query_malformed("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"")
        raise errors.incomplete(style, f"Unsupported AWS 'algorithm': '{query['X-Amz-Algorithm']}'")
    key, date, region, service = _credential(
        query["X-Amz-Credential"], style,
        (lambda m: errors.query_malformed("Error parsing the X-Amz-Credential parameter; " + m))
        if style == errors.S3 else (lambda m: errors.incomplete(style, m)))
    return Signature(key, date, region, service, query["X-Amz-SignedHeaders"].lower().split(";"),
                     query["X-Amz-Signature"], query["X-Amz-Date"], True, query.get("X-Amz-Security-Token"))


def http_date(text: str) -> str | None:
    """An RFC 7231 date (or an ISO 8601 basic one) as ``YYYYMMDDTHHMMSSZ``; None if neither."""
    if parse_time(text.strip()) is not None:
        return text.strip()
    from email.utils import parsedate_to_datetime

    try:
        t = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=_dt.timezone.utc)
    return t.astimezone(_dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


_DAYS: dict[str, float | None] = {}


# The last time read and its value (one tuple, replaced whole: safe across threads):
# requests signed in the same second share it.
_last_time: tuple = ("", None)


def parse_time(amz_date: str) -> float | None:
    """``YYYYMMDDTHHMMSSZ`` as epoch seconds (None when it is not that); by hand, as
    strptime would be a tenth of the cost of checking a request."""
    global _last_time
    last = _last_time
    if amz_date == last[0]:
        return last[1]
    found = _parse_time(amz_date)
    _last_time = (amz_date, found)
    return found


def _parse_time(s: str) -> float | None:
    if len(s) != 16 or s[8] != "T" or s[15] != "Z" or not s[:8].isdigit() or not s[9:15].isdigit():
        return None
    # The day's midnight is worked out once per day seen; the time of day is arithmetic.
    day = _DAYS.get(s[:8], False)
    if day is False:
        try:
            day = _dt.datetime(int(s[:4]), int(s[4:6]), int(s[6:8]), tzinfo=_dt.timezone.utc).timestamp()
        except ValueError:
            day = None
        if len(_DAYS) > 1024:
            _DAYS.clear()
        _DAYS[s[:8]] = day
    try:
        hms = int(s[9:15])
    except ValueError:  # isdigit() also holds for digits int() does not read ("²")
        return None
    hour, minute, second = hms // 10000, hms // 100 % 100, hms % 100
    if day is None or hour > 23 or minute > 59 or second > 59:
        return None
    return day + hour * 3600 + minute * 60 + second


def check_time(sig: Signature, now: float, style: str, signed: float | None = None) -> None:
    """A header-signed request must be within 15 minutes of the server's clock
    (``signed``: ``sig.amz_date`` already parsed)."""
    if signed is None:
        signed = parse_time(sig.amz_date)
    if signed is None:
        if style == errors.S3:
            raise ServiceError("AccessDenied", "AWS authentication requires a valid Date or x-amz-date header", 403)
        raise errors.incomplete(style, f"Date must be in ISO-8601 'basic format'. Got '{sig.amz_date}'. "
                                       "See http://en.wikipedia.org/wiki/ISO_8601")
    if abs(now - signed) <= MAX_SKEW:
        return
    server = _dt.datetime.fromtimestamp(now, tz=_dt.timezone.utc)
    if signed < now:
        detail = (f"Signature expired: {sig.amz_date} is now earlier than "
                  f"{(server - _dt.timedelta(seconds=MAX_SKEW)).strftime('%Y%m%dT%H%M%SZ')} "
                  f"({server.strftime('%Y%m%dT%H%M%SZ')} - 15 min.)")
    else:
        detail = (f"Signature not yet current: {sig.amz_date} is still later than "
                  f"{(server + _dt.timedelta(seconds=MAX_SKEW)).strftime('%Y%m%dT%H%M%SZ')} "
                  f"({server.strftime('%Y%m%dT%H%M%SZ')} + 15 min.)")
    raise errors.skewed(style, sig.amz_date, server.strftime("%Y%m%dT%H%M%SZ"), detail)


# -- the canonical request -----------------------------------------------------------------


def _encode(text: str) -> str:
    """URI-encode as SigV4 says: every byte but A-Z a-z 0-9 - _ . ~."""
    return quote(text, safe="-_.~")


# Paths that canonicalise to themselves: nothing to decode, encode or normalize.
_PLAIN_S3_PATH = re.compile(r"[A-Za-z0-9._~/-]*")
_PLAIN_PATH = re.compile(r"(?:/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)*/?")


def canonical_uri(raw_path: str, s3: bool) -> str:
    if not raw_path or raw_path == "/":
        return "/"
    if (_PLAIN_S3_PATH if s3 else _PLAIN_PATH).fullmatch(raw_path):
        return raw_path
    if s3:
        # The path as the object key is, each byte encoded once.
        return quote(unquote(raw_path), safe="/~")
    # Other services: the path as sent (already encoded), normalized and encoded again.
    return quote(_normalize(raw_path), safe="/~")


def _normalize(path: str) -> str:
    out: list[str] = []
    for seg in path.split("/"):
        if seg == "..":
            if out:
                out.pop()
        elif seg not in ("", "."):
            out.append(seg)
    normalized = "/" + "/".join(out)
    if path.endswith("/") and normalized != "/":
        normalized += "/"
    return normalized


def canonical_query(pairs: list[tuple[str, str]], presigned: bool) -> str:
    if not pairs:
        return ""
    encoded = sorted((_encode(k), _encode(v)) for k, v in pairs if not (presigned and k == "X-Amz-Signature"))
    return "&".join(f"{k}={v}" for k, v in encoded)


def canonical_headers(headers, names: list[str]) -> str:
    return "".join([f"{name}:{value}\n" for name, value in zip(names, header_values(headers, names))])


def header_values(headers, names) -> list[str]:
    """The named headers' values as the canonical request has them: trimmed, runs
    of spaces folded, "" for one absent."""
    values = []
    get = headers.get
    for name in names:
        value = get(name)
        if value is None:
            value = ""
        else:
            value = value.strip()
            # Printable text has no whitespace but the space: only runs of spaces could need folding.
            if "  " in value or not value.isprintable():
                value = _SPACES.sub(" ", value)
        values.append(value)
    return values


def canonical_request(request, sig: Signature, payload_hash: str, s3: bool) -> str:
    names = sig.signed_headers
    return (f"{request.method}\n{canonical_uri(request.path, s3)}\n"
            f"{canonical_query(request.query, sig.presigned)}\n"
            f"{canonical_headers(request.headers, names)}\n{';'.join(names)}\n{payload_hash}")


def string_to_sign(sig: Signature, creq: str) -> str:
    return (f"{ALGORITHM}\n{sig.amz_date}\n{sig.date}/{sig.region}/{sig.service}/aws4_request\n"
            f"{hashlib.sha256(creq.encode('utf-8')).hexdigest()}")


_KEYS: dict[tuple, bytes] = {}


def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """HMAC chain ``AWS4<secret>`` -> date -> region -> service -> ``aws4_request`` (kept: one per day and scope)."""
    cache_key = (secret, date, region, service)
    key = _KEYS.get(cache_key)
    if key is None:
        key = ("AWS4" + secret).encode("utf-8")
        for part in (date, region, service, "aws4_request"):
            key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
        if len(_KEYS) > 1024:
            _KEYS.clear()
        _KEYS[cache_key] = key
    return key


def sign(key: bytes, text: str) -> str:
    return hmac.digest(key, text.encode("utf-8"), "sha256").hex()


_PADS: dict[bytes, tuple] = {}


def _pads(key: bytes) -> tuple:
    """The key's inner and outer SHA-256 states (RFC 2104): an HMAC under it then hashes only its text."""
    padded = key.ljust(64, b"\0")  # a signing key is 32 bytes: no hashing down to the block size
    return hashlib.sha256(bytes(b ^ 0x36 for b in padded)), hashlib.sha256(bytes(b ^ 0x5C for b in padded))


def _sign_with(key: bytes, text: str) -> str:
    """:func:`sign`, from the key's pads computed once per signing key."""
    pads = _PADS.get(key)
    if pads is None:
        if len(_PADS) > 1024:
            _PADS.clear()
        pads = _PADS[key] = _pads(key)
    inner = pads[0].copy()
    inner.update(text.encode("utf-8"))
    outer = pads[1].copy()
    outer.update(inner.digest())
    return outer.hexdigest()


def same(expected: str, provided: str) -> bool:
    """``hmac.compare_digest`` of a signature with one a client sent, which may hold any
    character (compare_digest refuses non-ASCII text)."""
    return hmac.compare_digest(expected.encode(), provided.encode("utf-8", "replace"))


def verify(request, sig: Signature, secret: str, payload_hash: str, style: str) -> bytes:
    """Check the request's signature; return the signing key (chunk signatures chain from it)."""
    creq = canonical_request(request, sig, payload_hash, style == errors.S3)
    sts = string_to_sign(sig, creq)
    key = signing_key(secret, sig.date, sig.region, sig.service)
    if not same(_sign_with(key, sts), sig.signature):
        raise errors.signature_mismatch(style, sig.access_key, sts, sig.signature, creq)
    return key


def verify_sdk(request, header: str, style: str, now: float, credential, context) -> tuple | None:
    """:func:`from_header`, the credential's lookup, :func:`check_time` and :func:`verify` in one
    for the common case: a request with its body, signed in its ``Authorization`` header as SDKs
    write it, to a service other than S3. ``credential(context, style, access key, session token)``
    gives the key's credential or raises. Returns (credential, signing time), None when the
    header is not of that form (the general path reads it)."""
    scope, sep, signature = header.rpartition(", Signature=")
    # from_header reads the same signature when it has no ',' and no space around it.
    if not sep or not signature or "," in signature or signature[0].isspace() or signature[-1].isspace():
        return None
    found = _scopes.get(scope)
    if found is None:
        found = _sdk_scope(scope)
        if found is None:
            return None
    headers = request.headers
    get = headers.get
    amz_date = get("x-amz-date")
    if not amz_date:
        return None
    access_key, date, region, service, name_list, template, scope_line = found
    cred = credential(context, style, access_key, get("x-amz-security-token"))
    signed_at = parse_time(amz_date)
    if signed_at is None or abs(now - signed_at) > MAX_SKEW:
        check_time(from_header(header, headers, style), now, style, signed_at)  # raises
    payload = UNSIGNED if get("x-amz-content-sha256") == UNSIGNED else hashlib.sha256(request.body).hexdigest()
    # The canonical request (canonical_request, without a Signature), one function: this runs
    # on every request.
    path = request.path
    values = [request.method, path if path == "/" else canonical_uri(path, False),
              canonical_query(request.query, False) if request.query_string else ""]
    values += header_values(headers, name_list)
    values.append(payload)
    creq = template % tuple(values)
    sts = f"{ALGORITHM}\n{amz_date}\n{scope_line}{hashlib.sha256(creq.encode('utf-8')).hexdigest()}"
    secret = cred.secret
    pads = _SCOPE_PADS.get((secret, scope_line))
    if pads is None:
        pads = _pads(signing_key(secret, date, region, service))
        if len(_SCOPE_PADS) > 1024:
            _SCOPE_PADS.clear()
        _SCOPE_PADS[(secret, scope_line)] = pads
    inner = pads[0].copy()
    inner.update(sts.encode("utf-8"))
    outer = pads[1].copy()
    outer.update(inner.digest())
    # compare_digest takes ASCII text as is; other text can't be a hex signature (see same()).
    if not (signature.isascii() and hmac.compare_digest(outer.hexdigest(), signature)):
        raise errors.signature_mismatch(style, access_key, sts, signature, creq)
    return cred, signed_at


# (secret, scope line) -> the signing key's HMAC pads (see _sign_with)
_SCOPE_PADS: dict[tuple, tuple] = {}


# -- S3's payload hash ---------------------------------------------------------------------

UNSIGNED = "UNSIGNED-PAYLOAD"
STREAMING = frozenset({"STREAMING-UNSIGNED-PAYLOAD-TRAILER", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
                       "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD",
                       "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER"})
SIGNED_CHUNKS = frozenset({"STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"})


def s3_payload_hash(request, sig: Signature) -> str:
    """The payload hash an S3 request was signed with (``x-amz-content-sha256``)."""
    value = request.headers.get("x-amz-content-sha256")
    if sig.presigned:
        return value if value is not None else UNSIGNED
    if value is None:
        raise ServiceError("InvalidRequest", "Missing required header for this request: x-amz-content-sha256", 400)
    if value != UNSIGNED and value not in STREAMING and not _HEX64.match(value):
        raise ServiceError("InvalidArgument", "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, "
                           "STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, "
                           "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, "
                           "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value.", 400,
                           ArgumentName="x-amz-content-sha256", ArgumentValue=value)
    return value


def content_mismatch(claimed: str, computed: str) -> ServiceError:
    return ServiceError("XAmzContentSHA256Mismatch",
                        "The provided 'x-amz-content-sha256' header does not match what was computed.", 400,
                        ClientComputedContentSHA256=claimed, S3ComputedContentSHA256=computed)


async def hashed_stream(stream, claimed: str):
    """Pass a streamed body through, failing at its end unless its SHA-256 is ``claimed``."""
    h = hashlib.sha256()
    async for piece in stream:
        h.update(piece)
        yield piece
    if h.hexdigest() != claimed:
        raise content_mismatch(claimed, h.hexdigest())


async def read_signed(stream, verify) -> list[bytes]:
    """A streamed body whose SHA-256 the signature covers (no
    ``x-amz-content-sha256`` header: Lambda's Invoke payload, ...), read whole
    and ``verify(its hash)`` run before any provider sees it."""
    h = hashlib.sha256()
    pieces = []
    async for piece in stream:
        h.update(piece)
        pieces.append(piece)
    verify(h.hexdigest())
    return pieces


async def replay(pieces: list[bytes]):
    for piece in pieces:
        yield piece


class ChunkSignatures:
    """Checks each chunk of a ``STREAMING-AWS4-HMAC-SHA256-PAYLOAD`` body as it streams
    (S3 API reference, "Transferring Payload in Multiple Chunks"): chunk n is signed over
    ``AWS4-HMAC-SHA256-PAYLOAD``, the time, the scope, chunk n-1's signature (the
    request's for the first), the hash of nothing and the hash of its data; the
    trailer over ``AWS4-HMAC-SHA256-TRAILER`` and the hash of its lines.
    Fits ``services/s3/chunked.ChunkVerifier``."""

    def __init__(self, key: bytes, sig: Signature):
        self.key = key
        self.sig = sig
        self.previous = sig.signature
        self.expected: str | None = None
        self.hasher = None

    def _mismatch(self, sts: str, provided: str) -> ServiceError:
        return errors.signature_mismatch(errors.S3, self.sig.access_key, sts, provided or "", None)

    def chunk(self, index: int, size: int, signature: str | None) -> None:
        self.expected = signature
        self.hasher = hashlib.sha256()

    def update(self, data) -> None:
        self.hasher.update(data)

    def end_chunk(self) -> None:
        sts = "\n".join(("AWS4-HMAC-SHA256-PAYLOAD", self.sig.amz_date, self.sig.scope, self.previous,
                         EMPTY_SHA256, self.hasher.hexdigest()))
        if self.expected is None or not same(sign(self.key, sts), self.expected):
            raise self._mismatch(sts, self.expected)
        self.previous = self.expected

    def trailer(self, lines: list[bytes], signature: str | None) -> None:
        if not lines and signature is None:
            return
        body = b"".join(line + b"\n" for line in lines)
        sts = "\n".join(("AWS4-HMAC-SHA256-TRAILER", self.sig.amz_date, self.sig.scope, self.previous,
                         hashlib.sha256(body).hexdigest()))
        if signature is None or not same(sign(self.key, sts), signature):
            raise self._mismatch(sts, signature)
