"""Scheduled queries: stored, run on the controllable clock, results to S3, history kept."""
import json

import pytest

from .conftest import code, error_of

ROLE = "arn:aws:iam::000000000000:role/q"


@pytest.fixture
def setup(logs, aws_client, now_ms):
    logs.create_log_group(logGroupName="/app")
    logs.create_log_stream(logGroupName="/app", logStreamName="s")
    s3 = aws_client("s3")
    s3.create_bucket(Bucket="results")
    return s3


def create(logs, name="errors", **more):
    args = dict(name=name, queryLanguage="CWLI", queryString="filter @message like /ERROR/ | stats count(*) as n",
                logGroupIdentifiers=["/app"], scheduleExpression="rate(5 minutes)", executionRoleArn=ROLE)
    args.update(more)
    return logs.create_scheduled_query(**args)


def test_lifecycle(logs, setup):
    out = create(logs, description="count errors", tags={"k": "v"})
    assert out == {"scheduledQueryArn": "arn:aws:logs:us-east-1:000000000000:scheduled-query:errors",
                   "state": "ENABLED", "ResponseMetadata": out["ResponseMetadata"]}
    got = logs.get_scheduled_query(identifier="errors")
    assert (got["description"], got["scheduleExpression"], got["logGroupIdentifiers"]) == (
        "count errors", "rate(5 minutes)", ["/app"])
    assert logs.get_scheduled_query(identifier=out["scheduledQueryArn"])["name"] == "errors"
    assert code(error_of(create, logs)) == "ConflictException"
    # Update replaces: the description not given is gone.
    upd = logs.update_scheduled_query(identifier="errors", queryLanguage="CWLI", queryString="stats count(*)",
                                      logGroupIdentifiers=["/app"], scheduleExpression="cron(0 * * * ? *)",
                                      executionRoleArn=ROLE, state="DISABLED")
    assert upd["state"] == "DISABLED" and "description" not in upd
    create(logs, name="other")
    assert [q["name"] for q in logs.list_scheduled_queries(state="ENABLED")["scheduledQueries"]] == ["other"]
    page = logs.list_scheduled_queries(maxResults=1)
    assert len(page["scheduledQueries"]) == 1 and page["nextToken"]
    assert logs.list_tags_for_resource(resourceArn=out["scheduledQueryArn"])["tags"] == {"k": "v"}
    logs.delete_scheduled_query(identifier="errors")
    assert code(error_of(logs.get_scheduled_query, identifier="errors")) == "ResourceNotFoundException"
    assert code(error_of(logs.delete_scheduled_query, identifier="errors")) == "ResourceNotFoundException"


def test_input_is_checked(logs, setup):
    assert code(error_of(create, logs, scheduleExpression="every 5 minutes")) == "ValidationException"
    assert code(error_of(create, logs, queryString="stats nonsense(")) == "ValidationException"
    assert code(error_of(create, logs, queryLanguage="SQL")) == "ValidationException"
    assert code(error_of(create, logs, logGroupIdentifiers=["/nope"])) == "ResourceNotFoundException"
    assert code(error_of(create, logs, timezone="Mars/Olympus")) == "ValidationException"
    assert code(error_of(create, logs, name="bad name")) == "ValidationException"


def test_runs_on_schedule_and_writes_results(logs, setup, nubis, now_ms):
    s3 = setup
    create(logs, destinationConfiguration={"s3Configuration": {"destinationIdentifier": "s3://results/out",
                                                               "roleArn": ROLE}})
    t = now_ms()
    logs.put_log_events(logGroupName="/app", logStreamName="s", logEvents=[
        {"timestamp": t, "message": "ERROR one"}, {"timestamp": t + 1, "message": "ok"},
        {"timestamp": t + 2, "message": "ERROR two"}])
    nubis.advance(299)
    assert logs.get_scheduled_query_history(identifier="errors", startTime=0, endTime=t * 2)["triggerHistory"] == []
    nubis.advance(2)
    [run] = logs.get_scheduled_query_history(identifier="errors", startTime=0, endTime=t * 2)["triggerHistory"]
    assert run["executionStatus"] == "Complete"
    assert logs.get_query_results(queryId=run["queryId"])["results"] == [[{"field": "n", "value": "2"}]]
    [dest] = run["destinations"]
    assert dest["status"] == "COMPLETE"
    assert dest["processedIdentifier"] == f"s3://results/out/errors/{run['queryId']}.json"
    body = json.loads(s3.get_object(Bucket="results", Key=f"out/errors/{run['queryId']}.json")["Body"].read())
    assert body["results"] == [[{"field": "n", "value": "2"}]]
    got = logs.get_scheduled_query(identifier="errors")
    assert got["lastExecutionStatus"] == "Complete" and got["lastTriggeredTime"] == run["triggeredTimestamp"]
    # The next run five minutes on; a disabled query does not run.
    nubis.advance(300)
    runs = logs.get_scheduled_query_history(identifier="errors", startTime=0, endTime=t * 2)["triggerHistory"]
    assert len(runs) == 2 and runs[0]["triggeredTimestamp"] > runs[1]["triggeredTimestamp"]
    assert len(logs.get_scheduled_query_history(identifier="errors", startTime=0, endTime=t * 2,
                                                executionStatuses=["Failed"])["triggerHistory"]) == 0
    q = logs.get_scheduled_query(identifier="errors")
    logs.update_scheduled_query(identifier="errors", queryLanguage="CWLI", queryString=q["queryString"],
                                logGroupIdentifiers=["/app"], scheduleExpression="rate(5 minutes)",
                                executionRoleArn=ROLE, state="DISABLED")
    nubis.advance(900)
    assert len(logs.get_scheduled_query_history(identifier="errors", startTime=0, endTime=t * 2)[
        "triggerHistory"]) == 2


def test_a_run_that_fails_is_recorded(logs, setup, nubis):
    create(logs, destinationConfiguration={"s3Configuration": {"destinationIdentifier": "s3://no-such-bucket",
                                                               "roleArn": ROLE}})
    nubis.advance(301)
    [run] = logs.get_scheduled_query_history(identifier="errors", startTime=0, endTime=2**62)["triggerHistory"]
    assert run["executionStatus"] == "Complete" and run["destinations"][0]["status"] == "CLIENT_ERROR"
    logs.delete_log_group(logGroupName="/app")
    nubis.advance(300)
    runs = logs.get_scheduled_query_history(identifier="errors", startTime=0, endTime=2**62)["triggerHistory"]
    assert runs[0]["executionStatus"] == "Failed" and runs[0]["errorMessage"]
