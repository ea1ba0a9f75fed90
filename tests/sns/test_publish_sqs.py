"""Publish and PublishBatch fanned out to SQS queues: the JSON envelope and its
signature, raw delivery, message attributes, filter policies, FIFO order and
deduplication, other accounts and regions, dead-letter queues, and errors."""
import base64
import json
import urllib.request

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from .conftest import make_queue, receive


def error(info):
    e = info.value.response["Error"]
    return e["Code"], e["Message"], info.value.response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture
def clients(aws_client):
    return aws_client("sns"), aws_client("sqs")


def subscribed_queue(sns, sqs, topic_arn, name, **attributes):
    url, arn = make_queue(sqs, name, **({"FifoQueue": "true"} if name.endswith(".fifo") else {}))
    sub = sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn, Attributes=attributes,
                        ReturnSubscriptionArn=True)["SubscriptionArn"]
    return url, sub


# What AWS documents as the string to sign, written out independently here.
def signed_string(note: dict) -> bytes:
    if note["Type"] == "Notification":
        keys = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
    else:
        keys = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
    return "".join(f"{k}\n{note[k]}\n" for k in keys if k in note).encode()


def verify(note: dict) -> None:
    with urllib.request.urlopen(note["SigningCertURL"], timeout=10) as r:
        cert = x509.load_pem_x509_certificate(r.read())
    algorithm = hashes.SHA1() if note["SignatureVersion"] == "1" else hashes.SHA256()
    cert.public_key().verify(base64.b64decode(note["Signature"]), signed_string(note), padding.PKCS1v15(),
                             algorithm)


def test_envelope_delivered_to_every_queue(clients):
    sns, sqs = clients
    topic = sns.create_topic(Name="t")["TopicArn"]
    queues = [subscribed_queue(sns, sqs, topic, f"q{i}") for i in range(3)]
    message_id = sns.publish(TopicArn=topic, Message="hello", Subject="Greeting",
                             MessageAttributes={"color": {"DataType": "String", "StringValue": "red"},
                                                "n": {"DataType": "Number", "StringValue": "7"},
                                                "b": {"DataType": "Binary", "BinaryValue": b"\x00\xff"}})["MessageId"]
    for url, sub in queues:
        (msg,) = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"])["Messages"]
        note = json.loads(msg["Body"])
        assert note["Type"] == "Notification"
        assert note["MessageId"] == message_id
        assert note["TopicArn"] == topic
        assert note["Subject"] == "Greeting" and note["Message"] == "hello"
        assert note["Timestamp"].endswith("Z") and note["SignatureVersion"] == "1"
        assert note["UnsubscribeURL"].endswith(f"?Action=Unsubscribe&SubscriptionArn={sub}")
        assert note["MessageAttributes"] == {"color": {"Type": "String", "Value": "red"},
                                             "n": {"Type": "Number", "Value": "7"},
                                             "b": {"Type": "Binary", "Value": base64.b64encode(b"\x00\xff").decode()}}
        assert "MessageAttributes" not in msg  # attributes travel in the envelope only
        verify(note)


@pytest.mark.parametrize("version", ["1", "2"])
def test_signature_verifies_with_the_served_certificate(clients, version):
    sns, sqs = clients
    topic = sns.create_topic(Name="signed", Attributes={"SignatureVersion": version})["TopicArn"]
    url, _ = subscribed_queue(sns, sqs, topic, "q")
    sns.publish(TopicArn=topic, Message="no subject here")
    note = json.loads(receive(sqs, url)[0]["Body"])
    assert note["SignatureVersion"] == version and "Subject" not in note
    verify(note)
    tampered = dict(note, Message="changed")
    with pytest.raises(Exception):
        verify(tampered)


