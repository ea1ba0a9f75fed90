"""The language through the wire: boto3 creates machines, runs executions and
reads their output, so paths, intrinsics, Choice, Wait, variables, JSONata and
validation are seen as a user sees them."""
import json

from .conftest import code, error_of, finished

LAMBDA = "arn:aws:lambda:us-east-1:000000000000:function:f"


def run(sfn, arn, data, name=None):
    kwargs = {"name": name} if name else {}
    return sfn.start_execution(stateMachineArn=arn, input=json.dumps(data), **kwargs)["executionArn"]


def test_jsonpath_parameters_intrinsics_result_path_and_choice(sfn, make_machine):
    arn = make_machine("jsonpath-flow", {
        "StartAt": "Shape",
        "States": {
            "Shape": {
                "Type": "Pass",
                "InputPath": "$.order",
                "Parameters": {
                    "id.$": "$.id",
                    "greeting.$": "States.Format('Order {} for {}', $.id, $.customer)",
                    "total.$": "States.MathAdd($.price, $.shipping)",
                    "tags.$": "States.StringSplit($.tags, ',')",
                    "execution.$": "$$.Execution.Name",
                    "cheap.$": "$.lines[?(@.price < 5)].sku",
                },
                "ResultPath": "$.shaped",
                "Next": "Route",
            },
            "Route": {
                "Type": "Choice",
                "Choices": [
                    {"And": [{"Variable": "$.shaped.total", "NumericGreaterThan": 100},
                             {"Variable": "$.order.customer", "StringMatches": "A*"}], "Next": "Big"},
                ],
                "Default": "Small",
            },
            "Big": {"Type": "Pass", "Result": "big", "ResultPath": "$.size", "OutputPath": "$.shaped", "End": True},
            "Small": {"Type": "Pass", "Result": "small", "ResultPath": "$.size", "End": True},
        },
    })
    order = {"id": 7, "customer": "Ada", "price": 99, "shipping": 5, "tags": "a,b,c",
             "lines": [{"sku": "x", "price": 2}, {"sku": "y", "price": 9}]}
    d = finished(sfn, run(sfn, arn, {"order": order}, name="exec-1"))
    assert d["status"] == "SUCCEEDED", d
    assert json.loads(d["output"]) == {
        "id": 7, "greeting": "Order 7 for Ada", "total": 104, "tags": ["a", "b", "c"],
        "execution": "exec-1", "cheap": ["x"]}
    d = finished(sfn, run(sfn, arn, {"order": {**order, "customer": "Bob"}}))
    out = json.loads(d["output"])
    assert out["size"] == "small" and out["order"]["customer"] == "Bob"


def test_wait_seconds_path_waits_on_the_controllable_clock(sfn, make_machine, nubis):
    arn = make_machine("wait-path", {
        "StartAt": "Wait",
        "States": {"Wait": {"Type": "Wait", "SecondsPath": "$.delay", "Next": "Done"},
                   "Done": {"Type": "Succeed"}},
    })
    execution = run(sfn, arn, {"delay": 30})
    nubis.advance(29)
    assert sfn.describe_execution(executionArn=execution)["status"] == "RUNNING"
    nubis.advance(2)
    d = finished(sfn, execution)
    assert d["status"] == "SUCCEEDED"
    assert json.loads(d["output"]) == {"delay": 30}


def test_a_path_that_misses_fails_the_execution_with_states_runtime(sfn, make_machine):
    arn = make_machine("runtime-error", {
        "StartAt": "P",
        "States": {"P": {"Type": "Pass", "Parameters": {"x.$": "$.missing"}, "End": True}},
    })
    d = finished(sfn, run(sfn, arn, {"present": 1}))
    assert d["status"] == "FAILED"
    assert d["error"] == "States.Runtime"
    assert "'$.missing'" in d["cause"]


def test_fail_state_error_and_cause_paths(sfn, make_machine):
    arn = make_machine("fail-paths", {
        "StartAt": "F",
        "States": {"F": {"Type": "Fail", "ErrorPath": "$.code",
                         "CausePath": "States.Format('Item {} is out of stock', $.item)"}},
    })
    d = finished(sfn, run(sfn, arn, {"code": "OutOfStock", "item": "x-1"}))
    assert (d["status"], d["error"], d["cause"]) == ("FAILED", "OutOfStock", "Item x-1 is out of stock")


def test_no_choice_matched(sfn, make_machine):
    arn = make_machine("no-choice", {
        "StartAt": "C",
        "States": {"C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "D"}]},
                   "D": {"Type": "Succeed"}},
    })
    d = finished(sfn, run(sfn, arn, {"n": 2}))
    assert (d["status"], d["error"]) == ("FAILED", "States.NoChoiceMatched")


