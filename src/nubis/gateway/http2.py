"""HTTP/2 cleartext (h2c, prior knowledge) beside HTTP/1.1 on nubis's one port.

``HttpOrH2Protocol`` is nubis's HTTP/1.1 protocol (``http1.py``), except that the first
bytes of a connection are compared with the HTTP/2 connection preface. A
connection that opens with it is handed to ``H2Protocol``; every other
connection is HTTP/1.1 as before, and after its first ``data_received`` the
transport calls ``Http1Protocol``'s own method directly, so HTTP/1.1 requests
pay nothing for HTTP/2. Clients that need this: the AWS SDK for JavaScript v3
speaks HTTP/2 with prior knowledge to Kinesis (and to any client given a
``NodeHttp2Handler``), even on an ``http://`` endpoint.

``H2Protocol`` runs the same ASGI app (the Gateway) once per stream, on the
``h2`` library's state machine: request bodies are handed back to the peer's
flow-control window only as the app reads them, and responses (event streams
too) are sent frame by frame within the peer's windows.
"""
from __future__ import annotations

import asyncio
import base64
import logging
import urllib.parse
from typing import Any

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.settings
from h2.errors import ErrorCodes
from uvicorn.protocols.utils import get_local_addr, get_remote_addr, is_ssl

from .http1 import Http1Protocol

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

# Our receive windows: a stream may have 1 MiB in flight, a connection 16 MiB,
# so a large upload is not held to a round trip per 64 KiB, while what one
# connection can make us buffer stays bounded.
STREAM_WINDOW = 1 << 20
CONNECTION_WINDOW = 16 << 20
MAX_CONCURRENT_STREAMS = 128

# Headers that mean something only to an HTTP/1.1 connection; HTTP/2 forbids them.
_HOP_BY_HOP = frozenset((b"connection", b"keep-alive", b"proxy-connection", b"transfer-encoding", b"upgrade"))

# Headers of an upgrading HTTP/1.1 request that are about the upgrade, not the request.
_UPGRADE_ONLY = frozenset((b"connection", b"upgrade", b"http2-settings", b"keep-alive", b"transfer-encoding"))

logger = logging.getLogger("nubis.http2")


class GracefulStateMachine(h2.connection.H2ConnectionStateMachine):
    """h2's connection state machine, except that a GOAWAY, sent or received,
    leaves an open connection open. RFC 9113 (6.8) lets the streams already
    open finish after one; h2 closes at once (python-hyper/h2 issue 1181), so
    it could not answer the JS SDK, which sends GOAWAY as soon as an event
    stream's headers arrive and reads the stream on. H2Protocol refuses new
    streams itself once a GOAWAY has passed, and closes after the last one."""

    def process_input(self, input_):
        if input_ in _GOAWAY and self.state is not h2.connection.ConnectionState.IDLE:
            return []
        return super().process_input(input_)


_GOAWAY = (h2.connection.ConnectionInputs.SEND_GOAWAY, h2.connection.ConnectionInputs.RECV_GOAWAY)


