"""SQS's errors, by the codes its query protocol uses.

The JSON protocol names the same errors by shape (``QueueDoesNotExist``) and
carries these codes in ``x-amzn-query-error``; the protocol layer maps one to
the other, so boto3 sees ``AWS.SimpleQueueService.NonExistentQueue`` as AWS
sends it and still raises ``client.exceptions.QueueDoesNotExist``.
"""
from __future__ import annotations

from ...protocol.errors import ServiceError


def queue_does_not_exist() -> ServiceError:
    return ServiceError("AWS.SimpleQueueService.NonExistentQueue",
                        "The specified queue does not exist.")


def invalid_parameter_value(message: str) -> ServiceError:
    return ServiceError("InvalidParameterValue", message)


def invalid_value(parameter: str, value, reason: str) -> ServiceError:
    return ServiceError("InvalidParameterValue",
                        f"Value {value} for parameter {parameter} is invalid. Reason: {reason}")


def missing_parameter(name: str) -> ServiceError:
    return ServiceError("MissingParameter", f"The request must contain the parameter {name}.")


def invalid_attribute_name(name: str) -> ServiceError:
    return ServiceError("InvalidAttributeName", f"Unknown Attribute {name}.")


def invalid_attribute_value(name: str, detail: str = "") -> ServiceError:
    return ServiceError("InvalidAttributeValue",
                        f"Invalid value for the parameter {name}." + (f" Reason: {detail}" if detail else ""))


def receipt_handle_invalid(handle: str) -> ServiceError:
    return ServiceError("ReceiptHandleIsInvalid",
                        f'The input receipt handle "{handle}" is not a valid receipt handle.')


def receipt_handle_expired(handle: str) -> ServiceError:
    return invalid_value("ReceiptHandle", handle, "The receipt handle has expired.")


def message_not_inflight() -> ServiceError:
    return ServiceError("AWS.SimpleQueueService.MessageNotInflight",
                        "Message does not exist or is not available for visibility timeout change.")


def invalid_message_contents(message: str) -> ServiceError:
    return ServiceError("InvalidMessageContents", message)


def unsupported_operation(message: str) -> ServiceError:
    return ServiceError("AWS.SimpleQueueService.UnsupportedOperation", message)


def resource_not_found(message: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", message, status=404)


# -- batches -------------------------------------------------------------------------

def empty_batch(entry_shape: str) -> ServiceError:
    return ServiceError("AWS.SimpleQueueService.EmptyBatchRequest",
                        f"There should be at least one {entry_shape} in the request.")


def too_many_entries(count: int) -> ServiceError:
    return ServiceError("AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
                        f"Maximum number of entries per request are 10. You have sent {count}.")


def ids_not_distinct(entry_id: str) -> ServiceError:
    return ServiceError("AWS.SimpleQueueService.BatchEntryIdsNotDistinct", f"Id {entry_id} repeated.")


def invalid_batch_entry_id() -> ServiceError:
    return ServiceError("AWS.SimpleQueueService.InvalidBatchEntryId",
                        "A batch entry id can only contain alphanumeric characters, hyphens and "
                        "underscores. It can be at most 80 letters long.")


def batch_too_long(size: int, limit: int) -> ServiceError:
    return ServiceError("AWS.SimpleQueueService.BatchRequestTooLong",
                        f"Batch requests cannot be longer than {limit} bytes. You have sent {size} bytes.")
