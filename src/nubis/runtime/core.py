"""The runtime: state, clock, scheduler, providers and the internal client,
held together for one server."""
from __future__ import annotations

import importlib
import inspect
import logging
import os
import shutil
import tempfile
import time

from .. import services as _services
from ..config import Config
from ..protocol.errors import ServiceError, not_implemented
from ..protocol.wire import uuid4_text
from ..services.base import Provider, RequestContext
from ..state.blobs import BlobStore
from ..state.db import Database
from . import schema
from .clock import Clock
from .scheduler import Scheduler

log = logging.getLogger("nubis")


class InternalClient:
    """One service calling another's operations in-process, as a principal.

    Never over HTTP to ourselves and never by touching the other's tables:
    the call goes through the target provider's operation, with its
    validation, exactly as a request from outside would.
    """

    def __init__(self, runtime: "Runtime"):
        self.runtime = runtime

    async def call(self, service: str, operation: str, params: dict | None = None, *,
                   account: str, region: str, principal: str) -> dict:
        ctx = RequestContext(service=service, operation=operation, account=account, region=region,
                             request_id=uuid4_text(), principal=principal, internal=True)
        return await self.runtime.invoke(ctx, params or {})


class Runtime:
    def __init__(self, config: Config):
        self.config = config
        self.started_at = time.time()
        if config.ephemeral:
            self._tmp = tempfile.mkdtemp(prefix="nubis-")
            self.data_dir = self._tmp
        else:
            self._tmp = None
            self.data_dir = os.path.abspath(os.path.expanduser(config.data_dir))
        os.makedirs(self.data_dir, exist_ok=True)
        self.db = Database(os.path.join(self.data_dir, "nubis.db"), sync=config.sync)
        self.blobs = BlobStore(os.path.join(self.data_dir, "blobs"))
        self.db.migrate(schema.SERVICE, schema.MIGRATIONS)
        self.clock = Clock(self.db)
        self.scheduler = Scheduler(self.db, self.clock, start_service=self.provider)
        self.internal = InternalClient(self)
        self.catalogue = dict(_services.PROVIDERS)
        self.catalogue.update(_services.parse_extra(config.providers))
        self.providers: dict[str, Provider] = {}

    # -- providers --------------------------------------------------------------------

    def provider(self, service: str) -> Provider | None:
        """The started provider of ``service`` (started on first use), or None."""
        p = self.providers.get(service)
        if p is not None:
            return p
        target = self.catalogue.get(service)
        if target is None:
            return None
        module, _, cls = target.partition(":")
        provider_cls = getattr(importlib.import_module(module), cls)
        p = provider_cls(self)
        if provider_cls.migrations:
            self.db.migrate(service, provider_cls.migrations)
        p.start()
        self.providers[service] = p
        log.debug("started %s", service)
        return p

    async def invoke(self, ctx: RequestContext, params: dict) -> dict:
        provider = self.provider(ctx.service)
        fn = provider.handler(ctx.operation) if provider is not None else None
        if fn is None:
            raise not_implemented(ctx.service, ctx.operation)
        result = fn(ctx, params)
        if result.__class__ is dict:
            return result
        if inspect.isawaitable(result):
            result = await result
        return result or {}

    # -- lifecycle ----------------------------------------------------------------------

    async def start(self) -> None:
        import asyncio

        from ..protocol import models

        self.db.group_commit(asyncio.get_running_loop())
        self.db.start_checkpointer()
        self.scheduler.start()
        # Warm the routing index and botocore's model classes off the request
        # path, so the first AWS request does not pay for them.
        asyncio.get_running_loop().run_in_executor(None, _warm, models)
        # Bodies a crash cut off mid-write are removed, off the request path.
        asyncio.get_running_loop().run_in_executor(None, self.blobs.sweep_partial, self.started_at)

    async def stop(self) -> None:
        await self.scheduler.stop()
        self.db.group_commit(None)
        for p in list(self.providers.values()):
            try:
                await p.stop()
            except Exception:
                log.exception("stopping %s", p.service)
        self.db.close()
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)

    def reset(self, service: str | None = None) -> list[str]:
        """Wipe all state (and the clock), or one service's; return what was reset."""
        if service is not None and service not in self.catalogue:
            raise ServiceError("UnknownService", f"nubis has no service {service!r}", status=404)
        self.db.wipe(service)
        self.scheduler.wipe(service)
        if service is None:
            self.db.wipe(schema.SERVICE)
            self.clock.reset()
        for name, p in self.providers.items():
            if service is None or name == service:
                p.reset()
        return [service] if service else sorted(self.providers)

    def health(self) -> dict:
        from .. import __version__
        from ..protocol import models

        services = {}
        # Every other service botocore knows, once the routing index is loaded
        # (health never waits for it).
        if models.service_index.cache_info().currsize:
            services = {name: "not implemented" for name in models.service_index()}
        for name in self.catalogue:
            services[name] = "started" if name in self.providers else "available"
        return {"version": __version__, "uptime": round(time.time() - self.started_at, 3),
                "data_dir": None if self.config.ephemeral else self.data_dir,
                "ephemeral": self.config.ephemeral, "services": services}


def _warm(models) -> None:
    try:
        models.service_index()
        import botocore.model  # noqa: F401
    except Exception:
        log.exception("warming the model index")