class HttpOrH2Protocol(Http1Protocol):
    """nubis's HTTP/1.1 protocol that hands an HTTP/2 connection to ``H2Protocol``."""

    _head = b""

    def data_received(self, data: bytes) -> None:
        head = self._head + data if self._head else data
        if len(head) < len(PREFACE) and PREFACE.startswith(head):
            self._head = head  # the preface came in pieces: wait for the rest
            return
        # Decided, once per connection. From here the transport calls Http1Protocol's
        # data_received itself (set_protocol makes uvloop re-read the method).
        self._head = b""
        if head.startswith(PREFACE):
            self._become_h2(head)
            return
        self.data_received = super().data_received  # type: ignore[method-assign]
        self.transport.set_protocol(self)
        super().data_received(head)

    def _become_h2(self, head: bytes, upgrade: tuple[bytes, list] | None = None) -> None:
        self._detach()
        protocol = H2Protocol(self.config, self.server_state, self.app_state, self.loop, upgrade)
        self.transport.set_protocol(protocol)
        protocol.connection_made(self.transport)
        if head:
            protocol.data_received(head)

    # ``Upgrade: h2c`` (RFC 7540, 3.2), for a request without a body; any other
    # request asking for it is answered over HTTP/1.1, as a server may. These two
    # are asked only of a request that has an Upgrade header.

    def _should_upgrade(self) -> bool:
        if self._get_upgrade() == b"h2c":
            return self._h2c_settings() is not None
        return super()._should_upgrade()

    def _h2c_settings(self) -> bytes | None:
        settings = None
        for name, value in self.headers:
            if name in (b"content-length", b"transfer-encoding") and value.strip() != b"0":
                return None
            if name == b"http2-settings":
                settings = value.strip()
        if settings is None:
            return None
        settings += b"=" * (-len(settings) % 4)  # sent without base64 padding
        try:
            base64.urlsafe_b64decode(settings)
        except ValueError:
            return None
        return settings

    def _upgrade(self) -> None:
        if self._get_upgrade() != b"h2c":
            return super()._upgrade()
        settings = self._h2c_settings()
        headers = [(b":method", self.method.encode()), (b":path", self.url)]
        headers += [(n, v) for n, v in self.headers if n not in _UPGRADE_ONLY]
        self.transport.write(b"HTTP/1.1 101 Switching Protocols\r\nconnection: Upgrade\r\nupgrade: h2c\r\n\r\n")
        # What the client sends after this request (its preface) follows the 101.
        self._become_h2(b"", (settings, headers))


