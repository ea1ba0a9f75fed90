"""The Lambda Runtime API, served to one execution environment.

Each environment gets its own listener on 127.0.0.1 (an ephemeral port, given
to the process as ``AWS_LAMBDA_RUNTIME_API``): the runtime's requests carry
no function name, so the port is what says whose they are, and a listener is
a few kilobytes. It is an asyncio protocol over httptools (the parser uvicorn
uses): one keep-alive connection per runtime, no framework, no thread hop, so
a warm invoke costs two small HTTP exchanges on the loopback.

Routes (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html):
``GET  /2018-06-01/runtime/invocation/next``           long-polls the next event
``POST /2018-06-01/runtime/invocation/{id}/response``  the handler's result
``POST /2018-06-01/runtime/invocation/{id}/error``     the handler's error
``POST /2018-06-01/runtime/init/error``                failing before the first event

A response posted with ``Lambda-Runtime-Function-Response-Mode: streaming``
(chunked) goes to the invocation's reader chunk by chunk as it arrives; an
error after it began comes in the trailers ``Lambda-Runtime-Function-Error-Type``
and ``-Error-Body`` (base64), as the Runtime API's response streaming defines.
"""
from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
from typing import Protocol as TypingProtocol

import httptools

log = logging.getLogger("nubis.lambda")

PREFIX = "/2018-06-01/runtime/"
_REASONS = {200: "OK", 202: "Accepted", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
            413: "Payload Too Large", 500: "Internal Server Error"}


class Host(TypingProtocol):
    """What the listener asks of its environment."""

    async def next_event(self) -> tuple[list[tuple[str, str]], bytes]: ...

    def invocation_response(self, request_id: str, body: bytes) -> bool: ...

    def invocation_error(self, request_id: str, body: bytes, error_type: str | None) -> bool: ...

    def stream_begin(self, request_id: str, content_type: str | None): ...

    def init_error(self, body: bytes, error_type: str | None) -> None: ...


def _response(status: int, body: bytes, headers: list[tuple[str, str]] = ()) -> bytes:
    head = [f"HTTP/1.1 {status} {_REASONS.get(status, 'OK')}", f"Content-Length: {len(body)}",
            "Content-Type: application/json"]
    head += [f"{k}: {v}" for k, v in headers]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


_ACCEPTED = _response(202, b'{"status":"OK"}')


def _error(status: int, kind: str, message: str) -> bytes:
    return _response(status, json.dumps({"errorType": kind, "errorMessage": message}).encode())


class RuntimeApiConnection(asyncio.Protocol):
    def __init__(self, host: Host):
        self.host = host
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.url = b""
        self.headers: dict[str, str] = {}
        self.body: list[bytes] = []
        self.method = b""
        self.pending: asyncio.Task | None = None
        self.streaming: str | None = None    # the request id of a response being streamed
        self.sink = None                     # where its chunks go as they come (None: read whole)

    # -- transport -------------------------------------------------------------------

    def connection_made(self, transport) -> None:
        self.transport = transport

    def connection_lost(self, exc) -> None:
        if self.pending is not None:
            self.pending.cancel()
        self.transport = None

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self._send(_error(400, "InvalidRequest", "malformed HTTP request"))
            if self.transport is not None:
                self.transport.close()

    # -- parser callbacks ------------------------------------------------------------

    def on_message_begin(self) -> None:
        self.url = b""
        self.headers = {}
        self.body = []

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        if self.headers.get("lambda-runtime-function-response-mode", "").lower() != "streaming":
            return
        parts = self.url.decode("latin-1").split("?", 1)[0][len(PREFIX):].split("/")
        if len(parts) == 3 and parts[0] == "invocation" and parts[2] == "response":
            self.streaming = parts[1]
            self.sink = self.host.stream_begin(parts[1], self.headers.get("content-type"))

    def on_body(self, body: bytes) -> None:
        if self.sink is not None:
            self.sink.write(body)
        else:
            self.body.append(body)

    def on_message_complete(self) -> None:
        self.method = self.parser.get_method()
        path = self.url.decode("latin-1").split("?", 1)[0]
        if self.streaming is not None:
            self._streamed(self.streaming, b"".join(self.body))
            self.streaming = self.sink = None
            return
        self._route(self.method, path, b"".join(self.body))

    # -- routes ------------------------------------------------------------------------

    def _route(self, method: bytes, path: str, body: bytes) -> None:
        if not path.startswith(PREFIX):
            self._send(_error(404, "InvalidRequest", f"no such route: {path}"))
            return
        rest = path[len(PREFIX):]
        if rest == "invocation/next" and method == b"GET":
            self.pending = asyncio.get_running_loop().create_task(self._next())
            return
        if method != b"POST":
            self._send(_error(404, "InvalidRequest", f"no such route: {path}"))
            return
        error_type = self.headers.get("lambda-runtime-function-error-type")
        if rest == "init/error":
            self.host.init_error(body, error_type)
            self._send(_ACCEPTED)
            return
        parts = rest.split("/")
        if len(parts) == 3 and parts[0] == "invocation":
            if parts[2] == "response":
                ok = self.host.invocation_response(parts[1], body)
            elif parts[2] == "error":
                ok = self.host.invocation_error(parts[1], body, error_type)
            else:
                ok = None
            if ok is None:
                self._send(_error(404, "InvalidRequest", f"no such route: {path}"))
            elif ok:
                self._send(_ACCEPTED)
            else:
                self._send(_error(400, "InvalidRequestID", "Invalid request ID"))
            return
        self._send(_error(404, "InvalidRequest", f"no such route: {path}"))

    def _streamed(self, request_id: str, body: bytes) -> None:
        """The end of a streamed response: the trailers say whether it failed."""
        error_type = self.headers.get("lambda-runtime-function-error-type")
        if error_type:
            try:
                detail = base64.b64decode(self.headers.get("lambda-runtime-function-error-body", ""))
            except (binascii.Error, ValueError):
                detail = b""
            ok = self.host.invocation_error(request_id, detail, error_type)
        else:
            ok = self.host.invocation_response(request_id, body)
        self._send(_ACCEPTED if ok else _error(400, "InvalidRequestID", "Invalid request ID"))

    async def _next(self) -> None:
        try:
            headers, body = await self.host.next_event()
        except asyncio.CancelledError:
            return
        finally:
            self.pending = None
        self._send(_response(200, body, headers))

    def _send(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)


async def serve(host: Host) -> asyncio.AbstractServer:
    """A listener for one environment, on an ephemeral loopback port."""
    loop = asyncio.get_running_loop()
    return await loop.create_server(lambda: RuntimeApiConnection(host), "127.0.0.1", 0)
