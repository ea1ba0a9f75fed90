"""OIDC and SAML identity providers, which web identity and SAML federation (STS) trust."""
from __future__ import annotations

from ...auth.credentials import partition
from .entities import check_name, exists, invalid, no_such, public, tags_in, validation


class IdentityProvidersMixin:
    """Operations of ``IamProvider``."""

    # -- identity providers ----------------------------------------------------------------------

    def create_open_id_connect_provider(self, ctx, params):
        url = params.get("Url") or ""
        if not url.startswith("https://"):
            raise invalid("Invalid Url: the URL must begin with https://")  # IAM takes https URLs only
        host = url[len("https://"):].rstrip("/")
        arn = f"arn:{partition(ctx.region)}:iam::{ctx.account}:oidc-provider/{host}"
        if self.store.get(ctx.account, "oidc", arn) is not None:
            raise exists(f"Provider with url {url} already exists.")
        doc = {"Url": host, "ClientIDList": list(params.get("ClientIDList") or []),
               "ThumbprintList": list(params.get("ThumbprintList") or []), "CreateDate": self.clock.now(),
               "Tags": tags_in(params), "_key": arn}
        self.store.put(ctx.account, "oidc", arn, doc)
        return {"OpenIDConnectProviderArn": arn, "Tags": doc["Tags"] or None}

    def _oidc(self, ctx, arn) -> dict:
        doc = self.store.get(ctx.account, "oidc", arn or "")
        if doc is None:
            raise no_such(f"OpenIDConnect Provider not found for arn {arn}")
        return doc

    def oidc_provider(self, account: str, issuer: str) -> tuple[str, dict] | None:
        """The OIDC provider registered for a token's issuer: (its ARN, document)."""
        host = issuer[len("https://"):] if issuer.startswith("https://") else issuer
        for doc in self.store.all(account, "oidc"):
            if doc["Url"] == host.rstrip("/"):
                return doc["_key"], doc
        return None

    def saml_provider(self, account: str, arn: str) -> dict | None:
        return self.store.get(account, "saml", arn)

    def get_open_id_connect_provider(self, ctx, params):
        return public(self._oidc(ctx, params.get("OpenIDConnectProviderArn")))

    def list_open_id_connect_providers(self, ctx, params):
        return {"OpenIDConnectProviderList": [{"Arn": d["_key"]} for d in self.store.all(ctx.account, "oidc")]}

    def delete_open_id_connect_provider(self, ctx, params):
        doc = self.store.get(ctx.account, "oidc", params.get("OpenIDConnectProviderArn") or "")
        if doc is not None:
            self.store.delete(ctx.account, "oidc", doc["_key"])
        return {}

    def add_client_id_to_open_id_connect_provider(self, ctx, params):
        doc = self._oidc(ctx, params.get("OpenIDConnectProviderArn"))
        if params.get("ClientID") not in doc["ClientIDList"]:
            doc["ClientIDList"].append(params.get("ClientID"))
            self.store.put(ctx.account, "oidc", doc["_key"], doc)
        return {}

    def remove_client_id_from_open_id_connect_provider(self, ctx, params):
        doc = self._oidc(ctx, params.get("OpenIDConnectProviderArn"))
        if params.get("ClientID") in doc["ClientIDList"]:
            doc["ClientIDList"].remove(params.get("ClientID"))
            self.store.put(ctx.account, "oidc", doc["_key"], doc)
        return {}

    def update_open_id_connect_provider_thumbprint(self, ctx, params):
        doc = self._oidc(ctx, params.get("OpenIDConnectProviderArn"))
        doc["ThumbprintList"] = list(params.get("ThumbprintList") or [])
        self.store.put(ctx.account, "oidc", doc["_key"], doc)
        return {}

    def create_saml_provider(self, ctx, params):
        name = check_name(params.get("Name"), "name", 128)
        metadata = params.get("SAMLMetadataDocument") or ""
        if len(metadata) < 1000:
            raise validation("...", "sAMLMetadataDocument", "Member must have length greater than or equal to 1000")
        arn = f"arn:{partition(ctx.region)}:iam::{ctx.account}:saml-provider/{name}"
        if self.store.get(ctx.account, "saml", arn) is not None:
            raise exists(f"SAMLProvider {name} already exists.")
        doc = {"SAMLMetadataDocument": metadata, "CreateDate": self.clock.now(),
               "ValidUntil": self.clock.now() + 100 * 365 * 86400, "Tags": tags_in(params), "_key": arn}
        self.store.put(ctx.account, "saml", arn, doc)
        return {"SAMLProviderArn": arn, "Tags": doc["Tags"] or None}

    def _saml(self, ctx, arn) -> dict:
        doc = self.store.get(ctx.account, "saml", arn or "")
        if doc is None:
            raise no_such(f"Manifest not found for arn {arn}")
        return doc

    def get_saml_provider(self, ctx, params):
        return public(self._saml(ctx, params.get("SAMLProviderArn")))

    def update_saml_provider(self, ctx, params):
        doc = self._saml(ctx, params.get("SAMLProviderArn"))
        if params.get("SAMLMetadataDocument"):
            doc["SAMLMetadataDocument"] = params["SAMLMetadataDocument"]
        self.store.put(ctx.account, "saml", doc["_key"], doc)
        return {"SAMLProviderArn": doc["_key"]}

    def list_saml_providers(self, ctx, params):
        return {"SAMLProviderList": [{"Arn": d["_key"], "ValidUntil": d["ValidUntil"], "CreateDate": d["CreateDate"]}
                                     for d in self.store.all(ctx.account, "saml")]}

    def delete_saml_provider(self, ctx, params):
        doc = self._saml(ctx, params.get("SAMLProviderArn"))
        self.store.delete(ctx.account, "saml", doc["_key"])
        return {}
