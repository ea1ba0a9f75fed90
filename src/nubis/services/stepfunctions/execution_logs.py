"""Execution history to CloudWatch Logs, as a machine's ``loggingConfiguration`` asks:
ALL events, ERROR (the events of errors), or FATAL (an execution's failure), with
or without the execution data, into a log stream per execution of the
destination log group. The records are written when the execution ends."""
from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .executor import Run
    from .provider import StepFunctionsProvider

log = logging.getLogger("nubis.stepfunctions")

_FATAL = {"ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut"}
_DATA = ("input", "output", "parameters")


class ExecutionLog:
    def __init__(self, config: dict):
        self.level = config.get("level", "OFF")
        self.include_data = bool(config.get("includeExecutionData"))
        self.groups = [d["cloudWatchLogsLogGroup"]["logGroupArn"] for d in config.get("destinations") or []
                       if (d.get("cloudWatchLogsLogGroup") or {}).get("logGroupArn")]
        self.records: list[dict] = []

    @classmethod
    def of(cls, config: dict | None) -> "ExecutionLog | None":
        """The log of an execution, or None when the machine logs nothing."""
        if not config or config.get("level", "OFF") == "OFF" or not config.get("destinations"):
            return None
        return cls(config)

    def add(self, run: "Run", event: dict) -> None:
        kind = event["type"]
        if self.level == "FATAL" and kind not in _FATAL:
            return
        if self.level == "ERROR" and not (kind in _FATAL or kind.endswith(("Failed", "TimedOut", "Aborted"))):
            return
        details = next((v for k, v in event.items() if k.endswith("EventDetails")), {})
        if not self.include_data:
            details = {k: v for k, v in details.items() if k not in _DATA and k[:-7] not in _DATA}
        self.records.append({
            "id": str(event["id"]), "type": kind, "details": details,
            "previous_event_id": str(event["previousEventId"]),
            "event_timestamp": str(int(event["timestamp"] * 1000)), "execution_arn": run.arn,
            "redrive_count": str(run.doc.get("redriveCount", 0))})


async def flush(p: "StepFunctionsProvider", run: "Run") -> None:
    book = run.log
    if book is None or not book.records:
        return
    records, book.records = book.records, []
    machine = run.doc["stateMachineArn"].split(":")[6]
    minute = datetime.fromtimestamp(run.doc["startDate"], timezone.utc).strftime("%Y-%m-%d-%H-%M")
    stream = f"states/{machine}/{minute}/{run.arn.rsplit(':', 1)[1]}"
    events = [{"timestamp": int(r["event_timestamp"]), "message": json.dumps(r, separators=(",", ":"))}
              for r in records]
    for arn in book.groups:
        parts = arn.split(":")
        if len(parts) < 7:
            continue
        where = {"account": parts[4], "region": parts[3], "principal": "delivery.logs.amazonaws.com"}
        try:
            try:
                await p.internal.call("logs", "CreateLogStream", {"logGroupName": parts[6], "logStreamName": stream},
                                      **where)
            except Exception:
                pass  # already there (a redriven execution)
            await p.internal.call("logs", "PutLogEvents", {"logGroupName": parts[6], "logStreamName": stream,
                                                           "logEvents": events}, **where)
        except Exception:
            log.debug("execution log of %s not delivered to %s", run.arn, arn, exc_info=True)
