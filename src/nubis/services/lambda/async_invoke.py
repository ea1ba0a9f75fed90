"""Asynchronous invocation: InvocationType Event, retries, event age, destinations.

An event is a durable timer (``lambda:event``): it survives a restart before
it runs. When it fires, the timer is re-armed as a guard (key = request id)
and the run goes on in a task of its own, so a long function never holds up
the scheduler; the guard is moved to the retry, or cancelled, when the run
ends, and fires again only if nubis stopped in between (at-least-once, as
Lambda's own event queue is). Retries wait 1 then 2 minutes on the
controllable clock; results go to the configured destinations (SQS, SNS,
Lambda, EventBridge) and a failure to the dead-letter queue, through the internal client.
"""
from __future__ import annotations

import asyncio
import base64
import json
import logging
import re
import uuid

from ...protocol.errors import ServiceError
from ..base import RequestContext
from . import validation as v

log = logging.getLogger("nubis.lambda")

KIND = "lambda:event"
BACKOFF = (60.0, 120.0)
DEFAULT_RETRIES = 2
DEFAULT_AGE = 21600
PRINCIPAL = "lambda.amazonaws.com"
_DEST = re.compile(r"^arn:aws[a-zA-Z-]*:(sqs|sns|lambda|events|s3):([a-z0-9-]*):(\d{12}):(.+)$")


