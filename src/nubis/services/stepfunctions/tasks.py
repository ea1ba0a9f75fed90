"""What a Task state does with its Resource: Lambda (the optimized
``lambda:invoke`` and a plain function ARN), activities, nested executions
(``states:startExecution`` with ``.sync``, ``.sync:2``), the optimized
integrations (SQS, SNS, DynamoDB, EventBridge) and the AWS SDK integrations
(``aws-sdk:<service>:<action>``), each through the internal client as the
state machine's role; ``.waitForTaskToken`` makes any of them wait for
SendTaskSuccess or SendTaskFailure.
"""
from __future__ import annotations

import asyncio
import base64
import datetime
import json
import os
import uuid
from typing import TYPE_CHECKING

from ...protocol.errors import ServiceError
from ...runtime.bodies import read_all
from . import language as asl
from . import sdk_shapes
from .executor import Branch, Failure, dumps

if TYPE_CHECKING:
    from .executor import Run

# SDK integration service names that botocore names otherwise, and the
# prefix their errors get ("<Service>.<ErrorCode>").
SDK_SERVICES = {"sfn": "stepfunctions", "eventbridge": "events", "cloudwatchlogs": "logs"}
ERROR_PREFIX = {"s3": "S3", "sqs": "Sqs", "sns": "Sns", "dynamodb": "DynamoDb", "lambda": "Lambda",
                "sfn": "Sfn", "eventbridge": "EventBridge", "secretsmanager": "SecretsManager", "ssm": "Ssm",
                "kms": "Kms", "iam": "Iam", "sts": "Sts", "cloudwatchlogs": "CloudWatchLogs",
                "scheduler": "Scheduler", "s3control": "S3Control", "schemas": "Schemas"}
# The optimized integrations' error prefixes.
OPTIMIZED_PREFIX = {"sqs": "SQS", "sns": "SNS", "dynamodb": "DynamoDB", "events": "EventBridge",
                    "lambda": "Lambda", "states": "StepFunctions"}


def new_token() -> str:
    return base64.b64encode(os.urandom(96)).decode()


def plain(value):
    """An API result as JSON: bytes as text (base64 when not UTF-8), times as ISO strings."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if not k.startswith("_")}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        try:
            return raw.decode()
        except UnicodeDecodeError:
            return base64.b64encode(raw).decode()
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return value


def parse_resource(resource: str) -> tuple[str, str, str]:
    """(kind, service, action-with-pattern) of a Task's Resource."""
    parts = resource.split(":")
    if len(parts) >= 7 and parts[2] == "lambda" and parts[5] == "function":
        return "function", "lambda", resource
    if len(parts) >= 7 and parts[2] == "states" and parts[5] == "activity":
        return "activity", "states", resource
    if resource.startswith("arn:aws:states:::aws-sdk:"):
        rest = resource[len("arn:aws:states:::aws-sdk:"):]
        service, _, action = rest.partition(":")
        return "sdk", service, action
    if resource.startswith("arn:aws:states:::"):
        service, _, action = resource[len("arn:aws:states:::"):].partition(":")
        return "optimized", service, action
    raise Failure("States.Runtime", f"Resource '{resource}' is not supported")


