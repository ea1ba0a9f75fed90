"""Executions through boto3: their results, their history (event types, ids and
previousEventId links as AWS records them), names, stopping, listing, and the
clock moving a Wait."""
import json

from .conftest import chain, code, error_of, finished, history, types

PASS_CHAIN = {"StartAt": "A", "States": {
    "A": {"Type": "Pass", "Result": {"x": 1}, "ResultPath": "$.a", "Next": "B"},
    "B": {"Type": "Pass", "End": True}}}


def test_a_pass_chain_succeeds_with_its_history(sfn, make_machine):
    arn = make_machine("passes", PASS_CHAIN)
    ex = sfn.start_execution(stateMachineArn=arn, name="first", input='{"in": true}')
    assert ex["executionArn"] == "arn:aws:states:us-east-1:000000000000:execution:passes:first"
    d = finished(sfn, ex["executionArn"])
    assert d["status"] == "SUCCEEDED"
    assert json.loads(d["output"]) == {"in": True, "a": {"x": 1}}
    assert d["name"] == "first" and d["stateMachineArn"] == arn
    events = history(sfn, ex["executionArn"])
    assert chain(events) == [
        ("ExecutionStarted", 1, 0), ("PassStateEntered", 2, 0), ("PassStateExited", 3, 2),
        ("PassStateEntered", 4, 3), ("PassStateExited", 5, 4), ("ExecutionSucceeded", 6, 5)]
    started = events[0]["executionStartedEventDetails"]
    assert json.loads(started["input"]) == {"in": True}
    assert started["roleArn"].endswith(":role/sfn-role")
    assert events[1]["stateEnteredEventDetails"]["name"] == "A"
    assert json.loads(events[2]["stateExitedEventDetails"]["output"]) == {"in": True, "a": {"x": 1}}
    assert json.loads(events[5]["executionSucceededEventDetails"]["output"]) == {"in": True, "a": {"x": 1}}


def test_history_reverse_paging_and_without_data(sfn, make_machine):
    arn = make_machine("paged", PASS_CHAIN)
    ex = sfn.start_execution(stateMachineArn=arn, input='{"secret": 1}')["executionArn"]
    finished(sfn, ex)
    back = history(sfn, ex, reverseOrder=True)
    assert [e["id"] for e in back] == [6, 5, 4, 3, 2, 1]
    page = sfn.get_execution_history(executionArn=ex, maxResults=4)
    assert [e["id"] for e in page["events"]] == [1, 2, 3, 4]
    rest = sfn.get_execution_history(executionArn=ex, maxResults=4, nextToken=page["nextToken"])
    assert [e["id"] for e in rest["events"]] == [5, 6] and "nextToken" not in rest
    bare = history(sfn, ex, includeExecutionData=False)
    assert "input" not in bare[0]["executionStartedEventDetails"]
    assert "output" not in bare[2]["stateExitedEventDetails"]


def test_fail_state_fails_the_execution(sfn, make_machine):
    arn = make_machine("fails", {"StartAt": "F", "States": {
        "F": {"Type": "Fail", "Error": "Custom.Error", "Cause": "it went wrong"}}})
    ex = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    d = finished(sfn, ex)
    assert (d["status"], d["error"], d["cause"]) == ("FAILED", "Custom.Error", "it went wrong")
    events = history(sfn, ex)
    assert chain(events) == [("ExecutionStarted", 1, 0), ("FailStateEntered", 2, 0), ("ExecutionFailed", 3, 2)]
    assert events[2]["executionFailedEventDetails"] == {"error": "Custom.Error", "cause": "it went wrong"}


def test_choice_takes_the_matching_branch(sfn, make_machine):
    arn = make_machine("chooser", {"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 10, "Next": "Big"}],
              "Default": "Small"},
        "Big": {"Type": "Pass", "Result": "big", "End": True},
        "Small": {"Type": "Pass", "Result": "small", "End": True}}})
    big = sfn.start_execution(stateMachineArn=arn, input='{"n": 11}')["executionArn"]
    small = sfn.start_execution(stateMachineArn=arn, input='{"n": 1}')["executionArn"]
    assert finished(sfn, big)["output"] == '"big"'
    assert finished(sfn, small)["output"] == '"small"'
    assert types(history(sfn, big)) == ["ExecutionStarted", "ChoiceStateEntered", "ChoiceStateExited",
                                        "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]


def test_no_choice_matched_fails(sfn, make_machine):
    arn = make_machine("nochoice", {"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "D"}]},
        "D": {"Type": "Succeed"}}})
    d = finished(sfn, sfn.start_execution(stateMachineArn=arn, input='{"n": 2}')["executionArn"])
    assert (d["status"], d["error"]) == ("FAILED", "States.NoChoiceMatched")


