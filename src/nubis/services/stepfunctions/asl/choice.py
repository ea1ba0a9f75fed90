"""Choice rules: the comparison operators, And/Or/Not, and JSONata ``Condition``."""
from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache

from . import jsonata, paths
from .errors import QUERY_EVALUATION_ERROR, RUNTIME, StatesError

_NUMERIC = {"NumericEquals": "==", "NumericLessThan": "<", "NumericGreaterThan": ">",
            "NumericLessThanEquals": "<=", "NumericGreaterThanEquals": ">="}
_STRING = {"StringEquals": "==", "StringLessThan": "<", "StringGreaterThan": ">",
           "StringLessThanEquals": "<=", "StringGreaterThanEquals": ">="}
_TIMESTAMP = {"TimestampEquals": "==", "TimestampLessThan": "<", "TimestampGreaterThan": ">",
              "TimestampLessThanEquals": "<=", "TimestampGreaterThanEquals": ">="}
_TYPE_TESTS = ("IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp")

COMPARISONS = frozenset(
    [*_NUMERIC, *_STRING, *_TIMESTAMP, "BooleanEquals"]
    + [op + "Path" for op in [*_NUMERIC, *_STRING, *_TIMESTAMP, "BooleanEquals"]]
    + ["StringMatches", *_TYPE_TESTS])

_OPS = {"==": lambda a, b: a == b, "<": lambda a, b: a < b, ">": lambda a, b: a > b,
        "<=": lambda a, b: a <= b, ">=": lambda a, b: a >= b}

# RFC 3339 as the guide restricts it: an uppercase T, and Z or a numeric offset.
_TIMESTAMP_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def parse_timestamp(value):
    """A datetime for an RFC 3339 timestamp string, else None."""
    if not isinstance(value, str):
        return None
    m = _TIMESTAMP_RE.match(value)
    if not m:
        return None
    frac = (m.group(7) or "")[1:7]
    text = value[:19] + (f".{frac.ljust(6, '0')}" if frac else "") + (
        "+00:00" if m.group(8) == "Z" else m.group(8))
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


@lru_cache(maxsize=1024)
def _wildcard(pattern: str):
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "*" else re.escape(ch))
        i += 1
    return re.compile("".join(out), re.DOTALL)


def _lookup(path_text, data, context, variables):
    try:
        path = paths.parse(path_text)
        value = path.get(data, context, variables)
    except (ValueError, paths.PathNotFound):
        raise StatesError(
            RUNTIME,
            f"Invalid path '{path_text}': The choice state's condition path references an invalid value.") from None
    return value


def evaluate_rule(rule: dict, data, context=None, variables=None) -> bool:
    """Whether a JSONPath Choice rule (or a nested And/Or/Not) matches."""
    if "And" in rule:
        return all(evaluate_rule(r, data, context, variables) for r in rule["And"])
    if "Or" in rule:
        return any(evaluate_rule(r, data, context, variables) for r in rule["Or"])
    if "Not" in rule:
        return not evaluate_rule(rule["Not"], data, context, variables)
    op = next((k for k in rule if k in COMPARISONS), None)
    if op is None:
        raise StatesError(RUNTIME, "The choice rule has no comparison operator")
    expected = rule[op]
    variable = rule.get("Variable")
    if op == "IsPresent":
        try:
            paths.parse(variable).get(data, context, variables)
            present = True
        except (ValueError, paths.PathNotFound):
            present = False
        return present is bool(expected)
    value = _lookup(variable, data, context, variables)
    if op.endswith("Path"):
        op = op[:-4]
        expected = _lookup(expected, data, context, variables)
    return _compare(op, value, expected)


def _compare(op: str, value, expected) -> bool:
    if op == "IsNull":
        return (value is None) is bool(expected)
    if op == "IsNumeric":
        return _is_number(value) is bool(expected)
    if op == "IsString":
        return isinstance(value, str) is bool(expected)
    if op == "IsBoolean":
        return isinstance(value, bool) is bool(expected)
    if op == "IsTimestamp":
        return (parse_timestamp(value) is not None) is bool(expected)
    if op == "BooleanEquals":
        return isinstance(value, bool) and isinstance(expected, bool) and value == expected
    if op == "StringMatches":
        return isinstance(value, str) and isinstance(expected, str) and bool(_wildcard(expected).fullmatch(value))
    if op in _STRING:
        return isinstance(value, str) and isinstance(expected, str) and _OPS[_STRING[op]](value, expected)
    if op in _NUMERIC:
        return _is_number(value) and _is_number(expected) and _OPS[_NUMERIC[op]](value, expected)
    if op in _TIMESTAMP:
        a, b = parse_timestamp(value), parse_timestamp(expected)
        return a is not None and b is not None and _OPS[_TIMESTAMP[op]](a, b)
    raise StatesError(RUNTIME, f"Unknown choice operator {op}")


def evaluate_condition(rule: dict, states: dict, variables=None) -> bool:
    """A JSONata Choice rule: its ``Condition`` must evaluate to a boolean."""
    condition = rule.get("Condition")
    if jsonata.is_expression(condition):
        value = jsonata.evaluate(condition, states, variables)
    else:
        value = condition
    if not isinstance(value, bool):
        raise StatesError(
            QUERY_EVALUATION_ERROR,
            f"The Condition '{condition}' returned a non-boolean result: {value!r}")
    return value


def choose_rule(choice_state: dict, input, context=None, variables=None,
                query_language: str = "JSONPath") -> dict | None:
    """The first Choices rule that matches (its Next, Assign and Output apply), or None."""
    query_language = choice_state.get("QueryLanguage", query_language)
    if query_language == "JSONata":
        states = {"input": input, "context": context}
        for rule in choice_state.get("Choices", ()):
            if evaluate_condition(rule, states, variables):
                return rule
        return None
    for rule in choice_state.get("Choices", ()):
        if evaluate_rule(rule, input, context, variables):
            return rule
    return None


def choose(choice_state: dict, input, context=None, variables=None,
           query_language: str = "JSONPath") -> str | None:
    """The next state's name: the matching rule's Next, else Default, else None
    (the caller fails the state with States.NoChoiceMatched)."""
    rule = choose_rule(choice_state, input, context, variables, query_language)
    if rule is not None:
        return rule.get("Next")
    return choice_state.get("Default")
