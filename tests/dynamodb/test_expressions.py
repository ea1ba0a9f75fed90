"""DynamoDB's expression languages, tested on the module directly: parsing errors
with AWS's messages, condition semantics, key conditions, projections, updates
and the legacy parameters."""
from __future__ import annotations

import pytest

from nubis.protocol.errors import ServiceError
from nubis.services.dynamodb.expressions import (Expressions, check_parameters, from_attribute_updates,
                                                 from_attributes_to_get, from_expected, from_filter,
                                                 from_key_conditions)

VALUES = {
    ":n": {"N": "5"}, ":m": {"N": "10"}, ":s": {"S": "ab"}, ":t": {"S": "S"}, ":b": {"B": b"\x01"},
    ":l": {"L": [{"S": "x"}]}, ":ss": {"SS": ["a", "b"]}, ":ns": {"NS": ["1", "2"]}, ":bool": {"BOOL": True},
    ":zero": {"N": "0"},
}
NAMES = {"#s": "status", "#dot": "a.b", "#n": "nm"}

ITEM = {
    "id": {"S": "abc"},
    "n": {"N": "5"},
    "s": {"S": "abc"},
    "u": {"S": "é𝄞"},
    "b": {"B": b"\x01\x02"},
    "ss": {"SS": ["a", "b", "c"]},
    "ns": {"NS": ["1", "2", "3"]},
    "bs": {"BS": [b"\x01"]},
    "l": {"L": [{"S": "x"}, {"N": "1"}, {"M": {"deep": {"N": "7"}}}]},
    "m": {"M": {"child": {"S": "v"}, "n": {"N": "3"}}},
    "t": {"BOOL": True},
    "z": {"NULL": True},
    "status": {"S": "active"},
    "a.b": {"N": "1"},
}


def ex(names=NAMES, values=VALUES):
    return Expressions(dict(names) if names else None, dict(values) if values else None)


def error(call, *args, **kwargs) -> str:
    with pytest.raises(ServiceError) as info:
        call(*args, **kwargs)
    assert info.value.code == "ValidationException"
    assert info.value.status == 400
    return info.value.message


def holds(text: str, item=ITEM) -> bool:
    return ex().condition(text).evaluate(item)


# -- condition semantics -------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("n = :n", True), ("n <> :n", False), ("n < :m", True), ("n >= :n", True), ("n > :n", False),
    ("s = :n", False),                       # different types are never equal
    ("s <> :n", True),
    ("s < :n", False),                       # nor ordered
    ("absent = :n", False), ("absent <> :n", True), ("absent < :n", False),
    ("n BETWEEN :zero AND :m", True), ("n BETWEEN :n AND :n", True), ("s BETWEEN :zero AND :m", False),
    ("n IN (:zero, :n)", True), ("n IN (:zero, :m)", False), ("absent IN (:n)", False),
    ("attribute_exists(n)", True), ("attribute_exists(absent)", False),
    ("attribute_not_exists(absent)", True), ("attribute_exists(m.child)", True),
    ("attribute_exists(l[2].deep)", True), ("attribute_exists(l[3])", False), ("attribute_exists(m[0])", False),
    ("attribute_type(n, :t)", False), ("attribute_type(s, :t)", True),
    ("begins_with(s, :s)", True), ("begins_with(id, :s)", True), ("begins_with(n, :s)", False),
    ("begins_with(b, :b)", True), ("begins_with(s, :b)", False),
    ("contains(s, :s)", True), ("contains(ss, :s)", False), ("contains(l, :n)", False),
    ("size(s) = :n", False), ("size(s) < :n", True), ("size(absent) < :n", False), ("size(n) < :m", False),
    ("size(l) BETWEEN :zero AND :n", True), ("size(m) > :zero", True),
    ("#s = :s", False), ("#dot = :n", False), ("#dot > :zero", True),
    ("NOT n = :n", False), ("not n = :m", True),
    ("n = :n AND s = :s", False), ("n = :n OR s = :s", True),
    # NOT binds tighter than AND, AND tighter than OR
    ("n = :m AND s = :s OR t = :bool", True), ("n = :m AND (s = :s OR t = :bool)", False),
    ("NOT n = :m AND n = :n", True), ("NOT (n = :m OR n = :n)", False),
    ("m.n < :n", True), ("l[1] = :zero", False), ("l[2].deep > :n", True),
    ("t = :bool", True), ("t < :bool", False),
    (":n = n", True),
])
def test_condition_semantics(text, expected):
    assert holds(text) is expected


def test_size_of_each_type():
    values = {":1": {"N": "1"}, ":2": {"N": "2"}, ":3": {"N": "3"}}
    e = Expressions(None, values)
    assert e.condition("size(u) = :3").evaluate(ITEM)      # UTF-16 code units: é is 1, 𝄞 is 2
    assert e.condition("size(b) = :2").evaluate(ITEM)
    assert e.condition("size(ss) = :3").evaluate(ITEM)
    assert e.condition("size(ns) = :3").evaluate(ITEM)
    assert e.condition("size(bs) = :1").evaluate(ITEM)
    assert e.condition("size(l) = :3").evaluate(ITEM)
    assert e.condition("size(m) = :2").evaluate(ITEM)


