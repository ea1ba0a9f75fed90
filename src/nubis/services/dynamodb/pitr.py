"""Point-in-time recovery made real: while PITR is on, every item write adds
one row to the table's change log (``backup_store.py``), and
RestoreTableToPointInTime rebuilds the table as of any second between
EarliestRestorableDateTime (when PITR was enabled, at most
RecoveryPeriodInDays back) and LatestRestorableDateTime (now - 5 minutes).
A mixin of ``DynamoDBProvider``; a write to a table without PITR pays one
dict lookup.
"""
from __future__ import annotations

from ...protocol.errors import ServiceError
from . import tables as tb
from .backups import seconds
from .store import encode
from .tables import Table, validation

LATEST_LAG = 300.0
COMPACT = "dynamodb:pitr-compact"
EXPIRE = "dynamodb:backup-expiry"
DAY = 86400.0
SYSTEM_BACKUP_DAYS = 35


class PointInTimeRecovery:
    def start_pitr(self) -> None:
        self.scheduler.on(COMPACT, self._compact_log)
        self.scheduler.on(EXPIRE, self._expire_backup)

    def _deleted_with_pitr(self, t: Table) -> None:
        """The hook DeleteTable calls: as the developer guide says, a table deleted with PITR
        on leaves a SYSTEM backup of itself, kept 35 days; its change log goes."""
        if not t.definition.get("PointInTimeRecovery"):
            return
        expires = self.clock.now() + SYSTEM_BACKUP_DAYS * DAY
        details = self._take_backup(t, f"{t.name}$DeletedTableBackup", "SYSTEM", expires)
        self.scheduler.at(expires, EXPIRE, {"arn": details["BackupArn"]}, key=details["BackupArn"])
        self.backup_store.stop_log(t.id)
        self.scheduler.cancel(COMPACT, str(t.id))

    def _expire_backup(self, payload: dict) -> None:
        self.backup_store.delete_backup(payload["arn"])

    def _compact_log(self, payload: dict) -> None:
        """Once a day per table with PITR: the log keeps only what the window can restore."""
        t = next((t for t in self.tables.values() if t.id == payload.get("table")), None)
        if t is None or not t.definition.get("PointInTimeRecovery"):
            self.scheduler.cancel(COMPACT, str(payload.get("table")))
            return
        self.backup_store.compact(t.id, self._restorable(t)[0])

    def _pitr_log(self, t: Table, hk: bytes, rk: bytes, new: dict | None, size: int) -> None:
        """The hook ``_write`` calls for a table with PITR on."""
        self.backup_store.log(t.id, self.clock.now(), hk, rk, None if new is None else encode(new),
                              size if new is not None else 0)

    def _pitr_changed(self, t: Table) -> None:
        """The hook UpdateContinuousBackups calls: the log starts (with a base copy of
        the items) when PITR is switched on, and is dropped when it is switched off."""
        pitr = t.definition.get("PointInTimeRecovery")
        if pitr is None:
            self.backup_store.stop_log(t.id)
            self.scheduler.cancel(COMPACT, str(t.id))
        elif not pitr.get("Logged"):
            with self.db.transaction():
                self.backup_store.start_log(t.id, pitr["Since"])
                pitr["Logged"] = True
                self._save(t)
                self.scheduler.at(pitr["Since"] + DAY, COMPACT, {"table": t.id}, key=str(t.id), every=DAY)

    def _restorable(self, t: Table) -> tuple[float, float]:
        pitr = t.definition["PointInTimeRecovery"]
        now = self.clock.now()
        days = pitr.get("RecoveryPeriodInDays", 35)
        return max(pitr["Since"], now - days * 86400), now - LATEST_LAG

    def restore_table_to_point_in_time(self, ctx, params: dict) -> dict:
        target = params.get("TargetTableName")
        tb.check_table_name(target, "targetTableName")
        arn, name = params.get("SourceTableArn"), params.get("SourceTableName")
        if arn is None and name is None:
            raise validation("Either SourceTableArn or SourceTableName must be specified")
        try:
            t = self._by_arn(arn) if arn is not None else self._table(ctx, name)
        except ServiceError as e:
            if e.code != "ResourceNotFoundException":
                raise
            raise ServiceError("TableNotFoundException",
                               f"Table not found: {arn if arn is not None else name}") from None
        if not t.definition.get("PointInTimeRecovery"):
            raise ServiceError("PointInTimeRecoveryUnavailableException",
                               f"Point in time recovery is not enabled for table '{t.name}'")
        earliest, latest = self._restorable(t)
        if params.get("UseLatestRestorableTime"):
            if params.get("RestoreDateTime") is not None:
                raise validation("Only one of RestoreDateTime or UseLatestRestorableTime can be specified")
            when = latest
        else:
            if params.get("RestoreDateTime") is None:
                raise validation("Either RestoreDateTime or UseLatestRestorableTime must be specified")
            when = seconds(params["RestoreDateTime"])
            if not earliest <= when <= latest:
                raise ServiceError("InvalidRestoreTimeException",
                                   "Invalid restore time: the restore time must be between the earliest "
                                   "restorable date time and the latest restorable date time")
        summary = {"SourceTableArn": t.arn, "RestoreDateTime": when, "RestoreInProgress": False}
        return self._restore(ctx, target, t.definition, self.backup_store.rows_at(t.id, when), params, summary)
