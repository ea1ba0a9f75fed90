"""Time in a queue: visibility timeouts, delays, retention, purge, counters, long polling.

Every rule is checked on the controllable clock; the only real waiting is a
fraction of a second for a long poll to be parked before something wakes it.
"""
import concurrent.futures
import time

import pytest

from .conftest import attrs, code, error_of, receive, status

COUNTERS = ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed")


def counters(sqs, url) -> tuple[int, int, int]:
    a = attrs(sqs, url, *COUNTERS)
    return tuple(int(a[k]) for k in COUNTERS)


@pytest.fixture
def url(make_queue):
    return make_queue("q")


@pytest.fixture
def pool():
    with concurrent.futures.ThreadPoolExecutor(4) as executor:
        yield executor


def take(sqs, url) -> list[str]:
    """Receive what is visible now and delete it; the bodies."""
    messages = receive(sqs, url, MaxNumberOfMessages=10)
    for m in messages:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return [m["Body"] for m in messages]


def parked(future, seconds: float = 0.3) -> bool:
    """The call is still waiting after a short real-time pause."""
    time.sleep(seconds)
    return not future.done()


# -- visibility timeout ------------------------------------------------------------------------------

def test_queue_visibility_timeout_then_redelivery(nubis, sqs, url):
    sqs.send_message(QueueUrl=url, MessageBody="x")
    [first] = receive(sqs, url, AttributeNames=["All"])
    assert counters(sqs, url) == (0, 1, 0)
    nubis.advance(29)
    assert receive(sqs, url) == []
    nubis.advance(2)
    assert counters(sqs, url) == (1, 0, 0)
    [second] = receive(sqs, url, AttributeNames=["All"])
    assert second["MessageId"] == first["MessageId"]
    assert second["ReceiptHandle"] != first["ReceiptHandle"]
    assert first["Attributes"]["ApproximateReceiveCount"] == "1"
    assert second["Attributes"]["ApproximateReceiveCount"] == "2"
    assert second["Attributes"]["ApproximateFirstReceiveTimestamp"] == \
        first["Attributes"]["ApproximateFirstReceiveTimestamp"]
    nubis.advance(31)
    [third] = receive(sqs, url, AttributeNames=["ApproximateReceiveCount"])
    assert third["Attributes"] == {"ApproximateReceiveCount": "3"}


def test_queue_visibility_timeout_attribute_is_used(nubis, sqs, make_queue):
    url = make_queue("slow", VisibilityTimeout=300)
    sqs.send_message(QueueUrl=url, MessageBody="x")
    assert len(receive(sqs, url)) == 1
    nubis.advance(299)
    assert receive(sqs, url) == []
    nubis.advance(2)
    assert len(receive(sqs, url)) == 1


def test_visibility_timeout_per_receive(nubis, sqs, url):
    sqs.send_message(QueueUrl=url, MessageBody="x")
    assert len(receive(sqs, url, VisibilityTimeout=5)) == 1
    nubis.advance(4)
    assert receive(sqs, url) == []
    nubis.advance(2)
    assert len(receive(sqs, url, VisibilityTimeout=0)) == 1
    assert len(receive(sqs, url)) == 1  # timeout 0: visible again at once


def test_receive_visibility_timeout_out_of_range(sqs, url):
    e = error_of(sqs.receive_message, QueueUrl=url, VisibilityTimeout=43201)
    assert code(e) == "InvalidParameterValue"


def test_change_message_visibility_extends_and_releases(nubis, sqs, url):
    sqs.send_message(QueueUrl=url, MessageBody="x")
    [m] = receive(sqs, url)
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=600)
    nubis.advance(500)
    assert receive(sqs, url) == []
    # Counted from the change, not from the receive.
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=10)
    nubis.advance(9)
    assert receive(sqs, url) == []
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)
    [again] = receive(sqs, url)
    assert again["MessageId"] == m["MessageId"]


