"""S3 Batch Operations jobs: they run on the clock, count their tasks and write completion reports."""
from __future__ import annotations

import csv
import gzip
import io
import json
import uuid

import pytest
from botocore.exceptions import ClientError

from .conftest import ACCOUNT

ROLE = f"arn:aws:iam::{ACCOUNT}:role/batch"
REPORT = {"Bucket": "arn:aws:s3:::reports", "Format": "Report_CSV_20180820", "Enabled": True,
          "Prefix": "batch", "ReportScope": "AllTasks"}
NO_REPORT = {"Enabled": False}


def error(exc_info) -> tuple[str, int]:
    e = exc_info.value.response
    return e["Error"]["Code"], e["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture
def data(s3):
    """Buckets ``data`` (objects a.txt, b.txt, dir/c d.txt) and ``reports``."""
    s3.create_bucket(Bucket="data")
    s3.create_bucket(Bucket="reports")
    for key in ("a.txt", "b.txt", "dir/c d.txt"):
        s3.put_object(Bucket="data", Key=key, Body=key.encode())
    return "data"


def manifest(s3, lines: list[str], key: str = "manifest.csv") -> dict:
    etag = s3.put_object(Bucket="reports", Key=key, Body="\n".join(lines).encode())["ETag"]
    return {"Spec": {"Format": "S3BatchOperations_CSV_20180820", "Fields": ["Bucket", "Key"]},
            "Location": {"ObjectArn": f"arn:aws:s3:::reports/{key}", "ETag": etag}}


def create(control, operation: dict, man: dict | None = None, report: dict | None = None, **more) -> str:
    params = dict(AccountId=ACCOUNT, Operation=operation, Report=report or NO_REPORT,
                  ClientRequestToken=str(uuid.uuid4()), Priority=10, RoleArn=ROLE, **more)
    if man is not None:
        params["Manifest"] = man
    return control.create_job(**params)["JobId"]


def describe(control, job_id: str) -> dict:
    return control.describe_job(AccountId=ACCOUNT, JobId=job_id)["Job"]


TAGGING = {"S3PutObjectTagging": {"TagSet": [{"Key": "batch", "Value": "yes"}]}}


def test_a_tagging_job_runs_on_the_clock_and_writes_its_report(nubis, control, s3, data):
    lines = ["data,a.txt", "data,b.txt", "data,dir/c+d.txt", "data,missing.txt"]
    job_id = create(control, TAGGING, manifest(s3, lines), REPORT, Description="tag them")
    job = describe(control, job_id)
    assert job["Status"] == "New" and job["Description"] == "tag them"
    assert job["JobArn"] == f"arn:aws:s3:us-east-1:{ACCOUNT}:job/{job_id}"
    # Nothing happens inside the request.
    assert s3.get_object_tagging(Bucket="data", Key="a.txt")["TagSet"] == []

    nubis.advance(1)
    job = describe(control, job_id)
    assert job["Status"] == "Ready" and job["ProgressSummary"]["TotalNumberOfTasks"] == 4
    nubis.advance(1)
    job = describe(control, job_id)
    assert job["Status"] == "Complete"
    assert job["ProgressSummary"]["NumberOfTasksSucceeded"] == 3
    assert job["ProgressSummary"]["NumberOfTasksFailed"] == 1
    assert "TerminationDate" in job
    for key in ("a.txt", "b.txt", "dir/c d.txt"):
        assert s3.get_object_tagging(Bucket="data", Key=key)["TagSet"] == [{"Key": "batch", "Value": "yes"}]

    top = json.loads(s3.get_object(Bucket="reports", Key=f"batch/job-{job_id}/manifest.json")["Body"].read())
    assert top["Format"] == "Report_CSV_20180820"
    assert top["ReportSchema"] == "Bucket, Key, VersionId, TaskStatus, ErrorCode, HTTPStatusCode, ResultMessage"
    by_status = {r["TaskExecutionStatus"]: r for r in top["Results"]}
    assert set(by_status) == {"succeeded", "failed"}
    rows = {}
    for status, result in by_status.items():
        assert result["Bucket"] == "reports" and result["Key"].startswith(f"batch/job-{job_id}/results/")
        body = s3.get_object(Bucket="reports", Key=result["Key"])["Body"].read()
        rows[status] = list(csv.reader(io.StringIO(body.decode())))
    assert sorted(r[1] for r in rows["succeeded"]) == ["a.txt", "b.txt", "dir/c d.txt"]
    assert all(r[3] == "succeeded" and r[4] == "200" for r in rows["succeeded"])
    [failed] = rows["failed"]
    assert failed[:6] == ["data", "missing.txt", "", "failed", "404", "NoSuchKey"]


def test_progress_is_counted_batch_by_batch(nubis, control, s3, data):
    lines = ["data,a.txt"] * 150
    job_id = create(control, {"S3DeleteObjectTagging": {}}, manifest(s3, lines))
    nubis.advance(2)
    job = describe(control, job_id)
    assert job["Status"] == "Active"
    assert job["ProgressSummary"]["TotalNumberOfTasks"] == 150
    assert job["ProgressSummary"]["NumberOfTasksSucceeded"] == 100
    listed = control.list_jobs(AccountId=ACCOUNT, JobStatuses=["Active"])["Jobs"]
    assert [j["JobId"] for j in listed] == [job_id] and listed[0]["Operation"] == "S3DeleteObjectTagging"
    nubis.advance(1)
    job = describe(control, job_id)
    assert job["Status"] == "Complete" and job["ProgressSummary"]["NumberOfTasksSucceeded"] == 150
    assert job["ProgressSummary"]["Timers"]["ElapsedTimeInActiveSeconds"] == 1


def test_a_job_that_needs_confirmation_waits_suspended(nubis, control, s3, data):
    job_id = create(control, TAGGING, manifest(s3, ["data,a.txt"]), ConfirmationRequired=True)
    nubis.advance(5)
    job = describe(control, job_id)
    assert job["Status"] == "Suspended" and job["SuspendedCause"] and "SuspendedDate" in job
    assert s3.get_object_tagging(Bucket="data", Key="a.txt")["TagSet"] == []
    out = control.update_job_status(AccountId=ACCOUNT, JobId=job_id, RequestedJobStatus="Ready",
                                    StatusUpdateReason="looks right")
    assert out["Status"] == "Ready" and out["StatusUpdateReason"] == "looks right"
    nubis.advance(1)
    assert describe(control, job_id)["Status"] == "Complete"
    assert s3.get_object_tagging(Bucket="data", Key="a.txt")["TagSet"] == [{"Key": "batch", "Value": "yes"}]
    with pytest.raises(ClientError) as e:
        control.update_job_status(AccountId=ACCOUNT, JobId=job_id, RequestedJobStatus="Cancelled")
    assert error(e)[0] == "JobStatusException"


def test_cancelling_jobs(nubis, control, s3, data):
    waiting = create(control, TAGGING, manifest(s3, ["data,a.txt"]))
    out = control.update_job_status(AccountId=ACCOUNT, JobId=waiting, RequestedJobStatus="Cancelled")
    assert out["Status"] == "Cancelled"
    with pytest.raises(ClientError) as e:
        control.update_job_status(AccountId=ACCOUNT, JobId=waiting, RequestedJobStatus="Ready")
    assert error(e)[0] == "JobStatusException"

    running = create(control, {"S3DeleteObjectTagging": {}}, manifest(s3, ["data,b.txt"] * 250, "big.csv"), REPORT)
    nubis.advance(2)
    assert describe(control, running)["Status"] == "Active"
    assert control.update_job_status(AccountId=ACCOUNT, JobId=running,
                                     RequestedJobStatus="Cancelled")["Status"] == "Cancelling"
    nubis.advance(5)
    job = describe(control, running)
    assert job["Status"] == "Cancelled" and job["ProgressSummary"]["NumberOfTasksSucceeded"] == 100
    # The tasks that ran are reported.
    top = json.loads(s3.get_object(Bucket="reports", Key=f"batch/job-{running}/manifest.json")["Body"].read())
    assert [r["TaskExecutionStatus"] for r in top["Results"]] == ["succeeded"]
    # Nothing ran for the job cancelled before it started.
    assert describe(control, waiting)["ProgressSummary"]["NumberOfTasksSucceeded"] == 0
    assert s3.get_object_tagging(Bucket="data", Key="a.txt")["TagSet"] == []


def test_a_manifest_whose_etag_does_not_match_fails_the_job(nubis, control, s3, data):
    man = manifest(s3, ["data,a.txt"])
    man["Location"]["ETag"] = '"0123456789abcdef0123456789abcdef"'
    job_id = create(control, TAGGING, man, REPORT)
    nubis.advance(3)
    job = describe(control, job_id)
    assert job["Status"] == "Failed" and job["FailureReasons"][0]["FailureCode"]
    assert s3.get_object_tagging(Bucket="data", Key="a.txt")["TagSet"] == []
    # No task ran, so there is no report.
    assert s3.list_objects_v2(Bucket="reports", Prefix="batch/").get("KeyCount") == 0

    gone = manifest(s3, ["data,a.txt"], "gone.csv")
    s3.delete_object(Bucket="reports", Key="gone.csv")
    job_id = create(control, TAGGING, gone)
    nubis.advance(3)
    job = describe(control, job_id)
    assert job["Status"] == "Failed" and job["FailureReasons"][0]["FailureCode"] == "NoSuchKey"


def test_copy_job_with_a_generated_manifest(nubis, control, s3, data):
    s3.create_bucket(Bucket="copies")
    generator = {"S3JobManifestGenerator": {
        "SourceBucket": "arn:aws:s3:::data", "EnableManifestOutput": True,
        "ManifestOutputLocation": {"Bucket": "arn:aws:s3:::reports", "ManifestPrefix": "generated",
                                   "ManifestFormat": "S3InventoryReport_CSV_20211130"},
        "Filter": {"KeyNameConstraint": {"MatchAnySuffix": [".txt"], "MatchAnyPrefix": ["a", "dir/"]}}}}
    copy = {"S3PutObjectCopy": {"TargetResource": "arn:aws:s3:::copies", "TargetKeyPrefix": "backup",
                                "MetadataDirective": "REPLACE",
                                "NewObjectMetadata": {"ContentType": "text/plain", "UserMetadata": {"by": "batch"}},
                                "NewObjectTagging": [{"Key": "copied", "Value": "1"}]}}
    job_id = create(control, copy, None, ManifestGenerator=generator)
    nubis.advance(2)
    job = describe(control, job_id)
    assert job["Status"] == "Complete" and job["ProgressSummary"]["NumberOfTasksSucceeded"] == 2
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="copies")["Contents"])
    assert keys == ["backup/a.txt", "backup/dir/c d.txt"]
    head = s3.head_object(Bucket="copies", Key="backup/a.txt")
    assert head["ContentType"] == "text/plain" and head["Metadata"] == {"by": "batch"}
    assert s3.get_object(Bucket="copies", Key="backup/a.txt")["Body"].read() == b"a.txt"
    assert s3.get_object_tagging(Bucket="copies", Key="backup/a.txt")["TagSet"] == [{"Key": "copied", "Value": "1"}]

    descriptor = job["GeneratedManifestDescriptor"]
    assert descriptor["Format"] == "S3InventoryReport_CSV_20211130"
    key = descriptor["Location"]["ObjectArn"].split(":::reports/", 1)[1]
    assert key == f"generated/job-{job_id}/manifest.json"
    doc = json.loads(s3.get_object(Bucket="reports", Key=key)["Body"].read())
    data_file = s3.get_object(Bucket="reports", Key=doc["files"][0]["key"])["Body"].read()
    rows = list(csv.reader(io.StringIO(gzip.decompress(data_file).decode())))
    assert sorted(r[1] for r in rows) == ["a.txt", "dir/c+d.txt"]


