"""What every service provider is: one class, one method per operation."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from ..protocol.wire import HttpRequest
    from ..runtime.core import Runtime


@dataclass(slots=True)
class RequestContext:
    """Who is calling what, where: what a provider knows about a request."""

    service: str
    operation: str
    account: str
    region: str
    request_id: str
    # The caller: an IAM ARN, or a service principal ("sns.amazonaws.com")
    # for calls made through the internal client.
    principal: str = ""
    access_key: str | None = None
    request: "HttpRequest | None" = None
    protocol: str | None = None
    internal: bool = False
    # Response headers a provider adds beyond the modeled ones.
    extra_headers: list[tuple[str, str]] = field(default_factory=list)
    # The HTTP status of a successful answer, where an operation has more
    # than its model's one (S3's 206 for a range).
    status: int | None = None


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def snake_case(operation: str) -> str:
    """``SendMessage`` -> ``send_message``, ``GetQueueURL`` -> ``get_queue_url``."""
    return _CAMEL.sub("_", operation).lower()


class Provider:
    """Base of a service. Subclasses set ``service`` (botocore's name for it)
    and ``migrations``, and define one method per operation, named after it:
    ``def send_message(self, ctx, params) -> dict`` (or ``async def``)."""

    service: ClassVar[str] = ""
    migrations: ClassVar[list[str]] = []

    def __init__(self, runtime: "Runtime"):
        self.runtime = runtime
        self.db = runtime.db
        self.blobs = runtime.blobs
        self.clock = runtime.clock
        self.scheduler = runtime.scheduler
        self.internal = runtime.internal
        self.config = runtime.config
        self._handlers: dict[str, Any] = {}

    def start(self) -> None:
        """Called once, after the schema is migrated (register timer handlers here)."""

    async def stop(self) -> None:
        """Called on shutdown."""

    def reset(self) -> None:
        """Called after the service's tables were wiped (clear in-memory state)."""

    # A provider may define ``nubis_api(method, path, query, doc)`` to answer
    # ``/_nubis/<service>/<path>`` (inboxes, certificates): it returns a JSON-able
    # document, an ``HttpResponse``, or None for "no such endpoint".

    def handler(self, operation: str):
        """The method for ``operation``, or None when not implemented."""
        try:
            return self._handlers[operation]
        except KeyError:
            fn = getattr(self, snake_case(operation), None)
            self._handlers[operation] = fn if callable(fn) else None
            return self._handlers[operation]
