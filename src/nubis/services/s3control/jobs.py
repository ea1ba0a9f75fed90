"""S3 Batch Operations: CreateJob, DescribeJob, ListJobs, UpdateJobPriority,
UpdateJobStatus and a job's tags. ``job_runner.py`` runs the jobs."""
from __future__ import annotations

import datetime as _dt
import hashlib
import re
import uuid

from ...protocol.errors import ServiceError
from ..base import RequestContext
from .job_runner import PREPARE_DELAY, TICK, JobRunner
from .job_store import TERMINAL, Job, dumps

# The operations nubis runs; the others of JobOperation are refused at CreateJob.
RUNS = ("LambdaInvoke", "S3PutObjectCopy", "S3PutObjectAcl", "S3PutObjectTagging", "S3DeleteObjectTagging",
        "S3PutObjectLegalHold", "S3PutObjectRetention")
_ROLE = re.compile(r"^arn:[^:]+:iam::\d{12}:role/.+$")
_BUCKET_ARN = re.compile(r"^arn:[^:]+:s3:::[^/]+$")
_OBJECT_ARN = re.compile(r"^arn:[^:]+:s3:::[^/]+/.+$")
_JOB_ID = re.compile(r"^[a-zA-Z0-9\-_]{5,36}$")
_TOKEN = re.compile(r"^[A-Za-z0-9+:/=?#\-_]+$")
MAX_PRIORITY = 2147483647
MAX_TAGS = 50
MAX_LIST = 1000


def bad_request(message: str) -> ServiceError:
    return ServiceError("BadRequestException", message, 400)


def no_such_job() -> ServiceError:
    return ServiceError("NotFoundException", "The specified job does not exist.", 404)


def _ts(t: float | None) -> _dt.datetime | None:
    return _dt.datetime.fromtimestamp(t, _dt.timezone.utc) if t is not None else None


def _check_job_tags(tags: list) -> list:
    if len(tags) > MAX_TAGS:
        raise ServiceError("TooManyTagsException", f"A job can have at most {MAX_TAGS} tags.", 400)
    keys = [t.get("Key") for t in tags]
    if len(set(keys)) != len(keys):
        raise bad_request("Cannot provide multiple Tags with the same key.")
    for t in tags:
        key, value = t.get("Key") or "", t.get("Value") or ""
        if not 1 <= len(key) <= 128 or len(value) > 256:
            raise bad_request("A tag key must have 1 to 128 characters and a value at most 256.")
        if key.startswith("aws:"):
            raise bad_request("System tags cannot be added/updated by requester.")
    return [{"Key": t["Key"], "Value": t.get("Value") or ""} for t in tags]


def _check_operation(operation: dict) -> str:
    given = [k for k, v in operation.items() if v is not None]
    if len(given) != 1:
        raise bad_request("Exactly one operation must be specified.")
    name = given[0]
    spec = operation[name] or {}
    if name not in RUNS:
        raise ServiceError("NotImplemented", f"nubis does not run S3 Batch Operations jobs of the operation "
                           f"{name} yet.", 501, sender_fault=False)
    if name == "LambdaInvoke":
        if not spec.get("FunctionArn"):
            raise bad_request("LambdaInvoke needs a FunctionArn.")
        if spec.get("InvocationSchemaVersion", "1.0") not in ("1.0", "2.0"):
            raise bad_request("InvocationSchemaVersion must be 1.0 or 2.0.")
        if spec.get("UserArguments") and spec.get("InvocationSchemaVersion") != "2.0":
            raise bad_request("UserArguments need InvocationSchemaVersion 2.0.")
    elif name == "S3PutObjectCopy":
        target = spec.get("TargetResource")
        if not target or not _BUCKET_ARN.match(target):
            raise bad_request("S3PutObjectCopy needs a TargetResource that is a bucket ARN.")
        if spec.get("CannedAccessControlList") and spec.get("AccessControlGrants"):
            raise bad_request("Specify either a canned ACL or access control grants, not both.")
    elif name == "S3PutObjectAcl":
        policy = spec.get("AccessControlPolicy") or {}
        if bool(policy.get("CannedAccessControlList")) == bool(policy.get("AccessControlList")):
            raise bad_request("Specify either a canned ACL or an access control list.")
    elif name == "S3PutObjectTagging":
        _check_job_tags(spec.get("TagSet") or [])
    elif name == "S3PutObjectRetention":
        retention = spec.get("Retention") or {}
        if retention.get("Mode") not in ("COMPLIANCE", "GOVERNANCE") or not retention.get("RetainUntilDate"):
            raise bad_request("S3PutObjectRetention needs a Mode and a RetainUntilDate.")
    elif name == "S3PutObjectLegalHold":
        if ((spec.get("LegalHold") or {}).get("Status")) not in ("ON", "OFF"):
            raise bad_request("S3PutObjectLegalHold needs a Status of ON or OFF.")
    return name


