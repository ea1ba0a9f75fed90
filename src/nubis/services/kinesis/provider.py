"""Amazon Kinesis Data Streams.

Operations follow the API reference. Records are routed by the MD5 of their
partition key (or their ExplicitHashKey) to the open shard whose hash-key
range holds it; every timing rule (iterator lifetime, retention, throughput
per second, status changes) is measured on the runtime's controllable clock.
Enhanced fan-out (consumers, SubscribeToShard) is in ``fanout.py``.
"""
from __future__ import annotations

import asyncio
import base64
import bisect
import datetime as _dt
import json
import re

from ...protocol.errors import ServiceError
from ..base import Provider, RequestContext
from . import errors
from .fanout import FanOut
from .sequence import (MAX_COUNTER, MAX_HASH, hash_of, make_iterator, parse_sequence, read_iterator,
                       sequence_number, shard_id, uniform_ranges)
from .store import MIGRATIONS, KinesisStore, Shard, Stream
from .throughput import buckets

MIB = 1024 * 1024
ITERATOR_LIFETIME = 300.0
SETTLE_SECONDS = 1.0          # CREATING/UPDATING -> ACTIVE after this much clock, or at the next describe
MIN_RETENTION, MAX_RETENTION = 24, 8760
SHARD_LIMIT = 500
ON_DEMAND_SHARDS = 4
ON_DEMAND_STREAM_LIMIT = 50
MAX_PUT_RECORDS = 500
MAX_PUT_RECORDS_BYTES = 5 * MIB
MAX_GET_BYTES = 10 * MIB
TRIM_BATCH = 10_000
ALL_METRICS = ["IncomingBytes", "IncomingRecords", "OutgoingBytes", "OutgoingRecords",
               "WriteProvisionedThroughputExceeded", "ReadProvisionedThroughputExceeded",
               "IteratorAgeMilliseconds"]
_NAME = re.compile(r"^[a-zA-Z0-9_.-]{1,128}$")
_STREAM_ARN = re.compile(r"^arn:aws[a-z-]*:kinesis:([a-z0-9-]+):(\d{12}):stream/([a-zA-Z0-9_.-]+)(/consumer/.*)?$")


def _ms(t: float) -> int:
    return int(t * 1000)


def _epoch(value) -> float:
    if isinstance(value, _dt.datetime):
        return value.timestamp()
    return float(value)


def _iso(t: float) -> str:
    return _dt.datetime.fromtimestamp(t, _dt.timezone.utc).strftime("%a %b %d %H:%M:%S UTC %Y")


