"""Scheduled queries: a Logs Insights query run on a schedule, its results
written to S3, each run kept in the query's history (CreateScheduledQuery,
GetScheduledQueryHistory and their companions).

A run is a durable timer on the controllable clock at the schedule's next
occurrence (``cron(...)`` or ``rate(...)``, as EventBridge writes them, in
the query's time zone, within scheduleStartTime and scheduleEndTime). It
runs the query as StartQuery does, over the ``startTimeOffset`` seconds
before the run (an hour when not given), so GetQueryResults answers for its
queryId, and with a destination it writes the results as JSON to
``<destination URI>/<name>/<queryId>.json`` through the internal client.
Only Logs Insights QL (CWLI) queries run in nubis. A mixin of ``LogsProvider``.
"""
from __future__ import annotations

import json
import re

from ...protocol.errors import ServiceError
from ..base import RequestContext
from ..events.schedule import BadExpression, Rate, parse, valid_timezone
from . import insights
from . import validation as v

SCHEDULED_QUERY = "scheduled-query"
RUN_KIND = "logs:scheduled-query"
NAME = re.compile(r"^[a-zA-Z0-9_\-/.#]+$")
IDENTIFIER = re.compile(r"[\w#+=/:,.@-]*")
S3_URI = re.compile(r"s3://[a-z0-9][\.\-a-z0-9]{1,61}[a-z0-9](/.*)?")
ACCOUNT_ID = re.compile(r"^\d{12}$")
LANGUAGES = ("CWLI", "SQL", "PPL")
STATES = ("ENABLED", "DISABLED")
STATUSES = ("Running", "InvalidQuery", "Complete", "Failed", "Timeout")
DEFAULT_LOOKBACK = 3600     # seconds, when startTimeOffset is not given
HISTORY_KEPT = 1000         # runs kept per query, the newest
PRINCIPAL = "logs.amazonaws.com"
SUMMARY = ("scheduledQueryArn", "name", "state", "lastTriggeredTime", "lastExecutionStatus", "scheduleExpression",
           "timezone", "destinationConfiguration", "creationTime", "lastUpdatedTime")


def _error(message: str) -> ServiceError:
    return ServiceError("ValidationException", message)