def test_change_visibility_batch(nubis, sqs, url):
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=str(i))
    ms = receive(sqs, url, MaxNumberOfMessages=10)
    result = sqs.change_message_visibility_batch(QueueUrl=url, Entries=[
        {"Id": f"m{i}", "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 100 * (i + 1)}
        for i, m in enumerate(ms)])
    assert sorted(s["Id"] for s in result["Successful"]) == ["m0", "m1", "m2"]
    assert result["Failed"] == []
    nubis.advance(150)
    assert take(sqs, url) == [ms[0]["Body"]]
    nubis.advance(100)
    assert take(sqs, url) == [ms[1]["Body"]]


def test_change_visibility_after_it_ran_out_is_message_not_inflight(nubis, sqs, url):
    sqs.send_message(QueueUrl=url, MessageBody="x")
    [m] = receive(sqs, url)
    nubis.advance(31)
    e = error_of(sqs.change_message_visibility, QueueUrl=url, ReceiptHandle=m["ReceiptHandle"],
                 VisibilityTimeout=60)
    assert isinstance(e, sqs.exceptions.MessageNotInflight)
    assert code(e) == "AWS.SimpleQueueService.MessageNotInflight"
    assert status(e) == 400


def test_change_visibility_with_an_invalid_handle(sqs, url):
    e = error_of(sqs.change_message_visibility, QueueUrl=url, ReceiptHandle="junk", VisibilityTimeout=1)
    assert code(e) == "ReceiptHandleIsInvalid"


def test_change_visibility_range(sqs, url):
    sqs.send_message(QueueUrl=url, MessageBody="x")
    [m] = receive(sqs, url)
    e = error_of(sqs.change_message_visibility, QueueUrl=url, ReceiptHandle=m["ReceiptHandle"],
                 VisibilityTimeout=43201)
    assert code(e) == "InvalidParameterValue"


def test_total_visibility_is_limited_to_twelve_hours_from_the_receive(nubis, sqs, url):
    sqs.send_message(QueueUrl=url, MessageBody="x")
    [m] = receive(sqs, url)
    handle = m["ReceiptHandle"]
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=43200)
    nubis.advance(1000)
    e = error_of(sqs.change_message_visibility, QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=43200)
    assert code(e) == "InvalidParameterValue"
    assert "43200" in e.response["Error"]["Message"]
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=42190)
    nubis.advance(42_189)
    assert receive(sqs, url) == []
    nubis.advance(2)
    # Received again: a new twelve hours.
    [m] = receive(sqs, url)
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=43200)


def test_old_receipt_handle_after_redelivery_deletes_nothing(nubis, sqs, url):
    sqs.send_message(QueueUrl=url, MessageBody="x")
    [first] = receive(sqs, url)
    nubis.advance(31)
    [second] = receive(sqs, url)
    # Succeeds, as the DeleteMessage reference says, but the message stays.
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"])
    assert counters(sqs, url) == (0, 1, 0)
    nubis.advance(31)
    [third] = receive(sqs, url)
    assert third["MessageId"] == first["MessageId"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=third["ReceiptHandle"])
    assert counters(sqs, url) == (0, 0, 0)


def test_latest_handle_deletes_a_message_whose_visibility_ran_out(nubis, sqs, url):
    sqs.send_message(QueueUrl=url, MessageBody="x")
    [m] = receive(sqs, url)
    nubis.advance(100)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    assert counters(sqs, url) == (0, 0, 0)


# -- delays --------------------------------------------------------------------------------------------

def test_queue_delay(nubis, sqs, make_queue):
    url = make_queue("delayed", DelaySeconds=60)
    sqs.send_message(QueueUrl=url, MessageBody="x")
    assert counters(sqs, url) == (0, 0, 1)
    assert receive(sqs, url) == []
    nubis.advance(59)
    assert receive(sqs, url) == []
    nubis.advance(2)
    assert counters(sqs, url) == (1, 0, 0)
    assert len(receive(sqs, url)) == 1


def test_message_delay_overrides_the_queue_delay(nubis, sqs, make_queue):
    url = make_queue("delayed", DelaySeconds=60)
    sqs.send_message(QueueUrl=url, MessageBody="now", DelaySeconds=0)
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=900)
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "batch-soon", "DelaySeconds": 10}])
    assert take(sqs, url) == ["now"]
    nubis.advance(11)
    assert take(sqs, url) == ["batch-soon"]
    nubis.advance(900 - 11 - 1)
    assert take(sqs, url) == []
    nubis.advance(2)
    assert take(sqs, url) == ["later"]


