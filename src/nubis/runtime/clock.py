"""The controllable clock: wall time plus an offset that tests move forward.

Every service reads time from here, never from ``time.time()``, so that a
test can pass a 12-hour visibility timeout or 14 days of retention at once.
The offset is stored, so a restart keeps the time a test moved to.
"""
from __future__ import annotations

import datetime as _dt
import time

from ..state.db import Database

class Clock:
    def __init__(self, db: Database):
        self.db = db  # migrated by runtime.schema
        row = db.query_one("SELECT offset_seconds FROM nubis_clock WHERE id = 1")
        self.offset = row[0] if row else 0.0

    def now(self) -> float:
        """Seconds since the epoch, on the controllable clock."""
        return time.time() + self.offset

    def now_ms(self) -> int:
        return int(self.now() * 1000)

    def datetime(self) -> _dt.datetime:
        return _dt.datetime.fromtimestamp(self.now(), tz=_dt.timezone.utc)

    def real_delay(self, when: float) -> float:
        """Real seconds until clock time ``when`` (0 if already past)."""
        return max(0.0, when - self.now())

    def shift(self, seconds: float) -> None:
        """Move the clock forward; the scheduler fires what fell due."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self.offset += seconds
        self.db.execute(
            "INSERT INTO nubis_clock(id, offset_seconds) VALUES (1, ?) "
            "ON CONFLICT(id) DO UPDATE SET offset_seconds = excluded.offset_seconds", (self.offset,))

    def reset(self) -> None:
        self.offset = 0.0
        self.db.execute("DELETE FROM nubis_clock")
