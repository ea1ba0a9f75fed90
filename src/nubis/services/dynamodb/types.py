"""DynamoDB's attribute values: validation, canonical numbers, key order, equality, sizes.

Values are DynamoDB JSON as the JSON protocol layer hands them over:
``{"S": "x"}``, ``{"N": "1.5"}``, ``{"B": b"..."}`` (already decoded bytes),
``{"SS": [...]}``, ``{"NS": [...]}``, ``{"BS": [...]}``, ``{"M": {...}}``,
``{"L": [...]}``, ``{"NULL": True}``, ``{"BOOL": True}``.
"""
from __future__ import annotations

import base64
import decimal
import math
import re

from nubis.protocol.errors import ServiceError

TYPES = ("S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL")
SCALAR_KEY_TYPES = ("S", "N", "B")

# DynamoDB numbers: up to 38 significant digits, magnitude 1E-130 .. 9.99..E+125.
MAX_DIGITS = 38
MAX_EXPONENT = 125      # adjusted exponent (position of the leading digit)
MIN_EXPONENT = -130
MAX_DEPTH = 32          # nesting levels of M and L

# Exact arithmetic for ADD and SET a + b: enough precision that a result is
# never rounded before its significant digits are checked against 38.
_EXACT = decimal.Context(prec=400, Emax=999999, Emin=-999999, traps=[decimal.InvalidOperation])

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\Z")
_PARAM = "One or more parameter values were invalid: "
_EMPTY_SET = {
    "SS": _PARAM + "An string set  may not be empty",
    "NS": _PARAM + "An number set  may not be empty",
    "BS": _PARAM + "Binary sets should not be empty",
}


def invalid(message: str) -> ServiceError:
    return ServiceError("ValidationException", message, 400)


# -- numbers ------------------------------------------------------------------

def parse_number(text) -> decimal.Decimal:
    """A number string as DynamoDB accepts it, checked for digits and range."""
    if not isinstance(text, str) or not _NUMBER.match(text):
        shown = f": {text}" if isinstance(text, str) and text else ""
        raise invalid(f"The parameter cannot be converted to a numeric value{shown}")
    d = decimal.Decimal(text)
    sign, digits, exponent = d.as_tuple()
    significant = "".join(map(str, digits)).strip("0")
    if not significant:
        return decimal.Decimal(0)
    if len(significant) > MAX_DIGITS:
        raise invalid("Attempting to store more than 38 significant digits in a Number")
    adjusted = d.adjusted()
    if adjusted > MAX_EXPONENT:
        raise invalid("Number overflow. Attempting to store a number with magnitude larger than supported range")
    if adjusted < MIN_EXPONENT:
        raise invalid("Number underflow. Attempting to store a number with magnitude smaller than supported range")
    return d


def format_number(d: decimal.Decimal) -> str:
    """The canonical text DynamoDB returns: plain notation, no trailing zeros, no -0."""
    if not d:
        return "0"
    sign, digits, exponent = d.as_tuple()
    text = "".join(map(str, digits)).rstrip("0")
    # the exponent of the last kept digit
    exponent += len(digits) - len(text)
    if exponent >= 0:
        text = text + "0" * exponent
    else:
        point = len(text) + exponent
        text = ("0." + "0" * -point + text) if point <= 0 else (text[:point] + "." + text[point:])
    return "-" + text if sign else text


def normalize_number(text) -> str:
    """``1.50`` -> ``1.5``, ``1e2`` -> ``100``, ``-0`` -> ``0`` (after validating it)."""
    return format_number(parse_number(text))


def number_result(d: decimal.Decimal) -> dict:
    """An arithmetic result as an N value, refused like an input when out of range."""
    return {"N": normalize_number(format(d, "f") if d.is_finite() else "x")}


def add_numbers(a: str, b: str, subtract: bool = False) -> dict:
    x, y = decimal.Decimal(a), decimal.Decimal(b)
    return number_result(_EXACT.subtract(x, y) if subtract else _EXACT.add(x, y))


# -- validation ---------------------------------------------------------------

def type_of(value: dict) -> str:
    """The one type tag of a value already validated."""
    for t, v in value.items():
        if v is not None:
            return t
    raise invalid("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")


