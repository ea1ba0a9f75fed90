"""Publish: validate a message, then fan it out to the subscriptions whose
filter policies it passes, in the form each protocol receives.

The hot path keeps each topic's confirmed subscriptions (filter policies
parsed) in memory; every write to a topic or subscription drops that view.
A message is signed once per distinct text (the signed fields are the same
for every subscription), off the event loop.
"""
from __future__ import annotations

import asyncio
import datetime as _dt
import hashlib
import json
import re
import secrets
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import quote

from ...auth import kms_keys
from ...protocol.errors import ServiceError
from ...protocol.wire import uuid4_text
from . import attributes as A
from . import filter_policy
from .delivery import (CONTENT_TYPE, KIND, MANAGED_POLICY, USER_AGENT, _dumps, effective_http_policy,
                       envelope_attributes, envelope_text, lambda_event, policy_for)
from .store import Subscription, Topic

if TYPE_CHECKING:
    from .provider import SnsProvider

DEDUP_WINDOW = 300.0
_GROUP_ID = re.compile(r"^[A-Za-z0-9!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~]{1,128}$")
PHONE = re.compile(r"^\+?[1-9]\d{1,14}$")
ENDPOINT_ARN = re.compile(r"^arn:aws[\w-]*:sns:([a-z0-9-]+):\d{12}:endpoint/")


@dataclass
class View:
    topic: Topic
    subscriptions: list[Subscription]
    signature_version: str


@dataclass
class Message:
    message_id: str
    topic_arn: str
    text: str
    structure: dict | None
    subject: str | None
    attributes: dict
    timestamp: str
    base: str
    cert_url: str
    signature_version: str
    group: str | None = None
    dedup: str | None = None
    sequence: str | None = None
    _signatures: dict = field(default_factory=dict)
    _bodies: dict = field(default_factory=dict)
    _attr_doc: dict | None = None
    # text -> the envelope around its UnsubscribeURL, made once per message
    _envelopes: dict = field(default_factory=dict)

    def text_for(self, key: str) -> str:
        if self.structure is None:
            return self.text
        return self.structure.get(key, self.structure["default"])

    def attributes_doc(self) -> dict:
        if self._attr_doc is None:
            self._attr_doc = filter_policy.attributes_document(self.attributes)
        return self._attr_doc

    def body_doc(self, text: str):
        if text not in self._bodies:
            try:
                self._bodies[text] = json.loads(text)
            except ValueError:
                self._bodies[text] = None
        return self._bodies[text]


_SLOT = "\x00subscription\x00"


def _unsubscribe_url(msg: Message, sub_arn: str) -> str:
    return f"{msg.base}/?Action=Unsubscribe&SubscriptionArn={sub_arn}"


_second: list = [None, ""]  # the last whole second formatted, reused within it


def timestamp(now: float) -> str:
    """ISO 8601 with milliseconds, as SNS writes it (2026-11-29T09:30:00.123Z)."""
    whole = int(now)
    if _second[0] != whole:
        _second[0], _second[1] = whole, _dt.datetime.fromtimestamp(whole, tz=_dt.timezone.utc).strftime(
            "%Y-%m-%dT%H:%M:%S.")
    return f"{_second[1]}{int((now - whole) * 1000):03d}Z"


