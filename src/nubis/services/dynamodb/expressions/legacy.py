"""The legacy conditional parameters (Expected, QueryFilter, ScanFilter,
KeyConditions, AttributeUpdates, AttributesToGet) as the objects the
expressions produce, so that the provider evaluates one thing.
"""
from __future__ import annotations

from .. import types as dt
from . import nodes
from .key_condition import KeyCondition, from_terms
from .projection import Projection
from .update import Update

_PARAM = "One or more parameter values were invalid: "
# operator -> number of values in AttributeValueList (None: one or more)
_ARITY = {"EQ": 1, "NE": 1, "LE": 1, "LT": 1, "GE": 1, "GT": 1, "NOT_NULL": 0, "NULL": 0,
          "CONTAINS": 1, "NOT_CONTAINS": 1, "BEGINS_WITH": 1, "IN": None, "BETWEEN": 2}
_SCALAR_ONLY = {"LE", "LT", "GE", "GT", "BETWEEN"}
_SYMBOL = {"EQ": "=", "NE": "<>", "LE": "<=", "LT": "<", "GE": ">=", "GT": ">"}


def _invalid(message: str) -> dt.ServiceError:
    return dt.ServiceError("ValidationException", message, 400)


def _values(values) -> list[dict]:
    out = []
    for value in values or []:
        dt.validate_value(value)
        out.append(dt.canonical(value))
    return out


def _one(name: str, operator: str, values: list[dict]):
    """One legacy comparison on a top-level attribute as a condition node."""
    if operator not in _ARITY:
        raise _invalid(f"1 validation error detected: Value '{operator}' at 'comparisonOperator' failed to "
                       "satisfy constraint: Member must satisfy enum value set: "
                       "[IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]")
    want = _ARITY[operator]
    if (want is None and not values) or (want is not None and len(values) != want):
        raise _invalid(_PARAM + f"Invalid number of argument(s) for the {operator} ComparisonOperator")
    for value in values:
        t = dt.type_of(value)
        if operator in _SCALAR_ONLY and t not in ("S", "N", "B") or \
                operator == "BEGINS_WITH" and t not in ("S", "B") or \
                operator in ("CONTAINS", "NOT_CONTAINS") and t not in ("S", "N", "B"):
            raise _invalid(_PARAM + f"ComparisonOperator {operator} is not valid for {t} AttributeValue type")
    if operator == "BETWEEN":
        if dt.type_of(values[0]) != dt.type_of(values[1]):
            raise _invalid(_PARAM + "AttributeValues inside AttributeValueList must be of same type")
        if dt.compare(values[0], values[1]) > 0:
            raise _invalid("The BETWEEN condition was provided a range where the lower bound is greater than "
                           "the upper bound")
    path = nodes.Path([name])
    operands = [nodes.Value(":legacy", v) for v in values]
    if operator in _SYMBOL:
        return nodes.Compare(_SYMBOL[operator], path, operands[0])
    if operator == "NULL":
        return nodes.Function("attribute_not_exists", [path])
    if operator == "NOT_NULL":
        return nodes.Function("attribute_exists", [path])
    if operator == "CONTAINS":
        return nodes.Function("contains", [path, operands[0]])
    if operator == "NOT_CONTAINS":
        # the attribute must exist and not contain the value
        return nodes.And(nodes.Function("attribute_exists", [path]),
                         nodes.Not(nodes.Function("contains", [path, operands[0]])))
    if operator == "BEGINS_WITH":
        return nodes.Function("begins_with", [path, operands[0]])
    if operator == "IN":
        return nodes.In(path, operands)
    return nodes.Between(path, operands[0], operands[1])


def _combine(parts: list, conditional_operator: str | None) -> nodes.Condition:
    if not parts:
        return nodes.Condition(nodes.Always())
    if len(parts) == 1:
        return nodes.Condition(parts[0])
    return nodes.Condition(nodes.Or(*parts) if conditional_operator == "OR" else nodes.And(*parts))


