"""EventBridge event patterns: compile once (validating as PutRule does), match many.

A pattern is a JSON object shaped like the events it selects. Each key names
a field; an object value descends into the event, an array value lists the
tests of which one must hold for the field's value (or, when the event's
value is an array, for one of its elements). All keys must match. ``$or``
takes two or more objects of which one must match at that level. Tests: a
string, number, boolean or null (exact), or an object with one of ``prefix``,
``suffix``, ``equals-ignore-case``, ``wildcard``, ``anything-but``,
``numeric``, ``exists``, ``cidr``.

The envelope fields (``source``, ``detail-type``, ``account``, ...) are just
the event's top-level keys. An object in the event is matched against an
object in the pattern element by element when the event holds an array of
objects, so fields matched together come from the same element.
"""
from __future__ import annotations

import ipaddress
import json
import re
from typing import Any, Callable

from ...protocol.errors import ServiceError

_OR = "$or"
_OPERATORS = ("prefix", "suffix", "equals-ignore-case", "wildcard", "anything-but", "numeric", "exists",
              "cidr")
# AWS's documented range for numeric matching.
_NUMBER_LIMIT = 5.0e9
_MISSING = object()

Test = Callable[[Any], bool]


class InvalidPattern(Exception):
    pass


def invalid(reason: str) -> ServiceError:
    return ServiceError("InvalidEventPatternException", f"Event pattern is not valid. Reason: {reason}", 400)


def _is_number(v: Any) -> bool:
    return (type(v) is int or type(v) is float)


# -- the compiled form -------------------------------------------------------------------------


class _Leaf:
    """The tests of one field: exact values in sets (the common case), the rest as predicates."""

    __slots__ = ("strings", "numbers", "constants", "tests", "exists", "absent")

    def __init__(self):
        self.strings: set[str] = set()
        self.numbers: set[float] = set()
        self.constants: list[Any] = []   # null, true, false (kept apart: True == 1 in a set)
        self.tests: list[Test] = []
        self.exists = False     # {"exists": true}
        self.absent = False     # {"exists": false}

    def match(self, values: list) -> bool:
        if not values:
            return self.absent
        if self.exists:
            return True
        strings, numbers, constants, tests = self.strings, self.numbers, self.constants, self.tests
        for v in values:
            t = type(v)
            if t is str:
                if v in strings:
                    return True
            elif t is int or t is float:
                if v in numbers:
                    return True
            elif constants:
                for c in constants:
                    if c is v:
                        return True
            for test in tests:
                if test(v):
                    return True
        return False


class _Node:
    """An object of the pattern: fields that must all match, and ``$or`` groups of which one branch must."""

    __slots__ = ("leaves", "objects", "ors")

    def __init__(self):
        self.leaves: list[tuple[str, _Leaf]] = []
        self.objects: list[tuple[str, _Node]] = []
        self.ors: list[list[_Node]] = []

    def match(self, obj: Any) -> bool:
        if type(obj) is list:
            return any(self.match(e) for e in _objects_in(obj)) or (
                not any(type(e) is dict for e in obj) and self.match_dict({}))
        return self.match_dict(obj if type(obj) is dict else {})

    def match_dict(self, obj: dict) -> bool:
        for key, leaf in self.leaves:
            v = obj.get(key, _MISSING)
            if v is _MISSING:
                values = ()
            elif type(v) is list:
                values = _leaves_in(v)
            elif type(v) is dict:
                values = ()
            else:
                values = (v,)
            if not leaf.match(values):
                return False
        for key, node in self.objects:
            if not node.match(obj.get(key)):
                return False
        for branches in self.ors:
            if not any(b.match_dict(obj) for b in branches):
                return False
        return True


def _leaves_in(values: list) -> list:
    out = []
    for v in values:
        if type(v) is list:
            out.extend(_leaves_in(v))
        elif type(v) is not dict:
            out.append(v)
    return out


