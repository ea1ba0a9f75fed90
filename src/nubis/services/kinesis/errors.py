"""Kinesis's errors, with the codes and messages the service answers."""
from __future__ import annotations

from ...protocol.errors import ServiceError


def invalid(message: str) -> ServiceError:
    return ServiceError("InvalidArgumentException", message, status=400)


def validation(message: str) -> ServiceError:
    return ServiceError("ValidationException", message, status=400)


def not_found(message: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", message, status=400)


def stream_not_found(name: str, account: str) -> ServiceError:
    return not_found(f"Stream {name} under account {account} not found.")


def in_use(message: str) -> ServiceError:
    return ServiceError("ResourceInUseException", message, status=400)


def limit(message: str) -> ServiceError:
    return ServiceError("LimitExceededException", message, status=400)


def rate_message(shard, stream) -> str:
    return f"Rate exceeded for shard {shard.shard_id} in stream {stream.name} under account {stream.account}."


def throughput(shard, stream) -> ServiceError:
    return ServiceError("ProvisionedThroughputExceededException", rate_message(shard, stream), status=400)


def check_tags(tags: dict) -> None:
    for k, v in tags.items():
        if not k or len(k) > 128 or k.startswith("aws:"):
            raise invalid(f"Tag key {k!r} is not valid: 1 to 128 characters, not starting with 'aws:'.")
        if v is not None and len(v) > 256:
            raise invalid(f"Tag value for key {k!r} is longer than 256 characters.")
