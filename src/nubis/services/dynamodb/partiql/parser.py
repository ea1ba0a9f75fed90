"""A parser for the PartiQL subset DynamoDB runs (the developer guide's "PartiQL
select / insert / update / delete statements for DynamoDB").

Statements become small dataclasses; conditions and values become tuples:

    ("path", [name | index, ...])     ("value", AttributeValue)
    ("cmp", op, a, b)                 ("between", a, low, high)
    ("in", a, [b, ...])               ("func", name, [args])
    ("missing", path, negated)        ("null", path, negated)
    ("and", a, b)  ("or", a, b)  ("not", a)  ("arith", "+" | "-", a, b)

``?`` takes the next of the request's Parameters as it is read. Sets are
written ``<<v, ...>>``, lists ``[v, ...]``, maps ``{'k': v, ...}``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from ....protocol.errors import ServiceError

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<str>'(?:[^']|'')*')
  | (?P<qid>"(?:[^"]|"")*")
  | (?P<num>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)
  | (?P<id>[A-Za-z_$][A-Za-z0-9_$]*)
  | (?P<op><<|>>|<=|>=|<>|!=|[=<>\[\]{}(),.:*?+\-])
""", re.VERBOSE)

FUNCTIONS = {"begins_with", "contains", "attribute_type", "size", "exists"}
UPDATE_FUNCTIONS = {"list_append", "if_not_exists", "set_add", "set_delete"}


def malformed(detail: str) -> ServiceError:
    return ServiceError("ValidationException", f"Statement wasn't well formed, can't be processed: {detail}", 400)


@dataclass
class Select:
    table: str
    index: str | None
    projection: list | None          # paths, None for *
    where: tuple | None
    descending: bool = False
    ordered: bool = False


@dataclass
class Exists:
    """``[NOT] EXISTS(SELECT ...)``: a transaction's condition check on one item."""
    select: Select
    negated: bool = False

    @property
    def table(self) -> str:
        return self.select.table


@dataclass
class Insert:
    table: str
    item: dict


@dataclass
class Update:
    table: str
    sets: list = field(default_factory=list)       # (path, value expression)
    removes: list = field(default_factory=list)    # paths
    adds: list = field(default_factory=list)       # (path, value) from set_add
    deletes: list = field(default_factory=list)    # (path, value) from set_delete
    where: tuple | None = None
    returning: str | None = None


@dataclass
class Delete:
    table: str
    where: tuple | None
    returning: str | None = None