def _objects_in(values: list):
    for v in values:
        if type(v) is dict:
            yield v
        elif type(v) is list:
            yield from _objects_in(v)


class Pattern:
    """A compiled event pattern."""

    __slots__ = ("source", "_root", "_sources")

    def __init__(self, source: dict, root: _Node):
        self.source = source
        self._root = root
        self._sources = _required_sources(root)

    def matches(self, event: dict) -> bool:
        return self._root.match_dict(event)

    def required_sources(self) -> set | None:
        """The exact ``source`` values of which an event must have one to match,
        or None when the pattern does not pin ``source`` to exact strings (so a
        bus can index its rules by source and test only the candidates)."""
        return self._sources


def _required_sources(root: _Node) -> set | None:
    for key, leaf in root.leaves:
        if key == "source" and not (leaf.tests or leaf.exists or leaf.absent or leaf.numbers or leaf.constants):
            return set(leaf.strings)
    return None


# -- compiling -----------------------------------------------------------------------------------


def compile_pattern(text: str | dict) -> Pattern:
    """The pattern compiled, or InvalidEventPatternException with AWS's reason."""
    if isinstance(text, (str, bytes)):
        try:
            doc = json.loads(text)
        except ValueError as e:
            raise invalid(f"Unrecognized token: {e}") from None
    else:
        doc = text
    if not isinstance(doc, dict):
        raise invalid("Filter is not an object")
    try:
        return Pattern(doc, _compile_object(doc, in_or=False))
    except InvalidPattern as e:
        raise invalid(str(e)) from None


def _compile_object(doc: dict, in_or: bool) -> _Node:
    if not doc:
        raise InvalidPattern("Empty objects are not allowed")
    node = _Node()
    for key, value in doc.items():
        if key == _OR:
            node.ors.append(_compile_or(value))
            continue
        if in_or and key in _OPERATORS:
            raise InvalidPattern(f"{key} is Ruler reserved fieldName which cannot be used inside {_OR}.")
        if isinstance(value, dict):
            node.objects.append((key, _compile_object(value, in_or)))
        elif isinstance(value, list):
            node.leaves.append((key, _compile_leaf(value)))
        else:
            raise InvalidPattern(f'"{key}" must be an object or an array')
    return node


def _compile_or(value: Any) -> list[_Node]:
    if not isinstance(value, list):
        raise InvalidPattern(f"It must be an Array followed with {_OR}.")
    branches = []
    for item in value:
        if not isinstance(item, dict):
            raise InvalidPattern(f"Only JSON object is allowed in array of {_OR} relationship.")
        branches.append(_compile_object(item, in_or=True))
    if len(branches) < 2:
        raise InvalidPattern(f"There must have at least 2 Objects in {_OR} relationship.")
    return branches


def _compile_leaf(values: list) -> _Leaf:
    if not values:
        raise InvalidPattern("Empty arrays are not allowed")
    leaf = _Leaf()
    for v in values:
        if isinstance(v, str):
            leaf.strings.add(v)
        elif v is None or isinstance(v, bool):
            leaf.constants.append(v)
        elif _is_number(v):
            leaf.numbers.add(float(v))
        elif isinstance(v, dict):
            _compile_operator(v, leaf)
        else:
            raise InvalidPattern("Match value must be String, number, true, false, or null")
    return leaf


def _single(expr: dict) -> tuple[str, Any]:
    if not expr:
        raise InvalidPattern("Match expression name not found")
    if len(expr) > 1:
        raise InvalidPattern("Only one key allowed in match expression")
    return next(iter(expr.items()))