def test_raw_delivery_with_message_attributes(clients):
    sns, sqs = clients
    topic = sns.create_topic(Name="t")["TopicArn"]
    url, _ = subscribed_queue(sns, sqs, topic, "raw", RawMessageDelivery="true")
    sns.publish(TopicArn=topic, Message='{"plain": true}',
                MessageAttributes={"color": {"DataType": "String", "StringValue": "red"},
                                   "bin": {"DataType": "Binary", "BinaryValue": b"\x01\x02"},
                                   "list": {"DataType": "String.Array", "StringValue": '["a", "b"]'}})
    (msg,) = receive(sqs, url)
    assert msg["Body"] == '{"plain": true}'
    assert msg["MessageAttributes"]["color"] == {"StringValue": "red", "DataType": "String"}
    assert msg["MessageAttributes"]["bin"] == {"BinaryValue": b"\x01\x02", "DataType": "Binary"}
    assert msg["MessageAttributes"]["list"]["StringValue"] == '["a", "b"]'


def test_message_structure_json_picks_the_sqs_text(clients):
    sns, sqs = clients
    topic = sns.create_topic(Name="t")["TopicArn"]
    url, _ = subscribed_queue(sns, sqs, topic, "q", RawMessageDelivery="true")
    sns.publish(TopicArn=topic, MessageStructure="json", Message=json.dumps({"default": "d", "sqs": "for sqs"}))
    sns.publish(TopicArn=topic, MessageStructure="json", Message=json.dumps({"default": "only default"}))
    assert sorted(m["Body"] for m in receive(sqs, url, 2)) == ["for sqs", "only default"]


def test_filter_policy_on_attributes_and_body(clients):
    sns, sqs = clients
    topic = sns.create_topic(Name="t")["TopicArn"]
    red, _ = subscribed_queue(sns, sqs, topic, "red", RawMessageDelivery="true",
                              FilterPolicy=json.dumps({"color": ["red"], "n": [{"numeric": [">", 5]}]}))
    paid, _ = subscribed_queue(sns, sqs, topic, "paid", RawMessageDelivery="true",
                               FilterPolicyScope="MessageBody",
                               FilterPolicy=json.dumps({"order": {"status": [{"prefix": "pa"}]}}))
    everything, _ = subscribed_queue(sns, sqs, topic, "all", RawMessageDelivery="true")

    def publish(body, **attrs):
        sns.publish(TopicArn=topic, Message=body, MessageAttributes={
            k: {"DataType": "Number" if isinstance(v, int) else "String", "StringValue": str(v)}
            for k, v in attrs.items()})

    publish("one", color="red", n=9)
    publish("two", color="red", n=1)
    publish(json.dumps({"order": {"status": "paid"}}), color="blue")
    publish("not json")
    assert [m["Body"] for m in receive(sqs, red, 1)] == ["one"]
    assert [m["Body"] for m in receive(sqs, paid, 1)] == [json.dumps({"order": {"status": "paid"}})]
    assert len(receive(sqs, everything, 4)) == 4
    assert sqs.receive_message(QueueUrl=red).get("Messages") is None


def test_set_and_remove_filter_policy(clients):
    sns, sqs = clients
    topic = sns.create_topic(Name="t")["TopicArn"]
    url, sub = subscribed_queue(sns, sqs, topic, "q", RawMessageDelivery="true")
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy",
                                    AttributeValue='{"k": ["yes"]}')
    sns.publish(TopicArn=topic, Message="filtered out")
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue="")
    sns.publish(TopicArn=topic, Message="delivered")
    assert [m["Body"] for m in receive(sqs, url)] == ["delivered"]
    assert "FilterPolicy" not in sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]


