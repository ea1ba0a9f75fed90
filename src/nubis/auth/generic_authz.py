"""Who may call a service whose authorization is a table (``action_data/<service>.py``),
when IAM enforcement is on (``enforce.py``).

A table says, from the Service Authorization Reference ("Actions, resources, and
condition keys for ..."): an operation's IAM action (``<PREFIX>:<Operation>``
unless ``ACTIONS`` renames it); where its resource ARNs come from (``RESOURCES``
per operation, else the first of ``PARAMS`` the request has, none: ``*``; a
value that is an ARN is the resource itself); how the resource's own policy is
read (``POLICY``, skipped for ``NO_POLICY_OPS``); optionally how a short name
becomes the full ARN (``resolve``), the access-denied code (``ERROR_CODE``), and
``checks``: a request split into several checks with condition keys (DynamoDB's
batches and fine-grained keys). The decision is ``actions.decide``: identity and
resource policies as IAM combines them, the denial in the service's own error.
"""
from __future__ import annotations

import importlib

from . import errors
from .actions import _call, decide
from .enforce import style_of

_tables: dict = {}


def table(service: str):
    found = _tables.get(service)
    if found is None:
        found = _tables[service] = importlib.import_module(f"{__package__}.action_data.{service}")
    return found


def _values(params: dict, path: str) -> list:
    """The values at ``path`` ("Name", "Names[]", "Entries[].EventBusName")."""
    current = [params]
    for part in path.split("."):
        many = part.endswith("[]")
        name = part[:-2] if many else part
        nxt = []
        for c in current:
            v = c.get(name) if isinstance(c, dict) else None
            if v is None:
                continue
            nxt.extend(v if many and isinstance(v, list) else [v])
        current = nxt
    return [v for v in current if v not in (None, "")]


def resources(t, op: str, params: dict, region: str, account: str) -> list[str]:
    """The resource ARNs an operation acts on, from the table ``t``."""
    for path, template in t.RESOURCES.get(op) or getattr(t, "PARAMS", ()):
        values = _values(params, path) if path else [""]  # "": the template is the resource
        if not values:
            continue
        out = []
        try:
            for v in values:
                if template is None or (isinstance(v, str) and v.startswith("arn:")):
                    out.append(str(v))
                else:  # {value}; {bare}: without a leading "/"; {OtherParam}: another parameter
                    out.append(template.format_map({**params, "value": v, "bare": str(v).lstrip("/"),
                                                    "region": region, "account": account}))
        except KeyError:
            continue  # the template needs a parameter this request lacks
        return out
    return ["*"]


def authorize(runtime, ctx, params: dict, caller) -> None:
    t = table(ctx.service)
    op = ctx.operation
    action = t.ACTIONS.get(op) or f"{t.PREFIX}:{op}"
    checks = getattr(t, "checks", None)
    found = checks(runtime, ctx, params, action) if checks is not None else None
    if not found:
        found = [(action, arn, None) for arn in resources(t, op, params, ctx.region, ctx.account)]
    if caller.anonymous and not hasattr(t, "POLICY"):
        raise errors.missing_token(style_of(ctx.service, ctx.protocol))
    for action, arn, keys in found:
        parts = arn.split(":", 5)
        owner = parts[4] if len(parts) == 6 and parts[4] else ctx.account
        region = parts[3] if len(parts) == 6 and parts[3] else ctx.region
        resolve = getattr(t, "resolve", None)
        if resolve is not None and arn != "*":
            arn = resolve(runtime, ctx, owner, region, arn)
        policies = _policy(runtime, ctx, t, arn, owner, region, op) if arn != "*" else []
        if caller.anonymous and not policies:
            raise errors.missing_token(style_of(ctx.service, ctx.protocol))
        merged = {"aws:RequestedRegion": ctx.region}
        if keys:
            merged.update(keys)
        decide(runtime, ctx, caller, action, arn, owner, policies, merged, getattr(t, "ERROR_CODE", None))
    if caller.anonymous:  # a resource policy let an unsigned caller in: it acts in the owner's account
        ctx.account = owner


def _policy(runtime, ctx, t, arn: str, owner: str, region: str, op: str) -> list:
    """The resource's own policy, read in-process from its provider (trusted)."""
    spec = getattr(t, "POLICY", None)
    if spec is None or op in getattr(t, "NO_POLICY_OPS", ()):
        return []
    if callable(spec):
        text = spec(runtime, ctx, owner, region, arn)
    else:
        operation, request, field = spec
        out = _call(runtime, ctx, ctx.service, operation, owner, region,
                    {k: v.format(arn=arn, name=arn.rsplit("/", 1)[-1]) for k, v in request.items()})
        text = (out or {}).get(field)
    return [text] if text else []
