"""The pollers of event source mappings, and the SQS poller.

One poller per enabled mapping, as a task on the server's loop. It is started
when the Lambda provider starts (every enabled mapping in the store) and when
a mapping is created or enabled; stopped when the mapping is disabled or
deleted, on reset and on shutdown. Lambda's provider starts on first use, so
after a restart a durable watch timer (``lambda:mappings``, every
``WATCH_SECONDS`` on the controllable clock, only while some mapping is
enabled) starts it, and with it the pollers.

The SQS poller long-polls the queue through the internal client, as Lambda's
pollers do: ``ReceiveMessage`` of up to 10 messages, waiting up to 20 seconds
(woken by a send, so an idle mapping costs nothing), gathering up to
``BatchSize`` records within ``MaximumBatchingWindowInSeconds`` on the
controllable clock. A batch is an invocation of its own (up to
``ScalingConfig.MaximumConcurrency`` at once); a successful batch is deleted,
a failed one is left to the queue (its visibility timeout, then its redrive
policy), and with ``ReportBatchItemFailures`` all but the reported items are
deleted. Records the filters drop are deleted unseen. A FIFO queue never
hands out a message group that has messages in flight, so a group's messages
reach the function in order, one batch after the other.
"""
from __future__ import annotations

import abc
import asyncio
import base64
import json
import logging
import math

from ...protocol.errors import ServiceError
from ..base import RequestContext
from . import filters

log = logging.getLogger("nubis.lambda.mappings")

WATCH = "lambda:mappings"
WATCH_SECONDS = 10.0
DEFAULT_CONCURRENCY = 5        # concurrent batches of a mapping without ScalingConfig
MAX_INVOKE_PAYLOAD = 6 * 1024 * 1024
PRINCIPAL = "lambda.amazonaws.com"
RETRY_SECONDS = 5.0            # after the source could not be read (a deleted queue, a missing function)


class Pollers:
    def __init__(self, provider):
        self.provider = provider
        self.running: dict[str, "Poller"] = {}
        provider.scheduler.on(WATCH, self._watch)

    def resume(self) -> None:
        """Start a poller for every enabled mapping (the provider is starting)."""
        for account, region, doc in self.provider.mappings.all():
            self.sync(account, region, doc)

    def sync(self, account: str, region: str, doc: dict) -> None:
        """Make the running poller match the stored mapping."""
        uuid = doc["UUID"]
        self.stop(uuid)
        if doc["State"] != "Enabled":
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # not serving (a command-line tool opened the store): nothing polls
        from .stream_pollers import StreamPoller  # here: that module builds on this one
        kind = doc["EventSourceArn"].split(":")[2]
        cls = SqsPoller if kind == "sqs" else StreamPoller
        poller = cls(self.provider, account, region, doc)
        self.running[uuid] = poller
        poller.task = loop.create_task(poller.run(), name=f"lambda-esm-{uuid}")
        self.provider.scheduler.after(WATCH_SECONDS, WATCH, {}, key="watch", every=WATCH_SECONDS)

    def stop(self, uuid: str) -> None:
        poller = self.running.pop(uuid, None)
        if poller is not None:
            poller.stop()
        if not self.running:
            self.provider.scheduler.cancel(WATCH, "watch")

    def stop_all(self) -> None:
        for poller in list(self.running.values()):
            poller.stop(everything=True)
        self.running.clear()

    def _watch(self, payload: dict) -> None:
        # Firing started the provider (and so every poller); nothing else to do
        # unless no mapping is enabled any more.
        if not self.running:
            self.provider.scheduler.cancel(WATCH, "watch")


