"""TestState: one state of a definition (or a definition that is one state) run
once on a given input and variables, without an execution, a retry or a wait."""
from __future__ import annotations

import json
import random
import uuid
from typing import TYPE_CHECKING

from ..base import RequestContext
from . import language as asl
from . import validation as v
from .executor import Branch, Failure, Run, dumps, _iso
from .tasks import parse_resource

if TYPE_CHECKING:
    from .provider import StepFunctionsProvider

_UNSUPPORTED = (".sync", ".sync:2", ".waitForTaskToken")


def _targets(state: dict) -> set[str]:
    names = {state.get("Next"), state.get("Default")}
    names.update(c.get("Next") for c in state.get("Choices") or [])
    names.update(c.get("Next") for c in state.get("Catch") or [])
    return {n for n in names if isinstance(n, str)}


def _definition(params: dict) -> tuple[str, dict, str]:
    """(state name, state, query language) of the request's definition, validated."""
    text = params.get("definition")
    try:
        doc = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        doc = None
    if not isinstance(doc, dict):
        raise v.error("InvalidDefinition", "Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION'")
    if "States" in doc:
        asl.validate(text)
        name = params.get("stateName") or doc.get("StartAt")
        if name not in doc["States"]:
            raise v.validation(f"State '{name}' does not exist in the definition")
        return name, doc["States"][name], doc["States"][name].get("QueryLanguage", doc.get("QueryLanguage",
                                                                                          "JSONPath"))
    if params.get("stateName"):
        raise v.validation("stateName can only be given with a state machine definition")
    name = "TestState"
    states = {name: doc}
    for target in _targets(doc) - {name}:
        states[target] = {"Type": "Succeed"}
    machine = {"StartAt": name, "States": states}
    if doc.get("QueryLanguage"):
        machine["QueryLanguage"] = doc["QueryLanguage"]
    asl.validate(json.dumps(machine))
    return name, doc, doc.get("QueryLanguage", "JSONPath")


async def test_state(p: "StepFunctionsProvider", ctx: RequestContext, params: dict) -> dict:
    name, state, language = _definition(params)
    if state.get("Type") == "Task":
        kind, _, action = parse_resource(state.get("Resource", ""))
        if kind == "activity" or action.endswith(_UNSUPPORTED):
            raise v.validation("TestState does not support activities, .sync or .waitForTaskToken tasks")
    raw = params.get("input")
    data = v.json_document(raw if raw is not None else "{}", "InvalidExecutionInput", "Input")
    variables = v.json_document(params.get("variables") or "{}", "ValidationException", "Variables")
    role = params.get("roleArn")
    if role is not None:
        v.role_arn(role)
    now = p.clock.now()
    arn = f"arn:aws:states:{ctx.region}:{ctx.account}:execution:TestStateMachine:{uuid.uuid4()}"
    doc = {"executionArn": arn, "name": arn.rsplit(":", 1)[1], "status": "RUNNING", "startDate": now,
           "stateMachineArn": f"arn:aws:states:{ctx.region}:{ctx.account}:stateMachine:TestStateMachine",
           "_account": ctx.account, "_region": ctx.region, "_roleArn": role or "", "_input": data,
           "_startTime": _iso(now)}
    run = Run(p, doc, {"StartAt": name, "States": {name: state}, "QueryLanguage": language}, express=True)

    async def no_wait(when: float, key: str) -> None:
        return None

    run.sleep_until = no_wait  # TestState answers at once: a Wait's time is not spent
    run.live += 1
    bare = {k: val for k, val in state.items() if k not in ("Retry", "Catch")}
    branch = Branch(0, dict(variables) if isinstance(variables, dict) else {}, language, False)
    inspection = {"input": dumps(data)}
    try:
        output, nxt = await run.state(name, bare, data, branch, None)
    except Failure as f:
        out = {"error": f.error, "cause": f.cause, "inspectionData": inspection}
        delay, _ = asl.retry_delay(state.get("Retry") or [], f.error, {}, random.Random(0))
        if delay is not None:
            out["status"] = "RETRIABLE"
            out["inspectionData"]["errorDetails"] = {"retryBackoffIntervalSeconds": int(delay)}
            return out
        catcher = asl.catch(state.get("Catch") or [], f.error)
        if catcher is not None:
            context = run.context(name, now, branch=branch)
            out["status"] = "CAUGHT_ERROR"
            out["nextState"] = catcher["Next"]
            out["output"] = dumps(asl.catcher_output(catcher, language, data, f.error, f.cause, context,
                                                     branch.variables))
            return out
        out["status"] = "FAILED"
        return out
    inspection["variables"] = dumps(branch.variables)
    out = {"output": dumps(output), "status": "SUCCEEDED", "inspectionData": inspection}
    if nxt is not None:
        out["nextState"] = nxt
    return out
