"""Partner event sources: a SaaS partner (the caller of the partner operations) creates a source
for a customer account; the customer sees it with ListEventSources, associates a partner event
bus of the same name, and the partner's PutPartnerEvents reach that bus.
"""
from __future__ import annotations

from ...protocol.errors import ServiceError
from ..base import RequestContext
from .common import exists, not_found, page, public, resume_after, validation


class Partners:
    """The partner event source operations of the EventBridge provider."""

    # -- partner event sources --------------------------------------------------------------------------------
    # A partner (the caller of the partner operations) creates a source for a customer account; the
    # customer sees it with ListEventSources and associates a partner event bus of the same name.

    def create_partner_event_source(self, ctx: RequestContext, params: dict) -> dict:
        name, account = params["Name"], params["Account"]
        if not name.startswith("aws.partner/"):
            raise validation("Parameter Name is not valid. Reason: It must start with aws.partner/.")
        if self.store.get("event-source", account, ctx.region, name) is not None:
            raise exists(f"Event source {name} already exists.")
        now = self.clock.now()
        doc = {"Name": name, "Arn": f"arn:aws:events:{ctx.region}::event-source/{name}", "CreatedBy": ctx.account,
               "CreationTime": now, "ExpirationTime": now + 15 * 86400, "State": "PENDING",
               "_account": account, "_region": ctx.region}
        with self.db.transaction():
            self.store.put("event-source", account, ctx.region, name, f"{doc['Arn']}#{account}", doc)
        return {"EventSourceArn": doc["Arn"]}

    def _partner_sources(self, ctx: RequestContext, name: str | None = None) -> list[dict]:
        return [s for s in self.store.all_of("event-source")
                if s["CreatedBy"] == ctx.account and s["_region"] == ctx.region and (name is None or s["Name"] == name)]

    def describe_partner_event_source(self, ctx: RequestContext, params: dict) -> dict:
        found = self._partner_sources(ctx, params["Name"])
        if not found:
            raise not_found(f"Event source {params['Name']} does not exist.")
        return {"Arn": found[0]["Arn"], "Name": found[0]["Name"]}

    def list_partner_event_sources(self, ctx: RequestContext, params: dict) -> dict:
        names = sorted({s["Name"] for s in self._partner_sources(ctx) if s["Name"].startswith(params["NamePrefix"])})
        after = resume_after(params.get("NextToken"))
        items = [{"Arn": f"arn:aws:events:{ctx.region}::event-source/{n}", "Name": n} for n in names if n > after]
        items, token = page(items, params.get("Limit"), "Name")
        return {"PartnerEventSources": items, **({"NextToken": token} if token else {})}

    def list_partner_event_source_accounts(self, ctx: RequestContext, params: dict) -> dict:
        found = self._partner_sources(ctx, params["EventSourceName"])
        if not found:
            raise not_found(f"Event source {params['EventSourceName']} does not exist.")
        items = [{"Account": s["_account"], "CreationTime": s["CreationTime"], "ExpirationTime": s["ExpirationTime"],
                  "State": s["State"]} for s in sorted(found, key=lambda s: s["_account"])]
        items, token = page(items, params.get("Limit"), "Account")
        return {"PartnerEventSourceAccounts": items, **({"NextToken": token} if token else {})}

    def delete_partner_event_source(self, ctx: RequestContext, params: dict) -> dict:
        with self.db.transaction():
            for s in self._partner_sources(ctx, params["Name"]):
                if s["_account"] == params["Account"]:
                    self.store.delete("event-source", s["_account"], ctx.region, s["Name"])
        return {}

    def _event_source(self, ctx: RequestContext, name: str) -> dict:
        doc = self.store.get("event-source", ctx.account, ctx.region, name)
        if doc is None:
            raise not_found(f"Event source {name} does not exist.")
        return doc

    def describe_event_source(self, ctx: RequestContext, params: dict) -> dict:
        return public(self._event_source(ctx, params["Name"]))

    def list_event_sources(self, ctx: RequestContext, params: dict) -> dict:
        docs = self.store.list("event-source", ctx.account, ctx.region, params.get("NamePrefix") or "",
                               resume_after(params.get("NextToken")))
        items, token = page([public(d) for d in docs], params.get("Limit"), "Name")
        return {"EventSources": items, **({"NextToken": token} if token else {})}

    def activate_event_source(self, ctx: RequestContext, params: dict) -> dict:
        return self._source_state(ctx, params["Name"], "ACTIVE")

    def deactivate_event_source(self, ctx: RequestContext, params: dict) -> dict:
        return self._source_state(ctx, params["Name"], "DELETED")

    def _source_state(self, ctx: RequestContext, name: str, state: str) -> dict:
        doc = self._event_source(ctx, name)
        if doc["State"] == "PENDING" and state == "ACTIVE":
            raise ServiceError("InvalidStateException", f"Event source {name} is pending: create its partner event "
                               "bus first.", 400)
        doc["State"] = state
        with self.db.transaction():
            self.store.put("event-source", ctx.account, ctx.region, name, f"{doc['Arn']}#{ctx.account}", doc)
        return {}
