"""Amazon EventBridge: buses, permissions, rules, targets, events and tags, in
the API reference's order.

The other operations are in ``archives.py`` (archives and replays),
``connections.py`` (connections and API destinations), ``endpoints.py``
(global endpoints) and ``partners.py`` (partner event sources). Resources
are documents in ``store.py``; which rules an event matches is ``routing.py``
(patterns: ``pattern.py``); getting it to targets, retries and dead-letter
queues ``delivery.py``; what a target receives ``transform.py``; schedule
expressions ``schedule.py``; input constraints ``validation.py``.
"""
from __future__ import annotations

import asyncio
import base64
import json
import logging
import re
import uuid

from ...auth import policy as iam
from ...protocol.errors import ServiceError
from ..base import Provider, RequestContext
from ..schemas.discovery import discovery_for
from ..tags import merge_tags
from . import store as S
from . import transform
from .archives import REPLAY_KIND, RETENTION_KIND, Archives
from .common import BUS_ARN, PAGE, epoch, event_time, exists, iso, not_found, page, public, resume_after, validation
from .connections import Connections
from .delivery import KIND, PRINCIPAL, Deliveries
from .endpoints import Endpoints
from .partners import Partners
from .routing import Router, compiled
from .service_events import principal_of
from .validation import check

log = logging.getLogger("nubis.events")

SCHEDULE_KIND = "events:schedule"
MAX_TARGETS = 5
MAX_REQUEST_BYTES = 256 * 1024
BUS_NAME = re.compile(r"^[/.\-_A-Za-z0-9]{1,256}$")
CUSTOM_BUS_NAME = re.compile(r"^[.\-_A-Za-z0-9]{1,256}$")
RULE_NAME = re.compile(r"^[.\-_A-Za-z0-9]{1,64}$")
TARGET_ID = re.compile(r"^[.\-_A-Za-z0-9]{1,64}$")
ARN = re.compile(r"^arn:aws[\w-]*:[a-z0-9-]+:[a-z0-9-]*:\d{0,12}:.+$")
RULE_STATES = ("ENABLED", "DISABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")
_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def parse_schedule(text: str):
    """The schedule of a rule's ``ScheduleExpression`` (ValidationException if it is not valid)."""
    from .schedule import parse_schedule as parse

    return parse(text)


