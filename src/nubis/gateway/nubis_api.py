"""nubis's own endpoints under ``/_nubis/`` (and LocalStack's health path).

- ``GET /_nubis/ping``: the cheapest answer nubis gives (the raw floor).
- ``GET /_nubis/health``: version, uptime, and each service's state.
- ``POST /_nubis/reset``: wipe all state, or ``{"service": "sqs"}`` one service's.
- ``GET /_nubis/clock``: the controllable clock; ``POST`` ``{"advance_seconds": N}``
  moves it forward and fires every timer that fell due, in order;
  ``{"freeze": true}`` stops it between advances (``false`` runs it again).
- ``GET /_localstack/health``: the shape local-AWS tooling reads.
- ``/_nubis/<service>/...``: a service's own endpoints (inboxes, the SNS
  signing certificate), answered by its provider's ``nubis_api`` method.
"""
from __future__ import annotations

import json
from urllib.parse import parse_qsl, unquote
from typing import TYPE_CHECKING

from ..protocol.errors import ServiceError
from ..protocol.wire import HttpResponse

if TYPE_CHECKING:
    from .app import Gateway

_JSON = [("Content-Type", "application/json")]
_PONG = HttpResponse(200, [("Content-Type", "text/plain")], b"pong")


def _json(doc, status: int = 200) -> HttpResponse:
    return HttpResponse(status, list(_JSON), json.dumps(doc).encode("utf-8"))


class NubisApi:
    def __init__(self, gateway: "Gateway"):
        self.gateway = gateway

    async def handle(self, request, receive) -> HttpResponse:
        path, method = unquote(request.path).rstrip("/"), request.method
        if path == "/_nubis/ping":
            return _PONG
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        try:
            doc = json.loads(body) if body.strip() else {}
        except ValueError:
            return _json({"error": "the body is not JSON"}, 400)
        runtime = self.gateway.runtime
        try:
            if path == "/_nubis/health" and method in ("GET", "HEAD"):
                return _json(runtime.health())
            if path == "/_nubis/reset" and method == "POST":
                query = dict(parse_qsl(request.query_string))
                service = doc.get("service") or query.get("service")
                return _json({"reset": runtime.reset(service)})
            if path == "/_nubis/clock":
                if method == "POST":
                    if "freeze" in doc:
                        if not isinstance(doc["freeze"], bool):
                            return _json({"error": "freeze must be true or false"}, 400)
                        runtime.clock.freeze(doc["freeze"])
                    seconds = doc.get("advance_seconds", 0 if "freeze" in doc else None)
                    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or seconds < 0:
                        return _json({"error": "advance_seconds must be a number >= 0"}, 400)
                    await runtime.scheduler.advance(float(seconds))
                    runtime.scheduler.clock_changed()
                elif method != "GET":
                    return _json({"error": "method not allowed"}, 405)
                return _json(self._clock())
            if path == "/_localstack/health":
                return _json(self._localstack_health())
            service, _, rest = path[len("/_nubis/"):].partition("/")
            provider = runtime.provider(service) if path.startswith("/_nubis/") else None
            if provider is not None and hasattr(provider, "nubis_api"):
                query = dict(parse_qsl(request.query_string))
                answer = provider.nubis_api(method, rest, query, doc)
                if hasattr(answer, "__await__"):
                    answer = await answer
                if isinstance(answer, HttpResponse):
                    return answer
                if answer is not None:
                    return _json(answer)
        except ServiceError as e:
            return _json({"error": e.message}, e.status)
        return _json({"error": f"no such endpoint: {method} {request.path}"}, 404)

    def _clock(self) -> dict:
        clock = self.gateway.runtime.clock
        return {"now": clock.now(), "iso": clock.datetime().isoformat().replace("+00:00", "Z"),
                "offset_seconds": clock.offset, "frozen": clock.frozen_at is not None}

    def _localstack_health(self) -> dict:
        from .. import __version__

        runtime = self.gateway.runtime
        services = {name: ("running" if name in runtime.providers else "available") for name in runtime.catalogue}
        return {"services": services, "edition": "community", "version": __version__}
