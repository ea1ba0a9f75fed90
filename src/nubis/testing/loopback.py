"""Reaching nubis by a host name (``<bucket>.s3.localhost``, ``<account>.localhost``)
without DNS: a boto3 client connects to the loopback and sends the name as Host."""
from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def loopback(client, port: int):
    """``client``, its requests sent to 127.0.0.1:``port`` with their URL's host in the
    Host header, as DNS resolving that name to the loopback would."""
    def to_loopback(request, **kwargs):
        parts = urlsplit(request.url)
        request.headers["Host"] = parts.netloc
        request.url = urlunsplit(parts._replace(netloc=f"127.0.0.1:{port}"))

    client.meta.events.register("before-send", to_loopback)
    return client
