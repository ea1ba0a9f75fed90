"""Custom key stores: AWS CloudHSM key stores and external key stores (XKS).

nubis has no HSM cluster and calls no external key store proxy: a store is
its configuration and a connection state. Connecting takes
``CONNECT_SECONDS`` and disconnecting ``DISCONNECT_SECONDS`` on the
controllable clock (DISCONNECTED -> CONNECTING -> CONNECTED, then
DISCONNECTING -> DISCONNECTED); the state is worked out from the time the
transition began, so it needs no timer and survives a restart.

Keys in a custom key store (Origin AWS_CLOUDHSM or EXTERNAL_KEY_STORE) carry
the store's id. Their key material is made and kept by nubis like any other
symmetric key's (in AWS it stays in the HSMs or the external key manager), so
they encrypt and decrypt like other symmetric keys, while their store is
connected; while it is not, they are ``Unavailable``.
"""
from __future__ import annotations

import os
import re

from ...protocol.errors import ServiceError
from ..base import RequestContext
from . import errors as e
from .store import Key

CLOUDHSM = "AWS_CLOUDHSM"
EXTERNAL = "EXTERNAL_KEY_STORE"
CONNECT_SECONDS = 20.0
DISCONNECT_SECONDS = 5.0
PUBLIC = "PUBLIC_ENDPOINT"
VPC = "VPC_ENDPOINT_SERVICE"
MAX_STORES = 10  # the default quota of custom key stores per account and Region

_CLUSTER = re.compile(r"^cluster-[2-7a-zA-Z]{11,16}$")
_ENDPOINT = re.compile(r"^https://[a-zA-Z0-9.-]+$")
_PATH = re.compile(r"^(/[a-zA-Z0-9/_-]+/kms/xks/v\d{1,2})$|^(/kms/xks/v\d{1,2})$")
_SERVICE = re.compile(r"^(com|eu)\.amazonaws\.vpce\.([a-z]+-){2,3}\d+\.vpce-svc-[0-9a-z]+$")
_OWNER = re.compile(r"^[0-9]{12}$")
_ACCESS_KEY = re.compile(r"^[A-Z2-7]+$")
_SECRET = re.compile(r"^[a-zA-Z0-9/+=]+$")
_XKS_KEY = re.compile(r"^[a-zA-Z0-9-_.]+$")


def _pattern(value, member: str, pattern: re.Pattern, lo: int, hi: int) -> None:
    if value is None:
        return
    if not isinstance(value, str):
        raise e.validation(f"Invalid {member}")
    e.length(value, member, lo, hi)
    if not pattern.match(value):
        raise e.constraint(value, member, f"Member must satisfy regular expression pattern: {pattern.pattern}")


def _not_found(store_id: str | None = None) -> ServiceError:
    return ServiceError("CustomKeyStoreNotFoundException",
                        f"Custom key store {store_id} not found." if store_id else "Custom key store not found.")


def _invalid_state(message: str) -> ServiceError:
    return ServiceError("CustomKeyStoreInvalidStateException", message)


def _check_xks(params: dict) -> None:
    _pattern(params.get("XksProxyUriEndpoint"), "xksProxyUriEndpoint", _ENDPOINT, 10, 128)
    _pattern(params.get("XksProxyUriPath"), "xksProxyUriPath", _PATH, 10, 128)
    _pattern(params.get("XksProxyVpcEndpointServiceName"), "xksProxyVpcEndpointServiceName", _SERVICE, 20, 64)
    _pattern(params.get("XksProxyVpcEndpointServiceOwner"), "xksProxyVpcEndpointServiceOwner", _OWNER, 12, 12)
    e.enum(params.get("XksProxyConnectivity"), "xksProxyConnectivity", (PUBLIC, VPC))
    credential = params.get("XksProxyAuthenticationCredential")
    if credential is not None:
        if not isinstance(credential, dict):
            raise e.validation("Invalid XksProxyAuthenticationCredential")
        for member, wire, pattern, lo, hi in (
                ("AccessKeyId", "xksProxyAuthenticationCredential.accessKeyId", _ACCESS_KEY, 20, 30),
                ("RawSecretAccessKey", "xksProxyAuthenticationCredential.rawSecretAccessKey", _SECRET, 43, 64)):
            value = e.required(credential, member, wire)
            _pattern(value, wire, pattern, lo, hi)


