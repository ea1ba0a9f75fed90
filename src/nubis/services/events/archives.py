"""EventBridge archives and replays: every event put on a bus that an archive's pattern matches
is kept (for ``RetentionDays`` on the controllable clock, or indefinitely); a replay puts a time
window of them back on the bus, to all its rules or those in ``FilterArns``, with
``replay-name`` added. A replay is STARTING, then (a second later on the clock) RUNNING while
its deliveries are scheduled, then COMPLETED.
"""
from __future__ import annotations

import json
import re

from ...protocol.errors import ServiceError
from ..base import RequestContext
from . import store as S
from .common import BUS_ARN, epoch, event_time, exists, not_found, page, public, resume_after, validation
from .routing import compiled

REPLAY_KIND = "events:replay"
RETENTION_KIND = "events:retention"
ARCHIVE_NAME = re.compile(r"^[.\-_A-Za-z0-9]{1,48}$")


class Archives:
    """The archive and replay operations of the EventBridge provider."""

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
                                   resume_after(params.get("NextToken")))
        if params.get("EventSourceArn"):
            archives = [a for a in archives if a["EventSourceArn"] == params["EventSourceArn"]]
        if params.get("State"):
            archives = [a for a in archives if a["State"] == params["State"]]
        out = []
        for a in archives:
            count, size = self.store.archive_stats(a["ArchiveArn"])
            out.append({k: a[k] for k in ("ArchiveName", "EventSourceArn", "State", "StateReason", "RetentionDays",
                                          "CreationTime") if k in a} | {"EventCount": count, "SizeBytes": size})
        items, token = page(out, params.get("Limit"), "ArchiveName")
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
                last = event_time(event, now)
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
                                  resume_after(params.get("NextToken")))
        if params.get("State"):
            replays = [r for r in replays if r["State"] == params["State"]]
        if params.get("EventSourceArn"):
            replays = [r for r in replays if r["EventSourceArn"] == params["EventSourceArn"]]
        keys = ("ReplayName", "EventSourceArn", "State", "StateReason", "EventStartTime", "EventEndTime",
                "EventLastReplayedTime", "ReplayStartTime", "ReplayEndTime")
        items, token = page([{k: r[k] for k in keys if k in r} for r in replays], params.get("Limit"), "ReplayName")
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
