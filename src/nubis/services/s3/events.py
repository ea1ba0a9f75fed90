"""S3 event notifications: ObjectCreated / ObjectRemoved / ObjectTagging records
delivered to the SQS queues, SNS topics and Lambda functions a bucket's
notification configuration names, through the internal client (principal
``s3.amazonaws.com``), after the change they report is committed.

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

from ...protocol.errors import ServiceError

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


def record(provider, ctx, bucket, event: str, key: str, *, size: int | None = None, etag: str | None = None,
           version_id: str | None = None, seq: int = 0, config_id: str = "") -> dict:
    now = _dt.datetime.fromtimestamp(provider.clock.now(), tz=_dt.timezone.utc)
    obj: dict = {"key": quote_plus(key, safe="/"), "sequencer": f"{seq:016X}"}
    if size is not None:
        obj["size"] = size
    if etag:
        obj["eTag"] = etag.strip('"')
    if version_id and version_id != "null":
        obj["versionId"] = version_id
    principal = ctx.principal or f"AWS:{ctx.account}"
    return {
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": bucket.region,
        "eventTime": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
        "eventName": event, "userIdentity": {"principalId": principal},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {"x-amz-request-id": ctx.request_id, "x-amz-id-2": ctx.request_id},
        "s3": {"s3SchemaVersion": "1.0", "configurationId": config_id,
               "bucket": {"name": bucket.name, "ownerIdentity": {"principalId": bucket.account},
                          "arn": f"arn:aws:s3:::{bucket.name}"},
               "object": obj},
    }


def emit(provider, ctx, bucket, event: str, key: str, **fields) -> None:
    """Deliver ``event`` (``ObjectCreated:Put``, ...) for ``key`` to every matching destination."""
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
    if not targets:
        return
    records = [[service, arn, record(provider, ctx, bucket, event, key, config_id=cid, **fields)]
               for service, arn, cid in targets]
    provider.scheduler.at(provider.clock.now(), KIND, {"records": records, "attempt": 1})


KIND = "s3:notify"
RETRY_DELAYS = (1, 5, 30, 120, 600)  # seconds before each further attempt
_GONE = {"AWS.SimpleQueueService.NonExistentQueue", "NotFound", "ResourceNotFoundException", "NotImplemented"}


async def on_timer(provider, payload: dict) -> None:
    """Deliver the records of one event; what failed for a passing reason comes back later."""
    failed = []
    for service, arn, rec in payload["records"]:
        try:
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
