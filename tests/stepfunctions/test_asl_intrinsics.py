"""Every intrinsic function, with the developer guide's examples, the call syntax
(nesting, quoting, escapes) and States.IntrinsicFailure for bad arguments."""
import re

import pytest

from nubis.services.stepfunctions.asl import StatesError
from nubis.services.stepfunctions.asl import intrinsics

DATA = {
    "name": "Arnav",
    "someString": "{\"number\": 20}",
    "someJson": {"name": "Foo", "year": 2020},
    "inputArray": [1, 2, 3, 4, 5, 6, 7, 8, 9],
    "dupes": [1, 2, 3, 3, 3, 3, 3, 3, 4],
    "lookingFor": 5,
    "index": 5,
    "json1": {"a": {"a1": 1, "a2": 2}, "b": 2},
    "json2": {"a": {"a3": 1, "a4": 2}, "c": 3},
    "value1": 111,
    "step": -1,
    "inputString": "This.is+a,test=string",
    "splitter": ".+,=",
}


@pytest.mark.parametrize("call,expected", [
    ("States.Format('Hello, my name is {}.', $.name)", "Hello, my name is Arnav."),
    ("States.Format('{} is {} and {}', 1, true, null)", "1 is true and null"),
    ("States.Format('Escaped \\{\\} and \\'quotes\\' and {}', $.name)", "Escaped {} and 'quotes' and Arnav"),
    ("States.StringToJson($.someString)", {"number": 20}),
    ("States.JsonToString($.someJson)", "{\"name\":\"Foo\",\"year\":2020}"),
    ("States.Array('Foo', 2020, $.someJson, null)", ["Foo", 2020, {"name": "Foo", "year": 2020}, None]),
    ("States.ArrayPartition($.inputArray, 4)", [[1, 2, 3, 4], [5, 6, 7, 8], [9]]),
    ("States.ArrayContains($.inputArray, $.lookingFor)", True),
    ("States.ArrayContains($.inputArray, 10)", False),
    ("States.ArrayRange(1, 9, 2)", [1, 3, 5, 7, 9]),
    ("States.ArrayRange(10, 0, -5)", [10, 5, 0]),
    ("States.ArrayGetItem($.inputArray, $.index)", 6),
    ("States.ArrayLength($.inputArray)", 9),
    ("States.ArrayUnique($.dupes)", [1, 2, 3, 4]),
    ("States.Base64Encode('Data to encode')", "RGF0YSB0byBlbmNvZGU="),
    ("States.Base64Decode('RGF0YSB0byBlbmNvZGU=')", "Data to encode"),
    ("States.Hash('input data', 'SHA-1')", "aaff4a450a104cd177d28d18d74485e8cae074b7"),
    ("States.Hash('input data', 'MD5')", "812f45842bc6d66ee14572ce20db8e86"),
    ("States.JsonMerge($.json1, $.json2, false)", {"a": {"a3": 1, "a4": 2}, "b": 2, "c": 3}),
    ("States.MathAdd($.value1, $.step)", 110),
    ("States.StringSplit('1,2,3,4,5', ',')", ["1", "2", "3", "4", "5"]),
    ("States.StringSplit($.inputString, $.splitter)", ["This", "is", "a", "test", "string"]),
    ("States.ArrayLength(States.ArrayPartition(States.ArrayRange(1, 10, 1), 3))", 4),
    ("States.Format('{}-{}', $$.Execution.Name, $v)", "run-7"),
])
def test_functions_as_documented(call, expected):
    assert intrinsics.evaluate(call, DATA, {"Execution": {"Name": "run"}}, {"v": 7}) == expected


def test_hash_algorithms_match_hashlib():
    import hashlib
    for name, algo in [("MD5", "md5"), ("SHA-1", "sha1"), ("SHA-256", "sha256"),
                       ("SHA-384", "sha384"), ("SHA-512", "sha512")]:
        assert intrinsics.evaluate(f"States.Hash('abc', '{name}')", {}) == hashlib.new(algo, b"abc").hexdigest()


def test_math_random_is_in_range_and_a_seed_repeats():
    for _ in range(50):
        assert 1 <= intrinsics.evaluate("States.MathRandom(1, 999)", {}) < 999
    a = intrinsics.evaluate("States.MathRandom(1, 1000000, 1234)", {})
    b = intrinsics.evaluate("States.MathRandom(1, 1000000, 1234)", {})
    assert a == b


def test_uuid_is_a_version_4_uuid():
    value = intrinsics.evaluate("States.UUID()", {})
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", value)
    assert value != intrinsics.evaluate("States.UUID()", {})


def test_paths_inside_arguments_may_use_brackets_filters_and_quotes():
    data = {"items": [{"k": "a,b", "n": 1}, {"k": "c)", "n": 2}]}
    assert intrinsics.evaluate("States.JsonToString($.items[?(@.n > 1)].k)", data) == "[\"c)\"]"
    assert intrinsics.evaluate("States.Format('{}', $.items[0]['k'])", data) == "a,b"


@pytest.mark.parametrize("call", [
    "States.Format('{} {}', 'only one')",
    "States.Format('{}', $.someJson)",
    "States.StringToJson('not json')",
    "States.ArrayPartition($.inputArray, 0)",
    "States.ArrayGetItem($.inputArray, 9)",
    "States.ArrayRange(1, 2000, 1)",
    "States.ArrayRange(1, 5, 0)",
    "States.Base64Decode('***')",
    "States.Hash('x', 'SHA-3')",
    "States.JsonMerge($.json1, $.json2, true)",
    "States.MathAdd(1.5, 1)",
    "States.MathAdd(2147483648, 1)",
    "States.MathRandom(5, 5)",
    "States.ArrayLength('no')",
    "States.UUID(1)",
    "States.Nope(1)",
    "States.Format('unterminated)",
])
def test_bad_arguments_are_intrinsic_failures(call):
    with pytest.raises(StatesError) as err:
        intrinsics.evaluate(call, DATA)
    assert err.value.error == "States.IntrinsicFailure"


def test_parse_rejects_what_is_not_a_call():
    for text in ["States.Format", "States.Format('a'", "States.Format('a') x", "States.Array(foo)"]:
        with pytest.raises(ValueError):
            intrinsics.parse(text)


def test_nine_nested_functions_as_in_the_guide_and_no_more_than_ten():
    # The guide's field (its template, with one placeholder per argument).
    call = ("States.Format('{}.{}', States.ArrayGetItem(States.StringSplit(States.ArrayGetItem("
            "States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 0), States.ArrayGetItem(States.StringSplit("
            "States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 1))")
    data = {"ImageRecipe": {"Arn": "arn:aws:imagebuilder:us-east-1:123456789012:image-recipe/my.recipe/1.0.0"}}
    assert intrinsics.evaluate(call, data) == "1.0"
    deep = "States.Array(" * 10 + "1" + ")" * 10
    assert intrinsics.evaluate(deep, {}) == [[[[[[[[[[1]]]]]]]]]]
    with pytest.raises(ValueError):
        intrinsics.parse("States.Array(" * 11 + "1" + ")" * 11)