def from_expected(expected: dict | None, conditional_operator: str | None = None) -> nodes.Condition:
    """Expected: per attribute either Value/Exists, or a ComparisonOperator with
    its AttributeValueList (or a Value standing for a list of one)."""
    parts = []
    for name, spec in (expected or {}).items():
        spec = spec or {}
        operator = spec.get("ComparisonOperator")
        value = spec.get("Value")
        exists = spec.get("Exists")
        values = spec.get("AttributeValueList")
        if operator is not None:
            if exists is not None:
                raise _invalid(_PARAM + f"Exists and ComparisonOperator cannot be used together for Attribute: {name}")
            if value is not None and values is not None:
                raise _invalid(_PARAM + f"Value and AttributeValueList cannot be used together for Attribute: {name}")
            if value is None and values is None and _ARITY.get(operator) != 0:
                raise _invalid(_PARAM + f"Value or AttributeValueList must be used with ComparisonOperator: "
                               f"{operator} for Attribute: {name}")
            parts.append(_one(name, operator, _values([value] if value is not None else values)))
        elif values is not None:
            raise _invalid(_PARAM + f"AttributeValueList can only be used with a ComparisonOperator for Attribute: "
                           f"{name}")
        elif exists is False:
            if value is not None:
                raise _invalid(_PARAM + f"Value cannot be used when Exists is false for Attribute: {name}")
            parts.append(nodes.Function("attribute_not_exists", [nodes.Path([name])]))
        else:
            if value is None:
                state = "null" if exists is None else "true"
                raise _invalid(_PARAM + f"Value must be provided when Exists is {state} for Attribute: {name}")
            parts.append(_one(name, "EQ", _values([value])))
    return _combine(parts, conditional_operator)


def from_filter(query_or_scan_filter: dict | None, conditional_operator: str | None = None) -> nodes.Condition:
    """QueryFilter / ScanFilter: ComparisonOperator and AttributeValueList per attribute."""
    parts = [_one(name, (spec or {}).get("ComparisonOperator"), _values((spec or {}).get("AttributeValueList")))
             for name, spec in (query_or_scan_filter or {}).items()]
    return _combine(parts, conditional_operator)


_KEY_OPERATORS = {"EQ": "=", "LE": "<=", "LT": "<", "GE": ">=", "GT": ">",
                  "BEGINS_WITH": "begins_with", "BETWEEN": "BETWEEN"}


def from_key_conditions(key_conditions: dict, key_schema: list[dict],
                        attribute_definitions: list[dict] | None = None) -> KeyCondition:
    terms = []
    for name, spec in (key_conditions or {}).items():
        operator = (spec or {}).get("ComparisonOperator")
        values = _values((spec or {}).get("AttributeValueList"))
        if operator not in _KEY_OPERATORS:
            raise _invalid("Attempted conditional constraint is not an indexable operation")
        _one(name, operator, values)        # the argument count and types
        terms.append(([name], _KEY_OPERATORS[operator], values))
    return from_terms(terms, key_schema, attribute_definitions)


def from_attribute_updates(updates: dict | None) -> Update:
    """AttributeUpdates: PUT (default), ADD (numbers, sets, and lists appended), DELETE."""
    actions = []
    for name, spec in (updates or {}).items():
        spec = spec or {}
        action = spec.get("Action") or "PUT"
        value = spec.get("Value")
        path = nodes.Path([name])
        if value is None:
            if action != "DELETE":
                raise _invalid(_PARAM + "Only DELETE action is allowed when no attribute value is specified")
            actions.append(("REMOVE", path, None))
            continue
        dt.validate_value(value)
        value = dt.canonical(value)
        t = dt.type_of(value)
        operand = nodes.Value(":legacy", value)
        if action == "PUT":
            actions.append(("SET", path, operand))
        elif action == "ADD":
            if t == "L":
                actions.append(("APPEND", path, operand))
            elif t in ("N", "SS", "NS", "BS"):
                actions.append(("ADD", path, operand))
            else:
                raise _invalid(_PARAM + f"ADD action is not supported for the type {t}")
        elif action == "DELETE":
            if t not in ("SS", "NS", "BS"):
                raise _invalid(_PARAM + f"DELETE action with value is not supported for the type {t}")
            actions.append(("DELETE", path, operand))
        else:
            raise _invalid(f"1 validation error detected: Value '{action}' at 'attributeUpdates.{name}.member.action' "
                           "failed to satisfy constraint: Member must satisfy enum value set: [ADD, PUT, DELETE]")
    return Update(actions, legacy=True)


def from_attributes_to_get(names: list[str] | None) -> Projection:
    return Projection([nodes.Path([n]) for n in dict.fromkeys(names or [])])
