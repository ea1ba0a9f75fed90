"""Intrinsic functions (``States.Format(...)`` and the rest), in JSONPath states.

The call syntax is parsed here into a small tree: a call has a name and
arguments; an argument is a quoted string (``\\'``, ``\\\\``, ``\\{`` and ``\\}`` are
escapes), a number, ``true``/``false``/``null``, a path (``$.x``, ``$$.x``,
``$var``) or another call. Evaluation walks the tree; bad arguments raise
States.IntrinsicFailure as the developer guide says.
"""
from __future__ import annotations

import base64
import hashlib
import json
import math
import random
import uuid
from functools import lru_cache

from . import paths
from .errors import INTRINSIC_FAILURE, RUNTIME, StatesError, to_json


class Call:
    __slots__ = ("name", "args")

    def __init__(self, name, args):
        self.name = name
        self.args = args


class Literal:
    """A quoted string: ``value`` has every escape resolved, ``raw`` keeps ``\\{``/``\\}``
    (States.Format needs to tell an escaped brace from a placeholder)."""
    __slots__ = ("value", "raw")

    def __init__(self, value, raw):
        self.value = value
        self.raw = raw


class PathArg:
    __slots__ = ("text",)

    def __init__(self, text):
        self.text = text


class Const:
    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


def looks_like_call(text) -> bool:
    return isinstance(text, str) and text.startswith("States.")


@lru_cache(maxsize=2048)
def parse(text: str) -> Call:
    """Parse an intrinsic call; ValueError with a reason when it is not one."""
    parser = _Parser(text)
    call = parser.call()
    parser.skip_space()
    if parser.pos != len(text):
        raise ValueError(f"Unexpected characters after the function call at position {parser.pos}")
    return call


# The developer guide allows up to 10 intrinsic functions nested in one field.
MAX_NESTING = 10


class _Parser:
    def __init__(self, text):
        self.text = text
        self.pos = 0
        self.depth = 0

    def skip_space(self):
        while self.pos < len(self.text) and self.text[self.pos] == " ":
            self.pos += 1

    def call(self) -> Call:
        start = self.pos
        while self.pos < len(self.text) and (self.text[self.pos].isalnum() or self.text[self.pos] == "."):
            self.pos += 1
        name = self.text[start:self.pos]
        if name not in FUNCTIONS:
            raise ValueError(f"The intrinsic function '{name}' is not supported")
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise ValueError(f"More than {MAX_NESTING} intrinsic functions are nested")
        if self.pos >= len(self.text) or self.text[self.pos] != "(":
            raise ValueError(f"Expected '(' after {name}")
        self.pos += 1
        args = []
        self.skip_space()
        if self.pos < len(self.text) and self.text[self.pos] == ")":
            self.pos += 1
            self.depth -= 1
            return Call(name, args)
        while True:
            self.skip_space()
            args.append(self.argument())
            self.skip_space()
            if self.pos >= len(self.text):
                raise ValueError(f"Missing ')' to close {name}(")
            ch = self.text[self.pos]
            self.pos += 1
            if ch == ")":
                self.depth -= 1
                return Call(name, args)
            if ch != ",":
                raise ValueError(f"Expected ',' or ')' at position {self.pos - 1}")

    def argument(self):
        text, pos = self.text, self.pos
        if pos >= len(text):
            raise ValueError("Missing argument")
        ch = text[pos]
        if ch == "'":
            return self.string()
        if ch == "$":
            return self.path()
        if text.startswith("States.", pos):
            return self.call()
        end = pos
        while end < len(text) and text[end] not in ",) ":
            end += 1
        word = text[pos:end]
        self.pos = end
        if word in ("true", "false"):
            return Const(word == "true")
        if word == "null":
            return Const(None)
        try:
            number = json.loads(word)
        except ValueError:
            raise ValueError(f"The argument '{word}' is not a string, number, boolean, null, path or function call") from None
        if not isinstance(number, (int, float)) or isinstance(number, bool):
            raise ValueError(f"The argument '{word}' is not valid")
        return Const(number)

    def string(self):
        text = self.text
        self.pos += 1
        value, raw = [], []
        while self.pos < len(text):
            ch = text[self.pos]
            if ch == "\\" and self.pos + 1 < len(text):
                nxt = text[self.pos + 1]
                value.append(nxt)
                raw.append("\\" + nxt if nxt in "{}\\" else nxt)
                self.pos += 2
                continue
            if ch == "'":
                self.pos += 1
                return Literal("".join(value), "".join(raw))
            value.append(ch)
            raw.append(ch)
            self.pos += 1
        raise ValueError("Unterminated string literal")

    def path(self):
        text, start = self.text, self.pos
        depth, quote = 0, None
        while self.pos < len(text):
            ch = text[self.pos]
            if quote:
                if ch == "\\":
                    self.pos += 1
                elif ch == quote:
                    quote = None
            elif ch in "'\"" and depth:
                quote = ch
            elif ch in "[(":
                depth += 1
            elif ch in "])":
                if depth == 0:
                    break
                depth -= 1
            elif ch == "," and depth == 0:
                break
            self.pos += 1
        word = text[start:self.pos].rstrip()
        if not paths.is_path(word):
            raise ValueError(f"The path '{word}' is invalid")
        return PathArg(word)