class Poller(abc.ABC):
    """What the SQS and stream pollers share: the task, the mapping, invoking the function."""

    def __init__(self, provider, account: str, region: str, doc: dict):
        self.provider = provider
        self.account, self.region, self.doc = account, region, doc
        self.uuid = doc["UUID"]
        self.patterns = filters.compiled(doc.get("FilterCriteria"))
        self.task: asyncio.Task | None = None
        self.batches: set[asyncio.Task] = set()
        self.stopped = False
        source = doc["EventSourceArn"].split(":")
        self.source_region, self.source_account = source[3] or region, source[4]

    def stop(self, everything: bool = False) -> None:
        """Stop polling; batches being delivered finish (``everything``: cancel them too)."""
        self.stopped = True
        if self.task is not None:
            self.task.cancel()
        if everything:
            for t in list(self.batches):
                t.cancel()

    async def run(self) -> None:
        while not self.stopped:
            try:
                await self.poll()
            except asyncio.CancelledError:
                raise
            except ServiceError as e:
                log.info("mapping %s: %s %s; trying again", self.uuid, e.code, e.message)
                await self.pause(RETRY_SECONDS)
            except Exception:
                log.exception("mapping %s", self.uuid)
                await self.pause(RETRY_SECONDS)

    async def pause(self, seconds: float) -> None:
        """Wait on the controllable clock (a frozen clock waits for an advance)."""
        clock = self.provider.clock
        await self.provider.scheduler.sleep_until(clock.now() + seconds)

    @abc.abstractmethod
    async def poll(self) -> None:
        """One round: read the source, invoke the function, settle the batch (per source kind)."""

    async def call(self, service: str, operation: str, params: dict) -> dict:
        return await self.provider.internal.call(service, operation, params, account=self.source_account,
                                                 region=self.source_region, principal=PRINCIPAL)

    def spawn(self, coro) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self.batches.add(task)
        task.add_done_callback(self.batches.discard)

    async def invoke(self, event: dict) -> tuple[bool, bytes, dict]:
        """Run the function synchronously with ``event``: (succeeded, payload, response context)."""
        p = self.provider
        ctx = RequestContext("lambda", "Invoke", self.account, self.region, "", principal=PRINCIPAL, internal=True)
        target = self.doc["FunctionArn"]
        fn, qualifier = p.function(ctx, target)
        version, cfg, blob = p.resolve(ctx, fn, qualifier, route=True)
        payload = json.dumps(event).encode()
        if "DurableConfig" in cfg:
            return await self._invoke_durable(ctx, fn, version, cfg, payload)
        try:
            result = await p.run(fn, version, cfg, blob, payload, target)
        except ServiceError as e:
            # Throttled or the function could not start: the batch failed.
            log.info("mapping %s: invoking %s: %s", self.uuid, target, e.code)
            return False, b"", {"statusCode": e.status, "executedVersion": version, "functionError": e.code}
        response = {"statusCode": 200, "executedVersion": version}
        if result.error_type:
            response["functionError"] = "Unhandled"
            return False, result.payload, response
        return True, result.payload, response

    async def _invoke_durable(self, ctx, fn, version: str, cfg: dict, payload: bytes) -> tuple[bool, bytes, dict]:
        """A durable function is invoked synchronously: the batch waits for the whole execution."""
        try:
            out = await self.provider.invoke_durable(ctx, fn, version, cfg, payload, "RequestResponse", {})
        except ServiceError as e:
            return False, b"", {"statusCode": e.status, "executedVersion": version, "functionError": e.code}
        response = {"statusCode": 200, "executedVersion": version}
        if out.get("FunctionError"):
            response["functionError"] = "Unhandled"
            return False, out["Payload"], response
        return True, out["Payload"], response

    def note(self, outcome: str) -> None:
        """LastProcessingResult, written only when it changes."""
        if self.doc.get("LastProcessingResult") == outcome:
            return
        found = self.provider.mappings.get(self.uuid)
        if found is None:
            return
        account, region, doc, tags, created = found
        doc["LastProcessingResult"] = self.doc["LastProcessingResult"] = outcome
        self.provider.mappings.save(account, region, doc, tags, created)


def batch_failures(payload: bytes, identifiers: set[str]) -> set[str] | None:
    """The item identifiers a ReportBatchItemFailures response names, or None when the
    response is invalid (then the whole batch failed), per "Implementing partial batch
    responses": an empty or null response or list is a complete success."""
    text = payload.strip()
    if not text or text == b"null":
        return set()
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    if not isinstance(doc, dict):
        return None
    items = doc.get("batchItemFailures")
    if items is None:
        return set()
    if not isinstance(items, list):
        return None
    failed = set()
    for item in items:
        ident = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not isinstance(ident, str) or not ident or ident not in identifiers:
            return None
        failed.add(ident)
    return failed


def _lambda_attributes(attributes: dict) -> dict:
    """SQS message attributes as Lambda's SQS event gives them."""
    out = {}
    for name, a in attributes.items():
        entry: dict = {"stringListValues": [], "binaryListValues": [], "dataType": a.get("DataType", "String")}
        if a.get("StringValue") is not None:
            entry["stringValue"] = a["StringValue"]
        if a.get("BinaryValue") is not None:
            value = a["BinaryValue"]
            entry["binaryValue"] = base64.b64encode(value if isinstance(value, bytes) else value.encode()).decode()
        out[name] = entry
    return out