def test_map_item_selector_and_parallel_branches(sfn, make_machine):
    arn = make_machine("map-parallel", {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemSelector": {"value.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index", "unit.$": "$.unit"},
                "ItemProcessor": {"StartAt": "Label", "States": {"Label": {
                    "Type": "Pass",
                    "Parameters": {"label.$": "States.Format('{}#{} {}', $.value, $.index, $.unit)"},
                    "End": True}}},
                "ResultPath": "$.labels",
                "Next": "Both",
            },
            "Both": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "Count", "States": {"Count": {
                        "Type": "Pass", "Parameters": {"n.$": "States.ArrayLength($.labels)"}, "End": True}}},
                    {"StartAt": "First", "States": {"First": {
                        "Type": "Pass", "Parameters": {"first.$": "$.labels[0].label"}, "End": True}}},
                ],
                "End": True,
            },
        },
    })
    d = finished(sfn, run(sfn, arn, {"items": ["a", "b"], "unit": "kg"}))
    assert d["status"] == "SUCCEEDED", d
    assert json.loads(d["output"]) == [{"n": 2}, {"first": "a#0 kg"}]


def test_jsonata_machine_with_variables_across_states(sfn, make_machine):
    arn = make_machine("jsonata-flow", {
        "QueryLanguage": "JSONata",
        "StartAt": "Init",
        "States": {
            "Init": {"Type": "Pass", "Assign": {"total": "{% $sum($states.input.prices) %}", "count": 0},
                     "Next": "Check"},
            "Check": {"Type": "Choice", "Choices": [
                {"Condition": "{% $total > 10 %}", "Next": "Expensive"}], "Default": "Cheap"},
            "Expensive": {"Type": "Pass", "Assign": {"count": "{% $count + 1 %}"},
                          "Output": {"total": "{% $total %}", "kind": "expensive",
                                     "countSeen": "{% $count %}",
                                     "exec": "{% $states.context.Execution.Name %}"},
                          "Next": "Done"},
            "Cheap": {"Type": "Pass", "Output": {"kind": "cheap"}, "End": True},
            "Done": {"Type": "Pass", "Output": "{% $merge([$states.input, {'count': $count}]) %}", "End": True},
        },
    })
    d = finished(sfn, run(sfn, arn, {"prices": [4, 5, 6]}, name="jx"))
    assert d["status"] == "SUCCEEDED", d
    # Expensive's Output sees count as it was on entry (0); Done sees the assigned 1.
    assert json.loads(d["output"]) == {"total": 15, "kind": "expensive", "countSeen": 0, "exec": "jx", "count": 1}
    d = finished(sfn, run(sfn, arn, {"prices": [1]}))
    assert json.loads(d["output"]) == {"kind": "cheap"}


def test_jsonata_error_is_a_query_evaluation_error(sfn, make_machine):
    arn = make_machine("jsonata-error", {
        "QueryLanguage": "JSONata",
        "StartAt": "P",
        "States": {"P": {"Type": "Pass", "Output": "{% $states.input.s + 1 %}", "End": True}},
    })
    d = finished(sfn, run(sfn, arn, {"s": "text"}))
    assert (d["status"], d["error"]) == ("FAILED", "States.QueryEvaluationError")


def test_create_refuses_an_invalid_definition_with_aws_message(sfn):
    definition = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nowhere"}}}
    e = error_of(sfn.create_state_machine, name="bad", definition=json.dumps(definition),
                 roleArn="arn:aws:iam::000000000000:role/r")
    assert code(e) == "InvalidDefinition"
    assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert e.response["Error"]["Message"].startswith(
        "Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' target: Nowhere "
        "at /States/A/Next")


def test_validate_state_machine_definition_lists_diagnostics(sfn):
    bad = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Wait", "End": True},
                                      "C": {"Type": "Succeed"}}}
    r = sfn.validate_state_machine_definition(definition=json.dumps(bad))
    assert r["result"] == "FAIL"
    found = {(d["code"], d.get("location")) for d in r["diagnostics"]}
    assert ("SCHEMA_VALIDATION_FAILED", "/States/B") in found
    assert ("UNREACHABLE_STATE", "/States/C") in found
    ok = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Parameters": {"x": "$.y"}, "End": True}}}
    r = sfn.validate_state_machine_definition(definition=json.dumps(ok))
    assert r["result"] == "OK"
    assert [(d["severity"], d["code"]) for d in r["diagnostics"]] == [("WARNING", "NO_DOLLAR")]
