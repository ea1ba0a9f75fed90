"""Function logs, written to CloudWatch Logs through the internal client.

Writing happens off the invoke path: an invocation's lines are queued and one
task sends them, in order, creating the group and stream on first use. While
nubis has no Logs service (or it refuses), lines are dropped with one warning:
a function's run never fails for its logs.
"""
from __future__ import annotations

import asyncio
import logging

from ...protocol.errors import ServiceError

log = logging.getLogger("nubis.lambda")
PRINCIPAL = "lambda.amazonaws.com"


class LogWriter:
    def __init__(self, internal):
        self.internal = internal
        self.queue: asyncio.Queue | None = None
        self.task: asyncio.Task | None = None
        self.known: set[tuple] = set()
        self.warned = False

    def write(self, account: str, region: str, group: str, stream: str, events: list[tuple[int, str]]) -> None:
        """Queue events [(epoch ms, message)] for a stream."""
        if not events:
            return
        if self.queue is None:
            self.queue = asyncio.Queue()
            self.task = asyncio.get_running_loop().create_task(self._run(), name="nubis-lambda-logs")
        self.queue.put_nowait((account, region, group, stream, events))

    def forget(self) -> None:
        self.known.clear()

    async def _run(self) -> None:
        while True:
            batch = self._batch(await self.queue.get())
            try:
                for key, events in batch.items():
                    await self._send(*key, events)
            except asyncio.CancelledError:
                raise
            except ServiceError as e:
                if not self.warned:
                    log.warning("function logs not written (%s: %s)", e.code, e.message)
                    self.warned = True
            except Exception:
                log.exception("writing function logs")

    def _batch(self, first) -> dict:
        """The first item and everything queued behind it, one entry per stream
        (one PutLogEvents for many invocations under load)."""
        batch: dict[tuple, list] = {}
        item = first
        while True:
            batch.setdefault(item[:4], []).extend(item[4])
            if self.queue.empty() or sum(len(e) for e in batch.values()) > 5000:
                return batch
            item = self.queue.get_nowait()

    async def _send(self, account: str, region: str, group: str, stream: str, events) -> None:
        call = self.internal.call
        where = dict(account=account, region=region, principal=PRINCIPAL)
        if (account, region, group) not in self.known:
            try:
                await call("logs", "CreateLogGroup", {"logGroupName": group}, **where)
            except ServiceError as e:
                if e.code != "ResourceAlreadyExistsException":
                    raise
            self.known.add((account, region, group))
        if (account, region, group, stream) not in self.known:
            try:
                await call("logs", "CreateLogStream", {"logGroupName": group, "logStreamName": stream}, **where)
            except ServiceError as e:
                if e.code != "ResourceAlreadyExistsException":
                    raise
            self.known.add((account, region, group, stream))
        await call("logs", "PutLogEvents", {"logGroupName": group, "logStreamName": stream,
                                            "logEvents": [{"timestamp": t, "message": m} for t, m in events]}, **where)

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
