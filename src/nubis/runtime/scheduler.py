"""Deadlines and recurring work on the controllable clock.

Timers are rows (``nubis_timers``): a due time, a kind (``"<service>:<what>"``)
that names the handler, a JSON payload, an optional key (a second ``at`` with
the same kind and key moves the timer), and an optional period for recurring
work. They survive restarts; a timer that fell due while nubis was down fires
on start. ``sleep_until`` is the in-memory counterpart for a request that
waits (long polling): it wakes on real time passing or on the clock moving.
"""
from __future__ import annotations

import asyncio
import heapq
import inspect
import itertools
import json
import logging
from typing import Any, Callable

from ..state.db import Database
from .clock import Clock

log = logging.getLogger("nubis.scheduler")

Handler = Callable[[dict], Any]


class Scheduler:
    def __init__(self, db: Database, clock: Clock, start_service: Callable[[str], Any] | None = None):
        self.db = db
        self.clock = clock
        self.handlers: dict[str, Handler] = {}
        self._start_service = start_service
        self._waiters: list[tuple[float, int, asyncio.Future]] = []
        self._seq = itertools.count()
        self._wake: asyncio.Event | None = None
        self._fire_lock: asyncio.Lock | None = None
        self._task: asyncio.Task | None = None

    # -- registration -------------------------------------------------------------

    def on(self, kind: str, handler: Handler) -> None:
        self.handlers[kind] = handler

    def at(self, when: float, kind: str, payload: dict | None = None, key: str | None = None,
           every: float | None = None) -> int:
        """Fire ``kind`` with ``payload`` at clock time ``when`` (then every ``every`` s)."""
        text = json.dumps(payload or {})
        if key is not None:
            row = self.db.query_one(
                "INSERT INTO nubis_timers(due, kind, timer_key, payload, every) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(kind, timer_key) DO UPDATE SET due = excluded.due, payload = excluded.payload, "
                "every = excluded.every RETURNING id", (when, kind, key, text, every))
        else:
            row = self.db.query_one(
                "INSERT INTO nubis_timers(due, kind, timer_key, payload, every) VALUES (?, ?, NULL, ?, ?) "
                "RETURNING id", (when, kind, text, every))
        self._poke()
        return row[0]

    def after(self, delay: float, kind: str, payload: dict | None = None, key: str | None = None,
              every: float | None = None) -> int:
        return self.at(self.clock.now() + delay, kind, payload, key, every)

    def cancel(self, kind: str, key: str) -> bool:
        cur = self.db.execute("DELETE FROM nubis_timers WHERE kind = ? AND timer_key = ?", (kind, key))
        return cur.rowcount > 0

    def pending(self, kind_prefix: str = "") -> list[dict]:
        rows = self.db.query("SELECT id, due, kind, timer_key, payload, every FROM nubis_timers "
                             "WHERE kind LIKE ? ORDER BY due, id", (kind_prefix + "%",))
        return [dict(r) for r in rows]

    def wipe(self, service: str | None = None) -> None:
        if service is None:
            self.db.execute("DELETE FROM nubis_timers")
        else:
            self.db.execute("DELETE FROM nubis_timers WHERE kind LIKE ?", (service + ":%",))

    # -- waiting --------------------------------------------------------------------

    async def sleep_until(self, when: float) -> None:
        """Wait until clock time ``when``: real time passing or the clock moving."""
        if self.clock.now() >= when:
            return
        fut = asyncio.get_running_loop().create_future()
        seq = next(self._seq)
        heapq.heappush(self._waiters, (when, seq, fut))
        if seq % 4096 == 0:
            # Waits cut short (a long poll answered by a send) leave their
            # entry behind until its time; drop those now and then.
            self._waiters = [w for w in self._waiters if not w[2].done()]
            heapq.heapify(self._waiters)
        self._poke()
        await fut

    def clock_changed(self) -> None:
        """The clock was frozen or run again: recompute when the next timer is due."""
        self._poke()

    def _poke(self) -> None:
        if self._wake is not None:
            self._wake.set()

    # -- firing ------------------------------------------------------------------------

    def _lock(self) -> asyncio.Lock:
        if self._fire_lock is None:
            self._fire_lock = asyncio.Lock()
        return self._fire_lock

    def _earliest(self, until: float):
        return self.db.query_one(
            "SELECT id, due, kind, payload, every FROM nubis_timers WHERE due <= ? ORDER BY due, id LIMIT 1",
            (until,))

    async def advance(self, seconds: float) -> None:
        """Move the clock forward, firing in due order everything that falls due.

        The clock steps to each timer's due time before it fires, so work a
        handler schedules (a retry with backoff, the next period) falls due
        within the same advance, as it would have in real time.
        """
        end_offset = self.clock.offset + seconds
        async with self._lock():
            while (row := self._earliest(self.clock.now() - self.clock.offset + end_offset)) is not None:
                gap = min(row[1] - self.clock.now(), end_offset - self.clock.offset)
                if gap > 0:
                    self.clock.shift(gap)
                self._release_waiters(self.clock.now())
                await self._fire(row)
            self.clock.shift(max(0.0, end_offset - self.clock.offset))
            self._release_waiters(self.clock.now())

    async def fire_due(self) -> int:
        """Fire everything due by now (real time passing)."""
        fired = 0
        async with self._lock():
            while True:
                now = self.clock.now()
                self._release_waiters(now)
                row = self._earliest(now)
                if row is None:
                    break
                await self._fire(row)
                fired += 1
        return fired

    def _release_waiters(self, now: float) -> None:
        while self._waiters and self._waiters[0][0] <= now:
            _, _, fut = heapq.heappop(self._waiters)
            if not fut.done():
                fut.set_result(None)

    async def _fire(self, row) -> None:
        timer_id, due, kind, payload, every = row
        # The timer is done (or moved on) before its handler's effects become
        # visible; handlers must be idempotent, as at-least-once delivery is.
        if every:
            self.db.execute("UPDATE nubis_timers SET due = ? WHERE id = ?", (due + every, timer_id))
        else:
            self.db.execute("DELETE FROM nubis_timers WHERE id = ?", (timer_id,))
        handler = self.handlers.get(kind)
        if handler is None and self._start_service is not None:
            self._start_service(kind.split(":", 1)[0])
            handler = self.handlers.get(kind)
        if handler is None:
            log.warning("no handler for timer kind %s; dropped", kind)
            return
        try:
            result = handler(json.loads(payload))
            if inspect.isawaitable(result):
                await result
        except Exception:
            log.exception("timer %s (%s) failed", timer_id, kind)

    def _next_due(self) -> float | None:
        row = self.db.query_one("SELECT MIN(due) FROM nubis_timers")
        candidates = [t for t in (row[0] if row else None, self._waiters[0][0] if self._waiters else None)
                      if t is not None]
        return min(candidates) if candidates else None

    # -- the background loop -----------------------------------------------------------

    def start(self) -> None:
        self._wake = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._run(), name="nubis-scheduler")

    async def _run(self) -> None:
        while True:
            try:
                await self.fire_due()
                nxt = self._next_due()
                timeout = 3600.0 if nxt is None else min(3600.0, self.clock.real_delay(nxt))
                self._wake.clear()
                if timeout > 0:
                    try:
                        await asyncio.wait_for(self._wake.wait(), timeout)
                    except asyncio.TimeoutError:
                        pass
                else:
                    await asyncio.sleep(0)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("scheduler loop error")
                await asyncio.sleep(0.5)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
            self._task = None
        for _, _, fut in self._waiters:
            if not fut.done():
                fut.cancel()
        self._waiters.clear()
