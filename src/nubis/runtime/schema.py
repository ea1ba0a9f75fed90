"""The runtime's own tables: the clock offset and the persisted timers."""

SERVICE = "nubis"

MIGRATIONS = [
    """
    CREATE TABLE nubis_clock (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        offset_seconds REAL NOT NULL
    );
    CREATE TABLE nubis_timers (
        id INTEGER PRIMARY KEY,
        due REAL NOT NULL,
        kind TEXT NOT NULL,
        timer_key TEXT,
        payload TEXT NOT NULL,
        every REAL
    );
    CREATE INDEX nubis_timers_due ON nubis_timers (due, id);
    CREATE UNIQUE INDEX nubis_timers_key ON nubis_timers (kind, timer_key);
    """,
]
