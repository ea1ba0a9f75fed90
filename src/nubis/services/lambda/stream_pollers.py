"""The stream poller: Kinesis data streams and DynamoDB streams.

Read through the internal client (``kinesis:ListShards``/``GetShardIterator``/
``GetRecords``, ``dynamodbstreams:DescribeStream``/``GetShardIterator``/
``GetRecords``), one reader per shard, each shard's records in order. A shard
is read once a second on the controllable clock, as Lambda's pollers do, up
to ``BatchSize`` records within ``MaximumBatchingWindowInSeconds``. Where a
shard is, is checkpointed in the store after each batch (the last sequence
number handled), so a restart goes on from there; without a checkpoint the
reader starts at ``StartingPosition``.

A failed batch is retried (``MaximumRetryAttempts``, -1 for until the records
expire; ``MaximumRecordAgeInSeconds``), split in two first when
``BisectBatchOnFunctionError`` is on; with ``ReportBatchItemFailures`` the
retry starts at the first reported sequence number. A batch given up on is
described to the ``OnFailure`` destination (SQS or SNS) and skipped, so the
shard moves on. Records the filters drop are skipped. With
``ParallelizationFactor`` above 1 a batch is delivered as that many batches
at once, a partition key's records in one of them, in order. With
``TumblingWindowInSeconds`` records go by the window their arrival falls in,
with the state the function returned, and a final invocation (no records,
``isFinalInvokeForWindow``) when the window has passed on the clock. A
window's state is kept in memory: a restart starts the window afresh.
"""
from __future__ import annotations

import asyncio
import base64
import datetime as _dt
import json
import uuid as uuids
import zlib

from ...protocol.errors import ServiceError
from . import filters
from .pollers import Poller, batch_failures

POLL_SECONDS = 1.0
BACKOFF_CAP = 60.0


def _epoch(value) -> float:
    if isinstance(value, _dt.datetime):
        return value.timestamp()
    return float(value or 0)


