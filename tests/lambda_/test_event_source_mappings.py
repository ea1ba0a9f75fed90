"""The event source mapping API: create, get, update, delete, list, tags, and
the parameter rules of SQS sources (those of streams are in test_stream_pollers.py,
against stand-in stream services)."""
from __future__ import annotations

import datetime

import pytest

from nubis.testing.fixtures import frozen_clock  # noqa: F401  (autouse here: the clock stands still)

from .conftest import ACCOUNT, code, error_of, status

SOURCE = "def handler(event, context):\n    return None\n"
QUEUE = f"arn:aws:sqs:us-east-1:{ACCOUNT}:jobs"


@pytest.fixture
def fn(make_function):
    return make_function("worker", {"app.py": SOURCE})


@pytest.fixture
def queue(aws_client):
    return aws_client("sqs").create_queue(QueueName="jobs")["QueueUrl"]


def message(e) -> str:
    return e.response["Error"]["Message"]


def test_create_get_and_defaults_of_an_sqs_mapping(lam, fn, queue):
    out = lam.create_event_source_mapping(FunctionName="worker", EventSourceArn=QUEUE)
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert out["State"] == "Creating" and out["StateTransitionReason"] == "USER_INITIATED"
    assert out["BatchSize"] == 10 and out["MaximumBatchingWindowInSeconds"] == 0
    assert out["FunctionArn"] == fn["FunctionArn"] and out["EventSourceArn"] == QUEUE
    assert out["EventSourceMappingArn"] == f"arn:aws:lambda:us-east-1:{ACCOUNT}:event-source-mapping:{out['UUID']}"
    assert isinstance(out["LastModified"], datetime.datetime)
    assert "StartingPosition" not in out and "ParallelizationFactor" not in out
    got = lam.get_event_source_mapping(UUID=out["UUID"])
    assert got["State"] == "Enabled" and got["UUID"] == out["UUID"]
    lam.delete_event_source_mapping(UUID=out["UUID"])
    disabled = lam.create_event_source_mapping(FunctionName="worker", EventSourceArn=QUEUE, Enabled=False)
    assert lam.get_event_source_mapping(UUID=disabled["UUID"])["State"] == "Disabled"


def test_a_second_mapping_of_the_same_source_and_function_is_a_conflict(lam, fn, queue, make_function):
    first = lam.create_event_source_mapping(FunctionName="worker", EventSourceArn=QUEUE)["UUID"]
    e = error_of(lam.create_event_source_mapping, FunctionName=fn["FunctionArn"], EventSourceArn=QUEUE)
    assert code(e) == "ResourceConflictException" and status(e) == 409
    assert message(e) == (f'An event source mapping with SQS arn (" {QUEUE} ") and function (" worker ") already '
                          f"exists. Please update or delete the existing mapping with UUID {first}")
    make_function("other", {"app.py": SOURCE})
    lam.create_event_source_mapping(FunctionName="other", EventSourceArn=QUEUE)  # another function may



def test_a_qualified_function_arn_is_kept(lam, fn, queue):
    lam.publish_version(FunctionName="worker")
    lam.create_alias(FunctionName="worker", Name="live", FunctionVersion="1")
    out = lam.create_event_source_mapping(FunctionName="worker:live", EventSourceArn=QUEUE)
    assert out["FunctionArn"] == fn["FunctionArn"] + ":live"
    e = error_of(lam.create_event_source_mapping, FunctionName="worker:nope", EventSourceArn=QUEUE)
    assert code(e) == "ResourceNotFoundException"


