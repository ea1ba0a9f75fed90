"""Function logs, written to CloudWatch Logs through the internal client.

Writing happens off the invoke path: an invocation's lines are queued and one
task sends them, in order, creating the group and stream on first use. While
nubis has no Logs service (or it refuses), lines are dropped with one warning:
a function's run never fails for its logs.
"""
from __future__ import annotations

import asyncio
import datetime as _dt
import json
import logging
import math

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


# -- what one invocation writes -------------------------------------------------------------------

_LEVELS = {"TRACE": 0, "DEBUG": 1, "INFO": 2, "WARN": 3, "ERROR": 4, "FATAL": 5}


def _iso(ms: int) -> str:
    return _dt.datetime.fromtimestamp(ms / 1000, _dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def invocation_log(logging_config: dict, request_id: str, version: str, begun_ms: int, now_ms: int,
                   lines: list[tuple[int, str]], duration: float, memory: int, max_used: int,
                   init_ms: float | None, failed: bool) -> list[tuple[int, str]]:
    """The platform's lines around an invocation's own: START, END and REPORT as
    text, or platform.start, platform.runtimeDone and platform.report records
    when the function's LogFormat is JSON (dropped below its SystemLogLevel)."""
    billed = max(1, math.ceil(duration))
    if (logging_config or {}).get("LogFormat") != "JSON":
        report = (f"REPORT RequestId: {request_id}\tDuration: {duration:.2f} ms\tBilled Duration: {billed} ms\t"
                  f"Memory Size: {memory} MB\tMax Memory Used: {max_used} MB\t")
        if init_ms is not None:
            report += f"Init Duration: {init_ms:.2f} ms\t"
        return ([(begun_ms, f"START RequestId: {request_id} Version: {version}")] + lines
                + [(now_ms, f"END RequestId: {request_id}"), (now_ms, report)])
    if _LEVELS.get(logging_config.get("SystemLogLevel") or "INFO", 2) > _LEVELS["INFO"]:
        return list(lines)
    status = "error" if failed else "success"
    metrics = {"durationMs": round(duration, 3), "billedDurationMs": billed, "memorySizeMB": memory,
               "maxMemoryUsedMB": max_used}
    if init_ms is not None:
        metrics["initDurationMs"] = round(init_ms, 3)

    def record(ms: int, kind: str, body: dict) -> tuple[int, str]:
        return ms, json.dumps({"time": _iso(ms), "type": kind, "record": body})

    return ([record(begun_ms, "platform.start", {"requestId": request_id, "version": version})] + lines
            + [record(now_ms, "platform.runtimeDone", {"requestId": request_id, "status": status,
                                                       "metrics": {"durationMs": round(duration, 3)}}),
               record(now_ms, "platform.report", {"requestId": request_id, "metrics": metrics, "status": status})])
