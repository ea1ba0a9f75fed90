"""Who may call SQS, SNS and Lambda, when IAM enforcement is on (``enforce.py``).

Each operation is an IAM action on a resource (the Service Authorization
Reference: "Actions defined by Amazon SQS", "... Amazon SNS", "... AWS
Lambda"): a queue ``arn:aws:sqs:<region>:<account>:<name>``, a topic
``arn:aws:sns:<region>:<account>:<name>``, a function
``arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]``. The
caller's identity policies and the resource's policy (the queue's ``Policy``
attribute, the topic's ``Policy`` attribute, the function's policy from
``GetPolicy``) are then combined as IAM does (``policy.decide``): within the
owner's account either may allow, across accounts both must, an explicit deny
in either refuses. The resource policies are read through the owning
provider's own operations, in-process.
"""
from __future__ import annotations

import inspect
import re

from ..protocol.errors import ServiceError
from ..services.base import RequestContext
from . import errors, policy
from .enforce import style_of

# Operations whose action is not "<service>:<Operation>".
SQS_ACTIONS = {"SendMessageBatch": "sqs:SendMessage", "DeleteMessageBatch": "sqs:DeleteMessage",
               "ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility"}
SNS_ACTIONS = {"PublishBatch": "sns:Publish"}
LAMBDA_ACTIONS = {"Invoke": "lambda:InvokeFunction", "InvokeWithResponseStream": "lambda:InvokeFunction"}

# SNS links that subscribers follow without credentials (the token is the proof).
_SNS_UNSIGNED = frozenset({"ConfirmSubscription", "Unsubscribe"})
_QUEUE_PATH = re.compile(r"^/?(\d{12})/([^/?]+)")
_FUNCTION = re.compile(r"^(?:arn:[^:]+:lambda:([^:]+):)?(?:(\d{12}):)?(?:function:)?([A-Za-z0-9_-]+)(?::([^:]+))?$")


def _reason(action: str, identity: str, resource: str, same_account: bool) -> str:
    if resource == policy.DENY:
        return "with an explicit deny in a resource-based policy"
    if identity == policy.DENY:
        return "with an explicit deny in an identity-based policy"
    if not same_account and identity == policy.ALLOW:
        return f"because no resource-based policy allows the {action} action"
    return f"because no identity-based policy allows the {action} action"


def decide(runtime, ctx, caller, action: str, resource: str, owner: str, resource_policies: list,
           keys: dict | None, code: str | None = None) -> None:
    """Raise the service's access-denied error unless ``caller`` may do ``action`` on ``resource``."""
    if not resource_policies and _unrestricted(caller, owner):
        return
    cred = caller.credential
    same = cred is not None and cred.account == owner
    identity_policies = cred.policies if cred is not None else None
    request = caller.request(action, resource, runtime.clock.now(), keys)
    if policy.decide(request, resource_policies, identity_policies, same):
        return
    on_resource = policy.evaluate(resource_policies, request, resource_policy=True)
    on_identity = policy.ALLOW if identity_policies is None else policy.evaluate(identity_policies, request)
    who = cred.principal if cred is not None else "anonymous"
    message = (f"User: {who} is not authorized to perform: {action} on resource: {resource} "
               f"{_reason(action, on_identity, on_resource, same)}")
    if code is not None:
        raise ServiceError(code, message, 403)
    raise errors.access_denied(style_of(ctx.service, ctx.protocol), message)


def _unrestricted(caller, owner: str) -> bool:
    """An account's root in its own account: with no resource policy that could deny it, allowed."""
    cred = caller.credential
    return cred is not None and cred.policies is None and cred.account == owner


def _call(runtime, ctx, service: str, operation: str, account: str, region: str, params: dict):
    """A provider's operation, called in-process and trusted (the resource's policy); None when it fails."""
    provider = runtime.provider(service)
    fn = provider.handler(operation) if provider is not None else None
    if fn is None:
        return None
    inner = RequestContext(service=service, operation=operation, account=account, region=region,
                           request_id=ctx.request_id, principal=ctx.principal, internal=True)
    try:
        out = fn(inner, params)
    except ServiceError:
        return None  # no such resource: the operation itself answers that
    if inspect.iscoroutine(out):
        out.close()
        return None
    return out


# -- SQS -------------------------------------------------------------------------------------


_QUEUE_URLS: dict[str, tuple[str, str, str] | None] = {}


def _queue_of(url: str) -> tuple[str, str, str] | None:
    """(account, name, name as SQS reads it) of a queue URL (kept: a queue's URL comes with
    every call on it)."""
    found = _QUEUE_URLS.get(url, False)
    if found is False:
        path = url.split("://", 1)[-1]
        path = path[path.find("/"):] if "://" in url else path
        m = _QUEUE_PATH.match(path)
        # SQS reads the URL's name up to a '#' (which would begin a fragment).
        found = (m.group(1), m.group(2), m.group(2).partition("#")[0]) if m else None
        if len(_QUEUE_URLS) > 4096:
            _QUEUE_URLS.clear()
        _QUEUE_URLS[url] = found
    return found


def authorize_sqs(runtime, ctx, params: dict, caller) -> None:
    op = ctx.operation
    account = name = None
    url = params.get("QueueUrl")
    if url is None and ctx.request is not None and _QUEUE_PATH.match(ctx.request.path or ""):
        url = ctx.request.path  # older clients post to the queue's URL
    if url:
        found = _queue_of(url)
        if found is not None:
            account, name, sqs_name = found
    elif params.get("QueueName"):
        account, name = params.get("QueueOwnerAWSAccountId") or ctx.account, params["QueueName"]
        sqs_name = name.partition("#")[0]
    if name is None:
        if caller.anonymous:
            raise errors.missing_token(style_of(ctx.service, ctx.protocol))
        return decide(runtime, ctx, caller, SQS_ACTIONS.get(op) or "sqs:" + op,
                      f"arn:aws:sqs:{ctx.region}:{ctx.account}:*", ctx.account, [], None)
    text = runtime.provider("sqs").queue_policy(account, ctx.region, sqs_name) if op != "CreateQueue" else None
    cred = caller.credential
    if text or cred is None or cred.policies is not None or cred.account != account:  # see _unrestricted
        if cred is None and not text:
            raise errors.missing_token(style_of(ctx.service, ctx.protocol))
        decide(runtime, ctx, caller, SQS_ACTIONS.get(op) or "sqs:" + op, f"arn:aws:sqs:{ctx.region}:{account}:{name}",
               account, [text] if text else [], {"aws:RequestedRegion": ctx.region})
    if cred is None:
        ctx.account = account


# -- SNS -------------------------------------------------------------------------------------


def authorize_sns(runtime, ctx, params: dict, caller) -> None:
    op = ctx.operation
    if op in _SNS_UNSIGNED and caller.anonymous:
        return
    if caller.anonymous:
        raise errors.missing_token(style_of(ctx.service, ctx.protocol))
    action = SNS_ACTIONS.get(op) or "sns:" + op
    arn = params.get("TopicArn") or params.get("ResourceArn")
    if not arn and params.get("SubscriptionArn"):
        arn = params["SubscriptionArn"].rsplit(":", 1)[0]
    if not arn and op == "CreateTopic" and params.get("Name"):
        arn = f"arn:aws:sns:{ctx.region}:{ctx.account}:{params['Name']}"
    parts = (arn or "").split(":")
    if len(parts) < 6 or parts[2] != "sns":
        return decide(runtime, ctx, caller, action, f"arn:aws:sns:{ctx.region}:{ctx.account}:*", ctx.account, [],
                      None, "AuthorizationError")
    owner = parts[4]
    policies = []
    if op != "CreateTopic":
        out = _call(runtime, ctx, "sns", "GetTopicAttributes", owner, parts[3], {"TopicArn": ":".join(parts[:6])})
        text = ((out or {}).get("Attributes") or {}).get("Policy")
        policies = [text] if text else []
    # aws:SourceOwner is a service's key (S3 publishing for a bucket's owner): a caller's own
    # request lacks it, so the default topic policy lets no one in by itself.
    keys = {"aws:RequestedRegion": ctx.region}
    decide(runtime, ctx, caller, action, ":".join(parts[:6]), owner, policies, keys, "AuthorizationError")


# -- Lambda ----------------------------------------------------------------------------------


def authorize_lambda(runtime, ctx, params: dict, caller) -> None:
    if caller.anonymous:
        raise errors.missing_token(style_of(ctx.service, ctx.protocol))
    op = ctx.operation
    action = LAMBDA_ACTIONS.get(op) or "lambda:" + op
    name = params.get("FunctionName")
    m = _FUNCTION.match(name) if isinstance(name, str) else None
    if m is None:
        provider = params.get("CapacityProviderName")
        if isinstance(provider, str) and provider:  # a name or an ARN
            resource = provider if provider.startswith("arn:") else \
                f"arn:aws:lambda:{ctx.region}:{ctx.account}:capacity-provider:{provider}"
            return decide(runtime, ctx, caller, action, resource, ctx.account, [], None)
        if params.get("LayerName"):
            layer = str(params["LayerName"]).split(":layer:")[-1]
            version = params.get("VersionNumber")
            resource = f"arn:aws:lambda:{ctx.region}:{ctx.account}:layer:{layer}" + (f":{version}" if version else "")
            return decide(runtime, ctx, caller, action, resource, ctx.account, [], None)
        return decide(runtime, ctx, caller, action, "*", ctx.account, [], None)
    region, account, function, qualifier = m.group(1) or ctx.region, m.group(2) or ctx.account, m.group(3), \
        m.group(4) or params.get("Qualifier")
    resource = f"arn:aws:lambda:{region}:{account}:function:{function}" + (f":{qualifier}" if qualifier else "")
    policies = []
    if op != "CreateFunction":
        lookup = {"FunctionName": function, **({"Qualifier": qualifier} if qualifier else {})}
        out = _call(runtime, ctx, "lambda", "GetPolicy", account, region, lookup)
        if out is None and qualifier:  # a version's or alias's caller may be allowed by the function's policy
            out = _call(runtime, ctx, "lambda", "GetPolicy", account, region, {"FunctionName": function})
        if out and out.get("Policy"):
            policies = [out["Policy"]]
    decide(runtime, ctx, caller, action, resource, account, policies, {"aws:RequestedRegion": ctx.region})
    role = params.get("Role")
    if role and op in ("CreateFunction", "UpdateFunctionConfiguration"):
        # Giving a function a role passes the role to Lambda (IAM user guide, "Granting a user
        # permissions to pass a role to an AWS service").
        decide(runtime, ctx, caller, "iam:PassRole", role, account, [],
               {"iam:PassedToService": "lambda.amazonaws.com"})
