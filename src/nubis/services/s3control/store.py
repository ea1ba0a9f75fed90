"""S3 Control's tables: access points and the account-level public access block.

An access point is keyed by (account, region, name), as AWS names it; its
alias is unique everywhere, since it stands where a bucket name does.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from ...state.db import Database
from .access_grants import MIGRATION as ACCESS_GRANTS
from .job_store import MIGRATION as JOBS
from .object_lambda import MIGRATION as OBJECT_LAMBDA
from .storage_lens import MIGRATION as STORAGE_LENS

MIGRATIONS = ["""
CREATE TABLE s3control_access_points (
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    name TEXT NOT NULL,
    bucket TEXT NOT NULL,
    bucket_account TEXT NOT NULL,
    alias TEXT NOT NULL UNIQUE,
    vpc_id TEXT,
    public_access_block TEXT NOT NULL,
    created REAL NOT NULL,
    policy TEXT,
    tags TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (account, region, name)
);
CREATE INDEX s3control_access_points_bucket ON s3control_access_points(account, region, bucket, name);
CREATE TABLE s3control_public_access_blocks (
    account TEXT PRIMARY KEY,
    config TEXT NOT NULL
);
""", STORAGE_LENS, JOBS, ACCESS_GRANTS, OBJECT_LAMBDA]


@dataclass(slots=True)
class AccessPoint:
    account: str
    region: str
    name: str
    bucket: str
    bucket_account: str
    alias: str
    vpc_id: str | None
    public_access_block: dict
    created: float
    policy: str | None = None
    tags: list = field(default_factory=list)

    @property
    def arn(self) -> str:
        return f"arn:aws:s3:{self.region}:{self.account}:accesspoint/{self.name}"


def _row(r) -> AccessPoint:
    return AccessPoint(r["account"], r["region"], r["name"], r["bucket"], r["bucket_account"], r["alias"],
                       r["vpc_id"], json.loads(r["public_access_block"]), r["created"], r["policy"],
                       json.loads(r["tags"]))


class S3ControlStore:
    def __init__(self, db: Database):
        self.db = db

    # -- access points ----------------------------------------------------------------

    def add(self, ap: AccessPoint) -> None:
        self.db.execute(
            "INSERT INTO s3control_access_points (account, region, name, bucket, bucket_account, alias, vpc_id,"
            " public_access_block, created, policy, tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (ap.account, ap.region, ap.name, ap.bucket, ap.bucket_account, ap.alias, ap.vpc_id,
             json.dumps(ap.public_access_block), ap.created, ap.policy, json.dumps(ap.tags)))

    def get(self, account: str, region: str, name: str) -> AccessPoint | None:
        r = self.db.query_one("SELECT * FROM s3control_access_points WHERE account = ? AND region = ? AND name = ?",
                              (account, region, name))
        return _row(r) if r else None

    def by_alias(self, alias: str) -> AccessPoint | None:
        r = self.db.query_one("SELECT * FROM s3control_access_points WHERE alias = ?", (alias,))
        return _row(r) if r else None

    def alias_taken(self, alias: str) -> bool:
        return self.db.query_one("SELECT 1 FROM s3control_access_points WHERE alias = ?", (alias,)) is not None

    def page(self, account: str, region: str, bucket: str | None, after: str, limit: int) -> list[AccessPoint]:
        sql = "SELECT * FROM s3control_access_points WHERE account = ? AND region = ? AND name > ?"
        args: list = [account, region, after]
        if bucket is not None:
            sql += " AND bucket = ?"
            args.append(bucket)
        sql += " ORDER BY name LIMIT ?"
        args.append(limit)
        return [_row(r) for r in self.db.query(sql, args)]

    def delete(self, ap: AccessPoint) -> None:
        self.db.execute("DELETE FROM s3control_access_points WHERE account = ? AND region = ? AND name = ?",
                        (ap.account, ap.region, ap.name))

    def set_policy(self, ap: AccessPoint, policy: str | None) -> None:
        self.db.execute("UPDATE s3control_access_points SET policy = ? WHERE account = ? AND region = ? AND name = ?",
                        (policy, ap.account, ap.region, ap.name))

    def set_tags(self, ap: AccessPoint, tags: list) -> None:
        self.db.execute("UPDATE s3control_access_points SET tags = ? WHERE account = ? AND region = ? AND name = ?",
                        (json.dumps(tags), ap.account, ap.region, ap.name))

    # -- the account's public access block ----------------------------------------------

    def public_access_block(self, account: str) -> dict | None:
        r = self.db.query_one("SELECT config FROM s3control_public_access_blocks WHERE account = ?", (account,))
        return json.loads(r["config"]) if r else None

    def put_public_access_block(self, account: str, config: dict) -> None:
        self.db.execute("INSERT INTO s3control_public_access_blocks (account, config) VALUES (?, ?)"
                        " ON CONFLICT (account) DO UPDATE SET config = excluded.config", (account, json.dumps(config)))

    def delete_public_access_block(self, account: str) -> None:
        self.db.execute("DELETE FROM s3control_public_access_blocks WHERE account = ?", (account,))
