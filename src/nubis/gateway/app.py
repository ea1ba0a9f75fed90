"""The gateway: one app in front of every service.

``respond(request, receive)`` answers an ``HttpRequest`` with an ``HttpResponse``;
nubis's HTTP/1.1 protocol calls it directly, and the ASGI face (``__call__``)
serves HTTP/2 streams and the lifespan.

A request goes: route (service, operation) -> read the body (or hand the
provider a stream, for streaming operations) -> parse with the service's
protocol -> provider -> serialize. Any failure becomes an AWS error in the
request's protocol; never a traceback.
"""
from __future__ import annotations

import logging
from typing import AsyncIterator

from ..auth.credentials import account_for
from ..auth.enforce import enforce
from ..auth.presigned import check_expiry, hoist_query_headers
from ..config import Config
from ..protocol import models, protocol_for
from ..protocol.errors import ServiceError, internal_error, missing_member
from ..protocol.json import dumps
from ..protocol.wire import Headers, HttpRequest, HttpResponse, uuid4_text
from ..protocol.xml import escape
from ..services.base import RequestContext
from .nubis_api import NubisApi
from .router import Route, Router

log = logging.getLogger("nubis.gateway")

MAX_BODY_IN_MEMORY = 512 * 1024 * 1024  # a non-streaming operation's body limit
# The service whose provider serves each data-plane kind (see ``_provider_data_plane``).
DATA_PLANE_SERVICES = {"s3-website": "s3", "s3-preflight": "s3", "s3-post": "s3", "execute-api": "apigateway",
                       "cloudfront": "cloudfront", "lambda-url": "lambda"}


