"""Find (service, operation) for a request, as AWS's front ends would.

In order: the Host (S3 virtual hosts and data-plane names), ``X-Amz-Target``
(json), the smithy-rpc-v2-cbor path, the SigV4 credential scope (header or
presigned query), the ``Action`` of query requests, and the REST path
templates of the candidate services' models. An unsigned request with none of
these is S3's, as on AWS.
"""
from __future__ import annotations

import functools
import re
from collections import defaultdict
from dataclasses import dataclass

from ..protocol import models
from ..protocol.errors import ServiceError
from ..protocol.rest import undecoded, uri_template
from ..protocol.wire import HttpRequest
from ..services.s3 import browser_post
from .hosts import NONE, HostInfo, HostParser

_SCOPE = re.compile(r"Credential=([^/,\s]*)/(\d{8})/([^/]+)/([^/]+)/aws4_request")
_CBOR_PATH = re.compile(r"^/service/([^/]+)/operation/([^/?]+)$")


@dataclass
class Route:
    service: str | None = None
    operation: str | None = None  # None: a data-plane request (see ``data_plane``)
    protocol: str | None = None
    uri_params: dict | None = None
    data_plane: str | None = None  # "s3-website", "execute-api", "cloudfront", "lambda-url"
    host: HostInfo = NONE  # (frozen: one shared instance)
    access_key: str | None = None
    region: str | None = None
    signing_name: str | None = None
    candidates: list[str] | None = None  # query services the request may be for

    def copy(self) -> "Route":
        clone = Route.__new__(Route)
        clone.__dict__.update(self.__dict__)
        return clone


def unknown_service(detail: str) -> ServiceError:
    return ServiceError("UnknownService", f"nubis could not tell which AWS service this request is for: {detail}",
                        status=400)


def unknown_operation(service: str, detail: str) -> ServiceError:
    return ServiceError("UnknownOperationException",
                        f"nubis found no {service} operation for this request: {detail}", status=404)


@functools.cache
def _by_signing_name() -> dict[str, list[str]]:
    out = defaultdict(list)
    for service, entry in models.service_index().items():
        out[entry["signingName"]].append(service)
        if entry.get("endpointPrefix") and entry["endpointPrefix"] != entry["signingName"]:
            out[entry["endpointPrefix"]].append(service)
    out["s3-object-lambda"].append("s3")  # Object Lambda access points and WriteGetObjectResponse
    # The service named like the signing name is the first choice on a tie.
    for name, services in out.items():
        services.sort(key=lambda s: (s != name, s))
    return dict(out)


@functools.cache
def _by_target_prefix() -> dict[str, list[str]]:
    out = defaultdict(list)
    for service, entry in models.service_index().items():
        if entry.get("targetPrefix"):
            out[entry["targetPrefix"]].append(service)
    return dict(out)


@functools.cache
def _query_services() -> list[str]:
    return [s for s, e in models.service_index().items() if {"query", "ec2"} & set(e["protocols"])]


