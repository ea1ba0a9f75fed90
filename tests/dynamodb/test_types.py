"""DynamoDB attribute values, tested on the module directly: validation messages,
canonical numbers, the order of encoded keys, equality, sizes and capacity."""
from __future__ import annotations

import decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nubis.protocol.errors import ServiceError
from nubis.services.dynamodb import types as dt

PARAM = "One or more parameter values were invalid: "


def message(call, *args, **kwargs) -> str:
    with pytest.raises(ServiceError) as info:
        call(*args, **kwargs)
    assert info.value.code == "ValidationException"
    assert info.value.status == 400
    return info.value.message


# -- validation -------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    ({}, "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"),
    ({"S": "a", "N": "1"}, "Supplied AttributeValue has more than one datatypes set, "
                           "must contain exactly one of the supported datatypes"),
    ({"SS": []}, PARAM + "An string set  may not be empty"),
    ({"NS": []}, PARAM + "An number set  may not be empty"),
    ({"BS": []}, PARAM + "Binary sets should not be empty"),
    ({"SS": ["a", "b", "a"]}, PARAM + "Input collection [a, b, a] contains duplicates."),
    ({"NS": ["1", "1.0"]}, "Input collection contains duplicates"),       # numbers by value
    ({"BS": [b"b", b"b"]}, PARAM + "Input collection [Yg==, Yg==]of type BS contains duplicates."),
    ({"NULL": False}, PARAM + "Null attribute value types must have the value of true"),
    ({"N": "abc"}, "The parameter cannot be converted to a numeric value: abc"),
    ({"N": ""}, "The parameter cannot be converted to a numeric value"),
    ({"N": "Infinity"}, "The parameter cannot be converted to a numeric value: Infinity"),
    ({"N": "NaN"}, "The parameter cannot be converted to a numeric value: NaN"),
    ({"N": " 1"}, "The parameter cannot be converted to a numeric value:  1"),
    ({"NS": ["1", "b"]}, "The parameter cannot be converted to a numeric value: b"),
    ({"N": "1" * 39}, "Attempting to store more than 38 significant digits in a Number"),
    ({"N": "1E+126"}, "Number overflow. Attempting to store a number with magnitude larger than supported range"),
    ({"N": "1E-131"}, "Number underflow. Attempting to store a number with magnitude smaller than supported range"),
    ({"M": {"a": {"L": [{"SS": []}]}}}, PARAM + "An string set  may not be empty"),
])
def test_invalid_values_get_aws_messages(value, expected):
    assert message(dt.validate_value, value) == expected


@pytest.mark.parametrize("value", [
    {"S": ""}, {"N": "0"}, {"N": "-0.000"}, {"N": "9.9999999999999999999999999999999999999E+125"},
    {"N": "1E-130"}, {"N": "-1E-130"}, {"N": "1" * 38}, {"N": "1" + "0" * 100},
    {"N": "0.00000000000000000000000000000000000000000000000001"},
    {"B": b""}, {"BS": [b"a", b"b"]}, {"BOOL": False}, {"NULL": True},
    {"L": []}, {"M": {}}, {"NS": ["1", "2"]},
])
def test_valid_values_pass(value):
    dt.validate_value(value)


def test_nesting_limit():
    deep = {"N": "1"}
    for _ in range(32):
        deep = {"M": {"k": deep}}
    dt.validate_value(deep)
    assert dt.nesting(deep) == 32
    assert message(dt.validate_value, {"L": [deep]}) == "Nesting Levels have exceeded supported limits"


def test_validate_item_checks_every_attribute():
    dt.validate_item({"a": {"S": "x"}, "b": {"N": "1"}})
    assert message(dt.validate_item, {"a": {"S": "x"}, "b": {"NS": []}}) == PARAM + "An number set  may not be empty"


# -- keys -------------------------------------------------------------------------

