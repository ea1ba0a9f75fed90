"""Queues: create, find, list, delete, attributes, tags, permissions, URL forms."""
import hashlib
import http.client
import json
import urllib.request
import xml.etree.ElementTree as ET

import pytest

from .conftest import ACCOUNT, XMLNS, attrs, cli, code, error_of, query, receive, status, xml_text


# -- create / get url ----------------------------------------------------------------------------

def test_create_queue_returns_a_url_on_this_endpoint(nubis, sqs):
    url = sqs.create_queue(QueueName="orders")["QueueUrl"]
    assert url == f"{nubis.endpoint}/{ACCOUNT}/orders"
    assert sqs.get_queue_url(QueueName="orders")["QueueUrl"] == url


def test_create_queue_is_idempotent_with_the_same_attributes(sqs):
    first = sqs.create_queue(QueueName="q", Attributes={"VisibilityTimeout": "45"})["QueueUrl"]
    again = sqs.create_queue(QueueName="q", Attributes={"VisibilityTimeout": "45"})["QueueUrl"]
    bare = sqs.create_queue(QueueName="q")["QueueUrl"]
    assert first == again == bare
    assert len(sqs.list_queues()["QueueUrls"]) == 1


def test_create_queue_with_different_attributes_is_queue_name_exists(sqs):
    sqs.create_queue(QueueName="q", Attributes={"VisibilityTimeout": "45"})
    e = error_of(sqs.create_queue, QueueName="q", Attributes={"VisibilityTimeout": "46"})
    assert isinstance(e, sqs.exceptions.QueueNameExists)
    assert code(e) == "QueueAlreadyExists"
    assert status(e) == 400


@pytest.mark.parametrize("name", ["", "has space", "a" * 81, "dot.name", "slash/name"])
def test_invalid_queue_names_are_rejected(sqs, name):
    e = error_of(sqs.create_queue, QueueName=name)
    assert code(e) in ("InvalidParameterValue", "MissingParameter")
    assert status(e) == 400