def test_fifo_topic_to_fifo_queues_in_order_with_deduplication(clients):
    sns, sqs = clients
    topic = sns.create_topic(Name="orders.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    queues = [subscribed_queue(sns, sqs, topic, f"q{i}.fifo", RawMessageDelivery="true")[0] for i in range(2)]
    sequences = []
    for i in range(6):
        r = sns.publish(TopicArn=topic, Message=f"m{i}", MessageGroupId="g1" if i % 2 else "g2",
                        MessageDeduplicationId=f"d{i}")
        sequences.append(int(r["SequenceNumber"]))
    assert sequences == sorted(sequences) and len(set(sequences)) == 6
    again = sns.publish(TopicArn=topic, Message="m0 again", MessageGroupId="g2", MessageDeduplicationId="d0")
    assert int(again["SequenceNumber"]) == sequences[0]
    for url in queues:
        got = receive(sqs, url, 6)
        by_group = {}
        for m in got:
            by_group.setdefault(m["Attributes"]["MessageGroupId"], []).append(m["Body"])
        assert by_group == {"g2": ["m0", "m2", "m4"], "g1": ["m1", "m3", "m5"]}


def test_fifo_envelope_carries_the_sequence_number(clients):
    sns, sqs = clients
    topic = sns.create_topic(Name="t.fifo", Attributes={"FifoTopic": "true",
                                                        "ContentBasedDeduplication": "true"})["TopicArn"]
    url, _ = subscribed_queue(sns, sqs, topic, "q.fifo")
    seq = sns.publish(TopicArn=topic, Message="x", MessageGroupId="g")["SequenceNumber"]
    # Content-based deduplication: the same body within five minutes is the same message.
    assert sns.publish(TopicArn=topic, Message="x", MessageGroupId="g")["SequenceNumber"] == seq
    (msg,) = receive(sqs, url)
    note = json.loads(msg["Body"])
    assert note["SequenceNumber"] == seq and note["Message"] == "x"
    verify(note)


def test_fifo_deduplication_window_is_five_minutes(nubis, clients):
    sns, sqs = clients
    topic = sns.create_topic(Name="t.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    url, _ = subscribed_queue(sns, sqs, topic, "q.fifo", RawMessageDelivery="true")
    first = sns.publish(TopicArn=topic, Message="a", MessageGroupId="g", MessageDeduplicationId="same")
    nubis.advance(301)
    second = sns.publish(TopicArn=topic, Message="b", MessageGroupId="g", MessageDeduplicationId="same")
    assert second["MessageId"] != first["MessageId"]


@pytest.mark.parametrize("kwargs, message", [
    ({}, "Invalid parameter: The MessageGroupId parameter is required for FIFO topics"),
    ({"MessageGroupId": "g"}, "Invalid parameter: The topic should either have ContentBasedDeduplication enabled "
                              "or MessageDeduplicationId provided explicitly"),
])
def test_fifo_publish_errors(clients, kwargs, message):
    sns, _ = clients
    topic = sns.create_topic(Name="t.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    with pytest.raises(ClientError) as info:
        sns.publish(TopicArn=topic, Message="m", **kwargs)
    assert error(info) == ("InvalidParameter", message, 400)


def test_fifo_subscription_rules(clients):
    sns, sqs = clients
    standard = sns.create_topic(Name="std")["TopicArn"]
    fifo = sns.create_topic(Name="f.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    _, fifo_queue = make_queue(sqs, "q.fifo", FifoQueue="true")
    with pytest.raises(ClientError) as info:
        sns.subscribe(TopicArn=standard, Protocol="sqs", Endpoint=fifo_queue)
    assert "FIFO SQS Queues can not be subscribed to standard SNS topics" in error(info)[1]
    with pytest.raises(ClientError) as info:
        sns.subscribe(TopicArn=fifo, Protocol="sms", Endpoint="+15555550100")
    assert error(info)[1] == "Invalid parameter: Invalid protocol type: sms"
    with pytest.raises(ClientError) as info:
        sns.publish(TopicArn=standard, Message="m", MessageDeduplicationId="d")
    assert "MessageDeduplicationId" in error(info)[1]


def test_fan_out_to_other_accounts_and_regions(nubis):
    sns = nubis.client("sns", aws_access_key_id="111111111111")
    topic = sns.create_topic(Name="t")["TopicArn"]
    targets = []
    for key, region in (("222222222222", "us-east-1"), ("111111111111", "eu-west-1"), ("333333333333", "ap-south-1")):
        sqs = nubis.client("sqs", region=region, aws_access_key_id=key)
        url, arn = make_queue(sqs, "inbox")
        # The queue's owner subscribes it to the topic in the other account.
        owner_sns = nubis.client("sns", aws_access_key_id=key)
        sub = owner_sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, ReturnSubscriptionArn=True)
        assert sub["SubscriptionArn"].startswith(topic + ":")
        targets.append((sqs, url))
    message_id = sns.publish(TopicArn=topic, Message="everywhere")["MessageId"]
    for sqs, url in targets:
        (msg,) = receive(sqs, url)
        assert json.loads(msg["Body"])["MessageId"] == message_id


def test_cross_account_queue_subscribed_by_topic_owner_needs_confirmation(nubis):
    sns = nubis.client("sns", aws_access_key_id="111111111111")
    topic = sns.create_topic(Name="t")["TopicArn"]
    sqs = nubis.client("sqs", aws_access_key_id="222222222222")
    url, arn = make_queue(sqs, "theirs")
    assert sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)["SubscriptionArn"] == "pending confirmation"
    (msg,) = receive(sqs, url)
    note = json.loads(msg["Body"])
    assert note["Type"] == "SubscriptionConfirmation" and note["TopicArn"] == topic
    verify(note)
    sns.publish(TopicArn=topic, Message="before confirming")
    sqs.delete_message(QueueUrl=url, ReceiptHandle=msg["ReceiptHandle"])
    # The queue owner confirms with the token it received.
    sub = nubis.client("sns", aws_access_key_id="222222222222").confirm_subscription(
        TopicArn=topic, Token=note["Token"])["SubscriptionArn"]
    sns.publish(TopicArn=topic, Message="after confirming")
    got = receive(sqs, url)
    assert [json.loads(m["Body"])["Message"] for m in got] == ["after confirming"]
    assert sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]["PendingConfirmation"] == "false"


def test_deleted_queue_goes_to_the_dead_letter_queue(clients):
    sns, sqs = clients
    topic = sns.create_topic(Name="t")["TopicArn"]
    dlq_url, dlq_arn = make_queue(sqs, "dlq")
    url, sub = subscribed_queue(sns, sqs, topic, "gone", RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn}))
    sqs.delete_queue(QueueUrl=url)
    message_id = sns.publish(TopicArn=topic, Message="lost?")["MessageId"]
    (msg,) = receive(sqs, dlq_url)
    note = json.loads(msg["Body"])
    assert note["MessageId"] == message_id and note["Message"] == "lost?"


