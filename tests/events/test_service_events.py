"""AWS service events: S3's EventBridge notifications reach rules on the default bus, and the
emit() function other services use puts aws.* events customers may not put."""
import asyncio
import json

from .conftest import ACCOUNT, bodies, make_queue, receive


def test_s3_events_reach_a_rule(events, sqs, aws_client):
    s3 = aws_client("s3")
    s3.create_bucket(Bucket="watched")
    s3.put_bucket_notification_configuration(Bucket="watched", NotificationConfiguration={
        "EventBridgeConfiguration": {}})
    url, arn = make_queue(sqs, "s3-events")
    events.put_rule(Name="created", EventPattern=json.dumps({
        "source": ["aws.s3"], "detail-type": ["Object Created"],
        "detail": {"bucket": {"name": ["watched"]}, "object": {"key": [{"prefix": "in/"}]}}}))
    events.put_targets(Rule="created", Targets=[{"Id": "q", "Arn": arn}])
    s3.put_object(Bucket="watched", Key="in/a.txt", Body=b"hello")
    s3.put_object(Bucket="watched", Key="out/b.txt", Body=b"skip")
    (event,) = bodies(receive(sqs, url))
    assert event["source"] == "aws.s3" and event["detail-type"] == "Object Created"
    assert event["account"] == ACCOUNT and event["resources"] == ["arn:aws:s3:::watched"]
    assert event["detail"]["object"]["key"] == "in/a.txt" and event["detail"]["object"]["size"] == 5
    assert event["detail"]["reason"] == "PutObject"
    assert not receive(sqs, url, timeout=0.3)


def test_emit_calls_put_events_as_the_service():
    """emit() is what other services call: PutEvents on the default bus, as the service's principal."""
    from nubis.services.events.service_events import emit

    calls = []

    class Internal:
        async def call(self, service, operation, params, *, account, region, principal):
            calls.append((service, operation, params, account, region, principal))
            return {"FailedEntryCount": 0, "Entries": [{"EventId": "e-1"}]}

    event_id = asyncio.run(emit(Internal(), source="aws.ec2", detail_type="EC2 Instance State-change Notification",
                                detail={"state": "running"}, account=ACCOUNT, region="eu-west-1",
                                resources=["arn:aws:ec2:eu-west-1:000000000000:instance/i-1"]))
    assert event_id == "e-1"
    ((service, operation, params, account, region, principal),) = calls
    assert (service, operation, account, region, principal) == ("events", "PutEvents", ACCOUNT, "eu-west-1",
                                                                 "ec2.amazonaws.com")
    (entry,) = params["Entries"]
    assert entry["Source"] == "aws.ec2" and json.loads(entry["Detail"]) == {"state": "running"}
    assert entry["EventBusName"] == "default"