SCHEMA = [{"AttributeName": "id", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
DEFS = [{"AttributeName": "id", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}]


@pytest.mark.parametrize("item, exact, expected", [
    ({"sk": {"N": "1"}}, False, PARAM + "Missing the key id in the item"),
    ({"id": {"N": "1"}, "sk": {"N": "1"}}, False, PARAM + "Type mismatch for key id expected: S actual: N"),
    ({"id": {"S": ""}, "sk": {"N": "1"}}, False,
     "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an "
     "empty string value. Key: id"),
    ({"id": {"S": "a"}}, True, "The provided key element does not match the schema"),
    ({"id": {"S": "a"}, "sk": {"S": "1"}}, True, "The provided key element does not match the schema"),
    ({"id": {"S": "a"}, "sk": {"N": "1"}, "x": {"S": "b"}}, True,
     "The provided key element does not match the schema"),
    ({"id": {"S": "a" * 2049}, "sk": {"N": "1"}}, False,
     PARAM + "Size of hashkey has exceeded the maximum size limit of2048 bytes"),     # sic
])
def test_key_errors(item, exact, expected):
    assert message(dt.validate_key, item, SCHEMA, DEFS, exact=exact) == expected


def test_a_whole_item_is_a_valid_key_source():
    dt.validate_key({"id": {"S": "a"}, "sk": {"N": "1"}, "x": {"S": "b"}}, SCHEMA, DEFS)
    dt.validate_key({"id": {"S": "a"}, "sk": {"N": "1"}}, SCHEMA, DEFS, exact=True)


def test_empty_binary_key():
    schema = [{"AttributeName": "id", "KeyType": "HASH"}]
    defs = [{"AttributeName": "id", "AttributeType": "B"}]
    assert message(dt.validate_key, {"id": {"B": b""}}, schema, defs).endswith(
        "cannot contain an empty binary value. Key: id")


# -- numbers ----------------------------------------------------------------------

@pytest.mark.parametrize("text, canonical", [
    ("1.50", "1.5"), ("1e2", "100"), ("-0", "0"), ("0.0", "0"), ("+7", "7"), ("007", "7"),
    ("1E-3", "0.001"), ("-12.3400", "-12.34"), ("123.456e1", "1234.56"), (".5", "0.5"), ("5.", "5"),
    ("1E+5", "100000"),
])
def test_normalize_number(text, canonical):
    assert dt.normalize_number(text) == canonical


DIGITS = st.integers(min_value=1, max_value=10 ** 38 - 1)
EXPONENTS = st.integers(min_value=-130, max_value=125)


@st.composite
def numbers(draw) -> decimal.Decimal:
    """Any DynamoDB number: up to 38 significant digits, magnitude within range."""
    if draw(st.integers(0, 20)) == 0:
        return decimal.Decimal(0)
    coefficient = draw(DIGITS)
    adjusted = draw(EXPONENTS)
    digits = tuple(int(c) for c in str(coefficient))
    # built from its parts: arithmetic would round to the default context's 28 digits
    return decimal.Decimal((int(draw(st.booleans())), digits, adjusted - (len(digits) - 1)))


def text_of(d: decimal.Decimal, style: int) -> str:
    return [str(d), format(d, "f"), format(d, "E"), format(d, "e")][style]


@settings(max_examples=400)
@given(numbers(), st.integers(0, 3))
def test_normalization_keeps_the_value_and_is_idempotent(d, style):
    canonical = dt.normalize_number(text_of(d, style))
    assert decimal.Decimal(canonical) == d
    assert dt.normalize_number(canonical) == canonical
    assert "E" not in canonical and "e" not in canonical
    if "." in canonical:
        assert not canonical.endswith("0")
    assert canonical != "-0"


@settings(max_examples=600)
@given(numbers(), numbers())
def test_number_key_bytes_sort_like_the_numbers(a, b):
    x = dt.key_bytes({"N": text_of(a, 0)})
    y = dt.key_bytes({"N": text_of(b, 1)})
    assert (x < y) == (a < b)
    assert (x == y) == (a == b)


@given(st.lists(numbers(), min_size=2, max_size=30))
def test_sorting_by_key_bytes_is_sorting_by_value(values):
    by_bytes = sorted(values, key=lambda d: dt.key_bytes({"N": str(d)}))
    assert by_bytes == sorted(values)


@settings(max_examples=600)
@given(st.integers(min_value=0, max_value=10 ** 130), st.integers(0, 3), st.integers(0, 3))
def test_digit_keys_encode_as_their_decimal_form(n, leading, trailing):
    # Plain digit strings take a shorter way to their key bytes: the same bytes and errors.
    digits = "0" * leading + str(n) + "0" * trailing
    decimal_form = digits + "E0"  # the same value, not plain digits

    def outcome(text):
        try:
            return dt.key_bytes({"N": text})
        except ServiceError as e:
            return e.message
    assert outcome(digits) == outcome(decimal_form)


_ATTRIBUTE_VALUES = st.one_of(
    st.builds(lambda s: {"S": s}, st.text(max_size=5)),
    st.builds(lambda n: {"N": n}, st.from_regex(r"[0-9]{0,45}", fullmatch=True)),
    st.builds(lambda n: {"N": n}, st.sampled_from(["-1", "1.50", "1e2", "x", "", "0" * 40 + "1", "1" + "0" * 130])),
    st.builds(lambda b: {"BOOL": b}, st.booleans()),
    st.builds(lambda s: {"SS": s}, st.lists(st.text(max_size=2), max_size=2)),
    st.just({"S": "a", "N": "1"}))


@settings(max_examples=400)
@given(st.dictionaries(st.text(max_size=3), _ATTRIBUTE_VALUES, max_size=4))
def test_checked_item_is_validation_canonical_form_and_size(item):
    # The one walk PutItem makes answers as the three separate functions do.
    def outcome(f):
        try:
            return f()
        except ServiceError as e:
            return e.message
    separate = outcome(lambda: (dt.validate_item(item), dt.canonical_item(item), dt.item_size(item))[1:])
    assert outcome(lambda: dt.checked_item(item)) == separate


_KEY_PARTS = st.one_of(
    st.builds(lambda s: {"S": s}, st.text(max_size=3)), st.just({"S": "x" * 2049}), st.just({"S": "é" * 600}),
    st.builds(lambda n: {"N": n}, st.from_regex(r"-?[0-9]{0,3}(\.[0-9])?", fullmatch=True)),
    st.just({"N": "1" * 39}), st.builds(lambda b: {"B": b}, st.binary(max_size=2)), st.just({"B": b"x" * 1025}),
    st.just({"S": "a", "N": "1"}), st.just({}))


@settings(max_examples=500)
@given(st.dictionaries(st.sampled_from(["pk", "sk", "other"]), _KEY_PARTS, max_size=3),
       st.sampled_from(["S", "N", "B"]), st.sampled_from([None, "S", "N", "B"]))
def test_plain_row_key_is_check_key_then_row_key(key, hash_type, range_type):
    # GetItem's short way to a key's row answers as the full one, or leaves the key to it.
    from nubis.services.dynamodb import items as it
    from nubis.services.dynamodb.tables import Table
    schema = [{"AttributeName": "pk", "KeyType": "HASH"}]
    defs = [{"AttributeName": "pk", "AttributeType": hash_type}]
    if range_type:
        schema.append({"AttributeName": "sk", "KeyType": "RANGE"})
        defs.append({"AttributeName": "sk", "AttributeType": range_type})
    t = Table(1, "000000000000", "us-east-1", "t", {"KeySchema": schema, "AttributeDefinitions": defs}, 0.0)
    short = it.plain_row_key(t, key)
    if short is not None:
        it.check_key(t, key)
        assert short == it.row_key(t, key)


def test_number_key_bytes_edges():
    ordered = ["-9.9999999999999999999999999999999999999E+125", "-1E+125", "-10", "-1.23", "-1.2", "-1",
               "-1E-130", "0", "1E-130", "0.5", "1", "1.2", "1.23", "10", "1E+125",
               "9.9999999999999999999999999999999999999E+125"]
    encoded = [dt.key_bytes({"N": n}) for n in ordered]
    assert encoded == sorted(encoded)
    assert len(set(encoded)) == len(encoded)
    assert dt.key_bytes({"N": "1.50"}) == dt.key_bytes({"N": "15E-1"})


@given(st.text(), st.text())
def test_string_key_bytes_sort_by_utf8(a, b):
    assert (dt.key_bytes({"S": a}) < dt.key_bytes({"S": b})) == (a.encode() < b.encode())


def test_binary_key_bytes_are_unsigned():
    assert dt.key_bytes({"B": b"\x01"}) < dt.key_bytes({"B": b"\xff"}) < dt.key_bytes({"B": b"\xff\x00"})


# -- comparison -------------------------------------------------------------------

@pytest.mark.parametrize("a, b, result", [
    ({"N": "10"}, {"N": "9"}, 1), ({"N": "1.0"}, {"N": "1"}, 0), ({"S": "a"}, {"S": "b"}, -1),
    ({"S": "a"}, {"N": "1"}, None), ({"B": b"\x00"}, {"B": b"\x80"}, -1),
    ({"BOOL": True}, {"BOOL": True}, 0), ({"BOOL": True}, {"BOOL": False}, None),
    ({"SS": ["a", "b"]}, {"SS": ["b", "a"]}, 0), ({"NS": ["1", "2"]}, {"NS": ["2.0", "1"]}, 0),
    ({"M": {"a": {"N": "1"}}}, {"M": {"a": {"N": "1.00"}}}, 0),
    ({"L": [{"N": "1"}]}, {"L": [{"N": "1"}, {"N": "2"}]}, None),
    (None, {"S": "a"}, None),
])
def test_compare(a, b, result):
    assert dt.compare(a, b) == result


def test_equals():
    assert dt.equals({"NULL": True}, {"NULL": True})
    assert not dt.equals({"S": "1"}, {"N": "1"})
    assert not dt.equals(None, None)
    assert dt.equals({"BS": [b"a", b"b"]}, {"BS": [b"b", b"a"]})


# -- sizes and capacity -------------------------------------------------------------

@pytest.mark.parametrize("item, size", [
    ({"a": {"S": "hello"}}, 1 + 5),
    ({"ab": {"S": "é"}}, 2 + 2),                      # UTF-8 bytes
    ({"n": {"N": "123"}}, 1 + 2 + 1),                 # 3 digits -> 2 bytes, + 1
    ({"n": {"N": "1000000"}}, 1 + 1 + 1),             # trailing zeros are not significant
    ({"n": {"N": "0.00012"}}, 1 + 1 + 1),             # nor leading ones
    ({"b": {"B": b"\x00\x01\x02"}}, 1 + 3),
    ({"t": {"BOOL": True}, "z": {"NULL": True}}, 2 + 2),
    ({"l": {"L": []}}, 1 + 3),
    ({"m": {"M": {"k": {"S": "v"}}}}, 1 + 3 + (1 + 1 + 1)),
    ({"l": {"L": [{"S": "ab"}, {"N": "1"}]}}, 1 + 3 + (2 + 1) + (2 + 1)),
    ({"s": {"SS": ["a", "bc"]}}, 1 + 3),
])
def test_item_size(item, size):
    assert dt.item_size(item) == size


def test_capacity_units():
    assert dt.capacity(1, "write") == 1
    assert dt.capacity(1024, "write") == 1
    assert dt.capacity(1025, "write") == 2
    assert dt.capacity(4096, "read") == 1
    assert dt.capacity(4097, "read") == 2
    assert dt.capacity(4097, "read_eventual") == 1
    assert dt.capacity(100, "read_eventual") == 0.5
    assert dt.capacity(2000, "transact_write") == 4
    assert dt.capacity(0, "write") == 1


def test_canonical_item():
    assert dt.canonical_item({"n": {"N": "1.50"}, "s": {"NS": ["1e2", "-0"]},
                              "m": {"M": {"x": {"L": [{"N": "0100"}]}}}}) == \
        {"n": {"N": "1.5"}, "s": {"NS": ["100", "0"]}, "m": {"M": {"x": {"L": [{"N": "100"}]}}}}
