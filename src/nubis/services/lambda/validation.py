"""Lambda's input rules, with the errors and messages Lambda answers them with."""
from __future__ import annotations

import base64
import json
import re

from ...protocol.errors import ServiceError

# Runtimes a function may be created or updated with today (the developer
# guide's "Supported runtimes"); the deprecated ones are still valid enum
# values, but Lambda refuses them for new code.
SUPPORTED_RUNTIMES = (
    "nodejs24.x", "nodejs22.x", "nodejs20.x",
    "python3.14", "python3.13", "python3.12", "python3.11", "python3.10",
    "java25", "java21", "java17", "java11", "java8.al2",
    "dotnet10", "dotnet8",
    "ruby4.0", "ruby3.4", "ruby3.3",
    "provided.al2023", "provided.al2",
)
DEPRECATED_RUNTIMES = {
    "nodejs": "nodejs22.x", "nodejs4.3": "nodejs22.x", "nodejs4.3-edge": "nodejs22.x", "nodejs6.10": "nodejs22.x",
    "nodejs8.10": "nodejs22.x", "nodejs10.x": "nodejs22.x", "nodejs12.x": "nodejs22.x", "nodejs14.x": "nodejs22.x",
    "nodejs16.x": "nodejs22.x", "nodejs18.x": "nodejs22.x",
    "python2.7": "python3.13", "python3.6": "python3.13", "python3.7": "python3.13", "python3.8": "python3.13",
    "python3.9": "python3.13",
    "java8": "java21", "dotnetcore1.0": "dotnet8", "dotnetcore2.0": "dotnet8", "dotnetcore2.1": "dotnet8",
    "dotnetcore3.1": "dotnet8", "dotnet6": "dotnet8", "go1.x": "provided.al2023", "ruby2.5": "ruby3.4",
    "ruby2.7": "ruby3.4", "ruby3.2": "ruby3.4", "provided": "provided.al2023",
}
ALL_RUNTIMES = SUPPORTED_RUNTIMES + tuple(DEPRECATED_RUNTIMES)

ROLE_PATTERN = r"arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+"
_ROLE = re.compile(ROLE_PATTERN + "$")
HANDLER_PATTERN = r"[^\s]+"
_HANDLER = re.compile(r"^[^\s]+$")
NAME_PATTERN = (r"(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?"
                r"([a-zA-Z0-9-_]+)(:(\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9-_]+))?")
_NAME = re.compile(r"^(?:arn:aws[a-zA-Z-]*:lambda:(?P<region>[a-z]{2}(?:-gov)?-[a-z]+-\d):)?"
                   r"(?:(?P<account>\d{12}):)?(?:function:)?(?P<name>[a-zA-Z0-9_-]+)"
                   r"(?::(?P<qualifier>\$LATEST(?:\.PUBLISHED)?|[a-zA-Z0-9_-]+))?$")
RESERVED_ENV = {
    "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
}
MAX_ENV_BYTES = 4096


def validation(field: str, value, constraint: str) -> ServiceError:
    return ServiceError("ValidationException",
                        f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: "
                        f"Member must {constraint}", status=400)


def invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterValueException", message, status=400, Type="User")


def not_found(message: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", message, status=404, Type="User")


def conflict(message: str) -> ServiceError:
    return ServiceError("ResourceConflictException", message, status=409, Type="User")


def parse_name(text: str) -> tuple[str | None, str | None, str, str | None]:
    """(region, account, name, qualifier) of a name, partial ARN or ARN."""
    m = _NAME.match(text or "")
    if m is None or len(text) > 170:
        raise validation("functionName", text, f"satisfy regular expression pattern: {NAME_PATTERN}")
    if m.group("account") is None and m.group("region") is None and len(m.group("name")) > 64:
        raise validation("functionName", text, "have length less than or equal to 64")
    return m.group("region"), m.group("account"), m.group("name"), m.group("qualifier")


def check_runtime(runtime: str) -> None:
    if runtime in SUPPORTED_RUNTIMES:
        return
    if runtime in DEPRECATED_RUNTIMES:
        raise invalid(f"The runtime parameter of {runtime} is no longer supported for creating or updating AWS "
                      f"Lambda functions. We recommend you use the new runtime ({DEPRECATED_RUNTIMES[runtime]}) "
                      f"while creating or updating functions.")
    raise validation("runtime", runtime, f"satisfy enum value set: [{', '.join(ALL_RUNTIMES)}] or be a valid ARN")


def check_role(role: str) -> None:
    if not _ROLE.match(role or ""):
        raise validation("role", role, f"satisfy regular expression pattern: {ROLE_PATTERN}")


def check_handler(handler: str) -> None:
    if len(handler) > 128:
        raise validation("handler", handler, "have length less than or equal to 128")
    if not _HANDLER.match(handler):
        raise validation("handler", handler, f"satisfy regular expression pattern: {HANDLER_PATTERN}")


def check_range(field: str, value: int, low: int, high: int) -> None:
    if value < low:
        raise validation(field, value, f"have value greater than or equal to {low}")
    if value > high:
        raise validation(field, value, f"have value less than or equal to {high}")


def check_environment(env: dict | None) -> None:
    variables = (env or {}).get("Variables") or {}
    reserved = sorted(k for k in variables if k in RESERVED_ENV)
    if reserved:
        raise invalid("Lambda was unable to configure your environment variables because the environment variables "
                      "you have provided contains reserved keys that are currently not supported for modification. "
                      f"Reserved keys used in this request: {', '.join(reserved)}")
    for key in variables:
        if not re.match(r"^[a-zA-Z]([a-zA-Z0-9_])+$", key):
            raise validation("environment.variables", "[sensitive]",
                             "satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+")
    text = json.dumps(variables, separators=(",", ":"))
    if len(text.encode("utf-8")) > MAX_ENV_BYTES:
        raise invalid("Lambda was unable to configure your environment variables because the environment variables "
                      f"you have provided exceeded the 4KB limit. String measured: {text}")


def check_architectures(archs: list | None) -> list[str]:
    if archs is None:
        return ["x86_64"]
    if len(archs) != 1:
        raise validation("architectures", "[" + ", ".join(archs) + "]",
                         "have length less than or equal to 1" if archs else "have length greater than or equal to 1")
    if archs[0] not in ("x86_64", "arm64"):
        raise validation("architectures", "[" + ", ".join(archs) + "]",
                         "satisfy enum value set: [x86_64, arm64]")
    return list(archs)


def marker_page(items: list, params: dict, default: int, maximum: int, minimum: int = 1) -> tuple[list, str | None]:
    """A page of ``items`` by ``MaxItems`` and an opaque ``Marker`` (the next one, or None)."""
    limit = params.get("MaxItems") or default
    check_range("maxItems", limit, minimum, maximum)
    start = 0
    if params.get("Marker"):
        try:
            start = int(base64.urlsafe_b64decode(params["Marker"].encode()).decode())
        except (ValueError, UnicodeDecodeError):
            raise invalid("Invalid marker.") from None
    more = start + limit < len(items)
    return items[start:start + limit], (base64.urlsafe_b64encode(str(start + limit).encode()).decode()
                                        if more else None)