def test_redrive_policy_must_name_a_queue(clients):
    sns, sqs = clients
    topic = sns.create_topic(Name="t")["TopicArn"]
    _, sub = subscribed_queue(sns, sqs, topic, "q")
    with pytest.raises(ClientError) as info:
        sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="RedrivePolicy",
                                        AttributeValue='{"deadLetterTargetArn": "arn:aws:sns:us-east-1:1:x"}')
    assert error(info) == ("InvalidParameter", "Invalid parameter: RedrivePolicy: deadLetterTargetArn is an "
                                               "invalid arn", 400)


def test_publish_batch(clients):
    sns, sqs = clients
    topic = sns.create_topic(Name="t")["TopicArn"]
    url, _ = subscribed_queue(sns, sqs, topic, "q", RawMessageDelivery="true")
    result = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
        {"Id": "a", "Message": "one", "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}}},
        {"Id": "b", "Message": "two"},
        {"Id": "c", "Message": "three", "MessageAttributes": {"k": {"DataType": "Nope", "StringValue": "v"}}},
    ])
    assert [s["Id"] for s in result["Successful"]] == ["a", "b"]
    assert all(len(s["MessageId"]) == 36 for s in result["Successful"])
    (failed,) = result["Failed"]
    assert failed["Id"] == "c" and failed["Code"] == "ParameterValueInvalid" and failed["SenderFault"] is True
    assert sorted(m["Body"] for m in receive(sqs, url, 2)) == ["one", "two"]


