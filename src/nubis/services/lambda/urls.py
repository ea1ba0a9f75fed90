"""Function URLs: their configuration (Create/Get/Update/Delete/ListFunctionUrlConfig(s))
and their data plane, ``http://<url-id>.lambda-url.<region>.<base>:<port>/``.

A request to a URL becomes a payload format 2.0 event (the developer guide's
"Request and response payloads"), the function runs synchronously, and its
answer becomes the HTTP response: a dict with ``statusCode`` is taken as the
response itself; any other JSON is a 200 ``application/json`` body. CORS from
the configuration answers preflights and marks responses. With
``InvokeMode: RESPONSE_STREAM`` the body goes out as the function streams it.
"""
from __future__ import annotations

import base64
import datetime as _dt
import json
import secrets
import string

from ...auth import errors as auth_errors
from ...auth import policy
from ...gateway.hosts import LOCALSTACK_BASE
from ...protocol.errors import ServiceError
from ...protocol.wire import HttpResponse, uuid4_text
from ..base import RequestContext
from . import validation as v
from .settings_store import UrlRow
from .streaming import StreamedRun

_URL_ID_CHARS = string.ascii_lowercase + string.digits
_TEXT_TYPES = ("text/", "application/json", "application/javascript", "application/xml",
               "application/x-www-form-urlencoded", "application/graphql")
HTTP_INTEGRATION = "application/vnd.awslambda.http-integration-response"
_DELIMITER = b"\x00" * 8
MAX_URL_BODY = 6 * 1024 * 1024
URL_ACTIONS = ("lambda:InvokeFunctionUrl", "lambda:InvokeFunction")


