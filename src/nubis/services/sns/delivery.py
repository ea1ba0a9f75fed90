"""Getting a published message to each subscription: what each protocol
receives, and how failures are retried.

SQS deliveries happen inline in Publish, through the internal client, so a
message is in its queues before Publish answers. Every other protocol (HTTP/S,
e-mail, SMS, mobile push, Lambda, Firehose) is a durable timer
(``sns:deliver``) committed with the Publish, fired at once by the scheduler:
Publish never waits on a network call, and a restart resumes what was pending.
A failed attempt is retried per the protocol's delivery policy; a client-side
failure (the endpoint is gone) is not retried. When no attempts are left the
message goes to the subscription's dead-letter queue, if it has one.
"""
from __future__ import annotations

import asyncio
import base64
import json
import logging
import uuid
from typing import TYPE_CHECKING

from ...protocol.errors import ServiceError

if TYPE_CHECKING:
    from .provider import SnsProvider

log = logging.getLogger("nubis.sns")

KIND = "sns:deliver"
HTTP_TIMEOUT = 15.0
# How long a timer handler waits for an attempt before letting it finish in
# the background (the next attempt is already scheduled, so a crash loses nothing).
INLINE_WAIT = 2.0

# Delivery policies AWS applies (and users cannot change) per endpoint type.
MANAGED_POLICY = {"numNoDelayRetries": 3, "numMinDelayRetries": 2, "minDelayTarget": 1, "maxDelayTarget": 20,
                  "numRetries": 100_015 - 1, "numMaxDelayRetries": 100_000, "backoffFunction": "exponential"}
CUSTOMER_POLICY = {"numNoDelayRetries": 0, "numMinDelayRetries": 2, "minDelayTarget": 10, "maxDelayTarget": 600,
                   "numRetries": 49, "numMaxDelayRetries": 38, "backoffFunction": "exponential"}
HTTP_DEFAULT_POLICY = {"minDelayTarget": 20, "maxDelayTarget": 20, "numRetries": 3, "numMaxDelayRetries": 0,
                       "numNoDelayRetries": 0, "numMinDelayRetries": 0, "backoffFunction": "linear"}
DEFAULT_EFFECTIVE_DELIVERY_POLICY = {"http": {"defaultHealthyRetryPolicy": HTTP_DEFAULT_POLICY,
                                              "disableSubscriptionOverrides": False,
                                              "defaultRequestPolicy": {"headerContentType": "text/plain; charset=UTF-8"}}}
CONTENT_TYPE = "text/plain; charset=UTF-8"
USER_AGENT = "Amazon Simple Notification Service Agent"

# Failures that mean the endpoint is gone or refuses SNS: not retried.
_CLIENT_ERRORS = {"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist", "AccessDenied",
                  "AccessDeniedException", "ResourceNotFoundException", "NotImplemented", "InvalidParameterValue",
                  "KMS.AccessDeniedException", "InvalidSecurity"}


class DeliveryFailed(Exception):
    def __init__(self, code: str, message: str, client_side: bool):
        super().__init__(message)
        self.code = code
        self.client_side = client_side


# -- retry schedules ---------------------------------------------------------------------

def retry_delay(policy: dict, attempt: int) -> float | None:
    """Seconds to wait after failed attempt number ``attempt`` (1 is the first
    delivery), or None when the policy has no retries left."""
    retries = int(policy.get("numRetries", 3))
    if attempt > retries:
        return None
    no_delay = int(policy.get("numNoDelayRetries", 0))
    min_delay_n = int(policy.get("numMinDelayRetries", 0))
    max_delay_n = int(policy.get("numMaxDelayRetries", 0))
    low = float(policy.get("minDelayTarget", 20))
    high = float(policy.get("maxDelayTarget", 20))
    i = attempt  # the i-th retry comes next
    if i <= no_delay:
        return 0.0
    i -= no_delay
    if i <= min_delay_n:
        return low
    i -= min_delay_n
    backoff_n = max(0, retries - no_delay - min_delay_n - max_delay_n)
    if i <= backoff_n:
        return _backoff(policy.get("backoffFunction", "linear"), low, high, i, backoff_n)
    return high


def _backoff(function: str, low: float, high: float, i: int, n: int) -> float:
    """The i-th of n delays rising from ``low`` to ``high``."""
    if n <= 1 or high <= low:
        return high
    x = i / n
    if function == "arithmetic":
        x = (i * (i + 1)) / (n * (n + 1))
    elif function == "geometric":
        return low * (high / low) ** x if low > 0 else high * x
    elif function == "exponential":
        x = (2 ** i - 1) / (2 ** n - 1)
    return low + (high - low) * x


