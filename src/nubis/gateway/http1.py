"""HTTP/1.1: nubis's own connection protocol, on the httptools parser.

uvicorn still runs the server (sockets, signals, lifespan, graceful stop); this
protocol answers each request by calling ``Gateway.respond`` with an
``HttpRequest`` built straight from the parser's pieces and writing the
``HttpResponse`` it returns, with no ASGI scope, messages or header
re-validation in between. Against uvicorn's own protocol that took the raw
floor from 25.5 to ~15 us of server CPU per request and SQS SendMessage from 73
to 59 us on the bench machine (bench/RESULTS.md). HTTP/2 (``http2.py``) still speaks ASGI to the
Gateway; it is rarer and streams-based.

What a connection does, as RFC 9112 asks:
- keep-alive, closed after ``timeout_keep_alive`` idle seconds (one timer per
  idle stretch, not one per request);
- pipelined requests answered in order (reading pauses while one is queued);
- request bodies handed to the gateway as the parser's pieces (``receive``,
  ASGI's message shapes), with reading paused once ``BODY_BUFFER`` bytes wait;
  ``Expect: 100-continue`` answered when the body is first asked for;
- responses with their ``Content-Length``, or chunked when streamed without
  one, written under the transport's flow control; small whole ones are
  written together once the loop's turn is over (``_Outbox``);
- a malformed request gets 400 and the connection is closed.
"""
from __future__ import annotations

import asyncio
import collections
import http
import logging

import httptools

from ..protocol.wire import Headers, HttpRequest

log = logging.getLogger("nubis.http")

# A request body buffered before the connection stops reading (uvicorn: 64 KiB).
# Larger pieces mean fewer pauses and wake-ups for a large upload (bench/RESULTS.md).
BODY_BUFFER = 1 << 20
# A response body larger than this is written apart from its head, not copied onto it.
_JOIN_LIMIT = 64 << 10

_STATUS_LINE = {}
for _code in range(100, 600):
    try:
        _phrase = http.HTTPStatus(_code).phrase
    except ValueError:
        _phrase = ""
    _STATUS_LINE[_code] = f"HTTP/1.1 {_code} {_phrase}\r\n".encode("latin-1")

_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_DISCONNECT = {"type": "http.disconnect"}