def test_sqs_parameter_rules(lam, unchecked_lam, fn, queue, aws_client):
    e = error_of(lam.create_event_source_mapping, FunctionName="worker", EventSourceArn=QUEUE, BatchSize=11)
    assert code(e) == "InvalidParameterValueException" and status(e) == 400
    assert message(e) == ("Maximum batch window in seconds must be greater than 0 if maximum batch size is "
                          "greater than 10")
    ok = lam.create_event_source_mapping(FunctionName="worker", EventSourceArn=QUEUE, BatchSize=10000,
                                         MaximumBatchingWindowInSeconds=5)
    assert ok["BatchSize"] == 10000
    lam.delete_event_source_mapping(UUID=ok["UUID"])
    e = error_of(unchecked_lam.create_event_source_mapping, FunctionName="worker", EventSourceArn=QUEUE,
                 BatchSize=10001, MaximumBatchingWindowInSeconds=5)
    assert code(e) == "ValidationException"
    e = error_of(lam.create_event_source_mapping, FunctionName="worker", EventSourceArn=QUEUE,
                 StartingPosition="LATEST")
    assert code(e) == "InvalidParameterValueException"
    e = error_of(lam.create_event_source_mapping, FunctionName="worker", EventSourceArn=QUEUE,
                 BisectBatchOnFunctionError=True)
    assert code(e) == "InvalidParameterValueException"
    for bad in (1, 1001):
        e = error_of(unchecked_lam.create_event_source_mapping, FunctionName="worker", EventSourceArn=QUEUE,
                     ScalingConfig={"MaximumConcurrency": bad})
        assert code(e) == "ValidationException", bad
    out = lam.create_event_source_mapping(FunctionName="worker", EventSourceArn=QUEUE,
                                          ScalingConfig={"MaximumConcurrency": 2},
                                          FunctionResponseTypes=["ReportBatchItemFailures"])
    assert out["ScalingConfig"] == {"MaximumConcurrency": 2}
    assert out["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    aws_client("sqs").create_queue(QueueName="jobs.fifo", Attributes={"FifoQueue": "true"})
    fifo = f"arn:aws:sqs:us-east-1:{ACCOUNT}:jobs.fifo"
    e = error_of(lam.create_event_source_mapping, FunctionName="worker", EventSourceArn=fifo, BatchSize=20,
                 MaximumBatchingWindowInSeconds=5)
    assert code(e) == "InvalidParameterValueException"


def test_missing_function_queue_and_unknown_sources(lam, fn, queue):
    e = error_of(lam.create_event_source_mapping, FunctionName="nope", EventSourceArn=QUEUE)
    assert code(e) == "ResourceNotFoundException" and status(e) == 404
    e = error_of(lam.create_event_source_mapping, FunctionName="worker",
                 EventSourceArn=f"arn:aws:sqs:us-east-1:{ACCOUNT}:missing")
    assert code(e) == "InvalidParameterValueException"
    e = error_of(lam.create_event_source_mapping, FunctionName="worker", EventSourceArn="arn:aws:s3:::bucket")
    assert code(e) == "InvalidParameterValueException"


def test_filter_criteria_are_stored(lam, fn, queue):
    pattern = '{"body": {"kind": ["order"]}}'
    out = lam.create_event_source_mapping(FunctionName="worker", EventSourceArn=QUEUE,
                                          FilterCriteria={"Filters": [{"Pattern": pattern}]})
    assert out["FilterCriteria"] == {"Filters": [{"Pattern": pattern}]}
    e = error_of(lam.create_event_source_mapping, FunctionName="worker", EventSourceArn=QUEUE,
                 FilterCriteria={"Filters": [{"Pattern": '{"body": "not a list"}'}]})
    assert code(e) == "InvalidParameterValueException"
    cleared = lam.update_event_source_mapping(UUID=out["UUID"], FilterCriteria={"Filters": []})
    assert "FilterCriteria" not in cleared


def test_update_changes_settings_and_function(lam, fn, make_function, queue):
    other = make_function("other", {"app.py": SOURCE})
    uuid = lam.create_event_source_mapping(FunctionName="worker", EventSourceArn=QUEUE)["UUID"]
    out = lam.update_event_source_mapping(UUID=uuid, BatchSize=5, FunctionName="other")
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert out["State"] == "Updating" and out["BatchSize"] == 5 and out["FunctionArn"] == other["FunctionArn"]
    got = lam.get_event_source_mapping(UUID=uuid)
    assert got["State"] == "Enabled" and got["BatchSize"] == 5 and got["FunctionArn"] == other["FunctionArn"]
    e = error_of(lam.update_event_source_mapping, UUID=uuid, BatchSize=50)
    assert code(e) == "InvalidParameterValueException"
    e = error_of(lam.update_event_source_mapping, UUID="00000000-0000-0000-0000-000000000000", BatchSize=5)
    assert code(e) == "ResourceNotFoundException" and status(e) == 404


def test_delete_answers_deleting_and_the_mapping_is_gone(lam, fn, queue):
    uuid = lam.create_event_source_mapping(FunctionName="worker", EventSourceArn=QUEUE)["UUID"]
    out = lam.delete_event_source_mapping(UUID=uuid)
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 202 and out["State"] == "Deleting"
    e = error_of(lam.get_event_source_mapping, UUID=uuid)
    assert code(e) == "ResourceNotFoundException" and status(e) == 404
    assert code(error_of(lam.delete_event_source_mapping, UUID=uuid)) == "ResourceNotFoundException"


def test_list_filters_by_function_and_source_and_pages(lam, fn, make_function, queue, aws_client):
    make_function("other", {"app.py": SOURCE})
    aws_client("sqs").create_queue(QueueName="more")
    more = f"arn:aws:sqs:us-east-1:{ACCOUNT}:more"
    a = lam.create_event_source_mapping(FunctionName="worker", EventSourceArn=QUEUE)["UUID"]
    b = lam.create_event_source_mapping(FunctionName="worker", EventSourceArn=more)["UUID"]
    c = lam.create_event_source_mapping(FunctionName="other", EventSourceArn=QUEUE)["UUID"]
    every = [m["UUID"] for m in lam.list_event_source_mappings()["EventSourceMappings"]]
    assert sorted(every) == sorted([a, b, c])
    by_fn = lam.list_event_source_mappings(FunctionName="worker")["EventSourceMappings"]
    assert sorted(m["UUID"] for m in by_fn) == sorted([a, b])
    by_source = lam.list_event_source_mappings(EventSourceArn=QUEUE)["EventSourceMappings"]
    assert sorted(m["UUID"] for m in by_source) == sorted([a, c])
    both = lam.list_event_source_mappings(FunctionName=fn["FunctionArn"], EventSourceArn=more)
    assert [m["UUID"] for m in both["EventSourceMappings"]] == [b]
    page = lam.list_event_source_mappings(MaxItems=2)
    assert len(page["EventSourceMappings"]) == 2 and page["NextMarker"]
    rest = lam.list_event_source_mappings(MaxItems=2, Marker=page["NextMarker"])
    assert len(rest["EventSourceMappings"]) == 1 and "NextMarker" not in rest
    assert [m["UUID"] for m in page["EventSourceMappings"] + rest["EventSourceMappings"]] == every
    paged = [m["UUID"] for p in lam.get_paginator("list_event_source_mappings").paginate(PaginationConfig={
        "PageSize": 1}) for m in p["EventSourceMappings"]]
    assert paged == every


def test_tags_of_a_mapping(lam, fn, queue):
    out = lam.create_event_source_mapping(FunctionName="worker", EventSourceArn=QUEUE, Tags={"team": "a"})
    arn = out["EventSourceMappingArn"]
    assert lam.list_tags(Resource=arn)["Tags"] == {"team": "a"}
    lam.tag_resource(Resource=arn, Tags={"env": "dev"})
    lam.untag_resource(Resource=arn, TagKeys=["team"])
    assert lam.list_tags(Resource=arn)["Tags"] == {"env": "dev"}
    e = error_of(lam.list_tags, Resource=f"arn:aws:lambda:us-east-1:{ACCOUNT}:event-source-mapping:nope")
    assert code(e) == "ResourceNotFoundException"


def test_metrics_kms_and_provisioned_poller_settings_are_kept(lam, unchecked_lam, fn, queue):
    key = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    out = lam.create_event_source_mapping(FunctionName="worker", EventSourceArn=QUEUE,
                                          MetricsConfig={"Metrics": ["EventCount"]}, KMSKeyArn=key,
                                          ProvisionedPollerConfig={"MinimumPollers": 2, "MaximumPollers": 10})
    got = lam.get_event_source_mapping(UUID=out["UUID"])
    assert got["MetricsConfig"] == {"Metrics": ["EventCount"]} and got["KMSKeyArn"] == key
    assert got["ProvisionedPollerConfig"] == {"MinimumPollers": 2, "MaximumPollers": 10}
    e = error_of(unchecked_lam.update_event_source_mapping, UUID=out["UUID"],
                 MetricsConfig={"Metrics": ["Everything"]})
    assert code(e) == "ValidationException"
    e = error_of(unchecked_lam.update_event_source_mapping, UUID=out["UUID"],
                 ProvisionedPollerConfig={"MinimumPollers": 1})
    assert code(e) == "ValidationException"