def _iso(t: float) -> str:
    return _dt.datetime.fromtimestamp(t, _dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _json_response(status: int, doc: dict, error_type: str | None = None) -> HttpResponse:
    headers = [("Content-Type", "application/json"), ("x-amzn-RequestId", uuid4_text())]
    if error_type:
        headers.append(("x-amzn-ErrorType", error_type))
    return HttpResponse(status, headers, json.dumps(doc).encode())


def _forbidden() -> HttpResponse:
    return _json_response(403, {"Message": "Forbidden"}, "AccessDeniedException")


def _bad_gateway() -> HttpResponse:
    return HttpResponse(502, [("Content-Type", "application/json"), ("x-amzn-RequestId", uuid4_text())],
                        b"Internal Server Error")


class UrlsMixin:
    # -- configuration ----------------------------------------------------------------------

    def _url_target(self, ctx: RequestContext, params: dict):
        fn, qualifier = self.function(ctx, params["FunctionName"], params.get("Qualifier"))
        if qualifier and (qualifier == "$LATEST" or qualifier.isdigit()):
            raise v.validation("qualifier", qualifier, "satisfy regular expression pattern: "
                                                       "((?!^\\d+$)^[0-9a-zA-Z-_]+$)")
        if qualifier:
            self.resolve(ctx, fn, qualifier)  # the alias must exist
        return fn, qualifier or ""

    @staticmethod
    def _check_url_members(params: dict) -> None:
        if "AuthType" in params and params["AuthType"] not in ("NONE", "AWS_IAM"):
            raise v.validation("authType", params["AuthType"], "satisfy enum value set: [NONE, AWS_IAM]")
        if params.get("InvokeMode") is not None and params["InvokeMode"] not in ("BUFFERED", "RESPONSE_STREAM"):
            raise v.validation("invokeMode", params["InvokeMode"], "satisfy enum value set: [BUFFERED, "
                                                                   "RESPONSE_STREAM]")
        cors = params.get("Cors") or {}
        if "MaxAge" in cors and not 0 <= int(cors["MaxAge"]) <= 86400:
            raise v.validation("cors.maxAge", cors["MaxAge"], "have value less than or equal to 86400")
        for method in cors.get("AllowMethods") or []:
            if len(method) > 6:
                raise v.validation("cors.allowMethods", cors["AllowMethods"],
                                   "have length less than or equal to 6")

    def _url_base(self, ctx: RequestContext) -> tuple[str, str]:
        """(base host name, ":port") for URLs, from the Host the client used for the API."""
        host = ctx.request.headers.get("host", "") if ctx.request is not None else ""
        name, _, port = host.rpartition(":") if host.count(":") == 1 else (host, "", "")
        name = name.lower()
        base = self.config.hostname
        for known in (LOCALSTACK_BASE, base):
            if name == known or name.endswith("." + known):
                base = known
                break
        return base, f":{port or self.config.port}"

    def _url_doc(self, fn, qualifier: str, url_id: str, ctx: RequestContext) -> dict:
        base, port = self._url_base(ctx)
        return {"FunctionUrl": f"http://{url_id}.lambda-url.{fn.region}.{base}{port}/",
                "FunctionArn": fn.arn + (f":{qualifier}" if qualifier else "")}

    def create_function_url_config(self, ctx: RequestContext, params: dict) -> dict:
        fn, qualifier = self._url_target(ctx, params)
        self._check_url_members(params)
        if self.settings_store.url(fn.account, fn.region, fn.name, qualifier) is not None:
            arn = fn.arn + (f":{qualifier}" if qualifier else "")
            raise v.conflict(f"Failed to create function url config for [functionArn = {arn}]. Error message:  "
                             "FunctionUrlConfig exists for this Lambda function")
        url_id = "".join(secrets.choice(_URL_ID_CHARS) for _ in range(32))
        now = _iso(self.clock.now())
        doc = {"AuthType": params["AuthType"], "CreationTime": now, "LastModifiedTime": now,
               "InvokeMode": params.get("InvokeMode") or "BUFFERED"}
        if params.get("Cors"):
            doc["Cors"] = dict(params["Cors"])
        self.settings_store.save_url(UrlRow(fn.account, fn.region, fn.name, qualifier, url_id, doc))
        out = self._url_doc(fn, qualifier, url_id, ctx)
        out.update({k: doc[k] for k in ("AuthType", "CreationTime", "InvokeMode")})
        if "Cors" in doc:
            out["Cors"] = doc["Cors"]
        return out

    def _url_row(self, ctx: RequestContext, params: dict) -> tuple:
        fn, qualifier = self._url_target(ctx, params)
        row = self.settings_store.url(fn.account, fn.region, fn.name, qualifier)
        if row is None:
            raise v.not_found("The resource you requested does not exist.")
        return fn, row

    def _url_answer(self, ctx: RequestContext, fn, row: UrlRow) -> dict:
        out = self._url_doc(fn, row.qualifier, row.url_id, ctx)
        out.update(row.doc)
        return out

    def get_function_url_config(self, ctx: RequestContext, params: dict) -> dict:
        fn, row = self._url_row(ctx, params)
        return self._url_answer(ctx, fn, row)

    def update_function_url_config(self, ctx: RequestContext, params: dict) -> dict:
        fn, row = self._url_row(ctx, params)
        self._check_url_members(params)
        doc = dict(row.doc)
        if params.get("AuthType"):
            doc["AuthType"] = params["AuthType"]
        if params.get("InvokeMode"):
            doc["InvokeMode"] = params["InvokeMode"]
        if "Cors" in params:
            if params["Cors"]:
                doc["Cors"] = dict(params["Cors"])
            else:
                doc.pop("Cors", None)
        doc["LastModifiedTime"] = _iso(self.clock.now())
        row = UrlRow(row.account, row.region, row.name, row.qualifier, row.url_id, doc)
        self.settings_store.save_url(row)
        return self._url_answer(ctx, fn, row)

    def delete_function_url_config(self, ctx: RequestContext, params: dict) -> dict:
        _, row = self._url_row(ctx, params)
        self.settings_store.delete_url(row)
        return {}

    def list_function_url_configs(self, ctx: RequestContext, params: dict) -> dict:
        fn, _ = self.function(ctx, params["FunctionName"], allow_qualifier=False)
        limit = params.get("MaxItems") or 50
        v.check_range("maxItems", limit, 1, 50)
        rows = self.settings_store.urls(fn.account, fn.region, fn.name)
        start = 0
        if params.get("Marker"):
            try:
                start = int(base64.urlsafe_b64decode(params["Marker"].encode()).decode())
            except (ValueError, UnicodeDecodeError):
                raise v.invalid("Invalid marker.") from None
        page = rows[start:start + limit]
        out = {"FunctionUrlConfigs": [self._url_answer(ctx, fn, r) for r in page]}
        if start + limit < len(rows):
            out["NextMarker"] = base64.urlsafe_b64encode(str(start + limit).encode()).decode()
        return out

    # -- the data plane -------------------------------------------------------------------------

    def data_plane(self, kind: str):
        """The gateway's hook: the handler of ``<url-id>.lambda-url.<region>.<base>`` hosts."""
        return self._url_request if kind == "lambda-url" else None

    async def _url_request(self, request, route) -> HttpResponse:
        row = self.settings_store.url_by_id(route.host.name or "")
        fn = self.store.get(row.account, row.region, row.name) if row is not None else None
        if fn is None:
            return _forbidden()
        doc = row.doc
        cors = doc.get("Cors")
        origin = request.headers.get("origin")
        if (cors and request.method == "OPTIONS" and origin
                and request.headers.get("access-control-request-method")):
            return self._preflight(cors, origin, request)
        authorizer = None
        if self.config.enforce_iam:
            found = self._url_caller(request, route, fn, row)
            if isinstance(found, HttpResponse):
                return found
            authorizer = found
        elif doc["AuthType"] == "AWS_IAM" and "authorization" in request.headers:
            authorizer = _iam_of_header(request, fn.account)
        if len(request.body or b"") > MAX_URL_BODY:
            return _json_response(413, {"Message": "Request must be smaller than 6291456 bytes for the "
                                                   "InvokeFunction operation"}, "RequestTooLargeException")
        event = self._url_event(request, row, fn.account, authorizer)
        try:
            version, cfg, blob = self.resolve(_owner_ctx(fn), fn, row.qualifier or None, route=True)
        except ServiceError:
            return _forbidden()
        arn = fn.arn + (f":{row.qualifier}" if row.qualifier else "")
        payload = json.dumps(event).encode()
        try:
            if doc.get("InvokeMode") == "RESPONSE_STREAM":
                response = await self._url_streamed(fn, version, cfg, blob, payload, arn)
            else:
                result = await self.run(fn, version, cfg, blob, payload, arn)
                response = _bad_gateway() if result.error_type else _mapped(result.payload)
        except ServiceError as e:
            if e.code == "TooManyRequestsException":
                response = _json_response(429, {"Message": "Rate Exceeded."}, "TooManyRequestsException")
            else:
                response = _bad_gateway()
        if cors:  # the URL's CORS replaces the function's own CORS headers
            response.headers = [(k, val) for k, val in response.headers
                                if not k.lower().startswith("access-control-")]
            if origin:
                response.headers += _cors_headers(cors, origin)
        return response

    # -- auth ----------------------------------------------------------------------------------

    def _url_caller(self, request, route, fn, row: UrlRow):
        """With IAM enforced: who calls (``authorizer.iam`` for AWS_IAM), or the 403 refusing them.
        The URL's auth type and the function's resource policy decide, as the developer
        guide's "Control access to Lambda function URLs" says: both ``lambda:InvokeFunctionUrl``
        and ``lambda:InvokeFunction`` (with ``lambda:InvokedViaFunctionUrl``) must be allowed."""
        from ...auth.enforce import authenticate

        auth_type = row.doc["AuthType"]
        resource = fn.arn + (f":{row.qualifier}" if row.qualifier else "")
        policies = [d for q in {"", row.qualifier} if (d := (fn.policy or {}).get(q))]
        keys = {"lambda:FunctionUrlAuthType": auth_type, "lambda:InvokedViaFunctionUrl": "true"}
        now = self.clock.now()
        if auth_type == "NONE":
            lowered = {k.lower(): val for k, val in keys.items()}
            allowed = all(policy.decide(policy.Request(action, resource, keys=lowered), policies, None, False)
                          for action in URL_ACTIONS)
            return None if allowed else _forbidden()
        try:
            caller = authenticate(self.runtime, request, route, auth_errors.REST, {})
        except ServiceError:
            return _forbidden()
        if caller.anonymous:
            return _forbidden()
        c = caller.credential
        same = c.account == fn.account
        if not all(policy.decide(caller.request(action, resource, now, keys), policies, c.policies, same)
                   for action in URL_ACTIONS):
            return _forbidden()
        return {"accessKey": c.access_key, "accountId": c.account, "callerId": c.user_id or c.account,
                "cognitoIdentity": None, "principalOrgId": None, "userArn": c.principal,
                "userId": c.user_id or c.account}

    # -- request and response ------------------------------------------------------------------------

    def _url_event(self, request, row: UrlRow, account: str, iam: dict | None) -> dict:
        now = self.clock.now()
        headers: dict[str, str] = {}
        cookies: list[str] = []
        for k, value in request.headers.items():
            if k == "cookie":
                cookies += [c.strip() for c in value.split(";") if c.strip()]
            else:
                headers[k] = value
        client = getattr(request, "client", None)
        source_ip = client[0] if client else "127.0.0.1"
        headers.setdefault("x-forwarded-for", source_ip)
        headers.setdefault("x-forwarded-proto", "http")
        host = request.headers.get("host", "")
        domain = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
        query: dict[str, str] = {}
        for k, value in request.query:
            query[k] = f"{query[k]},{value}" if k in query else value
        request_id = uuid4_text()
        event: dict = {"version": "2.0", "routeKey": "$default", "rawPath": request.path,
                       "rawQueryString": request.query_string, "headers": headers}
        if cookies:
            event["cookies"] = cookies
        if query:
            event["queryStringParameters"] = query
        event["requestContext"] = {
            "accountId": account,
            "apiId": row.url_id, "domainName": domain, "domainPrefix": row.url_id,
            "http": {"method": request.method, "path": request.path, "protocol": "HTTP/1.1", "sourceIp": source_ip,
                     "userAgent": request.headers.get("user-agent", "")},
            "requestId": request_id, "routeKey": "$default", "stage": "$default",
            "time": _dt.datetime.fromtimestamp(now, _dt.timezone.utc).strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now * 1000)}
        if iam is not None:
            event["requestContext"]["authorizer"] = {"iam": iam}
        body = request.body or b""
        text = _is_text(request.headers.get("content-type", ""), body)
        if body:
            event["body"] = body.decode("utf-8") if text else base64.b64encode(body).decode()
        event["isBase64Encoded"] = bool(body) and not text
        return event

    async def _url_streamed(self, fn, version, cfg, blob, payload, arn) -> HttpResponse:
        run = StreamedRun(self, fn, version, cfg, blob, payload, arn)
        await run.start()
        if not run.streamed:  # it answered at once: a buffered answer
            result = await run.result()
            return _bad_gateway() if result.error_type else _mapped(result.payload)
        chunks = run.chunks()
        status, headers, first = 200, [("Content-Type", run.content_type or "application/octet-stream")], b""
        if run.content_type == HTTP_INTEGRATION:
            # The prelude (status, headers, cookies) ends at 8 NUL bytes.
            buffered = b""
            async for chunk in chunks:
                buffered += chunk
                if _DELIMITER in buffered:
                    break
            prelude, _, first = buffered.partition(_DELIMITER)
            try:
                doc = json.loads(prelude or b"{}")
            except ValueError:
                doc = {}
            status, headers = _response_head(doc if isinstance(doc, dict) else {})

        async def body():
            if first:
                yield first
            async for chunk in chunks:
                yield chunk

        return HttpResponse(status, headers + [("x-amzn-RequestId", uuid4_text())], stream=body())

    @staticmethod
    def _preflight(cors: dict, origin: str, request) -> HttpResponse:
        headers = _cors_headers(cors, origin)
        if headers:
            methods = cors.get("AllowMethods") or []
            if methods:
                headers.append(("Access-Control-Allow-Methods", ",".join(methods)))
            if cors.get("AllowHeaders"):
                headers.append(("Access-Control-Allow-Headers", ",".join(cors["AllowHeaders"])))
            if cors.get("MaxAge") is not None:
                headers.append(("Access-Control-Max-Age", str(cors["MaxAge"])))
        return HttpResponse(200, headers + [("x-amzn-RequestId", uuid4_text())], b"")


