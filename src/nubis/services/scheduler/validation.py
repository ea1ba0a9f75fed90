"""Input checks for EventBridge Scheduler, with the service's errors.

Constraint failures read like AWS's: ``1 validation error detected: Value 'x'
at 'name' failed to satisfy constraint: Member must ...``; what the model
cannot say (a schedule expression, a time zone, dates) gets Scheduler's own
ValidationException.
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from ...protocol.errors import ServiceError

NAME = re.compile(r"[0-9a-zA-Z\-_.]+")
ROLE_ARN = re.compile(r"arn:aws(-[a-z]+)?:iam::\d{12}:role\/[\w+=,.@\/-]+")
SQS_ARN = re.compile(r"arn:aws(-[a-z]+)?:sqs:[a-z0-9\-]+:\d{12}:[a-zA-Z0-9\-_]+")
KMS_ARN = re.compile(r"arn:aws(-[a-z]+)?:kms:[a-z0-9\-]+:\d{12}:(key|alias)\/[0-9a-zA-Z-_]*")

DEFAULT_RETRY = {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 185}


def invalid(message: str) -> ServiceError:
    return ServiceError("ValidationException", message, 400)


def not_found(message: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", message, 404)


def conflict(message: str) -> ServiceError:
    return ServiceError("ConflictException", message, 409)


def _constraint(value: Any, path: str, constraint: str) -> ServiceError:
    return invalid(f"1 validation error detected: Value '{value}' at '{path}' failed to satisfy constraint: "
                   f"{constraint}")


def string(value: Any, path: str, *, lo: int = 1, hi: int | None = None, pattern: re.Pattern | None = None,
           enum: tuple | None = None, required: bool = False) -> str | None:
    if value is None:
        if required:
            raise _constraint(None, path, "Member must not be null")
        return None
    if not isinstance(value, str):
        raise _constraint(value, path, "Member must be a string")
    if len(value) < lo:
        raise _constraint(value, path, f"Member must have length greater than or equal to {lo}")
    if hi is not None and len(value) > hi:
        raise _constraint(value, path, f"Member must have length less than or equal to {hi}")
    if pattern is not None and not pattern.fullmatch(value):
        raise _constraint(value, path, f"Member must satisfy regular expression pattern: {pattern.pattern}")
    if enum is not None and value not in enum:
        raise _constraint(value, path, f"Member must satisfy enum value set: [{', '.join(enum)}]")
    return value


def integer(value: Any, path: str, lo: int, hi: int) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise _constraint(value, path, "Member must be an integer")
    if value < lo:
        raise _constraint(value, path, f"Member must have value greater than or equal to {lo}")
    if value > hi:
        raise _constraint(value, path, f"Member must have value less than or equal to {hi}")
    return value


def name(value: Any, path: str = "name") -> str:
    return string(value, path, hi=64, pattern=NAME, required=True)


def epoch(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.timestamp()
    return float(value)


def flexible_window(value: Any) -> dict:
    if not isinstance(value, dict):
        raise _constraint(None, "flexibleTimeWindow", "Member must not be null")
    mode = string(value.get("Mode"), "flexibleTimeWindow.mode", enum=("OFF", "FLEXIBLE"), required=True)
    minutes = integer(value.get("MaximumWindowInMinutes"), "flexibleTimeWindow.maximumWindowInMinutes", 1, 1440)
    if mode == "FLEXIBLE" and minutes is None:
        raise invalid("MaximumWindowInMinutes must be provided when FlexibleTimeWindow Mode is FLEXIBLE.")
    if mode == "OFF" and minutes is not None:
        raise invalid("MaximumWindowInMinutes must not be provided when FlexibleTimeWindow Mode is OFF.")
    return {"Mode": mode, **({"MaximumWindowInMinutes": minutes} if minutes is not None else {})}


def target(value: Any) -> dict:
    """The target as GetSchedule returns it (the retry policy's defaults filled in)."""
    if not isinstance(value, dict):
        raise _constraint(None, "target", "Member must not be null")
    arn = string(value.get("Arn"), "target.arn", hi=1600, required=True)
    string(value.get("RoleArn"), "target.roleArn", hi=1600, pattern=ROLE_ARN, required=True)
    if not arn.startswith("arn:") or len(arn.split(":", 5)) < 6:
        raise invalid(f"Invalid target arn {arn}.")
    string(value.get("Input"), "target.input")
    out = dict(value)
    dlq = value.get("DeadLetterConfig")
    if dlq is not None:
        string(dlq.get("Arn"), "target.deadLetterConfig.arn", hi=1600, pattern=SQS_ARN)
    retry = dict(DEFAULT_RETRY)
    for key, path, lo, hi in (("MaximumEventAgeInSeconds", "target.retryPolicy.maximumEventAgeInSeconds", 60, 86400),
                              ("MaximumRetryAttempts", "target.retryPolicy.maximumRetryAttempts", 0, 185)):
        given = integer((value.get("RetryPolicy") or {}).get(key), path, lo, hi)
        if given is not None:
            retry[key] = given
    out["RetryPolicy"] = retry
    if "SqsParameters" in value:
        string((value["SqsParameters"] or {}).get("MessageGroupId"), "target.sqsParameters.messageGroupId", hi=128)
    if "EventBridgeParameters" in value:
        ebp = value["EventBridgeParameters"] or {}
        string(ebp.get("DetailType"), "target.eventBridgeParameters.detailType", hi=128, required=True)
        source = string(ebp.get("Source"), "target.eventBridgeParameters.source", hi=256, required=True)
        if source.startswith("aws."):
            raise invalid("EventBridgeParameters Source cannot start with 'aws.'.")
    if "KinesisParameters" in value:
        string((value["KinesisParameters"] or {}).get("PartitionKey"), "target.kinesisParameters.partitionKey",
               hi=256, required=True)
    return out
