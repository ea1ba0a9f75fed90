"""Dead-letter queues: redrive policies, moving messages after maxReceiveCount, source queue
listing, redrive-allow policies, and message move tasks back to the sources."""
import json

import pytest

from .conftest import attrs, code, error_of, receive, status


def arn_of(sqs, url):
    return attrs(sqs, url, "QueueArn")["QueueArn"]


def redrive(target_arn, count=2):
    return json.dumps({"deadLetterTargetArn": target_arn, "maxReceiveCount": count})


def visible(sqs, url) -> int:
    return int(attrs(sqs, url, "ApproximateNumberOfMessages")["ApproximateNumberOfMessages"])


@pytest.fixture
def dlq(make_queue):
    return make_queue("dlq")


def fail_receives(nubis, sqs, url, times):
    """Receive without deleting, letting the visibility timeout run out each time."""
    for _ in range(times):
        assert len(receive(sqs, url)) == 1
        nubis.advance(31)


# -- RedrivePolicy validation -----------------------------------------------------------------------

def test_redrive_policy_round_trips(sqs, make_queue, dlq):
    target = arn_of(sqs, dlq)
    src = make_queue("src", RedrivePolicy=redrive(target, 5))
    assert json.loads(attrs(sqs, src, "RedrivePolicy")["RedrivePolicy"]) == {
        "deadLetterTargetArn": target, "maxReceiveCount": 5}
    # maxReceiveCount given as a string is accepted too.
    sqs.set_queue_attributes(QueueUrl=src, Attributes={
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": target, "maxReceiveCount": "7"})})
    assert json.loads(attrs(sqs, src, "RedrivePolicy")["RedrivePolicy"])["maxReceiveCount"] == 7
    # An empty value removes it.
    sqs.set_queue_attributes(QueueUrl=src, Attributes={"RedrivePolicy": ""})
    assert "RedrivePolicy" not in attrs(sqs, src)


def test_redrive_to_a_missing_queue(sqs, make_queue):
    e = error_of(sqs.create_queue, QueueName="src", Attributes={
        "RedrivePolicy": redrive("arn:aws:sqs:us-east-1:000000000000:nowhere")})
    assert code(e) == "InvalidParameterValue"
    assert status(e) == 400
    assert "Dead letter target does not exist" in e.response["Error"]["Message"]
    assert "QueueUrls" not in sqs.list_queues(QueueNamePrefix="src")


def test_redrive_type_mismatch(sqs, make_queue, dlq):
    fifo_dlq = make_queue("dlq.fifo", FifoQueue="true")
    e = error_of(sqs.create_queue, QueueName="src", Attributes={"RedrivePolicy": redrive(arn_of(sqs, fifo_dlq))})
    assert code(e) == "InvalidParameterValue"
    e = error_of(sqs.create_queue, QueueName="src.fifo", Attributes={
        "FifoQueue": "true", "RedrivePolicy": redrive(arn_of(sqs, dlq))})
    assert code(e) == "InvalidParameterValue"


@pytest.mark.parametrize("count", [0, 1001, -1, "many"])
def test_max_receive_count_range(sqs, make_queue, dlq, count):
    src = make_queue("src")
    policy = json.dumps({"deadLetterTargetArn": arn_of(sqs, dlq), "maxReceiveCount": count})
    e = error_of(sqs.set_queue_attributes, QueueUrl=src, Attributes={"RedrivePolicy": policy})
    assert code(e) == "InvalidParameterValue"
    assert "maxReceiveCount" in e.response["Error"]["Message"]
    assert "RedrivePolicy" not in attrs(sqs, src)


@pytest.mark.parametrize("policy", [json.dumps({"maxReceiveCount": 3}),
                                    json.dumps({"deadLetterTargetArn": "arn:aws:sqs:us-east-1:000000000000:dlq"}),
                                    "not json"])
def test_incomplete_redrive_policy(sqs, make_queue, dlq, policy):
    src = make_queue("src")
    e = error_of(sqs.set_queue_attributes, QueueUrl=src, Attributes={"RedrivePolicy": policy})
    assert code(e) in ("InvalidParameterValue", "InvalidAttributeValue")


# -- moving to the dead-letter queue ------------------------------------------------------------------------

def test_message_moves_after_max_receive_count(nubis, sqs, make_queue, dlq):
    src = make_queue("src", RedrivePolicy=redrive(arn_of(sqs, dlq), 2))
    sent = sqs.send_message(QueueUrl=src, MessageBody="poison",
                            MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}})
    fail_receives(nubis, sqs, src, 2)
    # The third receive finds it over the limit: it goes to the DLQ instead.
    assert receive(sqs, src) == []
    assert visible(sqs, src) == 0
    [m] = receive(sqs, dlq, MessageSystemAttributeNames=["All"], MessageAttributeNames=["All"])
    assert m["MessageId"] == sent["MessageId"]
    assert m["Body"] == "poison"
    assert m["MessageAttributes"] == {"k": {"DataType": "String", "StringValue": "v"}}
    assert m["Attributes"]["DeadLetterQueueSourceArn"] == arn_of(sqs, src)


