"""Retry delays and catcher selection, and the JSONPath forms of Wait, timeouts,
Map items and Fail."""
import random

import pytest

from nubis.services.stepfunctions.asl import (
    StateIO, StatesError, catch, error_and_cause, heartbeat_seconds, items, max_concurrency, retry_delay,
    timeout_seconds, wait_until,
)


def run_retries(retriers, error, rand=None):
    delays, attempts = [], {}
    while True:
        delay, attempts = retry_delay(retriers, error, attempts, rand)
        if delay is None:
            return delays
        delays.append(delay)
        assert len(delays) < 100


def test_defaults_are_one_second_three_attempts_backoff_two():
    assert run_retries([{"ErrorEquals": ["States.ALL"]}], "Boom") == [1.0, 2.0, 4.0]


def test_interval_backoff_and_max_attempts():
    retriers = [{"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 3, "MaxAttempts": 4, "BackoffRate": 1.5}]
    assert run_retries(retriers, "States.Timeout") == [3.0, 4.5, 6.75, 10.125]


def test_max_delay_caps_the_backoff():
    retriers = [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 10, "MaxAttempts": 5, "MaxDelaySeconds": 25}]
    assert run_retries(retriers, "E") == [10.0, 20.0, 25.0, 25.0, 25.0]


def test_max_attempts_zero_never_retries():
    assert run_retries([{"ErrorEquals": ["E"], "MaxAttempts": 0}, {"ErrorEquals": ["States.ALL"]}], "E") == []


def test_full_jitter_draws_below_the_backoff():
    retriers = [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 4, "JitterStrategy": "FULL"}]
    assert run_retries(retriers, "E", lambda: 0.5) == [2.0, 4.0, 8.0]
    for delay, cap in zip(run_retries(retriers, "E", random.Random(3)), [4, 8, 16]):
        assert 0 <= delay <= cap


def test_the_first_matching_retrier_decides_and_counts_separately():
    retriers = [{"ErrorEquals": ["A"], "MaxAttempts": 1, "IntervalSeconds": 1},
                {"ErrorEquals": ["States.ALL"], "MaxAttempts": 2, "IntervalSeconds": 5}]
    delay, attempts = retry_delay(retriers, "A", {})
    assert (delay, attempts) == (1.0, {"0": 1})
    delay, attempts = retry_delay(retriers, "B", attempts)
    assert (delay, attempts) == (5.0, {"0": 1, "1": 1})
    delay, attempts = retry_delay(retriers, "A", attempts)
    assert delay is None  # A's retrier is spent; the catch-all does not take over
    assert retry_delay(retriers, "B", attempts)[0] == 10.0


def test_task_failed_matches_all_but_timeout_and_nothing_catches_runtime():
    retriers = [{"ErrorEquals": ["States.TaskFailed"]}]
    assert retry_delay(retriers, "Lambda.Unknown", {})[0] == 1.0
    assert retry_delay(retriers, "States.Timeout", {})[0] is None
    assert retry_delay([{"ErrorEquals": ["States.ALL"]}], "States.Runtime", {})[0] is None
    assert retry_delay([{"ErrorEquals": ["States.ALL"]}], "States.DataLimitExceeded", {})[0] is None


def test_catch_picks_the_first_matching_catcher():
    catchers = [{"ErrorEquals": ["Custom"], "Next": "A"},
                {"ErrorEquals": ["States.TaskFailed"], "Next": "B"},
                {"ErrorEquals": ["States.ALL"], "Next": "C"}]
    assert catch(catchers, "Custom")["Next"] == "A"
    assert catch(catchers, "Other")["Next"] == "B"
    assert catch(catchers, "States.Timeout")["Next"] == "C"
    assert catch(catchers, "States.Runtime") is None
    assert catch(catchers, "States.DataLimitExceeded") is None
    assert catch([], "X") is None


def test_catcher_result_path_puts_the_error_into_the_input():
    io = StateIO({"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:f", "End": True})
    assert io.error_output({"a": 1}, "Boom", "bad", "$.error") == {"a": 1, "error": {"Error": "Boom", "Cause": "bad"}}
    assert io.error_output({"a": 1}, "Boom", "bad", "$") == {"Error": "Boom", "Cause": "bad"}
    assert io.error_output({"a": 1}, "Boom", "bad", None) == {"a": 1}


def test_wait_fields():
    assert wait_until({"Seconds": 10}, {}, now=100.0) == 110.0
    assert wait_until({"SecondsPath": "$.s"}, {"s": 7}, now=100.0) == 107.0
    assert wait_until({"Timestamp": "2016-03-14T01:59:00Z"}, {}) == 1457920740.0
    assert wait_until({"TimestampPath": "$.when"}, {"when": "2016-03-14T01:59:00Z"}) == 1457920740.0
    assert wait_until({"SecondsPath": "$.s", "InputPath": "$.inner"}, {"inner": {"s": 1}}, now=0) == 1
    for bad in [{"s": -1}, {"s": "5"}, {"s": 1.5}]:
        with pytest.raises(StatesError) as err:
            wait_until({"SecondsPath": "$.s"}, bad)
        assert err.value.error == "States.Runtime"
    with pytest.raises(StatesError):
        wait_until({"TimestampPath": "$.t"}, {"t": "yesterday"})


def test_timeouts_and_heartbeats():
    assert timeout_seconds({"TimeoutSeconds": 30}, {}) == 30
    assert timeout_seconds({"TimeoutSecondsPath": "$.t"}, {"t": 12}) == 12
    assert timeout_seconds({}, {}) is None
    assert heartbeat_seconds({"HeartbeatSecondsPath": "$.h"}, {"h": 3}) == 3
    with pytest.raises(StatesError):
        timeout_seconds({"TimeoutSecondsPath": "$.t"}, {"t": "x"})


def test_map_items_path_and_item_selector():
    state = {"Type": "Map", "InputPath": "$.detail", "ItemsPath": "$.shipped",
             "ItemSelector": {"parcel.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index",
                              "courier.$": "$.delivery-partner"},
             "MaxConcurrencyPath": "$.max", "End": True}
    data = {"detail": {"delivery-partner": "UQS", "shipped": [{"prod": "R31"}, {"prod": "S39"}], "max": 2}}
    assert items(state, data) == [{"prod": "R31"}, {"prod": "S39"}]
    assert max_concurrency(state, data) == 2
    context = {"Map": {"Item": {"Index": 1, "Value": {"prod": "S39"}}}}
    assert StateIO(state).item_input(data, {"prod": "S39"}, context) == {
        "parcel": {"prod": "S39"}, "index": 1, "courier": "UQS"}
    assert StateIO({"Type": "Map", "End": True}).item_input(data, 5, context) == 5
    with pytest.raises(StatesError):
        items({"Type": "Map", "ItemsPath": "$.a"}, {"a": {"not": "an array"}})


def test_fail_error_and_cause_paths_and_intrinsics():
    assert error_and_cause({"Error": "E", "Cause": "C"}, {}) == ("E", "C")
    assert error_and_cause({"ErrorPath": "$.e", "CausePath": "States.Format('bad {}', $.n)"}, {"e": "X", "n": 3}) \
        == ("X", "bad 3")
    assert error_and_cause({}, {}) == (None, None)
    with pytest.raises(StatesError):
        error_and_cause({"ErrorPath": "$.e"}, {"e": 5})