def _iso(t: float) -> str:
    d = _dt.datetime.fromtimestamp(t, tz=_dt.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{d.microsecond // 1000:03d}Z"


def _iso_seconds(t: float) -> str:
    return _dt.datetime.fromtimestamp(t, tz=_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class StreamPoller(Poller):
    def __init__(self, provider, account, region, doc):
        super().__init__(provider, account, region, doc)
        self.kinesis = doc["EventSourceArn"].split(":")[2] == "kinesis"
        # A Kinesis stream consumer's ARN (enhanced fan-out) reads its stream's shards.
        self.stream_arn = doc["EventSourceArn"].split("/consumer/")[0]
        self.service = "kinesis" if self.kinesis else "dynamodbstreams"
        self.readers: dict[str, asyncio.Task] = {}
        self.finished: set[str] = set()
        self.windows: dict[str, dict] = {}  # shard -> the open tumbling window: start, end, state

    def stop(self, everything: bool = False) -> None:
        super().stop(everything)
        for t in self.readers.values():
            t.cancel()

    # -- shards ------------------------------------------------------------------------------

    async def shards(self) -> list[dict]:
        arn = self.stream_arn
        out, token = [], None
        while True:
            if self.kinesis:
                params = {"NextToken": token} if token else {"StreamARN": arn}
                page = await self.call("kinesis", "ListShards", params)
                out.extend(page.get("Shards") or [])
                token = page.get("NextToken")
            else:
                params = {"StreamArn": arn}
                if token:
                    params["ExclusiveStartShardId"] = token
                page = (await self.call("dynamodbstreams", "DescribeStream", params))["StreamDescription"]
                out.extend(page.get("Shards") or [])
                token = page.get("LastEvaluatedShardId")
            if not token:
                return out

    async def poll(self) -> None:
        """Start a reader for each shard whose parent is done; look again when one ends."""
        shards = await self.shards()
        listed = {s["ShardId"] for s in shards}
        for shard in shards:
            sid = shard["ShardId"]
            parent = shard.get("ParentShardId")
            if sid in self.readers or sid in self.finished:
                continue
            if parent in listed and parent not in self.finished:
                continue  # a child waits until its parent's records are handled
            self.readers[sid] = asyncio.get_running_loop().create_task(self.read(sid))
        await self.pause(POLL_SECONDS * 60)

    async def iterator(self, shard: str) -> str | None:
        arn = self.stream_arn
        checkpoint = self.provider.mappings.checkpoints(self.uuid).get(shard)
        key = "StreamARN" if self.kinesis else "StreamArn"
        params = {key: arn, "ShardId": shard}
        if checkpoint:
            params["ShardIteratorType"] = "AFTER_SEQUENCE_NUMBER"
            params["StartingSequenceNumber" if self.kinesis else "SequenceNumber"] = checkpoint
        else:
            params["ShardIteratorType"] = self.doc["StartingPosition"]
            if self.doc["StartingPosition"] == "AT_TIMESTAMP":
                params["Timestamp"] = self.doc["StartingPositionTimestamp"]
        out = await self.call(self.service, "GetShardIterator", params)
        return out.get("ShardIterator")

    async def read(self, shard: str) -> None:
        try:
            it = await self.iterator(shard)
            size = self.doc["BatchSize"]
            window = self.doc.get("MaximumBatchingWindowInSeconds") or 0
            pending: list[dict] = []
            opened = None
            while it and not self.stopped:
                try:
                    out = await self.call(self.service, "GetRecords",
                                          {"ShardIterator": it, "Limit": min(10000, size - len(pending))})
                except ServiceError as e:
                    if e.code != "ExpiredIteratorException":
                        raise
                    # Held too long (a long retry, the clock moved far): read on from the checkpoint.
                    it, pending, opened = await self.iterator(shard), [], None
                    continue
                it = out.get("NextShardIterator")
                got = [self.record(shard, r) for r in out.get("Records") or ()]
                if got and opened is None:
                    opened = self.provider.clock.now()
                pending.extend(got)
                full = len(pending) >= size
                due = opened is not None and self.provider.clock.now() - opened >= window
                if pending and (full or due or not it):
                    await self.handle(shard, pending)
                    pending, opened = [], None
                    if full:
                        continue  # more may be waiting: read on at once
                if got and len(pending) < size and it:
                    continue
                tumbling = self.windows.get(shard)
                if tumbling is not None and self.provider.clock.now() >= tumbling["end"]:
                    await self.close_window(shard)
                await self.pause(POLL_SECONDS)
            self.finished.add(shard)  # the shard was closed and read to its end
        except asyncio.CancelledError:
            raise
        except ServiceError as e:
            self.readers.pop(shard, None)
            self.provider_log(f"shard {shard}: {e.code} {e.message}")
        except Exception:
            self.readers.pop(shard, None)
            self.provider_log(f"shard {shard}", exc=True)

    def provider_log(self, text: str, exc: bool = False) -> None:
        from .pollers import log
        (log.exception if exc else log.info)("mapping %s: %s", self.uuid, text)

    # -- records -----------------------------------------------------------------------------

    def record(self, shard: str, r: dict) -> dict:
        arn = self.stream_arn
        if self.kinesis:
            data = r.get("Data") or b""
            if isinstance(data, str):
                data = data.encode()
            return {"kinesis": {"kinesisSchemaVersion": "1.0", "partitionKey": r["PartitionKey"],
                                "sequenceNumber": r["SequenceNumber"], "data": base64.b64encode(data).decode(),
                                "approximateArrivalTimestamp": _epoch(r.get("ApproximateArrivalTimestamp"))},
                    "eventSource": "aws:kinesis", "eventVersion": "1.0",
                    "eventID": f"{shard}:{r['SequenceNumber']}", "eventName": "aws:kinesis:record",
                    "invokeIdentityArn": self.role(), "awsRegion": self.source_region, "eventSourceARN": arn}
        ddb = dict(r.get("dynamodb") or {})
        if "ApproximateCreationDateTime" in ddb:
            ddb["ApproximateCreationDateTime"] = _epoch(ddb["ApproximateCreationDateTime"])
        out = {"eventID": r.get("eventID"), "eventName": r.get("eventName"),
               "eventVersion": r.get("eventVersion", "1.1"), "eventSource": "aws:dynamodb",
               "awsRegion": r.get("awsRegion", self.source_region), "dynamodb": ddb, "eventSourceARN": arn}
        if r.get("userIdentity"):
            out["userIdentity"] = r["userIdentity"]
        return out

    def role(self) -> str:
        fn = self.provider.store.get(self.account, self.region, self.doc["FunctionArn"].split(":")[6])
        return fn.config.get("Role", "") if fn is not None else ""

    @staticmethod
    def sequence(rec: dict) -> str:
        return rec["kinesis"]["sequenceNumber"] if "kinesis" in rec else rec["dynamodb"]["SequenceNumber"]

    @staticmethod
    def arrival(rec: dict) -> float:
        if "kinesis" in rec:
            return rec["kinesis"]["approximateArrivalTimestamp"]
        return rec["dynamodb"].get("ApproximateCreationDateTime") or 0.0

    def view(self, rec: dict) -> dict:
        return filters.kinesis_view(rec) if self.kinesis else rec

    # -- a batch -------------------------------------------------------------------------------

    async def handle(self, shard: str, records: list[dict]) -> None:
        batch = [r for r in records if filters.passes(self.patterns, self.view(r))]
        factor = self.doc.get("ParallelizationFactor") or 1
        if self.doc.get("TumblingWindowInSeconds") and batch:
            await self.tumble(shard, batch)
        elif factor > 1 and len(batch) > 1:
            # Up to ParallelizationFactor batches of the shard at once; a partition
            # key's records stay in one of them, in order.
            parts: list[list[dict]] = [[] for _ in range(factor)]
            for r in batch:
                parts[zlib.crc32(self.key(r).encode()) % factor].append(r)
            await asyncio.gather(*(self.process(shard, p, checkpoints=False) for p in parts if p))
        elif batch:
            await self.process(shard, batch)
        self.provider.mappings.checkpoint(self.uuid, shard, self.sequence(records[-1]))

    @staticmethod
    def key(rec: dict) -> str:
        if "kinesis" in rec:
            return rec["kinesis"]["partitionKey"]
        return json.dumps(rec["dynamodb"].get("Keys"), sort_keys=True)

    async def process(self, shard: str, batch: list[dict], checkpoints: bool = True,
                      envelope: dict | None = None) -> bytes | None:
        """Deliver a batch until it succeeds or is given up on; the successful answer, or None."""
        retries = self.doc.get("MaximumRetryAttempts", -1)
        max_age = self.doc.get("MaximumRecordAgeInSeconds", -1)
        bisect = self.doc.get("BisectBatchOnFunctionError", False)
        report = "ReportBatchItemFailures" in (self.doc.get("FunctionResponseTypes") or ())
        attempts = 0
        while not self.stopped:
            now = self.provider.clock.now()
            if max_age != -1:
                fresh = [r for r in batch if now - self.arrival(r) <= max_age]
                if len(fresh) < len(batch):
                    await self.give_up(shard, [r for r in batch if r not in fresh], "RecordAgeExceeded", attempts,
                                       None)
                    batch = fresh
                if not batch:
                    return None
            ok, payload, response = await self.invoke(dict(envelope or {}, Records=batch))
            attempts += 1
            if ok and report:
                failed = batch_failures(payload, {self.sequence(r) for r in batch})
                if failed is None:
                    ok = False
                elif failed:
                    # Checkpointed before the first failure: the retry starts there.
                    first = min(i for i, r in enumerate(batch) if self.sequence(r) in failed)
                    if first and checkpoints:
                        self.provider.mappings.checkpoint(self.uuid, shard, self.sequence(batch[first - 1]))
                    batch = batch[first:]
                    ok = False
            if ok:
                self.note("OK")
                return payload
            self.note("PROBLEM: Function call failed")
            if bisect and len(batch) > 1 and envelope is None:
                half = len(batch) // 2
                await self.process(shard, batch[:half], checkpoints)
                await self.process(shard, batch[half:], checkpoints)
                return None
            if retries != -1 and attempts > retries:
                await self.give_up(shard, batch, "RetryAttemptsExhausted", attempts, response)
                return None
            await self.pause(min(BACKOFF_CAP, 2.0 ** (attempts - 1)))
        return None

    # -- tumbling windows ------------------------------------------------------------------------

    def envelope(self, shard: str, window: dict, final: bool) -> dict:
        return {"window": {"start": _iso_seconds(window["start"]), "end": _iso_seconds(window["end"])},
                "state": window["state"], "shardId": shard, "eventSourceARN": self.stream_arn,
                "isFinalInvokeForWindow": final, "isWindowTerminatedEarly": False}

    async def tumble(self, shard: str, batch: list[dict]) -> None:
        """Records by the window their arrival falls in; the state the function returns
        goes to its next invocation in the same window."""
        size = self.doc["TumblingWindowInSeconds"]
        groups: list[tuple[float, list[dict]]] = []
        for r in batch:
            start = (self.arrival(r) // size) * size
            if groups and groups[-1][0] == start:
                groups[-1][1].append(r)
            else:
                groups.append((start, [r]))
        for start, records in groups:
            window = self.windows.get(shard)
            if window is not None and window["start"] != start:
                await self.close_window(shard)
                window = None
            if window is None:
                window = self.windows[shard] = {"start": start, "end": start + size, "state": {}}
            payload = await self.process(shard, records, envelope=self.envelope(shard, window, False))
            try:
                answer = json.loads(payload) if payload else None
            except ValueError:
                answer = None
            if isinstance(answer, dict) and isinstance(answer.get("state"), dict):
                window["state"] = answer["state"]

    async def close_window(self, shard: str) -> None:
        """The window's final invocation: no records, its state, isFinalInvokeForWindow."""
        window = self.windows.pop(shard, None)
        if window is not None:
            await self.invoke(dict(self.envelope(shard, window, True), Records=[]))

    async def give_up(self, shard: str, batch: list[dict], condition: str, attempts: int,
                      response: dict | None) -> None:
        """Describe the skipped batch to the OnFailure destination."""
        target = ((self.doc.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
        if not target:
            return
        info = {"shardId": shard, "startSequenceNumber": self.sequence(batch[0]),
                "endSequenceNumber": self.sequence(batch[-1]),
                "approximateArrivalOfFirstRecord": _iso(self.arrival(batch[0])),
                "approximateArrivalOfLastRecord": _iso(self.arrival(batch[-1])),
                "batchSize": len(batch), "streamArn": self.stream_arn}
        record = {"requestContext": {"requestId": str(uuids.uuid4()), "functionArn": self.doc["FunctionArn"],
                                     "condition": condition, "approximateInvokeCount": attempts},
                  "version": "1.0", "timestamp": _iso(self.provider.clock.now()),
                  "KinesisBatchInfo" if self.kinesis else "DDBStreamBatchInfo": info}
        if response is not None:
            record["responseContext"] = response
        fn = self.provider.store.get(self.account, self.region, self.doc["FunctionArn"].split(":")[6])
        if fn is not None:
            await self.provider._send_to(fn, target, json.dumps(record))
