"""Executions started by other services: an EventBridge rule and an EventBridge
Scheduler schedule with a state machine as their target."""
import json
import time

from .conftest import ROLE


def _executions(sfn, arn, n, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        found = sfn.list_executions(stateMachineArn=arn)["executions"]
        if len(found) >= n or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def test_an_eventbridge_rule_starts_an_execution(sfn, make_machine, aws_client):
    events = aws_client("events")
    arn = make_machine("on-event", {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}})
    events.put_rule(Name="to-sfn", EventPattern=json.dumps({"source": ["shop"]}))
    events.put_targets(Rule="to-sfn", Targets=[{"Id": "sm", "Arn": arn, "RoleArn": ROLE}])
    events.put_events(Entries=[{"Source": "shop", "DetailType": "Sold", "Detail": '{"item": 3}'}])
    [ex] = _executions(sfn, arn, 1)
    d = sfn.describe_execution(executionArn=ex["executionArn"])
    assert json.loads(d["input"])["detail"] == {"item": 3}


def test_a_schedule_starts_an_execution(sfn, make_machine, aws_client, nubis):
    scheduler = aws_client("scheduler")
    arn = make_machine("on-schedule", {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}})
    scheduler.create_schedule(Name="every-hour", ScheduleExpression="rate(1 hour)",
                              FlexibleTimeWindow={"Mode": "OFF"},
                              Target={"Arn": arn, "RoleArn": ROLE, "Input": '{"tick": true}'})
    nubis.advance(3600)
    found = _executions(sfn, arn, 1)
    assert len(found) >= 1
    d = sfn.describe_execution(executionArn=found[0]["executionArn"])
    assert json.loads(d["input"]) == {"tick": True}
