"""Metric filters and subscription filters stored and returned; TestMetricFilter runs the pattern."""
from .conftest import code, error_of

TRANSFORM = [{"metricName": "Errors", "metricNamespace": "App", "metricValue": "1", "defaultValue": 0.0}]


def test_metric_filters(logs, now_ms):
    logs.create_log_group(logGroupName="g")
    logs.create_log_group(logGroupName="h")
    created = now_ms()
    logs.put_metric_filter(logGroupName="g", filterName="errors", filterPattern="ERROR",
                           metricTransformations=TRANSFORM)
    logs.put_metric_filter(logGroupName="h", filterName="slow", filterPattern="{ $.ms > 500 }",
                           metricTransformations=[{"metricName": "Slow", "metricNamespace": "App",
                                                   "metricValue": "$.ms"}])
    all_filters = logs.describe_metric_filters()["metricFilters"]
    assert [f["filterName"] for f in all_filters] == ["errors", "slow"]
    errors = all_filters[0]
    assert errors["logGroupName"] == "g" and errors["filterPattern"] == "ERROR"
    assert errors["metricTransformations"] == TRANSFORM and errors["creationTime"] == created
    assert [f["filterName"] for f in logs.describe_metric_filters(logGroupName="h")["metricFilters"]] == ["slow"]
    assert [f["filterName"] for f in logs.describe_metric_filters(metricName="Errors",
                                                                  metricNamespace="App")["metricFilters"]] == ["errors"]
    # Putting again replaces.
    logs.put_metric_filter(logGroupName="g", filterName="errors", filterPattern="FATAL",
                           metricTransformations=TRANSFORM)
    assert logs.describe_metric_filters(logGroupName="g")["metricFilters"][0]["filterPattern"] == "FATAL"
    e = error_of(logs.put_metric_filter, logGroupName="g", filterName="bad", filterPattern="{ $.x = ",
                 metricTransformations=TRANSFORM)
    assert code(e) == "InvalidParameterException"
    logs.delete_metric_filter(logGroupName="g", filterName="errors")
    assert code(error_of(logs.delete_metric_filter, logGroupName="g", filterName="errors")) == \
        "ResourceNotFoundException"
    assert [f["filterName"] for f in logs.describe_metric_filters()["metricFilters"]] == ["slow"]


def test_test_metric_filter(logs):
    r = logs.test_metric_filter(
        filterPattern="[ip, user, status = 4*, bytes]",
        logEventMessages=["1.2.3.4 ana 404 10", "1.2.3.4 bob 200 10", "5.6.7.8 eve 403 99"])
    assert [(m["eventNumber"], m["eventMessage"]) for m in r["matches"]] == [
        (1, "1.2.3.4 ana 404 10"), (3, "5.6.7.8 eve 403 99")]
    assert r["matches"][1]["extractedValues"]["$bytes"] == "99"
    e = error_of(logs.test_metric_filter, filterPattern="[a, b", logEventMessages=["x"])
    assert code(e) == "InvalidParameterException"


def test_subscription_filters(logs):
    logs.create_log_group(logGroupName="g")
    arn = "arn:aws:firehose:us-east-1:000000000000:deliverystream/archive"
    logs.put_subscription_filter(logGroupName="g", filterName="to-lambda", filterPattern="ERROR", destinationArn=arn)
    [f] = logs.describe_subscription_filters(logGroupName="g")["subscriptionFilters"]
    assert (f["filterName"], f["logGroupName"], f["filterPattern"], f["destinationArn"], f["distribution"]) == (
        "to-lambda", "g", "ERROR", arn, "ByLogStream")
    logs.put_subscription_filter(logGroupName="g", filterName="second", filterPattern="", destinationArn=arn)
    e = error_of(logs.put_subscription_filter, logGroupName="g", filterName="third", filterPattern="",
                 destinationArn=arn)
    assert code(e) == "LimitExceededException"
    logs.delete_subscription_filter(logGroupName="g", filterName="to-lambda")
    assert [f["filterName"] for f in logs.describe_subscription_filters(logGroupName="g")["subscriptionFilters"]] == [
        "second"]
    assert code(error_of(logs.delete_subscription_filter, logGroupName="g", filterName="to-lambda")) == \
        "ResourceNotFoundException"


def test_a_group_holds_at_most_100_metric_filters(logs):
    logs.create_log_group(logGroupName="g")
    for i in range(100):
        logs.put_metric_filter(logGroupName="g", filterName=f"f{i:03d}", filterPattern="ERROR",
                               metricTransformations=TRANSFORM)
    e = error_of(logs.put_metric_filter, logGroupName="g", filterName="one-more", filterPattern="ERROR",
                 metricTransformations=TRANSFORM)
    assert code(e) == "LimitExceededException"
    logs.put_metric_filter(logGroupName="g", filterName="f000", filterPattern="WARN", metricTransformations=TRANSFORM)
    assert len([f for p in logs.get_paginator("describe_metric_filters").paginate(logGroupName="g")
                for f in p["metricFilters"]]) == 100
