"""Buffering and delivery (a mixin of the provider).

A stream's buffer is its rows in ``firehose_records``. The ``firehose:flush``
timer (keyed by stream) falls due ``IntervalInSeconds`` after the oldest
buffered record arrived, or at once when the buffer reaches ``SizeInMBs``.
A flush takes up to ``SizeInMBs`` of records, delivers them, and only then
deletes their rows: a crash mid-delivery delivers again (at least once, as
AWS says). S3 delivery goes through the internal client (``s3:PutObject`` as
``firehose.amazonaws.com``); a failed PutObject is retried on the clock.
"""
from __future__ import annotations

import asyncio
import base64
import datetime as _dt
import json
import logging

from ...protocol.errors import ServiceError
from . import destinations as dests
from . import formats, http_endpoint, prefixes, transform
from .transform import PRINCIPAL, Failure, Item

log = logging.getLogger("nubis.firehose")
# A failed S3 delivery is retried every 5 seconds for up to 24 hours (the developer guide's
# "Data delivery failure handling").
S3_RETRY = 5.0
MAX_RETENTION = 24 * 3600.0
UNREACHABLE_TYPES = {"Elasticsearch": "elasticsearch-failed",
                     "Amazonopensearchservice": "AmazonOpenSearchService-failed",
                     "AmazonOpenSearchServerless": "AmazonOpenSearchServerless-failed",
                     "Splunk": "splunk-failed", "Snowflake": "snowflake-failed", "Iceberg": "iceberg-failed"}