def test_good_messages_still_flow_when_one_is_dead_lettered(nubis, sqs, make_queue, dlq):
    src = make_queue("src", RedrivePolicy=redrive(arn_of(sqs, dlq), 1))
    sqs.send_message(QueueUrl=src, MessageBody="bad")
    fail_receives(nubis, sqs, src, 1)
    sqs.send_message(QueueUrl=src, MessageBody="good")
    assert [m["Body"] for m in receive(sqs, src, MaxNumberOfMessages=10)] == ["good"]
    assert [m["Body"] for m in receive(sqs, dlq)] == ["bad"]


def test_a_receive_that_dead_letters_returns_each_message_once(nubis, sqs, make_queue, dlq):
    src = make_queue("src", RedrivePolicy=redrive(arn_of(sqs, dlq), 1))
    for body in ("bad-1", "bad-2"):
        sqs.send_message(QueueUrl=src, MessageBody=body)
    assert len(receive(sqs, src, MaxNumberOfMessages=2)) == 2
    nubis.advance(31)
    for i in range(3):
        sqs.send_message(QueueUrl=src, MessageBody=f"good-{i}")
    got = receive(sqs, src, MaxNumberOfMessages=10, VisibilityTimeout=0)
    assert sorted(m["Body"] for m in got) == ["good-0", "good-1", "good-2"]
    assert visible(sqs, dlq) == 2


def test_standard_dlq_keeps_the_original_enqueue_time(nubis, sqs, make_queue):
    dlq = make_queue("dlq", MessageRetentionPeriod=3600)
    src = make_queue("src", RedrivePolicy=redrive(arn_of(sqs, dlq), 1), MessageRetentionPeriod=86400)
    sqs.send_message(QueueUrl=src, MessageBody="x")
    assert len(receive(sqs, src)) == 1
    nubis.advance(3000)
    assert receive(sqs, src) == []  # moved now
    assert visible(sqs, dlq) == 1
    nubis.advance(700)  # 3700 s since it was first sent
    assert visible(sqs, dlq) == 0


def test_fifo_dlq_resets_the_enqueue_time(nubis, sqs, make_queue):
    dlq = make_queue("dlq.fifo", FifoQueue="true", MessageRetentionPeriod=3600)
    src = make_queue("src.fifo", FifoQueue="true", RedrivePolicy=redrive(arn_of(sqs, dlq), 1))
    sqs.send_message(QueueUrl=src, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="d")
    assert len(receive(sqs, src)) == 1
    nubis.advance(3000)
    assert receive(sqs, src) == []
    nubis.advance(700)
    [m] = receive(sqs, dlq, MessageSystemAttributeNames=["All"])
    assert m["Body"] == "x"
    assert m["Attributes"]["MessageGroupId"] == "g"
    assert m["Attributes"]["SequenceNumber"].isdigit()


def test_fifo_group_continues_after_its_head_is_dead_lettered(nubis, sqs, make_queue):
    dlq = make_queue("dlq.fifo", FifoQueue="true")
    src = make_queue("src.fifo", FifoQueue="true", RedrivePolicy=redrive(arn_of(sqs, dlq), 1))
    for body in ("first", "second"):
        sqs.send_message(QueueUrl=src, MessageBody=body, MessageGroupId="g", MessageDeduplicationId=body)
    [m] = receive(sqs, src)
    assert m["Body"] == "first"
    nubis.advance(31)
    assert [m["Body"] for m in receive(sqs, src)] == ["second"]
    assert [m["Body"] for m in receive(sqs, dlq)] == ["first"]