def evaluate(text: str, data, context=None, variables=None):
    try:
        call = parse(text)
    except ValueError as exc:
        raise StatesError(INTRINSIC_FAILURE, f"Invalid intrinsic function call '{text}': {exc}") from None
    return _eval(call, data, context, variables)


def _eval(node, data, context, variables):
    if isinstance(node, Call):
        args = [_arg(a, data, context, variables) for a in node.args]
        fn = FUNCTIONS[node.name]
        if node.name == "States.Format" and node.args and isinstance(node.args[0], Literal):
            args[0] = node.args[0]  # keep the escapes of the template
        return fn(*args)
    return _arg(node, data, context, variables)


def _arg(node, data, context, variables):
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Const):
        return node.value
    if isinstance(node, PathArg):
        return paths.select(node.text, data, context, variables)
    return _eval(node, data, context, variables)


def _fail(name, message):
    raise StatesError(INTRINSIC_FAILURE, f"Invalid arguments in {name}: {message}")


def _is_int(value) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _count(name, args, low, high=None):
    high = low if high is None else high
    if not low <= len(args) <= high:
        want = str(low) if low == high else f"{low} to {high}"
        _fail(name, f"the function takes {want} arguments, {len(args)} were given")


# ---- the functions -------------------------------------------------------

def _format(*args):
    _count("States.Format", args, 1, 10_000)
    template, values = args[0], args[1:]
    raw = template.raw if isinstance(template, Literal) else template
    if not isinstance(raw, str):
        _fail("States.Format", "the first argument must be a string")
    out, i, n = [], 0, 0
    while i < len(raw):
        ch = raw[i]
        if ch == "\\" and i + 1 < len(raw) and raw[i + 1] in "{}\\":
            out.append(raw[i + 1])
            i += 2
            continue
        if raw.startswith("{}", i):
            if n >= len(values):
                _fail("States.Format", "the number of arguments does not match the number of '{}' in the template")
            value = values[n]
            if isinstance(value, (dict, list)):
                _fail("States.Format", "an argument to be formatted is not a string, number, boolean or null")
            out.append(value if isinstance(value, str) else to_json(value))
            n += 1
            i += 2
            continue
        out.append(ch)
        i += 1
    if n != len(values):
        _fail("States.Format", "the number of arguments does not match the number of '{}' in the template")
    return "".join(out)


def _string_to_json(*args):
    _count("States.StringToJson", args, 1)
    if not isinstance(args[0], str):
        _fail("States.StringToJson", "the argument must be a string")
    try:
        return json.loads(args[0])
    except ValueError:
        _fail("States.StringToJson", f"'{args[0]}' is not valid JSON")


def _json_to_string(*args):
    _count("States.JsonToString", args, 1)
    return to_json(args[0])


def _array(*args):
    return list(args)


def _array_partition(*args):
    _count("States.ArrayPartition", args, 2)
    array, size = args
    if not isinstance(array, list):
        _fail("States.ArrayPartition", "the first argument must be an array")
    if not _is_int(size) or size <= 0:
        _fail("States.ArrayPartition", "the chunk size must be a positive integer")
    size = int(size)
    return [array[i:i + size] for i in range(0, len(array), size)]


def _array_contains(*args):
    _count("States.ArrayContains", args, 2)
    if not isinstance(args[0], list):
        _fail("States.ArrayContains", "the first argument must be an array")
    return any(_same(item, args[1]) for item in args[0])


def _same(a, b) -> bool:
    # JSON equality: 1 == 1.0, but true is not 1.
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


def _array_range(*args):
    _count("States.ArrayRange", args, 3)
    start, end, step = args
    if not all(_is_int(v) for v in args):
        _fail("States.ArrayRange", "the arguments must be integers")
    start, end, step = int(start), int(end), int(step)
    if step == 0:
        _fail("States.ArrayRange", "the step must not be 0")
    result = list(range(start, end + (1 if step > 0 else -1), step))
    if len(result) > 1000:
        _fail("States.ArrayRange", "the array would have more than 1000 items")
    return result


