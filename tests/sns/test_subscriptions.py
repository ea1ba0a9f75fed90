"""Subscriptions: Subscribe and its validation, attributes, idempotency,
ConfirmSubscription, Unsubscribe, listing, and the expiry of pending ones."""
import json
import urllib.error
import urllib.request
from urllib.parse import quote

import pytest
from botocore.exceptions import ClientError

from .conftest import inbox, make_queue


def error(info):
    e = info.value.response["Error"]
    return e["Code"], e["Message"], info.value.response["ResponseMetadata"]["HTTPStatusCode"]


QUEUE = "arn:aws:sqs:us-east-1:000000000000:q"


@pytest.fixture
def sns(aws_client):
    return aws_client("sns")


@pytest.fixture
def topic(sns):
    return sns.create_topic(Name="t")["TopicArn"]


def test_sqs_subscription_is_confirmed_at_once(sns, topic):
    arn = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=QUEUE)["SubscriptionArn"]
    assert arn.startswith(topic + ":")
    attrs = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    assert attrs["Protocol"] == "sqs" and attrs["Endpoint"] == QUEUE and attrs["TopicArn"] == topic
    assert attrs["Owner"] == "000000000000"
    assert attrs["PendingConfirmation"] == "false" and attrs["RawMessageDelivery"] == "false"
    assert json.loads(attrs["EffectiveDeliveryPolicy"])["healthyRetryPolicy"]["numRetries"] == 3
    assert sns.list_subscriptions()["Subscriptions"] == [
        {"SubscriptionArn": arn, "Owner": "000000000000", "Protocol": "sqs", "Endpoint": QUEUE, "TopicArn": topic}]


def test_subscribe_is_idempotent(sns, topic):
    first = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=QUEUE,
                          Attributes={"RawMessageDelivery": "true"})["SubscriptionArn"]
    assert sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=QUEUE)["SubscriptionArn"] == first
    with pytest.raises(ClientError) as info:
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=QUEUE, Attributes={"RawMessageDelivery": "false"})
    assert error(info) == ("InvalidParameter", "Invalid parameter: Attributes Reason: Subscription already exists "
                                               "with different attributes", 400)
    assert len(sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]) == 1


@pytest.mark.parametrize("protocol, endpoint, message", [
    ("carrier-pigeon", "x", "Invalid parameter: Amazon SNS does not support this protocol string: carrier-pigeon"),
    ("http", "https://example.com", "Invalid parameter: Endpoint must match the specified protocol"),
    ("https", "http://example.com", "Invalid parameter: Endpoint must match the specified protocol"),
    ("email", "not-an-address", "Invalid parameter: Email address"),
    ("sqs", "arn:aws:sns:us-east-1:000000000000:t", "Invalid parameter: SQS endpoint ARN"),
    ("lambda", "my-function", "Invalid parameter: Lambda endpoint ARN"),
    ("sms", "call me", "Invalid parameter: Invalid SMS endpoint"),
    ("sqs", "", "Invalid parameter: Endpoint"),
])
def test_subscribe_validation(sns, topic, protocol, endpoint, message):
    with pytest.raises(ClientError) as info:
        sns.subscribe(TopicArn=topic, Protocol=protocol, Endpoint=endpoint)
    assert error(info) == ("InvalidParameter", message, 400)


def test_firehose_needs_a_role(sns, topic):
    stream = "arn:aws:firehose:us-east-1:000000000000:deliverystream/s"
    with pytest.raises(ClientError) as info:
        sns.subscribe(TopicArn=topic, Protocol="firehose", Endpoint=stream)
    assert "SubscriptionRoleArn" in error(info)[1]
    arn = sns.subscribe(TopicArn=topic, Protocol="firehose", Endpoint=stream,
                        Attributes={"SubscriptionRoleArn": "arn:aws:iam::000000000000:role/r"})["SubscriptionArn"]
    assert arn.startswith(topic)


@pytest.mark.parametrize("name, value, message", [
    ("Nope", "x", "Invalid parameter: AttributeName"),
    ("RawMessageDelivery", "maybe", "Invalid parameter: RawMessageDelivery: maybe is not a valid boolean value"),
    ("FilterPolicy", "{", "Invalid parameter: FilterPolicy: failed to parse JSON"),
    ("FilterPolicyScope", "Headers", "Invalid parameter: FilterPolicyScope: Invalid filter policy scope"),
    ("DeliveryPolicy", '{"healthyRetryPolicy": {"numRetries": 500}}',
     "Invalid parameter: DeliveryPolicy: healthyRetryPolicy.numRetries must be an integer from 0 to 100"),
])
def test_set_subscription_attribute_errors(sns, topic, name, value, message):
    arn = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=QUEUE)["SubscriptionArn"]
    with pytest.raises(ClientError) as info:
        sns.set_subscription_attributes(SubscriptionArn=arn, AttributeName=name, AttributeValue=value)
    code, text, status = error(info)
    assert (code, status) == ("InvalidParameter", 400)
    assert text.startswith(message)


def test_raw_delivery_is_refused_for_email(sns, topic):
    with pytest.raises(ClientError) as info:
        sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="a@example.com",
                      Attributes={"RawMessageDelivery": "true"})
    assert error(info)[1] == "Invalid parameter: Delivery protocol [email] does not support raw message delivery."


