"""TestState: a state run once on its own, without an execution."""
import json

from .conftest import ROLE, code, error_of


def test_a_pass_state_and_its_next(sfn):
    out = sfn.test_state(definition=json.dumps({"Type": "Pass", "Result": {"r": 1}, "ResultPath": "$.out",
                                                "Next": "After"}), roleArn=ROLE, input='{"a": 1}')
    assert out["status"] == "SUCCEEDED" and out["nextState"] == "After"
    assert json.loads(out["output"]) == {"a": 1, "out": {"r": 1}}
    assert json.loads(out["inspectionData"]["input"]) == {"a": 1}


def test_one_state_of_a_machine_by_name(sfn):
    machine = {"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Next": "C"},
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericLessThan": 5, "Next": "A"}],
              "Default": "End"},
        "End": {"Type": "Succeed"}}}
    out = sfn.test_state(definition=json.dumps(machine), stateName="C", roleArn=ROLE, input='{"n": 9}')
    assert (out["status"], out["nextState"]) == ("SUCCEEDED", "End")


def test_errors_retriable_caught_and_failed(sfn):
    fail = {"Type": "Fail", "Error": "Boom", "Cause": "why"}
    out = sfn.test_state(definition=json.dumps(fail), roleArn=ROLE)
    assert (out["status"], out["error"], out["cause"]) == ("FAILED", "Boom", "why")
    parallel = {"Type": "Parallel", "End": True, "Branches": [{"StartAt": "F", "States": {"F": fail}}],
                "Retry": [{"ErrorEquals": ["Boom"], "IntervalSeconds": 3}]}
    assert sfn.test_state(definition=json.dumps(parallel), roleArn=ROLE)["status"] == "RETRIABLE"
    parallel = {"Type": "Parallel", "End": True, "Branches": [{"StartAt": "F", "States": {"F": fail}}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handler"}]}
    out = sfn.test_state(definition=json.dumps(parallel), roleArn=ROLE, input="{}")
    assert (out["status"], out["nextState"]) == ("CAUGHT_ERROR", "Handler")
    assert json.loads(out["output"]) == {"Error": "Boom", "Cause": "why"}


def test_bad_definitions(sfn):
    assert code(error_of(sfn.test_state, definition="{", roleArn=ROLE)) == "InvalidDefinition"
    e = error_of(sfn.test_state, definition=json.dumps({"Type": "Nope"}), roleArn=ROLE)
    assert code(e) == "InvalidDefinition"
