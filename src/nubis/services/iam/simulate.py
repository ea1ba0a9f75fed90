"""SimulatePrincipalPolicy and SimulateCustomPolicy: ``auth/policy.py`` asked
about each action and resource, with the statements that decided it."""
from __future__ import annotations

import json

from ...auth import policy as engine
from ...protocol.errors import ServiceError
from . import documents


def _keys(params: dict) -> dict:
    keys = {}
    for i, entry in enumerate(params.get("ContextEntries") or [], start=1):
        name = entry.get("ContextKeyName")
        if not name:  # optional in the model, but an entry is nothing without it
            raise ServiceError("ValidationError", "1 validation error detected: Value null at "
                               f"'contextEntries.{i}.member.contextKeyName' failed to satisfy constraint: "
                               "Member must not be null", 400)
        values = list(entry.get("ContextKeyValues") or [])
        kind = entry.get("ContextKeyType") or "string"
        keys[name.lower()] = values if kind.endswith("List") else (values[0] if values else None)
    return keys


def _named(provider, account: str, entity: dict, prefix: str) -> list[tuple[str, str, object]]:
    """(source id, source type, document) of an entity's own policies."""
    out = [(name, prefix, text) for name, text in entity.get("_inline", {}).items()]
    for arn in entity.get("_attached", []):
        text = provider.managed_document(account, arn)
        if text is not None:
            out.append((arn.rsplit("/", 1)[1], "aws-managed" if ":aws:policy/" in arn else "user-managed", text))
    return out


def principal(provider, ctx, params: dict) -> dict:
    arn = params.get("PolicySourceArn") or ""
    found = provider.entity_by_arn(arn)
    if found is None:
        raise ServiceError("NoSuchEntity", f"PolicySourceArn {arn} cannot be found.", 404) if arn.startswith(
            "arn:") else ServiceError("InvalidInput", f"Invalid ARN: {arn}", 400)
    account, kind, entity = found
    sources = _named(provider, account, entity, kind)
    if kind == "user":
        for g in entity.get("_groups", []):
            group = provider.store.get(account, "group", g)
            if group is not None:
                sources += _named(provider, account, group, "group")
    boundary = None
    if entity.get("PermissionsBoundary"):
        text = provider.managed_document(account, entity["PermissionsBoundary"]["PermissionsBoundaryArn"])
        boundary = [text] if text else []
    caller = params.get("CallerArn") or (arn if kind != "group" else None)
    return _simulate(ctx, params, sources, boundary, caller)


def custom(provider, ctx, params: dict) -> dict:
    return _simulate(ctx, params, [], None, params.get("CallerArn"))


def _simulate(ctx, params: dict, sources: list, boundary: list | None, caller: str | None) -> dict:
    for i, text in enumerate(params.get("PolicyInputList") or [], 1):
        documents.check(text, "identity")
        sources.append((f"PolicyInputList.{i}", "IAM Policy", text))
    if params.get("PermissionsBoundaryPolicyInputList"):
        boundary = list(params["PermissionsBoundaryPolicyInputList"])
        for text in boundary:
            documents.check(text, "identity")
    resource_policy = params.get("ResourcePolicy")
    if resource_policy:
        documents.check(resource_policy, "resource")
    keys = _keys(params)
    if caller:
        keys.setdefault("aws:principalarn", caller)
        if ":user/" in caller:
            keys.setdefault("aws:username", caller.rsplit("/", 1)[1])
    owner = params.get("ResourceOwner")
    owner_account = owner.split(":")[4] if owner and owner.count(":") >= 4 else ctx.account
    results = []
    for action in params.get("ActionNames") or []:
        for resource in params.get("ResourceArns") or ["*"]:
            request = engine.Request(action, resource, caller, ctx.account, keys=dict(keys))
            results.append(_one(request, sources, boundary, resource_policy, owner_account == ctx.account))
    out = {"EvaluationResults": results, "IsTruncated": False}
    return out


def _one(request, sources, boundary, resource_policy, same_account: bool) -> dict:
    matched, missing = [], set()
    denied = allowed = False
    for source_id, source_type, text in sources:
        for st in engine.statements(text):
            for block in (st.get("Condition") or {}).values():
                for key in block if isinstance(block, dict) else ():
                    if request.key(key) is None:
                        missing.add(key)
            if engine.statement_applies(st, request, resource_policy=False):
                matched.append({"SourcePolicyId": source_id, "SourcePolicyType": source_type})
                if st.get("Effect") == "Deny":
                    denied = True
                elif st.get("Effect") == "Allow":
                    allowed = True
    result = {"EvalActionName": request.action, "EvalResourceName": request.resource}
    boundary_answer = None
    if boundary is not None:
        boundary_answer = engine.evaluate(boundary, request)
        result["PermissionsBoundaryDecisionDetail"] = {"AllowedByPermissionsBoundary": boundary_answer == engine.ALLOW}
        if boundary_answer == engine.DENY:
            denied = True
        elif boundary_answer != engine.ALLOW:
            allowed = False
    resource_answer = engine.IMPLICIT
    if resource_policy:
        resource_answer = engine.evaluate([resource_policy], request, resource_policy=True)
        if resource_answer == engine.DENY:
            denied = True
        if resource_answer == engine.ALLOW:
            matched.append({"SourcePolicyId": "ResourcePolicy", "SourcePolicyType": "resource"})
    if denied:
        decision = "explicitDeny"
    elif allowed and (same_account or not resource_policy or resource_answer == engine.ALLOW):
        decision = "allowed"
    elif same_account and resource_answer == engine.ALLOW and request.principal:
        decision = "allowed"
    else:
        decision = "implicitDeny"
    result["EvalDecision"] = decision
    result["MatchedStatements"] = [m for m in matched if decision != "implicitDeny"]
    result["MissingContextValues"] = sorted(missing)
    if resource_policy:
        result["EvalDecisionDetails"] = {"IAM Policy" if sources else "none": decision}
    return result


def context_keys(provider, ctx, params: dict, principal: bool) -> dict:
    texts = list(params.get("PolicyInputList") or [])
    if principal:
        found = provider.entity_by_arn(params.get("PolicySourceArn") or "")
        if found is None:
            raise ServiceError("NoSuchEntity", f"PolicySourceArn {params.get('PolicySourceArn')} cannot be found.",
                               404)
        texts += [t for _, _, t in _named(provider, found[0], found[2], found[1])]
    names = []
    for text in texts:
        try:
            doc = json.loads(text)
        except ValueError:
            raise documents.malformed("This policy contains invalid Json") from None
        for st in engine.statements(doc):
            for block in (st.get("Condition") or {}).values():
                for key in block if isinstance(block, dict) else ():
                    if key not in names:
                        names.append(key)
    return {"ContextKeyNames": names}
