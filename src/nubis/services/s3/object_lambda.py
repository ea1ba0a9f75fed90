"""S3 Object Lambda: GetObject through an Object Lambda access point, and
WriteGetObjectResponse, by which the function answers it.

botocore sends ``Bucket=arn:aws:s3-object-lambda:<region>:<account>:accesspoint/<name>``
against a custom endpoint to the host ``<name>-<account>.<endpoint host>``,
the same host a standard access point's ARN gets; the S3 provider asks here
only once no bucket and no standard access point has that name. An Object
Lambda alias (``...--ol-s3``) works where the bucket name goes too.

A GetObject with a transformation for it invokes the function synchronously
with the event of the S3 user guide ("Event context format and usage"):
``getObjectContext`` holds a presigned URL to the object through the
supporting access point (``inputS3Url``) and the route and token the function
passes to WriteGetObjectResponse. The caller gets what the function wrote;
if it fails or writes nothing, the caller gets S3's Lambda* error. The
waiting requests are in memory only: they last no longer than a connection.
"""
from __future__ import annotations

import asyncio
import datetime as _dt
import hashlib
import hmac
import json
import re
import secrets
from typing import TYPE_CHECKING
from urllib.parse import quote

from ...protocol.errors import ServiceError
from ...runtime.bodies import read_all

if TYPE_CHECKING:
    from ..base import RequestContext

OL_ALIAS_SUFFIX = "--ol-s3"
_HOST_NAME = re.compile(r"^(?P<name>[a-z0-9][a-z0-9-]{1,43}[a-z0-9])-(?P<account>\d{12})$")
_ARN = re.compile(r"^arn:[^:]+:s3-object-lambda:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
                  r"accesspoint/(?P<name>[^/]+)$")
_SUPPORTING = re.compile(r"^arn:[^:]+:s3:([a-z0-9-]+):(\d{12}):accesspoint/(.+)$")
PRESIGN_SECONDS = 61  # the inputS3Url is short-lived, as AWS's is
# The headers WriteGetObjectResponse may set, as GetObject's output members of the same name.
_PASSED = ("AcceptRanges", "CacheControl", "ContentDisposition", "ContentEncoding", "ContentLanguage",
           "ContentLength", "ContentRange", "ContentType", "ChecksumCRC32", "ChecksumCRC32C", "ChecksumCRC64NVME",
           "ChecksumSHA1", "ChecksumSHA256", "DeleteMarker", "ETag", "Expires", "Expiration", "LastModified",
           "MissingMeta", "Metadata", "ObjectLockMode", "ObjectLockLegalHoldStatus", "ObjectLockRetainUntilDate",
           "PartsCount", "ReplicationStatus", "RequestCharged", "Restore", "ServerSideEncryption",
           "SSECustomerAlgorithm", "SSEKMSKeyId", "SSECustomerKeyMD5", "StorageClass", "TagCount", "VersionId",
           "BucketKeyEnabled")


def lambda_error(code: str, message: str, status: int) -> ServiceError:
    return ServiceError(code, message, status, sender_fault=status < 500)


def named(runtime, ctx: "RequestContext", name: str) -> dict | None:
    """The Object Lambda access point a bucket name stands for, or None."""
    control = runtime.provider("s3control")
    if control is None:
        return None
    if name.endswith(OL_ALIAS_SUFFIX):
        return control.object_lambda_by_alias(name)
    m = _HOST_NAME.match(name)
    region = ctx.region
    if m is None:
        m = _ARN.match(name) if name.startswith("arn:") else None
        if m is None:
            return None
        region = m["region"]
    return control.object_lambda_access_point(m["account"], region, m["name"])


class Pending:
    """GetObject requests waiting for their function's WriteGetObjectResponse, by token."""

    def __init__(self):
        self.waiting: dict[str, tuple[str, asyncio.Future]] = {}

    def open(self, route: str) -> tuple[str, asyncio.Future]:
        token = secrets.token_urlsafe(48)
        future = asyncio.get_running_loop().create_future()
        self.waiting[token] = (route, future)
        return token, future

    def close(self, token: str) -> None:
        self.waiting.pop(token, None)


