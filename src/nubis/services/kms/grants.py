"""Grants: a principal may use a key for some operations until the grant is
retired or revoked. A grant token names its grant, so it can retire it."""
from __future__ import annotations

import base64
import binascii
import json
import os
import re

from ...auth.credentials import root_arn
from ...protocol.errors import ServiceError
from ..base import RequestContext
from . import errors as e
from . import specs

OPERATIONS = ("Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "ReEncryptFrom",
              "ReEncryptTo", "Sign", "Verify", "GetPublicKey", "CreateGrant", "RetireGrant", "DescribeKey",
              "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext", "GenerateMac", "VerifyMac",
              "DeriveSharedSecret")
_ANY_KEY = {"CreateGrant", "RetireGrant", "DescribeKey"}
_BY_USAGE = {
    specs.ENCRYPT_DECRYPT: {"Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "ReEncryptFrom",
                            "ReEncryptTo", "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext",
                            "GetPublicKey"},
    specs.SIGN_VERIFY: {"Sign", "Verify", "GetPublicKey"},
    specs.GENERATE_VERIFY_MAC: {"GenerateMac", "VerifyMac"},
    specs.KEY_AGREEMENT: {"DeriveSharedSecret", "GetPublicKey"},
}
_GRANT_ID = re.compile(r"^[0-9a-f]{64}$")


def _token(grant_id: str) -> str:
    raw = json.dumps({"grant": grant_id, "nonce": os.urandom(16).hex()}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _grant_of_token(token: str) -> str:
    try:
        doc = json.loads(base64.urlsafe_b64decode(token.encode()))
        grant_id = doc["grant"]
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise ServiceError("InvalidGrantTokenException", "The grant token is invalid.") from None
    if not isinstance(grant_id, str):
        raise ServiceError("InvalidGrantTokenException", "The grant token is invalid.")
    return grant_id


def _public(grant: dict, key_arn: str) -> dict:
    return {k: v for k, v in {**grant, "KeyId": key_arn}.items() if v is not None and k != "Token"}


class Grants:
    def create_grant(self, ctx: RequestContext, params: dict) -> dict:
        grantee = e.required(params, "GranteePrincipal")
        e.length(grantee, "granteePrincipal", 1, 256)
        operations = e.required(params, "Operations")
        if not operations:
            raise e.constraint("[]", "operations", "Member must have length greater than or equal to 1")
        for op in operations:
            e.enum(op, "operations", OPERATIONS)
        retiring = params.get("RetiringPrincipal")
        e.length(retiring, "retiringPrincipal", 1, 256)
        name = params.get("Name")
        e.length(name, "name", 1, 256)
        constraints = params.get("Constraints") or None
        key = self._key(ctx, params)
        self._not_pending_deletion(key)
        invalid = [op for op in operations if op not in _ANY_KEY and op not in _BY_USAGE[key.usage]]
        if invalid:
            raise e.validation(f"Grant operations {invalid} are not valid for a key with KeyUsage {key.usage}.")
        if constraints and key.spec != specs.SYMMETRIC:
            raise e.validation("Grant constraints are supported only for symmetric encryption KMS keys.")
        if params.get("DryRun"):
            raise e.dry_run()
        wanted = {"GranteePrincipal": grantee, "RetiringPrincipal": retiring, "Operations": sorted(operations),
                  "Constraints": constraints}
        if name is not None:
            # The same named grant twice is one grant (CreateGrant is idempotent by name).
            for g in self.store.grants(key.row):
                if g.get("Name") == name and {k: (sorted(g[k]) if k == "Operations" else g.get(k))
                                              for k in wanted} == wanted:
                    return {"GrantToken": g["Token"], "GrantId": g["GrantId"]}
        grant_id = os.urandom(32).hex()
        grant = {"KeyId": key.row, "GrantId": grant_id, "Name": name, "CreationDate": self.clock.now(),
                 "GranteePrincipal": grantee, "RetiringPrincipal": retiring,
                 "IssuingAccount": root_arn(ctx.account, ctx.region), "Operations": list(operations),
                 "Constraints": constraints, "Token": _token(grant_id)}
        self.store.save_grant(grant)
        return {"GrantToken": grant["Token"], "GrantId": grant_id}

    def list_grants(self, ctx: RequestContext, params: dict) -> dict:
        key = self._key(ctx, params)
        grants = self.store.grants(key.row)
        if params.get("GrantId") is not None:
            grants = [g for g in grants if g["GrantId"] == params["GrantId"]]
        if params.get("GranteePrincipal") is not None:
            grants = [g for g in grants if g["GranteePrincipal"] == params["GranteePrincipal"]]
        return e.page([_public(g, key.arn) for g in grants], params, "Grants", 50, 100)

    def list_retirable_grants(self, ctx: RequestContext, params: dict) -> dict:
        principal = e.required(params, "RetiringPrincipal")
        e.length(principal, "retiringPrincipal", 1, 256)
        rows = []
        for g in self.store.grants():
            key = self.store.keys.get(g["KeyId"])
            if key is not None and g.get("RetiringPrincipal") == principal:
                rows.append(_public(g, key.arn))
        return e.page(rows, params, "Grants", 50, 100)

    def _grant_on(self, ctx: RequestContext, params: dict) -> dict:
        key = self._key(ctx, params)
        grant_id = e.required(params, "GrantId")
        if not _GRANT_ID.match(grant_id):
            raise ServiceError("InvalidGrantIdException", f"Invalid grant ID: {grant_id}")
        grant = self.store.grant(grant_id)
        if grant is None or grant["KeyId"] != key.row:
            raise e.not_found(f"Grant ID {grant_id} not found")
        return grant

    def retire_grant(self, ctx: RequestContext, params: dict) -> dict:
        if params.get("GrantToken") is not None:
            grant_id = _grant_of_token(params["GrantToken"])
            grant = self.store.grant(grant_id)
            if grant is None or grant["Token"] != params["GrantToken"]:
                raise e.not_found(f"Grant ID {grant_id} not found")
        elif params.get("KeyId") is not None and params.get("GrantId") is not None:
            grant = self._grant_on(ctx, params)
        else:
            raise e.validation("Either GrantToken, or both KeyId and GrantId must be specified.")
        if params.get("DryRun"):
            raise e.dry_run()
        self.store.delete_grant(grant["GrantId"])
        return {}

    def revoke_grant(self, ctx: RequestContext, params: dict) -> dict:
        grant = self._grant_on(ctx, params)
        if params.get("DryRun"):
            raise e.dry_run()
        self.store.delete_grant(grant["GrantId"])
        return {}
