"""Amazon EventBridge: operations in the API reference's order.

Resources are documents in ``store.py``; which rules an event matches is
``routing.py`` (patterns: ``pattern.py``); getting it to targets, retries
and dead-letter queues ``delivery.py``; what a target receives
``transform.py``; schedule expressions ``schedule.py``. Keys of a stored
document that start with ``_`` are nubis's own and never answered.
"""
from __future__ import annotations

import asyncio
import base64
import datetime as _dt
import json
import logging
import re
import secrets
import uuid

from ...auth import policy as iam
from ...protocol.errors import ServiceError
from ..base import Provider, RequestContext
from . import store as S
from . import transform
from .delivery import KIND, PRINCIPAL, Deliveries
from .routing import Router, compiled
from .service_events import principal_of
from .validation import check

log = logging.getLogger("nubis.events")

SCHEDULE_KIND = "events:schedule"
REPLAY_KIND = "events:replay"
RETENTION_KIND = "events:retention"
PAGE = 100
MAX_TARGETS = 5
MAX_REQUEST_BYTES = 256 * 1024
BUS_NAME = re.compile(r"^[/.\-_A-Za-z0-9]{1,256}$")
CUSTOM_BUS_NAME = re.compile(r"^[.\-_A-Za-z0-9]{1,256}$")
BUS_ARN = re.compile(r"^arn:aws[\w-]*:events:([a-z0-9-]+):(\d{12}):event-bus/([/.\-_A-Za-z0-9]+)$")
RULE_NAME = re.compile(r"^[.\-_A-Za-z0-9]{1,64}$")
TARGET_ID = re.compile(r"^[.\-_A-Za-z0-9]{1,64}$")
ARCHIVE_NAME = re.compile(r"^[.\-_A-Za-z0-9]{1,48}$")
RESOURCE_NAME = re.compile(r"^[.\-_A-Za-z0-9]{1,64}$")
ARN = re.compile(r"^arn:aws[\w-]*:[a-z0-9-]+:[a-z0-9-]*:\d{0,12}:.+$")
RULE_STATES = ("ENABLED", "DISABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")
AUTH_TYPES = ("BASIC", "OAUTH_CLIENT_CREDENTIALS", "API_KEY")
HTTP_METHODS = ("POST", "GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE")
_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def validation(message: str) -> ServiceError:
    return ServiceError("ValidationException", message, 400)


