"""A user's credentials beyond access keys and passwords: SSH public keys (for
CodeCommit), X.509 signing certificates, service-specific credentials, and
MFA device details; with ListPoliciesGrantingServiceAccess, what reads them."""
from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets

from ...auth import policy as engine
from ...protocol.errors import ServiceError
from .paging import page

_SSH = re.compile(r"^(ssh-rsa|ssh-ed25519|ecdsa-sha2-nistp(?:256|384|521))\s+([A-Za-z0-9+/=]+)(?:\s.*)?$")
_ID = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_SERVICES = ("codecommit.amazonaws.com", "cassandra.amazonaws.com", "bedrock.amazonaws.com")


def _id(prefix: str, length: int) -> str:
    return prefix + "".join(secrets.choice(_ID) for _ in range(length))


def _status(value) -> str:
    if value not in ("Active", "Inactive"):
        raise ServiceError("ValidationError", f"1 validation error detected: Value '{value}' at 'status' failed to "
                           "satisfy constraint: Member must satisfy enum value set: [Active, Inactive]", 400)
    return value


class UserCredentialsMixin:
    """Operations of ``IamProvider`` (``self.store``, ``self._entity``, ``self.clock``)."""

    def _owned(self, ctx, kind: str, user: dict, key: str, missing: str) -> dict:
        doc = self.store.get(ctx.account, kind, key or "")
        if doc is None or doc["UserName"] != user["UserName"]:
            raise ServiceError("NoSuchEntity", missing, 404)
        return doc

    def _of_user(self, ctx, kind: str, user: dict) -> list[dict]:
        return sorted((d for d in self.store.all(ctx.account, kind) if d["UserName"] == user["UserName"]),
                      key=lambda d: d.get("UploadDate") or d.get("CreateDate"))

    def user_credentials_in_use(self, ctx, user: dict) -> str | None:
        """What still holds a user that DeleteUser must refuse (its message), or None."""
        for kind, what in (("ssh", "SSH public keys"), ("signing", "signing certificates"),
                           ("ssc", "service-specific credentials")):
            if self._of_user(ctx, kind, user):
                return f"Cannot delete entity, must delete {what} first."
        return None

    # -- SSH public keys -------------------------------------------------------------------------

    def upload_ssh_public_key(self, ctx, params):
        user = self._entity(ctx, "user", params.get("UserName"))
        body = (params.get("SSHPublicKeyBody") or "").strip()
        m = _SSH.match(body)
        try:
            raw = base64.b64decode(m.group(2), validate=True) if m else b""
        except (binascii.Error, ValueError):
            raw = b""
        if not raw:
            raise ServiceError("InvalidPublicKey", "The public key is not in a valid format.", 400)
        fingerprint = ":".join(f"{b:02x}" for b in hashlib.md5(raw).digest())
        mine = self._of_user(ctx, "ssh", user)
        if any(k["Fingerprint"] == fingerprint for k in mine):
            raise ServiceError("DuplicateSSHPublicKey", "The SSH public key is already associated with the "
                               "specified IAM user.", 400)
        if len(mine) >= 5:
            raise ServiceError("LimitExceeded", "Cannot exceed quota for PublicKeysPerUser: 5", 409)
        doc = {"UserName": user["UserName"], "SSHPublicKeyId": _id("APKA", 16), "Fingerprint": fingerprint,
               "SSHPublicKeyBody": body, "Status": "Active", "UploadDate": self.clock.now()}
        self.store.put(ctx.account, "ssh", doc["SSHPublicKeyId"], doc)
        return {"SSHPublicKey": doc}

    def get_ssh_public_key(self, ctx, params):
        user = self._entity(ctx, "user", params.get("UserName"))
        key_id = params.get("SSHPublicKeyId")
        doc = self._owned(ctx, "ssh", user, key_id, f"The Public Key with id {key_id} cannot be found.")
        out = dict(doc)
        if params.get("Encoding") == "PEM":
            out["SSHPublicKeyBody"] = ("-----BEGIN PUBLIC KEY-----\n" + doc["SSHPublicKeyBody"].split()[1] +
                                       "\n-----END PUBLIC KEY-----\n")
        return {"SSHPublicKey": out}

    def list_ssh_public_keys(self, ctx, params):
        user = self._caller_user(ctx, params.get("UserName"))
        keys = self._of_user(ctx, "ssh", user) if user else []
        return page([{k: d[k] for k in ("UserName", "SSHPublicKeyId", "Status", "UploadDate")} for d in keys],
                    params, "SSHPublicKeys")

    def update_ssh_public_key(self, ctx, params):
        user = self._entity(ctx, "user", params.get("UserName"))
        key_id = params.get("SSHPublicKeyId")
        doc = self._owned(ctx, "ssh", user, key_id, f"The Public Key with id {key_id} cannot be found.")
        doc["Status"] = _status(params.get("Status"))
        self.store.put(ctx.account, "ssh", key_id, doc)
        return {}

    def delete_ssh_public_key(self, ctx, params):
        user = self._entity(ctx, "user", params.get("UserName"))
        key_id = params.get("SSHPublicKeyId")
        self._owned(ctx, "ssh", user, key_id, f"The Public Key with id {key_id} cannot be found.")
        self.store.delete(ctx.account, "ssh", key_id)
        return {}

    # -- signing certificates --------------------------------------------------------------------

    def upload_signing_certificate(self, ctx, params):
        user = self._caller_user(ctx, params.get("UserName"))
        if user is None:
            raise ServiceError("InvalidInput", "Signing certificates of the root user are not kept by nubis.", 400)
        body = params.get("CertificateBody") or ""
        self._certificate_expiry(body)  # MalformedCertificate unless it is a PEM X.509 certificate
        mine = self._of_user(ctx, "signing", user)
        if any(c["CertificateBody"].strip() == body.strip() for c in mine):
            raise ServiceError("DuplicateCertificate", "The request was rejected because the same certificate is "
                               "associated with an IAM user in the account.", 409)
        if len(mine) >= 2:
            raise ServiceError("LimitExceeded", "Cannot exceed quota for SigningCertificatesPerUser: 2", 409)
        doc = {"UserName": user["UserName"], "CertificateId": _id("", 32), "CertificateBody": body,
               "Status": "Active", "UploadDate": self.clock.now()}
        self.store.put(ctx.account, "signing", doc["CertificateId"], doc)
        return {"Certificate": doc}

    def list_signing_certificates(self, ctx, params):
        user = self._caller_user(ctx, params.get("UserName"))
        return page(self._of_user(ctx, "signing", user) if user else [], params, "Certificates")

    def update_signing_certificate(self, ctx, params):
        user = self._caller_user(ctx, params.get("UserName"))
        cid = params.get("CertificateId")
        doc = self._owned(ctx, "signing", user or {"UserName": None}, cid,
                          f"The Certificate with id {cid} cannot be found.")
        doc["Status"] = _status(params.get("Status"))
        self.store.put(ctx.account, "signing", cid, doc)
        return {}

    def delete_signing_certificate(self, ctx, params):
        user = self._caller_user(ctx, params.get("UserName"))
        cid = params.get("CertificateId")
        self._owned(ctx, "signing", user or {"UserName": None}, cid, f"The Certificate with id {cid} cannot be found.")
        self.store.delete(ctx.account, "signing", cid)
        return {}

    # -- service-specific credentials ------------------------------------------------------------

    def create_service_specific_credential(self, ctx, params):
        user = self._entity(ctx, "user", params.get("UserName"))
        service = params.get("ServiceName")
        if service not in _SERVICES:
            raise ServiceError("NotSupportedService", f"The specified service '{service}' is not supported for "
                               "service-specific credentials.", 404)
        if sum(c["ServiceName"] == service for c in self._of_user(ctx, "ssc", user)) >= 2:
            raise ServiceError("LimitExceeded", "Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: "
                               "2", 409)
        doc = {"CreateDate": self.clock.now(), "ServiceName": service,
               "ServiceUserName": f"{user['UserName']}-at-{ctx.account}",
               "ServicePassword": base64.b64encode(secrets.token_bytes(33)).decode(),
               "ServiceSpecificCredentialId": _id("ACCA", 17), "UserName": user["UserName"], "Status": "Active"}
        if params.get("CredentialAgeDays"):
            doc["ExpirationDate"] = self.clock.now() + params["CredentialAgeDays"] * 86400
        self.store.put(ctx.account, "ssc", doc["ServiceSpecificCredentialId"], doc)
        return {"ServiceSpecificCredential": doc}

    def _ssc(self, ctx, params) -> dict:
        user = self._caller_user(ctx, params.get("UserName"))
        cid = params.get("ServiceSpecificCredentialId")
        return self._owned(ctx, "ssc", user or {"UserName": None}, cid,
                           f"No such credential {cid} exists for user.")

    def list_service_specific_credentials(self, ctx, params):
        if params.get("AllUsers"):
            docs = sorted(self.store.all(ctx.account, "ssc"), key=lambda d: d["CreateDate"])
        else:
            user = self._caller_user(ctx, params.get("UserName"))
            docs = self._of_user(ctx, "ssc", user) if user else []
        if params.get("ServiceName"):
            docs = [d for d in docs if d["ServiceName"] == params["ServiceName"]]
        return page([{k: v for k, v in d.items() if k != "ServicePassword"} for d in docs], params,
                    "ServiceSpecificCredentials")

    def reset_service_specific_credential(self, ctx, params):
        doc = self._ssc(ctx, params)
        doc["ServicePassword"] = base64.b64encode(secrets.token_bytes(33)).decode()
        self.store.put(ctx.account, "ssc", doc["ServiceSpecificCredentialId"], doc)
        return {"ServiceSpecificCredential": doc}

    def update_service_specific_credential(self, ctx, params):
        doc = self._ssc(ctx, params)
        doc["Status"] = _status(params.get("Status"))
        self.store.put(ctx.account, "ssc", doc["ServiceSpecificCredentialId"], doc)
        return {}

    def delete_service_specific_credential(self, ctx, params):
        doc = self._ssc(ctx, params)
        self.store.delete(ctx.account, "ssc", doc["ServiceSpecificCredentialId"])
        return {}

    # -- MFA device details ----------------------------------------------------------------------

    def get_mfa_device(self, ctx, params):
        serial = params.get("SerialNumber") or ""
        doc = self.store.get(ctx.account, "mfa", serial)
        if doc is None or not doc.get("_user"):
            raise ServiceError("NoSuchEntity", f"MFA device with serial number {serial} not found.", 404)
        user = self.store.get(ctx.account, "user", doc["_user"])
        return {"UserName": user["UserName"] if user else doc["_user"], "SerialNumber": serial,
                "EnableDate": doc["EnableDate"]}

    def resync_mfa_device(self, ctx, params):
        user = self._entity(ctx, "user", params.get("UserName"))
        doc = self.store.get(ctx.account, "mfa", params.get("SerialNumber") or "")
        if doc is None or doc.get("_user") != user["UserName"].lower():
            raise ServiceError("NoSuchEntity", f"MFA Device with serial number {params.get('SerialNumber')} does "
                               "not exist.", 404)
        for code in ("AuthenticationCode1", "AuthenticationCode2"):
            if not re.fullmatch(r"\d{6}", params.get(code) or ""):
                raise ServiceError("InvalidAuthenticationCode", "Authentication code for device is not valid.", 403)
        return {}

    # -- account settings and service access -----------------------------------------------------

    def set_security_token_service_preferences(self, ctx, params):
        version = params.get("GlobalEndpointTokenVersion")
        if version not in ("v1Token", "v2Token"):
            raise ServiceError("ValidationError", f"1 validation error detected: Value '{version}' at "
                               "'globalEndpointTokenVersion' failed to satisfy constraint: Member must satisfy enum "
                               "value set: [v1Token, v2Token]", 400)
        self.store.put(ctx.account, "settings", "sts", {"GlobalEndpointTokenVersion": version})
        return {}

    def list_policies_granting_service_access(self, ctx, params):
        found = self.entity_by_arn(params.get("Arn") or "")
        if found is None:
            raise ServiceError("NoSuchEntity", f"The entity {params.get('Arn')} cannot be found.", 404)
        account, kind, entity = found
        holders = [(kind, entity)]
        if kind == "user":
            holders += [("group", g) for g in (self.store.get(account, "group", k) for k in entity["_groups"]) if g]
        out = []
        for namespace in params.get("ServiceNamespaces") or []:
            policies = []
            for holder_kind, holder in holders:
                name = holder[f"{holder_kind.capitalize()}Name"]
                for pname, text in sorted(holder["_inline"].items()):
                    if _grants(text, namespace):
                        entry = {"PolicyName": pname, "PolicyType": "INLINE"}
                        if holder_kind == "group":
                            entry.update(EntityType="GROUP", EntityName=name)
                        policies.append(entry)
                for arn in holder["_attached"]:
                    text = self.managed_document(account, arn)
                    if text and _grants(text, namespace):
                        entry = {"PolicyName": arn.rsplit("/", 1)[1], "PolicyType": "MANAGED", "PolicyArn": arn}
                        if holder_kind == "group":
                            entry.update(EntityType="GROUP", EntityName=name)
                        policies.append(entry)
            out.append({"ServiceNamespace": namespace, "Policies": policies})
        return {"PoliciesGrantingServiceAccess": out, "IsTruncated": False}


def _grants(text: str, namespace: str) -> bool:
    """Whether a policy allows some action of the service ``namespace``."""
    for st in engine.statements(text):
        if st.get("Effect") != "Allow":
            continue
        if "NotAction" in st:
            return True
        for action in st.get("Action") if isinstance(st.get("Action"), list) else [st.get("Action")]:
            if isinstance(action, str) and (action == "*" or action.split(":", 1)[0].lower() == namespace.lower()):
                return True
    return False
