"""Amazon CloudWatch Logs.

Operations follow the API reference. Times are epoch milliseconds on the
runtime's controllable clock: PutLogEvents' "14 days in the past" and
"2 hours in the future" windows and a group's retention are measured on it,
so a test can pass a retention period at once. Expired events stop being
returned the moment they expire (reads are bounded by the retention cutoff)
and an hourly sweep deletes them, in bounded batches.
"""
from __future__ import annotations

import base64
import binascii
import json
import re

from ...protocol.errors import ServiceError
from ...protocol.wire import uuid4_text
from ..base import Provider, RequestContext
from . import filter_pattern, insights
from . import validation as v
from .account_config import AccountConfig
from .anomaly import AnomalyDetectors
from .data_sources import DataSources
from .delivery import Deliveries
from .export import Exports
from .imports import ImportTasks
from .integrations import Integrations
from .live_tail import LiveTail
from .lookup_tables import LookupTables
from .policies import Policies
from .s3_tables import S3TableIntegrations
from .scheduled_queries import ScheduledQueries
from .store import MIGRATIONS, Group, LogsStore, Stream
from .subscriptions import Subscriptions
from .transformers import Transformers

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
MAX_BATCH_BYTES = 1_048_576
EVENT_OVERHEAD = 26
MAX_RESPONSE_BYTES = 1_048_576
SWEEP_EVERY = 3600.0
SWEEP_BATCH = 5000
SWEEP_KIND = "logs:retention"
SWEEP_MORE = "logs:retention-more"
FILTER_SCAN = 2000         # rows read per round while filtering
FILTER_SCAN_MAX = 100_000  # rows one FilterLogEvents call reads before it returns a token
QUERY_KEPT_MS = 7 * DAY_MS  # Logs Insights keeps a query's results for seven days
FIELD_SAMPLE = 10_000      # events GetLogGroupFields reads


# -- tokens -----------------------------------------------------------------------------------

def _position_token(direction: str, ts: int, event_id: int) -> str:
    # AWS's tokens are "f/" or "b/" and 56 digits; ours carry a (timestamp, id) position.
    return f"{direction}/{ts:028d}{event_id:028d}"


def _read_position(token: str) -> tuple[str, tuple[int, int]]:
    if (len(token) != 58 or token[1] != "/" or token[0] not in "fb" or not token[2:].isdigit()):
        raise v.invalid("The specified nextToken is invalid.")
    return token[0], (int(token[2:30]), int(token[30:]))


def _opaque(doc: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(doc, separators=(",", ":")).encode()).decode()


def _unopaque(token: str) -> dict:
    try:
        doc = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise v.invalid("The specified nextToken is invalid.") from None
    if not isinstance(doc, dict):
        raise v.invalid("The specified nextToken is invalid.")
    return doc

# The last epoch second whose milliseconds a stored timestamp (SQLite's 64 bits) can hold:
# a query ending later ends there.
_LAST_SECOND = (2 ** 63 - 1) // 1000 - 1


