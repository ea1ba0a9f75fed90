"""AWS service events: how another nubis service puts its events (``aws.<service>`` sources,
which customers may not use) on an account's default bus, through the internal client as
the service's principal, as S3 does for its EventBridge notifications.

    await emit(runtime.internal, source="aws.ec2", detail_type="EC2 Instance State-change Notification",
               detail={"instance-id": "i-1", "state": "running"}, account=account, region=region)
"""
from __future__ import annotations

import datetime as _dt
import json

from ...protocol.errors import ServiceError


def principal_of(source: str) -> str:
    """``aws.s3`` -> ``s3.amazonaws.com``."""
    return source.split(".", 1)[1] + ".amazonaws.com" if source.startswith("aws.") else source


async def emit(internal, *, source: str, detail_type: str, detail: dict, account: str, region: str,
               resources: list | tuple = (), at: float | None = None, bus: str = "default") -> str:
    """Put one service event on ``bus``; its event id. A failed entry raises ServiceError
    (a caller that must not lose it retries it, as S3's durable notify timer does)."""
    entry = {"Source": source, "DetailType": detail_type, "Detail": json.dumps(detail),
             "Resources": list(resources), "EventBusName": bus}
    if at is not None:
        entry["Time"] = _dt.datetime.fromtimestamp(at, tz=_dt.timezone.utc)
    out = await internal.call("events", "PutEvents", {"Entries": [entry]}, account=account, region=region,
                              principal=principal_of(source))
    result = out["Entries"][0]
    if "EventId" not in result:
        raise ServiceError(result.get("ErrorCode") or "InternalFailure", result.get("ErrorMessage") or "",
                           status=500, sender_fault=False)
    return result["EventId"]