class KinesisProvider(FanOut, Provider):
    service = "kinesis"
    migrations = MIGRATIONS

    def start(self) -> None:
        self.store = KinesisStore(self.db)
        self._waiters: dict[int, set[asyncio.Future]] = {}
        self._trim_due: float | None = None
        self._subscribed: dict[tuple[str, int], float] = {}  # (consumer, shard row) -> when
        self.scheduler.on("kinesis:trim", self._trim)
        if self.store.streams:
            self._schedule_trim(self.clock.now())

    def reset(self) -> None:
        self.store.load()
        self._trim_due = None
        self._subscribed.clear()
        for shard in list(self._waiters):
            self._wake(shard)

    # -- finding streams ---------------------------------------------------------------------

    def _where(self, ctx: RequestContext, params: dict) -> tuple[str, str, str]:
        arn = params.get("StreamARN")
        if arn:
            m = _STREAM_ARN.match(arn)
            if m is None or m.group(4):
                raise errors.invalid(f"Invalid StreamARN: {arn}")
            if params.get("StreamName") and params["StreamName"] != m.group(3):
                raise errors.invalid("StreamARN and StreamName do not name the same stream.")
            return m.group(2), m.group(1), m.group(3)
        name = params.get("StreamName")
        if not name:
            raise errors.invalid("Either StreamName or StreamARN should be provided.")
        return ctx.account, ctx.region, name

    def _stream(self, ctx: RequestContext, params: dict) -> Stream:
        account, region, name = self._where(ctx, params)
        s = self.store.get(account, region, name)
        if s is None:
            raise errors.stream_not_found(name, account)
        return s

    def _by_arn(self, arn: str) -> Stream:
        m = _STREAM_ARN.match(arn or "")
        s = self.store.get(m.group(2), m.group(1), m.group(3)) if m else None
        if s is None:
            raise errors.not_found(f"Stream {m.group(3) if m else arn} under account "
                                   f"{m.group(2) if m else ''} not found.")
        return s

    def _settle(self, s: Stream, force: bool = False) -> None:
        """CREATING or UPDATING ends a moment later on the clock, or when a describe looks."""
        if s.status != "ACTIVE" and (force or self.clock.now() >= s.ready_at):
            s.status = "ACTIVE"
            self.store.save(s)

    def _active(self, s: Stream) -> None:
        self._settle(s)
        if s.status != "ACTIVE":
            raise errors.in_use(f"Stream {s.name} under account {s.account} not ACTIVE, instead in state "
                                f"{s.status}")

    def _updating(self, s: Stream) -> None:
        s.status = "UPDATING"
        s.ready_at = self.clock.now() + SETTLE_SECONDS
        self.store.save(s)

    def _shard(self, s: Stream, sid: str) -> Shard:
        sh = s.shard(sid) if isinstance(sid, str) else None
        if sh is None:
            raise errors.not_found(f"Shard {sid} in stream {s.name} under account {s.account} does not exist")
        return sh

    # -- streams -----------------------------------------------------------------------------

    def create_stream(self, ctx: RequestContext, params: dict) -> dict:
        name = params.get("StreamName") or ""
        if not _NAME.match(name):
            raise errors.validation(f"1 validation error detected: Value '{name}' at 'streamName' failed to satisfy "
                                    "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+")
        mode = (params.get("StreamModeDetails") or {}).get("StreamMode", "PROVISIONED")
        count = params.get("ShardCount")
        if mode == "ON_DEMAND":
            if count is not None:
                raise errors.invalid("ShardCount is not supported for ON_DEMAND streams.")
            count = ON_DEMAND_SHARDS
            if sum(1 for x in self.store.in_region(ctx.account, ctx.region) if x.mode == "ON_DEMAND") \
                    >= ON_DEMAND_STREAM_LIMIT:
                raise errors.limit(f"This request would exceed the on-demand stream limit of "
                                   f"{ON_DEMAND_STREAM_LIMIT} for account {ctx.account}.")
        elif count is None:
            raise errors.invalid("ShardCount is required for PROVISIONED streams.")
        elif count < 1:
            raise errors.invalid(f"ShardCount {count} must be at least 1.")
        if self.store.get(ctx.account, ctx.region, name) is not None:
            raise errors.in_use(f"Stream {name} under account {ctx.account} already exists.")
        if self._open_shards(ctx.account, ctx.region) + count > SHARD_LIMIT:
            raise errors.limit(f"This request would exceed the shard limit for the account {ctx.account} in "
                               f"{ctx.region}. Current shard count for the account: "
                               f"{self._open_shards(ctx.account, ctx.region)}. Limit: {SHARD_LIMIT}. Number of "
                               f"additional shards that would have resulted from this request: {count}.")
        tags = params.get("Tags") or {}
        errors.check_tags(tags)
        now = self.clock.now()
        with self.db.transaction():
            s = self.store.create(Stream(0, ctx.account, ctx.region, name, "CREATING", now + SETTLE_SECONDS, mode,
                                         24, now, "NONE", None, [], tags, None, count,
                                         params.get("MaxRecordSizeInKiB") or 1024,
                                         params.get("WarmThroughputMiBps") if mode == "ON_DEMAND" else None))
            for i, (lo, hi) in enumerate(uniform_ranges(count)):
                self._open_shard(s, i, lo, hi, None, None, _ms(now))
        s.index()
        return {}

    def _open_shards(self, account: str, region: str) -> int:
        return sum(len(s.open_shards) for s in self.store.in_region(account, region))

    def _open_shard(self, s: Stream, idx: int, lo: int, hi: int, parent, adjacent, ms: int) -> Shard:
        return self.store.add_shard(s, Shard(0, s.id, idx, parent, adjacent, lo, hi, sequence_number(ms, idx, 0),
                                             None, self.clock.now(), None, 0, ms))

    def delete_stream(self, ctx: RequestContext, params: dict) -> dict:
        s = self._stream(ctx, params)
        if any(c.stream_id == s.id for c in self.store.consumers.values()) \
                and not params.get("EnforceConsumerDeletion"):
            raise errors.in_use(f"Stream {s.name} under account {s.account} has registered consumers. Set "
                                "EnforceConsumerDeletion to true to delete them with the stream.")
        for sh in s.shards:
            self._wake(sh.id)
        self.store.delete(s)
        return {}

    def _shard_doc(self, sh: Shard) -> dict:
        doc = {"ShardId": sh.shard_id,
               "HashKeyRange": {"StartingHashKey": str(sh.start_hash), "EndingHashKey": str(sh.end_hash)},
               "SequenceNumberRange": {"StartingSequenceNumber": sh.start_seq}}
        if sh.parent:
            doc["ParentShardId"] = sh.parent
        if sh.adjacent:
            doc["AdjacentParentShardId"] = sh.adjacent
        if sh.end_seq:
            doc["SequenceNumberRange"]["EndingSequenceNumber"] = sh.end_seq
        return doc

    def _encryption(self, s: Stream, doc: dict) -> dict:
        doc["EncryptionType"] = s.encryption
        if s.key_id:
            doc["KeyId"] = s.key_id
        return doc

    def describe_stream(self, ctx: RequestContext, params: dict) -> dict:
        s = self._stream(ctx, params)
        self._settle(s, force=True)
        limit = params.get("Limit") or 100
        shards = self._retained(s)
        start = params.get("ExclusiveStartShardId")
        if start:
            shards = [sh for sh in shards if sh.shard_id > start]
        page = shards[:limit]
        doc = {"StreamName": s.name, "StreamARN": s.arn, "StreamStatus": s.status,
               "StreamModeDetails": {"StreamMode": s.mode}, "Shards": [self._shard_doc(sh) for sh in page],
               "HasMoreShards": len(shards) > limit, "RetentionPeriodHours": s.retention_hours,
               "StreamCreationTimestamp": s.created, "EnhancedMonitoring": [{"ShardLevelMetrics": list(s.metrics)}]}
        return {"StreamDescription": self._encryption(s, doc)}

    def describe_stream_summary(self, ctx: RequestContext, params: dict) -> dict:
        s = self._stream(ctx, params)
        self._settle(s, force=True)
        doc = {"StreamName": s.name, "StreamARN": s.arn, "StreamStatus": s.status,
               "StreamModeDetails": {"StreamMode": s.mode}, "RetentionPeriodHours": s.retention_hours,
               "StreamCreationTimestamp": s.created, "EnhancedMonitoring": [{"ShardLevelMetrics": list(s.metrics)}],
               "OpenShardCount": len(s.open_shards),
               "ConsumerCount": sum(1 for c in self.store.consumers.values() if c.stream_id == s.id),
               "MaxRecordSizeInKiB": s.max_record_kib}
        if s.mode == "ON_DEMAND" and s.warm_mibps is not None:
            doc["WarmThroughput"] = {"TargetMiBps": s.warm_mibps, "CurrentMiBps": s.warm_mibps}
        return {"StreamDescriptionSummary": self._encryption(s, doc)}

    def _retained(self, s: Stream) -> list[Shard]:
        return sorted(s.shards, key=lambda sh: sh.idx)

    def list_shards(self, ctx: RequestContext, params: dict) -> dict:
        token = params.get("NextToken")
        if token:
            if params.get("StreamName") or params.get("StreamARN"):
                raise errors.invalid("NextToken and StreamName cannot be provided together.")
            if params.get("ExclusiveStartShardId"):
                raise errors.invalid("NextToken and ExclusiveStartShardId cannot be provided together.")
            stream_id, after, shard_filter, issued = self._read_token(token)
            s = self.store.by_id.get(stream_id)
            if s is None:
                raise errors.not_found("The stream of this NextToken no longer exists.")
        else:
            s = self._stream(ctx, params)
            after = params.get("ExclusiveStartShardId") or ""
            shard_filter = params.get("ShardFilter")
        shards = self._filtered(s, shard_filter)
        if after:
            shards = [sh for sh in shards if sh.shard_id > after]
        limit = params.get("MaxResults") or 1000
        if limit > 10000:
            raise errors.invalid(f"MaxResults {limit} must be at most 10000.")
        page = shards[:limit]
        out = {"Shards": [self._shard_doc(sh) for sh in page]}
        if len(shards) > limit:
            out["NextToken"] = self._token(s.id, page[-1].shard_id, shard_filter)
        return out

    def _filtered(self, s: Stream, f: dict | None) -> list[Shard]:
        shards = self._retained(s)
        if not f:
            return shards
        kind = f.get("Type")
        if kind == "AFTER_SHARD_ID":
            if not f.get("ShardId"):
                raise errors.invalid("ShardId must be given with the AFTER_SHARD_ID filter.")
            return [sh for sh in shards if sh.shard_id > f["ShardId"]]
        if kind == "AT_LATEST":
            return [sh for sh in shards if sh.open]
        if kind == "FROM_TRIM_HORIZON":
            return shards
        if kind in ("AT_TIMESTAMP", "FROM_TIMESTAMP"):
            if f.get("Timestamp") is None:
                raise errors.invalid(f"Timestamp must be given with the {kind} filter.")
            t = _epoch(f["Timestamp"])
            if kind == "FROM_TIMESTAMP":
                return [sh for sh in shards if sh.closed is None or sh.closed > t]
            t = max(t, s.created)
            return [sh for sh in shards if sh.opened <= t and (sh.closed is None or sh.closed > t)]
        if kind == "AT_TRIM_HORIZON":
            # Where reading from the trim horizon starts: the retained shards none of whose parents are retained.
            kept = {sh.shard_id for sh in shards}
            return [sh for sh in shards if sh.parent not in kept and sh.adjacent not in kept]
        raise errors.invalid(f"Unknown ShardFilter type {kind}.")

    def _token(self, stream_id: int, after: str, shard_filter) -> str:
        f = dict(shard_filter) if shard_filter else None
        if f and isinstance(f.get("Timestamp"), _dt.datetime):
            f["Timestamp"] = f["Timestamp"].timestamp()
        doc = [stream_id, after, f, self.clock.now()]
        return base64.b64encode(json.dumps(doc).encode()).decode()

    def _read_token(self, token: str):
        try:
            stream_id, after, f, issued = json.loads(base64.b64decode(token, validate=True))
        except (ValueError, TypeError):
            raise errors.invalid(f"Invalid NextToken: {token}") from None
        if self.clock.now() - issued > ITERATOR_LIFETIME:
            raise ServiceError("ExpiredNextTokenException", "The NextToken has expired.", status=400)
        return stream_id, after, f, issued

    def list_streams(self, ctx: RequestContext, params: dict) -> dict:
        streams = self.store.in_region(ctx.account, ctx.region)
        after = params.get("ExclusiveStartStreamName")
        token = params.get("NextToken")
        if token:
            if after:
                raise errors.invalid("NextToken and ExclusiveStartStreamName cannot be provided together.")
            try:
                after, issued = json.loads(base64.b64decode(token, validate=True))
            except (ValueError, TypeError):
                raise errors.invalid(f"Invalid NextToken: {token}") from None
            if self.clock.now() - issued > ITERATOR_LIFETIME:
                raise ServiceError("ExpiredNextTokenException", "The NextToken has expired.", status=400)
        if after:
            streams = [s for s in streams if s.name > after]
        limit = params.get("Limit") or 100
        page = streams[:limit]
        for s in page:
            self._settle(s)
        out = {"StreamNames": [s.name for s in page], "HasMoreStreams": len(streams) > limit,
               "StreamSummaries": [{"StreamName": s.name, "StreamARN": s.arn, "StreamStatus": s.status,
                                    "StreamModeDetails": {"StreamMode": s.mode},
                                    "StreamCreationTimestamp": s.created} for s in page]}
        if len(streams) > limit:
            out["NextToken"] = base64.b64encode(json.dumps([page[-1].name, self.clock.now()]).encode()).decode()
        return out

    # -- tags --------------------------------------------------------------------------------

    def add_tags_to_stream(self, ctx: RequestContext, params: dict) -> dict:
        s = self._stream(ctx, params)
        tags = params.get("Tags") or {}
        if len(tags) > 10:
            raise errors.invalid("Failed to add tags to stream because a given request cannot have more than 10 "
                                 "tags.")
        self._tag(s, tags)
        return {}

    def _tag(self, s, tags: dict) -> None:
        errors.check_tags(tags)
        merged = {**s.tags, **tags}
        if len(merged) > 50:
            raise errors.limit(f"Failed to add tags to {s.name} because it would have more than 50 tags.")
        s.tags = merged
        if isinstance(s, Stream):
            self.store.save(s)
        else:
            self.store.save_consumer(s)

    def remove_tags_from_stream(self, ctx: RequestContext, params: dict) -> dict:
        s = self._stream(ctx, params)
        for k in params.get("TagKeys") or ():
            s.tags.pop(k, None)
        self.store.save(s)
        return {}

    def list_tags_for_stream(self, ctx: RequestContext, params: dict) -> dict:
        s = self._stream(ctx, params)
        keys = sorted(s.tags)
        after = params.get("ExclusiveStartTagKey")
        if after:
            keys = [k for k in keys if k > after]
        limit = params.get("Limit") or 50
        return {"Tags": [{"Key": k, "Value": s.tags[k]} for k in keys[:limit]], "HasMoreTags": len(keys) > limit}

    def _resource(self, arn: str):
        """The stream or consumer an ARN names."""
        if "/consumer/" in (arn or ""):
            c = self.store.consumers.get(arn)
            if c is None:
                raise errors.not_found(f"Consumer {arn} not found.")
            return c
        return self._by_arn(arn)

    def tag_resource(self, ctx: RequestContext, params: dict) -> dict:
        self._tag(self._resource(params.get("ResourceARN")), params.get("Tags") or {})
        return {}

    def untag_resource(self, ctx: RequestContext, params: dict) -> dict:
        r = self._resource(params.get("ResourceARN"))
        for k in params.get("TagKeys") or ():
            r.tags.pop(k, None)
        self.store.save(r) if isinstance(r, Stream) else self.store.save_consumer(r)
        return {}

    def list_tags_for_resource(self, ctx: RequestContext, params: dict) -> dict:
        r = self._resource(params.get("ResourceARN"))
        return {"Tags": [{"Key": k, "Value": v} for k, v in sorted(r.tags.items())]}

    # -- stream settings ---------------------------------------------------------------------

    def increase_stream_retention_period(self, ctx: RequestContext, params: dict) -> dict:
        s = self._stream(ctx, params)
        hours = params["RetentionPeriodHours"]
        self._active(s)
        if hours > MAX_RETENTION:
            raise errors.invalid(f"Maximum allowed retention period is {MAX_RETENTION} hours. Requested retention "
                                 f"period ({hours} hours) is too long.")
        if hours < s.retention_hours:
            raise errors.invalid(f"Requested retention period ({hours} hours) for stream {s.name} can not be "
                                 f"shorter than existing retention period ({s.retention_hours} hours). Use "
                                 "DecreaseRetentionPeriod API.")
        s.retention_hours = hours
        self.store.save(s)
        return {}

    def decrease_stream_retention_period(self, ctx: RequestContext, params: dict) -> dict:
        s = self._stream(ctx, params)
        hours = params["RetentionPeriodHours"]
        self._active(s)
        if hours < MIN_RETENTION:
            raise errors.invalid(f"Minimum allowed retention period is {MIN_RETENTION} hours. Requested retention "
                                 f"period ({hours} hours) is too short.")
        if hours > s.retention_hours:
            raise errors.invalid(f"Requested retention period ({hours} hours) for stream {s.name} can not be "
                                 f"longer than existing retention period ({s.retention_hours} hours). Use "
                                 "IncreaseRetentionPeriod API.")
        s.retention_hours = hours
        self.store.save(s)
        self._schedule_trim(self.clock.now(), force=True)
        return {}

    async def start_stream_encryption(self, ctx: RequestContext, params: dict) -> dict:
        s = self._stream(ctx, params)
        if params.get("EncryptionType") != "KMS":
            raise errors.invalid("Only KMS is supported as EncryptionType.")
        key = params.get("KeyId") or ""
        self._active(s)
        if key != "alias/aws/kinesis":
            await self._check_key(ctx, key)
        s.encryption, s.key_id = "KMS", key
        self._updating(s)
        return {}

    async def _check_key(self, ctx: RequestContext, key: str) -> None:
        try:
            meta = (await self.internal.call("kms", "DescribeKey", {"KeyId": key}, account=ctx.account,
                                             region=ctx.region, principal="kinesis.amazonaws.com"))["KeyMetadata"]
        except ServiceError as e:
            if e.code == "NotFoundException":
                raise ServiceError("KMSNotFoundException", f"Key {key} not found.", status=400) from None
            raise ServiceError("KMSAccessDeniedException", e.message, status=400) from None
        state = meta.get("KeyState")
        if state == "Disabled":
            raise ServiceError("KMSDisabledException", f"{meta.get('Arn', key)} is disabled.", status=400)
        if state != "Enabled":
            raise ServiceError("KMSInvalidStateException", f"{meta.get('Arn', key)} is {state}.", status=400)

    def stop_stream_encryption(self, ctx: RequestContext, params: dict) -> dict:
        s = self._stream(ctx, params)
        if params.get("EncryptionType") != "KMS":
            raise errors.invalid("Only KMS is supported as EncryptionType.")
        self._active(s)
        s.encryption, s.key_id = "NONE", None
        self._updating(s)
        return {}

    def _monitoring(self, ctx: RequestContext, params: dict, enable: bool) -> dict:
        s = self._stream(ctx, params)
        asked = params.get("ShardLevelMetrics") or []
        if not asked:
            raise errors.invalid("ShardLevelMetrics must not be empty.")
        asked = ALL_METRICS if "ALL" in asked else asked
        before = list(s.metrics)
        current = set(before) | set(asked) if enable else set(before) - set(asked)
        s.metrics = [m for m in ALL_METRICS if m in current]
        self.store.save(s)
        return {"StreamName": s.name, "StreamARN": s.arn, "CurrentShardLevelMetrics": before,
                "DesiredShardLevelMetrics": list(s.metrics)}

    def enable_enhanced_monitoring(self, ctx: RequestContext, params: dict) -> dict:
        return self._monitoring(ctx, params, True)

    def disable_enhanced_monitoring(self, ctx: RequestContext, params: dict) -> dict:
        return self._monitoring(ctx, params, False)

    def update_stream_mode(self, ctx: RequestContext, params: dict) -> dict:
        s = self._by_arn(params.get("StreamARN"))
        mode = params["StreamModeDetails"]["StreamMode"]
        self._active(s)
        if mode == s.mode:
            raise errors.invalid(f"Stream {s.name} under account {s.account} is already in {mode} mode.")
        s.mode = mode
        self._updating(s)
        return {}

    def update_max_record_size(self, ctx: RequestContext, params: dict) -> dict:
        s = self._stream(ctx, params)
        self._active(s)
        s.max_record_kib = params["MaxRecordSizeInKiB"]
        self._updating(s)
        return {}

    def update_stream_warm_throughput(self, ctx: RequestContext, params: dict) -> dict:
        s = self._stream(ctx, params)
        if s.mode != "ON_DEMAND":
            raise errors.validation("Warm throughput can only be set for streams in ON_DEMAND mode.")
        self._active(s)
        s.warm_mibps = params["WarmThroughputMiBps"]
        self._updating(s)
        return {"StreamARN": s.arn, "StreamName": s.name,
                "WarmThroughput": {"TargetMiBps": s.warm_mibps, "CurrentMiBps": s.warm_mibps}}

    def describe_limits(self, ctx: RequestContext, params: dict) -> dict:
        streams = self.store.in_region(ctx.account, ctx.region)
        return {"ShardLimit": SHARD_LIMIT, "OpenShardCount": sum(len(s.open_shards) for s in streams),
                "OnDemandStreamCount": sum(1 for s in streams if s.mode == "ON_DEMAND"),
                "OnDemandStreamCountLimit": ON_DEMAND_STREAM_LIMIT}

    def describe_account_settings(self, ctx: RequestContext, params: dict) -> dict:
        doc = self.store.settings(ctx.account, ctx.region)
        return {"MinimumThroughputBillingCommitment": doc or {"Status": "DISABLED"}}

    def update_account_settings(self, ctx: RequestContext, params: dict) -> dict:
        status = params["MinimumThroughputBillingCommitment"]["Status"]
        doc = self.store.settings(ctx.account, ctx.region)
        now = self.clock.now()
        if status == "ENABLED":
            if doc.get("Status") != "ENABLED":
                doc = {"Status": "ENABLED", "StartedAt": now, "EarliestAllowedEndAt": now + 24 * 3600}
        elif doc.get("Status") == "ENABLED":
            if now < doc["EarliestAllowedEndAt"]:
                doc = {**doc, "Status": "ENABLED_UNTIL_EARLIEST_ALLOWED_END", "EndedAt": doc["EarliestAllowedEndAt"]}
            else:
                doc = {**doc, "Status": "DISABLED", "EndedAt": now}
        self.store.save_settings(ctx.account, ctx.region, doc)
        return {"MinimumThroughputBillingCommitment": doc or {"Status": "DISABLED"}}

    # -- resource policies -------------------------------------------------------------------

    def put_resource_policy(self, ctx: RequestContext, params: dict) -> dict:
        r = self._resource(params.get("ResourceARN"))
        try:
            doc = json.loads(params["Policy"])
        except ValueError:
            raise errors.invalid("Policy is not a valid JSON document.") from None
        if not isinstance(doc, dict) or not doc.get("Statement"):
            raise errors.invalid("Policy must be a JSON object with a Statement.")
        r.policy = params["Policy"]
        self.store.save(r) if isinstance(r, Stream) else self.store.save_consumer(r)
        return {}

    def get_resource_policy(self, ctx: RequestContext, params: dict) -> dict:
        r = self._resource(params.get("ResourceARN"))
        return {"Policy": r.policy or "{}"}

    def delete_resource_policy(self, ctx: RequestContext, params: dict) -> dict:
        r = self._resource(params.get("ResourceARN"))
        if not r.policy:
            raise errors.not_found(f"No resource policy found for resource ARN {params['ResourceARN']}.")
        r.policy = None
        self.store.save(r) if isinstance(r, Stream) else self.store.save_consumer(r)
        return {}

    # -- writing -----------------------------------------------------------------------------

    def _hash_key(self, record: dict) -> int:
        explicit = record.get("ExplicitHashKey")
        if explicit is None:
            return hash_of(record["PartitionKey"])
        if not (isinstance(explicit, str) and explicit.isdigit() and int(explicit) <= MAX_HASH):
            raise errors.invalid(f"Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. "
                                 f"Specified value was {explicit}")
        return int(explicit)

    def _check_record(self, s: Stream, record: dict, where: str) -> int:
        key = record.get("PartitionKey")
        if not key or len(key) > 256:
            raise errors.validation(f"1 validation error detected: Value at '{where}partitionKey' failed to "
                                    "satisfy constraint: Member must have length between 1 and 256")
        size = len(record.get("Data") or b"") + len(key.encode("utf-8"))
        if size > s.max_record_kib * 1024:
            raise errors.validation(f"1 validation error detected: Value at '{where}data' failed to satisfy "
                                    f"constraint: Member must have length less than or equal to "
                                    f"{s.max_record_kib * 1024}")
        return size

    def _writable(self, ctx: RequestContext, params: dict) -> Stream:
        s = self._stream(ctx, params)
        if s.status == "CREATING":
            self._settle(s, force=True)  # a stream is written as soon as a client may have waited for it
        return s

    def _place(self, s: Stream, hash_key: int) -> Shard:
        return s.open_shards[bisect.bisect_right(s.starts, hash_key) - 1]

    def _next(self, sh: Shard, now_ms: int, after: str | None = None) -> tuple[int, str]:
        ms = sh.last_ms if sh.last_ms > now_ms else now_ms
        sh.counter += 1
        if after is not None:
            parsed = parse_sequence(after)
            if parsed is not None and parsed[0] >= ms:
                # Greater than the given number: its time, or a millisecond later if that is not enough.
                ms = parsed[0] if (sh.idx, sh.counter) > parsed[1:] else parsed[0] + 1
        sh.last_ms = ms
        return sh.counter, sequence_number(ms, sh.idx, sh.counter)

    def put_record(self, ctx: RequestContext, params: dict) -> dict:
        s = self._writable(ctx, params)
        size = self._check_record(s, params, "")
        hash_key = self._hash_key(params)
        sh = self._place(s, hash_key)
        now = self.clock.now()
        if s.mode == "PROVISIONED" and not buckets(sh, now).take_in(now, size):
            raise errors.throughput(sh, s)
        counter, seq = self._next(sh, _ms(now), params.get("SequenceNumberForOrdering"))
        encrypted = s.encryption == "KMS"
        self.store.insert([(sh.key(counter), seq, params["PartitionKey"], params.get("Data") or b"", now,
                            encrypted)])
        self._after_put(s, now, (sh,))
        return {"ShardId": sh.shard_id, "SequenceNumber": seq, "EncryptionType": s.encryption}

    def put_records(self, ctx: RequestContext, params: dict) -> dict:
        s = self._writable(ctx, params)
        records = params.get("Records") or []
        if not records or len(records) > MAX_PUT_RECORDS:
            raise errors.validation(f"1 validation error detected: Value at 'records' failed to satisfy constraint: "
                                    f"Member must have length less than or equal to {MAX_PUT_RECORDS}"
                                    if records else "1 validation error detected: Value at 'records' failed to "
                                    "satisfy constraint: Member must have length greater than or equal to 1")
        sizes = [self._check_record(s, r, f"records.{i + 1}.member.") for i, r in enumerate(records)]
        if sum(sizes) > MAX_PUT_RECORDS_BYTES:
            raise errors.invalid(f"Records size exceeds {MAX_PUT_RECORDS_BYTES // MIB} MB limit")
        shards = [self._place(s, self._hash_key(r)) for r in records]
        now = self.clock.now()
        now_ms = _ms(now)
        provisioned = s.mode == "PROVISIONED"
        encrypted = s.encryption == "KMS"
        rows, results, failed = [], [], 0
        for r, sh, size in zip(records, shards, sizes):
            if provisioned and not buckets(sh, now).take_in(now, size):
                failed += 1
                results.append({"ErrorCode": "ProvisionedThroughputExceededException",
                                "ErrorMessage": errors.rate_message(sh, s)})
                continue
            counter, seq = self._next(sh, now_ms)
            rows.append((sh.key(counter), seq, r["PartitionKey"], r.get("Data") or b"", now, encrypted))
            results.append({"SequenceNumber": seq, "ShardId": sh.shard_id})
        if rows:
            self.store.insert(rows)
            self._after_put(s, now, set(shards))
        out = {"FailedRecordCount": failed, "Records": results, "EncryptionType": s.encryption}
        return out

    def _after_put(self, s: Stream, now: float, shards) -> None:
        due = now + s.retention_hours * 3600
        if self._trim_due is None or due < self._trim_due:
            self._schedule_trim(due)
        if self._waiters:
            for sh in shards:
                self._wake(sh.id)

    # -- reading -----------------------------------------------------------------------------

    def _position(self, s: Stream, sh: Shard, kind: str, seq: str | None, timestamp) -> int:
        """The counter of the first record an iterator of this kind reads."""
        if kind == "TRIM_HORIZON":
            return 0
        if kind == "LATEST":
            return sh.counter + 1
        if kind == "AT_TIMESTAMP":
            if timestamp is None:
                raise errors.invalid("Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. "
                                     "Current request has no timestamp parameter.")
            found = self.store.first_at(sh, _epoch(timestamp))
            return sh.counter + 1 if found is None else found
        if kind in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
            if not seq:
                raise errors.invalid(f"Must specify StartingSequenceNumber for iterator of type {kind}.")
            parsed = parse_sequence(seq)
            if parsed is None:
                raise errors.invalid(f"StartingSequenceNumber {seq} used in GetShardIterator on shard {sh.shard_id} "
                                     f"in stream {s.name} under account {s.account} is invalid.")
            if parsed[1] != sh.idx & 0xFFFFFF:
                raise errors.invalid(f"Invalid StartingSequenceNumber. It encodes {shard_id(parsed[1])}, while it "
                                     f"was used in a call to a shard with {sh.shard_id}")
            if parsed[2] > sh.counter and parsed[2] != MAX_COUNTER:
                raise errors.invalid(f"StartingSequenceNumber {seq} used in GetShardIterator on shard "
                                     f"{sh.shard_id} in stream {s.name} under account {s.account} is invalid "
                                     "because it did not come from this stream.")
            return parsed[2] + (1 if kind == "AFTER_SEQUENCE_NUMBER" else 0)
        raise errors.invalid(f"Invalid ShardIteratorType {kind}.")

    def get_shard_iterator(self, ctx: RequestContext, params: dict) -> dict:
        s = self._stream(ctx, params)
        sh = self._shard(s, params.get("ShardId"))
        counter = self._position(s, sh, params.get("ShardIteratorType"), params.get("StartingSequenceNumber"),
                                 params.get("Timestamp"))
        return {"ShardIterator": make_iterator(s.id, sh.id, counter, self.clock.now())}

    def _child_shards(self, s: Stream, sh: Shard) -> list[dict]:
        return [{"ShardId": c.shard_id, "ParentShards": [p for p in (c.parent, c.adjacent) if p],
                 "HashKeyRange": {"StartingHashKey": str(c.start_hash), "EndingHashKey": str(c.end_hash)}}
                for c in s.shards if sh.shard_id in (c.parent, c.adjacent)]

    def _records(self, sh: Shard, counter: int, limit: int) -> tuple[list[dict], int, int]:
        """Up to ``limit`` records (10 MiB at most) from ``counter`` on: (records, next counter, bytes)."""
        out, size = [], 0
        for key, seq, pkey, data, arrival, encrypted in self.store.read(sh, counter, limit):
            if out and size + len(data) > MAX_GET_BYTES:
                break
            size += len(data)
            out.append({"SequenceNumber": seq, "ApproximateArrivalTimestamp": arrival, "Data": data,
                        "PartitionKey": pkey, "EncryptionType": "KMS" if encrypted else "NONE"})
            counter = (key & MAX_COUNTER) + 1
        return out, counter, size

    def _behind(self, sh: Shard, counter: int, now: float) -> int:
        if counter > sh.counter:
            return 0
        arrival = self.store.arrival_of(sh, counter)
        return 0 if arrival is None else max(0, _ms(now) - _ms(arrival))

    def get_records(self, ctx: RequestContext, params: dict) -> dict:
        stream_id, shard_row, counter, issued = read_iterator(params.get("ShardIterator") or "")
        limit = params.get("Limit") or 10000
        if limit > 10000:
            raise errors.validation(f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy "
                                    "constraint: Member must have value less than or equal to 10000")
        now = self.clock.now()
        if now - issued > ITERATOR_LIFETIME:
            raise ServiceError("ExpiredIteratorException",
                               f"Iterator expired. The iterator was created at time {_iso(issued)} while right now "
                               f"it is {_iso(now)} which is further in the future than the tolerated delay of "
                               f"{int(ITERATOR_LIFETIME * 1000)} milliseconds.", status=400)
        s = self.store.by_id.get(stream_id)
        sh = self.store.shard_rows.get(shard_row)
        if s is None or sh is None:
            raise errors.not_found("The stream or shard of this ShardIterator no longer exists.")
        # Readers inside nubis (Lambda's and Firehose's pollers) are not held to the 5 calls a
        # second: under a stopped clock a poller catching up would otherwise never get through.
        throttled = s.mode == "PROVISIONED" and not ctx.internal
        if throttled and not buckets(sh, now).take_call(now):
            raise errors.throughput(sh, s)
        records, counter, size = self._records(sh, counter, limit)
        if throttled:
            sh.buckets.paid(size)
        out = {"Records": records, "MillisBehindLatest": self._behind(sh, counter, now)}
        if sh.open or counter <= sh.counter:
            out["NextShardIterator"] = make_iterator(s.id, sh.id, counter, now)
        else:
            out["ChildShards"] = self._child_shards(s, sh)
        return out

    # -- resharding --------------------------------------------------------------------------

    def _close(self, s: Stream, sh: Shard, now_ms: int) -> None:
        ms = max(now_ms, sh.last_ms)
        sh.end_seq = sequence_number(ms, sh.idx, MAX_COUNTER)
        sh.closed = self.clock.now()
        sh.last_ms = ms
        self.store.save_shard(sh)
        self._wake(sh.id)
        self._schedule_trim(sh.closed + s.retention_hours * 3600)  # when it leaves the listing

    def _reshard_checks(self, s: Stream, added: int) -> None:
        self._active(s)
        if self._open_shards(s.account, s.region) + added > SHARD_LIMIT:
            raise errors.limit(f"This request would exceed the shard limit for the account {s.account} in "
                               f"{s.region}. Limit: {SHARD_LIMIT}.")

    def _open_child(self, s: Stream, lo: int, hi: int, parent, adjacent, ms: int) -> Shard:
        sh = self._open_shard(s, s.next_shard, lo, hi, parent, adjacent, ms)
        s.next_shard += 1
        return sh

    def split_shard(self, ctx: RequestContext, params: dict) -> dict:
        s = self._stream(ctx, params)
        sh = self._shard(s, params.get("ShardToSplit"))
        text = params.get("NewStartingHashKey") or ""
        self._reshard_checks(s, 1)
        if not sh.open:
            raise errors.invalid(f"Shard {sh.shard_id} in stream {s.name} under account {s.account} has already "
                                 "been merged or split, and thus is not eligible for splitting.")
        if not text.isdigit() or not sh.start_hash + 1 < int(text) <= sh.end_hash:
            raise errors.invalid(f"NewStartingHashKey {text} used in SplitShard() on shard {sh.shard_id} in stream "
                                 f"{s.name} under account {s.account} is not both greater than one plus the shard's "
                                 f"StartingHashKey {sh.start_hash} and less than the shard's EndingHashKey "
                                 f"{sh.end_hash}.")
        new = int(text)
        ms = max(_ms(self.clock.now()), sh.last_ms)
        with self.db.transaction():
            self._close(s, sh, ms)
            self._open_child(s, sh.start_hash, new - 1, sh.shard_id, None, ms)
            self._open_child(s, new, sh.end_hash, sh.shard_id, None, ms)
            self._updating(s)
        s.index()
        return {}

    def merge_shards(self, ctx: RequestContext, params: dict) -> dict:
        s = self._stream(ctx, params)
        a = self._shard(s, params.get("ShardToMerge"))
        b = self._shard(s, params.get("AdjacentShardToMerge"))
        self._reshard_checks(s, 0)
        for sh in (a, b):
            if not sh.open:
                raise errors.invalid(f"Shard {sh.shard_id} in stream {s.name} under account {s.account} has already "
                                     "been merged or split, and thus is not eligible for merging.")
        if a is b or not (a.end_hash + 1 == b.start_hash or b.end_hash + 1 == a.start_hash):
            raise errors.invalid(f"Shards {a.shard_id} and {b.shard_id} in stream {s.name} under account "
                                 f"{s.account} are not an adjacent pair of shards eligible for merging")
        ms = max(_ms(self.clock.now()), a.last_ms, b.last_ms)
        with self.db.transaction():
            self._close(s, a, ms)
            self._close(s, b, ms)
            self._open_child(s, min(a.start_hash, b.start_hash), max(a.end_hash, b.end_hash), a.shard_id,
                             b.shard_id, ms)
            self._updating(s)
        s.index()
        return {}

    def update_shard_count(self, ctx: RequestContext, params: dict) -> dict:
        s = self._stream(ctx, params)
        target = params["TargetShardCount"]
        if params.get("ScalingType") != "UNIFORM_SCALING":
            raise errors.invalid("ScalingType must be UNIFORM_SCALING.")
        if s.mode == "ON_DEMAND":
            raise errors.validation("UpdateShardCount is not supported for streams in ON_DEMAND mode.")
        current = len(s.open_shards)
        self._reshard_checks(s, max(0, target - current))
        if target > 2 * current:
            raise errors.limit(f"UpdateShardCount cannot scale up over double your current open shard count. "
                               f"Current open shard count: {current} Target shard count: {target}")
        if target * 2 < current:
            raise errors.limit(f"UpdateShardCount cannot scale down below half your current open shard count. "
                               f"Current open shard count: {current} Target shard count: {target}")
        with self.db.transaction():
            self._rescale(s, target)
            self._updating(s)
        s.index()
        return {"StreamName": s.name, "StreamARN": s.arn, "CurrentShardCount": current,
                "TargetShardCount": target}

    def _rescale(self, s: Stream, target: int) -> None:
        """Uniform scaling as splits then merges, as the service does it: every open
        shard is split at each new boundary inside it, then the pieces of each new
        range are merged pairwise. The short-lived shards in between are closed at
        once, and every child keeps a lineage of one split parent or two merged ones."""
        ranges = uniform_ranges(target)
        olds = list(s.open_shards)
        ms = max([_ms(self.clock.now())] + [sh.last_ms for sh in olds])
        pieces = []
        for sh in olds:
            for cut in [lo for lo, _ in ranges if sh.start_hash < lo <= sh.end_hash]:
                self._close(s, sh, ms)
                pieces.append(self._open_child(s, sh.start_hash, cut - 1, sh.shard_id, None, ms))
                sh = self._open_child(s, cut, sh.end_hash, sh.shard_id, None, ms)
            pieces.append(sh)
        for lo, hi in ranges:
            group = [p for p in pieces if lo <= p.start_hash and p.end_hash <= hi]
            merged = group[0]
            for nxt in group[1:]:
                self._close(s, merged, ms)
                self._close(s, nxt, ms)
                merged = self._open_child(s, merged.start_hash, nxt.end_hash, merged.shard_id, nxt.shard_id, ms)

    # -- retention ---------------------------------------------------------------------------

    def _schedule_trim(self, when: float, force: bool = False) -> None:
        if force or self._trim_due is None or when < self._trim_due:
            self._trim_due = when
            self.scheduler.at(when, "kinesis:trim", key="sweep")

    def _trim(self, payload: dict) -> None:
        """Delete records past their stream's retention, in bounded batches, and
        closed shards once nothing of them is retained; then sleep until the next expiry."""
        self._trim_due = None
        now = self.clock.now()
        nxt = None
        more = False
        for s in list(self.store.by_id.values()):
            keep = s.retention_hours * 3600
            cutoff = now - keep
            changed = False
            for sh in list(s.shards):
                oldest = self.store.oldest(sh)
                if oldest is not None and self.store.arrival_of(sh, oldest) <= cutoff:
                    self.store.save_shard(sh)  # its counter outlives its records
                    if self.store.trim(sh, cutoff, TRIM_BATCH) >= TRIM_BATCH:
                        more = True
                        continue
                if not sh.open and sh.closed + keep <= now and self.store.oldest(sh) is None:
                    self.store.drop_shard(s, sh)
                    changed = True
                    continue
                first = self.store.oldest(sh)
                if first is not None:
                    due = self.store.arrival_of(sh, first) + keep
                    nxt = due if nxt is None else min(nxt, due)
                elif not sh.open:
                    due = sh.closed + keep
                    nxt = due if nxt is None else min(nxt, due)
            if changed:
                s.index()
        if more:
            self._schedule_trim(now)
        elif nxt is not None:
            self._schedule_trim(max(nxt, now + 0.001))

    # -- waking subscribers ------------------------------------------------------------------

    def _wake(self, shard_row: int) -> None:
        for fut in self._waiters.pop(shard_row, ()):
            if not fut.done():
                fut.set_result(None)
