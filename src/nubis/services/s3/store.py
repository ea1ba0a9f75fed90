"""S3's tables and the queries on them."""
from __future__ import annotations

from . import bucket_config

MIGRATIONS = [bucket_config.SCHEMA]
