"""Step Functions' tables: state machines (with versions and aliases), activities,
executions (with the checkpoint a restart resumes from), history events, the
tokens of tasks waiting for a callback, and activity tasks not yet handed out.

Each row keeps its API fields as a JSON document; the columns beside it are
what queries filter and order on.
"""
from __future__ import annotations

import json

from ...state.db import Database

MIGRATIONS = ["""
CREATE TABLE sfn_machines (
    arn TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    kind TEXT NOT NULL,          -- machine | version | alias
    parent TEXT,                 -- a version's or alias's machine
    created REAL NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX sfn_machines_by_parent ON sfn_machines(parent, kind);
CREATE TABLE sfn_activities (
    arn TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    created REAL NOT NULL,
    doc TEXT NOT NULL
);
CREATE TABLE sfn_executions (
    arn TEXT PRIMARY KEY,
    machine TEXT NOT NULL,       -- the state machine's unqualified ARN
    started_by TEXT NOT NULL,    -- the ARN StartExecution named (machine, version or alias)
    status TEXT NOT NULL,
    started REAL NOT NULL,
    doc TEXT NOT NULL,
    checkpoint TEXT
);
CREATE INDEX sfn_executions_by_machine ON sfn_executions(machine, started);
CREATE INDEX sfn_executions_running ON sfn_executions(status);
CREATE TABLE sfn_history (
    execution TEXT NOT NULL,
    id INTEGER NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (execution, id)
);
CREATE TABLE sfn_tokens (
    token TEXT PRIMARY KEY,
    execution TEXT NOT NULL,
    activity TEXT,               -- set while an activity task waits for a worker
    created REAL NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX sfn_tokens_by_activity ON sfn_tokens(activity, created);
CREATE TABLE sfn_map_runs (
    arn TEXT PRIMARY KEY,
    execution TEXT NOT NULL,
    started REAL NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX sfn_map_runs_by_execution ON sfn_map_runs(execution, started);
"""]


