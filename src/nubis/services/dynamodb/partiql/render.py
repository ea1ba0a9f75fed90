"""PartiQL conditions and assignments written as DynamoDB expressions, so that
the item operations' own expression evaluator runs them. Every name becomes a
``#n`` placeholder and every value a ``:v`` one (no reserved-word clashes)."""
from __future__ import annotations

from .parser import malformed

_FUNCTIONS = {"begins_with": "begins_with", "contains": "contains", "attribute_type": "attribute_type",
              "size": "size", "list_append": "list_append", "if_not_exists": "if_not_exists"}


class Renderer:
    def __init__(self):
        self.names: dict = {}
        self.values: dict = {}
        self._by_name: dict = {}

    def name(self, text: str) -> str:
        key = self._by_name.get(text)
        if key is None:
            key = self._by_name[text] = f"#n{len(self._by_name)}"
            self.names[key] = text
        return key

    def value(self, value: dict) -> str:
        key = f":v{len(self.values)}"
        self.values[key] = value
        return key

    def path(self, node: tuple) -> str:
        out = ""
        for e in node[1]:
            if isinstance(e, int):
                out += f"[{e}]"
            else:
                out += ("." if out else "") + self.name(e)
        return out

    def operand(self, node: tuple) -> str:
        kind = node[0]
        if kind == "path":
            return self.path(node)
        if kind == "value":
            return self.value(node[1])
        if kind == "func":
            return self.function(node)
        if kind == "arith":
            return f"{self.operand(node[2])} {node[1]} {self.operand(node[3])}"
        raise malformed("Unsupported operand")

    def function(self, node: tuple) -> str:
        name = node[1]
        if name not in _FUNCTIONS:
            raise malformed(f"Unsupported function: {name}")
        return f"{_FUNCTIONS[name]}({', '.join(self.operand(a) for a in node[2])})"

    def condition(self, node: tuple) -> str:
        kind = node[0]
        if kind in ("and", "or"):
            return f"({self.condition(node[1])}) {kind.upper()} ({self.condition(node[2])})"
        if kind == "not":
            return f"NOT ({self.condition(node[1])})"
        if kind == "cmp":
            return f"{self.operand(node[2])} {node[1]} {self.operand(node[3])}"
        if kind == "between":
            return f"{self.operand(node[1])} BETWEEN {self.operand(node[2])} AND {self.operand(node[3])}"
        if kind == "in":
            return f"{self.operand(node[1])} IN ({', '.join(self.operand(o) for o in node[2])})"
        if kind == "func":
            if node[1] == "exists":
                raise malformed("EXISTS is supported only in ExecuteTransaction")
            return self.function(node)
        if kind == "missing":
            return f"{'attribute_exists' if node[2] else 'attribute_not_exists'}({self.path(node[1])})"
        if kind == "null":
            text = f"attribute_type({self.path(node[1])}, {self.value({'S': 'NULL'})})"
            return f"NOT {text}" if node[2] else text
        raise malformed("Unsupported condition")

    def params(self) -> dict:
        out: dict = {}
        if self.names:
            out["ExpressionAttributeNames"] = self.names
        if self.values:
            out["ExpressionAttributeValues"] = self.values
        return out


def conjuncts(node: tuple | None) -> list:
    """The terms of a top-level AND chain."""
    if node is None:
        return []
    if node[0] == "and":
        return conjuncts(node[1]) + conjuncts(node[2])
    return [node]


def join(terms: list) -> tuple | None:
    out = None
    for t in terms:
        out = t if out is None else ("and", out, t)
    return out


def names_in(node) -> set:
    """Top-level attribute names a condition reads."""
    if isinstance(node, tuple):
        if node[0] == "path":
            return {node[1][0]}
        out: set = set()
        for part in node[1:]:
            out |= names_in(part)
        return out
    if isinstance(node, list):
        out = set()
        for part in node:
            out |= names_in(part)
        return out
    return set()


def key_equality(term: tuple, name: str):
    """The value of ``name = value`` (either way round), else None."""
    if term[0] != "cmp" or term[1] != "=":
        return None
    a, b = term[2], term[3]
    if a[0] == "path" and a[1] == [name] and b[0] == "value":
        return b[1]
    if b[0] == "path" and b[1] == [name] and a[0] == "value":
        return a[1]
    return None