def test_acl_job(nubis, control, s3, data):
    # A new bucket has ACLs disabled: the task fails as PutObjectAcl would.
    first = create(control, {"S3PutObjectAcl": {"AccessControlPolicy": {"CannedAccessControlList": "public-read"}}},
                   manifest(s3, ["data,a.txt"], "first.csv"))
    nubis.advance(2)
    assert describe(control, first)["ProgressSummary"]["NumberOfTasksFailed"] == 1
    s3.put_bucket_ownership_controls(Bucket="data", OwnershipControls={"Rules": [
        {"ObjectOwnership": "BucketOwnerPreferred"}]})
    s3.delete_public_access_block(Bucket="data")
    job_id = create(control, {"S3PutObjectAcl": {"AccessControlPolicy": {"CannedAccessControlList": "public-read"}}},
                    manifest(s3, ["data,a.txt"]))
    nubis.advance(2)
    assert describe(control, job_id)["Status"] == "Complete"
    grants = s3.get_object_acl(Bucket="data", Key="a.txt")["Grants"]
    assert any(g["Grantee"].get("URI", "").endswith("/global/AllUsers") and g["Permission"] == "READ"
               for g in grants)


def test_create_job_validation_and_idempotency(control, s3, data):
    man = manifest(s3, ["data,a.txt"])
    token = "same-token"
    params = dict(AccountId=ACCOUNT, Operation=TAGGING, Report=NO_REPORT, ClientRequestToken=token, Priority=1,
                  RoleArn=ROLE, Manifest=man)
    first = control.create_job(**params)["JobId"]
    assert control.create_job(**params)["JobId"] == first
    with pytest.raises(ClientError) as e:
        control.create_job(**{**params, "Priority": 2})
    assert error(e)[0] == "IdempotencyException"

    bad = [
        {"Operation": {}},
        {"Operation": {**TAGGING, "S3DeleteObjectTagging": {}}},
        {"Report": {"Enabled": True}},
        {"RoleArn": "arn:aws:iam::123456789012:user/bob"},
        {"Manifest": {**man, "Spec": {"Format": "S3BatchOperations_CSV_20180820", "Fields": ["Key"]}}},
        {"ManifestGenerator": {"S3JobManifestGenerator": {"SourceBucket": "arn:aws:s3:::data",
                                                          "EnableManifestOutput": False}}},
    ]
    for change in bad:
        with pytest.raises(ClientError) as e:
            control.create_job(**{**params, "ClientRequestToken": str(uuid.uuid4()), **change})
        assert error(e) == ("BadRequestException", 400), change


