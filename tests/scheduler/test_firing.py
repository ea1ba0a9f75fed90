"""Schedules firing on the controllable clock: cron, rate, at(), time zones, flexible
windows, templated and universal targets, retries and the dead-letter queue."""
from __future__ import annotations

import io
import json
import time
import zipfile
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from .conftest import ROLE, advance_to, code, drain, error_of, next_minute

OFF = {"Mode": "OFF"}


def utc(t: float) -> datetime:
    return datetime.fromtimestamp(t, timezone.utc)


def test_a_cron_schedule_fires_at_each_occurrence_into_sqs(nubis, scheduler, sqs, queue):
    url, arn = queue("cron-target")
    start = next_minute(nubis, 0)
    scheduler.create_schedule(
        Name="every-ten", ScheduleExpression="cron(0/10 * * * ? *)", FlexibleTimeWindow=OFF,
        Target={"Arn": arn, "RoleArn": ROLE,
                "Input": '{"at": "<aws.scheduler.scheduled-time>", "n": "<aws.scheduler.attempt-number>"}'})
    advance_to(nubis, start - 1)
    before = drain(sqs, url)
    advance_to(nubis, start + 30 * 60)
    bodies = [json.loads(m["Body"]) for m in before + drain(sqs, url)]
    times = sorted(b["at"] for b in bodies)
    # Every ten minutes on the clock, the scheduled time filled into the input.
    expected = [utc(start + k * 600).strftime("%Y-%m-%dT%H:%M:%SZ") for k in range(4)]
    assert times[-4:] == expected
    assert all(b["n"] == "1" for b in bodies)
    assert len(times) == len(set(times))


def test_a_rate_schedule_starts_at_once_and_repeats(nubis, scheduler, sqs, queue):
    url, arn = queue("rate-target")
    scheduler.create_schedule(Name="five", ScheduleExpression="rate(5 minutes)", FlexibleTimeWindow=OFF,
                              Target={"Arn": arn, "RoleArn": ROLE, "Input": "tick"})
    nubis.advance(1)
    assert [m["Body"] for m in drain(sqs, url)] == ["tick"]
    nubis.advance(5 * 60 - 2)
    assert drain(sqs, url) == []
    nubis.advance(2)
    assert len(drain(sqs, url)) == 1
    nubis.advance(15 * 60)
    assert len(drain(sqs, url)) == 3
    # Disabled, it stops; enabled again, it starts over.
    scheduler.update_schedule(Name="five", ScheduleExpression="rate(5 minutes)", FlexibleTimeWindow=OFF,
                              State="DISABLED", Target={"Arn": arn, "RoleArn": ROLE, "Input": "tick"})
    nubis.advance(20 * 60)
    assert drain(sqs, url) == []


def test_a_rate_schedule_counts_from_its_start_date_and_stops_at_its_end_date(nubis, scheduler, sqs, queue):
    url, arn = queue("dated")
    now = nubis.clock()
    scheduler.create_schedule(Name="dated", ScheduleExpression="rate(1 hour)", FlexibleTimeWindow=OFF,
                              StartDate=utc(now + 7200), EndDate=utc(now + 7200 + 3 * 3600 - 1),
                              Target={"Arn": arn, "RoleArn": ROLE, "Input": "x"})
    nubis.advance(7200 - 1)
    assert drain(sqs, url) == []
    nubis.advance(10 * 3600)
    assert len(drain(sqs, url)) == 3


def test_a_one_time_schedule_fires_once_and_deletes_itself(nubis, scheduler, sqs, queue):
    url, arn = queue("once")
    when = utc(nubis.clock() + 3600).replace(microsecond=0) + timedelta(seconds=1)
    expression = f"at({when.strftime('%Y-%m-%dT%H:%M:%S')})"
    scheduler.create_schedule(Name="once", ScheduleExpression=expression, FlexibleTimeWindow=OFF,
                              ActionAfterCompletion="DELETE", Target={"Arn": arn, "RoleArn": ROLE, "Input": "hi"})
    scheduler.create_schedule(Name="once-kept", ScheduleExpression=expression, FlexibleTimeWindow=OFF,
                              Target={"Arn": arn, "RoleArn": ROLE, "Input": "kept"})
    advance_to(nubis, when.timestamp() - 1)
    assert drain(sqs, url) == []
    assert scheduler.get_schedule(Name="once")["State"] == "ENABLED"
    advance_to(nubis, when.timestamp() + 1)
    assert sorted(m["Body"] for m in drain(sqs, url)) == ["hi", "kept"]
    assert code(error_of(scheduler.get_schedule, Name="once")) == "ResourceNotFoundException"
    assert scheduler.get_schedule(Name="once-kept")["ScheduleExpression"] == expression
    nubis.advance(86400)
    assert drain(sqs, url) == []


