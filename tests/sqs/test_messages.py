"""Messages: send, receive, delete; attributes and their digests; sizes; characters; batches."""
import hashlib
import struct

import pytest
from botocore.config import Config

from .conftest import ACCOUNT, attrs, code, error_of, receive, status


def md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def attributes_md5(attributes: dict) -> str:
    """The digest as the SQS developer guide defines it, computed independently here."""
    out = b""
    for name in sorted(attributes):
        value = attributes[name]
        for part in (name.encode(), value["DataType"].encode()):
            out += struct.pack(">I", len(part)) + part
        if "BinaryValue" in value:
            out += b"\x02" + struct.pack(">I", len(value["BinaryValue"])) + value["BinaryValue"]
        else:
            data = value["StringValue"].encode()
            out += b"\x01" + struct.pack(">I", len(data)) + data
    return hashlib.md5(out).hexdigest()


@pytest.fixture
def url(make_queue):
    return make_queue("q")


# boto3 does not check SQS digests itself (other SDKs do), so these tests compute them.

# -- send, receive, delete --------------------------------------------------------------------------

def test_send_receive_delete(sqs, url):
    body = "héllo wörld ✓ 🚀"
    sent = sqs.send_message(QueueUrl=url, MessageBody=body)
    assert sent["MD5OfMessageBody"] == md5(body)
    assert "MD5OfMessageAttributes" not in sent
    [message] = receive(sqs, url)
    assert message["MessageId"] == sent["MessageId"]
    assert message["Body"] == body
    assert message["MD5OfBody"] == md5(body)
    assert "Attributes" not in message and "MessageAttributes" not in message
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    a = attrs(sqs, url, "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible")
    assert a == {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"}


def test_receive_from_an_empty_queue_returns_no_messages_key(sqs, url):
    response = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0)
    assert "Messages" not in response


def test_receive_up_to_ten(sqs, url):
    for i in range(15):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
    first = receive(sqs, url, MaxNumberOfMessages=10)
    assert len(first) == 10
    second = receive(sqs, url, MaxNumberOfMessages=10)
    assert len(second) == 5
    assert {m["Body"] for m in first + second} == {f"m{i}" for i in range(15)}


@pytest.mark.parametrize("count", [0, 11])
def test_max_number_of_messages_out_of_range(sqs, url, count):
    e = error_of(sqs.receive_message, QueueUrl=url, MaxNumberOfMessages=count)
    assert code(e) == "InvalidParameterValue"
    assert "MaxNumberOfMessages" in e.response["Error"]["Message"]


def test_system_attributes_on_receive(nubis, sqs, url):
    now_ms = nubis.clock() * 1000
    sqs.send_message(QueueUrl=url, MessageBody="x")
    [m] = receive(sqs, url, MessageSystemAttributeNames=["All"])
    a = m["Attributes"]
    assert a["SenderId"] == ACCOUNT
    assert abs(int(a["SentTimestamp"]) - now_ms) < 5000
    assert a["ApproximateReceiveCount"] == "1"
    assert int(a["ApproximateFirstReceiveTimestamp"]) >= int(a["SentTimestamp"])
    assert "SequenceNumber" not in a and "MessageGroupId" not in a


def test_sent_timestamp_follows_the_controllable_clock(nubis, sqs, url):
    moved = nubis.advance(3 * 86400)
    sqs.send_message(QueueUrl=url, MessageBody="x")
    [m] = receive(sqs, url, AttributeNames=["SentTimestamp"])
    assert m["Attributes"] == {"SentTimestamp": m["Attributes"]["SentTimestamp"]}
    assert abs(int(m["Attributes"]["SentTimestamp"]) / 1000 - moved) < 5


def test_delete_with_a_garbage_receipt_handle(sqs, url):
    e = error_of(sqs.delete_message, QueueUrl=url, ReceiptHandle="not-a-handle")
    assert isinstance(e, sqs.exceptions.ReceiptHandleIsInvalid)
    assert code(e) == "ReceiptHandleIsInvalid"
    assert status(e) == 400


def test_receipt_handle_of_another_queue_is_invalid(sqs, make_queue):
    a, b = make_queue("a"), make_queue("b")
    sqs.send_message(QueueUrl=a, MessageBody="x")
    [m] = receive(sqs, a)
    assert code(error_of(sqs.delete_message, QueueUrl=b, ReceiptHandle=m["ReceiptHandle"])) == \
        "ReceiptHandleIsInvalid"
    assert attrs(sqs, a, "ApproximateNumberOfMessagesNotVisible")["ApproximateNumberOfMessagesNotVisible"] == "1"


def test_deleting_twice_succeeds(sqs, url):
    sqs.send_message(QueueUrl=url, MessageBody="x")
    [m] = receive(sqs, url)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


