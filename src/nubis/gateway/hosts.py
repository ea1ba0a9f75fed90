"""What the Host header says: S3 virtual hosts and the data-plane names.

nubis answers for names under its base host name (a setting, ``localhost``)
and under ``localhost.localstack.cloud``, so tools made for LocalStack work.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

LOCALSTACK_BASE = "localhost.localstack.cloud"
_REGION = r"[a-z]{2}(?:-[a-z]+)+-\d"


@dataclass(frozen=True)
class HostInfo:
    # "s3" (a bucket's virtual host), "s3-website", "execute-api", "cloudfront",
    # "lambda-url", or a service hint from "<service>.<region>.<base>".
    kind: str | None = None
    name: str | None = None  # bucket, API id, distribution id, URL id
    region: str | None = None


NONE = HostInfo()


class HostParser:
    def __init__(self, base: str = "localhost"):
        bases = sorted({base.lower(), LOCALSTACK_BASE}, key=len, reverse=True)
        b = "(?:" + "|".join(re.escape(x) for x in bases) + ")"
        self._patterns = [
            (re.compile(rf"^(?P<name>.+)\.s3-website[.-](?:(?P<region>{_REGION})\.)?{b}$"), "s3-website"),
            (re.compile(rf"^(?P<name>.+)\.s3\.(?:(?P<region>{_REGION})\.)?{b}$"), "s3"),
            (re.compile(rf"^s3\.(?:(?P<region>{_REGION})\.)?{b}$"), "s3-path"),
            # An access point's own host, read as a bucket S3 resolves (services/s3/access_points.py).
            (re.compile(rf"^(?P<name>[a-z0-9-]+-\d{{12}})\.s3-accesspoint\.(?:(?P<region>{_REGION})\.)?{b}$"), "s3"),
            (re.compile(rf"^(?P<name>[a-z0-9]+)\.execute-api\.(?:(?P<region>{_REGION})\.)?{b}$"), "execute-api"),
            (re.compile(rf"^(?P<name>[a-z0-9]+)\.cloudfront\.{b}$"), "cloudfront"),
            (re.compile(rf"^(?P<name>[a-z0-9]+)\.lambda-url\.(?:(?P<region>{_REGION})\.)?{b}$"), "lambda-url"),
            (re.compile(rf"^(?P<name>[a-z0-9-]+)\.(?P<region>{_REGION})\.{b}$"), "service"),
            (re.compile(rf"^(?P<name>[a-z0-9-]+)\.{b}$"), "service"),
        ]
        self._cache: dict[str, HostInfo] = {}

    def parse(self, host: str) -> HostInfo:
        info = self._cache.get(host)
        if info is not None:
            return info
        name = host.rsplit(":", 1)[0].lower() if not host.startswith("[") else host
        info = NONE
        for rx, kind in self._patterns:
            m = rx.match(name)
            if m:
                d = m.groupdict()
                info = HostInfo(kind, d.get("name"), d.get("region"))
                break
        if len(self._cache) < 10000:
            self._cache[host] = info
        return info