def test_contains_on_sets_and_lists():
    values = {":a": {"S": "a"}, ":two": {"N": "2.0"}, ":x": {"S": "x"}, ":one": {"B": b"\x01"}, ":num": {"N": "1"}}
    e = Expressions(None, values)
    assert e.condition("contains(ss, :a)").evaluate(ITEM)
    assert e.condition("contains(ns, :two)").evaluate(ITEM)
    assert e.condition("contains(bs, :one)").evaluate(ITEM)
    assert e.condition("contains(l, :x)").evaluate(ITEM)
    assert e.condition("contains(l, :num)").evaluate(ITEM)
    assert not e.condition("contains(ns, :a)").evaluate(ITEM)


def test_condition_on_no_item():
    e = ex()
    assert e.condition("attribute_not_exists(id)").evaluate(None)
    assert not e.condition("attribute_exists(id)").evaluate({})


def test_keywords_are_case_insensitive_and_whitespace_free():
    assert holds("n=:n and(s=:s or n between :zero and :m)")
    assert holds("n  IN(:n,:m)")


# -- condition errors -------------------------------------------------------------------

CE = "Invalid ConditionExpression: "


@pytest.mark.parametrize("text, expected", [
    ("", CE + "The expression can not be empty;"),
    ("   ", CE + "The expression can not be empty;"),
    ("status = :n", CE + "Attribute name is a reserved keyword; reserved keyword: status"),
    ("m.Name = :n", CE + "Attribute name is a reserved keyword; reserved keyword: Name"),
    ("contains(#s, comment)", CE + "Attribute name is a reserved keyword; reserved keyword: comment"),
    ("#nope = :n", CE + "An expression attribute name used in the document path is not defined; "
                        "attribute name: #nope"),
    ("n = :nope", CE + "An expression attribute value used in expression is not defined; attribute value: :nope"),
    ("n = = :n", CE + 'Syntax error; token: "=", near: "= = :n"'),
    ("n = :n AND", CE + 'Syntax error; token: "<EOF>", near: "AND"'),
    ("attribute_type()", CE + 'Syntax error; token: ")", near: "()"'),
    ("l[a] = :n", CE + 'Syntax error; token: "a", near: "[a]"'),
    ("n = :n extra", CE + 'Syntax error; token: "extra", near: ":n extra"'),
    ("n ! :n", CE + 'Syntax error; token: "!", near: "n ! :n"'),
    ("((n = :n))", CE + "The expression has redundant parentheses;"),
    ("foo(n)", CE + "Invalid function name; function: foo"),
    ("begins_with(n, :s, :s)", CE + "Incorrect number of operands for operator or function; "
                                    "operator or function: begins_with, number of operands: 3"),
    ("size(n, s) = :n", CE + "Incorrect number of operands for operator or function; "
                             "operator or function: size, number of operands: 2"),
    ("begins_with(s, :n)", CE + "Incorrect operand type for operator or function; "
                                "operator or function: begins_with, operand type: N"),
    ("size(:n) = :n", CE + "Incorrect operand type for operator or function; "
                           "operator or function: size, operand type: N"),
    ("size(size(s)) = :n", CE + "Incorrect operand type for operator or function; "
                                "operator or function: size, operand type: N"),
    ("size(s)", CE + "The function is not allowed to be used this way in an expression; function: size"),
    ("size(contains(s, :s)) = :n", CE + "The function is not allowed to be used this way in an expression; "
                                        "function: contains"),
    ("contains(s, :s) = :bool", CE + "The function is not allowed to be used this way in an expression; "
                                     "function: contains"),
    ("contains(s, s)", CE + "The first operand must be distinct from the remaining operands for this operator "
                            "or function; operator: contains, first operand: [s]"),
    ("n = n", CE + "The first operand must be distinct from the remaining operands for this operator "
                   "or function; operator: =, first operand: [n]"),
    ("attribute_type(s, :s)", CE + "Invalid attribute type name found; type: ab, "
                                   "valid types: {S,SS,N,NS,B,BS,BOOL,NULL,L,M}"),
    ("n BETWEEN :m AND :n", CE + "The BETWEEN operator requires upper bound to be greater than or equal to lower "
                                 "bound; lower bound operand: AttributeValue: {N:10}, upper bound operand: "
                                 "AttributeValue: {N:5}"),
])
def test_condition_errors(text, expected):
    assert error(ex().condition, text) == expected


def test_a_path_alone_is_not_a_condition():
    assert error(Expressions({"#h": "has_air"}, None).condition, "attribute_exists(id) AND NOT #h") == \
        CE + 'Syntax error; token: "<EOF>", near: "#h"'


def test_expressions_are_at_most_4_kb():
    text = " OR ".join(["n = :n"] * 410)
    assert len(text) == 4096
    ex().condition(text)
    assert error(ex().condition, text + " ") == \
        CE + "Expression size has exceeded the maximum allowed size; expression size: 4097"


@pytest.mark.parametrize("text, expected", [
    # operands may be parenthesized, once
    ("(n) = :n", True), ("(n)BETWEEN(:zero)AND(:m)", True), ("(size(s)) < (:n)", True),
    ("begins_with((s), :s)", True), ("((n = :m) OR (n = :n))", True), ("NOT (n) = :m", True),
])
def test_parenthesized_operands(text, expected):
    assert holds(text) is expected