def test_fifo_queue_name_must_end_in_fifo(sqs):
    e = error_of(sqs.create_queue, QueueName="nofifo", Attributes={"FifoQueue": "true"})
    assert code(e) == "InvalidParameterValue"
    e = error_of(sqs.create_queue, QueueName="a.fifo")  # the suffix without FifoQueue
    assert code(e) == "InvalidParameterValue"
    url = sqs.create_queue(QueueName="a" * 75 + ".fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    assert url.endswith("a" * 75 + ".fifo")


def test_get_queue_url_of_a_missing_queue(sqs):
    e = error_of(sqs.get_queue_url, QueueName="nope")
    assert isinstance(e, sqs.exceptions.QueueDoesNotExist)
    assert code(e) == "AWS.SimpleQueueService.NonExistentQueue"
    assert e.response["Error"]["Message"] == "The specified queue does not exist."
    assert status(e) == 400


def test_accounts_are_separate_and_owner_account_finds_a_queue(aws_client, sqs):
    other = aws_client("sqs", aws_access_key_id="111111111111")
    url = other.create_queue(QueueName="theirs")["QueueUrl"]
    assert "/111111111111/theirs" in url
    assert "QueueUrls" not in sqs.list_queues()
    assert code(error_of(sqs.get_queue_url, QueueName="theirs")) == "AWS.SimpleQueueService.NonExistentQueue"
    assert sqs.get_queue_url(QueueName="theirs", QueueOwnerAWSAccountId="111111111111")["QueueUrl"] == url


def test_regions_are_separate(aws_client, sqs):
    west = aws_client("sqs", region="eu-west-1")
    west.create_queue(QueueName="q")
    assert "QueueUrls" not in sqs.list_queues()
    assert len(west.list_queues()["QueueUrls"]) == 1


# -- list -----------------------------------------------------------------------------------------

def test_list_queues_by_prefix(sqs, make_queue):
    for name in ("alpha-1", "alpha-2", "beta-1"):
        make_queue(name)
    all_urls = sqs.list_queues()["QueueUrls"]
    assert sorted(u.rsplit("/", 1)[1] for u in all_urls) == ["alpha-1", "alpha-2", "beta-1"]
    alpha = sqs.list_queues(QueueNamePrefix="alpha")["QueueUrls"]
    assert sorted(u.rsplit("/", 1)[1] for u in alpha) == ["alpha-1", "alpha-2"]
    assert "QueueUrls" not in sqs.list_queues(QueueNamePrefix="gamma")


def test_list_queues_paginates_with_max_results(sqs, make_queue):
    names = [f"q{i:02d}" for i in range(7)]
    for name in names:
        make_queue(name)
    seen, token, pages = [], None, 0
    while True:
        kwargs = {"MaxResults": 3, **({"NextToken": token} if token else {})}
        page = sqs.list_queues(**kwargs)
        pages += 1
        assert len(page["QueueUrls"]) <= 3
        seen += [u.rsplit("/", 1)[1] for u in page["QueueUrls"]]
        token = page.get("NextToken")
        if not token:
            break
    assert pages == 3
    assert sorted(seen) == names
    # The paginator does the same.
    found = [u for p in sqs.get_paginator("list_queues").paginate(PaginationConfig={"PageSize": 2})
             for u in p.get("QueueUrls", [])]
    assert len(found) == 7


def test_list_queues_rejects_max_results_out_of_range(sqs):
    assert code(error_of(sqs.list_queues, MaxResults=1001)) == "InvalidParameterValue"
    assert code(error_of(sqs.list_queues, MaxResults=0)) == "InvalidParameterValue"


# -- delete ---------------------------------------------------------------------------------------

def test_delete_queue_then_it_is_gone(sqs, make_queue):
    url = make_queue("q")
    sqs.send_message(QueueUrl=url, MessageBody="x")
    sqs.delete_queue(QueueUrl=url)
    assert isinstance(error_of(sqs.get_queue_url, QueueName="q"), sqs.exceptions.QueueDoesNotExist)
    assert isinstance(error_of(sqs.send_message, QueueUrl=url, MessageBody="x"), sqs.exceptions.QueueDoesNotExist)
    assert isinstance(error_of(sqs.delete_queue, QueueUrl=url), sqs.exceptions.QueueDoesNotExist)


def test_recreating_a_deleted_queue_within_60_seconds_is_refused(nubis, sqs, make_queue):
    url = make_queue("q")
    sqs.delete_queue(QueueUrl=url)
    e = error_of(sqs.create_queue, QueueName="q")
    assert isinstance(e, sqs.exceptions.QueueDeletedRecently)
    assert code(e) == "AWS.SimpleQueueService.QueueDeletedRecently"
    assert "60 seconds" in e.response["Error"]["Message"]
    nubis.advance(59)
    assert code(error_of(sqs.create_queue, QueueName="q")) == "AWS.SimpleQueueService.QueueDeletedRecently"
    nubis.advance(2)
    assert sqs.create_queue(QueueName="q")["QueueUrl"] == url
    # The new queue starts empty.
    assert receive(sqs, url) == []


# -- attributes -------------------------------------------------------------------------------------

def test_default_attributes_of_a_standard_queue(nubis, sqs, make_queue):
    url = make_queue("q")
    a = attrs(sqs, url)
    assert a["QueueArn"] == f"arn:aws:sqs:us-east-1:{ACCOUNT}:q"
    expected = {"DelaySeconds": "0", "MaximumMessageSize": "1048576", "MessageRetentionPeriod": "345600",
                "ReceiveMessageWaitTimeSeconds": "0", "VisibilityTimeout": "30", "SqsManagedSseEnabled": "true",
                "ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0",
                "ApproximateNumberOfMessagesDelayed": "0"}
    assert {k: a[k] for k in expected} == expected
    assert abs(int(a["CreatedTimestamp"]) - nubis.clock()) <= 2
    assert a["LastModifiedTimestamp"] == a["CreatedTimestamp"]
    assert "FifoQueue" not in a and "Policy" not in a and "RedrivePolicy" not in a


def test_default_attributes_of_a_fifo_queue(sqs, make_queue):
    url = make_queue("q.fifo", FifoQueue="true")
    a = attrs(sqs, url)
    assert a["FifoQueue"] == "true"
    assert a["ContentBasedDeduplication"] == "false"
    assert a["DeduplicationScope"] == "queue"
    assert a["FifoThroughputLimit"] == "perQueue"


def test_get_only_the_named_attributes(sqs, make_queue):
    url = make_queue("q", VisibilityTimeout=60)
    assert attrs(sqs, url, "VisibilityTimeout") == {"VisibilityTimeout": "60"}
    assert "Attributes" not in sqs.get_queue_attributes(QueueUrl=url)


def test_get_unknown_attribute_is_invalid_attribute_name(sqs, make_queue):
    url = make_queue("q")
    e = error_of(sqs.get_queue_attributes, QueueUrl=url, AttributeNames=["VisibilityTimeout", "Colour"])
    assert isinstance(e, sqs.exceptions.InvalidAttributeName)
    assert code(e) == "InvalidAttributeName"
    assert e.response["Error"]["Message"] == "Unknown Attribute Colour."
    # A FIFO attribute is unknown on a standard queue.
    assert code(error_of(sqs.get_queue_attributes, QueueUrl=url, AttributeNames=["FifoQueue"])) == \
        "InvalidAttributeName"


def test_set_attributes_and_last_modified(nubis, sqs, make_queue):
    url = make_queue("q")
    created = attrs(sqs, url, "LastModifiedTimestamp")["LastModifiedTimestamp"]
    nubis.advance(100)
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "120", "DelaySeconds": "5",
                                                       "MessageRetentionPeriod": "60",
                                                       "MaximumMessageSize": "1024",
                                                       "ReceiveMessageWaitTimeSeconds": "20"})
    a = attrs(sqs, url)
    assert (a["VisibilityTimeout"], a["DelaySeconds"], a["MessageRetentionPeriod"], a["MaximumMessageSize"],
            a["ReceiveMessageWaitTimeSeconds"]) == ("120", "5", "60", "1024", "20")
    assert int(a["LastModifiedTimestamp"]) >= int(created) + 99


