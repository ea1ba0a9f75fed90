"""S3 Batch Operations' tables: a job, and one row per task (a manifest line).

A job's request members are kept as JSON (timestamps tagged so they come
back as datetimes); its progress counters are columns updated with the
tasks they count, in one transaction.
"""
from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass, field

MIGRATION = """
CREATE TABLE s3control_jobs (
    account TEXT NOT NULL,
    id TEXT NOT NULL,
    region TEXT NOT NULL,
    created REAL NOT NULL,
    status TEXT NOT NULL,
    priority INTEGER NOT NULL,
    confirmation INTEGER NOT NULL,
    request TEXT NOT NULL,
    token TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    total INTEGER,
    succeeded INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    active_since REAL,
    active_until REAL,
    terminated REAL,
    suspended REAL,
    suspended_cause TEXT,
    status_reason TEXT,
    failures TEXT NOT NULL DEFAULT '[]',
    generated_manifest TEXT,
    tags TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (account, id)
);
CREATE INDEX s3control_jobs_listing ON s3control_jobs(account, region, created);
CREATE UNIQUE INDEX s3control_jobs_token ON s3control_jobs(account, region, token);
CREATE TABLE s3control_job_tasks (
    account TEXT NOT NULL,
    job TEXT NOT NULL,
    seq INTEGER NOT NULL,
    bucket TEXT NOT NULL,
    key TEXT NOT NULL,
    version_id TEXT,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    http_status TEXT,
    error_code TEXT,
    message TEXT,
    PRIMARY KEY (account, job, seq)
);
"""

TERMINAL = ("Complete", "Cancelled", "Failed")


def _default(value):
    if isinstance(value, _dt.datetime):
        return {"__ts": value.timestamp()}
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", "replace")
    raise TypeError(f"cannot store {type(value).__name__}")


def _hook(d: dict):
    if len(d) == 1 and "__ts" in d:
        return _dt.datetime.fromtimestamp(d["__ts"], _dt.timezone.utc)
    return d


def dumps(value) -> str:
    return json.dumps(value, default=_default, sort_keys=True)


def loads(text: str | None):
    return json.loads(text, object_hook=_hook) if text else None


@dataclass(slots=True)
class Job:
    account: str
    id: str
    region: str
    created: float
    status: str
    priority: int
    confirmation: bool
    request: dict
    total: int | None = None
    succeeded: int = 0
    failed: int = 0
    active_since: float | None = None
    active_until: float | None = None
    terminated: float | None = None
    suspended: float | None = None
    suspended_cause: str | None = None
    status_reason: str | None = None
    failures: list = field(default_factory=list)
    generated_manifest: dict | None = None
    tags: list = field(default_factory=list)

    @property
    def arn(self) -> str:
        return f"arn:aws:s3:{self.region}:{self.account}:job/{self.id}"


def _job(r) -> Job:
    return Job(r["account"], r["id"], r["region"], r["created"], r["status"], r["priority"], bool(r["confirmation"]),
               loads(r["request"]), r["total"], r["succeeded"], r["failed"], r["active_since"], r["active_until"],
               r["terminated"], r["suspended"], r["suspended_cause"], r["status_reason"], json.loads(r["failures"]),
               loads(r["generated_manifest"]), json.loads(r["tags"]))


class JobStore:
    def __init__(self, db):
        self.db = db

    def add(self, job: Job, token: str, fingerprint: str) -> None:
        self.db.execute(
            "INSERT INTO s3control_jobs (account, id, region, created, status, priority, confirmation, request,"
            " token, fingerprint, tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (job.account, job.id, job.region, job.created, job.status, job.priority, int(job.confirmation),
             dumps(job.request), token, fingerprint, json.dumps(job.tags)))

    def get(self, account: str, job_id: str) -> Job | None:
        r = self.db.query_one("SELECT * FROM s3control_jobs WHERE account = ? AND id = ?", (account, job_id))
        return _job(r) if r else None

    def by_token(self, account: str, region: str, token: str):
        return self.db.query_one("SELECT id, fingerprint FROM s3control_jobs WHERE account = ? AND region = ?"
                                 " AND token = ?", (account, region, token))

    def page(self, account: str, region: str, statuses: list[str], before: int | None,
             limit: int) -> list[tuple[int, Job]]:
        """(sequence, job), newest first; ``before`` is the sequence of the last job of the previous page."""
        sql = "SELECT rowid AS seq, * FROM s3control_jobs WHERE account = ? AND region = ?"
        args: list = [account, region]
        if statuses:
            sql += f" AND status IN ({', '.join('?' for _ in statuses)})"
            args += statuses
        if before is not None:
            sql += " AND rowid < ?"
            args.append(before)
        sql += " ORDER BY rowid DESC LIMIT ?"
        args.append(limit)
        return [(r["seq"], _job(r)) for r in self.db.query(sql, args)]

    def update(self, job: Job, **fields) -> None:
        """Set ``fields`` (columns of the job) and mirror them on ``job``."""
        encoded = {k: (json.dumps(v) if k in ("failures", "tags") else dumps(v) if k == "generated_manifest"
                       else int(v) if isinstance(v, bool) else v) for k, v in fields.items()}
        self.db.execute(f"UPDATE s3control_jobs SET {', '.join(f'{k} = ?' for k in encoded)}"
                        " WHERE account = ? AND id = ?", (*encoded.values(), job.account, job.id))
        for k, v in fields.items():
            setattr(job, k, v)

    def unfinished(self) -> list[tuple[str, str]]:
        """(account, id) of the jobs the scheduler moves on: neither ended nor waiting for confirmation."""
        return [(r["account"], r["id"]) for r in self.db.query(
            "SELECT account, id FROM s3control_jobs WHERE status NOT IN ('Complete', 'Cancelled', 'Failed',"
            " 'Suspended')")]

    def delete(self, account: str, job_id: str) -> None:
        self.db.execute("DELETE FROM s3control_job_tasks WHERE account = ? AND job = ?", (account, job_id))
        self.db.execute("DELETE FROM s3control_jobs WHERE account = ? AND id = ?", (account, job_id))

    # -- tasks ------------------------------------------------------------------------------

    def add_tasks(self, job: Job, tasks: list[tuple[str, str, str | None]]) -> None:
        self.db.executemany(
            "INSERT INTO s3control_job_tasks (account, job, seq, bucket, key, version_id) VALUES (?, ?, ?, ?, ?, ?)",
            [(job.account, job.id, i, b, k, v) for i, (b, k, v) in enumerate(tasks)])

    def pending(self, job: Job, limit: int):
        return self.db.query("SELECT * FROM s3control_job_tasks WHERE account = ? AND job = ? AND status = 'pending'"
                             " ORDER BY seq LIMIT ?", (job.account, job.id, limit))

    def finish_task(self, job: Job, seq: int, status: str, http_status: str, error_code: str, message: str) -> None:
        self.db.execute("UPDATE s3control_job_tasks SET status = ?, attempts = attempts + 1, http_status = ?,"
                        " error_code = ?, message = ? WHERE account = ? AND job = ? AND seq = ?",
                        (status, http_status, error_code, message, job.account, job.id, seq))

    def retry_task(self, job: Job, seq: int) -> None:
        self.db.execute("UPDATE s3control_job_tasks SET attempts = attempts + 1 WHERE account = ? AND job = ?"
                        " AND seq = ?", (job.account, job.id, seq))

    def done_tasks(self, job: Job, status: str):
        return self.db.query("SELECT * FROM s3control_job_tasks WHERE account = ? AND job = ? AND status = ?"
                             " ORDER BY seq", (job.account, job.id, status))
