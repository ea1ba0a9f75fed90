"""Temporary delegation requests: a partner asks a customer's account for temporary access.

The lifecycle (IAM user guide, "Building your integration"): a partner's
``CreateDelegationRequest`` makes it UNASSIGNED; the customer's
``AssociateDelegationRequest`` makes the caller its owner (ASSIGNED);
``UpdateDelegationRequest`` forwards it for approval (PENDING_APPROVAL);
``AcceptDelegationRequest`` records the accepting identity (ACCEPTED);
``SendDelegationToken`` releases the exchange token to the partner's
notification channel, an SNS topic (FINALIZED); ``RejectDelegationRequest``
ends it before then (REJECTED). A request left alone expires (EXPIRED): an
unassigned one after a day, any other a week after its last change; expiry
is read against the clock, no timer is needed. The partner trades the token
for credentials with STS's ``GetDelegatedAccessToken`` (``trade_in``).

Requests are not of one account: they are kept under the empty account. A
request is visible to the partner's account and, until it has an owner
account, to any account; then only to that account.
"""
from __future__ import annotations

import json
import re
import secrets
import uuid

from ...protocol.errors import ServiceError
from .entities import invalid, no_such, validation
from .paging import page

_DAY = 86400
_TEXT = re.compile(r"[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*")
_CHANNEL = re.compile(r"^[a-zA-Z0-9:_.-]+$")
_REDIRECT = re.compile(r"^http(s?)://[a-zA-Z0-9._/-]*(\?[a-zA-Z0-9._=&-]*)?(#[a-zA-Z0-9._/-]*)?$")
_ID = re.compile(r"[\w-]{16,128}")
_TOPIC = re.compile(r"arn:[^:]+:sns:([^:]+):(\d{12}):[\w-]+$")
_OPEN = ("UNASSIGNED", "ASSIGNED", "PENDING_APPROVAL", "ACCEPTED")


def _text(value, member: str, maximum: int, minimum: int = 0, required: bool = False):
    if value is None and not required:
        return None
    if not isinstance(value, str) or not minimum <= len(value) <= maximum or not _TEXT.fullmatch(value):
        raise validation(value, member, f"Member must have length less than or equal to {maximum}"
                         if isinstance(value, str) and len(value) > maximum else
                         "Member must satisfy regular expression pattern: "
                         "[\\u0009\\u000A\\u000D\\u0020-\\u007E\\u00A1-\\u00FF]*")
    return value


def _permissions(value) -> dict:
    if not isinstance(value, dict):
        raise validation(value, "permissions", "Member must not be null")
    out = {}
    arn = value.get("PolicyTemplateArn")
    if arn is not None:
        if not isinstance(arn, str) or not 20 <= len(arn) <= 2048:
            raise validation(arn, "permissions.policyTemplateArn", "Member must have length greater than or "
                             "equal to 20")
        out["PolicyTemplateArn"] = arn
    parameters = []
    for p in value.get("Parameters") or []:
        name, kind = p.get("Name"), p.get("Type")
        if name is not None and (not isinstance(name, str) or not 5 <= len(name) <= 256):
            raise validation(name, "permissions.parameters.member.name", "Member must have length greater than "
                             "or equal to 5")
        if kind is not None and kind not in ("string", "stringList"):
            raise validation(kind, "permissions.parameters.member.type", "Member must satisfy enum value set: "
                             "[string, stringList]")
        parameters.append({k: v for k, v in (("Name", name), ("Values", list(p.get("Values") or [])),
                                               ("Type", kind)) if v is not None})
    if parameters:
        out["Parameters"] = parameters
    return out