class AsyncInvokeMixin:
    def start_async(self) -> None:
        self._running_events: set[str] = set()
        self.scheduler.on(KIND, self._event_due)

    # -- queueing -----------------------------------------------------------------------------

    def queue_event(self, fn, qualifier: str | None, payload: bytes) -> str:
        request_id = str(uuid.uuid4())
        doc = {"account": fn.account, "region": fn.region, "name": fn.name, "qualifier": qualifier or "",
               "payload": base64.b64encode(payload).decode(), "id": request_id, "attempt": 0,
               "queued": self.clock.now()}
        self.scheduler.after(0.0, KIND, doc, key=request_id)
        return request_id

    def forget_event_invokes(self, fn) -> None:
        for timer in self.scheduler.pending(KIND):
            doc = json.loads(timer["payload"])
            if (doc["account"], doc["region"], doc["name"]) == (fn.account, fn.region, fn.name):
                self.scheduler.cancel(KIND, timer["timer_key"])

    def _event_due(self, doc: dict) -> None:
        fn = self.store.get(doc["account"], doc["region"], doc["name"])
        if fn is None:
            return
        cfg = fn.config.get("Timeout", 3)
        # The guard: runs again after a restart if this run never ended.
        self.scheduler.after(cfg + 60.0, KIND, doc, key=doc["id"])
        if doc["id"] in self._running_events:
            return
        self._running_events.add(doc["id"])
        asyncio.get_running_loop().create_task(self._run_event(fn, doc))

    async def _run_event(self, fn, doc: dict) -> None:
        try:
            await self._attempt(fn, doc)
        except Exception:
            log.exception("asynchronous invocation of %s", fn.name)
            self.scheduler.cancel(KIND, doc["id"])
        finally:
            self._running_events.discard(doc["id"])

    async def _attempt(self, fn, doc: dict) -> None:
        qualifier = doc["qualifier"] or None
        settings = self._event_config(fn, qualifier)
        retries = settings.get("MaximumRetryAttempts", DEFAULT_RETRIES)
        max_age = settings.get("MaximumEventAgeInSeconds", DEFAULT_AGE)
        payload = base64.b64decode(doc["payload"])
        attempt = doc["attempt"] + 1
        if self.clock.now() - doc["queued"] > max_age:
            self.scheduler.cancel(KIND, doc["id"])
            await self._deliver(fn, qualifier, settings, doc, payload, "EventAgeExceeded", attempt - 1, None)
            return
        ctx = RequestContext("lambda", "Invoke", fn.account, fn.region, doc["id"], principal=PRINCIPAL, internal=True)
        try:
            version, cfg, blob = self.resolve(ctx, fn, qualifier, route=True)
            arn = fn.arn + (f":{qualifier}" if qualifier else "")
            result = await self.run(fn, version, cfg, blob, payload, arn, request_id=doc["id"])
        except ServiceError as e:
            if e.code != "TooManyRequestsException":
                self.scheduler.cancel(KIND, doc["id"])
                return
            # Throttled: Lambda keeps the event and tries again later.
            self.scheduler.after(BACKOFF[0], KIND, doc, key=doc["id"])
            return
        response = {"statusCode": 200, "executedVersion": version}
        if result.error_type:
            response["functionError"] = "Unhandled"
            if attempt <= retries:
                doc = dict(doc, attempt=attempt)
                self.scheduler.after(BACKOFF[min(attempt - 1, len(BACKOFF) - 1)], KIND, doc, key=doc["id"])
                return
            self.scheduler.cancel(KIND, doc["id"])
            await self._deliver(fn, qualifier, settings, doc, payload, "RetriesExhausted", attempt,
                                (response, result.payload), version)
            return
        self.scheduler.cancel(KIND, doc["id"])
        await self._deliver(fn, qualifier, settings, doc, payload, "Success", attempt, (response, result.payload),
                            version)

    # -- destinations ----------------------------------------------------------------------------

    async def _deliver(self, fn, qualifier, settings: dict, doc: dict, payload: bytes, condition: str,
                       count: int, response, version: str = "$LATEST") -> None:
        dests = settings.get("DestinationConfig") or {}
        target = (dests.get("OnSuccess") if condition == "Success" else dests.get("OnFailure")) or {}
        arn = target.get("Destination")
        dlq = (fn.config.get("DeadLetterConfig") or {}).get("TargetArn")
        if not arn and (condition == "Success" or not dlq):
            return

        def parsed(body: bytes):
            try:
                return json.loads(body) if body else None
            except ValueError:
                return body.decode("utf-8", "replace")

        if arn:
            record = {"version": "1.0", "timestamp": self.clock.datetime().strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
                      "requestContext": {"requestId": doc["id"],
                                         "functionArn": f"{fn.arn}:{qualifier or '$LATEST'}",
                                         "condition": condition, "approximateInvokeCount": count},
                      "requestPayload": parsed(payload)}
            if response is not None:
                record["responseContext"] = response[0]
                record["responsePayload"] = parsed(response[1])
            await self._send_to(fn, arn, json.dumps(record), success=condition == "Success")
        if condition != "Success" and dlq:
            await self._send_to(fn, dlq, payload.decode("utf-8", "replace"), dead_letter=doc["id"])

    async def _send_to(self, fn, arn: str, message: str, dead_letter: str | None = None,
                       success: bool = False) -> None:
        m = _DEST.match(arn)
        if m is None:
            return
        service, region, account, rest = m.groups()
        where = dict(account=account, region=region or fn.region, principal=PRINCIPAL)
        call = self.internal.call
        try:
            if service == "sqs":
                url = (await call("sqs", "GetQueueUrl", {"QueueName": rest, "QueueOwnerAWSAccountId": account},
                                  **where))["QueueUrl"]
                params = {"QueueUrl": url, "MessageBody": message}
                if dead_letter:
                    params["MessageAttributes"] = {"RequestID": {"DataType": "String", "StringValue": dead_letter}}
                await call("sqs", "SendMessage", params, **where)
            elif service == "sns":
                await call("sns", "Publish", {"TopicArn": arn, "Message": message}, **where)
            elif service == "lambda":
                await call("lambda", "Invoke", {"FunctionName": arn, "InvocationType": "Event",
                                                "Payload": message.encode()}, **where)
            elif service == "events":
                # The record is the event's detail; its detail type says which way the invocation went.
                out = await call("events", "PutEvents", {"Entries": [{
                    "Source": "lambda", "DetailType": "Lambda Function Invocation Result - " + ("Success" if success else "Failure"),
                    "Detail": message, "Resources": [fn.arn, arn], "EventBusName": arn}]}, **where)
                if out.get("FailedEntryCount"):
                    entry = out["Entries"][0]
                    log.warning("destination %s refused the record: %s %s", arn, entry.get("ErrorCode"),
                                entry.get("ErrorMessage"))
            else:
                log.warning("destination %s: nubis does not deliver to %s yet", arn, service)
        except ServiceError as e:
            log.warning("destination %s refused the record: %s %s", arn, e.code, e.message)

    # -- configuration ---------------------------------------------------------------------------

    def _event_config(self, fn, qualifier: str | None) -> dict:
        return fn.invoke_configs.get(qualifier or "$LATEST") or {}

    def _check_destinations(self, dests: dict | None) -> dict:
        out = {}
        for key in ("OnSuccess", "OnFailure"):
            arn = ((dests or {}).get(key) or {}).get("Destination")
            if arn:
                if not _DEST.match(arn):
                    raise v.invalid(f"The destination ARN {arn} is invalid.")
                out[key] = {"Destination": arn}
            else:
                out[key] = {}
        return out

    def _event_target(self, ctx: RequestContext, params: dict):
        fn, qualifier = self.function(ctx, params["FunctionName"], params.get("Qualifier"))
        if qualifier:
            self.resolve(ctx, fn, qualifier)
        return fn, qualifier or "$LATEST"

    def _save_event_config(self, ctx, params: dict, merge: bool) -> dict:
        fn, qualifier = self._event_target(ctx, params)
        current = fn.invoke_configs.get(qualifier)
        if merge and current is None:
            raise v.not_found(f"The function {fn.arn}:{qualifier} doesn't have an EventInvokeConfig")
        doc = dict(current) if merge else {}
        if "MaximumRetryAttempts" in params:
            v.check_range("maximumRetryAttempts", params["MaximumRetryAttempts"], 0, 2)
            doc["MaximumRetryAttempts"] = params["MaximumRetryAttempts"]
        if "MaximumEventAgeInSeconds" in params:
            v.check_range("maximumEventAgeInSeconds", params["MaximumEventAgeInSeconds"], 60, 21600)
            doc["MaximumEventAgeInSeconds"] = params["MaximumEventAgeInSeconds"]
        if "DestinationConfig" in params or not merge:
            doc["DestinationConfig"] = self._check_destinations(params.get("DestinationConfig"))
        doc["FunctionArn"] = f"{fn.arn}:{qualifier}"
        doc["LastModified"] = self.clock.now()
        fn.invoke_configs = dict(fn.invoke_configs, **{qualifier: doc})
        self.store.save(fn)
        return doc

    def put_function_event_invoke_config(self, ctx: RequestContext, params: dict) -> dict:
        return self._save_event_config(ctx, params, merge=False)

    def update_function_event_invoke_config(self, ctx: RequestContext, params: dict) -> dict:
        return self._save_event_config(ctx, params, merge=True)

    def get_function_event_invoke_config(self, ctx: RequestContext, params: dict) -> dict:
        fn, qualifier = self._event_target(ctx, params)
        doc = fn.invoke_configs.get(qualifier)
        if doc is None:
            raise v.not_found(f"The function {fn.arn}:{qualifier} doesn't have an EventInvokeConfig")
        return doc

    def delete_function_event_invoke_config(self, ctx: RequestContext, params: dict) -> dict:
        fn, qualifier = self._event_target(ctx, params)
        if qualifier not in fn.invoke_configs:
            raise v.not_found(f"The function {fn.arn}:{qualifier} doesn't have an EventInvokeConfig")
        fn.invoke_configs = {k: d for k, d in fn.invoke_configs.items() if k != qualifier}
        self.store.save(fn)
        return {}

    def list_function_event_invoke_configs(self, ctx: RequestContext, params: dict) -> dict:
        fn, _ = self.function(ctx, params["FunctionName"], allow_qualifier=False)
        limit = params.get("MaxItems") or 50
        items = [fn.invoke_configs[k] for k in sorted(fn.invoke_configs)]
        return {"FunctionEventInvokeConfigs": items[:limit]}
