"""Who may use a KMS key, when IAM enforcement is on (``auth/enforce.py``).

As the developer guide's "Determining access to KMS keys" goes, the key
policy comes first:

- an explicit ``Deny`` in the key policy or in the caller's identity
  policies refuses;
- a key policy statement naming the caller (a user, a role, a session's
  role) allows by itself;
- a statement naming the caller's account (its root ARN or its id, as the
  default key policy does) lets IAM decide: the account's root passes, any
  other principal needs its identity policies to allow the action on the key;
- a grant to the caller for the operation allows (with its encryption
  context constraints holding).

Operations that name no key (CreateKey, ListKeys, GenerateRandom, ...) are
for identity policies alone, on resource ``*``. Aliases are resources of
their own for CreateAlias, UpdateAlias and DeleteAlias: the identity
policies must allow the action on the alias, and the key's policy on the key.
A denial is ``AccessDeniedException``.
"""
from __future__ import annotations

import json

from ...auth import errors, policy
from ...auth.policy import role_of_session
from ...protocol.errors import ServiceError
from . import crypto

NO_KEY = frozenset({"CreateKey", "ListKeys", "GenerateRandom", "ListRetirableGrants", "CreateCustomKeyStore",
                    "DescribeCustomKeyStores", "ConnectCustomKeyStore", "DisconnectCustomKeyStore",
                    "UpdateCustomKeyStore", "DeleteCustomKeyStore"})
ALIAS_OPERATIONS = frozenset({"CreateAlias", "UpdateAlias", "DeleteAlias"})


def denied(principal: str, action: str, resource: str, explicit: bool, kind: str = "resource-based") -> ServiceError:
    reason = (f"with an explicit deny in a {kind} policy" if explicit else
              f"because no {kind} policy allows the {action} action")
    return errors.access_denied(errors.JSON, f"User: {principal} is not authorized to perform: {action} on "
                                f"resource: {resource} {reason}")


def _split(text: str) -> tuple[dict, dict]:
    """The key policy as (statements naming accounts, statements naming principals)."""
    try:
        doc = json.loads(text)
    except ValueError:
        return {"Statement": []}, {"Statement": []}
    statements = policy.statements(doc)
    accounts, principals = [], []
    for st in statements:
        values = []
        who = st.get("Principal")
        if isinstance(who, dict):
            aws = who.get("AWS", [])
            values = aws if isinstance(aws, list) else [aws]
        if values and all(isinstance(v, str) and (v.isdigit() or v.endswith(":root")) for v in values):
            accounts.append(st)
        else:
            principals.append(st)
    return {"Statement": accounts}, {"Statement": principals}


def _context_holds(constraints: dict | None, context: dict | None) -> bool:
    if not constraints:
        return True
    context = context or {}
    equals = constraints.get("EncryptionContextEquals")
    if equals is not None and equals != context:
        return False
    subset = constraints.get("EncryptionContextSubset")
    return subset is None or all(context.get(k) == v for k, v in subset.items())


def _granted(provider, key, principal: str, operation: str, context: dict | None) -> bool:
    who = {principal, role_of_session(principal)}
    for grant in provider.store.grants(key.id):
        if grant["GranteePrincipal"] in who and operation in grant["Operations"] and \
                _context_holds(grant.get("Constraints"), context):
            return True
    return False


def _keys_of(ctx, params: dict, key) -> dict:
    keys = {"kms:KeySpec": key.spec, "kms:KeyUsage": key.usage,
            "kms:KeyOrigin": key.origin, "aws:RequestedRegion": ctx.region}
    context = params.get("EncryptionContext") or params.get("SourceEncryptionContext") or {}
    for k, v in context.items():
        keys[f"kms:EncryptionContext:{k}"] = v
    if context:
        keys["kms:EncryptionContextKeys"] = list(context)
    for member, name in (("EncryptionAlgorithm", "kms:EncryptionAlgorithm"),
                         ("SigningAlgorithm", "kms:SigningAlgorithm"), ("MacAlgorithm", "kms:MacAlgorithm"),
                         ("MessageType", "kms:MessageType"), ("GranteePrincipal", "kms:GranteePrincipal"),
                         ("RetiringPrincipal", "kms:RetiringPrincipal")):
        if params.get(member) is not None:
            keys[name] = params[member]
    if params.get("Operations"):
        keys["kms:GrantOperations"] = list(params["Operations"])
    ident = params.get("KeyId")
    if isinstance(ident, str) and (ident.startswith("alias/") or ":alias/" in ident):
        keys["kms:RequestAlias"] = ident.split(":", 5)[-1]
    return keys