@pytest.mark.parametrize("name,value", [
    ("VisibilityTimeout", "43201"), ("VisibilityTimeout", "-1"), ("VisibilityTimeout", "ten"),
    ("DelaySeconds", "901"), ("MaximumMessageSize", "1023"), ("MaximumMessageSize", "1048577"),
    ("MessageRetentionPeriod", "59"), ("MessageRetentionPeriod", "1209601"),
    ("ReceiveMessageWaitTimeSeconds", "21"), ("SqsManagedSseEnabled", "maybe"),
])
def test_set_attribute_out_of_range_is_invalid_attribute_value(sqs, make_queue, name, value):
    url = make_queue("q")
    e = error_of(sqs.set_queue_attributes, QueueUrl=url, Attributes={name: value})
    assert isinstance(e, sqs.exceptions.InvalidAttributeValue)
    assert code(e) == "InvalidAttributeValue"
    assert name in e.response["Error"]["Message"]
    # Nothing changed.
    assert attrs(sqs, url, name).get(name) == {"VisibilityTimeout": "30", "DelaySeconds": "0",
                                               "MaximumMessageSize": "1048576",
                                               "MessageRetentionPeriod": "345600",
                                               "ReceiveMessageWaitTimeSeconds": "0",
                                               "SqsManagedSseEnabled": "true"}[name]


