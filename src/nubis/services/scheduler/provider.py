"""Amazon EventBridge Scheduler.

Operations follow the API reference. A schedule keeps one durable
``scheduler:fire`` timer, due at its next occurrence (plus, in a flexible time
window, a fixed offset drawn from the schedule and the occurrence, so that a
test sees the same instant every run). Firing re-arms the timer for the
following occurrence first, then invokes the target; a failure the target
may recover from is retried with backoff (``scheduler:retry``) within the
retry policy, and what is given up goes to the dead-letter queue. An
occurrence that fell due while nubis was down fires once when it starts.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import uuid

from ..base import Provider, RequestContext
from ..tags import merge_tags
from ..events.schedule import BadExpression, Rate, parse, valid_timezone
from . import targets
from . import validation as v
from .store import DEFAULT_GROUP, MIGRATIONS, Group, Schedule, SchedulerStore

FIRE = "scheduler:fire"
RETRY = "scheduler:retry"
MIN_BACKOFF = 60.0
MAX_BACKOFF = 900.0
START_DATE_SLACK = 300.0  # StartDate may lie up to five minutes in the past


def _token(doc) -> str:
    return base64.urlsafe_b64encode(json.dumps(doc).encode()).decode()


def _untoken(text: str):
    try:
        return json.loads(base64.urlsafe_b64decode(text.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise v.invalid("Invalid NextToken.") from None


def _max_results(params: dict) -> int:
    return v.integer(params.get("MaxResults"), "maxResults", 1, 100) or 100


class SchedulerProvider(Provider):
    service = "scheduler"
    migrations = MIGRATIONS

    def start(self) -> None:
        self.store = SchedulerStore(self.db)
        self.scheduler.on(FIRE, self._fire)
        self.scheduler.on(RETRY, self._retry)

    # -- schedules -----------------------------------------------------------------------------------

    def create_schedule(self, ctx: RequestContext, params: dict) -> dict:
        name = v.name(params.get("Name"))
        group = self._group(ctx, params.get("GroupName") or DEFAULT_GROUP)
        now = self.clock.now()
        doc = self._validated(params, now)
        token = v.string(params.get("ClientToken"), "clientToken", hi=64)
        existing = self.store.schedule(ctx.account, ctx.region, group.name, name)
        if existing is not None:
            # A retried request (same client token) gets the schedule it created.
            if token is not None and existing.doc.get("_token") == token:
                return {"ScheduleArn": existing.arn}
            raise v.conflict(f"Schedule {name} already exists.")
        if token is not None:
            doc["_token"] = token
        s = Schedule(ctx.account, ctx.region, group.name, name, doc, now, now)
        with self.db.transaction():
            self.store.put(s)
            self._arm_first(s, now)
        return {"ScheduleArn": s.arn}

    def get_schedule(self, ctx: RequestContext, params: dict) -> dict:
        s = self._schedule(ctx, params)
        return self._describe(s)

    def update_schedule(self, ctx: RequestContext, params: dict) -> dict:
        s = self._schedule(ctx, params)
        now = self.clock.now()
        s.doc = self._validated(params, now)
        s.modified = now
        with self.db.transaction():
            self.store.put(s)
            self._arm_first(s, now)
        return {"ScheduleArn": s.arn}

    def delete_schedule(self, ctx: RequestContext, params: dict) -> dict:
        s = self._schedule(ctx, params)
        with self.db.transaction():
            self.store.delete(s)
            self.scheduler.cancel(FIRE, s.key)
        return {}

    def list_schedules(self, ctx: RequestContext, params: dict) -> dict:
        limit = _max_results(params)
        group = params.get("GroupName")
        if group is not None:
            group = self._group(ctx, group).name
        prefix = v.string(params.get("NamePrefix"), "namePrefix", hi=64, pattern=v.NAME) or ""
        state = v.string(params.get("State"), "state", enum=("ENABLED", "DISABLED"))
        after = tuple(_untoken(params["NextToken"])) if params.get("NextToken") else ("", "")
        if len(after) != 2:
            raise v.invalid("Invalid NextToken.")
        rows = self.store.schedules(ctx.account, ctx.region, group=group, prefix=prefix, state=state,
                                    after=after, limit=limit + 1)
        out = {"Schedules": [{
            "Arn": s.arn, "Name": s.name, "GroupName": s.group, "State": s.doc["State"],
            "CreationDate": s.created, "LastModificationDate": s.modified,
            "Target": {"Arn": s.doc["Target"]["Arn"]},
        } for s in rows[:limit]]}
        if len(rows) > limit:
            last = rows[limit - 1]
            out["NextToken"] = _token([last.group, last.name])
        return out

    # -- schedule groups --------------------------------------------------------------------------------

    def create_schedule_group(self, ctx: RequestContext, params: dict) -> dict:
        name = v.name(params.get("Name"))
        tags = self._tags(params.get("Tags") or [])
        now = self.clock.now()
        self.store.ensure_default(ctx.account, ctx.region, now)
        if self.store.group(ctx.account, ctx.region, name) is not None:
            raise v.conflict(f"Schedule group {name} already exists.")
        g = self.store.create_group(ctx.account, ctx.region, name, tags, now)
        return {"ScheduleGroupArn": g.arn}

    def get_schedule_group(self, ctx: RequestContext, params: dict) -> dict:
        return self._describe_group(self._group(ctx, v.name(params.get("Name"))))

    def delete_schedule_group(self, ctx: RequestContext, params: dict) -> dict:
        g = self._group(ctx, v.name(params.get("Name")))
        if g.name == DEFAULT_GROUP:
            raise v.invalid("Cannot delete the default schedule group.")
        with self.db.transaction():
            for s in self.store.delete_group(g):
                self.scheduler.cancel(FIRE, s.key)
        return {}

    def list_schedule_groups(self, ctx: RequestContext, params: dict) -> dict:
        limit = _max_results(params)
        prefix = v.string(params.get("NamePrefix"), "namePrefix", hi=64, pattern=v.NAME) or ""
        after = _untoken(params["NextToken"]) if params.get("NextToken") else ""
        if not isinstance(after, str):
            raise v.invalid("Invalid NextToken.")
        self.store.ensure_default(ctx.account, ctx.region, self.clock.now())
        rows = self.store.groups(ctx.account, ctx.region, prefix, after, limit + 1)
        out = {"ScheduleGroups": [self._describe_group(g) for g in rows[:limit]]}
        if len(rows) > limit:
            out["NextToken"] = _token(rows[limit - 1].name)
        return out

    # -- tags (schedule groups are what Scheduler tags) ----------------------------------------------------

    def list_tags_for_resource(self, ctx: RequestContext, params: dict) -> dict:
        return {"Tags": self._tagged(ctx, params).tags}

    def tag_resource(self, ctx: RequestContext, params: dict) -> dict:
        g = self._tagged(ctx, params)
        merged = merge_tags(g.tags, self._tags(params.get("Tags") or []))
        if len(merged) > 200:
            raise v.invalid("A resource can have at most 200 tags.")
        self.store.set_tags(g, merged)
        return {}

    def untag_resource(self, ctx: RequestContext, params: dict) -> dict:
        g = self._tagged(ctx, params)
        gone = set(params.get("TagKeys") or [])
        self.store.set_tags(g, [t for t in g.tags if t["Key"] not in gone])
        return {}

    # -- helpers ----------------------------------------------------------------------------------------

    def _group(self, ctx: RequestContext, name: str) -> Group:
        v.string(name, "groupName", hi=64, pattern=v.NAME)
        if name == DEFAULT_GROUP:
            self.store.ensure_default(ctx.account, ctx.region, self.clock.now())
        g = self.store.group(ctx.account, ctx.region, name)
        if g is None:
            raise v.not_found(f"Schedule group {name} does not exist.")
        return g

    def _schedule(self, ctx: RequestContext, params: dict) -> Schedule:
        name = v.name(params.get("Name"))
        group = params.get("GroupName") or DEFAULT_GROUP
        v.string(group, "groupName", hi=64, pattern=v.NAME)
        s = self.store.schedule(ctx.account, ctx.region, group, name)
        if s is None:
            raise v.not_found(f"Schedule {name} does not exist.")
        return s

    def _tagged(self, ctx: RequestContext, params: dict) -> Group:
        arn = v.string(params.get("ResourceArn"), "resourceArn", hi=1011, required=True)
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[2] != "scheduler" or not parts[5].startswith("schedule-group/"):
            raise v.not_found(f"Resource {arn} does not exist.")
        g = self.store.group(parts[4], parts[3], parts[5].split("/", 1)[1])
        if g is None or (g.account, g.region) != (ctx.account, ctx.region):
            raise v.not_found(f"Schedule group {parts[5].split('/', 1)[1]} does not exist.")
        return g

    @staticmethod
    def _tags(tags: list) -> list:
        out = {}
        for i, t in enumerate(tags):
            key = v.string(t.get("Key"), f"tags.{i + 1}.member.key", hi=128, required=True)
            out[key] = v.string(t.get("Value"), f"tags.{i + 1}.member.value", lo=0, hi=256, required=True)
        return [{"Key": k, "Value": val} for k, val in out.items()]

    def _validated(self, params: dict, now: float) -> dict:
        """The schedule's document as GetSchedule returns it (times in epoch seconds)."""
        expression = v.string(params.get("ScheduleExpression"), "scheduleExpression", hi=256, required=True)
        try:
            parse(expression, allow_at=True)
        except BadExpression:
            raise v.invalid(f"Invalid Schedule Expression {expression}.") from None
        tz = v.string(params.get("ScheduleExpressionTimezone"), "scheduleExpressionTimezone", hi=50)
        if tz is not None and not valid_timezone(tz):
            raise v.invalid(f"Invalid timezone {tz}.")
        start, end = v.epoch(params.get("StartDate")), v.epoch(params.get("EndDate"))
        if start is not None and start < now - START_DATE_SLACK:
            raise v.invalid("The StartDate you specify cannot be earlier than 5 minutes prior to the current time.")
        if end is not None and end <= now:
            raise v.invalid("The EndDate you specify cannot be earlier than the current time.")
        if start is not None and end is not None and end <= start:
            raise v.invalid("The StartDate must come before the EndDate.")
        doc = {
            "ScheduleExpression": expression,
            "FlexibleTimeWindow": v.flexible_window(params.get("FlexibleTimeWindow")),
            "Target": v.target(params.get("Target")),
            "State": v.string(params.get("State"), "state", enum=("ENABLED", "DISABLED")) or "ENABLED",
            "ActionAfterCompletion": v.string(params.get("ActionAfterCompletion"), "actionAfterCompletion",
                                              enum=("NONE", "DELETE")) or "NONE",
            # A rate without a StartDate counts from when it was set.
            "_anchor": now,
        }
        for key, value in (("ScheduleExpressionTimezone", tz), ("StartDate", start), ("EndDate", end),
                           ("Description", v.string(params.get("Description"), "description", lo=0, hi=512)),
                           ("KmsKeyArn", v.string(params.get("KmsKeyArn"), "kmsKeyArn", hi=2048,
                                                  pattern=v.KMS_ARN))):
            if value is not None:
                doc[key] = value
        return doc

    def _describe(self, s: Schedule) -> dict:
        out = {k: val for k, val in s.doc.items() if not k.startswith("_")}
        out.update({"Arn": s.arn, "Name": s.name, "GroupName": s.group, "CreationDate": s.created,
                    "LastModificationDate": s.modified})
        return out

    @staticmethod
    def _describe_group(g: Group) -> dict:
        return {"Arn": g.arn, "Name": g.name, "State": "ACTIVE", "CreationDate": g.created,
                "LastModificationDate": g.modified}

    # -- when -----------------------------------------------------------------------------------------------

    @staticmethod
    def _next_nominal(doc: dict, after: float, inclusive: bool = False) -> float | None:
        """The first occurrence after ``after`` (at or after, when ``inclusive``) within Start/EndDate."""
        sched = parse(doc["ScheduleExpression"], allow_at=True)
        tz = doc.get("ScheduleExpressionTimezone") or "UTC"
        t = after - 1e-6 if inclusive else after
        if sched.one_time:
            # Start and end dates do not apply to a one-time schedule.
            return sched.next_after(t, tz)
        start, end = doc.get("StartDate"), doc.get("EndDate")
        if isinstance(sched, Rate):
            nxt = sched.next_after(t, tz, start=start if start is not None else doc["_anchor"])
        else:
            nxt = sched.next_after(t, tz, start=start)
        if nxt is not None and end is not None and nxt >= end:
            return None
        return nxt

    @staticmethod
    def _window(doc: dict) -> float:
        w = doc["FlexibleTimeWindow"]
        return 60.0 * w["MaximumWindowInMinutes"] if w["Mode"] == "FLEXIBLE" else 0.0

    def _due(self, s: Schedule, nominal: float) -> float:
        """When an occurrence fires: on time, or at a fixed point inside its flexible window."""
        window = self._window(s.doc)
        if not window:
            return nominal
        digest = hashlib.sha256(f"{s.arn}@{nominal}".encode()).digest()
        return nominal + int.from_bytes(digest[:8], "big") % int(window)

    def _payload(self, s: Schedule, nominal: float, **more) -> dict:
        return {"a": s.account, "r": s.region, "g": s.group, "n": s.name, "c": s.created, "t": nominal, **more}

    def _arm(self, s: Schedule, nominal: float | None) -> None:
        self.store.set_next(s, nominal)
        if nominal is None:
            self.scheduler.cancel(FIRE, s.key)
        else:
            self.scheduler.at(self._due(s, nominal), FIRE, self._payload(s, nominal), key=s.key)

    def _arm_first(self, s: Schedule, now: float) -> None:
        if s.doc["State"] != "ENABLED":
            self._arm(s, None)
            return
        # A rate without a StartDate starts at once; the rest at their first occurrence from now.
        immediate = isinstance(parse(s.doc["ScheduleExpression"], allow_at=True), Rate)
        self._arm(s, self._next_nominal(s.doc, now, inclusive=immediate))

    def _current(self, payload: dict) -> Schedule | None:
        s = self.store.schedule(payload["a"], payload["r"], payload["g"], payload["n"])
        if s is None or s.created != payload["c"]:
            return None
        return s

    # -- firing ---------------------------------------------------------------------------------------------

    async def _fire(self, payload: dict) -> None:
        s = self._current(payload)
        nominal = payload["t"]
        if s is None or s.doc["State"] != "ENABLED" or s.next_nominal != nominal:
            return
        # Re-arm first. Occurrences missed while nubis was down are not made up: one run, then on.
        now = self.clock.now()
        with self.db.transaction():
            self._arm(s, self._next_nominal(s.doc, max(nominal, now - self._window(s.doc))))
        await self._attempt(s, nominal, 0)

    async def _retry(self, payload: dict) -> None:
        s = self._current(payload)
        if s is not None:
            await self._attempt(s, payload["t"], payload["n_attempt"])

    async def _attempt(self, s: Schedule, nominal: float, attempt: int) -> None:
        target = s.doc["Target"]
        execution_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{s.arn}@{nominal}"))
        text = targets.with_context(target.get("Input") or "{}", {
            "schedule-arn": s.arn, "scheduled-time": targets.scheduled_time(nominal),
            "execution-id": execution_id, "attempt-number": str(attempt + 1)})
        try:
            await targets.invoke(self, s.account, s.region, target, text, execution_id)
        except targets.TargetFailed as e:
            policy = target["RetryPolicy"]
            now = self.clock.now()
            delay = min(MAX_BACKOFF, MIN_BACKOFF * 2 ** attempt)
            if e.retryable:
                if attempt >= policy["MaximumRetryAttempts"]:
                    exhausted = "MaximumRetryAttempts"
                elif now + delay - nominal > policy["MaximumEventAgeInSeconds"]:
                    exhausted = "MaximumEventAgeInSeconds"
                else:
                    self.scheduler.at(now + delay, RETRY, self._payload(s, nominal, n_attempt=attempt + 1),
                                      key=f"{s.key}@{nominal}")
                    return
            else:
                exhausted = None
            await targets.dead_letter(self, s.account, s.region, s.arn, target, text, e, attempt, execution_id,
                                      exhausted)
        self._completed(s)

    def _completed(self, s: Schedule) -> None:
        """A schedule with nothing left to run and ActionAfterCompletion DELETE goes."""
        current = self.store.schedule(s.account, s.region, s.group, s.name)
        if (current is not None and current.created == s.created and current.next_nominal is None
                and current.doc["State"] == "ENABLED" and current.doc.get("ActionAfterCompletion") == "DELETE"):
            self.store.delete(current)
