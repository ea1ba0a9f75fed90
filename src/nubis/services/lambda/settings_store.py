"""Tables of a function's further configuration: function URLs, per-function
settings (provisioned concurrency, runtime management, recursion, code signing
binding) and the account's code signing configs.

A setting is kept as the document the API returns (JSON), keyed by function,
kind and qualifier. URL configs are looked up by URL id on every data-plane
request, so they are cached in memory.
"""
from __future__ import annotations

import json

MIGRATION = """
CREATE TABLE lambda_url_configs (
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    name TEXT NOT NULL,
    qualifier TEXT NOT NULL,
    url_id TEXT NOT NULL UNIQUE,
    doc TEXT NOT NULL,
    PRIMARY KEY (account, region, name, qualifier)
);
CREATE TABLE lambda_function_settings (
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    qualifier TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (account, region, name, kind, qualifier)
);
CREATE TABLE lambda_code_signing_configs (
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    id TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (account, region, id)
);
"""

# Removed with their function (store.delete names these tables too).
FUNCTION_TABLES = ("lambda_url_configs", "lambda_function_settings")


class UrlRow:
    __slots__ = ("account", "region", "name", "qualifier", "url_id", "doc")

    def __init__(self, account, region, name, qualifier, url_id, doc):
        self.account, self.region, self.name = account, region, name
        self.qualifier, self.url_id, self.doc = qualifier, url_id, doc


class SettingsStore:
    def __init__(self, db):
        self.db = db
        self._by_id: dict[str, UrlRow | None] = {}

    def clear_cache(self) -> None:
        self._by_id.clear()

    # -- function URLs ------------------------------------------------------------------

    def url(self, account: str, region: str, name: str, qualifier: str) -> UrlRow | None:
        row = self.db.query_one("SELECT * FROM lambda_url_configs WHERE account = ? AND region = ? AND name = ? "
                                "AND qualifier = ?", (account, region, name, qualifier))
        return _url_row(row)

    def url_by_id(self, url_id: str) -> UrlRow | None:
        try:
            return self._by_id[url_id]
        except KeyError:
            pass
        found = _url_row(self.db.query_one("SELECT * FROM lambda_url_configs WHERE url_id = ?", (url_id,)))
        if found is None or len(self._by_id) < 10_000:
            self._by_id[url_id] = found
        return found

    def urls(self, account: str, region: str, name: str) -> list[UrlRow]:
        rows = self.db.query("SELECT * FROM lambda_url_configs WHERE account = ? AND region = ? AND name = ? "
                             "ORDER BY qualifier", (account, region, name))
        return [_url_row(r) for r in rows]

    def save_url(self, row: UrlRow) -> None:
        self.db.execute(
            "INSERT INTO lambda_url_configs(account, region, name, qualifier, url_id, doc) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(account, region, name, qualifier) DO UPDATE SET doc = excluded.doc",
            (row.account, row.region, row.name, row.qualifier, row.url_id, json.dumps(row.doc)))
        self._by_id[row.url_id] = row

    def delete_url(self, row: UrlRow) -> None:
        self.db.execute("DELETE FROM lambda_url_configs WHERE url_id = ?", (row.url_id,))
        self._by_id.pop(row.url_id, None)

    def forget_function(self) -> None:
        """A function was deleted (its rows went with it): drop the cached URLs."""
        self._by_id.clear()

    # -- per-function settings ----------------------------------------------------------

    def setting(self, account: str, region: str, name: str, kind: str, qualifier: str = "") -> dict | None:
        row = self.db.query_one("SELECT doc FROM lambda_function_settings WHERE account = ? AND region = ? "
                                "AND name = ? AND kind = ? AND qualifier = ?", (account, region, name, kind, qualifier))
        return json.loads(row[0]) if row else None

    def settings(self, account: str, region: str, name: str, kind: str) -> list[tuple[str, dict]]:
        rows = self.db.query("SELECT qualifier, doc FROM lambda_function_settings WHERE account = ? AND region = ? "
                             "AND name = ? AND kind = ? ORDER BY qualifier", (account, region, name, kind))
        return [(r[0], json.loads(r[1])) for r in rows]

    def settings_of_kind(self, account: str, region: str, kind: str) -> list[tuple[str, str, dict]]:
        rows = self.db.query("SELECT name, qualifier, doc FROM lambda_function_settings WHERE account = ? "
                             "AND region = ? AND kind = ? ORDER BY name, qualifier", (account, region, kind))
        return [(r[0], r[1], json.loads(r[2])) for r in rows]

    def put_setting(self, account: str, region: str, name: str, kind: str, qualifier: str, doc: dict) -> None:
        self.db.execute(
            "INSERT INTO lambda_function_settings(account, region, name, kind, qualifier, doc) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(account, region, name, kind, qualifier) "
            "DO UPDATE SET doc = excluded.doc", (account, region, name, kind, qualifier, json.dumps(doc)))

    def delete_setting(self, account: str, region: str, name: str, kind: str, qualifier: str = "") -> bool:
        row = self.db.query_one("DELETE FROM lambda_function_settings WHERE account = ? AND region = ? AND name = ? "
                                "AND kind = ? AND qualifier = ? RETURNING 1", (account, region, name, kind, qualifier))
        return row is not None

    # -- code signing configs -----------------------------------------------------------

    def code_signing(self, account: str, region: str, csc_id: str) -> dict | None:
        row = self.db.query_one("SELECT doc FROM lambda_code_signing_configs WHERE account = ? AND region = ? "
                                "AND id = ?", (account, region, csc_id))
        return json.loads(row[0]) if row else None

    def code_signings(self, account: str, region: str) -> list[dict]:
        rows = self.db.query("SELECT doc FROM lambda_code_signing_configs WHERE account = ? AND region = ? "
                             "ORDER BY id", (account, region))
        return [json.loads(r[0]) for r in rows]

    def save_code_signing(self, account: str, region: str, doc: dict) -> None:
        self.db.execute("INSERT INTO lambda_code_signing_configs(account, region, id, doc) VALUES (?, ?, ?, ?) "
                        "ON CONFLICT(account, region, id) DO UPDATE SET doc = excluded.doc",
                        (account, region, doc["CodeSigningConfigId"], json.dumps(doc)))

    def delete_code_signing(self, account: str, region: str, csc_id: str) -> None:
        self.db.execute("DELETE FROM lambda_code_signing_configs WHERE account = ? AND region = ? AND id = ?",
                        (account, region, csc_id))


def _url_row(row) -> UrlRow | None:
    if row is None:
        return None
    return UrlRow(row["account"], row["region"], row["name"], row["qualifier"], row["url_id"], json.loads(row["doc"]))
