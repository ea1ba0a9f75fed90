"""Recursive descent over DynamoDB's expression grammars (developer guide, "Expressions").

Precedence, loosest first: OR, AND, NOT, then the comparisons, BETWEEN, IN and
functions; parentheses group conditions and operands. A syntax error is
reported at once; semantic errors (a reserved word, an undefined #name or
:value, a wrong operand type) are held until the text has parsed, so that a
syntax error anywhere wins as it does in DynamoDB, and of several the one
DynamoDB reports first is kept.
"""
from __future__ import annotations

import base64
from pathlib import Path as _File

from nubis.protocol.errors import ServiceError

from .. import types as dt
from . import nodes
from .lexer import Token, invalid, syntax_error, tokenize

RESERVED = frozenset(
    line.strip().upper()
    for line in (_File(__file__).parent.parent / "reserved_words.txt").read_text().splitlines()
    if line.strip() and not line.startswith("#"))

COMPARATORS = ("=", "<>", "<", "<=", ">", ">=")
CONDITION_FUNCTIONS = {"attribute_exists": 1, "attribute_not_exists": 1, "attribute_type": 2,
                       "begins_with": 2, "contains": 2}
OPERAND_FUNCTIONS = {"size": 1}
UPDATE_FUNCTIONS = {"if_not_exists": 2, "list_append": 2}
FUNCTIONS = {**CONDITION_FUNCTIONS, **OPERAND_FUNCTIONS, **UPDATE_FUNCTIONS}
TYPE_NAMES = ("S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M")
# The long names the ADD and DELETE messages use for a value's type.
LONG_TYPE = {"S": "STRING", "N": "NUMBER", "B": "BINARY", "BOOL": "BOOLEAN", "NULL": "NULL",
             "L": "LIST", "M": "MAP", "SS": "STRING_SET", "NS": "NUMBER_SET", "BS": "BINARY_SET"}
MAX_IN_OPERANDS = 100

# The order in which DynamoDB reports semantic errors when a text has several:
# a function used where it is not allowed, reserved words and unknown functions,
# repeated update sections, undefined placeholders and non-distinct operands (in
# the order met), overlapping then conflicting paths, ADD/DELETE operand types,
# the rest. Redundant parentheses are found before any of these, even before
# syntax errors, so the whole text is checked for them first.
NOT_ALLOWED, WORDS, REPEATED, UNDEFINED, OVERLAP, CONFLICT, ADD_DELETE, OTHER = range(8)
MAX_NESTING = 50               # parentheses, NOT and function calls within each other
MAX_EXPRESSION_BYTES = 4096     # "the maximum length of any expression string is 4 KB"


class Call:
    """A function call as parsed, before it is known whether it is a condition or an operand."""
    __slots__ = ("name", "args", "token")

    def __init__(self, name, args, token):
        self.name, self.args, self.token = name, args, token

    def static_type(self):
        return "N" if self.name == "size" else None


