"""CloudWatch Contributor Insights for DynamoDB: whether a table (or one of its
global secondary indexes) reports its most accessed and most throttled keys.

The setting is part of the table's definition (``ContributorInsights``: one
entry per table or index, keyed by index name, "" for the table), so that it
goes with the table and survives a restart. An entry keeps the last action,
its mode and when it was asked for; the status is read from the clock: ENABLE
answers ENABLING and is ENABLED ``SETTLE`` seconds later, DISABLE answers
DISABLING and is DISABLED then, as DynamoDB reports the change while it sets
up (or removes) the CloudWatch rules.

nubis does not compute top-N contributors and makes no CloudWatch rules, so
``ContributorInsightsRuleList`` is always empty.
"""
from __future__ import annotations

import base64
import json

from ...protocol.errors import ServiceError
from ..base import RequestContext
from .tables import Table, one_of, require, validation

SETTLE = 1.0
MODES = ("ACCESSED_AND_THROTTLED_KEYS", "THROTTLED_KEYS")
MAX_RESULTS = 100


def _index_not_found(index: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", f"Requested resource not found: Index: {index} not found")


class ContributorInsights:
    """Operations of the DynamoDB provider (a mixin: ``self`` is the provider)."""

    def _insights_target(self, ctx: RequestContext, params: dict) -> tuple[Table, str | None]:
        t = self._table(ctx, params.get("TableName"), described=True)
        index = params.get("IndexName")
        # Contributor Insights covers a table and its global secondary indexes only.
        if index is not None and index not in {ix["IndexName"] for ix in t.definition.get("GlobalSecondaryIndexes")
                                               or ()}:
            raise _index_not_found(index)
        return t, index

    def _insights_status(self, entry: dict | None) -> str:
        if entry is None:
            return "DISABLED"
        settled = self.clock.now() >= entry["At"] + SETTLE
        if entry["Action"] == "ENABLE":
            return "ENABLED" if settled else "ENABLING"
        return "DISABLED" if settled else "DISABLING"

    def _insights_summary(self, t: Table, index: str | None, entry: dict | None) -> dict:
        out = {"TableName": t.name}
        if index is not None:
            out["IndexName"] = index
        out["ContributorInsightsStatus"] = self._insights_status(entry)
        if entry is not None and entry["Action"] == "ENABLE":
            out["ContributorInsightsMode"] = entry["Mode"]
        return out

    def update_contributor_insights(self, ctx: RequestContext, params: dict) -> dict:
        t, index = self._insights_target(ctx, params)
        action = require(params.get("ContributorInsightsAction"), "contributorInsightsAction")
        one_of(action, "contributorInsightsAction", ("ENABLE", "DISABLE"))
        mode = params.get("ContributorInsightsMode")
        one_of(mode, "contributorInsightsMode", MODES)
        if mode is not None and action == "DISABLE":
            raise validation("ContributorInsightsMode can only be specified when ContributorInsightsAction is "
                             "ENABLE")
        entries = t.definition.get("ContributorInsights") or {}
        current = entries.get(index or "")
        if action == "ENABLE":
            mode = mode or (current or {}).get("Mode") or MODES[0]
            # Asking again for what is (being) done already changes nothing.
            if current is None or current["Action"] != "ENABLE" or current["Mode"] != mode:
                entries[index or ""] = {"Action": "ENABLE", "Mode": mode, "At": self.clock.now()}
                t.definition["ContributorInsights"] = entries
                self._save(t)
        elif current is not None and current["Action"] == "ENABLE":
            entries[index or ""] = {"Action": "DISABLE", "Mode": current["Mode"], "At": self.clock.now()}
            t.definition["ContributorInsights"] = entries
            self._save(t)
        return self._insights_summary(t, index, entries.get(index or ""))

    def describe_contributor_insights(self, ctx: RequestContext, params: dict) -> dict:
        t, index = self._insights_target(ctx, params)
        entry = (t.definition.get("ContributorInsights") or {}).get(index or "")
        out = self._insights_summary(t, index, entry)
        if entry is not None:
            out["LastUpdateDateTime"] = entry["At"]
            if entry["Action"] == "ENABLE":
                out["ContributorInsightsRuleList"] = []  # no rules: nothing is analysed (above)
        return out

    def list_contributor_insights(self, ctx: RequestContext, params: dict) -> dict:
        limit = params.get("MaxResults")
        if limit is not None and not 1 <= limit <= MAX_RESULTS:
            bound = "greater than or equal to 1" if limit < 1 else f"less than or equal to {MAX_RESULTS}"
            raise validation(f"1 validation error detected: Value '{limit}' at 'maxResults' failed to satisfy "
                             f"constraint: Member must have value {bound}")
        limit = limit or MAX_RESULTS
        after = None
        if params.get("NextToken"):
            try:
                after = tuple(json.loads(base64.urlsafe_b64decode(params["NextToken"].encode())))
            except (ValueError, TypeError):
                after = None
            if after is None or len(after) != 2 or not all(isinstance(v, str) for v in after):
                raise validation("Invalid NextToken")
        if params.get("TableName") is not None:
            # One table: the table and each of its global secondary indexes, whatever their status.
            t = self._table(ctx, params["TableName"], described=True)
            rows = [(t.name, name, t) for name in self._insights_names(t)]
        else:
            # Every table: those whose Contributor Insights is on, or being turned on or off.
            rows = []
            for (account, region, _), t in sorted(self.tables.items()):
                if account != ctx.account or region != ctx.region:
                    continue
                entries = t.definition.get("ContributorInsights") or {}
                rows += [(t.name, name, t) for name in self._insights_names(t)
                         if self._insights_status(entries.get(name)) != "DISABLED"]
        if after is not None:
            rows = [r for r in rows if (r[0], r[1]) > after]
        out: dict = {"ContributorInsightsSummaries": [
            self._insights_summary(t, name or None, (t.definition.get("ContributorInsights") or {}).get(name))
            for _, name, t in rows[:limit]]}
        if len(rows) > limit:
            last = rows[limit - 1]
            out["NextToken"] = base64.urlsafe_b64encode(json.dumps([last[0], last[1]]).encode()).decode()
        return out

    @staticmethod
    def _insights_names(t: Table) -> list[str]:
        """"" (the table) and the names of its global secondary indexes, in order."""
        return [""] + sorted(ix["IndexName"] for ix in t.definition.get("GlobalSecondaryIndexes") or ())
