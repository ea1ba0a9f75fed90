"""AWS Identity and Access Management: users, groups, roles, policies, keys.

IAM is global: an account's entities are the same in every Region. Every
entity is a document in ``store.py``; fields of a document that start with
``_`` are IAM's own (inline policies, attachments, secrets), the rest is the
entity's shape in the API. Policy documents are kept as the text the caller
gave and returned URL-encoded, as IAM does.

``credential_for`` is how the enforcer (``auth/credentials.py``) learns an
IAM user's access key: the user's ARN, ids and every policy that applies to
it (its own, its groups', attached managed ones and its permissions boundary).
"""
from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass

from ...auth import policy as iam_policy
from ...auth.credentials import Credential, partition, root_arn
from ...auth.enforce import resolver
from ...protocol.errors import ServiceError
from ..base import Provider, RequestContext
from . import documents, managed, simulate
from .paging import page
from .account import AccountMixin
from .entities import (KINDS, LABEL, access_key_id, check_name, check_path, conflict, exists, invalid,
                       merge_tags, new_id, no_such, public, secret_key, tags_in, validation)
from .delegation import DelegationMixin
from .identity_providers import IdentityProvidersMixin
from .last_accessed import LastAccessedMixin
from .login_and_mfa import LoginAndMfaMixin
from .organizations import OrganizationsMixin
from .outbound_federation import OutboundFederationMixin
from .server_certificates import ServerCertificatesMixin
from .user_credentials import UserCredentialsMixin
from .store import MIGRATIONS, IamStore

@dataclass(frozen=True)
class TaggedCredential(Credential):
    """A credential whose principal has tags: ``aws:PrincipalTag/<key>`` in policies
    (``auth/enforce.py`` adds them to a request's condition keys)."""

    principal_tags: tuple = ()  # (("aws:principaltag/<key lower-cased>", value), ...)


def principal_tags(tags) -> tuple:
    """IAM tags ([{Key, Value}] or {key: value}) as ``TaggedCredential.principal_tags``."""
    pairs = tags.items() if isinstance(tags, dict) else ((t["Key"], t["Value"]) for t in tags or ())
    return tuple((f"aws:principaltag/{k.lower()}", v) for k, v in pairs)


def caller_arn(runtime, ctx: RequestContext) -> str:
    """Who is calling: the principal enforcement found, else (enforcement off) what the
    access key stands for, else the account's root."""
    if ctx.principal:
        return ctx.principal
    if ctx.access_key and not ctx.internal:
        cred = resolver(runtime).resolve(ctx.access_key)
        if cred is not None and not cred.is_root:
            return cred.principal
    return root_arn(ctx.account, ctx.region)


