"""JSONPath data flow of a state: InputPath, Parameters, ResultSelector, ResultPath,
OutputPath, the context object and variables (the developer guide's examples)."""
import pytest

from nubis.services.stepfunctions.asl import StateIO, StatesError
from nubis.services.stepfunctions.asl import paths

GUIDE_INPUT = {
    "comment": "This is a test of the input and output of a Task state.",
    "details": "Default example",
    "who": "AWS Step Functions",
}


def task(**fields):
    return StateIO({"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f",
                    "End": True, **fields})


@pytest.mark.parametrize("path,data,expected", [
    ("$", {"a": 1}, {"a": 1}),
    ("$.a", {"a": 1}, 1),
    ("$.a.b[1]", {"a": {"b": [5, 6]}}, 6),
    ("$['a b']", {"a b": 2}, 2),
    ("$.a[*].b", {"a": [{"b": 1}, {"b": 2}]}, [1, 2]),
    ("$..b", {"a": [{"b": 1}, {"c": {"b": 3}}]}, [1, 3]),
    ("$.a[?(@.n > 1)].n", {"a": [{"n": 1}, {"n": 2}, {"n": 3}]}, [2, 3]),
    ("$.a[0:2]", {"a": [1, 2, 3]}, [1, 2]),
])
def test_paths_select_like_the_guide(path, data, expected):
    assert paths.select(path, data) == expected


def test_reference_paths_are_told_apart_from_full_paths():
    assert paths.is_reference_path("$.a.b[0]['c d']")
    assert not paths.is_reference_path("$.a[*]")
    assert not paths.is_reference_path("$..a")
    assert not paths.is_reference_path("a.b")


def test_context_object_and_variables_are_roots():
    context = {"Execution": {"Id": "arn:exec"}, "State": {"Name": "S"}}
    assert paths.select("$$.Execution.Id", {}, context) == "arn:exec"
    assert paths.select("$myVar.x", {}, context, {"myVar": {"x": 4}}) == 4


def test_input_path_selects_part_of_the_input():
    data = {"comment": "Example for InputPath.",
            "dataset1": {"val1": 1, "val2": 2, "val3": 3},
            "dataset2": {"val1": "a", "val2": "b", "val3": "c"}}
    assert task(InputPath="$.dataset2").effective_input(data) == {"val1": "a", "val2": "b", "val3": "c"}


def test_input_path_null_gives_an_empty_object():
    assert task(InputPath=None).effective_input({"a": 1}) == {}


def test_a_missing_input_path_is_a_runtime_error():
    with pytest.raises(StatesError) as err:
        task(InputPath="$.nope").effective_input({"a": 1})
    assert err.value.error == "States.Runtime"
    assert "$['nope']" in err.value.cause


def test_parameters_take_paths_context_variables_and_intrinsics():
    io = task(Parameters={
        "comment": "Selecting what I care about.",
        "MyDetails": {"size.$": "$.product.details.size", "exists.$": "$.product.availability"},
        "StaticValue": "foo",
        "execution.$": "$$.Execution.Id",
        "who.$": "$owner",
        "greeting.$": "States.Format('Hello, {}', $.product.details.color)",
        "list": [{"x.$": "$.product.availability"}],
    })
    data = {"flagged": 7, "product": {"details": {"color": "blue", "size": "small", "material": "cotton"},
                                      "availability": "in stock", "sku": "2317", "cost": "$23"}}
    assert io.effective_input(data, {"Execution": {"Id": "arn:e"}}, {"owner": "ann"}) == {
        "comment": "Selecting what I care about.",
        "MyDetails": {"size": "small", "exists": "in stock"},
        "StaticValue": "foo",
        "execution": "arn:e",
        "who": "ann",
        "greeting": "Hello, blue",
        "list": [{"x": "in stock"}],
    }


def test_parameters_path_that_misses_names_the_field():
    with pytest.raises(StatesError) as err:
        task(Parameters={"a.$": "$.missing"}).effective_input({"b": 1})
    assert err.value.error == "States.Runtime"
    assert err.value.cause == ("The JSONPath '$.missing' specified for the field 'a.$' could not be found "
                               "in the input '{\"b\":1}'")


def test_result_path_adds_the_result_to_the_input():
    out = task(ResultPath="$.taskresult").result(GUIDE_INPUT, "Hello, AWS Step Functions!")
    assert out == {**GUIDE_INPUT, "taskresult": "Hello, AWS Step Functions!"}


def test_result_path_creates_nested_objects_and_keeps_siblings():
    data = {"strings": {"a": "x"}}
    out = task(ResultPath="$.strings.lambdaresult").result(data, "r")
    assert out == {"strings": {"a": "x", "lambdaresult": "r"}}
    assert data == {"strings": {"a": "x"}}  # the input is not changed in place
    assert task(ResultPath="$.new.deep.x").result({}, 1) == {"new": {"deep": {"x": 1}}}


def test_result_path_default_replaces_and_null_discards():
    assert task().result(GUIDE_INPUT, "r") == "r"
    assert task(ResultPath=None).result(GUIDE_INPUT, "r") == GUIDE_INPUT


def test_result_path_cannot_write_into_a_non_object():
    with pytest.raises(StatesError) as err:
        task(ResultPath="$.a.b").result({"a": 5}, 1)
    assert err.value.error == "States.Runtime"
    with pytest.raises(StatesError):
        task(ResultPath="$.a").result("a string input", 1)


def test_result_selector_then_result_path_then_output_path():
    result = {"resourceType": "elasticmapreduce", "resource": "createCluster.sync",
              "output": {"SdkHttpMetadata": {"HttpStatusCode": 200}, "ClusterId": "AKIAIOSFODNN7EXAMPLE"}}
    io = task(ResultSelector={"ClusterId.$": "$.output.ClusterId", "ResourceType.$": "$.resourceType"},
              ResultPath="$.EMROutput", OutputPath="$.EMROutput")
    assert io.result({"a": 1}, result) == {"ClusterId": "AKIAIOSFODNN7EXAMPLE", "ResourceType": "elasticmapreduce"}


def test_output_path_null_gives_an_empty_object():
    assert task(OutputPath=None).result({"a": 1}, 2) == {}


def test_pass_state_result_and_parameters():
    assert StateIO({"Type": "Pass", "Result": {"x": 1}, "ResultPath": "$.r", "End": True}).result(
        {"a": 1}) == {"a": 1, "r": {"x": 1}}
    io = StateIO({"Type": "Pass", "Parameters": {"b.$": "$.a"}, "End": True})
    effective = io.effective_input({"a": 1})
    assert io.result({"a": 1}, effective) == {"b": 1}


def test_wait_and_choice_states_pass_input_through_input_and_output_path():
    io = StateIO({"Type": "Wait", "Seconds": 1, "InputPath": "$.a", "OutputPath": "$.b", "End": True})
    assert io.result({"a": {"b": 3}}) == 3


def test_assign_in_jsonpath_uses_the_result_and_states_input():
    io = task(Assign={"total.$": "$.sum", "original.$": "$states.input.id", "fixed": 1,
                      "exec.$": "$$.Execution.Name"})
    values = io.assign({"id": "i-1"}, {"sum": 10}, {"Execution": {"Name": "run"}}, {})
    assert values == {"total": 10, "original": "i-1", "fixed": 1, "exec": "run"}


def test_payload_over_256_kib_is_data_limit_exceeded():
    with pytest.raises(StatesError) as err:
        task().result({}, "x" * (256 * 1024 + 1))
    assert err.value.error == "States.DataLimitExceeded"
    task().result({}, "x" * (256 * 1024 - 2))  # the quota itself is fine
