"""JSONata mode: Arguments, Output, Assign, $states, variables, Items, Wait and
Fail expressions, and Step Functions' added functions."""
import pytest

from nubis.services.stepfunctions.asl import (
    StateIO, StatesError, catcher_assign, catcher_output, error_and_cause, items, timeout_seconds, wait_until,
)

CONTEXT = {"Execution": {"Id": "arn:exec", "Input": {"orig": 1}}, "State": {"Name": "S"}}


def jtask(**fields):
    return StateIO({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True, **fields},
                   "JSONata")


def test_arguments_evaluate_expressions_inside_objects_and_arrays():
    io = jtask(Arguments={
        "FunctionName": "f",
        "Payload": {"total": "{% $sum($states.input.items.price) %}",
                    "names": ["{% $states.input.items[0].name %}", "static"],
                    "exec": "{% $states.context.Execution.Id %}",
                    "limit": "{% $limit %}"},
    })
    data = {"items": [{"name": "a", "price": 1.5}, {"name": "b", "price": 2}]}
    assert io.effective_input(data, CONTEXT, {"limit": 10}) == {
        "FunctionName": "f",
        "Payload": {"total": 3.5, "names": ["a", "static"], "exec": "arn:exec", "limit": 10},
    }


def test_a_field_whose_expression_is_undefined_is_left_out():
    io = jtask(Arguments={"a": "{% $states.input.missing %}", "b": 1})
    assert io.effective_input({}, CONTEXT, {}) == {"b": 1}


def test_whole_arguments_may_be_one_expression():
    assert jtask(Arguments="{% $states.input.payload %}").effective_input({"payload": [1, 2]}) == [1, 2]


def test_output_sees_result_and_input_and_defaults_to_the_result():
    io = jtask(Output={"sum": "{% $states.result.value + $states.input.base %}"})
    assert io.result({"base": 1}, {"value": 41}, CONTEXT, {}) == {"sum": 42}
    assert jtask().result({"base": 1}, {"value": 41}, CONTEXT, {}) == {"value": 41}


def test_pass_and_wait_output_defaults_to_the_input():
    assert StateIO({"Type": "Pass", "End": True}, "JSONata").result({"a": 1}) == {"a": 1}
    assert StateIO({"Type": "Pass", "Output": "{% $states.input.a * 2 %}", "End": True},
                   "JSONata").result({"a": 2}) == 4


def test_assign_is_evaluated_against_the_variables_on_entry():
    io = jtask(Assign={"x": "{% $x + 1 %}", "y": "{% $x %}", "fromResult": "{% $states.result.v %}"},
               Output="{% $x %}")
    variables = {"x": 1}
    assigned = io.assign({}, {"v": "r"}, CONTEXT, variables)
    assert assigned == {"x": 2, "y": 1, "fromResult": "r"}
    # Output also sees the value x had when the state was entered.
    assert io.result({}, {"v": "r"}, CONTEXT, variables) == 1


def test_query_language_of_the_state_overrides_the_machine():
    io = StateIO({"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% 1 + 1 %}", "End": True}, "JSONPath")
    assert io.result({}) == 2


def test_evaluation_errors_are_query_evaluation_errors():
    with pytest.raises(StatesError) as err:
        jtask(Arguments={"a": "{% $states.input.s + 1 %}"}).effective_input({"s": "text"})
    assert err.value.error == "States.QueryEvaluationError"


def test_step_functions_functions():
    io = StateIO({"Type": "Pass", "End": True, "Output": {
        "partition": "{% $partition([1,2,3,4,5], 2) %}",
        "range": "{% $range(0, 10, 5) %}",
        "hash": "{% $hash('input data', 'SHA-1') %}",
        "parse": "{% $parse('{\"k\": [1]}') %}",
        "uuid": "{% $length($uuid()) %}",
        "random": "{% $random(7) = $random(7) %}",
    }}, "JSONata")
    assert io.result({}) == {
        "partition": [[1, 2], [3, 4], [5]], "range": [0, 5, 10],
        "hash": "aaff4a450a104cd177d28d18d74485e8cae074b7", "parse": {"k": [1]}, "uuid": 36, "random": True,
    }


def test_catcher_output_and_assign_see_error_output():
    catcher = {"ErrorEquals": ["States.ALL"], "Next": "H",
               "Output": {"why": "{% $states.errorOutput.Cause %}", "in": "{% $states.input.a %}"},
               "Assign": {"lastError": "{% $states.errorOutput.Error %}"}}
    assert catcher_output(catcher, "JSONata", {"a": 1}, "Boom", "because", CONTEXT, {}) == {"why": "because", "in": 1}
    assert catcher_assign(catcher, "JSONata", {"a": 1}, "Boom", "because", CONTEXT, {}) == {"lastError": "Boom"}
    plain = {"ErrorEquals": ["States.ALL"], "Next": "H"}
    assert catcher_output(plain, "JSONata", {"a": 1}, "E", "C") == {"Error": "E", "Cause": "C"}


def test_items_wait_timeout_and_fail_expressions():
    assert items({"Type": "Map", "Items": "{% $states.input.list %}"}, {"list": [1, 2]}, {}, {}, "JSONata") == [1, 2]
    assert items({"Type": "Map", "Items": [1, "{% 1 + 1 %}"]}, {}, {}, {}, "JSONata") == [1, 2]
    assert items({"Type": "Map"}, [3, 4], {}, {}, "JSONata") == [3, 4]
    with pytest.raises(StatesError) as err:
        items({"Type": "Map", "Items": "{% $states.input %}"}, {"a": 1}, {}, {}, "JSONata")
    assert err.value.error == "States.QueryEvaluationError"
    assert wait_until({"Type": "Wait", "Seconds": "{% $states.input.s %}"}, {"s": 5}, {}, {}, 100.0, "JSONata") == 105.0
    assert wait_until({"Type": "Wait", "Timestamp": "{% $states.input.t %}"}, {"t": "1970-01-01T00:01:00Z"},
                      {}, {}, 0.0, "JSONata") == 60.0
    assert timeout_seconds({"Type": "Task", "TimeoutSeconds": "{% $t %}"}, {}, {}, {"t": 30}, "JSONata") == 30
    fail = {"Type": "Fail", "Error": "{% 'E' & $states.input.code %}", "Cause": "{% $states.input.msg %}"}
    assert error_and_cause(fail, {"code": "42", "msg": "m"}, {}, {}, "JSONata") == ("E42", "m")


def test_now_and_millis_read_the_clock_given_to_use_clock():
    from nubis.services.stepfunctions.asl import jsonata
    try:
        jsonata.use_clock(lambda: 1457920740.5)
        io = StateIO({"Type": "Pass", "Output": {"now": "{% $now() %}", "ms": "{% $millis() %}"}, "End": True},
                     "JSONata")
        assert io.result({}) == {"now": "2016-03-14T01:59:00.500Z", "ms": 1457920740500}
    finally:
        jsonata.use_clock(None)
