"""Definition validation: the diagnostic codes, their locations, warnings, and
the InvalidDefinition message CreateStateMachine answers with."""
import json

import pytest

from nubis.protocol.errors import ServiceError
from nubis.services.stepfunctions.asl import diagnostics, validate

LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:f"


def machine(states, start="A", **top):
    return json.dumps({"StartAt": start, "States": states, **top})


def codes(definition):
    return [(d["code"], d["location"]) for d in diagnostics(definition) if d["severity"] == "ERROR"]


def test_a_good_definition_parses_with_no_diagnostics():
    text = machine({
        "A": {"Type": "Task", "Resource": LAMBDA, "Next": "B",
              "Retry": [{"ErrorEquals": ["States.Timeout"], "MaxAttempts": 2},
                        {"ErrorEquals": ["States.ALL"], "JitterStrategy": "FULL", "MaxDelaySeconds": 9}],
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Failed", "ResultPath": "$.err"}]},
        "B": {"Type": "Choice", "Choices": [
            {"And": [{"Variable": "$.n", "NumericGreaterThan": 1}, {"Not": {"Variable": "$.s", "IsNull": True}}],
             "Next": "C"}], "Default": "D"},
        "C": {"Type": "Parallel", "Branches": [
            {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}], "Next": "D"},
        "D": {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": {
            "StartAt": "M", "States": {"M": {"Type": "Wait", "Seconds": 1, "End": True}}}, "Next": "Done"},
        "Done": {"Type": "Succeed"},
        "Failed": {"Type": "Fail", "Error": "E", "Cause": "C"},
    })
    assert diagnostics(text) == []
    assert validate(text)["StartAt"] == "A"


def test_missing_transition_target():
    assert codes(machine({"A": {"Type": "Pass", "Next": "Nope"}, "B": {"Type": "Succeed"}}, start="A")) == [
        ("MISSING_TRANSITION_TARGET", "/States/A/Next"), ("UNREACHABLE_STATE", "/States/B"),
        ("MISSING_END_STATE", "/")]
    assert ("MISSING_TRANSITION_TARGET", "/StartAt") in codes(machine({"A": {"Type": "Succeed"}}, start="Z"))


def test_unreachable_state_and_the_invalid_definition_message():
    text = machine({"A": {"Type": "Pass", "End": True}, "Orphan": {"Type": "Pass", "End": True}})
    with pytest.raises(ServiceError) as err:
        validate(text)
    assert err.value.code == "InvalidDefinition"
    assert err.value.status == 400
    assert err.value.message == ("Invalid State Machine Definition: "
                                 "'UNREACHABLE_STATE: State \"Orphan\" is not reachable. at /States/Orphan'")


def test_states_reached_only_through_catch_or_choice_are_reachable():
    text = machine({"A": {"Type": "Task", "Resource": LAMBDA, "End": True,
                          "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "H"}]},
                    "H": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsPresent": True, "Next": "I"}],
                          "Default": "J"},
                    "I": {"Type": "Succeed"}, "J": {"Type": "Fail"}})
    assert codes(text) == []


def test_missing_end_state():
    assert ("MISSING_END_STATE", "/") in codes(machine({"A": {"Type": "Pass", "Next": "A"}}))


def test_duplicate_state_names_across_branches_and_in_the_json():
    text = machine({"A": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}]}})
    assert ("DUPLICATE_STATE_NAME", "/States/A/Branches/0/States/A") in codes(text)
    raw = '{"StartAt": "A", "States": {"A": {"Type": "Succeed"}, "A": {"Type": "Succeed"}}}'
    assert [d["code"] for d in diagnostics(raw)] == ["DUPLICATE_STATE_NAME"]


def test_invalid_json_and_empty_definitions():
    assert [d["code"] for d in diagnostics("{")] == ["INVALID_JSON_DESCRIPTION"]
    assert [d["code"] for d in diagnostics("")] == ["MISSING_DESCRIPTION"]


