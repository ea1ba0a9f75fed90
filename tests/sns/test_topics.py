"""Topics: create (standard and FIFO), attributes, tags, permissions, data
protection policies, listing, errors; and the AWS CLI."""
import json

import pytest
from botocore.exceptions import ClientError

from nubis.testing.cli import aws_cli


def error(info):
    e = info.value.response["Error"]
    return e["Code"], e["Message"], info.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_create_is_idempotent_and_listed(aws_client):
    sns = aws_client("sns")
    arn = sns.create_topic(Name="orders")["TopicArn"]
    assert arn == "arn:aws:sns:us-east-1:000000000000:orders"
    assert sns.create_topic(Name="orders")["TopicArn"] == arn
    assert sns.list_topics()["Topics"] == [{"TopicArn": arn}]


def test_default_attributes(aws_client):
    sns = aws_client("sns")
    arn = sns.create_topic(Name="t")["TopicArn"]
    attrs = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attrs["TopicArn"] == arn and attrs["Owner"] == "000000000000"
    assert attrs["DisplayName"] == ""
    assert attrs["SubscriptionsConfirmed"] == "0" and attrs["SubscriptionsPending"] == "0"
    policy = json.loads(attrs["Policy"])
    assert policy["Statement"][0]["Resource"] == arn
    assert "SNS:Publish" in policy["Statement"][0]["Action"]
    effective = json.loads(attrs["EffectiveDeliveryPolicy"])
    assert effective["http"]["defaultHealthyRetryPolicy"]["numRetries"] == 3
    assert "FifoTopic" not in attrs


def test_set_topic_attributes(aws_client):
    sns = aws_client("sns")
    arn = sns.create_topic(Name="t", Attributes={"DisplayName": "Orders"})["TopicArn"]
    sns.set_topic_attributes(TopicArn=arn, AttributeName="SignatureVersion", AttributeValue="2")
    policy = {"http": {"defaultHealthyRetryPolicy": {"numRetries": 5, "minDelayTarget": 1, "maxDelayTarget": 10,
                                                     "backoffFunction": "exponential"}}}
    sns.set_topic_attributes(TopicArn=arn, AttributeName="DeliveryPolicy", AttributeValue=json.dumps(policy))
    attrs = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attrs["DisplayName"] == "Orders"
    assert attrs["SignatureVersion"] == "2"
    assert json.loads(attrs["DeliveryPolicy"]) == policy
    assert json.loads(attrs["EffectiveDeliveryPolicy"])["http"]["defaultHealthyRetryPolicy"]["numRetries"] == 5


@pytest.mark.parametrize("name, value, message", [
    ("NoSuchAttribute", "x", "Invalid parameter: AttributeName"),
    ("SignatureVersion", "3", "Invalid parameter: SignatureVersion: must be 1 or 2"),
    ("ContentBasedDeduplication", "true", "only valid for FIFO topics"),
    ("DeliveryPolicy", "{nope", "Invalid parameter: DeliveryPolicy: failed to parse JSON"),
    ("DeliveryPolicy", json.dumps({"http": {"defaultHealthyRetryPolicy": {"minDelayTarget": 30,
                                                                          "maxDelayTarget": 10}}}),
     "minDelayTarget must be less than or equal to maxDelayTarget"),
    ("FifoTopic", "true", "Invalid parameter: AttributeName"),
])
def test_set_topic_attributes_errors(aws_client, name, value, message):
    sns = aws_client("sns")
    arn = sns.create_topic(Name="t")["TopicArn"]
    with pytest.raises(ClientError) as info:
        sns.set_topic_attributes(TopicArn=arn, AttributeName=name, AttributeValue=value)
    code, text, status = error(info)
    assert (code, status) == ("InvalidParameter", 400)
    assert message in text


