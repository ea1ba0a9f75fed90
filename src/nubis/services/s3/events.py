"""S3 event notifications: ObjectCreated / ObjectRemoved / ObjectTagging / ObjectAcl / ObjectRestore records
delivered to the SQS queues, SNS topics and Lambda functions a bucket's
notification configuration names, through the internal client (principal
``s3.amazonaws.com``), after the change they report is committed; and, when
the configuration has ``EventBridgeConfiguration``, every event of the bucket
to the default event bus of its account and Region (``events:PutEvents``, in
the EventBridge message structure of the S3 user guide).

Delivery is asynchronous, as S3's is, and at least once: each event is a
durable ``s3:notify`` timer written with the change it reports (the same
group commit), delivered by the scheduler and retried with backoff when a
destination fails for a passing reason; a destination that does not exist
is given up at once (and logged).
"""
from __future__ import annotations

import asyncio
import datetime as _dt
import json
import logging
from urllib.parse import quote_plus

from ...auth import policy as iam
from ...protocol.errors import ServiceError
from ..base import RequestContext

log = logging.getLogger("nubis.s3.events")

# Deliveries under way (the loop keeps only weak references to tasks).
_PENDING: set = set()

_KINDS = (("QueueConfigurations", "QueueArn", "sqs"), ("TopicConfigurations", "TopicArn", "sns"),
          ("LambdaFunctionConfigurations", "LambdaFunctionArn", "lambda"))


def _matches(patterns: list, event: str) -> bool:
    full = "s3:" + event
    for p in patterns or []:
        if p == full or (p.endswith(":*") and full.startswith(p[:-1])) or p == "s3:*":
            return True
    return False


def _key_filter(item: dict, key: str) -> bool:
    rules = ((item.get("Filter") or {}).get("Key") or {}).get("FilterRules") or []
    for r in rules:
        name, value = (r.get("Name") or "").lower(), r.get("Value") or ""
        if name == "prefix" and not key.startswith(value):
            return False
        if name == "suffix" and not key.endswith(value):
            return False
    return True