def _missing(identifier: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", f"Scheduled query {identifier} does not exist.")


class ScheduledQueries:
    def start_scheduled_queries(self) -> None:
        self.scheduler.on(RUN_KIND, self._run_scheduled_query)

    # -- operations ----------------------------------------------------------------------------

    def create_scheduled_query(self, ctx, params: dict) -> dict:
        name = v.text(params, "name", 1, 255, NAME)
        query = self._scheduled_query_settings(ctx, params)
        tags = v.tags(params.get("tags"))
        if self.store.config(ctx.account, ctx.region, SCHEDULED_QUERY, name) is not None:
            raise ServiceError("ConflictException", f"Scheduled query {name} already exists.")
        now = self._now()
        query.update({"scheduledQueryArn": f"arn:aws:logs:{ctx.region}:{ctx.account}:{SCHEDULED_QUERY}:{name}",
                      "name": name, "creationTime": now, "lastUpdatedTime": now, "tags": tags, "history": []})
        with self.db.transaction():
            self.store.put_config(ctx.account, ctx.region, SCHEDULED_QUERY, name, query, now)
            self._arm_scheduled_query(ctx.account, ctx.region, query)
        return {"scheduledQueryArn": query["scheduledQueryArn"], "state": query["state"]}

    def get_scheduled_query(self, ctx, params: dict) -> dict:
        return _public(self._scheduled_query(ctx, params))

    def list_scheduled_queries(self, ctx, params: dict) -> dict:
        state = v.one_of(params, "state", STATES)
        queries = [q for q in self.store.configs(ctx.account, ctx.region, SCHEDULED_QUERY)
                   if state is None or q["state"] == state]
        items, token = v.page(queries, params, 1000, 1000, limit_member="maxResults")
        out: dict = {"scheduledQueries": [{k: q[k] for k in SUMMARY if k in q} for q in items]}
        if token is not None:
            out["nextToken"] = token
        return out

    def update_scheduled_query(self, ctx, params: dict) -> dict:
        current = self._scheduled_query(ctx, params)
        query = self._scheduled_query_settings(ctx, params)
        # PUT semantics: what the update does not give is gone; identity, times and history stay.
        for k in ("scheduledQueryArn", "name", "creationTime", "tags", "history", "lastTriggeredTime",
                  "lastExecutionStatus"):
            if k in current:
                query[k] = current[k]
        query["lastUpdatedTime"] = self._now()
        with self.db.transaction():
            self.store.put_config(ctx.account, ctx.region, SCHEDULED_QUERY, query["name"], query, self._now())
            self._arm_scheduled_query(ctx.account, ctx.region, query)
        return _public(query)

    def delete_scheduled_query(self, ctx, params: dict) -> dict:
        query = self._scheduled_query(ctx, params)
        with self.db.transaction():
            self.store.delete_config(ctx.account, ctx.region, SCHEDULED_QUERY, query["name"])
            self.scheduler.cancel(RUN_KIND, _timer_key(ctx.account, ctx.region, query["name"]))
        return {}

    def get_scheduled_query_history(self, ctx, params: dict) -> dict:
        query = self._scheduled_query(ctx, params)
        start, end = v.required(params, "startTime"), v.required(params, "endTime")
        if end < start:
            raise _error("endTime must not be before startTime.")
        statuses = params.get("executionStatuses")
        for s in statuses or ():
            if s not in STATUSES:
                raise v.bad_value(s, "executionStatuses", f"Member must satisfy enum value set: "
                                  f"[{', '.join(STATUSES)}]")
        runs = [r for r in reversed(query["history"]) if start <= r["triggeredTimestamp"] <= end
                and (not statuses or r["executionStatus"] in statuses)]
        items, token = v.page(runs, params, 1000, 1000, limit_member="maxResults")
        out: dict = {"name": query["name"], "scheduledQueryArn": query["scheduledQueryArn"], "triggerHistory": items}
        if token is not None:
            out["nextToken"] = token
        return out

    # -- helpers -----------------------------------------------------------------------------------

    def _scheduled_query(self, ctx, params: dict) -> dict:
        ident = v.text(params, "identifier", 1, 2048, IDENTIFIER)
        name = ident
        if ident.startswith("arn:"):
            parts = ident.split(":", 6)
            if len(parts) != 7 or parts[5] != SCHEDULED_QUERY or (parts[4], parts[3]) != (ctx.account, ctx.region):
                raise _missing(ident)
            name = parts[6]
        query = self.store.config(ctx.account, ctx.region, SCHEDULED_QUERY, name)
        if query is None:
            raise _missing(ident)
        return query

    def _scheduled_query_settings(self, ctx, params: dict) -> dict:
        """The settings Create and Update take, checked."""
        language = v.one_of(params, "queryLanguage", LANGUAGES)
        if language is None:
            raise v.bad_value("null", "queryLanguage", "Member must not be null")
        if language != "CWLI":
            raise _error(f"nubis runs Logs Insights QL (CWLI) scheduled queries only, not {language}.")
        text = v.text(params, "queryString", 0, 10000)
        try:
            insights.compile(text)
        except (insights.QueryError, re.error) as e:
            raise _error(f"Invalid queryString: {e}") from None
        idents = params.get("logGroupIdentifiers")
        if not idents or len(idents) > 50:
            raise _error("logGroupIdentifiers must name 1 to 50 log groups.")
        for ident in idents:
            self._group_from_arn_or_name(ctx, ident.removesuffix(":*"))
        expression = v.text(params, "scheduleExpression", 1, 256)
        tz = params.get("timezone")
        if tz is not None and not valid_timezone(tz):
            raise _error(f"Invalid timezone: {tz}")
        try:
            parse(expression)
        except BadExpression:
            raise _error(f"Invalid scheduleExpression: {expression}") from None
        role = v.text(params, "executionRoleArn", 1)
        start, end = params.get("scheduleStartTime"), params.get("scheduleEndTime")
        if start is not None and end is not None and end <= start:
            raise _error("scheduleEndTime must be after scheduleStartTime.")
        offset = params.get("startTimeOffset")
        if offset is not None and offset < 0:
            raise _error("startTimeOffset must not be negative.")
        description = v.text(params, "description", 0, 1024, optional=True)
        query = {"queryLanguage": language, "queryString": text, "logGroupIdentifiers": list(idents),
                 "scheduleExpression": expression, "executionRoleArn": role,
                 "state": v.one_of(params, "state", STATES, "ENABLED")}
        for k, val in (("description", description), ("timezone", tz), ("startTimeOffset", offset),
                       ("scheduleStartTime", start), ("scheduleEndTime", end)):
            if val is not None:
                query[k] = val
        destination = params.get("destinationConfiguration")
        if destination is not None:
            s3 = v.required(destination, "s3Configuration")
            v.text(s3, "destinationIdentifier", 1, 1024, S3_URI)
            v.text(s3, "roleArn", 1)
            if s3.get("ownerAccountId") is not None:
                v.text(s3, "ownerAccountId", 12, 12, ACCOUNT_ID)
            query["destinationConfiguration"] = {"s3Configuration": dict(s3)}
        return query

    def _arm_scheduled_query(self, account: str, region: str, query: dict) -> None:
        """Set the timer of the query's next run (none while disabled or past its end)."""
        key = _timer_key(account, region, query["name"])
        nxt = self._next_run(query, self.clock.now()) if query["state"] == "ENABLED" else None
        if nxt is None:
            self.scheduler.cancel(RUN_KIND, key)
        else:
            self.scheduler.at(nxt, RUN_KIND, {"a": account, "r": region, "n": query["name"],
                                              "c": query["creationTime"], "t": nxt}, key=key)

    @staticmethod
    def _next_run(query: dict, after: float) -> float | None:
        sched = parse(query["scheduleExpression"])
        start = query.get("scheduleStartTime")
        end = query.get("scheduleEndTime")
        start_s = start / 1000 if start is not None else None
        if start_s is not None and after < start_s:
            after = start_s - 1e-6
        tz = query.get("timezone") or "UTC"
        nxt = sched.next_after(after, tz, start=start_s if isinstance(sched, Rate) else None)
        if nxt is None or (end is not None and nxt * 1000 > end):
            return None
        return nxt

    async def _run_scheduled_query(self, payload: dict) -> None:
        account, region, name = payload["a"], payload["r"], payload["n"]
        query = self.store.config(account, region, SCHEDULED_QUERY, name)
        if query is None or query["creationTime"] != payload["c"] or query["state"] != "ENABLED":
            return
        now_ms = self._now()
        ctx = RequestContext(service="logs", operation="StartQuery", account=account, region=region,
                             request_id="", principal=PRINCIPAL, internal=True)
        end_s = now_ms // 1000
        run: dict = {"triggeredTimestamp": now_ms}
        try:
            started = self.start_query(ctx, {
                "logGroupIdentifiers": query["logGroupIdentifiers"], "queryString": query["queryString"],
                "startTime": end_s - query.get("startTimeOffset", DEFAULT_LOOKBACK), "endTime": end_s})
            run.update(queryId=started["queryId"], executionStatus="Complete")
        except ServiceError as e:
            run.update(executionStatus="InvalidQuery" if e.code == "MalformedQueryException" else "Failed",
                       errorMessage=e.message)
        if run["executionStatus"] == "Complete" and "destinationConfiguration" in query:
            run["destinations"] = [await self._deliver_results(account, region, query, run["queryId"])]
        query = self.store.config(account, region, SCHEDULED_QUERY, name)
        if query is None:
            return
        query["history"] = (query["history"] + [run])[-HISTORY_KEPT:]
        query["lastTriggeredTime"], query["lastExecutionStatus"] = now_ms, run["executionStatus"]
        with self.db.transaction():
            self.store.put_config(account, region, SCHEDULED_QUERY, name, query, now_ms)
            self._arm_scheduled_query(account, region, query)

    async def _deliver_results(self, account: str, region: str, query: dict, query_id: str) -> dict:
        s3 = query["destinationConfiguration"]["s3Configuration"]
        uri = s3["destinationIdentifier"]
        bucket, _, prefix = uri[len("s3://"):].partition("/")
        key = "/".join(p for p in (prefix.strip("/"), query["name"], f"{query_id}.json") if p)
        row = self.store.query_row(account, region, query_id)
        body = json.dumps({"queryId": query_id, "results": json.loads(row[4]), "statistics": json.loads(row[5])})
        out = {"destinationType": "S3", "destinationIdentifier": uri}
        try:
            await self.internal.call("s3", "PutObject", {"Bucket": bucket, "Key": key, "Body": body.encode()},
                                     account=s3.get("ownerAccountId") or account, region=region, principal=PRINCIPAL)
        except ServiceError as e:
            out.update(status="CLIENT_ERROR" if e.status < 500 else "FAILED", errorMessage=e.message)
            return out
        out.update(status="COMPLETE", processedIdentifier=f"s3://{bucket}/{key}")
        return out


def _timer_key(account: str, region: str, name: str) -> str:
    return f"{account}:{region}:{name}"


def _public(query: dict) -> dict:
    return {k: val for k, val in query.items() if k not in ("tags", "history")}
