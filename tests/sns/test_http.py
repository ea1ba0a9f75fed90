"""HTTP/S subscriptions: the SubscriptionConfirmation request and the
SubscribeURL (an unsigned GET through the gateway), notifications with AWS's
headers, raw delivery, retries with backoff on the controllable clock, and
the UnsubscribeConfirmation."""
import json
import urllib.request
import xml.etree.ElementTree as ET

import pytest

from .test_publish_sqs import verify


def confirmed_subscription(sns, topic, endpoint, **attributes):
    sub = sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=endpoint.url, Attributes=attributes,
                        ReturnSubscriptionArn=True)["SubscriptionArn"]
    (request,) = endpoint.wait_for(1)
    note = json.loads(request["body"])
    sns.confirm_subscription(TopicArn=topic, Token=note["Token"])
    return sub


def test_subscription_confirmation_request_and_subscribe_url(nubis, aws_client, endpoint):
    sns = aws_client("sns")
    topic = sns.create_topic(Name="t")["TopicArn"]
    assert sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=endpoint.url)["SubscriptionArn"] == \
        "pending confirmation"
    (request,) = endpoint.wait_for(1)
    headers = request["headers"]
    assert request["path"] == "/hook"
    assert headers["x-amz-sns-message-type"] == "SubscriptionConfirmation"
    assert headers["x-amz-sns-topic-arn"] == topic
    assert "x-amz-sns-subscription-arn" not in headers
    assert headers["content-type"] == "text/plain; charset=UTF-8"
    note = json.loads(request["body"])
    assert headers["x-amz-sns-message-id"] == note["MessageId"]
    assert note["Type"] == "SubscriptionConfirmation" and note["TopicArn"] == topic
    assert note["SubscribeURL"].startswith(nubis.endpoint + "/?Action=ConfirmSubscription&")
    verify(note)
    sub = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"][0]
    assert sub["SubscriptionArn"] == "PendingConfirmation"
    # What an endpoint does: an unsigned GET of the SubscribeURL.
    with urllib.request.urlopen(note["SubscribeURL"], timeout=10) as r:
        doc = ET.fromstring(r.read())
    ns = {"sns": "http://sns.amazonaws.com/doc/2010-03-31/"}
    arn = doc.find(".//sns:SubscriptionArn", ns).text
    assert arn.startswith(topic + ":")
    attrs = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    assert attrs["PendingConfirmation"] == "false" and attrs["Endpoint"] == endpoint.url
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["SubscriptionsConfirmed"] == "1"


@pytest.mark.parametrize("version", ["1", "2"])
def test_notification_request(aws_client, endpoint, version):
    sns = aws_client("sns")
    topic = sns.create_topic(Name="t", Attributes={"SignatureVersion": version})["TopicArn"]
    sub = confirmed_subscription(sns, topic, endpoint)
    message_id = sns.publish(TopicArn=topic, Message="ping", Subject="S",
                             MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}})["MessageId"]
    request = endpoint.wait_for(2)[1]
    h = request["headers"]
    assert h["x-amz-sns-message-type"] == "Notification"
    assert h["x-amz-sns-message-id"] == message_id
    assert h["x-amz-sns-topic-arn"] == topic
    assert h["x-amz-sns-subscription-arn"] == sub
    assert h["content-type"] == "text/plain; charset=UTF-8"
    assert h["user-agent"] == "Amazon Simple Notification Service Agent"
    note = json.loads(request["body"])
    assert (note["Type"], note["Message"], note["Subject"]) == ("Notification", "ping", "S")
    assert note["MessageAttributes"] == {"k": {"Type": "String", "Value": "v"}}
    assert note["SignatureVersion"] == version
    verify(note)


def test_raw_http_delivery(aws_client, endpoint):
    sns = aws_client("sns")
    topic = sns.create_topic(Name="t")["TopicArn"]
    confirmed_subscription(sns, topic, endpoint, RawMessageDelivery="true")
    sns.publish(TopicArn=topic, Message="just this")
    request = endpoint.wait_for(2)[1]
    assert request["body"] == "just this"
    assert request["headers"]["x-amz-sns-rawdelivery"] == "true"