class RestRoutes:
    """A service's REST operations, most specific first.

    Operations that share a method and path are told apart by the literal
    query of their ``requestUri`` (``?uploads``, ``?operation=batch-delete``)
    and by their required query parameters and headers (S3's ``uploadId``,
    ``x-amz-copy-source``), as the service's front end does.
    """

    def __init__(self, service: str, protocol: str):
        model = models.load_service(service, protocol)
        self.by_method: dict[str, list] = defaultdict(list)
        for name in model.operation_names:
            op = model.operation_model(name)
            tpl = uri_template(op)
            need_query, need_headers = [], []
            if op.input_shape is not None:
                for key in op.input_shape.required_members:
                    member = op.input_shape.members[key]
                    loc = member.serialization.get("location")
                    if loc == "querystring" and member.type_name != "map":
                        need_query.append(member.serialization.get("name", key))
                    elif loc == "header":
                        need_headers.append(member.serialization.get("name", key).lower())
            literal = sum(1 for k, _ in tpl.literal_query if k != "x-id")
            score = (tpl.score[0], literal + len(need_query) + len(need_headers), tpl.score[2],
                     not op.deprecated)
            self.by_method[op.http.get("method", "POST")].append((score, tpl, need_query, need_headers, name))
        for routes in self.by_method.values():
            routes.sort(key=lambda r: r[0], reverse=True)
        # Where every path of a method is made of labels only (S3: /, /{Bucket},
        # /{Bucket}/{Key+}), which operation a request is depends only on its
        # method, the shape of its path, the query keys (and literal values)
        # and the required headers present: the choice is kept per such key.
        every = [r for routes in self.by_method.values() for r in routes]
        self._memo: dict = {}
        self._memo_methods = {m for m, routes in self.by_method.items() if all(r[1].labels_only for r in routes)}
        self._query_keys = frozenset(k for r in every for k, _ in r[1].literal_query) | frozenset(
            q for r in every for q in r[2])
        self._literal_valued = frozenset(k for r in every for k, v in r[1].literal_query if v)
        self._header_keys = tuple(sorted({h for r in every for h in r[3]}))
        self._raw_header_keys = tuple(h.encode("latin-1") for h in self._header_keys)
        # The literal start every path of a method shares, when none is bare "/".
        self._prefixes = {}
        for m, routes in self.by_method.items():
            starts = {r[1].path.split("{", 1)[0] for r in routes}
            if all(len(p) > 1 for p in starts):
                self._prefixes[m] = tuple(sorted(starts))

    def match(self, method: str, path: str, query: dict[str, str], headers):
        if method not in self._memo_methods:
            return self._match(method, path, query, headers)
        raw = undecoded(headers)
        key = (method, min(path.count("/", 1), 2), path.endswith("/") and len(path) > 1,
               tuple(sorted((k, query[k] if k in self._literal_valued else None)
                            for k in query if k in self._query_keys)) if query else (),
               tuple(map(raw.__contains__, self._raw_header_keys)) if raw is not None else
               tuple(map(headers.__contains__, self._header_keys)))
        route = self._memo.get(key)
        if route is not None:
            score, tpl, name = route
            params = tpl.match(path, query)
            if params is not None:
                return name, params, score
        found = self._match(method, path, query, headers)
        if found is not None and len(self._memo) < 4096:
            name, _, score = found
            tpl = next(r[1] for r in self.by_method[method] if r[4] == name)
            self._memo[key] = (score, tpl, name)
        return found

    def _match(self, method: str, path: str, query: dict[str, str], headers):
        prefixes = self._prefixes.get(method)
        if prefixes and not path.startswith(prefixes):
            return None  # S3 Control's /v20180820/... can't be an S3 bucket's path
        routes = self.by_method.get(method, ())
        for score, tpl, need_query, need_headers, name in routes:
            if any(q not in query for q in need_query):
                continue
            # A required header tells operations on the same path apart (PutObject and
            # CopyObject); a literal query key (S3's ?attributes) names the operation itself,
            # which then answers its missing header as S3 does.
            if any(h not in headers for h in need_headers) and not any(k != "x-id" for k, _ in tpl.literal_query):
                continue
            params = tpl.match(path, query)
            if params is not None:
                return name, params, score
        # A request missing a required parameter still goes to its operation,
        # which then answers with the validation error a client expects.
        for score, tpl, _, _, name in routes:
            params = tpl.match(path, query)
            if params is not None:
                return name, params, score
        return None


@functools.cache
def rest_routes(service: str, protocol: str) -> RestRoutes:
    return RestRoutes(service, protocol)


@functools.cache
def _by_kind(candidates: tuple) -> tuple[tuple, tuple]:
    """Of the candidate services: the REST ones (with their protocol and
    routes) and the query/ec2 ones."""
    index = models.service_index()
    rest = []
    for s in candidates:
        protocol = next((p for p in index[s]["protocols"] if p in ("rest-json", "rest-xml")), None)
        if protocol is not None:
            rest.append((s, protocol, rest_routes(s, protocol)))
    query = tuple(s for s in candidates if {"query", "ec2"} & set(index[s]["protocols"]))
    return tuple(rest), query


@functools.cache
def _operation_names(service: str, protocol: str | None = None) -> frozenset:
    return frozenset(models.load_service(service, protocol).operation_names)


