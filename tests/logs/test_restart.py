"""Log groups, streams, events and retention survive a kill -9 of a real nubis process."""
import time


def test_logs_survive_kill9(server_process, tmp_path):
    data = str(tmp_path / "data")
    server = server_process("--data-dir", data)
    logs = server.client("logs")
    logs.create_log_group(logGroupName="/aws/lambda/fn", tags={"k": "v"})
    logs.put_retention_policy(logGroupName="/aws/lambda/fn", retentionInDays=7)
    logs.create_log_stream(logGroupName="/aws/lambda/fn", logStreamName="s")
    t = int(time.time() * 1000)
    token = logs.put_log_events(logGroupName="/aws/lambda/fn", logStreamName="s",
                                logEvents=[{"timestamp": t, "message": "START"},
                                           {"timestamp": t + 1, "message": "END"}])["nextSequenceToken"]
    logs.put_metric_filter(logGroupName="/aws/lambda/fn", filterName="errors", filterPattern="ERROR",
                           metricTransformations=[{"metricName": "E", "metricNamespace": "N", "metricValue": "1"}])
    logs.put_subscription_filter(logGroupName="/aws/lambda/fn", filterName="out", filterPattern="",
                                 destinationArn="arn:aws:firehose:us-east-1:000000000000:deliverystream/x")
    qid = logs.start_query(logGroupName="/aws/lambda/fn", startTime=0, endTime=t // 1000 + 10,
                           queryString="stats count(*)")["queryId"]
    server.kill9()

    server = server_process("--data-dir", data)
    logs = server.client("logs")
    [g] = logs.describe_log_groups()["logGroups"]
    assert g["retentionInDays"] == 7 and g["storedBytes"] == len("STARTEND")
    assert logs.list_tags_log_group(logGroupName="/aws/lambda/fn")["tags"] == {"k": "v"}
    [s] = logs.describe_log_streams(logGroupName="/aws/lambda/fn")["logStreams"]
    assert s["uploadSequenceToken"] == token and s["lastEventTimestamp"] == t + 1
    events = logs.get_log_events(logGroupName="/aws/lambda/fn", logStreamName="s", startFromHead=True)["events"]
    assert [e["message"] for e in events] == ["START", "END"]
    assert [f["filterName"] for f in logs.describe_metric_filters()["metricFilters"]] == ["errors"]
    [sub] = logs.describe_subscription_filters(logGroupName="/aws/lambda/fn")["subscriptionFilters"]
    assert sub["destinationArn"].endswith("deliverystream/x")
    assert logs.get_query_results(queryId=qid)["results"] == [[{"field": "count(*)", "value": "2"}]]
