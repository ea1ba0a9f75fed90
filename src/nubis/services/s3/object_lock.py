"""S3 Object Lock on object versions: retention (GOVERNANCE / COMPLIANCE until
a date) and legal holds, and the permanent deletes they refuse (S3 user guide,
"Locking objects with Object Lock"; the bucket's own configuration is in
``bucket_config``).

A version's lock lives in its ``meta`` as ``"Lock": {"Mode", "Until" (epoch
seconds), "LegalHold"}``. It is set on write (the ``x-amz-object-lock-*``
headers of PutObject, CopyObject and CreateMultipartUpload, else the bucket's
default retention) and changed by PutObjectRetention / PutObjectLegalHold.
A retention protects its version until ``Until`` on the controllable clock;
a legal hold until it is turned OFF. Overwriting is never refused: a locked
version can only exist in a versioning-enabled bucket, where a write adds a
version and a plain DELETE adds a delete marker.

The mixin's operations, and hooks the provider calls: ``on_write`` (from
``_object_meta``), ``headers`` (HeadObject / GetObject), ``check_delete``
(DeleteObject / DeleteObjects with a version id) and ``retained`` (lifecycle).
"""
from __future__ import annotations

import datetime as _dt

from ...protocol.errors import ServiceError
from ..base import RequestContext
from . import errors

MODES = ("GOVERNANCE", "COMPLIANCE")
_DAY = 86400
_CHECKSUM_MEMBERS = ("ContentMD5", "ChecksumAlgorithm", "ChecksumCRC32", "ChecksumCRC32C", "ChecksumCRC64NVME",
                     "ChecksumSHA1", "ChecksumSHA256")


def _ts(t: float) -> _dt.datetime:
    return _dt.datetime.fromtimestamp(t, tz=_dt.timezone.utc)


def _epoch(value) -> float:
    return value.timestamp() if isinstance(value, _dt.datetime) else float(value)


def protected() -> ServiceError:
    return ServiceError("AccessDenied", "Access Denied because object protected by object lock.", 403)


def _in_future(until: float, now: float) -> None:
    if until <= now:
        raise errors.invalid_argument("The retain until date must be in the future!")


def _after_years(t: float, years: int) -> float:
    d = _ts(t)
    try:
        return d.replace(year=d.year + years).timestamp()
    except ValueError:  # 29 February in a year that has none
        return d.replace(year=d.year + years, day=28).timestamp()


def default_retention(doc: dict | None, now: float) -> dict | None:
    """The bucket's ``DefaultRetention`` as a version's lock, from ``now``."""
    rule = ((doc or {}).get("Rule") or {}).get("DefaultRetention")
    if not rule:
        return None
    if rule.get("Days") is not None:
        until = now + rule["Days"] * _DAY
    else:
        until = _after_years(now, rule["Years"])
    return {"Mode": rule["Mode"], "Until": until}


def on_write(p, b, params: dict, meta: dict) -> None:
    """Set ``meta["Lock"]`` for a version about to be written to ``b``: the
    request's ``x-amz-object-lock-*`` headers, else the bucket's default
    retention. A bucket that is not versioning-enabled cannot have Object Lock,
    so a write there costs two lookups in ``params``."""
    mode, until = params.get("ObjectLockMode"), params.get("ObjectLockRetainUntilDate")
    hold = params.get("ObjectLockLegalHoldStatus")
    explicit = mode is not None or until is not None or hold is not None
    if b.versioning != "Enabled" and not explicit:
        return
    doc = p.object_lock_configuration(b.name)
    if not (b.object_lock or (doc and doc.get("ObjectLockEnabled") == "Enabled")):
        if explicit:
            raise errors.invalid_request("Bucket is missing ObjectLockConfiguration")
        return
    lock: dict = {}
    now = p.clock.now()
    if mode is not None or until is not None:
        if mode is None or until is None:
            raise errors.invalid_argument("x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must "
                                          "both be supplied")
        if mode not in MODES:
            raise errors.invalid_argument("Unknown wormMode directive.", "x-amz-object-lock-mode", mode)
        until = _epoch(until)
        _in_future(until, now)
        lock = {"Mode": mode, "Until": until}
    else:
        lock = default_retention(doc, now) or {}
    if hold is not None:
        if hold not in ("ON", "OFF"):
            raise errors.invalid_argument("Legal Hold must be either of 'ON' or 'OFF'",
                                          "x-amz-object-lock-legal-hold", hold)
        lock["LegalHold"] = hold
    if not lock:
        return
    # A PUT body locked by Object Lock must carry an integrity check (CopyObject
    # and CreateMultipartUpload have no body here).
    if "Body" in params and (explicit or "Mode" in lock) and not any(params.get(m) for m in _CHECKSUM_MEMBERS):
        raise errors.invalid_request("Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object "
                                     "requests with Object Lock parameters")
    meta["Lock"] = lock


