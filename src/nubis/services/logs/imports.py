"""Import tasks: CloudTrail Lake event data stores imported into a managed log group
(CreateImportTask, DescribeImportTasks, DescribeImportTaskBatches, CancelImportTask).

CloudTrail Lake is the only source AWS imports from, and nubis runs no CloudTrail Lake: no
event data store exists for a task to read, so CreateImportTask answers as AWS does for a
missing source, and there are never tasks to describe or cancel. A mixin of ``LogsProvider``.
"""
from __future__ import annotations

import re

from ...protocol.errors import ServiceError
from . import validation as v

IMPORT_ID = re.compile(r"[\-a-zA-Z0-9]+")
STATUSES = ("IN_PROGRESS", "CANCELLED", "COMPLETED", "FAILED")
EVENT_DATA_STORE = re.compile(r"arn:aws[\w-]*:cloudtrail:[\w-]+:\d{12}:eventdatastore/[\w-]+")
ROLE = re.compile(r"arn:aws[\w-]*:iam::\d{12}:role/.+")


def _task_not_found(import_id: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", f"Import task {import_id} does not exist.")


def _import_id(params: dict) -> str:
    import_id = v.required(params, "importId")
    v.check_name(import_id, "importId", IMPORT_ID, 1, 256)
    return import_id


def _limit(params: dict, default: int) -> int:
    size = params.get("limit")
    if size is None:
        return default
    if not 1 <= size <= 50:
        raise v.constraint(size, "limit", "Member must have value between 1 and 50")
    return size


class ImportTasks:
    def create_import_task(self, ctx, params: dict) -> dict:
        source = v.text(params, "importSourceArn", 1)
        role = v.text(params, "importRoleArn", 1)
        window = params.get("importFilter") or {}
        start, end = window.get("startEventTime"), window.get("endEventTime")
        for member, value in (("startEventTime", start), ("endEventTime", end)):
            if value is not None and value < 0:
                raise v.bad_value(value, f"importFilter.{member}", "Member must have value greater than or equal to 0")
        if start is not None and end is not None and start > end:
            raise v.invalid("The startEventTime must be less than or equal to the endEventTime.")
        if not ROLE.fullmatch(role):
            raise v.invalid(f"Invalid importRoleArn: {role}")
        if not EVENT_DATA_STORE.fullmatch(source):
            raise v.invalid(f"Invalid importSourceArn: {source}. The source must be a CloudTrail Lake event "
                            "data store.")
        raise ServiceError("ResourceNotFoundException", f"The event data store {source} does not exist.")

    def describe_import_tasks(self, ctx, params: dict) -> dict:
        if params.get("importId") is not None:
            _import_id(params)
        status = params.get("importStatus")
        if status is not None and status not in STATUSES:
            raise v.constraint(status, "importStatus", f"Member must satisfy enum value set: [{', '.join(STATUSES)}]")
        _limit(params, 50)
        if params.get("nextToken") is not None:
            raise v.invalid("The specified nextToken is invalid.")  # no listing ever had a next page
        return {"imports": []}

    def describe_import_task_batches(self, ctx, params: dict) -> dict:
        import_id = _import_id(params)
        for status in params.get("batchImportStatus") or ():
            if status not in STATUSES:
                raise v.constraint(status, "batchImportStatus",
                                   f"Member must satisfy enum value set: [{', '.join(STATUSES)}]")
        _limit(params, 10)
        raise _task_not_found(import_id)

    def cancel_import_task(self, ctx, params: dict) -> dict:
        raise _task_not_found(_import_id(params))