class Parser:
    def __init__(self, kind: str, text: str, scope):
        self.kind = kind
        self.text = text
        self.scope = scope
        if not isinstance(text, str) or not text.strip():
            raise invalid(kind, "The expression can not be empty;")
        size = len(text.encode("utf-8"))
        if size > MAX_EXPRESSION_BYTES:
            raise invalid(kind, f"Expression size has exceeded the maximum allowed size; expression size: {size}")
        self.tokens = tokenize(text)
        if _redundant_parentheses(self.tokens):
            raise invalid(kind, "The expression has redundant parentheses;")
        self.i = 0
        self.pending = None
        self.pending_tier = OTHER
        self.failed_at = 0
        self.depth = 0

    # -- plumbing -----------------------------------------------------------------

    def peek(self) -> Token:
        return self.tokens[self.i]

    def next(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def fail(self):
        self.failed_at = self.i
        raise syntax_error(self.kind, self.text, self.tokens, self.i)

    def expect(self, text: str) -> Token:
        token = self.peek()
        if token.kind == "op" and token.text == text or token.kind == "keyword" and token.text.upper() == text:
            return self.next()
        self.fail()

    def at(self, kind: str, text: str | None = None) -> bool:
        token = self.tokens[self.i]
        if token.kind != kind:
            return False
        return text is None or token.text.upper() == text

    def defer(self, message: str, tier: int = OTHER):
        """Hold a semantic error until the whole text has parsed; of several,
        the first of the lowest tier is reported."""
        if self.pending is None or tier < self.pending_tier:
            self.pending = invalid(self.kind, message)
            self.pending_tier = tier

    def finish(self):
        if self.peek().kind != "eof":
            self.fail()
        if self.pending is not None:
            raise self.pending

    # -- paths and operands -------------------------------------------------------------

    def name_element(self) -> str:
        token = self.peek()
        if token.kind == "ident":
            self.next()
            if token.text.upper() in RESERVED:
                self.defer(f"Attribute name is a reserved keyword; reserved keyword: {token.text}", WORDS)
            return token.text
        if token.kind == "name":
            self.next()
            resolved = self.scope.name(token.text)
            if resolved is None:
                self.defer("An expression attribute name used in the document path is not defined; "
                           f"attribute name: {token.text}", UNDEFINED)
                return token.text
            return resolved
        self.fail()

    def path(self) -> nodes.Path:
        elements = [self.name_element()]
        while True:
            if self.at("op", "."):
                self.next()
                elements.append(self.name_element())
            elif self.at("op", "["):
                self.next()
                if not self.at("number"):
                    self.fail()
                elements.append(int(self.next().text))
                self.expect("]")
            else:
                return nodes.Path(elements)

    def value(self) -> nodes.Value:
        token = self.next()
        value = self.scope.value(token.text)
        if value is None:
            self.defer("An expression attribute value used in expression is not defined; "
                       f"attribute value: {token.text}", UNDEFINED)
        return nodes.Value(token.text, value)

    def nest(self):
        """One level deeper in parentheses, NOT or function arguments; bounded, so that
        a pathological text is a syntax error rather than a recursion overflow."""
        self.depth += 1
        if self.depth > MAX_NESTING:
            self.fail()

    def operand(self):
        """A path, a :value or a function call (``name(`` ...), perhaps in parentheses."""
        token = self.peek()
        if token.kind == "op" and token.text == "(":
            self.nest()
            self.next()
            inner = self.operand()
            self.expect(")")
            self.depth -= 1
            return inner
        if token.kind == "value":
            return self.value()
        if token.kind == "ident" and self.tokens[self.i + 1].text == "(":
            return self.call()
        if token.kind in ("ident", "name"):
            return self.path()
        self.fail()

    def call(self) -> Call:
        token = self.next()
        self.expect("(")
        self.nest()
        args = [self.operand()]
        while self.at("op", ","):
            self.next()
            args.append(self.operand())
        self.expect(")")
        self.depth -= 1
        name = token.text
        if name not in FUNCTIONS:
            self.defer(f"Invalid function name; function: {name}", WORDS)
        elif len(args) != FUNCTIONS[name]:
            self.defer("Incorrect number of operands for operator or function; "
                       f"operator or function: {name}, number of operands: {len(args)}")
        return Call(name, args, token)

    def operand_type_error(self, function: str, t: str):
        self.defer(f"Incorrect operand type for operator or function; operator or function: {function}, "
                   f"operand type: {t}")

    def not_allowed(self, name: str):
        self.defer(f"The function is not allowed to be used this way in an expression; function: {name}",
                   NOT_ALLOWED)

    def distinct(self, operator: str, first, others):
        """The first operand of an operator or function may not be repeated among the others."""
        if isinstance(first, nodes.Path) and any(first == o for o in others):
            self.defer("The first operand must be distinct from the remaining operands for this operator or "
                       f"function; operator: {operator}, first operand: {first.shown()}", UNDEFINED)

    def condition_operand(self, node):
        """An operand of a comparison, BETWEEN, IN or a function: only paths, values and size()."""
        if isinstance(node, Call):
            if node.name not in FUNCTIONS:
                return nodes.Value(node.name, None)
            if node.name != "size":
                self.not_allowed(node.name)
                return nodes.Value(node.name, None)
            if len(node.args) != 1:
                return nodes.Value(node.name, None)
            arg = self.condition_operand(node.args[0])
            t = arg.static_type()
            if t is not None and t not in nodes.SIZED:
                self.operand_type_error("size", t)
            return nodes.Size(arg)
        return node

    # -- conditions -------------------------------------------------------------------

    def condition(self):
        parts = [self.conjunction()]
        while self.at("keyword", "OR"):
            self.next()
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else nodes.Or(*parts)

    def conjunction(self):
        parts = [self.negation()]
        while self.at("keyword", "AND"):
            self.next()
            parts.append(self.negation())
        return parts[0] if len(parts) == 1 else nodes.And(*parts)

    def negation(self):
        if self.at("keyword", "NOT"):
            self.nest()
            self.next()
            inner = self.negation()
            self.depth -= 1
            return nodes.Not(inner)
        return self.primary()

    def primary(self):
        if self.at("op", "("):
            # a condition in parentheses, or a parenthesized operand starting one: try both
            start, pending, tier, depth = self.i, self.pending, self.pending_tier, self.depth
            try:
                self.nest()
                self.next()
                inner = self.condition()
                self.expect(")")
                self.depth -= 1
                return nodes.Paren(inner)
            except ServiceError as as_condition:
                reached = self.failed_at
                self.i, self.pending, self.pending_tier, self.depth = start, pending, tier, depth
                try:
                    return self.comparison(self.operand())
                except ServiceError:
                    if reached >= self.failed_at:
                        raise as_condition from None
                    raise
        return self.comparison(self.operand())

    def comparison(self, first):
        """What follows a condition's first operand: a comparator, BETWEEN, IN, or
        nothing when the operand is a condition function."""
        token = self.peek()
        if isinstance(first, Call) and first.name in CONDITION_FUNCTIONS:
            if token.kind == "op" and token.text in COMPARATORS or token.kind == "keyword" and \
                    token.text.upper() in ("BETWEEN", "IN"):
                self.not_allowed(first.name)
            else:
                return self.function_condition(first)
        if token.kind == "op" and token.text in COMPARATORS:
            self.next()
            left = self.condition_operand(first)
            right = self.condition_operand(self.operand())
            self.distinct(token.text, left, [right])
            return nodes.Compare(token.text, left, right)
        if self.at("keyword", "BETWEEN"):
            self.next()
            subject = self.condition_operand(first)
            low = self.condition_operand(self.operand())
            self.expect("AND")
            high = self.condition_operand(self.operand())
            self.distinct("BETWEEN", subject, [low, high])
            self.check_bounds(low, high)
            return nodes.Between(subject, low, high)
        if self.at("keyword", "IN"):
            self.next()
            self.expect("(")
            options = [self.condition_operand(self.operand())]
            while self.at("op", ","):
                self.next()
                options.append(self.condition_operand(self.operand()))
            self.expect(")")
            self.distinct("IN", self.condition_operand(first), options)
            if len(options) > MAX_IN_OPERANDS:
                self.defer("The IN operator is provided with too many operands; "
                           f"number of operands: {len(options)}")
            return nodes.In(self.condition_operand(first), options)
        if isinstance(first, Call):
            if token.text == ")" and token.kind == "op":
                self.fail()     # "(size(a)) < ..." is an operand in parentheses: the caller tries that
            # size(a) alone, or if_not_exists/list_append outside an update
            if first.name in FUNCTIONS:
                self.not_allowed(first.name)
            return nodes.Always()
        self.fail()

    def check_bounds(self, low, high):
        if isinstance(low, nodes.Value) and isinstance(high, nodes.Value) and low.value and high.value:
            if dt.type_of(low.value) != dt.type_of(high.value):
                self.defer("The BETWEEN operator requires same data type for lower and upper bounds; lower bound "
                           f"operand: AttributeValue: {shown_value(low.value)}, upper bound operand: "
                           f"AttributeValue: {shown_value(high.value)}")
                return
            c = dt.compare(low.value, high.value)
            if c is not None and c > 0 and dt.type_of(low.value) in nodes.ORDERED:
                self.defer("The BETWEEN operator requires upper bound to be greater than or equal to lower "
                           f"bound; lower bound operand: AttributeValue: {shown_value(low.value)}, "
                           f"upper bound operand: AttributeValue: {shown_value(high.value)}")

    def function_condition(self, call: Call):
        name = call.name
        args = [self.condition_operand(a) for a in call.args]
        if len(args) != FUNCTIONS[name]:
            return nodes.Always()
        first = args[0]
        if name != "attribute_exists" and name != "attribute_not_exists":
            self.distinct(name, first, args[1:])
        if name in ("attribute_exists", "attribute_not_exists", "attribute_type"):
            if not isinstance(first, nodes.Path):
                self.defer(f"Operator or function requires a document path; operator or function: {name}")
        if name == "attribute_type":
            second = args[1]
            t = second.static_type()
            if t is not None and t != "S":
                self.operand_type_error(name, t)
            elif isinstance(second, nodes.Value) and second.value and second.value["S"] not in TYPE_NAMES:
                self.defer(f"Invalid attribute type name found; type: {second.value['S']}, "
                           "valid types: {S,SS,N,NS,B,BS,BOOL,NULL,L,M}")
        elif name == "begins_with":
            for arg in args:
                t = arg.static_type()
                if t is not None and t not in ("S", "B"):
                    self.operand_type_error(name, t)
        return nodes.Function(name, args)

    # -- projection -------------------------------------------------------------------

    def paths(self) -> list[nodes.Path]:
        found = [self.path()]
        while self.at("op", ","):
            self.next()
            found.append(self.path())
        return found


def _redundant_parentheses(tokens) -> bool:
    """Whether a pair of parentheses directly wraps another pair, as in ((a)) —
    a function call's own parentheses aside."""
    match: dict[int, int] = {}
    stack: list[int] = []
    for i, token in enumerate(tokens):
        if token.kind != "op":
            continue
        if token.text == "(":
            stack.append(i)
        elif token.text == ")":
            if not stack:
                return False        # unbalanced: the parser reports the syntax error
            match[stack.pop()] = i
    if stack:
        return False
    for i, close in match.items():
        inner = match.get(i + 1)
        if inner is not None and inner + 1 == close and not (i > 0 and tokens[i - 1].kind == "ident"):
            return True
    return False


def shown_value(value: dict) -> str:
    """AWS's rendering of an AttributeValue in messages: ``{N:5}``, ``{S:z}``."""
    t = dt.type_of(value)
    v = value[t]
    if t == "B":
        v = base64.b64encode(v).decode()
    return "{" + f"{t}:{v}" + "}"
