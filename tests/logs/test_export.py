"""Export tasks write a group's events to S3 as gzipped text, one object per stream."""
import gzip
import time

from .conftest import code, error_of, put


def wait_done(logs, task_id: str) -> dict:
    deadline = time.time() + 30
    while time.time() < deadline:
        [task] = logs.describe_export_tasks(taskId=task_id)["exportTasks"]
        if task["status"]["code"] not in ("PENDING", "RUNNING"):
            return task
        time.sleep(0.1)
    raise AssertionError("the export task did not finish")


def test_export_to_s3(logs, aws_client, now_ms):
    s3 = aws_client("s3")
    s3.create_bucket(Bucket="archive")
    logs.create_log_group(logGroupName="app")
    for name in ("web-1", "web-2", "other"):
        logs.create_log_stream(logGroupName="app", logStreamName=name)
    t = now_ms() // 1000 * 1000 - 10_000
    put(logs, "app", "web-1", [(t, "first"), (t + 1, "second"), (t + 5000, "outside")])
    put(logs, "app", "web-2", [(t + 2, "third")])
    put(logs, "app", "other", [(t + 3, "not exported")])
    task_id = logs.create_export_task(taskName="nightly", logGroupName="app", logStreamNamePrefix="web",
                                      fromTime=t, to=t + 1000, destination="archive",
                                      destinationPrefix="logs/app")["taskId"]
    task = wait_done(logs, task_id)
    assert task["status"]["code"] == "COMPLETED" and task["taskName"] == "nightly"
    assert task["destinationPrefix"] == "logs/app" and "completionTime" in task["executionInfo"]
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="archive")["Contents"]}
    assert keys == {"logs/app/aws-logs-write-test", f"logs/app/{task_id}/web-1/000000.gz",
                    f"logs/app/{task_id}/web-2/000000.gz"}
    body = gzip.decompress(s3.get_object(Bucket="archive", Key=f"logs/app/{task_id}/web-1/000000.gz")["Body"].read())
    lines = body.decode().splitlines()
    assert [line.split(" ", 1)[1] for line in lines] == ["first", "second"]
    assert lines[0].split(" ", 1)[0].endswith("Z") and "T" in lines[0]


def test_export_errors(logs, aws_client):
    logs.create_log_group(logGroupName="app")
    e = error_of(logs.create_export_task, logGroupName="app", fromTime=0, to=1, destination="no-such-bucket")
    assert code(e) == "InvalidParameterException"
    e = error_of(logs.create_export_task, logGroupName="missing", fromTime=0, to=1, destination="bkt")
    assert code(e) == "ResourceNotFoundException"
    aws_client("s3").create_bucket(Bucket="bkt")
    e = error_of(logs.create_export_task, logGroupName="app", fromTime=10, to=1, destination="bkt")
    assert code(e) == "InvalidParameterException"
    task_id = logs.create_export_task(logGroupName="app", fromTime=0, to=1, destination="bkt")["taskId"]
    assert wait_done(logs, task_id)["status"]["code"] == "COMPLETED"
    e = error_of(logs.cancel_export_task, taskId=task_id)
    assert code(e) == "InvalidOperationException"
    assert code(error_of(logs.cancel_export_task, taskId="nope")) == "ResourceNotFoundException"