class H2Protocol(asyncio.Protocol):
    """One HTTP/2 connection: each stream is an ASGI ``http`` request to the app."""

    def __init__(self, config, server_state, app_state: dict[str, Any], loop: asyncio.AbstractEventLoop,
                 upgrade: tuple[bytes, list] | None = None) -> None:
        self.config = config
        self.app = config.loaded_app
        self.loop = loop
        self.server_state = server_state
        self.connections = server_state.connections
        self.tasks = server_state.tasks
        self.app_state = app_state
        self.root_path = config.root_path
        self.asgi = {"version": config.asgi_version, "spec_version": "2.3"}
        self.conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False, header_encoding=None))
        self.conn.state_machine = GracefulStateMachine()
        self.conn.local_settings = h2.settings.Settings(client=False, initial_values={
            h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: STREAM_WINDOW,
            h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: MAX_CONCURRENT_STREAMS,
        })
        self.streams: dict[int, H2Stream] = {}
        self.transport: asyncio.Transport = None  # type: ignore[assignment]
        self.writable = asyncio.Event()
        self.writable.set()
        self.closing = False  # GOAWAY sent: no new streams, close once the last one ends
        self.idle_timer: asyncio.TimerHandle | None = None
        self.upgrade = upgrade  # (HTTP2-Settings, the upgraded request's headers): it is stream 1

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self.connections.add(self)
        self.transport = transport
        self.server = get_local_addr(transport)
        self.client = get_remote_addr(transport)
        self.scheme = "https" if is_ssl(transport) else "http"
        if self.upgrade is None:
            self.conn.initiate_connection()
        else:
            self.conn.initiate_upgrade_connection(self.upgrade[0])
        self.conn.increment_flow_control_window(CONNECTION_WINDOW - 65535)
        self.flush()
        if self.upgrade is None:
            self._arm_idle_timer()
        else:
            self._start_stream(1, self.upgrade[1])
            self.streams[1].end()
            self.upgrade = None

    def connection_lost(self, exc: Exception | None) -> None:
        self.connections.discard(self)
        self._cancel_idle_timer()
        for stream in list(self.streams.values()):
            stream.disconnect()
        self.writable.set()

    def pause_writing(self) -> None:
        self.writable.clear()

    def resume_writing(self) -> None:
        self.writable.set()

    def data_received(self, data: bytes) -> None:
        try:
            events = self.conn.receive_data(data)
        except h2.exceptions.ProtocolError:
            self._fail()
            return
        for event in events:
            kind = type(event)
            if kind is h2.events.DataReceived:
                stream = self.streams.get(event.stream_id)
                if stream is None:
                    # A stream we no longer read: hand its bytes back to the connection window.
                    self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                else:
                    stream.feed(event.data, event.flow_controlled_length, event.stream_ended is not None)
            elif kind is h2.events.RequestReceived:
                self._start_stream(event.stream_id, event.headers)
            elif kind is h2.events.StreamEnded:
                stream = self.streams.get(event.stream_id)
                if stream is not None:
                    stream.end()
            elif kind is h2.events.WindowUpdated:
                if event.stream_id:
                    stream = self.streams.get(event.stream_id)
                    if stream is not None:
                        stream.window_open.set()
                else:
                    self._open_all_windows()
            elif kind is h2.events.RemoteSettingsChanged:
                self._open_all_windows()
            elif kind is h2.events.StreamReset:
                stream = self.streams.get(event.stream_id)
                if stream is not None:
                    stream.disconnect()
            elif kind is h2.events.ConnectionTerminated:
                if event.error_code:  # the peer saw an error: nothing more is read
                    for stream in list(self.streams.values()):
                        stream.disconnect()
                    self.flush()
                    self.transport.close()
                    return
                # A graceful GOAWAY opens no more streams, but those open finish
                # (the JS SDK closes its session so while an event stream goes on).
                self.closing = True
                if not self.streams:
                    self.flush()
                    self.transport.close()
                    return
            # Pings are answered, settings acknowledged and trailers ignored by h2 itself.
        self.flush()

    # Graceful shutdown and idle connections, as uvicorn does for HTTP/1.1.

    def shutdown(self) -> None:
        """Called by uvicorn on a graceful stop: GOAWAY, finish open streams, close."""
        if self.closing:
            return
        self.closing = True
        if not self.transport.is_closing():
            self.conn.close_connection()
            self.flush()
        if not self.streams:
            self.transport.close()

    def _fail(self) -> None:
        """A connection error: h2 has queued a GOAWAY naming it. Send it, stop
        writing, and close a little later, reading and dropping what still
        comes meanwhile: closing with unread input would make the kernel
        answer with a reset, which can destroy the GOAWAY before it is read."""
        for stream in list(self.streams.values()):
            stream.disconnect()
        self.flush()
        self.data_received = _discard  # type: ignore[method-assign]
        self.transport.set_protocol(self)
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(2.0, self.transport.close)

    def eof_received(self) -> None:
        return None  # the peer is done: close our side too

    def _arm_idle_timer(self) -> None:
        self._cancel_idle_timer()
        self.idle_timer = self.loop.call_later(self.config.timeout_keep_alive, self.shutdown)

    def _cancel_idle_timer(self) -> None:
        if self.idle_timer is not None:
            self.idle_timer.cancel()
            self.idle_timer = None

    # Streams

    def flush(self) -> None:
        data = self.conn.data_to_send()
        if data and not self.transport.is_closing():
            self.transport.write(data)

    def _open_all_windows(self) -> None:
        for stream in self.streams.values():
            stream.window_open.set()

    def _start_stream(self, stream_id: int, request_headers: list) -> None:
        if self.closing:
            self.conn.reset_stream(stream_id, ErrorCodes.REFUSED_STREAM)
            return
        method = path = authority = None
        headers: list[tuple[bytes, bytes]] = []
        has_host = expect_continue = False
        for name, value in request_headers:
            if name[:1] == b":":
                if name == b":method":
                    method = value
                elif name == b":path":
                    path = value
                elif name == b":authority":
                    authority = value
            else:
                if name == b"host":
                    has_host = True
                elif name == b"expect":
                    expect_continue = value.lower() == b"100-continue"
                headers.append((name, value))
        if authority is not None and not has_host:
            headers.insert(0, (b"host", authority))
        raw_path, _, query = path.partition(b"?")  # h2 has checked :method and :path are there
        decoded = raw_path.decode("ascii", "replace")
        if "%" in decoded:
            decoded = urllib.parse.unquote(decoded)
        scope = {
            "type": "http",
            "asgi": self.asgi,
            "http_version": "2",
            "server": self.server,
            "client": self.client,
            "scheme": self.scheme,
            "method": method.decode("ascii"),
            "root_path": self.root_path,
            "path": self.root_path + decoded,
            "raw_path": self.root_path.encode("ascii") + raw_path,
            "query_string": query,
            "headers": headers,
            "state": self.app_state.copy(),
        }
        stream = H2Stream(self, stream_id, scope)
        stream.expect_continue = expect_continue
        self.streams[stream_id] = stream
        self._cancel_idle_timer()
        task = self.loop.create_task(stream.run_asgi(self.app))
        task.add_done_callback(self.tasks.discard)
        self.tasks.add(task)

    def stream_done(self, stream: H2Stream) -> None:
        self.streams.pop(stream.stream_id, None)
        # Request bytes the app never read still count against our connection window.
        if stream.unacked:
            try:
                self.conn.acknowledge_received_data(stream.unacked, stream.stream_id)
            except h2.exceptions.ProtocolError:
                pass
            stream.unacked = 0
        if not stream.request_ended and not stream.disconnected and not self.transport.is_closing():
            # Answered before the request was all sent: ask the client to stop, without error.
            try:
                self.conn.reset_stream(stream.stream_id, ErrorCodes.NO_ERROR)
            except h2.exceptions.ProtocolError:
                pass
        self.flush()
        if not self.streams:
            if self.closing:
                self.transport.close()
            elif not self.transport.is_closing():
                self._arm_idle_timer()


