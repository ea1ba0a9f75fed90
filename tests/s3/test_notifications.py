"""S3 event notifications to Lambda and EventBridge (stand-ins from tests/support
replace those services), and what PutBucketNotificationConfiguration validates."""
from __future__ import annotations

import datetime as dt
import io
import json
import re
import time
import urllib.request
import zipfile

import pytest
from botocore.exceptions import ClientError

from nubis.testing import start

ACCOUNT = "000000000000"
FUNCTION = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:handler"
STAND_INS = "lambda=support.fake_lambda:FakeLambda,events=support.fake_events:FakeEvents"


@pytest.fixture(scope="module")
def cloud():
    """A nubis of its own whose Lambda and EventBridge are the stand-ins."""
    c = start(providers=STAND_INS)
    try:
        yield c
    finally:
        c.stop()


@pytest.fixture
def fresh(cloud):
    cloud.reset()
    return cloud


@pytest.fixture
def s3(fresh):
    return fresh.client("s3")


def fetch(cloud, path: str, member: str, count: int, timeout: float = 10.0) -> list:
    """What the stand-in received, once it holds ``count`` items (or the time is up)."""
    deadline = time.monotonic() + timeout
    while True:
        with urllib.request.urlopen(cloud.endpoint + path, timeout=10) as r:
            items = json.loads(r.read())[member]
        if len(items) >= count or time.monotonic() > deadline:
            return items
        time.sleep(0.02)


def invocations(cloud, count: int = 1, timeout: float = 10.0) -> list:
    return fetch(cloud, "/_nubis/lambda/invocations", "invocations", count, timeout)


def entries(cloud, count: int = 1, timeout: float = 10.0) -> list:
    return fetch(cloud, "/_nubis/events/entries", "entries", count, timeout)


def error_of(call, **kwargs) -> dict:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return {**info.value.response["Error"], "status": info.value.response["ResponseMetadata"]["HTTPStatusCode"]}


def rules(prefix: str | None = None, suffix: str | None = None) -> dict:
    given = [("Prefix", prefix), ("Suffix", suffix)]
    return {"Key": {"FilterRules": [{"Name": n, "Value": v} for n, v in given if v is not None]}}


# -- Lambda ---------------------------------------------------------------------------------------