@pytest.mark.parametrize("text, expected", [
    ("a = :n AND n > ((m))", CE + "The expression has redundant parentheses;"),
    ("n = :n AND ((n = :n AND n = :n))", CE + "The expression has redundant parentheses;"),
    ("foo((:n), ((n))) > n", CE + "The expression has redundant parentheses;"),
    ("(n)BETWEEN(((m.a)).b)AND(n)", CE + "The expression has redundant parentheses;"),    # before the syntax
    ("foo((n), #zz)", CE + "Invalid function name; function: foo"),
    ("(size(s)).a > n", CE + 'Syntax error; token: ".", near: ").a"'),
    ("n IN (m, n,)", CE + 'Syntax error; token: ")", near: ",)"'),
    ("(n = )", CE + 'Syntax error; token: ")", near: "= )"'),
    # a function where it may not be, before reserved words
    ("attribute_exists((status), (#zz)) > n", CE + "The function is not allowed to be used this way in an "
                                                  "expression; function: attribute_exists"),
    ("n BETWEEN m AND attribute_exists(s)", CE + "The function is not allowed to be used this way in an "
                                                 "expression; function: attribute_exists"),
    ("n IN (m, contains(s, :s))", CE + "The function is not allowed to be used this way in an expression; "
                                       "function: contains"),
    # the first operand may not be repeated; checked in order with undefined placeholders
    ("n = n AND :zz > n", CE + "The first operand must be distinct from the remaining operands for this operator or "
                               "function; operator: =, first operand: [n]"),
    ("#n <> nm", CE + "The first operand must be distinct from the remaining operands for this operator or "
                      "function; operator: <>, first operand: [nm]"),
    ("attribute_exists(#zz) AND n = n", CE + "An expression attribute name used in the document path is not "
                                             "defined; attribute name: #zz"),
    ("begins_with(m.l[1].a, m.l[1].a)", CE + "The first operand must be distinct from the remaining operands for "
                                             "this operator or function; operator: begins_with, first operand: "
                                             "[m, l, [1], a]"),
    ("n BETWEEN :n AND n", CE + "The first operand must be distinct from the remaining operands for this operator "
                                "or function; operator: BETWEEN, first operand: [n]"),
    ("attribute_exists(:n)", CE + "Operator or function requires a document path; operator or function: "
                                  "attribute_exists"),
    ("attribute_not_exists(size(:s))", CE + "Operator or function requires a document path; operator or "
                                            "function: attribute_not_exists"),
    ("attribute_not_exists(size(:n))", CE + "Incorrect operand type for operator or function; operator or "
                                            "function: size, operand type: N"),
    ("begins_with(:hello, #zz, #yy)", CE + "An expression attribute value used in expression is not defined; "
                                           "attribute value: :hello"),
])
def test_which_condition_error_is_reported(text, expected):
    assert error(ex().condition, text) == expected


@pytest.mark.parametrize("text", [
    "(n = :n AND " * 300, "(" * 1000 + "n", "NOT " * 900 + "n = :n", "size(" * 600 + "n",
])
def test_deep_nesting_is_a_syntax_error_not_a_crash(text):
    assert error(ex().condition, text[:4096]).startswith(CE + "Syntax error; ")


def test_long_chains_evaluate():
    text = " AND ".join(["n = :n"] * 360)
    assert ex().condition(text).evaluate(ITEM)
    assert not ex().condition(" OR ".join(["n = :m"] * 360)).evaluate(ITEM)


def test_a_function_in_parentheses_alone():
    assert error(ex().condition, "(size(s))") == \
        CE + "The function is not allowed to be used this way in an expression; function: size"


def test_a_syntax_error_wins_over_an_earlier_semantic_error():
    assert error(ex().condition, "status = :nope AND AND").startswith(CE + "Syntax error")


def test_filter_errors_name_the_filter():
    assert error(ex().filter, "status = :n") == \
        "Invalid FilterExpression: Attribute name is a reserved keyword; reserved keyword: status"


def test_names_are_not_checked_against_reserved_words():
    assert holds("#s = :s") is False


# -- ExpressionAttributeNames / Values ---------------------------------------------------

def test_attribute_map_errors():
    assert error(Expressions, {}, None) == "ExpressionAttributeNames must not be empty"
    assert error(Expressions, None, {}) == "ExpressionAttributeValues must not be empty"
    assert error(Expressions, {"n": "x"}, None) == \
        'ExpressionAttributeNames contains invalid key: Syntax error; key: "n"'
    assert error(Expressions, None, {"v": {"S": "x"}}) == \
        'ExpressionAttributeValues contains invalid key: Syntax error; key: "v"'
    assert error(Expressions, None, {":v": {"SS": []}}) == (
        "ExpressionAttributeValues contains invalid value: One or more parameter values were invalid: "
        "An string set  may not be empty for key :v")


def test_unused_names_and_values():
    e = Expressions({"#a": "a", "#b": "b"}, {":v": {"N": "1"}, ":w": {"N": "2"}})
    e.condition("#a = :v")
    assert error(e.check_all_used) == "Value provided in ExpressionAttributeNames unused in expressions: keys: {#b}"
    e.projection("#b")
    assert error(e.check_all_used) == "Value provided in ExpressionAttributeValues unused in expressions: keys: {:w}"
    e.update("SET #a = :w")
    e.check_all_used()


