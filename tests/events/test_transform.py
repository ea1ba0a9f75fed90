"""What a target receives: Input, InputPath, and InputTransformer with AWS's quoting rules."""
import json

from .conftest import ACCOUNT, make_queue, put, receive


def deliver(events, sqs, detail: dict, **target) -> str:
    url, arn = make_queue(sqs, "q")
    events.put_rule(Name="r", EventPattern='{"source": ["my.app"]}')
    out = events.put_targets(Rule="r", Targets=[{"Id": "t", "Arn": arn, **target}])
    assert out["FailedEntryCount"] == 0, out
    put(events, detail=detail, Resources=["arn:aws:ec2:us-east-1:000000000000:instance/i-1"])
    (m,) = receive(sqs, url)
    return m["Body"]


def test_constant_input(events, sqs):
    assert json.loads(deliver(events, sqs, {"a": 1}, Input='{"fixed": true}')) == {"fixed": True}


def test_input_path(events, sqs):
    assert json.loads(deliver(events, sqs, {"a": {"b": [10, 20]}}, InputPath="$.detail.a")) == {"b": [10, 20]}


def test_input_path_into_an_array(events, sqs):
    assert json.loads(deliver(events, sqs, {"a": {"b": [10, 20]}}, InputPath="$.detail.a.b[1]")) == 20


def test_template_quoting(events, sqs):
    body = deliver(events, sqs, {"state": "running", "n": 3, "obj": {"k": "v"}, "q": 'say "hi"'}, InputTransformer={
        "InputPathsMap": {"state": "$.detail.state", "n": "$.detail.n", "obj": "$.detail.obj",
                          "res": "$.resources[0]", "q": "$.detail.q"},
        "InputTemplate": '{"in_quotes": "state is <state>", "raw": <state>, "num": <n>, "num_quoted": "<n>", '
                         '"obj": <obj>, "res": "<res>", "q": "<q>"}'})
    assert json.loads(body) == {"in_quotes": "state is running", "raw": "running", "num": 3, "num_quoted": "3",
                                "obj": {"k": "v"}, "res": "arn:aws:ec2:us-east-1:000000000000:instance/i-1",
                                "q": 'say "hi"'}


def test_plain_string_template(events, sqs):
    body = deliver(events, sqs, {"id": "i-9", "state": "stopped"}, InputTransformer={
        "InputPathsMap": {"instance": "$.detail.id", "state": "$.detail.state"},
        "InputTemplate": '"<instance> is in state <state>"'})
    assert json.loads(body) == "i-9 is in state stopped"


def test_predefined_variables(events, sqs):
    body = deliver(events, sqs, {"a": 1}, InputTransformer={
        "InputPathsMap": {},
        "InputTemplate": '{"rule": "<aws.events.rule-arn>", "name": "<aws.events.rule-name>", '
                         '"at": "<aws.events.event.ingestion-time>", "whole": <aws.events.event.json>, '
                         '"envelope": <aws.events.event>}'})
    doc = json.loads(body)
    assert doc["rule"] == f"arn:aws:events:us-east-1:{ACCOUNT}:rule/r" and doc["name"] == "r"
    assert doc["at"].endswith("Z") and "T" in doc["at"]
    assert doc["whole"]["detail"] == {"a": 1} and doc["whole"]["source"] == "my.app"
    assert "detail" not in doc["envelope"] and doc["envelope"]["id"] == doc["whole"]["id"]


def test_missing_path_is_null(events, sqs):
    body = deliver(events, sqs, {"a": 1}, InputTransformer={
        "InputPathsMap": {"x": "$.detail.nothing"}, "InputTemplate": '{"x": <x>}'})
    assert json.loads(body) == {"x": None}


def test_invalid_transformers_are_refused(events, sqs):
    _, arn = make_queue(sqs, "q")
    events.put_rule(Name="r", EventPattern='{"source": ["my.app"]}')
    out = events.put_targets(Rule="r", Targets=[
        {"Id": "a", "Arn": arn, "InputTransformer": {"InputPathsMap": {"x": "detail.a"}, "InputTemplate": "<x>"}},
        {"Id": "b", "Arn": arn, "InputTransformer": {"InputPathsMap": {"aws.events.rule-arn": "$.id"},
                                                      "InputTemplate": "<x>"}},
    ])
    assert out["FailedEntryCount"] == 2