def _owner_ctx(fn) -> RequestContext:
    return RequestContext(service="lambda", operation="InvokeFunctionUrl", account=fn.account, region=fn.region,
                          request_id="")


def _iam_of_header(request, account: str) -> dict | None:
    """Without enforcement, the caller a signed request names (its access key), unverified."""
    auth = request.headers.get("authorization", "")
    i = auth.find("Credential=")
    if i < 0:
        return None
    key = auth[i + len("Credential="):].split("/", 1)[0]
    caller = key if len(key) == 12 and key.isdigit() else account
    return {"accessKey": key, "accountId": caller, "callerId": caller, "cognitoIdentity": None,
            "principalOrgId": None, "userArn": f"arn:aws:iam::{caller}:root", "userId": caller}


def _is_text(content_type: str, body: bytes) -> bool:
    ctype = content_type.split(";", 1)[0].strip().lower()
    if ctype and not (ctype.startswith(_TEXT_TYPES) or ctype.endswith(("+json", "+xml"))):
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _response_head(doc: dict) -> tuple[int, list[tuple[str, str]]]:
    """The status and headers of a response document (statusCode, headers, cookies)."""
    status = int(doc.get("statusCode") or 200)
    if not 100 <= status <= 599:
        raise ValueError(status)
    headers = [(str(k), str(val)) for k, val in (doc.get("headers") or {}).items()]
    headers += [("Set-Cookie", str(c)) for c in doc.get("cookies") or []]
    return status, headers


