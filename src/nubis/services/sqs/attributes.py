"""Queue attributes: which exist, their defaults, and the validation SQS
applies when they are set (CreateQueue, SetQueueAttributes).

Values are kept as SQS returns them: strings. Checks that need other queues
(a redrive policy's target) are the provider's.
"""
from __future__ import annotations

import json
import re

from .errors import invalid_attribute_name, invalid_attribute_value, invalid_parameter_value

_INTEGER = {
    # name: (minimum, maximum)
    "DelaySeconds": (0, 900),
    "MaximumMessageSize": (1024, 1_048_576),
    "MessageRetentionPeriod": (60, 1_209_600),
    "ReceiveMessageWaitTimeSeconds": (0, 20),
    "VisibilityTimeout": (0, 43_200),
    "KmsDataKeyReusePeriodSeconds": (60, 86_400),
}
_BOOLEAN = {"SqsManagedSseEnabled", "ContentBasedDeduplication", "FifoQueue"}
_CHOICES = {
    "DeduplicationScope": ("messageGroup", "queue"),
    "FifoThroughputLimit": ("perQueue", "perMessageGroupId"),
}
_FREE = {"Policy", "RedrivePolicy", "RedriveAllowPolicy", "KmsMasterKeyId"}
FIFO_ONLY = {"FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"}
SETTABLE = set(_INTEGER) | _BOOLEAN | set(_CHOICES) | _FREE
COMPUTED = ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed", "CreatedTimestamp", "LastModifiedTimestamp", "QueueArn")
READABLE = SETTABLE | set(COMPUTED)

DEFAULTS = {
    "DelaySeconds": "0",
    "MaximumMessageSize": "1048576",
    "MessageRetentionPeriod": "345600",
    "ReceiveMessageWaitTimeSeconds": "0",
    "VisibilityTimeout": "30",
    "SqsManagedSseEnabled": "true",
}
FIFO_DEFAULTS = {
    "FifoQueue": "true",
    "ContentBasedDeduplication": "false",
    "DeduplicationScope": "queue",
    "FifoThroughputLimit": "perQueue",
}

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_FIFO_NAME = re.compile(r"^[A-Za-z0-9_-]{1,75}\.fifo$")


def check_queue_name(name: str, fifo: bool) -> None:
    if fifo:
        if not _FIFO_NAME.match(name or ""):
            raise invalid_parameter_value(
                "The name of a FIFO queue can only include alphanumeric characters, hyphens, or "
                "underscores, must end with .fifo suffix and be 1 to 80 in length.")
    elif not _NAME.match(name or ""):
        raise invalid_parameter_value(
            "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")


def normalize(attributes: dict, fifo: bool, creating: bool) -> dict:
    """Check each attribute's name and value; return them in stored form."""
    out = {}
    for name, value in attributes.items():
        if name not in SETTABLE or (name in FIFO_ONLY and not fifo):
            raise invalid_attribute_name(name)
        if name == "FifoQueue" and not creating:
            # A queue's type is fixed at creation.
            raise invalid_attribute_name(name)
        value = "" if value is None else str(value)
        if name in _INTEGER:
            low, high = _INTEGER[name]
            if not re.fullmatch(r"-?\d+", value.strip()) or not low <= int(value) <= high:
                raise invalid_attribute_value(name)
            value = str(int(value))
        elif name in _BOOLEAN:
            if value.lower() not in ("true", "false"):
                raise invalid_attribute_value(name)
            value = value.lower()
        elif name in _CHOICES:
            if value not in _CHOICES[name]:
                raise invalid_attribute_value(name)
        elif name in ("Policy", "RedrivePolicy", "RedriveAllowPolicy") and value:
            try:
                doc = json.loads(value)
            except ValueError:
                doc = None
            if not isinstance(doc, dict):
                raise invalid_attribute_value(name)
        out[name] = value
    if out.get("FifoQueue") == "false":
        raise invalid_attribute_value("FifoQueue")
    if "RedriveAllowPolicy" in out and out["RedriveAllowPolicy"]:
        _check_redrive_allow(out["RedriveAllowPolicy"])
    return out


