"""Per-shard throughput limits of provisioned streams, as token buckets on the clock.

In: 1 MiB/s and 1,000 records/s per shard. Out: 5 GetRecords calls/s and
2 MiB/s per shard, where one call may return up to 10 MiB and the shard's
later calls are refused until the bucket has filled again (so a 10 MiB read
holds the shard for about five seconds, as the developer guide says).
Buckets live in memory: a restart forgets a second's worth of usage.
"""
from __future__ import annotations

MIB = 1024 * 1024
IN_BYTES, IN_RECORDS = 1 * MIB, 1000
OUT_CALLS, OUT_BYTES = 5, 2 * MIB


class ShardBuckets:
    __slots__ = ("at", "in_bytes", "in_records", "out_calls", "out_bytes")

    def __init__(self, now: float):
        self.at = now
        self.in_bytes, self.in_records = float(IN_BYTES), float(IN_RECORDS)
        self.out_calls, self.out_bytes = float(OUT_CALLS), float(OUT_BYTES)

    def _refill(self, now: float) -> None:
        dt = now - self.at
        if dt > 0:
            self.at = now
            self.in_bytes = min(IN_BYTES, self.in_bytes + dt * IN_BYTES)
            self.in_records = min(IN_RECORDS, self.in_records + dt * IN_RECORDS)
            self.out_calls = min(OUT_CALLS, self.out_calls + dt * OUT_CALLS)
            self.out_bytes = min(OUT_BYTES, self.out_bytes + dt * OUT_BYTES)

    def take_in(self, now: float, size: int) -> bool:
        """Room for one record of ``size`` bytes? Takes it if so."""
        self._refill(now)
        if self.in_records < 1 or self.in_bytes < size:
            return False
        self.in_records -= 1
        self.in_bytes -= size
        return True

    def take_call(self, now: float) -> bool:
        """Room for one GetRecords call? (Its bytes are paid afterwards, by ``paid``.)"""
        self._refill(now)
        if self.out_calls < 1 or self.out_bytes <= 0:
            return False
        self.out_calls -= 1
        return True

    def paid(self, size: int) -> None:
        self.out_bytes -= size


def buckets(shard, now: float) -> ShardBuckets:
    b = shard.buckets
    if b is None:
        b = shard.buckets = ShardBuckets(now)
    return b