class Http1Protocol(asyncio.Protocol):
    """One HTTP/1.1 connection. Built by uvicorn's server, as its own protocols
    are: ``(config, server_state, app_state)``; the app is nubis's Gateway."""

    def __init__(self, config, server_state, app_state=None, _loop=None) -> None:
        if not config.loaded:
            config.load()
        self.config = config
        self.gateway = config.app  # the Gateway itself, not uvicorn's ASGI wrapping of it
        self.loop = _loop or asyncio.get_event_loop()
        self.server_state = server_state
        self.app_state = app_state
        self.connections = server_state.connections
        self.timeout_keep_alive = config.timeout_keep_alive
        self.parser = httptools.HttpRequestParser(self)
        try:  # answer the first of pipelined requests even when the client closes after sending them
            self.parser.set_dangerous_leniencies(lenient_data_after_close=True)
        except AttributeError:
            pass
        self.transport: asyncio.Transport = None  # type: ignore[assignment]
        self.client = None
        self.parsing: Exchange | None = None   # the request the parser is reading
        self.current: Exchange | None = None   # the request being answered
        self.pipeline: collections.deque[Exchange] = collections.deque()
        self.read_paused = False
        self.write_paused = False
        self.drained: asyncio.Future | None = None
        self.closing = False                   # a graceful stop: close after the current answer
        self.idle_timer: asyncio.TimerHandle | None = None
        self.last_active = 0.0
        # The request head being parsed.
        self.url = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.method = ""
        self.outbox = _outbox(server_state, self.loop)
        self.queued = False  # an answer of this connection waits in the outbox
        # The connection's answering task (``_answer_all``), the future it waits on
        # between requests, and whether it is to end.
        self.answerer: asyncio.Task | None = None
        self.waiting: asyncio.Future | None = None
        self.stopped = False

    # -- asyncio.Protocol -------------------------------------------------------------------

    def connection_made(self, transport) -> None:  # type: ignore[override]
        self.connections.add(self)
        self.transport = transport
        peer = transport.get_extra_info("peername")
        self.client = tuple(peer[:2]) if isinstance(peer, (tuple, list)) else None
        self._arm_idle_timer()

    def connection_lost(self, exc) -> None:
        self.connections.discard(self)
        if self.idle_timer is not None:
            self.idle_timer.cancel()
            self.idle_timer = None
        for ex in (self.current, *self.pipeline, self.parsing):
            if ex is not None and not ex.responded:
                ex.disconnected = True
                ex.wake()
        self.pipeline.clear()
        self._wake_writer()
        self._stop_answerer()

    def eof_received(self) -> None:
        return None  # the client is done sending: the transport closes once we are done too

    def data_received(self, data: bytes) -> None:
        self.last_active = self.loop.time()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self._upgrade()
        except httptools.HttpParserCallbackError:  # our own failure, not the client's
            log.exception("internal error reading a request")
            self._refuse(500, "Internal Server Error")
        except httptools.HttpParserError:
            log.warning("Invalid HTTP request received.")
            self._refuse(400, "Invalid HTTP request received.")

    def pause_writing(self) -> None:
        self.write_paused = True

    def resume_writing(self) -> None:
        self.write_paused = False
        self._wake_writer()

    # -- the parser's callbacks ---------------------------------------------------------------

    def on_message_begin(self) -> None:
        self.url = b""
        self.headers = []

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.lower(), value))

    def on_headers_complete(self) -> None:
        parser = self.parser
        self.method = method = parser.get_method().decode("ascii")
        if parser.should_upgrade() and self._should_upgrade():
            self.parsing = None
            return  # the upgrade takes the connection (``_upgrade``)
        url = self.url
        if url[:1] == b"/":
            raw_path, _, query = url.partition(b"?")
            raw_path = raw_path.partition(b"#")[0]
        else:  # absolute-form (a proxy's request) or "*"
            parsed = httptools.parse_url(url)
            raw_path, query = parsed.path or b"/", parsed.query or b""
        headers = Headers.from_asgi(self.headers)
        request = HttpRequest(method, raw_path.decode("latin-1"), query.decode("latin-1"), headers)
        request.host = headers.get("host", "")
        request.client = self.client
        expect = headers.get("expect")
        ex = Exchange(self, request, parser.should_keep_alive(),
                      expect is not None and expect.lower() == "100-continue")
        self.parsing = ex
        if self.current is None:
            self._start(ex)
        else:  # pipelined: answered after the one before it
            self.pipeline.append(ex)
            self._pause_reading()

    def on_body(self, body: bytes) -> None:
        ex = self.parsing
        if ex is None or ex.responded:
            return  # the rest of a body the answer did not need
        ex.body.append(body)
        ex.buffered += len(body)
        if ex.buffered > BODY_BUFFER:
            self._pause_reading()
        if ex.waiter is not None:
            ex.wake()

    def on_message_complete(self) -> None:
        ex = self.parsing
        if ex is None:
            return
        ex.more_body = False
        if ex.waiter is not None:
            ex.wake()

    # -- answering ----------------------------------------------------------------------------

    def _start(self, ex: Exchange) -> None:
        self.current = ex
        waiting = self.waiting
        if waiting is not None:
            self.waiting = None
            waiting.set_result(None)
        elif self.answerer is None:
            self.answerer = self.loop.create_task(self._answer_all())
        # (else the answerer is finishing the answer before, and takes this one next)

    async def _answer_all(self) -> None:
        """The connection's answering task: one for all its requests. A task per
        request cost ~1 us more: Python 3.11 registers each task in asyncio's
        task set with Python code, and unregisters it by a weakref callback."""
        try:
            while not self.stopped:
                ex = self.current
                if ex is None:
                    self.waiting = waiting = self.loop.create_future()
                    await waiting
                    continue
                await self._answer(ex)
        finally:
            self.answerer = self.waiting = None

    def _stop_answerer(self) -> None:
        self.stopped = True
        waiting = self.waiting
        if waiting is not None:
            self.waiting = None
            waiting.set_result(None)

    async def _answer(self, ex: Exchange) -> None:
        try:
            response = await self.gateway.respond(ex.request, ex.receive)
        except Exception:
            log.exception("internal error answering %s %s", ex.request.method, ex.request.path)
            response = None
        try:
            if not ex.disconnected:
                if response is None:
                    self._write(_plain(500, "Internal Server Error", self._date()))
                    ex.keep_alive = False
                else:
                    streamed = self._send(ex, response)
                    if response.stream is not None:
                        await self._send_stream(ex, response.stream, streamed)
        except (ConnectionError, RuntimeError):  # the client left mid-answer (uvloop: RuntimeError)
            log.debug("answer not completed", exc_info=True)
            ex.keep_alive = False
        except Exception:  # a streamed body failed: what was sent stands, the connection closes
            log.exception("answer to %s %s not completed", ex.request.method, ex.request.path)
            ex.keep_alive = False
        finally:
            self._done(ex)

    def _send(self, ex: Exchange, response) -> str | None:
        """Write the answer's head, and its body unless streamed. Returns how a
        streamed body goes: "chunked", "raw" (its length is in the head), or None
        (no body: a HEAD, 204 or 304, whose stream is only to be closed)."""
        status = response.status
        stream = response.stream
        head_only = ex.request.method == "HEAD" or status == 204 or status == 304  # no body (RFC 9110)
        pairs = response.headers
        # Names lower-cased, as nubis has always sent them (uvicorn did it before).
        block = "".join([f"{k.lower()}: {v}\r\n" for k, v in pairs])
        if block.count("\n") != len(pairs) or block.count("\r") != len(pairs):
            block = _sanitized(pairs)  # a value with a line break would split the head
        low = block.lower()
        has_length = low.startswith("content-length:") or "\ncontent-length:" in low
        if "connection:" in low and _says_close(low):
            ex.keep_alive = False
        elif not ex.keep_alive or self.closing:
            ex.keep_alive = False
            block += "connection: close\r\n"
        if ex.expecting and ex.more_body:
            # The client still waits for 100 Continue before sending its body,
            # which was not needed: close rather than read a body that may not come.
            ex.keep_alive = False
            block += "connection: close\r\n"
        how = None
        body = b""
        if head_only:
            pass
        elif stream is None:
            body = response.body
            if not has_length:
                block += f"content-length: {len(body)}\r\n"
        elif has_length:
            how = "raw"
        else:
            how = "chunked"
            block += "transfer-encoding: chunked\r\n"
        head = b"".join((_STATUS_LINE.get(status) or _status_line(status), self._date(), block.encode("utf-8"),
                         b"\r\n"))
        if how is None and ex.keep_alive and len(body) <= _JOIN_LIMIT:
            # A small whole answer leaves with the others of this turn of the loop.
            self.outbox.add(self, head + body if body else head)
            return how
        self._write(head)
        if body:
            self.transport.write(body)
        return how

    def _write(self, data: bytes) -> None:
        """Write now, after what this connection has waiting in the outbox."""
        if self.queued:
            self.outbox.flush()
        self.transport.write(data)

    async def _send_stream(self, ex: Exchange, stream, how: str | None) -> None:
        """A streamed body, under the transport's flow control; the stream is closed in the end."""
        transport = self.transport
        try:
            if how is None:
                return
            chunked = how == "chunked"
            async for chunk in stream:
                if ex.disconnected:
                    break
                if chunk:
                    if chunked:
                        transport.write(b"%x\r\n" % len(chunk))
                        transport.write(chunk)
                        transport.write(b"\r\n")
                    else:
                        transport.write(chunk)
                if self.write_paused:
                    await self._drain()
            else:
                if chunked and not ex.disconnected:
                    transport.write(b"0\r\n\r\n")
        finally:
            await _close(stream)

    def _done(self, ex: Exchange) -> None:
        ex.responded = True
        ex.wake()  # an answer still waiting on ``receive`` learns that the exchange is over
        # The request holds ``ex.receive`` (Gateway.respond): a cycle, left to the
        # cyclic GC, whose collections it set off every ~100 requests.
        ex.request = None
        self.current = None
        transport = self.transport
        if transport.is_closing():
            return
        if not ex.keep_alive:
            if self.queued:
                self.outbox.flush()
            transport.close()
            return
        if self.pipeline:
            self._start(self.pipeline.popleft())
            if not self.pipeline:
                self._resume_reading()
            return
        if self.closing:
            if self.queued:
                self.outbox.flush()
            transport.close()
            return
        self._resume_reading()
        self.last_active = self.loop.time()

    # -- flow control, timers, errors ---------------------------------------------------------

    def _pause_reading(self) -> None:
        if not self.read_paused:
            self.read_paused = True
            self.transport.pause_reading()

    def _resume_reading(self) -> None:
        if self.read_paused and not self.pipeline:
            self.read_paused = False
            self.transport.resume_reading()

    async def _drain(self) -> None:
        while self.write_paused and not self.transport.is_closing():
            self.drained = self.loop.create_future()
            await self.drained

    def _wake_writer(self) -> None:
        if self.drained is not None and not self.drained.done():
            self.drained.set_result(None)

    def _arm_idle_timer(self) -> None:
        self.last_active = self.loop.time()
        self.idle_timer = self.loop.call_later(self.timeout_keep_alive, self._idle_check)

    def _idle_check(self) -> None:
        # One timer per idle stretch: requests only note the time, and the timer
        # looks again at the remainder of the stretch when it fires.
        self.idle_timer = None
        if self.transport.is_closing():
            return
        left = self.last_active + self.timeout_keep_alive - self.loop.time()
        if self.current is not None:  # a long answer (a long poll, a stream): look again later
            self.idle_timer = self.loop.call_later(self.timeout_keep_alive, self._idle_check)
        elif left <= 0:
            self.transport.close()
        else:
            self.idle_timer = self.loop.call_later(left, self._idle_check)

    def _date(self) -> bytes:
        return _default_headers(self.server_state.default_headers)

    def _refuse(self, status: int, text: str) -> None:
        """Answer a request that cannot be read, and close (what follows it cannot be found)."""
        if self.current is None:
            self._write(_plain(status, text, self._date()))
        elif self.queued:
            self.outbox.flush()
        self.transport.close()

    def shutdown(self) -> None:
        """A graceful stop (uvicorn's server calls this): close once idle."""
        self.closing = True
        if self.current is None:
            self.transport.close()

    # -- upgrades (HTTP/2 in ``http2.py``) ----------------------------------------------------

    def _get_upgrade(self) -> bytes | None:
        connection: list[bytes] = []
        upgrade = None
        for name, value in self.headers:
            if name == b"connection":
                connection = [token.lower().strip() for token in value.split(b",")]
            elif name == b"upgrade":
                upgrade = value.lower()
        return upgrade if b"upgrade" in connection else None

    def _should_upgrade(self) -> bool:
        """Whether this request's ``Upgrade`` is taken; else it is answered as a plain request."""
        return False

    def _upgrade(self) -> None:
        """Hand the connection to the protocol upgraded to (after ``_should_upgrade``)."""

    def _detach(self) -> None:
        """Give the connection up to another protocol (HTTP/2)."""
        self.connections.discard(self)
        self._stop_answerer()
        if self.idle_timer is not None:
            self.idle_timer.cancel()
            self.idle_timer = None


