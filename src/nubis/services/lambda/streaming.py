"""Response streaming: InvokeWithResponseStream, and the run behind a
RESPONSE_STREAM function URL.

A runtime that streams (Node's ``awslambda.streamifyResponse``) posts its
response with ``Lambda-Runtime-Function-Response-Mode: streaming`` and chunked
transfer; ``runtime_api.py`` hands each chunk to the invocation's sink as it
arrives. A function that does not stream (every Python handler) answers once,
and its whole response is the one chunk.
"""
from __future__ import annotations

import asyncio
import base64
import json

from ..base import RequestContext
from . import validation as v

DEFAULT_CONTENT_TYPE = "application/octet-stream"


class StreamedRun:
    """One invocation whose response is read as it comes (the sink the
    environment writes to): ``await start()``, then ``chunks()``, then ``result()``."""

    def __init__(self, provider, fn, version: str, cfg: dict, blob: str, payload: bytes, arn: str,
                 tail: bool = False, client_context: str | None = None):
        loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue[bytes] = asyncio.Queue()
        self.streamed = False
        self.content_type: str | None = None
        self._begun = loop.create_future()
        self.task = loop.create_task(provider.run(fn, version, cfg, blob, payload, arn, client_context, tail=tail,
                                                  sink=self))

    # -- the sink (called by the environment) ---------------------------------------------

    def begin(self, content_type: str | None) -> None:
        self.streamed = True
        self.content_type = content_type
        if not self._begun.done():
            self._begun.set_result(None)

    def write(self, data: bytes) -> None:
        if data:
            self.queue.put_nowait(data)

    # -- the reader --------------------------------------------------------------------------

    async def start(self) -> None:
        """Until the function begins to stream or is done; an error refusing the
        invocation (throttling) is raised here, before any response is sent."""
        await asyncio.wait({self._begun, self.task}, return_when=asyncio.FIRST_COMPLETED)
        if self.task.done() and self.task.exception() is not None:
            raise self.task.exception()

    async def chunks(self):
        """The streamed chunks as they arrive (none for a function that did not stream)."""
        while True:
            if not self.queue.empty():
                yield self.queue.get_nowait()
                continue
            if self.task.done():
                return
            get = asyncio.ensure_future(self.queue.get())
            await asyncio.wait({get, self.task}, return_when=asyncio.FIRST_COMPLETED)
            if get.done():
                yield get.result()
            else:
                get.cancel()

    async def result(self):
        return await self.task

    def cancel(self) -> None:
        if not self.task.done():
            self.task.cancel()


def error_fields(payload: bytes, error_type: str) -> tuple[str, str]:
    """(ErrorCode, ErrorDetails) of a function error's document."""
    try:
        doc = json.loads(payload)
    except ValueError:
        doc = None
    if not isinstance(doc, dict):
        return error_type, payload.decode("utf-8", "replace")
    return str(doc.get("errorType") or error_type), str(doc.get("errorMessage") or "")


class StreamingMixin:
    async def invoke_with_response_stream(self, ctx: RequestContext, params: dict) -> dict:
        from .provider import MAX_PAYLOAD, _json_payload

        fn, qualifier = self.function(ctx, params["FunctionName"], params.get("Qualifier"))
        kind = params.get("InvocationType") or "RequestResponse"
        if kind not in ("RequestResponse", "DryRun"):
            raise v.validation("invocationType", kind, "satisfy enum value set: [RequestResponse, DryRun]")
        payload = await _json_payload(params.get("Payload"), MAX_PAYLOAD)
        version, cfg, blob = self.resolve(ctx, fn, qualifier, route=True)
        if kind == "DryRun":
            return {"StatusCode": 204}
        context = params.get("ClientContext")
        if context:
            try:
                context = base64.b64decode(context).decode("utf-8")
            except (ValueError, UnicodeDecodeError):
                raise v.invalid("Client context must be a valid Base64-encoded JSON object.") from None
        arn = fn.arn + (f":{qualifier}" if qualifier else "")
        tail = params.get("LogType") == "Tail"
        run = StreamedRun(self, fn, version, cfg, blob, payload, arn, tail, context or None)
        await run.start()
        return {"StatusCode": 200, "ExecutedVersion": version,
                # A function that did not stream answered JSON, as Invoke's would be.
                "ResponseStreamContentType": (run.content_type or DEFAULT_CONTENT_TYPE) if run.streamed
                else "application/json",
                "EventStream": _events(run, tail)}


async def _events(run: StreamedRun, tail: bool):
    """PayloadChunk events as the function streams, then InvokeComplete."""
    try:
        async for chunk in run.chunks():
            yield {"PayloadChunk": {"Payload": chunk}}
        result = await run.result()
    except asyncio.CancelledError:
        run.cancel()
        raise
    complete: dict = {}
    if result.error_type:
        complete["ErrorCode"], complete["ErrorDetails"] = error_fields(result.payload, result.error_type)
    elif not run.streamed and result.payload:
        yield {"PayloadChunk": {"Payload": result.payload}}
    if tail:
        complete["LogResult"] = result.log_tail
    yield {"InvokeComplete": complete}