# -- message attributes -----------------------------------------------------------------------------

ATTRIBUTES = {
    "name": {"DataType": "String", "StringValue": "Zoë"},
    "count": {"DataType": "Number", "StringValue": "-12.5e3"},
    "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01\xffbinary"},
    "shape.kind": {"DataType": "String.custom-label", "StringValue": "round"},
    "shape.size": {"DataType": "Number.int", "StringValue": "7"},
    "picture": {"DataType": "Binary.png", "BinaryValue": b"\x89PNG"},
}


def test_message_attributes_round_trip_with_their_digest(sqs, url):
    sent = sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=ATTRIBUTES)
    assert sent["MD5OfMessageAttributes"] == attributes_md5(ATTRIBUTES)
    [m] = receive(sqs, url, MessageAttributeNames=["All"])
    assert m["MessageAttributes"] == ATTRIBUTES
    assert m["MD5OfMessageAttributes"] == attributes_md5(ATTRIBUTES)


def test_receive_selects_message_attributes_by_name_and_prefix(sqs, url):
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=ATTRIBUTES)
    [m] = receive(sqs, url, MessageAttributeNames=["name", "shape.*"], VisibilityTimeout=0)
    assert set(m["MessageAttributes"]) == {"name", "shape.kind", "shape.size"}
    chosen = {k: ATTRIBUTES[k] for k in ("name", "shape.kind", "shape.size")}
    assert m["MD5OfMessageAttributes"] == attributes_md5(chosen)
    [m] = receive(sqs, url, VisibilityTimeout=0)
    assert "MessageAttributes" not in m and "MD5OfMessageAttributes" not in m
    [m] = receive(sqs, url, MessageAttributeNames=["nothing-like-it"], VisibilityTimeout=0)
    assert "MessageAttributes" not in m
    [m] = receive(sqs, url, MessageAttributeNames=[".*"])
    assert m["MessageAttributes"] == ATTRIBUTES


@pytest.mark.parametrize("attributes,fragment", [
    ({"AWS.reserved": {"DataType": "String", "StringValue": "x"}}, "AWS.reserved"),
    ({"amazon.x": {"DataType": "String", "StringValue": "x"}}, "amazon.x"),
    ({".dot": {"DataType": "String", "StringValue": "x"}}, ".dot"),
    ({"a..b": {"DataType": "String", "StringValue": "x"}}, "a..b"),
    ({"bad name": {"DataType": "String", "StringValue": "x"}}, "bad name"),
    ({"n": {"DataType": "Number", "StringValue": "twelve"}}, "n"),
    ({"n": {"DataType": "Number", "StringValue": "1" * 39}}, "n"),
    ({"s": {"DataType": "String", "StringValue": ""}}, "s"),
    ({"t": {"DataType": "Text", "StringValue": "x"}}, "t"),
    ({"b": {"DataType": "Binary", "StringValue": "x"}}, "b"),
    ({f"a{i}": {"DataType": "String", "StringValue": "x"} for i in range(11)}, "10"),
])
def test_invalid_message_attributes(sqs, url, attributes, fragment):
    e = error_of(sqs.send_message, QueueUrl=url, MessageBody="x", MessageAttributes=attributes)
    assert code(e) == "InvalidParameterValue"
    assert status(e) == 400
    assert fragment in e.response["Error"]["Message"]
    assert receive(sqs, url) == []


def test_message_attribute_with_invalid_characters(sqs, url):
    e = error_of(sqs.send_message, QueueUrl=url, MessageBody="x",
                 MessageAttributes={"s": {"DataType": "String", "StringValue": "bad\x01"}})
    assert code(e) == "InvalidMessageContents"


def test_aws_trace_header_system_attribute(sqs, url):
    trace = {"AWSTraceHeader": {"DataType": "String",
                                "StringValue": "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"}}
    sent = sqs.send_message(QueueUrl=url, MessageBody="x", MessageSystemAttributes=trace)
    assert sent["MD5OfMessageSystemAttributes"] == attributes_md5(trace)
    [m] = receive(sqs, url, MessageSystemAttributeNames=["AWSTraceHeader"])
    assert m["Attributes"] == {"AWSTraceHeader": trace["AWSTraceHeader"]["StringValue"]}
    assert "MessageAttributes" not in m


def test_only_aws_trace_header_may_be_sent_as_a_system_attribute(sqs, url):
    e = error_of(sqs.send_message, QueueUrl=url, MessageBody="x",
                 MessageSystemAttributes={"SenderId": {"DataType": "String", "StringValue": "me"}})
    assert code(e) == "InvalidParameterValue"


# -- sizes -------------------------------------------------------------------------------------------------