def tokenize(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise malformed(f"Unexpected character: {text[pos]}")
        pos = m.end()
        if m.lastgroup != "ws":
            out.append((m.lastgroup, m.group()))
    out.append(("end", ""))
    return out


class Parser:
    def __init__(self, text: str, parameters: list | None):
        self.tokens = tokenize(text)
        self.i = 0
        self.parameters = list(parameters or [])
        self.used = 0

    # -- tokens ----------------------------------------------------------------------

    def peek(self, ahead: int = 0) -> tuple[str, str]:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def next(self) -> tuple[str, str]:
        tok = self.peek()
        self.i += 1
        return tok

    def at_word(self, *words: str) -> bool:
        kind, text = self.peek()
        return kind == "id" and text.upper() in words

    def at_op(self, *ops: str) -> bool:
        kind, text = self.peek()
        return kind == "op" and text in ops

    def word(self, *words: str) -> str:
        if not self.at_word(*words):
            raise self.unexpected()
        return self.next()[1].upper()

    def op(self, op: str) -> None:
        if not self.at_op(op):
            raise self.unexpected()
        self.next()

    def unexpected(self) -> ServiceError:
        kind, text = self.peek()
        if kind == "end":
            return malformed("Unexpected end of statement")
        if kind == "id" and text.upper() in _KEYWORDS:
            return malformed(f"Unexpected keyword: {text}")
        return malformed(f"Unexpected token: {text}")

    # -- statements ----------------------------------------------------------------------

    def statement(self):
        if self.at_word("SELECT"):
            out = self.select()
        elif self.at_word("INSERT"):
            out = self.insert()
        elif self.at_word("UPDATE"):
            out = self.update()
        elif self.at_word("DELETE"):
            out = self.delete()
        elif self.at_word("EXISTS", "NOT"):
            negated = self.next()[1].upper() == "NOT"
            if negated:
                self.word("EXISTS")
            self.op("(")
            out = Exists(self.select(), negated)
            self.op(")")
        else:
            raise self.unexpected()
        if self.peek()[0] != "end":
            raise self.unexpected()
        if self.used != len(self.parameters):
            raise ServiceError("ValidationException", "Number of parameters in request and statement don't match.",
                               400)
        return out

    def table(self) -> tuple[str, str | None]:
        name = self.identifier()
        index = None
        if self.at_op("."):
            self.next()
            index = self.identifier()
        return name, index

    def identifier(self) -> str:
        kind, text = self.next()
        if kind == "qid":
            return text[1:-1].replace('""', '"')
        if kind == "id" and text.upper() not in _KEYWORDS:
            return text
        self.i -= 1
        raise self.unexpected()

    def select(self) -> Select:
        self.word("SELECT")
        projection = None
        if self.at_op("*"):
            self.next()
        else:
            projection = [self.path()]
            while self.at_op(","):
                self.next()
                projection.append(self.path())
        self.word("FROM")
        name, index = self.table()
        where = None
        if self.at_word("WHERE"):
            self.next()
            where = self.condition()
        descending = ordered = False
        if self.at_word("ORDER"):
            ordered = True
            self.next()
            self.word("BY")
            self.path()
            if self.at_word("ASC", "DESC"):
                descending = self.next()[1].upper() == "DESC"
        return Select(name, index, projection, where, descending, ordered)

    def insert(self) -> Insert:
        self.word("INSERT")
        self.word("INTO")
        name, index = self.table()
        if index is not None:
            raise malformed("Index is not allowed in an INSERT statement")
        self.word("VALUE")
        item = self.value()
        if "M" not in item[1]:
            raise malformed("VALUE of an INSERT statement must be a map (a tuple of attributes)")
        return Insert(name, item[1]["M"])

    def update(self) -> Update:
        self.word("UPDATE")
        name, index = self.table()
        if index is not None:
            raise malformed("Index is not allowed in an UPDATE statement")
        out = Update(name)
        while self.at_word("SET", "REMOVE"):
            if self.next()[1].upper() == "SET":
                self.assignments(out)
            else:
                out.removes.append(self.path())
                while self.at_op(","):
                    self.next()
                    out.removes.append(self.path())
        if not (out.sets or out.removes or out.adds or out.deletes):
            raise self.unexpected()
        self.word("WHERE")
        out.where = self.condition()
        out.returning = self.returning()
        return out

    def assignments(self, out: Update) -> None:
        while True:
            target = self.path()
            self.op("=")
            kind, text = self.peek()
            if kind == "id" and text.lower() in ("set_add", "set_delete") and self.peek(1) == ("op", "("):
                self.next()
                self.op("(")
                self.path()
                self.op(",")
                value = self.value()
                self.op(")")
                (out.adds if text.lower() == "set_add" else out.deletes).append((target, value))
            else:
                out.sets.append((target, self.arithmetic()))
            if not self.at_op(","):
                return
            self.next()

    def arithmetic(self) -> tuple:
        left = self.operand(update=True)
        if self.at_op("+", "-"):
            op = self.next()[1]
            return ("arith", op, left, self.operand(update=True))
        return left

    def delete(self) -> Delete:
        self.word("DELETE")
        self.word("FROM")
        name, index = self.table()
        if index is not None:
            raise malformed("Index is not allowed in a DELETE statement")
        self.word("WHERE")
        where = self.condition()
        return Delete(name, where, self.returning())

    def returning(self) -> str | None:
        if not self.at_word("RETURNING"):
            return None
        self.next()
        which = self.word("ALL", "MODIFIED")
        when = self.word("OLD", "NEW")
        self.op("*")
        return f"{'ALL' if which == 'ALL' else 'UPDATED'}_{when}"

    # -- conditions ------------------------------------------------------------------------

    def condition(self) -> tuple:
        left = self.conjunction()
        while self.at_word("OR"):
            self.next()
            left = ("or", left, self.conjunction())
        return left

    def conjunction(self) -> tuple:
        left = self.negation()
        while self.at_word("AND"):
            self.next()
            left = ("and", left, self.negation())
        return left

    def negation(self) -> tuple:
        if self.at_word("NOT"):
            self.next()
            return ("not", self.negation())
        return self.predicate()

    def predicate(self) -> tuple:
        if self.at_op("("):
            self.next()
            inner = self.condition()
            self.op(")")
            return inner
        kind, text = self.peek()
        if kind == "id" and text.lower() in FUNCTIONS - {"size"} and self.peek(1) == ("op", "("):
            return self.function()
        left = self.operand()
        if self.at_word("IS"):
            self.next()
            negated = False
            if self.at_word("NOT"):
                self.next()
                negated = True
            what = self.word("MISSING", "NULL")
            if left[0] != "path":
                raise malformed("IS MISSING and IS NULL take an attribute")
            return ("missing" if what == "MISSING" else "null", left, negated)
        if self.at_word("BETWEEN"):
            self.next()
            low = self.operand()
            self.word("AND")
            return ("between", left, low, self.operand())
        if self.at_word("IN"):
            self.next()
            closing = "]" if self.at_op("[") else ")"
            self.op("[" if closing == "]" else "(")
            options = [self.operand()]
            while self.at_op(","):
                self.next()
                options.append(self.operand())
            self.op(closing)
            return ("in", left, options)
        if self.at_op("=", "<>", "!=", "<", "<=", ">", ">="):
            op = self.next()[1]
            return ("cmp", "<>" if op == "!=" else op, left, self.operand())
        raise self.unexpected()

    def function(self) -> tuple:
        name = self.next()[1].lower()
        self.op("(")
        args = [self.operand()]
        while self.at_op(","):
            self.next()
            args.append(self.operand())
        self.op(")")
        return ("func", name, args)

    def operand(self, update: bool = False) -> tuple:
        kind, text = self.peek()
        if kind == "id" and self.peek(1) == ("op", "(") and (
                text.lower() == "size" or (update and text.lower() in UPDATE_FUNCTIONS)):
            return self.function()
        if kind in ("id", "qid") and not (kind == "id" and text.upper() in ("TRUE", "FALSE", "NULL", "MISSING")):
            return self.path()
        return self.value()

    def path(self) -> tuple:
        elements: list = [self.identifier()]
        while True:
            if self.at_op("."):
                self.next()
                elements.append(self.identifier())
            elif self.at_op("["):
                self.next()
                kind, text = self.next()
                if kind == "num" and text.isdigit():
                    elements.append(int(text))
                elif kind == "str":
                    elements.append(text[1:-1].replace("''", "'"))
                else:
                    self.i -= 1
                    raise self.unexpected()
                self.op("]")
            else:
                return ("path", elements)

    # -- values ------------------------------------------------------------------------------

    def value(self) -> tuple:
        kind, text = self.next()
        if kind == "str":
            return ("value", {"S": text[1:-1].replace("''", "'")})
        if kind == "num" or (kind == "op" and text == "-" and self.peek()[0] == "num"):
            if kind == "op":
                text = "-" + self.next()[1]
            try:
                Decimal(text)
            except InvalidOperation:
                raise malformed(f"Invalid number: {text}") from None
            return ("value", {"N": text})
        if kind == "op" and text == "?":
            if self.used >= len(self.parameters):
                raise ServiceError("ValidationException",
                                   "Number of parameters in request and statement don't match.", 400)
            self.used += 1
            return ("value", self.parameters[self.used - 1])
        if kind == "id" and text.upper() in ("TRUE", "FALSE"):
            return ("value", {"BOOL": text.upper() == "TRUE"})
        if kind == "id" and text.upper() == "NULL":
            return ("value", {"NULL": True})
        if kind == "op" and text == "[":
            items = []
            if not self.at_op("]"):
                items.append(self.value()[1])
                while self.at_op(","):
                    self.next()
                    items.append(self.value()[1])
            self.op("]")
            return ("value", {"L": items})
        if kind == "op" and text == "{":
            members: dict = {}
            if not self.at_op("}"):
                while True:
                    k = self.next()
                    if k[0] != "str":
                        self.i -= 1
                        raise self.unexpected()
                    self.op(":")
                    members[k[1][1:-1].replace("''", "'")] = self.value()[1]
                    if not self.at_op(","):
                        break
                    self.next()
            self.op("}")
            return ("value", {"M": members})
        if kind == "op" and text == "<<":
            members = [self.value()[1]]
            while self.at_op(","):
                self.next()
                members.append(self.value()[1])
            self.op(">>")
            kinds = {next(iter(m)) for m in members}
            if len(kinds) != 1 or kinds - {"S", "N", "B"}:
                raise malformed("A set holds strings, numbers or binaries, all of one type")
            (t,) = kinds
            return ("value", {t + "S": [m[t] for m in members]})
        self.i -= 1
        raise self.unexpected()


_KEYWORDS = {"EXISTS", "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "INSERT", "INTO", "VALUE", "UPDATE", "SET",
             "REMOVE", "DELETE", "RETURNING", "IS", "IN", "BETWEEN", "MISSING", "ORDER", "BY", "ASC", "DESC", "NULL",
             "TRUE", "FALSE"}


def parse(text: str, parameters: list | None = None):
    if not isinstance(text, str) or not text.strip():
        raise ServiceError("ValidationException", "1 validation error detected: Value at 'statement' failed to "
                           "satisfy constraint: Member must have length greater than or equal to 1", 400)
    return Parser(text, parameters).statement()
