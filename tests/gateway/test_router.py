"""The router against every operation of every service in botocore's data.

Each request is built by botocore's own serializer with a SigV4 scope, as an
SDK sends it. A few services share a signing name and a wire form exactly
(RDS, DocumentDB and Neptune; Wisdom and Q Connect; ...): AWS tells those
apart only by the host name they were sent to, so for them any of the twins
is right.
"""
from __future__ import annotations

import collections
import re

import pytest

from nubis.gateway.router import Router
from nubis.protocol import models
from nubis.protocol.errors import ServiceError

from .routing_cases import all_operations, wire_request


def binding(service: str, protocol: str, operation: str):
    model = models.load_service(service, protocol)
    op = model.operation_model(operation)
    http = op.http
    return (model.signing_name, model.metadata.get("targetPrefix") if protocol in ("json", "smithy-rpc-v2-cbor")
            else None, model.metadata.get("apiVersion") if protocol in ("query", "ec2") else None,
            http.get("method"), re.sub(r"\{[^}]*\}", "{}", http.get("requestUri", "")), operation if protocol not in ("rest-json", "rest-xml") else None)


def route(router: Router, request):
    r = router.route(request)
    if r.operation is None:
        router.resolve_query(request, r)
    return r


def test_every_operation_of_every_service_routes_to_itself():
    router = Router()
    wrong = collections.defaultdict(list)
    count = 0
    for service, protocol, operation in all_operations():
        count += 1
        request = wire_request(service, operation, protocol)
        try:
            r = route(router, request)
            got = (r.service, r.protocol, r.operation)
        except ServiceError as e:
            wrong[service].append((operation, e.code, e.message))
            continue
        if got == (service, protocol, operation):
            continue
        if got[1] == protocol and binding(*got) == binding(service, protocol, operation):
            continue  # a wire-identical twin
        wrong[service].append((operation, got))
    assert count > 15000
    assert not wrong, dict(wrong)


@pytest.mark.parametrize("service,operation,method,path,query,headers", [
    # S3 operations that share a path, told apart by query and headers.
    ("s3", "PutObject", "PUT", "/b/k", "", {}),
    ("s3", "CopyObject", "PUT", "/b/k", "", {"x-amz-copy-source": "/a/b"}),
    ("s3", "UploadPart", "PUT", "/b/k", "partNumber=1&uploadId=u", {}),
    ("s3", "UploadPartCopy", "PUT", "/b/k", "partNumber=1&uploadId=u", {"x-amz-copy-source": "/a/b"}),
    ("s3", "CreateMultipartUpload", "POST", "/b/k", "uploads", {}),
    ("s3", "CompleteMultipartUpload", "POST", "/b/k", "uploadId=u", {}),
    ("s3", "AbortMultipartUpload", "DELETE", "/b/k", "uploadId=u", {}),
    ("s3", "DeleteObject", "DELETE", "/b/k", "", {}),
    ("s3", "ListObjectsV2", "GET", "/b", "list-type=2", {}),
    ("s3", "ListObjects", "GET", "/b", "", {}),
    ("s3", "GetBucketVersioning", "GET", "/b", "versioning", {}),
    ("s3", "GetObject", "GET", "/b/a/deep/key.txt", "", {}),
    ("s3", "DeleteObjects", "POST", "/b", "delete", {}),
])
def test_s3_without_x_id_hints(service, operation, method, path, query, headers):
    # The AWS CLI v2, the JS SDK and others do not send botocore's ``x-id``.
    from nubis.protocol.wire import Headers, HttpRequest

    h = {"host": "localhost:4566",
         "authorization": "AWS4-HMAC-SHA256 Credential=t/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, "
                          "Signature=0", **headers}
    r = Router().route(HttpRequest(method, path, query, Headers(h.items())))
    assert (r.service, r.operation) == (service, operation)