def test_parallel_branches_and_their_events(sfn, make_machine):
    arn = make_machine("par", {"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": 1, "End": True}}},
        {"StartAt": "B", "States": {"B": {"Type": "Pass", "Result": 2, "End": True}}}]}}})
    ex = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    d = finished(sfn, ex)
    assert json.loads(d["output"]) == [1, 2]
    events = history(sfn, ex)
    assert types(events)[:3] == ["ExecutionStarted", "ParallelStateEntered", "ParallelStateStarted"]
    assert types(events)[-3:] == ["ParallelStateSucceeded", "ParallelStateExited", "ExecutionSucceeded"]
    started = events[2]["id"]
    entered = [e for e in events if e["type"] == "PassStateEntered"]
    assert [e["previousEventId"] for e in entered] == [started, started]
    ids = [e["id"] for e in events]
    assert ids == list(range(1, len(events) + 1))
    # The end of the Parallel follows the last event of its branches.
    succeeded = events[-3]
    assert succeeded["previousEventId"] == succeeded["id"] - 1 and events[-4]["type"] == "PassStateExited"


def test_inline_map_over_items(sfn, make_machine):
    arn = make_machine("mapper", {"StartAt": "M", "States": {"M": {
        "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2, "End": True,
        "ItemSelector": {"value.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index"},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "P",
                          "States": {"P": {"Type": "Pass", "End": True}}}}}})
    ex = sfn.start_execution(stateMachineArn=arn, input='{"items": ["a", "b", "c"]}')["executionArn"]
    d = finished(sfn, ex)
    assert json.loads(d["output"]) == [{"value": "a", "index": 0}, {"value": "b", "index": 1},
                                       {"value": "c", "index": 2}]
    events = history(sfn, ex)
    assert events[2]["type"] == "MapStateStarted" and events[2]["mapStateStartedEventDetails"] == {"length": 3}
    its = [e["mapIterationStartedEventDetails"] for e in events if e["type"] == "MapIterationStarted"]
    assert sorted(i["index"] for i in its) == [0, 1, 2] and its[0]["name"] == "M"
    assert types(events).count("MapIterationSucceeded") == 3
    assert types(events)[-3:] == ["MapStateSucceeded", "MapStateExited", "ExecutionSucceeded"]


def test_map_failure_over_the_tolerated_count(sfn, make_machine):
    arn = make_machine("tolerant", {"StartAt": "M", "States": {"M": {
        "Type": "Map", "End": True, "ToleratedFailureCount": 1,
        "ItemProcessor": {"StartAt": "C", "States": {
            "C": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericEquals": 0, "Next": "Bad"}],
                  "Default": "Good"},
            "Bad": {"Type": "Fail", "Error": "Zero"}, "Good": {"Type": "Succeed"}}}}}})
    one = finished(sfn, sfn.start_execution(stateMachineArn=arn, input="[0, 1, 2]")["executionArn"])
    assert one["status"] == "SUCCEEDED"
    two = finished(sfn, sfn.start_execution(stateMachineArn=arn, input="[0, 0, 2]")["executionArn"])
    assert (two["status"], two["error"]) == ("FAILED", "States.ExceedToleratedFailureThreshold")


def test_catch_sends_the_error_to_the_next_state(sfn, make_machine):
    arn = make_machine("catcher", {"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Next": "Done", "Branches": [
            {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Oops", "Cause": "why"}}}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.err", "Next": "Done"}]},
        "Done": {"Type": "Pass", "End": True}}})
    d = finished(sfn, sfn.start_execution(stateMachineArn=arn, input='{"k": 1}')["executionArn"])
    assert d["status"] == "SUCCEEDED"
    assert json.loads(d["output"]) == {"k": 1, "err": {"Error": "Oops", "Cause": "why"}}


def test_execution_names_are_idempotent_for_the_same_input(sfn, make_machine):
    arn = make_machine("waits", {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 60, "End": True}}})
    first = sfn.start_execution(stateMachineArn=arn, name="once", input='{"a": 1}')
    again = sfn.start_execution(stateMachineArn=arn, name="once", input='{"a": 1}')
    assert again["executionArn"] == first["executionArn"]
    e = error_of(sfn.start_execution, stateMachineArn=arn, name="once", input='{"a": 2}')
    assert code(e) == "ExecutionAlreadyExists"


