"""S3 Lifecycle acting on the controllable clock: expiration, noncurrent version
expiration, expired delete marker cleanup, aborting incomplete multipart
uploads and storage class transitions, as the S3 user guide's "Managing your
storage lifecycle" describes them.

S3 evaluates lifecycle rules once a day, after midnight UTC. Here a bucket
with a lifecycle configuration has one durable ``s3:lifecycle`` timer (keyed
by the bucket) due at the next midnight UTC; each firing sweeps the bucket in
bounded batches (a batch that leaves work re-arms the timer for "now", so the
event loop serves requests between batches) and then re-arms it for the next
midnight. Putting a configuration arms it; deleting the configuration or the
bucket cancels it; a firing that finds neither stops.

Action times follow "How S3 Lifecycle calculates expiration": the days are
added to the object's creation time (to the time a version became
noncurrent, to an upload's initiation) and the result is rounded up to the
next midnight UTC. The ``x-amz-expiration`` and ``x-amz-abort-date`` answers
come from the same calculation.

The lifecycle documents are kept in memory (``docs``), so a request to a
bucket without lifecycle pays one dict lookup for all of this.
"""
from __future__ import annotations

import asyncio
import datetime as _dt
import math
import secrets
from urllib.parse import quote

from ..base import RequestContext
from . import events, object_lock
from .names import check_key, key_text
from .store import Obj

KIND = "s3:lifecycle"
DAY = 86400
BATCH = 500  # object versions (or uploads) examined per firing
SMALL = 128 * 1024  # below this, objects do not transition unless a size filter says so
# The classes that take small objects under "varies_by_storage_class".
SMALL_OK = {"GLACIER", "DEEP_ARCHIVE"}


def next_midnight(t: float) -> float:
    """The first midnight UTC after ``t`` (a time exactly at midnight goes to the next one)."""
    return (math.floor(t / DAY) + 1) * DAY


def _after_days(t: float, days) -> float:
    return next_midnight(t + (days or 0) * DAY)


def _date(value) -> float:
    if isinstance(value, _dt.datetime):
        d = value
    else:
        d = _dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if d.tzinfo is None:
        d = d.replace(tzinfo=_dt.timezone.utc)
    return d.timestamp()


def _http_date(t: float) -> str:
    return _dt.datetime.fromtimestamp(t, tz=_dt.timezone.utc).strftime("%a, %d %b %Y %H:%M:%S GMT")


# -- filters ------------------------------------------------------------------------------------

def _conditions(rule: dict) -> tuple[str, list, int | None, int | None]:
    """(prefix, tags, size greater than, size less than) of a rule's filter."""
    if "Filter" not in rule:
        return rule.get("Prefix") or "", [], None, None
    f = rule.get("Filter") or {}
    if f.get("And") is not None:
        a = f["And"]
        return a.get("Prefix") or "", a.get("Tags") or [], a.get("ObjectSizeGreaterThan"), a.get("ObjectSizeLessThan")
    tags = [f["Tag"]] if f.get("Tag") else []
    return f.get("Prefix") or "", tags, f.get("ObjectSizeGreaterThan"), f.get("ObjectSizeLessThan")


def _applies(rule: dict, key: str, o: Obj | None) -> bool:
    """Whether an enabled ``rule``'s filter takes ``key`` (and, for an object version, its size and tags)."""
    prefix, tags, bigger, smaller = _conditions(rule)
    if not key.startswith(prefix):
        return False
    if o is None:  # a multipart upload: only the prefix applies
        return True
    if tags:
        have = {(t["Key"], t.get("Value", "")) for t in o.tags}
        if any((t["Key"], t.get("Value", "")) not in have for t in tags):
            return False
    if bigger is not None and not o.size > bigger:
        return False
    if smaller is not None and not o.size < smaller:
        return False
    return True


def _expiry(rule: dict, o: Obj) -> float | None:
    """When ``rule``'s Expiration (Days or Date) takes the current version ``o``."""
    exp = rule.get("Expiration") or {}
    if exp.get("Days") is not None:
        return _after_days(o.modified, exp["Days"])
    if exp.get("Date") is not None:
        return _date(exp["Date"])
    return None


def _may_transition(doc: dict, rule: dict, storage_class: str, size: int) -> bool:
    if size >= SMALL or _conditions(rule)[2] is not None:
        return True
    minimum = doc.get("TransitionDefaultMinimumObjectSize") or "all_storage_classes_128K"
    return minimum == "varies_by_storage_class" and storage_class in SMALL_OK


# -- the engine ---------------------------------------------------------------------------------

