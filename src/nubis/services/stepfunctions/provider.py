"""AWS Step Functions.

Operations follow the API reference: state machines (with versions and
aliases), activities, executions and their history, task tokens, map runs.
An execution is a ``Run`` (executor.py) on the event loop; a STANDARD one
commits every event and checkpoint as it goes and is resumed from its last
checkpoint when nubis starts again; an EXPRESS one lives in memory only.
"""
from __future__ import annotations

import asyncio
import json
import logging
import random
import uuid

from ..base import Provider, RequestContext
from . import execution_logs
from . import language as asl
from . import validation as v
from .executor import WAKE, Run, dumps, _iso
from .store import MIGRATIONS, StepFunctionsStore

log = logging.getLogger("nubis.stepfunctions")

TERMINAL = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")
IDEMPOTENCY_WINDOW = 90 * 86400.0
DEFAULT_LOGGING = {"level": "OFF", "includeExecutionData": False}
STATUS_CHANGE = "Step Functions Execution Status Change"
TIMEOUT = "stepfunctions:timeout"
# While STANDARD executions run, a recurring timer: after a restart it starts
# this provider (and so resumes them) even when nothing else would: at once
# when it fell due while nubis was down, else within KEEPALIVE_EVERY.
KEEPALIVE = "stepfunctions:keepalive"
KEEPALIVE_EVERY = 300.0
REDRIVE_WINDOW = 14 * 86400.0


def _public(doc: dict) -> dict:
    return {k: val for k, val in doc.items() if not k.startswith("_")}


class MapRuns:
    """The map runs of distributed Map states, as DescribeMapRun reports them."""

    def __init__(self, p: "StepFunctionsProvider"):
        self.p = p

    def start(self, run: Run, state_name: str, state: dict, total: int) -> dict:
        parts = run.arn.split(":")
        arn = (f"arn:aws:states:{parts[3]}:{parts[4]}:mapRun:{parts[6]}/{state_name}:"
               f"{uuid.uuid4()}")
        doc = {"mapRunArn": arn, "executionArn": run.arn, "status": "RUNNING", "startDate": self.p.clock.now(),
               "maxConcurrency": int(state.get("MaxConcurrency") or 0),
               "toleratedFailurePercentage": float(state.get("ToleratedFailurePercentage") or 0),
               "toleratedFailureCount": int(state.get("ToleratedFailureCount") or 0),
               "counts": {"total": total, "succeeded": 0, "failed": 0}}
        if not run.express:
            self.p.store.put_map_run(doc)
        return doc

    def finish(self, doc: dict, status: str) -> None:
        doc["status"] = status
        doc["stopDate"] = self.p.clock.now()
        self.p.store.put_map_run(doc)

    @staticmethod
    def describe(doc: dict) -> dict:
        c = doc["counts"]
        pending = c["total"] - c["succeeded"] - c["failed"]
        counts = {"pending": 0, "running": pending if doc["status"] == "RUNNING" else 0,
                  "succeeded": c["succeeded"], "failed": c["failed"], "timedOut": 0,
                  "aborted": pending if doc["status"] != "RUNNING" else 0, "total": c["total"],
                  "resultsWritten": c["succeeded"] + c["failed"], "failuresNotRedrivable": 0,
                  "pendingRedrive": 0}
        out = {k: doc[k] for k in ("mapRunArn", "executionArn", "status", "startDate", "maxConcurrency",
                                   "toleratedFailurePercentage", "toleratedFailureCount")}
        if "stopDate" in doc:
            out["stopDate"] = doc["stopDate"]
        out["itemCounts"] = counts
        out["executionCounts"] = dict(counts)
        out["redriveCount"] = 0
        return out


