"""Export tasks: a log group's events written to an S3 bucket, as the user
guide's "Exporting log data to Amazon S3" describes.

CreateExportTask checks the bucket by writing ``<prefix>/aws-logs-write-test``
(as CloudWatch Logs does), then the task runs as a durable timer: each
stream's events in the range become ``<prefix>/<taskId>/<stream>/000000.gz``
(gzipped lines ``<ISO time> <message>``), through the internal client, so S3's
own rules and notifications apply. A mixin of ``LogsProvider``.
"""
from __future__ import annotations

import datetime as _dt
import gzip
import uuid

from ...protocol.errors import ServiceError
from . import validation as v

KIND = "logs:export"
PRINCIPAL = "logs.amazonaws.com"
OBJECT_BYTES = 16 * 1024 * 1024   # raw text per exported object (000000.gz, 000001.gz, ...)
READ_BATCH = 5000
ACTIVE = ("PENDING", "RUNNING")


def _iso(ms: int) -> str:
    t = _dt.datetime.fromtimestamp(ms / 1000, tz=_dt.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


class Exports:
    def start_exports(self) -> None:
        self.scheduler.on(KIND, self._run_export)

    async def _put(self, account: str, region: str, bucket: str, key: str, body: bytes) -> None:
        await self.internal.call("s3", "PutObject", {"Bucket": bucket, "Key": key, "Body": body},
                                 account=account, region=region, principal=PRINCIPAL)

    async def create_export_task(self, ctx, params: dict) -> dict:
        g = self._group(ctx, params)
        start, end = v.required(params, "from"), v.required(params, "to")
        if start < 0 or end < 0 or end < start:
            raise v.invalid("Specified time range of '" + str(start) + "' and '" + str(end) + "' is not valid. "
                            "Please make sure the values are within the retention period of the log group and "
                            "from value is less than the to value")
        bucket = v.required(params, "destination")
        prefix = (params.get("destinationPrefix") or "exportedlogs").strip("/")
        stream_prefix = params.get("logStreamNamePrefix")
        if stream_prefix is not None:
            v.check_name(stream_prefix, "logStreamNamePrefix", v.STREAM_NAME)
        if any(t["status"] in ACTIVE for t in self.store.export_tasks(ctx.account, ctx.region)):
            raise v.limit_exceeded("Resource limit exceeded.")
        try:
            await self._put(ctx.account, ctx.region, bucket, f"{prefix}/aws-logs-write-test",
                            b"Permission Check Successful")
        except ServiceError:
            raise v.invalid("GetBucketAcl call on the given bucket failed. Please check if CloudWatch Logs has "
                            "been granted permission to perform this operation.") from None
        task = {"id": str(uuid.uuid4()), "name": params.get("taskName"), "group_name": g.name,
                "stream_prefix": stream_prefix, "from_ms": start, "to_ms": end, "destination": bucket,
                "destination_prefix": prefix, "status": "PENDING", "message": "Pending", "created": self._now()}
        self.store.add_export_task(task, ctx.account, ctx.region)
        self.scheduler.at(self.clock.now(), KIND, {"id": task["id"]}, key=task["id"])
        return {"taskId": task["id"]}

    def describe_export_tasks(self, ctx, params: dict) -> dict:
        limit = v.limit(params, 50, 50)
        tasks = self.store.export_tasks(ctx.account, ctx.region)
        if params.get("taskId"):
            tasks = [t for t in tasks if t["id"] == params["taskId"]]
        if params.get("statusCode"):
            tasks = [t for t in tasks if t["status"] == params["statusCode"]]
        start = 0
        if params.get("nextToken"):
            start = int(params["nextToken"]) if str(params["nextToken"]).isdigit() else -1
            if start < 0:
                raise v.invalid("The specified nextToken is invalid.")
        out: dict = {"exportTasks": [_describe(t) for t in tasks[start:start + limit]]}
        if start + limit < len(tasks):
            out["nextToken"] = str(start + limit)
        return out

    def cancel_export_task(self, ctx, params: dict) -> dict:
        task = self.store.export_task(v.required(params, "taskId"))
        if task is None or (task["account"], task["region"]) != (ctx.account, ctx.region):
            raise v.not_found("export task")
        if task["status"] not in ACTIVE:
            raise ServiceError("InvalidOperationException", "The export task can not be cancelled.")
        self.scheduler.cancel(KIND, task["id"])
        self.store.set_export_status(task["id"], "CANCELLED", "Cancelled by user", self._now())
        return {}

    async def _run_export(self, payload: dict) -> None:
        task = self.store.export_task(payload["id"])
        if task is None or task["status"] not in ACTIVE:
            return
        self.store.set_export_status(task["id"], "RUNNING", "Started", None)
        account, region = task["account"], task["region"]
        g = self.store.group(account, region, task["group_name"])
        try:
            if g is None:
                raise ServiceError("ResourceNotFoundException", "The specified log group does not exist.")
            cutoff = self._cutoff(g, self._now())
            for _, name in self.store.stream_names(g, task["stream_prefix"]):
                s = self.store.stream(g, name)
                if s is not None:
                    await self._export_stream(task, s, max(task["from_ms"], cutoff), task["to_ms"])
        except ServiceError as e:
            self.store.set_export_status(task["id"], "FAILED", e.message, self._now())
            return
        self.store.set_export_status(task["id"], "COMPLETED", "Completed successfully", self._now())

    async def _export_stream(self, task: dict, s, lo: int, hi: int) -> None:
        part, lines, size, after = 0, [], 0, None
        while True:
            rows = self.store.stream_events(s, lo, hi + 1, after, None, READ_BATCH, descending=False)
            for event_id, ts, _, message in rows:
                line = f"{_iso(ts)} {message}\n".encode("utf-8")
                lines.append(line)
                size += len(line)
                after = (ts, event_id)
                if size >= OBJECT_BYTES:
                    await self._write_part(task, s.name, part, lines)
                    part, lines, size = part + 1, [], 0
            if len(rows) < READ_BATCH:
                break
        if lines:
            await self._write_part(task, s.name, part, lines)

    async def _write_part(self, task: dict, stream: str, part: int, lines: list[bytes]) -> None:
        key = f"{task['destination_prefix']}/{task['id']}/{stream}/{part:06d}.gz"
        await self._put(task["account"], task["region"], task["destination"], key, gzip.compress(b"".join(lines)))


def _describe(t: dict) -> dict:
    info = {"creationTime": t["created"]}
    if t["completed"] is not None:
        info["completionTime"] = t["completed"]
    return {"taskId": t["id"], "taskName": t["name"], "logGroupName": t["group_name"], "from": t["from_ms"],
            "to": t["to_ms"], "destination": t["destination"], "destinationPrefix": t["destination_prefix"],
            "status": {"code": t["status"], "message": t["message"]}, "executionInfo": info}
