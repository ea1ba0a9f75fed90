"""Bucket configurations that S3 stores and returns: tagging, CORS, policy,
ACLs and ownership controls, public access block, encryption, lifecycle,
website, logging, notification, replication, accelerate, request payment,
object lock, intelligent tiering, inventory, analytics, metrics.

A mixin of ``S3Provider``: one method per operation, each a round trip
through the ``s3_bucket_configs`` table (one document per bucket and kind).
The provider gives ``self.bucket(ctx, name)`` (the bucket, or NoSuchBucket)
and calls ``self.forget_bucket_configs(name)`` when a bucket is deleted.
"""
from __future__ import annotations

SCHEMA = """
CREATE TABLE s3_bucket_configs (
    bucket TEXT NOT NULL,
    kind TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (bucket, kind)
);
"""


class BucketConfig:
    def forget_bucket_configs(self, bucket: str) -> None:
        self.db.execute("DELETE FROM s3_bucket_configs WHERE bucket = ?", (bucket,))
