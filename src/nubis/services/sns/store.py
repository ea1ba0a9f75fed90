"""SNS's tables and the queries on them.

Attributes and tags are JSON documents in one column: SNS reads and writes them
whole, and no query filters on them.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

MIGRATIONS = [
    """
    CREATE TABLE sns_topics (
        arn TEXT PRIMARY KEY,
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        attributes TEXT NOT NULL,
        tags TEXT NOT NULL DEFAULT '{}',
        data_protection TEXT,
        seq INTEGER NOT NULL DEFAULT 0,
        created REAL NOT NULL
    );
    CREATE INDEX sns_topics_owner ON sns_topics(account, region, arn);

    CREATE TABLE sns_subscriptions (
        arn TEXT PRIMARY KEY,
        topic_arn TEXT NOT NULL,
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        protocol TEXT NOT NULL,
        endpoint TEXT NOT NULL,
        attributes TEXT NOT NULL,
        pending INTEGER NOT NULL,
        token TEXT,
        authenticated INTEGER NOT NULL DEFAULT 0,
        created REAL NOT NULL
    );
    CREATE INDEX sns_subscriptions_topic ON sns_subscriptions(topic_arn, arn);
    CREATE INDEX sns_subscriptions_owner ON sns_subscriptions(account, region, arn);
    CREATE INDEX sns_subscriptions_token ON sns_subscriptions(token);

    CREATE TABLE sns_fifo_dedup (
        topic_arn TEXT NOT NULL,
        dedup_id TEXT NOT NULL,
        message_id TEXT NOT NULL,
        seq TEXT NOT NULL,
        expires REAL NOT NULL,
        PRIMARY KEY (topic_arn, dedup_id)
    );

    CREATE TABLE sns_platform_apps (
        arn TEXT PRIMARY KEY,
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        platform TEXT NOT NULL,
        attributes TEXT NOT NULL
    );

    CREATE TABLE sns_endpoints (
        arn TEXT PRIMARY KEY,
        app_arn TEXT NOT NULL,
        token TEXT NOT NULL,
        attributes TEXT NOT NULL
    );
    CREATE INDEX sns_endpoints_app ON sns_endpoints(app_arn, arn);

    CREATE TABLE sns_sms_attributes (
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        attributes TEXT NOT NULL,
        PRIMARY KEY (account, region)
    );

    CREATE TABLE sns_opt_outs (
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        phone TEXT NOT NULL,
        PRIMARY KEY (account, region, phone)
    );

    CREATE TABLE sns_sandbox_numbers (
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        phone TEXT NOT NULL,
        language TEXT NOT NULL,
        verified INTEGER NOT NULL,
        otp TEXT NOT NULL,
        PRIMARY KEY (account, region, phone)
    );

    CREATE TABLE sns_inbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        channel TEXT NOT NULL,
        destination TEXT NOT NULL,
        doc TEXT NOT NULL,
        created REAL NOT NULL
    );
    CREATE INDEX sns_inbox_channel ON sns_inbox(channel, destination, id);

    CREATE TABLE sns_signing (
        id INTEGER PRIMARY KEY,
        key_pem TEXT NOT NULL,
        cert_pem TEXT NOT NULL
    );
    """,
]


@dataclass
class Topic:
    arn: str
    account: str
    region: str
    name: str
    attributes: dict
    tags: dict
    data_protection: str | None
    fifo: bool = False
    # The topic's subscriptions, filled by Store.topic_with_subscriptions.
    subscriptions: list["Subscription"] = field(default_factory=list)


@dataclass
class Subscription:
    arn: str
    topic_arn: str
    account: str
    region: str
    protocol: str
    endpoint: str
    attributes: dict
    pending: bool
    token: str | None
    authenticated: bool
    # Parsed once for the publish path (see provider._topic_view).
    filter_policy: dict | None = None
    scope: str = "MessageAttributes"
    raw: bool = False


def _topic(row) -> Topic:
    attrs = json.loads(row["attributes"])
    return Topic(row["arn"], row["account"], row["region"], row["name"], attrs, json.loads(row["tags"]),
                 row["data_protection"], attrs.get("FifoTopic") == "true")


def _subscription(row) -> Subscription:
    return Subscription(row["arn"], row["topic_arn"], row["account"], row["region"], row["protocol"],
                        row["endpoint"], json.loads(row["attributes"]), bool(row["pending"]), row["token"],
                        bool(row["authenticated"]))


class Store:
    def __init__(self, db):
        self.db = db

    # -- topics ------------------------------------------------------------------------

    def topic(self, arn: str) -> Topic | None:
        row = self.db.query_one("SELECT * FROM sns_topics WHERE arn = ?", (arn,))
        return _topic(row) if row else None

    def insert_topic(self, t: Topic, now: float) -> None:
        self.db.execute(
            "INSERT INTO sns_topics(arn, account, region, name, attributes, tags, data_protection, created) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (t.arn, t.account, t.region, t.name, json.dumps(t.attributes), json.dumps(t.tags), t.data_protection,
             now))

    def update_topic(self, t: Topic) -> None:
        self.db.execute("UPDATE sns_topics SET attributes = ?, tags = ?, data_protection = ? WHERE arn = ?",
                        (json.dumps(t.attributes), json.dumps(t.tags), t.data_protection, t.arn))

    def delete_topic(self, arn: str) -> list[str]:
        subs = [r[0] for r in self.db.query("SELECT arn FROM sns_subscriptions WHERE topic_arn = ?", (arn,))]
        self.db.execute("DELETE FROM sns_subscriptions WHERE topic_arn = ?", (arn,))
        self.db.execute("DELETE FROM sns_fifo_dedup WHERE topic_arn = ?", (arn,))
        self.db.execute("DELETE FROM sns_topics WHERE arn = ?", (arn,))
        return subs

    def topics_page(self, account: str, region: str, after: str, limit: int) -> list[str]:
        return [r[0] for r in self.db.query(
            "SELECT arn FROM sns_topics WHERE account = ? AND region = ? AND arn > ? ORDER BY arn LIMIT ?",
            (account, region, after, limit))]

    def next_sequence(self, arn: str) -> int:
        row = self.db.query_one("UPDATE sns_topics SET seq = seq + 1 WHERE arn = ? RETURNING seq", (arn,))
        return row[0]

    # -- FIFO deduplication ---------------------------------------------------------------

    def duplicate(self, topic_arn: str, dedup_id: str, now: float):
        return self.db.query_one(
            "SELECT message_id, seq FROM sns_fifo_dedup WHERE topic_arn = ? AND dedup_id = ? AND expires > ?",
            (topic_arn, dedup_id, now))

    def remember(self, topic_arn: str, dedup_id: str, message_id: str, seq: str, expires: float) -> None:
        self.db.execute(
            "INSERT INTO sns_fifo_dedup(topic_arn, dedup_id, message_id, seq, expires) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(topic_arn, dedup_id) DO UPDATE SET message_id = excluded.message_id, seq = excluded.seq, "
            "expires = excluded.expires", (topic_arn, dedup_id, message_id, seq, expires))

    def forget_expired(self, now: float) -> None:
        self.db.execute("DELETE FROM sns_fifo_dedup WHERE expires <= ?", (now,))

    # -- subscriptions -----------------------------------------------------------------------

    def subscription(self, arn: str) -> Subscription | None:
        row = self.db.query_one("SELECT * FROM sns_subscriptions WHERE arn = ?", (arn,))
        return _subscription(row) if row else None

    def subscriptions_of(self, topic_arn: str) -> list[Subscription]:
        return [_subscription(r) for r in self.db.query(
            "SELECT * FROM sns_subscriptions WHERE topic_arn = ? ORDER BY arn", (topic_arn,))]

    def find_subscription(self, topic_arn: str, protocol: str, endpoint: str) -> Subscription | None:
        row = self.db.query_one(
            "SELECT * FROM sns_subscriptions WHERE topic_arn = ? AND protocol = ? AND endpoint = ?",
            (topic_arn, protocol, endpoint))
        return _subscription(row) if row else None

    def by_token(self, token: str) -> Subscription | None:
        row = self.db.query_one("SELECT * FROM sns_subscriptions WHERE token = ?", (token,))
        return _subscription(row) if row else None

    def insert_subscription(self, s: Subscription, now: float) -> None:
        self.db.execute(
            "INSERT INTO sns_subscriptions(arn, topic_arn, account, region, protocol, endpoint, attributes, pending, "
            "token, authenticated, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (s.arn, s.topic_arn, s.account, s.region, s.protocol, s.endpoint, json.dumps(s.attributes),
             int(s.pending), s.token, int(s.authenticated), now))

    def update_subscription(self, s: Subscription) -> None:
        self.db.execute("UPDATE sns_subscriptions SET attributes = ?, pending = ?, token = ?, authenticated = ? "
                        "WHERE arn = ?", (json.dumps(s.attributes), int(s.pending), s.token, int(s.authenticated),
                                          s.arn))

    def delete_subscription(self, arn: str) -> None:
        self.db.execute("DELETE FROM sns_subscriptions WHERE arn = ?", (arn,))

    def subscriptions_page(self, account: str, region: str, after: str, limit: int) -> list[Subscription]:
        return [_subscription(r) for r in self.db.query(
            "SELECT * FROM sns_subscriptions WHERE account = ? AND region = ? AND arn > ? ORDER BY arn LIMIT ?",
            (account, region, after, limit))]

    def topic_subscriptions_page(self, topic_arn: str, after: str, limit: int) -> list[Subscription]:
        return [_subscription(r) for r in self.db.query(
            "SELECT * FROM sns_subscriptions WHERE topic_arn = ? AND arn > ? ORDER BY arn LIMIT ?",
            (topic_arn, after, limit))]

    def subscription_counts(self, topic_arn: str) -> tuple[int, int]:
        row = self.db.query_one(
            "SELECT SUM(CASE WHEN pending = 0 THEN 1 ELSE 0 END), SUM(pending) FROM sns_subscriptions "
            "WHERE topic_arn = ?", (topic_arn,))
        return int(row[0] or 0), int(row[1] or 0)

    # -- platform applications and endpoints ---------------------------------------------------

    def platform_app(self, arn: str):
        row = self.db.query_one("SELECT * FROM sns_platform_apps WHERE arn = ?", (arn,))
        if row is None:
            return None
        return {"arn": row["arn"], "account": row["account"], "region": row["region"], "name": row["name"],
                "platform": row["platform"], "attributes": json.loads(row["attributes"])}

    def put_platform_app(self, app: dict) -> None:
        self.db.execute(
            "INSERT INTO sns_platform_apps(arn, account, region, name, platform, attributes) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(arn) DO UPDATE SET attributes = excluded.attributes",
            (app["arn"], app["account"], app["region"], app["name"], app["platform"], json.dumps(app["attributes"])))

    def delete_platform_app(self, arn: str) -> None:
        self.db.execute("DELETE FROM sns_endpoints WHERE app_arn = ?", (arn,))
        self.db.execute("DELETE FROM sns_platform_apps WHERE arn = ?", (arn,))

    def platform_apps_page(self, account: str, region: str, after: str, limit: int) -> list[dict]:
        rows = self.db.query("SELECT arn FROM sns_platform_apps WHERE account = ? AND region = ? AND arn > ? "
                             "ORDER BY arn LIMIT ?", (account, region, after, limit))
        return [self.platform_app(r[0]) for r in rows]

    def endpoint(self, arn: str):
        row = self.db.query_one("SELECT * FROM sns_endpoints WHERE arn = ?", (arn,))
        if row is None:
            return None
        return {"arn": row["arn"], "app_arn": row["app_arn"], "token": row["token"],
                "attributes": json.loads(row["attributes"])}

    def endpoint_by_token(self, app_arn: str, token: str):
        row = self.db.query_one("SELECT arn FROM sns_endpoints WHERE app_arn = ? AND token = ?", (app_arn, token))
        return self.endpoint(row[0]) if row else None

    def put_endpoint(self, ep: dict) -> None:
        self.db.execute(
            "INSERT INTO sns_endpoints(arn, app_arn, token, attributes) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(arn) DO UPDATE SET token = excluded.token, attributes = excluded.attributes",
            (ep["arn"], ep["app_arn"], ep["token"], json.dumps(ep["attributes"])))

    def delete_endpoint(self, arn: str) -> None:
        self.db.execute("DELETE FROM sns_endpoints WHERE arn = ?", (arn,))

    def endpoints_page(self, app_arn: str, after: str, limit: int) -> list[dict]:
        rows = self.db.query("SELECT arn FROM sns_endpoints WHERE app_arn = ? AND arn > ? ORDER BY arn LIMIT ?",
                             (app_arn, after, limit))
        return [self.endpoint(r[0]) for r in rows]

    # -- SMS ------------------------------------------------------------------------------------

    def sms_attributes(self, account: str, region: str) -> dict:
        row = self.db.query_one("SELECT attributes FROM sns_sms_attributes WHERE account = ? AND region = ?",
                                (account, region))
        return json.loads(row[0]) if row else {}

    def put_sms_attributes(self, account: str, region: str, attrs: dict) -> None:
        self.db.execute("INSERT INTO sns_sms_attributes(account, region, attributes) VALUES (?, ?, ?) "
                        "ON CONFLICT(account, region) DO UPDATE SET attributes = excluded.attributes",
                        (account, region, json.dumps(attrs)))

    def opted_out(self, account: str, region: str, phone: str) -> bool:
        return self.db.query_one("SELECT 1 FROM sns_opt_outs WHERE account = ? AND region = ? AND phone = ?",
                                 (account, region, phone)) is not None

    def set_opt_out(self, account: str, region: str, phone: str, out: bool) -> None:
        if out:
            self.db.execute("INSERT INTO sns_opt_outs(account, region, phone) VALUES (?, ?, ?) "
                            "ON CONFLICT DO NOTHING", (account, region, phone))
        else:
            self.db.execute("DELETE FROM sns_opt_outs WHERE account = ? AND region = ? AND phone = ?",
                            (account, region, phone))

    def opt_outs_page(self, account: str, region: str, after: str, limit: int) -> list[str]:
        return [r[0] for r in self.db.query(
            "SELECT phone FROM sns_opt_outs WHERE account = ? AND region = ? AND phone > ? ORDER BY phone LIMIT ?",
            (account, region, after, limit))]

    def sandbox_number(self, account: str, region: str, phone: str):
        return self.db.query_one("SELECT * FROM sns_sandbox_numbers WHERE account = ? AND region = ? AND phone = ?",
                                 (account, region, phone))

    def put_sandbox_number(self, account, region, phone, language, verified, otp) -> None:
        self.db.execute(
            "INSERT INTO sns_sandbox_numbers(account, region, phone, language, verified, otp) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(account, region, phone) DO UPDATE SET language = excluded.language, "
            "verified = excluded.verified, otp = excluded.otp", (account, region, phone, language, int(verified), otp))

    def delete_sandbox_number(self, account, region, phone) -> None:
        self.db.execute("DELETE FROM sns_sandbox_numbers WHERE account = ? AND region = ? AND phone = ?",
                        (account, region, phone))

    def sandbox_page(self, account, region, after: str, limit: int):
        return self.db.query("SELECT * FROM sns_sandbox_numbers WHERE account = ? AND region = ? AND phone > ? "
                             "ORDER BY phone LIMIT ?", (account, region, after, limit))

    # -- the inbox (what would have left AWS: e-mail, SMS, mobile push) ---------------------------

    def deliver_to_inbox(self, channel: str, destination: str, doc: dict, now: float) -> None:
        self.db.execute("INSERT INTO sns_inbox(channel, destination, doc, created) VALUES (?, ?, ?, ?)",
                        (channel, destination, json.dumps(doc), now))

    def inbox(self, channel: str | None = None, destination: str | None = None) -> list[dict]:
        sql, args = "SELECT id, channel, destination, doc, created FROM sns_inbox WHERE 1 = 1", []
        if channel:
            sql += " AND channel = ?"
            args.append(channel)
        if destination:
            sql += " AND destination = ?"
            args.append(destination)
        rows = self.db.query(sql + " ORDER BY id", args)
        return [{"id": r[0], "channel": r[1], "destination": r[2], "created": r[4], **json.loads(r[3])} for r in rows]

    def clear_inbox(self, channel: str | None = None) -> None:
        if channel:
            self.db.execute("DELETE FROM sns_inbox WHERE channel = ?", (channel,))
        else:
            self.db.execute("DELETE FROM sns_inbox")
