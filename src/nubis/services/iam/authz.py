"""Who may call IAM, when IAM enforcement is on (``auth/enforce.py``).

An account's root may do anything; any other principal needs its identity
policies to allow ``iam:<Operation>`` on the entity the call names (the
Service Authorization Reference, "Actions defined by AWS Identity and Access
Management"): ``arn:aws:iam::<account>:user/<path><name>`` and so on, the
caller's own user where a UserName may be left out, ``*`` for listings and
account-wide operations.
"""
from __future__ import annotations

from ...auth import errors, policy
from ...auth.credentials import partition
from ...protocol.errors import ServiceError

# Parameter naming the entity -> (store kind, ARN resource type); the first one present decides.
_BY_NAME = (("InstanceProfileName", "profile", "instance-profile"), ("GroupName", "group", "group"),
            ("RoleName", "role", "role"), ("UserName", "user", "user"))
_BY_ARN = ("PolicyArn", "SerialNumber", "OpenIDConnectProviderArn", "SAMLProviderArn", "PolicySourceArn",
           "Arn", "EntityArn")  # Arn: the entity of a last accessed report (and ListPoliciesGrantingServiceAccess)
# Operations on the caller's own user when UserName is left out.
_SELF = frozenset({"GetUser", "CreateAccessKey", "ListAccessKeys", "UpdateAccessKey", "DeleteAccessKey",
                   "ListMFADevices", "ListSigningCertificates", "ListSSHPublicKeys", "ChangePassword",
                   "GetLoginProfile"})


def denied(principal: str, action: str, resource: str, explicit: bool) -> ServiceError:
    reason = ("with an explicit deny in an identity-based policy" if explicit else
              f"because no identity-based policy allows the {action} action")
    return ServiceError("AccessDenied", f"User: {principal} is not authorized to perform: {action} on resource: "
                        f"{resource} {reason}", 403)


def resource_of(runtime, ctx, params: dict, principal: str) -> str:
    base = f"arn:{partition(ctx.region)}:iam::{ctx.account}:"
    store = runtime.provider("iam").store
    for param, kind, arn_type in _BY_NAME:
        name = params.get(param)
        if name:
            existing = store.get(ctx.account, kind, str(name).lower())
            if existing is not None:
                return existing["Arn"]
            return f"{base}{arn_type}{params.get('Path') or '/'}{name}"
    for param in _BY_ARN:
        if params.get(param):
            return params[param]
    op = ctx.operation
    if op in _SELF and ":user/" in principal:
        return principal
    if op == "CreatePolicy" and params.get("PolicyName"):
        return f"{base}policy{params.get('Path') or '/'}{params['PolicyName']}"
    if op == "CreateVirtualMFADevice" and params.get("VirtualMFADeviceName"):
        return f"{base}mfa{params.get('Path') or '/'}{params['VirtualMFADeviceName']}"
    if op == "CreateSAMLProvider" and params.get("Name"):
        return f"{base}saml-provider/{params['Name']}"
    if op == "CreateOpenIDConnectProvider" and params.get("Url"):
        return f"{base}oidc-provider/{params['Url'].split('://', 1)[-1].rstrip('/')}"
    if params.get("ServerCertificateName"):
        return f"{base}server-certificate{params.get('Path') or '/'}{params['ServerCertificateName']}"
    if op == "CreateServiceLinkedRole" and params.get("AWSServiceName"):
        return f"{base}role/aws-service-role/{params['AWSServiceName']}/*"
    return "*"


def check(runtime, ctx, caller, action: str, resource: str, keys: dict | None = None) -> None:
    """Raise AccessDenied unless the caller's identity policies allow ``action`` on ``resource``."""
    cred = caller.credential
    if cred.policies is None:
        return  # an account's root
    answer = policy.evaluate(cred.policies, caller.request(action, resource, runtime.clock.now(), keys))
    if answer != policy.ALLOW:
        raise denied(cred.principal, action, resource, answer == policy.DENY)


def authorize(runtime, ctx, params: dict, caller) -> None:
    if caller.anonymous:
        raise errors.missing_token(errors.QUERY)
    if caller.credential.policies is None:
        return
    keys = {"aws:RequestedRegion": ctx.region}
    if params.get("PolicyArn"):
        keys["iam:PolicyARN"] = params["PolicyArn"]
    if isinstance(params.get("PermissionsBoundary"), str):
        keys["iam:PermissionsBoundary"] = params["PermissionsBoundary"]
    if params.get("AWSServiceName"):
        keys["iam:AWSServiceName"] = params["AWSServiceName"]
    for t in params.get("Tags") or []:
        keys[f"aws:RequestTag/{t['Key']}"] = t.get("Value", "")
    if params.get("Tags") or params.get("TagKeys"):
        keys["aws:TagKeys"] = [t["Key"] for t in params.get("Tags") or []] or list(params.get("TagKeys") or [])
    check(runtime, ctx, caller, "iam:" + ctx.operation, resource_of(runtime, ctx, params,
                                                                      caller.credential.principal), keys)
