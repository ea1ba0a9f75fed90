"""HTTP/1.1: uvicorn's httptools protocol, with request bodies handed over as they came.

uvicorn gathers a request body into a bytearray and hands the app a copy of
it, pausing the socket whenever 64 KiB are waiting. For a large upload that
is two copies of every byte and a pause, a resume and a wake-up for almost
every read the loop makes. Here the body waiting to be received is the list
of the parser's pieces: one piece goes to the app as it is (several are
joined), and reading pauses only once ``BODY_BUFFER`` is waiting. A 1 GiB
S3 PUT took ~20% less time with this and the background flush of
``services/s3/objects.py`` together (bench/RESULTS.md).

Everything else (parsing, keep-alive, responses, 100-continue) is uvicorn's.
"""
from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

# A request body buffered before the connection stops reading (uvicorn: 64 KiB).
BODY_BUFFER = 1 << 20


class Http1Protocol(HttpToolsProtocol):
    """uvicorn's httptools protocol whose requests are ``_Cycle``s."""

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        cycle = self.cycle
        if type(cycle) is RequestResponseCycle:  # a new request (not an upgrade)
            cycle.__class__ = _Cycle
            cycle.body = []
            cycle.buffered = 0

    def on_body(self, body: bytes) -> None:
        # uvicorn's, with the body kept as the parser's pieces (see _Cycle).
        cycle = self.cycle
        if cycle.response_complete or (self.parser.should_upgrade() and self._should_upgrade()):
            return
        cycle.body.append(body)
        cycle.buffered += len(body)
        if cycle.buffered > BODY_BUFFER:
            self.flow.pause_reading()
        cycle.message_event.set()


class _Cycle(RequestResponseCycle):
    """uvicorn's request cycle, whose waiting body is a list of pieces (``Http1Protocol``
    gives each new cycle this class, before any of its body arrives)."""

    body: list
    buffered: int

    async def receive(self):
        if self.waiting_for_100_continue and not self.transport.is_closing():
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            self.waiting_for_100_continue = False
        if not self.disconnected and not self.response_complete:
            self.flow.resume_reading()
            await self.message_event.wait()
            self.message_event.clear()
        if self.disconnected or self.response_complete:
            return {"type": "http.disconnect"}
        pieces = self.body
        body = pieces[0] if len(pieces) == 1 else b"".join(pieces)
        self.body = []
        self.buffered = 0
        return {"type": "http.request", "body": body, "more_body": self.more_body}