def validate_value(value, depth: int = 0) -> None:
    """Raise DynamoDB's ValidationException for a malformed attribute value."""
    if not isinstance(value, dict):
        raise invalid("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
    present = [t for t, v in value.items() if v is not None]
    if not present:
        raise invalid("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
    if len(present) > 1:
        raise invalid("Supplied AttributeValue has more than one datatypes set, "
                      "must contain exactly one of the supported datatypes")
    t = present[0]
    v = value[t]
    if depth > MAX_DEPTH:
        raise invalid("Nesting Levels have exceeded supported limits")
    if t == "S":
        if not isinstance(v, str):
            raise invalid("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
    elif t == "N":
        parse_number(v)
    elif t == "B":
        if not isinstance(v, (bytes, bytearray)):
            raise invalid("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
    elif t == "NULL":
        if v is not True:
            raise invalid(_PARAM + "Null attribute value types must have the value of true")
    elif t == "BOOL":
        if not isinstance(v, bool):
            raise invalid("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
    elif t in ("SS", "NS", "BS"):
        if not isinstance(v, list) or not v:
            raise invalid(_EMPTY_SET[t])
        if t == "NS":
            seen = {parse_number(n).normalize(_EXACT) for n in v}
        else:
            element = str if t == "SS" else (bytes, bytearray)
            if not all(isinstance(e, element) for e in v):
                raise invalid("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
            seen = {bytes(e) if t == "BS" else e for e in v}
        if len(seen) != len(v):
            # DynamoDB words each kind of set differently
            if t == "NS":
                raise invalid("Input collection contains duplicates")
            if t == "BS":
                shown = ", ".join(base64.b64encode(e).decode() for e in v)
                raise invalid(_PARAM + f"Input collection [{shown}]of type BS contains duplicates.")
            raise invalid(_PARAM + f"Input collection [{', '.join(v)}] contains duplicates.")
    elif t == "M":
        if not isinstance(v, dict):
            raise invalid("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
        for element in v.values():
            validate_value(element, depth + 1)
    elif t == "L":
        if not isinstance(v, list):
            raise invalid("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
        for element in v:
            validate_value(element, depth + 1)
    else:
        raise invalid("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")


def nesting(value: dict) -> int:
    """How many M/L levels lie below a value (0 for a scalar or a set)."""
    deepest, level, frontier = 0, 0, [value]
    while frontier:
        below = []
        for v in frontier:
            if "M" in v:
                below.extend(v["M"].values())
            elif "L" in v:
                below.extend(v["L"])
        if below:
            level += 1
            deepest = level
        frontier = below
    return deepest


def validate_item(item, *, where: str = "Item") -> None:
    """Every attribute of an item (or key, or ExpressionAttributeValues) is a valid value."""
    for value in item.values():
        validate_value(value)


def canonical(value: dict) -> dict:
    """The value as DynamoDB stores and returns it: numbers in canonical form, bytes as bytes."""
    t = type_of(value)
    v = value[t]
    if t == "N":
        return {"N": normalize_number(v)}
    if t == "NS":
        return {"NS": [normalize_number(n) for n in v]}
    if t == "M":
        return {"M": {k: canonical(e) for k, e in v.items()}}
    if t == "L":
        return {"L": [canonical(e) for e in v]}
    if t == "B":
        return {"B": bytes(v)}
    if t == "BS":
        return {"BS": [bytes(e) for e in v]}
    return {t: v}


def canonical_item(item: dict) -> dict:
    return {name: canonical(value) for name, value in item.items()}


def checked_item(item: dict) -> tuple[dict, int]:
    """validate_item, canonical_item and item_size in one walk: (the canonical item, its size).

    Strings and numbers written as plain digits (most attributes) are done
    here; any other value goes the three functions' way."""
    out = {}
    size = 0
    for name, value in item.items():
        if value.__class__ is dict and len(value) == 1:
            # (a lookup per type asked is cheaper than unpacking the one pair)
            v = value.get("S")
            if v.__class__ is str:
                out[name] = value
                size += (len(name) if name.isascii() else len(name.encode("utf-8"))) + (
                    len(v) if v.isascii() else len(v.encode("utf-8")))
                continue
            v = value.get("N")
            if v.__class__ is str and v.isdigit() and v.isascii():
                digits = v.lstrip("0")
                significant = digits.rstrip("0")
                if len(significant) > MAX_DIGITS:
                    raise invalid("Attempting to store more than 38 significant digits in a Number")
                if len(digits) - 1 > MAX_EXPONENT:
                    raise invalid("Number overflow. Attempting to store a number with magnitude larger than "
                                  "supported range")
                out[name] = value if digits == v else {"N": digits or "0"}
                size += (len(name) if name.isascii() else len(name.encode("utf-8"))) + (len(significant) + 1) // 2 + 1
                continue
        validate_value(value)
        out[name] = canonical(value)
        size += len(name.encode("utf-8")) + value_size(value)
    return out, size


# -- keys ---------------------------------------------------------------------

_KEY_MISMATCH = "The provided key element does not match the schema"
MAX_HASH_KEY = 2048
MAX_RANGE_KEY = 1024


def validate_key(item_or_key: dict, key_schema: list[dict], attribute_definitions: list[dict] | dict,
                 *, exact: bool = False) -> None:
    """The key attributes of an item (PutItem) or a key (GetItem/DeleteItem, ``exact``).

    ``attribute_definitions``: the table's list, or its names already mapped to their types."""
    types = attribute_definitions if attribute_definitions.__class__ is dict else {
        d["AttributeName"]: d["AttributeType"] for d in attribute_definitions}
    if exact and len(item_or_key) != len(key_schema):
        raise invalid(_KEY_MISMATCH)
    for element in key_schema:
        name = element["AttributeName"]
        value = item_or_key.get(name)
        if value is None:
            raise invalid(_KEY_MISMATCH if exact else _PARAM + f"Missing the key {name} in the item")
        actual = type_of(value)
        expected = types.get(name)
        if actual != expected:
            raise invalid(_KEY_MISMATCH if exact else
                          _PARAM + f"Type mismatch for key {name} expected: {expected} actual: {actual}")
        v = value[actual]
        if actual in ("S", "B") and len(v) == 0:
            kind = "string" if actual == "S" else "binary"
            raise invalid("One or more parameter values are not valid. The AttributeValue for a key attribute "
                          f"cannot contain an empty {kind} value. Key: {name}")
        size = len(v.encode("utf-8")) if actual == "S" else len(v) if actual == "B" else 0
        if element["KeyType"] == "HASH" and size > MAX_HASH_KEY:
            raise invalid(_PARAM + "Size of hashkey has exceeded the maximum size limit of2048 bytes")
        if element["KeyType"] == "RANGE" and size > MAX_RANGE_KEY:
            raise invalid(_PARAM + "Aggregated size of all range keys has exceeded the size limit of 1024 bytes")


def key_bytes(value: dict) -> bytes:
    """An S, N or B key value as bytes whose memcmp order is DynamoDB's order.

    S sorts by UTF-8 bytes and B by unsigned bytes, so both are themselves.
    N: a sign byte (negative < zero < positive), then for positives the
    adjusted exponent (-130..125 -> 0..255) and one byte per significant digit
    (1..10, trailing zeros stripped, so a shorter prefix is the smaller number);
    negatives invert the exponent and digits and end with 0xFF, so that of two
    with a common prefix the longer (larger magnitude) sorts first.
    """
    t = type_of(value)
    v = value[t]
    if t == "S":
        return v.encode("utf-8")
    if t == "B":
        return bytes(v)
    if t != "N":
        raise ValueError(f"not a key type: {t}")
    if v.__class__ is str and v.isdigit() and v.isascii():
        return natural_key(v)
    d = parse_number(v)
    if not d:
        return b"\x02"
    sign, digits, _ = d.as_tuple()
    text = "".join(map(str, digits)).strip("0")
    exponent = d.adjusted() - MIN_EXPONENT
    if not sign:
        return bytes([0x03, exponent]) + bytes(int(c) + 1 for c in text)
    return bytes([0x01, 255 - exponent]) + bytes(10 - int(c) for c in text) + b"\xff"


# Digit characters to their key bytes (1..10).
DIGIT_BYTES = bytes.maketrans(b"0123456789", bytes(range(1, 11)))


def natural_key(text: str) -> bytes:
    """key_bytes of a number written as plain digits (the common key), without
    Decimal: the same bytes and the same errors as parse_number's way."""
    digits = text.lstrip("0")
    if not digits:
        return b"\x02"
    significant = digits.rstrip("0")
    if len(significant) > MAX_DIGITS:
        raise invalid("Attempting to store more than 38 significant digits in a Number")
    adjusted = len(digits) - 1
    if adjusted > MAX_EXPONENT:
        raise invalid("Number overflow. Attempting to store a number with magnitude larger than supported range")
    return bytes((0x03, adjusted - MIN_EXPONENT)) + significant.encode("ascii").translate(DIGIT_BYTES)


# -- comparison ---------------------------------------------------------------

def _number(text: str) -> decimal.Decimal:
    return decimal.Decimal(text)


def equals(a: dict | None, b: dict | None) -> bool:
    """DynamoDB equality: same type and value; numbers by value, sets unordered."""
    if a is None or b is None:
        return False
    ta, tb = type_of(a), type_of(b)
    if ta != tb:
        return False
    x, y = a[ta], b[tb]
    if ta == "N":
        return _number(x) == _number(y)
    if ta == "NS":
        return {_number(n) for n in x} == {_number(n) for n in y}
    if ta in ("SS", "BS"):
        return {bytes(e) if ta == "BS" else e for e in x} == {bytes(e) if ta == "BS" else e for e in y}
    if ta == "B":
        return bytes(x) == bytes(y)
    if ta == "L":
        return len(x) == len(y) and all(equals(p, q) for p, q in zip(x, y))
    if ta == "M":
        return x.keys() == y.keys() and all(equals(x[k], y[k]) for k in x)
    return x == y


def compare(a: dict | None, b: dict | None) -> int | None:
    """-1, 0 or 1 for two S, N or B values of the same type; None when they are not comparable.

    Other types of the same kind compare only for equality: 0 when equal, else None.
    """
    if a is None or b is None:
        return None
    ta, tb = type_of(a), type_of(b)
    if ta != tb:
        return None
    x, y = a[ta], b[tb]
    if ta == "N":
        x, y = _number(x), _number(y)
    elif ta == "S":
        x, y = x.encode("utf-8"), y.encode("utf-8")
    elif ta == "B":
        x, y = bytes(x), bytes(y)
    else:
        return 0 if equals(a, b) else None
    return (x > y) - (x < y)


# -- sizes and capacity -------------------------------------------------------

def _number_size(text: str) -> int:
    d = decimal.Decimal(text)
    significant = "".join(map(str, d.as_tuple().digits)).strip("0")
    return (len(significant) + 1) // 2 + 1


def value_size(value: dict) -> int:
    """Bytes a value counts for, per the developer guide's "Item sizes and formats"."""
    t = type_of(value)
    v = value[t]
    if t == "S":
        return len(v.encode("utf-8"))
    if t == "N":
        return _number_size(v)
    if t == "B":
        return len(v)
    if t in ("BOOL", "NULL"):
        return 1
    if t == "SS":
        return sum(len(e.encode("utf-8")) for e in v)
    if t == "NS":
        return sum(_number_size(e) for e in v)
    if t == "BS":
        return sum(len(e) for e in v)
    if t == "L":
        return 3 + sum(value_size(e) + 1 for e in v)
    # M: each entry is its name and its value, plus a byte
    return 3 + sum(len(k.encode("utf-8")) + value_size(e) + 1 for k, e in v.items())


def item_size(item: dict) -> int:
    return sum(len(name.encode("utf-8")) + value_size(value) for name, value in item.items())


MAX_ITEM_SIZE = 400 * 1024


def write_units(size: int) -> float:
    """One write unit per 1 KB, rounded up (at least one)."""
    return float(max(1, math.ceil(size / 1024)))


def read_units(size: int, consistent: bool = True) -> float:
    """One read unit per 4 KB rounded up for a strongly consistent read, half that otherwise."""
    units = max(1, math.ceil(size / 4096))
    return float(units) if consistent else units / 2


def capacity(size: int, kind: str) -> float:
    """Units for one item of ``size`` bytes: kind is ``write``, ``read``,
    ``read_eventual``, ``transact_write`` or ``transact_read`` (transactions cost double)."""
    if kind == "write":
        return write_units(size)
    if kind == "read":
        return read_units(size, True)
    if kind == "read_eventual":
        return read_units(size, False)
    if kind == "transact_write":
        return 2 * write_units(size)
    if kind == "transact_read":
        return 2 * read_units(size, True)
    raise ValueError(f"unknown capacity kind: {kind}")
