"""AWS Security Token Service: who is calling, and temporary credentials.

A session (``AssumeRole*``, ``GetSessionToken``, ``GetFederationToken``) is
an ``ASIA...`` key, a secret and a session token, kept durably in
``store.py`` and expiring on the controllable clock. ``credential_for`` gives
the enforcer a session's principal and policies: the role's (or user's)
current identity policies, bounded by the session policies passed when it
was made (``policy.Limit``), with the session tags as ``aws:PrincipalTag``.
"""
from __future__ import annotations

import base64
import json
import re
import secrets

from ...auth import policy
from ...auth.credentials import Credential, partition, root_arn
from ...auth.enforce import resolver
from ...protocol.errors import ServiceError
from ..base import Provider, RequestContext
from ..iam import documents
from ..iam.entities import access_key_id, secret_key
from ..iam.provider import TaggedCredential, principal_tags
from . import delegated_access, federation, outbound, root_sessions, saml_signature
from .oidc_keys import OidcKeys
from .store import MIGRATIONS, StsStore

_SESSION_NAME = re.compile(r"[\w+=,.@-]*")
_ALLOW_ALL = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'
_PACKED_LIMIT = 2048
_FORGET_AFTER = 86400  # a session is forgotten a day after it expired (ExpiredToken until then)


def validation(value, member: str, constraint: str) -> ServiceError:
    return ServiceError("ValidationError", f"1 validation error detected: Value '{value}' at '{member}' failed to "
                        f"satisfy constraint: {constraint}", 400)


def not_authorized(caller: str, action: str, resource: str) -> ServiceError:
    return ServiceError("AccessDenied", f"User: {caller} is not authorized to perform: {action} on resource: "
                        f"{resource}", 403)


def _mfa_keys(session: dict, now: float) -> tuple:
    """aws:MultiFactorAuthPresent and aws:MultiFactorAuthAge of a session made with an MFA code."""
    if not session.get("mfa"):
        return ()
    return (("aws:multifactorauthpresent", "true"), ("aws:multifactorauthage", str(int(now - session["mfa"]))))


def _session_token() -> str:
    return "FwoGZXIvYXdzE" + base64.b64encode(secrets.token_bytes(150)).decode()