def test_publish_batch_fifo_returns_sequence_numbers(clients):
    sns, _ = clients
    topic = sns.create_topic(Name="t.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    result = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
        {"Id": str(i), "Message": f"m{i}", "MessageGroupId": "g", "MessageDeduplicationId": f"d{i}"}
        for i in range(3)])
    seqs = [int(s["SequenceNumber"]) for s in result["Successful"]]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3


@pytest.mark.parametrize("entries, code, message", [
    ([], "EmptyBatchRequest", "The batch request doesn't contain any entries."),
    ([{"Id": str(i), "Message": "m"} for i in range(11)], "TooManyEntriesInBatchRequest",
     "The batch request contains more entries than permissible."),
    ([{"Id": "x", "Message": "m"}, {"Id": "x", "Message": "n"}], "BatchEntryIdsNotDistinct",
     "Two or more batch entries in the request have the same Id."),
    ([{"Id": "bad id!", "Message": "m"}], "InvalidBatchEntryId",
     "The Id of a batch entry in a batch request doesn't abide by the specification."),
    ([{"Id": str(i), "Message": "x" * 100_000} for i in range(3)], "BatchRequestTooLong",
     "The length of all the batch messages put together is more than the limit."),
])
def test_publish_batch_errors(clients, entries, code, message):
    sns, _ = clients
    topic = sns.create_topic(Name="t")["TopicArn"]
    with pytest.raises(ClientError) as info:
        sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=entries)
    assert error(info) == (code, message, 400)


@pytest.mark.parametrize("kwargs, code, message", [
    ({"Message": ""}, "InvalidParameter", "Invalid parameter: Empty message"),
    ({"Message": "x" * 262_145}, "InvalidParameter", "Invalid parameter: Message too long"),
    ({"Message": "m", "Subject": "line\nbreak"}, "InvalidParameter", "Invalid parameter: Subject"),
    ({"Message": "not json", "MessageStructure": "json"}, "InvalidParameter",
     "Invalid parameter: Message Structure - JSON message body failed to parse"),
    ({"Message": '{"sqs": "x"}', "MessageStructure": "json"}, "InvalidParameter",
     "Invalid parameter: Message Structure - No default entry in JSON message body"),
    ({"Message": "m", "MessageAttributes": {"a": {"DataType": "Blob", "StringValue": "x"}}}, "ParameterValueInvalid",
     "The message attribute 'a' has an invalid message attribute type, the set of supported type prefixes is "
     "Binary, Number, and String."),
    ({"Message": "m", "MessageAttributes": {"a": {"DataType": "Number", "StringValue": "ten"}}},
     "ParameterValueInvalid", "Could not cast message attribute 'a' value to number."),
    ({"Message": "m", "MessageAttributes": {"a": {"DataType": "String", "StringValue": ""}}},
     "ParameterValueInvalid", "The message attribute 'a' must contain non-empty message attribute value for "
                              "message attribute type 'String'."),
])
def test_publish_errors(clients, kwargs, code, message):
    sns, _ = clients
    topic = sns.create_topic(Name="t")["TopicArn"]
    with pytest.raises(ClientError) as info:
        sns.publish(TopicArn=topic, **kwargs)
    assert error(info) == (code, message, 400)


def test_publish_needs_exactly_one_target(clients):
    sns, _ = clients
    topic = sns.create_topic(Name="t")["TopicArn"]
    with pytest.raises(ClientError) as info:
        sns.publish(Message="m")
    assert error(info)[0] == "InvalidParameter" and "TopicArn or TargetArn" in error(info)[1]
    with pytest.raises(ClientError) as info:
        sns.publish(TopicArn=topic, PhoneNumber="+15555550100", Message="m")
    assert error(info)[0] == "InvalidParameter"
    # TargetArn may name a topic too
    assert sns.publish(TargetArn=topic, Message="m")["MessageId"]
