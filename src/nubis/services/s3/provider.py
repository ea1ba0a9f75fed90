"""Amazon S3."""
from __future__ import annotations

from ..base import Provider
from .bucket_config import BucketConfig
from .store import MIGRATIONS


class S3Provider(BucketConfig, Provider):
    service = "s3"
    migrations = MIGRATIONS