def test_filter_policy_scope_and_attributes_roundtrip(sns, topic):
    policy = json.dumps({"order": {"total": [{"numeric": [">", 10]}]}})
    arn = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=QUEUE,
                        Attributes={"FilterPolicy": policy, "FilterPolicyScope": "MessageBody"})["SubscriptionArn"]
    attrs = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    assert attrs["FilterPolicy"] == policy and attrs["FilterPolicyScope"] == "MessageBody"
    # A nested policy is not valid on message attributes.
    with pytest.raises(ClientError) as info:
        sns.set_subscription_attributes(SubscriptionArn=arn, AttributeName="FilterPolicyScope",
                                        AttributeValue="MessageAttributes")
    assert "does not support nested filter policy" in error(info)[1]
    flat = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=QUEUE + "2",
                         Attributes={"FilterPolicy": '{"a": ["b"]}'})["SubscriptionArn"]
    assert sns.get_subscription_attributes(SubscriptionArn=flat)["Attributes"]["FilterPolicyScope"] == \
        "MessageAttributes"


def test_subscription_not_found_and_invalid(sns, topic):
    with pytest.raises(ClientError) as info:
        sns.get_subscription_attributes(SubscriptionArn=topic + ":00000000-0000-0000-0000-000000000000")
    assert error(info) == ("NotFound", "Subscription does not exist", 404)
    with pytest.raises(ClientError) as info:
        sns.unsubscribe(SubscriptionArn="nonsense")
    assert error(info) == ("InvalidParameter", "Invalid parameter: SubscriptionArn", 400)


def test_confirm_subscription_errors(sns, topic):
    with pytest.raises(ClientError) as info:
        sns.confirm_subscription(TopicArn=topic, Token="f" * 128)
    assert error(info) == ("InvalidParameter", "Invalid parameter: Token", 400)
    with pytest.raises(ClientError) as info:
        sns.confirm_subscription(TopicArn=topic + "-missing", Token="x")
    assert error(info) == ("NotFound", "Topic does not exist", 404)


def test_email_confirmation_through_the_subscribe_url(nubis, sns, topic):
    assert sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="me@example.com")["SubscriptionArn"] == \
        "pending confirmation"
    (mail,) = inbox(nubis, "email", 1)
    assert mail["to"] == "me@example.com"
    assert mail["subject"] == "AWS Notification - Subscription Confirmation"
    assert mail["SubscribeURL"] in mail["body"]
    attrs = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    assert (attrs["SubscriptionsPending"], attrs["SubscriptionsConfirmed"]) == ("1", "0")
    urllib.request.urlopen(mail["SubscribeURL"], timeout=10).read()
    (sub,) = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert sub["SubscriptionArn"].startswith(topic + ":")


def test_unsigned_get_routes_to_sns(nubis, sns, topic):
    """``GET /?Action=ConfirmSubscription&...`` with no signature reaches SNS;
    a wrong token gets SNS's own error, in SNS's XML."""
    url = f"{nubis.endpoint}/?Action=ConfirmSubscription&TopicArn={quote(topic, safe='')}&Token=nope"
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(url, timeout=10)
    body = info.value.read().decode()
    assert info.value.code == 400
    assert "<Code>InvalidParameter</Code>" in body and "Invalid parameter: Token" in body
    arn = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=QUEUE)["SubscriptionArn"]
    with urllib.request.urlopen(f"{nubis.endpoint}/?Action=Unsubscribe&SubscriptionArn={quote(arn, safe='')}",
                                timeout=10) as r:
        assert r.status == 200 and b"UnsubscribeResponse" in r.read()
    assert sns.list_subscriptions()["Subscriptions"] == []


def test_pending_subscription_expires_after_three_days(nubis, sns, topic):
    sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="late@example.com")
    (mail,) = inbox(nubis, "email", 1)
    nubis.advance(2 * 86400 + 60)
    with pytest.raises(ClientError) as info:  # the token is valid for two days
        sns.confirm_subscription(TopicArn=topic, Token=mail["Token"])
    assert error(info)[1] == "Invalid parameter: Token"
    assert len(sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]) == 1
    nubis.advance(86400)
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []


def test_unsubscribe(nubis, aws_client, sns, topic):
    sqs = aws_client("sqs")
    url, queue = make_queue(sqs, "q")
    arn = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue)["SubscriptionArn"]
    sns.unsubscribe(SubscriptionArn=arn)
    sns.publish(TopicArn=topic, Message="nobody listens")
    assert sqs.receive_message(QueueUrl=url).get("Messages") is None
    with pytest.raises(ClientError) as info:
        sns.unsubscribe(SubscriptionArn=arn)
    assert error(info)[0] == "NotFound"


def test_list_subscriptions_pages(sns, topic):
    other = sns.create_topic(Name="other")["TopicArn"]
    for i in range(102):
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=f"{QUEUE}{i}")
    sns.subscribe(TopicArn=other, Protocol="sqs", Endpoint=QUEUE)
    first = sns.list_subscriptions_by_topic(TopicArn=topic)
    assert len(first["Subscriptions"]) == 100
    second = sns.list_subscriptions_by_topic(TopicArn=topic, NextToken=first["NextToken"])
    assert len(second["Subscriptions"]) == 2 and "NextToken" not in second
    everything = sum(len(p["Subscriptions"]) for p in sns.get_paginator("list_subscriptions").paginate())
    assert everything == 103
    with pytest.raises(ClientError) as info:
        sns.list_subscriptions(NextToken="!!!")
    assert error(info)[0] == "InvalidParameter"
