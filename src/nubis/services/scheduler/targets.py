"""What a schedule invokes: templated targets (Lambda, SQS, SNS, Step Functions,
EventBridge, Kinesis) and universal ones (``arn:aws:scheduler:::aws-sdk:<service>:<action>``,
the action's parameters in ``Input``), through the internal client as the
schedule's role; and the dead-letter event when an invocation is given up.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ...protocol.base import parse_timestamp
from ...protocol.errors import ServiceError

if TYPE_CHECKING:
    from .provider import SchedulerProvider

UNIVERSAL_PREFIX = "arn:aws:scheduler:::aws-sdk:"
# SDK service names that botocore names otherwise.
_SDK_SERVICES = {"sfn": "stepfunctions", "eventbridge": "events", "cloudwatchlogs": "logs",
                 "cloudwatch": "cloudwatch", "elasticloadbalancingv2": "elbv2", "apigatewayv2": "apigatewayv2"}
_THROTTLING = {"ThrottlingException", "Throttling", "TooManyRequestsException", "ThrottledException",
               "RequestLimitExceeded", "ProvisionedThroughputExceededException", "SlowDown"}


class TargetFailed(Exception):
    def __init__(self, code: str, message: str, retryable: bool):
        super().__init__(message)
        self.code, self.message, self.retryable = code, message, retryable


def _arn_parts(arn: str) -> tuple[str, str, str, str]:
    """(service, region, account, resource)."""
    parts = arn.split(":", 5)
    return parts[2], parts[3], parts[4], parts[5]


def queue_url(arn: str) -> str:
    _, region, account, name = _arn_parts(arn)
    return f"https://sqs.{region}.amazonaws.com/{account}/{name}"


def with_context(text: str, context: dict[str, str]) -> str:
    """Scheduler's context attributes (``<aws.scheduler.execution-id>``, ...) filled into Input."""
    if "<aws.scheduler." not in text:
        return text
    for name, value in context.items():
        text = text.replace(f"<aws.scheduler.{name}>", value)
    return text


async def invoke(p: "SchedulerProvider", account: str, region: str, target: dict, payload: str,
                 execution_id: str) -> None:
    """One attempt; TargetFailed (retryable or not) when the target refuses."""
    arn = target["Arn"]
    principal = target.get("RoleArn") or "scheduler.amazonaws.com"
    try:
        if arn.startswith(UNIVERSAL_PREFIX):
            service, operation, params = _universal(arn, payload)
            await p.internal.call(service, operation, params, account=account, region=region, principal=principal)
            return
        service, operation, params = _templated(target, payload, execution_id)
        _, t_region, t_account, _ = _arn_parts(arn)
        out = await p.internal.call(service, operation, params, account=t_account or account,
                                    region=t_region or region, principal=principal)
        if operation == "PutEvents" and out.get("FailedEntryCount"):
            # PutEvents answers 200 and reports a refused entry in the body.
            entry = next((e for e in out.get("Entries") or [] if e.get("ErrorCode")), {})
            code = entry.get("ErrorCode") or "InternalFailure"
            raise TargetFailed(code, entry.get("ErrorMessage") or code,
                               code in _THROTTLING or code == "InternalFailure")
    except ServiceError as e:
        retryable = e.status >= 500 or e.code in _THROTTLING
        raise TargetFailed(e.code, e.message, retryable) from None