class SqsPoller(Poller):
    def __init__(self, provider, account, region, doc):
        super().__init__(provider, account, region, doc)
        self.queue_name = doc["EventSourceArn"].split(":", 5)[5]
        self.url: str | None = None
        limit = (doc.get("ScalingConfig") or {}).get("MaximumConcurrency") or DEFAULT_CONCURRENCY
        self.slots = asyncio.Semaphore(limit)
        self.report_failures = "ReportBatchItemFailures" in (doc.get("FunctionResponseTypes") or ())

    async def poll(self) -> None:
        if self.url is None:
            found = await self.call("sqs", "GetQueueUrl", {"QueueName": self.queue_name,
                                                           "QueueOwnerAWSAccountId": self.source_account})
            self.url = found["QueueUrl"]
        await self.slots.acquire()
        try:
            records = await self.gather()
        except BaseException:
            self.slots.release()
            self.url = None  # looked up again: the queue may have been deleted and created again
            raise
        if not records:
            self.slots.release()
            return
        self.spawn(self.deliver(records))

    def record(self, m: dict) -> dict:
        attributes = {k: val for k, val in (m.get("Attributes") or {}).items() if k != "DeadLetterQueueSourceArn"}
        rec = {"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
               "attributes": attributes,
               "messageAttributes": _lambda_attributes(m.get("MessageAttributes") or {}),
               "md5OfBody": m["MD5OfBody"]}
        if m.get("MD5OfMessageAttributes"):
            rec["md5OfMessageAttributes"] = m["MD5OfMessageAttributes"]
        rec.update(eventSource="aws:sqs", eventSourceARN=self.doc["EventSourceArn"], awsRegion=self.source_region)
        return rec

    async def gather(self) -> list[dict]:
        """Up to BatchSize records: what one receive returns without a batching window, else
        what arrives until the window (from the first record) closes or the batch is full."""
        size = self.doc["BatchSize"]
        window = self.doc.get("MaximumBatchingWindowInSeconds") or 0
        clock = self.provider.clock
        records: list[dict] = []
        at: dict[str, int] = {}  # messageId -> its place in records
        volume = 0
        deadline = None
        while len(records) < size and volume < MAX_INVOKE_PAYLOAD:
            if deadline is None:
                wait = 20
            else:
                remaining = deadline - clock.now()
                if remaining <= 0:
                    break
                wait = min(20, math.ceil(remaining))
            out = await self.call("sqs", "ReceiveMessage", {
                "QueueUrl": self.url, "MaxNumberOfMessages": min(10, size - len(records)), "WaitTimeSeconds": wait,
                "MessageSystemAttributeNames": ["All"], "MessageAttributeNames": ["All"]})
            dropped = []
            for m in out.get("Messages") or ():
                rec = self.record(m)
                if m["MessageId"] in at:
                    # Received again within a window longer than the visibility timeout:
                    # the same record, with the receipt handle that deletes it now.
                    records[at[m["MessageId"]]] = rec
                elif filters.passes(self.patterns, filters.sqs_view(rec)):
                    at[m["MessageId"]] = len(records)
                    records.append(rec)
                    volume += len(m["Body"])
                else:
                    dropped.append(rec)
            if dropped:
                await self.delete(dropped)
            if records and deadline is None:
                if not window:
                    break
                deadline = clock.now() + window
            if self.stopped:
                break
        return records

    async def deliver(self, records: list[dict]) -> None:
        try:
            ok, payload, _ = await self.invoke({"Records": records})
            if not ok:
                return  # the messages become visible again after the queue's visibility timeout
            done = records
            if self.report_failures:
                failed = batch_failures(payload, {r["messageId"] for r in records})
                if failed is None:
                    return  # an invalid response fails the whole batch
                done = [r for r in records if r["messageId"] not in failed]
            await self.delete(done)
        except ServiceError as e:
            log.info("mapping %s: %s %s", self.uuid, e.code, e.message)
        except Exception:
            log.exception("mapping %s: delivering a batch", self.uuid)
        finally:
            self.slots.release()

    async def delete(self, records: list[dict]) -> None:
        for i in range(0, len(records), 10):
            chunk = records[i:i + 10]
            await self.call("sqs", "DeleteMessageBatch", {"QueueUrl": self.url, "Entries": [
                {"Id": str(n), "ReceiptHandle": r["receiptHandle"]} for n, r in enumerate(chunk)]})
