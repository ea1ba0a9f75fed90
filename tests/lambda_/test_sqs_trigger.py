"""A function triggered by an SQS queue through an event source mapping: the
event it sees, deletion on success, partial batch failures, redrive to the
dead-letter queue, filters, the batching window on the clock, maximum
concurrency, FIFO order, and a restart that keeps polling."""
from __future__ import annotations

import json
import time

import pytest

from nubis.testing.fixtures import frozen_clock  # noqa: F401  (autouse here: the clock stands still)

from .conftest import ACCOUNT, ROLE, zip_of

# Every invocation sends its event (and its start and end times) to the "seen" queue.
RECORDER = """
import boto3, json, time
sqs = boto3.client("sqs")
def handler(event, context):
    start = time.time()
    if any(r["body"].startswith("slow") for r in event["Records"]):
        time.sleep(0.6)
    url = sqs.get_queue_url(QueueName="seen")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"event": event, "start": start, "end": time.time()}))
    bad = [r["messageId"] for r in event["Records"] if r["body"].startswith("bad")]
    if any(r["body"].startswith("crash") for r in event["Records"]):
        raise RuntimeError("asked to fail")
    if any(r["body"].startswith("invalid") for r in event["Records"]):
        return {"batchItemFailures": [{"itemIdentifier": "not-in-this-batch"}]}
    return {"batchItemFailures": [{"itemIdentifier": i} for i in bad]}
"""


def arn(name: str) -> str:
    return f"arn:aws:sqs:us-east-1:{ACCOUNT}:{name}"


@pytest.fixture
def sqs(aws_client):
    return aws_client("sqs")


@pytest.fixture
def seen(sqs):
    return sqs.create_queue(QueueName="seen")["QueueUrl"]


@pytest.fixture
def recorder(make_function, seen):
    return make_function("recorder", {"app.py": RECORDER}, Timeout=30)


def invocations(sqs, seen, count=1, timeout=20.0) -> list[dict]:
    """The events the function saw, waiting (in real time) for ``count`` of them."""
    got = []
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        out = sqs.receive_message(QueueUrl=seen, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        for m in out.get("Messages", []):
            got.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=seen, ReceiptHandle=m["ReceiptHandle"])
        if len(got) < count:
            time.sleep(0.05)
    return got


def counts(sqs, url) -> tuple[int, int]:
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(a["ApproximateNumberOfMessages"]), int(a["ApproximateNumberOfMessagesNotVisible"])


def wait_counts(sqs, url, want: tuple[int, int], timeout=10.0) -> tuple[int, int]:
    deadline = time.monotonic() + timeout
    while (got := counts(sqs, url)) != want and time.monotonic() < deadline:
        time.sleep(0.05)
    return got


def test_batch_reaches_the_function_as_an_sqs_event_and_is_deleted(lam, sqs, seen, recorder):
    url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="hello", MessageAttributes={
        "color": {"DataType": "String", "StringValue": "blue"},
        "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"}})
    mapping = lam.create_event_source_mapping(FunctionName="recorder", EventSourceArn=arn("jobs"))
    assert mapping["State"] == "Creating"
    (seen_event,) = invocations(sqs, seen)
    (record,) = seen_event["event"]["Records"]
    assert record["body"] == "hello"
    assert record["eventSource"] == "aws:sqs" and record["eventSourceARN"] == arn("jobs")
    assert record["awsRegion"] == "us-east-1"
    assert record["md5OfBody"] == "5d41402abc4b2a76b9719d911017c592"
    assert record["receiptHandle"] and record["messageId"]
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert {"SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp"} <= set(record["attributes"])
    assert record["messageAttributes"]["color"] == {"stringValue": "blue", "stringListValues": [],
                                                    "binaryListValues": [], "dataType": "String"}
    assert record["messageAttributes"]["blob"]["binaryValue"] == "AAE="
    assert wait_counts(sqs, url, (0, 0)) == (0, 0)
    assert lam.get_event_source_mapping(UUID=mapping["UUID"])["State"] == "Enabled"


