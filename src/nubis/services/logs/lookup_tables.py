"""Lookup tables: CSV reference data stored under a name (CreateLookupTable,
GetLookupTable, DescribeLookupTables, UpdateLookupTable, DeleteLookupTable).

The table's description is one stored document and its CSV body another, so
that describing the tables does not read their bodies. nubis's Logs Insights
does not yet join a query with a lookup table. A mixin of ``LogsProvider``.
"""
from __future__ import annotations

import csv
import io
import re

from ...protocol.errors import ServiceError
from . import validation as v

LOOKUP_TABLE, BODY = "lookup-table", "lookup-table-body"
NAME = re.compile(r"^[a-zA-Z0-9_]+$")
MAX_BODY = 10_485_760


def _parse(body: str) -> tuple[list[str], int]:
    """(the header's columns, the number of data rows) of a CSV body."""
    try:
        rows = [r for r in csv.reader(io.StringIO(body)) if r]
    except csv.Error as e:
        raise v.invalid(f"The tableBody is not valid CSV: {e}") from None
    if not rows:
        raise v.invalid("The tableBody must start with a header row of column names.")
    header = [c.strip() for c in rows[0]]
    if any(not c for c in header):
        raise v.invalid("Every column of the tableBody's header row must have a name.")
    if len(set(header)) != len(header):
        raise v.invalid("The column names of the tableBody's header row must be unique.")
    return header, len(rows) - 1


class LookupTables:
    def create_lookup_table(self, ctx, params: dict) -> dict:
        name = v.text(params, "lookupTableName", 1, 256, NAME)
        body = v.text(params, "tableBody", 1, MAX_BODY)
        description = v.text(params, "description", 0, 1024, optional=True)
        kms = v.text(params, "kmsKeyId", 0, 256, optional=True)
        tags = v.tags(params.get("tags"))
        fields, records = _parse(body)
        if self.store.config(ctx.account, ctx.region, LOOKUP_TABLE, name) is not None:
            raise v.already_exists("lookup table")
        now = self._now()
        table = {"lookupTableArn": f"arn:aws:logs:{ctx.region}:{ctx.account}:{LOOKUP_TABLE}:{name}",
                 "lookupTableName": name, "tableFields": fields, "recordsCount": records,
                 "sizeBytes": len(body.encode()), "lastUpdatedTime": now, "createdAt": now, "tags": tags}
        if description is not None:
            table["description"] = description
        if kms:
            table["kmsKeyId"] = kms
        with self.db.transaction():
            self.store.put_config(ctx.account, ctx.region, LOOKUP_TABLE, name, table, now)
            self.store.put_config(ctx.account, ctx.region, BODY, name, {"tableBody": body}, now)
        return {"lookupTableArn": table["lookupTableArn"], "createdAt": now}

    def get_lookup_table(self, ctx, params: dict) -> dict:
        name, table = self._lookup_table(ctx, params)
        body = self.store.config(ctx.account, ctx.region, BODY, name)["tableBody"]
        out = {k: table[k] for k in ("lookupTableArn", "lookupTableName", "description", "sizeBytes",
                                     "lastUpdatedTime", "kmsKeyId") if k in table}
        out["tableBody"] = body
        return out

    def describe_lookup_tables(self, ctx, params: dict) -> dict:
        prefix = v.text(params, "lookupTableNamePrefix", 1, 256, NAME, optional=True) or ""
        tables = [t for t in self.store.configs(ctx.account, ctx.region, LOOKUP_TABLE)
                  if t["lookupTableName"].startswith(prefix)]
        items, token = v.page(tables, params, 50, 100, limit_member="maxResults")
        out: dict = {"lookupTables": [{k: val for k, val in t.items() if k not in ("tags", "createdAt")}
                                      for t in items]}
        if token is not None:
            out["nextToken"] = token
        return out

    def update_lookup_table(self, ctx, params: dict) -> dict:
        name, table = self._lookup_table(ctx, params)
        body = v.text(params, "tableBody", 1, MAX_BODY)
        table["tableFields"], table["recordsCount"] = _parse(body)
        table["sizeBytes"] = len(body.encode())
        description = v.text(params, "description", 0, 1024, optional=True)
        if description is not None:
            table["description"] = description
        kms = v.text(params, "kmsKeyId", 0, 256, optional=True)
        if kms is not None:
            # An empty string goes back to the AWS-owned key.
            if kms:
                table["kmsKeyId"] = kms
            else:
                table.pop("kmsKeyId", None)
        now = self._now()
        table["lastUpdatedTime"] = now
        with self.db.transaction():
            self.store.put_config(ctx.account, ctx.region, LOOKUP_TABLE, name, table, now)
            self.store.put_config(ctx.account, ctx.region, BODY, name, {"tableBody": body}, now)
        return {"lookupTableArn": table["lookupTableArn"], "lastUpdatedTime": now}

    def delete_lookup_table(self, ctx, params: dict) -> dict:
        name, _ = self._lookup_table(ctx, params)
        with self.db.transaction():
            self.store.delete_config(ctx.account, ctx.region, LOOKUP_TABLE, name)
            self.store.delete_config(ctx.account, ctx.region, BODY, name)
        return {}

    def _lookup_table(self, ctx, params: dict) -> tuple[str, dict]:
        arn = v.text(params, "lookupTableArn", 1, 2048)
        parts = arn.split(":")
        if len(parts) != 7 or parts[0] != "arn" or parts[2] != "logs" or parts[5] != LOOKUP_TABLE:
            raise v.invalid(f"Invalid lookupTableArn: {arn}")
        table = None
        if (parts[4], parts[3]) == (ctx.account, ctx.region):
            table = self.store.config(ctx.account, ctx.region, LOOKUP_TABLE, parts[6])
        if table is None:
            raise ServiceError("ResourceNotFoundException", f"Lookup table {arn} does not exist.")
        return parts[6], table