class Delivery:
    def start_delivery(self) -> None:
        self._flushing: dict[int, asyncio.Lock] = {}
        self._buffers: dict[int, list] = {}
        self._http = None
        self.scheduler.on("firehose:flush", self._flush)
        self.scheduler.on("firehose:retry", self._retry)

    async def stop_delivery(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    # -- the buffer ------------------------------------------------------------------------

    def _hints(self, s) -> dict:
        cfg = s.dest
        if s.dest_kind == "ExtendedS3" or s.dest_kind == "HttpEndpoint":
            return dests.buffering(s.dest_kind, cfg)
        return dests.buffering("S3", cfg.get("S3Configuration") or {})

    def accept(self, s, rows: list[tuple[float, bytes]]) -> None:
        """Buffer records (durably, in the caller's transaction) and arm the flush timer."""
        with self.db.transaction():
            state = self._state(s)
            self.store.add(s, rows)
            state[0] += sum(len(d) for _, d in rows)
            state[1] = min(state[1] or rows[0][0], min(a for a, _ in rows))
            self._arm(s, state)

    def _state(self, s) -> list:
        """[buffered bytes, oldest arrival, the flush time armed]: kept in memory so that
        a put costs an insert, and the timer is written only when its time changes."""
        state = self._buffers.get(s.id)
        if state is None:
            state = self._buffers[s.id] = [self.store.buffered_bytes(s), self.store.oldest(s), None]
        return state

    def _arm(self, s, state: list | None = None) -> None:
        state = state or self._state(s)
        if state[1] is None:
            return
        hints = self._hints(s)
        if state[0] >= hints["SizeInMBs"] * dests.MiB:
            due = self.clock.now()
        else:
            due = state[1] + hints["IntervalInSeconds"]
        if due != state[2]:
            self.scheduler.at(due, "firehose:flush", {"id": s.id}, key=str(s.id))
            state[2] = due

    def _take(self, s) -> list[tuple[int, float, bytes]]:
        limit = self._hints(s)["SizeInMBs"] * dests.MiB
        out, size = [], 0
        for row in self.store.buffered(s):
            # The record that fills the buffer goes with it, as AWS flushes once the size is reached.
            if size >= limit:
                break
            out.append(row)
            size += len(row[2])
        return out

    async def _flush(self, payload: dict) -> None:
        s = self.store.by_id.get(payload["id"])
        if s is None:
            return
        lock = self._flushing.setdefault(s.id, asyncio.Lock())
        async with lock:
            if any(t["timer_key"] == str(s.id) for t in self.scheduler.pending("firehose:retry")):
                return  # an HTTP endpoint delivery is being retried; it takes the buffer with it
            await self._deliver_buffer(s, payload)

    async def _retry(self, payload: dict) -> None:
        s = self.store.by_id.get(payload["id"])
        if s is None:
            return
        async with self._flushing.setdefault(s.id, asyncio.Lock()):
            await self._deliver_buffer(s, payload)

    async def _deliver_buffer(self, s, payload: dict) -> None:
        rows = self._take(s)
        if not rows:
            return
        try:
            if s.dest_kind == "HttpEndpoint":
                done = await http_endpoint.deliver(self, s, rows, payload)
            elif s.dest_kind == "ExtendedS3":
                done = await self._deliver_s3(s, rows)
            elif s.dest_kind == "Redshift":
                # Redshift's COPY reads the intermediate S3 objects: those nubis writes.
                done = await self._deliver_s3(s, rows, s.dest["S3Configuration"])
            else:
                done = await self._unreachable(s, rows)
        except Exception:
            log.exception("firehose delivery of %s failed", s.arn)
            done = False
        if s.id not in self.store.by_id:
            return
        self._buffers.pop(s.id, None)   # the timer fired or moves: recount from the table
        if done:
            self.store.remove(s, [r[0] for r in rows])
            self._arm(s)
        elif done is False and self.clock.now() - rows[0][1] > MAX_RETENTION:
            # As on AWS: what could not be delivered for 24 hours is discarded.
            log.warning("firehose %s: discarding %d records undeliverable for 24 hours", s.name, len(rows))
            self.store.remove(s, [r[0] for r in rows])
            self._arm(s)
        elif done is False:
            self.scheduler.after(S3_RETRY, "firehose:flush", {"id": s.id}, key=str(s.id))
            self._state(s)[2] = self.clock.now() + S3_RETRY

    # -- S3 ------------------------------------------------------------------------------------

    def _time(self, t: float, cfg: dict) -> _dt.datetime:
        return _dt.datetime.fromtimestamp(t, tz=prefixes.zone(cfg.get("CustomTimeZone")))

    async def put_object(self, s, bucket_arn: str, key: str, body: bytes) -> None:
        await self.internal.call("s3", "PutObject", {"Bucket": dests.bucket_of(bucket_arn), "Key": key, "Body": body},
                                 account=s.account, region=s.region, principal=PRINCIPAL)

    async def write_object(self, s, cfg: dict, items: list[Item], body: bytes, *, keys=None,
                           error_type: str | None = None, extension: str | None = None) -> str:
        """One object of ``body`` under ``cfg``'s Prefix (or ErrorOutputPrefix), named for the oldest item."""
        t = self._time(min(it.arrived for it in items), cfg)
        if error_type:
            prefix = prefixes.evaluate(cfg.get("ErrorOutputPrefix") or "", t, None, error_type)
        else:
            prefix = prefixes.evaluate(cfg.get("Prefix") or "", t, keys)
        fmt = cfg.get("CompressionFormat") or "UNCOMPRESSED"
        name = prefixes.object_name(s.name, s.version, t)
        if extension is None:
            extension = cfg.get("FileExtension") or formats.EXTENSIONS.get(fmt, "")
        body = formats.compress(body, fmt, name)
        key = prefix + name + extension
        await self.put_object(s, cfg["BucketARN"], key, body)
        return key

    async def write_errors(self, s, cfg: dict, failures: list[Failure]) -> None:
        """Failed records as JSON lines, one object per error type, under the error prefix."""
        by_type: dict[str, list[Failure]] = {}
        for f in failures:
            by_type.setdefault(f.kind, []).append(f)
        now_ms = int(self.clock.now() * 1000)
        for kind, group in by_type.items():
            lines = []
            for f in group:
                doc = {"attemptsMade": 1, "arrivalTimestamp": int(f.item.arrived * 1000), "errorCode": f.code,
                       "errorMessage": f.message, "attemptEndingTimestamp": now_ms,
                       "rawData": base64.b64encode(f.item.raw).decode(), **f.extra}
                lines.append(json.dumps(doc, separators=(",", ":")) + "\n")
            await self.write_object(s, {**cfg, "CompressionFormat": "UNCOMPRESSED", "FileExtension": ""},
                                    [f.item for f in group], "".join(lines).encode(), error_type=kind, extension="")

    async def _unreachable(self, s, rows) -> bool:
        """OpenSearch, Splunk, Snowflake, Iceberg: stored, not delivered to. Their records
        go where AWS puts what it could not deliver: the S3 configuration's error prefix."""
        s3 = s.dest.get("S3Configuration")
        if not s3:
            return True
        items = [Item(rid, arrived, data, data) for rid, arrived, data in rows]
        kind = UNREACHABLE_TYPES.get(s.dest_kind, f"{s.dest_kind.lower()}-failed")
        message = f"nubis does not deliver to {s.dest_kind} destinations."
        try:
            await self.write_errors(s, s3, [Failure(it, f"{s.dest_kind}.Unreachable", message, kind)
                                            for it in items])
        except ServiceError:
            return False
        return True

    async def _glue_schema(self, s, conversion: dict):
        """The Arrow schema of the Glue table ``SchemaConfiguration`` names, or None (inferred)."""
        sc = conversion.get("SchemaConfiguration") or {}
        if not sc.get("DatabaseName") or not sc.get("TableName"):
            return None
        try:
            table = await self.internal.call(
                "glue", "GetTable", {"DatabaseName": sc["DatabaseName"], "Name": sc["TableName"],
                                     **({"CatalogId": sc["CatalogId"]} if sc.get("CatalogId") else {})},
                account=sc.get("CatalogId") or s.account, region=sc.get("Region") or s.region, principal=PRINCIPAL)
        except ServiceError:
            return None   # no Glue (yet), or no such table
        columns = ((table.get("Table") or {}).get("StorageDescriptor") or {}).get("Columns") or []
        return formats.arrow_schema(columns) if columns else None

    async def _deliver_s3(self, s, rows, cfg: dict | None = None) -> bool:
        cfg = cfg if cfg is not None else s.dest
        items = [Item(rid, arrived, data, data) for rid, arrived, data in rows]
        try:
            backup = cfg.get("S3BackupConfiguration") if cfg.get("S3BackupMode") == "Enabled" else None
            if backup:
                # Source record backup: the records as they arrived, before any transformation.
                await self.write_object(s, backup, items, b"".join(it.raw for it in items))
            items, failures = await transform.apply(self, s, items, cfg)
            conversion = cfg.get("DataFormatConversionConfiguration")
            out_format = formats.output_format(conversion) if dests.converting(cfg) else None
            groups: dict[tuple, list[Item]] = {}
            for it in items:
                groups.setdefault(tuple(sorted(it.keys.items())), []).append(it)
            for keys, group in groups.items():
                if out_format:
                    rows_, bad = formats.parse_records([it.data for it in group])
                    bad_idx = {i for i, _ in bad}
                    failures += [Failure(group[i], "DataFormatConversion.MalformedData", msg,
                                         "format-conversion-failed") for i, msg in bad]
                    group = [it for i, it in enumerate(group) if i not in bad_idx]
                    if not group:
                        continue
                    try:
                        body = formats.convert(rows_, out_format, conversion, await self._glue_schema(s, conversion))
                    except formats.ConversionFailed as e:
                        failures += [Failure(it, "DataFormatConversion.InvalidSchema", str(e),
                                             "format-conversion-failed") for it in group]
                        continue
                    ext = cfg.get("FileExtension") or f".{out_format}"
                    await self.write_object(s, {**cfg, "CompressionFormat": "UNCOMPRESSED"}, group, body,
                                            keys=dict(keys), extension=ext)
                else:
                    await self.write_object(s, cfg, group, b"".join(it.data for it in group), keys=dict(keys))
            if failures:
                await self.write_errors(s, cfg, failures)
        except ServiceError as e:
            log.info("firehose %s: S3 delivery failed (%s: %s); retrying", s.name, e.code, e.message)
            return False
        return True