def _compile_operator(expr: dict, leaf: _Leaf) -> None:
    op, arg = _single(expr)
    if op == "prefix" or op == "suffix":
        leaf.tests.append(_affix_test(op, arg))
    elif op == "equals-ignore-case":
        if not isinstance(arg, str):
            raise InvalidPattern("equals-ignore-case match pattern must be a string")
        folded = arg.casefold()
        leaf.tests.append(lambda v: type(v) is str and v.casefold() == folded)
    elif op == "wildcard":
        if not isinstance(arg, str):
            raise InvalidPattern("wildcard match pattern must be a string")
        regex = _wildcard(arg)
        leaf.tests.append(lambda v: type(v) is str and regex.fullmatch(v) is not None)
    elif op == "anything-but":
        leaf.tests.append(_anything_but(arg))
    elif op == "numeric":
        leaf.tests.append(_numeric(arg))
    elif op == "exists":
        if arg is True:
            leaf.exists = True
        elif arg is False:
            leaf.absent = True
        else:
            raise InvalidPattern("exists match pattern must be either true or false.")
    elif op == "cidr":
        if not isinstance(arg, str):
            raise InvalidPattern("prefix match pattern must be a string")
        network = _network(arg)
        leaf.tests.append(lambda v: _in_network(v, network))
    else:
        raise InvalidPattern(f"Unrecognized match type {op}")


def _affix_test(op: str, arg: Any) -> Test:
    ignore_case = False
    if isinstance(arg, dict):
        inner, value = _single(arg)
        if inner != "equals-ignore-case":
            raise InvalidPattern(f"Unsupported {op} pattern: {inner}")
        if not isinstance(value, str):
            raise InvalidPattern("equals-ignore-case match pattern must be a string")
        arg, ignore_case = value, True
    elif not isinstance(arg, str):
        raise InvalidPattern(f"{op} match pattern must be a string")
    if ignore_case:
        folded = arg.casefold()
        if op == "prefix":
            return lambda v: type(v) is str and v.casefold().startswith(folded)
        return lambda v: type(v) is str and v.casefold().endswith(folded)
    if op == "prefix":
        return lambda v: type(v) is str and v.startswith(arg)
    return lambda v: type(v) is str and v.endswith(arg)


def _wildcard(text: str) -> re.Pattern:
    """``*`` is any run of characters; ``\\*`` and ``\\\\`` are a literal star and backslash."""
    parts = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            if i + 1 >= len(text) or text[i + 1] not in "*\\":
                raise InvalidPattern(f"Invalid escape character at pos {i}")
            parts.append(re.escape(text[i + 1]))
            i += 2
            continue
        if c == "*":
            if i + 1 < len(text) and text[i + 1] == "*":
                raise InvalidPattern(f"Consecutive wildcard characters at pos {i}")
            parts.append(".*")
        else:
            parts.append(re.escape(c))
        i += 1
    return re.compile("".join(parts), re.DOTALL)


def _anything_but(arg: Any) -> Test:
    """Any value but these: a value, a list of strings or of numbers, or an object with
    ``prefix``, ``suffix``, ``equals-ignore-case`` or ``wildcard``."""
    if isinstance(arg, dict):
        if not arg:
            raise InvalidPattern("Anything-But expression name not found")
        inner, value = _single(arg)
        if inner in ("prefix", "suffix"):
            if not isinstance(value, str):
                raise InvalidPattern("prefix/suffix match pattern must be a string")
            if not value:
                raise InvalidPattern("Null prefix/suffix not allowed")
            if inner == "prefix":
                return lambda v: type(v) is str and not v.startswith(value)
            return lambda v: type(v) is str and not v.endswith(value)
        if inner == "equals-ignore-case":
            items = value if isinstance(value, list) else [value]
            if not items or not all(isinstance(s, str) for s in items):
                raise InvalidPattern("Inside anything-but/equals-ignore-case list, "
                                     "number|start|null|boolean is not supported.")
            folded = {s.casefold() for s in items}
            return lambda v: type(v) is str and v.casefold() not in folded
        if inner == "wildcard":
            items = value if isinstance(value, list) else [value]
            if not items or not all(isinstance(s, str) for s in items):
                raise InvalidPattern("wildcard match pattern must be a string")
            regexes = [_wildcard(s) for s in items]
            return lambda v: type(v) is str and not any(r.fullmatch(v) for r in regexes)
        raise InvalidPattern(f"Unsupported anything-but pattern: {inner}")
    if isinstance(arg, list):
        if not arg:
            raise InvalidPattern("Empty arrays are not allowed")
        if not all(isinstance(x, str) or _is_number(x) for x in arg):
            raise InvalidPattern("Inside anything but list, start|null|boolean is not supported.")
        kinds = {isinstance(x, str) for x in arg}
        if len(kinds) > 1:
            raise InvalidPattern("Inside anything but list, either all values are number or string, "
                                 "mixed type is not supported")
        items = arg
    elif isinstance(arg, str) or _is_number(arg):
        items = [arg]
    else:
        raise InvalidPattern("Value of anything-but must be an array or single string/number value.")
    if isinstance(items[0], str):
        strings = set(items)
        return lambda v: not (type(v) is str and v in strings)
    numbers = {float(_checked_number(x)) for x in items}
    return lambda v: _is_number(v) and v not in numbers


