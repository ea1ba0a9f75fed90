"""The wire: one module per AWS protocol, driven by botocore's models."""
from __future__ import annotations

import functools

from .base import Protocol


@functools.cache
def protocol_for(name: str) -> Protocol:
    if name == "query":
        from .query import QueryProtocol
        return QueryProtocol()
    if name == "ec2":
        from .query import Ec2Protocol
        return Ec2Protocol()
    if name == "json":
        from .json import JsonProtocol
        return JsonProtocol()
    if name == "rest-json":
        from .rest import RestJsonProtocol
        return RestJsonProtocol()
    if name == "rest-xml":
        from .rest import RestXmlProtocol
        return RestXmlProtocol()
    if name == "smithy-rpc-v2-cbor":
        from .cbor import CborProtocol
        return CborProtocol()
    raise KeyError(f"unknown protocol {name!r}")