def test_priority_tags_listing_and_unknown_jobs(nubis, control, s3, data):
    first = create(control, TAGGING, manifest(s3, ["data,a.txt"]), Tags=[{"Key": "team", "Value": "x"}])
    nubis.advance(10)
    second = create(control, TAGGING, manifest(s3, ["data,b.txt"]), ConfirmationRequired=True)
    out = control.update_job_priority(AccountId=ACCOUNT, JobId=second, Priority=99)
    assert (out["JobId"], out["Priority"]) == (second, 99)
    assert describe(control, second)["Priority"] == 99

    assert control.get_job_tagging(AccountId=ACCOUNT, JobId=first)["Tags"] == [{"Key": "team", "Value": "x"}]
    control.put_job_tagging(AccountId=ACCOUNT, JobId=first, Tags=[{"Key": "a", "Value": "1"}])
    assert control.get_job_tagging(AccountId=ACCOUNT, JobId=first)["Tags"] == [{"Key": "a", "Value": "1"}]
    control.delete_job_tagging(AccountId=ACCOUNT, JobId=first)
    assert control.get_job_tagging(AccountId=ACCOUNT, JobId=first).get("Tags", []) == []
    with pytest.raises(ClientError) as e:
        control.put_job_tagging(AccountId=ACCOUNT, JobId=first,
                                Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)])
    assert error(e)[0] == "TooManyTagsException"

    jobs = control.list_jobs(AccountId=ACCOUNT)["Jobs"]
    assert [j["JobId"] for j in jobs] == [second, first]  # newest first
    page = control.list_jobs(AccountId=ACCOUNT, MaxResults=1)
    assert [j["JobId"] for j in page["Jobs"]] == [second]
    rest = control.list_jobs(AccountId=ACCOUNT, MaxResults=1, NextToken=page["NextToken"])
    assert [j["JobId"] for j in rest["Jobs"]] == [first] and "NextToken" not in rest
    assert [j["JobId"] for j in control.list_jobs(AccountId=ACCOUNT, JobStatuses=["Complete"])["Jobs"]] == [first]

    for call in (lambda: describe(control, "00000000-0000-0000-0000-000000000000"),
                 lambda: control.get_job_tagging(AccountId=ACCOUNT, JobId="nosuchjob"),
                 lambda: control.update_job_status(AccountId=ACCOUNT, JobId="nosuchjob",
                                                   RequestedJobStatus="Cancelled")):
        with pytest.raises(ClientError) as e:
            call()
        assert error(e) == ("NotFoundException", 404)


