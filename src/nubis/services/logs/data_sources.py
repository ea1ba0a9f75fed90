"""Data sources: how log groups are categorized by the service and log type that write them
(ListAggregateLogGroupSummaries, GetLogFields).

AWS discovers a group's data source from vended logs (VPC flow logs, CloudTrail, ...) and from
CloudWatch pipelines. nubis has neither, so it discovers none: every log group is of the data
source ``unknown`` (type ``unknown``, format ``unknown``), and no data source has a discovered
schema for GetLogFields to give. A mixin of ``LogsProvider``.
"""
from __future__ import annotations

import re

from ...protocol.errors import ServiceError
from . import validation as v

UNKNOWN = "unknown"
GROUP_BY = ("DATA_SOURCE_NAME_TYPE_AND_FORMAT", "DATA_SOURCE_NAME_AND_TYPE")
NAME_PATTERN = re.compile(r"(\^?[\.\-_\/#A-Za-z0-9]{3,24})(\|\^?[\.\-_\/#A-Za-z0-9]{3,24}){0,4}")


class DataSources:
    def list_aggregate_log_group_summaries(self, ctx, params: dict) -> dict:
        group_by = v.one_of(params, "groupBy", GROUP_BY)
        if group_by is None:
            raise v.bad_value("null", "groupBy", "Member must not be null")
        cls = v.one_of(params, "logGroupClass", v.GROUP_CLASSES)
        pattern = v.text(params, "logGroupNamePattern", 3, 129, NAME_PATTERN, optional=True)
        accounts = params.get("accountIdentifiers")
        if accounts is not None and len(accounts) > 20:
            raise v.bad_value(accounts, "accountIdentifiers", "Member must have length less than or equal to 20")
        filters = params.get("dataSources")
        if filters is not None:
            if not 1 <= len(filters) <= 5:
                raise v.bad_value(filters, "dataSources", "Member must have length between 1 and 5")
            for f in filters:
                v.text(f, "name", 1)
                if f.get("type") is not None:
                    v.text(f, "type", 1)
        groups = self.store.groups_in(ctx.account, ctx.region)
        if params.get("includeLinkedAccounts") and accounts and ctx.account not in accounts:
            groups = []  # nubis links no source accounts: only the caller's own groups can be asked for
        if cls is not None:
            groups = [g for g in groups if g.cls == cls]
        if pattern is not None:
            rx = re.compile(pattern)  # ^ for a prefix, | for alternatives, a case-sensitive search
            groups = [g for g in groups if rx.search(g.name)]
        if filters is not None and not any(f["name"] == UNKNOWN and f.get("type") in (None, UNKNOWN)
                                           for f in filters):
            groups = []
        summaries = []
        if groups:
            keys = [("dataSource.Name", UNKNOWN), ("dataSource.Type", UNKNOWN)]
            if group_by == "DATA_SOURCE_NAME_TYPE_AND_FORMAT":
                keys.append(("dataSource.Format", UNKNOWN))
            summaries.append({"logGroupCount": len(groups),
                              "groupingIdentifiers": [{"key": k, "value": val} for k, val in keys]})
        page, token = v.page(summaries, params, 50, 50)
        out: dict = {"aggregateLogGroupSummaries": page}
        if token is not None:
            out["nextToken"] = token
        return out

    def get_log_fields(self, ctx, params: dict) -> dict:
        name, kind = v.required(params, "dataSourceName"), v.required(params, "dataSourceType")
        raise ServiceError("ResourceNotFoundException",
                           f"No log fields were discovered for data source {name} of type {kind}.")