async def run_task(run: "Run", name: str, state: dict, data, branch: Branch, ctx: dict, resume: dict | None):
    resource = state["Resource"]
    kind, service, action = parse_resource(resource)
    token = resume.get("token") if resume else None
    io = asl.state_io(state, branch.language)
    timeout = asl.timeout_seconds(state, data, ctx, branch.variables, branch.language)
    heartbeat = asl.heartbeat_seconds(state, data, ctx, branch.variables, branch.language)
    if kind == "activity":
        return await _activity(run, name, state, data, branch, ctx, io, resource, timeout, heartbeat, token)
    pattern = ""
    for suffix in (".waitForTaskToken", ".sync:2", ".sync"):
        if action.endswith(suffix):
            action, pattern = action[: -len(suffix)], suffix
            break
    site = f"{branch.path}/{name}"
    if pattern == ".waitForTaskToken":
        token = token or run.token_at(site) or new_token()
        ctx = {**ctx, "Task": {"Token": token}}
    if kind == "function":
        return await _function(run, data, branch, ctx, io, resource, timeout)
    params = io.effective_input(data, ctx, branch.variables)
    resource_type = service if kind == "optimized" else f"aws-sdk:{service}"
    resource_name = action + pattern
    details = {"resourceType": resource_type, "resource": resource_name, "region": run.doc["_region"],
               "parameters": dumps(params)}
    if timeout:
        details["timeoutInSeconds"] = int(timeout)
    if heartbeat:
        details["heartbeatInSeconds"] = int(heartbeat)
    short = {"resourceType": resource_type, "resource": resource_name}
    if resume is None or "token" not in resume:
        branch.prev = run.event("TaskScheduled", branch.prev, "taskScheduledEventDetails", details)
        branch.prev = run.event("TaskStarted", branch.prev, "taskStartedEventDetails", short)
        if token is not None:
            run.p.remember_token(run, token, None, {"short": short, "site": site})
        bound = timeout if pattern != ".waitForTaskToken" else None
        call_params = params
        if service == "states" and action == "startExecution" and pattern.startswith(".sync") \
                and isinstance(params, dict) and "Name" not in params:
            # A name fixed by where the task is, so the same task run again after
            # a restart finds the child it started rather than starting another.
            call_params = {**params, "Name": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{run.arn}|{site}|{branch.prev}"))}
        try:
            result = await bounded(run, _started_child(run, kind, service, action, pattern, call_params), bound,
                                   f"timeout-{branch.prev}")
        except Failure as f:
            if f.error == "States.Timeout":
                branch.prev = run.event("TaskTimedOut", branch.prev, "taskTimedOutEventDetails",
                                        {**short, "error": f.error, "cause": f.cause})
            else:
                _task_failed(run, branch, short, f)
            raise
        if pattern == ".waitForTaskToken":
            branch.prev = run.event("TaskSubmitted", branch.prev, "taskSubmittedEventDetails",
                                    {**short, "output": dumps(result), "outputDetails": {"truncated": False}})
            if branch.top:
                run.checkpoint(state=name, input=data, variables=branch.variables, prev=branch.prev, token=token)
    if pattern == ".waitForTaskToken":
        result = await wait_for_token(run, token, branch, short, timeout, heartbeat, "Task")
    elif pattern.startswith(".sync") and service == "states":
        result = await _sync_execution(run, result, pattern)
    branch.prev = run.event("TaskSucceeded", branch.prev, "taskSucceededEventDetails",
                            {**short, "output": dumps(result), "outputDetails": {"truncated": False}})
    return result


async def bounded(run: "Run", work, timeout, key: str):
    """``work``'s result, or Failure States.Timeout once ``timeout`` seconds pass on the clock."""
    if not timeout:
        return await work
    task = asyncio.ensure_future(work)
    run.live += 1  # the timer is a thread of its own while the work runs
    timer = asyncio.ensure_future(run.thread(run.sleep_until(run.p.clock.now() + timeout, key)))
    try:
        await asyncio.wait({task, timer}, return_when=asyncio.FIRST_COMPLETED)
    except BaseException:
        task.cancel()
        raise
    finally:
        if not timer.done():
            timer.cancel()
    if task.done():
        return task.result()
    task.cancel()
    raise Failure("States.Timeout", "")


def _task_failed(run: "Run", branch: Branch, short: dict, f: Failure, kind: str = "Task") -> None:
    branch.prev = run.event(f"{kind}Failed", branch.prev, f"{kind[0].lower()}{kind[1:]}FailedEventDetails",
                            {**(short if kind == "Task" else {}), "error": f.error, "cause": f.cause})


async def wait_for_token(run: "Run", token: str, branch: Branch, short: dict, timeout, heartbeat, kind: str):
    """The outcome SendTask* gives ``token``: its output, or Failure (States.Timeout past the deadlines)."""
    clock = run.p.clock
    started = clock.now()
    deadline = started + timeout if timeout else None
    beat = started + heartbeat if heartbeat else None
    while True:
        due = min([t for t in (deadline, beat) if t is not None], default=None)
        if due is not None:
            run.p.scheduler.at(due, "stepfunctions:wake", {"execution": run.arn, "key": token},
                               key=f"{run.arn}|{token}")
        outcome = await run.block_on(token)
        now = clock.now()
        if outcome is None or outcome[0] == "tick":
            if (deadline is not None and now >= deadline) or (beat is not None and now >= beat):
                run.p.forget_token(token, timed_out=True)
                # A missed heartbeat is its own error, as the developer guide names it.
                late = deadline is None or now < deadline
                f = Failure("States.HeartbeatTimeout" if late else "States.Timeout", "")
                ev = "TaskTimedOut" if kind == "Task" else "ActivityTimedOut"
                key = "taskTimedOutEventDetails" if kind == "Task" else "activityTimedOutEventDetails"
                branch.prev = run.event(ev, branch.prev, key, {**(short if kind == "Task" else {}),
                                                               "error": f.error, "cause": ""})
                raise f
            continue
        if outcome[0] == "started":
            branch.prev = run.event("ActivityStarted", branch.prev, "activityStartedEventDetails",
                                    {"workerName": outcome[1]} if outcome[1] else {})
            continue
        if outcome[0] == "heartbeat":
            if heartbeat:
                beat = now + heartbeat
            continue
        run.p.scheduler.cancel("stepfunctions:wake", f"{run.arn}|{token}")
        run.p.forget_token(token)
        if outcome[0] == "success":
            return outcome[1]
        f = Failure(outcome[1], outcome[2])
        if kind == "Task":
            _task_failed(run, branch, short, f)
        else:
            _task_failed(run, branch, short, f, "Activity")
        raise f


async def _started_child(run: "Run", kind: str, service: str, action: str, pattern: str, params):
    """``_call``, where a nested execution already started under its fixed name is the one started."""
    try:
        return await _call(run, kind, service, action, pattern, params)
    except Failure as f:
        if f.error != "StepFunctions.ExecutionAlreadyExists" or not pattern.startswith(".sync"):
            raise
        machine = str(params.get("StateMachineArn", "")).split(":")
        if len(machine) < 7:
            raise
        return {"ExecutionArn": f"arn:aws:states:{machine[3]}:{machine[4]}:execution:{machine[6]}:{params['Name']}"}


async def _call(run: "Run", kind: str, service: str, action: str, pattern: str, params):
    if not isinstance(params, dict):
        raise Failure("States.Runtime", "The Parameters of a Task must be a JSON object")
    target = SDK_SERVICES.get(service, service) if kind == "sdk" else service
    if target == "states":
        target = "stepfunctions"
    operation = action[:1].upper() + action[1:]
    p = run.p
    if kind == "optimized" and service == "lambda" and action == "invoke":
        return await _lambda_invoke(run, params, wrapped=True)
    call = dict(params)
    if target == "stepfunctions" and operation == "StartExecution" and "Input" in call \
            and not isinstance(call["Input"], str):
        call["Input"] = dumps(call["Input"])
    if target == "s3" and "Body" in call and not isinstance(call["Body"], (bytes, bytearray)):
        body = call["Body"]
        call["Body"] = (body if isinstance(body, str) else dumps(body)).encode()
    if target == "sqs" and not isinstance(call.get("MessageBody", ""), str):
        call["MessageBody"] = dumps(call["MessageBody"])
    if target == "sns" and not isinstance(call.get("Message", ""), str):
        call["Message"] = dumps(call["Message"])
    if target == "events" and operation == "PutEvents":
        call["Entries"] = [{**e, "Detail": e["Detail"] if isinstance(e.get("Detail"), str) else dumps(e.get("Detail"))}
                           if "Detail" in e else e for e in call.get("Entries") or []]
    if p.runtime.catalogue.get(target) is None:
        raise Failure("States.Runtime", f"Service '{service}' is not supported by nubis")
    call = sdk_shapes.to_api(target, operation, call)
    try:
        out = await p.internal.call(target, operation, call, account=run.doc["_account"],
                                    region=run.doc["_region"], principal=run.doc.get("_roleArn") or "")
    except ServiceError as e:
        prefix = (ERROR_PREFIX.get(service) if kind == "sdk" else OPTIMIZED_PREFIX.get(service)) \
            or service[:1].upper() + service[1:]
        name = e.code
        if kind == "sdk" and not name.endswith("Exception"):
            # The developer guide: SDK integration errors always carry the suffix.
            name += "Exception"
        raise Failure(f"{prefix}.{name}", e.message) from None
    if "Body" in out and not isinstance(out["Body"], (bytes, bytearray, str)):
        out = {**out, "Body": await read_all(out["Body"])}
    return plain(sdk_shapes.to_states(target, operation, out))




async def _lambda_invoke(run: "Run", params: dict, wrapped: bool):
    call = {k: v for k, v in params.items() if k in ("FunctionName", "Qualifier", "InvocationType",
                                                      "ClientContext", "LogType")}
    if "Payload" in params:
        call["Payload"] = (params["Payload"] if isinstance(params["Payload"], str) else dumps(params["Payload"])).encode()
    try:
        out = await run.p.internal.call("lambda", "Invoke", call, account=run.doc["_account"],
                                        region=run.doc["_region"], principal=run.doc.get("_roleArn") or "")
    except ServiceError as e:
        raise Failure(f"Lambda.{e.code}", e.message) from None
    raw = out.get("Payload") or b""
    raw = raw if isinstance(raw, (bytes, bytearray)) else str(raw).encode()
    text = raw.decode("utf-8", "replace")
    try:
        payload = json.loads(text) if text else None
    except ValueError:
        payload = text
    if out.get("FunctionError"):
        error = payload.get("errorType") if isinstance(payload, dict) else None
        raise Failure(error or "Lambda.Unknown", text)
    if not wrapped:
        return payload
    return {"ExecutedVersion": out.get("ExecutedVersion", "$LATEST"), "Payload": payload,
            "SdkHttpMetadata": {"HttpHeaders": {"Content-Type": "application/json"}, "HttpStatusCode": 200},
            "SdkResponseMetadata": {"RequestId": run.p.new_id()}, "StatusCode": out.get("StatusCode", 200)}


async def _function(run: "Run", data, branch: Branch, ctx: dict, io, resource: str, timeout=None):
    """A plain function ARN: the LambdaFunction* events, the function's result as the task's."""
    payload = io.effective_input(data, ctx, branch.variables)
    details = {"resource": resource}
    if timeout:
        details["timeoutInSeconds"] = int(timeout)
    if run.recording:
        details.update(input=dumps(payload), inputDetails={"truncated": False})
    branch.prev = run.event("LambdaFunctionScheduled", branch.prev, "lambdaFunctionScheduledEventDetails", details)
    branch.prev = run.event("LambdaFunctionStarted", branch.prev)
    try:
        result = await bounded(run, _lambda_invoke(run, {"FunctionName": resource, "Payload": payload}, wrapped=False),
                               timeout, f"timeout-{branch.prev}")
    except Failure as f:
        kind = "TimedOut" if f.error == "States.Timeout" else "Failed"
        branch.prev = run.event(f"LambdaFunction{kind}", branch.prev, f"lambdaFunction{kind}EventDetails",
                                {"error": f.error, "cause": f.cause})
        raise
    branch.prev = run.event("LambdaFunctionSucceeded", branch.prev, "lambdaFunctionSucceededEventDetails",
                            {"output": dumps(result), "outputDetails": {"truncated": False}})
    return result


async def _activity(run: "Run", name, state, data, branch, ctx, io, resource, timeout, heartbeat, token):
    site = f"{branch.path}/{name}"
    if token is None:
        # Nested in a Parallel or Map run again after a restart, the task keeps
        # the token a worker may already hold.
        reused = run.token_at(site)
        task_input = io.effective_input(data, ctx, branch.variables)
        token = reused or new_token()
        details = {"resource": resource, "input": dumps(task_input), "inputDetails": {"truncated": False}}
        if timeout:
            details["timeoutInSeconds"] = int(timeout)
        if heartbeat:
            details["heartbeatInSeconds"] = int(heartbeat)
        branch.prev = run.event("ActivityScheduled", branch.prev, "activityScheduledEventDetails", details)
        if reused is None:
            run.p.remember_token(run, token, resource, {"input": dumps(task_input), "activity": True,
                                                        "prev": branch.prev, "site": site})
        if branch.top:
            run.checkpoint(state=name, input=data, variables=branch.variables,
                           prev=branch.prev, token=token)
        run.p.activity_ready(resource)
    result = await wait_for_token(run, token, branch, {}, timeout, heartbeat, "Activity")
    branch.prev = run.event("ActivitySucceeded", branch.prev, "activitySucceededEventDetails",
                            {"output": dumps(result), "outputDetails": {"truncated": False}})
    return result


async def _sync_execution(run: "Run", started: dict, pattern: str):
    """``startExecution.sync``: wait for the child; its description as the result."""
    child = started.get("ExecutionArn") or started.get("executionArn")
    desc = await run.p.wait_finished(run, child)
    if desc["status"] != "SUCCEEDED":
        raise Failure("States.TaskFailed", dumps(_described(desc, pattern)))
    return _described(desc, pattern)


def _described(desc: dict, pattern: str) -> dict:
    out = {"ExecutionArn": desc["executionArn"], "StateMachineArn": desc["stateMachineArn"], "Name": desc["name"],
           "Status": desc["status"], "StartDate": desc["startDate"], "StopDate": desc.get("stopDate"),
           "Input": desc.get("input"), "InputDetails": {"Included": True}}
    if "output" in desc:
        out["Output"] = desc["output"]
        out["OutputDetails"] = {"Included": True}
    if pattern == ".sync:2":
        for k in ("Input", "Output"):
            if isinstance(out.get(k), str):
                try:
                    out[k] = json.loads(out[k])
                except ValueError:
                    pass
    for k in ("error", "cause"):
        if k in desc:
            out[k.capitalize()] = desc[k]
    return out