class StepFunctionsProvider(Provider):
    service = "stepfunctions"
    migrations = MIGRATIONS

    def start(self) -> None:
        self._checked: dict = {}
        self._definitions: dict[str, dict] = {}
        self.store = StepFunctionsStore(self.db)
        self.map_runs = MapRuns(self)
        self.runs: dict[str, Run] = {}
        self.express_runs: dict[str, Run] = {}
        self.express_tokens: dict[str, tuple[Run, dict]] = {}
        self.timed_out: set[str] = set()
        self.activity_signals: dict[str, asyncio.Event] = {}
        self.finish_waiters: dict[str, list[tuple[Run, str]]] = {}
        self._kept_alive = False
        self.stopping = False  # nubis is shutting down: durable timers stay for the next start
        self.scheduler.on(WAKE, self._wake)
        self.scheduler.on(TIMEOUT, self._timed_out)
        self.scheduler.on(KEEPALIVE, self._keepalive)
        self._resume_all()

    def handler(self, operation: str):
        """The operation's method, behind the model's required-member check."""
        checked = self._checked.get(operation)
        if checked is None:
            fn = super().handler(operation)
            if fn is None:
                return None
            if not v.required_members(operation):
                checked = fn
            else:
                def checked(ctx, params, _fn=fn, _op=operation):
                    v.check_required(_op, params)
                    return _fn(ctx, params)
            self._checked[operation] = checked
        return checked

    def reset(self) -> None:
        for run in list(self.runs.values()) + list(self.express_runs.values()):
            if run.task is not None:
                run.task.cancel()
        self.runs.clear()
        self.express_runs.clear()
        self._kept_alive = False
        self.express_tokens.clear()
        self.finish_waiters.clear()

    async def stop(self) -> None:
        # Cancelled, and let unwind before the database closes (a checkpoint is
        # where each resumes on the next start).
        self.stopping = True
        tasks = [run.task for run in list(self.runs.values()) + list(self.express_runs.values())
                 if run.task is not None and not run.task.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=5)

    def _resume_all(self) -> None:
        """Carry on with every execution that was running when nubis stopped."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        for doc, checkpoint in self.store.running():
            if doc.get("_mapRun"):
                # A distributed Map's child: its parent runs the Map again from its start.
                doc.update(status="ABORTED", stopDate=self.clock.now())
                self.store.put_execution(doc)
                continue
            run = Run(self, doc, self._parsed(doc["_definitionText"]), express=False)
            run.resuming()
            self._launch(run, checkpoint)
        if self.runs:
            self.scheduler.at(self.clock.now() + KEEPALIVE_EVERY, KEEPALIVE, {}, key="running", every=KEEPALIVE_EVERY)
            self._kept_alive = True

    def _launch(self, run: Run, checkpoint: dict | None) -> None:
        (self.express_runs if run.express else self.runs)[run.arn] = run
        run.task = asyncio.get_running_loop().create_task(run.main(checkpoint), name=f"sfn {run.arn}")
        limit = run.definition.get("TimeoutSeconds")
        if limit and run.express:
            async def watchdog():
                await self.scheduler.sleep_until(run.doc["startDate"] + limit)
                self._time_out(run)

            dog = asyncio.get_running_loop().create_task(watchdog())
            run.task.add_done_callback(lambda _t: dog.cancel())

    def _keepalive(self, payload: dict) -> None:
        if not self.runs:
            self.scheduler.cancel(KEEPALIVE, "running")
            self._kept_alive = False

    async def _timed_out(self, payload: dict) -> None:
        run = self.runs.get(payload.get("execution", ""))
        if run is not None:
            self._time_out(run)

    def _time_out(self, run: Run) -> None:
        """The machine's TimeoutSeconds passed: the execution ends TIMED_OUT."""
        if run.task is not None:
            run.task.cancel()
        self.finish(run, "TIMED_OUT", error="States.Timeout",
                    cause=f"The execution timed out after {run.definition.get('TimeoutSeconds')} seconds")

    async def _wake(self, payload: dict) -> None:
        run = self.runs.get(payload.get("execution", ""))
        if run is None:
            return
        run.resolve(payload["key"], None)
        await run.settle()

    def _parsed(self, text: str) -> dict:
        """A definition as the executor reads it (never changes it): parsed once per text."""
        definition = self._definitions.get(text)
        if definition is None:
            if len(self._definitions) >= 256:
                self._definitions.clear()
            definition = self._definitions[text] = json.loads(text)
        return definition

    @staticmethod
    def new_id() -> str:
        return str(uuid.uuid4())

    # -- lookups -----------------------------------------------------------------------------------

    def _machine(self, arn) -> dict:
        """The state machine an unqualified ARN names."""
        if len(v.arn_parts(arn, "stateMachine")) > 7:
            raise v.validation(f"Invalid Arn: 'Unqualified state machine ARN expected: {arn}'")
        doc = self.store.machine(arn)
        if doc is None:
            raise v.error("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{arn}'")
        return doc

    def _execution(self, arn) -> dict:
        parts = v.arn_parts(arn, "execution") if not (isinstance(arn, str) and ":express:" in arn) \
            else v.arn_parts(arn, "express")
        doc = self.store.execution(arn) if parts[5] == "execution" else None
        if doc is None:
            run = self.express_runs.get(arn)
            if run is not None:
                return run.doc
            raise v.error("ExecutionDoesNotExist", f"Execution Does Not Exist: '{arn}'")
        return doc

    def _activity(self, arn) -> dict:
        v.arn_parts(arn, "activity")
        doc = self.store.activity(arn)
        if doc is None:
            raise v.error("ActivityDoesNotExist", f"Activity Does Not Exist: '{arn}'")
        return doc

    # -- state machines -------------------------------------------------------------------------------

    def create_state_machine(self, ctx: RequestContext, params: dict) -> dict:
        name = v.name(params.get("name"))
        definition_text = params.get("definition")
        role = v.role_arn(params.get("roleArn"))
        kind = params.get("type") or "STANDARD"
        if kind not in ("STANDARD", "EXPRESS"):
            raise v.validation(f"1 validation error detected: Value '{kind}' at 'type' failed to satisfy "
                               "constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]")
        definition = asl.validate(definition_text)
        logging_config = self._logging(params.get("loggingConfiguration"), kind)
        arn = f"arn:aws:states:{ctx.region}:{ctx.account}:stateMachine:{name}"
        now = self.clock.now()
        existing = self.store.machine(arn)
        if existing is not None:
            same = (existing["definition"] == definition_text and existing["roleArn"] == role
                    and existing["type"] == kind and not params.get("publish"))
            if not same:
                raise v.error("StateMachineAlreadyExists", f"State Machine Already Exists: '{arn}'")
            return {"stateMachineArn": arn, "creationDate": existing["creationDate"]}
        doc = {"stateMachineArn": arn, "name": name, "status": "ACTIVE", "definition": definition_text,
               "roleArn": role, "type": kind, "creationDate": now, "loggingConfiguration": logging_config,
               "tracingConfiguration": {"enabled": bool((params.get("tracingConfiguration") or {}).get("enabled"))},
               "revisionId": self.new_id(), "_kind": "machine", "_tags": _tags(params.get("tags")),
               "_versions": 0, "_updated": now, "_startAt": definition.get("StartAt")}
        if params.get("encryptionConfiguration"):
            doc["encryptionConfiguration"] = params["encryptionConfiguration"]
        out = {"stateMachineArn": arn, "creationDate": now}
        with self.db.transaction():
            self.store.put_machine(arn, ctx.account, ctx.region, "machine", None, now, doc)
            if params.get("publish"):
                out["stateMachineVersionArn"] = self._publish(doc, params.get("versionDescription"))["arn"]
        return out

    def _logging(self, config, kind: str) -> dict:
        if not config:
            return dict(DEFAULT_LOGGING)
        level = config.get("level", "OFF")
        if level not in ("ALL", "ERROR", "FATAL", "OFF"):
            raise v.validation(f"1 validation error detected: Value '{level}' at 'loggingConfiguration.level' "
                               "failed to satisfy constraint: Member must satisfy enum value set: "
                               "[ALL, ERROR, FATAL, OFF]")
        if level != "OFF" and not config.get("destinations"):
            raise v.error("InvalidLoggingConfiguration",
                          "Invalid Logging Configuration: Must specify exactly one Log Destination.")
        for d in config.get("destinations") or []:
            group = ((d or {}).get("cloudWatchLogsLogGroup") or {}).get("logGroupArn")
            if not isinstance(group, str) or not group.startswith("arn:") or ":log-group:" not in group:
                raise v.error("InvalidLoggingConfiguration",
                              f"Invalid Logging Configuration: Log Destination not found: '{group}'")
        out = {"level": level, "includeExecutionData": bool(config.get("includeExecutionData"))}
        if config.get("destinations"):
            out["destinations"] = config["destinations"]
        return out

    def _publish(self, machine: dict, description: str | None) -> dict:
        """A new version of ``machine`` unless its current revision is already one."""
        for version in self.store.children(machine["stateMachineArn"], "version"):
            if version["revisionId"] == machine["revisionId"]:
                return {"arn": version["stateMachineArn"], "creationDate": version["creationDate"]}
        machine["_versions"] += 1
        arn = f"{machine['stateMachineArn']}:{machine['_versions']}"
        now = self.clock.now()
        version = {**{k: val for k, val in machine.items() if k not in ("_tags", "_versions")},
                   "stateMachineArn": arn, "creationDate": now, "_kind": "version"}
        if description:
            version["description"] = description
        parts = arn.split(":")
        self.store.put_machine(arn, parts[4], parts[3], "version", machine["stateMachineArn"], now, version)
        self.store.put_machine(machine["stateMachineArn"], parts[4], parts[3], "machine", None,
                               machine["creationDate"], machine)
        return {"arn": arn, "creationDate": now}

    def describe_state_machine(self, ctx: RequestContext, params: dict) -> dict:
        arn = params.get("stateMachineArn")
        v.arn_parts(arn, "stateMachine")
        doc = self.store.machine(arn)
        if doc is None or doc["_kind"] == "alias":
            raise v.error("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{arn}'")
        return _public(doc)

    def update_state_machine(self, ctx: RequestContext, params: dict) -> dict:
        doc = self._machine(params.get("stateMachineArn"))
        changes = [k for k in ("definition", "roleArn", "loggingConfiguration", "tracingConfiguration",
                               "encryptionConfiguration") if params.get(k) is not None]
        if not changes and not params.get("publish"):
            raise v.error("MissingRequiredParameter", "Either the definition, the role ARN, the "
                          "LoggingConfiguration, the EncryptionConfiguration or the TracingConfiguration must "
                          "be specified")
        if params.get("versionDescription") and not params.get("publish"):
            raise v.validation("Version description can only be set when publish is true")
        changed = False
        if params.get("definition") is not None:
            definition = asl.validate(params["definition"])
            changed |= params["definition"] != doc["definition"]
            doc["definition"] = params["definition"]
            doc["_startAt"] = definition.get("StartAt")
        if params.get("roleArn") is not None:
            changed |= doc["roleArn"] != v.role_arn(params["roleArn"])
            doc["roleArn"] = params["roleArn"]
        if params.get("loggingConfiguration") is not None:
            doc["loggingConfiguration"] = self._logging(params["loggingConfiguration"], doc["type"])
            changed = True
        if params.get("tracingConfiguration") is not None:
            doc["tracingConfiguration"] = {"enabled": bool(params["tracingConfiguration"].get("enabled"))}
            changed = True
        if params.get("encryptionConfiguration") is not None:
            doc["encryptionConfiguration"] = params["encryptionConfiguration"]
            changed = True
        now = self.clock.now()
        if changed:
            doc["revisionId"] = self.new_id()
            doc["_updated"] = now
        out = {"updateDate": now, "revisionId": doc["revisionId"]}
        with self.db.transaction():
            parts = doc["stateMachineArn"].split(":")
            self.store.put_machine(doc["stateMachineArn"], parts[4], parts[3], "machine", None,
                                   doc["creationDate"], doc)
            if params.get("publish"):
                out["stateMachineVersionArn"] = self._publish(doc, params.get("versionDescription"))["arn"]
        return out

    def delete_state_machine(self, ctx: RequestContext, params: dict) -> dict:
        arn = params.get("stateMachineArn")
        parts = v.arn_parts(arn, "stateMachine")
        if len(parts) > 7:
            raise v.validation(f"Invalid Arn: 'Expected an unqualified state machine ARN: {arn}'")
        if self.store.machine(arn) is None:
            return {}
        with self.db.transaction():
            for kind in ("alias", "version"):
                for child in self.store.children(arn, kind):
                    self.store.delete_machine(child["stateMachineArn"] if kind == "version"
                                              else child["stateMachineAliasArn"])
            self.store.delete_machine(arn)
        return {}

    def list_state_machines(self, ctx: RequestContext, params: dict) -> dict:
        rows = [{"stateMachineArn": d["stateMachineArn"], "name": d["name"], "type": d["type"],
                 "creationDate": d["creationDate"]} for d in self.store.machines(ctx.account, ctx.region)]
        return v.paged(params, rows, "stateMachines")

    def describe_state_machine_for_execution(self, ctx: RequestContext, params: dict) -> dict:
        doc = self._execution(params.get("executionArn"))
        out = {"stateMachineArn": doc["stateMachineArn"], "name": doc["stateMachineArn"].split(":")[6],
               "definition": doc["_definitionText"], "roleArn": doc["_roleArn"], "updateDate": doc["startDate"],
               "loggingConfiguration": doc.get("_logging") or dict(DEFAULT_LOGGING),
               "tracingConfiguration": {"enabled": False}, "revisionId": doc.get("_revisionId", "")}
        return out

    def validate_state_machine_definition(self, ctx: RequestContext, params: dict) -> dict:
        text = params.get("definition")
        if not isinstance(text, str):
            raise v.validation("1 validation error detected: Value null at 'definition' failed to satisfy "
                               "constraint: Member must not be null")
        found = asl.diagnostics(text)
        if params.get("severity") == "ERROR":
            found = [d for d in found if d.get("severity") == "ERROR"]
        limit = params.get("maxResults") or 100
        out = {"result": "FAIL" if any(d.get("severity") == "ERROR" for d in found) else "OK",
               "diagnostics": found[:limit], "truncated": len(found) > limit}
        return out

    async def test_state(self, ctx: RequestContext, params: dict) -> dict:
        """One state run on its own input: its output and next state, or its error
        (RETRIABLE when a retrier would retry it, CAUGHT_ERROR when a catcher takes it)."""
        from .teststate import test_state

        return await test_state(self, ctx, params)

    # -- versions ----------------------------------------------------------------------------------

    def publish_state_machine_version(self, ctx: RequestContext, params: dict) -> dict:
        doc = self._machine(params.get("stateMachineArn"))
        if params.get("revisionId") and params["revisionId"] != doc["revisionId"]:
            raise v.error("ConflictException", "Failed to publish the State Machine version for revision "
                          f"{params['revisionId']}. The current State Machine revision is {doc['revisionId']}.")
        with self.db.transaction():
            version = self._publish(doc, params.get("description"))
        return {"creationDate": version["creationDate"], "stateMachineVersionArn": version["arn"]}

    def list_state_machine_versions(self, ctx: RequestContext, params: dict) -> dict:
        doc = self._machine(params.get("stateMachineArn"))
        rows = [{"stateMachineVersionArn": d["stateMachineArn"], "creationDate": d["creationDate"]}
                for d in self.store.children(doc["stateMachineArn"], "version")]
        rows.sort(key=lambda r: -int(r["stateMachineVersionArn"].rsplit(":", 1)[1]))
        return v.paged(params, rows, "stateMachineVersions")

    def delete_state_machine_version(self, ctx: RequestContext, params: dict) -> dict:
        arn = params.get("stateMachineVersionArn")
        parts = v.arn_parts(arn, "stateMachine")
        if len(parts) != 8 or not parts[7].isdigit():
            raise v.validation(f"Invalid Arn: '{arn}'")
        doc = self.store.machine(arn)
        if doc is None:
            return {}
        parent = ":".join(parts[:7])
        for alias in self.store.children(parent, "alias"):
            if any(r["stateMachineVersionArn"] == arn for r in alias["routingConfiguration"]):
                raise v.error("ConflictException", f"Version to be deleted must not be referenced by an alias. "
                              f"Current list of aliases referencing this version: [{alias['name']}]")
        self.store.delete_machine(arn)
        return {}

    # -- aliases -----------------------------------------------------------------------------------

    def _routing(self, routing) -> tuple[list, str]:
        if not isinstance(routing, list) or not 1 <= len(routing) <= 2:
            raise v.validation("1 validation error detected: Value at 'routingConfiguration' failed to satisfy "
                               "constraint: Member must have length less than or equal to 2")
        parents = set()
        for r in routing:
            arn = r.get("stateMachineVersionArn")
            parts = v.arn_parts(arn, "stateMachine")
            if len(parts) != 8 or not parts[7].isdigit():
                raise v.validation(f"Invalid Arn: '{arn}'")
            if self.store.machine(arn) is None:
                raise v.error("ResourceNotFound", f"Resource not found: '{arn}'")
            if not isinstance(r.get("weight"), int) or not 0 <= r["weight"] <= 100:
                raise v.validation("Invalid weight: must be between 0 and 100")
            parents.add(":".join(parts[:7]))
        if len(parents) != 1 or (len(routing) == 2 and routing[0]["stateMachineVersionArn"] ==
                                 routing[1]["stateMachineVersionArn"]):
            raise v.validation("Routing configuration must contain distinct versions of the same state machine")
        if sum(r["weight"] for r in routing) != 100:
            raise v.validation("Sum of routing configuration weights must be equal to 100")
        return [{"stateMachineVersionArn": r["stateMachineVersionArn"], "weight": r["weight"]} for r in routing], \
            parents.pop()

    def create_state_machine_alias(self, ctx: RequestContext, params: dict) -> dict:
        name = v.name(params.get("name"))
        if name.isdigit():
            raise v.error("InvalidName", f"Invalid Name: '{name}'")
        routing, parent = self._routing(params.get("routingConfiguration"))
        arn = f"{parent}:{name}"
        now = self.clock.now()
        existing = self.store.machine(arn)
        if existing is not None:
            if existing["routingConfiguration"] == routing and existing.get("description") == params.get("description"):
                return {"stateMachineAliasArn": arn, "creationDate": existing["creationDate"]}
            raise v.error("ConflictException", "Failed to create alias because an alias with the same name and a "
                          "different routing configuration already exists.")
        doc = {"stateMachineAliasArn": arn, "name": name, "routingConfiguration": routing,
               "creationDate": now, "updateDate": now, "_kind": "alias"}
        if params.get("description"):
            doc["description"] = params["description"]
        self.store.put_machine(arn, ctx.account, ctx.region, "alias", parent, now, doc)
        return {"stateMachineAliasArn": arn, "creationDate": now}

    def _alias(self, arn) -> dict:
        parts = v.arn_parts(arn, "stateMachine")
        doc = self.store.machine(arn) if len(parts) == 8 else None
        if doc is None or doc["_kind"] != "alias":
            raise v.error("ResourceNotFound", f"Resource not found: '{arn}'")
        return doc

    def describe_state_machine_alias(self, ctx: RequestContext, params: dict) -> dict:
        return _public(self._alias(params.get("stateMachineAliasArn")))

    def update_state_machine_alias(self, ctx: RequestContext, params: dict) -> dict:
        doc = self._alias(params.get("stateMachineAliasArn"))
        if params.get("routingConfiguration") is None and params.get("description") is None:
            raise v.validation("Either the description or the RoutingConfiguration must be specified")
        if params.get("routingConfiguration") is not None:
            doc["routingConfiguration"], _ = self._routing(params["routingConfiguration"])
        if params.get("description") is not None:
            doc["description"] = params["description"]
        doc["updateDate"] = self.clock.now()
        parts = doc["stateMachineAliasArn"].split(":")
        self.store.put_machine(doc["stateMachineAliasArn"], parts[4], parts[3], "alias", ":".join(parts[:7]),
                               doc["creationDate"], doc)
        return {"updateDate": doc["updateDate"]}

    def delete_state_machine_alias(self, ctx: RequestContext, params: dict) -> dict:
        self._alias(params.get("stateMachineAliasArn"))
        self.store.delete_machine(params["stateMachineAliasArn"])
        return {}

    def list_state_machine_aliases(self, ctx: RequestContext, params: dict) -> dict:
        doc = self._machine(params.get("stateMachineArn"))
        rows = [{"stateMachineAliasArn": d["stateMachineAliasArn"], "creationDate": d["creationDate"]}
                for d in self.store.children(doc["stateMachineArn"], "alias")]
        return v.paged(params, rows, "stateMachineAliases")

    # -- activities ----------------------------------------------------------------------------------

    def create_activity(self, ctx: RequestContext, params: dict) -> dict:
        name = v.name(params.get("name"))
        arn = f"arn:aws:states:{ctx.region}:{ctx.account}:activity:{name}"
        existing = self.store.activity(arn)
        if existing is not None:
            return {"activityArn": arn, "creationDate": existing["creationDate"]}
        now = self.clock.now()
        self.store.put_activity(arn, ctx.account, ctx.region, now, {
            "activityArn": arn, "name": name, "creationDate": now, "_tags": _tags(params.get("tags"))})
        return {"activityArn": arn, "creationDate": now}

    def describe_activity(self, ctx: RequestContext, params: dict) -> dict:
        return _public(self._activity(params.get("activityArn")))

    def list_activities(self, ctx: RequestContext, params: dict) -> dict:
        rows = [_public(d) for d in self.store.activities(ctx.account, ctx.region)]
        return v.paged(params, rows, "activities")

    def delete_activity(self, ctx: RequestContext, params: dict) -> dict:
        v.arn_parts(params.get("activityArn"), "activity")
        self.store.delete_activity(params["activityArn"])
        return {}

    async def get_activity_task(self, ctx: RequestContext, params: dict) -> dict:
        arn = params.get("activityArn")
        self._activity(arn)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60.0
        while True:
            got = self.store.take_activity_task(arn)
            if got is not None:
                token, doc = got
                owner = self.store.token(token)
                run = self.runs.get(owner[0]) if owner else None
                if run is not None:
                    run.resolve(token, ("started", params.get("workerName")))
                return {"taskToken": token, "input": doc["input"]}
            signal = self.activity_signals.setdefault(arn, asyncio.Event())
            signal.clear()
            remaining = deadline - loop.time()
            if remaining <= 0:
                return {}
            try:
                await asyncio.wait_for(signal.wait(), remaining)
            except asyncio.TimeoutError:
                return {}

    def activity_ready(self, arn: str) -> None:
        signal = self.activity_signals.get(arn)
        if signal is not None:
            signal.set()

    # -- task tokens ------------------------------------------------------------------------------

    def remember_token(self, run: Run, token: str, activity: str | None, doc: dict) -> None:
        if run.express:
            self.express_tokens[token] = (run, doc)
        else:
            self.store.put_token(token, run.arn, activity, self.clock.now(), doc)

    def forget_token(self, token: str, timed_out: bool = False) -> None:
        if self.express_tokens.pop(token, None) is None:
            self.store.delete_token(token)
        if timed_out:
            self.timed_out.add(token)

    def _token_run(self, token) -> Run:
        if not isinstance(token, str) or not 1 <= len(token) <= 2048:
            raise v.error("InvalidToken", f"Invalid Token: '{token}'")
        if token in self.express_tokens:
            return self.express_tokens[token][0]
        owner = self.store.token(token)
        if token in self.timed_out:
            raise v.error("TaskTimedOut", "Task Timed Out: 'Provided task has timed out'")
        run = self.runs.get(owner[0]) if owner else None
        if run is None:
            raise v.error("TaskDoesNotExist", "Task Does Not Exist: 'Provided task does not exist anymore'")
        return run

    def send_task_success(self, ctx: RequestContext, params: dict) -> dict:
        run = self._token_run(params.get("taskToken"))
        try:
            output = json.loads(params.get("output") or "")
        except ValueError as e:
            raise v.error("InvalidOutput", f"Invalid Output: '{e}'") from None
        run.resolve(params["taskToken"], ("success", output))
        return {}

    def send_task_failure(self, ctx: RequestContext, params: dict) -> dict:
        run = self._token_run(params.get("taskToken"))
        run.resolve(params["taskToken"], ("failure", params.get("error") or "", params.get("cause") or ""))
        return {}

    def send_task_heartbeat(self, ctx: RequestContext, params: dict) -> dict:
        run = self._token_run(params.get("taskToken"))
        run.resolve(params["taskToken"], ("heartbeat",))
        return {}

    # -- executions ---------------------------------------------------------------------------------

    def _target(self, arn) -> tuple[dict, dict]:
        """(the machine, what the execution records of the ARN it was started with)."""
        v.arn_parts(arn, "stateMachine")
        doc = self.store.machine(arn)
        if doc is None:
            raise v.error("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{arn}'")
        if doc["_kind"] == "alias":
            weights = doc["routingConfiguration"]
            pick = random.choices(weights, [w["weight"] for w in weights])[0]["stateMachineVersionArn"]
            return self.store.machine(pick), {"stateMachineAliasArn": arn, "stateMachineVersionArn": pick}
        if doc["_kind"] == "version":
            return doc, {"stateMachineVersionArn": arn}
        return doc, {}

    def _new_execution(self, ctx, params: dict, express_only: bool) -> tuple[dict, dict]:
        """(the machine, the new execution's document) of a start request."""
        machine, via = self._target(params.get("stateMachineArn"))
        if express_only and machine["type"] != "EXPRESS":
            raise v.error("StateMachineTypeNotSupported",
                          "This operation is not supported by this type of state machine")
        name = v.name(params["name"]) if params.get("name") is not None else self.new_id()
        text = params.get("input") if params.get("input") is not None else "{}"
        value = v.json_document(text, "InvalidExecutionInput", "Input")
        base = machine["stateMachineArn"].split(":")
        machine_arn = ":".join(base[:7])
        if machine["type"] == "EXPRESS":
            arn = f"arn:aws:states:{base[3]}:{base[4]}:express:{base[6]}:{name}:{self.new_id()}"
        else:
            arn = f"arn:aws:states:{base[3]}:{base[4]}:execution:{base[6]}:{name}"
        now = self.clock.now()
        doc = {"executionArn": arn, "stateMachineArn": machine_arn, "name": name, "status": "RUNNING",
               "startDate": now, "input": text, "inputDetails": {"included": True}, **via,
               "_account": base[4], "_region": base[3], "_roleArn": machine["roleArn"], "_input": value,
               "_startTime": _iso(now), "_definitionText": machine["definition"],
               "_revisionId": machine["revisionId"], "_logging": machine["loggingConfiguration"],
               "_startedBy": params["stateMachineArn"], "_type": machine["type"]}
        if not doc["_startedBy"].startswith(machine_arn):
            doc["_startedBy"] = machine_arn
        if params.get("traceHeader"):
            doc["traceHeader"] = params["traceHeader"]
        return machine, doc

    async def start_execution(self, ctx: RequestContext, params: dict) -> dict:
        machine, doc = self._new_execution(ctx, params, False)
        definition = self._parsed(machine["definition"])
        if machine["type"] == "EXPRESS":
            run = Run(self, doc, definition, express=True)
            if run.log is not None:
                self._started_event(run)
            self._launch(run, None)
            run.task.add_done_callback(lambda _t: self.express_runs.pop(run.arn, None))
            return {"executionArn": doc["executionArn"], "startDate": doc["startDate"]}
        existing = self.store.execution(doc["executionArn"])
        reused = False
        if existing is not None:
            # The API reference: the same name and input as a running execution is
            # that execution; a closed one's name is free again after 90 days.
            if existing["status"] == "RUNNING" and existing["input"] == doc["input"]:
                return {"executionArn": existing["executionArn"], "startDate": existing["startDate"]}
            if existing["status"] == "RUNNING" or doc["startDate"] - existing["startDate"] < IDEMPOTENCY_WINDOW:
                raise v.error("ExecutionAlreadyExists", f"Execution Already Exists: '{doc['executionArn']}'")
            reused = True
        run = Run(self, doc, definition, express=False)
        with self.db.transaction():
            if reused:
                self.store.truncate_events(doc["executionArn"], 0)
            self.store.put_execution(doc)
            self._started_event(run)
            checkpoint = {"state": definition["StartAt"], "input": doc["_input"], "variables": {},
                          "prev": 0, "next_id": run.next_id}
            self.store.set_checkpoint(doc["executionArn"], checkpoint)
            if definition.get("TimeoutSeconds"):
                self.scheduler.at(doc["startDate"] + definition["TimeoutSeconds"], TIMEOUT,
                                  {"execution": doc["executionArn"]}, key=doc["executionArn"])
            if not self._kept_alive:
                self.scheduler.at(doc["startDate"] + KEEPALIVE_EVERY, KEEPALIVE, {}, key="running",
                                  every=KEEPALIVE_EVERY)
                self._kept_alive = True
        self._launch(run, checkpoint)
        self._status_changed(doc)
        return {"executionArn": doc["executionArn"], "startDate": doc["startDate"]}

    async def start_sync_execution(self, ctx: RequestContext, params: dict) -> dict:
        machine, doc = self._new_execution(ctx, params, True)
        run = Run(self, doc, self._parsed(machine["definition"]), express=True)
        if run.log is not None:
            self._started_event(run)
        self._launch(run, None)
        try:
            await asyncio.shield(run.task)
        finally:
            self.express_runs.pop(run.arn, None)
        out = {k: doc[k] for k in ("executionArn", "stateMachineArn", "name", "startDate", "stopDate", "status",
                                   "input", "inputDetails") if k in doc}
        for k in ("output", "outputDetails", "error", "cause"):
            if k in doc:
                out[k] = doc[k]
        out["billingDetails"] = {"billedMemoryUsedInMB": 64,
                                 "billedDurationInMilliseconds": max(100, int((doc["stopDate"] - doc["startDate"])
                                                                              * 1000 + 99) // 100 * 100)}
        return out

    def finish(self, run: Run, status: str, output=None, error: str | None = None, cause: str | None = None,
               prev: int | None = None) -> None:
        doc = run.doc
        if doc["status"] != "RUNNING":
            return
        doc["status"] = status
        doc["stopDate"] = self.clock.now()
        if status == "SUCCEEDED":
            doc["output"] = dumps(output)
            doc["outputDetails"] = {"included": True}
        else:
            if error is not None:
                doc["error"] = error
            if cause is not None:
                doc["cause"] = cause
        last = run.next_id - 1 if prev is None else prev
        if run.express:
            if run.log is not None:
                self._final_event(run, status, last, error, cause)
                run.closed = True
                asyncio.get_running_loop().create_task(execution_logs.flush(self, run))
            return
        with self.db.transaction():
            self._final_event(run, status, last, error, cause)
            run.closed = True
            self.store.put_execution(doc)
            if status == "SUCCEEDED":
                self.store.set_checkpoint(run.arn, None)
            # else the checkpoint stays: RedriveExecution starts again from it.
            self.store.delete_tokens_of(run.arn)
            if run.definition.get("TimeoutSeconds") and status != "TIMED_OUT":
                self.scheduler.cancel(TIMEOUT, run.arn)
        self.runs.pop(run.arn, None)
        if run.log is not None:
            asyncio.get_running_loop().create_task(execution_logs.flush(self, run))
        if "_mapRun" not in doc:
            self._status_changed(doc)
        for parent, key in self.finish_waiters.pop(run.arn, []):
            parent.resolve(key, self._describe(doc))

    @staticmethod
    def _final_event(run: Run, status: str, last: int, error: str | None, cause: str | None) -> None:
        if status == "SUCCEEDED":
            run.event("ExecutionSucceeded", last, "executionSucceededEventDetails",
                      {"output": run.doc["output"], "outputDetails": {"truncated": False}})
        else:
            kind = {"FAILED": "Failed", "ABORTED": "Aborted", "TIMED_OUT": "TimedOut"}[status]
            details = {k: val for k, val in (("error", error), ("cause", cause)) if val is not None}
            run.event(f"Execution{kind}", last, f"execution{kind}EventDetails", details)

    def _started_event(self, run: Run) -> None:
        doc = run.doc
        details = {"input": doc["input"], "inputDetails": {"truncated": False}, "roleArn": doc["_roleArn"]}
        for k in ("stateMachineAliasArn", "stateMachineVersionArn"):
            if k in doc:
                details[k] = doc[k]
        run.event("ExecutionStarted", 0, "executionStartedEventDetails", details)

    def start_child(self, parent: Run, map_run: dict, state_name: str, processor: dict,
                    item_input) -> tuple[Run, dict]:
        """A child execution of a distributed Map: recorded and started (ExecutionStarted), not yet run."""
        parts = parent.arn.split(":")
        label = f"{parts[6]}/{state_name}"
        name = self.new_id()
        definition = {"StartAt": processor["StartAt"], "States": processor["States"]}
        if processor.get("QueryLanguage") or parent.definition.get("QueryLanguage"):
            definition["QueryLanguage"] = processor.get("QueryLanguage") or parent.definition["QueryLanguage"]
        now = self.clock.now()
        text = json.dumps(definition)
        doc = {"executionArn": f"arn:aws:states:{parts[3]}:{parts[4]}:execution:{label}:{name}",
               "stateMachineArn": f"arn:aws:states:{parts[3]}:{parts[4]}:stateMachine:{label}", "name": name,
               "status": "RUNNING", "startDate": now, "input": dumps(item_input), "inputDetails": {"included": True},
               "mapRunArn": map_run["mapRunArn"], "_account": parts[4], "_region": parts[3],
               "_roleArn": parent.doc.get("_roleArn"), "_input": item_input,
               "_startTime": _iso(now), "_definitionText": text,
               "_revisionId": parent.doc.get("_revisionId", ""), "_startedBy": map_run["mapRunArn"],
               "_type": "STANDARD", "_mapRun": map_run["mapRunArn"]}
        run = Run(self, doc, definition, express=False)
        with self.db.transaction():
            self.store.put_execution(doc)
            self._started_event(run)
            checkpoint = {"state": definition["StartAt"], "input": item_input, "variables": {}, "prev": 0,
                          "next_id": run.next_id}
            self.store.set_checkpoint(doc["executionArn"], checkpoint)
        self.runs[run.arn] = run
        return run, checkpoint

    async def wait_finished(self, parent: Run, child_arn: str) -> dict:
        doc = self._execution(child_arn)
        while doc["status"] == "RUNNING":
            key = f"child-{child_arn}"
            self.finish_waiters.setdefault(child_arn, []).append((parent, key))
            doc = await parent.block_on(key) or self._execution(child_arn)
            doc = {**doc, "executionArn": child_arn} if "executionArn" not in doc else doc
        return self._describe(doc) if "_account" in doc else doc

    def _status_changed(self, doc: dict) -> None:
        """The "Step Functions Execution Status Change" event on the default bus (STANDARD only)."""
        if "events" not in self.runtime.catalogue:
            return
        detail = {"executionArn": doc["executionArn"], "stateMachineArn": doc["stateMachineArn"],
                  "name": doc["name"], "status": doc["status"], "startDate": int(doc["startDate"] * 1000),
                  "stopDate": int(doc["stopDate"] * 1000) if "stopDate" in doc else None,
                  "input": doc["input"], "output": doc.get("output"),
                  "inputDetails": {"included": True}, "outputDetails": {"included": True} if "output" in doc else None,
                  "error": doc.get("error"), "cause": doc.get("cause")}
        entry = {"Source": "aws.states", "DetailType": STATUS_CHANGE, "Detail": json.dumps(detail),
                 "Resources": [doc["executionArn"]]}

        async def send():
            try:
                await self.internal.call("events", "PutEvents", {"Entries": [entry]}, account=doc["_account"],
                                         region=doc["_region"], principal="states.amazonaws.com")
            except Exception:
                log.debug("status change event of %s not delivered", doc["executionArn"], exc_info=True)

        asyncio.get_running_loop().create_task(send())

    def _not_redrivable(self, doc: dict) -> str | None:
        """Why the execution cannot be redriven, or None."""
        if doc.get("_type") == "EXPRESS":
            return "Execution of an EXPRESS state machine cannot be redriven"
        if doc["status"] in ("RUNNING", "SUCCEEDED"):
            return f"Execution is {doc['status']} and cannot be redriven"
        if self.clock.now() - doc.get("stopDate", 0) > REDRIVE_WINDOW:
            return "Execution can no longer be redriven: it ended more than 14 days ago"
        return None

    def _describe(self, doc: dict) -> dict:
        out = _public(doc)
        out.setdefault("redriveCount", 0)
        reason = self._not_redrivable(doc)
        out["redriveStatus"] = "REDRIVABLE" if reason is None else "NOT_REDRIVABLE"
        if reason is not None:
            out["redriveStatusReason"] = reason
        return out

    def redrive_execution(self, ctx: RequestContext, params: dict) -> dict:
        doc = self._execution(params.get("executionArn"))
        reason = self._not_redrivable(doc)
        checkpoint = self.store.checkpoint(doc["executionArn"]) if reason is None else None
        if reason is not None or checkpoint is None:
            raise v.error("ExecutionNotRedrivable", reason or "Execution cannot be redriven")
        now = self.clock.now()
        definition = self._parsed(doc["_definitionText"])
        for k in ("stopDate", "error", "cause", "output", "outputDetails"):
            doc.pop(k, None)
        doc.update(status="RUNNING", redriveCount=doc.get("redriveCount", 0) + 1, redriveDate=now)
        run = Run(self, doc, definition, express=False)
        run.next_id = len(self.store.events(doc["executionArn"])) + 1
        with self.db.transaction():
            redriven = run.event("ExecutionRedriven", run.next_id - 1, "executionRedrivenEventDetails",
                                 {"redriveCount": doc["redriveCount"]})
            # The failed state runs again from its start: no wait or token carries over.
            checkpoint = {k: val for k, val in checkpoint.items()
                          if k not in ("until", "token", "attempts", "retry", "retry_at")}
            checkpoint.update(prev=redriven, next_id=run.next_id)
            self.store.put_execution(doc)
            self.store.set_checkpoint(doc["executionArn"], checkpoint)
        self._launch(run, checkpoint)
        self._status_changed(doc)
        return {"redriveDate": now}

    @staticmethod
    def _not_express(arn) -> None:
        """Describing and history are for STANDARD executions only, as in AWS."""
        if isinstance(arn, str) and ":express:" in arn:
            v.arn_parts(arn, "express")
            raise v.error("InvalidArn", "Invalid Arn: 'Resource type not valid in this context: express'")

    def describe_execution(self, ctx: RequestContext, params: dict) -> dict:
        self._not_express(params.get("executionArn"))
        return self._describe(self._execution(params.get("executionArn")))

    async def stop_execution(self, ctx: RequestContext, params: dict) -> dict:
        doc = self._execution(params.get("executionArn"))
        if doc["status"] != "RUNNING":
            return {"stopDate": doc.get("stopDate", self.clock.now())}
        run = self.runs.get(doc["executionArn"]) or self.express_runs.get(doc["executionArn"])
        if run is None:
            run = Run(self, doc, self._parsed(doc["_definitionText"]), express=False)
            run.next_id = len(self.store.events(doc["executionArn"])) + 1
        elif run.task is not None:
            run.task.cancel()
        self.finish(run, "ABORTED", error=params.get("error"), cause=params.get("cause"))
        return {"stopDate": run.doc["stopDate"]}

    def list_executions(self, ctx: RequestContext, params: dict) -> dict:
        status = params.get("statusFilter")
        if status is not None and status not in ("RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED",
                                                 "PENDING_REDRIVE"):
            raise v.validation(f"1 validation error detected: Value '{status}' at 'statusFilter' failed to "
                               "satisfy constraint: Member must satisfy enum value set: [SUCCEEDED, TIMED_OUT, "
                               "PENDING_REDRIVE, ABORTED, FAILED, RUNNING]")
        arn = params.get("stateMachineArn")
        if params.get("mapRunArn"):
            self._map_run(params["mapRunArn"])
            found = self.store.executions(started_by=params["mapRunArn"], status=status)
        else:
            if arn is None:
                raise v.validation("Must provide a StateMachine ARN or MapRun ARN")
            parts = v.arn_parts(arn, "stateMachine")
            doc = self.store.machine(arn)
            if doc is None:
                raise v.error("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{arn}'")
            if doc.get("type") == "EXPRESS":
                raise v.error("StateMachineTypeNotSupported",
                              "This operation is not supported by this type of state machine")
            if len(parts) == 7:
                found = self.store.executions(machine=arn, status=status)
            else:
                found = self.store.executions(started_by=arn, status=status)
                if doc["_kind"] == "version":
                    found += [d for d in self.store.executions(machine=":".join(parts[:7]), status=status)
                              if d.get("stateMachineVersionArn") == arn and d.get("_startedBy") != arn]
        rows = []
        for d in found:
            row = {k: d[k] for k in ("executionArn", "stateMachineArn", "name", "status", "startDate", "stopDate",
                                     "stateMachineVersionArn", "stateMachineAliasArn", "mapRunArn") if k in d}
            row["redriveCount"] = d.get("redriveCount", 0)
            rows.append(row)
        return v.paged(params, rows, "executions")

    def get_execution_history(self, ctx: RequestContext, params: dict) -> dict:
        self._not_express(params.get("executionArn"))
        doc = self._execution(params.get("executionArn"))
        events = self.store.events(doc["executionArn"])
        if params.get("reverseOrder"):
            events.reverse()
        if params.get("includeExecutionData") is False:
            for ev in events:
                for key, details in ev.items():
                    if key.endswith("EventDetails"):
                        for field in ("input", "output", "parameters"):
                            if field in details:
                                details.pop(field)
                                if field + "Details" in details:
                                    details[field + "Details"] = {"truncated": False}
        return v.paged(params, events, "events")

    # -- map runs -----------------------------------------------------------------------------------

    def _map_run(self, arn) -> dict:
        v.arn_parts(arn, "mapRun")
        doc = self.store.map_run(arn)
        if doc is None:
            raise v.error("ResourceNotFound", f"Resource not found: '{arn}'")
        return doc

    def describe_map_run(self, ctx: RequestContext, params: dict) -> dict:
        return MapRuns.describe(self._map_run(params.get("mapRunArn")))

    def list_map_runs(self, ctx: RequestContext, params: dict) -> dict:
        doc = self._execution(params.get("executionArn"))
        rows = [{"executionArn": d["executionArn"], "mapRunArn": d["mapRunArn"],
                 "stateMachineArn": doc["stateMachineArn"], "startDate": d["startDate"],
                 **({"stopDate": d["stopDate"]} if "stopDate" in d else {})}
                for d in self.store.map_runs(doc["executionArn"])]
        return v.paged(params, rows, "mapRuns")

    def update_map_run(self, ctx: RequestContext, params: dict) -> dict:
        doc = self._map_run(params.get("mapRunArn"))
        if params.get("maxConcurrency") is not None:
            doc["maxConcurrency"] = params["maxConcurrency"]
        if params.get("toleratedFailurePercentage") is not None:
            doc["toleratedFailurePercentage"] = params["toleratedFailurePercentage"]
        if params.get("toleratedFailureCount") is not None:
            doc["toleratedFailureCount"] = params["toleratedFailureCount"]
        self.store.put_map_run(doc)
        return {}

    # -- tags ---------------------------------------------------------------------------------------

    def _tagged(self, arn) -> tuple[dict, str]:
        parts = arn.split(":") if isinstance(arn, str) else []
        if len(parts) < 7 or parts[2] != "states":
            raise v.error("InvalidArn", f"Invalid Arn: '{arn}'")
        if parts[5] == "activity":
            doc, kind = self.store.activity(arn), "activity"
        else:
            doc, kind = self.store.machine(arn), "machine"
            if doc is not None and doc["_kind"] != "machine":
                doc = None
        if doc is None:
            raise v.error("ResourceNotFound", f"Resource not found: '{arn}'")
        return doc, kind

    def _save_tagged(self, arn: str, doc: dict, kind: str) -> None:
        parts = arn.split(":")
        if kind == "activity":
            self.store.put_activity(arn, parts[4], parts[3], doc["creationDate"], doc)
        else:
            self.store.put_machine(arn, parts[4], parts[3], "machine", None, doc["creationDate"], doc)

    def tag_resource(self, ctx: RequestContext, params: dict) -> dict:
        doc, kind = self._tagged(params.get("resourceArn"))
        tags = dict(doc.get("_tags") or {})
        tags.update(_tags(params.get("tags")))
        if len(tags) > 50:
            raise v.error("TooManyTags", "Too many tags: the maximum is 50", )
        doc["_tags"] = tags
        self._save_tagged(params["resourceArn"], doc, kind)
        return {}

    def untag_resource(self, ctx: RequestContext, params: dict) -> dict:
        doc, kind = self._tagged(params.get("resourceArn"))
        doc["_tags"] = {k: val for k, val in (doc.get("_tags") or {}).items()
                        if k not in (params.get("tagKeys") or [])}
        self._save_tagged(params["resourceArn"], doc, kind)
        return {}

    def list_tags_for_resource(self, ctx: RequestContext, params: dict) -> dict:
        doc, _ = self._tagged(params.get("resourceArn"))
        return {"tags": [{"key": k, "value": val} for k, val in (doc.get("_tags") or {}).items()]}


def _tags(tags) -> dict:
    out = {}
    for t in tags or []:
        if not isinstance(t, dict) or not isinstance(t.get("key"), str) or not 1 <= len(t["key"]) <= 128:
            raise v.validation("1 validation error detected: Value null at 'tags.member.key' failed to satisfy "
                               "constraint: Member must have length greater than or equal to 1")
        out[t["key"]] = t.get("value") or ""
    return out