class Publisher:
    def __init__(self, provider: "SnsProvider"):
        self.p = provider
        self._views: dict[str, View] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._last_sweep = 0.0

    def forget(self, topic_arn: str | None = None) -> None:
        if topic_arn is None:
            self._views.clear()
        else:
            self._views.pop(topic_arn, None)

    def view(self, arn: str) -> View | None:
        v = self._views.get(arn)
        if v is not None:
            return v
        topic = self.p.store.topic(arn)
        if topic is None:
            return None
        subs = []
        for s in self.p.store.subscriptions_of(arn):
            if s.pending:
                continue
            policy = s.attributes.get("FilterPolicy")
            s.filter_policy = json.loads(policy) if policy else None
            s.scope = s.attributes.get("FilterPolicyScope", "MessageAttributes")
            s.raw = s.attributes.get("RawMessageDelivery") == "true"
            subs.append(s)
        v = View(topic, subs, topic.attributes.get("SignatureVersion", "1"))
        self._views[arn] = v
        return v

    # -- Publish ------------------------------------------------------------------------------------

    async def publish(self, ctx, params: dict) -> dict:
        topic_arn, target, phone = params.get("TopicArn"), params.get("TargetArn"), params.get("PhoneNumber")
        given = [x for x in (topic_arn, target, phone) if x]
        if not given:
            raise A.invalid("TopicArn or TargetArn Reason: no value for required parameter")
        if len(given) > 1:
            raise A.invalid("TopicArn or TargetArn Reason: Only one of TopicArn, TargetArn or PhoneNumber may be "
                            "specified")
        message = params.get("Message")
        if not message:
            raise A.invalid("Empty message")
        subject = params.get("Subject")
        A.subject(subject)
        structure = None
        if params.get("MessageStructure") is not None:
            if params["MessageStructure"] != "json":
                raise A.invalid("MessageStructure")
            structure = _structure(message)
        attrs = A.message_attributes(params.get("MessageAttributes"))
        if len(message.encode("utf-8")) + (A.attributes_size(attrs) if attrs else 0) > A.MAX_MESSAGE_BYTES:
            raise A.invalid("Message too long")
        now = self.p.clock.now()
        msg = Message(uuid4_text(), "", message, structure, subject, attrs, timestamp(now),
                      self.p.base_url(ctx), "", "1")
        if phone:
            return self._publish_sms(ctx, phone, msg)
        if target and ENDPOINT_ARN.match(target):
            return self._publish_endpoint(ctx, target, msg)
        name = "TopicArn" if topic_arn else "TargetArn"
        arn = self.p._topic_arn(ctx, topic_arn or target, name)
        view = self.view(arn)
        if view is None:
            raise ServiceError("NotFound", "Topic does not exist", status=404)
        topic = view.topic
        if topic.attributes.get("KmsMasterKeyId"):  # SSE: the topic's key must be usable (auth/kms_keys.py)
            await kms_keys.check(self.p.internal, topic.attributes["KmsMasterKeyId"], kms_keys.SNS,
                                 account=topic.account, region=topic.region, principal="sns.amazonaws.com")
        msg.topic_arn = arn
        msg.signature_version = view.signature_version
        msg.cert_url = f"{msg.base}/_nubis/sns/{self.p.signer.cert_name()}"
        group, dedup = params.get("MessageGroupId"), params.get("MessageDeduplicationId")
        if group is not None and not _GROUP_ID.match(group):
            raise A.invalid("MessageGroupId")
        if dedup is not None and not _GROUP_ID.match(dedup):
            raise A.invalid("MessageDeduplicationId")
        if not topic.fifo:
            if dedup is not None:
                raise A.invalid("MessageDeduplicationId Reason: The request includes MessageDeduplicationId "
                                "parameter that is not valid for this topic type")
            msg.group = group  # forwarded to standard queues only (fair queues)
            return await self._fan_out(view, msg)
        if not group:
            raise A.invalid("The MessageGroupId parameter is required for FIFO topics")
        if dedup is None:
            if topic.attributes.get("ContentBasedDeduplication") != "true":
                raise A.invalid("The topic should either have ContentBasedDeduplication enabled or "
                                "MessageDeduplicationId provided explicitly")
            dedup = hashlib.sha256(message.encode("utf-8")).hexdigest()
        msg.group, msg.dedup = group, dedup
        lock = self._locks.setdefault(arn, asyncio.Lock())
        # One message at a time per FIFO topic: sequence numbers and queue order agree.
        async with lock:
            dup = self.p.store.duplicate(arn, dedup, now)
            if dup is not None:
                return {"MessageId": dup[0], "SequenceNumber": dup[1]}
            msg.sequence = f"{self.p.store.next_sequence(arn):020d}"
            return await self._fan_out(view, msg)

    async def _fan_out(self, view: View, msg: Message) -> dict:
        timers: list[tuple[float, dict]] = []
        for sub in view.subscriptions:
            if sub.filter_policy is not None and not self._passes(sub, msg):
                continue
            d = await self._delivery(view.topic, sub, msg)
            if d is None:
                continue
            if sub.protocol == "sqs":
                retry = await self.p.deliveries.deliver_inline(d)
                if retry is not None:
                    timers.append(retry)
            else:
                timers.append((0.0, d))
        if timers or msg.sequence is not None:
            now = self.p.clock.now()
            with self.p.db.transaction():
                if msg.sequence is not None:
                    self.p.store.remember(msg.topic_arn, msg.dedup, msg.message_id, msg.sequence,
                                          now + DEDUP_WINDOW)
                    if now - self._last_sweep > 60:
                        self._last_sweep = now
                        self.p.store.forget_expired(now)
                for delay, d in timers:
                    d.setdefault("id", str(uuid.uuid4()))
                    self.p.scheduler.at(now + delay, KIND, d, key=d["id"])
        out = {"MessageId": msg.message_id}
        if msg.sequence is not None:
            out["SequenceNumber"] = msg.sequence
        return out

    def _passes(self, sub: Subscription, msg: Message) -> bool:
        if sub.scope == "MessageBody":
            doc = msg.body_doc(msg.text_for(sub.protocol))
        else:
            doc = msg.attributes_doc()
        return filter_policy.matches(sub.filter_policy, doc)

    async def _signature(self, msg: Message, note: dict) -> str:
        text = note["Message"]
        sig = msg._signatures.get(text)
        if sig is None:
            sig = await self.p.signer.sign_async(note, msg.signature_version)
            msg._signatures[text] = sig
        return sig

    async def _notification(self, msg: Message, sub_arn: str, text: str) -> dict:
        note = {"Type": "Notification", "MessageId": msg.message_id}
        if msg.sequence is not None:
            note["SequenceNumber"] = msg.sequence
        note["TopicArn"] = msg.topic_arn
        if msg.subject is not None:
            note["Subject"] = msg.subject
        note["Message"] = text
        note["Timestamp"] = msg.timestamp
        note["SignatureVersion"] = msg.signature_version
        note["Signature"] = await self._signature(msg, note)
        note["SigningCertURL"] = msg.cert_url
        note["UnsubscribeURL"] = _unsubscribe_url(msg, sub_arn)
        if msg.attributes:
            note["MessageAttributes"] = envelope_attributes(msg.attributes)
        return note

    async def _envelope(self, msg: Message, sub_arn: str, text: str) -> str:
        """The JSON notification for one subscription. Only its UnsubscribeURL
        differs between subscriptions, so the rest is written once per message."""
        parts = msg._envelopes.get(text)
        if parts is None:
            slot = _unsubscribe_url(msg, _SLOT)
            whole = envelope_text(await self._notification(msg, _SLOT, text))
            head, _, tail = whole.partition(_dumps(slot))
            parts = msg._envelopes[text] = (head, tail)
        return parts[0] + _dumps(_unsubscribe_url(msg, sub_arn)) + parts[1]

    async def _delivery(self, topic: Topic, sub: Subscription, msg: Message) -> dict | None:
        protocol = sub.protocol
        text = msg.text_for(protocol)
        # The delivery id (the timer key) is given only to deliveries that become timers.
        d = {"sub": sub.arn, "protocol": protocol, "endpoint": sub.endpoint,
             "topic": msg.topic_arn, "message_id": msg.message_id, "type": "Notification", "attempt": 1}
        if protocol == "sqs":
            d["policy"] = MANAGED_POLICY
            if sub.raw:
                d["body"] = text
                if msg.attributes:
                    d["attributes"] = msg.attributes
            else:
                d["body"] = await self._envelope(msg, sub.arn, text)
            if sub.endpoint.endswith(".fifo"):
                d["group"], d["dedup"] = msg.group, msg.dedup
            elif msg.group and msg.sequence is None:
                d["group"] = msg.group
            return d
        if protocol in ("http", "https"):
            retry, ctype = effective_http_policy(A.json_or_none(topic.attributes.get("DeliveryPolicy")),
                                                 A.json_or_none(sub.attributes.get("DeliveryPolicy")))
            d["policy"] = retry
            d["body"] = text if sub.raw else await self._envelope(msg, sub.arn, text)
            d["headers"] = {"x-amz-sns-message-type": "Notification", "x-amz-sns-message-id": msg.message_id,
                            "x-amz-sns-topic-arn": msg.topic_arn, "x-amz-sns-subscription-arn": sub.arn,
                            "Content-Type": ctype or CONTENT_TYPE, "User-Agent": USER_AGENT}
            if sub.raw:
                d["headers"]["x-amz-sns-rawdelivery"] = "true"
            return d
        d["policy"] = policy_for(protocol)
        if protocol == "lambda":
            note = await self._notification(msg, sub.arn, text)
            d["body"] = json.dumps(lambda_event(sub.arn, note))
            return d
        if protocol == "firehose":
            d["body"] = text if sub.raw else await self._envelope(msg, sub.arn, text)
            return d
        if protocol == "email":
            unsubscribe = f"{msg.base}/?Action=Unsubscribe&SubscriptionArn={sub.arn}"
            display = topic.attributes.get("DisplayName") or "AWS Notifications"
            d["channel"] = "email"
            d["inbox"] = {"from": f"{display} <no-reply@sns.amazonaws.com>", "to": sub.endpoint,
                          "subject": msg.subject or "AWS Notification Message",
                          "body": f"{text}\n\n--\nIf you wish to stop receiving notifications from this topic, "
                                  f"please click or visit the link below to unsubscribe:\n{unsubscribe}\n",
                          "messageId": msg.message_id, "topicArn": msg.topic_arn, "subscriptionArn": sub.arn}
            return d
        if protocol == "email-json":
            d["channel"] = "email-json"
            d["inbox"] = {"to": sub.endpoint, "subject": msg.subject or "AWS Notification Message",
                          "body": await self._envelope(msg, sub.arn, text),
                          "messageId": msg.message_id, "topicArn": msg.topic_arn, "subscriptionArn": sub.arn}
            return d
        if protocol == "sms":
            if self.p.store.opted_out(sub.account, sub.region, sub.endpoint):
                return None
            d["channel"] = "sms"
            d["inbox"] = self._sms_doc(sub.account, sub.region, sub.endpoint, text, msg)
            return d
        # application: a mobile endpoint subscribed to the topic
        ep = self.p.store.endpoint(sub.endpoint)
        if ep is None or ep["attributes"].get("Enabled") == "false":
            return None
        app = self.p.store.platform_app(ep["app_arn"]) or {"platform": ""}
        d["channel"] = "application"
        d["inbox"] = self._push_doc(ep, app["platform"], msg)
        return d

    # -- direct publishes ----------------------------------------------------------------------------

    def _publish_sms(self, ctx, phone: str, msg: Message) -> dict:
        if not PHONE.match(phone):
            raise A.invalid(f"PhoneNumber Reason: {phone} is not valid to publish to")
        if not self.p.store.opted_out(ctx.account, ctx.region, phone):
            d = {"id": str(uuid.uuid4()), "protocol": "sms", "endpoint": phone, "channel": "sms",
                 "message_id": msg.message_id, "type": "Notification", "attempt": 1, "policy": policy_for("sms"),
                 "inbox": self._sms_doc(ctx.account, ctx.region, phone, msg.text_for("sms"), msg)}
            with self.p.db.transaction():
                self.p.deliveries.schedule(d)
        return {"MessageId": msg.message_id}

    def _sms_doc(self, account: str, region: str, phone: str, text: str, msg: Message) -> dict:
        settings = self.p.store.sms_attributes(account, region)
        attrs = msg.attributes
        sender = attrs.get("AWS.SNS.SMS.SenderID", {}).get("StringValue") or settings.get("DefaultSenderID")
        kind = (attrs.get("AWS.SNS.SMS.SMSType", {}).get("StringValue") or settings.get("DefaultSMSType")
                or "Promotional")
        doc = {"to": phone, "message": text, "messageId": msg.message_id, "smsType": kind}
        if sender:
            doc["senderId"] = sender
        if msg.topic_arn:
            doc["topicArn"] = msg.topic_arn
        return doc

    def _publish_endpoint(self, ctx, arn: str, msg: Message) -> dict:
        m = ENDPOINT_ARN.match(arn)
        if ctx.access_key is not None and m.group(1) != ctx.region:
            raise A.invalid("TargetArn")
        ep = self.p.store.endpoint(arn)
        if ep is None:
            raise A.invalid("TargetArn Reason: No endpoint found for the target arn specified")
        if ep["attributes"].get("Enabled") == "false":
            raise ServiceError("EndpointDisabled", "Endpoint is disabled", status=400)
        app = self.p.store.platform_app(ep["app_arn"]) or {"platform": "", "attributes": {}}
        if app["attributes"].get("Enabled") == "false":
            raise ServiceError("PlatformApplicationDisabled", "Platform application is disabled", status=400)
        d = {"id": str(uuid.uuid4()), "protocol": "application", "endpoint": arn, "channel": "application",
             "message_id": msg.message_id, "type": "Notification", "attempt": 1,
             "policy": policy_for("application"), "inbox": self._push_doc(ep, app["platform"], msg)}
        with self.p.db.transaction():
            self.p.deliveries.schedule(d)
        return {"MessageId": msg.message_id}

    def _push_doc(self, ep: dict, platform: str, msg: Message) -> dict:
        doc = {"endpointArn": ep["arn"], "token": ep["token"], "platform": platform,
               "message": msg.text_for(platform), "messageId": msg.message_id}
        if msg.topic_arn:
            doc["topicArn"] = msg.topic_arn
        if msg.attributes:
            doc["messageAttributes"] = envelope_attributes(msg.attributes)
        return doc

    # -- confirmations --------------------------------------------------------------------------------

    def confirmation(self, base: str, topic: Topic, sub: Subscription, kind: str, text: str) -> dict:
        token = sub.token if kind == "SubscriptionConfirmation" else secrets.token_hex(64)
        note = {"Type": kind, "MessageId": str(uuid.uuid4()), "Token": token, "TopicArn": topic.arn,
                "Message": text,
                "SubscribeURL": f"{base}/?Action=ConfirmSubscription&TopicArn={quote(topic.arn, safe='')}"
                                f"&Token={token}",
                "Timestamp": timestamp(self.p.clock.now()),
                "SignatureVersion": topic.attributes.get("SignatureVersion", "1")}
        note["Signature"] = self.p.signer.sign(note, note["SignatureVersion"])
        note["SigningCertURL"] = f"{base}/_nubis/sns/{self.p.signer.cert_name()}"
        return note

    def schedule_confirmation(self, topic: Topic, sub: Subscription, note: dict) -> None:
        """Send ``note`` to the endpoint (inside the caller's transaction)."""
        d = {"sub": sub.arn, "protocol": sub.protocol, "endpoint": sub.endpoint, "topic": topic.arn,
             "message_id": note["MessageId"], "type": note["Type"]}
        body = envelope_text(note)
        if sub.protocol in ("http", "https"):
            retry, ctype = effective_http_policy(A.json_or_none(topic.attributes.get("DeliveryPolicy")),
                                                 A.json_or_none(sub.attributes.get("DeliveryPolicy")))
            headers = {"x-amz-sns-message-type": note["Type"], "x-amz-sns-message-id": note["MessageId"],
                       "x-amz-sns-topic-arn": topic.arn, "Content-Type": ctype or CONTENT_TYPE,
                       "User-Agent": USER_AGENT}
            if note["Type"] != "SubscriptionConfirmation":
                headers["x-amz-sns-subscription-arn"] = sub.arn
            d.update(policy=retry, body=body, headers=headers)
        elif sub.protocol == "email":
            d.update(policy=policy_for("email"), channel="email", inbox={
                "from": "AWS Notifications <no-reply@sns.amazonaws.com>", "to": sub.endpoint,
                "subject": "AWS Notification - Subscription Confirmation",
                "body": f"You have chosen to subscribe to the topic:\n{topic.arn}\n\nTo confirm this subscription, "
                        f"click or visit the link below (If this was in error no action is necessary):\n"
                        f"{note['SubscribeURL']}\n",
                "SubscribeURL": note["SubscribeURL"], "Token": note["Token"], "topicArn": topic.arn})
        elif sub.protocol == "email-json":
            d.update(policy=policy_for("email-json"), channel="email-json", inbox={
                "to": sub.endpoint, "subject": "AWS Notification - Subscription Confirmation", "body": body,
                "SubscribeURL": note["SubscribeURL"], "Token": note["Token"], "topicArn": topic.arn})
        elif sub.protocol == "sqs":
            d.update(policy=MANAGED_POLICY, body=body)
        else:
            return
        self.p.deliveries.schedule(d)


def _structure(message: str) -> dict:
    try:
        doc = json.loads(message)
    except ValueError:
        raise A.invalid("Message Structure - JSON message body failed to parse") from None
    if not isinstance(doc, dict) or "default" not in doc:
        raise A.invalid("Message Structure - No default entry in JSON message body")
    if not isinstance(doc["default"], str):
        raise A.invalid("Message Structure - Default message must be a string")
    # Non-string values are ignored, as AWS does.
    return {k: v for k, v in doc.items() if isinstance(v, str)}
