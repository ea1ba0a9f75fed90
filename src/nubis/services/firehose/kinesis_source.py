"""A Kinesis data stream as source (a mixin of the provider).

Every second of the clock (``firehose:poll``, a recurring timer per stream)
each shard is read through the internal client (``ListShards``,
``GetShardIterator``, ``GetRecords``) from where the last read ended (a
checkpoint per shard, committed with the records it buffered), or from the
stream's creation time on the first read, as Firehose starts delivering at
``DeliveryStartTimestamp``.
"""
from __future__ import annotations

import datetime as _dt
import logging

from ...protocol.errors import ServiceError
from .transform import PRINCIPAL

log = logging.getLogger("nubis.firehose")
POLL_EVERY = 1.0


class KinesisSource:
    def start_kinesis_source(self) -> None:
        self.scheduler.on("firehose:poll", self._poll)

    def start_polling(self, s) -> None:
        self.scheduler.at(self.clock.now() + POLL_EVERY, "firehose:poll", {"id": s.id}, key=str(s.id),
                          every=POLL_EVERY)

    async def check_source(self, arn: str) -> None:
        """The source stream must exist (CreateDeliveryStream's check)."""
        try:
            await self._kinesis_call(arn, "DescribeStreamSummary", {})
        except ServiceError as e:
            if e.code == "ResourceNotFoundException":
                raise ServiceError("InvalidArgumentException", f"Kinesis stream {arn} does not exist.",
                                   status=400) from None

    async def _kinesis(self, s, operation: str, params: dict) -> dict:
        return await self._kinesis_call(s.doc["source"]["KinesisStreamARN"], operation, params)

    async def _kinesis_call(self, arn: str, operation: str, params: dict) -> dict:
        _, _, _, region, account, _ = arn.split(":", 5)
        return await self.internal.call("kinesis", operation, {"StreamARN": arn, **params}, account=account,
                                        region=region, principal=PRINCIPAL)

    async def _poll(self, payload: dict) -> None:
        s = self.store.by_id.get(payload["id"])
        if s is None:
            return
        try:
            shards = (await self._kinesis(s, "ListShards", {})).get("Shards") or []
        except ServiceError as e:
            log.info("firehose %s: cannot list the source's shards: %s", s.name, e.message)
            return
        done = self.store.checkpoints(s)
        for shard in shards:
            sid = shard["ShardId"]
            if sid in done:
                where = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "StartingSequenceNumber": done[sid]}
            else:
                # Arrival times are kept to the millisecond: so is the start.
                where = {"ShardIteratorType": "AT_TIMESTAMP",
                         "Timestamp": _dt.datetime.fromtimestamp(int(s.created * 1000) / 1000, tz=_dt.timezone.utc)}
            try:
                iterator = (await self._kinesis(s, "GetShardIterator", {"ShardId": sid, **where}))["ShardIterator"]
                records = (await self._kinesis(s, "GetRecords", {"ShardIterator": iterator,
                                                                 "Limit": 10000})).get("Records") or []
            except ServiceError as e:
                log.info("firehose %s: reading shard %s failed: %s", s.name, sid, e.message)
                continue
            if not records:
                continue
            rows = []
            for r in records:
                at = r.get("ApproximateArrivalTimestamp")
                at = at.timestamp() if hasattr(at, "timestamp") else float(at or self.clock.now())
                rows.append((at, bytes(r["Data"])))
            with self.db.transaction():
                self.store.checkpoint(s, sid, records[-1]["SequenceNumber"])
                self.accept(s, rows)
