"""Enhanced fan-out: stream consumers and SubscribeToShard.

A subscription is an event stream that lasts five minutes on the clock. It
first sends what the starting position leaves to read, then waits for a put
to the shard (which wakes it) and pushes the new records as they arrive. A
closed shard read to its end sends its ChildShards and ends the stream. An
idle subscription sends an empty event every five seconds on the clock, with
the ContinuationSequenceNumber to checkpoint (and so learns when its client
has left).
"""
from __future__ import annotations

import asyncio
import re

from ..base import RequestContext
from . import errors
from .sequence import sequence_number
from .store import Consumer

SUBSCRIPTION_SECONDS = 300.0
RESUBSCRIBE_SECONDS = 5.0   # a consumer subscribes to a shard at most once in this long
KEEPALIVE_SECONDS = 5.0     # an idle subscription still sends an (empty) event this often
MAX_CONSUMERS = 20
EVENT_RECORDS = 10_000
_CONSUMER_NAME = re.compile(r"^[a-zA-Z0-9_.-]{1,128}$")


class FanOut:
    """Mixed into the provider: the consumer operations and SubscribeToShard."""

    def _consumer_doc(self, c: Consumer, with_stream: bool = False) -> dict:
        self._settle_consumer(c)
        doc = {"ConsumerName": c.name, "ConsumerARN": c.arn, "ConsumerStatus": c.status,
               "ConsumerCreationTimestamp": c.created}
        if with_stream:
            doc["StreamARN"] = self.store.by_id[c.stream_id].arn
        return doc

    def _settle_consumer(self, c: Consumer, force: bool = False) -> None:
        if c.status != "ACTIVE" and (force or self.clock.now() >= c.ready_at):
            c.status = "ACTIVE"
            self.store.save_consumer(c)

    def _consumer(self, params: dict) -> Consumer:
        arn = params.get("ConsumerARN")
        if arn:
            c = self.store.consumers.get(arn)
            if c is None:
                raise errors.not_found(f"Consumer {arn} not found.")
            return c
        if not params.get("StreamARN") or not params.get("ConsumerName"):
            raise errors.invalid("Either ConsumerARN or both StreamARN and ConsumerName must be provided.")
        s = self._by_arn(params["StreamARN"])
        c = next((c for c in self.store.consumers.values()
                  if c.stream_id == s.id and c.name == params["ConsumerName"]), None)
        if c is None:
            raise errors.not_found(f"Consumer {params['ConsumerName']} under stream {s.arn} not found.")
        return c

    def register_stream_consumer(self, ctx: RequestContext, params: dict) -> dict:
        s = self._by_arn(params.get("StreamARN"))
        name = params.get("ConsumerName") or ""
        if not _CONSUMER_NAME.match(name):
            raise errors.validation(f"1 validation error detected: Value '{name}' at 'consumerName' failed to "
                                    "satisfy constraint: Member must satisfy regular expression pattern: "
                                    "[a-zA-Z0-9_.-]+")
        mine = [c for c in self.store.consumers.values() if c.stream_id == s.id]
        if any(c.name == name for c in mine):
            raise errors.in_use(f"Consumer {name} under stream {s.arn} already exists for account {s.account}.")
        if len(mine) >= MAX_CONSUMERS:
            raise errors.limit(f"Stream {s.arn} already has {MAX_CONSUMERS} registered consumers.")
        tags = params.get("Tags") or {}
        errors.check_tags(tags)
        now = self.clock.now()
        c = Consumer(f"{s.arn}/consumer/{name}:{int(now)}", s.id, name, "CREATING", now + 1.0, now, tags, None)
        self.store.add_consumer(c)
        return {"Consumer": self._consumer_doc(c)}

    def describe_stream_consumer(self, ctx: RequestContext, params: dict) -> dict:
        c = self._consumer(params)
        self._settle_consumer(c, force=True)
        return {"ConsumerDescription": self._consumer_doc(c, with_stream=True)}

    def list_stream_consumers(self, ctx: RequestContext, params: dict) -> dict:
        s = self._by_arn(params.get("StreamARN"))
        mine = sorted((c for c in self.store.consumers.values() if c.stream_id == s.id), key=lambda c: c.name)
        after = params.get("NextToken")
        if after:
            mine = [c for c in mine if c.name > after]
        limit = params.get("MaxResults") or 100
        out = {"Consumers": [self._consumer_doc(c) for c in mine[:limit]]}
        if len(mine) > limit:
            out["NextToken"] = mine[limit - 1].name
        return out

    def deregister_stream_consumer(self, ctx: RequestContext, params: dict) -> dict:
        c = self._consumer(params)
        self.store.drop_consumer(c)
        for sh in self.store.by_id[c.stream_id].shards:
            self._wake(sh.id)  # its subscriptions end
        return {}

    # -- SubscribeToShard --------------------------------------------------------------------

    def subscribe_to_shard(self, ctx: RequestContext, params: dict) -> dict:
        c = self.store.consumers.get(params.get("ConsumerARN") or "")
        if c is None:
            raise errors.not_found(f"Consumer {params.get('ConsumerARN')} not found.")
        self._settle_consumer(c)
        if c.status != "ACTIVE":
            raise errors.in_use(f"Consumer {c.arn} is not ACTIVE, instead in state {c.status}.")
        s = self.store.by_id[c.stream_id]
        sh = self._shard(s, params.get("ShardId"))
        start = params.get("StartingPosition") or {}
        counter = self._position(s, sh, start.get("Type"), start.get("SequenceNumber"), start.get("Timestamp"))
        now = self.clock.now()
        last = self._subscribed.get((c.arn, sh.id))
        if last is not None and now - last < RESUBSCRIBE_SECONDS:
            raise errors.in_use(f"Another active subscription exists for consumer {c.arn} on shard "
                                f"{sh.shard_id}, or one was made less than {int(RESUBSCRIBE_SECONDS)} seconds ago.")
        if len(self._subscribed) > 10_000:
            self._subscribed = {k: v for k, v in self._subscribed.items() if now - v < RESUBSCRIBE_SECONDS}
        self._subscribed[(c.arn, sh.id)] = now
        return {"EventStream": self._subscription(c.arn, s.id, sh.id, counter)}

    async def _subscription(self, consumer: str, stream_id: int, shard_row: int, counter: int):
        deadline = self.clock.now() + SUBSCRIPTION_SECONDS
        beat = True  # the opening event goes out at once, even empty
        while True:
            s = self.store.by_id.get(stream_id)
            sh = self.store.shard_rows.get(shard_row)
            if s is None or sh is None or consumer not in self.store.consumers:
                return
            records, counter, _ = self._records(sh, counter, EVENT_RECORDS)
            ended = not sh.open and counter > sh.counter
            if records or ended or (beat and self.clock.now() < deadline):
                last = records[-1]["SequenceNumber"] if records else \
                    sequence_number(sh.last_ms, sh.idx, counter - 1) if counter else sh.start_seq
                event = {"Records": records, "ContinuationSequenceNumber": last,
                         "MillisBehindLatest": self._behind(sh, counter, self.clock.now())}
                if ended:
                    event["ChildShards"] = self._child_shards(s, sh)
                yield {"SubscribeToShardEvent": event}
                if ended:
                    return
                if len(records) >= EVENT_RECORDS:
                    continue
            now = self.clock.now()
            if now >= deadline:
                return
            beat = not await self._until_put(shard_row, min(deadline, now + KEEPALIVE_SECONDS))

    async def _until_put(self, shard_row: int, deadline: float) -> bool:
        """Wait for a put to the shard (True) or the deadline (False)."""
        fut = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(shard_row, set()).add(fut)
        sleeper = asyncio.ensure_future(self.scheduler.sleep_until(deadline))
        try:
            await asyncio.wait((fut, sleeper), return_when=asyncio.FIRST_COMPLETED)
            return fut.done()
        finally:
            sleeper.cancel()
            waiters = self._waiters.get(shard_row)
            if waiters is not None:
                waiters.discard(fut)
                if not waiters:
                    self._waiters.pop(shard_row, None)
