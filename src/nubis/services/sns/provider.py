"""Amazon Simple Notification Service: operations in the API reference's order.

Topics, subscriptions, platform applications and SMS settings live in
``store.py``; fan-out is ``publish.py``; per-protocol delivery and retries are
``delivery.py``; signatures ``signing.py``; filter policies ``filter_policy.py``.
"""
from __future__ import annotations

import base64
import copy
import json
import re
import secrets
import uuid

from ...auth import kms_keys
from ...auth.credentials import partition
from ...protocol.errors import ServiceError
from ...protocol.wire import HttpResponse
from ..base import Provider, RequestContext
from . import attributes as A
from .delivery import DEFAULT_EFFECTIVE_DELIVERY_POLICY, KIND, Deliveries, effective_http_policy
from .publish import Publisher
from .signing import Signer
from .store import MIGRATIONS, Store, Subscription, Topic

PAGE = 100
TOKEN_VALIDITY = 2 * 86400  # "Confirmation tokens are valid for two days."
PENDING_LIFETIME = 3 * 86400
PROTOCOLS = ("http", "https", "email", "email-json", "sms", "sqs", "application", "lambda", "firehose")
PLATFORMS = ("ADM", "APNS", "APNS_SANDBOX", "GCM", "BAIDU", "MPNS", "WNS")
SNS_ACTIONS = ("AddPermission", "DeleteTopic", "GetDataProtectionPolicy", "GetTopicAttributes",
               "ListSubscriptionsByTopic", "ListTagsForResource", "Publish", "PutDataProtectionPolicy",
               "RemovePermission", "SetTopicAttributes", "Subscribe")
SMS_ATTRIBUTES = ("DefaultSMSType", "DefaultSenderID", "MonthlySpendLimit", "DeliveryStatusIAMRole",
                  "DeliveryStatusSuccessSamplingRate", "UsageReportS3Bucket")

TOPIC_ARN = re.compile(r"^arn:aws[\w-]*:sns:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_-]{1,256}(?:\.fifo)?)$")
TOPIC_NAME = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
FIFO_NAME = re.compile(r"^[A-Za-z0-9_-]{1,251}\.fifo$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[1-9]\d{1,14}$")
ENDPOINT_ARN = re.compile(r"^arn:aws[\w-]*:sns:[a-z0-9-]+:\d{12}:endpoint/[A-Z_]+/[^/]+/[0-9a-f-]{36}$")
APP_ARN = re.compile(r"^arn:aws[\w-]*:sns:[a-z0-9-]+:\d{12}:app/([A-Z_]+)/([^/]+)$")
LAMBDA_ARN = re.compile(r"^arn:aws[\w-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9_$-]+)?$")
FIREHOSE_ARN = re.compile(r"^arn:aws[\w-]*:firehose:[a-z0-9-]+:\d{12}:deliverystream/[A-Za-z0-9_.-]+$")
BATCH_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")


def not_found(what: str) -> ServiceError:
    return ServiceError("NotFound", f"{what} does not exist", status=404)


def _page_token(after: str) -> str:
    return base64.urlsafe_b64encode(after.encode()).decode()


