"""SQS state across restarts of a real nubis process: a clean SIGTERM and a kill -9.

Queues and their settings, visible, in-flight and delayed messages, receipt handles,
FIFO deduplication and sequence numbers, the purge minute, move-task timers and the
clock's offset all come back as they were.
"""
import json

import pytest
from botocore.exceptions import ClientError

COUNTERS = ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed")


def counters(sqs, url):
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(COUNTERS))["Attributes"]
    return tuple(int(a[k]) for k in COUNTERS)


def advance(server, seconds):
    return server.post("/_nubis/clock", {"advance_seconds": seconds})


def stop(server, how):
    if how == "sigterm":
        assert server.terminate() == 0
    else:
        server.kill9()


@pytest.mark.parametrize("how", ["sigterm", "kill9"])
def test_queues_and_messages_survive_a_restart(server_process, tmp_path, how):
    data = str(tmp_path / "data")
    server = server_process("--data-dir", data)
    sqs = server.client("sqs")
    url = sqs.create_queue(QueueName="work", Attributes={"VisibilityTimeout": "45", "DelaySeconds": "0"},
                           tags={"team": "core"})["QueueUrl"]
    fifo = sqs.create_queue(QueueName="work.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="in flight")
    [held] = sqs.receive_message(QueueUrl=url, VisibilityTimeout=100)["Messages"]
    sqs.send_message(QueueUrl=url, MessageBody="visible")
    sqs.send_message(QueueUrl=url, MessageBody="delayed", DelaySeconds=300)
    first = sqs.send_message(QueueUrl=fifo, MessageBody="a", MessageGroupId="g", MessageDeduplicationId="d1")
    offset = advance(server, 10)["offset_seconds"]
    assert counters(sqs, url) == (1, 1, 1)

    stop(server, how)
    server = server_process("--data-dir", data)
    sqs = server.client("sqs")

    assert server.get("/_nubis/clock")["offset_seconds"] == pytest.approx(offset, abs=0.01)
    assert sqs.get_queue_url(QueueName="work")["QueueUrl"].endswith("/000000000000/work")
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"] == {
        "VisibilityTimeout": "45"}
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "core"}
    assert counters(sqs, url) == (1, 1, 1)

    # FIFO deduplication and sequence numbers carry on.
    again = sqs.send_message(QueueUrl=fifo, MessageBody="a", MessageGroupId="g", MessageDeduplicationId="d1")
    assert again["MessageId"] == first["MessageId"]
    later = sqs.send_message(QueueUrl=fifo, MessageBody="b", MessageGroupId="g", MessageDeduplicationId="d2")
    assert int(later["SequenceNumber"]) > int(first["SequenceNumber"])

    # The visibility timeout and the delay keep counting on the same clock.
    [m] = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert m["Body"] == "visible"
    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    advance(server, 91)  # 101 s after the receive
    [m] = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]
    assert m["Body"] == "in flight" and m["MessageId"] == held["MessageId"]
    assert m["Attributes"]["ApproximateReceiveCount"] == "2"
    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    assert counters(sqs, url) == (0, 0, 1)
    advance(server, 200)
    [m] = sqs.receive_message(QueueUrl=url)["Messages"]
    assert m["Body"] == "delayed"


@pytest.mark.parametrize("how", ["sigterm", "kill9"])
def test_receipt_handles_and_timers_survive_a_restart(server_process, tmp_path, how):
    data = str(tmp_path / "data")
    server = server_process("--data-dir", data)
    sqs = server.client("sqs")
    url = sqs.create_queue(QueueName="q", Attributes={"VisibilityTimeout": "600"})["QueueUrl"]
    dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    src = sqs.create_queue(QueueName="src", Attributes={"RedrivePolicy": json.dumps(
        {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1})})["QueueUrl"]

    sqs.send_message(QueueUrl=url, MessageBody="x")
    [held] = sqs.receive_message(QueueUrl=url)["Messages"]
    sqs.purge_queue(QueueUrl=dlq)
    for i in range(5):
        sqs.send_message(QueueUrl=src, MessageBody=f"m{i}")
    assert len(sqs.receive_message(QueueUrl=src, MaxNumberOfMessages=10, VisibilityTimeout=0)["Messages"]) == 5
    assert "Messages" not in sqs.receive_message(QueueUrl=src, MaxNumberOfMessages=10)  # all dead-lettered
    sqs.start_message_move_task(SourceArn=dlq_arn, MaxNumberOfMessagesPerSecond=1)
    advance(server, 0)

    stop(server, how)
    server = server_process("--data-dir", data)
    sqs = server.client("sqs")

    # The handle from before the restart still deletes the message.
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=held["ReceiptHandle"], VisibilityTimeout=700)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=held["ReceiptHandle"])
    assert counters(sqs, url) == (0, 0, 0)
    # The purge minute is remembered.
    with pytest.raises(ClientError) as info:
        sqs.purge_queue(QueueUrl=dlq)
    assert info.value.response["Error"]["Code"] == "AWS.SimpleQueueService.PurgeQueueInProgress"
    # The move task's timer fires after the restart and finishes the job.
    advance(server, 10)
    [task] = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]
    assert task["Status"] == "COMPLETED" and task["ApproximateNumberOfMessagesMoved"] == 5
    assert counters(sqs, src)[0] == 5


def test_deleted_queue_stays_deleted_and_the_minute_is_remembered(server_process, tmp_path):
    data = str(tmp_path / "data")
    server = server_process("--data-dir", data)
    sqs = server.client("sqs")
    url = sqs.create_queue(QueueName="gone")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="x")
    sqs.delete_queue(QueueUrl=url)
    server.kill9()
    server = server_process("--data-dir", data)
    sqs = server.client("sqs")
    assert "QueueUrls" not in sqs.list_queues()
    with pytest.raises(ClientError) as info:
        sqs.create_queue(QueueName="gone")
    assert info.value.response["Error"]["Code"] == "AWS.SimpleQueueService.QueueDeletedRecently"
    advance(server, 61)
    url = sqs.create_queue(QueueName="gone")["QueueUrl"]
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
