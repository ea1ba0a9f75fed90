"""Delivery to an HTTP endpoint, per the Firehose HTTP endpoint delivery
request and response specifications.

A POST with ``X-Amz-Firehose-Request-Id``, ``X-Amz-Firehose-Access-Key``,
``X-Amz-Firehose-Common-Attributes`` and the body ``{requestId, timestamp,
records: [{data}]}`` (gzipped when ``ContentEncoding`` is GZIP). Success is a
200 answering ``{requestId, timestamp}`` with the same request id. Anything
else is retried on the clock (``firehose:retry``, backing off) until
``RetryOptions.DurationInSeconds`` has passed since the first attempt; then the
records go to the S3 configuration under ``http-endpoint-failed``. With
``S3BackupMode`` AllData every record is also written to S3.
"""
from __future__ import annotations

import base64
import gzip
import json
import logging
import uuid

from . import transform
from .transform import Failure, Item

log = logging.getLogger("nubis.firehose")
TIMEOUT = 10.0


async def _post(p, cfg: dict, items: list[Item], now: float) -> str | None:
    """Deliver once; None when the endpoint accepted, else why not."""
    import httpx

    endpoint = cfg.get("EndpointConfiguration") or {}
    request = cfg.get("RequestConfiguration") or {}
    request_id = str(uuid.uuid4())
    body = json.dumps({"requestId": request_id, "timestamp": int(now * 1000),
                       "records": [{"data": base64.b64encode(it.data).decode()} for it in items]}).encode()
    headers = {"Content-Type": "application/json", "X-Amz-Firehose-Request-Id": request_id,
               "X-Amz-Firehose-Protocol-Version": "1.0", "User-Agent": "Amazon Kinesis Data Firehose Agent/1.0"}
    if endpoint.get("AccessKey"):
        headers["X-Amz-Firehose-Access-Key"] = endpoint["AccessKey"]
    attributes = {a["AttributeName"]: a["AttributeValue"] for a in request.get("CommonAttributes") or []}
    headers["X-Amz-Firehose-Common-Attributes"] = json.dumps({"commonAttributes": attributes})
    if request.get("ContentEncoding") == "GZIP":
        body = gzip.compress(body)
        headers["Content-Encoding"] = "gzip"
    if p._http is None:
        p._http = httpx.AsyncClient(timeout=TIMEOUT, verify=False, follow_redirects=False)
    try:
        response = await p._http.post(endpoint["Url"], content=body, headers=headers)
    except httpx.HTTPError as e:
        return f"Unable to connect to the endpoint: {e or type(e).__name__}"
    if response.status_code != 200:
        return f"The endpoint answered HTTP {response.status_code}."
    try:
        answer = response.json()
    except ValueError:
        return "The response from the endpoint is not valid JSON."
    if not isinstance(answer, dict) or answer.get("requestId") != request_id:
        return "The response from the endpoint has a requestId that does not match the request's."
    return None


async def deliver(p, s, rows, payload: dict) -> bool | None:
    """True: done (delivered, or given up to S3); None: a retry is scheduled."""
    cfg = s.dest
    s3 = cfg.get("S3Configuration") or {}
    items = [Item(rid, arrived, data, data) for rid, arrived, data in rows]
    now = p.clock.now()
    first = payload.get("first", now)
    attempt = payload.get("attempt", 0) + 1
    if cfg.get("S3BackupMode") == "AllData" and attempt == 1:
        await p.write_object(s, s3, items, b"".join(it.raw for it in items))
    items, failures = await transform.apply(p, s, items, cfg)
    error = await _post(p, cfg, items, now) if items else None
    if error is None:
        if failures:
            await p.write_errors(s, s3, failures)
        p.scheduler.cancel("firehose:retry", str(s.id))
        return True
    duration = ((cfg.get("RetryOptions") or {}).get("DurationInSeconds", 300))
    if now - first < duration:
        delay = min(2 ** (attempt - 1), 60, max(duration - (now - first), 0.001))
        p.scheduler.after(delay, "firehose:retry", {"id": s.id, "first": first, "attempt": attempt}, key=str(s.id))
        log.info("firehose %s: HTTP endpoint delivery failed (%s); retry %d in %ss", s.name, error, attempt, delay)
        return None
    failures += [Failure(it, "HttpEndpoint.RequestFailed" if "HTTP" in error else "HttpEndpoint.ConnectionFailed",
                         error, "http-endpoint-failed") for it in items]
    await p.write_errors(s, s3, failures)
    return True