class IamProvider(LoginAndMfaMixin, UserCredentialsMixin, IdentityProvidersMixin, ServerCertificatesMixin,
                  AccountMixin, LastAccessedMixin, OrganizationsMixin, OutboundFederationMixin, DelegationMixin,
                  Provider):
    service = "iam"
    migrations = MIGRATIONS

    def start(self) -> None:
        self.store = IamStore(self.db)
        self.last_used: dict[str, float] = {}
        self._credentials: dict[str, tuple[int, Credential]] = {}  # access key -> (store.generation, credential)

    def reset(self) -> None:
        self.store.load()
        self.last_used.clear()

    # -- helpers -----------------------------------------------------------------------------

    def _arn(self, ctx: RequestContext, kind: str, path: str, name: str) -> str:
        return f"arn:{partition(ctx.region)}:iam::{ctx.account}:{KINDS[kind][1]}{path}{name}"

    def _entity(self, ctx: RequestContext, kind: str, name) -> dict:
        doc = self.store.get(ctx.account, kind, str(name or "").lower())
        if doc is None:
            if kind == "profile":
                raise no_such(f"Instance Profile {name} cannot be found.")
            raise no_such(f"The {LABEL[kind]} with name {name} cannot be found.")
        return doc

    def _create(self, ctx: RequestContext, kind: str, name: str, path: str, extra: dict) -> dict:
        key = name.lower()
        if self.store.get(ctx.account, kind, key) is not None:
            if kind == "profile":
                raise exists(f"Instance Profile {name} already exists.")
            if kind == "policy":
                raise exists(f"A policy called {name} already exists. Duplicate names are not allowed.")
            raise exists(f"{LABEL[kind].capitalize()} with name {name} already exists.")
        field, _, prefix = KINDS[kind]
        doc = {"Path": path, field: name, field[:-4] + "Id": new_id(prefix),
               "Arn": self._arn(ctx, kind, path, name), "CreateDate": self.clock.now(), **extra}
        return self.store.put(ctx.account, kind, key, doc)

    def _save(self, ctx: RequestContext, kind: str, doc: dict) -> None:
        self.store.put(ctx.account, kind, doc[KINDS[kind][0]].lower(), doc)

    def _boundary(self, ctx: RequestContext, arn) -> dict | None:
        if not arn:
            return None
        self._managed(ctx, arn, boundary=True)
        return {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": arn}

    def _caller_user(self, ctx: RequestContext, name) -> dict | None:
        """The user a UserName names, or, without one, the caller (an IAM user; None: a root)."""
        if name:
            return self._entity(ctx, "user", name)
        m = re.match(r"arn:[^:]+:iam::\d+:user/(?:.*/)?([^/]+)$", caller_arn(self.runtime, ctx))
        if m:
            return self._entity(ctx, "user", m.group(1))
        return None

    # -- policy documents as the enforcer and the simulator use them ---------------------------------

    def managed_document(self, account: str, arn: str) -> str | None:
        """The default version's document of the managed policy ``arn``."""
        name = managed.BY_ARN.get(arn)
        if name is not None:
            return managed.document(name)
        doc = self._customer_policy(account, arn)
        if doc is None:
            return None
        return doc["_versions"][doc["DefaultVersionId"]]["Document"]

    def _customer_policy(self, account: str, arn: str) -> dict | None:
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[4] != account or not parts[5].startswith("policy/"):
            return None
        doc = self.store.get(account, "policy", parts[5].rsplit("/", 1)[-1].lower())
        return doc if doc is not None and doc["Arn"] == arn else None

    def _own_policies(self, account: str, entity: dict) -> list[str]:
        out = list(entity.get("_inline", {}).values())
        for arn in entity.get("_attached", []):
            text = self.managed_document(account, arn)
            if text is not None:
                out.append(text)
        return out

    def _with_boundary(self, account: str, entity: dict, policies: list) -> list:
        b = entity.get("PermissionsBoundary")
        if b:
            text = self.managed_document(account, b["PermissionsBoundaryArn"])
            policies.append(iam_policy.Limit((text,) if text else ()))
        return policies

    def user_policies(self, account: str, user: dict) -> list:
        """Every identity policy of a user: its own, its groups', its boundary (a ``Limit``)."""
        out = self._own_policies(account, user)
        for g in user.get("_groups", []):
            group = self.store.get(account, "group", g)
            if group is not None:
                out += self._own_policies(account, group)
        return self._with_boundary(account, user, out)

    def role_policies(self, account: str, role: dict) -> list:
        return self._with_boundary(account, role, self._own_policies(account, role))

    def entity_by_arn(self, arn: str) -> tuple[str, str, dict] | None:
        """``arn:aws:iam::<account>:user|role|group/<path><name>`` -> (account, kind, document)."""
        m = re.match(r"arn:[^:]+:iam::(\d{12}):(user|role|group)/(?:.*/)?([^/]+)$", arn or "")
        if m is None:
            return None
        doc = self.store.get(m.group(1), m.group(2), m.group(3).lower())
        if doc is None or doc["Arn"] != arn:
            return None
        return m.group(1), m.group(2), doc

    def credential_for(self, access_key: str) -> Credential | None:
        # Asked on every enforced request: kept until anything in IAM changes (store.generation).
        cached = self._credentials.get(access_key)
        if cached is not None and cached[0] == self.store.generation:
            self.last_used[access_key] = self.clock.now()
            return cached[1]
        found = self.store.keys.get(access_key)
        if found is None:
            return None
        account, key = found
        if key["Status"] != "Active":
            return None
        user = self.store.get(account, "user", key["UserName"].lower())
        if user is None:
            return None
        self.last_used[access_key] = self.clock.now()
        cred = TaggedCredential(access_key, key["_secret"], account, user["Arn"], user_id=user["UserId"],
                                username=user["UserName"], policies=tuple(self.user_policies(account, user)),
                                principal_tags=principal_tags(user.get("Tags")))
        if len(self._credentials) > 4096:
            self._credentials.clear()
        self._credentials[access_key] = (self.store.generation, cred)
        return cred

    # -- users ---------------------------------------------------------------------------------

    def create_user(self, ctx, params):
        name = check_name(params.get("UserName"), "userName", 64)
        path = check_path(params.get("Path"))
        extra = {"Tags": tags_in(params), "_inline": {}, "_attached": [], "_groups": []}
        boundary = self._boundary(ctx, params.get("PermissionsBoundary"))
        if boundary:
            extra["PermissionsBoundary"] = boundary
        return {"User": public(self._create(ctx, "user", name, path, extra))}

    def get_user(self, ctx, params):
        user = self._caller_user(ctx, params.get("UserName"))
        if user is None:
            # The account's root: its own ARN, the account id as its id.
            return {"User": {"UserId": ctx.account, "Arn": root_arn(ctx.account, ctx.region),
                             "CreateDate": self.clock.now(), "Path": "/"}}
        return {"User": public(user)}

    def list_users(self, ctx, params):
        prefix = params.get("PathPrefix") or "/"
        users = sorted((u for u in self.store.all(ctx.account, "user") if u["Path"].startswith(prefix)),
                       key=lambda u: u["UserName"].lower())
        return page([public(u) for u in users], params, "Users")

    def update_user(self, ctx, params):
        user = self._entity(ctx, "user", params.get("UserName"))
        new_name = params.get("NewUserName")
        path = check_path(params["NewPath"], "newPath") if params.get("NewPath") else user["Path"]
        if new_name:
            check_name(new_name, "newUserName", 64)
            if new_name.lower() != user["UserName"].lower() and self.store.get(ctx.account, "user",
                                                                                  new_name.lower()):
                raise exists(f"User with name {new_name} already exists.")
            self.store.delete(ctx.account, "user", user["UserName"].lower())
            for key in self.store.all(ctx.account, "accesskey"):
                if key["UserName"] == user["UserName"]:
                    key["UserName"] = new_name
                    self.store.put(ctx.account, "accesskey", key["AccessKeyId"], key)
            for device in self.store.all(ctx.account, "mfa"):
                if device.get("_user") == user["UserName"].lower():
                    device["_user"] = new_name.lower()
                    self.store.put(ctx.account, "mfa", device["_key"], device)
            login = self.store.get(ctx.account, "login", user["UserName"].lower())
            if login is not None:
                self.store.delete(ctx.account, "login", user["UserName"].lower())
                login["UserName"] = new_name
                self.store.put(ctx.account, "login", new_name.lower(), login)
            user["UserName"] = new_name
        user["Path"] = path
        user["Arn"] = self._arn(ctx, "user", path, user["UserName"])
        self._save(ctx, "user", user)
        return {}

    def delete_user(self, ctx, params):
        user = self._entity(ctx, "user", params.get("UserName"))
        name = user["UserName"]
        if any(k["UserName"] == name for k in self.store.all(ctx.account, "accesskey")):
            raise conflict("Cannot delete entity, must delete access keys first.")
        if self.store.get(ctx.account, "login", name.lower()) is not None:
            raise conflict("Cannot delete entity, must delete login profile first.")
        if user["_inline"] or user["_attached"]:
            raise conflict("Cannot delete entity, must delete policies first." if user["_inline"] else
                           "Cannot delete entity, must detach all policies first.")
        if user["_groups"]:
            raise conflict("Cannot delete entity, must remove users from group first.")
        if any(d.get("_user") == name.lower() for d in self.store.all(ctx.account, "mfa")):
            raise conflict("Cannot delete entity, must delete MFA device first.")
        held = self.user_credentials_in_use(ctx, user)
        if held:
            raise conflict(held)
        self.store.delete(ctx.account, "user", name.lower())
        return {}

    # -- tags (users, roles, policies, instance profiles, providers, MFA devices, certificates) ----------

    def _tag(self, ctx, kind, key, params):
        doc = self._tagged(ctx, kind, key)
        doc["Tags"] = merge_tags(doc.get("Tags") or [], tags_in(params))
        self.store.put(ctx.account, kind, self._store_key(kind, doc), doc)
        return {}

    def _untag(self, ctx, kind, key, params):
        doc = self._tagged(ctx, kind, key)
        drop = set(params.get("TagKeys") or [])
        doc["Tags"] = [t for t in doc.get("Tags") or [] if t["Key"] not in drop]
        self.store.put(ctx.account, kind, self._store_key(kind, doc), doc)
        return {}

    def _list_tags(self, ctx, kind, key, params):
        return page(list(self._tagged(ctx, kind, key).get("Tags") or []), params, "Tags")

    def _tagged(self, ctx, kind, key) -> dict:
        if kind == "policy":
            doc = self._customer_policy(ctx.account, key or "")
            if doc is None:
                raise no_such(f"Policy {key} was not found.")
            return doc
        if kind in KINDS:
            return self._entity(ctx, kind, key)
        doc = self.store.get(ctx.account, kind, key or "")
        if doc is None:
            raise no_such(f"{kind.upper() if kind != 'cert' else 'Server certificate'} {key} not found.")
        return doc

    @staticmethod
    def _store_key(kind, doc) -> str:
        if kind in KINDS:
            return doc[KINDS[kind][0]].lower()
        return doc["_key"]

    def tag_user(self, ctx, p): return self._tag(ctx, "user", p.get("UserName"), p)
    def untag_user(self, ctx, p): return self._untag(ctx, "user", p.get("UserName"), p)
    def list_user_tags(self, ctx, p): return self._list_tags(ctx, "user", p.get("UserName"), p)
    def tag_role(self, ctx, p): return self._tag(ctx, "role", p.get("RoleName"), p)
    def untag_role(self, ctx, p): return self._untag(ctx, "role", p.get("RoleName"), p)
    def list_role_tags(self, ctx, p): return self._list_tags(ctx, "role", p.get("RoleName"), p)
    def tag_policy(self, ctx, p): return self._tag(ctx, "policy", p.get("PolicyArn"), p)
    def untag_policy(self, ctx, p): return self._untag(ctx, "policy", p.get("PolicyArn"), p)
    def list_policy_tags(self, ctx, p): return self._list_tags(ctx, "policy", p.get("PolicyArn"), p)
    def tag_instance_profile(self, ctx, p): return self._tag(ctx, "profile", p.get("InstanceProfileName"), p)
    def untag_instance_profile(self, ctx, p): return self._untag(ctx, "profile", p.get("InstanceProfileName"), p)
    def list_instance_profile_tags(self, ctx, p):
        return self._list_tags(ctx, "profile", p.get("InstanceProfileName"), p)
    def tag_open_id_connect_provider(self, ctx, p):
        return self._tag(ctx, "oidc", p.get("OpenIDConnectProviderArn"), p)
    def untag_open_id_connect_provider(self, ctx, p):
        return self._untag(ctx, "oidc", p.get("OpenIDConnectProviderArn"), p)
    def list_open_id_connect_provider_tags(self, ctx, p):
        return self._list_tags(ctx, "oidc", p.get("OpenIDConnectProviderArn"), p)
    def tag_saml_provider(self, ctx, p): return self._tag(ctx, "saml", p.get("SAMLProviderArn"), p)
    def untag_saml_provider(self, ctx, p): return self._untag(ctx, "saml", p.get("SAMLProviderArn"), p)
    def list_saml_provider_tags(self, ctx, p): return self._list_tags(ctx, "saml", p.get("SAMLProviderArn"), p)
    def tag_mfa_device(self, ctx, p): return self._tag(ctx, "mfa", p.get("SerialNumber"), p)
    def untag_mfa_device(self, ctx, p): return self._untag(ctx, "mfa", p.get("SerialNumber"), p)
    def list_mfa_device_tags(self, ctx, p): return self._list_tags(ctx, "mfa", p.get("SerialNumber"), p)
    def tag_server_certificate(self, ctx, p):
        return self._tag(ctx, "cert", (p.get("ServerCertificateName") or "").lower(), p)
    def untag_server_certificate(self, ctx, p):
        return self._untag(ctx, "cert", (p.get("ServerCertificateName") or "").lower(), p)
    def list_server_certificate_tags(self, ctx, p):
        return self._list_tags(ctx, "cert", (p.get("ServerCertificateName") or "").lower(), p)

    # -- permissions boundaries ------------------------------------------------------------------

    def put_user_permissions_boundary(self, ctx, p):
        return self._put_boundary(ctx, "user", p.get("UserName"), p.get("PermissionsBoundary"))

    def delete_user_permissions_boundary(self, ctx, p):
        return self._put_boundary(ctx, "user", p.get("UserName"), None)

    def put_role_permissions_boundary(self, ctx, p):
        return self._put_boundary(ctx, "role", p.get("RoleName"), p.get("PermissionsBoundary"))

    def delete_role_permissions_boundary(self, ctx, p):
        return self._put_boundary(ctx, "role", p.get("RoleName"), None)

    def _put_boundary(self, ctx, kind, name, arn):
        doc = self._entity(ctx, kind, name)
        if arn:
            doc["PermissionsBoundary"] = self._boundary(ctx, arn)
        else:
            doc.pop("PermissionsBoundary", None)
        self._save(ctx, kind, doc)
        return {}

    # -- groups ----------------------------------------------------------------------------------

    def create_group(self, ctx, params):
        name = check_name(params.get("GroupName"), "groupName", 128)
        path = check_path(params.get("Path"))
        return {"Group": public(self._create(ctx, "group", name, path, {"_inline": {}, "_attached": []}))}

    def get_group(self, ctx, params):
        group = self._entity(ctx, "group", params.get("GroupName"))
        key = group["GroupName"].lower()
        users = sorted((u for u in self.store.all(ctx.account, "user") if key in u["_groups"]),
                       key=lambda u: u["UserName"].lower())
        out = page([public(u) for u in users], params, "Users")
        out["Group"] = public(group)
        return out

    def list_groups(self, ctx, params):
        prefix = params.get("PathPrefix") or "/"
        groups = sorted((g for g in self.store.all(ctx.account, "group") if g["Path"].startswith(prefix)),
                        key=lambda g: g["GroupName"].lower())
        return page([public(g) for g in groups], params, "Groups")

    def update_group(self, ctx, params):
        group = self._entity(ctx, "group", params.get("GroupName"))
        old = group["GroupName"].lower()
        new_name = params.get("NewGroupName")
        if params.get("NewPath"):
            group["Path"] = check_path(params["NewPath"], "newPath")
        if new_name:
            check_name(new_name, "newGroupName", 128)
            if new_name.lower() != old and self.store.get(ctx.account, "group", new_name.lower()):
                raise exists(f"Group with name {new_name} already exists.")
            self.store.delete(ctx.account, "group", old)
            group["GroupName"] = new_name
            for u in self.store.all(ctx.account, "user"):
                if old in u["_groups"]:
                    u["_groups"] = [new_name.lower() if g == old else g for g in u["_groups"]]
                    self._save(ctx, "user", u)
        group["Arn"] = self._arn(ctx, "group", group["Path"], group["GroupName"])
        self._save(ctx, "group", group)
        return {}

    def delete_group(self, ctx, params):
        group = self._entity(ctx, "group", params.get("GroupName"))
        key = group["GroupName"].lower()
        if any(key in u["_groups"] for u in self.store.all(ctx.account, "user")):
            raise conflict("Cannot delete entity, must remove users from group first.")
        if group["_inline"] or group["_attached"]:
            raise conflict("Cannot delete entity, must delete policies first." if group["_inline"] else
                           "Cannot delete entity, must detach all policies first.")
        self.store.delete(ctx.account, "group", key)
        return {}

    def add_user_to_group(self, ctx, params):
        group = self._entity(ctx, "group", params.get("GroupName"))
        user = self._entity(ctx, "user", params.get("UserName"))
        key = group["GroupName"].lower()
        if key not in user["_groups"]:
            if len(user["_groups"]) >= 10:
                raise ServiceError("LimitExceeded", "Cannot exceed quota for GroupsPerUser: 10", 409)
            user["_groups"].append(key)
            self._save(ctx, "user", user)
        return {}

    def remove_user_from_group(self, ctx, params):
        group = self._entity(ctx, "group", params.get("GroupName"))
        user = self._entity(ctx, "user", params.get("UserName"))
        key = group["GroupName"].lower()
        if key in user["_groups"]:
            user["_groups"].remove(key)
            self._save(ctx, "user", user)
        return {}

    def list_groups_for_user(self, ctx, params):
        user = self._entity(ctx, "user", params.get("UserName"))
        groups = [self.store.get(ctx.account, "group", g) for g in user["_groups"]]
        return page([public(g) for g in groups if g], params, "Groups")

    # -- roles -----------------------------------------------------------------------------------

    def _max_session(self, value) -> int:
        if value is None:
            return 3600
        if not 3600 <= value <= 43200:
            raise validation(value, "maxSessionDuration", "Member must have value less than or equal to 43200"
                             if value > 43200 else "Member must have value greater than or equal to 3600")
        return value

    def create_role(self, ctx, params):
        name = check_name(params.get("RoleName"), "roleName", 64)
        path = check_path(params.get("Path"))
        trust = params.get("AssumeRolePolicyDocument")
        self._check_principals(documents.check(trust, "trust", documents.MAX_SIZE["trust"]))
        extra = {"_trust": trust, "MaxSessionDuration": self._max_session(params.get("MaxSessionDuration")),
                 "Tags": tags_in(params), "_inline": {}, "_attached": [], "RoleLastUsed": {}}
        if params.get("Description") is not None:
            extra["Description"] = params["Description"]
        boundary = self._boundary(ctx, params.get("PermissionsBoundary"))
        if boundary:
            extra["PermissionsBoundary"] = boundary
        return {"Role": self._role_out(self._create(ctx, "role", name, path, extra), listing=True)}

    def _role_out(self, role: dict, listing: bool = False) -> dict:
        out = public(role)
        out["AssumeRolePolicyDocument"] = documents.encoded(role["_trust"])
        if listing:  # ListRoles and CreateRole leave it out
            out.pop("RoleLastUsed", None)
        return out

    def _check_principals(self, doc: dict) -> None:
        """A trust policy may name only users and roles that exist (IAM resolves them when it
        stores the policy)."""
        for st in doc["Statement"] if isinstance(doc["Statement"], list) else [doc["Statement"]]:
            principal = st.get("Principal", st.get("NotPrincipal"))
            names = principal.get("AWS", []) if isinstance(principal, dict) else []
            for arn in names if isinstance(names, list) else [names]:
                if re.match(r"arn:[^:]+:iam::\d{12}:(user|role)/", arn) and "*" not in arn \
                        and self.entity_by_arn(arn) is None:
                    raise documents.malformed(f'Invalid principal in policy: "AWS":"{arn}"')

    def get_role(self, ctx, params):
        return {"Role": self._role_out(self._entity(ctx, "role", params.get("RoleName")))}

    def role_by_arn(self, arn: str) -> tuple[str, dict] | None:
        """The role an ARN names (its path included), for STS: (account, document)."""
        found = self.entity_by_arn(arn)
        if found is None or found[1] != "role":
            return None
        return found[0], found[2]

    def trust_of(self, role: dict) -> str:
        return role["_trust"]

    def role_used(self, account: str, role: dict, region: str) -> None:
        role["RoleLastUsed"] = {"LastUsedDate": self.clock.now(), "Region": region}
        self.store.put(account, "role", role["RoleName"].lower(), role)

    def list_roles(self, ctx, params):
        prefix = params.get("PathPrefix") or "/"
        roles = sorted((r for r in self.store.all(ctx.account, "role") if r["Path"].startswith(prefix)),
                       key=lambda r: r["RoleName"].lower())
        return page([self._role_out(r, listing=True) for r in roles], params, "Roles")

    def update_role(self, ctx, params):
        role = self._entity(ctx, "role", params.get("RoleName"))
        if params.get("Description") is not None:
            role["Description"] = params["Description"]
        if params.get("MaxSessionDuration") is not None:
            role["MaxSessionDuration"] = self._max_session(params["MaxSessionDuration"])
        self._save(ctx, "role", role)
        return {}

    def update_role_description(self, ctx, params):
        role = self._entity(ctx, "role", params.get("RoleName"))
        role["Description"] = params.get("Description", "")
        self._save(ctx, "role", role)
        return {"Role": self._role_out(role)}

    def update_assume_role_policy(self, ctx, params):
        role = self._entity(ctx, "role", params.get("RoleName"))
        self._check_principals(documents.check(params.get("PolicyDocument"), "trust", documents.MAX_SIZE["trust"]))
        role["_trust"] = params["PolicyDocument"]
        self._save(ctx, "role", role)
        return {}

    def delete_role(self, ctx, params):
        role = self._entity(ctx, "role", params.get("RoleName"))
        key = role["RoleName"].lower()
        if role["Path"].startswith("/aws-service-role/") and not ctx.internal:
            raise ServiceError("UnmodifiableEntity", f"Cannot perform the operation on the protected role "
                               f"'{role['RoleName']}' - this role is only modifiable by AWS", 400)
        if any(key in p["_roles"] for p in self.store.all(ctx.account, "profile")):
            raise conflict("Cannot delete entity, must remove roles from instance profile first.")
        if role["_inline"] or role["_attached"]:
            raise conflict("Cannot delete entity, must delete policies first." if role["_inline"] else
                           "Cannot delete entity, must detach all policies first.")
        self.store.delete(ctx.account, "role", key)
        return {}

    def create_service_linked_role(self, ctx, params):
        service = params.get("AWSServiceName") or ""
        if not re.fullmatch(r"[\w+=,.@-]+\.amazonaws\.com(\.cn)?", service):
            raise invalid(f"Invalid service name {service}.")
        label = service.split(".")[0]
        base = "AWSServiceRoleFor" + "".join(p.capitalize() if p.islower() else p for p in re.split(r"[-_]", label))
        name = base + (f"_{params['CustomSuffix']}" if params.get("CustomSuffix") else "")
        trust = json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})
        extra = {"_trust": trust, "MaxSessionDuration": 3600, "Tags": [], "_inline": {}, "_attached": [],
                 "RoleLastUsed": {}, "Description": params.get("Description") or ""}
        role = self._create(ctx, "role", name, f"/aws-service-role/{service}/", extra)
        return {"Role": self._role_out(role, listing=True)}

    def delete_service_linked_role(self, ctx, params):
        role = self._entity(ctx, "role", params.get("RoleName"))
        role["_inline"], role["_attached"] = {}, []
        self.store.delete(ctx.account, "role", role["RoleName"].lower())
        task = f"task/aws-service-role/{role['Path'].split('/')[2]}/{role['RoleName']}/{secrets.token_hex(8)}"
        return {"DeletionTaskId": f"arn:aws:iam::{ctx.account}:role/{task}"}

    def get_service_linked_role_deletion_status(self, ctx, params):
        return {"Status": "SUCCEEDED"}

    # -- managed policies -----------------------------------------------------------------------

    def _managed(self, ctx, arn, boundary: bool = False) -> dict:
        """A managed policy (AWS's or the account's) as a ``Policy`` shape, or NoSuchEntity."""
        if not isinstance(arn, str) or not arn.startswith("arn:"):
            raise invalid(f"ARN {arn} is not valid.")
        name = managed.BY_ARN.get(arn)
        if name is not None:
            return managed.policy(name, self._attachments(ctx.account, arn))
        doc = self._customer_policy(ctx.account, arn)
        if doc is None:
            if boundary:
                raise no_such(f"Scope ARN: {arn} does not exist or is not attachable.")
            raise no_such(f"Policy {arn} does not exist or is not attachable.")
        return doc

    def _attachments(self, account: str, arn: str) -> int:
        return sum(arn in e.get("_attached", []) for kind in ("user", "group", "role")
                   for e in self.store.all(account, kind))

    def _boundary_uses(self, account: str, arn: str) -> int:
        return sum((e.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn") == arn
                   for kind in ("user", "role") for e in self.store.all(account, kind))

    def _policy_out(self, account: str, doc: dict) -> dict:
        if "_versions" not in doc:
            return doc
        out = public(doc)
        out["AttachmentCount"] = self._attachments(account, doc["Arn"])
        out["PermissionsBoundaryUsageCount"] = self._boundary_uses(account, doc["Arn"])
        return out

    def create_policy(self, ctx, params):
        name = check_name(params.get("PolicyName"), "policyName", 128)
        path = check_path(params.get("Path"))
        text = params.get("PolicyDocument")
        documents.check(text, "identity", documents.MAX_SIZE["managed"])
        now = self.clock.now()
        extra = {"DefaultVersionId": "v1", "IsAttachable": True, "UpdateDate": now, "Tags": tags_in(params),
                 "_versions": {"v1": {"Document": text, "CreateDate": now}}, "_next": 2}
        if params.get("Description"):
            extra["Description"] = params["Description"]
        doc = self._create(ctx, "policy", name, path, extra)
        out = self._policy_out(ctx.account, doc)
        out.pop("Description", None)  # CreatePolicy's answer leaves the description out, as IAM does
        return {"Policy": out}

    def get_policy(self, ctx, params):
        return {"Policy": self._policy_out(ctx.account, self._managed(ctx, params.get("PolicyArn")))}

    def list_policies(self, ctx, params):
        scope = params.get("Scope") or "All"
        prefix = params.get("PathPrefix") or "/"
        items = []
        if scope in ("All", "AWS"):
            items += [managed.policy(n, self._attachments(ctx.account, managed.arn_of(n)))
                      for n in sorted(managed.POLICIES)]
        if scope in ("All", "Local"):
            items += [self._policy_out(ctx.account, p)
                      for p in sorted(self.store.all(ctx.account, "policy"), key=lambda p: p["PolicyName"].lower())]
        items = [p for p in items if p["Path"].startswith(prefix)]
        if params.get("OnlyAttached"):
            items = [p for p in items if p["AttachmentCount"] > 0]
        items = [{k: v for k, v in p.items() if k != "Description"} for p in items]  # ListPolicies leaves it out
        return page(items, params, "Policies")

    def delete_policy(self, ctx, params):
        doc = self._local_policy(ctx, params.get("PolicyArn"))
        if self._attachments(ctx.account, doc["Arn"]):
            raise conflict("Cannot delete a policy attached to entities.")
        if len(doc["_versions"]) > 1:
            raise conflict("This policy has more than one version. Before you delete a policy, you must delete "
                           "the policy's versions. The default version is deleted with the policy.")
        self.store.delete(ctx.account, "policy", doc["PolicyName"].lower())
        return {}

    def _local_policy(self, ctx, arn) -> dict:
        if arn in managed.BY_ARN:
            raise ServiceError("UnmodifiableEntity", f"Cannot perform the operation on the AWS managed policy "
                               f"{arn}.", 400)
        doc = self._customer_policy(ctx.account, arn or "")
        if doc is None:
            raise no_such(f"Policy {arn} was not found.")
        return doc

    def _version_out(self, doc: dict, vid: str, with_document: bool = True) -> dict:
        v = doc["_versions"][vid]
        out = {"VersionId": vid, "IsDefaultVersion": vid == doc["DefaultVersionId"], "CreateDate": v["CreateDate"]}
        if with_document:
            out["Document"] = documents.encoded(v["Document"])
        return out

    def create_policy_version(self, ctx, params):
        doc = self._local_policy(ctx, params.get("PolicyArn"))
        text = params.get("PolicyDocument")
        documents.check(text, "identity", documents.MAX_SIZE["managed"])
        if len(doc["_versions"]) >= 5:
            raise ServiceError("LimitExceeded", "A managed policy can have up to 5 versions. Before you create a "
                               "new version, you must delete an existing version.", 409)
        vid = f"v{doc['_next']}"
        doc["_next"] += 1
        doc["_versions"][vid] = {"Document": text, "CreateDate": self.clock.now()}
        if params.get("SetAsDefault"):
            doc["DefaultVersionId"] = vid
        doc["UpdateDate"] = self.clock.now()
        self._save(ctx, "policy", doc)
        return {"PolicyVersion": self._version_out(doc, vid, with_document=False)}

    def get_policy_version(self, ctx, params):
        arn, vid = params.get("PolicyArn"), params.get("VersionId")
        name = managed.BY_ARN.get(arn)
        if name is not None:
            if vid != "v1":
                raise no_such(f"Policy {arn} version {vid} does not exist or is not attachable.")
            return {"PolicyVersion": {"Document": documents.encoded(managed.document(name)), "VersionId": "v1",
                                      "IsDefaultVersion": True, "CreateDate": managed.CREATED}}
        doc = self._customer_policy(ctx.account, arn or "")
        if doc is None or vid not in doc["_versions"]:
            raise no_such(f"Policy {arn} version {vid} does not exist or is not attachable.")
        return {"PolicyVersion": self._version_out(doc, vid)}

    def list_policy_versions(self, ctx, params):
        arn = params.get("PolicyArn")
        if arn in managed.BY_ARN:
            return page([{"VersionId": "v1", "IsDefaultVersion": True, "CreateDate": managed.CREATED}],
                        params, "Versions")
        doc = self._customer_policy(ctx.account, arn or "")
        if doc is None:
            raise no_such(f"Policy {arn} was not found.")
        vids = sorted(doc["_versions"], key=lambda v: -int(v[1:]))
        return page([self._version_out(doc, v, with_document=False) for v in vids], params, "Versions")

    def delete_policy_version(self, ctx, params):
        doc = self._local_policy(ctx, params.get("PolicyArn"))
        vid = params.get("VersionId")
        if vid not in doc["_versions"]:
            raise no_such(f"Policy {doc['Arn']} version {vid} does not exist or is not deletable.")
        if vid == doc["DefaultVersionId"]:
            raise conflict("Cannot delete the default version of a policy.")
        del doc["_versions"][vid]
        self._save(ctx, "policy", doc)
        return {}

    def set_default_policy_version(self, ctx, params):
        doc = self._local_policy(ctx, params.get("PolicyArn"))
        vid = params.get("VersionId")
        if vid not in doc["_versions"]:
            raise no_such(f"Policy {doc['Arn']} version {vid} does not exist or is not attachable.")
        doc["DefaultVersionId"] = vid
        doc["UpdateDate"] = self.clock.now()
        self._save(ctx, "policy", doc)
        return {}

    def list_entities_for_policy(self, ctx, params):
        arn = params.get("PolicyArn")
        self._managed(ctx, arn)
        wanted = params.get("EntityFilter")
        usage = params.get("PolicyUsageFilter")
        prefix = params.get("PathPrefix") or "/"
        out = {"PolicyGroups": [], "PolicyUsers": [], "PolicyRoles": [], "IsTruncated": False}
        for kind, key, label in (("group", "PolicyGroups", "Group"), ("user", "PolicyUsers", "User"),
                                 ("role", "PolicyRoles", "Role")):
            if wanted and wanted not in (label, "AWSManagedPolicy", "LocalManagedPolicy"):
                continue
            for e in sorted(self.store.all(ctx.account, kind), key=lambda e: e[KINDS[kind][0]].lower()):
                if not e["Path"].startswith(prefix):
                    continue
                permission = arn in e.get("_attached", [])
                boundary = (e.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn") == arn
                if (usage == "PermissionsBoundary" and boundary) or (usage != "PermissionsBoundary" and permission):
                    out[key].append({f"{label}Name": e[f"{label}Name"], f"{label}Id": e[f"{label}Id"]})
        return out

    # -- inline policies -------------------------------------------------------------------------

    def _put_inline(self, ctx, kind, params, size):
        entity = self._entity(ctx, kind, params.get(KINDS[kind][0]))
        name = check_name(params.get("PolicyName"), "policyName", 128)
        text = params.get("PolicyDocument")
        documents.check(text, "identity", size)
        entity["_inline"][name] = text
        self._save(ctx, kind, entity)
        return {}

    def _get_inline(self, ctx, kind, params):
        field = KINDS[kind][0]
        entity = self._entity(ctx, kind, params.get(field))
        name = params.get("PolicyName")
        if name not in entity["_inline"]:
            raise no_such(f"The {kind} policy with name {name} cannot be found.")
        return {field: entity[field], "PolicyName": name,
                "PolicyDocument": documents.encoded(entity["_inline"][name])}

    def _delete_inline(self, ctx, kind, params):
        entity = self._entity(ctx, kind, params.get(KINDS[kind][0]))
        name = params.get("PolicyName")
        if name not in entity["_inline"]:
            raise no_such(f"The {kind} policy with name {name} cannot be found.")
        del entity["_inline"][name]
        self._save(ctx, kind, entity)
        return {}

    def _list_inline(self, ctx, kind, params):
        entity = self._entity(ctx, kind, params.get(KINDS[kind][0]))
        return page(sorted(entity["_inline"]), params, "PolicyNames")

    def put_user_policy(self, ctx, p): return self._put_inline(ctx, "user", p, documents.MAX_SIZE["user"])
    def get_user_policy(self, ctx, p): return self._get_inline(ctx, "user", p)
    def delete_user_policy(self, ctx, p): return self._delete_inline(ctx, "user", p)
    def list_user_policies(self, ctx, p): return self._list_inline(ctx, "user", p)
    def put_group_policy(self, ctx, p): return self._put_inline(ctx, "group", p, documents.MAX_SIZE["group"])
    def get_group_policy(self, ctx, p): return self._get_inline(ctx, "group", p)
    def delete_group_policy(self, ctx, p): return self._delete_inline(ctx, "group", p)
    def list_group_policies(self, ctx, p): return self._list_inline(ctx, "group", p)
    def put_role_policy(self, ctx, p): return self._put_inline(ctx, "role", p, documents.MAX_SIZE["role"])
    def get_role_policy(self, ctx, p): return self._get_inline(ctx, "role", p)
    def delete_role_policy(self, ctx, p): return self._delete_inline(ctx, "role", p)
    def list_role_policies(self, ctx, p): return self._list_inline(ctx, "role", p)

    # -- attached managed policies ---------------------------------------------------------------

    def _attach(self, ctx, kind, params):
        entity = self._entity(ctx, kind, params.get(KINDS[kind][0]))
        arn = params.get("PolicyArn")
        self._managed(ctx, arn)
        if arn not in entity["_attached"]:
            if len(entity["_attached"]) >= 10:
                raise ServiceError("LimitExceeded", f"Cannot exceed quota for PoliciesPer{kind.capitalize()}: 10",
                                   409)
            entity["_attached"].append(arn)
            self._save(ctx, kind, entity)
        return {}

    def _detach(self, ctx, kind, params):
        entity = self._entity(ctx, kind, params.get(KINDS[kind][0]))
        arn = params.get("PolicyArn")
        if arn not in entity["_attached"]:
            raise no_such(f"Policy {arn} was not found.")
        entity["_attached"].remove(arn)
        self._save(ctx, kind, entity)
        return {}

    def _list_attached(self, ctx, kind, params):
        entity = self._entity(ctx, kind, params.get(KINDS[kind][0]))
        prefix = params.get("PathPrefix") or "/"
        items = []
        for arn in entity["_attached"]:
            path = arn.split(":", 5)[5][len("policy"):].rsplit("/", 1)[0] + "/"
            if path.startswith(prefix):
                items.append({"PolicyName": arn.rsplit("/", 1)[1], "PolicyArn": arn})
        return page(items, params, "AttachedPolicies")

    def attach_user_policy(self, ctx, p): return self._attach(ctx, "user", p)
    def detach_user_policy(self, ctx, p): return self._detach(ctx, "user", p)
    def list_attached_user_policies(self, ctx, p): return self._list_attached(ctx, "user", p)
    def attach_group_policy(self, ctx, p): return self._attach(ctx, "group", p)
    def detach_group_policy(self, ctx, p): return self._detach(ctx, "group", p)
    def list_attached_group_policies(self, ctx, p): return self._list_attached(ctx, "group", p)
    def attach_role_policy(self, ctx, p): return self._attach(ctx, "role", p)
    def detach_role_policy(self, ctx, p): return self._detach(ctx, "role", p)
    def list_attached_role_policies(self, ctx, p): return self._list_attached(ctx, "role", p)

    # -- instance profiles -----------------------------------------------------------------------

    def _profile_out(self, ctx, profile: dict) -> dict:
        out = public(profile)
        roles = [self.store.get(ctx.account, "role", r) for r in profile["_roles"]]
        out["Roles"] = [self._role_out(r, listing=True) for r in roles if r]
        return out

    def create_instance_profile(self, ctx, params):
        name = check_name(params.get("InstanceProfileName"), "instanceProfileName", 128)
        path = check_path(params.get("Path"))
        doc = self._create(ctx, "profile", name, path, {"_roles": [], "Tags": tags_in(params)})
        return {"InstanceProfile": self._profile_out(ctx, doc)}

    def get_instance_profile(self, ctx, params):
        return {"InstanceProfile": self._profile_out(ctx, self._entity(ctx, "profile",
                                                                       params.get("InstanceProfileName")))}

    def list_instance_profiles(self, ctx, params):
        prefix = params.get("PathPrefix") or "/"
        items = sorted((p for p in self.store.all(ctx.account, "profile") if p["Path"].startswith(prefix)),
                       key=lambda p: p["InstanceProfileName"].lower())
        return page([self._profile_out(ctx, p) for p in items], params, "InstanceProfiles")

    def list_instance_profiles_for_role(self, ctx, params):
        role = self._entity(ctx, "role", params.get("RoleName"))
        key = role["RoleName"].lower()
        items = sorted((p for p in self.store.all(ctx.account, "profile") if key in p["_roles"]),
                       key=lambda p: p["InstanceProfileName"].lower())
        return page([self._profile_out(ctx, p) for p in items], params, "InstanceProfiles")

    def delete_instance_profile(self, ctx, params):
        profile = self._entity(ctx, "profile", params.get("InstanceProfileName"))
        if profile["_roles"]:
            raise conflict("Cannot delete entity, must remove roles from instance profile first.")
        self.store.delete(ctx.account, "profile", profile["InstanceProfileName"].lower())
        return {}

    def add_role_to_instance_profile(self, ctx, params):
        profile = self._entity(ctx, "profile", params.get("InstanceProfileName"))
        role = self._entity(ctx, "role", params.get("RoleName"))
        if profile["_roles"]:
            raise ServiceError("LimitExceeded", "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1",
                               409)
        profile["_roles"].append(role["RoleName"].lower())
        self._save(ctx, "profile", profile)
        return {}

    def remove_role_from_instance_profile(self, ctx, params):
        profile = self._entity(ctx, "profile", params.get("InstanceProfileName"))
        role = self._entity(ctx, "role", params.get("RoleName"))
        key = role["RoleName"].lower()
        if key not in profile["_roles"]:
            raise no_such(f"Role {role['RoleName']} in Instance Profile {profile['InstanceProfileName']} "
                          "cannot be found.")
        profile["_roles"].remove(key)
        self._save(ctx, "profile", profile)
        return {}

    # -- access keys -----------------------------------------------------------------------------

    def _keys_of(self, ctx, name: str) -> list[dict]:
        return sorted((k for k in self.store.all(ctx.account, "accesskey") if k["UserName"] == name),
                      key=lambda k: k["CreateDate"])

    def create_access_key(self, ctx, params):
        user = self._caller_user(ctx, params.get("UserName"))
        if user is None:
            raise invalid("Root access keys are not created through the IAM API in nubis; use the account's "
                          "root keys.")
        if len(self._keys_of(ctx, user["UserName"])) >= 2:
            raise ServiceError("LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2", 409)
        key_id = access_key_id()
        while key_id in self.store.keys:
            key_id = access_key_id()
        secret = secret_key()
        doc = {"UserName": user["UserName"], "AccessKeyId": key_id, "Status": "Active",
               "CreateDate": self.clock.now(), "_secret": secret}
        self.store.put(ctx.account, "accesskey", key_id, doc)
        return {"AccessKey": {**public(doc), "SecretAccessKey": secret}}

    def _key(self, ctx, key_id, user_name) -> dict:
        doc = self.store.get(ctx.account, "accesskey", key_id or "")
        user = self._caller_user(ctx, user_name)
        if user_name and user is None:
            raise no_such(f"The user with name {user_name} cannot be found.")
        if doc is None or (user is not None and doc["UserName"] != user["UserName"]):
            raise no_such(f"The Access Key with id {key_id} cannot be found.")
        return doc

    def update_access_key(self, ctx, params):
        doc = self._key(ctx, params.get("AccessKeyId"), params.get("UserName"))
        status = params.get("Status")
        if status not in ("Active", "Inactive"):
            raise validation(status, "status", "Member must satisfy enum value set: [Active, Inactive]")
        doc["Status"] = status
        self.store.put(ctx.account, "accesskey", doc["AccessKeyId"], doc)
        return {}

    def delete_access_key(self, ctx, params):
        doc = self._key(ctx, params.get("AccessKeyId"), params.get("UserName"))
        self.store.delete(ctx.account, "accesskey", doc["AccessKeyId"])
        self.last_used.pop(doc["AccessKeyId"], None)
        return {}

    def list_access_keys(self, ctx, params):
        user = self._caller_user(ctx, params.get("UserName"))
        if user is None:
            return page([], params, "AccessKeyMetadata")
        return page([public(k) for k in self._keys_of(ctx, user["UserName"])], params, "AccessKeyMetadata")

    def get_access_key_last_used(self, ctx, params):
        key_id = params.get("AccessKeyId") or ""
        found = self.store.keys.get(key_id)
        if found is None:
            raise no_such(f"The Access Key with id {key_id} cannot be found")
        account, doc = found
        used = self.last_used.get(key_id)
        last = {"ServiceName": "N/A", "Region": "N/A"}
        if used is not None:
            last = {"LastUsedDate": used, "ServiceName": "N/A", "Region": "N/A"}
        return {"UserName": doc["UserName"], "AccessKeyLastUsed": last}

    # -- policy simulation -----------------------------------------------------------------------

    def simulate_principal_policy(self, ctx, params):
        return simulate.principal(self, ctx, params)

    def simulate_custom_policy(self, ctx, params):
        return simulate.custom(self, ctx, params)

    def get_context_keys_for_principal_policy(self, ctx, params):
        return simulate.context_keys(self, ctx, params, principal=True)

    def get_context_keys_for_custom_policy(self, ctx, params):
        return simulate.context_keys(self, ctx, params, principal=False)
