"""A real Lambda function as a rule's target: invoked asynchronously with the event, it calls back
into nubis (here: it sends the event's detail to a queue)."""
import io
import zipfile

from .conftest import ACCOUNT, bodies, make_queue, put, receive

SOURCE = """
import boto3, json
sqs = boto3.client("sqs")
def handler(event, context):
    url = sqs.get_queue_url(QueueName="from-lambda")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"id": event["id"], "detail": event["detail"]}))
"""


def test_rule_invokes_a_real_function(events, sqs, aws_client):
    lam = aws_client("lambda")
    url, _ = make_queue(sqs, "from-lambda")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", SOURCE)
    fn = lam.create_function(FunctionName="on-event", Runtime="python3.12", Handler="app.handler",
                             Role=f"arn:aws:iam::{ACCOUNT}:role/r", Code={"ZipFile": buf.getvalue()})["FunctionArn"]
    events.put_rule(Name="r", EventPattern='{"source": ["my.app"]}')
    events.put_targets(Rule="r", Targets=[{"Id": "fn", "Arn": fn}])
    result = put(events, detail={"order": 7})
    (got,) = bodies(receive(sqs, url, timeout=30))
    assert got == {"id": result["EventId"], "detail": {"order": 7}}