def test_default_maximum_message_size_is_one_mebibyte(sqs, url):
    body = "a" * 1_048_576
    sent = sqs.send_message(QueueUrl=url, MessageBody=body)
    assert sent["MD5OfMessageBody"] == md5(body)
    [m] = receive(sqs, url)
    assert len(m["Body"]) == 1_048_576
    e = error_of(sqs.send_message, QueueUrl=url, MessageBody=body + "a")
    assert code(e) == "InvalidParameterValue"
    assert "1048576" in e.response["Error"]["Message"]


def test_size_counts_utf8_bytes_and_attributes(sqs, make_queue):
    url = make_queue("small", MaximumMessageSize=1024)
    sqs.send_message(QueueUrl=url, MessageBody="a" * 1024)
    assert code(error_of(sqs.send_message, QueueUrl=url, MessageBody="a" * 1025)) == "InvalidParameterValue"
    # 'é' is two bytes in UTF-8: 513 of them are 1026 bytes.
    assert code(error_of(sqs.send_message, QueueUrl=url, MessageBody="é" * 513)) == "InvalidParameterValue"
    # name (1) + type (6) + value (20) count too.
    e = error_of(sqs.send_message, QueueUrl=url, MessageBody="a" * 1000,
                 MessageAttributes={"k": {"DataType": "String", "StringValue": "v" * 20}})
    assert code(e) == "InvalidParameterValue"
    assert "1024" in e.response["Error"]["Message"]
    assert attrs(sqs, url, "ApproximateNumberOfMessages")["ApproximateNumberOfMessages"] == "1"


def test_lowered_maximum_applies_after_set_queue_attributes(sqs, url):
    sqs.send_message(QueueUrl=url, MessageBody="a" * 5000)
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"MaximumMessageSize": "2048"})
    assert code(error_of(sqs.send_message, QueueUrl=url, MessageBody="a" * 5000)) == "InvalidParameterValue"
    sqs.send_message(QueueUrl=url, MessageBody="a" * 2048)


# -- characters ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", ["\x00", "\x08", "\x1f", "\ufffe", "\uffff", "\ud800"])
def test_invalid_characters_are_invalid_message_contents(sqs, url, bad):
    e = error_of(sqs.send_message, QueueUrl=url, MessageBody=f"before{bad}after")
    assert isinstance(e, sqs.exceptions.InvalidMessageContents)
    assert code(e) == "InvalidMessageContents"
    assert receive(sqs, url) == []


def test_allowed_edge_characters(sqs, url):
    body = "\t\n\r \ud7ff\ue000\ufffd\U00010000\U0010ffff"
    sqs.send_message(QueueUrl=url, MessageBody=body)
    [m] = receive(sqs, url)
    assert m["Body"] == body


def test_empty_body_is_refused(aws_client, url):
    raw = aws_client("sqs", config=Config(parameter_validation=False, retries={"max_attempts": 1}))
    e = error_of(raw.send_message, QueueUrl=url, MessageBody="")
    assert code(e) in ("MissingParameter", "InvalidParameterValue")


# -- batches ---------------------------------------------------------------------------------------------------

def test_send_batch_with_partial_failure(sqs, url):
    response = sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": "ok-1", "MessageBody": "one"},
        {"Id": "bad-chars", "MessageBody": "x\x00"},
        {"Id": "ok_2", "MessageBody": "two",
         "MessageAttributes": {"a": {"DataType": "String", "StringValue": "b"}}},
        {"Id": "bad-delay", "MessageBody": "three", "DelaySeconds": 901},
    ])
    ok = {s["Id"]: s for s in response["Successful"]}
    assert set(ok) == {"ok-1", "ok_2"}
    assert ok["ok-1"]["MD5OfMessageBody"] == md5("one")
    assert ok["ok_2"]["MD5OfMessageAttributes"] == attributes_md5({"a": {"DataType": "String", "StringValue": "b"}})
    failed = {f["Id"]: f for f in response["Failed"]}
    assert set(failed) == {"bad-chars", "bad-delay"}
    assert failed["bad-chars"]["Code"] == "InvalidMessageContents"
    assert failed["bad-chars"]["SenderFault"] is True
    assert failed["bad-delay"]["Code"] == "InvalidParameterValue"
    bodies = {m["Body"] for m in receive(sqs, url, MaxNumberOfMessages=10)}
    assert bodies == {"one", "two"}