class Exchange:
    """One request and its answer on a connection: the body as it arrives, and
    whether the client is still there."""

    __slots__ = ("protocol", "request", "keep_alive", "expecting", "body", "buffered", "more_body",
                 "delivered", "waiter", "disconnected", "responded")

    def __init__(self, protocol: Http1Protocol, request, keep_alive: bool, expecting: bool) -> None:
        self.protocol = protocol
        self.request = request
        self.keep_alive = keep_alive
        self.expecting = expecting  # Expect: 100-continue, not yet answered
        self.body: list[bytes] = []
        self.buffered = 0
        self.more_body = True
        self.delivered = False
        self.waiter: asyncio.Future | None = None
        self.disconnected = False
        self.responded = False

    def wake(self) -> None:
        waiter = self.waiter
        if waiter is not None:
            self.waiter = None
            if not waiter.done():
                waiter.set_result(None)

    async def receive(self) -> dict:
        """The next piece of the request body, in ASGI's message shapes; once the
        whole body was given, waits until the client leaves or the answer is done."""
        protocol = self.protocol
        if self.expecting:
            self.expecting = False
            if self.more_body and not protocol.transport.is_closing():
                protocol._write(_CONTINUE)
        while True:
            if self.disconnected or self.responded:
                return _DISCONNECT
            if self.body or (not self.more_body and not self.delivered):
                pieces = self.body
                body = pieces[0] if len(pieces) == 1 else b"".join(pieces)
                self.body = []
                self.buffered = 0
                more = self.more_body
                if not more:
                    self.delivered = True
                protocol._resume_reading()
                return {"type": "http.request", "body": body, "more_body": more}
            protocol._resume_reading()
            self.waiter = waiter = protocol.loop.create_future()
            await waiter


