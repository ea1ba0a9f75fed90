"""``AssumeRoot``: a privileged root session in a member account of an organization.

Only a principal of the organization's management account (or its delegated
administrator for IAM), with centralized root access enabled for the
organization, may start one. nubis has no Organizations: no account is a
member of one, so every caller is refused as STS refuses a caller without
that standing: AccessDenied on the target account's root.
"""
from __future__ import annotations

import re

from ...auth.credentials import partition
from ...protocol.errors import ServiceError


def _validation(value, member: str, constraint: str) -> ServiceError:
    return ServiceError("ValidationError", f"1 validation error detected: Value '{value}' at '{member}' failed to "
                        f"satisfy constraint: {constraint}", 400)


def assume_root(provider, ctx, params: dict) -> dict:
    target = params.get("TargetPrincipal")
    if not isinstance(target, str) or not 12 <= len(target) <= 2048:
        raise _validation(target, "targetPrincipal", "Member must have length greater than or equal to 12"
                          if not isinstance(target, str) or len(target) < 12 else
                          "Member must have length less than or equal to 2048")
    task = (params.get("TaskPolicyArn") or {}).get("arn")
    if not isinstance(task, str) or len(task) < 20:
        raise _validation(task, "taskPolicyArn.arn", "Member must have length greater than or equal to 20")
    duration = params.get("DurationSeconds")
    if duration is not None and not 0 <= duration <= 900:
        raise _validation(duration, "durationSeconds", "Member must have value less than or equal to 900"
                          if duration > 900 else "Member must have value greater than or equal to 0")
    caller = provider._caller(ctx)
    m = re.fullmatch(r"(?:arn:[^:]+:iam::)?(\d{12})(?::root)?", target)
    account = m.group(1) if m else target
    resource = f"arn:{partition(ctx.region)}:iam::{account}:root"
    raise ServiceError("AccessDenied", f"User: {caller.principal} is not authorized to perform: sts:AssumeRoot on "
                       f"resource: {resource}", 403)