def headers(lock: dict) -> dict:
    """HeadObject / GetObject's ``x-amz-object-lock-*`` members for a version's lock."""
    out = {}
    if lock.get("Mode"):
        out["ObjectLockMode"] = lock["Mode"]
        out["ObjectLockRetainUntilDate"] = _ts(lock["Until"])
    if lock.get("LegalHold"):
        out["ObjectLockLegalHoldStatus"] = lock["LegalHold"]
    return out


def retained(o, now: float) -> bool:
    """Whether version ``o`` may not be deleted for good at ``now`` (by anyone)."""
    lock = o.meta.get("Lock")
    return bool(lock) and (lock.get("LegalHold") == "ON" or (bool(lock.get("Mode")) and now < lock["Until"]))


def check_delete(p, o, bypass: bool) -> None:
    """Refuse the permanent delete of a locked version: a legal hold, a COMPLIANCE
    retention, or a GOVERNANCE one unless the request bypasses it."""
    lock = o.meta.get("Lock")
    if not lock:
        return
    if lock.get("LegalHold") == "ON":
        raise protected()
    if lock.get("Mode") and p.clock.now() < lock["Until"] and not (lock["Mode"] == "GOVERNANCE" and bypass):
        raise protected()


class ObjectLock:
    """PutObjectRetention, GetObjectRetention, PutObjectLegalHold, GetObjectLegalHold
    (a mixin of ``S3Provider``)."""

    def _locked_version(self, ctx: RequestContext, params: dict):
        b = self.bucket(ctx, params["Bucket"])
        if not self._object_lock_enabled(b):
            raise errors.invalid_request("Bucket is missing Object Lock Configuration")
        return b, self._object(b, params["Key"], params.get("VersionId"))

    def put_object_retention(self, ctx: RequestContext, params: dict) -> dict:
        b, o = self._locked_version(ctx, params)
        retention = params.get("Retention")
        if retention is None:
            raise errors.malformed_xml()
        mode, until = retention.get("Mode"), retention.get("RetainUntilDate")
        if (mode is None) != (until is None) or (mode is not None and mode not in MODES):
            raise errors.malformed_xml()
        now = self.clock.now()
        if until is not None:
            until = _epoch(until)
            _in_future(until, now)
        lock = dict(o.meta.get("Lock") or {})
        if lock.get("Mode") and now < lock["Until"]:
            # Only a longer retention may replace an active one: COMPLIANCE cannot
            # be shortened, removed or weakened by anyone, GOVERNANCE only with
            # x-amz-bypass-governance-retention.
            shorter = until is None or until < lock["Until"]
            if lock["Mode"] == "COMPLIANCE" and (shorter or mode != "COMPLIANCE"):
                raise protected()
            if lock["Mode"] == "GOVERNANCE" and shorter and not params.get("BypassGovernanceRetention"):
                raise protected()
        lock.pop("Mode", None)
        lock.pop("Until", None)
        if mode is not None:
            lock.update(Mode=mode, Until=until)
        self._set_lock(o, lock)
        return {}

    def get_object_retention(self, ctx: RequestContext, params: dict) -> dict:
        _, o = self._locked_version(ctx, params)
        lock = o.meta.get("Lock") or {}
        if not lock.get("Mode"):
            raise _no_lock()
        return {"Retention": {"Mode": lock["Mode"], "RetainUntilDate": _ts(lock["Until"])}}

    def put_object_legal_hold(self, ctx: RequestContext, params: dict) -> dict:
        _, o = self._locked_version(ctx, params)
        status = (params.get("LegalHold") or {}).get("Status")
        if status not in ("ON", "OFF"):
            raise errors.malformed_xml()
        lock = dict(o.meta.get("Lock") or {})
        lock["LegalHold"] = status
        self._set_lock(o, lock)
        return {}

    def get_object_legal_hold(self, ctx: RequestContext, params: dict) -> dict:
        _, o = self._locked_version(ctx, params)
        status = (o.meta.get("Lock") or {}).get("LegalHold")
        if status is None:
            raise _no_lock()
        return {"LegalHold": {"Status": status}}

    def _set_lock(self, o, lock: dict) -> None:
        meta = dict(o.meta)
        if lock:
            meta["Lock"] = lock
        else:
            meta.pop("Lock", None)
        with self.db.transaction():
            self.store.set_meta(o, meta)


def _no_lock() -> ServiceError:
    return ServiceError("NoSuchObjectLockConfiguration", "The specified object does not have a ObjectLock "
                        "configuration", 404)