class _Outbox:
    """Small whole answers, written together once the loop's turn is over.

    Written at once, each answer woke its client's waiting process: on
    loopback the wake-up is the writer's work (the kernel delivers in the
    writer's system call), and it was a third of a DynamoDB GetItem's CPU under
    32 connections. Written together, after the turn that made them, the first
    wakes the client and the rest find it awake: GetItem 73 -> 52 us per
    request (bench/RESULTS.md). An answer waits a turn of the loop at most;
    one alone goes out as soon as the loop is idle again."""

    __slots__ = ("loop", "items", "scheduled")

    def __init__(self, loop) -> None:
        self.loop = loop
        self.items: list = []
        self.scheduled = False

    def add(self, protocol: Http1Protocol, data: bytes) -> None:
        self.items.append((protocol, data))
        protocol.queued = True
        if not self.scheduled:
            self.scheduled = True
            self.loop.call_soon(self.flush)

    def flush(self) -> None:
        self.scheduled = False
        items, self.items = self.items, []
        for protocol, data in items:
            protocol.queued = False
            transport = protocol.transport
            if not transport.is_closing():
                try:
                    transport.write(data)
                except (ConnectionError, RuntimeError):  # the client left meanwhile
                    pass


def _outbox(server_state, loop) -> _Outbox:
    """The server's outbox (one per server, so one per loop)."""
    outbox = getattr(server_state, "nubis_outbox", None)
    if outbox is None or outbox.loop is not loop:
        outbox = server_state.nubis_outbox = _Outbox(loop)
    return outbox


_date_cache: list = [None, b""]


def _default_headers(pairs) -> bytes:
    """uvicorn's default headers (the Date it refreshes each second) as bytes, made once per refresh."""
    if pairs is not _date_cache[0]:
        _date_cache[1] = b"".join(b"%s: %s\r\n" % (name, value) for name, value in pairs)
        _date_cache[0] = pairs
    return _date_cache[1]


def _status_line(status: int) -> bytes:
    return f"HTTP/1.1 {status} \r\n".encode("latin-1")


def _sanitized(pairs) -> str:
    return "".join(f"{k.lower()}: {str(v).replace(chr(13), ' ').replace(chr(10), ' ')}\r\n" for k, v in pairs)


def _says_close(low: str) -> bool:
    for line in low.split("\r\n"):
        if line.startswith("connection:") and "close" in line:
            return True
    return False


def _plain(status: int, text: str, date: bytes) -> bytes:
    body = text.encode("ascii")
    return b"".join((_STATUS_LINE[status], date, b"content-type: text/plain; charset=utf-8\r\n",
                     b"content-length: %d\r\nconnection: close\r\n\r\n" % len(body), body))


async def _close(stream) -> None:
    aclose = getattr(stream, "aclose", None)
    if aclose is not None:
        await aclose()
