"""Choice rules: every comparison operator and its Path variant, the type tests,
And/Or/Not, Default, and JSONata Conditions."""
import pytest

from nubis.services.stepfunctions.asl import StatesError, choose, choose_rule
from nubis.services.stepfunctions.asl.choice import evaluate_rule

DATA = {
    "s": "foo", "n": 5, "f": 2.5, "b": True, "z": None, "t": "2024-01-02T03:04:05Z",
    "t2": "2024-01-02T04:04:05+01:00", "other": {"s": "foo", "n": 5, "b": True, "t": "2025-01-01T00:00:00Z"},
    "file": "log-2024.txt", "star": "a*b", "path": "a\\b",
}


def rule(op, value, variable="$.s"):
    return {"Variable": variable, op: value}


@pytest.mark.parametrize("op,variable,value,expected", [
    ("StringEquals", "$.s", "foo", True),
    ("StringEquals", "$.s", "bar", False),
    ("StringEquals", "$.n", "5", False),  # a number is never equal to a string
    ("StringLessThan", "$.s", "goo", True),
    ("StringGreaterThan", "$.s", "eoo", True),
    ("StringLessThanEquals", "$.s", "foo", True),
    ("StringGreaterThanEquals", "$.s", "fop", False),
    ("StringMatches", "$.file", "log-*.txt", True),
    ("StringMatches", "$.file", "*.csv", False),
    ("StringMatches", "$.star", "a\\*b", True),
    ("StringMatches", "$.s", "f\\*", False),
    ("StringMatches", "$.path", "a\\\\b", True),
    ("NumericEquals", "$.n", 5, True),
    ("NumericEquals", "$.n", 5.0, True),
    ("NumericEquals", "$.s", 5, False),
    ("NumericEquals", "$.b", 1, False),  # a boolean is not a number
    ("NumericLessThan", "$.f", 3, True),
    ("NumericGreaterThan", "$.f", 3, False),
    ("NumericLessThanEquals", "$.n", 5, True),
    ("NumericGreaterThanEquals", "$.n", 6, False),
    ("BooleanEquals", "$.b", True, True),
    ("BooleanEquals", "$.b", False, False),
    ("BooleanEquals", "$.n", True, False),
    ("TimestampEquals", "$.t", "2024-01-02T03:04:05Z", True),
    ("TimestampEquals", "$.t2", "2024-01-02T03:04:05Z", True),  # the same instant
    ("TimestampLessThan", "$.t", "2024-01-02T03:04:06Z", True),
    ("TimestampGreaterThan", "$.t", "2024-01-02T03:04:06Z", False),
    ("TimestampLessThanEquals", "$.t", "2024-01-02T03:04:05.000Z", True),
    ("TimestampGreaterThanEquals", "$.t", "2023-12-31T23:59:59Z", True),
    ("TimestampEquals", "$.s", "2024-01-02T03:04:05Z", False),
    ("IsNull", "$.z", True, True),
    ("IsNull", "$.s", True, False),
    ("IsNull", "$.s", False, True),
    ("IsPresent", "$.s", True, True),
    ("IsPresent", "$.missing", True, False),
    ("IsPresent", "$.missing", False, True),
    ("IsNumeric", "$.f", True, True),
    ("IsNumeric", "$.b", True, False),
    ("IsString", "$.s", True, True),
    ("IsString", "$.n", False, True),
    ("IsBoolean", "$.b", True, True),
    ("IsBoolean", "$.s", True, False),
    ("IsTimestamp", "$.t", True, True),
    ("IsTimestamp", "$.s", True, False),
    ("StringEqualsPath", "$.s", "$.other.s", True),
    ("StringLessThanPath", "$.s", "$.other.s", False),
    ("StringGreaterThanPath", "$.s", "$.other.s", False),
    ("StringLessThanEqualsPath", "$.s", "$.other.s", True),
    ("StringGreaterThanEqualsPath", "$.s", "$.other.s", True),
    ("NumericEqualsPath", "$.n", "$.other.n", True),
    ("NumericLessThanPath", "$.f", "$.other.n", True),
    ("NumericGreaterThanPath", "$.f", "$.other.n", False),
    ("NumericLessThanEqualsPath", "$.n", "$.other.n", True),
    ("NumericGreaterThanEqualsPath", "$.n", "$.other.n", True),
    ("BooleanEqualsPath", "$.b", "$.other.b", True),
    ("TimestampEqualsPath", "$.t", "$.other.t", False),
    ("TimestampLessThanPath", "$.t", "$.other.t", True),
    ("TimestampGreaterThanPath", "$.t", "$.other.t", False),
    ("TimestampLessThanEqualsPath", "$.t", "$.other.t", True),
    ("TimestampGreaterThanEqualsPath", "$.t", "$.other.t", False),
])
def test_every_operator(op, variable, value, expected):
    assert evaluate_rule(rule(op, value, variable), DATA) is expected


