"""UpdateObjectEncryption: an existing object's server-side encryption changed
to SSE-KMS (another key, or an S3 Bucket Key) without moving its data (S3 API
reference).

A mixin of ``S3Provider``. Only the object version's encryption fields change
(``ServerSideEncryption``, ``SSEKMSKeyId``, ``BucketKeyEnabled`` in its
metadata, which HeadObject and GetObject return); its ETag, last modified
date, checksums, storage class and metadata stay as they were. The errors and
their messages are the ones the reference lists.
"""
from __future__ import annotations

import re

from ...auth import kms_keys
from ...protocol.errors import ServiceError
from . import object_lock

_KMS_ARN = re.compile(r"^arn:aws[-a-z0-9]*:kms:[-a-z0-9]*:([0-9]{12}):key/.+$")
# What nubis stores for each encryption of an object (no ServerSideEncryption: SSE-S3).
_SUPPORTED_SOURCES = (None, "AES256", "aws:kms")


def _invalid(message: str) -> ServiceError:
    return ServiceError("InvalidRequest", message)


def _denied(message: str) -> ServiceError:
    return ServiceError("AccessDenied", message, 403)


class ObjectEncryption:
    def update_object_encryption(self, ctx, params: dict) -> dict:
        b = self._target(ctx, params)
        o = self._object(b, params["Key"], params.get("VersionId"))
        encryption = params.get("ObjectEncryption")
        if not isinstance(encryption, dict) or not isinstance(encryption.get("SSEKMS"), dict):
            raise _invalid("Requests that modify an object encryption configuration require a valid new encryption "
                           "type. Valid values are SSEKMS. Modify the request to specify SSE-KMS for the updated "
                           "encryption type, and then try again.")
        sse_kms = encryption["SSEKMS"]
        key = sse_kms.get("KMSKeyArn")
        if not key:
            raise _invalid("Requests that modify an object's encryption type to SSE-KMS require an AWS KMS key "
                           "Amazon Resource Name (ARN). Modify the request to specify a KMS key ARN, and then try "
                           "again.")
        m = _KMS_ARN.match(key)
        if m is None:
            raise _invalid("Requests that modify an object's encryption type to SSE-KMS require a valid AWS KMS key "
                           "Amazon Resource Name (ARN). Confirm that you have a correctly formatted KMS key ARN in "
                           "your request, and then try again.")
        bucket_key = sse_kms.get("BucketKeyEnabled")
        if bucket_key is not None and not isinstance(bucket_key, bool):
            raise _invalid("The BucketKeyEnabled value isn't valid. Valid values are true or false. Modify the "
                           "request to specify a valid value, and then try again.")
        if m.group(1) != b.account:
            raise _denied("The AWS KMS key in the request must be owned by the same account as the bucket. Modify "
                          "the request to specify a KMS key from the same account, and then try again.")
        source = o.meta.get("ServerSideEncryption")
        if source not in _SUPPORTED_SOURCES:
            raise _invalid("The UpdateObjectEncryption operation doesn't support source objects with the encryption "
                           "type DSSE-KMS or SSE-C. Only source objects encrypted with SSE-S3 or SSE-KMS are "
                           "supported.")
        if object_lock.retained(o, self.clock.now()):
            raise _denied("The encryption type for the specified object can't be updated because that object is "
                          "protected by S3 Object Lock.")
        # The key must exist and be usable: S3 re-encrypts the object's data key with it.
        kms_keys.check_now(self.runtime, key, kms_keys.S3, account=b.account, region=b.region,
                           principal="s3.amazonaws.com")
        meta = {k: v for k, v in o.meta.items() if k not in ("SSEKMSKeyId", "BucketKeyEnabled")}
        meta["ServerSideEncryption"] = "aws:kms"
        meta["SSEKMSKeyId"] = key
        if bucket_key:
            meta["BucketKeyEnabled"] = True
        with self.db.transaction():
            self.store.set_meta(o, meta)
        return {}
