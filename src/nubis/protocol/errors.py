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