def _mapped(payload: bytes) -> HttpResponse:
    """A buffered function answer as the HTTP response (the guide's "Response payload format")."""
    try:
        doc = json.loads(payload) if payload.strip() else None
    except ValueError:
        return _bad_gateway()
    request_id = ("x-amzn-RequestId", uuid4_text())
    if not isinstance(doc, dict) or "statusCode" not in doc:
        # Any other JSON: the function's answer is the body, as JSON.
        return HttpResponse(200, [("Content-Type", "application/json"), request_id], payload)
    try:
        status, headers = _response_head(doc)
    except (TypeError, ValueError):
        return _bad_gateway()
    body = doc.get("body")
    if body is None:
        data = b""
    elif not isinstance(body, str):
        data = json.dumps(body).encode()
    elif doc.get("isBase64Encoded"):
        try:
            data = base64.b64decode(body)
        except ValueError:
            return _bad_gateway()
    else:
        data = body.encode("utf-8")
    if not any(k.lower() == "content-type" for k, _ in headers):
        headers.append(("Content-Type", "application/json"))
    return HttpResponse(status, headers + [request_id], data)


def _cors_headers(cors: dict, origin: str) -> list[tuple[str, str]]:
    """The CORS headers of an answer to ``origin``, when the configuration allows it."""
    origins = cors.get("AllowOrigins") or []
    if "*" in origins:
        allowed = "*" if not cors.get("AllowCredentials") else origin
    elif origin in origins:
        allowed = origin
    else:
        return []
    headers = [("Access-Control-Allow-Origin", allowed)]
    if allowed != "*":
        headers.append(("Vary", "Origin"))
    if cors.get("AllowCredentials"):
        headers.append(("Access-Control-Allow-Credentials", "true"))
    if cors.get("ExposeHeaders"):
        headers.append(("Access-Control-Expose-Headers", ",".join(cors["ExposeHeaders"])))
    return headers