def test_partial_batch_failure_deletes_all_but_the_reported_items(lam, sqs, seen, recorder, nubis):
    url = sqs.create_queue(QueueName="jobs", Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
    for body in ("ok-1", "bad-2", "ok-3"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    lam.create_event_source_mapping(FunctionName="recorder", EventSourceArn=arn("jobs"), BatchSize=10,
                                    MaximumBatchingWindowInSeconds=1,
                                    FunctionResponseTypes=["ReportBatchItemFailures"])
    nubis.advance(1)
    first = [r["body"] for e in invocations(sqs, seen) for r in e["event"]["Records"]]
    assert sorted(first) == ["bad-2", "ok-1", "ok-3"]
    assert wait_counts(sqs, url, (0, 1)) == (0, 1)  # only the reported one is left, in flight
    nubis.advance(30)  # its visibility timeout passes: it comes back, alone
    nubis.advance(1)
    (again,) = invocations(sqs, seen)
    assert [r["body"] for r in again["event"]["Records"]] == ["bad-2"]
    assert again["event"]["Records"][0]["attributes"]["ApproximateReceiveCount"] == "2"


def test_an_invalid_batch_response_fails_the_whole_batch(lam, sqs, seen, recorder):
    url = sqs.create_queue(QueueName="jobs", Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="invalid")
    lam.create_event_source_mapping(FunctionName="recorder", EventSourceArn=arn("jobs"),
                                    FunctionResponseTypes=["ReportBatchItemFailures"])
    assert len(invocations(sqs, seen)) == 1
    time.sleep(0.3)
    assert counts(sqs, url) == (0, 1)


def test_failed_messages_are_redriven_to_the_dead_letter_queue(lam, sqs, seen, recorder, nubis):
    dlq = sqs.create_queue(QueueName="jobs-dlq")["QueueUrl"]
    url = sqs.create_queue(QueueName="jobs", Attributes={
        "VisibilityTimeout": "30",
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": arn("jobs-dlq"), "maxReceiveCount": 2})})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="crash")
    lam.create_event_source_mapping(FunctionName="recorder", EventSourceArn=arn("jobs"))
    assert len(invocations(sqs, seen)) == 1
    assert wait_counts(sqs, url, (0, 1)) == (0, 1)  # left in flight for a retry
    nubis.advance(30)
    (second,) = invocations(sqs, seen)
    assert second["event"]["Records"][0]["attributes"]["ApproximateReceiveCount"] == "2"
    nubis.advance(30)  # received twice: the next receive moves it to the dead-letter queue
    assert wait_counts(sqs, dlq, (1, 0)) == (1, 0)
    assert invocations(sqs, seen, timeout=0.5) == []
    (dead,) = sqs.receive_message(QueueUrl=dlq)["Messages"]
    assert dead["Body"] == "crash"


def test_filters_pass_matching_records_and_delete_the_rest(lam, sqs, seen, recorder):
    url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    orders = {"body": {"kind": ["order"], "total": [{"numeric": [">", 10]}]}}
    lam.create_event_source_mapping(
        FunctionName="recorder", EventSourceArn=arn("jobs"),
        FilterCriteria={"Filters": [{"Pattern": json.dumps(orders)},
                                    {"Pattern": json.dumps({"body": [{"prefix": "urgent"}]})}]})
    for body in (json.dumps({"kind": "order", "total": 50}), json.dumps({"kind": "order", "total": 5}),
                 json.dumps({"kind": "refund", "total": 50}), "plain text", "urgent: plain text"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    got = invocations(sqs, seen, count=2)
    bodies = sorted(r["body"] for e in got for r in e["event"]["Records"])
    assert bodies == sorted([json.dumps({"kind": "order", "total": 50}), "urgent: plain text"])
    assert wait_counts(sqs, url, (0, 0)) == (0, 0)  # the filtered-out messages were deleted
    assert invocations(sqs, seen, timeout=0.5) == []


def test_invalid_filter_pattern_is_refused(lam, sqs, recorder):
    sqs.create_queue(QueueName="jobs")
    from .conftest import code, error_of
    e = error_of(lam.create_event_source_mapping, FunctionName="recorder", EventSourceArn=arn("jobs"),
                 FilterCriteria={"Filters": [{"Pattern": "{not json"}]})
    assert code(e) == "InvalidParameterValueException"


def test_batching_window_gathers_records_on_the_clock(lam, sqs, seen, recorder, nubis):
    url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    lam.create_event_source_mapping(FunctionName="recorder", EventSourceArn=arn("jobs"), BatchSize=50,
                                    MaximumBatchingWindowInSeconds=10)
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
    assert wait_counts(sqs, url, (0, 3)) == (0, 3)  # received, waiting for the window
    time.sleep(0.3)
    nubis.advance(9)
    assert invocations(sqs, seen, timeout=1.0) == []
    sqs.send_message(QueueUrl=url, MessageBody="m3")
    assert wait_counts(sqs, url, (0, 4)) == (0, 4)
    nubis.advance(1)
    (batch,) = invocations(sqs, seen)
    assert sorted(r["body"] for r in batch["event"]["Records"]) == ["m0", "m1", "m2", "m3"]
    assert wait_counts(sqs, url, (0, 0)) == (0, 0)


def test_a_message_received_again_within_the_window_is_one_record(lam, sqs, seen, recorder, nubis):
    url = sqs.create_queue(QueueName="jobs", Attributes={"VisibilityTimeout": "5"})["QueueUrl"]
    lam.create_event_source_mapping(FunctionName="recorder", EventSourceArn=arn("jobs"), BatchSize=50,
                                    MaximumBatchingWindowInSeconds=20)
    sqs.send_message(QueueUrl=url, MessageBody="once")
    assert wait_counts(sqs, url, (0, 1)) == (0, 1)
    time.sleep(0.3)
    nubis.advance(6)  # visible again, and received again while the window is open
    time.sleep(0.3)
    nubis.advance(14)
    (batch,) = invocations(sqs, seen)
    (record,) = batch["event"]["Records"]
    assert record["body"] == "once" and int(record["attributes"]["ApproximateReceiveCount"]) >= 2
    assert wait_counts(sqs, url, (0, 0)) == (0, 0)  # deleted with the latest receipt handle


def test_a_full_batch_does_not_wait_for_the_window(lam, sqs, seen, recorder):
    url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"m{i}"} for i in range(5)])
    lam.create_event_source_mapping(FunctionName="recorder", EventSourceArn=arn("jobs"), BatchSize=5,
                                    MaximumBatchingWindowInSeconds=300)
    got = invocations(sqs, seen, count=1)
    assert sum(len(e["event"]["Records"]) for e in got) == 5


def test_maximum_concurrency_bounds_the_batches_in_flight(lam, sqs, seen, recorder):
    url = sqs.create_queue(QueueName="jobs", Attributes={"VisibilityTimeout": "60"})["QueueUrl"]
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"slow-{i}"} for i in range(6)])
    lam.create_event_source_mapping(FunctionName="recorder", EventSourceArn=arn("jobs"), BatchSize=1,
                                    ScalingConfig={"MaximumConcurrency": 2})
    got = invocations(sqs, seen, count=6, timeout=60)
    assert len(got) == 6
    spans = [(e["start"], e["end"]) for e in got]
    most = max(sum(1 for s, e in spans if s <= t < e) for t, _ in spans)
    assert most <= 2
    assert most == 2  # and it did run two at once