def test_lambda_is_invoked_asynchronously_with_the_event_record(fresh, s3):
    s3.create_bucket(Bucket="photos")
    s3.put_bucket_notification_configuration(Bucket="photos", NotificationConfiguration={
        "LambdaFunctionConfigurations": [{"Id": "thumbnails", "LambdaFunctionArn": FUNCTION,
                                          "Events": ["s3:ObjectCreated:*"], "Filter": rules("in/", ".jpg")}]})
    s3.put_object(Bucket="photos", Key="in/skipped.png", Body=b"not a jpg")
    etag = s3.put_object(Bucket="photos", Key="in/my cat+dog.jpg", Body=b"12345")["ETag"]

    (call,) = invocations(fresh)
    # No s3:TestEvent goes to a function; the filtered-out key sends nothing.
    assert call["FunctionName"] == FUNCTION and call["InvocationType"] == "Event"
    assert call["principal"] == "s3.amazonaws.com" and call["account"] == ACCOUNT
    assert list(call["Payload"]) == ["Records"]
    (rec,) = call["Payload"]["Records"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", rec.pop("eventTime"))
    request_id = rec["responseElements"]["x-amz-request-id"]
    sequencer = rec["s3"]["object"].pop("sequencer")
    assert re.fullmatch(r"[0-9A-F]{16}", sequencer)
    assert rec == {
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventName": "ObjectCreated:Put", "userIdentity": {"principalId": rec["userIdentity"]["principalId"]},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {"x-amz-request-id": request_id, "x-amz-id-2": request_id},
        "s3": {"s3SchemaVersion": "1.0", "configurationId": "thumbnails",
               "bucket": {"name": "photos", "ownerIdentity": {"principalId": ACCOUNT},
                          "arn": "arn:aws:s3:::photos"},
               "object": {"key": "in/my+cat%2Bdog.jpg", "size": 5, "eTag": etag.strip('"')}}}
    assert rec["userIdentity"]["principalId"]


def test_lambda_gets_multipart_and_delete_marker_events_with_version_ids(fresh, s3):
    s3.create_bucket(Bucket="versioned")
    s3.put_bucket_versioning(Bucket="versioned", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_notification_configuration(Bucket="versioned", NotificationConfiguration={
        "LambdaFunctionConfigurations": [{"LambdaFunctionArn": FUNCTION,
                                          "Events": ["s3:ObjectCreated:CompleteMultipartUpload",
                                                     "s3:ObjectRemoved:*"]}]})
    upload = s3.create_multipart_upload(Bucket="versioned", Key="big")["UploadId"]
    part = s3.upload_part(Bucket="versioned", Key="big", UploadId=upload, PartNumber=1, Body=b"p" * 100)
    done = s3.complete_multipart_upload(Bucket="versioned", Key="big", UploadId=upload, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    (created,) = [c["Payload"]["Records"][0] for c in invocations(fresh)]
    assert created["eventName"] == "ObjectCreated:CompleteMultipartUpload"
    assert created["s3"]["object"]["versionId"] == done["VersionId"]
    assert created["s3"]["object"]["eTag"] == done["ETag"].strip('"') and created["s3"]["object"]["size"] == 100

    marker = s3.delete_object(Bucket="versioned", Key="big")["VersionId"]
    removed = invocations(fresh, 2)[1]["Payload"]["Records"][0]
    assert removed["eventName"] == "ObjectRemoved:DeleteMarkerCreated"
    assert removed["s3"]["object"]["versionId"] == marker
    # Sequencers order the events of one key.
    assert removed["s3"]["object"]["sequencer"] > created["s3"]["object"]["sequencer"]


def test_a_missing_function_is_refused_and_nothing_is_stored(fresh, s3):
    s3.create_bucket(Bucket="bkt")
    missing = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:missing-one"
    err = error_of(s3.put_bucket_notification_configuration, Bucket="bkt", NotificationConfiguration={
        "LambdaFunctionConfigurations": [{"LambdaFunctionArn": missing, "Events": ["s3:ObjectCreated:*"]}]})
    assert (err["Code"], err["status"]) == ("InvalidArgument", 400)
    assert err["Message"] == "Unable to validate the following destination configurations"
    assert err["ArgumentName1"] == missing
    assert "LambdaFunctionConfigurations" not in s3.get_bucket_notification_configuration(Bucket="bkt")
    # SkipDestinationValidation stores it anyway.
    s3.put_bucket_notification_configuration(Bucket="bkt", SkipDestinationValidation=True, NotificationConfiguration={
        "LambdaFunctionConfigurations": [{"LambdaFunctionArn": missing, "Events": ["s3:ObjectCreated:*"]}]})
    got = s3.get_bucket_notification_configuration(Bucket="bkt")["LambdaFunctionConfigurations"]
    assert got[0]["LambdaFunctionArn"] == missing


def test_the_function_policy_must_let_s3_invoke_it_from_the_bucket(aws_client):
    """Through nubis's own Lambda: S3 checks the function's resource policy (the API reference of
    PutBucketNotificationConfiguration)."""
    s3, lam = aws_client("s3"), aws_client("lambda")
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as z:
        z.writestr("app.py", "def handler(event, context):\n    return None\n")
    arn = lam.create_function(FunctionName="on-upload", Runtime="python3.12", Handler="app.handler",
                              Role=f"arn:aws:iam::{ACCOUNT}:role/r", Code={"ZipFile": code.getvalue()})["FunctionArn"]
    s3.create_bucket(Bucket="uploads")
    config = {"LambdaFunctionConfigurations": [{"LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"]}]}

    def refused() -> dict:
        return error_of(s3.put_bucket_notification_configuration, Bucket="uploads", NotificationConfiguration=config)

    err = refused()  # no policy at all
    assert (err["Code"], err["Message"]) == ("InvalidArgument",
                                             "Unable to validate the following destination configurations")
    assert (err["ArgumentName1"], err["ArgumentValue1"]) == (arn, f"Not authorized to invoke function [{arn}]")
    lam.add_permission(FunctionName="on-upload", StatementId="other", Action="lambda:InvokeFunction",
                       Principal="s3.amazonaws.com", SourceArn="arn:aws:s3:::another-bucket")
    assert refused()["ArgumentValue1"] == f"Not authorized to invoke function [{arn}]"
    lam.add_permission(FunctionName="on-upload", StatementId="uploads", Action="lambda:InvokeFunction",
                       Principal="s3.amazonaws.com", SourceArn="arn:aws:s3:::uploads", SourceAccount=ACCOUNT)
    s3.put_bucket_notification_configuration(Bucket="uploads", NotificationConfiguration=config)
    assert s3.get_bucket_notification_configuration(Bucket="uploads")["LambdaFunctionConfigurations"][0][
        "LambdaFunctionArn"] == arn


def test_a_failing_function_is_retried_on_the_clock(fresh, s3):
    fresh.freeze()
    broken = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:broken"
    s3.create_bucket(Bucket="bkt")
    s3.put_bucket_notification_configuration(Bucket="bkt", NotificationConfiguration={
        "LambdaFunctionConfigurations": [{"LambdaFunctionArn": broken, "Events": ["s3:ObjectCreated:*"]}]})
    s3.put_object(Bucket="bkt", Key="k", Body=b"x")
    # The stand-in fails twice (a server error): retried after 1 s, then after 5 s more.
    assert invocations(fresh, 1, timeout=0.5) == []
    fresh.advance(1)
    assert invocations(fresh, 1, timeout=0.5) == []
    fresh.advance(5)
    (call,) = invocations(fresh)
    assert call["Payload"]["Records"][0]["s3"]["object"]["key"] == "k"
    fresh.advance(700)
    assert len(invocations(fresh, 2, timeout=0.3)) == 1  # delivered once


# -- EventBridge ----------------------------------------------------------------------------------

def details(cloud, count: int) -> list[tuple[str, dict]]:
    got = entries(cloud, count)
    assert len(got) == count, got
    return [(e["DetailType"], json.loads(e["Detail"])) for e in got]


def test_eventbridge_gets_every_event_of_the_bucket(fresh, s3):
    s3.create_bucket(Bucket="lake")
    s3.put_bucket_notification_configuration(Bucket="lake", NotificationConfiguration={
        "EventBridgeConfiguration": {}})
    etag = s3.put_object(Bucket="lake", Key="raw/a b+c.csv", Body=b"1,2,3")["ETag"]
    (entry,) = entries(fresh)
    assert {k: entry[k] for k in ("Source", "DetailType", "Resources", "EventBusName", "principal",
                                  "account", "region")} == {
        "Source": "aws.s3", "DetailType": "Object Created", "Resources": ["arn:aws:s3:::lake"],
        "EventBusName": "default", "principal": "s3.amazonaws.com", "account": ACCOUNT, "region": "us-east-1"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00", entry["Time"])
    detail = json.loads(entry["Detail"])
    sequencer = detail["object"].pop("sequencer")
    assert re.fullmatch(r"[0-9a-f]{16}", sequencer)
    assert detail == {"version": "0", "bucket": {"name": "lake"},
                      "object": {"key": "raw/a b+c.csv", "size": 5, "etag": etag.strip('"')},
                      "request-id": detail["request-id"], "requester": ACCOUNT,
                      "source-ip-address": "127.0.0.1", "reason": "PutObject"}
    assert detail["request-id"]

    s3.copy_object(Bucket="lake", Key="copy", CopySource="lake/raw/a b+c.csv")
    s3.put_object_tagging(Bucket="lake", Key="copy", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
    s3.delete_object_tagging(Bucket="lake", Key="copy")
    s3.delete_object(Bucket="lake", Key="copy")
    got = details(fresh, 5)[1:]
    assert [(t, d.get("reason"), d["object"]["key"]) for t, d in got] == [
        ("Object Created", "CopyObject", "copy"), ("Object Tags Added", None, "copy"),
        ("Object Tags Deleted", None, "copy"), ("Object Deleted", "DeleteObject", "copy")]
    assert got[3][1]["deletion-type"] == "Permanently Deleted"
    assert "deletion-type" not in got[0][1]


def test_eventbridge_delete_markers_and_multipart_uploads(fresh, s3):
    s3.create_bucket(Bucket="lake")
    s3.put_bucket_versioning(Bucket="lake", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_notification_configuration(Bucket="lake", NotificationConfiguration={
        "EventBridgeConfiguration": {}})
    upload = s3.create_multipart_upload(Bucket="lake", Key="big")["UploadId"]
    part = s3.upload_part(Bucket="lake", Key="big", UploadId=upload, PartNumber=1, Body=b"p" * 10)
    done = s3.complete_multipart_upload(Bucket="lake", Key="big", UploadId=upload, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    marker = s3.delete_object(Bucket="lake", Key="big")["VersionId"]
    s3.delete_objects(Bucket="lake", Delete={"Objects": [{"Key": "big", "VersionId": done["VersionId"]}]})
    (_, created), (_, marked), (_, gone) = details(fresh, 3)
    assert created["reason"] == "CompleteMultipartUpload" and created["object"]["version-id"] == done["VersionId"]
    assert created["object"]["size"] == 10
    assert marked["reason"] == "DeleteObject" and marked["deletion-type"] == "Delete Marker Created"
    assert marked["object"]["version-id"] == marker
    assert gone["deletion-type"] == "Permanently Deleted" and gone["object"]["version-id"] == done["VersionId"]


def test_eventbridge_alongside_a_queue_and_nothing_without_it(fresh, s3):
    sqs = fresh.client("sqs")
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.create_bucket(Bucket="both")
    s3.create_bucket(Bucket="queue-only")
    s3.put_bucket_notification_configuration(Bucket="both", NotificationConfiguration={
        "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectRemoved:*"]}], "EventBridgeConfiguration": {}})
    s3.put_bucket_notification_configuration(Bucket="queue-only", NotificationConfiguration={
        "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]})
    assert "EventBridgeConfiguration" in s3.get_bucket_notification_configuration(Bucket="both")
    s3.put_object(Bucket="queue-only", Key="k", Body=b"x")
    s3.put_object(Bucket="both", Key="k", Body=b"x")  # the queue wants removals only; EventBridge gets it
    (entry,) = entries(fresh)
    assert entry["Resources"] == ["arn:aws:s3:::both"]  # no TestEvent to EventBridge, nothing from queue-only
    bodies = []
    for _ in range(10):
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
            bodies.append(json.loads(m["Body"]))
        if len(bodies) >= 3:
            break
    assert sorted(b.get("Event") or b["Records"][0]["eventName"] for b in bodies) == [
        "ObjectCreated:Put", "s3:TestEvent", "s3:TestEvent"]


def test_eventbridge_failures_are_retried_on_the_clock(fresh, s3):
    fresh.freeze()
    s3.create_bucket(Bucket="flaky-lake")
    s3.put_bucket_notification_configuration(Bucket="flaky-lake", NotificationConfiguration={
        "EventBridgeConfiguration": {}})
    s3.put_object(Bucket="flaky-lake", Key="k", Body=b"x")
    assert entries(fresh, 1, timeout=0.5) == []
    fresh.advance(1)
    assert entries(fresh, 1, timeout=0.5) == []
    fresh.advance(5)
    (entry,) = entries(fresh)
    assert json.loads(entry["Detail"])["object"]["key"] == "k"


def test_eventbridge_reports_lifecycle_expiration_as_s3(fresh, s3):
    fresh.freeze()
    s3.create_bucket(Bucket="aging")
    s3.put_bucket_notification_configuration(Bucket="aging", NotificationConfiguration={
        "EventBridgeConfiguration": {}})
    s3.put_bucket_lifecycle_configuration(Bucket="aging", LifecycleConfiguration={"Rules": [
        {"ID": "expire", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 1}}]})
    s3.put_object(Bucket="aging", Key="old", Body=b"x")
    entries(fresh)
    fresh.advance(3 * 86400)
    _, (_, expired) = details(fresh, 2)
    assert expired["reason"] == "Lifecycle Expiration" and expired["deletion-type"] == "Permanently Deleted"
    assert expired["requester"] == "s3.amazonaws.com" and "source-ip-address" not in expired


def test_restore_and_acl_events(fresh, s3):
    fresh.freeze()
    s3.create_bucket(Bucket="cold")
    s3.put_bucket_notification_configuration(Bucket="cold", NotificationConfiguration={
        "LambdaFunctionConfigurations": [{"Id": "r", "LambdaFunctionArn": FUNCTION,
                                          "Events": ["s3:ObjectRestore:*", "s3:ObjectAcl:Put"]}],
        "EventBridgeConfiguration": {}})
    etag = s3.put_object(Bucket="cold", Key="tape", Body=b"archived", StorageClass="GLACIER")["ETag"]
    started = fresh.clock()
    s3.restore_object(Bucket="cold", Key="tape", RestoreRequest={"Days": 2, "GlacierJobParameters": {
        "Tier": "Expedited"}})
    s3.put_object_acl(Bucket="cold", Key="tape", ACL="private")
    calls = invocations(fresh, 2)
    assert [c["Payload"]["Records"][0]["eventName"] for c in calls] == ["ObjectRestore:Post", "ObjectAcl:Put"]
    post = calls[0]["Payload"]["Records"][0]
    assert post["s3"]["object"]["size"] == 8 and post["s3"]["object"]["eTag"] == etag.strip('"')
    assert "glacierEventData" not in post
    (_, created), (_, initiated), (_, acl) = details(fresh, 3)
    assert initiated["source-storage-class"] == "GLACIER" and initiated["requester"] == ACCOUNT
    assert acl["object"]["key"] == "tape" and "reason" not in acl
    assert [e["DetailType"] for e in entries(fresh, 3)] == ["Object Created", "Object Restore Initiated",
                                                             "Object ACL Updated"]

    fresh.advance(5 * 60 - 1)  # an expedited restore takes five minutes
    assert len(invocations(fresh, 3, timeout=0.5)) == 2
    fresh.advance(1)
    done = invocations(fresh, 3)[2]["Payload"]["Records"][0]
    assert done["eventName"] == "ObjectRestore:Completed"
    expiry = dt.datetime.fromtimestamp(started + 5 * 60 + 2 * 86400, tz=dt.timezone.utc)
    assert done["glacierEventData"] == {"restoreEventData": {
        "lifecycleRestorationExpiryTime": expiry.strftime("%Y-%m-%dT%H:%M:%S.") + f"{expiry.microsecond // 1000:03d}Z",
        "lifecycleRestoreStorageClass": "GLACIER"}}
    completed = entries(fresh, 4)[3]
    assert completed["DetailType"] == "Object Restore Completed"
    detail = json.loads(completed["Detail"])
    assert detail["requester"] == "s3.amazonaws.com" and detail["source-storage-class"] == "GLACIER"
    assert detail["restore-expiry-time"] == done["glacierEventData"]["restoreEventData"][
        "lifecycleRestorationExpiryTime"]
    assert s3.head_object(Bucket="cold", Key="tape")["Restore"].startswith('ongoing-request="false"')


# -- validation and the test event ----------------------------------------------------------------

@pytest.fixture
def queue(aws_client):
    sqs = aws_client("sqs")
    url = sqs.create_queue(QueueName="events")["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def test_the_test_event_reaches_a_topic(aws_client, queue):
    s3, sns, sqs = aws_client("s3"), aws_client("sns"), aws_client("sqs")
    url, queue_arn = queue
    topic = sns.create_topic(Name="s3-events")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    s3.create_bucket(Bucket="tested")
    s3.put_bucket_notification_configuration(Bucket="tested", NotificationConfiguration={
        "TopicConfigurations": [{"TopicArn": topic, "Events": ["s3:ObjectCreated:*"]}]})
    messages = []
    for _ in range(10):
        messages += sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", [])
        if messages:
            break
    doc = json.loads(messages[0]["Body"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", doc.pop("Time"))
    assert doc == {"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "tested",
                   "RequestId": doc["RequestId"], "HostId": doc["HostId"]}
    assert doc["RequestId"] and doc["HostId"]


def test_a_missing_topic_is_named_in_the_error(aws_client, queue):
    s3 = aws_client("s3")
    s3.create_bucket(Bucket="bkt")
    missing = f"arn:aws:sns:us-east-1:{ACCOUNT}:nope"
    err = error_of(s3.put_bucket_notification_configuration, Bucket="bkt", NotificationConfiguration={
        "QueueConfigurations": [{"QueueArn": queue[1], "Events": ["s3:ObjectCreated:*"]}],
        "TopicConfigurations": [{"TopicArn": missing, "Events": ["s3:ObjectRemoved:*"]}]})
    assert (err["Code"], err["Message"]) == ("InvalidArgument",
                                             "Unable to validate the following destination configurations")
    assert err["ArgumentName1"] == missing and "ArgumentName2" not in err


def test_a_destination_in_another_region_is_refused(aws_client):
    s3, sqs = aws_client("s3"), aws_client("sqs", region="eu-west-1")
    url = sqs.create_queue(QueueName="far")["QueueUrl"]
    far = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.create_bucket(Bucket="bkt")
    err = error_of(s3.put_bucket_notification_configuration, Bucket="bkt", NotificationConfiguration={
        "QueueConfigurations": [{"QueueArn": far, "Events": ["s3:ObjectCreated:*"]}]})
    assert (err["Code"], err["status"], err["Message"]) == (
        "InvalidArgument", 400, "The notification destination service region is not valid for the bucket location "
        "constraint")
    near = aws_client("s3", region="eu-west-1")
    near.create_bucket(Bucket="bkt-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    near.put_bucket_notification_configuration(Bucket="bkt-eu", NotificationConfiguration={
        "QueueConfigurations": [{"QueueArn": far, "Events": ["s3:ObjectCreated:*"]}]})


@pytest.mark.parametrize("filter_rules, message", [
    ([{"Name": "Extension", "Value": ".jpg"}], "filter rule name must be either prefix or suffix"),
    ([{"Name": "Prefix", "Value": "a/"}, {"Name": "prefix", "Value": "b/"}],
     "Cannot specify more than one prefix rule in a filter."),
    ([{"Name": "Suffix", "Value": ".a"}, {"Name": "Suffix", "Value": ".b"}],
     "Cannot specify more than one suffix rule in a filter."),
])
def test_filter_rules_are_prefix_and_suffix_once_each(aws_client, queue, filter_rules, message):
    s3 = aws_client("s3")
    s3.create_bucket(Bucket="bkt")
    err = error_of(s3.put_bucket_notification_configuration, Bucket="bkt", NotificationConfiguration={
        "QueueConfigurations": [{"QueueArn": queue[1], "Events": ["s3:ObjectCreated:*"],
                                 "Filter": {"Key": {"FilterRules": filter_rules}}}]})
    assert (err["Code"], err["status"], err["Message"]) == ("InvalidArgument", 400, message)


def test_unknown_event_names_are_refused(aws_client, queue):
    s3 = aws_client("s3")
    s3.create_bucket(Bucket="bkt")
    for event in ("s3:ObjectCreated:Rename", "ObjectCreated:Put", "s3:*:Put"):
        err = error_of(s3.put_bucket_notification_configuration, Bucket="bkt", NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": queue[1], "Events": [event]}]})
        assert (err["Code"], err["status"]) == ("InvalidArgument", 400), event


OVERLAP = "Configurations overlap. Configurations on the same bucket cannot share a common event type."


@pytest.mark.parametrize("a, b, overlap", [
    # The S3 user guide's examples of valid configurations: disjoint prefixes or suffixes ...
    ((["s3:ObjectCreated:*"], rules("images/")), (["s3:ObjectCreated:*"], rules("logs/")), False),
    ((["s3:ObjectCreated:*"], rules(suffix=".jpg")), (["s3:ObjectCreated:*"], rules(suffix=".png")), False),
    ((["s3:ObjectCreated:*"], rules("images/", ".jpg")), (["s3:ObjectCreated:*"], rules("images/", ".png")), False),
    # ... or no event type in common.
    ((["s3:ObjectCreated:Put"], None), (["s3:ObjectCreated:Copy"], None), False),
    ((["s3:ObjectCreated:*"], None), (["s3:ObjectRemoved:*"], None), False),
    # And its invalid ones: a common event type with overlapping prefixes, suffixes or both.
    ((["s3:ObjectCreated:*"], None), (["s3:ObjectCreated:Put"], rules("images/")), True),
    ((["s3:ObjectCreated:*"], rules("images/")), (["s3:ObjectCreated:Put"], rules("images/2024/")), True),
    ((["s3:ObjectCreated:*"], rules(suffix=".jpg")), (["s3:ObjectCreated:*"], rules(suffix="thumb.jpg")), True),
    ((["s3:ObjectCreated:*"], rules("images/")), (["s3:ObjectCreated:*"], rules(suffix=".jpg")), True),
    ((["s3:ObjectRemoved:Delete"], rules("a/", ".x")), (["s3:ObjectRemoved:*"], rules("a/b", "y.x")), True),
])
def test_overlapping_configurations_are_refused_across_destination_kinds(aws_client, queue, a, b, overlap):
    s3, sns = aws_client("s3"), aws_client("sns")
    topic = sns.create_topic(Name="t")["TopicArn"]
    s3.create_bucket(Bucket="bkt")

    def item(arn_key, arn, events, f):
        return {arn_key: arn, "Events": events, **({"Filter": f} if f else {})}

    config = {"QueueConfigurations": [item("QueueArn", queue[1], *a)],
              "TopicConfigurations": [item("TopicArn", topic, *b)]}
    if not overlap:
        s3.put_bucket_notification_configuration(Bucket="bkt", NotificationConfiguration=config)
        assert len(s3.get_bucket_notification_configuration(Bucket="bkt")["TopicConfigurations"]) == 1
        return
    err = error_of(s3.put_bucket_notification_configuration, Bucket="bkt", NotificationConfiguration=config)
    assert (err["Code"], err["status"], err["Message"]) == ("InvalidArgument", 400, OVERLAP)
    assert "QueueConfigurations" not in s3.get_bucket_notification_configuration(Bucket="bkt")


# -- durability -----------------------------------------------------------------------------------

def test_an_undelivered_eventbridge_event_survives_a_restart(server_process, tmp_path):
    data, env = str(tmp_path / "data"), {"NUBIS_PROVIDERS": STAND_INS}
    server = server_process("--data-dir", data, env=env)
    server.post("/_nubis/clock", {"freeze": True})
    s3 = server.client("s3")
    s3.create_bucket(Bucket="flaky-durable")
    s3.put_bucket_notification_configuration(Bucket="flaky-durable", NotificationConfiguration={
        "EventBridgeConfiguration": {}})
    s3.put_object(Bucket="flaky-durable", Key="k", Body=b"x")  # its first delivery fails
    server.kill9()

    restarted = server_process("--data-dir", data, env=env, port=server.port)
    deadline = time.monotonic() + 10
    while not restarted.get("/_nubis/events/entries")["entries"] and time.monotonic() < deadline:
        restarted.post("/_nubis/clock", {"advance_seconds": 30})
        time.sleep(0.05)
    (entry,) = restarted.get("/_nubis/events/entries")["entries"]
    assert json.loads(entry["Detail"])["object"]["key"] == "k"
