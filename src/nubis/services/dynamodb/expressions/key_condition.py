"""KeyConditionExpression (and the legacy KeyConditions): the partition key's
equality and at most one condition on the sort key."""
from __future__ import annotations

from .. import types as dt
from . import nodes

SORT_OPERATORS = ("=", "<", "<=", ">", ">=")
_FLIP = {"=": "=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


class KeyCondition:
    def __init__(self, hash_name: str, hash_value: dict, sort_name: str | None = None,
                 sort_op: str | None = None, sort_values: list[dict] | None = None):
        self.hash_name = hash_name
        self.hash_value = hash_value
        self.sort_name = sort_name
        self.sort_op = sort_op
        self.sort_values = sort_values or []

    def matches_sort(self, value: dict | None) -> bool:
        """Whether a sort key value satisfies the sort condition (true when there is none)."""
        op = self.sort_op
        if op is None:
            return True
        if value is None:
            return False
        if op == "begins_with":
            prefix = self.sort_values[0]
            t = dt.type_of(value)
            if t != dt.type_of(prefix) or t not in ("S", "B"):
                return False
            return bytes(value[t]).startswith(bytes(prefix[t])) if t == "B" else value[t].startswith(prefix[t])
        if op == "BETWEEN":
            low = dt.compare(value, self.sort_values[0])
            high = dt.compare(value, self.sort_values[1])
            return low is not None and high is not None and low >= 0 and high <= 0
        c = dt.compare(value, self.sort_values[0])
        if c is None:
            return False
        return {"=": c == 0, "<": c < 0, "<=": c <= 0, ">": c > 0, ">=": c >= 0}[op]


def _refused(message: str) -> dt.ServiceError:
    # these messages come without the "Invalid KeyConditionExpression: " prefix
    return dt.ServiceError("ValidationException", message, 400)


def _unsupported():
    return _refused("Query key condition not supported")


def _bad_operator(operator: str):
    return _refused(f"Invalid operator used in KeyConditionExpression: {operator}")


def _conjuncts(node, out: list):
    if isinstance(node, nodes.Paren):
        _conjuncts(node.inner, out)
    elif isinstance(node, nodes.And):
        for part in node.parts:
            _conjuncts(part, out)
    elif isinstance(node, nodes.Or):
        raise _bad_operator("OR")
    elif isinstance(node, nodes.Not):
        raise _bad_operator("NOT")
    elif isinstance(node, nodes.In):
        raise _bad_operator("IN")
    elif isinstance(node, nodes.Function) and node.name != "begins_with":
        raise _bad_operator(node.name)
    elif isinstance(node, nodes.Compare) and node.op == "<>":
        raise _bad_operator("<>")
    else:
        out.append(node)


def _term(node):
    """(key path, op, values) of one conjunct, in the order DynamoDB checks them:
    the key attribute first (a comparison may have it on either side), not nested,
    then the other operands, which must be values."""
    if isinstance(node, nodes.Compare):
        key, other, op = node.left, node.right, node.op
        if not isinstance(key, nodes.Path):
            if isinstance(key, nodes.Size):
                raise _nested_operations()
            if isinstance(other, nodes.Path):
                key, other, op = other, key, _FLIP[op]
            elif isinstance(other, nodes.Size):
                raise _nested_operations()
            else:
                raise _refused("Invalid condition in KeyConditionExpression: No key attribute specified")
        others = [other]
    elif isinstance(node, nodes.Between):
        key, others, op = node.subject, [node.low, node.high], "BETWEEN"
    elif isinstance(node, nodes.Function):   # begins_with
        key, others, op = node.args[0], [node.args[1]], "begins_with"
    else:
        raise _unsupported()
    if not isinstance(key, nodes.Path):
        raise _refused(f"Invalid condition in KeyConditionExpression: {op} operator must have the key attribute "
                       "as its first operand")
    if len(key.elements) != 1:
        raise _refused("KeyConditionExpressions cannot have conditions on nested attributes")
    for other in others:
        if isinstance(other, nodes.Path):
            raise _refused("Invalid condition in KeyConditionExpression: Multiple attribute names used in one "
                           "condition")
        if not isinstance(other, nodes.Value):
            raise _nested_operations()
    return key, op, others


def _nested_operations():
    return _refused("KeyConditionExpressions cannot contain nested operations")


def build(root, key_schema: list[dict], attribute_definitions=None) -> KeyCondition:
    conjuncts: list = []
    _conjuncts(root, conjuncts)
    terms = [_term(c) for c in conjuncts]
    return from_terms([(path.elements, op, [v.value for v in values]) for path, op, values in terms],
                      key_schema, attribute_definitions)


def from_terms(terms, key_schema, attribute_definitions=None) -> KeyCondition:
    """terms: ``(path elements, op, values)``; checked against the key schema."""
    hash_name = next(k["AttributeName"] for k in key_schema if k["KeyType"] == "HASH")
    sort_name = next((k["AttributeName"] for k in key_schema if k["KeyType"] == "RANGE"), None)
    types = {d["AttributeName"]: d["AttributeType"] for d in attribute_definitions or ()}
    found: dict = {}
    for elements, op, values in terms:
        if len(elements) != 1:
            raise _refused("KeyConditionExpressions cannot have conditions on nested attributes")
        name = elements[0]
        if name in found:
            raise _refused("KeyConditionExpressions must only contain one condition per key")
        found[name] = (op, values)
    if hash_name not in found:
        raise dt.ServiceError("ValidationException", f"Query condition missed key schema element: {hash_name}", 400)
    if any(name not in (hash_name, sort_name) for name in found):
        raise _unsupported()
    op, values = found[hash_name]
    if op != "=":
        raise _unsupported()
    for name, (op, values) in found.items():
        want = types.get(name)
        for value in values:
            if value is not None and want is not None and dt.type_of(value) != want:
                raise dt.ServiceError("ValidationException", "One or more parameter values were invalid: "
                                      "Condition parameter type does not match schema type", 400)
    condition = KeyCondition(hash_name, found[hash_name][1][0])
    if sort_name in found:
        op, values = found[sort_name]
        condition.sort_name, condition.sort_op, condition.sort_values = sort_name, op, values
    return condition
