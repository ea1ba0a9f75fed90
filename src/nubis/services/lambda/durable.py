"""Durable executions: a function configured with DurableConfig runs as a
durable execution that checkpoints its operations and is invoked again, and
replays, whenever something it waits for is ready.

An invocation of a durable function creates the execution (its EXECUTION
operation holds the input) and invokes the function with the durable
invocation input (``DurableExecutionArn``, ``CheckpointToken``,
``InitialExecutionState``). The function (its durable execution SDK)
checkpoints operations (steps, waits, callbacks, contexts, chained invokes)
and answers ``SUCCEEDED``, ``FAILED`` or ``PENDING``. Waits, step retries and
callback timeouts are timers on the controllable clock; callbacks are
completed by SendDurableExecutionCallback*; each makes the operation ready and
the function is invoked again. One invocation of an execution runs at a time.
"""
from __future__ import annotations

import asyncio
import base64
import json
import logging
import re
import secrets
import uuid

from ...protocol.errors import ServiceError
from ...runtime.bodies import read_all
from ..base import RequestContext
from . import validation as v
from .durable_store import Execution
from .environments import Result

log = logging.getLogger("nubis.lambda")

KIND = "lambda:durable"
DEFAULT_RETENTION_DAYS = 14
DEFAULT_EXECUTION_TIMEOUT = 86400   # when DurableConfig names none (the API leaves it optional)
CLIENT_TOKEN_SECONDS = 900          # a checkpoint's ClientToken makes a retry of it answer the same
SYNC_LIMIT = 900                    # seconds a synchronous invocation (or a mapping's) waits for its execution
HANDLER_RETRIES = 3                 # an invocation that throws is retried this often, after
HANDLER_BACKOFF = 10.0              # this many seconds, doubling each time
_ARN = re.compile(r"^arn:([a-zA-Z0-9-]+):lambda:([a-zA-Z0-9-]+):(\d{12}):function:([a-zA-Z0-9_-]+):"
                  r"(\$LATEST(?:\.PUBLISHED)?|[0-9]+)/durable-execution/([a-zA-Z0-9_-]+)/([a-zA-Z0-9_-]+)$")
_EXECUTION_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_OPERATION_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_ACTIONS = {"EXECUTION": ("SUCCEED", "FAIL"), "STEP": ("START", "SUCCEED", "FAIL", "RETRY"),
            "WAIT": ("START", "CANCEL"), "CALLBACK": ("START",), "CONTEXT": ("START", "SUCCEED", "FAIL"),
            "CHAINED_INVOKE": ("START",)}
_DETAILS = {"EXECUTION": "ExecutionDetails", "STEP": "StepDetails", "WAIT": "WaitDetails",
            "CALLBACK": "CallbackDetails", "CONTEXT": "ContextDetails", "CHAINED_INVOKE": "ChainedInvokeDetails"}
_EVENT_PREFIX = {"STEP": "Step", "WAIT": "Wait", "CALLBACK": "Callback", "CONTEXT": "Context",
                 "CHAINED_INVOKE": "ChainedInvoke", "EXECUTION": "Execution"}