def effective_http_policy(topic_policy: dict | None, sub_policy: dict | None) -> tuple[dict, str]:
    """The retry policy and content type an HTTP/S subscription gets."""
    http = (topic_policy or {}).get("http", {}) if isinstance(topic_policy, dict) else {}
    retry = dict(HTTP_DEFAULT_POLICY)
    retry.update(http.get("defaultHealthyRetryPolicy") or {})
    ctype = (http.get("defaultRequestPolicy") or {}).get("headerContentType", CONTENT_TYPE)
    if sub_policy and not http.get("disableSubscriptionOverrides"):
        retry.update(sub_policy.get("healthyRetryPolicy") or {})
        ctype = (sub_policy.get("requestPolicy") or {}).get("headerContentType", ctype)
    return retry, ctype


def policy_for(protocol: str) -> dict:
    if protocol in ("sqs", "lambda"):
        return MANAGED_POLICY
    return CUSTOMER_POLICY


# -- message bodies --------------------------------------------------------------------------

def envelope_text(doc: dict, indent: str = "  ") -> str:
    """A notification in AWS's own layout ("Key" : value, two-space indent).

    Written by hand: ``json.dumps(indent=...)`` falls back to the pure-Python
    encoder, several times slower on the Publish path."""
    dumps = _dumps
    parts = []
    for key, value in doc.items():
        text = envelope_text(value, indent + "  ") if isinstance(value, dict) else dumps(value)
        parts.append(f'{indent}{dumps(key)} : {text}')
    if not parts:
        return "{}"
    return "{\n" + ",\n".join(parts) + "\n" + indent[:-2] + "}"


# One encoder for all: json.dumps with options builds a new one per call.
_dumps = json.JSONEncoder(ensure_ascii=False).encode


def envelope_attributes(attrs: dict | None) -> dict:
    """Message attributes as a JSON notification carries them."""
    out = {}
    for name, a in (attrs or {}).items():
        value = a.get("BinaryValue") if a["DataType"].startswith("Binary") else a.get("StringValue")
        out[name] = {"Type": a["DataType"], "Value": value}
    return out


def sqs_attributes(attrs: dict | None) -> dict:
    """Message attributes (JSON-safe, binary as base64) as SQS SendMessage takes them."""
    out = {}
    for name, a in (attrs or {}).items():
        if a["DataType"].startswith("Binary"):
            out[name] = {"DataType": a["DataType"], "BinaryValue": base64.b64decode(a["BinaryValue"])}
        else:
            out[name] = {"DataType": a["DataType"], "StringValue": a["StringValue"]}
    return out


def arn_parts(arn: str) -> tuple[str, str, str]:
    """(region, account, resource) of an ARN."""
    parts = arn.split(":", 5)
    return parts[3], parts[4], parts[5]


def queue_url(queue_arn: str) -> str:
    region, account, name = arn_parts(queue_arn)
    return f"https://sqs.{region}.amazonaws.com/{account}/{name}"


