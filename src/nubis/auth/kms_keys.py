"""Checking a KMS key that another service was given (a queue's or topic's
``KmsMasterKeyId``, a stream's key): it must exist and be usable, else the
service answers with its own KMS error.

The key is described through KMS's own ``DescribeKey`` (any key id, ARN or
alias; ``alias/aws/<service>`` is the AWS managed key, made on first use), as
the service principal. Each service words the outcome its own way: ``SQS`` and
``SNS`` below map KMS's answer to their modeled errors (their API references'
"Errors" sections for SendMessage and Publish); S3 answers a PUT or copy with
SSE-KMS and a key that is not there ``KMS.NotFoundException``. The services
check the key when they use it, not when it is configured (AWS takes any key id
in CreateQueue, SetTopicAttributes or PutBucketEncryption).
"""
from __future__ import annotations

from ..protocol.errors import ServiceError
from ..services.base import RequestContext

# outcome -> (error code, HTTP status), per service.
SQS = {"NotFound": ("KmsNotFound", 400), "Disabled": ("KmsDisabled", 400),
       "InvalidState": ("KmsInvalidState", 400), "AccessDenied": ("KmsAccessDenied", 400)}
SNS = {"NotFound": ("KMSNotFound", 400), "Disabled": ("KMSDisabled", 400),
       "InvalidState": ("KMSInvalidState", 400), "AccessDenied": ("KMSAccessDenied", 400)}
# S3 (an object written with SSE-KMS and a named key): "Invalid keyId <key>".
S3 = {"NotFound": ("KMS.NotFoundException", 400), "Disabled": ("KMS.DisabledException", 400),
      "InvalidState": ("KMS.KMSInvalidStateException", 400), "AccessDenied": ("AccessDenied", 403),
      "message": "Invalid keyId {key}"}


async def check(internal, key_id: str, errors: dict, *, account: str, region: str, principal: str) -> dict:
    """The key's metadata, or the service's error (``errors``) when it can't be used."""
    try:
        out = await internal.call("kms", "DescribeKey", {"KeyId": key_id}, account=account, region=region,
                                  principal=principal)
    except ServiceError as e:
        raise _refused(errors, e, key_id) from None
    return _usable(out["KeyMetadata"], errors)


def check_now(runtime, key_id: str, errors: dict, *, account: str, region: str, principal: str) -> dict:
    """``check`` for a provider whose operation is not a coroutine: KMS's DescribeKey is
    not one either, so it is called in-process directly (trusted, as the internal client)."""
    ctx = RequestContext(service="kms", operation="DescribeKey", account=account, region=region,
                         request_id="", principal=principal, internal=True)
    try:
        out = runtime.provider("kms").handler("DescribeKey")(ctx, {"KeyId": key_id})
    except ServiceError as e:
        raise _refused(errors, e, key_id) from None
    return _usable(out["KeyMetadata"], errors)


def _refused(errors: dict, e: ServiceError, key_id: str) -> ServiceError:
    if e.code == "NotFoundException":
        code, status = errors["NotFound"]
        return ServiceError(code, errors.get("message", "{message}").format(key=key_id, message=e.message), status)
    if e.code in ("AccessDeniedException", "AccessDenied"):
        code, status = errors["AccessDenied"]
        return ServiceError(code, e.message, status)
    code, status = errors["NotFound"]  # a malformed id names no key
    return ServiceError(code, errors.get("message", "{message}").format(key=key_id, message=e.message), status)


def _usable(meta: dict, errors: dict) -> dict:
    state = meta.get("KeyState")
    if state == "Enabled":
        return meta
    kind = "Disabled" if state == "Disabled" else "InvalidState"
    code, status = errors[kind]
    words = {"Disabled": "disabled", "PendingDeletion": "pending deletion"}.get(state, state)
    raise ServiceError(code, f"{meta.get('Arn')} is {words}.", status)