def not_found(message: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", message, 400)


def exists(message: str) -> ServiceError:
    return ServiceError("ResourceAlreadyExistsException", message, 400)


def public(doc: dict) -> dict:
    """A stored document as the API answers it."""
    return {k: v for k, v in doc.items() if not k.startswith("_") and k != "Tags"}


def iso(t: float) -> str:
    return _dt.datetime.fromtimestamp(t, tz=_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch(value) -> float:
    if isinstance(value, _dt.datetime):
        return value.timestamp()
    return float(value)


def parse_schedule(text: str):
    """The schedule of a rule's ``ScheduleExpression`` (ValidationException if it is not valid)."""
    from .schedule import parse_schedule as parse

    return parse(text)


def _page(items: list, limit, key: str) -> tuple[list, str | None]:
    limit = limit or PAGE
    if len(items) > limit:
        items = items[:limit]
        return items, base64.urlsafe_b64encode(items[-1][key].encode()).decode()
    return items, None


def _after(token: str | None) -> str:
    if not token:
        return ""
    try:
        return base64.urlsafe_b64decode(token.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        raise validation("The NextToken is not valid.") from None


class EventsProvider(Provider):
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
                                _after(params.get("NextToken")), (params.get("Limit") or PAGE) + 1)
        items, token = _page([public(b) for b in buses], params.get("Limit"), "Name")
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
            rule["Tags"] = _merge_tags(rule.get("Tags") or [], params["Tags"])
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
        after = _after(params.get("NextToken"))
        rules = self.store.list(S.RULE, ctx.account, ctx.region, prefix + (params.get("NamePrefix") or ""),
                                prefix + after if after else "", (params.get("Limit") or PAGE) + 1)
        rules = [r for r in rules if r["EventBusName"] == bus["Name"]]  # not a partner bus's longer name
        items, token = _page([public(r) for r in rules], params.get("Limit"), "Name")
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
        after = _after(params.get("NextToken"))
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
        after = _after(params.get("NextToken"))
        targets = [t for t in self.store.targets(rule["Arn"]) if t["Id"] > after]
        items, token = _page(targets, params.get("Limit"), "Id")
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
        if items or archived:
            with self.db.transaction():
                if archived:
                    self.store.archive(archived)
                self.deliveries.schedule(items)
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

    def _route(self, bus: dict, event: dict, now: float, items: list, archived: list | None,
               only_rules: set | None = None) -> None:
        """Collect the deliveries (and archive rows) of ``event`` on ``bus``."""
        idx = self.router.index(bus)
        for route in idx.rules_for(event):
            if only_rules is not None and route.arn not in only_rules:
                continue
            for target in route.targets:
                items.append(Deliveries.item(event, route.arn, target, now))
        if archived is not None and idx.archives:
            at = _event_time(event, now)
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
        if items or archived:
            with self.db.transaction():
                if archived:
                    self.store.archive(archived)
                self.deliveries.schedule(items)

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
        if items or archived:
            with self.db.transaction():
                if archived:
                    self.store.archive(archived)
                self.deliveries.schedule(items)
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

    # -- archives ----------------------------------------------------------------------------------------

    def create_archive(self, ctx: RequestContext, params: dict) -> dict:
        name = params["ArchiveName"]
        if not ARCHIVE_NAME.match(name):
            raise validation(f"Parameter ArchiveName is not valid. Reason: {name} is not a valid archive name.")
        if self.store.get(S.ARCHIVE, ctx.account, ctx.region, name) is not None:
            raise exists(f"Archive {name} already exists.")
        source = params["EventSourceArn"]
        m = BUS_ARN.match(source)
        if not m or m.group(2) != ctx.account or self._bus_doc(m.group(2), m.group(1), m.group(3)) is None:
            raise not_found(f"Event bus {source.rsplit('/', 1)[-1]} does not exist.")
        if params.get("EventPattern"):
            compiled(params["EventPattern"])
        retention = params.get("RetentionDays", 0)
        if retention < 0:
            raise validation("Parameter RetentionDays is not valid. Reason: It must not be negative.")
        now = self.clock.now()
        doc = {"ArchiveName": name, "ArchiveArn": self._arn(ctx, f"archive/{name}"), "EventSourceArn": source,
               "State": "ENABLED", "RetentionDays": retention, "CreationTime": now}
        for key in ("Description", "EventPattern", "KmsKeyIdentifier"):
            if params.get(key):
                doc[key] = params[key]
        with self.db.transaction():
            self.store.put(S.ARCHIVE, ctx.account, ctx.region, name, doc["ArchiveArn"], doc)
            self._arm_retention(doc)
        self.router.forget(source)
        return {"ArchiveArn": doc["ArchiveArn"], "State": "ENABLED", "CreationTime": now}

    def _arm_retention(self, archive: dict) -> None:
        if archive.get("RetentionDays"):
            # Expired events are removed hourly (AWS does it in the background, on its own schedule).
            self.scheduler.at(self.clock.now() + 3600, RETENTION_KIND, {"arn": archive["ArchiveArn"]},
                              key=archive["ArchiveArn"], every=3600)
        else:
            self.scheduler.cancel(RETENTION_KIND, archive["ArchiveArn"])

    def _on_retention(self, payload: dict) -> None:
        found = self.store.by_arn(payload["arn"])
        if found is None:
            self.scheduler.cancel(RETENTION_KIND, payload["arn"])
            return
        days = found[1].get("RetentionDays") or 0
        if days:
            with self.db.transaction():
                self.store.expire_archived(payload["arn"], self.clock.now() - days * 86400)

    def _archive(self, ctx: RequestContext, name: str) -> dict:
        doc = self.store.get(S.ARCHIVE, ctx.account, ctx.region, name)
        if doc is None:
            raise not_found(f"Archive {name} does not exist.")
        return doc

    def describe_archive(self, ctx: RequestContext, params: dict) -> dict:
        doc = self._archive(ctx, params["ArchiveName"])
        count, size = self.store.archive_stats(doc["ArchiveArn"])
        return {**public(doc), "EventCount": count, "SizeBytes": size}

    def list_archives(self, ctx: RequestContext, params: dict) -> dict:
        archives = self.store.list(S.ARCHIVE, ctx.account, ctx.region, params.get("NamePrefix") or "",
                                   _after(params.get("NextToken")))
        if params.get("EventSourceArn"):
            archives = [a for a in archives if a["EventSourceArn"] == params["EventSourceArn"]]
        if params.get("State"):
            archives = [a for a in archives if a["State"] == params["State"]]
        out = []
        for a in archives:
            count, size = self.store.archive_stats(a["ArchiveArn"])
            out.append({k: a[k] for k in ("ArchiveName", "EventSourceArn", "State", "StateReason", "RetentionDays",
                                          "CreationTime") if k in a} | {"EventCount": count, "SizeBytes": size})
        items, token = _page(out, params.get("Limit"), "ArchiveName")
        return {"Archives": items, **({"NextToken": token} if token else {})}

    def update_archive(self, ctx: RequestContext, params: dict) -> dict:
        doc = self._archive(ctx, params["ArchiveName"])
        if params.get("EventPattern"):
            compiled(params["EventPattern"])
        for key in ("Description", "EventPattern", "RetentionDays", "KmsKeyIdentifier"):
            if key in params:
                doc[key] = params[key]
        with self.db.transaction():
            self.store.put(S.ARCHIVE, ctx.account, ctx.region, doc["ArchiveName"], doc["ArchiveArn"], doc)
            self._arm_retention(doc)
        self.router.forget(doc["EventSourceArn"])
        return {"ArchiveArn": doc["ArchiveArn"], "State": doc["State"], "CreationTime": doc["CreationTime"]}

    def delete_archive(self, ctx: RequestContext, params: dict) -> dict:
        doc = self._archive(ctx, params["ArchiveName"])
        with self.db.transaction():
            self.store.delete(S.ARCHIVE, ctx.account, ctx.region, doc["ArchiveName"])
            self.store.drop_archive(doc["ArchiveArn"])
            self.scheduler.cancel(RETENTION_KIND, doc["ArchiveArn"])
        self.router.forget(doc["EventSourceArn"])
        return {}

    # -- replays -------------------------------------------------------------------------------------------

    def start_replay(self, ctx: RequestContext, params: dict) -> dict:
        name = params["ReplayName"]
        if not ARCHIVE_NAME.match(name):
            raise validation(f"Parameter ReplayName is not valid. Reason: {name} is not a valid replay name.")
        if self.store.get(S.REPLAY, ctx.account, ctx.region, name) is not None:
            raise exists(f"Replay {name} already exists.")
        found = self.store.by_arn(params["EventSourceArn"])
        if found is None or found[0] != S.ARCHIVE:
            raise not_found(f"Archive {params['EventSourceArn'].rsplit('/', 1)[-1]} does not exist.")
        archive = found[1]
        start, end = epoch(params["EventStartTime"]), epoch(params["EventEndTime"])
        if start >= end:
            raise validation("Parameter EventStartTime is not valid. Reason: EventStartTime must be before "
                             "EventEndTime.")
        now = self.clock.now()
        if end > now:
            raise validation("Parameter EventEndTime is not valid. Reason: EventEndTime cannot be in the future.")
        destination = params["Destination"]
        if destination.get("Arn") != archive["EventSourceArn"]:
            raise validation("Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not "
                             "permitted.")
        doc = {"ReplayName": name, "ReplayArn": self._arn(ctx, f"replay/{name}"),
               "EventSourceArn": params["EventSourceArn"], "Destination": destination, "State": "STARTING",
               "EventStartTime": start, "EventEndTime": end, "ReplayStartTime": now}
        if params.get("Description"):
            doc["Description"] = params["Description"]
        with self.db.transaction():
            self.store.put(S.REPLAY, ctx.account, ctx.region, name, doc["ReplayArn"], doc)
            # A replay gets going a second later on the clock (STARTING, then RUNNING, then COMPLETED).
            self.scheduler.at(now + 1, REPLAY_KIND, {"account": ctx.account, "region": ctx.region, "name": name},
                              key=doc["ReplayArn"])
        return {"ReplayArn": doc["ReplayArn"], "State": "STARTING", "ReplayStartTime": now}

    def _on_replay(self, payload: dict) -> None:
        account, region, name = payload["account"], payload["region"], payload["name"]
        doc = self.store.get(S.REPLAY, account, region, name)
        if doc is None or doc["State"] not in ("STARTING", "RUNNING"):
            return
        doc["State"] = "RUNNING"
        self.store.put(S.REPLAY, account, region, name, doc["ReplayArn"], doc)
        m = BUS_ARN.match(doc["Destination"]["Arn"])
        bus = self._bus_doc(m.group(2), m.group(1), m.group(3)) if m else None
        filters = set(doc["Destination"].get("FilterArns") or []) or None
        now = self.clock.now()
        items: list = []
        last = None
        if bus is not None:
            for text in self.store.archived(doc["EventSourceArn"], doc["EventStartTime"], doc["EventEndTime"]):
                event = json.loads(text)
                event["replay-name"] = name
                self._route(bus, event, now, items, None, only_rules=filters)
                last = _event_time(event, now)
        doc["State"] = "COMPLETED"
        doc["ReplayEndTime"] = now
        if last is not None:
            doc["EventLastReplayedTime"] = last
        with self.db.transaction():
            self.deliveries.schedule(items)
            self.store.put(S.REPLAY, account, region, name, doc["ReplayArn"], doc)

    def _replay(self, ctx: RequestContext, name: str) -> dict:
        doc = self.store.get(S.REPLAY, ctx.account, ctx.region, name)
        if doc is None:
            raise not_found(f"Replay {name} does not exist.")
        return doc

    def describe_replay(self, ctx: RequestContext, params: dict) -> dict:
        return public(self._replay(ctx, params["ReplayName"]))

    def list_replays(self, ctx: RequestContext, params: dict) -> dict:
        replays = self.store.list(S.REPLAY, ctx.account, ctx.region, params.get("NamePrefix") or "",
                                  _after(params.get("NextToken")))
        if params.get("State"):
            replays = [r for r in replays if r["State"] == params["State"]]
        if params.get("EventSourceArn"):
            replays = [r for r in replays if r["EventSourceArn"] == params["EventSourceArn"]]
        keys = ("ReplayName", "EventSourceArn", "State", "StateReason", "EventStartTime", "EventEndTime",
                "EventLastReplayedTime", "ReplayStartTime", "ReplayEndTime")
        items, token = _page([{k: r[k] for k in keys if k in r} for r in replays], params.get("Limit"), "ReplayName")
        return {"Replays": items, **({"NextToken": token} if token else {})}

    def cancel_replay(self, ctx: RequestContext, params: dict) -> dict:
        doc = self._replay(ctx, params["ReplayName"])
        if doc["State"] not in ("STARTING", "RUNNING"):
            raise ServiceError("IllegalStatusException", f"Replay {doc['ReplayName']} is not in a state that can be "
                               "cancelled.", 400)
        doc["State"] = "CANCELLED"
        doc["ReplayEndTime"] = self.clock.now()
        with self.db.transaction():
            self.store.put(S.REPLAY, ctx.account, ctx.region, doc["ReplayName"], doc["ReplayArn"], doc)
            self.scheduler.cancel(REPLAY_KIND, doc["ReplayArn"])
        return {"ReplayArn": doc["ReplayArn"], "State": "CANCELLING"}

    # -- connections ---------------------------------------------------------------------------------------

    def create_connection(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Name"]
        if not RESOURCE_NAME.match(name):
            raise validation(f"Parameter Name is not valid. Reason: {name} is not a valid connection name.")
        if self.store.get(S.CONNECTION, ctx.account, ctx.region, name) is not None:
            raise exists(f"Connection {name} already exists.")
        auth_type = params["AuthorizationType"]
        self._check_auth(auth_type, params["AuthParameters"])
        now = self.clock.now()
        suffix = str(uuid.uuid4())
        doc = {"Name": name, "ConnectionArn": self._arn(ctx, f"connection/{name}/{suffix}"),
               "ConnectionState": "AUTHORIZED", "AuthorizationType": auth_type,
               "SecretArn": f"arn:aws:secretsmanager:{ctx.region}:{ctx.account}:secret:events!connection/{name}/"
                            f"{suffix}-{secrets.token_hex(3)}",
               "CreationTime": now, "LastModifiedTime": now, "LastAuthorizedTime": now,
               "_auth": params["AuthParameters"]}
        for key in ("Description", "InvocationConnectivityParameters", "KmsKeyIdentifier"):
            if params.get(key):
                doc[key] = params[key]
        with self.db.transaction():
            self.store.put(S.CONNECTION, ctx.account, ctx.region, name, doc["ConnectionArn"], doc)
        return {k: doc[k] for k in ("ConnectionArn", "ConnectionState", "CreationTime", "LastModifiedTime")}

    @staticmethod
    def _check_auth(auth_type: str, auth: dict) -> None:
        if auth_type not in AUTH_TYPES:
            raise validation(f"1 validation error detected: Value '{auth_type}' at 'authorizationType' failed to "
                             f"satisfy constraint: Member must satisfy enum value set: [{', '.join(AUTH_TYPES)}]")
        member = {"API_KEY": "ApiKeyAuthParameters", "BASIC": "BasicAuthParameters",
                  "OAUTH_CLIENT_CREDENTIALS": "OAuthParameters"}[auth_type]
        if not auth.get(member):
            raise validation(f"Parameter AuthParameters is not valid. Reason: {member} is required for "
                             f"authorization type {auth_type}.")

    @staticmethod
    def _redacted(auth: dict) -> dict:
        """AuthParameters as Describe answers them: no secrets."""
        out = {}
        if "ApiKeyAuthParameters" in auth:
            out["ApiKeyAuthParameters"] = {"ApiKeyName": auth["ApiKeyAuthParameters"].get("ApiKeyName")}
        if "BasicAuthParameters" in auth:
            out["BasicAuthParameters"] = {"Username": auth["BasicAuthParameters"].get("Username")}
        if "OAuthParameters" in auth:
            o = auth["OAuthParameters"]
            out["OAuthParameters"] = {k: o[k] for k in ("AuthorizationEndpoint", "HttpMethod") if k in o}
            out["OAuthParameters"]["ClientParameters"] = {"ClientID": (o.get("ClientParameters") or {}).get("ClientID")}
            http = o.get("OAuthHttpParameters")
            if http:
                out["OAuthParameters"]["OAuthHttpParameters"] = _redact_http(http)
        if "InvocationHttpParameters" in auth:
            out["InvocationHttpParameters"] = _redact_http(auth["InvocationHttpParameters"])
        return out

    def _connection(self, ctx: RequestContext, name: str) -> dict:
        doc = self.store.get(S.CONNECTION, ctx.account, ctx.region, name)
        if doc is None:
            raise not_found(f"Connection '{name}' does not exist.")
        return doc

    def connection_secret(self, arn: str) -> dict | None:
        found = self.store.by_arn(arn)
        if found is None or found[0] != S.CONNECTION:
            return None
        return {"AuthorizationType": found[1]["AuthorizationType"], "AuthParameters": found[1]["_auth"]}

    def describe_connection(self, ctx: RequestContext, params: dict) -> dict:
        doc = self._connection(ctx, params["Name"])
        return {**public(doc), "AuthParameters": self._redacted(doc["_auth"])}

    def list_connections(self, ctx: RequestContext, params: dict) -> dict:
        docs = self.store.list(S.CONNECTION, ctx.account, ctx.region, params.get("NamePrefix") or "",
                               _after(params.get("NextToken")))
        if params.get("ConnectionState"):
            docs = [d for d in docs if d["ConnectionState"] == params["ConnectionState"]]
        keys = ("ConnectionArn", "Name", "ConnectionState", "StateReason", "AuthorizationType", "CreationTime",
                "LastModifiedTime", "LastAuthorizedTime")
        items, token = _page([{k: d[k] for k in keys if k in d} for d in docs], params.get("Limit"), "Name")
        return {"Connections": items, **({"NextToken": token} if token else {})}

    def update_connection(self, ctx: RequestContext, params: dict) -> dict:
        doc = self._connection(ctx, params["Name"])
        if params.get("AuthorizationType"):
            doc["AuthorizationType"] = params["AuthorizationType"]
        if params.get("AuthParameters"):
            merged = dict(doc["_auth"])
            for key, value in params["AuthParameters"].items():
                merged[key] = {**merged.get(key, {}), **value} if isinstance(value, dict) else value
            doc["_auth"] = merged
        self._check_auth(doc["AuthorizationType"], doc["_auth"])
        for key in ("Description", "InvocationConnectivityParameters", "KmsKeyIdentifier"):
            if key in params:
                doc[key] = params[key]
        doc["LastModifiedTime"] = doc["LastAuthorizedTime"] = self.clock.now()
        doc["ConnectionState"] = "AUTHORIZED"
        with self.db.transaction():
            self.store.put(S.CONNECTION, ctx.account, ctx.region, doc["Name"], doc["ConnectionArn"], doc)
        return {k: doc[k] for k in ("ConnectionArn", "ConnectionState", "CreationTime", "LastModifiedTime",
                                    "LastAuthorizedTime")}

    def deauthorize_connection(self, ctx: RequestContext, params: dict) -> dict:
        doc = self._connection(ctx, params["Name"])
        doc["ConnectionState"] = "DEAUTHORIZED"
        doc["LastModifiedTime"] = self.clock.now()
        with self.db.transaction():
            self.store.put(S.CONNECTION, ctx.account, ctx.region, doc["Name"], doc["ConnectionArn"], doc)
        return {k: doc[k] for k in ("ConnectionArn", "ConnectionState", "CreationTime", "LastModifiedTime",
                                    "LastAuthorizedTime")}

    def delete_connection(self, ctx: RequestContext, params: dict) -> dict:
        doc = self._connection(ctx, params["Name"])
        with self.db.transaction():
            self.store.delete(S.CONNECTION, ctx.account, ctx.region, doc["Name"])
        doc["ConnectionState"] = "DELETING"
        return {k: doc[k] for k in ("ConnectionArn", "ConnectionState", "CreationTime", "LastModifiedTime",
                                    "LastAuthorizedTime")}

    # -- API destinations ------------------------------------------------------------------------------------

    def create_api_destination(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Name"]
        if not RESOURCE_NAME.match(name):
            raise validation(f"Parameter Name is not valid. Reason: {name} is not a valid API destination name.")
        if self.store.get(S.API_DESTINATION, ctx.account, ctx.region, name) is not None:
            raise exists(f"An api-destination '{name}' already exists.")
        doc = {"Name": name}
        self._destination_fields(doc, params)
        now = self.clock.now()
        doc.update({"ApiDestinationArn": self._arn(ctx, f"api-destination/{name}/{uuid.uuid4()}"),
                    "ApiDestinationState": "ACTIVE", "CreationTime": now, "LastModifiedTime": now})
        doc.setdefault("InvocationRateLimitPerSecond", 300)
        with self.db.transaction():
            self.store.put(S.API_DESTINATION, ctx.account, ctx.region, name, doc["ApiDestinationArn"], doc)
        return {k: doc[k] for k in ("ApiDestinationArn", "ApiDestinationState", "CreationTime", "LastModifiedTime")}

    def _destination_fields(self, doc: dict, params: dict) -> None:
        for key in ("Description", "ConnectionArn", "InvocationEndpoint", "HttpMethod", "InvocationRateLimitPerSecond"):
            if params.get(key) is not None:
                doc[key] = params[key]
        found = self.store.by_arn(doc.get("ConnectionArn") or "")
        if found is None or found[0] != S.CONNECTION:
            raise not_found(f"Connection '{(doc.get('ConnectionArn') or '').split('/')[-2:][0]}' does not exist.")
        if doc.get("HttpMethod") not in HTTP_METHODS:
            raise validation(f"1 validation error detected: Value '{doc.get('HttpMethod')}' at 'httpMethod' failed "
                             f"to satisfy constraint: Member must satisfy enum value set: [{', '.join(HTTP_METHODS)}]")
        if not re.match(r"^https?://", doc.get("InvocationEndpoint") or ""):
            raise validation("Parameter InvocationEndpoint is not valid. Reason: It must be an http(s) URL.")

    def _api_destination(self, ctx: RequestContext, name: str) -> dict:
        doc = self.store.get(S.API_DESTINATION, ctx.account, ctx.region, name)
        if doc is None:
            raise not_found(f"An api-destination '{name}' does not exist.")
        return doc

    def api_destination_doc(self, account: str, region: str, name: str) -> dict | None:
        return self.store.get(S.API_DESTINATION, account, region, name)

    def describe_api_destination(self, ctx: RequestContext, params: dict) -> dict:
        return public(self._api_destination(ctx, params["Name"]))

    def list_api_destinations(self, ctx: RequestContext, params: dict) -> dict:
        docs = self.store.list(S.API_DESTINATION, ctx.account, ctx.region, params.get("NamePrefix") or "",
                               _after(params.get("NextToken")))
        if params.get("ConnectionArn"):
            docs = [d for d in docs if d["ConnectionArn"] == params["ConnectionArn"]]
        items, token = _page([public(d) for d in docs], params.get("Limit"), "Name")
        return {"ApiDestinations": items, **({"NextToken": token} if token else {})}

    def update_api_destination(self, ctx: RequestContext, params: dict) -> dict:
        doc = self._api_destination(ctx, params["Name"])
        self._destination_fields(doc, params)
        doc["LastModifiedTime"] = self.clock.now()
        with self.db.transaction():
            self.store.put(S.API_DESTINATION, ctx.account, ctx.region, doc["Name"], doc["ApiDestinationArn"], doc)
        return {k: doc[k] for k in ("ApiDestinationArn", "ApiDestinationState", "CreationTime", "LastModifiedTime")}

    def delete_api_destination(self, ctx: RequestContext, params: dict) -> dict:
        doc = self._api_destination(ctx, params["Name"])
        with self.db.transaction():
            self.store.delete(S.API_DESTINATION, ctx.account, ctx.region, doc["Name"])
        return {}

    # -- global endpoints -----------------------------------------------------------------------------------

    def create_endpoint(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Name"]
        if not RESOURCE_NAME.match(name):
            raise validation(f"Parameter Name is not valid. Reason: {name} is not a valid endpoint name.")
        if self.store.get(S.ENDPOINT, ctx.account, ctx.region, name) is not None:
            raise exists(f"Endpoint {name} already exists.")
        buses = params["EventBuses"]
        if len(buses) != 2:
            raise validation("Parameter EventBuses is not valid. Reason: Exactly two event buses are required.")
        now = self.clock.now()
        endpoint_id = f"{secrets.token_hex(4)}.{secrets.token_hex(2)}"
        doc = {"Name": name, "Arn": self._arn(ctx, f"endpoint/{name}"), "RoutingConfig": params["RoutingConfig"],
               "ReplicationConfig": params.get("ReplicationConfig") or {"State": "ENABLED"}, "EventBuses": buses,
               "EndpointId": endpoint_id, "EndpointUrl": f"https://{endpoint_id}.endpoint.events.amazonaws.com",
               "State": "ACTIVE", "CreationTime": now, "LastModifiedTime": now}
        for key in ("Description", "RoleArn"):
            if params.get(key):
                doc[key] = params[key]
        with self.db.transaction():
            self.store.put(S.ENDPOINT, ctx.account, ctx.region, name, doc["Arn"], doc)
        return {k: doc[k] for k in ("Name", "Arn", "RoutingConfig", "ReplicationConfig", "EventBuses", "RoleArn",
                                    "State") if k in doc}

    def _endpoint(self, ctx: RequestContext, name: str) -> dict:
        doc = self.store.get(S.ENDPOINT, ctx.account, ctx.region, name)
        if doc is None:
            raise not_found(f"Endpoint {name} does not exist.")
        return doc

    def describe_endpoint(self, ctx: RequestContext, params: dict) -> dict:
        return public(self._endpoint(ctx, params["Name"]))

    def list_endpoints(self, ctx: RequestContext, params: dict) -> dict:
        docs = self.store.list(S.ENDPOINT, ctx.account, ctx.region, params.get("NamePrefix") or "",
                               _after(params.get("NextToken")))
        items, token = _page([public(d) for d in docs], params.get("MaxResults"), "Name")
        return {"Endpoints": items, **({"NextToken": token} if token else {})}

    def update_endpoint(self, ctx: RequestContext, params: dict) -> dict:
        doc = self._endpoint(ctx, params["Name"])
        for key in ("Description", "RoutingConfig", "ReplicationConfig", "EventBuses", "RoleArn"):
            if params.get(key) is not None:
                doc[key] = params[key]
        doc["LastModifiedTime"] = self.clock.now()
        with self.db.transaction():
            self.store.put(S.ENDPOINT, ctx.account, ctx.region, doc["Name"], doc["Arn"], doc)
        return {k: doc[k] for k in ("Name", "Arn", "RoutingConfig", "ReplicationConfig", "EventBuses", "RoleArn",
                                    "EndpointId", "EndpointUrl", "State") if k in doc}

    def delete_endpoint(self, ctx: RequestContext, params: dict) -> dict:
        doc = self._endpoint(ctx, params["Name"])
        with self.db.transaction():
            self.store.delete(S.ENDPOINT, ctx.account, ctx.region, doc["Name"])
        return {}

    # -- partner event sources --------------------------------------------------------------------------------
    # A partner (the caller of the partner operations) creates a source for a customer account; the
    # customer sees it with ListEventSources and associates a partner event bus of the same name.

    def create_partner_event_source(self, ctx: RequestContext, params: dict) -> dict:
        name, account = params["Name"], params["Account"]
        if not name.startswith("aws.partner/"):
            raise validation("Parameter Name is not valid. Reason: It must start with aws.partner/.")
        if self.store.get("event-source", account, ctx.region, name) is not None:
            raise exists(f"Event source {name} already exists.")
        now = self.clock.now()
        doc = {"Name": name, "Arn": f"arn:aws:events:{ctx.region}::event-source/{name}", "CreatedBy": ctx.account,
               "CreationTime": now, "ExpirationTime": now + 15 * 86400, "State": "PENDING",
               "_account": account, "_region": ctx.region}
        with self.db.transaction():
            self.store.put("event-source", account, ctx.region, name, f"{doc['Arn']}#{account}", doc)
        return {"EventSourceArn": doc["Arn"]}

    def _partner_sources(self, ctx: RequestContext, name: str | None = None) -> list[dict]:
        return [s for s in self.store.all_of("event-source")
                if s["CreatedBy"] == ctx.account and s["_region"] == ctx.region and (name is None or s["Name"] == name)]

    def describe_partner_event_source(self, ctx: RequestContext, params: dict) -> dict:
        found = self._partner_sources(ctx, params["Name"])
        if not found:
            raise not_found(f"Event source {params['Name']} does not exist.")
        return {"Arn": found[0]["Arn"], "Name": found[0]["Name"]}

    def list_partner_event_sources(self, ctx: RequestContext, params: dict) -> dict:
        names = sorted({s["Name"] for s in self._partner_sources(ctx) if s["Name"].startswith(params["NamePrefix"])})
        after = _after(params.get("NextToken"))
        items = [{"Arn": f"arn:aws:events:{ctx.region}::event-source/{n}", "Name": n} for n in names if n > after]
        items, token = _page(items, params.get("Limit"), "Name")
        return {"PartnerEventSources": items, **({"NextToken": token} if token else {})}

    def list_partner_event_source_accounts(self, ctx: RequestContext, params: dict) -> dict:
        found = self._partner_sources(ctx, params["EventSourceName"])
        if not found:
            raise not_found(f"Event source {params['EventSourceName']} does not exist.")
        items = [{"Account": s["_account"], "CreationTime": s["CreationTime"], "ExpirationTime": s["ExpirationTime"],
                  "State": s["State"]} for s in sorted(found, key=lambda s: s["_account"])]
        items, token = _page(items, params.get("Limit"), "Account")
        return {"PartnerEventSourceAccounts": items, **({"NextToken": token} if token else {})}

    def delete_partner_event_source(self, ctx: RequestContext, params: dict) -> dict:
        with self.db.transaction():
            for s in self._partner_sources(ctx, params["Name"]):
                if s["_account"] == params["Account"]:
                    self.store.delete("event-source", s["_account"], ctx.region, s["Name"])
        return {}

    def _event_source(self, ctx: RequestContext, name: str) -> dict:
        doc = self.store.get("event-source", ctx.account, ctx.region, name)
        if doc is None:
            raise not_found(f"Event source {name} does not exist.")
        return doc

    def describe_event_source(self, ctx: RequestContext, params: dict) -> dict:
        return public(self._event_source(ctx, params["Name"]))

    def list_event_sources(self, ctx: RequestContext, params: dict) -> dict:
        docs = self.store.list("event-source", ctx.account, ctx.region, params.get("NamePrefix") or "",
                               _after(params.get("NextToken")))
        items, token = _page([public(d) for d in docs], params.get("Limit"), "Name")
        return {"EventSources": items, **({"NextToken": token} if token else {})}

    def activate_event_source(self, ctx: RequestContext, params: dict) -> dict:
        return self._source_state(ctx, params["Name"], "ACTIVE")

    def deactivate_event_source(self, ctx: RequestContext, params: dict) -> dict:
        return self._source_state(ctx, params["Name"], "DELETED")

    def _source_state(self, ctx: RequestContext, name: str, state: str) -> dict:
        doc = self._event_source(ctx, name)
        if doc["State"] == "PENDING" and state == "ACTIVE":
            raise ServiceError("InvalidStateException", f"Event source {name} is pending: create its partner event "
                               "bus first.", 400)
        doc["State"] = state
        with self.db.transaction():
            self.store.put("event-source", ctx.account, ctx.region, name, f"{doc['Arn']}#{ctx.account}", doc)
        return {}

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
        doc["Tags"] = _merge_tags(doc.get("Tags") or [], params["Tags"])
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


def _merge_tags(old: list, new: list) -> list:
    merged = {t["Key"]: t["Value"] for t in old}
    merged.update({t["Key"]: t["Value"] for t in new})
    return [{"Key": k, "Value": v} for k, v in merged.items()]


def _redact_http(http: dict) -> dict:
    out = {}
    for key in ("HeaderParameters", "QueryStringParameters", "BodyParameters"):
        if http.get(key):
            out[key] = [{k: v for k, v in p.items() if not (k == "Value" and p.get("IsValueSecret"))}
                        for p in http[key]]
    return out


def _entry_size(entry: dict) -> int:
    """An entry's size as the user guide's "Calculating PutEvents event entry size" counts it."""
    size = 14 if entry.get("Time") is not None else 0
    for key in ("Source", "DetailType", "Detail"):
        size += len((entry.get(key) or "").encode("utf-8"))
    for r in entry.get("Resources") or []:
        size += len(r.encode("utf-8"))
    return size


def _event_time(event: dict, default: float) -> float:
    try:
        return _dt.datetime.strptime(event["time"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=_dt.timezone.utc).timestamp()
    except (KeyError, ValueError):
        return default