def _check_manifest(params: dict) -> None:
    manifest, generator = params.get("Manifest"), params.get("ManifestGenerator")
    if bool(manifest) == bool(generator):
        raise bad_request("Specify either a Manifest or a ManifestGenerator.")
    if manifest:
        spec, location = manifest.get("Spec") or {}, manifest.get("Location") or {}
        fmt = spec.get("Format")
        if fmt not in ("S3BatchOperations_CSV_20180820", "S3InventoryReport_CSV_20161130"):
            raise bad_request("The manifest format is not valid.")
        fields = spec.get("Fields") or []
        if fmt == "S3BatchOperations_CSV_20180820":
            named = [f for f in fields if f != "Ignore"]
            if named not in (["Bucket", "Key"], ["Bucket", "Key", "VersionId"]):
                raise bad_request("The manifest Fields must be Bucket, Key and optionally VersionId.")
        if not _OBJECT_ARN.match(location.get("ObjectArn") or ""):
            raise bad_request("The manifest ObjectArn must be the ARN of an object.")
        if not location.get("ETag"):
            raise bad_request("The manifest ETag is required.")
    else:
        gen = generator.get("S3JobManifestGenerator")
        if not isinstance(gen, dict):
            raise bad_request("The ManifestGenerator needs an S3JobManifestGenerator.")
        if not _BUCKET_ARN.match(gen.get("SourceBucket") or ""):
            raise bad_request("The SourceBucket must be a bucket ARN.")
        if not isinstance(gen.get("EnableManifestOutput"), bool):
            raise bad_request("EnableManifestOutput is required.")
        out = gen.get("ManifestOutputLocation")
        if gen["EnableManifestOutput"]:
            if not out or not _BUCKET_ARN.match(out.get("Bucket") or ""):
                raise bad_request("A ManifestOutputLocation with a bucket ARN is required when "
                                  "EnableManifestOutput is true.")
            if out.get("ManifestFormat") != "S3InventoryReport_CSV_20211130":
                raise bad_request("The generated manifest format must be S3InventoryReport_CSV_20211130.")
        flt = gen.get("Filter") or {}
        more, less = flt.get("ObjectSizeGreaterThanBytes"), flt.get("ObjectSizeLessThanBytes")
        if any(v is not None and v < 0 for v in (more, less)):
            raise bad_request("Object size filters must not be negative.")


def _check_report(report: dict) -> None:
    if not isinstance(report.get("Enabled"), bool):
        raise bad_request("The report's Enabled is required.")
    if report["Enabled"]:
        if not _BUCKET_ARN.match(report.get("Bucket") or ""):
            raise bad_request("An enabled report needs a Bucket that is a bucket ARN.")
        if report.get("Format") != "Report_CSV_20180820":
            raise bad_request("An enabled report needs the Format Report_CSV_20180820.")
        if report.get("ReportScope") not in (None, "AllTasks", "FailedTasksOnly"):
            raise bad_request("ReportScope must be AllTasks or FailedTasksOnly.")
        prefix = report.get("Prefix")
        if prefix is not None and not 1 <= len(prefix) <= 512:
            raise bad_request("The report Prefix must have 1 to 512 characters.")


