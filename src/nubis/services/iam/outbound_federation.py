"""Outbound identity federation: the account's setting that lets its principals
ask STS for JSON Web Tokens (``GetWebIdentityToken``) to present to services outside AWS.

Enabling it gives the account an issuer, a URL unique to it, under which the
OpenID Connect discovery documents are served
(``<issuer>/.well-known/openid-configuration`` and ``<issuer>/.well-known/jwks.json``);
STS serves them (``sts/outbound.py``). On AWS the issuer is
``https://<id>.tokens.sts.global.api.aws``; nubis serves it on its own port,
``http://<host>/_nubis/sts/tokens/<id>``. The issuer stays the account's
once made: disabling the feature stops new tokens, not the verification of
tokens already issued.
"""
from __future__ import annotations

import uuid

from ...protocol.errors import ServiceError

_KEY = "outbound"


def issuer_url(base: str, issuer_id: str) -> str:
    """The issuer identifier (the tokens' ``iss``) for nubis's base URL ``http://host:port``."""
    return f"{base}/_nubis/sts/tokens/{issuer_id}"


def base_url(config) -> str:
    # From the settings, not a request's Host: the discovery documents and every token name one issuer.
    return f"http://{config.hostname}:{config.port}"


def setting(store, account: str) -> dict | None:
    """The account's outbound federation setting: {"IssuerId", "Enabled"}, or None (never enabled)."""
    return store.get(account, "settings", _KEY)


class OutboundFederationMixin:
    """Operations of ``IamProvider``."""

    def enable_outbound_web_identity_federation(self, ctx, params):
        doc = setting(self.store, ctx.account)
        if doc is not None and doc["Enabled"]:
            raise ServiceError("FeatureEnabled", "Outbound identity federation is already enabled for this "
                               "account.", 409)
        doc = {"IssuerId": doc["IssuerId"] if doc else str(uuid.uuid4()), "Enabled": True}
        self.store.put(ctx.account, "settings", _KEY, doc)
        return {"IssuerIdentifier": issuer_url(base_url(self.config), doc["IssuerId"])}

    def disable_outbound_web_identity_federation(self, ctx, params):
        doc = setting(self.store, ctx.account)
        if doc is None or not doc["Enabled"]:
            raise ServiceError("FeatureDisabled", "Outbound identity federation is already disabled for this "
                               "account.", 404)
        self.store.put(ctx.account, "settings", _KEY, {**doc, "Enabled": False})
        return {}

    def get_outbound_web_identity_federation_info(self, ctx, params):
        doc = setting(self.store, ctx.account)
        if doc is None:
            raise ServiceError("FeatureDisabled", "Outbound identity federation is not enabled for this "
                               "account.", 404)
        return {"IssuerIdentifier": issuer_url(base_url(self.config), doc["IssuerId"]),
                "JwtVendingEnabled": doc["Enabled"]}