def test_cron_in_a_time_zone(nubis, scheduler, sqs, queue):
    url, arn = queue("tz")
    scheduler.create_schedule(Name="nine-in-tokyo", ScheduleExpression="cron(0 9 * * ? *)",
                              ScheduleExpressionTimezone="Asia/Tokyo", FlexibleTimeWindow=OFF,
                              Target={"Arn": arn, "RoleArn": ROLE, "Input": "<aws.scheduler.scheduled-time>"})
    nubis.advance(2 * 86400)
    times = [m["Body"] for m in drain(sqs, url)]
    assert len(times) == 2
    # 09:00 in Tokyo is 00:00 UTC.
    assert all(t.endswith("T00:00:00Z") for t in times)
    local = datetime.strptime(times[0], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).astimezone(
        ZoneInfo("Asia/Tokyo"))
    assert (local.hour, local.minute) == (9, 0)


def test_a_flexible_window_fires_once_inside_the_window(nubis, scheduler, sqs, queue):
    url, arn = queue("flex")
    nominal = next_minute(nubis, 0)
    scheduler.create_schedule(Name="flex", ScheduleExpression="cron(0 * * * ? *)",
                              FlexibleTimeWindow={"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 30},
                              Target={"Arn": arn, "RoleArn": ROLE, "Input": "flex"})
    advance_to(nubis, nominal - 1)
    drain(sqs, url)
    fired_at = None
    t = nominal
    while t <= nominal + 30 * 60:
        advance_to(nubis, t)
        if drain(sqs, url):
            assert fired_at is None
            fired_at = t
        t += 60
    assert fired_at is not None and nominal <= fired_at <= nominal + 30 * 60
    advance_to(nubis, nominal + 3600 - 1)
    assert drain(sqs, url) == []


def test_fifo_queue_target_with_a_message_group(nubis, scheduler, sqs, queue):
    url, arn = queue("orders.fifo", FifoQueue="true")
    scheduler.create_schedule(Name="fifo", ScheduleExpression="rate(1 minute)", FlexibleTimeWindow=OFF,
                              Target={"Arn": arn, "RoleArn": ROLE, "Input": "x",
                                      "SqsParameters": {"MessageGroupId": "g1"}})
    nubis.advance(2 * 60 + 1)
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["MessageGroupId"])["Messages"]
    assert got[0]["Attributes"]["MessageGroupId"] == "g1"


def test_sns_target(nubis, scheduler, sqs, queue, aws_client):
    sns = aws_client("sns")
    url, arn = queue("from-sns")
    topic = sns.create_topic(Name="scheduled")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    scheduler.create_schedule(Name="to-sns", ScheduleExpression="rate(1 hour)", FlexibleTimeWindow=OFF,
                              Target={"Arn": topic, "RoleArn": ROLE, "Input": "via sns"})
    nubis.advance(5)
    assert [m["Body"] for m in drain(sqs, url)] == ["via sns"]