def test_values_are_canonical():
    e = Expressions(None, {":v": {"N": "1.50"}})
    assert e.update("SET a = :v").apply({}) == {"a": {"N": "1.5"}}


def test_mixing_expression_and_legacy_parameters():
    assert error(check_parameters, {"AttributesToGet": ["a"], "ProjectionExpression": "a"}) == (
        "Can not use both expression and non-expression parameters in the same request: "
        "Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}")
    assert error(check_parameters, {"ExpressionAttributeValues": {":v": {"N": "1"}}}) == \
        "ExpressionAttributeValues can only be specified when using expressions"
    values = {"ExpressionAttributeValues": {":v": {"N": "1"}}}
    assert error(check_parameters, values, ("ConditionExpression",)) == \
        "ExpressionAttributeValues can only be specified when using expressions: ConditionExpression is null"
    assert error(check_parameters, values, ("UpdateExpression", "ConditionExpression")) == (
        "ExpressionAttributeValues can only be specified when using expressions: "
        "UpdateExpression and ConditionExpression are null")
    assert error(check_parameters, values, ("KeyConditionExpression", "FilterExpression", "ProjectionExpression")) \
        == ("ExpressionAttributeValues can only be specified when using expressions: "
            "FilterExpression and KeyConditionExpression are null")
    assert error(check_parameters, {"ExpressionAttributeNames": {"#a": "a"}, **values}, ("ConditionExpression",)) \
        == "ExpressionAttributeNames can only be specified when using expressions"
    check_parameters({"ConditionExpression": "a = :v", "ExpressionAttributeValues": {":v": {"N": "1"}}})
    check_parameters({"Expected": {}})


# -- key conditions ------------------------------------------------------------------------

HASH = [{"AttributeName": "id", "KeyType": "HASH"}]
COMPOSITE = HASH + [{"AttributeName": "sk", "KeyType": "RANGE"}]
DEFS = [{"AttributeName": "id", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}]


@pytest.mark.parametrize("text, op, values", [
    ("id = :s", None, []),
    ("id = :s AND sk = :n", "=", [{"N": "5"}]),
    ("sk > :n AND id = :s", ">", [{"N": "5"}]),
    ("(id = :s) AND (sk <= :n)", "<=", [{"N": "5"}]),
    ("id = :s AND sk BETWEEN :n AND :m", "BETWEEN", [{"N": "5"}, {"N": "10"}]),
    ("id = :s AND :n < sk", ">", [{"N": "5"}]),
])
def test_key_conditions(text, op, values):
    kc = ex().key_condition(text, COMPOSITE)
    assert (kc.hash_name, kc.hash_value) == ("id", {"S": "ab"})
    assert kc.sort_op == op
    assert kc.sort_values == values
    assert kc.sort_name == ("sk" if op else None)


def test_key_condition_sort_matching():
    kc = ex().key_condition("id = :s AND sk BETWEEN :n AND :m", COMPOSITE)
    assert kc.matches_sort({"N": "5"}) and kc.matches_sort({"N": "10.0"}) and not kc.matches_sort({"N": "11"})
    kc = Expressions(None, {":i": {"S": "x"}, ":p": {"S": "ab"}}).key_condition(
        "id = :i AND begins_with(sk, :p)", COMPOSITE)
    assert kc.sort_op == "begins_with"
    assert kc.matches_sort({"S": "abc"}) and not kc.matches_sort({"S": "b"}) and not kc.matches_sort({"N": "1"})
    assert ex().key_condition("id = :s", COMPOSITE).matches_sort(None)


KE = "Invalid KeyConditionExpression: "


@pytest.mark.parametrize("text, expected", [
    ("id = :s OR sk = :n", "Invalid operator used in KeyConditionExpression: OR"),
    ("NOT id = :s", "Invalid operator used in KeyConditionExpression: NOT"),
    ("id IN (:s)", "Invalid operator used in KeyConditionExpression: IN"),
    ("id <> :s", "Invalid operator used in KeyConditionExpression: <>"),
    ("id = :s AND attribute_exists(sk)", "Invalid operator used in KeyConditionExpression: attribute_exists"),
    ("sk = :n", "Query condition missed key schema element: id"),
    ("id > :s", "Query key condition not supported"),
    ("begins_with(id, :s)", "Query key condition not supported"),
    ("id = :s AND extra = :n", "Query key condition not supported"),
    ("id = :s AND m.sk = :n", "KeyConditionExpressions cannot have conditions on nested attributes"),
    ("id = :s AND sk[0] > id", "KeyConditionExpressions cannot have conditions on nested attributes"),
    ("id = :s AND sk > id", "Invalid condition in KeyConditionExpression: Multiple attribute names used in one "
                            "condition"),
    ("id = :s AND begins_with(sk, id)", "Invalid condition in KeyConditionExpression: Multiple attribute names "
                                        "used in one condition"),
    ("id = :s AND size(sk) > :n", "KeyConditionExpressions cannot contain nested operations"),
    ("id = :s AND sk BETWEEN :n AND size(sk)", "KeyConditionExpressions cannot contain nested operations"),
    ("id = :s AND :n > :m", "Invalid condition in KeyConditionExpression: No key attribute specified"),
    (":n BETWEEN sk AND :m AND id = :s", "Invalid condition in KeyConditionExpression: BETWEEN operator must "
                                         "have the key attribute as its first operand"),
    ("begins_with(:s, id)", "Invalid condition in KeyConditionExpression: begins_with operator must have the key "
                            "attribute as its first operand"),
    ("id = :s AND sk BETWEEN :n AND :s", KE + "The BETWEEN operator requires same data type for lower and upper "
                                              "bounds; lower bound operand: AttributeValue: {N:5}, upper bound "
                                              "operand: AttributeValue: {S:ab}"),
    ("id = :s AND sk BETWEEN :m AND :n", KE + "The BETWEEN operator requires upper bound to be greater than or "
                                              "equal to lower bound; lower bound operand: AttributeValue: {N:10}, "
                                              "upper bound operand: AttributeValue: {N:5}"),
    ("attribute_type(id, :n)", KE + "Incorrect operand type for operator or function; operator or function: "
                                    "attribute_type, operand type: N"),
    ("id = :s AND sk > :n AND sk < :m", "KeyConditionExpressions must only contain one condition per key"),
    ("id = :n", "One or more parameter values were invalid: Condition parameter type does not match schema type"),
    ("status = :s", KE + "Attribute name is a reserved keyword; reserved keyword: status"),
    ("id = ", KE + 'Syntax error; token: "<EOF>", near: "="'),
])
def test_key_condition_errors(text, expected):
    assert error(ex().key_condition, text, COMPOSITE, DEFS) == expected