class Deliveries:
    """Sends deliveries and runs the ``sns:deliver`` timers."""

    def __init__(self, provider: "SnsProvider"):
        self.p = provider
        self._http = None
        self._tasks: set[asyncio.Task] = set()

    # -- scheduling ------------------------------------------------------------------------------

    def schedule(self, delivery: dict) -> None:
        """A durable first attempt, due now (call inside the Publish transaction)."""
        delivery.setdefault("id", str(uuid.uuid4()))
        delivery.setdefault("attempt", 1)
        self.p.scheduler.at(self.p.clock.now(), KIND, delivery, key=delivery["id"])

    async def deliver_inline(self, delivery: dict) -> tuple[float, dict] | None:
        """Publish's own attempt (to a queue). A server-side failure returns
        the retry (delay, delivery) for Publish to commit as a timer."""
        try:
            await self._attempt(delivery)
            return None
        except DeliveryFailed as e:
            delay = retry_delay(delivery["policy"], 1)
            if e.client_side or delay is None:
                await self._dead_letter(delivery, e)
                return None
            return delay, {**delivery, "attempt": 2}

    # -- the timer ---------------------------------------------------------------------------------

    async def on_timer(self, delivery: dict) -> None:
        if (delivery.get("type") == "Notification" and delivery.get("sub")
                and self.p.store.subscription(delivery["sub"]) is None):
            return  # unsubscribed (or topic deleted) since: nothing more goes out
        attempt = delivery.get("attempt", 1)
        delay = retry_delay(delivery["policy"], attempt)
        # The next attempt is scheduled before this one runs: if nubis dies
        # mid-attempt, the message is delivered again (at least once), never lost.
        guard = delay if delay is not None else HTTP_TIMEOUT * 4
        self.p.scheduler.after(guard, KIND, {**delivery, "attempt": attempt + 1}, key=delivery["id"])
        task = asyncio.get_running_loop().create_task(self._run(delivery, delay))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        await asyncio.wait({task}, timeout=INLINE_WAIT)

    async def _run(self, delivery: dict, delay: float | None) -> None:
        try:
            await self._attempt(delivery)
        except DeliveryFailed as e:
            if e.client_side or delay is None:
                self.p.scheduler.cancel(KIND, delivery["id"])
                await self._dead_letter(delivery, e)
            else:
                log.info("delivery %s to %s failed (%s); retry in %ss", delivery["id"], delivery["endpoint"],
                         e, delay)
            return
        except Exception:
            log.exception("delivery %s failed unexpectedly", delivery["id"])
            return
        self.p.scheduler.cancel(KIND, delivery["id"])

    async def _dead_letter(self, delivery: dict, error: DeliveryFailed) -> None:
        sub = self.p.store.subscription(delivery["sub"]) if delivery.get("sub") else None
        dlq = None
        if sub is not None:
            try:
                dlq = json.loads(sub.attributes.get("RedrivePolicy") or "{}").get("deadLetterTargetArn")
            except ValueError:
                dlq = None
        if not dlq:
            log.warning("message %s to %s discarded: %s", delivery.get("message_id"), delivery["endpoint"], error)
            return
        region, account, _ = arn_parts(dlq)
        params = {"QueueUrl": queue_url(dlq), "MessageBody": delivery["body"]}
        if delivery.get("attributes"):
            params["MessageAttributes"] = sqs_attributes(delivery["attributes"])
        if dlq.endswith(".fifo"):
            params["MessageGroupId"] = delivery.get("group") or "default"
            params["MessageDeduplicationId"] = delivery.get("dedup") or delivery.get("message_id")
        try:
            await self.p.internal.call("sqs", "SendMessage", params, account=account, region=region,
                                       principal="sns.amazonaws.com")
        except ServiceError as e:
            log.warning("message %s could not be moved to the dead-letter queue %s: %s",
                        delivery.get("message_id"), dlq, e.message)

    # -- one attempt, per protocol -------------------------------------------------------------------

    async def _attempt(self, d: dict) -> None:
        protocol = d["protocol"]
        if protocol == "sqs":
            await self._sqs(d)
        elif protocol in ("http", "https"):
            await self._http_post(d)
        elif protocol == "lambda":
            await self._call("lambda", "Invoke", d["endpoint"],
                             {"FunctionName": d["endpoint"], "InvocationType": "Event",
                              "Payload": d["body"].encode("utf-8")})
        elif protocol == "firehose":
            await self._call("firehose", "PutRecord", d["endpoint"],
                             {"DeliveryStreamName": arn_parts(d["endpoint"])[2].split("/", 1)[-1],
                              "Record": {"Data": d["body"].encode("utf-8")}})
        else:  # email, email-json, sms, application: what would leave AWS lands in the inbox
            with self.p.db.transaction():
                self.p.store.deliver_to_inbox(d["channel"], d["endpoint"], d["inbox"], self.p.clock.now())

    async def _sqs(self, d: dict) -> None:
        region, account, _ = arn_parts(d["endpoint"])
        params = {"QueueUrl": queue_url(d["endpoint"]), "MessageBody": d["body"]}
        if d.get("attributes"):
            params["MessageAttributes"] = sqs_attributes(d["attributes"])
        if d.get("group"):
            params["MessageGroupId"] = d["group"]
        if d.get("dedup"):
            params["MessageDeduplicationId"] = d["dedup"]
        try:
            await self.p.internal.call("sqs", "SendMessage", params, account=account, region=region,
                                       principal="sns.amazonaws.com")
        except ServiceError as e:
            raise DeliveryFailed(e.code, e.message, e.code in _CLIENT_ERRORS) from None

    async def _call(self, service: str, operation: str, arn: str, params: dict) -> None:
        region, account, _ = arn_parts(arn)
        try:
            await self.p.internal.call(service, operation, params, account=account, region=region,
                                       principal="sns.amazonaws.com")
        except ServiceError as e:
            raise DeliveryFailed(e.code, e.message, e.code in _CLIENT_ERRORS) from None

    async def _http_post(self, d: dict) -> None:
        import httpx

        if self._http is None:
            self._http = httpx.AsyncClient(timeout=HTTP_TIMEOUT, verify=False, follow_redirects=False)
        try:
            response = await self._http.post(d["endpoint"], content=d["body"].encode("utf-8"),
                                             headers=d["headers"])
        except httpx.HTTPError as e:
            raise DeliveryFailed("ConnectionError", str(e) or type(e).__name__, False) from None
        # 2xx to 4xx count as delivered, as on AWS; 5xx is retried.
        if response.status_code >= 500 or response.status_code < 200:
            raise DeliveryFailed(f"HTTP{response.status_code}", f"endpoint answered {response.status_code}",
                                 False)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._http is not None:
            await self._http.aclose()
            self._http = None


def lambda_event(sub_arn: str, note: dict) -> dict:
    """The event a Lambda function receives for a notification."""
    sns = {"Type": note["Type"], "MessageId": note["MessageId"], "TopicArn": note["TopicArn"],
           "Subject": note.get("Subject"), "Message": note["Message"], "Timestamp": note["Timestamp"],
           "SignatureVersion": note["SignatureVersion"], "Signature": note["Signature"],
           "SigningCertUrl": note["SigningCertURL"], "UnsubscribeUrl": note["UnsubscribeURL"],
           "MessageAttributes": note.get("MessageAttributes", {})}
    return {"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn": sub_arn,
                         "Sns": sns}]}
