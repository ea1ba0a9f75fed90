"""Amazon Data Firehose.

Operations follow the API reference. Records are buffered durably (a row per
record, committed before PutRecord answers) and delivered when the
destination's ``BufferingHints`` say: the buffer reaching ``SizeInMBs``, or
``IntervalInSeconds`` after its oldest record arrived, on the controllable
clock (durable scheduler timers). Delivery itself is in ``delivery.py``.
"""
from __future__ import annotations

import base64
import os
import re

from ...protocol.errors import ServiceError
from ..base import Provider, RequestContext
from . import destinations as dests
from .delivery import Delivery
from .kinesis_source import KinesisSource
from .prefixes import invalid
from .store import MIGRATIONS, FirehoseStore, Stream
from .transform import PRINCIPAL

NAME = re.compile(r"^[a-zA-Z0-9._-]{1,64}$")
MAX_RECORD = 1_000 * 1024
MAX_BATCH_RECORDS = 500
MAX_BATCH_BYTES = 4 * 1024 * 1024
MAX_TAGS = 50
SOURCES = ("DirectPut", "KinesisStreamAsSource", "MSKAsSource", "DatabaseAsSource")


def not_found(name: str, account: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", f"Firehose stream {name} under account {account} not found.",
                        status=400)


def in_use(message: str) -> ServiceError:
    return ServiceError("ResourceInUseException", message, status=400)


def _record_id() -> str:
    return base64.b64encode(os.urandom(42)).decode()


