"""EventBridge Scheduler's tables: schedule groups and schedules.

A schedule is one row: its API fields as a JSON document (what GetSchedule
returns, times as epoch seconds) and the nominal time of its next occurrence,
for which a durable ``scheduler:fire`` timer is armed.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from ...state.db import Database

DEFAULT_GROUP = "default"

MIGRATIONS = ["""
CREATE TABLE scheduler_groups (
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    name TEXT NOT NULL,
    tags TEXT NOT NULL,
    created REAL NOT NULL,
    modified REAL NOT NULL,
    PRIMARY KEY (account, region, name)
);
CREATE TABLE scheduler_schedules (
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    group_name TEXT NOT NULL,
    name TEXT NOT NULL,
    doc TEXT NOT NULL,
    created REAL NOT NULL,
    modified REAL NOT NULL,
    next_nominal REAL,
    PRIMARY KEY (account, region, group_name, name)
);
"""]


@dataclass
class Group:
    account: str
    region: str
    name: str
    tags: list
    created: float
    modified: float

    @property
    def arn(self) -> str:
        return f"arn:aws:scheduler:{self.region}:{self.account}:schedule-group/{self.name}"


@dataclass
class Schedule:
    account: str
    region: str
    group: str
    name: str
    doc: dict
    created: float
    modified: float
    next_nominal: float | None = None

    @property
    def arn(self) -> str:
        return schedule_arn(self.account, self.region, self.group, self.name)

    @property
    def key(self) -> str:
        return f"{self.account}/{self.region}/{self.group}/{self.name}"


def schedule_arn(account: str, region: str, group: str, name: str) -> str:
    return f"arn:aws:scheduler:{region}:{account}:schedule/{group}/{name}"


class SchedulerStore:
    def __init__(self, db: Database):
        self.db = db

    # -- groups -------------------------------------------------------------------------------------

    def ensure_default(self, account: str, region: str, now: float) -> None:
        """Every account has the ``default`` group in every region, from its first use."""
        self.db.execute(
            "INSERT INTO scheduler_groups(account, region, name, tags, created, modified) VALUES (?, ?, ?, '[]', ?, ?) "
            "ON CONFLICT DO NOTHING", (account, region, DEFAULT_GROUP, now, now))

    def group(self, account: str, region: str, name: str) -> Group | None:
        r = self.db.query_one("SELECT account, region, name, tags, created, modified FROM scheduler_groups "
                              "WHERE account = ? AND region = ? AND name = ?", (account, region, name))
        return None if r is None else Group(r[0], r[1], r[2], json.loads(r[3]), r[4], r[5])

    def groups(self, account: str, region: str, prefix: str, after: str, limit: int) -> list[Group]:
        rows = self.db.query(
            "SELECT account, region, name, tags, created, modified FROM scheduler_groups "
            "WHERE account = ? AND region = ? AND substr(name, 1, ?) = ? AND name > ? ORDER BY name LIMIT ?",
            (account, region, len(prefix), prefix, after, limit))
        return [Group(r[0], r[1], r[2], json.loads(r[3]), r[4], r[5]) for r in rows]

    def create_group(self, account: str, region: str, name: str, tags: list, now: float) -> Group:
        self.db.execute("INSERT INTO scheduler_groups(account, region, name, tags, created, modified) "
                        "VALUES (?, ?, ?, ?, ?, ?)", (account, region, name, json.dumps(tags), now, now))
        return Group(account, region, name, tags, now, now)

    def set_tags(self, g: Group, tags: list) -> None:
        self.db.execute("UPDATE scheduler_groups SET tags = ? WHERE account = ? AND region = ? AND name = ?",
                        (json.dumps(tags), g.account, g.region, g.name))

    def delete_group(self, g: Group) -> list[Schedule]:
        """Delete the group and its schedules; return the schedules (to cancel their timers)."""
        gone = self.schedules(g.account, g.region, group=g.name)
        with self.db.transaction():
            self.db.execute("DELETE FROM scheduler_schedules WHERE account = ? AND region = ? AND group_name = ?",
                            (g.account, g.region, g.name))
            self.db.execute("DELETE FROM scheduler_groups WHERE account = ? AND region = ? AND name = ?",
                            (g.account, g.region, g.name))
        return gone

    # -- schedules ------------------------------------------------------------------------------------

    _COLUMNS = "account, region, group_name, name, doc, created, modified, next_nominal"

    def _schedule(self, r) -> Schedule:
        return Schedule(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5], r[6], r[7])

    def schedule(self, account: str, region: str, group: str, name: str) -> Schedule | None:
        r = self.db.query_one(f"SELECT {self._COLUMNS} FROM scheduler_schedules "
                              "WHERE account = ? AND region = ? AND group_name = ? AND name = ?",
                              (account, region, group, name))
        return None if r is None else self._schedule(r)

    def schedules(self, account: str, region: str, group: str | None = None, prefix: str = "",
                  state: str | None = None, after: tuple[str, str] = ("", ""), limit: int = -1) -> list[Schedule]:
        sql = (f"SELECT {self._COLUMNS} FROM scheduler_schedules WHERE account = ? AND region = ? "
               "AND substr(name, 1, ?) = ? AND (group_name, name) > (?, ?)")
        args: list = [account, region, len(prefix), prefix, after[0], after[1]]
        if group is not None:
            sql += " AND group_name = ?"
            args.append(group)
        if state is not None:
            sql += " AND json_extract(doc, '$.State') = ?"
            args.append(state)
        sql += " ORDER BY group_name, name LIMIT ?"
        args.append(limit)
        return [self._schedule(r) for r in self.db.query(sql, tuple(args))]

    def put(self, s: Schedule) -> None:
        self.db.execute(
            f"INSERT INTO scheduler_schedules({self._COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(account, region, group_name, name) DO UPDATE SET doc = excluded.doc, "
            "modified = excluded.modified, next_nominal = excluded.next_nominal",
            (s.account, s.region, s.group, s.name, json.dumps(s.doc), s.created, s.modified, s.next_nominal))

    def set_next(self, s: Schedule, nominal: float | None) -> None:
        s.next_nominal = nominal
        self.db.execute("UPDATE scheduler_schedules SET next_nominal = ? "
                        "WHERE account = ? AND region = ? AND group_name = ? AND name = ?",
                        (nominal, s.account, s.region, s.group, s.name))

    def delete(self, s: Schedule) -> None:
        self.db.execute("DELETE FROM scheduler_schedules WHERE account = ? AND region = ? AND group_name = ? "
                        "AND name = ?", (s.account, s.region, s.group, s.name))
