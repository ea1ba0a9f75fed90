"""Validation of what callers set: topic and subscription attributes, delivery
policies, and message attributes, with the errors SNS answers."""
from __future__ import annotations

import base64
import json
import re

from ...protocol.errors import ServiceError
from . import filter_policy

MAX_MESSAGE_BYTES = 262_144
MAX_MESSAGE_ATTRIBUTES = 10

_FEEDBACK = [f"{p}{k}" for p in ("Application", "Firehose", "HTTP", "Lambda", "SQS")
             for k in ("SuccessFeedbackRoleArn", "SuccessFeedbackSampleRate", "FailureFeedbackRoleArn")]
TOPIC_ATTRIBUTES = {"DeliveryPolicy", "DisplayName", "Policy", "TracingConfig", "KmsMasterKeyId", "SignatureVersion",
                    "ContentBasedDeduplication", "ArchivePolicy", "FifoThroughputScope", "FifoTopic", *_FEEDBACK}
_FIFO_ONLY = {"ContentBasedDeduplication", "ArchivePolicy", "FifoThroughputScope"}
SUBSCRIPTION_ATTRIBUTES = {"DeliveryPolicy", "FilterPolicy", "FilterPolicyScope", "RawMessageDelivery",
                           "RedrivePolicy", "SubscriptionRoleArn", "ReplayPolicy"}
RAW_PROTOCOLS = {"sqs", "http", "https", "firehose"}
_BACKOFF = {"linear", "arithmetic", "geometric", "exponential"}
_ATTR_NAME = re.compile(r"^[A-Za-z0-9_\-.]{1,256}$")
SQS_ARN = re.compile(r"^arn:aws[\w-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,80}(\.fifo)?$")


def invalid(text: str) -> ServiceError:
    return ServiceError("InvalidParameter", f"Invalid parameter: {text}", status=400)


def invalid_value(text: str) -> ServiceError:
    return ServiceError("ParameterValueInvalid", text, status=400)


def _bool_text(name: str, value: str) -> str:
    low = str(value).strip().lower()
    if low not in ("true", "false"):
        raise invalid(f"{name}: {value} is not a valid boolean value")
    return low


def _json(name: str, value: str):
    try:
        return json.loads(value)
    except ValueError:
        raise invalid(f"{name}: failed to parse JSON") from None


# -- topics ---------------------------------------------------------------------------------

def topic_attribute(name: str, value: str, fifo: bool, creating: bool = False) -> str:
    """The value to store for topic attribute ``name``."""
    if name not in TOPIC_ATTRIBUTES or (name == "FifoTopic" and not creating):
        raise invalid("AttributeName")
    if name in _FIFO_ONLY and not fifo:
        raise invalid(f"{name}: This attribute is only valid for FIFO topics")
    if name in ("ContentBasedDeduplication", "FifoTopic"):
        return _bool_text(name, value)
    if name == "SignatureVersion":
        if value not in ("1", "2"):
            raise invalid("SignatureVersion: must be 1 or 2")
    elif name == "TracingConfig":
        if value not in ("PassThrough", "Active"):
            raise invalid("TracingConfig: must be PassThrough or Active")
    elif name == "FifoThroughputScope":
        if value not in ("Topic", "MessageGroup"):
            raise invalid("FifoThroughputScope: must be Topic or MessageGroup")
    elif name == "Policy":
        doc = _json("Policy", value)
        if not isinstance(doc, dict) or not doc.get("Statement"):
            raise invalid("Policy Error: null")
    elif name == "DeliveryPolicy":
        delivery_policy(value, topic=True)
    elif name == "ArchivePolicy":
        doc = _json("ArchivePolicy", value)
        days = doc.get("MessageRetentionPeriod") if isinstance(doc, dict) else None
        if doc and not (isinstance(days, int) and 1 <= days <= 365):
            raise invalid("ArchivePolicy: MessageRetentionPeriod must be between 1 and 365 days")
    elif name.endswith("SampleRate"):
        if not value.isdigit() or not 0 <= int(value) <= 100:
            raise invalid(f"{name}: must be an integer from 0 to 100")
    elif name == "DisplayName" and len(value) > 100:
        raise invalid("DisplayName")
    return value


def delivery_policy(text: str, topic: bool) -> dict:
    doc = _json("DeliveryPolicy", text)
    if not isinstance(doc, dict):
        raise invalid("DeliveryPolicy: must be a JSON object")
    if topic:
        for protocol, section in doc.items():
            if not isinstance(section, dict):
                raise invalid(f"DeliveryPolicy: {protocol} must be a JSON object")
            if "defaultHealthyRetryPolicy" in section:
                _retry_policy(section["defaultHealthyRetryPolicy"], f"{protocol}.defaultHealthyRetryPolicy")
    elif "healthyRetryPolicy" in doc:
        _retry_policy(doc["healthyRetryPolicy"], "healthyRetryPolicy")
    return doc