def test_create_with_invalid_attribute_value_creates_nothing(sqs):
    e = error_of(sqs.create_queue, QueueName="q", Attributes={"VisibilityTimeout": "99999"})
    assert code(e) == "InvalidAttributeValue"
    assert "QueueUrls" not in sqs.list_queues()


def test_set_unknown_or_fixed_attribute_is_invalid_attribute_name(sqs, make_queue):
    url = make_queue("q")
    assert code(error_of(sqs.set_queue_attributes, QueueUrl=url, Attributes={"Colour": "blue"})) == \
        "InvalidAttributeName"
    assert code(error_of(sqs.set_queue_attributes, QueueUrl=url,
                         Attributes={"ContentBasedDeduplication": "true"})) == "InvalidAttributeName"
    assert code(error_of(sqs.set_queue_attributes, QueueUrl=url, Attributes={"QueueArn": "x"})) == \
        "InvalidAttributeName"
    fifo = sqs.create_queue(QueueName="f.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    assert code(error_of(sqs.set_queue_attributes, QueueUrl=fifo, Attributes={"FifoQueue": "false"})) in (
        "InvalidAttributeName", "InvalidAttributeValue")
    assert attrs(sqs, fifo, "FifoQueue") == {"FifoQueue": "true"}


def test_server_side_encryption_settings(sqs, make_queue):
    url = make_queue("kms", KmsMasterKeyId="alias/aws/sqs")
    a = attrs(sqs, url)
    assert a["KmsMasterKeyId"] == "alias/aws/sqs"
    assert a["KmsDataKeyReusePeriodSeconds"] == "300"
    assert a["SqsManagedSseEnabled"] == "false"
    # Switching to SQS-managed encryption drops the KMS key.
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"SqsManagedSseEnabled": "true"})
    a = attrs(sqs, url)
    assert a["SqsManagedSseEnabled"] == "true" and "KmsMasterKeyId" not in a
    e = error_of(sqs.create_queue, QueueName="both", Attributes={"KmsMasterKeyId": "alias/aws/sqs",
                                                                "SqsManagedSseEnabled": "true"})
    assert code(e) == "InvalidParameterValue"
    assert code(error_of(sqs.set_queue_attributes, QueueUrl=url,
                         Attributes={"KmsDataKeyReusePeriodSeconds": "59"})) == "InvalidAttributeValue"
    plain = make_queue("plain", SqsManagedSseEnabled="false")
    assert attrs(sqs, plain, "SqsManagedSseEnabled") == {"SqsManagedSseEnabled": "false"}


def test_policy_attribute_must_be_json(sqs, make_queue):
    url = make_queue("q")
    assert code(error_of(sqs.set_queue_attributes, QueueUrl=url, Attributes={"Policy": "{nope"})) == \
        "InvalidAttributeValue"
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
                                                      "Action": "sqs:SendMessage", "Resource": "*"}]}
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    assert json.loads(attrs(sqs, url, "Policy")["Policy"]) == policy
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": ""})
    assert "Policy" not in attrs(sqs, url)


# -- tags ----------------------------------------------------------------------------------------------

def test_tags(sqs, make_queue):
    url = make_queue("q", tags={"team": "a", "env": "dev"})
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "a", "env": "dev"}
    sqs.tag_queue(QueueUrl=url, Tags={"env": "prod", "cost": "1"})
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "a", "env": "prod", "cost": "1"}
    sqs.untag_queue(QueueUrl=url, TagKeys=["team", "cost", "absent"])
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"env": "prod"}
    sqs.untag_queue(QueueUrl=url, TagKeys=["env"])
    assert "Tags" not in sqs.list_queue_tags(QueueUrl=url)


def test_too_many_tags(sqs, make_queue):
    url = make_queue("q", tags={f"k{i}": "v" for i in range(50)})
    e = error_of(sqs.tag_queue, QueueUrl=url, Tags={"one-more": "v"})
    assert code(e) == "InvalidParameterValue"
    assert len(sqs.list_queue_tags(QueueUrl=url)["Tags"]) == 50


