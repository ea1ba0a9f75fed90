"""Each kind of target: SNS, CloudWatch Logs, another bus (cross-account), API destinations,
Kinesis (partition key path) and Step Functions."""
import base64
import json
import time

from .conftest import ACCOUNT, OTHER, bodies, make_queue, put, quiet, receive


def test_sns_topic_target(events, sqs, aws_client):
    sns = aws_client("sns")
    topic = sns.create_topic(Name="t")["TopicArn"]
    url, qarn = make_queue(sqs, "sub")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn, Attributes={"RawMessageDelivery": "true"})
    events.put_rule(Name="r", EventPattern='{"source": ["my.app"]}')
    events.put_targets(Rule="r", Targets=[{"Id": "t", "Arn": topic}])
    result = put(events)
    (event,) = bodies(receive(sqs, url))
    assert event["id"] == result["EventId"]


def test_cloudwatch_logs_target(events, aws_client):
    logs = aws_client("logs")
    logs.create_log_group(logGroupName="/aws/events/mine")
    events.put_rule(Name="r", EventPattern='{"source": ["my.app"]}')
    events.put_targets(Rule="r", Targets=[{"Id": "l", "Arn": f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/events/mine"}])
    result = put(events)
    deadline = time.monotonic() + 5
    got = []
    while not got and time.monotonic() < deadline:
        streams = logs.describe_log_streams(logGroupName="/aws/events/mine")["logStreams"]
        if streams:
            got = logs.get_log_events(logGroupName="/aws/events/mine", logStreamName=streams[0]["logStreamName"])["events"]
        time.sleep(0.02)
    assert streams[0]["logStreamName"] == result["EventId"]
    assert json.loads(got[0]["message"])["id"] == result["EventId"]


def test_cross_account_bus_target_allowed_by_the_bus_policy(events, sqs, aws_client):
    other_events = aws_client("events", aws_access_key_id=OTHER, aws_secret_access_key="x")
    other_sqs = aws_client("sqs", aws_access_key_id=OTHER, aws_secret_access_key="x")
    shared = other_events.create_event_bus(Name="shared")["EventBusArn"]
    url, qarn = make_queue(other_sqs, "inbox")
    other_events.put_rule(Name="in", EventBusName="shared", EventPattern='{"source": ["my.app"]}')
    other_events.put_targets(Rule="in", EventBusName="shared", Targets=[{"Id": "q", "Arn": qarn}])
    dlq_url, dlq = make_queue(sqs, "dlq")
    events.put_rule(Name="out", EventPattern='{"source": ["my.app"]}')
    events.put_targets(Rule="out", Targets=[{"Id": "bus", "Arn": shared, "DeadLetterConfig": {"Arn": dlq}}])

    put(events, detail={"n": 1})  # not allowed yet: refused, to the dead-letter queue
    (refused,) = receive(sqs, dlq_url, MessageAttributeNames=["All"])
    assert refused["MessageAttributes"]["ERROR_CODE"]["StringValue"] == "CROSS_ACCOUNT_INGESTION_FAILED"
    assert quiet(other_sqs, url)

    other_events.put_permission(EventBusName="shared", Action="events:PutEvents", Principal=ACCOUNT,
                                StatementId="from-a")
    result = put(events, detail={"n": 2})
    (event,) = bodies(receive(other_sqs, url))
    assert event["id"] == result["EventId"] and event["account"] == ACCOUNT and event["detail"] == {"n": 2}

    # The other account's bus by ARN, straight from PutEvents.
    direct = events.put_events(Entries=[{"Source": "my.app", "DetailType": "d", "Detail": '{"n": 3}',
                                         "EventBusName": shared}])
    assert direct["FailedEntryCount"] == 0
    (event,) = bodies(receive(other_sqs, url))
    assert event["detail"] == {"n": 3}
    other_events.remove_permission(EventBusName="shared", StatementId="from-a")
    out = events.put_events(Entries=[{"Source": "my.app", "DetailType": "d", "Detail": "{}", "EventBusName": shared}])
    assert out["Entries"][0]["ErrorCode"] == "AccessDeniedException"


def test_api_destination_with_api_key(events, endpoint):
    conn = events.create_connection(Name="c", AuthorizationType="API_KEY", AuthParameters={
        "ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "s3cr3t"},
        "InvocationHttpParameters": {"HeaderParameters": [{"Key": "x-extra", "Value": "1"}],
                                     "QueryStringParameters": [{"Key": "from", "Value": "eb"}]}})["ConnectionArn"]
    dest = events.create_api_destination(Name="d", ConnectionArn=conn, HttpMethod="PUT",
                                         InvocationEndpoint=endpoint.url + "/items/*")["ApiDestinationArn"]
    events.put_rule(Name="r", EventPattern='{"source": ["my.app"]}')
    events.put_targets(Rule="r", Targets=[{"Id": "api", "Arn": dest, "InputPath": "$.detail",
                                           "HttpParameters": {"PathParameterValues": ["42"],
                                                              "HeaderParameters": {"x-h": "v"}}}])
    put(events, detail={"n": 1})
    (request,) = endpoint.wait_for(1)
    assert request["method"] == "PUT" and request["path"] == "/items/42?from=eb"
    assert request["headers"]["x-api-key"] == "s3cr3t" and request["headers"]["x-extra"] == "1"
    assert request["headers"]["x-h"] == "v"
    assert json.loads(request["body"]) == {"n": 1}


def test_api_destination_basic_and_oauth(events, endpoint):
    basic = events.create_connection(Name="b", AuthorizationType="BASIC", AuthParameters={
        "BasicAuthParameters": {"Username": "u", "Password": "p"}})["ConnectionArn"]
    oauth = events.create_connection(Name="o", AuthorizationType="OAUTH_CLIENT_CREDENTIALS", AuthParameters={
        "OAuthParameters": {"AuthorizationEndpoint": endpoint.url + "/oauth/token", "HttpMethod": "POST",
                            "ClientParameters": {"ClientID": "id", "ClientSecret": "secret"}}})["ConnectionArn"]
    d1 = events.create_api_destination(Name="d1", ConnectionArn=basic, HttpMethod="POST",
                                       InvocationEndpoint=endpoint.url + "/basic")["ApiDestinationArn"]
    d2 = events.create_api_destination(Name="d2", ConnectionArn=oauth, HttpMethod="POST",
                                       InvocationEndpoint=endpoint.url + "/bearer")["ApiDestinationArn"]
    events.put_rule(Name="r", EventPattern='{"source": ["my.app"]}')
    events.put_targets(Rule="r", Targets=[{"Id": "a", "Arn": d1}, {"Id": "b", "Arn": d2}])
    put(events)
    requests = {r["path"]: r for r in endpoint.wait_for(3)}
    assert requests["/basic"]["headers"]["authorization"] == "Basic " + base64.b64encode(b"u:p").decode()
    token = requests["/oauth/token"]
    assert token["headers"]["authorization"] == "Basic " + base64.b64encode(b"id:secret").decode()
    assert "grant_type=client_credentials" in token["body"]
    assert requests["/bearer"]["headers"]["authorization"] == "Bearer tok-1"


def test_kinesis_stream_target_with_a_partition_key_path(events, aws_client):
    kinesis = aws_client("kinesis")
    kinesis.create_stream(StreamName="s", ShardCount=1)
    events.put_rule(Name="r", EventPattern='{"source": ["my.app"]}')
    events.put_targets(Rule="r", Targets=[{"Id": "kin", "Arn": f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/s",
                                           "KinesisParameters": {"PartitionKeyPath": "$.detail.k"}}])
    result = put(events, detail={"k": "p-1"})
    shard = kinesis.list_shards(StreamName="s")["Shards"][0]["ShardId"]
    iterator = kinesis.get_shard_iterator(StreamName="s", ShardId=shard,
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    deadline = time.monotonic() + 5
    records = []
    while not records and time.monotonic() < deadline:
        out = kinesis.get_records(ShardIterator=iterator)
        records, iterator = out["Records"], out["NextShardIterator"]
        time.sleep(0.05)
    (record,) = records
    assert record["PartitionKey"] == "p-1"
    event = json.loads(record["Data"])
    assert event["id"] == result["EventId"] and event["detail"] == {"k": "p-1"}


def test_step_functions_target_starts_an_execution_with_the_event(events, aws_client):
    sfn = aws_client("stepfunctions")
    machine = sfn.create_state_machine(
        name="sm", roleArn=f"arn:aws:iam::{ACCOUNT}:role/r",
        definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}))["stateMachineArn"]
    events.put_rule(Name="r", EventPattern='{"source": ["my.app"]}')
    events.put_targets(Rule="r", Targets=[{"Id": "sfn", "Arn": machine}])
    result = put(events, detail={"order": 7})
    deadline = time.monotonic() + 5
    executions = []
    while not executions and time.monotonic() < deadline:
        executions = sfn.list_executions(stateMachineArn=machine)["executions"]
        time.sleep(0.05)
    (execution,) = executions
    described = sfn.describe_execution(executionArn=execution["executionArn"])
    assert json.loads(described["input"])["id"] == result["EventId"]
    assert json.loads(described["input"])["detail"] == {"order": 7}


def test_api_destination_retries_5xx_and_dead_letters_4xx(nubis, events, sqs, endpoint):
    conn = events.create_connection(Name="c", AuthorizationType="API_KEY", AuthParameters={
        "ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v"}})["ConnectionArn"]
    dest = events.create_api_destination(Name="d", ConnectionArn=conn, HttpMethod="POST",
                                         InvocationEndpoint=endpoint.url + "/hook")["ApiDestinationArn"]
    dlq_url, dlq = make_queue(sqs, "dlq")
    events.put_rule(Name="r", EventPattern='{"source": ["my.app"]}')
    events.put_targets(Rule="r", Targets=[{"Id": "api", "Arn": dest, "DeadLetterConfig": {"Arn": dlq}}])
    endpoint.statuses = [503, 200, 400]
    put(events, detail={"n": 1})
    endpoint.wait_for(1)
    time.sleep(0.2)
    assert len(endpoint.requests) == 1   # the retry waits for the clock
    nubis.advance(1)
    second = endpoint.wait_for(2)[1]
    assert json.loads(second["body"])["detail"] == {"n": 1}
    assert quiet(sqs, dlq_url)
    put(events, detail={"n": 2})         # answered 400: not retried
    (m,) = receive(sqs, dlq_url, MessageAttributeNames=["All"])
    assert m["MessageAttributes"]["ERROR_CODE"]["StringValue"] == "ERROR_FROM_TARGET"
    assert json.loads(m["Body"])["detail"] == {"n": 2}


def test_api_destination_rate_limit(nubis, events, endpoint):
    conn = events.create_connection(Name="c", AuthorizationType="BASIC", AuthParameters={
        "BasicAuthParameters": {"Username": "u", "Password": "p"}})["ConnectionArn"]
    dest = events.create_api_destination(Name="d", ConnectionArn=conn, HttpMethod="POST", InvocationRateLimitPerSecond=1,
                                         InvocationEndpoint=endpoint.url + "/hook")["ApiDestinationArn"]
    events.put_rule(Name="r", EventPattern='{"source": ["my.app"]}')
    events.put_targets(Rule="r", Targets=[{"Id": "api", "Arn": dest}])
    events.put_events(Entries=[{"Source": "my.app", "DetailType": "d", "Detail": json.dumps({"n": i})} for i in range(3)])
    endpoint.wait_for(1)
    time.sleep(0.3)
    assert len(endpoint.requests) == 1   # one a second
    nubis.advance(1)
    endpoint.wait_for(2)
    nubis.advance(1)
    got = endpoint.wait_for(3)
    assert sorted(json.loads(r["body"])["detail"]["n"] for r in got) == [0, 1, 2]


def test_bus_in_another_region_as_target(events, aws_client):
    west_events = aws_client("events", region="eu-west-1")
    west_sqs = aws_client("sqs", region="eu-west-1")
    url, qarn = make_queue(west_sqs, "west")
    west_events.put_rule(Name="in", EventPattern='{"source": ["my.app"]}')
    west_events.put_targets(Rule="in", Targets=[{"Id": "q", "Arn": qarn}])
    events.put_rule(Name="out", EventPattern='{"source": ["my.app"]}')
    events.put_targets(Rule="out", Targets=[{"Id": "west",
                                             "Arn": f"arn:aws:events:eu-west-1:{ACCOUNT}:event-bus/default"}])
    result = put(events, detail={"n": 5})
    (event,) = bodies(receive(west_sqs, url))
    assert event["id"] == result["EventId"] and event["region"] == "us-east-1" and event["detail"] == {"n": 5}