def test_and_or_not_nest():
    r = {"And": [{"Variable": "$.n", "NumericGreaterThanEquals": 1},
                 {"Or": [{"Variable": "$.s", "StringEquals": "x"},
                         {"Not": {"Variable": "$.b", "BooleanEquals": False}}]}]}
    assert evaluate_rule(r, DATA) is True
    assert evaluate_rule({"Not": r}, DATA) is False


def test_variables_and_context_in_rules():
    assert evaluate_rule({"Variable": "$count", "NumericEquals": 3}, {}, {}, {"count": 3})
    assert evaluate_rule({"Variable": "$$.Execution.Name", "StringEquals": "e1"}, {}, {"Execution": {"Name": "e1"}})


def test_a_missing_variable_is_a_runtime_error():
    with pytest.raises(StatesError) as err:
        evaluate_rule({"Variable": "$.missing", "StringEquals": "x"}, DATA)
    assert err.value.error == "States.Runtime"
    assert "Invalid path '$.missing'" in err.value.cause
    with pytest.raises(StatesError):
        evaluate_rule({"Variable": "$.s", "StringEqualsPath": "$.missing"}, DATA)


CHOICE = {
    "Type": "Choice",
    "Choices": [
        {"Variable": "$.n", "NumericLessThan": 0, "Next": "Negative"},
        {"Variable": "$.n", "NumericEquals": 0, "Next": "Zero"},
    ],
    "Default": "Positive",
}


def test_first_matching_rule_wins_and_default_is_the_fallback():
    assert choose(CHOICE, {"n": -1}) == "Negative"
    assert choose(CHOICE, {"n": 0}) == "Zero"
    assert choose(CHOICE, {"n": 3}) == "Positive"
    no_default = {k: v for k, v in CHOICE.items() if k != "Default"}
    assert choose(no_default, {"n": 3}) is None  # the executor fails with States.NoChoiceMatched


def test_jsonata_conditions():
    state = {"Type": "Choice", "QueryLanguage": "JSONata", "Choices": [
        {"Condition": "{% $states.input.n < 0 %}", "Next": "Negative"},
        {"Condition": "{% $limit = $states.input.n %}", "Next": "AtLimit", "Assign": {"hit": True}},
    ], "Default": "Other"}
    assert choose(state, {"n": -2}) == "Negative"
    assert choose(state, {"n": 5}, {}, {"limit": 5}) == "AtLimit"
    assert choose_rule(state, {"n": 5}, {}, {"limit": 5})["Assign"] == {"hit": True}
    assert choose(state, {"n": 6}, {}, {"limit": 5}) == "Other"


def test_a_non_boolean_condition_is_a_query_evaluation_error():
    state = {"Type": "Choice", "Choices": [{"Condition": "{% $states.input.n %}", "Next": "X"}]}
    with pytest.raises(StatesError) as err:
        choose(state, {"n": 1}, {}, {}, "JSONata")
    assert err.value.error == "States.QueryEvaluationError"


def test_choice_outcome_applies_state_and_rule_assign_and_rule_output():
    from nubis.services.stepfunctions.asl import choice_outcome
    state = {"Type": "Choice", "QueryLanguage": "JSONata",
             "Assign": {"seen": "{% $seen + 1 %}", "kind": "none"},
             "Choices": [{"Condition": "{% $states.input.n > 1 %}", "Next": "Big",
                          "Assign": {"kind": "big"}, "Output": {"n": "{% $states.input.n %}"}}],
             "Default": "Small"}
    assert choice_outcome(state, {"n": 5}, {}, {"seen": 0}) == ("Big", {"n": 5}, {"seen": 1, "kind": "big"})
    assert choice_outcome(state, {"n": 0}, {}, {"seen": 0}) == ("Small", {"n": 0}, {"seen": 1, "kind": "none"})
    jsonpath = {"Type": "Choice", "InputPath": "$.in", "OutputPath": "$.v",
                "Choices": [{"Variable": "$.v", "IsPresent": True, "Next": "A", "Assign": {"x.$": "$states.input.tag"}}]}
    assert choice_outcome(jsonpath, {"in": {"v": 3}, "tag": "t"}) == ("A", 3, {"x": "t"})
    no_match = {"Type": "Choice", "Choices": [{"Variable": "$.v", "IsPresent": True, "Next": "A"}]}
    assert choice_outcome(no_match, {})[0] is None
