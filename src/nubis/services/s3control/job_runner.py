"""Running S3 Batch Operations jobs on the scheduler (S3 user guide, "Tracking job status").

A job moves New -> Preparing (the manifest is read, or generated from a
bucket listing, into task rows) -> Ready, or Suspended when it needs
confirmation -> Active (tasks run, ``BATCH`` per tick of ``TICK`` clock
seconds) -> Complete, writing its completion report; Cancelling -> Cancelled
and Failing -> Failed end the same way. Each task is the job's operation on
one object, through S3's (or Lambda's) own operation via the internal client.
"""
from __future__ import annotations

import csv
import datetime as _dt
import gzip
import hashlib
import io
import json
import logging
import uuid
from urllib.parse import quote, quote_plus, unquote_plus

from ...protocol.errors import ServiceError
from ...runtime.bodies import read_all
from .job_store import TERMINAL, Job

log = logging.getLogger("nubis.s3control")

PRINCIPAL = "batchoperations.s3.amazonaws.com"
KIND = "s3control:job"
EXPIRE_KIND = "s3control:job-expire"
PREPARE_DELAY = 1.0
TICK = 1.0
BATCH = 100
# The job fails once at least this many tasks ran and more than half of them failed
# (S3 user guide, "Tracking job failures").
FAILURE_THRESHOLD_TASKS = 1000
TEMPORARY_ATTEMPTS = 3
EXPIRY = 90 * 86400  # a job in a terminal state is kept 90 days
REPORT_SCHEMA = "Bucket, Key, VersionId, TaskStatus, ErrorCode, HTTPStatusCode, ResultMessage"


class JobFailure(Exception):
    def __init__(self, code: str, reason: str):
        super().__init__(reason)
        self.code, self.reason = code, reason[:256]


def bucket_of(arn: str) -> str:
    """The bucket of ``arn:aws:s3:::bucket``."""
    return arn.split(":::", 1)[1] if ":::" in arn else arn.rsplit(":", 1)[-1]


def _when(value) -> float | None:
    return value.timestamp() if isinstance(value, _dt.datetime) else None