# -- projections ---------------------------------------------------------------------------

def test_projection_of_nested_paths():
    p = ex().projection("s, m.child, l[2].deep, l[0], absent, #dot")
    assert p.apply(ITEM) == {
        "s": {"S": "abc"},
        "m": {"M": {"child": {"S": "v"}}},
        "l": {"L": [{"S": "x"}, {"M": {"deep": {"N": "7"}}}]},
        "a.b": {"N": "1"},
    }
    assert p.apply(None) == {}
    assert ex().projection("m.nothing, l[9], s.x").apply(ITEM) == {}


@pytest.mark.parametrize("text, expected", [
    ("a, a.b", "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite "
               "one of these paths; path one: [a], path two: [a, b]"),
    ("a[0], a.b", "Invalid ProjectionExpression: Two document paths conflict with each other; must remove or "
                  "rewrite one of these paths; path one: [a, [0]], path two: [a, b]"),
    ("a,", 'Invalid ProjectionExpression: Syntax error; token: "<EOF>", near: ","'),
    ("size", "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: size"),
])
def test_projection_errors(text, expected):
    assert error(ex().projection, text) == expected


def test_attributes_to_get():
    assert from_attributes_to_get(["s", "n", "absent"]).apply(ITEM) == {"s": {"S": "abc"}, "n": {"N": "5"}}


# -- updates ---------------------------------------------------------------------------------

def update(text, item, values=None, names=None):
    return Expressions(names, values or VALUES).update(text).apply(item)


def test_set_forms():
    old = {"id": {"S": "k"}, "n": {"N": "5"}, "l": {"L": [{"N": "1"}]}, "m": {"M": {}}, "k": {"L": []}}
    new = update("SET a = :s, n = n + :m, b = n - :m, l = list_append(l, :l), c = if_not_exists(c, :n), "
                 "m.x = :n, k[9] = :s, d = if_not_exists(n, :zero)", old)
    assert new == {"id": {"S": "k"}, "n": {"N": "15"}, "a": {"S": "ab"}, "b": {"N": "-5"},
                   "l": {"L": [{"N": "1"}, {"S": "x"}]}, "k": {"L": [{"S": "ab"}]},
                   "c": {"N": "5"}, "m": {"M": {"x": {"N": "5"}}}, "d": {"N": "5"}}
    assert old["n"] == {"N": "5"} and old["l"] == {"L": [{"N": "1"}]}     # the input is left alone


def test_right_hand_sides_see_the_item_before_the_update():
    assert update("SET a = b, b = a", {"a": {"N": "1"}, "b": {"N": "2"}}) == {"a": {"N": "2"}, "b": {"N": "1"}}


def test_list_append_prepends_too():
    assert update("SET l = list_append(:l, l)", {"l": {"L": [{"N": "1"}]}}) == \
        {"l": {"L": [{"S": "x"}, {"N": "1"}]}}


def test_remove():
    old = {"a": {"N": "1"}, "l": {"L": [{"N": "0"}, {"N": "1"}, {"N": "2"}, {"N": "3"}]},
           "m": {"M": {"x": {"N": "1"}, "y": {"N": "2"}}}}
    # list indexes refer to the list before the update
    assert update("REMOVE a, l[0], l[2], m.x, nothing, l[10], m.nada", old) == \
        {"l": {"L": [{"N": "1"}, {"N": "3"}]}, "m": {"M": {"y": {"N": "2"}}}}


def test_add_and_delete():
    old = {"n": {"N": "1.5"}, "ss": {"SS": ["a", "c"]}, "ns": {"NS": ["1"]}}
    new = update("ADD n :n, ss :ss, ns :ns, fresh :n, fresh_set :ss", old)
    assert new == {"n": {"N": "6.5"}, "ss": {"SS": ["a", "c", "b"]}, "ns": {"NS": ["1", "2"]},
                   "fresh": {"N": "5"}, "fresh_set": {"SS": ["a", "b"]}}
    assert update("DELETE ss :ss, ns :ns, nada :ss", old) == {"n": {"N": "1.5"}, "ss": {"SS": ["c"]}}


