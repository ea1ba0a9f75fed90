"""A function's resource-based policy (AddPermission, RemovePermission, GetPolicy)
and its reserved concurrency."""
from __future__ import annotations

import json
import re
import uuid

from ..base import RequestContext
from . import validation as v

_SID = re.compile(r"^([a-zA-Z0-9-_.]+)$")
MIN_UNRESERVED = 100


def _principal(principal: str):
    if principal == "*":
        return "*"
    if principal.endswith(".amazonaws.com") or principal.endswith(".amazonaws.com.cn"):
        return {"Service": principal}
    if re.fullmatch(r"\d{12}", principal):
        return {"AWS": f"arn:aws:iam::{principal}:root"}
    return {"AWS": principal}


class PermissionsMixin:
    # -- policy -------------------------------------------------------------------------------

    def _policy_target(self, ctx: RequestContext, params: dict):
        fn, qualifier = self.function(ctx, params["FunctionName"], params.get("Qualifier"))
        if qualifier:
            self.resolve(ctx, fn, qualifier)  # it must exist
        return fn, qualifier or ""

    def add_permission(self, ctx: RequestContext, params: dict) -> dict:
        fn, qualifier = self._policy_target(ctx, params)
        sid = params["StatementId"]
        if not _SID.match(sid) or len(sid) > 100:
            raise v.validation("statementId", sid, "satisfy regular expression pattern: ([a-zA-Z0-9-_.]+)")
        action = params["Action"]
        if not re.fullmatch(r"(lambda:[*]|lambda:[a-zA-Z]+|[*])", action):
            raise v.validation("action", action, "satisfy regular expression pattern: "
                                                 "(lambda:[*]|lambda:[a-zA-Z]+|[*])")
        policies = dict(fn.policy or {})
        doc = policies.get(qualifier) or {"Version": "2012-10-17", "Id": "default", "Statement": []}
        if params.get("RevisionId") and params["RevisionId"] != doc.get("RevisionId", fn.config["RevisionId"]):
            self._check_revision(fn.config, params["RevisionId"])
        if any(s["Sid"] == sid for s in doc["Statement"]):
            raise v.conflict(f"The statement id ({sid}) provided already exists. Please provide a new statement id, "
                             "or remove the existing statement.")
        statement = {"Sid": sid, "Effect": "Allow", "Principal": _principal(params["Principal"]), "Action": action,
                     "Resource": fn.arn + (f":{qualifier}" if qualifier else "")}
        condition: dict = {}
        if params.get("SourceAccount"):
            condition.setdefault("StringEquals", {})["AWS:SourceAccount"] = params["SourceAccount"]
        if params.get("PrincipalOrgID"):
            condition.setdefault("StringEquals", {})["aws:PrincipalOrgID"] = params["PrincipalOrgID"]
        if params.get("EventSourceToken"):
            condition.setdefault("StringEquals", {})["lambda:EventSourceToken"] = params["EventSourceToken"]
        if params.get("FunctionUrlAuthType"):
            condition.setdefault("StringEquals", {})["lambda:FunctionUrlAuthType"] = params["FunctionUrlAuthType"]
        if params.get("SourceArn"):
            condition["ArnLike"] = {"AWS:SourceArn": params["SourceArn"]}
        if params.get("InvokedViaFunctionUrl"):  # InvokeFunction only through a function URL (urls.py)
            condition["Bool"] = {"lambda:InvokedViaFunctionUrl": "true"}
        if condition:
            statement["Condition"] = condition
        doc = dict(doc, Statement=doc["Statement"] + [statement], RevisionId=str(uuid.uuid4()))
        policies[qualifier] = doc
        fn.policy = policies
        self.store.save(fn)
        return {"Statement": json.dumps(statement)}

    def remove_permission(self, ctx: RequestContext, params: dict) -> dict:
        fn, qualifier = self._policy_target(ctx, params)
        policies = dict(fn.policy or {})
        doc = policies.get(qualifier)
        sid = params["StatementId"]
        if doc is None or not any(s["Sid"] == sid for s in doc["Statement"]):
            raise v.not_found(f"Statement {sid} is not found in resource policy.")
        if params.get("RevisionId") and params["RevisionId"] != doc.get("RevisionId"):
            self._check_revision(doc, params["RevisionId"])
        statements = [s for s in doc["Statement"] if s["Sid"] != sid]
        if statements:
            policies[qualifier] = dict(doc, Statement=statements, RevisionId=str(uuid.uuid4()))
        else:
            policies.pop(qualifier)
        fn.policy = policies or None
        self.store.save(fn)
        return {}

    def get_policy(self, ctx: RequestContext, params: dict) -> dict:
        fn, qualifier = self._policy_target(ctx, params)
        doc = (fn.policy or {}).get(qualifier)
        if doc is None:
            raise v.not_found("The resource you requested does not exist.")
        policy = {k: doc[k] for k in ("Version", "Id", "Statement")}
        return {"Policy": json.dumps(policy), "RevisionId": doc["RevisionId"]}

    # -- concurrency --------------------------------------------------------------------------

    def put_function_concurrency(self, ctx: RequestContext, params: dict) -> dict:
        fn, _ = self.function(ctx, params["FunctionName"], allow_qualifier=False)
        n = params["ReservedConcurrentExecutions"]
        if n < 0:
            raise v.validation("reservedConcurrentExecutions", n, "have value greater than or equal to 0")
        others = sum(f.reserved or 0 for f in self.store.list(ctx.account, ctx.region, limit=1_000_000)
                     if f.name != fn.name)
        if self.concurrency_limit - others - n < MIN_UNRESERVED:
            raise v.invalid("Specified ReservedConcurrentExecutions for function decreases account's "
                            f"UnreservedConcurrentExecution below its minimum value of [{MIN_UNRESERVED}].")
        fn.reserved = n
        self.store.save(fn)
        return {"ReservedConcurrentExecutions": n}

    def get_function_concurrency(self, ctx: RequestContext, params: dict) -> dict:
        fn, _ = self.function(ctx, params["FunctionName"], allow_qualifier=False)
        return {} if fn.reserved is None else {"ReservedConcurrentExecutions": fn.reserved}

    def delete_function_concurrency(self, ctx: RequestContext, params: dict) -> dict:
        fn, _ = self.function(ctx, params["FunctionName"], allow_qualifier=False)
        fn.reserved = None
        self.store.save(fn)
        return {}
