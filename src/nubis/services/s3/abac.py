"""Attribute-based access control (ABAC) of a general purpose bucket:
PutBucketAbac and GetBucketAbac (S3 API reference; user guide, "Enabling ABAC
in general purpose buckets").

A mixin of ``S3Provider`` on ``BucketConfig``'s storage: the status is the
bucket's ``abac`` document. A bucket that was never set answers ``Disabled``,
as a new bucket is. While ABAC is enabled, the bucket's tags are managed with
TagResource / UntagResource, not PutBucketTagging / DeleteBucketTagging
(``check_bucket_tagging_allowed``).
"""
from __future__ import annotations

from ...protocol.errors import ServiceError
from .bucket_config import malformed_xml

STATUSES = ("Enabled", "Disabled")


class Abac:
    def put_bucket_abac(self, ctx, params: dict) -> dict:
        b = self._target(ctx, params)
        status = self._payload(params, "AbacStatus").get("Status")
        if status not in STATUSES:
            raise malformed_xml()
        self._store_config(b.name, "abac", {"Status": status})
        return {}

    def get_bucket_abac(self, ctx, params: dict) -> dict:
        b = self._target(ctx, params)
        return {"AbacStatus": self._config(b.name, "abac", None) or {"Status": "Disabled"}}

    def abac_enabled(self, bucket: str) -> bool:
        return (self._config(bucket, "abac", None) or {}).get("Status") == "Enabled"

    def check_bucket_tagging_allowed(self, bucket: str) -> None:
        """PutBucketTagging and DeleteBucketTagging are not for a bucket with ABAC enabled
        (their API reference pages). The pages name no error code: nubis answers InvalidRequest."""
        if self.abac_enabled(bucket):
            raise ServiceError("InvalidRequest", "Attribute-based access control (ABAC) is enabled for this "
                               "bucket: manage its tags with TagResource and UntagResource.")