def _presign(endpoint: str, bucket: str, key: str, region: str, access_key: str, now: float) -> str:
    """A SigV4 query-string GetObject URL, path-style against nubis."""
    t = _dt.datetime.fromtimestamp(now, _dt.timezone.utc)
    amz_date, day = t.strftime("%Y%m%dT%H%M%SZ"), t.strftime("%Y%m%d")
    host = endpoint.split("://", 1)[1]
    path = f"/{bucket}/{quote(key, safe='/~')}"
    scope = f"{day}/{region}/s3/aws4_request"
    query = {"X-Amz-Algorithm": "AWS4-HMAC-SHA256", "X-Amz-Credential": f"{access_key}/{scope}",
             "X-Amz-Date": amz_date, "X-Amz-Expires": str(PRESIGN_SECONDS), "X-Amz-SignedHeaders": "host"}
    canonical_query = "&".join(f"{quote(k, safe='~')}={quote(v, safe='~')}" for k, v in sorted(query.items()))
    creq = "\n".join(["GET", path, canonical_query, f"host:{host}\n", "host", "UNSIGNED-PAYLOAD"])
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(creq.encode()).hexdigest()])
    k = b"AWS4test"  # nubis's default secret: signatures are checked only when IAM is enforced
    for part in (day, region, "s3", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    return f"{endpoint}{path}?{canonical_query}&X-Amz-Signature={signature}"


async def get_object(s3, ctx: "RequestContext", params: dict, olap: dict) -> dict:
    if olap["Account"] != ctx.account and not ctx.internal:
        raise ServiceError("AccessDenied", "Access Denied", 403)
    config = olap["Configuration"]
    supporting = config["SupportingAccessPoint"]
    control = s3.runtime.provider("s3control")
    m = _SUPPORTING.match(supporting)
    ap = control.access_point(m[2], m[1], m[3]) if m else None
    if ap is None:
        raise ServiceError("NoSuchBucket", "The specified bucket does not exist", 404, BucketName=params["Bucket"])
    transformation = next((t for t in config["TransformationConfigurations"] if "GetObject" in t["Actions"]), None)
    if transformation is None:  # no transformation: the supporting access point answers
        out = s3.get_object(ctx, {**params, "Bucket": ap.alias})
        return await out if asyncio.iscoroutine(out) else out
    function = transformation["ContentTransformation"]["AwsLambda"]
    route = f"io-{olap['Region'].replace('-', '')[:4]}-001"
    token, future = s3.object_lambda_pending.open(route)
    try:
        access_key = ctx.access_key or ctx.account
        input_url = _presign(s3.config.endpoint, ap.alias, params["Key"], olap["Region"], access_key,
                             s3.clock.now())
        olap_arn = f"arn:aws:s3-object-lambda:{olap['Region']}:{olap['Account']}:accesspoint/{olap['Name']}"
        request = ctx.request
        headers = {}
        for h in ("Host", "Accept-Encoding", "Range", "X-Amz-Content-SHA256"):
            value = request.headers.get(h) if request is not None else None
            if value is not None:
                headers[h] = value
        user_url = f"{s3.config.endpoint}/{quote(params['Key'], safe='/~')}"
        event = {
            "xAmzRequestId": ctx.request_id,
            "getObjectContext": {"inputS3Url": input_url, "outputRoute": route, "outputToken": token},
            "configuration": {"accessPointArn": olap_arn, "supportingAccessPointArn": supporting,
                              "payload": function.get("FunctionPayload", "")},
            "userRequest": {"url": user_url, "headers": headers},
            "userIdentity": {"type": "IAMUser", "principalId": ctx.account, "arn": ctx.principal,
                             "accountId": ctx.account, "accessKeyId": access_key},
            "protocolVersion": "1.00",
        }
        try:
            result = await s3.internal.call("lambda", "Invoke", {
                "FunctionName": function["FunctionArn"], "Payload": json.dumps(event).encode()},
                account=olap["Account"], region=olap["Region"], principal="s3-object-lambda.amazonaws.com")
        except ServiceError as e:
            if e.code == "ResourceNotFoundException":
                raise lambda_error("LambdaNotFound", "The AWS Lambda function was not found.", 404) from None
            raise lambda_error("LambdaInvocationFailed", "Lambda function invocation failed.", 400) from None
        if future.done():
            return _answer(ctx, future.result())
        if result.get("FunctionError"):
            raise lambda_error("LambdaRuntimeError", "The Lambda function failed during execution.", 500)
        raise lambda_error("LambdaResponseNotReceived",
                           "The Lambda function exited without successfully calling WriteGetObjectResponse.", 500)
    finally:
        s3.object_lambda_pending.close(token)


def _answer(ctx: "RequestContext", written: dict) -> dict:
    status = written.get("StatusCode") or 200
    if status >= 400:
        raise ServiceError(written.get("ErrorCode") or "LambdaError", written.get("ErrorMessage") or "", status,
                           sender_fault=status < 500)
    if status != 200:
        ctx.status = status
    out = {k: written[k] for k in _PASSED if k in written}
    out["Body"] = written["Body"]
    out["ContentLength"] = len(written["Body"])
    return out


async def write_get_object_response(s3, ctx: "RequestContext", params: dict) -> dict:
    waiting = s3.object_lambda_pending.waiting.get(params["RequestToken"])
    if waiting is None or waiting[0] != params["RequestRoute"] or waiting[1].done():
        await read_all(params.get("Body"))
        raise ServiceError("ValidationError", "The RequestToken is invalid or has expired.", 400)
    status = params.get("StatusCode")
    if status is not None and not 100 <= status <= 599:
        raise ServiceError("InvalidArgument", "StatusCode must be a valid HTTP status code.", 400)
    written = dict(params)
    written["Body"] = await read_all(params.get("Body"))
    if not waiting[1].done():
        waiting[1].set_result(written)
    return {}