class StsProvider(Provider):
    service = "sts"
    migrations = MIGRATIONS

    def start(self) -> None:
        self.store = StsStore(self.db)
        self.oidc_keys = OidcKeys()
        self._derived: dict[str, tuple] = {}  # access key -> (session, IAM generation, policies, principal tags)
        self.scheduler.on("sts:forget", self._forget)
        self.signer = outbound.Signer(self.store)

    def reset(self) -> None:
        self.store.load()
        self.signer.forget()

    def nubis_api(self, method: str, path: str, query: dict, doc: dict):
        # The discovery documents of the accounts' outbound federation issuers.
        return outbound.discovery(self, method, path)

    def _forget(self, payload: dict) -> None:
        self.store.delete(payload["key"])

    @property
    def iam(self):
        return self.runtime.provider("iam")

    # -- the enforcer's hook -------------------------------------------------------------------

    def credential_for(self, access_key: str) -> Credential | None:
        s = self.store.get(access_key)
        if s is None:
            return None
        # Asked on every enforced request: the session's policies and tags are kept while the
        # session (the same document) and IAM (its store's generation) stay as they are.
        iam = self.runtime.providers.get("iam")  # not started: no IAM entity has been read yet
        generation = iam.store.generation if iam is not None else None
        kept = self._derived.get(access_key)
        if kept is not None and kept[0] is s and kept[1] == generation:
            policies, tags = kept[2], kept[3]
        else:
            policies, tags = self._policies_and_tags(s)
            tags = principal_tags(tags)
            if len(self._derived) > 4096:
                self._derived.clear()
            self._derived[access_key] = (s, generation, policies, tags)
        return TaggedCredential(access_key, s["_secret"], s["account"], s["arn"], session_token=s["SessionToken"],
                                expires=s["Expiration"], user_id=s["user_id"], username=s.get("username"),
                                policies=policies, principal_tags=tags + _mfa_keys(s, self.clock.now()))

    def _policies_and_tags(self, s: dict) -> tuple[tuple | None, dict]:
        """The session's identity policies and principal tags, as they are now (a role's
        policies and tags may change; the session's own tags win over the role's)."""
        limit = [policy.Limit(tuple(s["policies"]))] if s.get("limited") else []
        source = s["source"]
        tags = s.get("tags") or {}
        if source.endswith(":root"):
            return (None if not limit else tuple([_ALLOW_ALL] + limit)), tags
        found = self.iam.entity_by_arn(source)
        if found is None:
            return (), tags  # the role or user is gone: nothing is allowed
        account, kind, entity = found
        base = self.iam.role_policies(account, entity) if kind == "role" else self.iam.user_policies(account, entity)
        own = {t["Key"]: t["Value"] for t in entity.get("Tags") or []}
        return tuple(base + limit), {**own, **tags}

    # -- helpers -------------------------------------------------------------------------------

    def _caller(self, ctx: RequestContext) -> Credential:
        """The caller's credential (with enforcement off: what its access key stands for)."""
        if ctx.access_key and not ctx.internal:
            cred = resolver(self.runtime).resolve(ctx.access_key)
            if cred is not None and (not ctx.principal or cred.principal == ctx.principal):
                if cred.is_root:  # the root's ARN is in the partition of the request's Region
                    return Credential(cred.access_key, cred.secret, cred.account, root_arn(cred.account, ctx.region),
                                      user_id=cred.account)
                return cred
        arn = ctx.principal or root_arn(ctx.account, ctx.region)
        return Credential(ctx.access_key or "", "", ctx.account, arn, user_id=ctx.account)

    def _session_policies(self, role_account: str, params: dict) -> tuple[list, int | None]:
        """The session policies (inline ``Policy`` and ``PolicyArns``) and the packed size percentage."""
        texts, size = [], 0
        if params.get("Policy") is not None:
            text = params["Policy"]
            if len(text) > _PACKED_LIMIT:
                raise validation("...", "policy", "Member must have length less than or equal to 2048")
            documents.check(text, "identity")
            texts.append(text)
            size += len("".join(text.split()))
        for entry in params.get("PolicyArns") or []:
            arn = entry.get("arn") or ""
            text = self.iam.managed_document(role_account, arn) if self.iam is not None else None
            if text is None:
                raise ServiceError("MalformedPolicyDocument", f"Policy {arn} does not exist or is not attachable.",
                                   400)
            texts.append(text)
            size += len(arn)
        if len(params.get("PolicyArns") or []) > 10:
            raise validation("...", "policyArns", "Member must have length less than or equal to 10")
        tags = params.get("Tags") or []
        size += sum(len(t["Key"]) + len(t.get("Value", "")) for t in tags)
        packed = int(size * 100 / _PACKED_LIMIT) if (texts or tags) else None
        if packed is not None and packed > 100:
            raise ServiceError("PackedPolicyTooLarge", f"Packed size of policy and tags exceeds the limit: {packed}% "
                               "of allowed size", 400)
        return texts, packed

    def _duration(self, params: dict, maximum: int, default: int = 3600) -> int:
        value = params.get("DurationSeconds")
        if value is None:
            return min(default, maximum)
        if value < 900:
            raise validation(value, "durationSeconds", "Member must have value greater than or equal to 900")
        if value > maximum:
            raise validation(value, "durationSeconds", f"Member must have value less than or equal to {maximum}")
        return value

    def _issue(self, account: str, arn: str, user_id: str, source: str, duration: int, *, policies=None,
               tags=None, username=None, extra=None) -> dict:
        key = access_key_id("ASIA")
        while self.store.get(key) is not None:
            key = access_key_id("ASIA")
        expires = int(self.clock.now() + duration)
        doc = {"AccessKeyId": key, "_secret": secret_key(), "SessionToken": _session_token(),
               "Expiration": expires, "account": account, "arn": arn, "user_id": user_id, "source": source,
               "policies": list(policies or []), "limited": policies is not None, "tags": tags or {},
               "username": username, **(extra or {})}
        self.store.put(doc)
        self.scheduler.at(expires + _FORGET_AFTER, "sts:forget", {"key": key}, key=key)
        return {"AccessKeyId": key, "SecretAccessKey": doc["_secret"], "SessionToken": doc["SessionToken"],
                "Expiration": expires}

    def _role(self, ctx: RequestContext, arn, caller: str, action: str) -> tuple[str, dict]:
        if not isinstance(arn, str) or len(arn) < 20:
            raise validation(arn, "roleArn", "Member must have length greater than or equal to 20")
        found = self.iam.role_by_arn(arn) if self.iam is not None else None
        if found is None:
            raise not_authorized(caller, action, arn)
        return found

    def _session_name(self, name, member: str = "roleSessionName") -> str:
        if not isinstance(name, str) or len(name) < 2:
            raise validation(name, member, "Member must have length greater than or equal to 2")
        if len(name) > 64:
            raise validation(name, member, "Member must have length less than or equal to 64")
        if not _SESSION_NAME.fullmatch(name):
            raise validation(name, member, "Member must satisfy regular expression pattern: [\\w+=,.@-]*")
        return name

    def _trusts(self, role: dict, request: policy.Request) -> bool:
        return policy.evaluate([self.iam.trust_of(role)], request, resource_policy=True) == policy.ALLOW

    def _assumed(self, ctx, role_account: str, role: dict, session: str, duration: int, texts, packed, tags,
                 source_identity=None, transitive=(), mfa=None) -> dict:
        arn = f"arn:{partition(ctx.region)}:sts::{role_account}:assumed-role/{role['RoleName']}/{session}"
        user_id = f"{role['RoleId']}:{session}"
        creds = self._issue(role_account, arn, user_id, role["Arn"], duration, policies=texts, tags=tags,
                            extra={"transitive": list(transitive), "mfa": mfa})
        self.iam.role_used(role_account, role, ctx.region)
        out = {"Credentials": creds, "AssumedRoleUser": {"AssumedRoleId": user_id, "Arn": arn}}
        if packed is not None:
            out["PackedPolicySize"] = packed
        if source_identity:
            out["SourceIdentity"] = source_identity
        return out

    # -- operations ----------------------------------------------------------------------------

    def get_caller_identity(self, ctx: RequestContext, params: dict) -> dict:
        cred = self._caller(ctx)
        # A root's UserId is its account id; a user's its AIDA id; a session's AROA id:session.
        return {"UserId": cred.user_id or cred.account, "Account": cred.account, "Arn": cred.principal}

    def assume_role(self, ctx: RequestContext, params: dict) -> dict:
        caller = self._caller(ctx)
        session = self._session_name(params.get("RoleSessionName"))
        role_account, role = self._role(ctx, params.get("RoleArn"), caller.principal, "sts:AssumeRole")
        # Role chaining (a role session assuming a role) is limited to an hour.
        chained = ":assumed-role/" in caller.principal
        maximum = 3600 if chained else role["MaxSessionDuration"]
        asked = params.get("DurationSeconds")
        if asked is not None and maximum < asked <= 43200:
            raise ServiceError("ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit "
                               "for roles assumed by role chaining." if chained else "The requested "
                               "DurationSeconds exceeds the MaxSessionDuration set for this role.", 400)
        duration = self._duration(params, 43200)
        external_id = params.get("ExternalId")
        if external_id is not None and not 2 <= len(external_id) <= 1224:
            raise validation(external_id, "externalId", "Member must have length greater than or equal to 2")
        tags = {t["Key"]: t.get("Value", "") for t in params.get("Tags") or []}
        keys = {"sts:externalid": external_id, "sts:rolesessionname": session,
                "aws:principalarn": policy.role_of_session(caller.principal) or caller.principal,
                "aws:principalaccount": caller.account, "aws:userid": caller.user_id or caller.account,
                "sts:sourceidentity": params.get("SourceIdentity"), "aws:tagkeys": list(tags) or None}
        keys.update({f"aws:requesttag/{k.lower()}": v for k, v in tags.items()})
        keys.update(dict(getattr(caller, "principal_tags", ()) or ()))
        mfa = self._mfa(caller, params)
        if mfa is not None:
            keys.update({"aws:multifactorauthpresent": "true", "aws:multifactorauthage": "0"})
        if caller.username:
            keys["aws:username"] = caller.username
        # A service assuming a role (nubis's own call, as Lambda with an execution role) is a service principal.
        service = caller.principal if ctx.internal and caller.principal.endswith(".amazonaws.com") else None
        request = policy.Request("sts:AssumeRole", role["Arn"], caller.principal, caller.account,
                                 service_principal=service, keys={k: v for k, v in keys.items() if v is not None})
        if not self._trusts(role, request):
            raise not_authorized(caller.principal, "sts:AssumeRole", role["Arn"])
        if tags and not self._trusts(role, policy.Request("sts:TagSession", role["Arn"], caller.principal,
                                                          caller.account, keys=request.keys)):
            raise not_authorized(caller.principal, "sts:TagSession", role["Arn"])
        texts, packed = self._session_policies(role_account, params)
        has_policies = params.get("Policy") is not None or bool(params.get("PolicyArns"))
        # Role chaining carries the transitive tags of the session it starts from (they can't be overridden).
        transitive = list(params.get("TransitiveTagKeys") or [])
        parent = self.store.get(caller.access_key) if chained else None
        if parent is not None:
            inherited = {k: v for k, v in parent["tags"].items() if k in parent.get("transitive", [])}
            tags = {**tags, **inherited}
            transitive += [k for k in inherited if k not in transitive]
        return self._assumed(ctx, role_account, role, session, duration, texts if has_policies else None, packed,
                             tags, params.get("SourceIdentity"), transitive, mfa)

    async def assume_role_with_web_identity(self, ctx: RequestContext, params: dict) -> dict:
        session = self._session_name(params.get("RoleSessionName"))
        token = params.get("WebIdentityToken")
        claims = federation.jwt_claims(token)
        arn = params.get("RoleArn")
        role_account, role = self._role(ctx, arn, "arn:aws:sts::federated", "sts:AssumeRoleWithWebIdentity")
        issuer = str(claims["iss"])
        auds = federation.audiences(claims)
        builtin = federation.WELL_KNOWN.get(issuer.removeprefix("https://").rstrip("/"))
        if builtin is not None:
            # Cognito, Google, Amazon and Facebook need no IAM provider: the trust policy names them.
            provider_arn, host = builtin, builtin
        else:
            found = self.iam.oidc_provider(role_account, issuer)
            if found is None:
                raise federation.invalid_token(f"No OpenIDConnect provider found in your account for {issuer}")
            provider_arn, provider = found
            if not any(a in provider["ClientIDList"] for a in auds):
                raise federation.invalid_token("Incorrect token audience")
            host = provider["Url"]
            if self.runtime.config.enforce_iam:
                await self.oidc_keys.verify(token, issuer, provider.get("ThumbprintList") or [])
        exp = claims.get("exp")
        if isinstance(exp, (int, float)) and exp <= self.clock.now():
            raise ServiceError("ExpiredTokenException", "Token expired: current date/time must be before the "
                               "expiration date/time", 400)
        keys = {f"{host}:aud": auds[0] if auds else None, f"{host}:sub": claims.get("sub"),
                f"{host}:oaud": auds[0] if auds else None, "sts:rolesessionname": session}
        if claims.get("amr") is not None:
            keys[f"{host}:amr"] = claims["amr"]
        request = policy.Request("sts:AssumeRoleWithWebIdentity", role["Arn"], None, None,
                                 service_principal=provider_arn,
                                 keys={k.lower(): v for k, v in keys.items() if v is not None})
        if not self._trusts(role, request):
            raise ServiceError("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity", 403)
        duration = self._duration(params, role["MaxSessionDuration"])
        texts, packed = self._session_policies(role_account, params)
        has_policies = params.get("Policy") is not None or bool(params.get("PolicyArns"))
        out = self._assumed(ctx, role_account, role, session, duration, texts if has_policies else None, packed, {})
        out.update({"SubjectFromWebIdentityToken": str(claims.get("sub", "")), "Provider": host,
                    "Audience": auds[0] if auds else ""})
        return out

    def assume_role_with_saml(self, ctx: RequestContext, params: dict) -> dict:
        arn, provider_arn = params.get("RoleArn"), params.get("PrincipalArn")
        encoded = params.get("SAMLAssertion") or ""
        assertion = federation.saml_assertion(encoded)
        role_account, role = self._role(ctx, arn, "arn:aws:sts::federated", "sts:AssumeRoleWithSAML")
        provider = self.iam.saml_provider(role_account, provider_arn or "")
        if provider is None:
            raise federation.invalid_token(f"SAML provider {provider_arn} not found")
        if self.runtime.config.enforce_iam:  # only what the provider's signature covers is believed
            signed = saml_signature.verified(encoded, provider.get("SAMLMetadataDocument") or "")
            assertion = federation.saml_assertion(encoded, signed)
        if (arn, provider_arn) not in assertion["roles"]:
            raise ServiceError("AccessDenied", "Not authorized to perform sts:AssumeRoleWithSAML", 403)
        not_after = assertion["not_after"]
        if not_after:
            from ...protocol.base import parse_timestamp
            if parse_timestamp(not_after).timestamp() <= self.clock.now():
                raise ServiceError("ExpiredTokenException", "Token expired: current date/time must be before "
                                   "the expiration date/time", 400)
        session = self._session_name(assertion["session"] or assertion["subject"] or "saml-session")
        provider_name = provider_arn.rsplit("/", 1)[1]
        qualifier = federation.name_qualifier(assertion["issuer"] or "", role_account, provider_name)
        keys = {"saml:aud": assertion["audience"], "saml:sub": assertion["subject"],
                "saml:sub_type": assertion["subject_type"], "saml:iss": assertion["issuer"],
                "saml:namequalifier": qualifier, "sts:rolesessionname": session}
        request = policy.Request("sts:AssumeRoleWithSAML", role["Arn"], None, None, service_principal=provider_arn,
                                 keys={k: v for k, v in keys.items() if v is not None})
        if not self._trusts(role, request):
            raise ServiceError("AccessDenied", "Not authorized to perform sts:AssumeRoleWithSAML", 403)
        default = int(assertion["duration"]) if (assertion["duration"] or "").isdigit() else 3600
        duration = self._duration(params, role["MaxSessionDuration"], min(default, role["MaxSessionDuration"]))
        texts, packed = self._session_policies(role_account, params)
        has_policies = params.get("Policy") is not None or bool(params.get("PolicyArns"))
        out = self._assumed(ctx, role_account, role, session, duration, texts if has_policies else None, packed, {})
        out.update({"Subject": assertion["subject"] or "", "SubjectType": assertion["subject_type"],
                    "Issuer": assertion["issuer"] or "", "Audience": assertion["audience"] or "",
                    "NameQualifier": qualifier})
        return out

    def get_session_token(self, ctx: RequestContext, params: dict) -> dict:
        caller = self._caller(ctx)
        if caller.session_token is not None:
            raise ServiceError("AccessDenied", "Cannot call GetSessionToken with session credentials", 403)
        duration = self._duration(params, 3600 if caller.is_root else 129600, 3600 if caller.is_root else 43200)
        mfa = self._mfa(caller, params)
        creds = self._issue(caller.account, caller.principal, caller.user_id or caller.account, caller.principal,
                            duration, username=caller.username, extra={"mfa": mfa})
        return {"Credentials": creds}

    def _mfa(self, caller: Credential, params: dict) -> float | None:
        """When an MFA code came with the request (SerialNumber and TokenCode): the time it was
        checked; the code must be six digits from a device enabled for the caller."""
        serial, code = params.get("SerialNumber"), params.get("TokenCode")
        if serial is None and code is None:
            return None
        device = self.iam.store.get(caller.account, "mfa", serial or "")
        owner = (caller.username or "").lower()
        if device is None or device.get("_user") != owner or not re.fullmatch(r"\d{6}", code or ""):
            raise ServiceError("AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time pass "
                               "code.", 403)
        return self.clock.now()

    def get_federation_token(self, ctx: RequestContext, params: dict) -> dict:
        caller = self._caller(ctx)
        if caller.session_token is not None:
            raise ServiceError("AccessDenied", "Cannot call GetFederationToken with session credentials", 403)
        name = params.get("Name")
        if not isinstance(name, str) or not 2 <= len(name) <= 32:
            raise validation(name, "name", "Member must have length less than or equal to 32" if name and
                             len(name) > 32 else "Member must have length greater than or equal to 2")
        self._session_name(name, "name")
        duration = self._duration(params, 3600 if caller.is_root else 129600, 3600 if caller.is_root else 43200)
        texts, packed = self._session_policies(caller.account, params)
        arn = f"arn:{partition(ctx.region)}:sts::{caller.account}:federated-user/{name}"
        user_id = f"{caller.account}:{name}"
        tags = {t["Key"]: t.get("Value", "") for t in params.get("Tags") or []}
        # Without a session policy a federated user may do nothing (STS API reference).
        creds = self._issue(caller.account, arn, user_id, caller.principal, duration, policies=texts, tags=tags)
        out = {"Credentials": creds, "FederatedUser": {"FederatedUserId": user_id, "Arn": arn}}
        if packed is not None:
            out["PackedPolicySize"] = packed
        return out

    def decode_authorization_message(self, ctx: RequestContext, params: dict) -> dict:
        try:
            text = base64.b64decode(params.get("EncodedMessage") or "", validate=True).decode()
            json.loads(text)
        except ValueError:
            raise ServiceError("InvalidAuthorizationMessageException", "Message is invalid", 400) from None
        return {"DecodedMessage": text}

    def assume_root(self, ctx: RequestContext, params: dict) -> dict:
        return root_sessions.assume_root(self, ctx, params)

    def get_web_identity_token(self, ctx: RequestContext, params: dict) -> dict:
        return outbound.web_identity_token(self, ctx, params)

    def get_delegated_access_token(self, ctx: RequestContext, params: dict) -> dict:
        return delegated_access.get_delegated_access_token(self, ctx, params)

    def get_access_key_info(self, ctx: RequestContext, params: dict) -> dict:
        key = params.get("AccessKeyId") or ""
        if len(key) < 16:
            raise validation(key, "accessKeyId", "Member must have length greater than or equal to 16")
        cred = resolver(self.runtime).resolve(key)
        return {"Account": cred.account if cred is not None else ctx.account}
