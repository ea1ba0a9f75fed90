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
shard moves on. Records the filters drop are skipped.
"""
from __future__ import annotations

import asyncio
import base64
import datetime as _dt
import json
import uuid as uuids

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


class StreamPoller(Poller):
    def __init__(self, provider, account, region, doc):
        super().__init__(provider, account, region, doc)
        self.kinesis = doc["EventSourceArn"].split(":")[2] == "kinesis"
        self.service = "kinesis" if self.kinesis else "dynamodbstreams"
        self.readers: dict[str, asyncio.Task] = {}
        self.finished: set[str] = set()

    def stop(self, everything: bool = False) -> None:
        super().stop(everything)
        for t in self.readers.values():
            t.cancel()

    # -- shards ------------------------------------------------------------------------------

    async def shards(self) -> list[dict]:
        arn = self.doc["EventSourceArn"]
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
        arn = self.doc["EventSourceArn"]
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
                out = await self.call(self.service, "GetRecords",
                                      {"ShardIterator": it, "Limit": min(10000, size - len(pending))})
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
        arn = self.doc["EventSourceArn"]
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
        out = {"eventID": r.get("eventID"), "eventName": r.get("eventName"), "eventVersion": r.get("eventVersion", "1.1"),
               "eventSource": "aws:dynamodb", "awsRegion": r.get("awsRegion", self.source_region), "dynamodb": ddb,
               "eventSourceARN": arn}
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
        if batch:
            await self.process(shard, batch)
        self.provider.mappings.checkpoint(self.uuid, shard, self.sequence(records[-1]))

    async def process(self, shard: str, batch: list[dict]) -> None:
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
                    return
            ok, payload, response = await self.invoke({"Records": batch})
            attempts += 1
            if ok and report:
                failed = batch_failures(payload, {self.sequence(r) for r in batch})
                if failed is None:
                    ok = False
                elif failed:
                    # Checkpointed before the first failure: the retry starts there.
                    first = min(i for i, r in enumerate(batch) if self.sequence(r) in failed)
                    if first:
                        self.provider.mappings.checkpoint(self.uuid, shard, self.sequence(batch[first - 1]))
                    batch = batch[first:]
                    ok = False
            if ok:
                self.note("OK")
                return
            self.note("PROBLEM: Function call failed")
            if bisect and len(batch) > 1:
                half = len(batch) // 2
                await self.process(shard, batch[:half])
                await self.process(shard, batch[half:])
                return
            if retries != -1 and attempts > retries:
                await self.give_up(shard, batch, "RetryAttemptsExhausted", attempts, response)
                return
            await self.pause(min(BACKOFF_CAP, 2.0 ** (attempts - 1)))

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
                "batchSize": len(batch), "streamArn": self.doc["EventSourceArn"]}
        record = {"requestContext": {"requestId": str(uuids.uuid4()), "functionArn": self.doc["FunctionArn"],
                                     "condition": condition, "approximateInvokeCount": attempts},
                  "version": "1.0", "timestamp": _iso(self.provider.clock.now()),
                  "KinesisBatchInfo" if self.kinesis else "DDBStreamBatchInfo": info}
        if response is not None:
            record["responseContext"] = response
        fn = self.provider.store.get(self.account, self.region, self.doc["FunctionArn"].split(":")[6])
        if fn is not None:
            await self.provider._send_to(fn, target, json.dumps(record))
