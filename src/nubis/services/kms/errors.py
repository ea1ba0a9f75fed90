"""KMS's errors, with the codes and messages AWS gives, and input checks."""
from __future__ import annotations

from ...protocol.errors import ServiceError


def validation(message: str) -> ServiceError:
    return ServiceError("ValidationException", message)


def constraint(value, member: str, rule: str) -> ServiceError:
    shown = "null" if value is None else f"'{value}'"
    return validation(f"1 validation error detected: Value {shown} at '{member}' failed to satisfy "
                      f"constraint: {rule}")


def not_found(message: str) -> ServiceError:
    return ServiceError("NotFoundException", message)


def disabled(arn: str) -> ServiceError:
    return ServiceError("DisabledException", f"{arn} is disabled.")


def invalid_state(message: str) -> ServiceError:
    return ServiceError("KMSInvalidStateException", message)


def invalid_usage(arn: str, usage: str, operation: str) -> ServiceError:
    return ServiceError("InvalidKeyUsageException", f"{arn} key usage is {usage} which is not valid for {operation}.")


def invalid_ciphertext() -> ServiceError:
    return ServiceError("InvalidCiphertextException", "")


def incorrect_key() -> ServiceError:
    return ServiceError("IncorrectKeyException",
                        "The key ID in the request does not identify a CMK that can perform this operation.")


def unsupported(message: str) -> ServiceError:
    return ServiceError("UnsupportedOperationException", message)


def dry_run() -> ServiceError:
    return ServiceError("DryRunOperationException", "The request would have succeeded, but the DryRun option is set.",
                        status=412)


def required(params: dict, key: str, member: str | None = None):
    value = params.get(key)
    if value is None:
        raise constraint(None, member or key[0].lower() + key[1:], "Member must not be null")
    return value


def length(value: str | bytes | None, member: str, lo: int, hi: int) -> None:
    if value is None:
        return
    if len(value) < lo:
        raise constraint(value if isinstance(value, str) else "java.nio.HeapByteBuffer", member,
                         f"Member must have length greater than or equal to {lo}")
    if len(value) > hi:
        raise constraint(value if isinstance(value, str) else "java.nio.HeapByteBuffer", member,
                         f"Member must have length less than or equal to {hi}")


def enum(value, member: str, allowed) -> None:
    if value is not None and value not in allowed:
        raise constraint(value, member, f"Member must satisfy enum value set: [{', '.join(allowed)}]")


def in_range(value, member: str, lo: int, hi: int) -> int:
    """``value``, an integer from ``lo`` to ``hi``, else the model's constraint error."""
    if not isinstance(value, int) or value < lo:
        raise constraint(value, member, f"Member must have value greater than or equal to {lo}")
    if value > hi:
        raise constraint(value, member, f"Member must have value less than or equal to {hi}")
    return value


def limit(params: dict, default: int = 100, hi: int = 1000) -> int:
    value = params.get("Limit")
    return default if value is None else in_range(value, "limit", 1, hi)


def marker(params: dict) -> int:
    """Markers are the position of the next item, as text."""
    value = params.get("Marker")
    if value is None:
        return 0
    if not isinstance(value, str) or not value.isdigit():
        raise ServiceError("InvalidMarkerException", "The request was rejected because the marker that specifies "
                           "where pagination should next begin is not valid.")
    return int(value)


def page(items: list, params: dict, key: str, default: int = 100, hi: int = 1000) -> dict:
    n = limit(params, default, hi)
    start = marker(params)
    chunk = items[start:start + n]
    out = {key: chunk, "Truncated": start + n < len(items)}
    if out["Truncated"]:
        out["NextMarker"] = str(start + n)
    return out