def _array_get_item(*args):
    _count("States.ArrayGetItem", args, 2)
    array, index = args
    if not isinstance(array, list):
        _fail("States.ArrayGetItem", "the first argument must be an array")
    if not _is_int(index) or index < 0:
        _fail("States.ArrayGetItem", "the index must be a non-negative integer")
    if int(index) >= len(array):
        _fail("States.ArrayGetItem", f"the index {int(index)} is out of bounds for an array of length {len(array)}")
    return array[int(index)]


def _array_length(*args):
    _count("States.ArrayLength", args, 1)
    if not isinstance(args[0], list):
        _fail("States.ArrayLength", "the argument must be an array")
    return len(args[0])


def _array_unique(*args):
    _count("States.ArrayUnique", args, 1)
    if not isinstance(args[0], list):
        _fail("States.ArrayUnique", "the argument must be an array")
    seen, out = set(), []
    for item in args[0]:
        key = json.dumps(item, sort_keys=True)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _limited_string(name, value, limit=10_000):
    if not isinstance(value, str):
        _fail(name, "the argument must be a string")
    if len(value) > limit:
        _fail(name, f"the string is longer than {limit} characters")
    return value


def _base64_encode(*args):
    _count("States.Base64Encode", args, 1)
    value = _limited_string("States.Base64Encode", args[0])
    return base64.b64encode(value.encode()).decode()


def _base64_decode(*args):
    _count("States.Base64Decode", args, 1)
    value = _limited_string("States.Base64Decode", args[0])
    try:
        return base64.b64decode(value, validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        _fail("States.Base64Decode", "the argument is not valid base64")


_HASHES = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}


def _hash(*args):
    _count("States.Hash", args, 2)
    data, algorithm = args
    if data is None:
        _fail("States.Hash", "the data to hash must not be null")
    if not isinstance(data, str):
        data = to_json(data)
    _limited_string("States.Hash", data)
    if algorithm not in _HASHES:
        _fail("States.Hash", f"the algorithm '{algorithm}' is not one of {', '.join(_HASHES)}")
    return hashlib.new(_HASHES[algorithm], data.encode()).hexdigest()


def _json_merge(*args):
    _count("States.JsonMerge", args, 3)
    left, right, deep = args
    if not isinstance(left, dict) or not isinstance(right, dict):
        _fail("States.JsonMerge", "the first two arguments must be JSON objects")
    if deep is not False:
        _fail("States.JsonMerge", "only a shallow merge is supported: the third argument must be false")
    return {**left, **right}


def _math_random(*args):
    _count("States.MathRandom", args, 2, 3)
    if not all(_is_int(v) for v in args):
        _fail("States.MathRandom", "the arguments must be integers")
    start, end = int(args[0]), int(args[1])
    if start >= end:
        _fail("States.MathRandom", "the start must be less than the end")
    rng = random.Random(int(args[2])) if len(args) == 3 else random
    return rng.randrange(start, end)


_INT_MIN, _INT_MAX = -2**31, 2**31 - 1


def _math_add(*args):
    _count("States.MathAdd", args, 2)
    if not all(_is_int(v) and _INT_MIN <= v <= _INT_MAX for v in args):
        _fail("States.MathAdd", "the arguments must be integers between -2147483648 and 2147483647")
    return int(args[0]) + int(args[1])


def _string_split(*args):
    _count("States.StringSplit", args, 2)
    text, delimiters = args
    if not isinstance(text, str) or not isinstance(delimiters, str):
        _fail("States.StringSplit", "the arguments must be strings")
    if not delimiters:
        return [text] if text else []
    # Every character of the second argument delimits; empty pieces are dropped.
    parts, current = [], []
    for ch in text:
        if ch in delimiters:
            if current:
                parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    if current:
        parts.append("".join(current))
    return parts


def _uuid(*args):
    _count("States.UUID", args, 0)
    return str(uuid.uuid4())


FUNCTIONS = {
    "States.Format": _format,
    "States.StringToJson": _string_to_json,
    "States.JsonToString": _json_to_string,
    "States.Array": _array,
    "States.ArrayPartition": _array_partition,
    "States.ArrayContains": _array_contains,
    "States.ArrayRange": _array_range,
    "States.ArrayGetItem": _array_get_item,
    "States.ArrayLength": _array_length,
    "States.ArrayUnique": _array_unique,
    "States.Base64Encode": _base64_encode,
    "States.Base64Decode": _base64_decode,
    "States.Hash": _hash,
    "States.JsonMerge": _json_merge,
    "States.MathRandom": _math_random,
    "States.MathAdd": _math_add,
    "States.StringSplit": _string_split,
    "States.UUID": _uuid,
}