_STATUSES = ("RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "STOPPED")
_DONE = ("SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT", "STOPPED")


def _invalid_token() -> ServiceError:
    return v.invalid("Invalid checkpoint token")


def _callback_timed_out() -> ServiceError:
    return ServiceError("CallbackTimeoutException", "The callback has timed out or is already complete.",
                        status=400, Type="User")


class DurableMixin:
    def start_durable(self) -> None:
        self._durable_running: set[str] = set()
        self._durable_again: set[str] = set()
        self._durable_waiters: dict[str, list[asyncio.Future]] = {}
        self.scheduler.on(KIND, self._durable_due)
        # An invocation a restart cut short: invoke the execution again (it replays).
        for ex in self.durable.running():
            if ex.doc.get("invoking"):
                self.scheduler.after(0.0, KIND, {"arn": ex.arn, "what": "resume"}, key=f"{ex.arn}#resume")

    def reset_durable(self) -> None:
        self._durable_running.clear()
        self._durable_again.clear()
        for waiters in self._durable_waiters.values():
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_exception(ServiceError("ServiceException", "nubis was reset.", status=500))
        self._durable_waiters.clear()

    # -- configuration ----------------------------------------------------------------------------

    def apply_durable_config(self, cfg: dict, given: dict | None, creating: bool) -> None:
        if not creating and not cfg.get("DurableConfig") and given:
            raise v.invalid("DurableConfig can only be set when the function is created.")
        if not given:
            if not creating and cfg.get("DurableConfig"):
                raise v.invalid("DurableConfig cannot be removed from a durable function.")
            return
        out = dict(cfg.get("DurableConfig") or {"RetentionPeriodInDays": DEFAULT_RETENTION_DAYS})
        if given.get("RetentionPeriodInDays") is not None:
            v.check_range("durableConfig.retentionPeriodInDays", given["RetentionPeriodInDays"], 1, 90)
            out["RetentionPeriodInDays"] = given["RetentionPeriodInDays"]
        if given.get("ExecutionTimeout") is not None:
            v.check_range("durableConfig.executionTimeout", given["ExecutionTimeout"], 1, 31622400)
            out["ExecutionTimeout"] = given["ExecutionTimeout"]
        cfg["DurableConfig"] = out

    # -- starting ---------------------------------------------------------------------------------

    async def invoke_durable(self, ctx: RequestContext, fn, version: str, cfg: dict, payload: bytes, kind: str,
                             params: dict) -> dict:
        """Invoke (RequestResponse or Event) of a durable function: a new execution."""
        name = params.get("DurableExecutionName") or str(uuid.uuid4())
        if not _EXECUTION_NAME.match(name):
            raise v.validation("durableExecutionName", name, "satisfy regular expression pattern: [a-zA-Z0-9-_]+")
        text = payload.decode("utf-8") if payload.strip() else "{}"
        existing = self._named_execution(fn.account, fn.region, name) if params.get("DurableExecutionName") else None
        if existing is not None:
            # The name is an idempotency key: the same start again answers the execution it started.
            if existing.name != fn.name or existing.doc["InputPayload"] != text:
                raise ServiceError("DurableExecutionAlreadyStartedException",
                                   f"Durable execution with name {name} has already been started with a different "
                                   "function or payload.", status=409, Type="User")
            return await self._durable_answer(existing, kind)
        now = self.clock.now()
        arn = f"{fn.arn}:{version}/durable-execution/{name}/{uuid.uuid4().hex}"
        durable = cfg["DurableConfig"]
        timeout = durable.get("ExecutionTimeout") or DEFAULT_EXECUTION_TIMEOUT
        if kind != "Event":
            timeout = min(timeout, SYNC_LIMIT)  # a synchronous invocation waits at most 15 minutes
        root = {"Id": uuid.uuid4().hex, "Type": "EXECUTION", "StartTimestamp": now, "Status": "STARTED",
                "ExecutionDetails": {"InputPayload": text}, "_rev": 1}
        doc = {"FunctionArn": f"{fn.arn}:{version}", "InputPayload": text, "Ops": [root], "Events": [],
               "Rev": 1, "Token": None, "TokenRev": 0, "Timeout": timeout,
               "Retention": durable.get("RetentionPeriodInDays", DEFAULT_RETENTION_DAYS)}
        ex = Execution(arn, fn.account, fn.region, fn.name, version, name, now, "RUNNING", doc)
        _event(ex, now, "ExecutionStarted", root,
               ExecutionStartedDetails={"Input": {"Payload": text}, "ExecutionTimeout": timeout})
        with self.db.transaction():
            self.durable.save(ex)
            self.scheduler.at(now + timeout, KIND, {"arn": arn, "what": "timeout"}, key=f"{arn}#timeout")
        self._durable_kick(arn)
        return await self._durable_answer(ex, kind)

    def _named_execution(self, account: str, region: str, name: str) -> Execution | None:
        """The execution of that name in the account and Region, unless its retention has passed."""
        now = self.clock.now()
        for ex in self.durable.by_name(account, region, name):
            if ex.status == "RUNNING" or now <= ex.doc.get("EndTimestamp", 0) + ex.doc["Retention"] * 86400:
                return ex
        return None

    async def _durable_answer(self, ex: Execution, kind: str) -> dict:
        """Invoke's answer: at once for an Event invocation, at the execution's end for a synchronous one."""
        out = {"ExecutedVersion": ex.version, "DurableExecutionArn": ex.arn}
        if kind == "Event":
            return dict(out, StatusCode=202)
        if ex.status == "RUNNING":
            waiter = asyncio.get_running_loop().create_future()
            self._durable_waiters.setdefault(ex.arn, []).append(waiter)
            ex = await waiter
        out["StatusCode"] = 200
        if ex.status == "SUCCEEDED":
            out["Payload"] = (ex.doc.get("Result") or "").encode("utf-8")
        else:
            error = ex.doc.get("Error") or {}
            out["FunctionError"] = "Unhandled"
            out["Payload"] = json.dumps({"errorType": error.get("ErrorType") or ex.status,
                                         "errorMessage": error.get("ErrorMessage") or ""}).encode()
        return out

    # -- driving ----------------------------------------------------------------------------------

    def _durable_kick(self, arn: str) -> None:
        asyncio.get_running_loop().create_task(self._durable_drive(arn))

    async def _durable_drive(self, arn: str) -> None:
        """Invoke the execution's function until it is done or waits for something."""
        if arn in self._durable_running:
            self._durable_again.add(arn)  # the running invocation's end looks again
            return
        self._durable_running.add(arn)
        try:
            while True:
                self._durable_again.discard(arn)
                ex = self.durable.get(arn)
                if ex is None or ex.status != "RUNNING":
                    break
                await self._durable_invoke_once(ex)
                ex = self.durable.get(arn)
                if ex is None or ex.status != "RUNNING" or arn not in self._durable_again:
                    break
        except Exception as e:
            log.exception("durable execution %s", arn)
            ex = self.durable.get(arn)
            if ex is not None and ex.status == "RUNNING":
                self._durable_finish(ex, "FAILED", error={"ErrorType": "ServiceException", "ErrorMessage": str(e)})
        finally:
            self._durable_running.discard(arn)
            if self.durable.get(arn) is None:  # its function was deleted meanwhile
                for waiter in self._durable_waiters.pop(arn, []):
                    if not waiter.done():
                        waiter.set_exception(v.not_found(f"Durable execution not found: {arn}"))

    async def _durable_invoke_once(self, ex: Execution) -> None:
        fn = self.store.get(ex.account, ex.region, ex.name)
        if fn is None:
            self._durable_finish(ex, "FAILED", error={"ErrorType": "ResourceNotFoundException",
                                                      "ErrorMessage": f"Function not found: {ex.doc['FunctionArn']}"})
            return
        try:
            version, cfg, blob = self.resolve(
                RequestContext("lambda", "Invoke", ex.account, ex.region, "", internal=True), fn, ex.version)
        except ServiceError as e:
            self._durable_finish(ex, "FAILED", error={"ErrorType": e.code, "ErrorMessage": e.message})
            return
        token = self._new_token(ex)
        ex.doc["invoking"] = True
        self.durable.save(ex)
        payload = json.dumps({"DurableExecutionArn": ex.arn, "CheckpointToken": token,
                              "InitialExecutionState": {"Operations": _ops_view(ex, replay=True)}}).encode()
        request_id = str(uuid.uuid4())
        started = self.clock.now()
        try:
            result = await self.run(fn, version, cfg, blob, payload, f"{fn.arn}:{version}", request_id=request_id)
        except ServiceError as e:  # throttled, or the environment did not start: retried like a thrown error
            result = Result(json.dumps({"errorType": e.code, "errorMessage": e.message}).encode(), e.code)
        ex = self.durable.get(ex.arn)
        if ex is None:
            return
        ex.doc["invoking"] = False
        ex.doc["Token"] = None  # the invocation's token ends with it
        completed = {"StartTimestamp": started, "EndTimestamp": self.clock.now(), "RequestId": request_id}
        output = None
        if not result.error_type:
            try:
                output = json.loads(result.payload or b"null")
            except ValueError:
                output = None
        if result.error_type or not isinstance(output, dict) or output.get("Status") not in (
                "SUCCEEDED", "FAILED", "PENDING"):
            error = _function_error(result.payload, result.error_type)
            completed["Error"] = {"Payload": error}
            _event(ex, self.clock.now(), "InvocationCompleted", None, InvocationCompletedDetails=completed)
            failures = ex.doc.get("Failures", 0) + 1
            if ex.status == "RUNNING" and result.error_type and failures <= HANDLER_RETRIES:
                # An error the function threw (not a FAILED answer): Lambda invokes it again, with backoff.
                ex.doc["Failures"] = failures
                with self.db.transaction():
                    self.durable.save(ex)
                    self.scheduler.after(HANDLER_BACKOFF * 2 ** (failures - 1), KIND,
                                         {"arn": ex.arn, "what": "resume"}, key=f"{ex.arn}#resume")
            elif ex.status == "RUNNING":
                self._durable_finish(ex, "FAILED", error=error)
            else:
                self.durable.save(ex)
            return
        ex.doc["Failures"] = 0
        _event(ex, self.clock.now(), "InvocationCompleted", None, InvocationCompletedDetails=completed)
        if ex.status != "RUNNING":  # completed by a checkpoint, or stopped meanwhile
            self.durable.save(ex)
            return
        status = output["Status"]
        if status == "SUCCEEDED":
            result_text = output.get("Result")
            if result_text is not None and not isinstance(result_text, str):
                result_text = json.dumps(result_text)
            self._durable_finish(ex, "SUCCEEDED", result=result_text)
        elif status == "FAILED":
            self._durable_finish(ex, "FAILED", error=_error_object(output.get("Error") or {}))
        elif not any(_pending(op) for op in ex.doc["Ops"]):
            self._durable_finish(ex, "FAILED", error={
                "ErrorType": "InvalidOutput", "ErrorMessage": "The function returned PENDING with no pending "
                                                              "operations."})
        else:
            self.durable.save(ex)  # waits for what its operations wait for

    def _durable_finish(self, ex: Execution, status: str, result: str | None = None,
                        error: dict | None = None) -> None:
        now = self.clock.now()
        ex.status = status
        ex.doc["EndTimestamp"] = now
        ex.doc["invoking"] = False
        ex.doc["Token"] = None
        root = ex.doc["Ops"][0]
        root.update(Status=status, EndTimestamp=now)
        _touch(ex, root)
        if result is not None:
            ex.doc["Result"] = result
        if error is not None:
            ex.doc["Error"] = error
        kind = {"SUCCEEDED": "ExecutionSucceeded", "FAILED": "ExecutionFailed", "TIMED_OUT": "ExecutionTimedOut",
                "STOPPED": "ExecutionStopped"}[status]
        details = ({"Result": {"Payload": result or ""}} if status == "SUCCEEDED"
                   else {"Error": {"Payload": error or {}}})
        _event(ex, now, kind, root, **{f"{kind}Details": details})
        with self.db.transaction():
            self.durable.save(ex)
            self.scheduler.cancel(KIND, f"{ex.arn}#timeout")
            self.scheduler.cancel(KIND, f"{ex.arn}#resume")
            for op in ex.doc["Ops"]:
                for what in ("wait", "retry", "callback", "heartbeat"):
                    self.scheduler.cancel(KIND, f"{ex.arn}#{op['Id']}#{what}")
        for waiter in self._durable_waiters.pop(ex.arn, []):
            if not waiter.done():
                waiter.set_result(ex)

    def _durable_due(self, payload: dict) -> None:
        ex = self.durable.get(payload["arn"])
        if ex is None or ex.status != "RUNNING":
            return
        what = payload["what"]
        now = self.clock.now()
        if what == "timeout":
            self._durable_finish(ex, "TIMED_OUT", error={"ErrorType": "ExecutionTimedOut",
                                                         "ErrorMessage": "The durable execution timed out."})
            return
        if what != "resume":
            op = _find(ex, payload["op"])
            if op is None or op["Status"] in _DONE:
                return
            if what == "wait" and op["Status"] == "STARTED":
                op.update(Status="SUCCEEDED", EndTimestamp=now)
                _event(ex, now, "WaitSucceeded", op, WaitSucceededDetails={"Duration": op.get("_duration", 0)})
            elif what == "retry" and op["Status"] == "PENDING":
                op["Status"] = "READY"
            elif what in ("callback", "heartbeat") and op["Status"] == "STARTED":
                error = {"ErrorType": "Callback.Timeout", "ErrorMessage": "Callback timed out" if what == "callback"
                         else "Callback heartbeat timed out"}
                op.update(Status="TIMED_OUT", EndTimestamp=now)
                op["CallbackDetails"]["Error"] = error
                _event(ex, now, "CallbackTimedOut", op, CallbackTimedOutDetails={"Error": {"Payload": error}})
                other = "heartbeat" if what == "callback" else "callback"
                self.scheduler.cancel(KIND, f"{ex.arn}#{op['Id']}#{other}")
            else:
                return
            _touch(ex, op)
            self.durable.save(ex)
        self._durable_kick(ex.arn)

    # -- tokens -----------------------------------------------------------------------------------

    def _new_token(self, ex: Execution) -> str:
        token = base64.b64encode(secrets.token_bytes(24)).decode()
        ex.doc["Token"] = token
        ex.doc["TokenRev"] = ex.doc["Rev"]
        return token

    # -- the API ----------------------------------------------------------------------------------

    def _execution(self, ctx: RequestContext, arn: str, missing=None) -> Execution:
        m = _ARN.match(arn or "")
        if m is None or len(arn) > 1024:
            raise v.validation("durableExecutionArn", arn, "satisfy regular expression pattern: "
                               + _ARN.pattern.strip("^$"))
        ex = self.durable.get(arn)
        if ex is not None and (ex.account, ex.region) != (ctx.account, ctx.region):
            ex = None
        if ex is not None and ex.status != "RUNNING" and (
                self.clock.now() > ex.doc.get("EndTimestamp", 0) + ex.doc["Retention"] * 86400):
            ex = None  # past its retention period
        if ex is None:
            raise (missing or v.not_found)(f"Durable execution not found: {arn}")
        return ex

    def get_durable_execution(self, ctx: RequestContext, params: dict) -> dict:
        ex = self._execution(ctx, params["DurableExecutionArn"])
        out = _summary(ex)
        out["InputPayload"] = ex.doc["InputPayload"]
        out["Version"] = ex.version
        if "Result" in ex.doc:
            out["Result"] = ex.doc["Result"]
        if "Error" in ex.doc:
            out["Error"] = ex.doc["Error"]
        return out

    def list_durable_executions_by_function(self, ctx: RequestContext, params: dict) -> dict:
        fn, qualifier = self.function(ctx, params["FunctionName"], params.get("Qualifier"))
        version = self.resolve(ctx, fn, qualifier)[0] if qualifier else None
        statuses = params.get("Statuses") or []
        for s in statuses:
            if s not in _STATUSES:
                raise v.validation("statuses", statuses, f"satisfy enum value set: [{', '.join(_STATUSES)}]")
        after, before = _epoch(params.get("StartedAfter")), _epoch(params.get("StartedBefore"))
        now = self.clock.now()
        found = []
        for ex in self.durable.of_function(fn.account, fn.region, fn.name):
            if ex.status != "RUNNING" and now > ex.doc.get("EndTimestamp", 0) + ex.doc["Retention"] * 86400:
                continue
            if version is not None and ex.version != version:
                continue
            if params.get("DurableExecutionName") and ex.execution_name != params["DurableExecutionName"]:
                continue
            if statuses and ex.status not in statuses:
                continue
            if (after is not None and ex.started <= after) or (before is not None and ex.started >= before):
                continue
            found.append(_summary(ex))
        if params.get("ReverseOrder"):
            found.reverse()
        page, marker = v.marker_page(found, params, 1000, 1000, 0)
        out: dict = {"DurableExecutions": page}
        if marker:
            out["NextMarker"] = marker
        return out

    def get_durable_execution_history(self, ctx: RequestContext, params: dict) -> dict:
        ex = self._execution(ctx, params["DurableExecutionArn"])
        events = [_event_view(e, bool(params.get("IncludeExecutionData"))) for e in ex.doc["Events"]]
        if params.get("ReverseOrder"):
            events.reverse()
        page, marker = v.marker_page(events, params, 1000, 1000, 0)
        out: dict = {"Events": page}
        if marker:
            out["NextMarker"] = marker
        return out

    def get_durable_execution_state(self, ctx: RequestContext, params: dict) -> dict:
        ex = self._execution(ctx, params["DurableExecutionArn"], missing=lambda _: _invalid_token())
        if not ex.doc.get("Token") or params["CheckpointToken"] != ex.doc["Token"]:
            raise _invalid_token()
        page, marker = v.marker_page(_ops_view(ex, replay=True), params, 1000, 1000, 0)
        out: dict = {"Operations": page}
        if marker:
            out["NextMarker"] = marker
        return out

    def stop_durable_execution(self, ctx: RequestContext, params: dict) -> dict:
        ex = self._execution(ctx, params["DurableExecutionArn"])
        if ex.status != "RUNNING":
            raise v.invalid(f"Durable execution {ex.arn} is not running; its status is {ex.status}.")
        error = _error_object(params.get("Error") or {}) or {"ErrorType": "Stopped",
                                                              "ErrorMessage": "The durable execution was stopped."}
        self._durable_finish(ex, "STOPPED", error=error)
        return {"StopTimestamp": ex.doc["EndTimestamp"]}

    def checkpoint_durable_execution(self, ctx: RequestContext, params: dict) -> dict:
        ex = self._execution(ctx, params["DurableExecutionArn"], missing=lambda _: _invalid_token())
        client_token = params.get("ClientToken")
        sent = (ex.doc.get("ClientTokens") or {}).get(client_token) if client_token else None
        if sent is not None and self.clock.now() - sent["At"] <= CLIENT_TOKEN_SECONDS:
            return sent["Response"]  # the same request again: the answer it had
        if ex.status != "RUNNING" or not ex.doc.get("Token") or params["CheckpointToken"] != ex.doc["Token"]:
            raise _invalid_token()
        since = ex.doc["TokenRev"]
        updates = params.get("Updates") or []
        seen: dict[str, str] = {}
        for update in updates:
            op_id = update.get("Id") or ""
            if not _OPERATION_ID.match(op_id):
                raise v.validation("updates.member.id", op_id, "satisfy regular expression pattern: [a-zA-Z0-9-_]+")
            action, op_type = update.get("Action"), update.get("Type")
            if action not in _ACTIONS.get(op_type, ()):
                raise v.invalid(f"Invalid action {action} for operation type {op_type}.")
            # One update per operation, but a STEP or CONTEXT may start and complete in one batch.
            if op_id in seen and not (seen[op_id] == "START" and op_type in ("STEP", "CONTEXT")):
                raise v.invalid(f"Cannot update the same operation twice in a single request: {op_id}.")
            seen[op_id] = action
        work = json.loads(json.dumps(ex.doc["Ops"]))  # applied to a copy: a bad update changes nothing
        staged = Execution(ex.arn, ex.account, ex.region, ex.name, ex.version, ex.execution_name, ex.started,
                           ex.status, dict(ex.doc, Ops=work, Events=list(ex.doc["Events"])))
        effects: list = []
        for update in updates:
            self._apply_update(staged, update, effects)
        ex = staged
        token = self._new_token(ex)
        response = {"CheckpointToken": token, "NewExecutionState": {"Operations": _ops_view(ex, since)}}
        if client_token:
            now = self.clock.now()
            kept = {k: val for k, val in (ex.doc.get("ClientTokens") or {}).items()
                    if now - val["At"] <= CLIENT_TOKEN_SECONDS}
            kept[client_token] = {"At": now, "Response": response}
            ex.doc["ClientTokens"] = kept
        with self.db.transaction():
            self.durable.save(ex)
            for when, payload, key in effects:
                if when is None:
                    self.scheduler.cancel(KIND, key)
                elif payload is not None:
                    self.scheduler.at(when, KIND, payload, key=key)
        for when, payload, key in effects:
            if payload is None and when == "invoke":
                self._chain(ex.arn, key)
        root = ex.doc["Ops"][0]
        if root["Status"] in ("SUCCEEDED", "FAILED"):
            details = root.get("ExecutionDetails") or {}
            self._durable_finish(ex, root["Status"], result=details.get("_Result"), error=details.get("_Error"))
        return response

    def _apply_update(self, ex: Execution, update: dict, effects: list) -> None:
        now = self.clock.now()
        op_type, action, op_id = update["Type"], update["Action"], update["Id"]
        op = _find(ex, op_id)
        if action == "START":
            if op is not None and not (op_type == "STEP" and op["Status"] in ("READY", "PENDING")):
                raise v.invalid(f"Operation {op_id} already exists.")
            if op is not None and op["Type"] != op_type:
                raise v.invalid(f"Operation {op_id} is a {op['Type']}, not a {op_type}.")
            if update.get("ParentId") and _find(ex, update["ParentId"]) is None:
                raise v.invalid(f"Parent operation {update['ParentId']} does not exist.")
            if op is None:
                op = {"Id": op_id, "Type": op_type, "StartTimestamp": now, "Status": "STARTED"}
                for key in ("ParentId", "Name", "SubType"):
                    if update.get(key):
                        op[key] = update[key]
                ex.doc["Ops"].append(op)
            op["Status"] = "STARTED"
            started: dict = {}
            if op_type == "STEP":
                details = op.setdefault("StepDetails", {})
                details["Attempt"] = details.get("Attempt", 0) + 1
                details.pop("NextAttemptTimestamp", None)
            elif op_type == "WAIT":
                seconds = (update.get("WaitOptions") or {}).get("WaitSeconds")
                if not isinstance(seconds, int) or not 1 <= seconds <= 31622400:
                    raise v.invalid("WaitOptions.WaitSeconds must be between 1 and 31622400.")
                op["WaitDetails"] = {"ScheduledEndTimestamp": now + seconds}
                op["_duration"] = seconds
                started = {"Duration": seconds, "ScheduledEndTimestamp": now + seconds}
                effects.append((now + seconds, {"arn": ex.arn, "what": "wait", "op": op_id},
                                f"{ex.arn}#{op_id}#wait"))
            elif op_type == "CALLBACK":
                options = update.get("CallbackOptions") or {}
                callback_id = f"{ex.arn}#{op_id}".encode().hex()
                op["CallbackDetails"] = {"CallbackId": callback_id}
                started = {"CallbackId": callback_id}
                for key, what in (("TimeoutSeconds", "callback"), ("HeartbeatTimeoutSeconds", "heartbeat")):
                    seconds = options.get(key) or 0
                    if seconds > 0:
                        op[f"_{what}"] = seconds
                        started["Timeout" if what == "callback" else "HeartbeatTimeout"] = seconds
                        effects.append((now + seconds, {"arn": ex.arn, "what": what, "op": op_id},
                                        f"{ex.arn}#{op_id}#{what}"))
            elif op_type == "CONTEXT":
                op["ContextDetails"] = {"ReplayChildren": bool((update.get("ContextOptions") or {})
                                                               .get("ReplayChildren"))}
            elif op_type == "CHAINED_INVOKE":
                options = update.get("ChainedInvokeOptions") or {}
                if not options.get("FunctionName"):
                    raise v.invalid("ChainedInvokeOptions.FunctionName is required to start a chained invoke.")
                op["ChainedInvokeDetails"] = {}
                op["_target"] = options["FunctionName"]
                op["_input"] = update.get("Payload") or ""
                started = {"FunctionName": options["FunctionName"], "Input": {"Payload": op["_input"]}}
                effects.append(("invoke", None, op_id))
            _touch(ex, op)
            _event(ex, now, f"{_EVENT_PREFIX[op_type]}Started", op, **{f"{_EVENT_PREFIX[op_type]}StartedDetails":
                                                                       started})
            return
        if op is None:
            if op_type == "EXECUTION":
                op = ex.doc["Ops"][0]
            else:
                raise v.invalid(f"Operation {op_id} does not exist.")
        if op["Type"] != op_type:
            raise v.invalid(f"Operation {op_id} is a {op['Type']}, not a {op_type}.")
        if op["Status"] in _DONE:
            raise v.invalid(f"Operation {op_id} is already complete.")
        prefix = _EVENT_PREFIX[op_type]
        if action == "SUCCEED":
            payload = update.get("Payload")
            op.update(Status="SUCCEEDED", EndTimestamp=now)
            if op_type == "EXECUTION":
                op.setdefault("ExecutionDetails", {})["_Result"] = payload
            else:
                op.setdefault(_DETAILS[op_type], {})["Result"] = payload
                extra = {"RetryDetails": {"CurrentAttempt": op["StepDetails"].get("Attempt", 1)}} \
                    if op_type == "STEP" else {}
                _event(ex, now, f"{prefix}Succeeded", op,
                       **{f"{prefix}SucceededDetails": dict({"Result": {"Payload": payload or ""}}, **extra)})
        elif action == "FAIL":
            error = _error_object(update.get("Error") or {})
            op.update(Status="FAILED", EndTimestamp=now)
            if op_type == "EXECUTION":
                op.setdefault("ExecutionDetails", {})["_Error"] = error
            else:
                op.setdefault(_DETAILS[op_type], {})["Error"] = error
                extra = {"RetryDetails": {"CurrentAttempt": op["StepDetails"].get("Attempt", 1)}} \
                    if op_type == "STEP" else {}
                _event(ex, now, f"{prefix}Failed", op,
                       **{f"{prefix}FailedDetails": dict({"Error": {"Payload": error}}, **extra)})
        elif action == "RETRY":
            delay = (update.get("StepOptions") or {}).get("NextAttemptDelaySeconds") or 1
            details = op.setdefault("StepDetails", {})
            details["NextAttemptTimestamp"] = now + delay
            if update.get("Error"):
                details["Error"] = _error_object(update["Error"])
            if update.get("Payload") is not None:
                details["Result"] = update["Payload"]
            op["Status"] = "PENDING"
            effects.append((now + delay, {"arn": ex.arn, "what": "retry", "op": op_id}, f"{ex.arn}#{op_id}#retry"))
            _event(ex, now, "StepFailed", op, StepFailedDetails={
                "Error": {"Payload": details.get("Error") or {}},
                "RetryDetails": {"CurrentAttempt": details.get("Attempt", 1), "NextAttemptDelaySeconds": delay}})
        elif action == "CANCEL":
            op.update(Status="CANCELLED", EndTimestamp=now)
            effects.append((None, None, f"{ex.arn}#{op_id}#wait"))
            _event(ex, now, "WaitCancelled", op, WaitCancelledDetails={})
        _touch(ex, op)

    # -- chained invokes ----------------------------------------------------------------------------

    def _chain(self, arn: str, op_id: str) -> None:
        asyncio.get_running_loop().create_task(self._run_chained(arn, op_id))

    async def _run_chained(self, arn: str, op_id: str) -> None:
        ex = self.durable.get(arn)
        op = _find(ex, op_id) if ex else None
        if op is None:
            return
        ctx = RequestContext("lambda", "Invoke", ex.account, ex.region, str(uuid.uuid4()),
                             principal="lambda.amazonaws.com", internal=True)
        result_text, error = None, None
        try:
            target, qualifier = self.function(ctx, op["_target"])
            version, cfg, blob = self.resolve(ctx, target, qualifier, route=True)
            payload = (op.get("_input") or "").encode("utf-8")
            if cfg.get("DurableConfig"):
                out = await self.invoke_durable(ctx, target, version, cfg, payload, "RequestResponse", {})
                body, failed = out["Payload"], out.get("FunctionError")
            else:
                result = await self.run(target, version, cfg, blob, payload,
                                        target.arn + (f":{qualifier}" if qualifier else ""))
                body, failed = result.payload, result.error_type
            if failed:
                error = _function_error(body, failed)
            else:
                result_text = body.decode("utf-8")
        except ServiceError as e:
            error = {"ErrorType": e.code, "ErrorMessage": e.message}
        ex = self.durable.get(arn)
        op = _find(ex, op_id) if ex else None
        if op is None or ex.status != "RUNNING" or op["Status"] != "STARTED":
            return
        now = self.clock.now()
        if error is None:
            op.update(Status="SUCCEEDED", EndTimestamp=now)
            op["ChainedInvokeDetails"]["Result"] = result_text
            _event(ex, now, "ChainedInvokeSucceeded", op,
                   ChainedInvokeSucceededDetails={"Result": {"Payload": result_text or ""}})
        else:
            op.update(Status="FAILED", EndTimestamp=now)
            op["ChainedInvokeDetails"]["Error"] = error
            _event(ex, now, "ChainedInvokeFailed", op, ChainedInvokeFailedDetails={"Error": {"Payload": error}})
        _touch(ex, op)
        self.durable.save(ex)
        await self._durable_drive(arn)

    # -- callbacks ----------------------------------------------------------------------------------

    def _callback(self, ctx: RequestContext, callback_id: str):
        try:
            arn, op_id = bytes.fromhex(callback_id).decode("utf-8").rsplit("#", 1)
        except (ValueError, UnicodeDecodeError):
            raise v.invalid(f"Invalid callback ID: {callback_id}") from None
        ex = self.durable.get(arn)
        if ex is None or (ex.account, ex.region) != (ctx.account, ctx.region):
            raise v.invalid(f"Invalid callback ID: {callback_id}")
        op = _find(ex, op_id)
        if op is None or op["Type"] != "CALLBACK":
            raise v.invalid(f"Invalid callback ID: {callback_id}")
        if ex.status != "RUNNING" or op["Status"] != "STARTED":
            raise _callback_timed_out()
        return ex, op

    def _complete_callback(self, ex: Execution, op: dict, result: str | None, error: dict | None) -> None:
        now = self.clock.now()
        if error is None:
            op.update(Status="SUCCEEDED", EndTimestamp=now)
            op["CallbackDetails"]["Result"] = result
            _event(ex, now, "CallbackSucceeded", op, CallbackSucceededDetails={"Result": {"Payload": result or ""}})
        else:
            op.update(Status="FAILED", EndTimestamp=now)
            op["CallbackDetails"]["Error"] = error
            _event(ex, now, "CallbackFailed", op, CallbackFailedDetails={"Error": {"Payload": error}})
        _touch(ex, op)
        with self.db.transaction():
            self.durable.save(ex)
            self.scheduler.cancel(KIND, f"{ex.arn}#{op['Id']}#callback")
            self.scheduler.cancel(KIND, f"{ex.arn}#{op['Id']}#heartbeat")
        self._durable_kick(ex.arn)

    async def send_durable_execution_callback_success(self, ctx: RequestContext, params: dict) -> dict:
        self._callback(ctx, params["CallbackId"])
        raw = params.get("Result")
        if raw is not None and not isinstance(raw, (bytes, bytearray, str)):
            raw = await read_all(raw)  # the request's body
        if isinstance(raw, (bytes, bytearray)):
            if len(raw) > 262144:
                raise v.validation("result", "...", "have length less than or equal to 262144")
            raw = raw.decode("utf-8", errors="replace")
        ex, op = self._callback(ctx, params["CallbackId"])  # as it is now the body is read
        self._complete_callback(ex, op, raw if raw is not None else "", None)
        return {}

    def send_durable_execution_callback_failure(self, ctx: RequestContext, params: dict) -> dict:
        ex, op = self._callback(ctx, params["CallbackId"])
        self._complete_callback(ex, op, None, _error_object(params.get("Error") or {}))
        return {}

    def send_durable_execution_callback_heartbeat(self, ctx: RequestContext, params: dict) -> dict:
        ex, op = self._callback(ctx, params["CallbackId"])
        seconds = op.get("_heartbeat")
        if seconds:
            self.scheduler.at(self.clock.now() + seconds, KIND, {"arn": ex.arn, "what": "heartbeat", "op": op["Id"]},
                              key=f"{ex.arn}#{op['Id']}#heartbeat")
        return {}


# -- documents ------------------------------------------------------------------------------------------


def _find(ex: Execution, op_id: str) -> dict | None:
    for op in ex.doc["Ops"]:
        if op["Id"] == op_id:
            return op
    return None


def _touch(ex: Execution, op: dict) -> None:
    ex.doc["Rev"] += 1
    op["_rev"] = ex.doc["Rev"]


def _pending(op: dict) -> bool:
    """An operation the execution is waiting on (the function may answer PENDING)."""
    return (op["Type"] == "STEP" and op["Status"] in ("PENDING", "READY")) or (
        op["Type"] in ("WAIT", "CALLBACK", "CHAINED_INVOKE") and op["Status"] == "STARTED")


def _ops_view(ex: Execution, since: int | None = None, replay: bool = False) -> list[dict]:
    """The operations as the API shows them: all, those changed since a token's revision, or
    (``replay``) the state a replay loads, without the children of a completed CONTEXT that
    did not ask for ReplayChildren."""
    hidden: set[str] = set()
    if replay:
        closed = {op["Id"] for op in ex.doc["Ops"] if op["Type"] == "CONTEXT" and op["Status"] in _DONE
                  and not (op.get("ContextDetails") or {}).get("ReplayChildren")}
        parents = {op["Id"]: op.get("ParentId") for op in ex.doc["Ops"]}
        for op in ex.doc["Ops"]:
            parent = op.get("ParentId")
            while parent and parent not in closed:
                parent = parents.get(parent)
            if parent:
                hidden.add(op["Id"])
    out = []
    for op in ex.doc["Ops"]:
        if (since is not None and op.get("_rev", 0) <= since) or op["Id"] in hidden:
            continue
        view = {k: val for k, val in op.items() if not k.startswith("_")}
        details = view.get("ExecutionDetails")
        if details:
            view["ExecutionDetails"] = {k: val for k, val in details.items() if not k.startswith("_")}
        out.append(view)
    return out


def _event(ex: Execution, when: float, kind: str, op: dict | None, **details) -> None:
    event = {"EventType": kind, "EventId": len(ex.doc["Events"]) + 1, "EventTimestamp": when}
    if op is not None:
        event["Id"] = op["Id"]
        for key in ("Name", "ParentId", "SubType"):
            if op.get(key):
                event[key] = op[key]
    event.update(details)
    ex.doc["Events"].append(event)


def _event_view(event: dict, with_data: bool) -> dict:
    if with_data:
        return event
    out = {}
    for key, val in event.items():
        if key.endswith("Details") and isinstance(val, dict):
            val = {k: ({kk: vv for kk, vv in d.items() if kk != "Payload"} if isinstance(d, dict) else d)
                   for k, d in val.items()}
        out[key] = val
    return out


def _summary(ex: Execution) -> dict:
    out = {"DurableExecutionArn": ex.arn, "DurableExecutionName": ex.execution_name,
           "FunctionArn": ex.doc["FunctionArn"], "Status": ex.status, "StartTimestamp": ex.started}
    if "EndTimestamp" in ex.doc:
        out["EndTimestamp"] = ex.doc["EndTimestamp"]
    return out


def _error_object(given: dict) -> dict:
    out = {}
    for key in ("ErrorMessage", "ErrorType", "ErrorData"):
        if isinstance(given.get(key), str):
            out[key] = given[key]
    if isinstance(given.get("StackTrace"), list):
        out["StackTrace"] = [str(s) for s in given["StackTrace"]]
    return out


def _function_error(body: bytes, error_type: str | None) -> dict:
    """A function's error answer (``errorType``/``errorMessage``) as an ErrorObject."""
    try:
        parsed = json.loads(body or b"null")
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and ("errorType" in parsed or "errorMessage" in parsed):
        out = {"ErrorType": str(parsed.get("errorType") or error_type or "Unhandled"),
               "ErrorMessage": str(parsed.get("errorMessage") or "")}
        if isinstance(parsed.get("stackTrace"), list):
            out["StackTrace"] = [str(s) for s in parsed["stackTrace"]]
        return out
    if error_type:
        return {"ErrorType": error_type, "ErrorMessage": (body or b"").decode("utf-8", errors="replace")[:1024]}
    return {"ErrorType": "InvalidOutput",
            "ErrorMessage": "The durable function's answer is not a durable invocation output."}


def _epoch(value) -> float | None:
    if value is None:
        return None
    if hasattr(value, "timestamp"):
        return value.timestamp()
    return float(value)