class JobRunner:
    """The scheduler's side of the Batch Operations mixin."""

    def _register_job_timers(self) -> None:
        self.scheduler.on(KIND, self._job_tick)
        self.scheduler.on(EXPIRE_KIND, self._job_expire)
        # A tick's timer is gone once it fires: a job whose tick was cut short by a
        # crash has none, and takes up again from its task rows.
        pending = {t["timer_key"] for t in self.scheduler.pending(KIND)}
        for account, job_id in self.jobs.unfinished():
            if f"{account}/{job_id}" not in pending:
                self.scheduler.after(TICK, KIND, {"account": account, "id": job_id}, key=f"{account}/{job_id}")

    def _schedule(self, job: Job, delay: float) -> None:
        self.scheduler.after(delay, KIND, {"account": job.account, "id": job.id}, key=f"{job.account}/{job.id}")

    def _unschedule(self, job: Job) -> None:
        self.scheduler.cancel(KIND, f"{job.account}/{job.id}")

    def _terminate(self, job: Job, status: str, **fields) -> None:
        now = self.clock.now()
        if job.active_since is not None and job.active_until is None:
            fields["active_until"] = now
        self.jobs.update(job, status=status, terminated=now, **fields)
        self.scheduler.at(now + EXPIRY, EXPIRE_KIND, {"account": job.account, "id": job.id},
                          key=f"{job.account}/{job.id}")

    async def _s3(self, job: Job, operation: str, params: dict) -> dict:
        return await self.internal.call("s3", operation, params, account=job.account, region=job.region,
                                        principal=PRINCIPAL)

    def _job_expire(self, payload: dict) -> None:
        job = self.jobs.get(payload["account"], payload["id"])
        if job is not None and job.status in TERMINAL:
            with self.db.transaction():
                self.jobs.delete(job.account, job.id)

    async def _job_tick(self, payload: dict) -> None:
        job = self.jobs.get(payload["account"], payload["id"])
        if job is None or job.status in TERMINAL or job.status == "Suspended":
            return
        if job.status in ("New", "Preparing"):
            await self._prepare(job)
        elif job.status == "Ready":
            self.jobs.update(job, status="Active", active_since=self.clock.now())
            await self._run_batch(job)
        elif job.status == "Active":
            await self._run_batch(job)
        elif job.status in ("Cancelling", "Failing"):
            await self._finish(job)

    # -- preparing --------------------------------------------------------------------------

    async def _prepare(self, job: Job) -> None:
        self.jobs.update(job, status="Preparing")
        try:
            if job.request.get("Manifest"):
                tasks = await self._read_manifest(job, job.request["Manifest"])
            else:
                tasks = await self._generate_manifest(job)
            report = job.request["Report"]
            if report.get("Enabled"):
                try:
                    await self._s3(job, "HeadBucket", {"Bucket": bucket_of(report["Bucket"])})
                except ServiceError as e:
                    raise JobFailure(e.code, f"Reading the report bucket failed: {e.message}") from None
        except JobFailure as f:
            with self.db.transaction():
                self._terminate(job, "Failed", failures=[{"FailureCode": f.code, "FailureReason": f.reason}])
            return
        except Exception:
            log.exception("preparing job %s", job.id)
            with self.db.transaction():
                self._terminate(job, "Failed", failures=[{"FailureCode": "InternalError",
                                                          "FailureReason": "The job could not be prepared."}])
            return
        current = self.jobs.get(job.account, job.id)
        if current is None or current.status != "Preparing":  # cancelled while the manifest was read
            return
        with self.db.transaction():
            self.jobs.add_tasks(job, tasks)
            if job.confirmation:
                self.jobs.update(job, total=len(tasks), status="Suspended", suspended=self.clock.now(),
                                 suspended_cause="AwaitingConfirmation")
            else:
                self.jobs.update(job, total=len(tasks), status="Ready")
                self._schedule(job, TICK)

    async def _read_manifest(self, job: Job, manifest: dict) -> list[tuple[str, str, str | None]]:
        location = manifest["Location"]
        arn = location["ObjectArn"]
        bucket, _, key = bucket_of(arn).partition("/")
        params = {"Bucket": bucket, "Key": key}
        if location.get("ObjectVersionId"):
            params["VersionId"] = location["ObjectVersionId"]
        try:
            out = await self._s3(job, "GetObject", params)
            body = await read_all(out.get("Body"))
        except ServiceError as e:
            raise JobFailure(e.code, f"Reading the manifest failed: {e.message}") from None
        if out.get("ETag", "").strip('"') != location["ETag"].strip('"'):
            raise JobFailure("ManifestETagMismatch", "The ETag of the manifest object does not match the ETag "
                             "given in the request.")
        spec = manifest["Spec"]
        if spec["Format"] == "S3InventoryReport_CSV_20161130":
            return await self._read_inventory(job, body, bucket)
        fields = spec.get("Fields") or []
        return _csv_tasks(body, fields)

    async def _read_inventory(self, job: Job, body: bytes, bucket: str) -> list:
        """An S3 Inventory report's manifest.json: its CSV (gzip) files, columns by ``fileSchema``."""
        try:
            doc = json.loads(body)
            columns = [c.strip() for c in doc["fileSchema"].split(",")]
            files = [f["key"] for f in doc["files"]]
        except (ValueError, KeyError, TypeError, AttributeError):
            raise JobFailure("InvalidManifestContent", "The inventory manifest.json could not be read.") from None
        tasks: list = []
        for key in files:
            try:
                out = await self._s3(job, "GetObject", {"Bucket": bucket, "Key": key})
                data = await read_all(out.get("Body"))
                data = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
            except (ServiceError, OSError) as e:
                raise JobFailure("InvalidManifestContent", f"Reading the inventory file {key} failed: {e}") from None
            fields = [{"Bucket": "Bucket", "Key": "Key", "VersionId": "VersionId"}.get(c, "Ignore") for c in columns]
            tasks += _csv_tasks(data, fields)
        return tasks

    async def _generate_manifest(self, job: Job) -> list:
        """S3JobManifestGenerator: the source bucket's objects that pass the filter, and, when
        asked for, the list written as an S3InventoryReport_CSV_20211130 manifest."""
        gen = job.request["ManifestGenerator"]["S3JobManifestGenerator"]
        bucket = bucket_of(gen["SourceBucket"])
        flt = gen.get("Filter") or {}
        names = flt.get("KeyNameConstraint") or {}
        after, before = _when(flt.get("CreatedAfter")), _when(flt.get("CreatedBefore"))
        classes = set(flt.get("MatchAnyStorageClass") or [])
        tasks: list = []
        params: dict = {"Bucket": bucket}
        while True:
            try:
                out = await self._s3(job, "ListObjectsV2", params)
            except ServiceError as e:
                raise JobFailure(e.code, f"Listing the source bucket failed: {e.message}") from None
            for o in out.get("Contents") or []:
                key, size, made = o["Key"], o.get("Size", 0), _when(o.get("LastModified"))
                if names.get("MatchAnyPrefix") and not any(key.startswith(p) for p in names["MatchAnyPrefix"]):
                    continue
                if names.get("MatchAnySuffix") and not any(key.endswith(s) for s in names["MatchAnySuffix"]):
                    continue
                if names.get("MatchAnySubstring") and not any(s in key for s in names["MatchAnySubstring"]):
                    continue
                if flt.get("ObjectSizeGreaterThanBytes") is not None and not size > flt["ObjectSizeGreaterThanBytes"]:
                    continue
                if flt.get("ObjectSizeLessThanBytes") is not None and not size < flt["ObjectSizeLessThanBytes"]:
                    continue
                if after is not None and made is not None and made < after:
                    continue
                if before is not None and made is not None and made > before:
                    continue
                if classes and (o.get("StorageClass") or "STANDARD") not in classes:
                    continue
                tasks.append((bucket, key, None))
            if not out.get("IsTruncated"):
                break
            params["ContinuationToken"] = out["NextContinuationToken"]
        if gen.get("EnableManifestOutput"):
            await self._write_generated_manifest(job, gen["ManifestOutputLocation"], tasks)
        return tasks

    async def _write_generated_manifest(self, job: Job, location: dict, tasks: list) -> None:
        bucket = bucket_of(location["Bucket"])
        prefix = _prefix(location.get("ManifestPrefix"))
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        for b, k, v in tasks:
            writer.writerow([b, quote_plus(k, safe="/"), v or ""])
        data = gzip.compress(text.getvalue().encode("utf-8"))
        data_key = f"{prefix}job-{job.id}/data/{uuid.uuid4()}.csv.gz"
        doc = {"sourceBucket": bucket_of(job.request["ManifestGenerator"]["S3JobManifestGenerator"]["SourceBucket"]),
               "destinationBucket": location["Bucket"], "version": "2021-11-30",
               "creationTimestamp": str(int(self.clock.now() * 1000)), "fileFormat": "CSV",
               "fileSchema": "Bucket, Key, VersionId",
               "files": [{"key": data_key, "size": len(data), "MD5checksum": hashlib.md5(data).hexdigest()}]}
        manifest_key = f"{prefix}job-{job.id}/manifest.json"
        try:
            await self._s3(job, "PutObject", {"Bucket": bucket, "Key": data_key, "Body": data})
            out = await self._s3(job, "PutObject", {"Bucket": bucket, "Key": manifest_key,
                                                    "Body": json.dumps(doc).encode("utf-8")})
        except ServiceError as e:
            raise JobFailure(e.code, f"Writing the generated manifest failed: {e.message}") from None
        self.jobs.update(job, generated_manifest={
            "Format": "S3InventoryReport_CSV_20211130",
            "Location": {"ObjectArn": f"arn:aws:s3:::{bucket}/{manifest_key}", "ETag": out.get("ETag", "")}})

    # -- running ----------------------------------------------------------------------------

    async def _run_batch(self, job: Job) -> None:
        for task in self.jobs.pending(job, BATCH):
            outcome = await self._run_task(job, task)
            current = self.jobs.get(job.account, job.id)
            if current is None:
                return
            with self.db.transaction():
                if outcome is None:  # a temporary failure: tried again on a later tick
                    self.jobs.retry_task(job, task["seq"])
                    continue
                status, http, code, message = outcome
                self.jobs.finish_task(job, task["seq"], status, http, code, message)
                counter = "succeeded" if status == "succeeded" else "failed"
                self.jobs.update(current, **{counter: getattr(current, counter) + 1})
            job = current
            if job.status != "Active":  # cancelled meanwhile
                break
        job = self.jobs.get(job.account, job.id)
        if job is None:
            return
        ran = job.succeeded + job.failed
        if job.status == "Active" and ran >= FAILURE_THRESHOLD_TASKS and job.failed * 2 > ran:
            self.jobs.update(job, status="Failing", failures=[{
                "FailureCode": "TaskFailureThresholdExceeded",
                "FailureReason": "More than half of the job's tasks failed."}])
        if job.status == "Active" and not self.jobs.pending(job, 1):
            self.jobs.update(job, status="Completing")
        if job.status in ("Completing", "Cancelling", "Failing"):
            await self._finish(job)
        elif job.status == "Active":
            self._schedule(job, TICK)

    async def _run_task(self, job: Job, task) -> tuple[str, str, str, str] | None:
        """(status, HTTP status, error code, result message) of one task, None to try it again."""
        operation = job.request["Operation"]
        name = next(iter(operation))
        bucket, key, version = task["bucket"], task["key"], task["version_id"]
        if name == "LambdaInvoke":
            return await self._invoke(job, operation[name], task)
        target = {"Bucket": bucket, "Key": key}
        if version:
            target["VersionId"] = version
        spec = operation[name] or {}
        try:
            if name == "S3PutObjectTagging":
                await self._s3(job, "PutObjectTagging", {**target, "Tagging": {"TagSet": spec.get("TagSet") or []}})
            elif name == "S3DeleteObjectTagging":
                await self._s3(job, "DeleteObjectTagging", target)
            elif name == "S3PutObjectAcl":
                await self._s3(job, "PutObjectAcl", {**target, **_acl_params(spec)})
            elif name == "S3PutObjectLegalHold":
                await self._s3(job, "PutObjectLegalHold", {**target, "LegalHold": spec["LegalHold"]})
            elif name == "S3PutObjectRetention":
                params = {**target, "Retention": spec["Retention"]}
                if spec.get("BypassGovernanceRetention"):
                    params["BypassGovernanceRetention"] = True
                await self._s3(job, "PutObjectRetention", params)
            elif name == "S3PutObjectCopy":
                await self._s3(job, "CopyObject", _copy_params(spec, bucket, key, version))
        except ServiceError as e:
            return "failed", str(e.status), e.code, e.message
        except Exception:
            log.exception("task %s of job %s", task["seq"], job.id)
            return "failed", "500", "InternalError", "We encountered an internal error. Please try again."
        return "succeeded", "200", "", "Successful"

    async def _invoke(self, job: Job, spec: dict, task) -> tuple[str, str, str, str] | None:
        """One task, one invocation, in the schema version the job asked for
        (S3 user guide, "Invoke AWS Lambda function")."""
        version = spec.get("InvocationSchemaVersion") or "1.0"
        task_id = f"{job.id}-{task['seq']}"
        key = quote_plus(task["key"], safe="/")
        if version == "2.0":
            event = {"invocationSchemaVersion": "2.0", "invocationId": str(uuid.uuid4()),
                     "job": {"id": job.id, "userArguments": spec.get("UserArguments") or {}},
                     "tasks": [{"taskId": task_id, "s3Bucket": task["bucket"], "s3Key": key,
                                "s3VersionId": task["version_id"]}]}
        else:
            event = {"invocationSchemaVersion": "1.0", "invocationId": str(uuid.uuid4()), "job": {"id": job.id},
                     "tasks": [{"taskId": task_id, "s3Key": key, "s3VersionId": task["version_id"],
                                "s3BucketArn": f"arn:aws:s3:::{task['bucket']}"}]}
        try:
            out = await self.internal.call("lambda", "Invoke", {"FunctionName": spec["FunctionArn"],
                                                                "Payload": json.dumps(event).encode("utf-8")},
                                           account=job.account, region=job.region, principal=PRINCIPAL)
        except ServiceError as e:
            return "failed", str(e.status), e.code, e.message
        except Exception:
            log.exception("task %s of job %s", task["seq"], job.id)
            return "failed", "500", "InternalError", "We encountered an internal error. Please try again."
        payload = (await read_all(out.get("Payload"))).decode("utf-8", "replace")
        if out.get("FunctionError"):
            return "failed", "200", "PermanentFailure", f"Lambda returned function error: {payload}"[:1024]
        try:
            doc = json.loads(payload)
        except ValueError:
            doc = None
        results = doc.get("results") if isinstance(doc, dict) else None
        result = next((r for r in results if isinstance(r, dict) and r.get("taskId") == task_id), None) \
            if isinstance(results, list) else None
        if result is None:
            # treatMissingKeysAs says what a task the response leaves out counts as.
            code = doc.get("treatMissingKeysAs") if isinstance(doc, dict) else None
            result = {"resultCode": code or "PermanentFailure",
                      "resultString": "The Lambda function's response has no result for the task."}
        code = result.get("resultCode")
        message = str(result.get("resultString") or "")
        if code == "Succeeded":
            return "succeeded", "200", "", message
        if code == "TemporaryFailure" and task["attempts"] + 1 < TEMPORARY_ATTEMPTS:
            return None
        return "failed", "200", code if code in ("TemporaryFailure", "PermanentFailure") else "PermanentFailure", \
            message

    # -- finishing --------------------------------------------------------------------------

    async def _finish(self, job: Job) -> None:
        ending = {"Completing": "Complete", "Cancelling": "Cancelled", "Failing": "Failed"}[job.status]
        report = job.request["Report"]
        failures = list(job.failures)
        # A report is written when at least one task ran (S3 user guide, "Completion reports").
        if report.get("Enabled") and job.succeeded + job.failed > 0:
            try:
                await self._write_report(job, report)
            except ServiceError as e:
                ending = "Failed"
                failures.append({"FailureCode": e.code, "FailureReason": f"Writing the completion report "
                                 f"failed: {e.message}"[:256]})
        with self.db.transaction():
            self._terminate(job, ending, failures=failures)

    async def _write_report(self, job: Job, report: dict) -> None:
        bucket = bucket_of(report["Bucket"])
        base = f"{_prefix(report.get('Prefix'))}job-{job.id}"
        wanted = ["failed"] if report.get("ReportScope") == "FailedTasksOnly" else ["succeeded", "failed"]
        results = []
        for status in wanted:
            rows = self.jobs.done_tasks(job, status)
            if not rows:
                continue
            text = io.StringIO()
            writer = csv.writer(text, lineterminator="\n")
            for r in rows:
                # The columns as AWS's completion reports fill them: the HTTP status
                # before the error code.
                writer.writerow([r["bucket"], r["key"], r["version_id"] or "", status, r["http_status"] or "",
                                 r["error_code"] or "", r["message"] or ""])
            data = text.getvalue().encode("utf-8")
            key = f"{base}/results/{hashlib.sha1(f'{job.id}/{status}'.encode()).hexdigest()}.csv"
            await self._s3(job, "PutObject", {"Bucket": bucket, "Key": key, "Body": data})
            results.append({"TaskExecutionStatus": status, "Bucket": bucket,
                            "MD5Checksum": hashlib.md5(data).hexdigest(), "Key": key})
        created = _dt.datetime.fromtimestamp(self.clock.now(), _dt.timezone.utc)
        doc = {"Format": "Report_CSV_20180820",
               "ReportCreationDate": created.strftime("%Y-%m-%dT%H:%M:%S.") + f"{created.microsecond // 1000:03d}Z",
               "Results": results, "ReportSchema": REPORT_SCHEMA}
        await self._s3(job, "PutObject", {"Bucket": bucket, "Key": f"{base}/manifest.json",
                                          "Body": json.dumps(doc).encode("utf-8")})


