"""Retries with backoff on the controllable clock, RetryPolicy's two limits, and the
dead-letter queue with the attributes the user guide lists."""
import json

from .conftest import ACCOUNT, make_queue, put, quiet, receive

SFN = f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:missing"  # no such state machine: always fails


def failing_rule(events, sqs, **policy):
    dlq_url, dlq = make_queue(sqs, "dlq")
    events.put_rule(Name="r", EventPattern='{"source": ["my.app"]}')
    events.put_targets(Rule="r", Targets=[{"Id": "sfn", "Arn": SFN, "RetryPolicy": policy,
                                           "DeadLetterConfig": {"Arn": dlq}}])
    return dlq_url


def test_retry_attempts_then_dead_letter(nubis, events, sqs):
    dlq_url = failing_rule(events, sqs, MaximumRetryAttempts=2)
    result = put(events, detail={"n": 1})
    assert quiet(sqs, dlq_url)          # first attempt failed; the retry waits 1 s on the clock
    nubis.advance(1)
    assert quiet(sqs, dlq_url)          # second attempt failed; the next waits 2 s
    nubis.advance(2)
    (m,) = receive(sqs, dlq_url, MessageAttributeNames=["All"])
    event = json.loads(m["Body"])
    assert event["id"] == result["EventId"] and event["detail"] == {"n": 1}
    attrs = {k: v["StringValue"] for k, v in m["MessageAttributes"].items()}
    assert attrs["RULE_ARN"] == f"arn:aws:events:us-east-1:{ACCOUNT}:rule/r"
    assert attrs["TARGET_ARN"] == SFN
    assert attrs["ERROR_CODE"] == "NO_RESOURCE" and attrs["ERROR_MESSAGE"].startswith("StateMachineDoesNotExist")
    assert attrs["EXHAUSTED_RETRY_CONDITION"] == "MaximumRetryAttempts"
    assert attrs["RETRY_ATTEMPTS"] == "2"


def test_event_age_limit(nubis, events, sqs):
    dlq_url = failing_rule(events, sqs, MaximumEventAgeInSeconds=60)
    put(events)
    nubis.advance(30)
    assert quiet(sqs, dlq_url)
    nubis.advance(60)
    (m,) = receive(sqs, dlq_url, MessageAttributeNames=["All"])
    assert m["MessageAttributes"]["EXHAUSTED_RETRY_CONDITION"]["StringValue"] == "MaximumEventAgeInSeconds"


def test_default_policy_keeps_retrying_for_a_day(nubis, events, sqs):
    dlq_url = failing_rule(events, sqs)
    put(events)
    nubis.advance(3600 * 12)
    assert quiet(sqs, dlq_url)
    nubis.advance(3600 * 13)
    (m,) = receive(sqs, dlq_url, MessageAttributeNames=["All"])
    assert m["MessageAttributes"]["EXHAUSTED_RETRY_CONDITION"]["StringValue"] == "MaximumEventAgeInSeconds"


def test_missing_queue_is_not_retried(nubis, events, sqs):
    dlq_url, dlq = make_queue(sqs, "dlq")
    events.put_rule(Name="r", EventPattern='{"source": ["my.app"]}')
    events.put_targets(Rule="r", Targets=[{"Id": "gone", "Arn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:no-such-queue",
                                           "DeadLetterConfig": {"Arn": dlq}}])
    put(events)
    (m,) = receive(sqs, dlq_url, MessageAttributeNames=["All"])
    attrs = {k: v["StringValue"] for k, v in m["MessageAttributes"].items()}
    assert attrs["RETRY_ATTEMPTS"] == "0" and attrs["ERROR_CODE"] == "NO_RESOURCE"
    assert "EXHAUSTED_RETRY_CONDITION" not in attrs


def test_one_failing_target_does_not_hold_up_the_others(nubis, events, sqs):
    url, arn = make_queue(sqs, "ok")
    events.put_rule(Name="r", EventPattern='{"source": ["my.app"]}')
    events.put_targets(Rule="r", Targets=[{"Id": "sfn", "Arn": SFN, "RetryPolicy": {"MaximumRetryAttempts": 0}},
                                          {"Id": "q", "Arn": arn}])
    put(events)
    assert len(receive(sqs, url)) == 1  # one target's failure does not hold up the other