def check_throughput(attributes: dict) -> None:
    """High-throughput FIFO: a per-group throughput limit needs per-group deduplication."""
    if (attributes.get("FifoThroughputLimit") == "perMessageGroupId"
            and attributes.get("DeduplicationScope") != "messageGroup"):
        raise invalid_attribute_value(
            "FifoThroughputLimit", "perMessageGroupId can only be set when DeduplicationScope is messageGroup.")


def check_encryption(attributes: dict, given: dict) -> None:
    """One kind of server-side encryption at a time."""
    if attributes.get("KmsMasterKeyId") and attributes.get("SqsManagedSseEnabled") == "true":
        if "SqsManagedSseEnabled" in given and "KmsMasterKeyId" in given:
            raise invalid_parameter_value(
                "You can use one type of server-side encryption (SSE) at one time. You can either "
                "enable KMS SSE or SQS SSE.")
        # Setting one kind switches the other off, as the console and API do.
        if "KmsMasterKeyId" in given:
            attributes["SqsManagedSseEnabled"] = "false"
        else:
            attributes.pop("KmsMasterKeyId", None)
            attributes.pop("KmsDataKeyReusePeriodSeconds", None)
    if attributes.get("KmsMasterKeyId"):
        attributes.setdefault("KmsDataKeyReusePeriodSeconds", "300")


def parse_redrive_policy(value: str) -> tuple[str, int]:
    """``{"deadLetterTargetArn": ..., "maxReceiveCount": N}`` -> (arn, N)."""
    doc = json.loads(value)
    arn = doc.get("deadLetterTargetArn")
    count = doc.get("maxReceiveCount")
    if not isinstance(arn, str) or not arn or count is None:
        raise invalid_parameter_value(
            f"Value {value} for parameter RedrivePolicy is invalid. Reason: Redrive policy is not a dict "
            "or does not contain maxReceiveCount and deadLetterTargetArn.")
    try:
        count = int(count)
    except (TypeError, ValueError):
        count = 0
    if not 1 <= count <= 1000:
        raise invalid_parameter_value(
            f"Value {value} for parameter RedrivePolicy is invalid. Reason: Invalid value for "
            "maxReceiveCount: Value must be between 1 and 1000, if provided.")
    return arn, count


def redrive_policy_text(arn: str, count: int) -> str:
    # As SQS returns it: compact, with the count as a number.
    return json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": count}, separators=(",", ":"))


def _check_redrive_allow(value: str) -> None:
    doc = json.loads(value)
    permission = doc.get("redrivePermission")
    sources = doc.get("sourceQueueArns")
    reason = None
    if permission not in ("allowAll", "denyAll", "byQueue"):
        reason = "Invalid value for redrivePermission."
    elif permission == "byQueue" and (not isinstance(sources, list) or not 1 <= len(sources) <= 10):
        reason = "sourceQueueArns must contain 1 to 10 queue ARNs when redrivePermission is byQueue."
    elif permission != "byQueue" and sources:
        reason = "sourceQueueArns may only be given when redrivePermission is byQueue."
    if reason:
        raise invalid_parameter_value(
            f"Value {value} for parameter RedriveAllowPolicy is invalid. Reason: {reason}")


def allows_source(redrive_allow: str | None, source_arn: str) -> bool:
    """Whether a dead-letter queue's RedriveAllowPolicy lets ``source_arn`` use it."""
    if not redrive_allow:
        return True
    doc = json.loads(redrive_allow)
    permission = doc.get("redrivePermission", "allowAll")
    if permission == "denyAll":
        return False
    if permission == "byQueue":
        return source_arn in (doc.get("sourceQueueArns") or [])
    return True
