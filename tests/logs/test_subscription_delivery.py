"""Subscription filters deliver matching events to a Lambda function: the
gzipped, base64-encoded DATA_MESSAGE under ``awslogs.data``, as AWS sends it."""
import io
import json
import time
import zipfile

import pytest

from .conftest import code, error_of, put

HANDLER = '''
import base64, gzip, json

def handler(event, context):
    doc = json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"])))
    print("GOT " + json.dumps(doc))
    return {}
'''


def zip_of(files: dict) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    return buf.getvalue()


@pytest.fixture
def consumer(aws_client):
    lam = aws_client("lambda")
    return lam.create_function(FunctionName="consumer", Runtime="python3.12", Handler="app.handler",
                               Role="arn:aws:iam::000000000000:role/r", Timeout=30,  # for a loaded machine
                               Code={"ZipFile": zip_of({"app.py": HANDLER})})["FunctionArn"]


def received(logs, timeout: float = 60.0) -> list[dict]:
    """What the function printed, once it has (it runs as a real process)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            events = logs.filter_log_events(logGroupName="/aws/lambda/consumer", filterPattern="GOT")["events"]
        except logs.exceptions.ResourceNotFoundException:
            events = []
        if events:
            return [json.loads(e["message"].split("GOT ", 1)[1]) for e in events]
        time.sleep(0.3)
    try:
        seen = [e["message"] for e in logs.filter_log_events(logGroupName="/aws/lambda/consumer")["events"]]
    except logs.exceptions.ResourceNotFoundException:
        seen = "no log group"
    raise AssertionError(f"the function did not receive the events; its logs: {seen}")


def test_matching_events_reach_the_function(logs, stream, consumer, now_ms):
    g, s = stream
    logs.put_subscription_filter(logGroupName=g, filterName="errors", filterPattern="ERROR",
                                 destinationArn=consumer)
    t = now_ms()
    put(logs, g, s, [(t - 2, "INFO fine"), (t - 1, "ERROR one"), (t, "ERROR two")])
    [doc] = received(logs)
    assert doc["messageType"] == "DATA_MESSAGE" and doc["owner"] == "000000000000"
    assert (doc["logGroup"], doc["logStream"], doc["subscriptionFilters"]) == (g, s, ["errors"])
    assert [(e["timestamp"], e["message"]) for e in doc["logEvents"]] == [(t - 1, "ERROR one"), (t, "ERROR two")]
    assert all(len(e["id"]) == 56 and e["id"].isdigit() for e in doc["logEvents"])


def test_a_missing_function_is_refused(logs, stream):
    g, _ = stream
    e = error_of(logs.put_subscription_filter, logGroupName=g, filterName="f", filterPattern="",
                 destinationArn="arn:aws:lambda:us-east-1:000000000000:function:nope")
    assert code(e) == "InvalidParameterException"