class StepFunctionsStore:
    def __init__(self, db: Database):
        self.db = db

    # -- state machines, versions, aliases ------------------------------------------------------

    def machine(self, arn: str) -> dict | None:
        r = self.db.query_one("SELECT doc FROM sfn_machines WHERE arn = ?", (arn,))
        return None if r is None else json.loads(r[0])

    def put_machine(self, arn: str, account: str, region: str, kind: str, parent: str | None,
                    created: float, doc: dict) -> None:
        self.db.execute(
            "INSERT INTO sfn_machines(arn, account, region, kind, parent, created, doc) VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(arn) DO UPDATE SET doc = excluded.doc",
            (arn, account, region, kind, parent, created, json.dumps(doc)))

    def machines(self, account: str, region: str) -> list[dict]:
        rows = self.db.query("SELECT doc FROM sfn_machines WHERE account = ? AND region = ? AND kind = 'machine' "
                             "ORDER BY created, arn", (account, region))
        return [json.loads(r[0]) for r in rows]

    def children(self, parent: str, kind: str) -> list[dict]:
        rows = self.db.query("SELECT doc FROM sfn_machines WHERE parent = ? AND kind = ? ORDER BY created DESC, arn",
                             (parent, kind))
        return [json.loads(r[0]) for r in rows]

    def delete_machine(self, arn: str) -> None:
        self.db.execute("DELETE FROM sfn_machines WHERE arn = ?", (arn,))

    # -- activities ----------------------------------------------------------------------------

    def activity(self, arn: str) -> dict | None:
        r = self.db.query_one("SELECT doc FROM sfn_activities WHERE arn = ?", (arn,))
        return None if r is None else json.loads(r[0])

    def put_activity(self, arn: str, account: str, region: str, created: float, doc: dict) -> None:
        self.db.execute("INSERT INTO sfn_activities(arn, account, region, created, doc) VALUES (?, ?, ?, ?, ?) "
                        "ON CONFLICT(arn) DO UPDATE SET doc = excluded.doc",
                        (arn, account, region, created, json.dumps(doc)))

    def activities(self, account: str, region: str) -> list[dict]:
        rows = self.db.query("SELECT doc FROM sfn_activities WHERE account = ? AND region = ? ORDER BY created, arn",
                             (account, region))
        return [json.loads(r[0]) for r in rows]

    def delete_activity(self, arn: str) -> None:
        self.db.execute("DELETE FROM sfn_activities WHERE arn = ?", (arn,))

    # -- executions ---------------------------------------------------------------------------

    def execution(self, arn: str) -> dict | None:
        r = self.db.query_one("SELECT doc FROM sfn_executions WHERE arn = ?", (arn,))
        return None if r is None else json.loads(r[0])

    def put_execution(self, doc: dict) -> None:
        self.db.execute(
            "INSERT INTO sfn_executions(arn, machine, started_by, status, started, doc) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(arn) DO UPDATE SET status = excluded.status, doc = excluded.doc",
            (doc["executionArn"], doc["stateMachineArn"], doc.get("_startedBy") or doc["stateMachineArn"],
             doc["status"], doc["startDate"], json.dumps(doc)))

    def executions(self, machine: str | None = None, started_by: str | None = None,
                   status: str | None = None) -> list[dict]:
        sql, args = "SELECT doc FROM sfn_executions WHERE 1 = 1", []
        if machine is not None:
            sql += " AND machine = ?"
            args.append(machine)
        if started_by is not None:
            sql += " AND started_by = ?"
            args.append(started_by)
        if status is not None:
            sql += " AND status = ?"
            args.append(status)
        sql += " ORDER BY started DESC, arn DESC"
        return [json.loads(r[0]) for r in self.db.query(sql, tuple(args))]

    def running(self) -> list[tuple[dict, dict | None]]:
        rows = self.db.query("SELECT doc, checkpoint FROM sfn_executions WHERE status = 'RUNNING'")
        return [(json.loads(r[0]), json.loads(r[1]) if r[1] else None) for r in rows]

    def checkpoint(self, arn: str) -> dict | None:
        r = self.db.query_one("SELECT checkpoint FROM sfn_executions WHERE arn = ?", (arn,))
        return json.loads(r[0]) if r and r[0] else None

    def set_checkpoint(self, arn: str, checkpoint: dict | None) -> None:
        self.db.execute("UPDATE sfn_executions SET checkpoint = ? WHERE arn = ?",
                        (None if checkpoint is None else json.dumps(checkpoint), arn))

    # -- history -------------------------------------------------------------------------------

    def add_event(self, execution: str, event: dict) -> None:
        self.db.execute("INSERT OR REPLACE INTO sfn_history(execution, id, doc) VALUES (?, ?, ?)",
                        (execution, event["id"], json.dumps(event)))

    def events(self, execution: str) -> list[dict]:
        rows = self.db.query("SELECT doc FROM sfn_history WHERE execution = ? ORDER BY id", (execution,))
        return [json.loads(r[0]) for r in rows]

    def truncate_events(self, execution: str, after_id: int) -> None:
        self.db.execute("DELETE FROM sfn_history WHERE execution = ? AND id > ?", (execution, after_id))

    # -- map runs ------------------------------------------------------------------------------

    def map_run(self, arn: str) -> dict | None:
        r = self.db.query_one("SELECT doc FROM sfn_map_runs WHERE arn = ?", (arn,))
        return None if r is None else json.loads(r[0])

    def put_map_run(self, doc: dict) -> None:
        self.db.execute("INSERT INTO sfn_map_runs(arn, execution, started, doc) VALUES (?, ?, ?, ?) "
                        "ON CONFLICT(arn) DO UPDATE SET doc = excluded.doc",
                        (doc["mapRunArn"], doc["executionArn"], doc["startDate"], json.dumps(doc)))

    def map_runs(self, execution: str) -> list[dict]:
        rows = self.db.query("SELECT doc FROM sfn_map_runs WHERE execution = ? ORDER BY started", (execution,))
        return [json.loads(r[0]) for r in rows]

    # -- task tokens ---------------------------------------------------------------------------

    def put_token(self, token: str, execution: str, activity: str | None, created: float, doc: dict) -> None:
        self.db.execute("INSERT OR REPLACE INTO sfn_tokens(token, execution, activity, created, doc) "
                        "VALUES (?, ?, ?, ?, ?)", (token, execution, activity, created, json.dumps(doc)))

    def token(self, token: str) -> tuple[str, str | None, dict] | None:
        r = self.db.query_one("SELECT execution, activity, doc FROM sfn_tokens WHERE token = ?", (token,))
        return None if r is None else (r[0], r[1], json.loads(r[2]))

    def tokens_of(self, execution: str) -> list[tuple[str, dict]]:
        rows = self.db.query("SELECT token, doc FROM sfn_tokens WHERE execution = ?", (execution,))
        return [(r[0], json.loads(r[1])) for r in rows]

    def take_activity_task(self, activity: str) -> tuple[str, dict] | None:
        r = self.db.query_one("SELECT token, doc FROM sfn_tokens WHERE activity = ? ORDER BY created LIMIT 1",
                              (activity,))
        if r is None:
            return None
        self.db.execute("UPDATE sfn_tokens SET activity = NULL WHERE token = ?", (r[0],))
        return r[0], json.loads(r[1])

    def delete_token(self, token: str) -> None:
        self.db.execute("DELETE FROM sfn_tokens WHERE token = ?", (token,))

    def delete_tokens_of(self, execution: str) -> None:
        self.db.execute("DELETE FROM sfn_tokens WHERE execution = ?", (execution,))