class Router:
    def __init__(self, hostname: str = "localhost"):
        self.hosts = HostParser(hostname)
        # X-Amz-Target requests signed with the same scope to the same host
        # route alike: the answer is kept (and shared: callers don't mutate it).
        self._target_routes: dict[tuple, Route] = {}
        self._form_routes: dict[tuple, Route] = {}
        self._actions: dict[tuple, tuple[str, str]] = {}
        self._scopes: dict[str, tuple] = {}
        self._rest_prefixes: dict[tuple, tuple] = {}

    def route(self, request: HttpRequest) -> Route:
        """Everything but query-protocol routing that needs the form body."""
        headers = request.headers
        target = headers.get("x-amz-target")
        if target:
            auth = headers.get("authorization") or ""
            i = auth.find("Credential=")
            if i >= 0:
                key = (target, headers.get("host", ""), auth[i:auth.find(",", i)])
                route = self._target_routes.get(key)
                if route is None:
                    route = self._route(request)
                    if len(self._target_routes) < 4096:
                        self._target_routes[key] = route
                return route
            return self._route(request)
        auth = headers.get("authorization")
        if auth and request.method == "POST":
            # Signed form posts (query protocol) route alike by host and scope
            # until their Action is read; the copy is finished by resolve_query.
            i = auth.find("Credential=")
            if i >= 0:
                key = (headers.get("host", ""), auth[i:auth.find(",", i)], headers.get("content-type"),
                       request.path, request.query_string)
                route = self._form_routes.get(key)
                if route is None:
                    route = self._route(request)
                    if route.protocol not in ("query", "ec2") or route.operation is not None:
                        return route
                    if len(self._form_routes) < 4096:
                        self._form_routes[key] = route
                return route.copy()
        return self._route(request, auth)

    def _route(self, request: HttpRequest, auth: str | None = None) -> Route:
        """``auth``: the Authorization header when the caller has it already."""
        headers = request.headers
        # A SigV4-signed REST request (not a form POST, preflight, X-Amz-Target
        # or smithy request): what its host and credential scope say (the
        # candidate services) is kept per (host, scope); only its path, query
        # and headers are matched each time.
        prefix_key = None
        if auth is None:
            auth = headers.get("authorization")
        if auth and request.method not in ("POST", "OPTIONS") and "x-amz-target" not in headers \
                and "smithy-protocol" not in headers:
            i = auth.find("Credential=")
            if i >= 0:
                j = auth.find(",", i)
                prefix_key = (headers.get("host", ""), auth[i:j] if j > 0 else auth[i:],
                              "x-amz-account-id" in headers)
                hit = self._rest_prefixes.get(prefix_key)
                if hit is not None:
                    host, access_key, region, signing_name, candidates = hit
                    route = Route(host=host, access_key=access_key, region=region, signing_name=signing_name)
                    return self._by_protocol(request, route, candidates)
        route = Route(host=self.hosts.parse(headers.get("host", "")))
        self._scope(request, route)
        kind = route.host.kind
        if kind in ("s3-website", "execute-api", "cloudfront", "lambda-url"):
            route.data_plane = kind
            return route
        if request.method == "OPTIONS" and kind in (None, "s3", "s3-path", "service") and route.signing_name in (
                None, "s3"):  # (a presigned URL's preflight carries its query)
            route.service, route.data_plane = "s3", "s3-preflight"  # a browser's CORS preflight (OPTIONS object)
            return route

        target = headers.get("x-amz-target")
        if target:
            prefix, _, op = target.rpartition(".")
            candidates = _by_target_prefix().get(prefix)
            if not candidates:
                raise unknown_service(f"X-Amz-Target {target!r}")
            route.service = self._pick(candidates, route, lambda s: op in _operation_names(s))
            route.operation, route.protocol = op, "json"
            return route

        if headers.get("smithy-protocol") == "rpc-v2-cbor":
            m = _CBOR_PATH.match(request.path)
            if m:
                candidates = _by_target_prefix().get(m.group(1))
                if not candidates:
                    raise unknown_service(f"smithy service {m.group(1)!r}")
                route.service = self._pick(candidates, route, lambda s: m.group(2) in _operation_names(s))
                route.operation, route.protocol = m.group(2), "smithy-rpc-v2-cbor"
                return route

        if kind == "service" and route.signing_name in ("s3", "s3-object-lambda") \
                and route.host.name not in ("s3", "s3-control") \
                and "x-amz-account-id" not in headers:
            # ``<bucket>.localhost``: what SDKs build for virtual-host addressing
            # against a custom endpoint (``<account>.localhost`` with the header
            # is S3 Control's ``{AccountId}.`` host prefix).
            route.host = HostInfo("s3", route.host.name, route.host.region)
            kind = "s3"
        if request.method == "POST" and browser_post.route(request, route):
            return route  # an HTML form upload to a bucket (S3 POST Object)
        if kind in ("s3", "s3-path"):
            candidates = ["s3"]
        elif route.signing_name:
            candidates = _by_signing_name().get(route.signing_name)
            if not candidates:
                raise unknown_service(f"signing name {route.signing_name!r}")
        else:
            candidates = None
        # (kept only when the scope came from the credential alone, see _scope)
        if prefix_key is not None and prefix_key[1] in self._scopes and len(self._rest_prefixes) < 4096:
            self._rest_prefixes[prefix_key] = (route.host, route.access_key, route.region, route.signing_name,
                                               candidates)
        return self._by_protocol(request, route, candidates)

    # -- pieces -------------------------------------------------------------------

    def _scope(self, request: HttpRequest, route: Route) -> None:
        auth = request.headers.get("authorization")
        if auth:
            # The scope is read once per credential (``Credential=.../aws4_request``,
            # up to its comma), not searched for in every signature.
            i = auth.find("Credential=")
            if i >= 0:
                j = auth.find(",", i)
                credential = auth[i:j] if j > 0 else auth[i:]
                found = self._scopes.get(credential)
                if found is None:
                    m = _SCOPE.match(credential)
                    if m is not None:
                        found = m.groups()
                        if len(self._scopes) < 4096:
                            self._scopes[credential] = found
                if found is not None:
                    route.access_key, _, route.region, route.signing_name = found
                    return
        m = _SCOPE.search(auth) if auth else None
        if m:
            route.access_key, _, route.region, route.signing_name = m.groups()
            return
        if "X-Amz-Credential" in request.query_string:
            cred = dict(request.query).get("X-Amz-Credential", "")
            parts = cred.split("/")
            if len(parts) == 5:
                route.access_key, _, route.region, route.signing_name, _ = parts
            return
        if auth and auth.startswith("AWS "):  # SigV2 (S3's old clients)
            route.access_key = auth[4:].split(":", 1)[0]
            route.signing_name = "s3"
        elif "AWSAccessKeyId" in request.query_string:
            route.access_key = dict(request.query).get("AWSAccessKeyId")
            if "Signature" in request.query_string and "Action" not in request.query_string:
                route.signing_name = "s3"

    def _pick(self, candidates: list[str], route: Route, fits) -> str:
        if len(candidates) == 1:
            return candidates[0]
        hint = route.host.name if route.host.kind == "service" else None
        fitting = [s for s in candidates if fits(s)] or candidates
        for s in fitting:
            if s == hint or s == route.signing_name:
                return s
        return fitting[0]

    def _by_protocol(self, request: HttpRequest, route: Route, candidates: list[str] | None) -> Route:
        if candidates is None:
            # Unsigned: a query Action, else S3 (path style), as AWS would.
            if "Action=" in request.query_string or _is_form(request):
                route.protocol = "query"
                return route
            candidates = ["s3"]
        rest, query = _by_kind(tuple(candidates))
        if query and (_is_form(request) or "Action=" in request.query_string or not rest):
            route.protocol = "query"
            route.candidates = list(query)
            return route
        path = request.path
        if route.host.kind == "s3" and route.host.name:
            path = "/" + route.host.name + (path if path != "/" else "")
        query = dict(request.query)
        method, headers = request.method, request.headers
        best = None
        for service, protocol, routes in rest:
            prefixes = routes._prefixes.get(method)
            if prefixes and not path.startswith(prefixes):
                continue  # (S3 Control's /v20180820/... for an S3 bucket's path)
            found = routes.match(method, path, query, headers)
            if found and (best is None or found[2] > best[3]):
                best = (service, protocol, found[0], found[2], found[1])
        if best is None:
            service = rest[0][0] if rest else candidates[0]
            raise unknown_operation(service, f"{request.method} {request.path}")
        route.service, route.protocol, route.operation, _, route.uri_params = best
        return route

    def resolve_query(self, request: HttpRequest, route: Route) -> None:
        """Finish routing a query/ec2 request once its form is read."""
        params = dict(request.form)
        action = params.get("Action")
        if not action:
            raise ServiceError("MissingAction", "Missing Action", status=400)
        version = params.get("Version")
        key = (tuple(route.candidates or ()), route.host.kind, route.host.name, route.signing_name, action, version)
        found = self._actions.get(key)
        if found is not None:
            route.service, route.protocol = found
            route.operation = action
            return
        self._resolve_action(route, action, version)
        if len(self._actions) < 4096:
            self._actions[key] = (route.service, route.protocol)

    def _resolve_action(self, route: Route, action: str, version: str | None) -> None:
        candidates = route.candidates or _query_services()
        index = models.service_index()

        def fits(s):
            try:
                return action in _operation_names(s, _query_protocol(index[s]))
            except KeyError:
                return False

        fitting = [s for s in candidates if fits(s)]
        if version:
            fitting = [s for s in fitting if index[s].get("apiVersion") == version] or fitting
        if not fitting:
            service = candidates[0] if len(candidates) == 1 else None
            if service:
                raise ServiceError("InvalidAction",
                                   f"The action {action} is not valid for this web service.", status=400)
            raise unknown_service(f"Action {action!r}")
        route.service = self._pick(fitting, route, lambda s: True)
        route.protocol = _query_protocol(index[route.service])
        route.operation = action


def _query_protocol(entry: dict) -> str:
    return "ec2" if "ec2" in entry["protocols"] else "query"


def _is_form(request: HttpRequest) -> bool:
    return request.method == "POST" and "x-www-form-urlencoded" in request.headers.get("content-type", "")