class DelegationMixin:
    """Operations of ``IamProvider``."""

    def _delegation(self, ctx, params, owned: bool = False) -> dict:
        """The request an id names, as the caller may see it (``owned``: its owner account's)."""
        rid = params.get("DelegationRequestId")
        doc = self.store.get("", "delegation", rid) if isinstance(rid, str) else None
        visible = doc is not None and (doc["RequestorId"] == ctx.account or
                                       doc.get("OwnerAccountId") in (None, ctx.account))
        if owned and visible:
            visible = doc.get("OwnerAccountId") == ctx.account and "OwnerId" in doc
        if not visible:
            raise no_such(f"Delegation request {rid} does not exist.")
        doc = dict(doc)  # the store's own is changed only by a write (_move)
        if doc["State"] != "EXPIRED" and self.clock.now() >= doc["ExpirationTime"]:
            doc["State"] = "EXPIRED"
        return doc

    def _move(self, doc: dict, state: str) -> None:
        now = self.clock.now()
        doc.update({"State": state, "UpdatedTime": now, "ExpirationTime": now + 7 * _DAY})
        self.store.put("", "delegation", doc["DelegationRequestId"], doc)

    @staticmethod
    def _delegation_out(doc: dict) -> dict:
        return {k: v for k, v in doc.items() if not k.startswith("_")}

    def _caller_identity(self, ctx) -> tuple[str, str]:
        """(the caller's ARN, the IAM identity it acts as: a role session's role, else itself)."""
        from .provider import caller_arn

        arn = caller_arn(self.runtime, ctx)
        source = arn
        if ":assumed-role/" in arn and ctx.access_key:
            session = self.runtime.provider("sts").store.get(ctx.access_key)
            if session is not None:
                source = session["source"]
        return arn, source

    def create_delegation_request(self, ctx, params):
        owner = params.get("OwnerAccountId")
        if owner is not None and not re.fullmatch(r"\d{12}", str(owner)):
            raise validation(owner, "ownerAccountId", "Member must satisfy regular expression pattern: \\d{12}")
        description = _text(params.get("Description"), "description", 1000, required=True)
        permissions = _permissions(params.get("Permissions"))
        message = _text(params.get("RequestMessage"), "requestMessage", 200)
        workflow = _text(params.get("RequestorWorkflowId"), "requestorWorkflowId", 400, 5, required=True)
        redirect = params.get("RedirectUrl")
        if redirect is not None and (not isinstance(redirect, str) or len(redirect) > 255 or
                                     not _REDIRECT.match(redirect)):
            raise validation(redirect, "redirectUrl", "Member must satisfy regular expression pattern: "
                             "^http(s?)://[a-zA-Z0-9._/-]*(\\?[a-zA-Z0-9._=&-]*)?(#[a-zA-Z0-9._/-]*)?$")
        channel = params.get("NotificationChannel")
        if not isinstance(channel, str) or not 2 <= len(channel) <= 400 or not _CHANNEL.match(channel):
            raise validation(channel, "notificationChannel", "Member must satisfy regular expression pattern: "
                             "^[a-zA-Z0-9:_.-]+$")
        duration = params.get("SessionDuration")
        if not isinstance(duration, int) or not 300 <= duration <= 43200:
            raise validation(duration, "sessionDuration", "Member must have value between 300 and 43200")
        for other in self.store.all("", "delegation"):
            if other["RequestorId"] == ctx.account and other["_workflow"] == workflow and \
                    other["State"] in _OPEN and self.clock.now() < other["ExpirationTime"]:
                raise ServiceError("EntityAlreadyExists", f"A delegation request for workflow {workflow} already "
                                   "exists.", 409)
        now = self.clock.now()
        rid = str(uuid.uuid4())
        doc = {"DelegationRequestId": rid, "Description": description, "Permissions": permissions,
               "State": "UNASSIGNED", "ExpirationTime": now + _DAY, "RequestorId": ctx.account, "CreateDate": now,
               "UpdatedTime": now, "SessionDuration": duration, "OnlySendByOwner": bool(params.get("OnlySendByOwner")),
               "_workflow": workflow, "_channel": channel}
        for key, value in (("OwnerAccountId", owner), ("RequestMessage", message), ("RedirectUrl", redirect)):
            if value is not None:
                doc[key] = value
        self.store.put("", "delegation", rid, doc)
        base = f"http://{self.config.hostname}:{self.config.port}"
        return {"DelegationRequestId": rid, "ConsoleDeepLink": f"{base}/_nubis/iam/delegation-requests/{rid}"}

    def get_delegation_request(self, ctx, params):
        doc = self._delegation(ctx, params)
        out = {"DelegationRequest": self._delegation_out(doc)}
        if params.get("DelegationPermissionCheck"):
            # Whether the caller holds the permissions it would delegate: the policy template is not
            # something nubis can expand, so the answer is that it cannot tell.
            out.update({"PermissionCheckStatus": "COMPLETE", "PermissionCheckResult": "UNSURE"})
        return out

    def list_delegation_requests(self, ctx, params):
        owner = params.get("OwnerId")
        items = []
        for doc in sorted(self.store.all("", "delegation"), key=lambda d: d["CreateDate"]):
            # Only requests with an owner in the caller's account are listed (API reference).
            if doc.get("OwnerAccountId") != ctx.account or "OwnerId" not in doc:
                continue
            if owner and doc["OwnerId"] != owner:
                continue
            items.append(self._delegation_out(self._delegation(ctx, {"DelegationRequestId":
                                                                      doc["DelegationRequestId"]})))
        out = page(items, params, "DelegationRequests")
        out["isTruncated"] = out.pop("IsTruncated")
        return out

    def associate_delegation_request(self, ctx, params):
        doc = self._delegation(ctx, params)
        if doc.get("OwnerAccountId") not in (None, ctx.account):
            raise no_such(f"Delegation request {doc['DelegationRequestId']} does not exist.")
        if doc["State"] != "UNASSIGNED":
            raise invalid(f"Delegation request {doc['DelegationRequestId']} is {doc['State']}: only an "
                          "UNASSIGNED request can be associated.")
        doc["OwnerId"], doc["OwnerAccountId"] = self._caller_identity(ctx)[0], ctx.account
        self._move(doc, "ASSIGNED")
        return {}

    def update_delegation_request(self, ctx, params):
        doc = self._delegation(ctx, params, owned=True)
        notes = _text(params.get("Notes"), "notes", 500)
        if doc["State"] not in ("ASSIGNED", "PENDING_APPROVAL"):
            raise invalid(f"Delegation request {doc['DelegationRequestId']} is {doc['State']}: only an ASSIGNED "
                          "or PENDING_APPROVAL request can be updated.")
        if notes is not None:
            doc["Notes"] = notes
        self._move(doc, "PENDING_APPROVAL")
        return {}

    def accept_delegation_request(self, ctx, params):
        doc = self._delegation(ctx, params, owned=True)
        if doc["State"] not in ("ASSIGNED", "PENDING_APPROVAL"):
            raise invalid(f"Delegation request {doc['DelegationRequestId']} is {doc['State']}: only an ASSIGNED "
                          "or PENDING_APPROVAL request can be accepted.")
        # The accepting identity is the one the delegated credentials will act as.
        doc["ApproverId"], doc["_source"] = self._caller_identity(ctx)
        self._move(doc, "ACCEPTED")
        return {}

    def reject_delegation_request(self, ctx, params):
        doc = self._delegation(ctx, params, owned=True)
        notes = _text(params.get("Notes"), "notes", 500)
        if doc["State"] not in ("ASSIGNED", "PENDING_APPROVAL", "ACCEPTED"):
            raise invalid(f"Delegation request {doc['DelegationRequestId']} is {doc['State']}: it can no longer "
                          "be rejected.")
        if notes is not None:
            doc["RejectionReason"] = notes
        self._move(doc, "REJECTED")
        return {}

    async def send_delegation_token(self, ctx, params):
        doc = self._delegation(ctx, params, owned=True)
        if doc["State"] != "ACCEPTED":
            raise invalid(f"Delegation request {doc['DelegationRequestId']} is {doc['State']}: only an ACCEPTED "
                          "request's token can be sent.")
        caller = self._caller_identity(ctx)[0]
        if doc["OnlySendByOwner"] and caller != doc["OwnerId"]:
            raise ServiceError("AccessDenied", f"User: {caller} is not the owner of delegation request "
                               f"{doc['DelegationRequestId']}, which only its owner may send.", 403)
        token = secrets.token_urlsafe(48)
        doc["_token"], doc["_finalized"] = token, self.clock.now()
        self._move(doc, "FINALIZED")
        m = _TOPIC.match(doc["_channel"])
        if m is not None:  # the partner's channel: delivery is asynchronous, its failure not the caller's
            message = {"DelegationRequestId": doc["DelegationRequestId"], "RequestorWorkflowId": doc["_workflow"],
                       "TradeInToken": token}
            try:
                await self.internal.call("sns", "Publish", {"TopicArn": doc["_channel"], "Message":
                                         json.dumps(message)}, account=m.group(2), region=m.group(1),
                                         principal="iam.amazonaws.com")
            except ServiceError:
                pass
        return {}

    def nubis_api(self, method: str, path: str, query: dict, doc: dict):
        """``GET /_nubis/iam/delegation-requests/<id>``: where ``ConsoleDeepLink`` leads, the request."""
        m = re.fullmatch(r"delegation-requests/([\w-]+)", path)
        found = self.store.get("", "delegation", m.group(1)) if m and method == "GET" else None
        return {"DelegationRequest": self._delegation_out(found)} if found else None

    def get_human_readable_summary(self, ctx, params):
        arn = params.get("EntityArn")
        m = re.fullmatch(r"arn:[^:]+:iam::(\d{12})?:delegation-request/([\w-]+)", arn or "")
        if m is None:
            raise invalid(f"ARN {arn} is not a delegation request's ARN: the only entity type supported is "
                          "delegation-request.")
        doc = self._delegation(ctx, {"DelegationRequestId": m.group(2)})
        locale = params.get("Locale") or "en"
        if not locale.lower().startswith("en"):
            return {"SummaryState": "NOT_SUPPORTED", "Locale": locale}
        # AWS writes this summary with a language model; nubis states the request's facts in a sentence each.
        perms = doc["Permissions"]
        lines = [f"Account {doc['RequestorId']} requests temporary access: {doc['Description'].rstrip('.')}.",
                 f"The access would last {doc['SessionDuration']} seconds after the token is sent."]
        if perms.get("PolicyTemplateArn"):
            lines.append(f"The permissions are those of the policy template {perms['PolicyTemplateArn']}"
                         + (", with parameters " + ", ".join(f"{p.get('Name')}={p.get('Values')}" for p in
                                                            perms["Parameters"]) if perms.get("Parameters") else "")
                         + ".")
        lines.append(f"The request is {doc['State']}.")
        return {"SummaryContent": " ".join(lines), "Locale": locale, "SummaryState": "AVAILABLE"}


def trade_in(iam, token: str, now: float) -> dict | None:
    """For STS's ``GetDelegatedAccessToken``: the finalized request whose exchange token this is
    (None: no such token), with ``expires``, when its delegation period ends."""
    for doc in iam.store.all("", "delegation"):
        if doc.get("_token") and secrets.compare_digest(doc["_token"].encode(), token.encode()):
            return {"request": doc, "expires": doc["_finalized"] + doc["SessionDuration"]}
    return None
