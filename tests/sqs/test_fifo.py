"""FIFO queues: order within a group, one group in flight at a time, deduplication,
sequence numbers, receive-attempt retries, and what FIFO refuses."""
import pytest

from .conftest import attrs, code, error_of, receive


@pytest.fixture
def fifo(make_queue):
    return make_queue("q.fifo", FifoQueue="true")


def send(sqs, url, body, group="g", dedup=None, **kwargs):
    return sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=group,
                            MessageDeduplicationId=dedup or body, **kwargs)


def bodies(messages):
    return [m["Body"] for m in messages]


def delete_all(sqs, url, messages):
    for m in messages:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


# -- ordering and groups ------------------------------------------------------------------------------

def test_order_within_a_group_is_kept(sqs, fifo):
    for i in range(8):
        send(sqs, fifo, f"m{i}")
    got = []
    while True:
        batch = receive(sqs, fifo, MaxNumberOfMessages=3)
        if not batch:
            break
        got += bodies(batch)
        delete_all(sqs, fifo, batch)
    assert got == [f"m{i}" for i in range(8)]


def test_a_group_is_blocked_while_a_message_of_it_is_in_flight(nubis, sqs, fifo):
    for i in range(3):
        send(sqs, fifo, f"a{i}", group="A")
    [first] = receive(sqs, fifo, MaxNumberOfMessages=1)
    assert first["Body"] == "a0"
    assert receive(sqs, fifo, MaxNumberOfMessages=10) == []
    # Not deleted in time: the same message comes back first, in order.
    nubis.advance(31)
    [again] = receive(sqs, fifo, MaxNumberOfMessages=1, AttributeNames=["ApproximateReceiveCount"])
    assert again["Body"] == "a0"
    assert again["Attributes"]["ApproximateReceiveCount"] == "2"
    sqs.delete_message(QueueUrl=fifo, ReceiptHandle=again["ReceiptHandle"])
    assert bodies(receive(sqs, fifo, MaxNumberOfMessages=10)) == ["a1", "a2"]


def test_other_groups_flow_while_one_is_blocked(sqs, fifo):
    send(sqs, fifo, "a0", group="A")
    send(sqs, fifo, "a1", group="A")
    send(sqs, fifo, "b0", group="B")
    send(sqs, fifo, "c0", group="C")
    [a0] = receive(sqs, fifo, MaxNumberOfMessages=1)
    assert a0["Body"] == "a0"
    rest = receive(sqs, fifo, MaxNumberOfMessages=10)
    assert bodies(rest) == ["b0", "c0"]
    sqs.delete_message(QueueUrl=fifo, ReceiptHandle=a0["ReceiptHandle"])
    assert bodies(receive(sqs, fifo, MaxNumberOfMessages=10)) == ["a1"]


def test_a_receive_takes_as_many_of_one_group_as_it_can(sqs, fifo):
    # The developer guide: SQS first returns as many messages of one group as
    # possible, leaving the other groups to other consumers.
    for body, group in [("a0", "a"), ("b0", "b"), ("a1", "a"), ("b1", "b"), ("c0", "c")]:
        send(sqs, fifo, body, group=group)
    assert bodies(receive(sqs, fifo, MaxNumberOfMessages=3)) == ["a0", "a1", "b0"]
    # a and b are in flight now: only c is left to give.
    assert bodies(receive(sqs, fifo, MaxNumberOfMessages=10)) == ["c0"]


def test_batch_send_keeps_order_and_reports_sequence_numbers(sqs, fifo):
    response = sqs.send_message_batch(QueueUrl=fifo, Entries=[
        {"Id": f"e{i}", "MessageBody": f"m{i}", "MessageGroupId": "g", "MessageDeduplicationId": f"d{i}"}
        for i in range(5)])
    sequences = [int(s["SequenceNumber"]) for s in response["Successful"]]
    assert sequences == sorted(sequences) and len(set(sequences)) == 5
    assert bodies(receive(sqs, fifo, MaxNumberOfMessages=10)) == [f"m{i}" for i in range(5)]