def test_default_policy_retries_three_times_twenty_seconds_apart(nubis, aws_client, endpoint):
    sns = aws_client("sns")
    topic = sns.create_topic(Name="t")["TopicArn"]
    confirmed_subscription(sns, topic, endpoint)
    endpoint.statuses = [200, 500]  # the confirmation succeeded; every notification fails
    sns.publish(TopicArn=topic, Message="retry me")
    endpoint.wait_for(2)
    nubis.advance(19)
    assert len(endpoint.requests) == 2
    for expected in (3, 4, 5):
        nubis.advance(1.5)
        endpoint.wait_for(expected)
        nubis.advance(18.5)
    nubis.advance(600)
    assert len(endpoint.requests) == 5  # first attempt + 3 retries, then the message is dropped
    bodies = {json.loads(r["body"])["MessageId"] for r in endpoint.requests[1:]}
    assert len(bodies) == 1


def test_custom_delivery_policy_and_success_ends_retries(nubis, aws_client, endpoint):
    sns = aws_client("sns")
    topic = sns.create_topic(Name="t")["TopicArn"]
    policy = {"healthyRetryPolicy": {"numRetries": 5, "numNoDelayRetries": 1, "minDelayTarget": 2,
                                     "maxDelayTarget": 2, "backoffFunction": "linear"},
              "requestPolicy": {"headerContentType": "application/json"}}
    confirmed_subscription(sns, topic, endpoint, DeliveryPolicy=json.dumps(policy))
    endpoint.statuses = [200, 503, 503, 503, 200]
    sns.publish(TopicArn=topic, Message="x")
    endpoint.wait_for(3)  # the first attempt and the immediate retry
    nubis.advance(2.5)
    endpoint.wait_for(4)
    nubis.advance(2.5)
    endpoint.wait_for(5)
    nubis.advance(60)
    assert len(endpoint.requests) == 5
    assert endpoint.requests[-1]["headers"]["content-type"] == "application/json"


def test_client_errors_are_not_retried(nubis, aws_client, endpoint):
    sns = aws_client("sns")
    topic = sns.create_topic(Name="t")["TopicArn"]
    confirmed_subscription(sns, topic, endpoint)
    endpoint.statuses = [200, 404]
    sns.publish(TopicArn=topic, Message="x")
    endpoint.wait_for(2)
    nubis.advance(120)
    assert len(endpoint.requests) == 2


def test_unreachable_endpoint_is_retried(nubis, aws_client, endpoint):
    sns = aws_client("sns")
    topic = sns.create_topic(Name="t")["TopicArn"]
    sub = confirmed_subscription(sns, topic, endpoint)
    endpoint.close()  # nothing listens any more
    sns.publish(TopicArn=topic, Message="x")
    nubis.advance(0)
    pending = _deliveries(nubis)
    assert [(d["sub"], d["attempt"]) for d in pending] == [(sub, 2)]
    nubis.advance(61)
    assert _deliveries(nubis) == []


def _deliveries(nubis):
    with urllib.request.urlopen(nubis.endpoint + "/_nubis/sns/deliveries", timeout=10) as r:
        return json.loads(r.read())["deliveries"]


def test_unsubscribe_url_sends_unsubscribe_confirmation(aws_client, endpoint):
    sns = aws_client("sns")
    topic = sns.create_topic(Name="t")["TopicArn"]
    sub = confirmed_subscription(sns, topic, endpoint)
    sns.publish(TopicArn=topic, Message="x")
    note = json.loads(endpoint.wait_for(2)[1]["body"])
    urllib.request.urlopen(note["UnsubscribeURL"], timeout=10).read()  # unsigned GET, as a browser would
    request = endpoint.wait_for(3)[2]
    assert request["headers"]["x-amz-sns-message-type"] == "UnsubscribeConfirmation"
    assert request["headers"]["x-amz-sns-subscription-arn"] == sub
    body = json.loads(request["body"])
    assert body["Type"] == "UnsubscribeConfirmation" and sub in body["Message"]
    verify(body)
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []
