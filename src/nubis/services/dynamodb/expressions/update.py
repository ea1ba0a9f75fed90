"""UpdateExpression (SET, REMOVE, ADD, DELETE): parsing and applying it to an item.

Every right-hand side is evaluated against the item as it was before the
update; then the actions are applied. Document paths may not overlap.
"""
from __future__ import annotations

import copy

from .. import types as dt
from . import nodes
from .parser import ADD_DELETE, CONFLICT, FUNCTIONS, LONG_TYPE, OVERLAP, REPEATED, Call, Parser

SECTIONS = ("SET", "REMOVE", "ADD", "DELETE")
_SETS = ("SS", "NS", "BS")


def failure(message: str) -> dt.ServiceError:
    return dt.ServiceError("ValidationException", message, 400)


def _missing():
    return failure("The provided expression refers to an attribute that does not exist in the item")


WRONG_TYPE = "An operand in the update expression has an incorrect data type"


def _wrong_type():
    return failure(WRONG_TYPE)


def _bad_path():
    return failure("The document path provided in the update expression is invalid for update")


# -- SET's values -----------------------------------------------------------------


class Arithmetic:
    __slots__ = ("op", "left", "right")

    def __init__(self, op, left, right):
        self.op, self.left, self.right = op, left, right

    def resolve(self, item):
        a, b = self.left.resolve(item), self.right.resolve(item)
        if a is None or b is None:
            raise _missing()
        if "N" not in a or "N" not in b:
            raise _wrong_type()
        return dt.add_numbers(a["N"], b["N"], subtract=self.op == "-")


class IfNotExists:
    __slots__ = ("path", "fallback")

    def __init__(self, path, fallback):
        self.path, self.fallback = path, fallback

    def resolve(self, item):
        value = self.path.resolve(item)
        return value if value is not None else self.fallback.resolve(item)


class ListAppend:
    __slots__ = ("first", "second")

    def __init__(self, first, second):
        self.first, self.second = first, second

    def resolve(self, item):
        a, b = self.first.resolve(item), self.second.resolve(item)
        if a is None or b is None:
            raise _missing()
        if "L" not in a or "L" not in b:
            raise _wrong_type()
        return {"L": a["L"] + b["L"]}


class Required:
    """A path on the right of SET: it must exist."""
    __slots__ = ("path",)

    def __init__(self, path):
        self.path = path

    def resolve(self, item):
        value = self.path.resolve(item)
        if value is None:
            raise _missing()
        return value


# -- the update -----------------------------------------------------------------------


class Update:
    """Actions as ``(action, path, operand)``; action is SET, REMOVE, ADD, DELETE
    (or APPEND, the legacy ADD of a list)."""

    def __init__(self, actions: list[tuple], legacy: bool = False):
        self.actions = actions
        # AttributeUpdates words a type mismatch its own way
        self.legacy = legacy

    def updated_paths(self) -> list[nodes.Path]:
        return [path for _, path, _ in self.actions]

    def apply(self, item: dict | None) -> dict:
        """The item after the update (the input is left as it was)."""
        old = item or {}
        # right-hand sides see the item before any action
        planned = [(action, path, operand.resolve(old) if action == "SET" else
                    operand.value if operand is not None else None)
                   for action, path, operand in self.actions]
        new = copy.deepcopy(old)
        removals = []
        for action, path, value in planned:
            if action == "SET":
                _assign(new, path.elements, value)
            elif action == "REMOVE":
                removals.append(path.elements)
            else:
                _check_parent(new, path.elements)
                try:
                    result = _combine(action, path.resolve(new), value)
                except dt.ServiceError as e:
                    if self.legacy and e.message == WRONG_TYPE:
                        raise failure("Type mismatch for attribute to update") from None
                    raise
                if result is None:
                    removals.append(path.elements)
                else:
                    _assign(new, path.elements, result)
        _remove_all(new, removals)
        return new


def _check_parent(item: dict, elements):
    """ADD and DELETE on a nested path need its container to exist with the right type."""
    if len(elements) == 1:
        return
    parent = _container(item, elements)
    if parent is None or ("L" if elements[-1].__class__ is int else "M") not in parent:
        raise _bad_path()


def _combine(action: str, current: dict | None, value: dict) -> dict | None:
    t = dt.type_of(value)
    if action == "ADD":
        if current is None:
            return value
        if dt.type_of(current) != t:
            raise _wrong_type()
        if t == "N":
            return dt.add_numbers(current["N"], value["N"])
        return {t: _union(t, current[t], value[t])}
    if action == "APPEND":
        if current is None:
            return value
        if dt.type_of(current) != "L":
            raise _wrong_type()
        return {"L": current["L"] + value["L"]}
    # DELETE: removing the last element removes the attribute
    if current is None:
        return _KEEP_ABSENT
    if dt.type_of(current) != t:
        raise _wrong_type()
    rest = [e for e in current[t] if not _member(t, e, value[t])]
    return {t: rest} if rest else None


_KEEP_ABSENT = object()


def _member(t: str, element, elements) -> bool:
    if t == "NS":
        return any(dt.equals({"N": element}, {"N": e}) for e in elements)
    if t == "BS":
        return bytes(element) in {bytes(e) for e in elements}
    return element in elements


def _union(t: str, current: list, added: list) -> list:
    out = list(current)
    for e in added:
        if not _member(t, e, out):
            out.append(e)
    return out


def _container(item: dict, elements) -> dict | None:
    """The attribute value holding the last element of a path (None when it is absent)."""
    return nodes.Path(elements[:-1]).resolve(item) if len(elements) > 1 else None