def check_key(runtime, ctx, caller, key, operation: str, params: dict) -> None:
    cred = caller.credential
    action = "kms:" + operation
    keys = _keys_of(ctx, params, key)
    keys["kms:CallerAccount"] = cred.account
    request = caller.request(action, key.arn, runtime.clock.now(), keys)
    accounts, principals = _split(key.policy)
    identity = cred.policies
    if policy.evaluate([key.policy], request, resource_policy=True) == policy.DENY:
        raise denied(cred.principal, action, key.arn, True)
    if identity is not None and policy.evaluate(identity, request) == policy.DENY:
        raise denied(cred.principal, action, key.arn, True, "identity-based")
    if policy.evaluate([principals], request, resource_policy=True) == policy.ALLOW:
        return
    if policy.evaluate([accounts], request, resource_policy=True) == policy.ALLOW and (
            identity is None or policy.evaluate(identity, request) == policy.ALLOW):
        return
    if _granted(runtime.provider("kms"), key, cred.principal, operation,
                params.get("EncryptionContext") or params.get("SourceEncryptionContext")):
        return
    raise denied(cred.principal, action, key.arn, False)


def check_identity(runtime, ctx, caller, action: str, resource: str) -> None:
    cred = caller.credential
    if cred.policies is None:
        return  # an account's root
    answer = policy.evaluate(cred.policies, caller.request(action, resource, runtime.clock.now(),
                                                           {"aws:RequestedRegion": ctx.region}))
    if answer != policy.ALLOW:
        raise denied(cred.principal, action, resource, answer == policy.DENY, "identity-based")


def _find(provider, ctx, params: dict, member: str):
    """The key ``params[member]`` names, or None (the operation then answers for itself)."""
    try:
        return provider._key(ctx, params, member)
    except ServiceError:
        return None


def _key_of_blob(provider, ctx, params: dict):
    try:
        key_id, _ = crypto.blob_key(params.get("CiphertextBlob") or b"")
    except crypto.BadCiphertext:
        return None
    return provider.store.find(ctx.region, key_id)


def authorize(runtime, ctx, params: dict, caller) -> None:
    """The KMS hook of ``auth/enforce.py``: raise AccessDeniedException when the caller may not."""
    if caller.anonymous:
        raise errors.missing_token(errors.JSON)
    operation = ctx.operation
    if operation in NO_KEY or (operation == "ListAliases" and params.get("KeyId") is None):
        check_identity(runtime, ctx, caller, "kms:" + operation, "*")
        return
    provider = runtime.provider("kms")
    if operation in ALIAS_OPERATIONS:
        name = params.get("AliasName")
        if isinstance(name, str) and name.startswith("alias/"):
            check_identity(runtime, ctx, caller, "kms:" + operation,
                           f"arn:aws:kms:{ctx.region}:{ctx.account}:{name}")
        targets = [params] if params.get("TargetKeyId") else []
        if operation != "CreateAlias" and isinstance(name, str):
            alias = provider.store.alias(ctx.account, ctx.region, name)
            if alias is not None:
                targets.append({"KeyId": alias.key_id})
        for p in targets:
            key = _find(provider, ctx, p, "TargetKeyId" if "TargetKeyId" in p else "KeyId")
            if key is not None:
                check_key(runtime, ctx, caller, key, operation, params)
        return
    if operation == "ReEncrypt":
        source = _find(provider, ctx, params, "SourceKeyId") if params.get("SourceKeyId") else \
            _key_of_blob(provider, ctx, params)
        if source is not None:
            check_key(runtime, ctx, caller, source, "ReEncryptFrom", params)
        dest = _find(provider, ctx, params, "DestinationKeyId") if params.get("DestinationKeyId") else None
        if dest is not None:
            check_key(runtime, ctx, caller, dest, "ReEncryptTo", params)
        return
    if operation == "RetireGrant" and params.get("GrantToken") and not params.get("KeyId"):
        return  # a grant token is its own authority (the retiring principal holds it)
    if operation == "Decrypt" and not params.get("KeyId"):
        key = _key_of_blob(provider, ctx, params)
    else:
        key = _find(provider, ctx, params, "KeyId")
    if key is not None:
        check_key(runtime, ctx, caller, key, operation, params)