class FirehoseProvider(Provider, Delivery, KinesisSource):
    service = "firehose"
    migrations = MIGRATIONS

    def start(self) -> None:
        self.store = FirehoseStore(self.db)
        self.scheduler.on("firehose:activate", self._activate)
        self.start_delivery()
        self.start_kinesis_source()

    def reset(self) -> None:
        self.store.load()
        self._buffers.clear()

    async def stop(self) -> None:
        await self.stop_delivery()

    def _stream(self, ctx: RequestContext, params: dict) -> Stream:
        name = params.get("DeliveryStreamName") or ""
        s = self.store.get(ctx.account, ctx.region, name)
        if s is None:
            raise not_found(name, ctx.account)
        return s

    def _activate(self, payload: dict) -> None:
        s = self.store.by_id.get(payload["id"])
        if s is not None and s.doc["status"] == "CREATING":
            s.doc["status"] = "ACTIVE"
            if s.doc["encryption"].get("Status") == "ENABLING":
                s.doc["encryption"]["Status"] = "ENABLED"
            self.store.save(s)

    # -- CreateDeliveryStream ---------------------------------------------------------

    async def create_delivery_stream(self, ctx: RequestContext, params: dict) -> dict:
        name = params.get("DeliveryStreamName") or ""
        if not NAME.match(name):
            raise invalid(f"Value '{name}' at 'deliveryStreamName' failed to satisfy constraint: Member must satisfy "
                          "regular expression pattern: [a-zA-Z0-9._-]+")
        kind = params.get("DeliveryStreamType") or "DirectPut"
        if kind not in SOURCES:
            raise invalid(f"DeliveryStreamType {kind} is not valid.")
        source = None
        if kind == "KinesisStreamAsSource":
            source = params.get("KinesisStreamSourceConfiguration")
            if not source or not source.get("KinesisStreamARN") or not source.get("RoleARN"):
                raise invalid("KinesisStreamSourceConfiguration must be specified for KinesisStreamAsSource.")
            if not re.match(r"^arn:aws[\w-]*:kinesis:[a-z0-9-]+:\d{12}:stream/[a-zA-Z0-9_.-]+$",
                            source["KinesisStreamARN"]):
                raise invalid(f"KinesisStreamARN {source['KinesisStreamARN']} is not a valid Kinesis stream ARN.")
            await self.check_source(source["KinesisStreamARN"])
        elif params.get("KinesisStreamSourceConfiguration"):
            raise invalid("KinesisStreamSourceConfiguration is only allowed for KinesisStreamAsSource.")
        for other, member in (("MSKAsSource", "MSKSourceConfiguration"), ("DatabaseAsSource",
                                                                          "DatabaseSourceConfiguration")):
            if (kind == other) != bool(params.get(member)):
                raise invalid(f"{member} must be specified for {other}, and only for it.")
            if kind == other:
                source = params[member]   # stored; nubis does not read MSK clusters or databases
        named = dests.named(params)
        if len(named) != 1:
            raise invalid("Exactly one destination configuration must be specified." if named
                          else "A destination configuration must be specified.")
        dest_kind = dests.KINDS[named[0]][0]
        config = params[named[0]]
        dests.check(dest_kind, config)
        encryption = params.get("DeliveryStreamEncryptionConfigurationInput")
        if encryption and kind != "DirectPut":
            raise invalid("Server-side encryption is only supported for DirectPut Firehose streams; a stream "
                          "with a Kinesis data stream as source uses the source's encryption.")
        enc = await self._encryption(ctx, encryption) if encryption else {"Status": "DISABLED"}
        tags = self._tags_in(params.get("Tags") or [])
        if self.store.get(ctx.account, ctx.region, name) is not None:
            raise in_use(f"Firehose stream {name} under accountId {ctx.account} already exists.")
        now = self.clock.now()
        doc = {"status": "CREATING", "destination": {"kind": dest_kind, "config": config},
               "source": source, "encryption": enc}
        with self.db.transaction():
            s = self.store.create(ctx.account, ctx.region, name, kind, doc, tags, now)
            # Creation takes a moment on AWS; here it completes on the scheduler's next turn.
            self.scheduler.at(now, "firehose:activate", {"id": s.id}, key=str(s.id))
            if kind == "KinesisStreamAsSource":
                self.start_polling(s)
        return {"DeliveryStreamARN": s.arn}

    async def _encryption(self, ctx: RequestContext, cfg: dict) -> dict:
        key_type = cfg.get("KeyType") or "AWS_OWNED_CMK"
        if key_type == "CUSTOMER_MANAGED_CMK" and not cfg.get("KeyARN"):
            raise invalid("KeyARN must be specified when KeyType is CUSTOMER_MANAGED_CMK.")
        if key_type == "AWS_OWNED_CMK" and cfg.get("KeyARN"):
            raise invalid("KeyARN must not be specified when KeyType is AWS_OWNED_CMK.")
        out = {"KeyType": key_type, "Status": "ENABLED"}
        if cfg.get("KeyARN"):
            # A customer managed key must exist and be usable: KMS is asked, as Firehose does.
            try:
                key = (await self.internal.call("kms", "DescribeKey", {"KeyId": cfg["KeyARN"]}, account=ctx.account,
                                                region=ctx.region, principal=PRINCIPAL))["KeyMetadata"]
            except ServiceError as e:
                raise ServiceError("InvalidKMSResourceException", e.message, status=400,
                                   fields={"code": e.code}) from None
            if key.get("KeyState") != "Enabled" or key.get("KeySpec", "SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT":
                raise ServiceError("InvalidKMSResourceException",
                                   f"The KMS key {cfg['KeyARN']} is not an enabled symmetric key.", status=400,
                                   fields={"code": "KMS.InvalidStateException"})
            out["KeyARN"] = key["Arn"]
        return out

    @staticmethod
    def _tags_in(tags: list) -> dict:
        if len(tags) > MAX_TAGS:
            raise ServiceError("LimitExceededException", f"A Firehose stream cannot have more than {MAX_TAGS} tags.",
                               status=400)
        out = {}
        for t in tags:
            key = t.get("Key") or ""
            if not key or len(key) > 128 or key.startswith("aws:"):
                raise invalid(f"Tag key {key!r} is not valid.")
            out[key] = t.get("Value", "")
        return out

    # -- DeleteDeliveryStream -----------------------------------------------------------------

    def delete_delivery_stream(self, ctx: RequestContext, params: dict) -> dict:
        s = self._stream(ctx, params)
        with self.db.transaction():
            for kind in ("firehose:flush", "firehose:retry", "firehose:poll", "firehose:activate"):
                self.scheduler.cancel(kind, str(s.id))
            self.store.delete(s)
        self._buffers.pop(s.id, None)
        return {}

    # -- DescribeDeliveryStream ------------------------------------------------------------

    def describe_delivery_stream(self, ctx: RequestContext, params: dict) -> dict:
        s = self._stream(ctx, params)
        out = {"DeliveryStreamName": s.name, "DeliveryStreamARN": s.arn, "DeliveryStreamStatus": s.doc["status"],
               "DeliveryStreamType": s.kind, "VersionId": str(s.version), "CreateTimestamp": s.created,
               "DeliveryStreamEncryptionConfiguration": s.doc["encryption"],
               "Destinations": [dests.describe(s.dest_kind, s.dest)], "HasMoreDestinations": False}
        if s.version > 1:
            out["LastUpdateTimestamp"] = s.updated
        if s.kind == "DirectPut":
            out["Source"] = {"DirectPutSourceDescription": {}}
        elif s.kind == "KinesisStreamAsSource":
            out["Source"] = {"KinesisStreamSourceDescription": {
                "KinesisStreamARN": s.doc["source"]["KinesisStreamARN"], "RoleARN": s.doc["source"]["RoleARN"],
                "DeliveryStartTimestamp": s.created}}
        elif s.kind == "MSKAsSource":
            out["Source"] = {"MSKSourceDescription": {**(s.doc["source"] or {}), "DeliveryStartTimestamp": s.created}}
        elif s.kind == "DatabaseAsSource":
            out["Source"] = {"DatabaseSourceDescription": s.doc["source"] or {}}
        return {"DeliveryStreamDescription": out}

    # -- ListDeliveryStreams -------------------------------------------------------------------

    def list_delivery_streams(self, ctx: RequestContext, params: dict) -> dict:
        limit = params.get("Limit") or 10
        if not 1 <= limit <= 10000:
            raise invalid("Limit must be between 1 and 10000.")
        kind = params.get("DeliveryStreamType")
        start = params.get("ExclusiveStartDeliveryStreamName")
        names = [s.name for s in self.store.in_region(ctx.account, ctx.region)
                 if (kind is None or s.kind == kind) and (start is None or s.name > start)]
        return {"DeliveryStreamNames": names[:limit], "HasMoreDeliveryStreams": len(names) > limit}

    # -- UpdateDestination ---------------------------------------------------------------------

    def update_destination(self, ctx: RequestContext, params: dict) -> dict:
        s = self._stream(ctx, params)
        given = params.get("CurrentDeliveryStreamVersionId") or ""
        if given != str(s.version):
            raise ServiceError("ConcurrentModificationException",
                               f"Cannot update firehose: {s.name} since the current version id: {s.version} and "
                               f"specified version id: {given} do not match", status=400)
        if params.get("DestinationId") != "destinationId-000000000001":
            raise invalid(f"Destination Id {params.get('DestinationId')} not found.")
        named = dests.named(params, "Update")
        if len(named) != 1:
            raise invalid("Exactly one destination update must be specified.")
        kind = dests.UPDATES[named[0]]
        update = params[named[0]]
        # The same kind of destination: the update's members over the stored ones; another
        # kind (S3 to HTTP endpoint, say): the update is its whole configuration.
        config = dests.merge(s.dest if kind == s.dest_kind else {}, update)
        dests.check(kind, config)
        s.doc["destination"] = {"kind": kind, "config": config}
        s.version += 1
        s.updated = self.clock.now()
        with self.db.transaction():
            self.store.save(s)
            # New buffering hints apply to what is buffered already.
            self._buffers.pop(s.id, None)
            self._arm(s)
        return {}

    # -- PutRecord, PutRecordBatch ------------------------------------------------------------

    def _direct(self, ctx: RequestContext, params: dict) -> Stream:
        s = self._stream(ctx, params)
        if s.kind != "DirectPut":
            raise invalid(f"This operation is not permitted on {s.kind} delivery stream type.")
        return s

    @staticmethod
    def _data(record: dict | None, where: str) -> bytes:
        data = (record or {}).get("Data")
        if data is None:
            raise invalid(f"{where}.data must not be null.")
        if isinstance(data, str):
            data = data.encode("utf-8")
        if len(data) > MAX_RECORD:
            raise invalid(f"1 validation error detected: Value at '{where}.data' failed to satisfy constraint: "
                          f"Member must have length less than or equal to {MAX_RECORD}")
        return data

    def put_record(self, ctx: RequestContext, params: dict) -> dict:
        s = self._direct(ctx, params)
        data = self._data(params.get("Record"), "record")
        self.accept(s, [(self.clock.now(), data)])
        return {"RecordId": _record_id(), "Encrypted": s.doc["encryption"].get("Status") == "ENABLED"}

    def put_record_batch(self, ctx: RequestContext, params: dict) -> dict:
        s = self._direct(ctx, params)
        records = params.get("Records") or []
        if not 1 <= len(records) <= MAX_BATCH_RECORDS:
            bound = "less than or equal to 500" if records else "greater than or equal to 1"
            raise invalid("1 validation error detected: Value at 'records' failed to satisfy constraint: Member "
                          f"must have length {bound}")
        datas = [self._data(r, f"records.{i + 1}.member") for i, r in enumerate(records)]
        if sum(len(d) for d in datas) > MAX_BATCH_BYTES:
            raise invalid("The total size of the records in a PutRecordBatch request must not exceed 4 MiB.")
        now = self.clock.now()
        self.accept(s, [(now, d) for d in datas])
        return {"FailedPutCount": 0, "Encrypted": s.doc["encryption"].get("Status") == "ENABLED",
                "RequestResponses": [{"RecordId": _record_id()} for _ in datas]}

    # -- encryption ------------------------------------------------------------------------------

    async def start_delivery_stream_encryption(self, ctx: RequestContext, params: dict) -> dict:
        s = self._stream(ctx, params)
        if s.kind != "DirectPut":
            raise invalid(f"Encryption is not supported for Firehose {s.name} with source {s.kind}.")
        s.doc["encryption"] = await self._encryption(ctx, params.get("DeliveryStreamEncryptionConfigurationInput")
                                                     or {})
        s.updated = self.clock.now()
        self.store.save(s)
        return {}

    def stop_delivery_stream_encryption(self, ctx: RequestContext, params: dict) -> dict:
        s = self._stream(ctx, params)
        if s.kind != "DirectPut":
            raise invalid(f"Encryption is not supported for Firehose {s.name} with source {s.kind}.")
        s.doc["encryption"] = {"Status": "DISABLED"}
        s.updated = self.clock.now()
        self.store.save(s)
        return {}

    # -- tags -------------------------------------------------------------------------------------

    def tag_delivery_stream(self, ctx: RequestContext, params: dict) -> dict:
        s = self._stream(ctx, params)
        new = self._tags_in(params.get("Tags") or [])
        if len({**s.tags, **new}) > MAX_TAGS:
            raise ServiceError("LimitExceededException", f"A Firehose stream cannot have more than {MAX_TAGS} tags.",
                               status=400)
        s.tags.update(new)
        self.store.save(s)
        return {}

    def untag_delivery_stream(self, ctx: RequestContext, params: dict) -> dict:
        s = self._stream(ctx, params)
        for key in params.get("TagKeys") or []:
            s.tags.pop(key, None)
        self.store.save(s)
        return {}

    def list_tags_for_delivery_stream(self, ctx: RequestContext, params: dict) -> dict:
        s = self._stream(ctx, params)
        limit = params.get("Limit") or 50
        start = params.get("ExclusiveStartTagKey")
        keys = sorted(k for k in s.tags if start is None or k > start)
        return {"Tags": [{"Key": k, "Value": s.tags[k]} for k in keys[:limit]], "HasMoreTags": len(keys) > limit}
