"""The gateway's auth step, when IAM enforcement is on (``NUBIS_ENFORCE_IAM=1``).

For a routed and parsed request: authenticate it (SigV4 in the header or the
query, S3's SigV2; unsigned is anonymous), set ``ctx.principal`` and
``ctx.account`` from its access key, then let the service's authorizer decide
(S3: ``services/s3/authz.py``; most services: a table read by
``generic_authz.py``). A service without an authorizer lets every signed
caller in and answers an unsigned request ``MissingAuthenticationToken``.

Calls through the internal client never come here: they are trusted.
"""
from __future__ import annotations

import hashlib
import importlib
import time
import weakref
from dataclasses import dataclass
from typing import Callable

from ..protocol import models
from ..protocol.errors import ServiceError
from . import errors, sigv2, sigv4
from .credentials import Credential, Resolver
from .policy import Request, role_of_session

# service -> "module:function" of its authorizer: fn(runtime, ctx, params, caller).
AUTHORIZERS: dict[str, str] = {"s3": "nubis.services.s3.authz:authorize",
                               "iam": "nubis.services.iam.authz:authorize",
                               "sts": "nubis.services.sts.authz:authorize",
                               "sqs": "nubis.auth.actions:authorize_sqs",
                               "sns": "nubis.auth.actions:authorize_sns",
                               "lambda": "nubis.auth.actions:authorize_lambda",
                               "kms": "nubis.services.kms.authz:authorize",
                               # The services whose authorization is a table (auth/action_data/).
                               **{s: "nubis.auth.generic_authz:authorize" for s in (
                                   "dynamodb", "dynamodbstreams", "kinesis", "firehose", "events", "scheduler",
                                   "stepfunctions", "logs", "secretsmanager", "ssm", "s3control", "schemas")}}
_loaded: dict[str, Callable] = {}
_resolvers: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


# (weakref to a runtime, its resolver): the one asked on every request. One tuple,
# replaced whole, so that servers in two threads never pair one's runtime with the other's.
_last_resolver: tuple = (lambda: None, None)


def resolver(runtime) -> Resolver:
    """The access key resolver of a running nubis (see ``credentials.KEY_SERVICES``)."""
    global _last_resolver
    last = _last_resolver
    if last[0]() is runtime:
        return last[1]
    found = _resolvers.get(runtime)
    if found is None:
        c = runtime.config
        found = _resolvers[runtime] = Resolver(c.root_access_key_id, c.root_secret_access_key, c.default_account,
                                               runtime.provider)
    _last_resolver = (weakref.ref(runtime), found)
    return found


@dataclass(slots=True)
class Caller:
    """Who sent a request, as authentication found."""

    credential: Credential | None   # None: anonymous
    source_ip: str | None
    auth_type: str | None = None    # S3's s3:authType: REST-HEADER, REST-QUERY-STRING
    signature_version: str | None = None  # s3:signatureversion: AWS4-HMAC-SHA256, AWS
    signature_age_ms: int | None = None

    @property
    def anonymous(self) -> bool:
        return self.credential is None

    @property
    def account(self) -> str | None:
        return self.credential.account if self.credential else None

    def request(self, action: str, resource: str, now: float, keys: dict | None = None) -> Request:
        """A policy evaluation request with the global condition keys of this caller."""
        c = self.credential
        last = _last_keys
        if last[0] is c and last[1] == self.source_ip and last[2] == int(now):
            g = last[3].copy()
        else:
            g = _global_keys(c, self.source_ip, now)
        if keys:
            g.update({k.lower(): v for k, v in keys.items() if v is not None})
        return Request(action, resource, c.principal if c else None, c.account if c else None, keys=g)


# The global condition keys last made (credential, source IP, second, keys), one tuple replaced
# whole (safe across threads): a client's requests in one second share them. A credential is
# immutable; a changed principal (IAM, STS) comes as a new one.
_last_keys: tuple = (False, None, None, None)


def _global_keys(c: Credential | None, source_ip: str | None, now: float) -> dict:
    global _last_keys
    g: dict = {"aws:currenttime": _iso_time(now), "aws:epochtime": str(int(now)),
               "aws:securetransport": "false"}
    if source_ip:
        g["aws:sourceip"] = source_ip
    if c is not None:
        g["aws:principalaccount"] = c.account
        g["aws:principalarn"], g["aws:principaltype"] = _principal_keys(c.principal)
        g["aws:userid"] = c.user_id or c.account
        if c.username:
            g["aws:username"] = c.username
        tags = getattr(c, "principal_tags", None)  # aws:PrincipalTag/<key> (services/iam/provider.py)
        if tags:
            g.update(tags)
    else:
        g["aws:principaltype"] = "Anonymous"
    _last_keys = (c, source_ip, int(now), g)
    return g.copy()  # the kept one is never handed out: a request's keys may be added to