class Jobs(JobRunner):
    """The Batch Operations operations of the S3 Control provider."""

    def _job(self, ctx: RequestContext, params: dict) -> Job:
        account = self._account(ctx, params)
        job_id = params["JobId"]
        job = self.jobs.get(account, job_id) if _JOB_ID.match(job_id) else None
        if job is None or job.region != ctx.region:
            raise no_such_job()
        return job

    @staticmethod
    def _progress(job: Job, now: float) -> dict:
        elapsed = 0.0
        if job.active_since is not None:
            elapsed = (job.active_until if job.active_until is not None else now) - job.active_since
        return {"TotalNumberOfTasks": job.total or 0, "NumberOfTasksSucceeded": job.succeeded,
                "NumberOfTasksFailed": job.failed, "Timers": {"ElapsedTimeInActiveSeconds": int(elapsed)}}

    async def create_job(self, ctx: RequestContext, params: dict) -> dict:
        account = self._account(ctx, params)
        token = params["ClientRequestToken"]
        if not 1 <= len(token) <= 64:
            raise bad_request("ClientRequestToken must have 1 to 64 characters.")
        priority = params["Priority"]
        if not isinstance(priority, int) or not 0 <= priority <= MAX_PRIORITY:
            raise bad_request("Priority must be between 0 and 2147483647.")
        if not _ROLE.match(params["RoleArn"]) or len(params["RoleArn"]) > 2048:
            raise bad_request("RoleArn must be the ARN of an IAM role.")
        description = params.get("Description")
        if description is not None and not 1 <= len(description) <= 256:
            raise bad_request("Description must have 1 to 256 characters.")
        _check_operation(params["Operation"])
        _check_manifest(params)
        report = params["Report"]
        _check_report(report)
        tags = _check_job_tags(params.get("Tags") or [])
        request = {k: params[k] for k in ("Operation", "Manifest", "ManifestGenerator", "Report", "RoleArn",
                                          "Description") if params.get(k) is not None}
        fingerprint = hashlib.sha256(dumps([request, priority, bool(params.get("ConfirmationRequired")),
                                            tags]).encode()).hexdigest()
        with self.db.transaction():
            seen = self.jobs.by_token(account, ctx.region, token)
            if seen is not None:
                if seen["fingerprint"] != fingerprint:
                    raise ServiceError("IdempotencyException", "A job with this ClientRequestToken and different "
                                       "parameters already exists.", 409)
                return {"JobId": seen["id"]}
            job = Job(account, str(uuid.uuid4()), ctx.region, self.clock.now(), "New", priority,
                      bool(params.get("ConfirmationRequired")), request, tags=tags)
            self.jobs.add(job, token, fingerprint)
            self._schedule(job, PREPARE_DELAY)
        return {"JobId": job.id}

    def describe_job(self, ctx: RequestContext, params: dict) -> dict:
        job = self._job(ctx, params)
        req = job.request
        out: dict = {"JobId": job.id, "ConfirmationRequired": job.confirmation, "JobArn": job.arn,
                     "Status": job.status, "Operation": req["Operation"], "Priority": job.priority,
                     "ProgressSummary": self._progress(job, self.clock.now()), "Report": req["Report"],
                     "CreationTime": _ts(job.created), "RoleArn": req["RoleArn"]}
        for member in ("Description", "Manifest", "ManifestGenerator"):
            if req.get(member) is not None:
                out[member] = req[member]
        if job.status_reason:
            out["StatusUpdateReason"] = job.status_reason
        if job.failures:
            out["FailureReasons"] = job.failures
        if job.terminated is not None:
            out["TerminationDate"] = _ts(job.terminated)
        if job.suspended is not None:
            out["SuspendedDate"] = _ts(job.suspended)
            out["SuspendedCause"] = job.suspended_cause
        if job.generated_manifest:
            out["GeneratedManifestDescriptor"] = job.generated_manifest
        return {"Job": out}

    def list_jobs(self, ctx: RequestContext, params: dict) -> dict:
        account = self._account(ctx, params)
        statuses = params.get("JobStatuses") or []
        limit = params.get("MaxResults")
        limit = MAX_LIST if not limit else limit
        if not 0 <= limit <= MAX_LIST:
            raise ServiceError("InvalidRequestException", "MaxResults must be between 0 and 1000.", 400)
        before = None
        token = params.get("NextToken")
        if token:
            try:
                before = int(bytes.fromhex(token).decode("ascii"))
            except ValueError:
                raise ServiceError("InvalidNextTokenException", "The NextToken is not valid.", 400) from None
        found = self.jobs.page(account, ctx.region, statuses, before, limit + 1)
        now = self.clock.now()
        out: dict = {"Jobs": []}
        for _, job in found[:limit]:
            entry = {"JobId": job.id, "Operation": next(iter(job.request["Operation"])), "Priority": job.priority,
                     "Status": job.status, "CreationTime": _ts(job.created),
                     "ProgressSummary": self._progress(job, now)}
            if job.request.get("Description"):
                entry["Description"] = job.request["Description"]
            if job.terminated is not None:
                entry["TerminationDate"] = _ts(job.terminated)
            out["Jobs"].append(entry)
        if len(found) > limit:
            out["NextToken"] = str(found[limit - 1][0]).encode("ascii").hex()
        return out

    def update_job_priority(self, ctx: RequestContext, params: dict) -> dict:
        job = self._job(ctx, params)
        priority = params["Priority"]
        if not isinstance(priority, int) or not 0 <= priority <= MAX_PRIORITY:
            raise bad_request("Priority must be between 0 and 2147483647.")
        self.jobs.update(job, priority=priority)
        return {"JobId": job.id, "Priority": priority}

    def update_job_status(self, ctx: RequestContext, params: dict) -> dict:
        job = self._job(ctx, params)
        wanted = params["RequestedJobStatus"]
        reason = params.get("StatusUpdateReason")
        if reason is not None and not 1 <= len(reason) <= 256:
            raise bad_request("StatusUpdateReason must have 1 to 256 characters.")
        if wanted not in ("Cancelled", "Ready"):
            raise bad_request("RequestedJobStatus must be Cancelled or Ready.")
        with self.db.transaction():
            job = self._job(ctx, params)
            if wanted == "Ready":
                # Confirming a job that waits for it (S3 user guide, "Updating job status").
                if job.status != "Suspended":
                    raise ServiceError("JobStatusException", f"The job is {job.status}; only a Suspended job "
                                       "can be made Ready.", 409)
                self.jobs.update(job, status="Ready", status_reason=reason)
                self._schedule(job, TICK)
            else:
                if job.status in TERMINAL or job.status in ("Cancelling", "Completing", "Failing"):
                    raise ServiceError("JobStatusException", f"The job is {job.status} and cannot be "
                                       "cancelled.", 409)
                if job.status == "Active" or job.status in ("Pausing", "Paused"):
                    # The task running now ends first; the next tick writes the report.
                    self.jobs.update(job, status="Cancelling", status_reason=reason)
                    self._schedule(job, TICK)
                else:
                    self._unschedule(job)
                    self.jobs.update(job, status_reason=reason)
                    self._terminate(job, "Cancelled")
        out = {"JobId": job.id, "Status": job.status}
        if reason:
            out["StatusUpdateReason"] = reason
        return out

    # -- tags ------------------------------------------------------------------------------------

    def get_job_tagging(self, ctx: RequestContext, params: dict) -> dict:
        return {"Tags": self._job(ctx, params).tags}

    def put_job_tagging(self, ctx: RequestContext, params: dict) -> dict:
        job = self._job(ctx, params)
        self.jobs.update(job, tags=_check_job_tags(params["Tags"]))
        return {}

    def delete_job_tagging(self, ctx: RequestContext, params: dict) -> dict:
        self.jobs.update(self._job(ctx, params), tags=[])
        return {}