class Lifecycle:
    def __init__(self, provider):
        self.p = provider
        self.docs: dict[str, dict] = {}
        provider.scheduler.on(KIND, self.on_timer)
        self.load()
        # A configuration put before lifecycle acted (an older data directory) has no timer yet.
        armed = {t["timer_key"] for t in provider.scheduler.pending(KIND)}
        for bucket in self.docs.keys() - armed:
            provider.scheduler.at(next_midnight(provider.clock.now()), KIND, {"bucket": bucket}, key=bucket)

    def load(self) -> None:
        """Read every bucket's lifecycle document (on start and after a reset)."""
        self.docs = {}
        for bucket, in self.p.db.query("SELECT bucket FROM s3_bucket_configs WHERE kind = 'lifecycle'"):
            self._cache(bucket)

    def _cache(self, bucket: str) -> None:
        doc = self.p._config(bucket, "lifecycle", None)
        if doc and doc.get("Rules"):
            doc["Rules"] = [r for r in doc["Rules"] if r.get("Status") == "Enabled"]
            self.docs[bucket] = doc
        else:
            self.docs.pop(bucket, None)

    # -- configuration changes (hooks of Put/DeleteBucketLifecycle and DeleteBucket) -----------

    def configured(self, bucket: str) -> None:
        """A lifecycle configuration was put: the first evaluation is at the next midnight UTC."""
        self._cache(bucket)
        self.p.scheduler.at(next_midnight(self.p.clock.now()), KIND, {"bucket": bucket}, key=bucket)

    def removed(self, bucket: str) -> None:
        self.docs.pop(bucket, None)
        self.p.scheduler.cancel(KIND, bucket)

    # -- response headers --------------------------------------------------------------------

    def expiration(self, b, o: Obj, out: dict) -> None:
        """``x-amz-expiration`` for the current version ``o``, when a rule expires it."""
        doc = self.docs.get(b.name)
        if doc is None or not o.is_latest or o.delete_marker:
            return
        best = None
        key = o.key_text
        for rule in doc["Rules"]:
            when = _expiry(rule, o)
            if when is not None and _applies(rule, key, o) and (best is None or when < best[0]):
                best = (when, rule.get("ID") or "")
        if best is not None:
            out["Expiration"] = f'expiry-date="{_http_date(best[0])}", rule-id="{quote(best[1], safe="")}"'

    def written(self, params: dict, out: dict) -> dict:
        """PutObject's answer with ``Expiration`` added (the object read back only when a rule could apply)."""
        name = params.get("Bucket")
        if name in self.docs:
            b = self.p.store.bucket(name)
            o = self.p.store.current(name, check_key(params["Key"]))
            if b is not None and o is not None:
                self.expiration(b, o, out)
        return out

    def abort_date(self, bucket: str, key: str, initiated: float, out: dict) -> None:
        """``x-amz-abort-date`` / ``x-amz-abort-rule-id`` for an upload a rule would abort."""
        doc = self.docs.get(bucket)
        if doc is None:
            return
        best = None
        for rule in doc["Rules"]:
            abort = rule.get("AbortIncompleteMultipartUpload")
            if abort and _applies(rule, key, None):
                when = _after_days(initiated, abort.get("DaysAfterInitiation"))
                if best is None or when < best[0]:
                    best = (when, rule.get("ID") or "")
        if best is not None:
            out["AbortDate"] = _dt.datetime.fromtimestamp(best[0], tz=_dt.timezone.utc)
            out["AbortRuleId"] = best[1]

    # -- the daily sweep ---------------------------------------------------------------------

    async def on_timer(self, payload: dict) -> None:
        name = payload["bucket"]
        doc = self.docs.get(name)
        b = self.p.store.bucket(name)
        if b is None or doc is None:
            return  # configuration or bucket gone: no more evaluations
        now = self.p.clock.now()
        run = payload.get("run") or now
        # The next evaluation is armed first, so that a failing batch does not stop them.
        self.p.scheduler.at(next_midnight(run), KIND, {"bucket": name}, key=name)
        phase, after = payload.get("phase", "objects"), payload.get("after")
        if phase == "objects":
            done, after = await self._objects(b, doc, run, after)
            if done:
                phase, after = "uploads", None
        if phase == "uploads":
            done, after = await self._uploads(b, doc, run, after)
            if done:
                return
        self.p.scheduler.at(now, KIND, {"bucket": name, "run": run, "phase": phase, "after": after}, key=name)
        await asyncio.sleep(0)

    async def _objects(self, b, doc: dict, run: float, after: str | None) -> tuple[bool, str | None]:
        """One batch of keys from after the key ``after`` (hex); (finished, where the next batch starts)."""
        store = self.p.store
        start = bytes.fromhex(after) + b"\x00" if after is not None else b""
        rows = store.versions(b.name, start, None, None, BATCH)
        finished = len(rows) < BATCH
        groups: list[list[Obj]] = []
        for o in rows:
            if groups and groups[-1][0].key == o.key:
                groups[-1].append(o)
            else:
                groups.append([o])
        if not finished:
            if len(groups) > 1:
                groups.pop()  # its versions may go on in the next batch
            else:
                k = groups[0][0].key
                groups = [store.versions(b.name, k, None, k + b"\x00", 1 << 62)]
        notes: list[tuple] = []
        with self.p.db.transaction():
            for versions in groups:
                self._key(b, doc, run, versions, notes)
        await self._settle(b, notes)
        return finished, (groups[-1][0].key.hex() if groups else after)

    def _key(self, b, doc: dict, run: float, versions: list[Obj], notes: list) -> None:
        """Apply the rules to one key's versions (newest first) as of ``run``."""
        store = self.p.store
        rules = doc["Rules"]
        key = versions[0].key_text
        raw = versions[0].key
        changed = False
        cur = versions[0] if versions[0].is_latest else None
        if cur is not None and not cur.delete_marker:
            rules_here = [r for r in rules if _applies(r, key, cur)]
            if any((_expiry(r, cur) or math.inf) <= run for r in rules_here):
                if b.versioning is None:
                    store.remove(cur)
                    notes.append(("LifecycleExpiration:Delete", key, cur))
                    return
                marker = Obj(b.name, raw, self.p._version_for_write(b), store.next_seq(), True, True, [], 0, "",
                             run, {}, [])
                store.insert(marker)
                notes.append(("LifecycleExpiration:DeleteMarkerCreated", key, marker))
                changed = True
            elif self._transition(doc, rules_here, cur, cur.modified, 0, "Transitions", run):
                notes.append(("LifecycleTransition", key, cur))
        if changed:
            versions = store.versions(b.name, raw, None, raw + b"\x00", 1 << 62)
        # Noncurrent versions: each became noncurrent when the next newer one was written.
        kept = [versions[0]]
        for i, v in enumerate(versions[1:]):
            since = versions[i].modified
            here = [r for r in rules if _applies(r, key, v)]
            gone = False
            for r in here:
                nve = r.get("NoncurrentVersionExpiration")
                if not nve:
                    continue
                newer = nve.get("NewerNoncurrentVersions")
                if _after_days(since, nve.get("NoncurrentDays")) <= run and (newer is None or i >= newer):
                    gone = True
                    break
            if gone and not object_lock.retained(v, run):  # a locked version outlives its rule
                store.remove(v)
                notes.append(("LifecycleExpiration:Delete", key, v))
            else:
                kept.append(v)
                if not v.delete_marker and self._transition(doc, here, v, since, i, "NoncurrentVersionTransitions",
                                                            run):
                    notes.append(("LifecycleTransition", key, v))
        # An expired object delete marker: the only version left.
        if len(kept) == 1 and kept[0].delete_marker and kept[0].is_latest:
            m = kept[0]
            for r in rules:
                if not _applies(r, key, m):
                    continue
                exp = r.get("Expiration") or {}
                if exp.get("ExpiredObjectDeleteMarker") or (
                        exp.get("Days") is not None and _after_days(m.modified, exp["Days"]) <= run):
                    store.remove(m)
                    notes.append(("LifecycleExpiration:Delete", key, m))
                    break

    def _transition(self, doc: dict, rules: list, o: Obj, since: float, newer_count: int, member: str,
                    run: float) -> bool:
        """Move ``o`` to the storage class of the latest transition that is due (True if it moved)."""
        best = None
        for r in rules:
            for t in r.get(member) or []:
                sc = t.get("StorageClass")
                if member == "Transitions":
                    when = _date(t["Date"]) if t.get("Date") is not None else _after_days(since, t.get("Days"))
                else:
                    if t.get("NewerNoncurrentVersions") is not None and newer_count < t["NewerNoncurrentVersions"]:
                        continue
                    when = _after_days(since, t.get("NoncurrentDays"))
                if sc and when <= run and _may_transition(doc, r, sc, o.size) and (best is None or when > best[0]):
                    best = (when, sc)
        if best is None or o.meta.get("StorageClass", "STANDARD") == best[1]:
            return False
        self.p.store.set_meta(o, dict(o.meta, StorageClass=best[1]))
        return True

    async def _uploads(self, b, doc: dict, run: float, after: list | None) -> tuple[bool, list | None]:
        store = self.p.store
        if after is None:
            ups = store.uploads(b.name, b"", None, None, BATCH)
        else:
            ups = store.uploads(b.name, bytes.fromhex(after[0]), after[1], None, BATCH)
        aborting = []
        for u in ups:
            key = key_text(u["key"])
            for r in doc["Rules"]:
                abort = r.get("AbortIncompleteMultipartUpload")
                if abort and _applies(r, key, None) and \
                        _after_days(u["initiated"], abort.get("DaysAfterInitiation")) <= run:
                    aborting.append(u["id"])
                    break
        if aborting:
            with self.p.db.transaction():
                for upload_id in aborting:
                    store.drop_upload(upload_id)
            await self.p._collect()
        if len(ups) < BATCH:
            return True, None
        return False, [ups[-1]["key"].hex(), ups[-1]["id"]]

    async def _settle(self, b, notes: list) -> None:
        """Free the blobs of what was deleted, then report the changes to the bucket's notification
        destinations (``LifecycleExpiration:*``, ``LifecycleTransition``)."""
        if not notes:
            return
        await self.p._collect()
        ctx = RequestContext("s3", "Lifecycle", b.account, b.region, secrets.token_hex(8).upper(),
                             principal="s3.amazonaws.com", internal=True)
        for event, key, o in notes:
            fields = {"version_id": o.version_id, "seq": o.seq}
            if not o.delete_marker and event != "LifecycleExpiration:DeleteMarkerCreated":
                fields.update(size=o.size, etag=o.etag)
            events.emit(self.p, ctx, b, event, key, **fields)