@pytest.mark.parametrize("delay", [-1, 901])
def test_message_delay_range(sqs, url, delay):
    e = error_of(sqs.send_message, QueueUrl=url, MessageBody="x", DelaySeconds=delay)
    assert code(e) == "InvalidParameterValue"
    assert "DelaySeconds" in e.response["Error"]["Message"]


def test_changing_the_queue_delay_is_not_retroactive(nubis, sqs, make_queue):
    url = make_queue("delayed", DelaySeconds=100)
    sqs.send_message(QueueUrl=url, MessageBody="x")
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"DelaySeconds": "0"})
    assert receive(sqs, url) == []
    nubis.advance(101)
    assert len(receive(sqs, url)) == 1


# -- retention -----------------------------------------------------------------------------------------

def test_default_retention_is_four_days(nubis, sqs, url):
    sqs.send_message(QueueUrl=url, MessageBody="old")
    nubis.advance(4 * 86400 - 60)
    sqs.send_message(QueueUrl=url, MessageBody="new")
    assert counters(sqs, url) == (2, 0, 0)
    nubis.advance(120)
    assert counters(sqs, url) == (1, 0, 0)
    assert [m["Body"] for m in receive(sqs, url, MaxNumberOfMessages=10)] == ["new"]


def test_minimum_retention_of_sixty_seconds_applies_to_in_flight_messages_too(nubis, sqs, make_queue):
    url = make_queue("short", MessageRetentionPeriod=60, VisibilityTimeout=600)
    sqs.send_message(QueueUrl=url, MessageBody="held")
    sqs.send_message(QueueUrl=url, MessageBody="waiting")
    [held] = receive(sqs, url)
    nubis.advance(59)
    assert counters(sqs, url) == (1, 1, 0)
    nubis.advance(2)
    assert counters(sqs, url) == (0, 0, 0)
    assert receive(sqs, url) == []


# -- purge ---------------------------------------------------------------------------------------------

def test_purge_removes_everything_and_only_once_a_minute(nubis, sqs, url):
    sqs.send_message(QueueUrl=url, MessageBody="visible")
    sqs.send_message(QueueUrl=url, MessageBody="in flight")
    sqs.send_message(QueueUrl=url, MessageBody="delayed", DelaySeconds=300)
    receive(sqs, url)
    assert counters(sqs, url) == (1, 1, 1)
    sqs.purge_queue(QueueUrl=url)
    assert counters(sqs, url) == (0, 0, 0)

    sqs.send_message(QueueUrl=url, MessageBody="after")
    nubis.advance(59)
    e = error_of(sqs.purge_queue, QueueUrl=url)
    assert isinstance(e, sqs.exceptions.PurgeQueueInProgress)
    assert code(e) == "AWS.SimpleQueueService.PurgeQueueInProgress"
    assert status(e) == 403
    assert counters(sqs, url) == (1, 0, 0)
    nubis.advance(2)
    sqs.purge_queue(QueueUrl=url)
    assert counters(sqs, url) == (0, 0, 0)
    nubis.advance(301)  # the delayed message went too
    assert receive(sqs, url) == []


def test_purge_of_a_missing_queue(sqs, url):
    sqs.delete_queue(QueueUrl=url)
    assert isinstance(error_of(sqs.purge_queue, QueueUrl=url), sqs.exceptions.QueueDoesNotExist)


# -- long polling --------------------------------------------------------------------------------------

def test_long_poll_returns_as_soon_as_a_message_is_sent(sqs, url, pool):
    started = time.monotonic()
    waiting = pool.submit(sqs.receive_message, QueueUrl=url, WaitTimeSeconds=20)
    assert parked(waiting, 0.2)
    sqs.send_message(QueueUrl=url, MessageBody="wake up")
    response = waiting.result(timeout=5)
    assert [m["Body"] for m in response["Messages"]] == ["wake up"]
    assert time.monotonic() - started < 3


