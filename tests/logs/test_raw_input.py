"""Input botocore would refuse, sent anyway: AWS's InvalidParameterException, never a 500."""
import pytest
from botocore.config import Config

from .conftest import code, error_of


@pytest.fixture
def raw(aws_client):
    return aws_client("logs", config=Config(retries={"max_attempts": 1}, parameter_validation=False))


@pytest.mark.parametrize("operation, params", [
    ("create_log_group", {}),
    ("create_log_stream", {"logGroupName": "g"}),
    ("put_log_events", {"logGroupName": "g", "logStreamName": "s"}),
    ("put_log_events", {"logGroupName": "g", "logStreamName": "s", "logEvents": []}),
    ("put_log_events", {"logGroupName": "g", "logStreamName": "s", "logEvents": [{"message": "m"}]}),
    ("put_log_events", {"logGroupName": "g", "logStreamName": "s", "logEvents": [{"timestamp": 1, "message": ""}]}),
    ("put_retention_policy", {"logGroupName": "g"}),
    ("get_log_events", {"logGroupName": "g"}),
    ("get_log_events", {"logStreamName": "s"}),
    ("filter_log_events", {"logGroupName": "g", "limit": 0}),
    ("describe_log_streams", {"logGroupName": "g", "orderBy": "Size"}),
    ("describe_log_groups", {"nextToken": "%%%"}),
    ("start_query", {"logGroupName": "g", "queryString": "fields @message"}),
    ("test_metric_filter", {"filterPattern": "x", "logEventMessages": []}),
])
def test_invalid_input_is_an_aws_error(raw, operation, params):
    raw.create_log_group(logGroupName="g")
    raw.create_log_stream(logGroupName="g", logStreamName="s")
    e = error_of(getattr(raw, operation), **params)
    assert code(e) == "InvalidParameterException"
    assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400


@pytest.mark.parametrize("operation, params", [
    ("describe_log_groups", {"limit": "ten"}),
    ("get_log_events", {"logGroupName": "g", "logStreamName": "s", "startTime": "yesterday"}),
    ("put_retention_policy", {"logGroupName": "g", "retentionInDays": "7"}),
])
def test_values_of_the_wrong_type(raw, operation, params):
    raw.create_log_group(logGroupName="g")
    raw.create_log_stream(logGroupName="g", logStreamName="s")
    e = error_of(getattr(raw, operation), **params)
    assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400
