"""EventBridge global endpoints: stored with their routing and replication settings; PutEvents
with an ``EndpointId`` replicates each event to the endpoint's other Region when replication is on.
"""
from __future__ import annotations

import secrets

from ..base import RequestContext
from . import store as S
from .common import RESOURCE_NAME, exists, not_found, page, public, resume_after, validation


class Endpoints:
    """The global endpoint operations of the EventBridge provider."""

    # -- global endpoints -----------------------------------------------------------------------------------

    def create_endpoint(self, ctx: RequestContext, params: dict) -> dict:
        name = params["Name"]
        if not RESOURCE_NAME.match(name):
            raise validation(f"Parameter Name is not valid. Reason: {name} is not a valid endpoint name.")
        if self.store.get(S.ENDPOINT, ctx.account, ctx.region, name) is not None:
            raise exists(f"Endpoint {name} already exists.")
        buses = params["EventBuses"]
        if len(buses) != 2:
            raise validation("Parameter EventBuses is not valid. Reason: Exactly two event buses are required.")
        now = self.clock.now()
        endpoint_id = f"{secrets.token_hex(4)}.{secrets.token_hex(2)}"
        doc = {"Name": name, "Arn": self._arn(ctx, f"endpoint/{name}"), "RoutingConfig": params["RoutingConfig"],
               "ReplicationConfig": params.get("ReplicationConfig") or {"State": "ENABLED"}, "EventBuses": buses,
               "EndpointId": endpoint_id, "EndpointUrl": f"https://{endpoint_id}.endpoint.events.amazonaws.com",
               "State": "ACTIVE", "CreationTime": now, "LastModifiedTime": now}
        for key in ("Description", "RoleArn"):
            if params.get(key):
                doc[key] = params[key]
        with self.db.transaction():
            self.store.put(S.ENDPOINT, ctx.account, ctx.region, name, doc["Arn"], doc)
        return {k: doc[k] for k in ("Name", "Arn", "RoutingConfig", "ReplicationConfig", "EventBuses", "RoleArn",
                                    "State") if k in doc}

    def _endpoint(self, ctx: RequestContext, name: str) -> dict:
        doc = self.store.get(S.ENDPOINT, ctx.account, ctx.region, name)
        if doc is None:
            raise not_found(f"Endpoint {name} does not exist.")
        return doc

    def describe_endpoint(self, ctx: RequestContext, params: dict) -> dict:
        return public(self._endpoint(ctx, params["Name"]))

    def list_endpoints(self, ctx: RequestContext, params: dict) -> dict:
        docs = self.store.list(S.ENDPOINT, ctx.account, ctx.region, params.get("NamePrefix") or "",
                               resume_after(params.get("NextToken")))
        items, token = page([public(d) for d in docs], params.get("MaxResults"), "Name")
        return {"Endpoints": items, **({"NextToken": token} if token else {})}

    def update_endpoint(self, ctx: RequestContext, params: dict) -> dict:
        doc = self._endpoint(ctx, params["Name"])
        for key in ("Description", "RoutingConfig", "ReplicationConfig", "EventBuses", "RoleArn"):
            if params.get(key) is not None:
                doc[key] = params[key]
        doc["LastModifiedTime"] = self.clock.now()
        with self.db.transaction():
            self.store.put(S.ENDPOINT, ctx.account, ctx.region, doc["Name"], doc["Arn"], doc)
        return {k: doc[k] for k in ("Name", "Arn", "RoutingConfig", "ReplicationConfig", "EventBuses", "RoleArn",
                                    "EndpointId", "EndpointUrl", "State") if k in doc}

    def delete_endpoint(self, ctx: RequestContext, params: dict) -> dict:
        doc = self._endpoint(ctx, params["Name"])
        with self.db.transaction():
            self.store.delete(S.ENDPOINT, ctx.account, ctx.region, doc["Name"])
        return {}
