"""Filter policies as pure functions: validation errors and matching."""
import json

import pytest

from nubis.protocol.errors import ServiceError
from nubis.services.sns import filter_policy as fp


def attrs(**values):
    """Message attributes as Publish receives them: str -> String, number -> Number,
    list -> String.Array, bytes -> Binary."""
    out = {}
    for name, v in values.items():
        if isinstance(v, bytes):
            out[name] = {"DataType": "Binary", "BinaryValue": "AAE="}
        elif isinstance(v, list):
            out[name] = {"DataType": "String.Array", "StringValue": json.dumps(v)}
        elif isinstance(v, (int, float)):
            out[name] = {"DataType": "Number", "StringValue": str(v)}
        else:
            out[name] = {"DataType": "String", "StringValue": v}
    return out


def match(policy, scope="MessageAttributes", **values):
    parsed = fp.parse(json.dumps(policy), scope)
    return fp.matches(parsed, fp.attributes_document(attrs(**values)))


def body_match(policy, body):
    parsed = fp.parse(json.dumps(policy), "MessageBody")
    return fp.matches(parsed, body)


# -- matching on attributes -------------------------------------------------------------

def test_exact_strings_any_of_list():
    assert match({"color": ["red", "blue"]}, color="blue")
    assert not match({"color": ["red", "blue"]}, color="green")
    assert not match({"color": ["red"]}, size="red")


def test_all_keys_must_match():
    policy = {"color": ["red"], "size": ["L"]}
    assert match(policy, color="red", size="L")
    assert not match(policy, color="red", size="M")
    assert not match(policy, color="red")


def test_exact_number_matches_number_attribute_only():
    assert match({"n": [10]}, n=10)
    assert match({"n": [10]}, n=10.0)
    assert not match({"n": [10]}, n="10")
    assert not match({"n": ["10"]}, n=10)


def test_prefix_suffix_and_equals_ignore_case():
    assert match({"k": [{"prefix": "ord-"}]}, k="ord-123")
    assert not match({"k": [{"prefix": "ord-"}]}, k="inv-123")
    assert match({"k": [{"suffix": ".png"}]}, k="a.png")
    assert not match({"k": [{"suffix": ".png"}]}, k="a.jpg")
    assert match({"k": [{"equals-ignore-case": "ReD"}]}, k="rEd")


def test_anything_but():
    assert match({"k": [{"anything-but": ["a", "b"]}]}, k="c")
    assert not match({"k": [{"anything-but": ["a", "b"]}]}, k="a")
    assert match({"k": [{"anything-but": "a"}]}, k="z")
    assert match({"n": [{"anything-but": [100]}]}, n=5)
    assert not match({"n": [{"anything-but": 100}]}, n=100)
    assert match({"k": [{"anything-but": {"prefix": "tmp"}}]}, k="real")
    assert not match({"k": [{"anything-but": {"prefix": "tmp"}}]}, k="tmp-1")
    # a missing attribute is not "anything but"
    assert not match({"k": [{"anything-but": "a"}]}, other="x")


def test_numeric_ranges():
    policy = {"price": [{"numeric": [">", 0, "<=", 100]}]}
    assert match(policy, price=100)
    assert match(policy, price=0.5)
    assert not match(policy, price=0)
    assert not match(policy, price=100.01)
    assert match({"p": [{"numeric": ["=", 3.5]}]}, p=3.5)
    assert match({"p": [{"numeric": [">=", 10]}]}, p=10)
    assert not match({"p": [{"numeric": ["<", 10]}]}, p="5")  # a String is not a number


def test_exists():
    assert match({"k": [{"exists": True}]}, k="x")
    assert not match({"k": [{"exists": True}]}, other="x")
    assert match({"k": [{"exists": False}]}, other="x")
    assert not match({"k": [{"exists": False}]}, k="x")
    assert match({"b": [{"exists": True}]}, b=b"\x00\x01")  # Binary: present, never compared


def test_cidr():
    policy = {"ip": [{"cidr": "10.0.0.0/24"}]}
    assert match(policy, ip="10.0.0.42")
    assert not match(policy, ip="10.0.1.1")
    assert not match(policy, ip="not-an-ip")
    assert match({"ip": [{"cidr": "2001:db8::/32"}]}, ip="2001:db8::1")


