"""The directory bucket (S3 Express One Zone) operations nubis answers for
general purpose buckets: RenameObject and CreateSession.

A mixin of ``S3Provider``. Both work only on directory buckets (their API
reference pages), and nubis has none: every bucket is a general purpose
bucket. The pages name no error for a general purpose bucket; nubis answers
S3's 405 MethodNotAllowed, "The specified method is not allowed against this
resource", the error S3 gives an operation a resource does not support. A
bucket that does not exist is NoSuchBucket, as for every bucket operation.
"""
from __future__ import annotations

from ...protocol.errors import ServiceError


def _general_purpose(method: str, resource: str) -> ServiceError:
    return ServiceError("MethodNotAllowed", "The specified method is not allowed against this resource.", 405,
                        Method=method, ResourceType=resource)


class DirectoryBucketOperations:
    def rename_object(self, ctx, params: dict) -> dict:
        self.bucket(ctx, params["Bucket"])
        raise _general_purpose("PUT", "OBJECT")

    def create_session(self, ctx, params: dict) -> dict:
        self.bucket(ctx, params["Bucket"])
        raise _general_purpose("GET", "BUCKET")