def test_finished_jobs_expire_after_90_days(nubis, control, s3, data):
    job_id = create(control, TAGGING, manifest(s3, ["data,a.txt"]))
    nubis.advance(2)
    assert describe(control, job_id)["Status"] == "Complete"
    nubis.advance(89 * 86400)
    assert describe(control, job_id)["Status"] == "Complete"
    nubis.advance(86400)
    with pytest.raises(ClientError) as e:
        describe(control, job_id)
    assert error(e)[0] == "NotFoundException"


LAMBDA_CODE = '''
import json
from urllib.parse import unquote_plus

def handler(event, context):
    task = event["tasks"][0]
    key = unquote_plus(task["s3Key"])
    code = "PermanentFailure" if key.startswith("bad") else "Succeeded"
    return {"invocationSchemaVersion": event["invocationSchemaVersion"], "treatMissingKeysAs": "PermanentFailure",
            "invocationId": event["invocationId"],
            "results": [{"taskId": task["taskId"], "resultCode": code,
                         "resultString": json.dumps([task.get("s3Bucket") or task.get("s3BucketArn"), key,
                                                     event["job"].get("userArguments")])}]}
'''


def test_lambda_invoke_job(nubis, make_client, control, s3, data):
    import zipfile
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", LAMBDA_CODE)
    lam = make_client("lambda")
    arn = lam.create_function(FunctionName="batch-fn", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                              Code={"ZipFile": buf.getvalue()})["FunctionArn"]
    operation = {"LambdaInvoke": {"FunctionArn": arn, "InvocationSchemaVersion": "2.0",
                                  "UserArguments": {"mode": "check"}}}
    job_id = create(control, operation, manifest(s3, ["data,dir/c+d.txt", "data,bad.txt"]), REPORT)
    nubis.advance(2)
    job = describe(control, job_id)
    assert job["Status"] == "Complete", job
    assert (job["ProgressSummary"]["NumberOfTasksSucceeded"], job["ProgressSummary"]["NumberOfTasksFailed"]) == (1, 1)
    top = json.loads(s3.get_object(Bucket="reports", Key=f"batch/job-{job_id}/manifest.json")["Body"].read())
    rows = {}
    for result in top["Results"]:
        body = s3.get_object(Bucket="reports", Key=result["Key"])["Body"].read().decode()
        rows[result["TaskExecutionStatus"]] = list(csv.reader(io.StringIO(body)))
    assert json.loads(rows["succeeded"][0][6]) == ["data", "dir/c d.txt", {"mode": "check"}]
    assert rows["failed"][0][:6] == ["data", "bad.txt", "", "failed", "200", "PermanentFailure"]