def test_tags_of_a_missing_queue(sqs, make_queue):
    url = make_queue("q")
    sqs.delete_queue(QueueUrl=url)
    assert isinstance(error_of(sqs.list_queue_tags, QueueUrl=url), sqs.exceptions.QueueDoesNotExist)


# -- permissions ---------------------------------------------------------------------------------------

def test_add_and_remove_permission_edit_the_policy(sqs, make_queue):
    url = make_queue("q")
    arn = attrs(sqs, url, "QueueArn")["QueueArn"]
    sqs.add_permission(QueueUrl=url, Label="send-from-b", AWSAccountIds=["111122223333"],
                       Actions=["SendMessage"])
    sqs.add_permission(QueueUrl=url, Label="all-from-c", AWSAccountIds=["444455556666", "777788889999"],
                       Actions=["ReceiveMessage", "DeleteMessage"])
    policy = json.loads(attrs(sqs, url, "Policy")["Policy"])
    assert policy["Version"] == "2012-10-17"
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert by_sid["send-from-b"] == {"Sid": "send-from-b", "Effect": "Allow",
                                     "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                                     "Action": "SQS:SendMessage", "Resource": arn}
    assert sorted(by_sid["all-from-c"]["Principal"]["AWS"]) == ["arn:aws:iam::444455556666:root",
                                                               "arn:aws:iam::777788889999:root"]
    assert sorted(by_sid["all-from-c"]["Action"]) == ["SQS:DeleteMessage", "SQS:ReceiveMessage"]

    e = error_of(sqs.add_permission, QueueUrl=url, Label="send-from-b", AWSAccountIds=["111122223333"],
                 Actions=["SendMessage"])
    assert code(e) == "InvalidParameterValue"

    sqs.remove_permission(QueueUrl=url, Label="send-from-b")
    policy = json.loads(attrs(sqs, url, "Policy")["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["all-from-c"]
    assert code(error_of(sqs.remove_permission, QueueUrl=url, Label="send-from-b")) == "InvalidParameterValue"
    sqs.remove_permission(QueueUrl=url, Label="all-from-c")
    assert "Policy" not in attrs(sqs, url)


def test_add_permission_validates_its_label(sqs, make_queue):
    url = make_queue("q")
    e = error_of(sqs.add_permission, QueueUrl=url, Label="bad label!", AWSAccountIds=["111122223333"],
                 Actions=["SendMessage"])
    assert code(e) == "InvalidParameterValue"
    assert "Policy" not in attrs(sqs, url)


# -- queue URL forms ---------------------------------------------------------------------------------------

def test_every_url_form_names_the_same_queue(nubis, sqs, make_queue):
    url = make_queue("q")
    port = nubis.endpoint.rsplit(":", 1)[1]
    forms = [url,
             f"http://localhost:{port}/{ACCOUNT}/q",
             f"http://sqs.us-east-1.localhost.localstack.cloud:{port}/{ACCOUNT}/q",
             f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/q",
             f"https://queue.amazonaws.com/{ACCOUNT}/q"]
    for i, form in enumerate(forms):
        sqs.send_message(QueueUrl=form, MessageBody=str(i))
    assert attrs(sqs, url, "ApproximateNumberOfMessages")["ApproximateNumberOfMessages"] == str(len(forms))
    for form in forms:
        assert attrs(sqs, form, "QueueArn")["QueueArn"].endswith(":q")


def test_url_region_in_the_host_selects_the_region(sqs, make_queue):
    make_queue("q")
    e = error_of(sqs.send_message, QueueUrl=f"https://sqs.eu-west-1.amazonaws.com/{ACCOUNT}/q", MessageBody="x")
    assert isinstance(e, sqs.exceptions.QueueDoesNotExist)


def test_malformed_queue_url(sqs, nubis):
    e = error_of(sqs.send_message, QueueUrl=f"{nubis.endpoint}/just-a-name/and/more", MessageBody="x")
    assert code(e) in ("InvalidAddress", "AWS.SimpleQueueService.NonExistentQueue")


# -- the query protocol, as older SDKs speak it ---------------------------------------------------------------

def test_query_protocol_create_send_receive_delete(nubis, sqs):
    st, root = query(nubis.endpoint, "/", {"Action": "CreateQueue", "QueueName": "legacy",
                                           "Attribute.1.Name": "VisibilityTimeout", "Attribute.1.Value": "40"})
    assert st == 200 and root.tag == f"{XMLNS}CreateQueueResponse"
    url = xml_text(root, "QueueUrl")
    assert url.endswith(f"/{ACCOUNT}/legacy")
    assert attrs(sqs, url, "VisibilityTimeout") == {"VisibilityTimeout": "40"}

    # Posted to the queue's path, without a QueueUrl parameter.
    st, root = query(nubis.endpoint, f"/{ACCOUNT}/legacy", {
        "Action": "SendMessage", "MessageBody": "hello <world> & co",
        "MessageAttribute.1.Name": "n", "MessageAttribute.1.Value.DataType": "Number",
        "MessageAttribute.1.Value.StringValue": "42"})
    assert st == 200 and root.tag == f"{XMLNS}SendMessageResponse"
    assert xml_text(root, "MD5OfMessageBody") == hashlib.md5(b"hello <world> & co").hexdigest()
    message_id = xml_text(root, "MessageId")
    assert xml_text(root, "RequestId")

    st, root = query(nubis.endpoint, f"/{ACCOUNT}/legacy", {
        "Action": "ReceiveMessage", "AttributeName.1": "All", "MessageAttributeName.1": "All"})
    assert st == 200
    assert xml_text(root, "MessageId") == message_id
    assert xml_text(root, "Body") == "hello <world> & co"
    attributes = {a.find(f"{XMLNS}Name").text: a.find(f"{XMLNS}Value").text
                  for a in root.iter(f"{XMLNS}Attribute")}
    assert attributes["ApproximateReceiveCount"] == "1"
    assert xml_text(root, "StringValue") == "42"
    handle = xml_text(root, "ReceiptHandle")

    st, root = query(nubis.endpoint, "/", {"Action": "DeleteMessage", "QueueUrl": url, "ReceiptHandle": handle})
    assert st == 200 and root.tag == f"{XMLNS}DeleteMessageResponse"
    assert attrs(sqs, url, "ApproximateNumberOfMessagesNotVisible") == {
        "ApproximateNumberOfMessagesNotVisible": "0"}


def test_query_protocol_errors_are_xml(nubis):
    st, root = query(nubis.endpoint, f"/{ACCOUNT}/missing", {"Action": "SendMessage", "MessageBody": "x"})
    assert st == 400
    assert root.tag == f"{XMLNS}ErrorResponse"
    assert xml_text(root, "Code") == "AWS.SimpleQueueService.NonExistentQueue"
    assert xml_text(root, "Type") == "Sender"
    assert xml_text(root, "Message") == "The specified queue does not exist."

    st, root = query(nubis.endpoint, "/", {"Action": "CreateQueue", "QueueName": "q",
                                           "Attribute.1.Name": "DelaySeconds", "Attribute.1.Value": "1000"})
    assert st == 400 and xml_text(root, "Code") == "InvalidAttributeValue"


def test_query_protocol_list_and_attributes(nubis, sqs, make_queue):
    make_queue("a1")
    make_queue("a2", DelaySeconds=7)
    st, root = query(nubis.endpoint, "/", {"Action": "ListQueues", "QueueNamePrefix": "a"})
    assert st == 200
    urls = [n.text for n in root.iter(f"{XMLNS}QueueUrl")]
    assert sorted(u.rsplit("/", 1)[1] for u in urls) == ["a1", "a2"]
    st, root = query(nubis.endpoint, f"/{ACCOUNT}/a2", {"Action": "GetQueueAttributes",
                                                        "AttributeName.1": "DelaySeconds"})
    assert st == 200
    values = {a.find(f"{XMLNS}Name").text: a.find(f"{XMLNS}Value").text for a in root.iter(f"{XMLNS}Attribute")}
    assert values == {"DelaySeconds": "7"}


# -- the AWS CLI -------------------------------------------------------------------------------------------------

def test_aws_cli_round_trip(nubis):
    made = cli(nubis.endpoint, "create-queue", "--queue-name", "from-cli", "--attributes", "VisibilityTimeout=50")
    assert made.returncode == 0, made.stderr
    url = json.loads(made.stdout)["QueueUrl"]
    sent = cli(nubis.endpoint, "send-message", "--queue-url", url, "--message-body", "hi from the cli")
    assert sent.returncode == 0, sent.stderr
    got = cli(nubis.endpoint, "receive-message", "--queue-url", url, "--attribute-names", "All")
    assert got.returncode == 0, got.stderr
    message = json.loads(got.stdout)["Messages"][0]
    assert message["Body"] == "hi from the cli"
    assert message["Attributes"]["ApproximateReceiveCount"] == "1"
    listed = cli(nubis.endpoint, "list-queues", "--queue-name-prefix", "from")
    assert json.loads(listed.stdout)["QueueUrls"] == [url]
    missing = cli(nubis.endpoint, "get-queue-url", "--queue-name", "nope")
    assert missing.returncode != 0
    assert "NonExistentQueue" in missing.stderr or "QueueDoesNotExist" in missing.stderr


def test_query_protocol_send_message_batch_reports_each_entry(nubis, sqs, make_queue):
    url = make_queue("q")
    st, root = query(nubis.endpoint, f"/{ACCOUNT}/q", {
        "Action": "SendMessageBatch",
        "SendMessageBatchRequestEntry.1.Id": "a", "SendMessageBatchRequestEntry.1.MessageBody": "x",
        "SendMessageBatchRequestEntry.2.Id": "b", "SendMessageBatchRequestEntry.2.MessageBody": "y",
        "SendMessageBatchRequestEntry.2.DelaySeconds": "5000"})
    assert st == 200
    ok = root.find(f".//{XMLNS}SendMessageBatchResultEntry")
    assert ok.find(f"{XMLNS}Id").text == "a"
    assert ok.find(f"{XMLNS}MD5OfMessageBody").text == hashlib.md5(b"x").hexdigest()
    bad = root.find(f".//{XMLNS}BatchResultErrorEntry")
    assert bad.find(f"{XMLNS}Id").text == "b"
    assert bad.find(f"{XMLNS}SenderFault").text == "true"
    assert bad.find(f"{XMLNS}Code").text == "InvalidParameterValue"
    assert attrs(sqs, url, "ApproximateNumberOfMessages") == {"ApproximateNumberOfMessages": "1"}


def test_query_protocol_get_request(nubis, sqs, make_queue):
    url = make_queue("q")
    sqs.send_message(QueueUrl=url, MessageBody="by GET")
    with urllib.request.urlopen(f"{url}?Action=ReceiveMessage&Version=2012-11-05", timeout=10) as r:
        root = ET.fromstring(r.read())
    assert xml_text(root, "Body") == "by GET"


def test_queue_urls_follow_the_host_the_client_used(nubis):
    port = int(nubis.endpoint.rsplit(":", 1)[1])
    host = f"sqs.us-east-1.localhost.localstack.cloud:{port}"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", "/", body="Action=CreateQueue&QueueName=hosted&Version=2012-11-05",
                     headers={"Host": host, "Content-Type": "application/x-www-form-urlencoded"})
        response = conn.getresponse()
        root = ET.fromstring(response.read())
    finally:
        conn.close()
    assert response.status == 200
    assert xml_text(root, "QueueUrl") == f"http://{host}/{ACCOUNT}/hosted"
