"""``GetDelegatedAccessToken``: a partner trades the exchange token of a finalized delegation
request (IAM's ``SendDelegationToken``, ``iam/delegation.py``) for temporary credentials.

The credentials act as the identity that accepted the request, for the rest of
the delegation period (the request's ``SessionDuration`` from when the token
was sent), limited to the delegated permissions. Those are the request's
policy template; nubis expands a template only when its ARN names a managed
policy it has (AWS's or the partner's, by its default version). Any other
template delegates nothing: the session may do nothing rather than everything
its approver may.
"""
from __future__ import annotations

from ...protocol.errors import ServiceError
from ..iam.delegation import trade_in

_NOTHING = '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}'


def expired() -> ServiceError:
    return ServiceError("ExpiredTradeInTokenException", "The trade-in token provided in the request has expired "
                        "and can no longer be exchanged for credentials.", 400)


def get_delegated_access_token(provider, ctx, params: dict) -> dict:
    token = params.get("TradeInToken")
    iam = provider.iam
    now = provider.clock.now()
    found = trade_in(iam, token, now) if isinstance(token, str) and token else None
    if found is None or now >= found["expires"]:
        raise expired()
    request = found["request"]
    approver, source = request["ApproverId"], request["_source"]
    account = request["OwnerAccountId"]
    template = (request.get("Permissions") or {}).get("PolicyTemplateArn")
    text = iam.managed_document(request["RequestorId"], template) if template else None
    if text is None and template:
        text = iam.managed_document(account, template)
    entity = iam.entity_by_arn(source)
    user_id = entity[2].get("UserId") or entity[2].get("RoleId") if entity else account
    creds = provider._issue(account, approver, user_id, source, int(found["expires"] - now),
                            policies=[text or _NOTHING])
    return {"Credentials": creds, "AssumedPrincipal": approver}