def _after(token: str | None, name: str = "NextToken") -> str:
    if not token:
        return ""
    try:
        after = base64.b64decode(token.encode(), altchars=b"-_", validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        raise A.invalid(name) from None
    return after


def _page(items: list, key) -> tuple[list, str | None]:
    if len(items) > PAGE:
        items = items[:PAGE]
        return items, _page_token(key(items[-1]))
    return items, None


def default_policy(arn: str, account: str) -> str:
    statement = {"Sid": "__default_statement_ID", "Effect": "Allow", "Principal": {"AWS": "*"},
                 "Action": ["SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission",
                            "SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe",
                            "SNS:ListSubscriptionsByTopic", "SNS:Publish"],
                 "Resource": arn, "Condition": {"StringEquals": {"AWS:SourceOwner": account}}}
    return json.dumps({"Version": "2008-10-17", "Id": "__default_policy_ID", "Statement": [statement]},
                      separators=(",", ":"))


class SnsProvider(Provider):
    service = "sns"
    migrations = MIGRATIONS

    def start(self) -> None:
        self.store = Store(self.db)
        self.signer = Signer(self.db)
        self.deliveries = Deliveries(self)
        self.publisher = Publisher(self)
        self.scheduler.on(KIND, self.deliveries.on_timer)
        self.scheduler.on("sns:expire-pending", self._expire_pending)

    async def stop(self) -> None:
        await self.deliveries.close()


    def reset(self) -> None:
        self.publisher.forget()
        self.signer.forget()

    # -- helpers ------------------------------------------------------------------------------

    def base_url(self, ctx: RequestContext | None) -> str:
        host = ctx.request.headers.get("host") if ctx is not None and ctx.request is not None else None
        return f"http://{host}" if host else f"http://{self.config.hostname}:{self.config.port}"

    def _topic_arn(self, ctx: RequestContext, arn: str | None, name: str = "TopicArn") -> str:
        m = TOPIC_ARN.match(arn or "")
        if not m:
            raise A.invalid(name)
        # Signed requests reach their own region's topics only; an unsigned
        # ConfirmSubscription or Unsubscribe link carries its region in the ARN.
        if ctx.access_key is not None and m.group(1) != ctx.region:
            raise A.invalid(name)
        return arn

    def _topic(self, ctx: RequestContext, arn: str | None, name: str = "TopicArn") -> Topic:
        topic = self.store.topic(self._topic_arn(ctx, arn, name))
        if topic is None:
            raise not_found("Topic")
        return topic

    def _subscription(self, arn: str | None) -> Subscription:
        if not arn or not TOPIC_ARN.match(arn.rsplit(":", 1)[0]) or arn.count(":") != 6:
            raise A.invalid("SubscriptionArn")
        sub = self.store.subscription(arn)
        if sub is None:
            raise not_found("Subscription")
        return sub

    def _confirmation(self, ctx, topic: Topic, sub: Subscription, kind: str) -> dict:
        """A SubscriptionConfirmation or UnsubscribeConfirmation for ``sub``."""
        base = self.base_url(ctx)
        if kind == "SubscriptionConfirmation":
            text = (f"You have chosen to subscribe to the topic {topic.arn}.\n"
                    "To confirm the subscription, visit the SubscribeURL included in this message.")
        else:
            text = (f"You have chosen to deactivate subscription {sub.arn}.\n"
                    "To cancel this operation and restore the subscription, visit the SubscribeURL included in "
                    "this message.")
        return self.publisher.confirmation(base, topic, sub, kind, text)

    # -- operations -------------------------------------------------------------------------------

    def add_permission(self, ctx, params):
        topic = self._topic(ctx, params.get("TopicArn"))
        label = params.get("Label") or ""
        accounts = params.get("AWSAccountId") or []
        actions = params.get("ActionName") or []
        if not label or not accounts or not actions:
            raise A.invalid("Label" if not label else "AWSAccountId" if not accounts else "ActionName")
        if any(a not in SNS_ACTIONS for a in actions):
            raise A.invalid("Policy statement action out of service scope!")
        policy = json.loads(topic.attributes.get("Policy") or default_policy(topic.arn, topic.account))
        if any(s.get("Sid") == label for s in policy.get("Statement", [])):
            raise A.invalid("Statement already exists")
        principals = [f"arn:{partition(ctx.region)}:iam::{a}:root" for a in accounts]
        sns_actions = [f"SNS:{a}" for a in actions]
        policy.setdefault("Statement", []).append({
            "Sid": label, "Effect": "Allow",
            "Principal": {"AWS": principals[0] if len(principals) == 1 else principals},
            "Action": sns_actions[0] if len(sns_actions) == 1 else sns_actions, "Resource": topic.arn})
        topic.attributes["Policy"] = json.dumps(policy, separators=(",", ":"))
        with self.db.transaction():
            self.store.update_topic(topic)
        self.publisher.forget(topic.arn)
        return {}

    def check_if_phone_number_is_opted_out(self, ctx, params):
        phone = params.get("phoneNumber") or ""
        if not PHONE.match(phone):
            raise A.invalid("PhoneNumber")
        return {"isOptedOut": self.store.opted_out(ctx.account, ctx.region, phone)}

    def confirm_subscription(self, ctx, params):
        topic = self._topic(ctx, params.get("TopicArn"))
        token = params.get("Token") or ""
        sub = self.store.by_token(token) if token else None
        if sub is None or sub.topic_arn != topic.arn:
            raise A.invalid("Token")
        if sub.pending:
            row = self.db.query_one("SELECT created FROM sns_subscriptions WHERE arn = ?", (sub.arn,))
            if row is not None and self.clock.now() - row[0] > TOKEN_VALIDITY:
                raise A.invalid("Token")
            sub.pending = False
            sub.authenticated = (str(params.get("AuthenticateOnUnsubscribe", "")).lower() == "true"
                                 and ctx.access_key is not None)
            with self.db.transaction():
                self.store.update_subscription(sub)
                self.scheduler.cancel("sns:expire-pending", sub.arn)
            self.publisher.forget(topic.arn)
        return {"SubscriptionArn": sub.arn}

    def create_platform_application(self, ctx, params):
        name, platform = params.get("Name") or "", params.get("Platform") or ""
        attrs = dict(params.get("Attributes") or {})
        if not re.match(r"^[A-Za-z0-9_.-]{1,256}$", name):
            raise A.invalid("Invalid platform application name")
        if platform not in PLATFORMS:
            raise A.invalid("Platform")
        if not attrs.get("PlatformCredential"):
            raise A.invalid("Attributes Reason: PlatformCredential attribute is required")
        if platform.startswith("APNS") and not attrs.get("PlatformPrincipal"):
            raise A.invalid("Attributes Reason: PlatformPrincipal attribute is required")
        arn = f"arn:{partition(ctx.region)}:sns:{ctx.region}:{ctx.account}:app/{platform}/{name}"
        attrs.setdefault("Enabled", "true")
        with self.db.transaction():
            self.store.put_platform_app({"arn": arn, "account": ctx.account, "region": ctx.region, "name": name,
                                         "platform": platform, "attributes": attrs})
        return {"PlatformApplicationArn": arn}

    def _platform_app(self, arn: str | None) -> dict:
        if not APP_ARN.match(arn or ""):
            raise A.invalid("PlatformApplicationArn")
        app = self.store.platform_app(arn)
        if app is None:
            raise not_found("PlatformApplication")
        return app

    def create_platform_endpoint(self, ctx, params):
        app = self._platform_app(params.get("PlatformApplicationArn"))
        token = params.get("Token") or ""
        if not token:
            raise A.invalid("Token Reason: cannot be empty")
        attrs = {"Enabled": "true", **(params.get("Attributes") or {}), "Token": token}
        if params.get("CustomUserData") is not None:
            attrs["CustomUserData"] = params["CustomUserData"]
        existing = self.store.endpoint_by_token(app["arn"], token)
        if existing is not None:
            if any(existing["attributes"].get(k) != v for k, v in attrs.items()):
                raise A.invalid(f"Token Reason: Endpoint {existing['arn']} already exists with the same Token, "
                                "but different attributes.")
            return {"EndpointArn": existing["arn"]}
        arn = (f"arn:{partition(ctx.region)}:sns:{app['region']}:{app['account']}:endpoint/{app['platform']}/"
               f"{app['name']}/{uuid.uuid4()}")
        with self.db.transaction():
            self.store.put_endpoint({"arn": arn, "app_arn": app["arn"], "token": token, "attributes": attrs})
        return {"EndpointArn": arn}

    def create_sms_sandbox_phone_number(self, ctx, params):
        phone = params.get("PhoneNumber") or ""
        if not PHONE.match(phone):
            raise A.invalid("PhoneNumber")
        otp = f"{secrets.randbelow(10 ** 6):06d}"
        with self.db.transaction():
            self.store.put_sandbox_number(ctx.account, ctx.region, phone, params.get("LanguageCode") or "en-US",
                                          False, otp)
            # The one-time password goes where a text message would: the SMS inbox.
            self.store.deliver_to_inbox("sms", phone, {"message": f"Your Amazon SNS verification code is {otp}",
                                                       "otp": otp, "account": ctx.account}, self.clock.now())
        return {}

    def create_topic(self, ctx, params):
        name = params.get("Name") or ""
        attrs_in = dict(params.get("Attributes") or {})
        fifo_flag = str(attrs_in.get("FifoTopic", "false")).lower() == "true"
        if fifo_flag or name.endswith(".fifo"):
            if not (fifo_flag and FIFO_NAME.match(name)):
                raise A.invalid("Fifo Topic names must end with .fifo and must be made up of only uppercase and "
                                "lowercase ASCII letters, numbers, underscores, and hyphens, and must be between "
                                "1 and 256 characters long.")
        elif not TOPIC_NAME.match(name):
            raise A.invalid("Topic Name")
        attrs = {k: A.topic_attribute(k, v, fifo_flag, creating=True) for k, v in attrs_in.items()}
        if fifo_flag:
            attrs["FifoTopic"] = "true"
            attrs.setdefault("ContentBasedDeduplication", "false")
        else:
            attrs.pop("FifoTopic", None)
        tags = {t["Key"]: t.get("Value", "") for t in params.get("Tags") or []}
        _check_tags(tags)
        dpp = params.get("DataProtectionPolicy")
        if dpp:
            _check_data_protection(dpp)
        arn = f"arn:{partition(ctx.region)}:sns:{ctx.region}:{ctx.account}:{name}"
        existing = self.store.topic(arn)
        if existing is not None:
            if any(existing.attributes.get(k) != v for k, v in attrs.items() if k != "FifoTopic" or fifo_flag):
                raise A.invalid("Attributes Reason: Topic already exists with different attributes")
            if any(existing.tags.get(k) != v for k, v in tags.items()):
                raise A.invalid("Tags Reason: Topic already exists with different tags")
            return {"TopicArn": arn}
        topic = Topic(arn, ctx.account, ctx.region, name, attrs, tags, dpp or None, fifo_flag)
        with self.db.transaction():
            self.store.insert_topic(topic, self.clock.now())
        self.publisher.forget(arn)
        return {"TopicArn": arn}

    def delete_endpoint(self, ctx, params):
        arn = params.get("EndpointArn") or ""
        with self.db.transaction():
            self.store.delete_endpoint(arn)
        return {}

    def delete_platform_application(self, ctx, params):
        arn = params.get("PlatformApplicationArn") or ""
        if not APP_ARN.match(arn):
            raise A.invalid("PlatformApplicationArn")
        with self.db.transaction():
            self.store.delete_platform_app(arn)
        return {}

    def delete_sms_sandbox_phone_number(self, ctx, params):
        phone = params.get("PhoneNumber") or ""
        if self.store.sandbox_number(ctx.account, ctx.region, phone) is None:
            raise ServiceError("ResourceNotFound", f"Phone number {phone} not found in the SMS sandbox", status=404)
        with self.db.transaction():
            self.store.delete_sandbox_number(ctx.account, ctx.region, phone)
        return {}

    def delete_topic(self, ctx, params):
        arn = self._topic_arn(ctx, params.get("TopicArn"))
        with self.db.transaction():
            for sub in self.store.delete_topic(arn):
                self.scheduler.cancel("sns:expire-pending", sub)
        self.publisher.forget(arn)
        return {}

    def get_data_protection_policy(self, ctx, params):
        topic = self._topic(ctx, params.get("ResourceArn"), "ResourceArn")
        return {"DataProtectionPolicy": topic.data_protection or ""}

    def _endpoint(self, arn: str | None) -> dict:
        if not ENDPOINT_ARN.match(arn or ""):
            raise A.invalid("EndpointArn")
        ep = self.store.endpoint(arn)
        if ep is None:
            raise not_found("Endpoint")
        return ep

    def get_endpoint_attributes(self, ctx, params):
        return {"Attributes": self._endpoint(params.get("EndpointArn"))["attributes"]}

    def get_platform_application_attributes(self, ctx, params):
        app = self._platform_app(params.get("PlatformApplicationArn"))
        # Credentials are write-only, as on AWS.
        return {"Attributes": {k: v for k, v in app["attributes"].items()
                               if k not in ("PlatformCredential", "PlatformPrincipal")}}

    def get_sms_attributes(self, ctx, params):
        attrs = self.store.sms_attributes(ctx.account, ctx.region)
        wanted = params.get("attributes")
        if wanted:
            attrs = {k: v for k, v in attrs.items() if k in wanted}
        return {"attributes": attrs}

    def get_sms_sandbox_account_status(self, ctx, params):
        # nubis sends text messages nowhere but its inbox: no sandbox applies.
        return {"IsInSandbox": False}

    def get_subscription_attributes(self, ctx, params):
        sub = self._subscription(params.get("SubscriptionArn"))
        topic = self.store.topic(sub.topic_arn)
        retry, ctype = effective_http_policy(A.json_or_none(topic.attributes.get("DeliveryPolicy")) if topic else None,
                                             A.json_or_none(sub.attributes.get("DeliveryPolicy")))
        effective = {"healthyRetryPolicy": retry, "sicklyRetryPolicy": None, "throttlePolicy": None,
                     "requestPolicy": {"headerContentType": ctype}, "guaranteed": False}
        attrs = {"SubscriptionArn": sub.arn, "TopicArn": sub.topic_arn, "Owner": sub.account,
                 "Protocol": sub.protocol, "Endpoint": sub.endpoint,
                 "ConfirmationWasAuthenticated": _b(sub.authenticated or not sub.pending and sub.protocol
                                                    not in ("http", "https", "email", "email-json")),
                 "PendingConfirmation": _b(sub.pending), "RawMessageDelivery": "false",
                 "SubscriptionPrincipal": f"arn:{partition(sub.region)}:iam::{sub.account}:root",
                 "EffectiveDeliveryPolicy": json.dumps(effective, separators=(",", ":"))}
        attrs.update(sub.attributes)
        if "FilterPolicy" in sub.attributes:
            attrs.setdefault("FilterPolicyScope", "MessageAttributes")
        return {"Attributes": attrs}

    def get_topic_attributes(self, ctx, params):
        topic = self._topic(ctx, params.get("TopicArn"))
        confirmed, pending = self.store.subscription_counts(topic.arn)
        policy = A.json_or_none(topic.attributes.get("DeliveryPolicy"))
        effective = copy.deepcopy(DEFAULT_EFFECTIVE_DELIVERY_POLICY)
        if isinstance(policy, dict):
            for protocol, section in policy.items():
                effective.setdefault(protocol, {}).update(section)
        attrs = {"TopicArn": topic.arn, "Owner": topic.account,
                 "Policy": default_policy(topic.arn, topic.account), "DisplayName": "",
                 "SubscriptionsConfirmed": str(confirmed), "SubscriptionsPending": str(pending),
                 "SubscriptionsDeleted": "0", "EffectiveDeliveryPolicy": json.dumps(effective, separators=(",", ":"))}
        attrs.update(topic.attributes)
        return {"Attributes": attrs}

    def list_endpoints_by_platform_application(self, ctx, params):
        app = self._platform_app(params.get("PlatformApplicationArn"))
        items, token = _page(self.store.endpoints_page(app["arn"], _after(params.get("NextToken")), PAGE + 1),
                             lambda e: e["arn"])
        out = {"Endpoints": [{"EndpointArn": e["arn"], "Attributes": e["attributes"]} for e in items]}
        if token:
            out["NextToken"] = token
        return out

    def list_origination_numbers(self, ctx, params):
        limit = params.get("MaxResults")
        if limit is not None and not 1 <= limit <= 30:
            raise ServiceError("ValidationException", "MaxResults must be between 1 and 30", status=400)
        return {"PhoneNumbers": []}

    def list_phone_numbers_opted_out(self, ctx, params):
        items, token = _page(self.store.opt_outs_page(ctx.account, ctx.region,
                                                      _after(params.get("nextToken"), "nextToken"), PAGE + 1),
                             lambda p: p)
        out = {"phoneNumbers": items}
        if token:
            out["nextToken"] = token
        return out

    def list_platform_applications(self, ctx, params):
        items, token = _page(self.store.platform_apps_page(ctx.account, ctx.region, _after(params.get("NextToken")),
                                                           PAGE + 1), lambda a: a["arn"])
        out = {"PlatformApplications": [
            {"PlatformApplicationArn": a["arn"],
             "Attributes": {k: v for k, v in a["attributes"].items()
                            if k not in ("PlatformCredential", "PlatformPrincipal")}} for a in items]}
        if token:
            out["NextToken"] = token
        return out

    def list_sms_sandbox_phone_numbers(self, ctx, params):
        limit = params.get("MaxResults") or PAGE
        rows = self.store.sandbox_page(ctx.account, ctx.region, _after(params.get("NextToken")), limit + 1)
        token = None
        if len(rows) > limit:
            rows = rows[:limit]
            token = _page_token(rows[-1]["phone"])
        out = {"PhoneNumbers": [{"PhoneNumber": r["phone"], "Status": "Verified" if r["verified"] else "Pending"}
                                for r in rows]}
        if token:
            out["NextToken"] = token
        return out

    def list_subscriptions(self, ctx, params):
        items, token = _page(self.store.subscriptions_page(ctx.account, ctx.region, _after(params.get("NextToken")),
                                                           PAGE + 1), lambda s: s.arn)
        out = {"Subscriptions": [_listed(s) for s in items]}
        if token:
            out["NextToken"] = token
        return out

    def list_subscriptions_by_topic(self, ctx, params):
        topic = self._topic(ctx, params.get("TopicArn"))
        items, token = _page(self.store.topic_subscriptions_page(topic.arn, _after(params.get("NextToken")),
                                                                 PAGE + 1), lambda s: s.arn)
        out = {"Subscriptions": [_listed(s) for s in items]}
        if token:
            out["NextToken"] = token
        return out

    def _tagged(self, ctx, arn: str | None) -> Topic:
        m = TOPIC_ARN.match(arn or "")
        topic = self.store.topic(arn) if m else None
        if topic is None:
            raise ServiceError("ResourceNotFound", "Resource does not exist", status=404)
        return topic

    def list_tags_for_resource(self, ctx, params):
        topic = self._tagged(ctx, params.get("ResourceArn"))
        return {"Tags": [{"Key": k, "Value": v} for k, v in topic.tags.items()]}

    def list_topics(self, ctx, params):
        items, token = _page(self.store.topics_page(ctx.account, ctx.region, _after(params.get("NextToken")),
                                                    PAGE + 1), lambda a: a)
        out = {"Topics": [{"TopicArn": a} for a in items]}
        if token:
            out["NextToken"] = token
        return out

    def opt_in_phone_number(self, ctx, params):
        phone = params.get("phoneNumber") or ""
        if not PHONE.match(phone):
            raise A.invalid("PhoneNumber")
        with self.db.transaction():
            self.store.set_opt_out(ctx.account, ctx.region, phone, False)
        return {}

    async def publish(self, ctx, params):
        return await self.publisher.publish(ctx, params)

    async def publish_batch(self, ctx, params):
        topic = self._topic(ctx, params.get("TopicArn"))
        if topic.attributes.get("KmsMasterKeyId"):  # SSE: the topic's key must be usable (auth/kms_keys.py)
            await kms_keys.check(self.internal, topic.attributes["KmsMasterKeyId"], kms_keys.SNS,
                                 account=topic.account, region=topic.region, principal="sns.amazonaws.com")
        entries = params.get("PublishBatchRequestEntries") or []
        if not entries:
            raise ServiceError("EmptyBatchRequest", "The batch request doesn't contain any entries.")
        if len(entries) > 10:
            raise ServiceError("TooManyEntriesInBatchRequest",
                               "The batch request contains more entries than permissible.")
        ids = [e.get("Id") or "" for e in entries]
        if len(set(ids)) != len(ids):
            raise ServiceError("BatchEntryIdsNotDistinct", "Two or more batch entries in the request have the "
                                                           "same Id.")
        if not all(BATCH_ID.match(i) for i in ids):
            raise ServiceError("InvalidBatchEntryId", "The Id of a batch entry in a batch request doesn't abide "
                                                      "by the specification.")
        total = sum(len((e.get("Message") or "").encode()) for e in entries)
        if total > A.MAX_MESSAGE_BYTES:
            raise ServiceError("BatchRequestTooLong", "The length of all the batch messages put together is more "
                                                      "than the limit.")
        successful, failed = [], []
        for entry in entries:
            single = {k: v for k, v in entry.items() if k != "Id"}
            single["TopicArn"] = topic.arn
            try:
                result = await self.publisher.publish(ctx, single)
            except ServiceError as e:
                failed.append({"Id": entry["Id"], "Code": e.code, "Message": e.message,
                               "SenderFault": e.sender_fault})
                continue
            successful.append({"Id": entry["Id"], **result})
        return {"Successful": successful, "Failed": failed}

    def put_data_protection_policy(self, ctx, params):
        topic = self._topic(ctx, params.get("ResourceArn"), "ResourceArn")
        text = params.get("DataProtectionPolicy") or ""
        _check_data_protection(text)
        topic.data_protection = text
        with self.db.transaction():
            self.store.update_topic(topic)
        return {}

    def remove_permission(self, ctx, params):
        topic = self._topic(ctx, params.get("TopicArn"))
        label = params.get("Label") or ""
        if not label:
            raise A.invalid("Label")
        policy = json.loads(topic.attributes.get("Policy") or default_policy(topic.arn, topic.account))
        kept = [s for s in policy.get("Statement", []) if s.get("Sid") != label]
        if len(kept) != len(policy.get("Statement", [])):
            policy["Statement"] = kept
            topic.attributes["Policy"] = json.dumps(policy, separators=(",", ":"))
            with self.db.transaction():
                self.store.update_topic(topic)
        return {}

    def set_endpoint_attributes(self, ctx, params):
        ep = self._endpoint(params.get("EndpointArn"))
        attrs = params.get("Attributes") or {}
        for k, v in attrs.items():
            if k not in ("CustomUserData", "Enabled", "Token"):
                raise A.invalid(f"Attributes Reason: Invalid attribute name: {k}")
            if k == "Enabled":
                attrs[k] = A._bool_text(k, v)
        ep["attributes"].update(attrs)
        if "Token" in attrs:
            ep["token"] = attrs["Token"]
        with self.db.transaction():
            self.store.put_endpoint(ep)
        return {}

    def set_platform_application_attributes(self, ctx, params):
        app = self._platform_app(params.get("PlatformApplicationArn"))
        app["attributes"].update(params.get("Attributes") or {})
        with self.db.transaction():
            self.store.put_platform_app(app)
        return {}

    def set_sms_attributes(self, ctx, params):
        attrs = params.get("attributes") or {}
        for k, v in attrs.items():
            if k not in SMS_ATTRIBUTES:
                raise A.invalid(k)
            if k == "DefaultSMSType" and v not in ("Promotional", "Transactional"):
                raise A.invalid("DefaultSMSType")
            if k in ("MonthlySpendLimit", "DeliveryStatusSuccessSamplingRate") and not v.isdigit():
                raise A.invalid(k)
        current = self.store.sms_attributes(ctx.account, ctx.region)
        current.update(attrs)
        with self.db.transaction():
            self.store.put_sms_attributes(ctx.account, ctx.region, current)
        return {}

    def set_subscription_attributes(self, ctx, params):
        sub = self._subscription(params.get("SubscriptionArn"))
        name = params.get("AttributeName") or ""
        value = params.get("AttributeValue")
        value = A.subscription_attribute(name, "" if value is None else value, sub.protocol, sub.attributes)
        if value is None:
            sub.attributes.pop(name, None)
            if name == "FilterPolicy":
                sub.attributes.pop("FilterPolicyScope", None)
        else:
            sub.attributes[name] = value
        with self.db.transaction():
            self.store.update_subscription(sub)
        self.publisher.forget(sub.topic_arn)
        return {}

    def set_topic_attributes(self, ctx, params):
        topic = self._topic(ctx, params.get("TopicArn"))
        name = params.get("AttributeName") or ""
        value = params.get("AttributeValue")
        value = A.topic_attribute(name, "" if value is None else value, topic.fifo)
        if name == "Policy" and value == "":
            topic.attributes.pop(name, None)
        else:
            topic.attributes[name] = value
        with self.db.transaction():
            self.store.update_topic(topic)
        self.publisher.forget(topic.arn)
        return {}

    def subscribe(self, ctx, params):
        topic = self._topic(ctx, params.get("TopicArn"))
        protocol = (params.get("Protocol") or "").lower()
        if protocol not in PROTOCOLS:
            raise A.invalid(f"Amazon SNS does not support this protocol string: {params.get('Protocol')}")
        endpoint = params.get("Endpoint") or ""
        _check_endpoint(protocol, endpoint)
        if topic.fifo and protocol != "sqs":
            raise A.invalid(f"Invalid protocol type: {protocol}")
        if protocol == "sqs" and endpoint.endswith(".fifo") and not topic.fifo:
            raise A.invalid("Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to "
                            "standard SNS topics")
        if protocol == "application" and self.store.endpoint(endpoint) is None:
            raise A.invalid("Endpoint Reason: Endpoint does not exist")
        attrs: dict = {}
        given = params.get("Attributes") or {}
        # The scope first: a body policy is validated as one.
        for name in sorted(given, key=lambda n: n != "FilterPolicyScope"):
            value = A.subscription_attribute(name, given[name], protocol, attrs)
            if value is not None:
                attrs[name] = value
        if protocol == "firehose" and not attrs.get("SubscriptionRoleArn"):
            raise A.invalid("Invalid parameter: SubscriptionRoleArn")
        existing = self.store.find_subscription(topic.arn, protocol, endpoint)
        return_arn = bool(params.get("ReturnSubscriptionArn"))
        if existing is not None:
            if any(existing.attributes.get(k) != v for k, v in attrs.items()):
                raise A.invalid("Attributes Reason: Subscription already exists with different attributes")
            if existing.pending:
                self._send_confirmation(ctx, topic, existing)
                return {"SubscriptionArn": existing.arn if return_arn else "pending confirmation"}
            return {"SubscriptionArn": existing.arn}
        endpoint_account = endpoint.split(":")[4] if protocol == "sqs" else ctx.account
        pending = protocol in ("http", "https", "email", "email-json") or endpoint_account != ctx.account
        sub = Subscription(f"{topic.arn}:{uuid.uuid4()}", topic.arn, ctx.account, topic.region, protocol, endpoint,
                           attrs, pending, secrets.token_hex(64) if pending else None, False)
        with self.db.transaction():
            self.store.insert_subscription(sub, self.clock.now())
            if pending:
                self.scheduler.after(PENDING_LIFETIME, "sns:expire-pending", {"arn": sub.arn}, key=sub.arn)
                self._send_confirmation(ctx, topic, sub)
        self.publisher.forget(topic.arn)
        return {"SubscriptionArn": sub.arn if (return_arn or not pending) else "pending confirmation"}

    def _send_confirmation(self, ctx, topic: Topic, sub: Subscription) -> None:
        note = self._confirmation(ctx, topic, sub, "SubscriptionConfirmation")
        self.publisher.schedule_confirmation(topic, sub, note)

    def tag_resource(self, ctx, params):
        topic = self._tagged(ctx, params.get("ResourceArn"))
        tags = {t["Key"]: t.get("Value", "") for t in params.get("Tags") or []}
        _check_tags(tags)
        merged = {**topic.tags, **tags}
        if len(merged) > 50:
            raise ServiceError("TagLimitExceeded", "Could not complete request: tag quota of per resource exceeded")
        topic.tags = merged
        with self.db.transaction():
            self.store.update_topic(topic)
        return {}

    def unsubscribe(self, ctx, params):
        sub = self._subscription(params.get("SubscriptionArn"))
        if sub.authenticated and ctx.access_key is None:
            raise ServiceError("AuthorizationError", "Unsubscribe of this subscription requires authentication",
                               status=403)
        topic = self.store.topic(sub.topic_arn)
        with self.db.transaction():
            self.store.delete_subscription(sub.arn)
            self.scheduler.cancel("sns:expire-pending", sub.arn)
            if topic is not None and sub.protocol in ("http", "https") and not sub.pending:
                note = self._confirmation(ctx, topic, sub, "UnsubscribeConfirmation")
                self.publisher.schedule_confirmation(topic, sub, note)
        self.publisher.forget(sub.topic_arn)
        return {}

    def untag_resource(self, ctx, params):
        topic = self._tagged(ctx, params.get("ResourceArn"))
        for key in params.get("TagKeys") or []:
            topic.tags.pop(key, None)
        with self.db.transaction():
            self.store.update_topic(topic)
        return {}

    def verify_sms_sandbox_phone_number(self, ctx, params):
        phone = params.get("PhoneNumber") or ""
        row = self.store.sandbox_number(ctx.account, ctx.region, phone)
        if row is None:
            raise ServiceError("ResourceNotFound", f"Phone number {phone} not found in the SMS sandbox", status=404)
        if params.get("OneTimePassword") != row["otp"]:
            raise ServiceError("VerificationException", "Invalid one-time password", status=400)
        with self.db.transaction():
            self.store.put_sandbox_number(ctx.account, ctx.region, phone, row["language"], True, row["otp"])
        return {}

    # -- timers ----------------------------------------------------------------------------------

    def _expire_pending(self, payload: dict) -> None:
        sub = self.store.subscription(payload["arn"])
        if sub is not None and sub.pending:
            with self.db.transaction():
                self.store.delete_subscription(sub.arn)
            self.publisher.forget(sub.topic_arn)

    # -- /_nubis/sns/... --------------------------------------------------------------------------

    def nubis_api(self, method: str, path: str, query: dict, doc: dict):
        """``GET <cert name>.pem`` the signing certificate; ``GET|DELETE inbox[/<channel>]``
        what e-mail, SMS and mobile push would have sent; ``POST sms/opt-out``
        a phone number replying STOP; ``GET deliveries`` pending deliveries."""
        if method == "GET" and path == self.signer.cert_name():
            return HttpResponse(200, [("Content-Type", "application/x-x509-ca-cert")], self.signer.cert_pem)
        if path == "inbox" or path.startswith("inbox/"):
            channel = path[len("inbox/"):] or query.get("channel")
            if method == "DELETE":
                with self.db.transaction():
                    self.store.clear_inbox(channel)
                return {"cleared": True}
            return {"messages": self.store.inbox(channel, query.get("destination"))}
        if path == "sms/opt-out" and method == "POST":
            phone = doc.get("phoneNumber", "")
            if not PHONE.match(phone):
                raise ServiceError("InvalidParameter", "phoneNumber must be an E.164 number", status=400)
            with self.db.transaction():
                self.store.set_opt_out(doc.get("account") or self.config.default_account,
                                       doc.get("region") or self.config.default_region, phone, True)
            return {"optedOut": phone}
        if path == "deliveries" and method == "GET":
            rows = self.scheduler.pending(KIND)
            return {"deliveries": [{"due": r["due"], **{k: v for k, v in json.loads(r["payload"]).items()
                                                        if k in ("id", "protocol", "endpoint", "type", "attempt",
                                                                 "message_id", "sub")}} for r in rows]}
        return None


# -- module helpers ------------------------------------------------------------------------------

def _b(flag: bool) -> str:
    return "true" if flag else "false"


def _listed(s: Subscription) -> dict:
    return {"SubscriptionArn": "PendingConfirmation" if s.pending else s.arn, "Owner": s.account,
            "Protocol": s.protocol, "Endpoint": s.endpoint, "TopicArn": s.topic_arn}


def _check_tags(tags: dict) -> None:
    if len(tags) > 50:
        raise ServiceError("TagLimitExceeded", "Could not complete request: tag quota of per resource exceeded")
    for k, v in tags.items():
        if not 1 <= len(k) <= 128 or k.lower().startswith("aws:"):
            raise A.invalid("TagKey")
        if len(v) > 256:
            raise A.invalid("TagValue")


def _check_data_protection(text: str) -> None:
    try:
        doc = json.loads(text)
    except ValueError:
        raise A.invalid("DataProtectionPolicy Reason: failed to parse JSON") from None
    if not isinstance(doc, dict):
        raise A.invalid("DataProtectionPolicy Reason: must be a JSON object")


def _check_endpoint(protocol: str, endpoint: str) -> None:
    if not endpoint:
        raise A.invalid("Endpoint")
    ok = {
        "http": lambda e: e.startswith("http://"),
        "https": lambda e: e.startswith("https://"),
        "email": EMAIL.match, "email-json": EMAIL.match,
        "sms": PHONE.match,
        "sqs": A.SQS_ARN.match,
        "lambda": LAMBDA_ARN.match,
        "firehose": FIREHOSE_ARN.match,
        "application": ENDPOINT_ARN.match,
    }[protocol](endpoint)
    if ok:
        return
    reasons = {"http": "Endpoint must match the specified protocol", "https": "Endpoint must match the specified "
               "protocol", "email": "Email address", "email-json": "Email address", "sms": "Invalid SMS endpoint",
               "sqs": "SQS endpoint ARN", "lambda": "Lambda endpoint ARN", "firehose": "Firehose endpoint ARN",
               "application": "ApplicationEndpoint ARN"}
    raise A.invalid(reasons[protocol])
