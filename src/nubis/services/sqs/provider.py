"""Amazon Simple Queue Service.

Operations follow the API reference. Every timing rule (visibility, delay,
retention, deduplication window, the purge and delete-recreate minutes) is
measured on the runtime's controllable clock, so a test can advance twelve
hours of visibility timeout or fourteen days of retention at once.
"""
from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import os
import re
import uuid
from urllib.parse import urlsplit

from ...auth import kms_keys
from ...protocol.errors import ServiceError
from ...protocol.wire import uuid4_text
from ..base import Provider, RequestContext
from . import attributes as qattrs
from . import errors
from .messages import (RECEIVE_ATTRIBUTES, check_attributes, check_body, md5_hex, md5_of_attributes,
                       select_attributes)
from .store import MIGRATIONS, Queue, SqsStore

MAX_BATCH = 10
MAX_VISIBILITY = 43_200
DEDUP_WINDOW = 300.0      # FIFO deduplication interval
ATTEMPT_WINDOW = 300.0    # ReceiveRequestAttemptId lifetime
QUEUE_COOLDOWN = 60.0     # DeleteQueue -> CreateQueue, and PurgeQueue -> PurgeQueue
MAX_TAGS = 50
_BATCH_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_GROUP_ID = re.compile(r"^[!-~]{1,128}$")  # alphanumeric and punctuation
_HOST_REGION = re.compile(r"^(?:sqs\.([a-z]{2}(?:-[a-z]+)+-\d)\.|([a-z]{2}(?:-[a-z]+)+-\d)\.queue\.)")
_ARN = re.compile(r"^arn:aws[a-z-]*:sqs:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_.-]+)$")


def _ms(t: float) -> str:
    return str(int(t * 1000))


