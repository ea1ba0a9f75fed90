"""Subscription filters at work: the events of a PutLogEvents that match a
group's subscription filter go to the filter's destination, as the user
guide's "Real-time processing of log data with subscriptions" describes.

What travels is a gzipped JSON document (``messageType`` DATA_MESSAGE,
``owner``, ``logGroup``, ``logStream``, ``subscriptionFilters``,
``logEvents``). A Lambda function receives it base64-encoded as
``{"awslogs": {"data": ...}}`` (an asynchronous invoke); Kinesis Data
Streams and Firehose receive the gzipped bytes as a record.

Each delivery is a durable timer, due at once, committed with the events; a
failed attempt is tried again with backoff. Groups without subscription
filters pay one dict lookup per PutLogEvents.
"""
from __future__ import annotations

import base64
import gzip
import json
import logging
from dataclasses import dataclass

from ...protocol.errors import ServiceError
from . import filter_pattern

log = logging.getLogger("nubis.logs")

KIND = "logs:deliver"
PRINCIPAL = "logs.amazonaws.com"
CHUNK_BYTES = 180_000   # raw JSON per delivery: within Lambda's 256 KiB event payload once gzipped and base64'd
MAX_ATTEMPTS = 12
MAX_BACKOFF = 300.0
_CLIENT_ERRORS = {"ResourceNotFoundException", "InvalidParameterValueException", "AccessDeniedException",
                  "UnknownService", "NotImplemented", "ValidationException"}


@dataclass(frozen=True)
class Filter:
    name: str
    pattern: filter_pattern.Pattern
    destination: str


def arn_service(arn: str) -> str:
    parts = arn.split(":")
    return parts[2] if len(parts) > 5 and parts[0] == "arn" else ""


class Subscriptions:
    def __init__(self, provider):
        self.p = provider
        self.by_group: dict[int, list[Filter]] = {}
        provider.scheduler.on(KIND, self.on_timer)

    def load(self) -> None:
        self.by_group.clear()
        for group_id, name, pattern, destination in self.p.store.all_subscription_filters():
            self.by_group.setdefault(group_id, []).append(Filter(name, filter_pattern.compile(pattern), destination))

    def refresh(self, g) -> None:
        filters = [Filter(r[0], filter_pattern.compile(r[1]), r[2]) for r in self.p.store.subscription_filters(g)]
        if filters:
            self.by_group[g.id] = filters
        else:
            self.by_group.pop(g.id, None)

    def forget(self, group_id: int) -> None:
        self.by_group.pop(group_id, None)

    # -- checking a destination -----------------------------------------------------------

    async def check_destination(self, arn: str) -> None:
        """A Lambda function or a Logs destination must exist (as PutSubscriptionFilter checks);
        Kinesis and Firehose targets are taken on trust until nubis has those services."""
        service = arn_service(arn)
        if service not in ("lambda", "kinesis", "firehose", "logs"):
            raise ServiceError("InvalidParameterException", f"Invalid destinationArn: {arn}")
        parts = arn.split(":")
        if service == "logs":
            if len(parts) < 7 or parts[5] != "destination" or self.p.store.destination(
                    parts[4], parts[3], parts[6]) is None:
                raise ServiceError("InvalidParameterException", f"The destination {arn} does not exist.")
            return
        if service != "lambda":
            return
        try:
            await self.p.internal.call("lambda", "GetFunction", {"FunctionName": arn}, account=parts[4],
                                       region=parts[3], principal=PRINCIPAL)
        except ServiceError as e:
            if e.code in ("UnknownService", "NotImplemented"):
                return
            raise ServiceError("InvalidParameterException", "Could not execute the lambda function. Make sure you "
                               "have given CloudWatch Logs permission to execute your function.") from None

    # -- after PutLogEvents -------------------------------------------------------------------

    def on_put(self, g, s, events: list[tuple[int, str]]) -> None:
        filters = self.by_group.get(g.id)
        if not filters or not events:
            return
        now = self.p.clock.now()
        # 56 digits, as AWS's event ids: unique by stream, upload and place in the upload.
        ids = [f"{ts:020d}{s.id:012d}{s.sequence:012d}{i:012d}" for i, (ts, _) in enumerate(events)]
        for f in filters:
            matched = [{"id": i, "timestamp": ts, "message": m}
                       for (ts, m), i in zip(events, ids) if f.pattern.matches(m)]
            for n, chunk in enumerate(_chunks(matched)):
                doc = {"messageType": "DATA_MESSAGE", "owner": g.account, "logGroup": g.name, "logStream": s.name,
                       "subscriptionFilters": [f.name], "logEvents": chunk}
                key = f"{g.id}:{f.name}:{chunk[0]['id']}:{n}"
                self.p.scheduler.at(now, KIND, {"destination": f.destination, "doc": doc, "attempt": 1, "key": key},
                                    key=key)

    # -- the timer -----------------------------------------------------------------------------------

    async def on_timer(self, payload: dict) -> None:
        attempt = payload.get("attempt", 1)
        key = payload["key"]
        # Tried again later unless this attempt succeeds: nothing is lost if nubis stops mid-way.
        retry = attempt < MAX_ATTEMPTS
        if retry:
            self.p.scheduler.after(min(MAX_BACKOFF, 2.0 ** attempt), KIND, {**payload, "attempt": attempt + 1},
                                   key=key)
        try:
            await self._deliver(payload["destination"], payload["doc"])
        except ServiceError as e:
            if e.code in _CLIENT_ERRORS or not retry:
                self.p.scheduler.cancel(KIND, key)
                log.warning("log events for %s not delivered to %s: %s %s", payload["doc"]["logGroup"],
                            payload["destination"], e.code, e.message)
            return
        self.p.scheduler.cancel(KIND, key)

    async def _deliver(self, arn: str, doc: dict) -> None:
        data = gzip.compress(json.dumps(doc, separators=(",", ":")).encode("utf-8"))
        parts = arn.split(":")
        service, region, account = arn_service(arn), parts[3], parts[4]
        resource = ":".join(parts[5:])
        if service == "lambda":
            body = json.dumps({"awslogs": {"data": base64.b64encode(data).decode()}}).encode()
            operation, params = "Invoke", {"FunctionName": arn, "InvocationType": "Event", "Payload": body}
        elif service == "kinesis":
            operation, params = "PutRecord", {"StreamName": resource.split("/", 1)[-1], "Data": data,
                                              "PartitionKey": doc["logStream"]}
        elif service == "firehose":
            operation, params = "PutRecord", {"DeliveryStreamName": resource.split("/", 1)[-1],
                                              "Record": {"Data": data}}
        elif service == "logs" and resource.startswith("destination:"):
            # A destination for cross-account subscriptions: deliver to its target.
            found = self.p.store.destination(account, region, resource.split(":", 1)[1])
            if found is None:
                raise ServiceError("ResourceNotFoundException", f"The destination {arn} does not exist.")
            await self._deliver(found["target_arn"], doc)
            return
        else:
            raise ServiceError("NotImplemented", f"nubis does not deliver to {arn} yet.")
        await self.p.internal.call(service, operation, params, account=account, region=region, principal=PRINCIPAL)


def _chunks(events: list[dict]) -> list[list[dict]]:
    out, current, size = [], [], 0
    for e in events:
        n = len(e["message"].encode("utf-8")) + 64
        if current and size + n > CHUNK_BYTES:
            out.append(current)
            current, size = [], 0
        current.append(e)
        size += n
    if current:
        out.append(current)
    return out
