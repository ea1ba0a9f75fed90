"""DynamoDB's expression languages: conditions and filters, key conditions,
projections and updates, with ExpressionAttributeNames / Values, and the legacy
parameters (Expected, QueryFilter, ScanFilter, KeyConditions, AttributeUpdates,
AttributesToGet) turned into the same objects.

    ex = Expressions(request.get("ExpressionAttributeNames"), request.get("ExpressionAttributeValues"))
    condition = ex.condition(request["ConditionExpression"])
    update = ex.update(request["UpdateExpression"])
    ex.check_all_used()
    if not condition.evaluate(old): ...
    new = update.apply(old)
"""
from __future__ import annotations

import re

from .. import types as dt
from .key_condition import KeyCondition, build as _build_key_condition
from .legacy import (from_attribute_updates, from_attributes_to_get, from_expected, from_filter,
                     from_key_conditions)
from .nodes import Condition, Path
from .parser import Parser
from .projection import Projection
from .update import Update, check_overlaps, parse_update

__all__ = ["Expressions", "Condition", "KeyCondition", "Projection", "Update", "Path",
           "from_expected", "from_filter", "from_key_conditions", "from_attribute_updates",
           "from_attributes_to_get", "check_parameters"]

_NAME_KEY = re.compile(r"#[A-Za-z0-9_]+\Z")
_VALUE_KEY = re.compile(r":[A-Za-z0-9_]+\Z")


def _invalid(message: str) -> dt.ServiceError:
    return dt.ServiceError("ValidationException", message, 400)


class Expressions:
    """The expressions of one request, sharing its ExpressionAttributeNames and Values."""

    def __init__(self, names: dict | None, values: dict | None):
        if names is not None:
            if not names:
                raise _invalid("ExpressionAttributeNames must not be empty")
            for key in names:
                if not _NAME_KEY.match(key):
                    raise _invalid(f'ExpressionAttributeNames contains invalid key: Syntax error; key: "{key}"')
        if values is not None:
            if not values:
                raise _invalid("ExpressionAttributeValues must not be empty")
            checked = {}
            for key, value in values.items():
                if not _VALUE_KEY.match(key):
                    raise _invalid(f'ExpressionAttributeValues contains invalid key: Syntax error; key: "{key}"')
                try:
                    dt.validate_value(value)
                except dt.ServiceError as e:
                    raise _invalid(f"ExpressionAttributeValues contains invalid value: {e.message} "
                                   f"for key {key}") from None
                checked[key] = dt.canonical(value)
            values = checked
        self.names = names or {}
        self.values = values or {}
        self.used_names: set[str] = set()
        self.used_values: set[str] = set()

    # lookups the parser makes; each marks the placeholder used
    def name(self, key: str) -> str | None:
        found = self.names.get(key)
        if found is not None:
            self.used_names.add(key)
        return found

    def value(self, key: str) -> dict | None:
        found = self.values.get(key)
        if found is not None:
            self.used_values.add(key)
        return found

    def condition(self, text: str, kind: str = "ConditionExpression") -> Condition:
        """A ConditionExpression (``kind="FilterExpression"`` for a filter)."""
        parser = Parser(kind, text, self)
        root = parser.condition()
        parser.finish()
        return Condition(root)

    def filter(self, text: str) -> Condition:
        return self.condition(text, "FilterExpression")

    def key_condition(self, text: str, key_schema: list[dict],
                      attribute_definitions: list[dict] | None = None) -> KeyCondition:
        parser = Parser("KeyConditionExpression", text, self)
        root = parser.condition()
        parser.finish()
        return _build_key_condition(root, key_schema, attribute_definitions)

    def projection(self, text: str) -> Projection:
        parser = Parser("ProjectionExpression", text, self)
        paths = parser.paths()
        check_overlaps(parser, paths)
        parser.finish()
        return Projection(paths)

    def update(self, text: str) -> Update:
        return parse_update(Parser("UpdateExpression", text, self))

    def check_all_used(self) -> None:
        unused = [k for k in self.names if k not in self.used_names]
        if unused:
            raise _invalid("Value provided in ExpressionAttributeNames unused in expressions: "
                           f"keys: {{{', '.join(unused)}}}")
        unused = [k for k in self.values if k not in self.used_values]
        if unused:
            raise _invalid("Value provided in ExpressionAttributeValues unused in expressions: "
                           f"keys: {{{', '.join(unused)}}}")


# Which legacy parameter each expression parameter replaces.
_LEGACY = ("AttributesToGet", "KeyConditions", "QueryFilter", "ScanFilter", "Expected",
           "AttributeUpdates", "ConditionalOperator")
_EXPRESSION = ("ProjectionExpression", "KeyConditionExpression", "FilterExpression",
               "ConditionExpression", "UpdateExpression")


# The expressions that can use ExpressionAttributeValues, in the order DynamoDB names them.
_VALUE_EXPRESSIONS = ("UpdateExpression", "FilterExpression", "KeyConditionExpression", "ConditionExpression")


def check_parameters(params: dict, expressions: tuple[str, ...] | None = None) -> None:
    """Refuse a request that mixes expression and legacy parameters, or that gives
    ExpressionAttributeNames / Values without any expression.

    ``expressions``: the operation's expression parameters (PutItem's
    ("ConditionExpression",), Query's ("KeyConditionExpression",
    "FilterExpression", "ProjectionExpression"), ...), which DynamoDB names
    when ExpressionAttributeValues come without them.
    """
    legacy = [p for p in _LEGACY if params.get(p) is not None]
    expression = [p for p in _EXPRESSION if params.get(p) is not None]
    if legacy and expression:
        raise _invalid("Can not use both expression and non-expression parameters in the same request: "
                       f"Non-expression parameters: {{{', '.join(legacy)}}} "
                       f"Expression parameters: {{{', '.join(expression)}}}")
    if expression:
        return
    if params.get("ExpressionAttributeNames") is not None:
        raise _invalid("ExpressionAttributeNames can only be specified when using expressions")
    if params.get("ExpressionAttributeValues") is not None:
        named = [e for e in _VALUE_EXPRESSIONS if e in (expressions or ())]
        suffix = f": {' and '.join(named)} {'is' if len(named) == 1 else 'are'} null" if named else ""
        raise _invalid(f"ExpressionAttributeValues can only be specified when using expressions{suffix}")