_last_time: tuple = (None, "")  # replaced whole: safe across threads


def _iso_time(now: float) -> str:
    """aws:CurrentTime, formatted once per second."""
    global _last_time
    second = int(now)
    last = _last_time
    if last[0] != second:
        last = _last_time = (second, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second)))
    return last[1]


_PRINCIPALS: dict[str, tuple[str, str]] = {}


def _principal_keys(principal: str) -> tuple[str, str]:
    """aws:PrincipalArn (a role session's is its role's ARN) and aws:PrincipalType, worked out once per principal."""
    found = _PRINCIPALS.get(principal)
    if found is None:
        if len(_PRINCIPALS) > 4096:
            _PRINCIPALS.clear()
        found = _PRINCIPALS[principal] = (role_of_session(principal) or principal, _principal_type(principal))
    return found


def _principal_type(arn: str) -> str:
    if arn.endswith(":root"):
        return "Account"
    if ":assumed-role/" in arn:
        return "AssumedRole"
    if ":federated-user/" in arn:
        return "FederatedUser"
    return "User"


_styles: dict[tuple, str] = {}


def style_of(service: str, protocol: str) -> str:
    """How the service's front end words authentication errors (see ``errors``)."""
    found = _styles.get((service, protocol))
    if found is None:
        found = _styles[(service, protocol)] = _style(service, protocol)
    return found


def _style(service: str, protocol: str) -> str:
    if service == "s3":
        return errors.S3
    if protocol in ("query", "ec2"):
        return errors.QUERY
    if protocol in ("json", "smithy-rpc-v2-cbor"):
        if models.load_service(service, protocol).metadata.get("awsQueryCompatible") is not None:
            return errors.QUERY
        return errors.JSON
    return errors.REST


def enforce(gateway, ctx, params: dict, route) -> None:
    """Authenticate and authorize one request; raise the AWS error that refuses it."""
    try:
        runtime = gateway.runtime
        found = _steps.get((ctx.service, ctx.protocol))
        if found is None:
            found = _steps[(ctx.service, ctx.protocol)] = (style_of(ctx.service, ctx.protocol),
                                                           _authorizer(ctx.service))
        style, authorize = found
        caller = authenticate(runtime, ctx.request, route, style, params)
        cred = caller.credential
        if cred is not None:
            ctx.principal = cred.principal
            ctx.account = cred.account
        if authorize is not None:
            authorize(runtime, ctx, params, caller)
        elif cred is None:
            raise errors.missing_token(style)
    except ServiceError as e:
        if ctx.request.stream is not None:
            # A refused upload's body is left unread (it may be gigabytes): the
            # connection can't carry another request after it.
            e.headers.append(("Connection", "close"))
        raise


# (service, protocol) -> (its error style, its authorizer or None)
_steps: dict[tuple, tuple] = {}


def _authorizer(service: str) -> Callable | None:
    target = AUTHORIZERS.get(service)
    if target is None:
        return None
    fn = _loaded.get(target)
    if fn is None:
        module, _, name = target.partition(":")
        fn = _loaded[target] = getattr(importlib.import_module(module), name)
    return fn


# -- authentication ------------------------------------------------------------------------


_V4_PREFIX = sigv4.ALGORITHM + " "


def authenticate(runtime, request, route, style: str, params: dict) -> Caller:
    headers = request.headers
    client = getattr(request, "client", None)
    source_ip = client[0] if client else None
    auth = headers.get("authorization")
    query = request.query_string
    if auth:
        if auth.startswith(_V4_PREFIX) or auth == sigv4.ALGORITHM:
            if style != errors.S3 and request.stream is None:  # the common case, straight through
                now = runtime.clock.now()
                found = sigv4.verify_sdk(request, auth, style, now, _credential, runtime)
                if found is not None:
                    return Caller(found[0], source_ip, "REST-HEADER", sigv4.ALGORITHM, int((now - found[1]) * 1000))
            sig = sigv4.from_header(auth, headers, style)
            return _v4(runtime, request, style, params, sig, source_ip)
        if auth.startswith("AWS ") and style == errors.S3:
            key, _, provided = auth[4:].rpartition(":")
            return _v2(runtime, request, route, key.strip(), provided.strip(), None, source_ip)
        if style == errors.S3:
            raise ServiceError("InvalidArgument", "Unsupported Authorization Type", 400,
                               ArgumentName="Authorization", ArgumentValue=auth)
        raise errors.incomplete(style, f"Unsupported AWS 'algorithm': '{auth.split(' ', 1)[0]}'")
    if "X-Amz-Credential" in query or "X-Amz-Signature" in query or "X-Amz-Algorithm" in query:
        sig = sigv4.from_query(dict(request.query), style)
        return _v4(runtime, request, style, params, sig, source_ip)
    if style == errors.S3 and "Signature" in query and "AWSAccessKeyId" in query:
        q = dict(request.query)
        if "Expires" not in q:
            raise ServiceError("AccessDenied", "Query-string authentication requires the Signature, Expires "
                               "and AWSAccessKeyId parameters", 403)
        return _v2(runtime, request, route, q["AWSAccessKeyId"], q.get("Signature", ""), q["Expires"], source_ip)
    return Caller(None, source_ip)