def test_string_array_matches_any_element():
    assert match({"tags": ["b"]}, tags=["a", "b"])
    assert not match({"tags": ["c"]}, tags=["a", "b"])
    assert match({"tags": [{"numeric": [">", 5]}]}, tags=[1, 7])


def test_or():
    policy = {"source": ["shop"], "$or": [{"kind": ["order"]}, {"total": [{"numeric": [">", 100]}]}]}
    assert match(policy, source="shop", kind="order")
    assert match(policy, source="shop", total=500)
    assert not match(policy, source="shop", total=5)
    assert not match(policy, source="web", kind="order")


def test_binary_attribute_never_equals():
    assert not match({"b": ["AAE="]}, b=b"\x00\x01")


# -- matching on the body -------------------------------------------------------------------

def test_body_nested_keys():
    policy = {"order": {"status": ["paid"], "total": [{"numeric": [">=", 10]}]}}
    assert body_match(policy, {"order": {"status": "paid", "total": 10}})
    assert not body_match(policy, {"order": {"status": "open", "total": 10}})
    assert not body_match(policy, {"status": "paid"})


def test_body_arrays_booleans_null():
    assert body_match({"items": {"sku": ["A1"]}}, {"items": [{"sku": "B2"}, {"sku": "A1"}]})
    assert body_match({"flag": [True]}, {"flag": True})
    assert not body_match({"flag": [True]}, {"flag": "true"})
    assert body_match({"gone": [None]}, {"gone": None})
    assert body_match({"missing": [{"exists": False}]}, {"other": 1})


def test_body_that_is_not_an_object_never_matches():
    assert not fp.matches(fp.parse('{"a": ["b"]}', "MessageBody"), None)
    assert not fp.matches(fp.parse('{"a": ["b"]}', "MessageBody"), ["b"])


# -- validation --------------------------------------------------------------------------------

@pytest.mark.parametrize("text, reason", [
    ("{not json", "failed to parse JSON"),
    ('["a"]', "must be a JSON object"),
    ('{"a": "b"}', '"a" must be an object or an array'),
    ('{"a": []}', "Empty arrays are not allowed"),
    ('{"a": [{"wildcard": "x"}]}', "Unrecognized match type wildcard"),
    ('{"a": [{"prefix": 1}]}', "prefix match pattern must be a string"),
    ('{"a": [{"exists": "yes"}]}', "exists match pattern must be either true or false."),
    ('{"a": [{"numeric": [">", "x"]}]}', "Value of > must be numeric"),
    ('{"a": [{"numeric": ["!=", 1]}]}', "Unrecognized numeric range operator: !="),
    ('{"a": [{"numeric": [">", 10, "<", 5]}]}', "Bottom must be less than top"),
    ('{"a": [{"numeric": [">", 1, "<", 5, "<", 6]}]}', "Too many elements in numeric expression"),
    ('{"a": [{"numeric": [">", 2000000000]}]}', "out of range"),
    ('{"a": [{"cidr": "10.0.0.0/99"}]}', "Malformed CIDR"),
    ('{"a": [{"anything-but": [{"x": 1}]}]}', "anything but list"),
    ('{"a": [{"prefix": "x", "suffix": "y"}]}', "exactly one operator"),
    ('{"$or": [{"a": ["b"]}]}', "$or must be an array of at least two"),
    ('{"a":["1"],"b":["1"],"c":["1"],"d":["1"],"e":["1"],"f":["1"]}', "can not have more than 5 keys"),
])
def test_invalid_policies(text, reason):
    with pytest.raises(ServiceError) as info:
        fp.parse(text)
    assert info.value.code == "InvalidParameter"
    assert info.value.message.startswith("Invalid parameter: FilterPolicy: ")
    assert reason in info.value.message


def test_too_many_combinations():
    policy = {k: [str(i) for i in range(10)] for k in "abc"}  # 1000 combinations
    with pytest.raises(ServiceError) as info:
        fp.parse(json.dumps(policy))
    assert "too complex" in info.value.message


def test_nested_policy_needs_body_scope():
    with pytest.raises(ServiceError) as info:
        fp.parse('{"a": {"b": ["c"]}}', "MessageAttributes")
    assert "does not support nested filter policy" in info.value.message
    assert fp.parse('{"a": {"b": ["c"]}}', "MessageBody") == {"a": {"b": ["c"]}}