def test_fifo_groups_reach_the_function_in_order(lam, sqs, seen, recorder):
    url = sqs.create_queue(QueueName="jobs.fifo", Attributes={"FifoQueue": "true",
                                                              "ContentBasedDeduplication": "true"})["QueueUrl"]
    for i in range(6):
        for group in ("a", "b"):
            sqs.send_message(QueueUrl=url, MessageBody=f"{group}{i}", MessageGroupId=group)
    lam.create_event_source_mapping(FunctionName="recorder", EventSourceArn=arn("jobs.fifo"), BatchSize=2)
    got = invocations(sqs, seen, count=6, timeout=60)
    order = {"a": [], "b": []}
    for e in sorted(got, key=lambda e: e["start"]):
        for r in e["event"]["Records"]:
            assert r["attributes"]["MessageGroupId"] == r["body"][0]
            assert r["attributes"]["SequenceNumber"] and r["attributes"]["MessageDeduplicationId"]
            order[r["body"][0]].append(r["body"])
    assert order == {g: [f"{g}{i}" for i in range(6)] for g in "ab"}


def test_a_disabled_mapping_stops_polling_and_enabling_resumes(lam, sqs, seen, recorder):
    url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    mapping = lam.create_event_source_mapping(FunctionName="recorder", EventSourceArn=arn("jobs"))
    sqs.send_message(QueueUrl=url, MessageBody="one")
    assert len(invocations(sqs, seen)) == 1
    out = lam.update_event_source_mapping(UUID=mapping["UUID"], Enabled=False)
    assert out["State"] == "Disabling"
    assert lam.get_event_source_mapping(UUID=mapping["UUID"])["State"] == "Disabled"
    sqs.send_message(QueueUrl=url, MessageBody="two")
    time.sleep(0.5)
    assert counts(sqs, url) == (1, 0)
    assert lam.update_event_source_mapping(UUID=mapping["UUID"], Enabled=True)["State"] == "Enabling"
    (again,) = invocations(sqs, seen)
    assert again["event"]["Records"][0]["body"] == "two"
    lam.delete_event_source_mapping(UUID=mapping["UUID"])
    sqs.send_message(QueueUrl=url, MessageBody="three")
    time.sleep(0.5)
    assert counts(sqs, url) == (1, 0)


def test_restart_keeps_mappings_and_polling_resumes(server_process, tmp_path):
    data = str(tmp_path / "data")
    server = server_process("--data-dir", data)
    lam, sqs = server.client("lambda"), server.client("sqs")
    seen_url = sqs.create_queue(QueueName="seen")["QueueUrl"]
    url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    lam.create_function(FunctionName="recorder", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                        Code={"ZipFile": zip_of({"app.py": RECORDER})}, Timeout=30)
    uuid = lam.create_event_source_mapping(FunctionName="recorder", EventSourceArn=arn("jobs"))["UUID"]
    sqs.send_message(QueueUrl=url, MessageBody="before")
    assert len(invocations(sqs, seen_url)) == 1
    server.kill9()

    restarted = server_process("--data-dir", data, port=server.port)
    sqs = restarted.client("sqs")
    sqs.send_message(QueueUrl=url, MessageBody="after")  # nothing but SQS is called after the restart
    restarted.post("/_nubis/clock", {"advance_seconds": 10})  # the mappings' watch timer starts Lambda
    (event,) = invocations(sqs, seen_url, timeout=30)
    assert event["event"]["Records"][0]["body"] == "after"
    assert restarted.client("lambda").get_event_source_mapping(UUID=uuid)["State"] == "Enabled"