def test_a_closed_execution_name_is_free_after_90_days(sfn, make_machine, nubis):
    arn = make_machine("reuse", PASS_CHAIN)
    ex = sfn.start_execution(stateMachineArn=arn, name="again", input='{"run": 1}')["executionArn"]
    finished(sfn, ex)
    e = error_of(sfn.start_execution, stateMachineArn=arn, name="again", input='{"run": 1}')
    assert code(e) == "ExecutionAlreadyExists"
    nubis.advance(90 * 86400)
    assert sfn.start_execution(stateMachineArn=arn, name="again", input='{"run": 2}')["executionArn"] == ex
    d = finished(sfn, ex)
    assert json.loads(d["input"]) == {"run": 2} and len(history(sfn, ex)) == 6


def test_a_day_long_wait_passes_with_the_clock(sfn, make_machine, nubis):
    arn = make_machine("daylong", {"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 86400, "Next": "Done"}, "Done": {"Type": "Pass", "End": True}}})
    ex = sfn.start_execution(stateMachineArn=arn, input='{"v": 1}')["executionArn"]
    nubis.advance(86399)
    assert sfn.describe_execution(executionArn=ex)["status"] == "RUNNING"
    nubis.advance(1)
    d = finished(sfn, ex)
    assert d["status"] == "SUCCEEDED" and json.loads(d["output"]) == {"v": 1}
    assert (d["stopDate"] - d["startDate"]).total_seconds() >= 86400
    assert types(history(sfn, ex)) == ["ExecutionStarted", "WaitStateEntered", "WaitStateExited",
                                       "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]


def test_stop_execution_aborts_it(sfn, make_machine):
    arn = make_machine("stoppable", {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 600, "End": True}}})
    ex = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    finished(sfn, ex, timeout=0.2)
    sfn.stop_execution(executionArn=ex, error="Halt", cause="enough")
    d = sfn.describe_execution(executionArn=ex)
    assert (d["status"], d["error"], d["cause"]) == ("ABORTED", "Halt", "enough")
    events = history(sfn, ex)
    assert events[-1]["type"] == "ExecutionAborted"
    assert events[-1]["executionAbortedEventDetails"] == {"error": "Halt", "cause": "enough"}
    assert events[-1]["previousEventId"] == events[-2]["id"]


def test_list_executions_filters_and_pages(sfn, make_machine):
    arn = make_machine("listed", {"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.ok", "BooleanEquals": True, "Next": "S"}],
              "Default": "F"}, "S": {"Type": "Succeed"}, "F": {"Type": "Fail"}}})
    for i, ok in enumerate([True, False, True]):
        finished(sfn, sfn.start_execution(stateMachineArn=arn, name=f"e{i}", input=json.dumps({"ok": ok}))
                 ["executionArn"])
    all_ = sfn.list_executions(stateMachineArn=arn)["executions"]
    assert sorted(e["name"] for e in all_) == ["e0", "e1", "e2"]
    failed = sfn.list_executions(stateMachineArn=arn, statusFilter="FAILED")["executions"]
    assert [e["name"] for e in failed] == ["e1"]
    page = sfn.list_executions(stateMachineArn=arn, maxResults=2)
    assert len(page["executions"]) == 2
    rest = sfn.list_executions(stateMachineArn=arn, maxResults=2, nextToken=page["nextToken"])
    assert len(rest["executions"]) == 1


def test_unknown_execution_and_bad_input(sfn, make_machine):
    arn = make_machine("plain", PASS_CHAIN)
    e = error_of(sfn.describe_execution, executionArn=arn.replace("stateMachine:plain", "execution:plain:nope"))
    assert code(e) == "ExecutionDoesNotExist"
    assert code(error_of(sfn.describe_execution, executionArn="not-an-arn")) == "InvalidArn"
    assert code(error_of(sfn.start_execution, stateMachineArn=arn, input="{not json")) == "InvalidExecutionInput"
    assert code(error_of(sfn.start_execution, stateMachineArn=arn + "x")) == "StateMachineDoesNotExist"


def test_start_sync_execution_runs_an_express_machine(sfn, make_machine):
    arn = make_machine("express", PASS_CHAIN, type="EXPRESS")
    out = sfn.start_sync_execution(stateMachineArn=arn, input='{"q": 2}')
    assert out["status"] == "SUCCEEDED"
    assert json.loads(out["output"]) == {"q": 2, "a": {"x": 1}}
    assert ":express:express:" in out["executionArn"]
    failing = make_machine("express-fail", {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E"}}},
                           type="EXPRESS")
    out = sfn.start_sync_execution(stateMachineArn=failing)
    assert (out["status"], out["error"]) == ("FAILED", "E")
    standard = make_machine("standard", PASS_CHAIN)
    assert code(error_of(sfn.start_sync_execution, stateMachineArn=standard)) == "StateMachineTypeNotSupported"


def test_describe_state_machine_for_execution(sfn, make_machine):
    arn = make_machine("described", PASS_CHAIN)
    ex = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    finished(sfn, ex)
    sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(
        {"StartAt": "X", "States": {"X": {"Type": "Succeed"}}}))
    d = sfn.describe_state_machine_for_execution(executionArn=ex)
    assert json.loads(d["definition"]) == PASS_CHAIN and d["stateMachineArn"] == arn


