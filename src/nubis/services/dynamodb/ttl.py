"""Time to Live: items whose TTL attribute (a Number, epoch seconds) is past
are deleted by the service.

While TTL is enabled on a table, every write keeps an index of expiry times
(``dynamodb_ttl_entries``, in the write's transaction), so that the sweep, a
durable timer every minute of clock time, reads only the items that are due,
never the table. AWS deletes expired items "typically within a few days";
here it is the first sweep after the expiry. Until then an expired item is
read like any other, as on AWS. A deletion is the service's own: its stream
record has the ``userIdentity`` of dynamodb.amazonaws.com. Items whose TTL
value is more than five years in the past are never deleted (the developer
guide says so).
"""
from __future__ import annotations

import math

from .streams import SERVICE_IDENTITY

SWEEP = "dynamodb:ttl-sweep"
SWEEP_EVERY = 60.0
BATCH = 1000
FIVE_YEARS = 5 * 365 * 86400.0


def expiry_of(item: dict | None, attribute: str) -> float | None:
    """The epoch second an item expires at, or None (no attribute, not a Number)."""
    if item is None:
        return None
    value = item.get(attribute)
    if value is None or "N" not in value:
        return None
    try:
        when = float(value["N"])
    except ValueError:
        return None
    return when if math.isfinite(when) else None


class Expiry:
    def __init__(self, provider):
        self.p = provider
        self.db = provider.db
        self.clock = provider.clock
        self.scheduler = provider.scheduler
        self.scheduler.on(SWEEP, self._sweep)

    def follow(self, t):
        """Keep the table's expiry index in step with its TTL setting; the watcher while enabled."""
        spec = t.ttl or {}
        attribute = spec.get("AttributeName") if spec.get("Enabled") else None
        row = self.db.query_one("SELECT attribute FROM dynamodb_ttl_tables WHERE table_id = ?", (t.id,))
        current = row[0] if row else None
        if current != attribute:
            with self.db.transaction():
                self.db.execute("DELETE FROM dynamodb_ttl_entries WHERE table_id = ?", (t.id,))
                self.db.execute("DELETE FROM dynamodb_ttl_tables WHERE table_id = ?", (t.id,))
                if attribute is not None:
                    self.db.execute("INSERT INTO dynamodb_ttl_tables(table_id, attribute) VALUES (?, ?)",
                                    (t.id, attribute))
                    self._index_existing(t, attribute)
                    self.scheduler.at(self.clock.now() + SWEEP_EVERY, SWEEP, key="sweep", every=SWEEP_EVERY)
        if attribute is None:
            return None

        def watch(t, hk: bytes, rk: bytes, old: dict | None, new: dict | None) -> None:
            before, after = expiry_of(old, attribute), expiry_of(new, attribute)
            if before == after:
                return
            if before is not None:
                self.db.execute("DELETE FROM dynamodb_ttl_entries WHERE table_id = ? AND expires = ? AND hk = ? "
                                "AND rk = ?", (t.id, before, hk, rk))
            if after is not None:
                self.db.execute("INSERT OR REPLACE INTO dynamodb_ttl_entries(table_id, expires, hk, rk) "
                                "VALUES (?, ?, ?, ?)", (t.id, after, hk, rk))
        return watch

    def dropped(self, t) -> None:
        self.db.execute("DELETE FROM dynamodb_ttl_entries WHERE table_id = ?", (t.id,))
        self.db.execute("DELETE FROM dynamodb_ttl_tables WHERE table_id = ?", (t.id,))

    def _index_existing(self, t, attribute: str) -> None:
        """TTL just enabled: the items already there join the index (one scan, once)."""
        from .store import decode
        rows = []
        for hk, rk, body, _size in self.p.store.scan(t.id, None, 500):
            when = expiry_of(decode(body), attribute)
            if when is not None:
                rows.append((t.id, when, hk, rk))
        self.db.executemany("INSERT OR REPLACE INTO dynamodb_ttl_entries(table_id, expires, hk, rk) "
                            "VALUES (?, ?, ?, ?)", rows)

    def _sweep(self, _payload: dict) -> None:
        now = self.clock.now()
        tables = {r[0] for r in self.db.query("SELECT table_id FROM dynamodb_ttl_tables")}
        if not tables:
            self.scheduler.cancel(SWEEP, "sweep")
            return
        by_id = {t.id: t for t in self.p.tables.values() if t.id in tables}
        for table_id, t in by_id.items():
            due = self.db.query("SELECT expires, hk, rk FROM dynamodb_ttl_entries WHERE table_id = ? AND expires <= ? "
                                "AND expires >= ? ORDER BY expires LIMIT ?", (table_id, now, now - FIVE_YEARS, BATCH))
            if not due:
                continue
            with self.db.transaction(), self.p.streams.acting_as(SERVICE_IDENTITY):
                for expires, hk, rk in due:
                    old = self.p.store.get(table_id, hk, rk)
                    if old is None or expiry_of(old, t.ttl["AttributeName"]) != expires:
                        # Stale (cannot happen while writes keep the index; harmless if it does).
                        self.db.execute("DELETE FROM dynamodb_ttl_entries WHERE table_id = ? AND expires = ? "
                                        "AND hk = ? AND rk = ?", (table_id, expires, hk, rk))
                        continue
                    self.p._write(t, hk, rk, old, None)