def _prefix(prefix: str | None) -> str:
    return f"{prefix.rstrip('/')}/" if prefix else ""


def _csv_tasks(body: bytes, fields: list[str]) -> list[tuple[str, str, str | None]]:
    """(bucket, key, version) per line of a manifest CSV whose columns are ``fields``; keys
    are URL-encoded in a manifest (S3 user guide, "Specifying a manifest")."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise JobFailure("InvalidManifestContent", "The manifest is not UTF-8 text.") from None
    tasks = []
    for n, row in enumerate(csv.reader(io.StringIO(text)), 1):
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) < len([f for f in fields if f != "Ignore"]) or len(row) > len(fields):
            raise JobFailure("InvalidManifestContent", f"Line {n} of the manifest does not have the columns "
                             f"{', '.join(fields)}.")
        values = dict(zip(fields, row))
        bucket, key = values.get("Bucket", "").strip(), unquote_plus(values.get("Key", ""))
        if not bucket or not key:
            raise JobFailure("InvalidManifestContent", f"Line {n} of the manifest names no bucket or key.")
        tasks.append((bucket, key, values.get("VersionId") or None))
    return tasks


def _acl_params(spec: dict) -> dict:
    policy = spec.get("AccessControlPolicy") or {}
    if policy.get("CannedAccessControlList"):
        return {"ACL": policy["CannedAccessControlList"]}
    acl = policy.get("AccessControlList") or {}
    owner = acl.get("Owner") or {}
    return {"AccessControlPolicy": {"Owner": {k: v for k, v in owner.items() if v},
                                    "Grants": [_grant(g) for g in acl.get("Grants") or []]}}


_GRANTEE_TYPES = {"id": "CanonicalUser", "emailAddress": "AmazonCustomerByEmail", "uri": "Group"}
_GRANTEE_FIELDS = {"id": "ID", "emailAddress": "EmailAddress", "uri": "URI"}


def _grant(g: dict) -> dict:
    grantee = g.get("Grantee") or {}
    kind = grantee.get("TypeIdentifier") or "id"
    out = {"Type": _GRANTEE_TYPES.get(kind, "CanonicalUser"),
           _GRANTEE_FIELDS.get(kind, "ID"): grantee.get("Identifier", "")}
    if grantee.get("DisplayName"):
        out["DisplayName"] = grantee["DisplayName"]
    return {"Grantee": out, "Permission": g.get("Permission")}


_METADATA = {"CacheControl": "CacheControl", "ContentDisposition": "ContentDisposition",
             "ContentEncoding": "ContentEncoding", "ContentLanguage": "ContentLanguage",
             "ContentType": "ContentType", "HttpExpiresDate": "Expires"}


def _copy_params(spec: dict, bucket: str, key: str, version: str | None) -> dict:
    """CopyObject's request for one object of an S3PutObjectCopy job."""
    source = f"{bucket}/{quote(key, safe='/')}" + (f"?versionId={version}" if version else "")
    prefix = spec.get("TargetKeyPrefix")
    target_key = f"{prefix.rstrip('/')}/{key}" if prefix else key
    params: dict = {"Bucket": bucket_of(spec.get("TargetResource") or f"arn:aws:s3:::{bucket}"),
                    "Key": target_key, "CopySource": source}
    directive = spec.get("MetadataDirective")
    meta = spec.get("NewObjectMetadata") or {}
    if directive:
        params["MetadataDirective"] = directive
    if directive == "REPLACE":
        for src, dst in _METADATA.items():
            if meta.get(src) is not None:
                params[dst] = meta[src]
        if meta.get("UserMetadata"):
            params["Metadata"] = dict(meta["UserMetadata"])
    if meta.get("SSEAlgorithm"):
        params["ServerSideEncryption"] = "aws:kms" if meta["SSEAlgorithm"] == "KMS" else "AES256"
    if spec.get("SSEAwsKmsKeyId"):
        params["SSEKMSKeyId"] = spec["SSEAwsKmsKeyId"]
    if spec.get("BucketKeyEnabled") is not None:
        params["BucketKeyEnabled"] = spec["BucketKeyEnabled"]
    if spec.get("StorageClass"):
        params["StorageClass"] = spec["StorageClass"]
    if spec.get("CannedAccessControlList"):
        params["ACL"] = spec["CannedAccessControlList"]
    if spec.get("NewObjectTagging") is not None:
        params["TaggingDirective"] = "REPLACE"
        params["Tagging"] = "&".join(f"{quote(t['Key'], safe='')}={quote(t.get('Value', ''), safe='')}"
                                     for t in spec["NewObjectTagging"])
    if spec.get("RedirectLocation"):
        params["WebsiteRedirectLocation"] = spec["RedirectLocation"]
    if spec.get("ModifiedSinceConstraint"):
        params["CopySourceIfModifiedSince"] = spec["ModifiedSinceConstraint"]
    if spec.get("UnModifiedSinceConstraint"):
        params["CopySourceIfUnmodifiedSince"] = spec["UnModifiedSinceConstraint"]
    for src, dst in (("ObjectLockLegalHoldStatus", "ObjectLockLegalHoldStatus"), ("ObjectLockMode", "ObjectLockMode"),
                     ("ObjectLockRetainUntilDate", "ObjectLockRetainUntilDate"),
                     ("ChecksumAlgorithm", "ChecksumAlgorithm")):
        if spec.get(src) is not None:
            params[dst] = spec[src]
    return params