def test_fifo_topic(aws_client):
    sns = aws_client("sns")
    arn = sns.create_topic(Name="o.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    attrs = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attrs["FifoTopic"] == "true" and attrs["ContentBasedDeduplication"] == "false"
    sns.set_topic_attributes(TopicArn=arn, AttributeName="ContentBasedDeduplication", AttributeValue="true")
    assert sns.get_topic_attributes(TopicArn=arn)["Attributes"]["ContentBasedDeduplication"] == "true"


@pytest.mark.parametrize("name, attributes, fragment", [
    ("bad name!", {}, "Invalid parameter: Topic Name"),
    ("", {}, "Invalid parameter: Topic Name"),
    ("x" * 257, {}, "Invalid parameter: Topic Name"),
    ("nofifo", {"FifoTopic": "true"}, "Fifo Topic names must end with .fifo"),
    ("a.fifo", {}, "Fifo Topic names must end with .fifo"),
])
def test_create_topic_errors(aws_client, name, attributes, fragment):
    with pytest.raises(ClientError) as info:
        aws_client("sns").create_topic(Name=name, Attributes=attributes)
    code, text, status = error(info)
    assert (code, status) == ("InvalidParameter", 400)
    assert fragment in text


def test_create_with_different_attributes_or_tags_is_refused(aws_client):
    sns = aws_client("sns")
    sns.create_topic(Name="t", Attributes={"DisplayName": "a"}, Tags=[{"Key": "k", "Value": "1"}])
    with pytest.raises(ClientError) as info:
        sns.create_topic(Name="t", Attributes={"DisplayName": "b"})
    assert error(info)[1] == "Invalid parameter: Attributes Reason: Topic already exists with different attributes"
    with pytest.raises(ClientError) as info:
        sns.create_topic(Name="t", Tags=[{"Key": "k", "Value": "2"}])
    assert error(info)[1] == "Invalid parameter: Tags Reason: Topic already exists with different tags"


def test_not_found_and_invalid_arns(aws_client):
    sns = aws_client("sns")
    missing = "arn:aws:sns:us-east-1:000000000000:missing"
    for call in (lambda: sns.get_topic_attributes(TopicArn=missing),
                 lambda: sns.publish(TopicArn=missing, Message="m"),
                 lambda: sns.subscribe(TopicArn=missing, Protocol="sqs",
                                       Endpoint="arn:aws:sqs:us-east-1:000000000000:q")):
        with pytest.raises(ClientError) as info:
            call()
        assert error(info) == ("NotFound", "Topic does not exist", 404)
    with pytest.raises(ClientError) as info:
        sns.get_topic_attributes(TopicArn="not-an-arn")
    assert error(info) == ("InvalidParameter", "Invalid parameter: TopicArn", 400)
    # another region's topic is not reachable from this one
    other = aws_client("sns", region="eu-west-1").create_topic(Name="t")["TopicArn"]
    with pytest.raises(ClientError) as info:
        sns.publish(TopicArn=other, Message="m")
    assert error(info)[0] == "InvalidParameter"


def test_delete_topic_is_idempotent_and_removes_subscriptions(aws_client):
    sns = aws_client("sns")
    arn = sns.create_topic(Name="t")["TopicArn"]
    sub = sns.subscribe(TopicArn=arn, Protocol="sms", Endpoint="+15555550100")["SubscriptionArn"]
    sns.delete_topic(TopicArn=arn)
    sns.delete_topic(TopicArn=arn)
    assert sns.list_topics()["Topics"] == []
    assert sns.list_subscriptions()["Subscriptions"] == []
    with pytest.raises(ClientError) as info:
        sns.get_subscription_attributes(SubscriptionArn=sub)
    assert error(info)[0] == "NotFound"


def test_list_topics_pages_by_100(aws_client):
    sns = aws_client("sns")
    for i in range(105):
        sns.create_topic(Name=f"t{i:03d}")
    first = sns.list_topics()
    assert len(first["Topics"]) == 100 and first["NextToken"]
    second = sns.list_topics(NextToken=first["NextToken"])
    assert len(second["Topics"]) == 5 and "NextToken" not in second
    names = [t["TopicArn"] for t in first["Topics"] + second["Topics"]]
    assert len(set(names)) == 105
    paginator = sns.get_paginator("list_topics")
    assert sum(len(p["Topics"]) for p in paginator.paginate()) == 105


def test_accounts_and_regions_are_isolated(nubis):
    a = nubis.client("sns", aws_access_key_id="111111111111")
    b = nubis.client("sns", aws_access_key_id="222222222222")
    west = nubis.client("sns", region="us-west-2", aws_access_key_id="111111111111")
    arn = a.create_topic(Name="shared-name")["TopicArn"]
    assert arn.split(":")[4] == "111111111111"
    assert b.list_topics()["Topics"] == []
    assert west.list_topics()["Topics"] == []
    assert b.create_topic(Name="shared-name")["TopicArn"] != arn


def test_tags(aws_client):
    sns = aws_client("sns")
    arn = sns.create_topic(Name="t", Tags=[{"Key": "team", "Value": "core"}])["TopicArn"]
    sns.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "edge"}])
    tags = {t["Key"]: t["Value"] for t in sns.list_tags_for_resource(ResourceArn=arn)["Tags"]}
    assert tags == {"team": "edge", "env": "dev"}
    sns.untag_resource(ResourceArn=arn, TagKeys=["team", "nothere"])
    assert sns.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "env", "Value": "dev"}]
    with pytest.raises(ClientError) as info:
        sns.tag_resource(ResourceArn=arn, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    assert error(info)[0] == "TagLimitExceeded"
    with pytest.raises(ClientError) as info:
        sns.list_tags_for_resource(ResourceArn=arn + "-gone")
    assert error(info) == ("ResourceNotFound", "Resource does not exist", 404)


def test_add_and_remove_permission(aws_client):
    sns = aws_client("sns")
    arn = sns.create_topic(Name="t")["TopicArn"]
    sns.add_permission(TopicArn=arn, Label="pub", AWSAccountId=["111122223333"], ActionName=["Publish"])
    statements = json.loads(sns.get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"])["Statement"]
    added = next(s for s in statements if s["Sid"] == "pub")
    assert added["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    assert added["Action"] == "SNS:Publish" and added["Resource"] == arn
    with pytest.raises(ClientError) as info:
        sns.add_permission(TopicArn=arn, Label="pub", AWSAccountId=["111122223333"], ActionName=["Publish"])
    assert error(info) == ("InvalidParameter", "Invalid parameter: Statement already exists", 400)
    with pytest.raises(ClientError) as info:
        sns.add_permission(TopicArn=arn, Label="x", AWSAccountId=["111122223333"], ActionName=["Fly"])
    assert "out of service scope" in error(info)[1]
    sns.remove_permission(TopicArn=arn, Label="pub")
    statements = json.loads(sns.get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"])["Statement"]
    assert [s["Sid"] for s in statements] == ["__default_statement_ID"]


def test_data_protection_policy(aws_client):
    sns = aws_client("sns")
    policy = {"Name": "p", "Version": "2021-06-01", "Statement": [{"Sid": "s", "DataDirection": "Inbound",
                                                                   "Principal": ["*"], "DataIdentifier": [],
                                                                   "Operation": {"Audit": {}}}]}
    arn = sns.create_topic(Name="t", DataProtectionPolicy=json.dumps(policy))["TopicArn"]
    assert json.loads(sns.get_data_protection_policy(ResourceArn=arn)["DataProtectionPolicy"]) == policy
    sns.put_data_protection_policy(ResourceArn=arn, DataProtectionPolicy='{"Name": "other"}')
    assert sns.get_data_protection_policy(ResourceArn=arn)["DataProtectionPolicy"] == '{"Name": "other"}'
    with pytest.raises(ClientError) as info:
        sns.put_data_protection_policy(ResourceArn=arn, DataProtectionPolicy="{bad")
    assert error(info)[0] == "InvalidParameter"
    other = sns.create_topic(Name="plain")["TopicArn"]
    assert sns.get_data_protection_policy(ResourceArn=other)["DataProtectionPolicy"] == ""


def _cli(nubis, *args):
    return aws_cli(nubis.endpoint, "sns", *args, key="123456789012", secret="x", region="eu-west-1")


def test_aws_cli_topics_and_publish(nubis):
    out = _cli(nubis, "create-topic", "--name", "cli-topic")
    assert out.returncode == 0, out.stderr
    arn = json.loads(out.stdout)["TopicArn"]
    assert arn == "arn:aws:sns:eu-west-1:123456789012:cli-topic"
    out = _cli(nubis, "publish", "--topic-arn", arn, "--message", "from the cli",
               "--message-attributes", '{"k": {"DataType": "String", "StringValue": "v"}}')
    assert out.returncode == 0, out.stderr
    assert len(json.loads(out.stdout)["MessageId"]) == 36
    out = _cli(nubis, "get-topic-attributes", "--topic-arn", arn + "-missing")
    assert out.returncode != 0
    assert "NotFound" in out.stderr and "Topic does not exist" in out.stderr
