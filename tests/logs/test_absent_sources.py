"""What reads from services nubis does not run answers as AWS does for a missing source: import
tasks (CloudTrail Lake), S3 Table integrations (S3 Tables), large log objects (OpenTelemetry ingestion)."""
from __future__ import annotations

from botocore.config import Config

from .conftest import code, error_of

STORE = "arn:aws:cloudtrail:us-east-1:000000000000:eventdatastore/f1d45bff-d0e3-4868-b5d9-2eb678aa32fb"
ROLE = "arn:aws:iam::000000000000:role/importer"
INTEGRATION = "arn:aws:observabilityadmin:us-east-1:000000000000:s3tableintegration/abc123"


def test_an_import_from_a_missing_event_data_store(logs):
    assert code(error_of(logs.create_import_task, importSourceArn=STORE, importRoleArn=ROLE)) == \
        "ResourceNotFoundException"
    e = error_of(logs.create_import_task, importSourceArn="arn:aws:s3:::bucket", importRoleArn=ROLE)
    assert code(e) == "InvalidParameterException"
    e = error_of(logs.create_import_task, importSourceArn=STORE, importRoleArn=ROLE,
                 importFilter={"startEventTime": 10, "endEventTime": 5})
    assert code(e) == "InvalidParameterException"
    e = error_of(logs.create_import_task, importSourceArn=STORE, importRoleArn="not-a-role")
    assert code(e) == "InvalidParameterException"


def test_no_import_tasks_to_describe_or_cancel(logs):
    assert logs.describe_import_tasks()["imports"] == []
    assert logs.describe_import_tasks(importStatus="IN_PROGRESS", limit=5)["imports"] == []
    assert code(error_of(logs.describe_import_tasks, importStatus="DONE")) == "InvalidParameterException"
    assert code(error_of(logs.describe_import_task_batches, importId="abc-123")) == "ResourceNotFoundException"
    assert code(error_of(logs.cancel_import_task, importId="abc-123")) == "ResourceNotFoundException"
    assert code(error_of(logs.cancel_import_task, importId="bad id!")) == "InvalidParameterException"


def test_s3_table_integrations_do_not_exist(logs):
    e = error_of(logs.associate_source_to_s3_table_integration, integrationArn=INTEGRATION,
                 dataSource={"name": "amazon_vpc", "type": "flow"})
    assert code(e) == "ResourceNotFoundException"
    assert code(error_of(logs.list_sources_for_s3_table_integration, integrationArn=INTEGRATION)) == \
        "ResourceNotFoundException"
    assert code(error_of(logs.disassociate_source_from_s3_table_integration, identifier="assoc-1")) == \
        "ResourceNotFoundException"
    e = error_of(logs.associate_source_to_s3_table_integration, integrationArn="nope", dataSource={"name": "x"})
    assert code(e) == "ValidationException"
    e = error_of(logs.list_sources_for_s3_table_integration, integrationArn=INTEGRATION, maxResults=101)
    assert code(e) == "ValidationException"


def test_no_large_log_object_is_stored(aws_client):
    # GetLogObject's "stream-" host prefix names no local host.
    logs = aws_client("logs", config=Config(retries={"max_attempts": 1}, inject_host_prefix=False))
    e = error_of(logs.get_log_object, logObjectPointer="@ptr.$['input']['message']")
    assert code(e) == "ResourceNotFoundException"