def test_sequence_numbers_increase_and_are_returned_on_receive(sqs, fifo):
    numbers = [send(sqs, fifo, f"m{i}", group=f"g{i % 2}")["SequenceNumber"] for i in range(4)]
    assert all(n.isdigit() for n in numbers)
    assert [int(n) for n in numbers] == sorted(int(n) for n in numbers)
    assert len(set(numbers)) == 4
    messages = receive(sqs, fifo, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"])
    by_body = {m["Body"]: m["Attributes"] for m in messages}
    assert by_body["m0"]["SequenceNumber"] == numbers[0]
    assert by_body["m0"]["MessageGroupId"] == "g0"
    assert by_body["m0"]["MessageDeduplicationId"] == "m0"
    assert by_body["m1"]["MessageGroupId"] == "g1"


# -- deduplication ---------------------------------------------------------------------------------------

def test_deduplication_by_id_for_five_minutes(nubis, sqs, fifo):
    first = send(sqs, fifo, "one", dedup="same")
    again = send(sqs, fifo, "two", dedup="same")
    assert again["MessageId"] == first["MessageId"]
    assert attrs(sqs, fifo, "ApproximateNumberOfMessages")["ApproximateNumberOfMessages"] == "1"
    nubis.advance(299)
    assert send(sqs, fifo, "three", dedup="same")["MessageId"] == first["MessageId"]
    nubis.advance(2)
    fresh = send(sqs, fifo, "four", dedup="same")
    assert fresh["MessageId"] != first["MessageId"]
    assert bodies(receive(sqs, fifo, MaxNumberOfMessages=10)) == ["one", "four"]


def test_deduplication_window_outlives_the_message(sqs, fifo):
    send(sqs, fifo, "x", dedup="d")
    [m] = receive(sqs, fifo)
    sqs.delete_message(QueueUrl=fifo, ReceiptHandle=m["ReceiptHandle"])
    send(sqs, fifo, "x", dedup="d")
    assert receive(sqs, fifo) == []


def test_content_based_deduplication(nubis, sqs, make_queue):
    url = make_queue("cbd.fifo", FifoQueue="true", ContentBasedDeduplication="true")
    a = sqs.send_message(QueueUrl=url, MessageBody="same body", MessageGroupId="g")
    b = sqs.send_message(QueueUrl=url, MessageBody="same body", MessageGroupId="other-group")
    c = sqs.send_message(QueueUrl=url, MessageBody="different body", MessageGroupId="g")
    assert a["MessageId"] == b["MessageId"] != c["MessageId"]
    # An explicit id wins over the content.
    d = sqs.send_message(QueueUrl=url, MessageBody="same body", MessageGroupId="g", MessageDeduplicationId="x")
    assert d["MessageId"] != a["MessageId"]
    assert sorted(bodies(receive(sqs, url, MaxNumberOfMessages=10))) == ["different body", "same body",
                                                                         "same body"]
    nubis.advance(301)
    assert sqs.send_message(QueueUrl=url, MessageBody="same body", MessageGroupId="g")["MessageId"] != \
        a["MessageId"]


def test_without_a_deduplication_id_or_content_based_deduplication(sqs, fifo):
    e = error_of(sqs.send_message, QueueUrl=fifo, MessageBody="x", MessageGroupId="g")
    assert code(e) == "InvalidParameterValue"
    assert "ContentBasedDeduplication" in e.response["Error"]["Message"]


def test_deduplication_scope_message_group(sqs, make_queue):
    url = make_queue("scoped.fifo", FifoQueue="true", DeduplicationScope="messageGroup",
                     FifoThroughputLimit="perMessageGroupId")
    a = send(sqs, url, "a", group="A", dedup="d")
    b = send(sqs, url, "b", group="B", dedup="d")
    a2 = send(sqs, url, "a2", group="A", dedup="d")
    assert a["MessageId"] != b["MessageId"]
    assert a2["MessageId"] == a["MessageId"]
    assert sorted(bodies(receive(sqs, url, MaxNumberOfMessages=10))) == ["a", "b"]


def test_deduplication_scope_queue_spans_groups(sqs, fifo):
    a = send(sqs, fifo, "a", group="A", dedup="d")
    b = send(sqs, fifo, "b", group="B", dedup="d")
    assert a["MessageId"] == b["MessageId"]


# -- receive request attempts ---------------------------------------------------------------------------------

def test_receive_request_attempt_id_returns_the_same_messages_on_retry(nubis, sqs, fifo):
    for i in range(3):
        send(sqs, fifo, f"m{i}")
    first = receive(sqs, fifo, MaxNumberOfMessages=2, ReceiveRequestAttemptId="attempt-1")
    retry = receive(sqs, fifo, MaxNumberOfMessages=2, ReceiveRequestAttemptId="attempt-1")
    assert bodies(first) == ["m0", "m1"]
    assert [(m["MessageId"], m["ReceiptHandle"]) for m in retry] == \
        [(m["MessageId"], m["ReceiptHandle"]) for m in first]
    # A different attempt sees the group in flight.
    assert receive(sqs, fifo, ReceiveRequestAttemptId="attempt-2") == []
    # Once the messages are deleted, the old attempt id no longer replays them.
    delete_all(sqs, fifo, first)
    assert bodies(receive(sqs, fifo, MaxNumberOfMessages=2, ReceiveRequestAttemptId="attempt-1")) == ["m2"]


def test_receive_attempt_retry_does_not_count_as_another_receive(sqs, fifo):
    send(sqs, fifo, "x")
    [a] = receive(sqs, fifo, ReceiveRequestAttemptId="r", AttributeNames=["ApproximateReceiveCount"])
    [b] = receive(sqs, fifo, ReceiveRequestAttemptId="r", AttributeNames=["ApproximateReceiveCount"])
    assert a["Attributes"]["ApproximateReceiveCount"] == b["Attributes"]["ApproximateReceiveCount"] == "1"


@pytest.mark.parametrize("attempt", ["has space", "a" * 129, "é"])
def test_receive_request_attempt_id_format(sqs, fifo, attempt):
    e = error_of(sqs.receive_message, QueueUrl=fifo, ReceiveRequestAttemptId=attempt)
    assert code(e) == "InvalidParameterValue"
    assert "ReceiveRequestAttemptId" in e.response["Error"]["Message"]


# -- what FIFO refuses -------------------------------------------------------------------------------------

def test_message_group_id_is_required(sqs, fifo):
    e = error_of(sqs.send_message, QueueUrl=fifo, MessageBody="x", MessageDeduplicationId="d")
    assert code(e) == "MissingParameter"
    assert "MessageGroupId" in e.response["Error"]["Message"]
    response = sqs.send_message_batch(QueueUrl=fifo, Entries=[
        {"Id": "nogroup", "MessageBody": "x", "MessageDeduplicationId": "d"},
        {"Id": "ok", "MessageBody": "y", "MessageDeduplicationId": "e", "MessageGroupId": "g"}])
    assert [s["Id"] for s in response["Successful"]] == ["ok"]
    assert [(f["Id"], f["Code"]) for f in response["Failed"]] == [("nogroup", "MissingParameter")]


def test_per_message_delay_is_rejected(sqs, fifo):
    e = error_of(send, sqs, fifo, "x", DelaySeconds=5)
    assert code(e) == "InvalidParameterValue"
    assert "DelaySeconds" in e.response["Error"]["Message"]


def test_queue_delay_applies_to_fifo(nubis, sqs, make_queue):
    url = make_queue("slow.fifo", FifoQueue="true", DelaySeconds=30)
    send(sqs, url, "x")
    assert receive(sqs, url) == []
    nubis.advance(31)
    assert bodies(receive(sqs, url)) == ["x"]


def test_group_and_deduplication_id_format(sqs, fifo):
    assert code(error_of(send, sqs, fifo, "x", group="a" * 129)) == "InvalidParameterValue"
    assert code(error_of(send, sqs, fifo, "x", group="has space")) == "InvalidParameterValue"
    assert code(error_of(send, sqs, fifo, "x", dedup="é")) == "InvalidParameterValue"


def test_deduplication_id_on_a_standard_queue_is_rejected(sqs, make_queue):
    url = make_queue("standard")
    e = error_of(sqs.send_message, QueueUrl=url, MessageBody="x", MessageDeduplicationId="d")
    assert code(e) == "InvalidParameterValue"


def test_fifo_throughput_limit_validation(sqs, make_queue):
    e = error_of(sqs.create_queue, QueueName="ht.fifo",
                 Attributes={"FifoQueue": "true", "FifoThroughputLimit": "perMessageGroupId"})
    assert code(e) == "InvalidAttributeValue"
    assert "FifoThroughputLimit" in e.response["Error"]["Message"]
    e = error_of(sqs.create_queue, QueueName="ht.fifo",
                 Attributes={"FifoQueue": "true", "FifoThroughputLimit": "fast"})
    assert code(e) == "InvalidAttributeValue"
    assert code(error_of(sqs.create_queue, QueueName="ht.fifo",
                         Attributes={"FifoQueue": "true", "DeduplicationScope": "world"})) == "InvalidAttributeValue"
    url = make_queue("ht.fifo", FifoQueue="true")
    e = error_of(sqs.set_queue_attributes, QueueUrl=url, Attributes={"FifoThroughputLimit": "perMessageGroupId"})
    assert code(e) == "InvalidAttributeValue"
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"DeduplicationScope": "messageGroup",
                                                       "FifoThroughputLimit": "perMessageGroupId"})
    a = attrs(sqs, url, "DeduplicationScope", "FifoThroughputLimit")
    assert a == {"DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"}
    # Going back to queue scope while the limit is per group is refused too.
    e = error_of(sqs.set_queue_attributes, QueueUrl=url, Attributes={"DeduplicationScope": "queue"})
    assert code(e) == "InvalidAttributeValue"


def test_stale_receipt_handle_in_a_fifo_queue(nubis, sqs, fifo):
    send(sqs, fifo, "x")
    [first] = receive(sqs, fifo)
    nubis.advance(31)
    [second] = receive(sqs, fifo)
    e = error_of(sqs.delete_message, QueueUrl=fifo, ReceiptHandle=first["ReceiptHandle"])
    assert code(e) == "InvalidParameterValue"
    assert "receipt handle has expired" in e.response["Error"]["Message"]
    sqs.delete_message(QueueUrl=fifo, ReceiptHandle=second["ReceiptHandle"])
    assert attrs(sqs, fifo, "ApproximateNumberOfMessagesNotVisible") == {
        "ApproximateNumberOfMessagesNotVisible": "0"}