def _retry_policy(p, where: str) -> None:
    if not isinstance(p, dict):
        raise invalid(f"DeliveryPolicy: {where} must be a JSON object")
    def num(key, default, lo, hi):
        v = p.get(key, default)
        if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi:
            raise invalid(f"DeliveryPolicy: {where}.{key} must be an integer from {lo} to {hi}")
        return v
    low = num("minDelayTarget", 20, 1, 3600)
    high = num("maxDelayTarget", 20, 1, 3600)
    retries = num("numRetries", 3, 0, 100)
    phases = sum(num(k, 0, 0, 100) for k in ("numNoDelayRetries", "numMinDelayRetries", "numMaxDelayRetries"))
    if low > high:
        raise invalid(f"DeliveryPolicy: {where}.minDelayTarget must be less than or equal to maxDelayTarget")
    if phases > retries:
        raise invalid(f"DeliveryPolicy: {where}.numRetries must be at least the sum of the other retry counts")
    if p.get("backoffFunction", "linear") not in _BACKOFF:
        raise invalid(f"DeliveryPolicy: {where}.backoffFunction must be one of linear, arithmetic, geometric, "
                      "exponential")


# -- subscriptions ------------------------------------------------------------------------------

def subscription_attribute(name: str, value: str, protocol: str, current: dict) -> str | None:
    """The value to store for ``name`` (None removes it)."""
    if name not in SUBSCRIPTION_ATTRIBUTES:
        raise invalid("AttributeName")
    if name == "RawMessageDelivery":
        value = _bool_text(name, value)
        if protocol not in RAW_PROTOCOLS:
            raise invalid(f"Delivery protocol [{protocol}] does not support raw message delivery.")
        return value
    if name == "FilterPolicyScope":
        if value not in ("MessageAttributes", "MessageBody"):
            raise invalid("FilterPolicyScope: Invalid filter policy scope, please specify a valid value: "
                          "MessageAttributes, MessageBody")
        if current.get("FilterPolicy"):
            filter_policy.parse(current["FilterPolicy"], value)
        return value
    if name == "FilterPolicy":
        if value.strip() in ("", "{}"):
            return None
        filter_policy.parse(value, current.get("FilterPolicyScope", "MessageAttributes"))
        return value
    if name == "RedrivePolicy":
        if value.strip() == "":
            return None
        doc = _json("RedrivePolicy", value)
        target = doc.get("deadLetterTargetArn") if isinstance(doc, dict) else None
        if not isinstance(target, str) or not SQS_ARN.match(target):
            raise invalid("RedrivePolicy: deadLetterTargetArn is an invalid arn")
        return value
    if name == "DeliveryPolicy":
        if value.strip() == "":
            return None
        delivery_policy(value, topic=False)
        return value
    if name == "ReplayPolicy":
        _json("ReplayPolicy", value)
    return value


# -- messages -----------------------------------------------------------------------------------

def message_attributes(attrs: dict | None) -> dict:
    """Validated message attributes, JSON-safe (binary values as base64)."""
    if not attrs:
        return {}
    if len(attrs) > MAX_MESSAGE_ATTRIBUTES:
        raise invalid_value(f"Number of message attributes [{len(attrs)}] exceeds the allowed maximum "
                            f"[{MAX_MESSAGE_ATTRIBUTES}].")
    out = {}
    for name, a in attrs.items():
        if (not _ATTR_NAME.match(name) or name.startswith(".") or name.endswith(".") or ".." in name
                or (name.lower().startswith(("aws.", "amazon.")) and not name.startswith(("AWS.SNS.", "AWS.MM.")))):
            raise invalid_value(f"The message attribute name '{name}' is invalid.")
        kind = (a or {}).get("DataType") or ""
        if not kind:
            raise invalid_value(f"The message attribute '{name}' must contain non-empty message attribute type.")
        base = kind.split(".", 1)[0]
        if base not in ("String", "Number", "Binary"):
            raise invalid_value(f"The message attribute '{name}' has an invalid message attribute type, the set of "
                                "supported type prefixes is Binary, Number, and String.")
        if base == "Binary":
            blob = a.get("BinaryValue")
            if not blob:
                raise invalid_value(f"The message attribute '{name}' must contain non-empty message attribute "
                                    f"value for message attribute type '{kind}'.")
            if isinstance(blob, str):
                blob = blob.encode("utf-8")
            out[name] = {"DataType": kind, "BinaryValue": base64.b64encode(blob).decode("ascii")}
            continue
        text = a.get("StringValue")
        if text is None or text == "":
            raise invalid_value(f"The message attribute '{name}' must contain non-empty message attribute value "
                                f"for message attribute type '{kind}'.")
        if base == "Number":
            try:
                float(text)
            except ValueError:
                raise invalid_value(f"Could not cast message attribute '{name}' value to number.") from None
        elif kind == "String.Array":
            try:
                items = json.loads(text)
            except ValueError:
                items = None
            if not isinstance(items, list) or any(isinstance(i, (dict, list)) for i in items):
                raise invalid(f"Message attribute '{name}' with type 'String.Array' must be a JSON array of "
                              "strings, numbers, booleans or nulls.")
        out[name] = {"DataType": kind, "StringValue": text}
    return out


def attributes_size(attrs: dict) -> int:
    size = 0
    for name, a in attrs.items():
        size += len(name.encode()) + len(a["DataType"].encode())
        size += len(a.get("StringValue", "").encode()) + len(base64.b64decode(a["BinaryValue"])
                                                             if "BinaryValue" in a else b"")
    return size


_SUBJECT = re.compile(r"^[\x20-\x7e]*$")


def subject(text: str | None) -> None:
    if text is None:
        return
    if not text or len(text) > 100 or not _SUBJECT.match(text):
        raise invalid("Subject")


def json_or_none(text: str | None):
    """A stored JSON attribute (a policy) as a document, or None when unset or unreadable."""
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None