def test_list_dead_letter_source_queues(sqs, make_queue, dlq):
    target = arn_of(sqs, dlq)
    a = make_queue("src-a", RedrivePolicy=redrive(target))
    b = make_queue("src-b")
    sqs.set_queue_attributes(QueueUrl=b, Attributes={"RedrivePolicy": redrive(target)})
    make_queue("unrelated")
    assert sorted(sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"]) == sorted([a, b])
    page = sqs.list_dead_letter_source_queues(QueueUrl=dlq, MaxResults=1)
    assert len(page["queueUrls"]) == 1 and page["NextToken"]
    rest = sqs.list_dead_letter_source_queues(QueueUrl=dlq, MaxResults=1, NextToken=page["NextToken"])
    assert sorted(page["queueUrls"] + rest["queueUrls"]) == sorted([a, b])
    assert sqs.list_dead_letter_source_queues(QueueUrl=a)["queueUrls"] == []


# -- RedriveAllowPolicy ---------------------------------------------------------------------------------------

def test_redrive_allow_policy_deny_all(sqs, make_queue):
    dlq = make_queue("dlq", RedriveAllowPolicy=json.dumps({"redrivePermission": "denyAll"}))
    e = error_of(sqs.create_queue, QueueName="src", Attributes={"RedrivePolicy": redrive(arn_of(sqs, dlq))})
    assert code(e) == "InvalidParameterValue"


def test_redrive_allow_policy_by_queue(sqs, make_queue):
    allowed_arn = "arn:aws:sqs:us-east-1:000000000000:allowed"
    dlq = make_queue("dlq", RedriveAllowPolicy=json.dumps({"redrivePermission": "byQueue",
                                                           "sourceQueueArns": [allowed_arn]}))
    make_queue("allowed", RedrivePolicy=redrive(arn_of(sqs, dlq)))
    e = error_of(sqs.create_queue, QueueName="other", Attributes={"RedrivePolicy": redrive(arn_of(sqs, dlq))})
    assert code(e) == "InvalidParameterValue"


@pytest.mark.parametrize("policy", [{"redrivePermission": "sometimes"},
                                    {"redrivePermission": "byQueue"},
                                    {"redrivePermission": "byQueue", "sourceQueueArns": [f"a{i}" for i in range(11)]},
                                    {"redrivePermission": "allowAll", "sourceQueueArns": ["arn"]}])
def test_invalid_redrive_allow_policies(sqs, make_queue, policy):
    url = make_queue("dlq")
    e = error_of(sqs.set_queue_attributes, QueueUrl=url, Attributes={"RedriveAllowPolicy": json.dumps(policy)})
    assert code(e) == "InvalidParameterValue"


# -- message move tasks -------------------------------------------------------------------------------------

def dead_letter(nubis, sqs, src, dlq, n):
    """n messages received once from ``src`` (maxReceiveCount 1), then moved to ``dlq``."""
    for i in range(n):
        sqs.send_message(QueueUrl=src, MessageBody=f"m{i}")
    assert len(receive(sqs, src, MaxNumberOfMessages=10, VisibilityTimeout=0)) == n
    assert receive(sqs, src, MaxNumberOfMessages=10) == []
    assert visible(sqs, dlq) == n


def test_move_task_returns_messages_to_their_source(nubis, sqs, make_queue, dlq):
    src = make_queue("src", RedrivePolicy=redrive(arn_of(sqs, dlq), 1))
    dead_letter(nubis, sqs, src, dlq, 3)
    assert visible(sqs, dlq) == 3 and visible(sqs, src) == 0
    handle = sqs.start_message_move_task(SourceArn=arn_of(sqs, dlq))["TaskHandle"]
    nubis.advance(5)
    assert visible(sqs, dlq) == 0
    back = receive(sqs, src, MaxNumberOfMessages=10, AttributeNames=["All"])
    assert sorted(m["Body"] for m in back) == ["m0", "m1", "m2"]
    assert all(m["Attributes"]["ApproximateReceiveCount"] == "1" for m in back)
    assert all("DeadLetterQueueSourceArn" not in m["Attributes"] for m in back)
    [task] = sqs.list_message_move_tasks(SourceArn=arn_of(sqs, dlq))["Results"]
    assert task["Status"] == "COMPLETED"
    assert task["ApproximateNumberOfMessagesMoved"] == 3
    assert task["ApproximateNumberOfMessagesToMove"] == 3
    assert "TaskHandle" not in task
    assert handle


def test_move_task_to_an_explicit_destination_at_a_rate(nubis, sqs, make_queue, dlq):
    src = make_queue("src", RedrivePolicy=redrive(arn_of(sqs, dlq), 1))
    other = make_queue("elsewhere")
    dead_letter(nubis, sqs, src, dlq, 4)
    dlq_arn = arn_of(sqs, dlq)
    sqs.start_message_move_task(SourceArn=dlq_arn, DestinationArn=arn_of(sqs, other),
                                MaxNumberOfMessagesPerSecond=1)
    nubis.advance(0)
    [task] = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]
    assert task["Status"] == "RUNNING"
    assert task["TaskHandle"]
    assert task["MaxNumberOfMessagesPerSecond"] == 1
    assert task["DestinationArn"] == arn_of(sqs, other)
    assert 1 <= task["ApproximateNumberOfMessagesMoved"] < 4
    # Only one task per source at a time.
    e = error_of(sqs.start_message_move_task, SourceArn=dlq_arn)
    assert code(e) == "AWS.SimpleQueueService.UnsupportedOperation"
    nubis.advance(10)
    [task] = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]
    assert task["Status"] == "COMPLETED" and task["ApproximateNumberOfMessagesMoved"] == 4
    assert visible(sqs, other) == 4 and visible(sqs, src) == 0


