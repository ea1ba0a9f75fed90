"""Getting a matched event to a rule's targets, with retries and dead-letter queues.

Deliveries are durable timers (``events:deliver``) written in the same
transaction as the PutEvents (or schedule firing, or replay) that caused
them: one timer carries all the deliveries of one request, and the
scheduler runs them on its next turn. Each delivery calls the target's
service through the internal client as ``events.amazonaws.com``. A failure
that may pass (throttling, a 5xx, a service nubis does not run yet) comes
back later as a timer of its own, with exponential backoff on the
controllable clock, until the target's ``RetryPolicy`` is exhausted
(``MaximumRetryAttempts``, default 185; ``MaximumEventAgeInSeconds``,
default 86400); a failure that will not pass (the queue or function does not
exist) is not retried. Then the event goes to the target's dead-letter queue
with the error attributes the user guide lists, or is dropped.

In-process targets are called inline, so a timer's removal and what its
deliveries wrote commit together. An API destination's HTTP call runs as a
task instead (it must not hold up the scheduler), behind a guard timer that
repeats the attempt if nubis dies before the call ends; calls beyond the
destination's ``InvocationRateLimitPerSecond`` wait for the next second.
"""
from __future__ import annotations

import base64
import json
import logging
import uuid
from typing import TYPE_CHECKING

from ...protocol.errors import ServiceError
from . import transform

if TYPE_CHECKING:
    from .provider import EventsProvider

log = logging.getLogger("nubis.events")

KIND = "events:deliver"
PRINCIPAL = "events.amazonaws.com"
DEFAULT_RETRIES = 185
DEFAULT_MAX_AGE = 86400
MAX_BACKOFF = 600.0
HTTP_TIMEOUT = 5.0  # API destinations: EventBridge waits 5 seconds for an answer

# Failures that mean the target is gone or refuses EventBridge: not retried.
_NOT_RETRIED = {"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist", "NotFound", "ResourceNotFoundException",
                "AccessDenied", "AccessDeniedException", "InvalidParameterValue", "InvalidParameterException",
                "KMS.AccessDeniedException", "AuthorizationError", "ValidationException",
                "InvalidParameterCombination", "MissingParameter", "ResourceNotFound"}
_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def dlq_code(service_code: str) -> str:
    """The ERROR_CODE a dead-letter message carries (the user guide's list) for a target's error."""
    if service_code in ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist", "NotFound",
                        "ResourceNotFoundException", "ResourceNotFound", "StateMachineDoesNotExist"):
        return "NO_RESOURCE"
    if service_code.startswith("AccessDenied") or service_code in ("AuthorizationError", "KMS.AccessDeniedException"):
        return "NO_PERMISSIONS"
    if "Throttl" in service_code or service_code in ("TooManyRequestsException", "RequestLimitExceeded"):
        return "THROTTLING"
    if service_code.startswith("InvalidParameter") or service_code in ("ValidationException", "MissingParameter"):
        return "INVALID_PARAMETER"
    return "SDK_CLIENT_ERROR"


class DeliveryFailed(Exception):
    def __init__(self, code: str, message: str, retry: bool):
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry = retry


class Deferred(Exception):
    """Not attempted now (an API destination's rate limit): the same attempt, ``delay`` seconds later."""

    def __init__(self, delay: float):
        super().__init__(delay)
        self.delay = delay


def arn_parts(arn: str) -> tuple[str, str, str, str]:
    """(service, region, account, resource) of an ARN."""
    parts = arn.split(":", 5)
    if len(parts) < 6:
        raise DeliveryFailed("INVALID_PARAMETER", f"Invalid target ARN: {arn}", False)
    return parts[2], parts[3], parts[4], parts[5]


def backoff(attempt: int) -> float:
    """Seconds before the retry that follows failed attempt number ``attempt``."""
    return min(MAX_BACKOFF, float(2 ** min(attempt - 1, 20)))