def test_delete_and_change_visibility_batches(sqs, url):
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=str(i))
    messages = receive(sqs, url, MaxNumberOfMessages=10)
    assert len(messages) == 3
    changed = sqs.change_message_visibility_batch(QueueUrl=url, Entries=[
        {"Id": "a", "ReceiptHandle": messages[0]["ReceiptHandle"], "VisibilityTimeout": 0},
        {"Id": "b", "ReceiptHandle": "garbage", "VisibilityTimeout": 0},
    ])
    assert [s["Id"] for s in changed["Successful"]] == ["a"]
    assert changed["Failed"][0]["Id"] == "b" and changed["Failed"][0]["Code"] == "ReceiptHandleIsInvalid"
    deleted = sqs.delete_message_batch(QueueUrl=url, Entries=[
        {"Id": "x", "ReceiptHandle": messages[1]["ReceiptHandle"]},
        {"Id": "y", "ReceiptHandle": messages[2]["ReceiptHandle"]},
        {"Id": "z", "ReceiptHandle": "garbage"},
    ])
    assert sorted(s["Id"] for s in deleted["Successful"]) == ["x", "y"]
    assert [(f["Id"], f["Code"], f["SenderFault"]) for f in deleted["Failed"]] == [
        ("z", "ReceiptHandleIsInvalid", True)]
    [again] = receive(sqs, url, MaxNumberOfMessages=10)
    assert again["Body"] == messages[0]["Body"]


@pytest.fixture
def raw(aws_client):
    """A client that sends what it is given, so the server's checks are what is tested."""
    return aws_client("sqs", config=Config(parameter_validation=False, retries={"max_attempts": 1}))


@pytest.mark.parametrize("operation,entry", [
    ("send_message_batch", lambda i: {"Id": f"e{i}", "MessageBody": "x"}),
    ("delete_message_batch", lambda i: {"Id": f"e{i}", "ReceiptHandle": "h"}),
    ("change_message_visibility_batch", lambda i: {"Id": f"e{i}", "ReceiptHandle": "h", "VisibilityTimeout": 1}),
])
def test_batch_shape_errors(sqs, raw, url, operation, entry):
    call = getattr(raw, operation)
    e = error_of(call, QueueUrl=url, Entries=[])
    assert isinstance(e, sqs.exceptions.EmptyBatchRequest)
    assert code(e) == "AWS.SimpleQueueService.EmptyBatchRequest"

    e = error_of(call, QueueUrl=url, Entries=[entry(i) for i in range(11)])
    assert isinstance(e, sqs.exceptions.TooManyEntriesInBatchRequest)
    assert code(e) == "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"
    assert e.response["Error"]["Message"] == "Maximum number of entries per request are 10. You have sent 11."

    e = error_of(call, QueueUrl=url, Entries=[entry(1), entry(1)])
    assert isinstance(e, sqs.exceptions.BatchEntryIdsNotDistinct)
    assert code(e) == "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"
    assert e.response["Error"]["Message"] == "Id e1 repeated."

    e = error_of(call, QueueUrl=url, Entries=[{**entry(1), "Id": "no spaces!"}])
    assert isinstance(e, sqs.exceptions.InvalidBatchEntryId)
    assert code(e) == "AWS.SimpleQueueService.InvalidBatchEntryId"

    e = error_of(call, QueueUrl=url, Entries=[{**entry(1), "Id": "a" * 81}])
    assert code(e) == "AWS.SimpleQueueService.InvalidBatchEntryId"
    assert status(e) == 400
    assert attrs(sqs, url, "ApproximateNumberOfMessages")["ApproximateNumberOfMessages"] == "0"


def test_batch_entry_over_the_queue_maximum_fails_alone(sqs, make_queue):
    url = make_queue("small", MaximumMessageSize=1024)
    response = sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": "big", "MessageBody": "a" * 2000}, {"Id": "fine", "MessageBody": "a" * 1000}])
    assert [s["Id"] for s in response["Successful"]] == ["fine"]
    assert [(f["Id"], f["Code"], f["SenderFault"]) for f in response["Failed"]] == [
        ("big", "InvalidParameterValue", True)]


def test_batch_to_a_missing_queue(sqs, url):
    sqs.delete_queue(QueueUrl=url)
    e = error_of(sqs.send_message_batch, QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "x"}])
    assert isinstance(e, sqs.exceptions.QueueDoesNotExist)


def test_batch_request_too_long(sqs, url):
    entries = [{"Id": f"e{i}", "MessageBody": "a" * 300_000} for i in range(4)]
    e = error_of(sqs.send_message_batch, QueueUrl=url, Entries=entries)
    assert isinstance(e, sqs.exceptions.BatchRequestTooLong)
    assert code(e) == "AWS.SimpleQueueService.BatchRequestTooLong"
    assert attrs(sqs, url, "ApproximateNumberOfMessages")["ApproximateNumberOfMessages"] == "0"
    # Exactly at the limit is fine.
    entries = [{"Id": f"e{i}", "MessageBody": "a" * 262_144} for i in range(4)]
    assert len(sqs.send_message_batch(QueueUrl=url, Entries=entries)["Successful"]) == 4