def test_cancel_move_task(nubis, sqs, make_queue, dlq):
    src = make_queue("src", RedrivePolicy=redrive(arn_of(sqs, dlq), 1))
    dead_letter(nubis, sqs, src, dlq, 5)
    dlq_arn = arn_of(sqs, dlq)
    handle = sqs.start_message_move_task(SourceArn=dlq_arn, MaxNumberOfMessagesPerSecond=1)["TaskHandle"]
    nubis.advance(0)
    moved = sqs.cancel_message_move_task(TaskHandle=handle)["ApproximateNumberOfMessagesMoved"]
    assert 1 <= moved < 5
    nubis.advance(30)
    assert visible(sqs, src) == moved
    assert visible(sqs, dlq) == 5 - moved
    [task] = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]
    assert task["Status"] == "CANCELLED"
    e = error_of(sqs.cancel_message_move_task, TaskHandle=handle)
    assert code(e) == "AWS.SimpleQueueService.UnsupportedOperation"
    # A new task may start now, and the list shows the newest first.
    sqs.start_message_move_task(SourceArn=dlq_arn)
    nubis.advance(2)
    tasks = sqs.list_message_move_tasks(SourceArn=dlq_arn, MaxResults=10)["Results"]
    assert [t["Status"] for t in tasks] == ["COMPLETED", "CANCELLED"]
    assert visible(sqs, src) == 5


def test_move_task_errors(sqs, make_queue, dlq):
    plain = make_queue("plain")
    e = error_of(sqs.start_message_move_task, SourceArn="arn:aws:sqs:us-east-1:000000000000:missing")
    assert isinstance(e, sqs.exceptions.ResourceNotFoundException)
    assert status(e) == 404
    e = error_of(sqs.start_message_move_task, SourceArn=arn_of(sqs, plain))
    assert code(e) == "InvalidParameterValue"
    make_queue("src", RedrivePolicy=redrive(arn_of(sqs, dlq)))
    e = error_of(sqs.start_message_move_task, SourceArn=arn_of(sqs, dlq), MaxNumberOfMessagesPerSecond=501)
    assert code(e) == "InvalidParameterValue"
    e = error_of(sqs.cancel_message_move_task, TaskHandle="bm90LWEtdGFzaw==")
    assert isinstance(e, sqs.exceptions.ResourceNotFoundException)