class Deliveries:
    def __init__(self, provider: "EventsProvider"):
        self.p = provider
        self._http = None
        # Calls per API destination in the current clock second: (second, count).
        self._rates: dict[str, tuple[int, int]] = {}

    def forget(self) -> None:
        self._rates.clear()

    # -- scheduling --------------------------------------------------------------------------

    def schedule(self, items: list[dict]) -> None:
        """Durable first attempts for ``items``, due now (call inside the writing transaction)."""
        if items:
            self.p.scheduler.at(self.p.clock.now(), KIND, {"items": items})

    @staticmethod
    def item(event: dict, rule_arn: str, target: dict, ingested: float) -> dict:
        return {"event": event, "rule": rule_arn, "target": target, "ingested": ingested, "attempt": 1}

    # -- the timer -----------------------------------------------------------------------------

    async def on_timer(self, payload: dict) -> None:
        for item in payload["items"]:
            if ":api-destination/" in item["target"]["Arn"]:
                self._in_background(item)
            else:
                await self._run(item)

    async def _run(self, item: dict) -> bool:
        """One attempt; a failure is retried later or dead-lettered. True when it was delivered."""
        try:
            await self._attempt(item)
            return True
        except Deferred as d:
            self.p.scheduler.at(self.p.clock.now() + d.delay, KIND, {"items": [item]})
        except DeliveryFailed as e:
            self._failed(item, e)
        except ServiceError as e:
            self._failed(item, DeliveryFailed(dlq_code(e.code), f"{e.code}: {e.message}", e.code not in _NOT_RETRIED))
        except Exception as e:  # a target's bug must not lose the other deliveries
            log.exception("delivery to %s failed unexpectedly", item["target"].get("Arn"))
            self._failed(item, DeliveryFailed("INTERNAL_ERROR", str(e) or type(e).__name__, True))
        return False

    def _in_background(self, item: dict) -> None:
        """An HTTP call does not hold up the scheduler: it runs as a task, and a guard timer (the
        same attempt, a little later) stands in for it until it ends, so a crash mid-call loses
        nothing (at least once)."""
        key = str(uuid.uuid4())
        self.p.scheduler.at(self.p.clock.now() + HTTP_TIMEOUT * 6, KIND, {"items": [item]}, key=key)

        async def attempt() -> None:
            await self._run(item)
            self.p.scheduler.cancel(KIND, key)

        self.p.spawn(attempt())

    def _failed(self, item: dict, error: DeliveryFailed) -> None:
        policy = item["target"].get("RetryPolicy") or {}
        retries = policy.get("MaximumRetryAttempts", DEFAULT_RETRIES)
        max_age = policy.get("MaximumEventAgeInSeconds", DEFAULT_MAX_AGE)
        attempt = item.get("attempt", 1)
        now = self.p.clock.now()
        delay = backoff(attempt)
        if error.retry and attempt <= retries and now + delay - item["ingested"] <= max_age:
            log.info("delivery to %s failed (%s); retry in %ss", item["target"]["Arn"], error.code, delay)
            self.p.scheduler.at(now + delay, KIND, {"items": [{**item, "attempt": attempt + 1}]})
            return
        if not error.retry:
            condition = None  # not retried: the error is not one that passes
        elif attempt > retries:
            condition = "MaximumRetryAttempts"
        else:
            condition = "MaximumEventAgeInSeconds"
        self._dead_letter(item, error, condition, attempt - 1)

    def _dead_letter(self, item: dict, error: DeliveryFailed, condition: str | None, retries: int) -> None:
        dlq = (item["target"].get("DeadLetterConfig") or {}).get("Arn")
        if not dlq:
            log.warning("event %s to %s dropped: %s %s", item["event"].get("id"), item["target"]["Arn"],
                        error.code, error.message)
            return
        attrs = {"RULE_ARN": item["rule"], "TARGET_ARN": item["target"]["Arn"], "ERROR_CODE": error.code,
                 "ERROR_MESSAGE": error.message or error.code, "RETRY_ATTEMPTS": str(retries)}
        if condition:
            attrs["EXHAUSTED_RETRY_CONDITION"] = condition
        _, region, account, name = arn_parts(dlq)
        params = {"QueueUrl": f"https://sqs.{region}.amazonaws.com/{account}/{name}",
                  "MessageBody": _dumps(item["event"]),
                  "MessageAttributes": {k: {"DataType": "String", "StringValue": v} for k, v in attrs.items()}}
        self.p.spawn(self._send_dead_letter(item, dlq, params, region, account))

    async def _send_dead_letter(self, item, dlq, params, region, account) -> None:
        try:
            await self.p.internal.call("sqs", "SendMessage", params, account=account, region=region,
                                       principal=PRINCIPAL)
        except ServiceError as e:
            log.warning("event %s could not be moved to the dead-letter queue %s: %s", item["event"].get("id"),
                        dlq, e.message)

    # -- one attempt, per target type -------------------------------------------------------------

    async def _attempt(self, item: dict) -> None:
        target, event = item["target"], item["event"]
        arn = target["Arn"]
        service, region, account, resource = arn_parts(arn)
        if service == "events":
            if resource.startswith("event-bus/"):
                await self.p.forward(item, region, account, resource.split("/", 1)[1])
                return
            if resource.startswith("api-destination/"):
                await self._api_destination(item, region, account, resource.split("/")[1])
                return
        body = transform.render(target, event, item["rule"], item["ingested"])
        call = self._call
        if service == "sqs":
            params = {"QueueUrl": f"https://sqs.{region}.amazonaws.com/{account}/{resource}", "MessageBody": body}
            if resource.endswith(".fifo"):
                params["MessageGroupId"] = (target.get("SqsParameters") or {}).get("MessageGroupId") or "default"
                params["MessageDeduplicationId"] = event["id"]
            await call("sqs", "SendMessage", params, region, account)
        elif service == "sns":
            params = {"TopicArn": arn, "Message": body}
            if resource.endswith(".fifo"):
                params["MessageGroupId"] = "default"
                params["MessageDeduplicationId"] = event["id"]
            await call("sns", "Publish", params, region, account)
        elif service == "lambda":
            await call("lambda", "Invoke", {"FunctionName": arn, "InvocationType": "Event",
                                            "Payload": body.encode("utf-8")}, region, account)
        elif service == "states":
            await call("stepfunctions", "StartExecution", {"stateMachineArn": arn, "input": body}, region, account)
        elif service == "kinesis":
            key_path = (target.get("KinesisParameters") or {}).get("PartitionKeyPath")
            key = transform.select(event, key_path) if key_path else event["id"]
            if not isinstance(key, str):
                key = event["id"] if key is None or key is transform._MISSING else _dumps(key)
            await call("kinesis", "PutRecord", {"StreamName": resource.split("/", 1)[-1],
                                                "Data": body.encode("utf-8"), "PartitionKey": key}, region, account)
        elif service == "firehose":
            await call("firehose", "PutRecord", {"DeliveryStreamName": resource.split("/", 1)[-1],
                                                 "Record": {"Data": body.encode("utf-8")}}, region, account)
        elif service == "logs":
            await self._logs(item, body, region, account, resource)
        else:
            raise DeliveryFailed("SDK_CLIENT_ERROR", f"nubis does not deliver to {service} targets yet.", True)

    async def _call(self, service: str, operation: str, params: dict, region: str, account: str) -> dict:
        return await self.p.internal.call(service, operation, params, account=account, region=region,
                                          principal=PRINCIPAL)

    async def _logs(self, item: dict, body: str, region: str, account: str, resource: str) -> None:
        group = resource.split(":", 1)[1] if resource.startswith("log-group:") else resource
        group = group[:-2] if group.endswith(":*") else group
        stream = item["event"]["id"]
        try:
            await self._call("logs", "CreateLogStream", {"logGroupName": group, "logStreamName": stream},
                             region, account)
        except ServiceError as e:
            if e.code != "ResourceAlreadyExistsException":
                raise
        when = int(item["ingested"] * 1000)
        await self._call("logs", "PutLogEvents", {"logGroupName": group, "logStreamName": stream,
                                                  "logEvents": [{"timestamp": when, "message": body}]},
                         region, account)

    async def _api_destination(self, item: dict, region: str, account: str, name: str) -> None:
        import httpx

        destination = self.p.api_destination_doc(account, region, name)
        if destination is None:
            raise DeliveryFailed("NO_RESOURCE", f"API destination {name} does not exist.", False)
        self._throttle(destination)
        connection = self.p.connection_secret(destination["ConnectionArn"])
        if connection is None:
            raise DeliveryFailed("NO_RESOURCE", "The connection of the API destination does not exist.",
                                 False)
        target = item["target"]
        body = transform.render(target, item["event"], item["rule"], item["ingested"])
        headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "Amazon/EventBridge/ApiDestinations"}
        query: dict = {}
        url = destination["InvocationEndpoint"]
        http = target.get("HttpParameters") or {}
        for value in http.get("PathParameterValues") or []:
            url = url.replace("*", value, 1)
        headers.update(http.get("HeaderParameters") or {})
        query.update(http.get("QueryStringParameters") or {})
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=HTTP_TIMEOUT, verify=False, follow_redirects=False)
        await self._authorize(connection, headers, query)
        method = destination["HttpMethod"]
        try:
            response = await self._http.request(method, url, params=query or None, headers=headers,
                                                content=None if method in ("GET", "HEAD") else body.encode("utf-8"))
        except httpx.HTTPError as e:
            code = "TIMEOUT" if isinstance(e, httpx.TimeoutException) else "CONNECTION_FAILURE"
            raise DeliveryFailed(code, str(e) or type(e).__name__, True) from None
        # 401, 407, 409, 429 and 5xx are retried; other 4xx are not (the user guide's API destination errors).
        status = response.status_code
        if status >= 400:
            raise DeliveryFailed("ERROR_FROM_TARGET", f"The API destination answered HTTP {status}.",
                                 status >= 500 or status in (401, 407, 409, 429))

    def _throttle(self, destination: dict) -> None:
        """At most ``InvocationRateLimitPerSecond`` calls a second (on the clock); the rest wait."""
        limit = destination.get("InvocationRateLimitPerSecond") or 300
        now = self.p.clock.now()
        second = int(now)
        seen, count = self._rates.get(destination["ApiDestinationArn"], (second, 0))
        if seen != second:
            count = 0
        if count >= limit:
            raise Deferred(second + 1 - now)
        self._rates[destination["ApiDestinationArn"]] = (second, count + 1)

    async def _authorize(self, connection: dict, headers: dict, query: dict) -> None:
        auth_type, params = connection["AuthorizationType"], connection["AuthParameters"]
        if auth_type == "API_KEY":
            key = params.get("ApiKeyAuthParameters") or {}
            headers[key.get("ApiKeyName", "x-api-key")] = key.get("ApiKeyValue", "")
        elif auth_type == "BASIC":
            basic = params.get("BasicAuthParameters") or {}
            token = base64.b64encode(f"{basic.get('Username', '')}:{basic.get('Password', '')}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        elif auth_type == "OAUTH_CLIENT_CREDENTIALS":
            headers["Authorization"] = f"Bearer {await self._oauth_token(params.get('OAuthParameters') or {})}"
        extra = params.get("InvocationHttpParameters") or {}
        for h in extra.get("HeaderParameters") or []:
            headers[h["Key"]] = h.get("Value", "")
        for q in extra.get("QueryStringParameters") or []:
            query[q["Key"]] = q.get("Value", "")

    async def _oauth_token(self, oauth: dict) -> str:
        import httpx

        client = oauth.get("ClientParameters") or {}
        http = oauth.get("OAuthHttpParameters") or {}
        headers = {h["Key"]: h.get("Value", "") for h in http.get("HeaderParameters") or []}
        query = {q["Key"]: q.get("Value", "") for q in http.get("QueryStringParameters") or []}
        form = {"grant_type": "client_credentials"}
        form.update({b["Key"]: b.get("Value", "") for b in http.get("BodyParameters") or []})
        basic = base64.b64encode(f"{client.get('ClientID', '')}:{client.get('ClientSecret', '')}".encode()).decode()
        headers["Authorization"] = f"Basic {basic}"
        try:
            response = await self._http.request(oauth.get("HttpMethod", "POST"), oauth["AuthorizationEndpoint"],
                                                params=query or None, headers=headers, data=form)
            token = response.json().get("access_token") if response.status_code < 300 else None
        except (httpx.HTTPError, ValueError) as e:
            raise DeliveryFailed("CONNECTION_FAILURE", f"The authorization endpoint failed: {e}", True) from None
        if not token:
            raise DeliveryFailed("ERROR_FROM_TARGET", "The authorization endpoint returned no access_token.", True)
        return token

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None


def new_event_id() -> str:
    return str(uuid.uuid4())