def _credential(runtime, style: str, access_key: str, token: str | None) -> Credential:
    cred = resolver(runtime).resolve(access_key)
    if cred is None:
        raise errors.invalid_access_key(style, access_key)
    if cred.session_token is not None or token is not None:
        if token != cred.session_token:
            raise errors.invalid_token(style)
        if cred.expires is not None and runtime.clock.now() > cred.expires:
            raise errors.expired_token(style)
    return cred


def _v4(runtime, request, style: str, params: dict, sig: sigv4.Signature, source_ip) -> Caller:
    cred = _credential(runtime, style, sig.access_key, sig.token)
    now = runtime.clock.now()
    signed_at = sigv4.parse_time(sig.amz_date)
    if not sig.presigned:  # a presigned URL's time is its X-Amz-Expires (checked by the gateway)
        sigv4.check_time(sig, now, style, signed_at)
    if style == errors.S3:
        payload = sigv4.s3_payload_hash(request, sig)
    elif request.stream is not None:
        payload = request.headers.get("x-amz-content-sha256")
        if payload is None:  # signed over the body's hash: the gateway reads it before the provider
            name = next((k for k, v in params.items() if v is request.stream), None)

            async def read_and_verify():
                pieces = await sigv4.read_signed(
                    request.stream, lambda digest: sigv4.verify(request, sig, cred.secret, digest, style))
                if name is not None:
                    params[name] = sigv4.replay(pieces)

            request.before_provider = read_and_verify
            return _caller(cred, source_ip, sig, now, signed_at)
    elif request.headers.get("x-amz-content-sha256") == sigv4.UNSIGNED:
        payload = sigv4.UNSIGNED
    else:
        payload = hashlib.sha256(request.body).hexdigest()
    key = sigv4.verify(request, sig, cred.secret, payload, style)
    if style == errors.S3 and not sig.presigned:
        _check_s3_payload(request, params, sig, key, payload)
    return _caller(cred, source_ip, sig, now, signed_at)


def _caller(cred: Credential, source_ip, sig: sigv4.Signature, now: float, signed_at: float | None) -> Caller:
    return Caller(cred, source_ip, "REST-QUERY-STRING" if sig.presigned else "REST-HEADER", sigv4.ALGORITHM,
                  int((now - signed_at) * 1000) if signed_at is not None else None)


def _check_s3_payload(request, params: dict, sig: sigv4.Signature, key: bytes, payload: str) -> None:
    """The body must be what ``x-amz-content-sha256`` says: its hash, or signed chunks."""
    if payload in sigv4.SIGNED_CHUNKS:
        # services/s3/chunked.py calls this per chunk as the body streams.
        request.chunk_verifier = sigv4.ChunkSignatures(key, sig)
    elif payload == sigv4.UNSIGNED or payload in sigv4.STREAMING:
        return
    elif request.stream is not None:
        for name, value in params.items():
            if value is request.stream:
                params[name] = sigv4.hashed_stream(value, payload)
                break
    elif request.body or payload != sigv4.EMPTY_SHA256:
        computed = hashlib.sha256(request.body).hexdigest()
        if computed != payload:
            raise sigv4.content_mismatch(payload, computed)


def _v2(runtime, request, route, access_key: str, provided: str, expires: str | None, source_ip) -> Caller:
    token = request.headers.get("x-amz-security-token") or dict(request.query).get("x-amz-security-token")
    cred = _credential(runtime, errors.S3, access_key, token)
    if expires is None:  # the header form: within 15 minutes of the clock, as SigV4
        stamp = request.headers.get("x-amz-date") or request.headers.get("date")
        amz_date = sigv4.http_date(stamp) if stamp else None
        if amz_date is None:
            raise ServiceError("AccessDenied", "AWS authentication requires a valid Date or x-amz-date header", 403)
        sigv4.check_time(sigv4.Signature(access_key, amz_date[:8], "", "s3", [], provided, amz_date, False, token),
                         runtime.clock.now(), errors.S3)
    bucket_host = route.host.name if route.host.kind == "s3" and route.host.name else None
    sigv2.verify(request, bucket_host, access_key, provided, cred.secret, expires)
    return Caller(cred, source_ip, "REST-QUERY-STRING" if expires is not None else "REST-HEADER", "AWS")
