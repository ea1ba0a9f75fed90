"""The parsed form of condition and filter expressions, and how each part evaluates on an item.

Operands resolve to an attribute value or None (absent); conditions to a bool,
with the documented semantics: comparisons between different types are false
(``<>`` true), an absent attribute equals nothing.
"""
from __future__ import annotations

from .. import types as dt

# -- operands -------------------------------------------------------------------


class Path:
    """A document path, names already resolved: ``("a", "b", 2, "c")`` for ``a.b[2].c``."""
    __slots__ = ("elements",)

    def __init__(self, elements):
        self.elements = tuple(elements)

    def resolve(self, item: dict) -> dict | None:
        elements = self.elements
        current = item.get(elements[0])
        for element in elements[1:]:
            if current is None:
                return None
            if element.__class__ is int:
                values = current.get("L")
                if values is None or element >= len(values):
                    return None
                current = values[element]
            else:
                entries = current.get("M")
                if entries is None:
                    return None
                current = entries.get(element)
        return current

    def shown(self) -> str:
        """How AWS's messages print a path: ``[a, b, [2]]``."""
        return "[" + ", ".join(f"[{e}]" if e.__class__ is int else e for e in self.elements) + "]"

    def static_type(self):
        return None

    def __eq__(self, other):
        return isinstance(other, Path) and other.elements == self.elements

    def __hash__(self):
        return hash(self.elements)


class Value:
    """An ``:value`` placeholder with its attribute value."""
    __slots__ = ("name", "value")

    def __init__(self, name: str, value: dict | None):
        self.name = name
        self.value = value

    def resolve(self, item: dict) -> dict | None:
        return self.value

    def static_type(self):
        return dt.type_of(self.value) if self.value else None


def utf16_length(text: str) -> int:
    # DynamoDB counts a string's size in UTF-16 code units (a surrogate pair is two).
    return len(text.encode("utf-16-le")) // 2


SIZED = ("S", "B", "SS", "NS", "BS", "L", "M")


class Size:
    """``size(operand)``: characters of S (UTF-16 units), bytes of B, elements of a set, L or M."""
    __slots__ = ("operand",)

    def __init__(self, operand):
        self.operand = operand

    def resolve(self, item: dict) -> dict | None:
        value = self.operand.resolve(item)
        if value is None:
            return None
        t = dt.type_of(value)
        if t not in SIZED:
            return None
        v = value[t]
        return {"N": str(utf16_length(v) if t == "S" else len(v))}

    def static_type(self):
        return "N"


# -- conditions -------------------------------------------------------------------

ORDERED = ("S", "N", "B")


def _ordered(a, b) -> int | None:
    if a is None or b is None:
        return None
    t = dt.type_of(a)
    if t not in ORDERED:
        return None
    return dt.compare(a, b)


class Compare:
    __slots__ = ("op", "left", "right")

    def __init__(self, op, left, right):
        self.op, self.left, self.right = op, left, right

    def evaluate(self, item: dict) -> bool:
        a = self.left.resolve(item)
        b = self.right.resolve(item)
        op = self.op
        if op == "=":
            return dt.equals(a, b)
        if op == "<>":
            return not dt.equals(a, b)
        c = _ordered(a, b)
        if c is None:
            return False
        if op == "<":
            return c < 0
        if op == "<=":
            return c <= 0
        if op == ">":
            return c > 0
        return c >= 0


class Between:
    __slots__ = ("subject", "low", "high")

    def __init__(self, subject, low, high):
        self.subject, self.low, self.high = subject, low, high

    def evaluate(self, item: dict) -> bool:
        value = self.subject.resolve(item)
        low = _ordered(value, self.low.resolve(item))
        high = _ordered(value, self.high.resolve(item))
        return low is not None and high is not None and low >= 0 and high <= 0


class In:
    __slots__ = ("subject", "options")

    def __init__(self, subject, options):
        self.subject, self.options = subject, options

    def evaluate(self, item: dict) -> bool:
        value = self.subject.resolve(item)
        return value is not None and any(dt.equals(value, o.resolve(item)) for o in self.options)


class Function:
    """A function used as a condition: attribute_exists, attribute_not_exists,
    attribute_type, begins_with, contains."""
    __slots__ = ("name", "args")

    def __init__(self, name, args):
        self.name, self.args = name, args

    def evaluate(self, item: dict) -> bool:
        name = self.name
        first = self.args[0].resolve(item)
        if name == "attribute_exists":
            return first is not None
        if name == "attribute_not_exists":
            return first is None
        if first is None:
            return False
        second = self.args[1].resolve(item)
        if second is None:
            return False
        t, u = dt.type_of(first), dt.type_of(second)
        if name == "attribute_type":
            return u == "S" and t == second["S"]
        if name == "begins_with":
            if t != u or t not in ("S", "B"):
                return False
            return first[t].startswith(second[u]) if t == "S" else bytes(first[t]).startswith(bytes(second[u]))
        # contains
        if t == "S":
            return u == "S" and second["S"] in first["S"]
        if t == "SS":
            return u == "S" and second["S"] in first["SS"]
        if t == "BS":
            return u == "B" and bytes(second["B"]) in {bytes(b) for b in first["BS"]}
        if t == "NS":
            return u == "N" and any(dt.equals({"N": n}, second) for n in first["NS"])
        if t == "L":
            return any(dt.equals(e, second) for e in first["L"])
        return False


class Not:
    __slots__ = ("inner",)

    def __init__(self, inner):
        self.inner = inner

    def evaluate(self, item: dict) -> bool:
        return not self.inner.evaluate(item)


class And:
    """All of its parts (kept flat: a long chain evaluates without deep recursion)."""
    __slots__ = ("parts",)

    def __init__(self, *parts):
        self.parts = parts

    def evaluate(self, item: dict) -> bool:
        return all(part.evaluate(item) for part in self.parts)


class Or:
    __slots__ = ("parts",)

    def __init__(self, *parts):
        self.parts = parts

    def evaluate(self, item: dict) -> bool:
        return any(part.evaluate(item) for part in self.parts)


class Paren:
    """Parentheses kept in the tree only so that redundant ones can be refused."""
    __slots__ = ("inner",)

    def __init__(self, inner):
        self.inner = inner

    def evaluate(self, item: dict) -> bool:
        return self.inner.evaluate(item)


class Always:
    """The empty legacy condition (no Expected entries): true."""
    __slots__ = ()

    def evaluate(self, item: dict) -> bool:
        return True


class Condition:
    """A ConditionExpression or FilterExpression (or the legacy Expected/QueryFilter/ScanFilter)."""
    __slots__ = ("root",)

    def __init__(self, root):
        self.root = root

    def evaluate(self, item: dict | None) -> bool:
        return self.root.evaluate(item or {})
