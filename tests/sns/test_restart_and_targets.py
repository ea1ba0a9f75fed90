"""In a real nubis process: a restart keeps topics, subscriptions, the
signing certificate and pending HTTP deliveries; Lambda and Firehose
deliveries reach stand-in providers (tests/support) through the internal client."""
import base64
import json
import time
import urllib.request

from .conftest import Endpoint, make_queue, receive

STAND_INS = {"NUBIS_PROVIDERS": "lambda=support.fake_lambda:FakeLambda,firehose=support.fake_firehose:FakeFirehose"}


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.read()


def test_restart_keeps_topics_subscriptions_and_pending_deliveries(server_process, tmp_path):
    data = str(tmp_path / "data")
    server = server_process("--data-dir", data)
    sns, sqs = server.client("sns"), server.client("sqs")
    topic = sns.create_topic(Name="durable", Attributes={"DisplayName": "D"},
                             Tags=[{"Key": "k", "Value": "v"}])["TopicArn"]
    url, queue = make_queue(sqs, "q")
    sqs_sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue,
                            Attributes={"FilterPolicy": '{"k": ["v"]}'})["SubscriptionArn"]
    hook = Endpoint()
    port = hook.server.server_address[1]
    try:
        sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=hook.url)
        token = json.loads(hook.wait_for(1)[0]["body"])["Token"]
        http_sub = sns.confirm_subscription(TopicArn=topic, Token=token)["SubscriptionArn"]
    finally:
        hook.close()  # the endpoint goes away: the next delivery will wait for a retry
    message_id = sns.publish(TopicArn=topic, Message="survives",
                             MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}})["MessageId"]
    deadline = time.monotonic() + 10
    while not server.get("/_nubis/sns/deliveries")["deliveries"] and time.monotonic() < deadline:
        time.sleep(0.05)
    (pending,) = server.get("/_nubis/sns/deliveries")["deliveries"]
    assert pending["sub"] == http_sub and pending["message_id"] == message_id
    note = json.loads(receive(sqs, url)[0]["Body"])
    cert_before = fetch(note["SigningCertURL"])
    server.kill9()

    restarted = server_process("--data-dir", data, port=server.port)
    sns = restarted.client("sns")
    assert sns.list_topics()["Topics"] == [{"TopicArn": topic}]
    assert sns.list_tags_for_resource(ResourceArn=topic)["Tags"] == [{"Key": "k", "Value": "v"}]
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["DisplayName"] == "D"
    subs = {s["SubscriptionArn"] for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]}
    assert subs == {sqs_sub, http_sub}
    assert sns.get_subscription_attributes(SubscriptionArn=sqs_sub)["Attributes"]["FilterPolicy"] == '{"k": ["v"]}'
    assert fetch(note["SigningCertURL"]) == cert_before  # the same key signs after a restart
    assert [d["message_id"] for d in restarted.get("/_nubis/sns/deliveries")["deliveries"]] == [message_id]

    hook = Endpoint(port)  # the endpoint is back
    try:
        restarted.post("/_nubis/clock", {"advance_seconds": 21})
        (request,) = hook.wait_for(1)
        assert request["headers"]["x-amz-sns-message-id"] == message_id
        assert json.loads(request["body"])["Message"] == "survives"
    finally:
        hook.close()
    assert restarted.get("/_nubis/sns/deliveries")["deliveries"] == []


def test_lambda_and_firehose_deliveries(server_process):
    server = server_process("--ephemeral", env=STAND_INS)
    sns = server.client("sns")
    topic = sns.create_topic(Name="t")["TopicArn"]
    function = "arn:aws:lambda:us-east-1:000000000000:function:handler"
    stream = "arn:aws:firehose:us-east-1:000000000000:deliverystream/archive"
    role = {"SubscriptionRoleArn": "arn:aws:iam::000000000000:role/sns-firehose"}
    lambda_sub = sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=function)["SubscriptionArn"]
    sns.subscribe(TopicArn=topic, Protocol="firehose", Endpoint=stream, Attributes=role)
    raw_stream = stream + "-raw"
    sns.subscribe(TopicArn=topic, Protocol="firehose", Endpoint=raw_stream,
                  Attributes={**role, "RawMessageDelivery": "true"})
    message_id = sns.publish(TopicArn=topic, Message="to functions", Subject="S",
                             MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}})["MessageId"]

    (invocation,) = server.wait_for("/_nubis/lambda/invocations", "invocations", 1)
    assert invocation["FunctionName"] == function and invocation["InvocationType"] == "Event"
    assert invocation["principal"] == "sns.amazonaws.com"
    (record,) = invocation["Payload"]["Records"]
    assert record["EventSource"] == "aws:sns" and record["EventSubscriptionArn"] == lambda_sub
    assert record["Sns"]["MessageId"] == message_id and record["Sns"]["Message"] == "to functions"
    assert record["Sns"]["Subject"] == "S" and record["Sns"]["Type"] == "Notification"
    assert record["Sns"]["MessageAttributes"] == {"k": {"Type": "String", "Value": "v"}}
    assert record["Sns"]["SigningCertUrl"].endswith(".pem") and record["Sns"]["UnsubscribeUrl"]

    records = server.wait_for("/_nubis/firehose/records", "records", 2)
    by_stream = {r["DeliveryStreamName"]: base64.b64decode(r["Data"]).decode() for r in records}
    assert json.loads(by_stream["archive"])["MessageId"] == message_id
    assert by_stream["archive-raw"] == "to functions"


def test_lambda_server_errors_are_retried_and_missing_functions_dead_lettered(server_process):
    server = server_process("--ephemeral", env=STAND_INS)
    sns, sqs = server.client("sns"), server.client("sqs")
    topic = sns.create_topic(Name="t")["TopicArn"]
    dlq_url, dlq = make_queue(sqs, "dlq")
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint="arn:aws:lambda:us-east-1:000000000000:function:broken")
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint="arn:aws:lambda:us-east-1:000000000000:function:missing",
                  Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq})})
    message_id = sns.publish(TopicArn=topic, Message="eventually")["MessageId"]
    # Two failures (immediate retries for AWS-managed endpoints), then success.
    (invocation,) = server.wait_for("/_nubis/lambda/invocations", "invocations", 1)
    assert invocation["Payload"]["Records"][0]["Sns"]["MessageId"] == message_id
    (dead,) = receive(sqs, dlq_url)
    assert json.loads(dead["Body"])["Records"][0]["Sns"]["MessageId"] == message_id
