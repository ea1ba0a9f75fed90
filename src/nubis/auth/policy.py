"""IAM policy evaluation for one request (IAM user guide, "Policy evaluation
logic" and "IAM JSON policy elements reference").

A statement applies when its action, resource, principal (resource policies
only) and every condition match the request. Over all the policies given:
an applying ``Deny`` wins, else an applying ``Allow`` allows, else the
request is implicitly denied. Service code combines the answers of the
identity and resource policies it has (see ``services/s3/authz.py``).

This module knows no service: a :class:`Request` carries the action, the
resource ARN, the caller and the condition keys that the service put in it.
"""
from __future__ import annotations

import datetime as _dt
import functools
import ipaddress
import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

ALLOW, DENY, IMPLICIT = "Allow", "Deny", "ImplicitDeny"


@dataclass
class Request:
    action: str                        # "s3:GetObject"
    resource: str                      # "arn:aws:s3:::bucket/key"
    principal: str | None = None       # the caller's ARN; None: anonymous
    account: str | None = None         # the caller's account
    service_principal: str | None = None  # "sns.amazonaws.com" for a service calling
    # Condition keys, by lower-cased name: a string, or a list for multi-valued keys.
    keys: dict[str, Any] = field(default_factory=dict)

    def key(self, name: str):
        return self.keys.get(name.lower())


# -- wildcards -----------------------------------------------------------------------------


# What ``${*}`` and ``${?}`` become in a pattern: the characters themselves, not wildcards.
_STAR, _QUESTION = "\x00", "\x01"
_LITERAL = {_STAR: "*", _QUESTION: "?"}