def test_long_poll_returns_empty_when_the_clock_passes_the_wait(nubis, sqs, url, pool):
    waiting = pool.submit(sqs.receive_message, QueueUrl=url, WaitTimeSeconds=20)
    assert parked(waiting)
    nubis.advance(19)
    assert parked(waiting, 0.1)
    nubis.advance(2)
    assert "Messages" not in waiting.result(timeout=5)


def test_long_poll_gets_a_message_whose_visibility_ends_while_waiting(nubis, sqs, url, pool):
    sqs.send_message(QueueUrl=url, MessageBody="x")
    [m] = receive(sqs, url, VisibilityTimeout=5)
    waiting = pool.submit(sqs.receive_message, QueueUrl=url, WaitTimeSeconds=20)
    assert parked(waiting)
    nubis.advance(6)
    [again] = waiting.result(timeout=5)["Messages"]
    assert again["MessageId"] == m["MessageId"]


def test_long_poll_gets_a_delayed_message_when_its_delay_ends(nubis, sqs, url, pool):
    sqs.send_message(QueueUrl=url, MessageBody="x", DelaySeconds=10)
    waiting = pool.submit(sqs.receive_message, QueueUrl=url, WaitTimeSeconds=20)
    assert parked(waiting)
    nubis.advance(11)
    assert waiting.result(timeout=5)["Messages"][0]["Body"] == "x"


def test_queue_receive_wait_time_is_the_default_wait(nubis, sqs, make_queue, pool):
    url = make_queue("patient", ReceiveMessageWaitTimeSeconds=20)
    waiting = pool.submit(sqs.receive_message, QueueUrl=url)
    assert parked(waiting)
    nubis.advance(21)
    assert "Messages" not in waiting.result(timeout=5)
    # An explicit WaitTimeSeconds=0 does not wait.
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0)


def test_one_message_wakes_one_of_two_long_polls(sqs, url, pool):
    first = pool.submit(sqs.receive_message, QueueUrl=url, WaitTimeSeconds=20)
    second = pool.submit(sqs.receive_message, QueueUrl=url, WaitTimeSeconds=20)
    assert parked(first) and not second.done()
    sqs.send_message(QueueUrl=url, MessageBody="only one")
    done, waiting = concurrent.futures.wait([first, second], timeout=5,
                                            return_when=concurrent.futures.FIRST_COMPLETED)
    assert len(done) == 1
    [winner] = done
    assert [m["Body"] for m in winner.result()["Messages"]] == ["only one"]
    [other] = waiting
    assert parked(other, 0.2)
    sqs.send_message(QueueUrl=url, MessageBody="the next")
    assert [m["Body"] for m in other.result(timeout=5)["Messages"]] == ["the next"]


def test_releasing_a_message_wakes_a_long_poll(sqs, url, pool):
    sqs.send_message(QueueUrl=url, MessageBody="x")
    [m] = receive(sqs, url, VisibilityTimeout=600)
    waiting = pool.submit(sqs.receive_message, QueueUrl=url, WaitTimeSeconds=20)
    assert parked(waiting)
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)
    assert waiting.result(timeout=5)["Messages"][0]["MessageId"] == m["MessageId"]


def test_deleting_a_fifo_message_wakes_a_long_poll_for_its_group(sqs, make_queue, pool):
    url = make_queue("q.fifo", FifoQueue="true", ContentBasedDeduplication="true")
    for body in ("first", "second"):
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId="g")
    [m] = receive(sqs, url)
    waiting = pool.submit(sqs.receive_message, QueueUrl=url, WaitTimeSeconds=20)
    assert parked(waiting)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    assert [x["Body"] for x in waiting.result(timeout=5)["Messages"]] == ["second"]


def test_wait_time_out_of_range(sqs, url):
    e = error_of(sqs.receive_message, QueueUrl=url, WaitTimeSeconds=21)
    assert code(e) == "InvalidParameterValue"
    assert "WaitTimeSeconds" in e.response["Error"]["Message"]


def test_deleting_the_queue_ends_a_long_poll(sqs, url, pool):
    waiting = pool.submit(sqs.receive_message, QueueUrl=url, WaitTimeSeconds=20)
    assert parked(waiting)
    sqs.delete_queue(QueueUrl=url)
    waiting.exception(timeout=5)  # returns (empty or an error), does not hang
