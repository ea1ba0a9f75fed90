"""In a real nubis process: a restart (after kill -9) keeps buses, rules, targets, archives and the
timers of schedule rules and pending deliveries; Lambda and Firehose targets reach stand-in
providers (tests/support) through the internal client."""
import json
import time

from .conftest import ACCOUNT, bodies, make_queue, receive

STAND_INS = {"NUBIS_PROVIDERS": "lambda=support.fake_lambda:FakeLambda,firehose=support.fake_firehose:FakeFirehose"}


def test_restart_keeps_buses_rules_targets_archives_and_schedules(server_process, tmp_path):
    data = str(tmp_path / "data")
    server = server_process("--data-dir", data)
    events, sqs = server.client("events"), server.client("sqs")
    server.post("/_nubis/clock", {"freeze": True})
    bus = events.create_event_bus(Name="orders", Tags=[{"Key": "k", "Value": "v"}])["EventBusArn"]
    url, qarn = make_queue(sqs, "q")
    events.put_rule(Name="r", EventBusName="orders", EventPattern='{"source": ["my.app"]}')
    events.put_targets(Rule="r", EventBusName="orders", Targets=[{"Id": "q", "Arn": qarn, "InputPath": "$.detail"}])
    events.put_rule(Name="tick", ScheduleExpression="rate(1 hour)")
    events.put_targets(Rule="tick", Targets=[{"Id": "q", "Arn": qarn, "Input": '{"tick": true}'}])
    events.create_archive(ArchiveName="arc", EventSourceArn=bus, RetentionDays=7)
    dlq_url, dlq = make_queue(sqs, "dlq")
    events.put_rule(Name="failing", EventPattern='{"source": ["my.app"]}')
    events.put_targets(Rule="failing", Targets=[{"Id": "sfn", "Arn": f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:x",
                                                 "RetryPolicy": {"MaximumRetryAttempts": 1},
                                                 "DeadLetterConfig": {"Arn": dlq}}])
    events.put_events(Entries=[{"Source": "my.app", "DetailType": "d", "Detail": '{"n": 1}', "EventBusName": "orders"},
                               {"Source": "my.app", "DetailType": "d", "Detail": '{"n": 0}'}])
    assert bodies(receive(sqs, url)) == [{"n": 1}]
    time.sleep(0.2)  # the failed first attempt's retry is a timer now
    assert not receive(sqs, dlq_url, timeout=0.2)
    server.kill9()

    restarted = server_process("--data-dir", data, port=server.port)
    events, sqs = restarted.client("events"), restarted.client("sqs")
    restarted.post("/_nubis/clock", {"freeze": True})
    assert [b["Name"] for b in events.list_event_buses()["EventBuses"]] == ["default", "orders"]
    assert events.list_tags_for_resource(ResourceARN=bus)["Tags"] == [{"Key": "k", "Value": "v"}]
    assert [r["Name"] for r in events.list_rules(EventBusName="orders")["Rules"]] == ["r"]
    assert events.list_targets_by_rule(Rule="r", EventBusName="orders")["Targets"][0]["InputPath"] == "$.detail"
    assert events.describe_archive(ArchiveName="arc")["EventCount"] == 1
    events.put_events(Entries=[{"Source": "my.app", "DetailType": "d", "Detail": '{"n": 2}', "EventBusName": "orders"}])
    assert bodies(receive(sqs, url)) == [{"n": 2}]
    restarted.post("/_nubis/clock", {"advance_seconds": 3600})
    got = bodies(receive(sqs, url))
    assert got == [{"tick": True}]
    (dead,) = bodies(receive(sqs, dlq_url))  # the retry pending at the kill ran after the restart
    assert dead["detail"] == {"n": 0}


def test_lambda_and_firehose_targets(server_process):
    server = server_process("--ephemeral", env=STAND_INS)
    events = server.client("events")
    fn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:handler"
    stream = f"arn:aws:firehose:us-east-1:{ACCOUNT}:deliverystream/s"
    events.put_rule(Name="r", EventPattern='{"source": ["my.app"]}')
    events.put_targets(Rule="r", Targets=[{"Id": "fn", "Arn": fn}, {"Id": "fh", "Arn": stream, "InputPath": "$.detail"}])
    out = events.put_events(Entries=[{"Source": "my.app", "DetailType": "d", "Detail": '{"n": 1}'}])
    (invocation,) = server.wait_for("/_nubis/lambda/invocations", "invocations", 1)
    assert invocation["FunctionName"] == fn and invocation["InvocationType"] == "Event"
    assert invocation["principal"] == "events.amazonaws.com"
    assert invocation["Payload"]["id"] == out["Entries"][0]["EventId"]
    (record,) = server.wait_for("/_nubis/firehose/records", "records", 1)
    import base64
    assert record["DeliveryStreamName"] == "s" and json.loads(base64.b64decode(record["Data"])) == {"n": 1}


def test_broken_lambda_is_retried(server_process):
    server = server_process("--ephemeral", env=STAND_INS)
    server.post("/_nubis/clock", {"freeze": True})
    events = server.client("events")
    fn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:broken"  # the stand-in fails twice, then works
    events.put_rule(Name="r", EventPattern='{"source": ["my.app"]}')
    events.put_targets(Rule="r", Targets=[{"Id": "fn", "Arn": fn}])
    events.put_events(Entries=[{"Source": "my.app", "DetailType": "d", "Detail": "{}"}])
    time.sleep(0.3)
    assert server.get("/_nubis/lambda/invocations")["invocations"] == []
    server.post("/_nubis/clock", {"advance_seconds": 1})
    server.post("/_nubis/clock", {"advance_seconds": 2})
    assert len(server.wait_for("/_nubis/lambda/invocations", "invocations", 1)) == 1
