"""AWS errors as providers raise them; each protocol serializes them its way."""
from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """An AWS error: the code, message and HTTP status a real client expects.

    ``fields`` carries the members of a modeled error shape beyond Code and
    Message (for example DynamoDB's ``CancellationReasons``, S3's ``Key``).
    """

    def __init__(self, code: str, message: str = "", status: int = 400,
                 sender_fault: bool = True, fields: dict | None = None, **more_fields: Any):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.sender_fault = sender_fault
        # ``fields`` carries members named like this constructor's own
        # parameters (a ``code`` or ``status`` member of the error shape).
        self.fields = {**(fields or {}), **more_fields}
        # Extra response headers (S3's x-amz-delete-marker on 404, ...).
        self.headers: list[tuple[str, str]] = []

    def __repr__(self) -> str:
        return f"ServiceError({self.code!r}, {self.message!r}, {self.status})"


def not_implemented(service: str, operation: str) -> ServiceError:
    return ServiceError(
        "NotImplemented",
        f"nubis does not implement {service}:{operation} yet.",
        status=501, sender_fault=False)


def internal_error(message: str = "We encountered an internal error. Please try again.") -> ServiceError:
    return ServiceError("InternalFailure", message, status=500, sender_fault=False)


# How a service answers a required member left out, where it is not the common
# form below (SQS's documented MissingParameter).
_MISSING = {"sqs": ("MissingParameter", "The request must contain the parameter {name}.")}


def missing_member(service: str, protocol: str, operation, params: dict) -> ServiceError | None:
    """The error for the first required member of ``operation``'s input that ``params``
    lacks, at any depth, as AWS's front ends word it (None if none is missing). The
    gateway asks this only after a provider failed, so a provider's own check of the
    member still wins: a missing member then answers as AWS does, not as an internal error."""
    path = _first_missing(operation.input_shape, params, "", 0)
    if path is None:
        return None
    if service in _MISSING:
        code, text = _MISSING[service]
        return ServiceError(code, text.format(name=path.rsplit(".", 1)[-1]), 400)
    if protocol == "rest-xml":  # S3 and friends: a body that lacks a required element
        return ServiceError("MalformedXML", "The XML you provided was not well-formed or did not validate "
                            "against our published schema", 400)
    code = "ValidationError" if protocol in ("query", "ec2") else "ValidationException"
    return ServiceError(code, f"1 validation error detected: Value null at '{path}' "
                        "failed to satisfy constraint: Member must not be null", 400)


def _first_missing(shape, value, at: str, depth: int) -> str | None:
    """The path (AWS's form: ``a.b``, ``list.1.member.c``) of the first required member
    missing under ``value``, a structure of ``shape``."""
    if shape is None or shape.type_name != "structure" or not isinstance(value, dict) or depth > 8:
        return None
    for name, member in shape.members.items():
        wire = member.serialization.get("name") or name
        here = f"{at}{wire[:1].lower()}{wire[1:]}"
        child = value.get(name)
        if child is None:
            if name in shape.required_members:
                return here
            continue
        if member.type_name == "structure":
            found = _first_missing(member, child, here + ".", depth + 1)
        elif member.type_name == "list" and member.member.type_name == "structure" and isinstance(child, list):
            found = next((f for i, item in enumerate(child, start=1)
                          if (f := _first_missing(member.member, item, f"{here}.{i}.member.", depth + 1))), None)
        else:
            found = None
        if found is not None:
            return found
    return None