def test_number_arithmetic_is_exact_and_checked():
    values = {":big": {"N": "9" * 38}, ":small": {"N": "0.1"}, ":one": {"N": "1"}}
    assert update("SET a = a + :small", {"a": {"N": "0.2"}}, values) == {"a": {"N": "0.3"}}
    assert error(update, "SET a = a + :small", {"a": {"N": "1" + "0" * 37}}, values) == \
        "Attempting to store more than 38 significant digits in a Number"
    assert error(update, "ADD a :one", {"a": {"N": "9E+125"}},
                 {":one": {"N": "1E+125"}}) == \
        "Number overflow. Attempting to store a number with magnitude larger than supported range"


@pytest.mark.parametrize("text, item, expected", [
    ("SET a = b + :n", {}, "The provided expression refers to an attribute that does not exist in the item"),
    ("SET a = b", {}, "The provided expression refers to an attribute that does not exist in the item"),
    ("SET a = list_append(b, :l)", {},
     "The provided expression refers to an attribute that does not exist in the item"),
    ("SET a = b + :n", {"b": {"S": "x"}}, "An operand in the update expression has an incorrect data type"),
    ("SET a = list_append(b, :l)", {"b": {"S": "x"}}, "An operand in the update expression has an incorrect data type"),
    ("ADD a :n", {"a": {"S": "x"}}, "An operand in the update expression has an incorrect data type"),
    ("ADD a :ss", {"a": {"NS": ["1"]}}, "An operand in the update expression has an incorrect data type"),
    ("DELETE a :ss", {"a": {"S": "x"}}, "An operand in the update expression has an incorrect data type"),
    ("SET a.b = :n", {}, "The document path provided in the update expression is invalid for update"),
    ("SET a.b = :n", {"a": {"S": "x"}}, "The document path provided in the update expression is invalid for update"),
    ("SET a[0] = :n", {"a": {"M": {}}}, "The document path provided in the update expression is invalid for update"),
    ("REMOVE a.b", {}, "The document path provided in the update expression is invalid for update"),
])
def test_update_runtime_errors(text, item, expected):
    assert error(update, text, item) == expected


UE = "Invalid UpdateExpression: "


@pytest.mark.parametrize("text, expected", [
    ("", UE + "The expression can not be empty;"),
    ("SET", UE + 'Syntax error; token: "<EOF>", near: "SET"'),
    ("SET a = if_not_exists(a, 0)", UE + 'Syntax error; token: "0", near: ", 0)"'),
    ("a = :n", UE + 'Syntax error; token: "a", near: "a ="'),
    ("SET a = :n,", UE + 'Syntax error; token: "<EOF>", near: ","'),
    ("SET a = :n + :n + :n", UE + 'Syntax error; token: "+", near: ":n + :n"'),
    ("ADD a b", UE + 'Syntax error; token: "b", near: "a b"'),
    ("SET a = :n SET b = :n", UE + 'The "SET" section can only be used once in an update expression;'),
    ("ADD a :n ADD b :n", UE + 'The "ADD" section can only be used once in an update expression;'),
    ("SET a = :n REMOVE a", UE + "Two document paths overlap with each other; must remove or rewrite one of "
                                 "these paths; path one: [a], path two: [a]"),
    ("SET a.b = :n REMOVE a", UE + "Two document paths overlap with each other; must remove or rewrite one of "
                                   "these paths; path one: [a, b], path two: [a]"),
    ("SET a[1] = :n, a.b = :n", UE + "Two document paths conflict with each other; must remove or rewrite one of "
                                     "these paths; path one: [a, [1]], path two: [a, b]"),
    ("SET status = :n", UE + "Attribute name is a reserved keyword; reserved keyword: status"),
    ("SET a = :nope", UE + "An expression attribute value used in expression is not defined; "
                           "attribute value: :nope"),
    ("ADD a :s", UE + "Incorrect operand type for operator or function; operator: ADD, operand type: STRING"),
    ("ADD a :l", UE + "Incorrect operand type for operator or function; operator: ADD, operand type: LIST"),
    ("DELETE a :n", UE + "Incorrect operand type for operator or function; operator: DELETE, operand type: NUMBER"),
    ("SET a = a + :s", UE + "Incorrect operand type for operator or function; operator or function: +, "
                            "operand type: S"),
    ("SET a = list_append(a, :n)", UE + "Incorrect operand type for operator or function; operator or function: "
                                        "list_append, operand type: N"),
    ("SET a = size(b)", UE + "The function is not allowed to be used this way in an expression; function: size"),
    ("SET a = foo(b)", UE + "Invalid function name; function: foo"),
])
def test_update_parse_errors(text, expected):
    assert error(ex().update, text) == expected