class LogsProvider(AccountConfig, Deliveries, Policies, Transformers, AnomalyDetectors, ScheduledQueries, LookupTables,
                   Integrations, Exports, LiveTail, DataSources, ImportTasks, S3TableIntegrations, Provider):
    service = "logs"
    migrations = MIGRATIONS

    def start(self) -> None:
        self.store = LogsStore(self.db)
        self.scheduler.on(SWEEP_KIND, self._sweep)
        self.scheduler.on(SWEEP_MORE, self._sweep)
        self._sweeping = bool(self.scheduler.pending(SWEEP_KIND))
        self.subscriptions = Subscriptions(self)
        self.subscriptions.load()
        self._tails_by_group, self._tail_sessions = {}, set()
        self.start_exports()
        self.start_scheduled_queries()

    def reset(self) -> None:
        self.store.load()
        self._tails_by_group.clear()  # open Live Tail sessions tail no group of the wiped state
        self._sweeping = bool(self.scheduler.pending(SWEEP_KIND))
        self.subscriptions.load()

    # -- helpers --------------------------------------------------------------------------------

    def _now(self) -> int:
        return self.clock.now_ms()

    def _group(self, ctx: RequestContext, params: dict, member: str = "logGroupName") -> Group:
        name = v.name(params, member, v.GROUP_NAME)
        g = self.store.group(ctx.account, ctx.region, name)
        if g is None:
            raise v.not_found("log group")
        return g

    def _group_by_identifier(self, ctx: RequestContext, params: dict) -> Group:
        """``logGroupName`` or ``logGroupIdentifier`` (a name or an ARN), not both."""
        ident = params.get("logGroupIdentifier")
        if params.get("logGroupName") is not None:
            if ident is not None:
                raise v.invalid("LogGroup name and LogGroup ARN are mutually exclusive parameters.")
            return self._group(ctx, params)
        if ident is None:
            raise v.invalid("Should provide either logGroupName or logGroupIdentifier.")
        return self._group_from_arn_or_name(ctx, ident)

    def _group_from_arn_or_name(self, ctx: RequestContext, ident: str) -> Group:
        account, region, name = ctx.account, ctx.region, ident
        if ident.startswith("arn:"):
            parts = ident.split(":")
            if len(parts) < 7 or parts[2] != "logs" or parts[5] != "log-group":
                raise v.invalid(f"Invalid ARN: {ident}")
            region, account, name = parts[3], parts[4], parts[6]
        g = self.store.group(account, region, name)
        if g is None:
            raise v.not_found("log group")
        return g

    def _stream(self, g: Group, params: dict) -> Stream:
        name = v.name(params, "logStreamName", v.STREAM_NAME)
        s = self.store.stream(g, name)
        if s is None:
            raise v.not_found("log stream")
        return s

    def _cutoff(self, g: Group, now: int) -> int:
        """The oldest timestamp still kept (0 without retention)."""
        return now - g.retention * DAY_MS if g.retention else 0

    # -- log groups ---------------------------------------------------------------------------------

    def create_log_group(self, ctx: RequestContext, params: dict) -> dict:
        name = v.name(params, "logGroupName", v.GROUP_NAME)
        cls = params.get("logGroupClass") or "STANDARD"
        if cls not in v.GROUP_CLASSES:
            raise v.constraint(cls, "logGroupClass", "Member must satisfy enum value set: "
                               f"[{', '.join(v.GROUP_CLASSES)}]")
        tags = v.tags(params.get("tags"))
        if name.lower().startswith("aws/") and not ctx.internal:
            raise v.invalid("Log groups starting with AWS/ are reserved for AWS.")
        if self.store.group(ctx.account, ctx.region, name) is not None:
            raise v.already_exists("log group")
        self.store.create_group(ctx.account, ctx.region, name, self._now(), params.get("kmsKeyId"), cls,
                                bool(params.get("deletionProtectionEnabled")), tags)
        return {}

    def delete_log_group(self, ctx: RequestContext, params: dict) -> dict:
        g = self._group(ctx, params)
        if g.deletion_protection:
            raise v.validation("Cannot delete log group with deletion protection enabled. "
                               "Disable deletion protection first.")
        self.store.delete_group(g)
        self.subscriptions.forget(g.id)
        self._live_tail_forget_group(g.id)
        return {}

    def put_log_group_deletion_protection(self, ctx: RequestContext, params: dict) -> dict:
        g = self._group_from_arn_or_name(ctx, v.required(params, "logGroupIdentifier"))
        g.deletion_protection = bool(v.required(params, "deletionProtectionEnabled"))
        self.store.save_group(g)
        return {}

    def put_bearer_token_authentication(self, ctx: RequestContext, params: dict) -> dict:
        ident = v.required(params, "logGroupIdentifier")
        enabled = v.required(params, "bearerTokenAuthenticationEnabled")
        g = self._group_from_arn_or_name(ctx, ident)
        # Stored and described; nubis has no bearer-token (HTTP) ingestion endpoint for it to guard yet.
        g.bearer_token = bool(enabled)
        self.store.save_group(g)
        return {}

    def describe_log_groups(self, ctx: RequestContext, params: dict) -> dict:
        limit = v.limit(params, 50, 50)
        prefix = params.get("logGroupNamePrefix")
        pattern = params.get("logGroupNamePattern")
        if prefix is not None and pattern is not None:
            raise v.invalid("LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.")
        if prefix is not None:
            v.check_name(prefix, "logGroupNamePrefix", v.GROUP_NAME)
        if pattern is not None:
            v.check_name(pattern, "logGroupNamePattern", v.GROUP_NAME, lo=0)
        groups = self.store.groups_in(ctx.account, ctx.region)
        if prefix:
            groups = [g for g in groups if g.name.startswith(prefix)]
        if pattern:
            groups = [g for g in groups if pattern in g.name]  # a case-sensitive substring
        if params.get("logGroupClass"):
            groups = [g for g in groups if g.cls == params["logGroupClass"]]
        idents = params.get("logGroupIdentifiers")
        if idents and (prefix is not None or pattern is not None or params.get("logGroupClass")):
            raise v.invalid("logGroupIdentifiers cannot be combined with other filters.")
        if idents:
            wanted = {i.split(":log-group:", 1)[-1].removesuffix(":*") for i in idents}
            groups = [g for g in groups if g.name in wanted]
        if params.get("nextToken"):
            after = _unopaque(params["nextToken"]).get("after")
            if not isinstance(after, str):
                raise v.invalid("The specified nextToken is invalid.")
            groups = [g for g in groups if g.name > after]
        page = groups[:limit]
        sizes = self.store.stored_bytes([g.id for g in page])
        counts = self.store.metric_filter_counts() if page else {}
        described = [self._describe_group(g, sizes.get(g.id, 0), counts.get(g.id, 0)) for g in page]
        if pattern is not None:
            # "only arn, creationTime, and logGroupName are included in the response"
            described = [{k: d[k] for k in ("logGroupName", "creationTime", "arn")} for d in described]
        out: dict = {"logGroups": described}
        if len(groups) > limit:
            out["nextToken"] = _opaque({"after": page[-1].name})
        return out

    def list_log_groups(self, ctx: RequestContext, params: dict) -> dict:
        limit = v.limit(params, 50, 1000)
        groups = self.store.groups_in(ctx.account, ctx.region)
        pattern = params.get("logGroupNamePattern")
        if pattern:
            # A regular expression (^ for a prefix, | for alternatives), case-sensitive.
            try:
                rx = re.compile(pattern)
            except re.error:
                raise v.invalid(f"Invalid logGroupNamePattern: {pattern}") from None
            groups = [g for g in groups if rx.search(g.name)]
        if params.get("logGroupClass"):
            groups = [g for g in groups if g.cls == params["logGroupClass"]]
        for tag in params.get("logGroupTags") or ():
            key, values = tag.get("key"), tag.get("values")
            groups = [g for g in groups if key in g.tags and (not values or g.tags[key] in values)]
        if params.get("nextToken"):
            after = _unopaque(params["nextToken"]).get("after")
            if not isinstance(after, str):
                raise v.invalid("The specified nextToken is invalid.")
            groups = [g for g in groups if g.name > after]
        page = groups[:limit]
        out: dict = {"logGroups": [{"logGroupName": g.name, "logGroupArn": g.arn, "logGroupClass": g.cls}
                                   for g in page]}
        if len(groups) > limit:
            out["nextToken"] = _opaque({"after": page[-1].name})
        return out

    def _describe_group(self, g: Group, stored: int, metric_filters: int) -> dict:
        return {"logGroupName": g.name, "creationTime": g.created, "retentionInDays": g.retention,
                "metricFilterCount": metric_filters, "arn": g.arn + ":*", "logGroupArn": g.arn,
                "storedBytes": stored, "kmsKeyId": g.kms_key, "logGroupClass": g.cls,
                "deletionProtectionEnabled": g.deletion_protection,
                "bearerTokenAuthenticationEnabled": g.bearer_token}

    def put_retention_policy(self, ctx: RequestContext, params: dict) -> dict:
        g = self._group(ctx, params)
        g.retention = v.retention(v.required(params, "retentionInDays"))
        self.store.save_group(g)
        if not self._sweeping:
            self.scheduler.after(SWEEP_EVERY, SWEEP_KIND, key="sweep", every=SWEEP_EVERY)
            self._sweeping = True
        return {}

    def delete_retention_policy(self, ctx: RequestContext, params: dict) -> dict:
        g = self._group(ctx, params)
        g.retention = None
        self.store.save_group(g)
        return {}

    def associate_kms_key(self, ctx: RequestContext, params: dict) -> dict:
        g = self._kms_target(ctx, params)
        g.kms_key = v.required(params, "kmsKeyId")
        self.store.save_group(g)
        return {}

    def disassociate_kms_key(self, ctx: RequestContext, params: dict) -> dict:
        g = self._kms_target(ctx, params)
        g.kms_key = None
        self.store.save_group(g)
        return {}

    def _kms_target(self, ctx: RequestContext, params: dict) -> Group:
        if params.get("logGroupName") is not None:
            if params.get("resourceIdentifier") is not None:
                raise v.invalid("logGroupName and resourceIdentifier are mutually exclusive parameters.")
            return self._group(ctx, params)
        ident = params.get("resourceIdentifier")
        if ident is None:
            raise v.invalid("Should provide either logGroupName or resourceIdentifier.")
        return self._group_from_arn_or_name(ctx, ident)

    # -- tags -------------------------------------------------------------------------------------------

    def tag_resource(self, ctx: RequestContext, params: dict) -> dict:
        tags, save = self._tagged(ctx, params)
        new = v.tags(v.required(params, "tags"))
        if len({**tags, **new}) > 50:
            raise v.invalid("A resource can have no more than 50 tags.")
        tags.update(new)
        save()
        return {}

    def untag_resource(self, ctx: RequestContext, params: dict) -> dict:
        tags, save = self._tagged(ctx, params)
        for key in v.required(params, "tagKeys"):
            tags.pop(key, None)
        save()
        return {}

    def list_tags_for_resource(self, ctx: RequestContext, params: dict) -> dict:
        return {"tags": dict(self._tagged(ctx, params)[0])}

    def _tagged(self, ctx: RequestContext, params: dict):
        """The tags of a log group or a destination (the two resources Logs tags), and how to save them."""
        arn = v.required(params, "resourceArn")
        found = self._config_tags(arn)
        if found is not None:
            return found
        if ":destination:" in arn:
            parts = arn.split(":")
            d = self.store.destination(parts[4], parts[3], parts[6]) if len(parts) >= 7 else None
            if d is None:
                raise v.not_found("destination")
            tags = d["tags"]
            return tags, lambda: self.store.save_destination_tags(parts[4], parts[3], parts[6], tags)
        if ":log-group:" not in arn:
            raise v.invalid(f"Invalid resource ARN: {arn}")
        g = self._group_from_arn_or_name(ctx, arn.removesuffix(":*"))
        return g.tags, lambda: self.store.save_group(g)

    def tag_log_group(self, ctx: RequestContext, params: dict) -> dict:
        g = self._group(ctx, params)
        g.tags.update(v.tags(v.required(params, "tags")))
        self.store.save_group(g)
        return {}

    def untag_log_group(self, ctx: RequestContext, params: dict) -> dict:
        g = self._group(ctx, params)
        for key in v.required(params, "tags"):
            g.tags.pop(key, None)
        self.store.save_group(g)
        return {}

    def list_tags_log_group(self, ctx: RequestContext, params: dict) -> dict:
        return {"tags": dict(self._group(ctx, params).tags)}

    # -- log streams ------------------------------------------------------------------------------------

    def create_log_stream(self, ctx: RequestContext, params: dict) -> dict:
        g = self._group(ctx, params)
        name = v.name(params, "logStreamName", v.STREAM_NAME)
        if self.store.stream(g, name) is not None:
            raise v.already_exists("log stream")
        self.store.create_stream(g, name, self._now())
        return {}

    def delete_log_stream(self, ctx: RequestContext, params: dict) -> dict:
        g = self._group(ctx, params)
        self.store.delete_stream(g, self._stream(g, params))
        return {}

    def describe_log_streams(self, ctx: RequestContext, params: dict) -> dict:
        g = self._group_by_identifier(ctx, params)
        limit = v.limit(params, 50, 50)
        order = params.get("orderBy") or "LogStreamName"
        if order not in ("LogStreamName", "LastEventTime"):
            raise v.constraint(order, "orderBy", "Member must satisfy enum value set: [LogStreamName, LastEventTime]")
        prefix = params.get("logStreamNamePrefix")
        if prefix is not None:
            if order == "LastEventTime":
                raise v.invalid("Cannot order by LastEventTime with a logStreamNamePrefix.")
            v.check_name(prefix, "logStreamNamePrefix", v.STREAM_NAME)
        descending = bool(params.get("descending"))
        streams = self.store.streams_of(g)
        if prefix:
            streams = [s for s in streams if s.name.startswith(prefix)]
        if order == "LastEventTime":
            # Streams without events sort as the oldest; the name breaks ties.
            key = (lambda s: (s.last_event if s.last_event is not None else -1, s.name))
        else:
            key = (lambda s: (s.name,))
        streams.sort(key=key, reverse=descending)
        if params.get("nextToken"):
            doc = _unopaque(params["nextToken"])
            after = doc.get("after")
            if doc.get("order") != order or not isinstance(after, list) or len(after) != (
                    2 if order == "LastEventTime" else 1):
                raise v.invalid("The specified nextToken is invalid.")
            try:
                streams = [s for s in streams if (key(s) < tuple(after) if descending else key(s) > tuple(after))]
            except TypeError:
                raise v.invalid("The specified nextToken is invalid.") from None
        page = streams[:limit]
        out: dict = {"logStreams": [self._describe_stream(g, s) for s in page]}
        if len(streams) > limit:
            out["nextToken"] = _opaque({"order": order, "after": list(key(page[-1]))})
        return out

    def _describe_stream(self, g: Group, s: Stream) -> dict:
        return {"logStreamName": s.name, "creationTime": s.created, "firstEventTimestamp": s.first_event,
                "lastEventTimestamp": s.last_event, "lastIngestionTime": s.last_ingestion,
                "uploadSequenceToken": f"{s.sequence + 1:056d}", "arn": f"{g.arn}:log-stream:{s.name}",
                # "no longer supported for log streams, and is always reported as zero"
                "storedBytes": 0}

    # -- events ---------------------------------------------------------------------------------------------

    def put_log_events(self, ctx: RequestContext, params: dict) -> dict:
        events = v.required(params, "logEvents")
        if not 1 <= len(events) <= 10_000:
            rule = ("Member must have length greater than or equal to 1" if not events
                    else "Member must have length less than or equal to 10000")
            raise v.constraint("[...]", "logEvents", rule)
        g = self._group(ctx, params)
        s = self._stream(g, params)
        size = 0
        previous = None
        for i, e in enumerate(events):
            ts, msg = e.get("timestamp"), e.get("message")
            if ts is None:
                raise v.constraint("null", f"logEvents.{i + 1}.member.timestamp", "Member must not be null")
            if isinstance(ts, bool) or not isinstance(ts, (int, float)) or ts < 0:
                raise v.constraint(ts, f"logEvents.{i + 1}.member.timestamp",
                                   "Member must have value greater than or equal to 0")
            if not isinstance(msg, str) or msg == "":
                raise v.constraint(msg or "null", f"logEvents.{i + 1}.member.message",
                                   "Member must have length greater than or equal to 1")
            if previous is not None and ts < previous:
                raise v.invalid("Log events in a single PutLogEvents request must be in chronological order.")
            previous = ts
            size += len(msg.encode("utf-8")) + EVENT_OVERHEAD
        if size > MAX_BATCH_BYTES:
            raise v.invalid(f"Upload too large: {size} bytes exceeds limit of {MAX_BATCH_BYTES}")
        now = self._now()
        too_old_before = now - 14 * DAY_MS
        expired_before = self._cutoff(g, now)
        too_new_after = now + 2 * HOUR_MS
        # Events are sorted: the rejected ones are a head (too old, expired) and a tail (too new).
        too_old = sum(1 for e in events if e["timestamp"] < too_old_before)
        expired = sum(1 for e in events if e["timestamp"] < expired_before)
        too_new = next((i for i, e in enumerate(events) if e["timestamp"] > too_new_after), None)
        accepted = events[max(too_old, expired):len(events) if too_new is None else too_new]
        if accepted and accepted[-1]["timestamp"] - accepted[0]["timestamp"] > DAY_MS:
            raise v.invalid("Log events in a single PutLogEvents request cannot span more than 24 hours.")
        rows = [(int(e["timestamp"]), e["message"]) for e in accepted]
        stored = sum(len(m.encode("utf-8")) for _, m in rows)
        self.store.put_events(g, s, rows, now, stored)
        self.subscriptions.on_put(g, s, rows)
        if g.id in self._tails_by_group:
            self._live_tail_put(g, s, rows, now)
        out: dict = {"nextSequenceToken": f"{s.sequence + 1:056d}"}
        rejected = {}
        if too_old:
            # An end index is exclusive: the events before it were rejected.
            rejected["tooOldLogEventEndIndex"] = too_old
        if expired:
            rejected["expiredLogEventEndIndex"] = expired
        if too_new is not None:
            rejected["tooNewLogEventStartIndex"] = too_new
        if rejected:
            out["rejectedLogEventsInfo"] = rejected
        return out

    def get_log_events(self, ctx: RequestContext, params: dict) -> dict:
        g = self._group_by_identifier(ctx, params)
        s = self._stream(g, params)
        limit = v.limit(params, 10_000, 10_000)
        now = self._now()
        lo = max(params.get("startTime") or 0, self._cutoff(g, now))
        end = params.get("endTime")
        hi = end if end is not None else 2 ** 62
        token = params.get("nextToken")
        if token:
            direction, position = _read_position(token)
        else:
            direction, position = ("f" if params.get("startFromHead") else "b"), None
        if direction == "f":
            rows = self.store.stream_events(s, lo, hi, position, None, limit, descending=False)
        else:
            rows = self.store.stream_events(s, lo, hi, None, position, limit, descending=True)
            rows = rows[::-1]
        rows = _within_bytes(rows, forward=direction == "f")
        events = [{"timestamp": r[1], "message": r[3], "ingestionTime": r[2]} for r in rows]
        if rows:
            forward = _position_token("f", rows[-1][1], rows[-1][0])
            backward = _position_token("b", rows[0][1], rows[0][0])
        elif position is not None:
            # Nothing further that way: the same token again, so that clients stop.
            forward = _position_token("f", *position)
            backward = _position_token("b", *position)
        else:
            # An empty stream: read forward from its start next time.
            forward, backward = _position_token("f", 0, 0), _position_token("b", 0, 0)
        return {"events": events, "nextForwardToken": forward, "nextBackwardToken": backward}

    def filter_log_events(self, ctx: RequestContext, params: dict) -> dict:
        g = self._group_by_identifier(ctx, params)
        names, prefix = params.get("logStreamNames"), params.get("logStreamNamePrefix")
        if names is not None and prefix is not None:
            raise v.invalid("logStreamNames and logStreamNamePrefix are mutually exclusive parameters.")
        limit = v.limit(params, 10_000, 10_000)
        pattern = self._pattern(params.get("filterPattern"))
        streams = self.store.streams_of(g)
        if names is not None:
            if not 1 <= len(names) <= 100:
                raise v.constraint(names, "logStreamNames", "Member must have length greater than or equal to 1"
                                   if not names else "Member must have length less than or equal to 100")
            wanted = set(names)
            streams = [s for s in streams if s.name in wanted]
        elif prefix:
            streams = [s for s in streams if s.name.startswith(prefix)]
        by_id = {s.id: s.name for s in streams}
        stream_ids = None if names is None and not prefix else list(by_id)
        now = self._now()
        lo = max(params.get("startTime") or 0, self._cutoff(g, now))
        end = params.get("endTime")
        hi = end if end is not None else 2 ** 62
        after = None
        if params.get("nextToken"):
            pos = _unopaque(params["nextToken"]).get("after")
            if not (isinstance(pos, list) and len(pos) == 2 and all(isinstance(x, int) for x in pos)):
                raise v.invalid("The specified nextToken is invalid.")
            after = (pos[0], pos[1])
        events, scanned, size, more = [], 0, 0, False
        if stream_ids is None or stream_ids:
            while len(events) < limit:
                rows = self.store.group_events(g, stream_ids, lo, hi, after, FILTER_SCAN)
                for r in rows:
                    after = (r[1], r[0])
                    if pattern.matches(r[3]):
                        events.append({"logStreamName": by_id[r[4]], "timestamp": r[1], "message": r[3],
                                       "ingestionTime": r[2], "eventId": f"{r[1]:020d}{r[0]:036d}"})
                        size += len(r[3]) + EVENT_OVERHEAD
                        if len(events) >= limit or size >= MAX_RESPONSE_BYTES:
                            break
                scanned += len(rows)
                if len(events) >= limit or size >= MAX_RESPONSE_BYTES:
                    more = bool(self.store.group_events(g, stream_ids, lo, hi, after, 1))
                    break
                if len(rows) < FILTER_SCAN:
                    break
                if scanned >= FILTER_SCAN_MAX:
                    more = True
                    break
        out: dict = {"events": events,
                     "searchedLogStreams": [{"logStreamName": s.name, "searchedCompletely": not more}
                                            for s in streams]}
        if more:
            out["nextToken"] = _opaque({"after": list(after)})
        return out

    def _pattern(self, text: str | None) -> filter_pattern.Pattern:
        if text is not None and len(text) > 1024:
            raise v.constraint(text, "filterPattern", "Member must have length less than or equal to 1024")
        try:
            return filter_pattern.compile(text)
        except filter_pattern.PatternError as e:
            raise v.invalid(f"Invalid filter pattern: {e}") from None

    # -- retention ------------------------------------------------------------------------------------------

    def _sweep(self, payload: dict) -> None:
        """Delete expired events, a bounded batch per group per round; come back soon when more remain."""
        now = self._now()
        more = False
        for g in self.store.with_retention():
            if self.store.expire(g, self._cutoff(g, now), SWEEP_BATCH) == SWEEP_BATCH:
                more = True
        if more:
            self.scheduler.after(1.0, SWEEP_MORE, key="more")

    # -- Logs Insights ----------------------------------------------------------------------------------------

    def start_query(self, ctx: RequestContext, params: dict) -> dict:
        language = params.get("queryLanguage") or "CWLI"
        if language != "CWLI":
            raise v.invalid(f"nubis runs Logs Insights QL (CWLI) queries only, not {language}.")
        given = [k for k in ("logGroupName", "logGroupNames", "logGroupIdentifiers") if params.get(k)]
        if len(given) != 1:
            raise v.invalid("Exactly one of logGroupName, logGroupNames or logGroupIdentifiers must be specified.")
        if given[0] == "logGroupName":
            groups = [self._group(ctx, params)]
        else:
            names = params[given[0]]
            if len(names) > 50:
                raise v.constraint("[...]", given[0], "Member must have length less than or equal to 50")
            groups = [self._group_from_arn_or_name(ctx, n.removesuffix(":*")) for n in names]
        start, end = v.required(params, "startTime"), v.required(params, "endTime")
        for member, value in (("startTime", start), ("endTime", end)):
            if value < 0:
                raise v.constraint(value, member, "Member must have value greater than or equal to 0")
        end = min(end, _LAST_SECOND)
        if end < start:
            raise v.invalid("End time should not be before the start time.")
        limit = v.limit(params, 10_000, 100_000)
        text = v.required(params, "queryString")
        try:
            query = insights.compile(text)
        except (insights.QueryError, re.error) as e:
            raise ServiceError("MalformedQueryException", str(e), queryCompileError={"message": str(e)}) from None
        now = self._now()
        scanned = [0, 0]

        def records():
            for g in groups:
                lo = max(start * 1000, self._cutoff(g, now))
                log = f"{g.account}:{g.name}"
                for event_id, ts, ingestion, message, stream in self.store.scan_group(g, lo, end * 1000 + 999):
                    scanned[0] += 1
                    scanned[1] += len(message)
                    r = insights.event_fields(ts, message, ingestion, stream, log)
                    r["@ptr"] = _opaque({"g": g.id, "e": event_id})
                    yield r

        results, matched = query.run(records(), limit)
        statistics = {"recordsMatched": float(matched), "recordsScanned": float(scanned[0]),
                      "bytesScanned": float(scanned[1]), "logGroupsScanned": float(len(groups))}
        query_id = uuid4_text()
        self.store.forget_queries(ctx.account, ctx.region, now - QUERY_KEPT_MS)
        self.store.save_query(query_id, ctx.account, ctx.region, text, groups[0].name, "Complete", results,
                              statistics, now, [g.arn for g in groups])
        return {"queryId": query_id}

    def get_log_record(self, ctx: RequestContext, params: dict) -> dict:
        pointer = _unopaque(v.required(params, "logRecordPointer"))
        g = self.store.by_id.get(pointer.get("g")) if isinstance(pointer.get("g"), int) else None
        found = self.store.event(g.id, pointer.get("e")) if g is not None and (g.account, g.region) == (
            ctx.account, ctx.region) and isinstance(pointer.get("e"), int) else None
        if found is None or found[0] < self._cutoff(g, self._now()):
            raise v.not_found("log record")
        ts, ingestion, message, stream = found
        record = insights.event_fields(ts, message, ingestion, stream, f"{g.account}:{g.name}")
        # Every field as text; the two times as epoch milliseconds.
        return {"logRecord": {k: str(val) if k in ("@timestamp", "@ingestionTime") else insights.text(val)
                              for k, val in record.items()}}

    def get_log_object(self, ctx: RequestContext, params: dict) -> dict:
        pointer = v.required(params, "logObjectPointer")
        if not 1 <= len(pointer) <= 512:
            raise v.constraint(pointer, "logObjectPointer", "Member must have length less than or equal to 512")
        # Large log objects come from PutOpenTelemetryLogs' oversized fields, which nubis does not ingest:
        # no pointer names a stored object.
        raise v.not_found("log object")

    def get_log_group_fields(self, ctx: RequestContext, params: dict) -> dict:
        g = self._group_by_identifier(ctx, params)
        end_ms = (params["time"] * 1000) if params.get("time") is not None else self._now()
        lo = max(end_ms - 15 * 60_000, self._cutoff(g, self._now()))  # the 15 minutes before ``time``
        counts: dict[str, int] = {}
        total = 0
        for _, ts, ingestion, message, stream in self.store.scan_group(g, lo, end_ms):
            total += 1
            for name in insights.event_fields(ts, message, ingestion, stream, ""):
                counts[name] = counts.get(name, 0) + 1
            if total >= FIELD_SAMPLE:
                break
        fields = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        return {"logGroupFields": [{"name": k, "percent": round(100 * n / total)} for k, n in fields]}

    def _query(self, ctx: RequestContext, params: dict):
        row = self.store.query_row(ctx.account, ctx.region, v.required(params, "queryId"))
        if row is None:
            raise v.not_found("query")
        return row

    def get_query_results(self, ctx: RequestContext, params: dict) -> dict:
        _, _, _, status, results, statistics, _ = self._query(ctx, params)
        return {"queryLanguage": "CWLI", "results": json.loads(results), "statistics": json.loads(statistics),
                "status": status}

    def stop_query(self, ctx: RequestContext, params: dict) -> dict:
        self._query(ctx, params)
        # Queries run to completion when they start: there is nothing left to stop.
        return {"success": False}

    def describe_queries(self, ctx: RequestContext, params: dict) -> dict:
        limit = params.get("maxResults") or 1000
        if not 1 <= limit <= 1000:
            raise v.constraint(limit, "maxResults", "Member must have value less than or equal to 1000")
        rows = self.store.queries(ctx.account, ctx.region)
        if params.get("logGroupName"):
            rows = [r for r in rows if r[2] == params["logGroupName"]]
        if params.get("status"):
            rows = [r for r in rows if r[3] == params["status"]]
        start = 0
        if params.get("nextToken"):
            start = _unopaque(params["nextToken"]).get("start")
            if not isinstance(start, int):
                raise v.invalid("The specified nextToken is invalid.")
        page = rows[start:start + limit]
        out: dict = {"queries": [{"queryLanguage": "CWLI", "queryId": r[0], "queryString": r[1], "logGroupName": r[2],
                                  "status": r[3], "createTime": r[4]} for r in page]}
        if start + limit < len(rows):
            out["nextToken"] = _opaque({"start": start + limit})
        return out

    def list_log_groups_for_query(self, ctx: RequestContext, params: dict) -> dict:
        query_id = v.required(params, "queryId")
        if not 1 <= len(query_id) <= 256:
            raise v.constraint(query_id, "queryId", "Member must have length less than or equal to 256")
        limit = params.get("maxResults")
        if limit is None:
            limit = 50
        elif not 50 <= limit <= 500:
            raise v.constraint(limit, "maxResults", "Member must have value between 50 and 500")
        arns = self.store.query_groups(ctx.account, ctx.region, query_id)
        if arns is None:
            raise v.not_found("query")
        start = 0
        if params.get("nextToken"):
            start = _unopaque(params["nextToken"]).get("start")
            if not isinstance(start, int) or start < 0:
                raise v.invalid("The specified nextToken is invalid.")
        out: dict = {"logGroupIdentifiers": arns[start:start + limit]}
        if start + limit < len(arns):
            out["nextToken"] = _opaque({"start": start + limit})
        return out

    # -- metric filters -------------------------------------------------------------------------------------

    def put_metric_filter(self, ctx: RequestContext, params: dict) -> dict:
        g = self._group(ctx, params)
        name = v.name(params, "filterName", v.FILTER_NAME)
        text = v.required(params, "filterPattern")
        self._pattern(text)
        transformations = v.required(params, "metricTransformations")
        if self.store.metric_filter_count(g) >= 100 and not self.store.has_metric_filter(g, name):
            raise v.limit_exceeded("Resource limit exceeded.")
        if len(transformations) != 1:
            raise v.constraint("[...]", "metricTransformations", "Member must have length less than or equal to 1")
        for t in transformations:
            for member in ("metricName", "metricNamespace", "metricValue"):
                v.required(t, member)
        self.store.put_metric_filter(g, name, text, transformations, self._now())
        return {}

    def describe_metric_filters(self, ctx: RequestContext, params: dict) -> dict:
        limit = v.limit(params, 50, 50)
        group_name = params.get("logGroupName")
        prefix = params.get("filterNamePrefix")
        metric, namespace = params.get("metricName"), params.get("metricNamespace")
        if (metric is None) != (namespace is None):
            raise v.invalid("metricName and metricNamespace must be specified together.")
        if group_name is not None:
            group_id = self._group(ctx, params).id
        elif prefix is not None:
            raise v.invalid("filterNamePrefix requires logGroupName.")
        rows = []
        for gid, name, pattern, transformations, created in self.store.metric_filters(ctx.account, ctx.region):
            if group_name is not None and gid != group_id:
                continue
            if prefix and not name.startswith(prefix):
                continue
            if metric is not None and not any(t.get("metricName") == metric and t.get("metricNamespace") == namespace
                                              for t in transformations):
                continue
            rows.append({"filterName": name, "filterPattern": pattern, "metricTransformations": transformations,
                         "creationTime": created, "logGroupName": self.store.by_id[gid].name})
        start = 0
        if params.get("nextToken"):
            start = _unopaque(params["nextToken"]).get("start")
            if not isinstance(start, int):
                raise v.invalid("The specified nextToken is invalid.")
        page = rows[start:start + limit]
        out: dict = {"metricFilters": page}
        if start + limit < len(rows):
            out["nextToken"] = _opaque({"start": start + limit})
        return out

    def delete_metric_filter(self, ctx: RequestContext, params: dict) -> dict:
        g = self._group(ctx, params)
        if not self.store.delete_metric_filter(g, v.required(params, "filterName")):
            raise v.not_found("filter")
        return {}

    def test_metric_filter(self, ctx: RequestContext, params: dict) -> dict:
        pattern = self._pattern(v.required(params, "filterPattern"))
        messages = v.required(params, "logEventMessages")
        if not 1 <= len(messages) <= 50:
            raise v.constraint("[...]", "logEventMessages", "Member must have length less than or equal to 50")
        matches = [{"eventNumber": i + 1, "eventMessage": m, "extractedValues": pattern.extract(m)}
                   for i, m in enumerate(messages) if pattern.matches(m)]
        return {"matches": matches}

    # -- subscription filters ------------------------------------------------------------------------------------

    async def put_subscription_filter(self, ctx: RequestContext, params: dict) -> dict:
        g = self._group(ctx, params)
        name = v.name(params, "filterName", v.FILTER_NAME)
        text = v.required(params, "filterPattern")
        self._pattern(text)
        destination = v.required(params, "destinationArn")
        distribution = params.get("distribution") or "ByLogStream"
        if distribution not in ("Random", "ByLogStream"):
            raise v.constraint(distribution, "distribution",
                               "Member must satisfy enum value set: [Random, ByLogStream]")
        existing = {r[0] for r in self.store.subscription_filters(g)}
        if name not in existing and len(existing) >= 2:
            raise v.limit_exceeded("Resource limit exceeded.")
        await self.subscriptions.check_destination(destination)
        self.store.put_subscription_filter(g, name, text, destination, params.get("roleArn"), distribution,
                                           self._now())
        self.subscriptions.refresh(g)
        return {}

    def describe_subscription_filters(self, ctx: RequestContext, params: dict) -> dict:
        g = self._group(ctx, params)
        limit = v.limit(params, 50, 50)
        prefix = params.get("filterNamePrefix") or ""
        rows = [{"filterName": r[0], "logGroupName": g.name, "filterPattern": r[1], "destinationArn": r[2],
                 "roleArn": r[3], "distribution": r[4], "creationTime": r[5]}
                for r in self.store.subscription_filters(g) if r[0].startswith(prefix)]
        return {"subscriptionFilters": rows[:limit]}

    def delete_subscription_filter(self, ctx: RequestContext, params: dict) -> dict:
        g = self._group(ctx, params)
        if not self.store.delete_subscription_filter(g, v.required(params, "filterName")):
            raise v.not_found("subscription filter")
        self.subscriptions.refresh(g)
        return {}


def _within_bytes(rows: list, forward: bool) -> list:
    """As many rows as fit a 1 MB answer: from the start reading forward, from the end reading back."""
    total = 0
    ordered = rows if forward else rows[::-1]
    for i, r in enumerate(ordered):
        total += len(r[3]) + EVENT_OVERHEAD
        if total > MAX_RESPONSE_BYTES:
            ordered = ordered[:i]
            break
    return ordered if forward else ordered[::-1]