def _discard(data: bytes) -> None:
    pass


class H2Stream:
    """One request/response exchange: the ASGI ``receive`` and ``send`` of a stream."""

    def __init__(self, connection: H2Protocol, stream_id: int, scope: dict) -> None:
        self.connection = connection
        self.conn = connection.conn
        self.stream_id = stream_id
        self.scope = scope
        self.chunks: list[bytes] = []
        self.unacked = 0  # flow-controlled bytes received but not yet read by the app
        self.request_ended = False
        self.body_delivered = False
        self.disconnected = False
        self.message_event = asyncio.Event()
        self.window_open = asyncio.Event()
        self.response_started = False
        self.response_complete = False
        self.pending_headers: list[tuple[bytes, bytes]] | None = None
        # HTTP/2 keeps 100-continue (RFC 9113, 8.1); the JS SDK waits up to 6 s
        # for it before sending a body of 2 MiB or more.
        self.expect_continue = False

    # From the connection

    def feed(self, data: bytes, flow_controlled_length: int, ended: bool) -> None:
        if data:
            self.chunks.append(data)
        self.unacked += flow_controlled_length
        if ended:
            self.request_ended = True
        self.message_event.set()

    def end(self) -> None:
        self.request_ended = True
        self.message_event.set()

    def disconnect(self) -> None:
        self.disconnected = True
        self.message_event.set()
        self.window_open.set()

    # ASGI

    async def run_asgi(self, app) -> None:
        try:
            await app(self.scope, self.receive, self.send)
        except BaseException as exc:
            if not self.disconnected:
                logger.error("Exception in ASGI application", exc_info=exc)
                if not self.response_started:
                    await self._send_500()
                elif not self.response_complete:
                    self._reset(ErrorCodes.INTERNAL_ERROR)
        else:
            if not self.disconnected and not self.response_complete:
                if not self.response_started:
                    logger.error("ASGI callable returned without starting response.")
                    await self._send_500()
                else:
                    logger.error("ASGI callable returned without completing response.")
                    self._reset(ErrorCodes.INTERNAL_ERROR)
        finally:
            self.connection.stream_done(self)

    async def receive(self) -> dict:
        if self.expect_continue:
            # The app wants the body: ask for it, as uvicorn does for HTTP/1.1.
            self.expect_continue = False
            if not self.disconnected and not self.request_ended and not self.response_started:
                try:
                    self.conn.send_headers(self.stream_id, [(b":status", b"100")])
                    self.connection.flush()
                except h2.exceptions.ProtocolError:
                    pass
        while True:
            if self.disconnected or self.response_complete:  # as uvicorn: nothing more to read
                return {"type": "http.disconnect"}
            if self.chunks or (self.request_ended and not self.body_delivered):
                body = b"".join(self.chunks) if len(self.chunks) != 1 else self.chunks[0]
                self.chunks = []
                if self.unacked:
                    self.conn.acknowledge_received_data(self.unacked, self.stream_id)
                    self.unacked = 0
                    self.connection.flush()
                more = not self.request_ended
                if not more:
                    self.body_delivered = True
                return {"type": "http.request", "body": body, "more_body": more}
            # Nothing yet, or the whole body has been read: wait for data or a disconnect.
            self.message_event.clear()
            await self.message_event.wait()

    async def send(self, message: dict) -> None:
        if self.disconnected:
            # As ASGI asks: an app streaming to a reset stream (an event stream
            # the client left) learns it and stops.
            raise ConnectionResetError("the HTTP/2 stream was reset")
        kind = message["type"]
        if not self.response_started:
            if kind != "http.response.start":
                raise RuntimeError(f"Expected ASGI message 'http.response.start', but got '{kind}'.")
            self.response_started = True
            headers = [(b":status", str(message["status"]).encode())]
            for name, value in (*self.connection.server_state.default_headers, *message.get("headers", ())):
                name = name.lower()
                if name not in _HOP_BY_HOP:
                    headers.append((name, value))
            # Held until the first body message, so an empty response is one HEADERS frame.
            self.pending_headers = headers
            return
        if self.response_complete:
            return
        if kind != "http.response.body":
            raise RuntimeError(f"Expected ASGI message 'http.response.body', but got '{kind}'.")
        body = message.get("body", b"")
        more = message.get("more_body", False)
        if self.scope["method"] == "HEAD":
            body = b""
        try:
            if self.pending_headers is not None:
                headers, self.pending_headers = self.pending_headers, None
                self.conn.send_headers(self.stream_id, headers, end_stream=not body and not more)
                self.connection.flush()
                if not body and not more:
                    self.response_complete = True
                    self.message_event.set()
                    return
            await self._send_data(body)
            if not more and not self.disconnected:
                self.conn.end_stream(self.stream_id)
                self.response_complete = True
                self.message_event.set()
                self.connection.flush()
        except h2.exceptions.StreamClosedError:
            self.disconnected = True
        if self.disconnected:
            raise ConnectionResetError("the HTTP/2 stream was reset")

    async def _send_data(self, body: bytes) -> None:
        view = memoryview(body)
        while view and not self.disconnected:
            window = self.conn.local_flow_control_window(self.stream_id)
            if window <= 0:
                # The peer's window is full: wait for its WINDOW_UPDATE.
                self.window_open.clear()
                await self.window_open.wait()
                continue
            size = min(window, self.conn.max_outbound_frame_size, len(view))
            self.conn.send_data(self.stream_id, view[:size].tobytes())
            view = view[size:]
            self.connection.flush()
            if not self.connection.writable.is_set():
                await self.connection.writable.wait()

    async def _send_500(self) -> None:
        try:
            await self.send({"type": "http.response.start", "status": 500, "headers": [
                (b"content-type", b"text/plain; charset=utf-8"), (b"content-length", b"21")]})
            await self.send({"type": "http.response.body", "body": b"Internal Server Error"})
        except ConnectionError:
            pass

    def _reset(self, code: ErrorCodes) -> None:
        self.disconnected = True
        try:
            self.conn.reset_stream(self.stream_id, code)
        except h2.exceptions.ProtocolError:
            pass
        self.connection.flush()