def test_a_failed_iteration_aborts_the_others(sfn, make_machine):
    arn = make_machine("aborting", {"StartAt": "M", "States": {"M": {
        "Type": "Map", "End": True,
        "ItemProcessor": {"StartAt": "C", "States": {
            "C": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericEquals": 0, "Next": "Bad"}],
                  "Default": "Slow"},
            "Bad": {"Type": "Fail", "Error": "Zero"},
            "Slow": {"Type": "Wait", "Seconds": 100, "End": True}}}}}})
    ex = sfn.start_execution(stateMachineArn=arn, input="[1, 0]")["executionArn"]
    d = finished(sfn, ex)
    assert (d["status"], d["error"]) == ("FAILED", "Zero")
    events = history(sfn, ex)
    assert "MapIterationFailed" in types(events) and "MapIterationAborted" in types(events)
    aborted = next(e for e in events if e["type"] == "MapIterationAborted")
    assert aborted["mapIterationAbortedEventDetails"] == {"name": "M", "index": 0}
    assert types(events)[-2:] == ["MapStateFailed", "ExecutionFailed"]


def test_update_and_versions_need_an_unqualified_arn(sfn, make_machine):
    arn = sfn.create_state_machine(name="quals", definition=json.dumps(PASS_CHAIN),
                                   roleArn="arn:aws:iam::000000000000:role/r", publish=True)
    e = error_of(sfn.update_state_machine, stateMachineArn=arn["stateMachineVersionArn"], definition="{}")
    assert code(e) == "ValidationException"


def test_variables_assigned_by_a_choice_rule_reach_later_states(sfn, make_machine):
    arn = make_machine("assigning", {"QueryLanguage": "JSONata", "StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [
            {"Condition": "{% $states.input.n > 1 %}", "Assign": {"size": "big"}, "Next": "Out"}],
            "Default": "Out", "Assign": {"size": "small"}},
        "Out": {"Type": "Pass", "Output": {"size": "{% $size %}", "n": "{% $states.input.n %}"}, "End": True}}})
    big = finished(sfn, sfn.start_execution(stateMachineArn=arn, input='{"n": 5}')["executionArn"])
    small = finished(sfn, sfn.start_execution(stateMachineArn=arn, input='{"n": 0}')["executionArn"])
    assert json.loads(big["output"]) == {"size": "big", "n": 5}
    assert json.loads(small["output"]) == {"size": "small", "n": 0}
    exited = [e for e in history(sfn, big["executionArn"]) if e["type"] == "ChoiceStateExited"][0]
    assert exited["stateExitedEventDetails"]["assignedVariables"] == {"size": '"big"'}


def test_stopping_during_a_map_ends_the_history_with_the_abort(sfn, make_machine):
    arn = make_machine("stop-map", {"StartAt": "M", "States": {"M": {
        "Type": "Map", "End": True,
        "ItemProcessor": {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 500, "End": True}}}}}})
    ex = sfn.start_execution(stateMachineArn=arn, input="[1, 2, 3]")["executionArn"]
    deadline = 50
    while types(history(sfn, ex)).count("WaitStateEntered") < 3 and deadline:
        deadline -= 1
        finished(sfn, ex, timeout=0.05)
    sfn.stop_execution(executionArn=ex)
    finished(sfn, ex, timeout=0.3)
    events = history(sfn, ex)
    assert events[-1]["type"] == "ExecutionAborted"
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))


def test_many_executions_at_once(sfn, make_machine):
    arn = make_machine("busy", {"StartAt": "P", "States": {"P": {"Type": "Parallel", "Next": "M", "Branches": [
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": [1, 2, 3], "End": True}}},
        {"StartAt": "B", "States": {"B": {"Type": "Pass", "Result": [4, 5], "End": True}}}]},
        "M": {"Type": "Map", "ItemsPath": "$[0]", "End": True,
              "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}}}}})
    arns = [sfn.start_execution(stateMachineArn=arn, name=f"n{i}")["executionArn"] for i in range(40)]
    for ex in arns:
        d = finished(sfn, ex)
        assert d["status"] == "SUCCEEDED" and json.loads(d["output"]) == [1, 2, 3]