def _iso(t: float) -> str:
    d = _dt.datetime.fromtimestamp(t, tz=_dt.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{d.microsecond // 1000:03d}Z"


def record(provider, ctx, bucket, event: str, key: str, *, size: int | None = None, etag: str | None = None,
           version_id: str | None = None, seq: int = 0, config_id: str = "", at: float | None = None,
           restore: dict | None = None) -> dict:
    obj: dict = {"key": quote_plus(key, safe="/"), "sequencer": f"{seq:016X}"}
    if size is not None:
        obj["size"] = size
    if etag:
        obj["eTag"] = etag.strip('"')
    if version_id and version_id != "null":
        obj["versionId"] = version_id
    principal = ctx.principal or f"AWS:{ctx.account}"
    out = {
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": bucket.region,
        "eventTime": _iso(provider.clock.now() if at is None else at),
        "eventName": event, "userIdentity": {"principalId": principal},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {"x-amz-request-id": ctx.request_id, "x-amz-id-2": ctx.request_id},
        "s3": {"s3SchemaVersion": "1.0", "configurationId": config_id,
               "bucket": {"name": bucket.name, "ownerIdentity": {"principalId": bucket.account},
                          "arn": f"arn:aws:s3:::{bucket.name}"},
               "object": obj},
    }
    if restore and event == "ObjectRestore:Completed":
        out["glacierEventData"] = {"restoreEventData": {
            "lifecycleRestorationExpiryTime": _iso(restore["expiry"]),
            "lifecycleRestoreStorageClass": restore["storage_class"]}}
    return out


# EventBridge's detail-type of each S3 event (by full name, else by its family);
# S3 sends nothing to EventBridge for the others (replication, RRS loss).
_DETAIL_TYPES = {
    "ObjectCreated": "Object Created", "ObjectRemoved": "Object Deleted", "LifecycleExpiration": "Object Deleted",
    "ObjectTagging:Put": "Object Tags Added", "ObjectTagging:Delete": "Object Tags Deleted",
    "ObjectAcl:Put": "Object ACL Updated", "ObjectRestore:Post": "Object Restore Initiated",
    "ObjectRestore:Completed": "Object Restore Completed", "ObjectRestore:Delete": "Object Restore Expired",
    "LifecycleTransition": "Object Storage Class Changed", "IntelligentTiering": "Object Access Tier Changed",
}
# ``reason``: the API that created the object, or what deleted it.
_REASONS = {
    "ObjectCreated:Put": "PutObject", "ObjectCreated:Post": "POST Object", "ObjectCreated:Copy": "CopyObject",
    "ObjectCreated:CompleteMultipartUpload": "CompleteMultipartUpload",
    "ObjectRemoved:Delete": "DeleteObject", "ObjectRemoved:DeleteMarkerCreated": "DeleteObject",
    "LifecycleExpiration:Delete": "Lifecycle Expiration",
    "LifecycleExpiration:DeleteMarkerCreated": "Lifecycle Expiration",
}


def eventbridge_entry(provider, ctx, bucket, event: str, key: str, *, size: int | None = None,
                      etag: str | None = None, version_id: str | None = None, seq: int = 0,
                      at: float | None = None, restore: dict | None = None) -> dict | None:
    """The PutEvents entry (JSON-able: ``Time`` in epoch seconds) S3 sends for ``event``, or None."""
    detail_type = _DETAIL_TYPES.get(event) or _DETAIL_TYPES.get(event.partition(":")[0])
    if detail_type is None:
        return None
    obj: dict = {"key": key}
    if size is not None:
        obj["size"] = size
    if etag:
        obj["etag"] = etag.strip('"')
    if version_id and version_id != "null":
        obj["version-id"] = version_id
    obj["sequencer"] = f"{seq:016x}"
    detail: dict = {"version": "0", "bucket": {"name": bucket.name}, "object": obj,
                    "request-id": ctx.request_id}
    if ctx.internal and ctx.principal:
        detail["requester"] = ctx.principal  # a service principal (lifecycle: s3.amazonaws.com)
    else:
        client = getattr(ctx.request, "client", None)
        detail["requester"] = ctx.account
        detail["source-ip-address"] = client[0] if client else "127.0.0.1"
    if event in _REASONS:
        detail["reason"] = _REASONS[event]
    if detail_type == "Object Deleted":
        detail["deletion-type"] = ("Delete Marker Created" if event.endswith("DeleteMarkerCreated")
                                   else "Permanently Deleted")
    if restore:
        if event == "ObjectRestore:Completed":
            detail["restore-expiry-time"] = _iso(restore["expiry"])
        detail["source-storage-class"] = restore["storage_class"]
    return {"Source": "aws.s3", "DetailType": detail_type, "Resources": [f"arn:aws:s3:::{bucket.name}"],
            "Detail": json.dumps(detail), "EventBusName": "default",
            "Time": provider.clock.now() if at is None else at}


def emit(provider, ctx, bucket, event: str, key: str, **fields) -> None:
    """Deliver ``event`` (``ObjectCreated:Put``, ...) for ``key`` to every matching destination
    (``at=`` a later time: the event happens then, as a restore completes)."""
    try:
        config = provider.notification_configuration(bucket.name)
    except Exception:  # pragma: no cover - configuration store unavailable
        return
    if not config:
        return
    targets = []
    for member, arn_key, service in _KINDS:
        for item in config.get(member) or []:
            if _matches(item.get("Events"), event) and _key_filter(item, key):
                targets.append((service, item[arn_key], item.get("Id") or ""))
    records = [[service, arn, record(provider, ctx, bucket, event, key, config_id=cid, **fields)]
               for service, arn, cid in targets]
    if "EventBridgeConfiguration" in config:
        entry = eventbridge_entry(provider, ctx, bucket, event, key, **fields)
        if entry is not None:
            records.append(["events", f"arn:aws:events:{bucket.region}:{bucket.account}:event-bus/default", entry])
    if not records:
        return
    provider.scheduler.at(fields.get("at") or provider.clock.now(), KIND, {"records": records, "attempt": 1})


def restore_requested(provider, ctx, bucket, obj, storage_class: str, restore: dict) -> None:
    """``ObjectRestore:Post`` for a restore just started, and ``ObjectRestore:Completed`` when its copy
    is ready (a durable timer: it survives a restart). Extending a finished restore reports nothing."""
    if restore["ready"] <= provider.clock.now():
        return
    fields = {"size": obj.size, "etag": obj.etag, "version_id": obj.version_id, "seq": obj.seq,
              "restore": {"storage_class": storage_class, "expiry": restore["expiry"]}}
    emit(provider, ctx, bucket, "ObjectRestore:Post", obj.key_text, **fields)
    by_s3 = RequestContext("s3", "RestoreObject", bucket.account, bucket.region, ctx.request_id,
                           principal="s3.amazonaws.com", internal=True)
    emit(provider, by_s3, bucket, "ObjectRestore:Completed", obj.key_text, at=restore["ready"], **fields)


KIND = "s3:notify"
RETRY_DELAYS = (1, 5, 30, 120, 600)  # seconds before each further attempt
_GONE = {"AWS.SimpleQueueService.NonExistentQueue", "NotFound", "ResourceNotFoundException", "NotImplemented"}


async def on_timer(provider, payload: dict) -> None:
    """Deliver the records of one event; what failed for a passing reason comes back later."""
    failed = []
    for service, arn, rec in payload["records"]:
        try:
            if service == "events":
                await _put_event(provider, arn, rec)
            else:
                await _send(provider, service, arn, json.dumps({"Records": [rec]}))
        except ServiceError as e:
            if e.code in _GONE:
                log.warning("S3 event to %s dropped: %s %s", arn, e.code, e.message)
            else:
                failed.append([service, arn, rec])
        except Exception:  # pragma: no cover - a destination's bug must not lose the others
            log.exception("S3 event to %s not delivered", arn)
            failed.append([service, arn, rec])
    attempt = payload.get("attempt", 1)
    if failed and attempt <= len(RETRY_DELAYS):
        provider.scheduler.after(RETRY_DELAYS[attempt - 1], KIND, {"records": failed, "attempt": attempt + 1})
    elif failed:
        log.warning("S3 events to %s given up after %d attempts", [f[1] for f in failed], attempt)


def _spawn(coro) -> None:
    task = asyncio.get_running_loop().create_task(coro)
    _PENDING.add(task)
    task.add_done_callback(_PENDING.discard)


async def _send(provider, service: str, arn: str, message: str) -> None:
    parts = arn.split(":")
    region, account = parts[3], parts[4]
    if service == "sqs":
        await provider.internal.call("sqs", "SendMessage", {"QueueUrl": f"/{account}/{parts[5]}",
                                                            "MessageBody": message},
                                     account=account, region=region, principal="s3.amazonaws.com")
    elif service == "sns":
        await provider.internal.call("sns", "Publish", {"TopicArn": arn, "Message": message,
                                                        "Subject": "Amazon S3 Notification"},
                                     account=account, region=region, principal="s3.amazonaws.com")
    else:
        await provider.internal.call("lambda", "Invoke", {"FunctionName": arn, "InvocationType": "Event",
                                                          "Payload": message.encode()},
                                     account=account, region=region, principal="s3.amazonaws.com")


async def _put_event(provider, bus_arn: str, entry: dict) -> None:
    parts = bus_arn.split(":")
    entry = {**entry, "Time": _dt.datetime.fromtimestamp(entry["Time"], tz=_dt.timezone.utc)}
    out = await provider.internal.call("events", "PutEvents", {"Entries": [entry]}, account=parts[4],
                                       region=parts[3], principal="s3.amazonaws.com")
    if out.get("FailedEntryCount"):
        # A failed entry (throttled, internal failure) is tried again later, as S3 does.
        failed = (out.get("Entries") or [{}])[0]
        raise ServiceError(failed.get("ErrorCode") or "InternalFailure", failed.get("ErrorMessage") or "",
                           status=500, sender_fault=False)


async def lambda_refusal(provider, bucket, arn: str) -> str | None:
    """Why S3 may not invoke the (existing) function ``arn`` for ``bucket``, or None: S3 checks the
    function's resource policy lets ``s3.amazonaws.com`` call lambda:InvokeFunction from this bucket
    (PutBucketNotificationConfiguration). A Lambda without resource policies is not checked."""
    parts = arn.split(":")
    try:
        out = await provider.internal.call("lambda", "GetPolicy", {"FunctionName": arn}, account=parts[4],
                                           region=parts[3], principal="s3.amazonaws.com")
        policies = [out["Policy"]]
    except ServiceError as e:
        if e.code == "NotImplemented":
            return None
        policies = []  # no policy: nobody else may invoke it
    request = iam.Request("lambda:InvokeFunction", arn, account=bucket.account, service_principal="s3.amazonaws.com",
                          keys={"aws:sourcearn": f"arn:aws:s3:::{bucket.name}", "aws:sourceaccount": bucket.account})
    if iam.evaluate(policies, request, resource_policy=True) == iam.ALLOW:
        return None
    return f"Not authorized to invoke function [{arn}]"


async def _deliver(provider, records) -> None:
    """The s3:TestEvent, sent once (S3 does not retry it either)."""
    await provider.db.durable()
    for service, arn, doc in records:
        try:
            await _send(provider, service, arn, json.dumps(doc))
        except ServiceError as e:
            log.warning("S3 test event to %s not delivered: %s %s", arn, e.code, e.message)


def test_event(provider, ctx, bucket, config: dict) -> None:
    """The ``s3:TestEvent`` S3 sends to every destination of a new notification configuration."""
    now = _dt.datetime.fromtimestamp(provider.clock.now(), tz=_dt.timezone.utc)
    doc = {"Service": "Amazon S3", "Event": "s3:TestEvent",
           "Time": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
           "Bucket": bucket.name, "RequestId": ctx.request_id, "HostId": ctx.request_id}
    targets = [(service, item[arn_key], doc) for member, arn_key, service in _KINDS
               for item in (config or {}).get(member) or [] if service != "lambda"]
    if targets:
        _spawn(_deliver(provider, targets))
