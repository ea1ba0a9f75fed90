"""EventBridge connections and API destinations: the HTTP endpoints a rule can target, and the
authorization (API key, basic, OAuth client credentials) EventBridge adds to each call. The
secrets are kept in EventBridge's own store and never answered back.
"""
from __future__ import annotations

import re
import secrets
import uuid

from ..base import RequestContext
from . import store as S
from .common import RESOURCE_NAME, exists, not_found, page, public, resume_after, validation

AUTH_TYPES = ("BASIC", "OAUTH_CLIENT_CREDENTIALS", "API_KEY")
HTTP_METHODS = ("POST", "GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE")


class Connections:
    """The connection and API destination operations of the EventBridge provider."""

    # -- connections ---------------------------------------------------------------------------------------

    def create_connection(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Name"]
        if not RESOURCE_NAME.match(name):
            raise validation(f"Parameter Name is not valid. Reason: {name} is not a valid connection name.")
        if self.store.get(S.CONNECTION, ctx.account, ctx.region, name) is not None:
            raise exists(f"Connection {name} already exists.")
        auth_type = params["AuthorizationType"]
        self._check_auth(auth_type, params["AuthParameters"])
        now = self.clock.now()
        suffix = str(uuid.uuid4())
        doc = {"Name": name, "ConnectionArn": self._arn(ctx, f"connection/{name}/{suffix}"),
               "ConnectionState": "AUTHORIZED", "AuthorizationType": auth_type,
               "SecretArn": f"arn:aws:secretsmanager:{ctx.region}:{ctx.account}:secret:events!connection/{name}/"
                            f"{suffix}-{secrets.token_hex(3)}",
               "CreationTime": now, "LastModifiedTime": now, "LastAuthorizedTime": now,
               "_auth": params["AuthParameters"]}
        for key in ("Description", "InvocationConnectivityParameters", "KmsKeyIdentifier"):
            if params.get(key):
                doc[key] = params[key]
        with self.db.transaction():
            self.store.put(S.CONNECTION, ctx.account, ctx.region, name, doc["ConnectionArn"], doc)
        return {k: doc[k] for k in ("ConnectionArn", "ConnectionState", "CreationTime", "LastModifiedTime")}

    @staticmethod
    def _check_auth(auth_type: str, auth: dict) -> None:
        if auth_type not in AUTH_TYPES:
            raise validation(f"1 validation error detected: Value '{auth_type}' at 'authorizationType' failed to "
                             f"satisfy constraint: Member must satisfy enum value set: [{', '.join(AUTH_TYPES)}]")
        member = {"API_KEY": "ApiKeyAuthParameters", "BASIC": "BasicAuthParameters",
                  "OAUTH_CLIENT_CREDENTIALS": "OAuthParameters"}[auth_type]
        if not auth.get(member):
            raise validation(f"Parameter AuthParameters is not valid. Reason: {member} is required for "
                             f"authorization type {auth_type}.")

    @staticmethod
    def _redacted(auth: dict) -> dict:
        """AuthParameters as Describe answers them: no secrets."""
        out = {}
        if "ApiKeyAuthParameters" in auth:
            out["ApiKeyAuthParameters"] = {"ApiKeyName": auth["ApiKeyAuthParameters"].get("ApiKeyName")}
        if "BasicAuthParameters" in auth:
            out["BasicAuthParameters"] = {"Username": auth["BasicAuthParameters"].get("Username")}
        if "OAuthParameters" in auth:
            o = auth["OAuthParameters"]
            out["OAuthParameters"] = {k: o[k] for k in ("AuthorizationEndpoint", "HttpMethod") if k in o}
            out["OAuthParameters"]["ClientParameters"] = {"ClientID": (o.get("ClientParameters") or {}).get("ClientID")}
            http = o.get("OAuthHttpParameters")
            if http:
                out["OAuthParameters"]["OAuthHttpParameters"] = _redact_http(http)
        if "InvocationHttpParameters" in auth:
            out["InvocationHttpParameters"] = _redact_http(auth["InvocationHttpParameters"])
        return out

    def _connection(self, ctx: RequestContext, name: str) -> dict:
        doc = self.store.get(S.CONNECTION, ctx.account, ctx.region, name)
        if doc is None:
            raise not_found(f"Connection '{name}' does not exist.")
        return doc

    def connection_secret(self, arn: str) -> dict | None:
        found = self.store.by_arn(arn)
        if found is None or found[0] != S.CONNECTION:
            return None
        return {"AuthorizationType": found[1]["AuthorizationType"], "AuthParameters": found[1]["_auth"]}

    def describe_connection(self, ctx: RequestContext, params: dict) -> dict:
        doc = self._connection(ctx, params["Name"])
        return {**public(doc), "AuthParameters": self._redacted(doc["_auth"])}

    def list_connections(self, ctx: RequestContext, params: dict) -> dict:
        docs = self.store.list(S.CONNECTION, ctx.account, ctx.region, params.get("NamePrefix") or "",
                               resume_after(params.get("NextToken")))
        if params.get("ConnectionState"):
            docs = [d for d in docs if d["ConnectionState"] == params["ConnectionState"]]
        keys = ("ConnectionArn", "Name", "ConnectionState", "StateReason", "AuthorizationType", "CreationTime",
                "LastModifiedTime", "LastAuthorizedTime")
        items, token = page([{k: d[k] for k in keys if k in d} for d in docs], params.get("Limit"), "Name")
        return {"Connections": items, **({"NextToken": token} if token else {})}

    def update_connection(self, ctx: RequestContext, params: dict) -> dict:
        doc = self._connection(ctx, params["Name"])
        if params.get("AuthorizationType"):
            doc["AuthorizationType"] = params["AuthorizationType"]
        if params.get("AuthParameters"):
            merged = dict(doc["_auth"])
            for key, value in params["AuthParameters"].items():
                merged[key] = {**merged.get(key, {}), **value} if isinstance(value, dict) else value
            doc["_auth"] = merged
        self._check_auth(doc["AuthorizationType"], doc["_auth"])
        for key in ("Description", "InvocationConnectivityParameters", "KmsKeyIdentifier"):
            if key in params:
                doc[key] = params[key]
        doc["LastModifiedTime"] = doc["LastAuthorizedTime"] = self.clock.now()
        doc["ConnectionState"] = "AUTHORIZED"
        with self.db.transaction():
            self.store.put(S.CONNECTION, ctx.account, ctx.region, doc["Name"], doc["ConnectionArn"], doc)
        return {k: doc[k] for k in ("ConnectionArn", "ConnectionState", "CreationTime", "LastModifiedTime",
                                    "LastAuthorizedTime")}

    def deauthorize_connection(self, ctx: RequestContext, params: dict) -> dict:
        doc = self._connection(ctx, params["Name"])
        doc["ConnectionState"] = "DEAUTHORIZED"
        doc["LastModifiedTime"] = self.clock.now()
        with self.db.transaction():
            self.store.put(S.CONNECTION, ctx.account, ctx.region, doc["Name"], doc["ConnectionArn"], doc)
        return {k: doc[k] for k in ("ConnectionArn", "ConnectionState", "CreationTime", "LastModifiedTime",
                                    "LastAuthorizedTime")}

    def delete_connection(self, ctx: RequestContext, params: dict) -> dict:
        doc = self._connection(ctx, params["Name"])
        with self.db.transaction():
            self.store.delete(S.CONNECTION, ctx.account, ctx.region, doc["Name"])
        doc["ConnectionState"] = "DELETING"
        return {k: doc[k] for k in ("ConnectionArn", "ConnectionState", "CreationTime", "LastModifiedTime",
                                    "LastAuthorizedTime")}

    # -- API destinations ------------------------------------------------------------------------------------

    def create_api_destination(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Name"]
        if not RESOURCE_NAME.match(name):
            raise validation(f"Parameter Name is not valid. Reason: {name} is not a valid API destination name.")
        if self.store.get(S.API_DESTINATION, ctx.account, ctx.region, name) is not None:
            raise exists(f"An api-destination '{name}' already exists.")
        doc = {"Name": name}
        self._destination_fields(doc, params)
        now = self.clock.now()
        doc.update({"ApiDestinationArn": self._arn(ctx, f"api-destination/{name}/{uuid.uuid4()}"),
                    "ApiDestinationState": "ACTIVE", "CreationTime": now, "LastModifiedTime": now})
        doc.setdefault("InvocationRateLimitPerSecond", 300)
        with self.db.transaction():
            self.store.put(S.API_DESTINATION, ctx.account, ctx.region, name, doc["ApiDestinationArn"], doc)
        return {k: doc[k] for k in ("ApiDestinationArn", "ApiDestinationState", "CreationTime", "LastModifiedTime")}

    def _destination_fields(self, doc: dict, params: dict) -> None:
        for key in ("Description", "ConnectionArn", "InvocationEndpoint", "HttpMethod", "InvocationRateLimitPerSecond"):
            if params.get(key) is not None:
                doc[key] = params[key]
        found = self.store.by_arn(doc.get("ConnectionArn") or "")
        if found is None or found[0] != S.CONNECTION:
            raise not_found(f"Connection '{(doc.get('ConnectionArn') or '').split('/')[-2:][0]}' does not exist.")
        if doc.get("HttpMethod") not in HTTP_METHODS:
            raise validation(f"1 validation error detected: Value '{doc.get('HttpMethod')}' at 'httpMethod' failed "
                             f"to satisfy constraint: Member must satisfy enum value set: [{', '.join(HTTP_METHODS)}]")
        if not re.match(r"^https?://", doc.get("InvocationEndpoint") or ""):
            raise validation("Parameter InvocationEndpoint is not valid. Reason: It must be an http(s) URL.")

    def _api_destination(self, ctx: RequestContext, name: str) -> dict:
        doc = self.store.get(S.API_DESTINATION, ctx.account, ctx.region, name)
        if doc is None:
            raise not_found(f"An api-destination '{name}' does not exist.")
        return doc

    def api_destination_doc(self, account: str, region: str, name: str) -> dict | None:
        return self.store.get(S.API_DESTINATION, account, region, name)

    def describe_api_destination(self, ctx: RequestContext, params: dict) -> dict:
        return public(self._api_destination(ctx, params["Name"]))

    def list_api_destinations(self, ctx: RequestContext, params: dict) -> dict:
        docs = self.store.list(S.API_DESTINATION, ctx.account, ctx.region, params.get("NamePrefix") or "",
                               resume_after(params.get("NextToken")))
        if params.get("ConnectionArn"):
            docs = [d for d in docs if d["ConnectionArn"] == params["ConnectionArn"]]
        items, token = page([public(d) for d in docs], params.get("Limit"), "Name")
        return {"ApiDestinations": items, **({"NextToken": token} if token else {})}

    def update_api_destination(self, ctx: RequestContext, params: dict) -> dict:
        doc = self._api_destination(ctx, params["Name"])
        self._destination_fields(doc, params)
        doc["LastModifiedTime"] = self.clock.now()
        with self.db.transaction():
            self.store.put(S.API_DESTINATION, ctx.account, ctx.region, doc["Name"], doc["ApiDestinationArn"], doc)
        return {k: doc[k] for k in ("ApiDestinationArn", "ApiDestinationState", "CreationTime", "LastModifiedTime")}

    def delete_api_destination(self, ctx: RequestContext, params: dict) -> dict:
        doc = self._api_destination(ctx, params["Name"])
        with self.db.transaction():
            self.store.delete(S.API_DESTINATION, ctx.account, ctx.region, doc["Name"])
        return {}


def _redact_http(http: dict) -> dict:
    out = {}
    for key in ("HeaderParameters", "QueryStringParameters", "BodyParameters"):
        if http.get(key):
            out[key] = [{k: v for k, v in p.items() if not (k == "Value" and p.get("IsValueSecret"))}
                        for p in http[key]]
    return out