class SqsProvider(Provider):
    service = "sqs"
    migrations = MIGRATIONS

    def start(self) -> None:
        self.store = SqsStore(self.db)
        self.sequence = self.store.max_sequence()
        self._waiters: dict[int, set[asyncio.Future]] = {}
        self._swept: dict[int, float] = {}
        self._urls: dict[tuple[str, str, str], tuple[str, str, str]] = {}
        self._forgotten = 0.0
        self.scheduler.on("sqs:move", self._move_tick)

    def reset(self) -> None:
        self.store.load()
        self.sequence = 0
        self._swept.clear()
        for qid in list(self._waiters):
            self._wake(qid)

    # -- addressing ------------------------------------------------------------------------

    def _base_url(self, ctx: RequestContext) -> str:
        host = ctx.request.headers.get("host") if ctx.request is not None else None
        return f"http://{host or f'{self.config.hostname}:{self.config.port}'}"

    def _url(self, ctx: RequestContext, q: Queue) -> str:
        return f"{self._base_url(ctx)}/{q.account}/{q.name}"

    def _locate(self, ctx: RequestContext, url: str) -> tuple[str, str, str]:
        """(account, region, name) of a queue URL in any of the forms clients use:
        ``http://localhost:4566/<account>/<name>``, ``http://sqs.<region>.localhost...``,
        AWS's own ``https://sqs.<region>.amazonaws.com/<account>/<name>``."""
        key = (url, ctx.region, ctx.account)
        found = self._urls.get(key)
        if found is not None:
            return found
        parts = urlsplit(url) if "://" in url else urlsplit("http://host/" + url.lstrip("/"))
        path = [p for p in parts.path.split("/") if p]
        if len(path) != 2:
            raise ServiceError("InvalidAddress", f"The address {url} is not valid for this endpoint.", status=404)
        m = _HOST_REGION.match(parts.hostname or "")
        region = (m.group(1) or m.group(2)) if m else ctx.region
        found = (path[0], region, path[1])
        if len(self._urls) < 10_000:
            self._urls[key] = found
        return found

    def _queue(self, ctx: RequestContext, params: dict) -> Queue:
        url = params.get("QueueUrl")
        if not url:
            # Older query clients post to the queue's URL instead of naming it.
            path = ctx.request.path if ctx.request is not None else ""
            if path.count("/") != 2:
                raise errors.missing_parameter("QueueUrl")
            url = path
        q = self.store.get(*self._locate(ctx, url))
        if q is None:
            raise errors.queue_does_not_exist()
        return q

    def queue_policy(self, account: str, region: str, name: str) -> str | None:
        """The queue's ``Policy`` attribute, None without one (auth/actions.py, on every enforced call)."""
        q = self.store.get(account, region, name)
        return q.attributes.get("Policy") if q is not None else None

    def _by_arn(self, arn: str) -> Queue | None:
        m = _ARN.match(arn or "")
        return self.store.get(m.group(2), m.group(1), m.group(3)) if m else None

    # -- waking long polls --------------------------------------------------------------------

    def _wake(self, qid: int) -> None:
        for fut in self._waiters.pop(qid, ()):
            if not fut.done():
                fut.set_result(None)

    async def _wait(self, q: Queue, deadline: float) -> None:
        """Until something may be receivable: a send, a visibility change, the next
        delayed or in-flight message becoming visible, or the deadline."""
        now = self.clock.now()
        nxt = self.store.next_visible_at(q, now)
        until = deadline if nxt is None else min(deadline, nxt)
        fut = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(q.id, set()).add(fut)
        sleeper = asyncio.ensure_future(self.scheduler.sleep_until(until))
        try:
            await asyncio.wait((fut, sleeper), return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            waiters = self._waiters.get(q.id)
            if waiters is not None:
                waiters.discard(fut)

    # -- queues ------------------------------------------------------------------------------

    def create_queue(self, ctx: RequestContext, params: dict) -> dict:
        name = params.get("QueueName")
        if not name:
            raise errors.missing_parameter("QueueName")
        given = {k: ("" if v is None else str(v)) for k, v in (params.get("Attributes") or {}).items()}
        fifo = given.get("FifoQueue", "").lower() == "true"
        qattrs.check_queue_name(name, fifo)
        attributes = qattrs.normalize(given, fifo, creating=True)
        arn = f"arn:aws:sqs:{ctx.region}:{ctx.account}:{name}"
        if attributes.get("RedrivePolicy"):
            attributes["RedrivePolicy"] = self._check_redrive(arn, fifo, attributes["RedrivePolicy"])
        tags = dict(params.get("tags") or {})
        self._check_tags(name, tags)
        existing = self.store.get(ctx.account, ctx.region, name)
        if existing is not None:
            for key, value in attributes.items():
                if existing.attributes.get(key, "") != value:
                    raise ServiceError("QueueAlreadyExists", "A queue already exists with the same name and a "
                                       f"different value for attribute {key}")
            return {"QueueUrl": self._url(ctx, existing)}
        now = self.clock.now()
        deleted = self.store.deleted_at(ctx.account, ctx.region, name)
        if deleted is not None and now - deleted < QUEUE_COOLDOWN:
            raise ServiceError("AWS.SimpleQueueService.QueueDeletedRecently",
                               "You must wait 60 seconds after deleting a queue before you can create another "
                               "queue with the same name.")
        full = {**qattrs.DEFAULTS, **(qattrs.FIFO_DEFAULTS if fifo else {}), **attributes}
        qattrs.check_encryption(full, attributes)
        qattrs.check_throughput(full)
        full = {k: v for k, v in full.items() if v != ""}
        q = self.store.create(ctx.account, ctx.region, name, full, tags, now)
        return {"QueueUrl": self._url(ctx, q)}

    def _check_redrive(self, source_arn: str, fifo: bool, text: str) -> str:
        target_arn, count = qattrs.parse_redrive_policy(text)
        target = self._by_arn(target_arn)
        reason = None
        if target is None:
            reason = "Dead letter target does not exist."
        elif target.fifo != fifo:
            reason = "Dead-letter queue must be same type of queue as the source."
        elif not qattrs.allows_source(target.attributes.get("RedriveAllowPolicy"), source_arn):
            reason = f"Queue {source_arn} does not have permission to use {target_arn} as a dead-letter queue."
        if reason:
            raise errors.invalid_value("RedrivePolicy", text, reason)
        return qattrs.redrive_policy_text(target_arn, count)

    def _check_tags(self, name: str, tags: dict) -> None:
        if len(tags) > MAX_TAGS:
            raise errors.invalid_parameter_value(f"Too many tags added for queue {name}.")
        for key, value in tags.items():
            if not key or len(key) > 128 or len(value or "") > 256 or key.lower().startswith("aws:"):
                raise errors.invalid_parameter_value(f"Tag {key!r} is invalid.")

    def get_queue_url(self, ctx: RequestContext, params: dict) -> dict:
        name = params.get("QueueName")
        if not name:
            raise errors.missing_parameter("QueueName")
        q = self.store.get(params.get("QueueOwnerAWSAccountId") or ctx.account, ctx.region, name)
        if q is None:
            raise errors.queue_does_not_exist()
        return {"QueueUrl": self._url(ctx, q)}

    def list_queues(self, ctx: RequestContext, params: dict) -> dict:
        prefix = params.get("QueueNamePrefix") or ""
        queues = [q for q in self.store.in_region(ctx.account, ctx.region) if q.name.startswith(prefix)]
        page, token = self._page(queues, params)
        out = {}
        if page:
            out["QueueUrls"] = [self._url(ctx, q) for q in page]
        if token:
            out["NextToken"] = token
        return out

    def _page(self, queues: list[Queue], params: dict) -> tuple[list[Queue], str | None]:
        limit = params.get("MaxResults")
        if limit is not None and not 1 <= limit <= 1000:
            raise errors.invalid_value("MaxResults", limit, "MaxResults must be an integer between 1 and 1000.")
        token = params.get("NextToken")
        if token:
            try:
                after = json.loads(base64.b64decode(token))["after"]
            except (ValueError, KeyError, TypeError, binascii.Error):
                raise errors.invalid_parameter_value("Invalid NextToken value.") from None
            queues = [q for q in queues if q.name > after]
        if limit is None:
            return queues[:1000], None
        page = queues[:limit]
        more = len(queues) > limit
        return page, (base64.b64encode(json.dumps({"after": page[-1].name}).encode()).decode()
                      if more and page else None)

    def delete_queue(self, ctx: RequestContext, params: dict) -> dict:
        q = self._queue(ctx, params)
        self.store.delete(q, self.clock.now())
        self._wake(q.id)
        return {}

    def get_queue_attributes(self, ctx: RequestContext, params: dict) -> dict:
        q = self._queue(ctx, params)
        names = params.get("AttributeNames") or []
        for name in names:
            if name != "All" and (name not in qattrs.READABLE or (name in qattrs.FIFO_ONLY and not q.fifo)):
                raise errors.invalid_attribute_name(name)
        if not names:
            return {}
        wanted = None if "All" in names else set(names)
        now = self.clock.now()
        values = dict(q.attributes)
        values["QueueArn"] = q.arn
        values["CreatedTimestamp"] = str(int(q.created))
        values["LastModifiedTimestamp"] = str(int(q.modified))
        if wanted is None or wanted & {"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                                       "ApproximateNumberOfMessagesDelayed"}:
            visible, inflight, delayed = self.store.counts(q, now, self._oldest(q, now))
            values["ApproximateNumberOfMessages"] = str(visible)
            values["ApproximateNumberOfMessagesNotVisible"] = str(inflight)
            values["ApproximateNumberOfMessagesDelayed"] = str(delayed)
        if wanted is not None:
            values = {k: v for k, v in values.items() if k in wanted}
        return {"Attributes": values} if values else {}

    def set_queue_attributes(self, ctx: RequestContext, params: dict) -> dict:
        q = self._queue(ctx, params)
        given = {k: ("" if v is None else str(v)) for k, v in (params.get("Attributes") or {}).items()}
        changes = qattrs.normalize(given, q.fifo, creating=False)
        if changes.get("RedrivePolicy"):
            changes["RedrivePolicy"] = self._check_redrive(q.arn, q.fifo, changes["RedrivePolicy"])
        merged = {**q.attributes, **changes}
        qattrs.check_encryption(merged, changes)
        qattrs.check_throughput(merged)
        q.attributes = {k: v for k, v in merged.items() if v != ""}
        q.modified = self.clock.now()
        self.store.save(q)
        return {}

    def purge_queue(self, ctx: RequestContext, params: dict) -> dict:
        q = self._queue(ctx, params)
        now = self.clock.now()
        if q.purged is not None and now - q.purged < QUEUE_COOLDOWN:
            raise ServiceError("AWS.SimpleQueueService.PurgeQueueInProgress",
                               f"Only one PurgeQueue operation on {q.name} is allowed every 60 seconds.", status=403)
        with self.db.transaction():
            self.store.purge(q)
            q.purged = now
            self.store.save(q)
        return {}

    def list_dead_letter_source_queues(self, ctx: RequestContext, params: dict) -> dict:
        q = self._queue(ctx, params)
        sources = [s for s in self.store.in_region(q.account, q.region) if s.redrive and s.redrive[0] == q.arn]
        page, token = self._page(sources, params)
        out = {"queueUrls": [self._url(ctx, s) for s in page]}
        if token:
            out["NextToken"] = token
        return out

    # -- tags and permissions -------------------------------------------------------------------

    def tag_queue(self, ctx: RequestContext, params: dict) -> dict:
        q = self._queue(ctx, params)
        tags = {**q.tags, **(params.get("Tags") or {})}
        self._check_tags(q.name, tags)
        q.tags = tags
        self.store.save(q)
        return {}

    def untag_queue(self, ctx: RequestContext, params: dict) -> dict:
        q = self._queue(ctx, params)
        for key in params.get("TagKeys") or []:
            q.tags.pop(key, None)
        self.store.save(q)
        return {}

    def list_queue_tags(self, ctx: RequestContext, params: dict) -> dict:
        q = self._queue(ctx, params)
        return {"Tags": dict(q.tags)} if q.tags else {}

    def add_permission(self, ctx: RequestContext, params: dict) -> dict:
        q = self._queue(ctx, params)
        label = params.get("Label")
        accounts = params.get("AWSAccountIds") or []
        actions = params.get("Actions") or []
        if not label:
            raise errors.missing_parameter("Label")
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,80}", label):
            raise errors.invalid_value("Label", label, "Can only include alphanumeric characters, hyphens, or "
                                       "underscores. 1 to 80 in length")
        if not accounts:
            raise errors.missing_parameter("AWSAccountIds")
        if not actions:
            raise errors.missing_parameter("Actions")
        policy = json.loads(q.attributes.get("Policy") or "null") or {
            "Version": "2012-10-17", "Id": f"{q.arn}/SQSDefaultPolicy", "Statement": []}
        statements = policy.setdefault("Statement", [])
        if any(s.get("Sid") == label for s in statements):
            raise errors.invalid_value("Label", label, "Already exists.")
        principals = [f"arn:aws:iam::{a}:root" for a in accounts]
        verbs = [f"SQS:{a}" for a in actions]
        statements.append({"Sid": label, "Effect": "Allow",
                           "Principal": {"AWS": principals[0] if len(principals) == 1 else principals},
                           "Action": verbs[0] if len(verbs) == 1 else verbs, "Resource": q.arn})
        q.attributes["Policy"] = json.dumps(policy, separators=(",", ":"))
        q.modified = self.clock.now()
        self.store.save(q)
        return {}

    def remove_permission(self, ctx: RequestContext, params: dict) -> dict:
        q = self._queue(ctx, params)
        label = params.get("Label")
        if not label:
            raise errors.missing_parameter("Label")
        policy = json.loads(q.attributes.get("Policy") or "null") or {}
        statements = policy.get("Statement") or []
        kept = [s for s in statements if s.get("Sid") != label]
        if len(kept) == len(statements):
            raise errors.invalid_value("Label", label, "can't find label on existing policy.")
        if kept:
            policy["Statement"] = kept
            q.attributes["Policy"] = json.dumps(policy, separators=(",", ":"))
        else:
            q.attributes.pop("Policy", None)
        q.modified = self.clock.now()
        self.store.save(q)
        return {}

    # -- sending ---------------------------------------------------------------------------------

    def send_message(self, ctx: RequestContext, params: dict) -> dict:
        q = self._queue(ctx, params)
        if q.attributes.get("KmsMasterKeyId"):  # SSE-KMS: the key must be usable (auth/kms_keys.py)
            kms_keys.check_now(self.runtime, q.attributes["KmsMasterKeyId"], kms_keys.SQS, account=q.account,
                               region=ctx.region, principal="sqs.amazonaws.com")
        now = self.clock.now()
        row, result, dedup = self._prepare(ctx, q, params, now)
        if dedup is None:
            self.store.insert(q, row)
        else:
            with self.db.transaction():
                self._enqueue_fifo(q, row, result, dedup, now)
        if row[9] <= now:
            self._wake(q.id)
        return result

    def send_message_batch(self, ctx: RequestContext, params: dict) -> dict:
        q = self._queue(ctx, params)
        if q.attributes.get("KmsMasterKeyId"):
            kms_keys.check_now(self.runtime, q.attributes["KmsMasterKeyId"], kms_keys.SQS, account=q.account,
                               region=ctx.region, principal="sqs.amazonaws.com")
        entries = self._check_batch(params.get("Entries"), "SendMessageBatchRequestEntry")
        size = sum(len((e.get("MessageBody") or "").encode("utf-8")) + _attributes_size(e) for e in entries)
        limit = qattrs._INTEGER["MaximumMessageSize"][1]
        if size > limit:
            raise errors.batch_too_long(size, limit)
        now = self.clock.now()
        successful, failed, ready = [], [], False
        with self.db.transaction():
            for entry in entries:
                try:
                    row, result, dedup = self._prepare(ctx, q, entry, now)
                except ServiceError as e:
                    failed.append(_failure(entry["Id"], e))
                    continue
                if dedup is None:
                    self.store.insert(q, row)
                else:
                    self._enqueue_fifo(q, row, result, dedup, now)
                ready = ready or row[9] <= now
                successful.append({"Id": entry["Id"], **result})
        if ready:
            self._wake(q.id)
        return {"Successful": successful, "Failed": failed}

    def _prepare(self, ctx: RequestContext, q: Queue, entry: dict, now: float):
        """Validate one message; return its row, the response, and its FIFO deduplication key."""
        body = entry.get("MessageBody")
        if body is None or body == "":
            raise errors.missing_parameter("MessageBody")
        check_body(body)
        attributes = entry.get("MessageAttributes") or None
        system = entry.get("MessageSystemAttributes") or None
        data = body.encode("utf-8")
        size = len(data) + check_attributes(attributes) + check_attributes(system, "system")
        limit = q.int_attr("MaximumMessageSize")
        if size > limit:
            raise errors.invalid_parameter_value(
                f"One or more parameters are invalid. Reason: Message must be shorter than {limit} bytes.")
        delay = entry.get("DelaySeconds")
        if delay is not None and q.fifo:
            raise errors.invalid_value("DelaySeconds", delay,
                                       "The request include parameter that is not valid for this queue type.")
        if delay is None:
            delay = q.int_attr("DelaySeconds")
        elif not 0 <= delay <= 900:
            raise errors.invalid_value("DelaySeconds", delay, "DelaySeconds must be >= 0 and <= 900.")
        group = entry.get("MessageGroupId")
        dedup_id = entry.get("MessageDeduplicationId")
        dedup_key = None
        if group is not None and not _GROUP_ID.match(group):
            raise errors.invalid_value("MessageGroupId", group, "MessageGroupId can only include alphanumeric and "
                                       "punctuation characters. 1 to 128 in length.")
        if q.fifo:
            if not group:
                raise errors.missing_parameter("MessageGroupId")
            if dedup_id is None:
                if q.attributes.get("ContentBasedDeduplication") != "true":
                    raise errors.invalid_parameter_value(
                        "The queue should either have ContentBasedDeduplication enabled or "
                        "MessageDeduplicationId provided explicitly")
                dedup_id = hashlib.sha256(data).hexdigest()
            elif not _GROUP_ID.match(dedup_id):
                raise errors.invalid_value("MessageDeduplicationId", dedup_id,
                                           "MessageDeduplicationId can only include alphanumeric and punctuation "
                                           "characters. 1 to 128 in length.")
            dedup_key = dedup_id if q.attributes.get("DeduplicationScope") != "messageGroup" \
                else f"{group}\x00{dedup_id}"
        elif dedup_id is not None:
            raise errors.invalid_value("MessageDeduplicationId", dedup_id,
                                       "The request include parameter that is not valid for this queue type.")
        message_id = uuid4_text()
        md5_body = md5_hex(data)
        result = {"MessageId": message_id, "MD5OfMessageBody": md5_body}
        md5_attrs = md5_sys = None
        if attributes:
            md5_attrs = result["MD5OfMessageAttributes"] = md5_of_attributes(attributes)
        if system:
            md5_sys = result["MD5OfMessageSystemAttributes"] = md5_of_attributes(system)
        row = (message_id, body, md5_body, _dump_attributes(attributes), md5_attrs, _dump_attributes(system),
               md5_sys, _sender(ctx), now, now + delay, group, dedup_id, None, None, 0)
        return row, result, dedup_key

    def _enqueue_fifo(self, q: Queue, row: tuple, result: dict, dedup_key: str, now: float) -> None:
        """Enqueue unless a message with this deduplication key was sent in the last five minutes."""
        if now - self._forgotten > 60:
            self.store.forget_expired(now)
            self._forgotten = now
        seen = self.store.dedup(q, dedup_key, now)
        if seen is not None:
            result["MessageId"], result["SequenceNumber"] = seen[0], seen[1]
            return
        self.sequence = max(self.sequence + 1, int(now * 1e10))
        sequence = str(self.sequence)
        result["SequenceNumber"] = sequence
        self.store.insert(q, row[:12] + (sequence,) + row[13:])
        self.store.remember_dedup(q, dedup_key, row[0], sequence, now + DEDUP_WINDOW)

    def _check_batch(self, entries, entry_shape: str) -> list[dict]:
        if not entries:
            raise errors.empty_batch(entry_shape)
        if len(entries) > MAX_BATCH:
            raise errors.too_many_entries(len(entries))
        seen = set()
        for entry in entries:
            entry_id = entry.get("Id") or ""
            if not _BATCH_ID.match(entry_id):
                raise errors.invalid_batch_entry_id()
            if entry_id in seen:
                raise errors.ids_not_distinct(entry_id)
            seen.add(entry_id)
        return entries

    # -- receiving --------------------------------------------------------------------------------

    async def receive_message(self, ctx: RequestContext, params: dict) -> dict:
        q = self._queue(ctx, params)
        count = params.get("MaxNumberOfMessages")
        if count is None:
            count = 1
        elif not 1 <= count <= MAX_BATCH:
            raise errors.invalid_value("MaxNumberOfMessages", count, "Must be between 1 and 10, if provided.")
        timeout = params.get("VisibilityTimeout")
        if timeout is not None and not 0 <= timeout <= MAX_VISIBILITY:
            raise errors.invalid_value("VisibilityTimeout", timeout, "Must be >= 0 and <= 43200, if provided.")
        wait = params.get("WaitTimeSeconds")
        if wait is None:
            wait = q.int_attr("ReceiveMessageWaitTimeSeconds")
        elif not 0 <= wait <= 20:
            raise errors.invalid_value("WaitTimeSeconds", wait, "Must be >= 0 and <= 20, if provided.")
        attempt = params.get("ReceiveRequestAttemptId") if q.fifo else None
        if attempt is not None and not _GROUP_ID.match(attempt):
            raise errors.invalid_value("ReceiveRequestAttemptId", attempt, "ReceiveRequestAttemptId can only "
                                       "include alphanumeric and punctuation characters. 1 to 128 in length.")
        deadline = self.clock.now() + wait
        while True:
            messages = self._receive_now(ctx, q, count, timeout, params, attempt)
            if messages or self.clock.now() >= deadline:
                break
            await self._wait(q, deadline)
            if self.store.by_id.get(q.id) is not q:  # deleted while we waited
                messages = []
                break
        return {"Messages": messages} if messages else {}

    def _receive_now(self, ctx, q: Queue, count: int, timeout, params: dict, attempt: str | None) -> list[dict]:
        now = self.clock.now()
        oldest = self._oldest(q, now)
        if attempt is not None:
            again = self._repeat_attempt(q, attempt, now, params)
            if again is not None:
                return again
        if now - self._swept.get(q.id, 0.0) > 60:
            self.store.expire(q, oldest)
            self._swept[q.id] = now
        visibility = q.int_attr("VisibilityTimeout") if timeout is None else timeout
        redrive = q.redrive
        dlq = self._by_arn(redrive[0]) if redrive else None
        picked, taken = [], set()
        with self.db.transaction():
            for _ in range(10):  # dead-lettered messages make room for more
                rows = self.store.visible(q, now, oldest, count - len(picked), tuple(taken))
                if not rows:
                    break
                moved, updates = False, []
                for r in rows:
                    if r["id"] in taken:  # picked in an earlier round (a visibility timeout of 0)
                        continue
                    if dlq is not None and r["receive_count"] >= redrive[1]:
                        self._dead_letter(q, dlq, r, now)
                        moved = True
                        continue
                    token = os.urandom(6).hex()
                    handle = _handle(q.id, r["id"], token, now)
                    updates.append((now + visibility, now, token, r["id"]))
                    picked.append((r, handle))
                    taken.add(r["id"])
                # Marked before the next round looks again, so no message is picked twice.
                if updates:
                    self.store.mark_received(updates)
                if not moved or len(picked) >= count:
                    break
            if attempt is not None and picked:
                self.store.remember_attempt(q, attempt, [[r["id"], h] for r, h in picked], now + ATTEMPT_WINDOW)
        return [self._message(q, r, handle, now, params) for r, handle in picked]

    def _repeat_attempt(self, q: Queue, attempt: str, now: float, params: dict) -> list[dict] | None:
        """A retried FIFO receive with the same attempt id gets the same messages,
        as long as none was deleted or became visible again."""
        previous = self.store.attempt(q, attempt, now)
        if not previous:
            return None
        out = []
        for row_id, handle in previous:
            r = self.store.message(q, row_id)
            if r is None or r["visible_at"] <= now or r["receipt"] != _decode_handle(handle)[2]:
                return None
            out.append(self._message(q, r, handle, now, params, repeat=True))
        return out

    def _message(self, q: Queue, r, handle: str, now: float, params: dict, repeat: bool = False) -> dict:
        message = {"MessageId": r["message_id"], "ReceiptHandle": handle, "MD5OfBody": r["md5_body"],
                   "Body": r["body"]}
        names = set(params.get("AttributeNames") or ()) | set(params.get("MessageSystemAttributeNames") or ())
        if names:
            system = {}
            everything = "All" in names
            count = r["receive_count"] + (0 if repeat else 1)
            values = {
                "SenderId": r["sender"],
                "SentTimestamp": _ms(r["sent"]),
                "ApproximateReceiveCount": str(count),
                "ApproximateFirstReceiveTimestamp": _ms(r["first_receive"] or now),
                "SequenceNumber": r["sequence"],
                "MessageDeduplicationId": r["dedup_id"],
                "MessageGroupId": r["group_id"],
                "DeadLetterQueueSourceArn": r["source_arn"],
            }
            if r["system_attributes"]:
                trace = _load_attributes(r["system_attributes"]).get("AWSTraceHeader")
                if trace:
                    values["AWSTraceHeader"] = trace["StringValue"]
            for name in RECEIVE_ATTRIBUTES:
                if (everything or name in names) and values.get(name) is not None:
                    system[name] = values[name]
            if system:
                message["Attributes"] = system
        wanted = params.get("MessageAttributeNames")
        if wanted and r["attributes"]:
            stored = _load_attributes(r["attributes"])
            chosen = select_attributes(stored, wanted)
            if chosen:
                message["MessageAttributes"] = chosen
                message["MD5OfMessageAttributes"] = (r["md5_attributes"] if len(chosen) == len(stored)
                                                     else md5_of_attributes(chosen))
        return message

    def _dead_letter(self, q: Queue, dlq: Queue, r, now: float) -> None:
        """Move a message received more than maxReceiveCount times to the dead-letter queue.
        It keeps its id, body and attributes. A standard queue's message keeps its enqueue
        time (retention counts from it); a FIFO queue's enqueue time resets, as the
        developer guide's dead-letter retention page says."""
        self.store.delete_message(r["id"])
        sequence, sent = None, r["sent"]
        if dlq.fifo:
            self.sequence = max(self.sequence + 1, int(now * 1e10))
            sequence, sent = str(self.sequence), now
        self.store.insert(dlq, (r["message_id"], r["body"], r["md5_body"], r["attributes"], r["md5_attributes"],
                                r["system_attributes"], r["md5_system"], r["sender"], sent, now, r["group_id"],
                                r["dedup_id"], sequence, q.arn, 0))
        self._wake(dlq.id)

    def _oldest(self, q: Queue, now: float) -> float:
        """Messages sent at or before this time are past the queue's retention."""
        return now - q.int_attr("MessageRetentionPeriod")

    # -- deleting and visibility ---------------------------------------------------------------------

    def _held(self, q: Queue, handle: str | None):
        """The message row a receipt handle names, and the handle's token and receive time."""
        if not handle:
            raise errors.missing_parameter("ReceiptHandle")
        decoded = _decode_handle(handle)
        if decoded is None or decoded[0] != q.id:
            raise errors.receipt_handle_invalid(handle)
        _, row_id, token, received = decoded
        return self.store.message(q, row_id), token, received

    def delete_message(self, ctx: RequestContext, params: dict) -> dict:
        q = self._queue(ctx, params)
        self._delete(q, params.get("ReceiptHandle"), self.clock.now())
        if q.fifo:
            self._wake(q.id)
        return {}

    def _delete(self, q: Queue, handle: str, now: float) -> None:
        if not handle:
            raise errors.missing_parameter("ReceiptHandle")
        decoded = _decode_handle(handle)
        if decoded is None or decoded[0] != q.id:
            raise errors.receipt_handle_invalid(handle)
        # The common case in one statement: the handle still holds the message.
        if self.store.delete_held(decoded[1], decoded[2], now if q.fifo else None):
            return
        # Otherwise: already deleted (deleting again succeeds), or received
        # again since. Standard queues answer yes and keep the message, as the
        # API reference says; in a FIFO queue the expired handle is an error.
        if q.fifo and self.store.message(q, decoded[1]) is not None:
            raise errors.receipt_handle_expired(handle)

    def delete_message_batch(self, ctx: RequestContext, params: dict) -> dict:
        q = self._queue(ctx, params)
        entries = self._check_batch(params.get("Entries"), "DeleteMessageBatchRequestEntry")
        now = self.clock.now()
        successful, failed = [], []
        with self.db.transaction():
            for entry in entries:
                try:
                    self._delete(q, entry.get("ReceiptHandle"), now)
                    successful.append({"Id": entry["Id"]})
                except ServiceError as e:
                    failed.append(_failure(entry["Id"], e))
        if q.fifo:
            self._wake(q.id)
        return {"Successful": successful, "Failed": failed}

    def change_message_visibility(self, ctx: RequestContext, params: dict) -> dict:
        q = self._queue(ctx, params)
        self._change_visibility(q, params.get("ReceiptHandle"), params.get("VisibilityTimeout"), self.clock.now())
        return {}

    def _change_visibility(self, q: Queue, handle: str, timeout, now: float) -> None:
        if timeout is None:
            raise errors.missing_parameter("VisibilityTimeout")
        if not 0 <= timeout <= MAX_VISIBILITY:
            raise errors.invalid_value("VisibilityTimeout", timeout,
                                       "VisibilityTimeout must be an integer between 0 and 43200")
        r, token, received = self._held(q, handle)
        if r is None:
            raise errors.invalid_value("ReceiptHandle", handle,
                                       "Message does not exist or is not available for visibility timeout change.")
        if r["receipt"] != token:
            raise errors.receipt_handle_expired(handle)
        if r["visible_at"] <= now:
            raise errors.message_not_inflight()
        # Whole seconds since the receive: 43200 right after receiving is allowed.
        if int(now - received) + timeout > MAX_VISIBILITY:
            raise errors.invalid_value("VisibilityTimeout", timeout,
                                       "Total VisibilityTimeout for the message is beyond the limit [43200 seconds]")
        self.store.set_visible_at(r["id"], now + timeout)
        if timeout == 0:
            self._wake(q.id)

    def change_message_visibility_batch(self, ctx: RequestContext, params: dict) -> dict:
        q = self._queue(ctx, params)
        entries = self._check_batch(params.get("Entries"), "ChangeMessageVisibilityBatchRequestEntry")
        now = self.clock.now()
        successful, failed = [], []
        with self.db.transaction():
            for entry in entries:
                try:
                    self._change_visibility(q, entry.get("ReceiptHandle"), entry.get("VisibilityTimeout"), now)
                    successful.append({"Id": entry["Id"]})
                except ServiceError as e:
                    failed.append(_failure(entry["Id"], e))
        return {"Successful": successful, "Failed": failed}

    # -- dead-letter redrive: message move tasks --------------------------------------------------------

    def start_message_move_task(self, ctx: RequestContext, params: dict) -> dict:
        source_arn = params.get("SourceArn")
        if not source_arn:
            raise errors.missing_parameter("SourceArn")
        source = self._by_arn(source_arn)
        if source is None:
            raise errors.resource_not_found("The resource that you specified for the SourceArn parameter "
                                            "doesn't exist.")
        if not any(s.redrive and s.redrive[0] == source_arn for s in self.store.in_region(source.account,
                                                                                         source.region)):
            raise errors.invalid_parameter_value("Source queue must be configured as a Dead Letter Queue.")
        destination_arn = params.get("DestinationArn")
        if destination_arn and self._by_arn(destination_arn) is None:
            raise errors.resource_not_found("The resource that you specified for the DestinationArn parameter "
                                            "doesn't exist.")
        rate = params.get("MaxNumberOfMessagesPerSecond")
        if rate is not None and not 1 <= rate <= 500:
            raise errors.invalid_value("MaxNumberOfMessagesPerSecond", rate,
                                       "MaxNumberOfMessagesPerSecond must be between 1 and 500.")
        if any(t["status"] == "RUNNING" for t in self.store.tasks(source_arn)):
            raise errors.unsupported_operation("There is already a task running. Only one active task is "
                                               "allowed for a source queue arn at a given time.")
        now = self.clock.now()
        handle = base64.b64encode(json.dumps({"taskId": str(uuid.uuid4()), "sourceArn": source_arn}).encode()).decode()
        with self.db.transaction():
            self.store.add_task(handle, source_arn, destination_arn, rate,
                                self.store.count(source, self._oldest(source, now)), now)
            self.scheduler.at(now, "sqs:move", {"handle": handle}, key=handle)
        return {"TaskHandle": handle}

    def _move_tick(self, payload: dict) -> None:
        """Move up to a second's worth of messages; come back in a second until done."""
        handle = payload["handle"]
        task = self.store.task(handle)
        if task is None or task["status"] != "RUNNING":
            return
        now = self.clock.now()
        source = self._by_arn(task["source_arn"])
        if source is None:
            self.store.update_task(handle, status="FAILED", failure="The source queue no longer exists.")
            return
        batch = task["rate"] or 500
        remaining = task["to_move"] - task["moved"]
        rows = [r for r in self.store.oldest_messages(source, self._oldest(source, now), min(batch, remaining))
                if r["visible_at"] <= now]
        moved, woken = 0, set()
        with self.db.transaction():
            for r in rows:
                target = self._by_arn(task["destination_arn"] or r["source_arn"] or "")
                if target is None:
                    self.store.update_task(handle, status="FAILED", moved=task["moved"] + moved,
                                           failure="AWS.SimpleQueueService.NonExistentQueue")
                    return
                self.store.delete_message(r["id"])
                sequence = None
                if target.fifo:
                    self.sequence = max(self.sequence + 1, int(now * 1e10))
                    sequence = str(self.sequence)
                self.store.insert(target, (r["message_id"], r["body"], r["md5_body"], r["attributes"],
                                           r["md5_attributes"], r["system_attributes"], r["md5_system"], r["sender"],
                                           now, now, r["group_id"], r["dedup_id"], sequence, None, 0))
                woken.add(target.id)
                moved += 1
            total = task["moved"] + moved
            done = total >= task["to_move"] or not rows
            self.store.update_task(handle, moved=total, status="COMPLETED" if done else "RUNNING")
            if not done:
                self.scheduler.at(now + 1, "sqs:move", {"handle": handle}, key=handle)
        for qid in woken:
            self._wake(qid)

    def cancel_message_move_task(self, ctx: RequestContext, params: dict) -> dict:
        handle = params.get("TaskHandle")
        if not handle:
            raise errors.missing_parameter("TaskHandle")
        task = self.store.task(handle)
        if task is None:
            raise errors.resource_not_found("Task does not exist.")
        if task["status"] != "RUNNING":
            raise errors.unsupported_operation("Only active tasks can be cancelled.")
        with self.db.transaction():
            self.store.update_task(handle, status="CANCELLED")
            self.scheduler.cancel("sqs:move", handle)
        return {"ApproximateNumberOfMessagesMoved": task["moved"]}

    def list_message_move_tasks(self, ctx: RequestContext, params: dict) -> dict:
        source_arn = params.get("SourceArn")
        if not source_arn:
            raise errors.missing_parameter("SourceArn")
        if self._by_arn(source_arn) is None:
            raise errors.resource_not_found("The resource that you specified for the SourceArn parameter "
                                            "doesn't exist.")
        limit = params.get("MaxResults")
        if limit is None:
            limit = 1
        elif not 1 <= limit <= 10:
            raise errors.invalid_value("MaxResults", limit, "MaxResults must be between 1 and 10.")
        results = []
        for t in self.store.tasks(source_arn)[:limit]:
            item = {"Status": t["status"], "SourceArn": t["source_arn"],
                    "ApproximateNumberOfMessagesMoved": t["moved"],
                    "ApproximateNumberOfMessagesToMove": t["to_move"],
                    "StartedTimestamp": int(t["started"] * 1000)}
            if t["status"] == "RUNNING":
                item["TaskHandle"] = t["handle"]
            if t["destination_arn"]:
                item["DestinationArn"] = t["destination_arn"]
            if t["rate"]:
                item["MaxNumberOfMessagesPerSecond"] = t["rate"]
            if t["failure"]:
                item["FailureReason"] = t["failure"]
            results.append(item)
        return {"Results": results}


# -- helpers ------------------------------------------------------------------------------------------

def _sender(ctx: RequestContext) -> str:
    # The root user's sender id is its account id; a service delivering (SNS,
    # EventBridge) is named by its principal.
    if ctx.internal and ctx.principal:
        return ctx.principal
    return ctx.account


def _handle(queue_id: int, row_id: int, token: str, received: float) -> str:
    raw = f"{queue_id}:{row_id}:{token}:{int(received * 1000)}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_handle(handle: str):
    try:
        raw = base64.urlsafe_b64decode(handle + "=" * (-len(handle) % 4)).decode()
        queue_id, row_id, token, received = raw.split(":")
        return int(queue_id), int(row_id), token, int(received) / 1000
    except (ValueError, UnicodeDecodeError, binascii.Error):
        return None


def _dump_attributes(attributes: dict | None) -> str | None:
    if not attributes:
        return None
    out = {}
    for name, value in attributes.items():
        item = {"DataType": value["DataType"]}
        if value.get("BinaryValue") is not None:
            item["BinaryValue"] = base64.b64encode(value["BinaryValue"]).decode()
        else:
            item["StringValue"] = value.get("StringValue")
        out[name] = item
    return json.dumps(out)


def _load_attributes(text: str) -> dict:
    out = json.loads(text)
    for value in out.values():
        if "BinaryValue" in value:
            value["BinaryValue"] = base64.b64decode(value["BinaryValue"])
    return out


def _attributes_size(entry: dict) -> int:
    size = 0
    for name, value in (entry.get("MessageAttributes") or {}).items():
        data = value.get("BinaryValue") if value.get("BinaryValue") is not None else value.get("StringValue") or ""
        size += len(name) + len(value.get("DataType") or "") + len(data if isinstance(data, bytes)
                                                                  else data.encode("utf-8"))
    return size


def _failure(entry_id: str, error: ServiceError) -> dict:
    return {"Id": entry_id, "SenderFault": error.sender_fault, "Code": error.code, "Message": error.message}
