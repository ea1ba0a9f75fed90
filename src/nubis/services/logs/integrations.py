"""Integrations with OpenSearch Service (PutIntegration, GetIntegration,
ListIntegrations, DeleteIntegration): one per account, created once.

nubis runs no OpenSearch Service, so an integration cannot be provisioned:
it is stored with the status FAILED and its data source says why, rather
than pretending to dashboards that do not exist. A mixin of ``LogsProvider``.
"""
from __future__ import annotations

import re

from ...protocol.errors import ServiceError
from . import validation as v

INTEGRATION = "integration"
NAME = re.compile(r"[\.\-_/#A-Za-z0-9]+")
TYPES = ("OPENSEARCH",)
STATUSES = ("PROVISIONING", "ACTIVE", "FAILED")
WHY = "nubis does not run Amazon OpenSearch Service, so it cannot provision this integration."


class Integrations:
    def put_integration(self, ctx, params: dict) -> dict:
        name = v.text(params, "integrationName", 1, 50, NAME)
        kind = v.one_of(params, "integrationType", TYPES)
        if kind is None:
            raise v.bad_value("null", "integrationType", "Member must not be null")
        config = v.required(params, "resourceConfig").get("openSearchResourceConfig")
        if config is None:
            raise v.validation("resourceConfig must contain openSearchResourceConfig for an OPENSEARCH "
                               "integration.")
        v.text(config, "dataSourceRoleArn", 1)
        if not isinstance(config.get("dashboardViewerPrincipals"), list):
            raise v.bad_value("null", "dashboardViewerPrincipals", "Member must not be null")
        days = v.required(config, "retentionDays")
        if not 1 <= days <= 30:
            raise v.bad_value(days, "retentionDays", "Member must have value between 1 and 30")
        existing = self.store.configs(ctx.account, ctx.region, INTEGRATION)
        if any(i["integrationName"] == name for i in existing):
            raise v.validation(f"Integration {name} already exists; an integration cannot be modified.")
        if existing:
            raise v.limit_exceeded("An account can have only one integration.")
        integration = {"integrationName": name, "integrationType": kind, "integrationStatus": "FAILED",
                       "integrationDetails": {"openSearchIntegrationDetails": {
                           "dataSource": {"status": {"status": "ERROR", "statusMessage": WHY}}}},
                       "resourceConfig": {"openSearchResourceConfig": dict(config)}}
        self.store.put_config(ctx.account, ctx.region, INTEGRATION, name, integration, self._now())
        return {"integrationName": name, "integrationStatus": integration["integrationStatus"]}

    def get_integration(self, ctx, params: dict) -> dict:
        integration = self._integration(ctx, params)
        return {k: integration[k] for k in ("integrationName", "integrationType", "integrationStatus",
                                            "integrationDetails")}

    def list_integrations(self, ctx, params: dict) -> dict:
        prefix = v.text(params, "integrationNamePrefix", 1, 50, NAME, optional=True) or ""
        kind = v.one_of(params, "integrationType", TYPES)
        status = v.one_of(params, "integrationStatus", STATUSES)
        return {"integrationSummaries": [
            {k: i[k] for k in ("integrationName", "integrationType", "integrationStatus")}
            for i in self.store.configs(ctx.account, ctx.region, INTEGRATION)
            if i["integrationName"].startswith(prefix) and kind in (None, i["integrationType"])
            and status in (None, i["integrationStatus"])]}

    def delete_integration(self, ctx, params: dict) -> dict:
        integration = self._integration(ctx, params)
        # No dashboards exist in nubis, so ``force`` has nothing to remove.
        self.store.delete_config(ctx.account, ctx.region, INTEGRATION, integration["integrationName"])
        return {}

    def _integration(self, ctx, params: dict) -> dict:
        name = v.text(params, "integrationName", 1, 50, NAME)
        integration = self.store.config(ctx.account, ctx.region, INTEGRATION, name)
        if integration is None:
            raise ServiceError("ResourceNotFoundException", f"Integration {name} does not exist.")
        return integration