def _assign(item: dict, elements, value):
    if value is _KEEP_ABSENT:
        return
    if len(elements) > 1 and len(elements) - 1 + dt.nesting(value) > dt.MAX_DEPTH:
        raise failure("Nesting Levels have exceeded supported limits")
    if len(elements) == 1:
        item[elements[0]] = value
        return
    parent = _container(item, elements)
    last = elements[-1]
    if parent is None:
        raise _bad_path()
    if last.__class__ is int:
        values = parent.get("L")
        if values is None:
            raise _bad_path()
        if last >= len(values):
            values.append(value)      # past the end appends
        else:
            values[last] = value
    else:
        entries = parent.get("M")
        if entries is None:
            raise _bad_path()
        entries[last] = value


_GONE = object()


def _remove_all(item: dict, removals: list):
    # List elements are removed by their index in the item before the update:
    # mark them all first, then drop the marks.
    marked = []
    for elements in removals:
        if len(elements) == 1:
            item.pop(elements[0], None)
            continue
        parent = _container(item, elements)
        last = elements[-1]
        if parent is None:
            raise _bad_path()
        if last.__class__ is int:
            values = parent.get("L")
            if values is None:
                raise _bad_path()
            if last < len(values):
                values[last] = _GONE
                marked.append(values)
        else:
            entries = parent.get("M")
            if entries is None:
                raise _bad_path()
            entries.pop(last, None)
    for values in marked:
        values[:] = [v for v in values if v is not _GONE]


# -- parsing -----------------------------------------------------------------------


def parse_update(parser: Parser) -> Update:
    actions: list[tuple] = []
    seen: set[str] = set()
    while True:
        token = parser.peek()
        section = token.text.upper()
        if token.kind != "keyword" or section not in SECTIONS:
            parser.fail()
        parser.next()
        if section in seen:
            parser.defer(f'The "{section}" section can only be used once in an update expression;', REPEATED)
        seen.add(section)
        while True:
            actions.append(_action(parser, section))
            if parser.at("op", ","):
                parser.next()
                continue
            break
        if parser.peek().kind == "eof":
            break
    check_overlaps(parser, [path for _, path, _ in actions])
    parser.finish()
    return Update(actions)


def _action(parser: Parser, section: str) -> tuple:
    path = parser.path()
    if section == "SET":
        parser.expect("=")
        return ("SET", path, _set_value(parser))
    if section == "REMOVE":
        return ("REMOVE", path, None)
    if parser.peek().kind != "value":
        parser.fail()
    value = parser.value()
    t = value.static_type()
    if t is not None:
        allowed = ("N", *_SETS) if section == "ADD" else _SETS
        if t not in allowed:
            parser.defer("Incorrect operand type for operator or function; "
                         f"operator: {section}, operand type: {LONG_TYPE[t]}", ADD_DELETE)
    return (section, path, value)


def _set_value(parser: Parser):
    left = _set_operand(parser)
    if parser.at("op", "+") or parser.at("op", "-"):
        op = parser.next().text
        right = _set_operand(parser)
        for side in (left, right):
            t = _static_type(side)
            if t is not None and t != "N":
                parser.operand_type_error(op, t)
        return Arithmetic(op, left, right)
    return left


def _static_type(operand):
    if isinstance(operand, nodes.Value):
        return operand.static_type()
    if isinstance(operand, ListAppend):
        return "L"
    return None


def _set_operand(parser: Parser):
    node = parser.operand()
    return _update_operand(parser, node)


def _update_operand(parser: Parser, node):
    if isinstance(node, nodes.Path):
        return Required(node)
    if not isinstance(node, Call):
        return node
    name = node.name
    if name not in ("if_not_exists", "list_append"):
        if name in FUNCTIONS:
            parser.not_allowed(name)
        return nodes.Value(name, None)
    if len(node.args) != 2:
        return nodes.Value(name, None)
    if name == "if_not_exists":
        first = node.args[0]
        if not isinstance(first, nodes.Path):
            parser.defer(f"Operator or function requires a document path; operator or function: {name}")
            return nodes.Value(name, None)
        return IfNotExists(first, _update_operand(parser, node.args[1]))
    first, second = (_update_operand(parser, a) for a in node.args)
    for side in (first, second):
        t = _static_type(side)
        if t is not None and t != "L":
            parser.operand_type_error(name, t)
    return ListAppend(first, second)


def overlap(one: nodes.Path, two: nodes.Path) -> str | None:
    """'overlap' when one path is a prefix of the other, 'conflict' when they
    index the same spot one as a list and one as a map, else None."""
    for a, b in zip(one.elements, two.elements):
        if a == b and a.__class__ is b.__class__:
            continue
        if a.__class__ is not b.__class__:
            return "conflict"
        return None
    return "overlap"


def check_overlaps(parser: Parser, paths: list[nodes.Path]):
    """Any two paths that overlap (one within the other) or conflict (one indexes
    a list where the other names a map key); overlaps are reported first."""
    conflict = None
    for i, one in enumerate(paths):
        for two in paths[i + 1:]:
            found = overlap(one, two)
            if found == "overlap":
                parser.defer("Two document paths overlap with each other; must remove or rewrite one of these "
                             f"paths; path one: {one.shown()}, path two: {two.shown()}", OVERLAP)
                return
            if found and conflict is None:
                conflict = (one, two)
    if conflict is not None:
        one, two = conflict
        parser.defer("Two document paths conflict with each other; must remove or rewrite one of these "
                     f"paths; path one: {one.shown()}, path two: {two.shown()}", CONFLICT)