@functools.lru_cache(maxsize=4096)
def _pattern(text: str, ignore_case: bool) -> re.Pattern:
    parts = []
    for ch in text:
        parts.append(".*" if ch == "*" else "." if ch == "?" else re.escape(_LITERAL.get(ch, ch)))
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def like(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """``*`` any run of characters, ``?`` one character."""
    if "*" not in pattern and "?" not in pattern:
        if _STAR in pattern or _QUESTION in pattern:
            pattern = pattern.replace(_STAR, "*").replace(_QUESTION, "?")
        return pattern.lower() == value.lower() if ignore_case else pattern == value
    return _pattern(pattern, ignore_case).fullmatch(value) is not None


def _list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


# -- policy variables ----------------------------------------------------------------------

_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def substitute(text: str, request: Request, pattern: bool = False) -> str | None:
    """``${aws:username}`` and friends; ``${*}``/``${?}``/``${$}`` are the literal characters
    (``pattern``: kept apart from the wildcards of a pattern). None when a variable has
    no value and no default (the element then matches nothing)."""
    if "${" not in text:
        return text
    missing = False
    special = {"*": _STAR if pattern else "*", "?": _QUESTION if pattern else "?", "$": "$"}

    def one(m: re.Match) -> str:
        nonlocal missing
        inner = m.group(1)
        if inner in special:
            return special[inner]
        name, _, default = inner.partition(",")
        value = request.key(name.strip())
        if isinstance(value, list):
            value = value[0] if value else None
        if value is None:
            d = default.strip()
            if d.startswith("'") and d.endswith("'") and len(d) >= 2:
                return d[1:-1]
            missing = True
            return ""
        return str(value)

    out = _VARIABLE.sub(one, text)
    return None if missing else out


# -- elements ------------------------------------------------------------------------------


def _action_matches(patterns, action: str) -> bool:
    for p in _list(patterns):
        if p == "*" or like(p, action, ignore_case=True):
            return True
    return False


def _resource_matches(patterns, request: Request) -> bool:
    for p in _list(patterns):
        if p == "*":
            return True
        p = substitute(p, request, pattern=True)
        if p is not None and _arn_like(p, request.resource):
            return True
    return False


def _arn_like(pattern: str, arn: str) -> bool:
    # ARNs compare part by part: the wildcard of one part does not run into the next
    # (except within the resource part, which may hold ':' itself).
    if "*" not in pattern and "?" not in pattern and _STAR not in pattern and _QUESTION not in pattern:
        return pattern == arn  # no wildcard: every part equal is the whole equal
    pp, ap = pattern.split(":", 5), arn.split(":", 5)
    if len(pp) != 6 or len(ap) != 6:
        return like(pattern, arn)
    return all(like(p, a) for p, a in zip(pp, ap))


def _principal_matches(element, request: Request) -> bool:
    if element == "*":
        return True
    if not isinstance(element, dict):
        return False
    for kind, values in element.items():
        for v in _list(values):
            if kind == "AWS":
                if v == "*":
                    return True
                if request.principal is None:
                    continue
                if re.fullmatch(r"\d{12}", v):
                    if request.account == v:
                        return True
                elif v.endswith(":root") and ":iam::" in v:
                    # The account's root names the account: any of its principals.
                    if request.account == v.split(":")[4]:
                        return True
                elif v == request.principal or v == role_of_session(request.principal):
                    return True
            elif kind == "Service" or kind == "Federated":  # Federated: an OIDC or SAML provider (STS)
                if request.service_principal and v == request.service_principal:
                    return True
            elif kind == "CanonicalUser":
                if request.key("s3:canonicaluser") is not None and v == request.key("s3:canonicaluser"):
                    return True
    return False


def role_of_session(arn: str) -> str | None:
    """``arn:aws:sts::<account>:assumed-role/<role>/<session>`` -> the role's ARN (a
    policy naming a role matches its sessions). The session ARN has no role path."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "sts" or not parts[5].startswith("assumed-role/"):
        return None
    role = parts[5].split("/")[1] if parts[5].count("/") >= 2 else None
    return f"arn:{parts[1]}:iam::{parts[4]}:role/{role}" if role else None


# -- conditions ----------------------------------------------------------------------------


def _number(text) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _date(text) -> float | None:
    if isinstance(text, (int, float)):
        return float(text)
    text = str(text).strip()
    if re.fullmatch(r"-?\d+(\.\d+)?", text):  # epoch seconds are a date too
        return float(text)
    try:
        t = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=_dt.timezone.utc)
    return t.timestamp()


def _ip_in(value: str, network: str) -> bool:
    try:
        return ipaddress.ip_address(value.strip()) in ipaddress.ip_network(network.strip(), strict=False)
    except ValueError:
        return False


def _bool_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).lower()


# base operator -> (compare(policy_value, request_value) -> bool, negated)
def _compare(base: str):
    if base in ("StringEquals", "StringNotEquals"):
        return lambda p, v: str(p) == str(v)
    if base in ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"):
        return lambda p, v: str(p).lower() == str(v).lower()
    if base in ("StringLike", "StringNotLike"):
        return lambda p, v: like(str(p), str(v))
    if base.startswith("Numeric"):
        op = base[len("Numeric"):].replace("Not", "")
        return _ordered(_number, op)
    if base.startswith("Date"):
        op = base[len("Date"):].replace("Not", "")
        return _ordered(_date, op)
    if base == "Bool":
        return lambda p, v: _bool_text(p) == _bool_text(v)
    if base == "BinaryEquals":
        return lambda p, v: str(p) == str(v)
    if base in ("IpAddress", "NotIpAddress"):
        return lambda p, v: _ip_in(str(v), str(p))
    if base in ("ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"):
        return lambda p, v: _arn_like(str(p), str(v))
    return None


def _ordered(convert, op: str):
    def compare(p, v) -> bool:
        a, b = convert(v), convert(p)
        if a is None or b is None:
            return False
        return {"Equals": a == b, "LessThan": a < b, "LessThanEquals": a <= b,
                "GreaterThan": a > b, "GreaterThanEquals": a >= b}.get(op, False)
    return compare


_NEGATED = frozenset({"StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "NumericNotEquals",
                      "DateNotEquals", "NotIpAddress", "ArnNotEquals", "ArnNotLike"})


def _condition(operator: str, key: str, policy_values, request: Request) -> bool:
    qualifier = None
    if ":" in operator:
        qualifier, _, operator = operator.partition(":")
    if_exists = operator.endswith("IfExists")
    base = operator[:-len("IfExists")] if if_exists else operator
    value = request.key(key)
    values = [v for v in _list(policy_values)]
    wildcards = base in ("StringLike", "StringNotLike", "ArnLike", "ArnNotLike", "ArnEquals", "ArnNotEquals")
    substituted = [substitute(v, request, wildcards) if isinstance(v, str) else v for v in values]
    values = [v for v in substituted if v is not None]

    if base == "Null":
        absent = value is None or value == []
        return any(_bool_text(v) == ("true" if absent else "false") for v in values)

    compare = _compare(base)
    if compare is None:
        return False  # an operator IAM does not have matches nothing
    negated = base in _NEGATED

    def positive(one) -> bool:  # does one request value match any policy value?
        return any(compare(p, one) for p in values)

    if qualifier == "ForAllValues":
        items = _list(value)
        if not items:
            return True
        if negated:
            return all(not positive(i) for i in items)
        return all(positive(i) for i in items)
    if qualifier == "ForAnyValue":
        items = _list(value)
        if not items:
            return False
        if negated:
            return any(not positive(i) for i in items)
        return any(positive(i) for i in items)

    if value is None or value == []:
        # A key the request lacks: IfExists forms pass, negated forms hold, others fail.
        return if_exists or negated
    items = _list(value)
    if negated:
        return not any(positive(i) for i in items)
    return any(positive(i) for i in items)


def _conditions_hold(block, request: Request) -> bool:
    if not block:
        return True
    if not isinstance(block, dict):
        return False
    for operator, pairs in block.items():
        if not isinstance(pairs, dict):
            return False
        for key, values in pairs.items():
            if not _condition(operator, key, values, request):
                return False
    return True


# -- statements and policies ---------------------------------------------------------------


def statement_applies(st: dict, request: Request, resource_policy: bool) -> bool:
    if "Action" in st:
        if not _action_matches(st["Action"], request.action):
            return False
    elif "NotAction" in st:
        if _action_matches(st["NotAction"], request.action):
            return False
    else:
        return False
    if "Resource" in st:
        if not _resource_matches(st["Resource"], request):
            return False
    elif "NotResource" in st:
        if _resource_matches(st["NotResource"], request):
            return False
    elif not resource_policy:
        return False  # an identity policy statement names its resources
    return _principal_and_conditions(st, request, resource_policy)


def _principal_and_conditions(st: dict, request: Request, resource_policy: bool) -> bool:
    if resource_policy:
        if "Principal" in st:
            if not _principal_matches(st["Principal"], request):
                return False
        elif "NotPrincipal" in st:
            if _principal_matches(st["NotPrincipal"], request):
                return False
        else:
            return False
    return _conditions_hold(st.get("Condition"), request)


def statements(policy) -> list[dict]:
    """The statements of a policy document (text or parsed)."""
    if policy is None:
        return []
    if isinstance(policy, (str, bytes)):
        return _parsed(policy)
    if not isinstance(policy, dict):
        return []
    return [s for s in _list(policy.get("Statement")) if isinstance(s, dict)]


@functools.lru_cache(maxsize=1024)
def _parsed(text) -> list[dict]:
    # A stored policy is read on every request it governs: parse each text once.
    try:
        doc = json.loads(text)
    except ValueError:
        return []
    return statements(doc) if isinstance(doc, dict) else []


# A statement's Action or Resource element, worked out once (see _compiled): (negated, "*"
# among the patterns, the patterns without wildcards (actions lower-cased), the others).
_WILD = ("*", "?", _STAR, _QUESTION)


def _element(st: dict, name: str, negated_name: str, action: bool):
    """The compiled form of one element; "absent" when the statement has neither form, None
    when a pattern is not text (statement_applies decides those)."""
    if name in st:
        patterns, negated = st[name], False
    elif negated_name in st:
        patterns, negated = st[negated_name], True
    else:
        return "absent"
    star, exact, wild = False, set(), []
    for p in _list(patterns):
        if not isinstance(p, str):
            return None
        if p == "*":
            star = True
        elif any(w in p for w in _WILD) or (not action and "${" in p):
            wild.append(p)
        else:
            exact.add(p.lower() if action else p)
    return negated, star, frozenset(exact), wild  # wild: a list, as _action_matches and _resource_matches take


@functools.lru_cache(maxsize=1024)
def _compiled(text) -> tuple:
    """The statements of a policy text, each with its Action and Resource elements compiled:
    a stored policy is matched against every request it governs."""
    out = []
    for st in _parsed(text):
        actions = _element(st, "Action", "NotAction", True)
        if actions == "absent":
            continue  # matches no request (statement_applies)
        out.append((st, actions, _element(st, "Resource", "NotResource", False)))
    return tuple(out)


def _applies(compiled: tuple, request: Request, action: str, resource_policy: bool) -> bool:
    """statement_applies for a compiled statement (``action``: the request's, lower-cased)."""
    st, actions, resources = compiled
    if actions is None or resources is None:
        return statement_applies(st, request, resource_policy)
    negated, star, exact, wild = actions
    if (star or action in exact or (bool(wild) and _action_matches(wild, request.action))) is negated:
        return False
    if resources == "absent":
        if not resource_policy:
            return False  # an identity policy statement names its resources
    else:
        negated, star, exact, wild = resources
        if (star or request.resource in exact or (bool(wild) and _resource_matches(wild, request))) is negated:
            return False
    return _principal_and_conditions(st, request, resource_policy)


class Limit(tuple):
    """Policies that bound the identity policies they are listed with: a permissions
    boundary, or a session's policies. An identity allow holds only where every
    Limit in the list allows too; a deny in a Limit denies."""


def evaluate(policies: Iterable, request: Request, *, resource_policy: bool = False) -> str:
    """``Allow``, ``Deny`` (an explicit deny) or ``ImplicitDeny`` for ``request`` under ``policies``.
    ``resource_policy``: the policies are resource policies (their statements name principals)."""
    allowed = False
    limits = action = None
    for policy in policies:
        if policy.__class__ is Limit:
            limits = (limits or []) + [policy]
            continue
        if isinstance(policy, (str, bytes)):  # a stored policy: its statements compiled once
            if action is None:
                action = request.action.lower()
            for compiled in _compiled(policy):
                if not _applies(compiled, request, action, resource_policy):
                    continue
                effect = compiled[0].get("Effect")
                if effect == "Deny":
                    return DENY
                if effect == "Allow":
                    allowed = True
            continue
        for st in statements(policy):
            if not statement_applies(st, request, resource_policy):
                continue
            if st.get("Effect") == "Deny":
                return DENY
            if st.get("Effect") == "Allow":
                allowed = True
    for limit in limits or ():
        answer = evaluate(limit, request)
        if answer == DENY:
            return DENY
        if answer != ALLOW:
            allowed = False
    return ALLOW if allowed else IMPLICIT


def decide(request: Request, resource_policies: Iterable, identity_policies: Iterable | None,
           same_account: bool) -> bool:
    """Whether a request is allowed (the user guide's evaluation logic, within one
    account and across accounts): an explicit deny in any policy refuses; within the
    resource owner's account an allow in either the identity or the resource policies
    suffices; from another account (or anonymous) both must allow.
    ``identity_policies`` None: the caller is unrestricted by identity policies (an
    account's root; an anonymous caller has none to pass)."""
    resource = evaluate(resource_policies, request, resource_policy=True)
    if resource == DENY:
        return False
    identity = ALLOW if identity_policies is None else evaluate(identity_policies, request)
    if identity == DENY:
        return False
    if same_account:
        return identity == ALLOW or resource == ALLOW
    return identity == ALLOW and resource == ALLOW


def is_public(policy) -> bool:
    """Whether a resource policy allows anyone (``"*"``) without a condition that
    pins the caller down (the user guide's "The meaning of 'public'")."""
    for st in statements(policy):
        if st.get("Effect") != "Allow":
            continue
        p = st.get("Principal")
        everyone = p == "*" or (isinstance(p, dict) and "*" in _list(p.get("AWS")))
        if everyone and not _fixed_values(st.get("Condition")):
            return True
    return False


_PINNING_KEYS = frozenset({"aws:sourceip", "aws:sourcearn", "aws:sourcevpc", "aws:sourcevpce",
                           "aws:sourceaccount", "aws:sourceowner", "aws:principalaccount", "aws:principalarn",
                           "aws:principalorgid", "aws:userid", "s3:dataaccesspointaccount", "s3:dataaccesspointarn"})


def _fixed_values(block) -> bool:
    if not isinstance(block, dict):
        return False
    for operator, pairs in block.items():
        if not isinstance(pairs, dict) or operator.startswith("ForAnyValue") or "Not" in operator:
            continue
        for key, values in pairs.items():
            if key.lower() in _PINNING_KEYS and not any("*" in str(v) for v in _list(values)):
                return True
    return False
