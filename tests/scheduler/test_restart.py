"""Schedules are durable: they survive a restart, and what fell due while nubis was down fires on start."""
from __future__ import annotations

import time
from datetime import datetime, timezone

from .conftest import ROLE

OFF = {"Mode": "OFF"}


def _queue(server, name: str) -> tuple[str, str]:
    sqs = server.client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def _bodies(server, url: str, wait: float = 0) -> list[str]:
    sqs = server.client("sqs")
    out, deadline = [], time.monotonic() + wait
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        for m in got:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        out += [m["Body"] for m in got]
        if got:
            continue
        if out or time.monotonic() >= deadline:
            return out
        time.sleep(0.1)


def test_schedules_survive_a_restart(server_process, tmp_path):
    data = str(tmp_path / "data")
    server = server_process("--data-dir", data)
    url, arn = _queue(server, "after-restart")
    scheduler = server.client("scheduler")
    scheduler.create_schedule_group(Name="kept")
    scheduler.create_schedule(Name="hourly", GroupName="kept", ScheduleExpression="cron(0 * * * ? *)",
                              FlexibleTimeWindow=OFF, Target={"Arn": arn, "RoleArn": ROLE, "Input": "tick"})
    assert server.terminate() == 0

    server = server_process("--data-dir", data)
    scheduler = server.client("scheduler")
    assert scheduler.get_schedule(Name="hourly", GroupName="kept")["ScheduleExpression"] == "cron(0 * * * ? *)"
    server.post("/_nubis/clock", {"freeze": True})
    server.post("/_nubis/clock", {"advance_seconds": 3 * 3600 + 1})
    assert _bodies(server, url) == ["tick"] * 3


def test_an_occurrence_missed_while_down_fires_once_on_start(server_process, tmp_path):
    data = str(tmp_path / "data")
    server = server_process("--data-dir", data)
    url, arn = _queue(server, "missed")
    now = server.get("/_nubis/clock")["now"]
    when = datetime.fromtimestamp(int(now) + 2, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    server.client("scheduler").create_schedule(
        Name="soon", ScheduleExpression=f"at({when})", FlexibleTimeWindow=OFF,
        Target={"Arn": arn, "RoleArn": ROLE, "Input": "late but delivered"})
    server.kill9()
    time.sleep(2.5)

    server = server_process("--data-dir", data)
    assert _bodies(server, url, wait=10) == ["late but delivered"]
    time.sleep(0.5)
    assert _bodies(server, url) == []
