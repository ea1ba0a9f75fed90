"""Requests as botocore builds them, for every operation of every service.

Minimal valid input (required members only) is serialized by botocore's own
serializer and given a SigV4 credential scope for the service's signing name,
as a real SDK request would carry.
"""
from __future__ import annotations

import datetime
from urllib.parse import urlsplit

from botocore.awsrequest import create_request_object, prepare_request_dict
from botocore.serialize import create_serializer

from nubis.protocol import models
from nubis.protocol.wire import Headers, HttpRequest


def minimal(shape, depth: int = 0):
    t = shape.type_name
    if t == "structure":
        if shape.is_document_type:
            return {}
        if depth > 6:
            return {}
        members = shape.members
        if shape.is_tagged_union:
            name = next(iter(members))
            return {name: minimal(members[name], depth + 1)}
        return {k: minimal(members[k], depth + 1) for k in shape.required_members}
    if t == "list":
        n = min(shape.metadata.get("min", 1), 2)
        return [minimal(shape.member, depth + 1) for _ in range(max(n, 1))]
    if t == "map":
        return {}
    if t == "string":
        if shape.enum:
            return shape.enum[0]
        return "abc" + "x" * max(0, shape.metadata.get("min", 0) - 3)
    if t in ("integer", "long"):
        return max(1, int(shape.metadata.get("min", 1)))
    if t in ("float", "double"):
        return 1.0
    if t == "boolean":
        return True
    if t == "timestamp":
        return datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    if t == "blob":
        return b"x"
    return "x"


def wire_request(service: str, operation: str, protocol: str | None = None) -> HttpRequest:
    model = models.load_service(service, protocol)
    op = model.operation_model(operation)
    params = minimal(op.input_shape) if op.input_shape is not None else {}
    serializer = create_serializer(model.metadata["protocol"], include_validation=False)
    request_dict = serializer.serialize_to_request(params, op)
    request_dict.pop("host_prefix", None)
    prepare_request_dict(request_dict, endpoint_url="http://localhost:4566")
    prepared = create_request_object(request_dict).prepare()
    url = urlsplit(prepared.url)
    headers = dict(prepared.headers)
    headers["Host"] = "localhost:4566"
    scope = f"test/20240101/us-east-1/{model.signing_name}/aws4_request"
    headers["Authorization"] = f"AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host, Signature=0"
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode()
    elif hasattr(body, "read"):
        body = body.read()
    return HttpRequest(prepared.method, url.path or "/", url.query, Headers(headers.items()), body)


def all_operations():
    for service in models.available_services():
        for protocol in models.service_protocols(service):
            model = models.load_service(service, protocol)
            for op in model.operation_names:
                yield service, protocol, op