def test_a_universal_target_calls_the_api_with_input_as_its_parameters(nubis, scheduler, sqs, queue):
    url, _ = queue("universal")
    scheduler.create_schedule(
        Name="universal", ScheduleExpression="rate(1 hour)", FlexibleTimeWindow=OFF,
        Target={"Arn": "arn:aws:scheduler:::aws-sdk:sqs:sendMessage", "RoleArn": ROLE,
                "Input": json.dumps({"QueueUrl": url, "MessageBody": "universal hello",
                                     "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}}})})
    nubis.advance(5)
    got = drain(sqs, url)
    assert [m["Body"] for m in got] == ["universal hello"]
    assert got[0]["MessageAttributes"]["k"]["StringValue"] == "v"


def test_a_target_that_keeps_failing_is_retried_then_dead_lettered(nubis, scheduler, sqs, queue):
    dlq_url, dlq_arn = queue("dlq")
    # An API nubis does not implement answers 501: a failure worth retrying.
    scheduler.create_schedule(
        Name="failing", ScheduleExpression="rate(1 day)", FlexibleTimeWindow=OFF,
        Target={"Arn": "arn:aws:scheduler:::aws-sdk:codecommit:listRepositories", "RoleArn": ROLE,
                "Input": "{}", "RetryPolicy": {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 86400},
                "DeadLetterConfig": {"Arn": dlq_arn}})
    nubis.advance(1)
    assert drain(sqs, dlq_url) == []
    nubis.advance(60)                       # first retry
    assert drain(sqs, dlq_url) == []
    nubis.advance(120)                      # second retry, the last
    got = drain(sqs, dlq_url)
    assert len(got) == 1
    attrs = {k: v["StringValue"] for k, v in got[0]["MessageAttributes"].items()}
    assert attrs["ERROR_CODE"] == "NotImplemented"
    assert attrs["RETRY_ATTEMPTS"] == "2"
    assert attrs["EXHAUSTED_RETRY_CONDITION"] == "MaximumRetryAttempts"
    assert attrs["SCHEDULE_ARN"] == "arn:aws:scheduler:us-east-1:000000000000:schedule/default/failing"
    assert attrs["TARGET_ARN"] == "arn:aws:scheduler:::aws-sdk:codecommit:listRepositories"
    assert got[0]["Body"] == "{}"


def test_a_target_that_does_not_exist_goes_to_the_dead_letter_queue_at_once(nubis, scheduler, sqs, queue):
    dlq_url, dlq_arn = queue("dlq2")
    scheduler.create_schedule(
        Name="no-queue", ScheduleExpression="rate(1 day)", FlexibleTimeWindow=OFF,
        Target={"Arn": "arn:aws:sqs:us-east-1:000000000000:does-not-exist", "RoleArn": ROLE, "Input": "lost",
                "DeadLetterConfig": {"Arn": dlq_arn}})
    nubis.advance(1)
    got = drain(sqs, dlq_url)
    assert [m["Body"] for m in got] == ["lost"]
    attrs = {k: v["StringValue"] for k, v in got[0]["MessageAttributes"].items()}
    assert attrs["RETRY_ATTEMPTS"] == "0" and "EXHAUSTED_RETRY_CONDITION" not in attrs
    assert "QueueDoesNotExist" in attrs["ERROR_CODE"] or "NonExistentQueue" in attrs["ERROR_CODE"]


def test_retries_stop_at_the_maximum_event_age(nubis, scheduler, sqs, queue):
    dlq_url, dlq_arn = queue("dlq3")
    scheduler.create_schedule(
        Name="aging", ScheduleExpression="rate(1 day)", FlexibleTimeWindow=OFF,
        Target={"Arn": "arn:aws:scheduler:::aws-sdk:codecommit:listRepositories", "RoleArn": ROLE,
                "RetryPolicy": {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 600},
                "DeadLetterConfig": {"Arn": dlq_arn}})
    nubis.advance(3600)
    got = drain(sqs, dlq_url)
    assert len(got) == 1
    attrs = {k: v["StringValue"] for k, v in got[0]["MessageAttributes"].items()}
    assert attrs["EXHAUSTED_RETRY_CONDITION"] == "MaximumEventAgeInSeconds"
    assert 0 < int(attrs["RETRY_ATTEMPTS"]) < 5


def test_deleting_a_schedule_stops_it(nubis, scheduler, sqs, queue):
    url, arn = queue("stopped")
    scheduler.create_schedule(Name="s", ScheduleExpression="rate(1 minute)", FlexibleTimeWindow=OFF,
                              Target={"Arn": arn, "RoleArn": ROLE, "Input": "x"})
    nubis.advance(1)
    assert len(drain(sqs, url)) == 1
    scheduler.delete_schedule(Name="s")
    nubis.advance(600)
    assert drain(sqs, url) == []


def test_eventbridge_target_puts_an_event_on_the_bus(nubis, scheduler, sqs, queue, aws_client):
    events = aws_client("events")
    url, arn = queue("from-bus")
    events.put_rule(Name="scheduled", EventPattern=json.dumps({"source": ["my.scheduler"]}))
    events.put_targets(Rule="scheduled", Targets=[{"Id": "q", "Arn": arn}])
    scheduler.create_schedule(
        Name="to-bus", ScheduleExpression="rate(1 hour)", FlexibleTimeWindow=OFF,
        Target={"Arn": "arn:aws:events:us-east-1:000000000000:event-bus/default", "RoleArn": ROLE,
                "Input": '{"job": "nightly"}',
                "EventBridgeParameters": {"Source": "my.scheduler", "DetailType": "Scheduled Job"}})
    nubis.advance(5)
    got = [json.loads(m["Body"]) for m in drain(sqs, url)]
    assert [(e["source"], e["detail-type"], e["detail"]) for e in got] == [
        ("my.scheduler", "Scheduled Job", {"job": "nightly"})]


def test_lambda_target_is_invoked_asynchronously_with_the_input(nubis, scheduler, sqs, queue, aws_client):
    url, _ = queue("from-lambda")
    code_zip = io.BytesIO()
    with zipfile.ZipFile(code_zip, "w") as z:
        z.writestr("app.py", "import json, boto3\n"
                             "def handler(event, context):\n"
                             f"    boto3.client('sqs').send_message(QueueUrl={url!r}, MessageBody=json.dumps(event))\n")
    fn = aws_client("lambda").create_function(
        FunctionName="scheduled-fn", Runtime="python3.12", Role="arn:aws:iam::000000000000:role/lambda-role",
        Handler="app.handler", Code={"ZipFile": code_zip.getvalue()})["FunctionArn"]
    scheduler.create_schedule(Name="to-lambda", ScheduleExpression="rate(1 hour)", FlexibleTimeWindow=OFF,
                              Target={"Arn": fn, "RoleArn": ROLE,
                                      "Input": '{"id": "<aws.scheduler.execution-id>"}'})
    nubis.advance(1)
    deadline, got = time.monotonic() + 30, []
    while not got and time.monotonic() < deadline:
        got = drain(sqs, url)
        time.sleep(0.1)
    assert len(got) == 1
    event = json.loads(got[0]["Body"])
    assert len(event["id"]) == 36