class Gateway:
    def __init__(self, config: Config):
        self.config = config
        self.router = Router(config.hostname)
        self.runtime = None
        self.api = NubisApi(self)
        # Data planes by host kind ("execute-api", "lambda-url", ...), added by
        # the services that serve them: async fn(request, route) -> HttpResponse.
        self.data_planes: dict = {}
        # (service, protocol, operation) -> (protocol, service model, operation model)
        self._prepared: dict[tuple, tuple] = {}

    async def __call__(self, scope, receive, send):
        kind = scope["type"]
        if kind == "http":
            await self.http(scope, receive, send)
        elif kind == "lifespan":
            await self.lifespan(receive, send)
        elif kind == "websocket":
            await send({"type": "websocket.close", "code": 1003})

    # -- lifespan -------------------------------------------------------------------------

    async def lifespan(self, receive, send):
        from ..runtime.core import Runtime

        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    self.runtime = Runtime(self.config)
                    await self.runtime.start()
                except Exception as e:
                    log.exception("startup failed")
                    await send({"type": "lifespan.startup.failed", "message": str(e)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.runtime is not None:
                    await self.runtime.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return

    # -- requests ---------------------------------------------------------------------------

    async def http(self, scope, receive, send):
        """An ASGI request (HTTP/2 streams come this way; HTTP/1.1 calls ``respond``)."""
        raw_path = scope.get("raw_path")
        raw_path = raw_path.decode("latin-1").split("?", 1)[0] if raw_path else scope["path"]
        headers = Headers.from_asgi(scope["headers"])
        request = HttpRequest(scope["method"], raw_path, scope["query_string"].decode("latin-1"), headers)
        request.host = headers.get("host", "")
        request.client = scope.get("client")  # aws:SourceIp of policies (auth/enforce.py)
        response = await self.respond(request, receive)
        await _send(send, response, request.method == "HEAD")

    async def respond(self, request: HttpRequest, receive) -> HttpResponse:
        """The answer to one request, committed (nothing is acknowledged before it
        is durable: see state/db.py). ``receive`` gives the body in ASGI's message
        shapes, and once it is all read, tells when the client has left."""
        request.receive = receive  # an event-stream answer awaits it to learn that its client has left
        path = request.path
        if path.startswith("/_nubis/") or path.startswith("/_localstack/"):
            response = await self.api.handle(request, receive)
        else:
            response = await self.dispatch(request, receive)
        await self.runtime.db.durable()
        return response

    async def dispatch(self, request: HttpRequest, receive) -> HttpResponse:
        request_id = uuid4_text()
        model = operation = protocol = route = params = None
        try:
            route = self.router.route(request)
            if route.data_plane:
                return await self._data_plane(request, route, receive)
            if route.operation is None:  # query / ec2: the Action is in the form
                request.body = await _read_body(receive)
                self.router.resolve_query(request, route)
            key = (route.service, route.protocol, route.operation)
            prepared = self._prepared.get(key)
            if prepared is None:
                prepared = self._prepared[key] = _prepare(route)
            protocol, model, operation = prepared
            if "Expires=" in request.query_string:  # a presigned URL: is its time up?
                check_expiry(dict(request.query), self.runtime.clock.now())
                hoist_query_headers(request)
            if route.protocol not in ("query", "ec2"):
                if operation.has_streaming_input:
                    request.stream = _body_stream(receive)
                else:
                    request.body = await _read_body(receive)
            params = protocol.parse(request, operation, route.uri_params)
            region = route.region or route.host.region or self.config.default_region
            # (service, operation, account, region, request id) positional: every request builds
            # one, and keywords cost twice as much in a dataclass's __init__.
            account = account_for(route.access_key, self.config.default_account)
            ctx = RequestContext(route.service, route.operation, account, region, request_id,
                                 access_key=route.access_key, request=request, protocol=route.protocol)
            if self.config.enforce_iam:  # SigV4 and policies (auth/enforce.py)
                enforce(self, ctx, params, route)
                check = getattr(request, "before_provider", None)  # a streamed body the signature covers
                if check is not None:
                    await check()
            result = await self.runtime.invoke(ctx, params)
            response = protocol.serialize(operation, result, request_id)
            if ctx.extra_headers:
                response.headers.extend(ctx.extra_headers)
            if ctx.status:
                response.status = ctx.status
            if "origin" in request.headers:  # a browser's cross-origin request
                self._cors(route, request, response)
            return response
        except ServiceError as error:
            response = self._error(request, error, request_id, model, operation, protocol)
            if route is not None and "origin" in request.headers:
                self._cors(route, request, response)
            return response
        except Exception:
            # A provider that failed on input lacking a required member: the client gets the
            # validation error AWS gives for that, not an internal error.
            missing = missing_member(route.service, route.protocol, operation, params) \
                if operation is not None and params is not None else None
            if missing is not None:
                return self._error(request, missing, request_id, model, operation, protocol)
            log.exception("internal error in %s %s", request.method, request.path)
            return self._error(request, internal_error(), request_id, model, operation, protocol)

    async def _data_plane(self, request: HttpRequest, route: Route, receive) -> HttpResponse:
        handler = self.data_planes.get(route.data_plane)
        if handler is None:
            handler = self._provider_data_plane(route.data_plane)
        if handler is None:
            raise ServiceError("NotImplemented", f"nubis does not serve {route.data_plane} yet.", status=501,
                               sender_fault=False)
        if getattr(handler, "streams_body", False):  # e.g. a form upload's file
            request.stream = _body_stream(receive)
        else:
            request.body = await _read_body(receive)
        return await handler(request, route)

    def _provider_data_plane(self, kind: str):
        """The handler the serving service's provider gives for ``kind`` (its
        ``data_plane(kind)``), kept in ``data_planes``; the provider starts on first use."""
        provider = self.runtime.provider(DATA_PLANE_SERVICES.get(kind, ""))
        handler = provider.data_plane(kind) if hasattr(provider, "data_plane") else None
        if handler is not None:
            self.data_planes[kind] = handler
        return handler

    def _cors(self, route: Route, request: HttpRequest, response: HttpResponse) -> None:
        """The CORS headers of the service's answer, when the service answers CORS."""
        hook = getattr(self.runtime.providers.get(route.service), "cors_headers", None)
        if hook is not None:
            response.headers.extend(hook(request, route))

    def _error(self, request, error, request_id, model, operation, protocol) -> HttpResponse:
        try:
            if protocol is not None:
                return protocol.serialize_error(model, operation, error, request_id)
        except Exception:
            log.exception("serializing an error")
        return generic_error(request, error, request_id)


def _prepare(route: Route) -> tuple:
    """What a request for one operation needs, found once per operation."""
    protocol = protocol_for(route.protocol)
    model = models.load_service(route.service, route.protocol)
    try:
        operation = model.operation_model(route.operation)
    except Exception:
        raise ServiceError("InvalidAction" if route.protocol in ("query", "ec2") else "UnknownOperationException",
                           f"Operation {route.operation} is not supported by {route.service}.",
                           status=400) from None
    return protocol, model, operation


def generic_error(request: HttpRequest, error: ServiceError, request_id: str) -> HttpResponse:
    """An error for a request whose service (so protocol) is unknown, in the
    form its client most likely reads: JSON for JSON requests, else XML."""
    headers = request.headers
    if headers.get("x-amz-target") or "json" in headers.get("content-type", ""):
        body = dumps({"__type": error.code, "message": error.message})
        return HttpResponse(error.status, [("Content-Type", "application/x-amz-json-1.1"),
                                           ("x-amzn-RequestId", request_id), ("x-amzn-ErrorType", error.code)], body)
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse><Error><Type>Sender</Type>'
            f"<Code>{escape(error.code)}</Code><Message>{escape(error.message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>")
    return HttpResponse(error.status, [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)],
                        body.encode("utf-8"))


async def _read_body(receive) -> bytes:
    message = await receive()
    body = message.get("body", b"")
    if not message.get("more_body", False):
        return body
    chunks = [body]
    size = len(body)
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ServiceError("IncompleteBody", "The request body ended early.", status=400)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_IN_MEMORY:
            raise ServiceError("RequestEntityTooLarge", "Request body too large.", status=413)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _body_stream(receive) -> AsyncIterator[bytes]:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ServiceError("IncompleteBody", "The request body ended early.", status=400)
        chunk = message.get("body", b"")
        if chunk:
            yield chunk
        if not message.get("more_body", False):
            return


async def _send(send, response: HttpResponse, head: bool = False) -> None:
    try:
        await _send_response(send, response, head)
    except (ConnectionError, RuntimeError) as e:
        # The client went away while its request was answered (uvloop raises
        # RuntimeError on a closed transport): nothing is left to tell it.
        log.debug("client gone before the response: %s", e)


async def _send_response(send, response: HttpResponse, head: bool = False) -> None:
    if response.status in (204, 304):
        head = True  # these never carry a body (RFC 9110)
    headers = [(k.encode("latin-1"), str(v).encode("utf-8")) for k, v in response.headers]
    if response.stream is None and not head and response.header("content-length") is None:
        # A whole body goes out with its length, as AWS sends it (no chunking).
        headers.append((b"content-length", str(len(response.body)).encode()))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    if response.stream is None or head:
        await send({"type": "http.response.body", "body": b"" if head else response.body})
        return
    async for chunk in response.stream:
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b""})