@pytest.mark.parametrize("text, expected", [
    # syntax first, then reserved words and function names, then repeated sections,
    # undefined placeholders, overlapping paths, conflicting paths, ADD/DELETE types, the rest
    ("SET #zz = :zz SET abOrt = b", UE + "Attribute name is a reserved keyword; reserved keyword: abOrt"),
    ("SET #zz = if_not_exist(:zz) SET c = d", UE + "Invalid function name; function: if_not_exist"),
    ("SET a = #zz SET c = :zz", UE + 'The "SET" section can only be used once in an update expression;'),
    ("SET #zz = if_not_exists(:n)", UE + "An expression attribute name used in the document path is not defined; "
                                         "attribute name: #zz"),
    ("SET d[1] = a, d.b = a, c[1].a = a, c = if_not_exists(a)",
     UE + "Two document paths overlap with each other; must remove or rewrite one of these paths; "
          "path one: [c, [1], a], path two: [c]"),
    ("SET c[3].d = a, c.d[3] = if_not_exists(a)",
     UE + "Two document paths conflict with each other; must remove or rewrite one of these paths; "
          "path one: [c, [3], d], path two: [c, d, [3]]"),
    ("SET b = list_append(:s, a), c = if_not_exists(a) ADD e.f :s",
     UE + "Incorrect operand type for operator or function; operator: ADD, operand type: STRING"),
    ("SET a = if_not_exists(:n, c)", UE + "Operator or function requires a document path; "
                                          "operator or function: if_not_exists"),
    ("SET a = if_not_exists(c)", UE + "Incorrect number of operands for operator or function; "
                                      "operator or function: if_not_exists, number of operands: 1"),
    ("REMOVE _c", UE + 'Syntax error; token: "_", near: "REMOVE _c"'),
])
def test_which_error_is_reported(text, expected):
    assert error(ex().update, text) == expected


def test_add_and_delete_need_the_container_of_a_nested_path():
    item = {"m": {"M": {}}, "l": {"L": []}, "s": {"S": "x"}}
    for text in ("ADD absent.x :n", "DELETE absent.x :ss", "ADD s.x :n", "ADD m[0] :n", "DELETE l.x :ss"):
        assert error(update, text, item) == \
            "The document path provided in the update expression is invalid for update", text
    assert update("ADD m.x :n DELETE l[3] :ss", item) == {"m": {"M": {"x": {"N": "5"}}}, "l": {"L": []},
                                                           "s": {"S": "x"}}


def test_an_update_may_not_nest_deeper_than_an_item_may():
    deep = {"S": "x"}
    for _ in range(32):
        deep = {"L": [deep]}
    values = {":deep": deep}
    assert update("SET a = :deep", {}, values) == {"a": deep}
    assert error(update, "SET m.x = :deep", {"m": {"M": {}}}, values) == \
        "Nesting Levels have exceeded supported limits"


def test_updated_paths():
    u = ex().update("SET a.b = :n, c = :n REMOVE d[1] ADD e :n DELETE f :ss")
    assert [p.elements for p in u.updated_paths()] == [("a", "b"), ("c",), ("d", 1), ("e",), ("f",)]


# -- legacy parameters ---------------------------------------------------------------------

def test_expected():
    assert from_expected({"n": {"Value": {"N": "5.0"}}}).evaluate(ITEM)
    assert from_expected({"n": {"Value": {"N": "5"}, "Exists": True}}).evaluate(ITEM)
    assert from_expected({"absent": {"Exists": False}}).evaluate(ITEM)
    assert not from_expected({"n": {"Exists": False}}).evaluate(ITEM)
    assert from_expected({"n": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "1"}]},
                          "s": {"ComparisonOperator": "NULL"}}, "OR").evaluate(ITEM)
    assert not from_expected({"n": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "1"}]},
                              "s": {"ComparisonOperator": "NULL"}}).evaluate(ITEM)
    assert from_expected({}).evaluate(None)


@pytest.mark.parametrize("operator, values, expected", [
    ("EQ", [{"N": "5"}], True), ("NE", [{"N": "5"}], False), ("LT", [{"N": "6"}], True),
    ("LE", [{"N": "5"}], True), ("GT", [{"N": "5"}], False), ("GE", [{"N": "5"}], True),
    ("NOT_NULL", [], True), ("NULL", [], False), ("IN", [{"N": "1"}, {"N": "5"}], True),
    ("BETWEEN", [{"N": "1"}, {"N": "5"}], True),
])
def test_filter_operators_on_a_number(operator, values, expected):
    cond = from_filter({"n": {"ComparisonOperator": operator, "AttributeValueList": values}})
    assert cond.evaluate(ITEM) is expected


def test_filter_string_operators():
    assert from_filter({"s": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"S": "ab"}]}}).evaluate(ITEM)
    assert from_filter({"s": {"ComparisonOperator": "CONTAINS", "AttributeValueList": [{"S": "bc"}]}}).evaluate(ITEM)
    assert from_filter({"ss": {"ComparisonOperator": "NOT_CONTAINS",
                               "AttributeValueList": [{"S": "z"}]}}).evaluate(ITEM)


@pytest.mark.parametrize("expected, text", [
    ({"a": {}}, "Value must be provided when Exists is null for Attribute: a"),
    ({"a": {"Exists": True}}, "Value must be provided when Exists is true for Attribute: a"),
    ({"a": {"Exists": False, "Value": {"S": "x"}}}, "Value cannot be used when Exists is false for Attribute: a"),
    ({"a": {"ComparisonOperator": "LT"}},
     "Value or AttributeValueList must be used with ComparisonOperator: LT for Attribute: a"),
    ({"a": {"ComparisonOperator": "LT", "Exists": True}},
     "Exists and ComparisonOperator cannot be used together for Attribute: a"),
    ({"a": {"ComparisonOperator": "LT", "Value": {"S": "x"}, "AttributeValueList": [{"S": "x"}]}},
     "Value and AttributeValueList cannot be used together for Attribute: a"),
    ({"a": {"AttributeValueList": [{"S": "x"}]}},
     "AttributeValueList can only be used with a ComparisonOperator for Attribute: a"),
    ({"a": {"ComparisonOperator": "NULL", "Value": {"S": "x"}}},
     "Invalid number of argument(s) for the NULL ComparisonOperator"),
])
def test_expected_errors(expected, text):
    assert error(from_expected, expected) == "One or more parameter values were invalid: " + text