def test_a_job_fails_when_most_of_its_first_thousand_tasks_fail(nubis, control, s3, data):
    lines = ["data,a.txt"] * 400 + ["data,missing.txt"] * 700
    job_id = create(control, TAGGING, manifest(s3, lines), {**REPORT, "ReportScope": "FailedTasksOnly"})
    nubis.advance(10)
    job = describe(control, job_id)
    assert job["Status"] == "Active" and job["ProgressSummary"]["NumberOfTasksFailed"] == 500
    nubis.advance(1)  # 1000 tasks ran, 600 of them failed
    job = describe(control, job_id)
    assert job["Status"] == "Failed"
    assert job["FailureReasons"][0]["FailureCode"] == "TaskFailureThresholdExceeded"
    assert job["ProgressSummary"]["NumberOfTasksSucceeded"] + job["ProgressSummary"]["NumberOfTasksFailed"] == 1000
    top = json.loads(s3.get_object(Bucket="reports", Key=f"batch/job-{job_id}/manifest.json")["Body"].read())
    [result] = top["Results"]  # only the failed tasks are reported
    assert result["TaskExecutionStatus"] == "failed"
    body = s3.get_object(Bucket="reports", Key=result["Key"])["Body"].read().decode()
    assert len(body.splitlines()) == 600


def test_an_inventory_report_as_the_manifest(nubis, control, s3, data):
    rows = '"data","a.txt","123"\n"data","dir/c+d.txt","9"\n'
    s3.put_object(Bucket="reports", Key="inventory/data/part-0.csv.gz", Body=gzip.compress(rows.encode()))
    doc = {"sourceBucket": "data", "destinationBucket": "arn:aws:s3:::reports", "fileFormat": "CSV",
           "fileSchema": "Bucket, Key, Size", "files": [{"key": "inventory/data/part-0.csv.gz"}]}
    etag = s3.put_object(Bucket="reports", Key="inventory/manifest.json", Body=json.dumps(doc).encode())["ETag"]
    man = {"Spec": {"Format": "S3InventoryReport_CSV_20161130"},
           "Location": {"ObjectArn": "arn:aws:s3:::reports/inventory/manifest.json", "ETag": etag}}
    job_id = create(control, TAGGING, man)
    nubis.advance(2)
    job = describe(control, job_id)
    assert job["Status"] == "Complete" and job["ProgressSummary"]["NumberOfTasksSucceeded"] == 2
    assert s3.get_object_tagging(Bucket="data", Key="dir/c d.txt")["TagSet"] == [{"Key": "batch", "Value": "yes"}]
    assert s3.get_object_tagging(Bucket="data", Key="b.txt")["TagSet"] == []