def _checked_number(x: Any) -> float:
    if not -_NUMBER_LIMIT <= x <= _NUMBER_LIMIT:
        raise InvalidPattern("Value must be between -5.0E9 and +5.0E9, inclusive")
    return x


def _numeric(arg: Any) -> Test:
    if not isinstance(arg, list):
        raise InvalidPattern("Value of numeric must be an array.")
    if not arg:
        raise InvalidPattern("Invalid member in numeric match: ]")
    low = high = None        # (bound, inclusive)
    equal = None
    i = 0
    op = arg[0]
    if not isinstance(op, str):
        raise InvalidPattern(f"Invalid member in numeric match: {json.dumps(op)}")
    if op not in ("=", ">", ">=", "<", "<="):
        raise InvalidPattern(f"Unrecognized numeric range operator: {op}")
    if len(arg) < 2 or not _is_number(arg[1]):
        raise InvalidPattern(f"Value of {'equals' if op == '=' else op} must be numeric")
    value = _checked_number(arg[1])
    i = 2
    if op == "=":
        equal = value
    elif op in (">", ">="):
        low = (value, op == ">=")
        if len(arg) > 2:
            op2 = arg[2]
            if not isinstance(op2, str):
                raise InvalidPattern(f"Bad value in numeric range: {json.dumps(op2)}")
            if op2 not in ("<", "<="):
                raise InvalidPattern(f"Bad numeric range operator: {op2}")
            if len(arg) < 4 or not _is_number(arg[3]):
                raise InvalidPattern(f"Value of {op2} must be numeric")
            high = (_checked_number(arg[3]), op2 == "<=")
            i = 4
            if len(arg) > 4:
                raise InvalidPattern("Too many terms in numeric range expression")
            if high[0] < low[0] or (high[0] == low[0] and not (high[1] and low[1])):
                raise InvalidPattern("Bottom must be less than top")
    else:
        high = (value, op == "<=")
    if len(arg) > i:
        raise InvalidPattern("Too many elements in numeric expression")
    if equal is not None:
        return lambda v: _is_number(v) and v == equal
    lo, lo_in = low if low else (None, False)
    hi, hi_in = high if high else (None, False)

    def test(v: Any) -> bool:
        if not _is_number(v):
            return False
        if lo is not None and (v < lo or (v == lo and not lo_in)):
            return False
        if hi is not None and (v > hi or (v == hi and not hi_in)):
            return False
        return True
    return test


def _network(text: str):
    try:
        if "/" not in text:
            raise ValueError
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise InvalidPattern(f"Nonsensical CIDR: {text}") from None


def _in_network(v: Any, network) -> bool:
    if type(v) is not str:
        return False
    try:
        return ipaddress.ip_address(v) in network
    except ValueError:
        return False