class EventsProvider(Archives, Connections, Endpoints, Partners, Provider):
    service = "events"
    migrations = S.MIGRATIONS

    def start(self) -> None:
        self.store = S.Store(self.db)
        self.router = Router(self.store)
        self.deliveries = Deliveries(self)
        self._tasks: set = set()
        self.scheduler.on(KIND, self.deliveries.on_timer)
        self.scheduler.on(SCHEDULE_KIND, self._on_schedule)
        self.scheduler.on(REPLAY_KIND, self._on_replay)
        self.scheduler.on(RETENTION_KIND, self._on_retention)
        self.discovery = discovery_for(self.runtime)  # buses with a STARTED schema discoverer

    async def stop(self) -> None:
        await self.deliveries.close()

    def reset(self) -> None:
        self.router.forget()
        self.deliveries.forget()

    def handler(self, operation: str):
        """The operation, behind the model's input constraints (checked before it runs)."""
        try:
            return self._handlers[operation]
        except KeyError:
            fn = super().handler(operation)
            if fn is not None:
                fn = _checked(operation, fn)
            self._handlers[operation] = fn
            return fn

    def spawn(self, coro) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- helpers: buses and rules -----------------------------------------------------------------

    def _arn(self, ctx: RequestContext, resource: str) -> str:
        return f"arn:aws:events:{ctx.region}:{ctx.account}:{resource}"

    def _bus_doc(self, account: str, region: str, name: str) -> dict | None:
        doc = self.store.get(S.BUS, account, region, name)
        if doc is None and name == "default":
            # The default bus is always there: made the first time it is used.
            now = self.clock.now()
            doc = {"Name": "default", "Arn": f"arn:aws:events:{region}:{account}:event-bus/default",
                   "CreationTime": now, "LastModifiedTime": now, "_account": account, "_region": region}
            with self.db.transaction():
                self.store.put(S.BUS, account, region, "default", doc["Arn"], doc)
        return doc

    def _bus_name(self, ctx: RequestContext, value: str | None) -> str:
        """A bus name from an ``EventBusName`` parameter (name or ARN of this account's bus)."""
        if not value:
            return "default"
        m = BUS_ARN.match(value)
        if m:
            if m.group(2) != ctx.account or m.group(1) != ctx.region:
                raise not_found(f"Event bus {m.group(3)} does not exist.")
            return m.group(3)
        if not BUS_NAME.match(value):
            raise validation(f"1 validation error detected: Value '{value}' at 'eventBusName' failed to satisfy "
                             "constraint: Member must satisfy regular expression pattern: "
                             "(arn:aws[\\w-]*:events:[a-z]+-[a-z]+-[\\w-]+:[0-9]{12}:event-bus\\/)?[/\\.\\-_A-Za-z0-9]+")
        return value

    def _bus(self, ctx: RequestContext, value: str | None) -> dict:
        name = self._bus_name(ctx, value)
        doc = self._bus_doc(ctx.account, ctx.region, name)
        if doc is None:
            raise not_found(f"Event bus {name} does not exist.")
        return doc

    def _rule(self, ctx: RequestContext, name: str, bus_value: str | None) -> tuple[dict, dict]:
        bus = self._bus(ctx, bus_value)
        rule = self.store.get(S.RULE, ctx.account, ctx.region, f"{bus['Name']}/{name}")
        if rule is None:
            raise not_found(f"Rule {name} does not exist on EventBus {bus['Name']}.")
        return bus, rule

    def _save_rule(self, ctx: RequestContext, bus: dict, rule: dict) -> None:
        self.store.put(S.RULE, ctx.account, ctx.region, f"{bus['Name']}/{rule['Name']}", rule["Arn"], rule)
        self.router.forget(bus["Arn"])

    def _rule_arn(self, ctx: RequestContext, bus: str, name: str) -> str:
        return self._arn(ctx, f"rule/{name}" if bus == "default" else f"rule/{bus}/{name}")

    # -- event buses -------------------------------------------------------------------------------

    def create_event_bus(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Name"]
        source = params.get("EventSourceName")
        if name == "default":
            raise validation("Parameter Name is not valid. Reason: Cannot create event bus with name default.")
        if source is not None:
            if name != source or not name.startswith("aws.partner/"):
                raise validation("Parameter Name is not valid. Reason: Event bus name must match the event source "
                                 "name for a partner event bus.")
            src = self.store.get("event-source", ctx.account, ctx.region, source)
            if src is None:
                raise not_found(f"Event source {source} does not exist.")
        elif not CUSTOM_BUS_NAME.match(name):
            raise validation(f"Parameter Name is not valid. Reason: Event bus name {name} is not valid.")
        if self.store.get(S.BUS, ctx.account, ctx.region, name) is not None:
            raise exists(f"Event bus {name} already exists.")
        now = self.clock.now()
        doc = {"Name": name, "Arn": self._arn(ctx, f"event-bus/{name}"), "CreationTime": now,
               "LastModifiedTime": now, "_account": ctx.account, "_region": ctx.region}
        for key in ("Description", "KmsKeyIdentifier", "DeadLetterConfig", "LogConfig"):
            if params.get(key) is not None:
                doc[key] = params[key]
        if params.get("Tags"):
            doc["Tags"] = params["Tags"]
        with self.db.transaction():
            self.store.put(S.BUS, ctx.account, ctx.region, name, doc["Arn"], doc)
            if source is not None:
                src["State"] = "ACTIVE"
                self.store.put("event-source", ctx.account, ctx.region, source, src["Arn"], src)
        out = {"EventBusArn": doc["Arn"]}
        out.update({k: doc[k] for k in ("Description", "KmsKeyIdentifier", "DeadLetterConfig", "LogConfig")
                    if k in doc})
        return out

    def delete_event_bus(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Name"]
        if name == "default":
            raise validation("Cannot delete event bus default.")
        bus = self.store.get(S.BUS, ctx.account, ctx.region, name)
        if bus is None:
            return {}  # deleting a bus that is not there succeeds, as on AWS
        with self.db.transaction():
            for rule in self.store.list(S.RULE, ctx.account, ctx.region, prefix=name + "/"):
                self.store.remove_targets(rule["Arn"])
                self.store.delete(S.RULE, ctx.account, ctx.region, f"{name}/{rule['Name']}")
            self.store.delete(S.BUS, ctx.account, ctx.region, name)
            src = self.store.get("event-source", ctx.account, ctx.region, name)
            if src is not None:
                src["State"] = "PENDING"
                self.store.put("event-source", ctx.account, ctx.region, name, src["Arn"], src)
        self.router.forget(bus["Arn"])
        return {}

    def describe_event_bus(self, ctx: RequestContext, params: dict) -> dict:
        return public(self._bus(ctx, params.get("Name")))

    def list_event_buses(self, ctx: RequestContext, params: dict) -> dict:
        self._bus_doc(ctx.account, ctx.region, "default")
        buses = self.store.list(S.BUS, ctx.account, ctx.region, params.get("NamePrefix") or "",
                                resume_after(params.get("NextToken")), (params.get("Limit") or PAGE) + 1)
        items, token = page([public(b) for b in buses], params.get("Limit"), "Name")
        return {"EventBuses": items, **({"NextToken": token} if token else {})}

    def update_event_bus(self, ctx: RequestContext, params: dict) -> dict:
        bus = self._bus(ctx, params.get("Name"))
        for key in ("Description", "KmsKeyIdentifier", "DeadLetterConfig", "LogConfig"):
            if key in params:
                bus[key] = params[key]
        bus["LastModifiedTime"] = self.clock.now()
        with self.db.transaction():
            self.store.put(S.BUS, ctx.account, ctx.region, bus["Name"], bus["Arn"], bus)
        return {k: bus[k] for k in ("Arn", "Name", "Description", "KmsKeyIdentifier", "DeadLetterConfig", "LogConfig")
                if k in bus}

    # -- permissions (the bus's resource policy) ------------------------------------------------------

    def put_permission(self, ctx: RequestContext, params: dict) -> dict:
        bus = self._bus(ctx, params.get("EventBusName"))
        if params.get("Policy") is not None:
            try:
                policy = json.loads(params["Policy"])
            except ValueError:
                raise validation("Policy is not a valid JSON document.") from None
            if not isinstance(policy, dict) or not policy.get("Statement"):
                raise validation("Policy is not valid.")
            text = params["Policy"]
        else:
            sid, principal, action = params.get("StatementId"), params.get("Principal"), params.get("Action")
            if not sid or not principal or not action:
                raise validation("One or more parameters are missing: StatementId, Principal or Action are "
                                 "required when Policy is not specified.")
            if action != "events:PutEvents":
                raise validation("Provided value in parameter 'action' is not supported.")
            if principal != "*" and not re.fullmatch(r"\d{12}", principal):
                raise validation("Parameter Principal is not valid. Reason: Principal must be a 12-digit account "
                                 "ID or *.")
            statement = {"Sid": sid, "Effect": "Allow",
                         "Principal": "*" if principal == "*" else {"AWS": f"arn:aws:iam::{principal}:root"},
                         "Action": action, "Resource": bus["Arn"]}
            condition = params.get("Condition")
            if condition:
                statement["Condition"] = {condition["Type"]: {condition["Key"]: condition["Value"]}}
            policy = json.loads(bus.get("Policy") or '{"Version":"2012-10-17","Statement":[]}')
            policy["Statement"] = [s for s in policy.get("Statement", []) if s.get("Sid") != sid] + [statement]
            text = _dumps(policy)
        bus["Policy"] = text
        with self.db.transaction():
            self.store.put(S.BUS, ctx.account, ctx.region, bus["Name"], bus["Arn"], bus)
        return {}

    def remove_permission(self, ctx: RequestContext, params: dict) -> dict:
        bus = self._bus(ctx, params.get("EventBusName"))
        if not bus.get("Policy"):
            raise not_found("EventBus does not have a policy.")
        if params.get("RemoveAllPermissions"):
            bus.pop("Policy", None)
        else:
            sid = params.get("StatementId")
            if not sid:
                raise validation("StatementId is required unless RemoveAllPermissions is true.")
            policy = json.loads(bus["Policy"])
            statements = policy.get("Statement") or []
            statements = statements if isinstance(statements, list) else [statements]
            kept = [s for s in statements if s.get("Sid") != sid]
            if len(kept) == len(statements):
                raise not_found("Statement with the provided id does not exist.")
            if kept:
                policy["Statement"] = kept
                bus["Policy"] = _dumps(policy)
            else:
                bus.pop("Policy", None)
        with self.db.transaction():
            self.store.put(S.BUS, ctx.account, ctx.region, bus["Name"], bus["Arn"], bus)
        return {}

    # -- rules ---------------------------------------------------------------------------------------

    def put_rule(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Name"]
        if not RULE_NAME.match(name):
            raise validation(f"1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: "
                             "Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+")
        bus = self._bus(ctx, params.get("EventBusName"))
        pattern, schedule = params.get("EventPattern"), params.get("ScheduleExpression")
        if not pattern and not schedule:
            raise validation("Parameter(s) EventPattern or ScheduleExpression must be specified.")
        if pattern:
            compiled(pattern)  # InvalidEventPatternException for a bad one
        if schedule:
            if bus["Name"] != "default":
                raise validation("ScheduleExpression is supported only on the default event bus.")
            parse_schedule(schedule)
        state = params.get("State") or "ENABLED"
        if state not in RULE_STATES:
            raise validation(f"1 validation error detected: Value '{state}' at 'state' failed to satisfy constraint: "
                             f"Member must satisfy enum value set: [{', '.join(RULE_STATES)}]")
        old = self.store.get(S.RULE, ctx.account, ctx.region, f"{bus['Name']}/{name}")
        if old is not None and old.get("ManagedBy") and not ctx.internal:
            raise ServiceError("ManagedRuleException", f"Rule {name} is managed by {old['ManagedBy']} and cannot "
                               "be modified.", 400)
        rule = {"Name": name, "Arn": self._rule_arn(ctx, bus["Name"], name), "State": state,
                "EventBusName": bus["Name"], "CreatedBy": ctx.account}
        if ctx.internal and ctx.principal.endswith(".amazonaws.com") and ctx.principal != PRINCIPAL:
            rule["ManagedBy"] = ctx.principal  # a service's rule: users change it only with Force
        elif old is not None and old.get("ManagedBy"):
            rule["ManagedBy"] = old["ManagedBy"]
        if old is not None:
            rule["Tags"] = old.get("Tags") or []
        for key in ("EventPattern", "ScheduleExpression", "Description", "RoleArn"):
            if params.get(key):
                rule[key] = params[key]
        if params.get("Tags"):
            rule["Tags"] = merge_tags(rule.get("Tags") or [], params["Tags"])
        with self.db.transaction():
            self._save_rule(ctx, bus, rule)
            self._arm_schedule(rule)
        return {"RuleArn": rule["Arn"]}

    def _arm_schedule(self, rule: dict, after: float | None = None) -> None:
        """(Re)arm the timer of a schedule rule, or drop it when the rule has no enabled schedule."""
        if not rule.get("ScheduleExpression") or rule["State"] == "DISABLED":
            self.scheduler.cancel(SCHEDULE_KIND, rule["Arn"])
            return
        nxt = parse_schedule(rule["ScheduleExpression"]).next_after(self.clock.now() if after is None else after)
        if nxt is None:
            self.scheduler.cancel(SCHEDULE_KIND, rule["Arn"])
        else:
            account, region = rule["Arn"].split(":")[4], rule["Arn"].split(":")[3]
            self.scheduler.at(nxt, SCHEDULE_KIND, {"account": account, "region": region,
                                                   "rule": f"{rule['EventBusName']}/{rule['Name']}", "at": nxt},
                              key=rule["Arn"])

    def describe_rule(self, ctx: RequestContext, params: dict) -> dict:
        _, rule = self._rule(ctx, params["Name"], params.get("EventBusName"))
        return public(rule)

    def delete_rule(self, ctx: RequestContext, params: dict) -> dict:
        bus = self._bus(ctx, params.get("EventBusName"))
        name = params["Name"]
        rule = self.store.get(S.RULE, ctx.account, ctx.region, f"{bus['Name']}/{name}")
        if rule is None:
            return {}  # deleting a rule that is not there succeeds
        if rule.get("ManagedBy") and not params.get("Force"):
            raise ServiceError("ManagedRuleException", f"Rule {name} is managed by {rule['ManagedBy']}; use Force "
                               "to delete it.", 400)
        if self.store.targets(rule["Arn"]):
            raise validation("Rule can't be deleted since it has targets.")
        with self.db.transaction():
            self.store.delete(S.RULE, ctx.account, ctx.region, f"{bus['Name']}/{name}")
            self.scheduler.cancel(SCHEDULE_KIND, rule["Arn"])
        self.router.forget(bus["Arn"])
        return {}

    def enable_rule(self, ctx: RequestContext, params: dict) -> dict:
        return self._set_state(ctx, params, "ENABLED")

    def disable_rule(self, ctx: RequestContext, params: dict) -> dict:
        return self._set_state(ctx, params, "DISABLED")

    def _set_state(self, ctx: RequestContext, params: dict, state: str) -> dict:
        bus, rule = self._rule(ctx, params["Name"], params.get("EventBusName"))
        if rule.get("ManagedBy") and not ctx.internal:
            raise ServiceError("ManagedRuleException", f"Rule {rule['Name']} is managed by {rule['ManagedBy']}.", 400)
        if rule["State"] == state or (state == "ENABLED" and rule["State"] != "DISABLED"):
            return {}
        rule["State"] = state
        with self.db.transaction():
            self._save_rule(ctx, bus, rule)
            self._arm_schedule(rule)
        return {}

    def list_rules(self, ctx: RequestContext, params: dict) -> dict:
        bus = self._bus(ctx, params.get("EventBusName"))
        prefix = bus["Name"] + "/"
        after = resume_after(params.get("NextToken"))
        rules = self.store.list(S.RULE, ctx.account, ctx.region, prefix + (params.get("NamePrefix") or ""),
                                prefix + after if after else "", (params.get("Limit") or PAGE) + 1)
        rules = [r for r in rules if r["EventBusName"] == bus["Name"]]  # not a partner bus's longer name
        items, token = page([public(r) for r in rules], params.get("Limit"), "Name")
        for r in items:
            r.pop("CreatedBy", None)
        return {"Rules": items, **({"NextToken": token} if token else {})}

    def list_rule_names_by_target(self, ctx: RequestContext, params: dict) -> dict:
        bus = self._bus(ctx, params.get("EventBusName"))
        prefix = bus["Arn"].replace(":event-bus/", ":rule/") + "/"
        names = []
        for arn in self.store.rules_targeting(params["TargetArn"]):
            if bus["Name"] == "default":
                rest = arn.split(":rule/", 1)[1] if f":{ctx.region}:{ctx.account}:rule/" in arn else None
                if rest is not None and "/" not in rest:
                    names.append(rest)
            elif arn.startswith(prefix):
                names.append(arn[len(prefix):])
        names.sort()
        after = resume_after(params.get("NextToken"))
        names = [n for n in names if n > after]
        limit = params.get("Limit") or PAGE
        token = base64.urlsafe_b64encode(names[limit - 1].encode()).decode() if len(names) > limit else None
        return {"RuleNames": names[:limit], **({"NextToken": token} if token else {})}

    # -- targets -------------------------------------------------------------------------------------

    def put_targets(self, ctx: RequestContext, params: dict) -> dict:
        bus, rule = self._rule(ctx, params["Rule"], params.get("EventBusName"))
        if rule.get("ManagedBy") and not ctx.internal:
            raise ServiceError("ManagedRuleException", f"Rule {rule['Name']} is managed by {rule['ManagedBy']}.", 400)
        existing = {t["Id"] for t in self.store.targets(rule["Arn"])}
        targets = params["Targets"]
        new_ids = {t["Id"] for t in targets} - existing
        if len(existing) + len(new_ids) > MAX_TARGETS:
            raise ServiceError("LimitExceededException", "The requested resource exceeds the maximum number "
                               "allowed.", 400)
        failed = []
        with self.db.transaction():
            for target in targets:
                reason = self._target_problem(target)
                if reason:
                    failed.append({"TargetId": target.get("Id"), "ErrorCode": "ValidationException",
                                   "ErrorMessage": reason})
                    continue
                self.store.put_target(rule["Arn"], target)
            self.router.forget(bus["Arn"])
        return {"FailedEntryCount": len(failed), "FailedEntries": failed}

    @staticmethod
    def _target_problem(target: dict) -> str | None:
        if not TARGET_ID.match(target.get("Id") or ""):
            return f"Parameter Id is not valid. Reason: {target.get('Id')!r} is not a valid target id."
        arn = target.get("Arn") or ""
        if not ARN.match(arn):
            return f"Parameter {arn} is not valid. Reason: Provided Arn is not in correct format."
        problem = transform.validate_target_input(target)
        if problem:
            return problem
        policy = target.get("RetryPolicy") or {}
        if not 0 <= policy.get("MaximumRetryAttempts", 0) <= 185:
            return "Parameter MaximumRetryAttempts is not valid. Reason: It must be between 0 and 185."
        if not 60 <= policy.get("MaximumEventAgeInSeconds", 60) <= 86400:
            return "Parameter MaximumEventAgeInSeconds is not valid. Reason: It must be between 60 and 86400."
        dlq = (target.get("DeadLetterConfig") or {}).get("Arn")
        if dlq is not None and not dlq.startswith("arn:aws:sqs:"):
            return "Parameter DeadLetterConfig.Arn is not valid. Reason: It must be the ARN of an SQS queue."
        if arn.endswith(".fifo") and ":sqs:" in arn and not (target.get("SqsParameters") or {}).get("MessageGroupId"):
            return "Parameter(s) SqsParameters must be specified for target: " + target["Id"] + "."
        return None

    def remove_targets(self, ctx: RequestContext, params: dict) -> dict:
        bus, rule = self._rule(ctx, params["Rule"], params.get("EventBusName"))
        if rule.get("ManagedBy") and not params.get("Force"):
            raise ServiceError("ManagedRuleException", f"Rule {rule['Name']} is managed by {rule['ManagedBy']}.", 400)
        with self.db.transaction():
            for target_id in params["Ids"]:
                self.store.remove_target(rule["Arn"], target_id)
            self.router.forget(bus["Arn"])
        return {"FailedEntryCount": 0, "FailedEntries": []}

    def list_targets_by_rule(self, ctx: RequestContext, params: dict) -> dict:
        _, rule = self._rule(ctx, params["Rule"], params.get("EventBusName"))
        after = resume_after(params.get("NextToken"))
        targets = [t for t in self.store.targets(rule["Arn"]) if t["Id"] > after]
        items, token = page(targets, params.get("Limit"), "Id")
        return {"Targets": items, **({"NextToken": token} if token else {})}

    # -- events ----------------------------------------------------------------------------------------

    def put_events(self, ctx: RequestContext, params: dict) -> dict:
        entries = params.get("Entries") or []
        if sum(_entry_size(e) for e in entries) > MAX_REQUEST_BYTES:
            raise validation("Total size of the entries in the request is over the limit.")
        now = self.clock.now()
        results, failed, items, archived = [], 0, [], []
        service = ctx.principal if ctx.internal and ctx.principal.endswith(".amazonaws.com") else None
        replicas = self._replica_regions(ctx, params["EndpointId"]) if params.get("EndpointId") else ()
        for entry in entries:
            try:
                bus = self._entry_bus(ctx, entry.get("EventBusName"))
                event = self._event_of(ctx, entry, now, service)
            except _EntryError as e:
                failed += 1
                results.append({"ErrorCode": e.code, "ErrorMessage": e.message})
                continue
            self._route(bus, event, now, items, archived)
            for region in replicas:
                # A global endpoint with replication: the same event on the bus of that name in the other Region.
                replica = self._bus_doc(bus["_account"], region, bus["Name"])
                if replica is not None:
                    self._route(replica, {**event, "region": region}, now, items, archived)
            results.append({"EventId": event["id"]})
        self._commit_routed(items, archived)
        return {"FailedEntryCount": failed, "Entries": results}

    def _replica_regions(self, ctx: RequestContext, endpoint_id: str) -> list[str]:
        """The other Regions a global endpoint replicates events to (its buses' Regions but this one)."""
        for doc in self.store.list(S.ENDPOINT, ctx.account, ctx.region):
            if doc["EndpointId"] == endpoint_id:
                if (doc.get("ReplicationConfig") or {}).get("State", "ENABLED") != "ENABLED":
                    return []
                regions = [b["EventBusArn"].split(":")[3] for b in doc["EventBuses"]]
                return [r for r in regions if r != ctx.region]
        raise not_found(f"Endpoint {endpoint_id} does not exist.")

    def _entry_bus(self, ctx: RequestContext, value: str | None) -> dict:
        m = BUS_ARN.match(value or "")
        if m and (m.group(2) != ctx.account or m.group(1) != ctx.region):
            # Another account's bus, by ARN: its resource policy must let this account put events on it.
            bus = self._bus_doc(m.group(2), m.group(1), m.group(3))
            if bus is None:
                raise _EntryError("ResourceNotFoundException", f"Event bus {m.group(3)} does not exist.")
            if not self.allows(bus, ctx.account):
                raise _EntryError("AccessDeniedException", f"Not authorized to put events on {bus['Arn']}.")
            return bus
        try:
            return self._bus(ctx, value)
        except ServiceError as e:
            raise _EntryError(e.code if e.code != "ValidationException" else "InvalidArgument", e.message) from None

    def _event_of(self, ctx: RequestContext, entry: dict, now: float, service: str | None) -> dict:
        for key in ("Source", "DetailType", "Detail"):
            if not entry.get(key):
                raise _EntryError("InvalidArgument", f"Parameter {key} is not valid. Reason: {key} is a required "
                                                     "argument.")
        source = entry["Source"]
        # aws.<service> sources are the services' own: s3.amazonaws.com may put aws.s3 events, nobody else.
        if source.startswith("aws.") and principal_of(source) != service:
            raise _EntryError("NotAuthorizedForSourceException", "Not authorized for the source.")
        try:
            detail = json.loads(entry["Detail"])
        except ValueError:
            raise _EntryError("MalformedDetail", "Detail is malformed.") from None
        if not isinstance(detail, dict):
            raise _EntryError("MalformedDetail", "Detail is malformed.")
        resources = entry.get("Resources") or []
        when = entry.get("Time")
        return {"version": "0", "id": str(uuid.uuid4()), "detail-type": entry["DetailType"], "source": source,
                "account": ctx.account, "time": iso(epoch(when) if when is not None else now),
                "region": ctx.region, "resources": list(resources), "detail": detail}

    def _commit_routed(self, items: list, archived: list) -> None:
        """What ``_route`` gathered: the archive copies and the deliveries, in one transaction."""
        if items or archived:
            with self.db.transaction():
                if archived:
                    self.store.archive(archived)
                self.deliveries.schedule(items)

    def _route(self, bus: dict, event: dict, now: float, items: list, archived: list | None,
               only_rules: set | None = None) -> None:
        """Collect the deliveries (and archive rows) of ``event`` on ``bus``."""
        if bus["Arn"] in self.discovery.buses:
            self.discovery.seen(bus["Arn"], event)
        idx = self.router.index(bus)
        for route in idx.rules_for(event):
            if only_rules is not None and route.arn not in only_rules:
                continue
            for target in route.targets:
                items.append(Deliveries.item(event, route.arn, target, now))
        if archived is not None and idx.archives:
            at = event_time(event, now)
            text = None
            for arn in idx.archives_for(event):
                text = text or _dumps(event)
                archived.append((arn, at, text))

    def allows(self, bus: dict, account: str) -> bool:
        """Whether ``account`` may put events on ``bus`` (its own, or by the bus's resource policy)."""
        if account == bus["_account"]:
            return True
        if not bus.get("Policy"):
            return False
        request = iam.Request("events:PutEvents", bus["Arn"], principal=f"arn:aws:iam::{account}:root",
                              account=account)
        return iam.evaluate([bus["Policy"]], request, resource_policy=True) == iam.ALLOW

    async def forward(self, item: dict, region: str, account: str, bus_name: str) -> None:
        """Deliver to an event bus target (another account's or Region's): the event keeps its id,
        account and time, as EventBridge forwards it."""
        from .delivery import DeliveryFailed

        bus = self._bus_doc(account, region, bus_name)
        if bus is None:
            raise DeliveryFailed("NO_RESOURCE", f"Event bus {bus_name} does not exist.", False)
        sender = item["rule"].split(":")[4]
        if not self.allows(bus, sender):
            raise DeliveryFailed("CROSS_ACCOUNT_INGESTION_FAILED", f"Not authorized to put events on {bus['Arn']}.",
                                 False)
        items, archived = [], []
        self._route(bus, item["event"], self.clock.now(), items, archived)
        self._commit_routed(items, archived)

    def put_partner_events(self, ctx: RequestContext, params: dict) -> dict:
        now = self.clock.now()
        results, failed, items, archived = [], 0, [], []
        for entry in params.get("Entries") or []:
            source = entry.get("Source") or ""
            try:
                # A partner's sources are named aws.partner/...: its own to use here.
                event = self._event_of(ctx, entry, now, principal_of(source) if source.startswith("aws.partner/")
                                       else None)
            except _EntryError as e:
                failed += 1
                results.append({"ErrorCode": e.code, "ErrorMessage": e.message})
                continue
            sources = [s for s in self.store.all_of("event-source")
                       if s["Name"] == source and s["CreatedBy"] == ctx.account and s["_region"] == ctx.region]
            if not sources:
                failed += 1
                results.append({"ErrorCode": "InvalidArgument", "ErrorMessage": f"Event source {source} does not exist."})
                continue
            for src in sources:
                bus = self.store.get(S.BUS, src["_account"], ctx.region, source)
                if bus is not None and src.get("State") == "ACTIVE":
                    self._route(bus, {**event, "account": src["_account"]}, now, items, archived)
            results.append({"EventId": event["id"]})
        self._commit_routed(items, archived)
        return {"FailedEntryCount": failed, "Entries": results}

    def test_event_pattern(self, ctx: RequestContext, params: dict) -> dict:
        pattern = compiled(params["EventPattern"])
        try:
            event = json.loads(params["Event"])
        except ValueError:
            raise validation("Parameter Event is not valid.") from None
        if not isinstance(event, dict):
            raise validation("Parameter Event is not valid.")
        missing = [k for k in ("id", "account", "source", "time", "region", "detail-type") if k not in event]
        if missing:
            raise validation("Parameter Event is not valid. Reason: Provided Event is missing required fields: "
                             + ", ".join(missing) + ".")
        return {"Result": bool(pattern.matches(event))}

    # -- schedule rules ----------------------------------------------------------------------------------

    async def _on_schedule(self, payload: dict) -> None:
        account, region = payload["account"], payload["region"]
        rule = self.store.get(S.RULE, account, region, payload["rule"])
        if rule is None or rule["State"] == "DISABLED" or not rule.get("ScheduleExpression"):
            return
        fired = payload.get("at") or self.clock.now()
        event = {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
                 "account": account, "time": iso(fired), "region": region, "resources": [rule["Arn"]],
                 "detail": {}}
        items = [Deliveries.item(event, rule["Arn"], t, self.clock.now()) for t in self.store.targets(rule["Arn"])]
        with self.db.transaction():
            self.deliveries.schedule(items)
            # From now: firings missed while nubis was down are not made up (one fired late, on start).
            self._arm_schedule(rule, after=max(fired, self.clock.now()))

    # -- tags ----------------------------------------------------------------------------------------------------

    def _tagged(self, ctx: RequestContext, arn: str) -> tuple[str, dict]:
        found = self.store.by_arn(arn)
        if found is None:
            m = BUS_ARN.match(arn)
            if m and m.group(3) == "default" and m.group(2) == ctx.account:
                self._bus_doc(ctx.account, m.group(1), "default")
                found = self.store.by_arn(arn)
        if found is None:
            what = arn.split(":", 5)[-1].split("/")
            raise not_found(f"{what[0].replace('-', ' ').title().replace(' ', '')} {what[-1]} does not exist.")
        return found

    def tag_resource(self, ctx: RequestContext, params: dict) -> dict:
        kind, doc = self._tagged(ctx, params["ResourceARN"])
        doc["Tags"] = merge_tags(doc.get("Tags") or [], params["Tags"])
        self._save_doc(kind, doc, params["ResourceARN"])
        return {}

    def untag_resource(self, ctx: RequestContext, params: dict) -> dict:
        kind, doc = self._tagged(ctx, params["ResourceARN"])
        drop = set(params["TagKeys"])
        doc["Tags"] = [t for t in doc.get("Tags") or [] if t["Key"] not in drop]
        self._save_doc(kind, doc, params["ResourceARN"])
        return {}

    def list_tags_for_resource(self, ctx: RequestContext, params: dict) -> dict:
        _, doc = self._tagged(ctx, params["ResourceARN"])
        return {"Tags": doc.get("Tags") or []}

    def _save_doc(self, kind: str, doc: dict, arn: str) -> None:
        parts = arn.split(":", 5)
        name = doc.get("Name") or doc.get("ArchiveName") or doc.get("ReplayName")
        if kind == S.RULE:
            name = f"{doc['EventBusName']}/{doc['Name']}"
        with self.db.transaction():
            self.store.put(kind, parts[4], parts[3], name, arn, doc)


def _checked(operation: str, fn):
    def run(ctx: RequestContext, params: dict):
        check(operation, params)
        return fn(ctx, params)
    return run


class _EntryError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def _entry_size(entry: dict) -> int:
    """An entry's size as the user guide's "Calculating PutEvents event entry size" counts it."""
    size = 14 if entry.get("Time") is not None else 0
    for key in ("Source", "DetailType", "Detail"):
        size += len((entry.get(key) or "").encode("utf-8"))
    for r in entry.get("Resources") or []:
        size += len(r.encode("utf-8"))
    return size