@pytest.mark.parametrize("state,location", [
    ({"Type": "Nope", "End": True}, "/States/A/Type"),
    ({"End": True}, "/States/A"),
    ({"Type": "Pass"}, "/States/A"),
    ({"Type": "Pass", "Next": "A", "End": True}, "/States/A"),
    ({"Type": "Pass", "End": False}, "/States/A/End"),
    ({"Type": "Pass", "End": True, "Bogus": 1}, "/States/A/Bogus"),
    ({"Type": "Pass", "End": True, "InputPath": "not a path"}, "/States/A/InputPath"),
    ({"Type": "Pass", "End": True, "ResultPath": "$.a[*]"}, "/States/A/ResultPath"),
    ({"Type": "Pass", "End": True, "Parameters": {"a.$": "nope"}}, "/States/A/Parameters/a.$"),
    ({"Type": "Pass", "End": True, "Parameters": {"a.$": "States.Format('x'"}}, "/States/A/Parameters/a.$"),
    ({"Type": "Pass", "End": True, "Output": {"a": 1}}, "/States/A/Output"),
    ({"Type": "Task", "End": True}, "/States/A"),
    ({"Type": "Task", "Resource": LAMBDA, "End": True, "TimeoutSeconds": 0}, "/States/A/TimeoutSeconds"),
    ({"Type": "Task", "Resource": LAMBDA, "End": True, "TimeoutSeconds": 5, "HeartbeatSeconds": 5},
     "/States/A/HeartbeatSeconds"),
    ({"Type": "Task", "Resource": LAMBDA, "End": True, "TimeoutSeconds": 5, "TimeoutSecondsPath": "$.t"},
     "/States/A"),
    ({"Type": "Task", "Resource": LAMBDA, "End": True, "Retry": [{"ErrorEquals": []}]},
     "/States/A/Retry/0/ErrorEquals"),
    ({"Type": "Task", "Resource": LAMBDA, "End": True, "Retry": [{"ErrorEquals": ["E"], "BackoffRate": 0.5}]},
     "/States/A/Retry/0/BackoffRate"),
    ({"Type": "Task", "Resource": LAMBDA, "End": True,
      "Retry": [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["E"]}]}, "/States/A/Retry/0/ErrorEquals"),
    ({"Type": "Task", "Resource": LAMBDA, "End": True,
      "Catch": [{"ErrorEquals": ["States.ALL", "E"], "Next": "A"}]}, "/States/A/Catch/0/ErrorEquals"),
    ({"Type": "Task", "Resource": LAMBDA, "End": True, "Catch": [{"ErrorEquals": ["E"]}]}, "/States/A/Catch/0"),
    ({"Type": "Wait", "End": True}, "/States/A"),
    ({"Type": "Wait", "End": True, "Seconds": 1, "SecondsPath": "$.s"}, "/States/A"),
    ({"Type": "Wait", "End": True, "Timestamp": "tomorrow"}, "/States/A/Timestamp"),
    ({"Type": "Choice", "Choices": []}, "/States/A/Choices"),
    ({"Type": "Choice", "Choices": [{"Variable": "$.a", "StringEquals": 1, "Next": "A"}]},
     "/States/A/Choices/0/StringEquals"),
    ({"Type": "Choice", "Choices": [{"Variable": "$.a", "NumericEquals": "1", "Next": "A"}]},
     "/States/A/Choices/0/NumericEquals"),
    ({"Type": "Choice", "Choices": [{"Variable": "$.a", "TimestampEquals": "x", "Next": "A"}]},
     "/States/A/Choices/0/TimestampEquals"),
    ({"Type": "Choice", "Choices": [{"Variable": "$.a", "Next": "A"}]}, "/States/A/Choices/0"),
    ({"Type": "Choice", "Choices": [{"Variable": "$.a", "IsNull": True}]}, "/States/A/Choices/0"),
    ({"Type": "Choice", "Choices": [{"Not": {"Variable": "$.a", "IsNull": True, "Next": "A"}, "Next": "A"}]},
     "/States/A/Choices/0/Not/Next"),
    ({"Type": "Parallel", "End": True, "Branches": []}, "/States/A/Branches"),
    ({"Type": "Parallel", "End": True, "Branches": [{"StartAt": "X", "States": {}}]},
     "/States/A/Branches/0/States"),
    ({"Type": "Map", "End": True}, "/States/A"),
    ({"Type": "Fail", "Error": "E", "ErrorPath": "$.e"}, "/States/A"),
])
def test_schema_validation_failures(state, location):
    found = codes(machine({"A": state}))
    assert ("SCHEMA_VALIDATION_FAILED", location) in found, found


def test_invalid_resource():
    assert ("INVALID_RESOURCE", "/States/A/Resource") in codes(
        machine({"A": {"Type": "Task", "Resource": "lambda-function", "End": True}}))


def test_jsonata_fields_and_expressions_are_checked():
    ok = machine({"A": {"Type": "Task", "Resource": LAMBDA, "Arguments": {"x": "{% $states.input.a %}"},
                        "Output": "{% $states.result %}", "Assign": {"v": 1}, "End": True}},
                 QueryLanguage="JSONata")
    assert codes(ok) == []
    bad = machine({"A": {"Type": "Pass", "Output": "{% 1 + %}", "End": True}}, QueryLanguage="JSONata")
    assert ("SCHEMA_VALIDATION_FAILED", "/States/A/Output") in codes(bad)
    jsonpath_field = machine({"A": {"Type": "Pass", "InputPath": "$.a", "End": True}}, QueryLanguage="JSONata")
    assert ("SCHEMA_VALIDATION_FAILED", "/States/A/InputPath") in codes(jsonpath_field)
    mixed = machine({"A": {"Type": "Pass", "QueryLanguage": "JSONPath", "End": True}}, QueryLanguage="JSONata")
    assert ("SCHEMA_VALIDATION_FAILED", "/States/A/QueryLanguage") in codes(mixed)
    per_state = machine({"A": {"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% 1 %}", "End": True}})
    assert codes(per_state) == []


def test_unknown_top_level_fields_and_bad_query_language():
    assert ("SCHEMA_VALIDATION_FAILED", "/") in codes(machine({"A": {"Type": "Succeed"}}, Foo=1))
    assert ("SCHEMA_VALIDATION_FAILED", "/QueryLanguage") in codes(
        machine({"A": {"Type": "Succeed"}}, QueryLanguage="XPath"))


def test_warnings_do_not_fail_validation():
    text = machine({"A": {"Type": "Pass", "Parameters": {"x": "$.a"}, "Next": "B"},
                    "B": {"Type": "Pass", "Result": {"y.$": "$.b"}, "End": True}})
    found = {(d["code"], d["severity"], d["location"]) for d in diagnostics(text)}
    assert found == {("NO_DOLLAR", "WARNING", "/States/A/Parameters/x"),
                     ("PASS_RESULT_IS_STATIC", "WARNING", "/States/B/Result/y.$")}
    validate(text)