def test_expected_value_with_an_operator():
    assert from_expected({"n": {"ComparisonOperator": "LT", "Value": {"N": "6"}}}).evaluate(ITEM)


def test_attribute_updates_type_mismatch():
    u = from_attribute_updates({"s": {"Action": "ADD", "Value": {"N": "1"}}})
    assert error(u.apply, ITEM) == "Type mismatch for attribute to update"
    u = from_attribute_updates({"ss": {"Action": "DELETE", "Value": {"NS": ["1"]}}})
    assert error(u.apply, ITEM) == "Type mismatch for attribute to update"
    u = from_attribute_updates({"n": {"Action": "ADD", "Value": {"N": "1E+125"}}})
    assert error(u.apply, {"n": {"N": "9E+125"}}) == \
        "Number overflow. Attempting to store a number with magnitude larger than supported range"


def test_legacy_errors():
    P = "One or more parameter values were invalid: "
    assert error(from_filter, {"n": {"ComparisonOperator": "EQ", "AttributeValueList": []}}) == \
        P + "Invalid number of argument(s) for the EQ ComparisonOperator"
    assert error(from_filter, {"n": {"ComparisonOperator": "LT", "AttributeValueList": [{"BOOL": True}]}}) == \
        P + "ComparisonOperator LT is not valid for BOOL AttributeValue type"
    assert error(from_filter, {"n": {"ComparisonOperator": "BETWEEN",
                                     "AttributeValueList": [{"N": "5"}, {"N": "1"}]}}) == \
        "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound"


def test_key_conditions_legacy():
    kc = from_key_conditions({"id": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}]},
                              "sk": {"ComparisonOperator": "BETWEEN",
                                     "AttributeValueList": [{"N": "1"}, {"N": "3"}]}}, COMPOSITE, DEFS)
    assert (kc.hash_name, kc.hash_value, kc.sort_op) == ("id", {"S": "a"}, "BETWEEN")
    assert kc.matches_sort({"N": "2"})
    assert error(from_key_conditions, {"sk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"N": "1"}]}},
                 COMPOSITE, DEFS) == "Query condition missed key schema element: id"
    assert error(from_key_conditions, {"id": {"ComparisonOperator": "GT", "AttributeValueList": [{"S": "a"}]}},
                 COMPOSITE, DEFS) == "Query key condition not supported"


def test_attribute_updates():
    old = {"n": {"N": "1"}, "l": {"L": [{"N": "1"}]}, "ss": {"SS": ["a", "b"]}, "gone": {"S": "x"}}
    u = from_attribute_updates({
        "n": {"Action": "ADD", "Value": {"N": "2"}},
        "l": {"Action": "ADD", "Value": {"L": [{"N": "2"}]}},
        "ss": {"Action": "DELETE", "Value": {"SS": ["a"]}},
        "gone": {"Action": "DELETE"},
        "new": {"Value": {"S": "v"}},
    })
    assert u.apply(old) == {"n": {"N": "3"}, "l": {"L": [{"N": "1"}, {"N": "2"}]}, "ss": {"SS": ["b"]},
                            "new": {"S": "v"}}
    assert [p.elements for p in u.updated_paths()] == [("n",), ("l",), ("ss",), ("gone",), ("new",)]
    assert error(from_attribute_updates, {"a": {"Action": "PUT"}}) == \
        "One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified"


# -- robustness ------------------------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

WORDS = ["a", "b", "n", "s", "l", "m", "#n", "#s", ":n", ":s", ":l", ":ss", ":b", ":bool", "0", "1", "=", "<>",
         "<", ">=", "(", ")", "[", "]", ".", ",", "+", "-", "AND", "OR", "NOT", "BETWEEN", "IN", "SET", "REMOVE",
         "ADD", "DELETE", "size", "contains", "begins_with", "attribute_exists", "attribute_type",
         "if_not_exists", "list_append", "status", "!", "#", ":"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(WORDS), min_size=0, max_size=12), st.sampled_from(
    ["condition", "update", "projection", "key_condition"]))
def test_any_text_parses_or_gets_a_validation_error(words, kind):
    """Bad input gets DynamoDB's ValidationException, never another exception."""
    text = " ".join(words)
    e = ex()
    try:
        if kind == "key_condition":
            e.key_condition(text, COMPOSITE, DEFS)
            return
        parsed = getattr(e, kind)(text)
    except ServiceError as error:
        assert error.code == "ValidationException" and error.status == 400
        return
    try:
        if kind == "condition":
            parsed.evaluate(ITEM)
        elif kind == "update":
            parsed.apply(ITEM)
        else:
            parsed.apply(ITEM)
    except ServiceError as error:
        assert error.code == "ValidationException" and error.status == 400
