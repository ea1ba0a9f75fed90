"""Who may call STS, when IAM enforcement is on (``auth/enforce.py``).

``GetCallerIdentity``, ``GetSessionToken`` and ``GetAccessKeyInfo`` need no
permission (STS API reference); ``AssumeRoleWithWebIdentity`` and
``AssumeRoleWithSAML`` are called unsigned, their token is the credential.
``AssumeRole``: the role's trust policy is the provider's check; here, a
principal that is not a root also needs its identity policies to allow
``sts:AssumeRole`` on the role, unless the trust policy names it (in its
own account) directly. ``GetFederationToken`` and
``DecodeAuthorizationMessage`` need their action allowed.
``GetWebIdentityToken`` brings its condition keys (``sts:IdentityTokenAudience``,
``sts:DurationSeconds``, ``sts:SigningAlgorithm``, the request's tags).
"""
from __future__ import annotations

from ...auth import errors, policy
from ..iam.authz import check, denied

_FREE = frozenset({"GetCallerIdentity", "GetSessionToken", "GetAccessKeyInfo"})
_UNSIGNED = frozenset({"AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"})


def authorize(runtime, ctx, params: dict, caller) -> None:
    op = ctx.operation
    if op in _UNSIGNED:
        return
    if caller.anonymous:
        raise errors.missing_token(errors.QUERY)
    cred = caller.credential
    if op in _FREE or cred.policies is None:
        return
    if op == "AssumeRole":
        _assume_role(runtime, ctx, params, caller)
    elif op == "GetFederationToken":
        name = params.get("Name") or ""
        check(runtime, ctx, caller, "sts:GetFederationToken",
              f"arn:aws:sts::{cred.account}:federated-user/{name}")
    elif op == "GetWebIdentityToken":
        tags = params.get("Tags") or []
        keys = {"sts:IdentityTokenAudience": list(params.get("Audience") or []),
                "sts:DurationSeconds": str(params.get("DurationSeconds") or 300),
                "sts:SigningAlgorithm": params.get("SigningAlgorithm")}
        keys.update({f"aws:RequestTag/{t['Key']}": t.get("Value", "") for t in tags})
        if tags:
            keys["aws:TagKeys"] = [t["Key"] for t in tags]
        check(runtime, ctx, caller, "sts:GetWebIdentityToken", "*", keys)
    else:
        check(runtime, ctx, caller, "sts:" + op, "*")


def _assume_role(runtime, ctx, params: dict, caller) -> None:
    cred = caller.credential
    arn = params.get("RoleArn") or ""
    found = runtime.provider("iam").role_by_arn(arn)
    if found is None:
        return  # the provider refuses a role that does not exist
    role_account, role = found
    keys = {"sts:ExternalId": params.get("ExternalId"), "sts:RoleSessionName": params.get("RoleSessionName")}
    if params.get("SerialNumber") and params.get("TokenCode"):  # the provider checks the code itself
        keys["aws:MultiFactorAuthPresent"] = "true"
    request = caller.request("sts:AssumeRole", role["Arn"], runtime.clock.now(), keys)
    identity = policy.evaluate(cred.policies, request)
    if identity == policy.ALLOW:
        if params.get("Tags"):  # passing session tags is an action of its own
            tag = caller.request("sts:TagSession", role["Arn"], runtime.clock.now(), keys)
            if policy.evaluate(cred.policies, tag) != policy.ALLOW:
                raise denied(cred.principal, "sts:TagSession", role["Arn"],
                             policy.evaluate(cred.policies, tag) == policy.DENY)
        return
    if identity != policy.DENY and role_account == cred.account:
        # Within the account, a trust policy naming this principal (not just the account) suffices.
        named = policy.Request(request.action, request.resource, request.principal, None, keys=request.keys)
        if policy.evaluate([role["_trust"]], named, resource_policy=True) == policy.ALLOW:
            return
    raise denied(cred.principal, "sts:AssumeRole", role["Arn"], identity == policy.DENY)
