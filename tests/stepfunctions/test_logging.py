"""Execution history in CloudWatch Logs, by the machine's loggingConfiguration."""
import json
import time

from .conftest import code, error_of


def _records(logs, group, want, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
        records = []
        for s in streams:
            records += [json.loads(e["message"]) for e in
                        logs.get_log_events(logGroupName=group, logStreamName=s["logStreamName"])["events"]]
        if len(records) >= want or time.monotonic() > deadline:
            return streams, records
        time.sleep(0.05)


def test_an_express_machine_logs_its_events(sfn, make_machine, aws_client):
    logs = aws_client("logs")
    logs.create_log_group(logGroupName="/sfn/express")
    group_arn = "arn:aws:logs:us-east-1:000000000000:log-group:/sfn/express:*"
    arn = make_machine("logged", {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": 1, "End": True}}},
                       type="EXPRESS", loggingConfiguration={
                           "level": "ALL", "includeExecutionData": True,
                           "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": group_arn}}]})
    out = sfn.start_sync_execution(stateMachineArn=arn, input='{"x": 1}')
    streams, records = _records(logs, "/sfn/express", 4)
    assert len(streams) == 1 and streams[0]["logStreamName"].startswith("states/logged/")
    assert [(r["type"], r["id"], r["previous_event_id"]) for r in records] == [
        ("ExecutionStarted", "1", "0"), ("PassStateEntered", "2", "0"), ("PassStateExited", "3", "2"),
        ("ExecutionSucceeded", "4", "3")]
    assert all(r["execution_arn"] == out["executionArn"] for r in records)
    assert json.loads(records[0]["details"]["input"]) == {"x": 1}


def test_error_level_without_data(sfn, make_machine, aws_client):
    logs = aws_client("logs")
    logs.create_log_group(logGroupName="/sfn/errors")
    arn = make_machine("errors-only", {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E"}}},
                       type="EXPRESS", loggingConfiguration={"level": "ERROR", "destinations": [
                           {"cloudWatchLogsLogGroup": {
                               "logGroupArn": "arn:aws:logs:us-east-1:000000000000:log-group:/sfn/errors:*"}}]})
    sfn.start_sync_execution(stateMachineArn=arn, input='{"secret": 1}')
    _, records = _records(logs, "/sfn/errors", 1)
    assert [r["type"] for r in records] == ["ExecutionFailed"]
    assert records[0]["details"] == {"error": "E"}


def test_a_level_other_than_off_needs_a_destination(sfn, make_machine):
    e = error_of(make_machine, "nodest", {"StartAt": "A", "States": {"A": {"Type": "Succeed"}}},
                 loggingConfiguration={"level": "ALL"})
    assert code(e) == "InvalidLoggingConfiguration"
