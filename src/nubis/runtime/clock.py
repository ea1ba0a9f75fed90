"""The controllable clock: wall time plus an offset that tests move forward.

Every service reads time from here, never from ``time.time()``, so that a
test can pass a 12-hour visibility timeout or 14 days of retention at once.
The offset is stored, so a restart keeps the time a test moved to.

A test can also freeze the clock (``POST /_nubis/clock {"freeze": true}``):
then it moves only when advanced, so "59 seconds is not yet 60" holds
however slowly the test itself runs. Freezing is not stored: a restart
runs the clock again.
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
        self.frozen_at: float | None = None  # the wall time it stopped at

    def now(self) -> float:
        """Seconds since the epoch, on the controllable clock."""
        return (time.time() if self.frozen_at is None else self.frozen_at) + self.offset

    def freeze(self, frozen: bool = True) -> None:
        """Stop the clock where it is (it then moves only by ``shift``), or run it again."""
        if frozen and self.frozen_at is None:
            self.frozen_at = time.time()
        elif not frozen and self.frozen_at is not None:
            # Running again from the time it showed: the pause comes off the offset.
            self.offset -= time.time() - self.frozen_at
            self.frozen_at = None
            self._store()

    def now_ms(self) -> int:
        return int(self.now() * 1000)

    def datetime(self) -> _dt.datetime:
        return _dt.datetime.fromtimestamp(self.now(), tz=_dt.timezone.utc)

    def real_delay(self, when: float) -> float:
        """Real seconds until clock time ``when`` (0 if already past; a frozen
        clock never gets there by itself)."""
        delay = max(0.0, when - self.now())
        return delay if self.frozen_at is None or delay == 0.0 else float("inf")

    def shift(self, seconds: float) -> None:
        """Move the clock forward; the scheduler fires what fell due."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self.offset += seconds
        self._store()

    def _store(self) -> None:
        self.db.execute(
            "INSERT INTO nubis_clock(id, offset_seconds) VALUES (1, ?) "
            "ON CONFLICT(id) DO UPDATE SET offset_seconds = excluded.offset_seconds", (self.offset,))

    def reset(self) -> None:
        self.offset = 0.0
        self.frozen_at = None
        self.db.execute("DELETE FROM nubis_clock")