_CLOUDHSM_ONLY = ("CloudHsmClusterId", "TrustAnchorCertificate", "KeyStorePassword")
_XKS_ONLY = ("XksProxyUriEndpoint", "XksProxyUriPath", "XksProxyVpcEndpointServiceName",
             "XksProxyVpcEndpointServiceOwner", "XksProxyAuthenticationCredential", "XksProxyConnectivity")


class CustomKeyStores:
    # -- state -----------------------------------------------------------------------------------

    def _connection_state(self, store: dict) -> str:
        state = store["ConnectionState"]
        if state in ("CONNECTING", "DISCONNECTING") and self.clock.now() >= store["_settles"]:
            return "CONNECTED" if state == "CONNECTING" else "DISCONNECTED"
        return state

    def _store_connected(self, key: Key) -> bool:
        store = self.store.stores.get(key.custom_key_store_id)
        return store is not None and self._connection_state(store) == "CONNECTED"

    def _custom_store(self, ctx: RequestContext, store_id) -> dict:
        if not isinstance(store_id, str):
            raise e.validation("Invalid CustomKeyStoreId")
        e.length(store_id, "customKeyStoreId", 1, 64)
        store = self.store.stores.get(store_id)
        if store is None or store["_account"] != ctx.account or store["_region"] != ctx.region:
            raise _not_found(store_id)
        return store

    def _stores_in(self, ctx: RequestContext) -> list[dict]:
        return sorted((s for s in self.store.stores.values()
                       if s["_account"] == ctx.account and s["_region"] == ctx.region),
                      key=lambda s: s["CreationDate"])  # stable: creation order

    def _store_keys(self, store_id: str) -> list[Key]:
        return [k for k in self.store.keys.values() if k.custom_key_store_id == store_id]

    def _public_store(self, store: dict) -> dict:
        out = {k: v for k, v in store.items() if not k.startswith("_")}
        out["ConnectionState"] = self._connection_state(store)
        return out

    # -- uniqueness ----------------------------------------------------------------------------------

    def _unique(self, ctx: RequestContext, doc: dict, exclude: str | None = None) -> None:
        """The name, cluster and proxy settings that no two stores of an account and Region may share."""
        others = [s for s in self._stores_in(ctx) if s["CustomKeyStoreId"] != exclude]
        if any(s["CustomKeyStoreName"] == doc["CustomKeyStoreName"] for s in others):
            raise ServiceError("CustomKeyStoreNameInUseException",
                               f"Custom key store name {doc['CustomKeyStoreName']} is already in use.")
        if doc["CustomKeyStoreType"] == CLOUDHSM:
            if any(s.get("CloudHsmClusterId") == doc["CloudHsmClusterId"] for s in others):
                raise ServiceError("CloudHsmClusterInUseException",
                                   f"CloudHSM cluster {doc['CloudHsmClusterId']} is already associated with "
                                   "another custom key store.")
            return
        mine = doc["XksProxyConfiguration"]
        for s in others:
            theirs = s.get("XksProxyConfiguration")
            if not theirs:
                continue
            if (theirs["UriEndpoint"], theirs["UriPath"]) == (mine["UriEndpoint"], mine["UriPath"]):
                raise ServiceError("XksProxyUriInUseException", "The combination of XksProxyUriEndpoint and "
                                   "XksProxyUriPath is already associated with another external key store.")
            if mine["Connectivity"] == VPC and theirs["Connectivity"] == VPC:
                if theirs["UriEndpoint"] == mine["UriEndpoint"]:
                    raise ServiceError("XksProxyUriEndpointInUseException", "The XksProxyUriEndpoint is already "
                                       "associated with another external key store.")
                if theirs.get("VpcEndpointServiceName") == mine.get("VpcEndpointServiceName"):
                    raise ServiceError("XksProxyVpcEndpointServiceInUseException",
                                       "The XksProxyVpcEndpointServiceName is already associated with another "
                                       "external key store.")

    @staticmethod
    def _xks_configuration(connectivity: str, params: dict, current: dict | None = None) -> dict:
        config = dict(current or {})
        config["Connectivity"] = connectivity
        if params.get("XksProxyUriEndpoint") is not None:
            config["UriEndpoint"] = params["XksProxyUriEndpoint"]
        if params.get("XksProxyUriPath") is not None:
            config["UriPath"] = params["XksProxyUriPath"]
        if params.get("XksProxyAuthenticationCredential") is not None:
            config["AccessKeyId"] = params["XksProxyAuthenticationCredential"]["AccessKeyId"]
        if params.get("XksProxyVpcEndpointServiceName") is not None:
            config["VpcEndpointServiceName"] = params["XksProxyVpcEndpointServiceName"]
        if params.get("XksProxyVpcEndpointServiceOwner") is not None:
            config["VpcEndpointServiceOwner"] = params["XksProxyVpcEndpointServiceOwner"]
        if connectivity == PUBLIC:
            config.pop("VpcEndpointServiceName", None)
            config.pop("VpcEndpointServiceOwner", None)
        elif not config.get("VpcEndpointServiceName"):
            raise e.validation("XksProxyVpcEndpointServiceName is required when XksProxyConnectivity is "
                               "VPC_ENDPOINT_SERVICE.")
        return config

    # -- operations ------------------------------------------------------------------------------------

    def create_custom_key_store(self, ctx: RequestContext, params: dict) -> dict:
        name = e.required(params, "CustomKeyStoreName")
        e.length(name, "customKeyStoreName", 1, 256)
        kind = params.get("CustomKeyStoreType") or CLOUDHSM
        e.enum(kind, "customKeyStoreType", (CLOUDHSM, EXTERNAL))
        _pattern(params.get("CloudHsmClusterId"), "cloudHsmClusterId", _CLUSTER, 19, 24)
        e.length(params.get("TrustAnchorCertificate"), "trustAnchorCertificate", 1, 5000)
        e.length(params.get("KeyStorePassword"), "keyStorePassword", 7, 32)
        _check_xks(params)
        doc = {"CustomKeyStoreId": "cks-" + os.urandom(9).hex()[:17], "CustomKeyStoreName": name,
               "CustomKeyStoreType": kind, "ConnectionState": "DISCONNECTED", "CreationDate": self.clock.now(),
               "_account": ctx.account, "_region": ctx.region, "_settles": 0.0}
        if kind == CLOUDHSM:
            wrong = [m for m in _XKS_ONLY if params.get(m) is not None]
            if wrong:
                raise e.validation(f"{wrong[0]} is not valid for a custom key store of type {CLOUDHSM}.")
            for member in _CLOUDHSM_ONLY:
                if params.get(member) is None:
                    raise e.validation(f"{member} is required for a custom key store of type {CLOUDHSM}.")
            doc["CloudHsmClusterId"] = params["CloudHsmClusterId"]
            doc["TrustAnchorCertificate"] = params["TrustAnchorCertificate"]
        else:
            wrong = [m for m in _CLOUDHSM_ONLY if params.get(m) is not None]
            if wrong:
                raise e.validation(f"{wrong[0]} is not valid for a custom key store of type {EXTERNAL}.")
            for member in ("XksProxyUriEndpoint", "XksProxyUriPath", "XksProxyAuthenticationCredential",
                           "XksProxyConnectivity"):
                if params.get(member) is None:
                    raise e.validation(f"{member} is required for a custom key store of type {EXTERNAL}.")
            connectivity = params["XksProxyConnectivity"]
            if connectivity == PUBLIC and (params.get("XksProxyVpcEndpointServiceName") is not None
                                           or params.get("XksProxyVpcEndpointServiceOwner") is not None):
                raise e.validation("XksProxyVpcEndpointServiceName and XksProxyVpcEndpointServiceOwner are valid "
                                   "only when XksProxyConnectivity is VPC_ENDPOINT_SERVICE.")
            doc["XksProxyConfiguration"] = self._xks_configuration(connectivity, params)
        self._unique(ctx, doc)
        if len(self._stores_in(ctx)) >= MAX_STORES:
            raise ServiceError("LimitExceededException",
                               f"The account has reached the limit of {MAX_STORES} custom key stores.")
        self.store.save_store(ctx.account, ctx.region, doc)
        return {"CustomKeyStoreId": doc["CustomKeyStoreId"]}

    def describe_custom_key_stores(self, ctx: RequestContext, params: dict) -> dict:
        store_id, name = params.get("CustomKeyStoreId"), params.get("CustomKeyStoreName")
        if store_id is not None and name is not None:
            raise e.validation("You cannot specify both CustomKeyStoreId and CustomKeyStoreName.")
        if store_id is not None:
            stores = [self._custom_store(ctx, store_id)]
        elif name is not None:
            e.length(name, "customKeyStoreName", 1, 256)
            stores = [s for s in self._stores_in(ctx) if s["CustomKeyStoreName"] == name]
            if not stores:
                raise ServiceError("CustomKeyStoreNotFoundException", f"Custom key store {name} not found.")
        else:
            stores = self._stores_in(ctx)
        return e.page([self._public_store(s) for s in stores], params, "CustomKeyStores", 100, 1000)

    def update_custom_key_store(self, ctx: RequestContext, params: dict) -> dict:
        store = self._custom_store(ctx, e.required(params, "CustomKeyStoreId"))
        new_name = params.get("NewCustomKeyStoreName")
        e.length(new_name, "newCustomKeyStoreName", 1, 256)
        _pattern(params.get("CloudHsmClusterId"), "cloudHsmClusterId", _CLUSTER, 19, 24)
        e.length(params.get("KeyStorePassword"), "keyStorePassword", 7, 32)
        _check_xks(params)
        kind = store["CustomKeyStoreType"]
        wrong = [m for m in (_XKS_ONLY if kind == CLOUDHSM else ("CloudHsmClusterId", "KeyStorePassword"))
                 if params.get(m) is not None]
        if wrong:
            raise e.validation(f"{wrong[0]} is not valid for a custom key store of type {kind}.")
        others = [m for m in ("KeyStorePassword", "CloudHsmClusterId") + _XKS_ONLY if params.get(m) is not None]
        state = self._connection_state(store)
        # Only the name may change while the store is connected; everything else needs it disconnected.
        if state != "DISCONNECTED" and (others or state != "CONNECTED"):
            raise _invalid_state(f"Custom key store {store['CustomKeyStoreId']} must be disconnected to update "
                                 f"its {'settings' if others else 'name'}. Its ConnectionState is {state}.")
        doc = dict(store)
        if new_name is not None:
            doc["CustomKeyStoreName"] = new_name
        if params.get("CloudHsmClusterId") is not None:
            doc["CloudHsmClusterId"] = params["CloudHsmClusterId"]
        if kind == EXTERNAL and any(params.get(m) is not None for m in _XKS_ONLY):
            current = doc["XksProxyConfiguration"]
            connectivity = params.get("XksProxyConnectivity") or current["Connectivity"]
            if connectivity == PUBLIC and (params.get("XksProxyVpcEndpointServiceName") is not None
                                           or params.get("XksProxyVpcEndpointServiceOwner") is not None):
                raise e.validation("XksProxyVpcEndpointServiceName and XksProxyVpcEndpointServiceOwner are valid "
                                   "only when XksProxyConnectivity is VPC_ENDPOINT_SERVICE.")
            doc["XksProxyConfiguration"] = self._xks_configuration(connectivity, params, current)
        self._unique(ctx, doc, exclude=store["CustomKeyStoreId"])
        self.store.save_store(ctx.account, ctx.region, doc)
        return {}

    def delete_custom_key_store(self, ctx: RequestContext, params: dict) -> dict:
        store = self._custom_store(ctx, e.required(params, "CustomKeyStoreId"))
        state = self._connection_state(store)
        if state != "DISCONNECTED":
            raise _invalid_state(f"Custom key store {store['CustomKeyStoreId']} must be disconnected before it is "
                                 f"deleted. Its ConnectionState is {state}.")
        # Keys pending deletion still count: the store goes after they do.
        if self._store_keys(store["CustomKeyStoreId"]):
            raise ServiceError("CustomKeyStoreHasCMKsException",
                               f"Custom key store {store['CustomKeyStoreId']} contains KMS keys. Delete them "
                               "before deleting the custom key store.")
        self.store.delete_store(store["CustomKeyStoreId"])
        return {}

    def connect_custom_key_store(self, ctx: RequestContext, params: dict) -> dict:
        store = self._custom_store(ctx, e.required(params, "CustomKeyStoreId"))
        state = self._connection_state(store)
        if state in ("DISCONNECTING", "FAILED"):
            raise _invalid_state(f"Custom key store {store['CustomKeyStoreId']} cannot be connected while its "
                                 f"ConnectionState is {state}.")
        if state == "DISCONNECTED":
            self.store.save_store(ctx.account, ctx.region, {**store, "ConnectionState": "CONNECTING",
                                                            "_settles": self.clock.now() + CONNECT_SECONDS})
        return {}

    def disconnect_custom_key_store(self, ctx: RequestContext, params: dict) -> dict:
        store = self._custom_store(ctx, e.required(params, "CustomKeyStoreId"))
        state = self._connection_state(store)
        if state in ("DISCONNECTING", "DISCONNECTED"):
            raise _invalid_state(f"Custom key store {store['CustomKeyStoreId']} cannot be disconnected while its "
                                 f"ConnectionState is {state}.")
        self.store.save_store(ctx.account, ctx.region, {**store, "ConnectionState": "DISCONNECTING",
                                                        "_settles": self.clock.now() + DISCONNECT_SECONDS})
        return {}

    # -- keys in custom key stores ------------------------------------------------------------------------

    def _custom_key_settings(self, ctx: RequestContext, params: dict, origin: str, spec: str, usage: str,
                             multi_region: bool) -> tuple[str | None, str | None]:
        """(custom key store id, XKS key id) of a CreateKey request, checked."""
        store_id, xks_key_id = params.get("CustomKeyStoreId"), params.get("XksKeyId")
        _pattern(xks_key_id, "xksKeyId", _XKS_KEY, 1, 128)
        if store_id is None:
            if origin in (CLOUDHSM, EXTERNAL):
                raise e.validation(f"CustomKeyStoreId is required when Origin is {origin}.")
            if xks_key_id is not None:
                raise e.validation("XksKeyId is valid only when Origin is EXTERNAL_KEY_STORE.")
            return None, None
        store = self._custom_store(ctx, store_id)
        kind = store["CustomKeyStoreType"]
        if origin != kind:
            raise e.validation(f"Origin must be {kind} to create a KMS key in custom key store {store_id}.")
        if kind == EXTERNAL and xks_key_id is None:
            raise e.validation("XksKeyId is required when Origin is EXTERNAL_KEY_STORE.")
        if kind == CLOUDHSM and xks_key_id is not None:
            raise e.validation("XksKeyId is valid only when Origin is EXTERNAL_KEY_STORE.")
        if spec != "SYMMETRIC_DEFAULT" or usage != "ENCRYPT_DECRYPT":
            raise e.unsupported("KMS keys in custom key stores must be symmetric encryption keys "
                                "(KeySpec SYMMETRIC_DEFAULT, KeyUsage ENCRYPT_DECRYPT).")
        if multi_region:
            raise e.unsupported("Multi-Region keys cannot be created in a custom key store.")
        state = self._connection_state(store)
        if state != "CONNECTED":
            raise _invalid_state(f"Custom key store {store_id} is not connected. Its ConnectionState is {state}.")
        if xks_key_id is not None and any(k.xks_key_id == xks_key_id for k in self._store_keys(store_id)):
            raise ServiceError("XksKeyAlreadyInUseException",
                               f"XksKeyId {xks_key_id} is already associated with a KMS key in this custom key store.")
        return store_id, xks_key_id

    def _custom_key_metadata(self, key: Key, md: dict) -> None:
        store = self.store.stores.get(key.custom_key_store_id)
        md["CustomKeyStoreId"] = key.custom_key_store_id
        if store is not None and store.get("CloudHsmClusterId"):
            md["CloudHsmClusterId"] = store["CloudHsmClusterId"]
        if key.xks_key_id is not None:
            md["XksKeyConfiguration"] = {"Id": key.xks_key_id}
        if key.state in ("Enabled", "Disabled") and (store is None or self._connection_state(store) != "CONNECTED"):
            md["KeyState"] = "Unavailable"
            md["Enabled"] = False

    def _random_from_store(self, ctx: RequestContext, store_id) -> None:
        """GenerateRandom with a CustomKeyStoreId: a connected CloudHSM key store only."""
        store = self._custom_store(ctx, store_id)
        if store["CustomKeyStoreType"] == EXTERNAL:
            raise e.unsupported("GenerateRandom is not supported in an external key store.")
        state = self._connection_state(store)
        if state != "CONNECTED":
            raise _invalid_state(f"Custom key store {store_id} is not connected. Its ConnectionState is {state}.")
