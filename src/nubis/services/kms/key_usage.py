"""GetKeyLastUsage: the last successful cryptographic operation with each key.

Every Encrypt would otherwise cost a write, so the last use is kept in memory
and written at most once every ``FLUSH_SECONDS`` of real time (and on a clean
shutdown): a killed process forgets at most that much usage. Each key of a
multi-Region set keeps its own record, as in AWS. nubis has tracked usage
since a key was made, so TrackingStartDate is the key's creation date.
"""
from __future__ import annotations

import time

from ..base import RequestContext
from .store import Key

FLUSH_SECONDS = 60.0


class KeyUsage:
    def _load_usage(self) -> None:
        self._last_use: dict[str, tuple[str, float, str]] = self.store.usage()
        self._unsaved: dict[str, tuple[str, float, str]] = {}
        self._flushed = time.monotonic()

    def _used(self, ctx: RequestContext, key: Key, operation: str) -> None:
        record = (operation, self.clock.now(), ctx.request_id)
        self._last_use[key.row] = record
        self._unsaved[key.row] = record
        if time.monotonic() - self._flushed >= FLUSH_SECONDS:
            self._flush_usage()

    def _flush_usage(self) -> None:
        self._flushed = time.monotonic()
        if self._unsaved:
            rows, self._unsaved = self._unsaved, {}
            self.store.save_usage(rows)

    def get_key_last_usage(self, ctx: RequestContext, params: dict) -> dict:
        key = self._key(ctx, params, aliases=False)
        out = {"KeyId": key.id, "TrackingStartDate": key.created, "KeyCreationDate": key.created}
        found = self._last_use.get(key.row)
        if found is not None:
            operation, at, request_id = found
            # nubis records no CloudTrail event for the use, so there is no CloudTrailEventId to give.
            out["KeyLastUsage"] = {"Operation": operation, "Timestamp": at, "KmsRequestId": request_id}
        return out