def _templated(target: dict, payload: str, execution_id: str) -> tuple[str, str, dict]:
    arn = target["Arn"]
    service, _, _, resource = _arn_parts(arn)
    if service == "lambda":
        return "lambda", "Invoke", {"FunctionName": arn, "InvocationType": "Event",
                                    "Payload": payload.encode("utf-8")}
    if service == "sqs":
        params = {"QueueUrl": queue_url(arn), "MessageBody": payload}
        group = (target.get("SqsParameters") or {}).get("MessageGroupId")
        if group:
            params["MessageGroupId"] = group
        if arn.endswith(".fifo"):
            # One execution is one message, however often it is retried.
            params["MessageDeduplicationId"] = execution_id
        return "sqs", "SendMessage", params
    if service == "sns":
        return "sns", "Publish", {"TopicArn": arn, "Message": payload}
    if service == "states":
        return "stepfunctions", "StartExecution", {"stateMachineArn": arn, "input": payload}
    if service == "events":
        ebp = target.get("EventBridgeParameters") or {}
        return "events", "PutEvents", {"Entries": [{"EventBusName": arn, "Source": ebp.get("Source"),
                                                    "DetailType": ebp.get("DetailType"), "Detail": payload}]}
    if service == "kinesis":
        return "kinesis", "PutRecord", {"StreamARN": arn, "StreamName": resource.split("/", 1)[-1],
                                        "Data": payload.encode("utf-8"),
                                        "PartitionKey": (target.get("KinesisParameters") or {}).get("PartitionKey")}
    raise TargetFailed("InvalidTarget", f"nubis does not invoke {service} targets yet: {arn}", False)


def _universal(arn: str, payload: str) -> tuple[str, str, dict]:
    """``aws-sdk:sqs:sendMessage`` -> ("sqs", "SendMessage", Input as the operation's parameters)."""
    from ...protocol.models import load_service

    rest = arn[len(UNIVERSAL_PREFIX):]
    sdk_service, _, action = rest.partition(":")
    service = _SDK_SERVICES.get(sdk_service, sdk_service)
    operation = action[:1].upper() + action[1:]
    try:
        model = load_service(service)
        op = model.operation_model(operation)
    except Exception:
        raise TargetFailed("InvalidTarget", f"Unknown universal target {arn}.", False) from None
    try:
        params = json.loads(payload) if payload else {}
    except ValueError:
        raise TargetFailed("InvalidInput", "Input is not valid JSON.", False) from None
    if not isinstance(params, dict):
        raise TargetFailed("InvalidInput", "Input must be a JSON object.", False)
    return service, operation, _typed(params, op.input_shape)


def _typed(value: Any, shape) -> Any:
    """JSON values as the protocol layer would hand them to a provider (bytes for blobs, datetimes)."""
    if shape is None or value is None:
        return value
    t = shape.type_name
    if t == "structure" and isinstance(value, dict):
        return {k: _typed(v, shape.members.get(k)) for k, v in value.items()}
    if t == "list" and isinstance(value, list):
        return [_typed(v, shape.member) for v in value]
    if t == "map" and isinstance(value, dict):
        return {k: _typed(v, shape.value) for k, v in value.items()}
    if t == "blob" and isinstance(value, str):
        return value.encode("utf-8")
    if t == "timestamp" and isinstance(value, (str, int, float)):
        return parse_timestamp(value)
    return value


async def dead_letter(p: "SchedulerProvider", account: str, region: str, schedule_arn: str, target: dict,
                      payload: str, error: TargetFailed, attempts: int, execution_id: str,
                      exhausted: str | None) -> bool:
    """Send the dead-letter event to the target's DLQ; True when there was one and it took it."""
    dlq = (target.get("DeadLetterConfig") or {}).get("Arn")
    if not dlq:
        return False
    _, q_region, q_account, _ = _arn_parts(dlq)
    attributes = {
        "ERROR_CODE": error.code, "ERROR_MESSAGE": error.message[:1024] or error.code,
        "EXECUTION_ID": execution_id, "RETRY_ATTEMPTS": str(attempts), "SCHEDULE_ARN": schedule_arn,
        "TARGET_ARN": target["Arn"],
    }
    if exhausted:
        attributes["EXHAUSTED_RETRY_CONDITION"] = exhausted
    params = {"QueueUrl": queue_url(dlq), "MessageBody": payload or "{}",
              "MessageAttributes": {k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()}}
    try:
        await p.internal.call("sqs", "SendMessage", params, account=q_account, region=q_region,
                              principal="scheduler.amazonaws.com")
        return True
    except ServiceError:
        return False


def scheduled_time(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
