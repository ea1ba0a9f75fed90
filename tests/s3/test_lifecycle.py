"""S3 Lifecycle rules acting on the controllable clock: expiration (days, date),
delete markers, noncurrent versions, multipart aborts, filters, transitions,
the x-amz-expiration / x-amz-abort-date answers, and the daily evaluation
surviving a restart."""
from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from botocore.exceptions import ClientError

DAY = 86400


@pytest.fixture(autouse=True)
def noon(nubis):
    """A frozen clock standing at noon UTC, so that "the day before" is unambiguous."""
    now = nubis.freeze()
    nubis.advance((now // DAY) * DAY + DAY + DAY / 2 - now)
    return nubis.clock()


def midnight(t: float, days: int = 0) -> float:
    """The midnight UTC ``days`` after the one following ``t``."""
    return (t // DAY + 1 + days) * DAY


def advance_to(nubis, t: float) -> None:
    nubis.advance(t - nubis.clock())


def http_date(t: float) -> str:
    return dt.datetime.fromtimestamp(t, tz=dt.timezone.utc).strftime("%a, %d %b %Y %H:%M:%S GMT")


def keys(s3, bucket: str) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


def versions(s3, bucket: str) -> list[tuple]:
    r = s3.list_object_versions(Bucket=bucket)
    out = [(v["Key"], v["VersionId"], v["IsLatest"], "version") for v in r.get("Versions", [])]
    out += [(m["Key"], m["VersionId"], m["IsLatest"], "marker") for m in r.get("DeleteMarkers", [])]
    return sorted(out)


def lifecycle(s3, bucket: str, *rules, **kwargs) -> None:
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": list(rules)}, **kwargs)


def rule(rid: str = "r", **fields) -> dict:
    out = {"ID": rid, "Status": "Enabled"}
    out.setdefault("Filter", {})
    out.update(fields)
    return out


def versioned(s3, bucket: str, status: str = "Enabled") -> None:
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": status})


# -- Expiration --------------------------------------------------------------------------------

def test_expiration_days_in_an_unversioned_bucket(nubis, s3, bucket, noon):
    lifecycle(s3, bucket, rule("picture-deletion-rule", Filter={"Prefix": "pics/"}, Expiration={"Days": 2}))
    put = s3.put_object(Bucket=bucket, Key="pics/a.jpg", Body=b"a")
    s3.put_object(Bucket=bucket, Key="docs/b.txt", Body=b"b")
    expiry = midnight(noon, 2)  # created + 2 days, rounded up to midnight UTC
    assert put["Expiration"] == f'expiry-date="{http_date(expiry)}", rule-id="picture-deletion-rule"'
    assert s3.head_object(Bucket=bucket, Key="pics/a.jpg")["Expiration"] == put["Expiration"]
    assert "Expiration" not in s3.head_object(Bucket=bucket, Key="docs/b.txt")

    advance_to(nubis, expiry - 1)  # the day before: nothing happens
    assert keys(s3, bucket) == ["docs/b.txt", "pics/a.jpg"]
    assert s3.get_object(Bucket=bucket, Key="pics/a.jpg")["Expiration"] == put["Expiration"]
    nubis.advance(2)
    assert keys(s3, bucket) == ["docs/b.txt"]
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="pics/a.jpg")
    assert e.value.response["Error"]["Code"] == "404"


def test_expiration_date(nubis, s3, bucket, noon):
    date = dt.datetime.fromtimestamp(midnight(noon, 3), tz=dt.timezone.utc)
    lifecycle(s3, bucket, rule("by-date", Expiration={"Date": date}))
    put = s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    assert put["Expiration"] == f'expiry-date="{http_date(date.timestamp())}", rule-id="by-date"'
    advance_to(nubis, date.timestamp() - 1)
    assert keys(s3, bucket) == ["k"]
    nubis.advance(2)
    assert keys(s3, bucket) == []


def test_the_earliest_rule_names_the_expiration(s3, bucket, noon):
    lifecycle(s3, bucket, rule("slow rule", Expiration={"Days": 10}), rule("fast rule", Expiration={"Days": 3}))
    out = s3.put_object(Bucket=bucket, Key="k", Body=b"x")["Expiration"]
    assert out == f'expiry-date="{http_date(midnight(noon, 3))}", rule-id="fast%20rule"'
    copy = s3.copy_object(Bucket=bucket, Key="k2", CopySource=f"{bucket}/k")
    assert copy["Expiration"] == out


def test_complete_multipart_upload_answers_the_expiration(s3, bucket, noon):
    lifecycle(s3, bucket, rule("mpu-expiry", Expiration={"Days": 7}))
    uid = s3.create_multipart_upload(Bucket=bucket, Key="m")["UploadId"]
    etag = s3.upload_part(Bucket=bucket, Key="m", UploadId=uid, PartNumber=1, Body=b"only part")["ETag"]
    done = s3.complete_multipart_upload(Bucket=bucket, Key="m", UploadId=uid,
                                        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
    assert done["Expiration"] == f'expiry-date="{http_date(midnight(noon, 7))}", rule-id="mpu-expiry"'


def test_expiration_in_a_versioned_bucket_adds_a_delete_marker(nubis, s3, bucket, noon):
    versioned(s3, bucket)
    lifecycle(s3, bucket, rule(Expiration={"Days": 1}))
    v1 = s3.put_object(Bucket=bucket, Key="k", Body=b"x")["VersionId"]
    advance_to(nubis, midnight(noon, 1) - 1)
    assert versions(s3, bucket) == [("k", v1, True, "version")]
    nubis.advance(2)
    got = versions(s3, bucket)
    assert ("k", v1, False, "version") in got
    marker = [g for g in got if g[3] == "marker"]
    assert len(marker) == 1 and marker[0][2] is True and marker[0][1] != "null"
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="k")
    assert e.value.response["Error"]["Code"] == "NoSuchKey"
    assert s3.get_object(Bucket=bucket, Key="k", VersionId=v1)["Body"].read() == b"x"
    # The next evaluations leave the marker be: a noncurrent version is still there.
    nubis.advance(5 * DAY)
    assert len(versions(s3, bucket)) == 2


def test_expiration_in_a_suspended_bucket_replaces_the_null_version(nubis, s3, bucket, noon):
    versioned(s3, bucket)
    v1 = s3.put_object(Bucket=bucket, Key="k", Body=b"old")["VersionId"]
    versioned(s3, bucket, "Suspended")
    s3.put_object(Bucket=bucket, Key="k", Body=b"null version")
    lifecycle(s3, bucket, rule(Expiration={"Days": 1}))
    advance_to(nubis, midnight(noon, 1) + 1)
    assert set(versions(s3, bucket)) == {("k", "null", True, "marker"), ("k", v1, False, "version")}


def test_expired_object_delete_markers_are_removed(nubis, s3, bucket, noon):
    versioned(s3, bucket)
    v = s3.put_object(Bucket=bucket, Key="lonely", Body=b"x")["VersionId"]
    s3.delete_object(Bucket=bucket, Key="lonely")
    s3.delete_object(Bucket=bucket, Key="lonely", VersionId=v)  # only the marker is left
    s3.put_object(Bucket=bucket, Key="kept", Body=b"x")
    s3.delete_object(Bucket=bucket, Key="kept")  # a marker over a noncurrent version
    lifecycle(s3, bucket, rule(Expiration={"ExpiredObjectDeleteMarker": True}))
    advance_to(nubis, midnight(noon) - 1)
    assert [g[0] for g in versions(s3, bucket)] == ["kept", "kept", "lonely"]
    nubis.advance(2)
    assert [g[0] for g in versions(s3, bucket)] == ["kept", "kept"]


def test_expiration_days_also_removes_old_expired_delete_markers(nubis, s3, bucket, noon):
    versioned(s3, bucket)
    v = s3.put_object(Bucket=bucket, Key="k", Body=b"x")["VersionId"]
    s3.delete_object(Bucket=bucket, Key="k")
    s3.delete_object(Bucket=bucket, Key="k", VersionId=v)
    lifecycle(s3, bucket, rule(Expiration={"Days": 2}))
    advance_to(nubis, midnight(noon, 2) - 1)
    assert len(versions(s3, bucket)) == 1
    nubis.advance(2)
    assert versions(s3, bucket) == []


# -- noncurrent versions -----------------------------------------------------------------------

def test_noncurrent_version_expiration_keeps_newer_noncurrent_versions(nubis, s3, bucket, noon):
    versioned(s3, bucket)
    lifecycle(s3, bucket, rule(NoncurrentVersionExpiration={"NoncurrentDays": 1, "NewerNoncurrentVersions": 1}))
    v1 = s3.put_object(Bucket=bucket, Key="k", Body=b"1")["VersionId"]
    v2 = s3.put_object(Bucket=bucket, Key="k", Body=b"2")["VersionId"]
    v3 = s3.put_object(Bucket=bucket, Key="k", Body=b"3")["VersionId"]
    advance_to(nubis, midnight(noon, 1) - 1)
    assert len(versions(s3, bucket)) == 3
    nubis.advance(2)
    left = {g[1] for g in versions(s3, bucket)}
    assert left == {v2, v3}
    # v2 is the one newest noncurrent version kept, however long it waits.
    nubis.advance(10 * DAY)
    assert {g[1] for g in versions(s3, bucket)} == {v2, v3}
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"3"
    assert v1 not in left


def test_noncurrent_days_count_from_when_the_version_became_noncurrent(nubis, s3, bucket, noon):
    versioned(s3, bucket)
    lifecycle(s3, bucket, rule(NoncurrentVersionExpiration={"NoncurrentDays": 2}))
    v1 = s3.put_object(Bucket=bucket, Key="k", Body=b"1")["VersionId"]
    nubis.advance(3 * DAY)  # v1 is current all this while
    v2 = s3.put_object(Bucket=bucket, Key="k", Body=b"2")["VersionId"]
    became = nubis.clock()
    advance_to(nubis, midnight(became, 2) - 1)
    assert {g[1] for g in versions(s3, bucket)} == {v1, v2}
    nubis.advance(2)
    assert {g[1] for g in versions(s3, bucket)} == {v2}


# -- multipart uploads -------------------------------------------------------------------------

def test_incomplete_multipart_uploads_are_aborted(nubis, s3, bucket, noon):
    lifecycle(s3, bucket, rule("abort-mpu", Filter={"Prefix": "up/"},
                               AbortIncompleteMultipartUpload={"DaysAfterInitiation": 2}))
    created = s3.create_multipart_upload(Bucket=bucket, Key="up/big")
    uid = created["UploadId"]
    s3.upload_part(Bucket=bucket, Key="up/big", UploadId=uid, PartNumber=1, Body=b"part")
    other = s3.create_multipart_upload(Bucket=bucket, Key="elsewhere")
    assert created["AbortDate"] == dt.datetime.fromtimestamp(midnight(noon, 2), tz=dt.timezone.utc)
    assert created["AbortRuleId"] == "abort-mpu"
    assert "AbortDate" not in other
    parts = s3.list_parts(Bucket=bucket, Key="up/big", UploadId=uid)
    assert parts["AbortDate"] == created["AbortDate"] and parts["AbortRuleId"] == "abort-mpu"

    advance_to(nubis, midnight(noon, 2) - 1)
    assert len(s3.list_multipart_uploads(Bucket=bucket)["Uploads"]) == 2
    nubis.advance(2)
    assert [u["Key"] for u in s3.list_multipart_uploads(Bucket=bucket)["Uploads"]] == ["elsewhere"]
    with pytest.raises(ClientError) as e:
        s3.list_parts(Bucket=bucket, Key="up/big", UploadId=uid)
    assert e.value.response["Error"]["Code"] == "NoSuchUpload"


# -- filters and status ------------------------------------------------------------------------

OBJECTS = [("logs/a", 10, {}), ("logs/b", 1000, {"keep": "no"}), ("data/c", 10, {"keep": "no"}),
           ("data/d", 1000, {"keep": "yes"})]


@pytest.mark.parametrize("fields, expired", [
    ({"Prefix": "logs/", "Filter": None}, {"logs/a", "logs/b"}),  # the legacy top-level Prefix
    ({"Filter": {"Prefix": "data/"}}, {"data/c", "data/d"}),
    ({"Filter": {"Tag": {"Key": "keep", "Value": "no"}}}, {"logs/b", "data/c"}),
    ({"Filter": {"ObjectSizeGreaterThan": 100}}, {"logs/b", "data/d"}),
    ({"Filter": {"ObjectSizeLessThan": 100}}, {"logs/a", "data/c"}),
    ({"Filter": {"And": {"Prefix": "logs/", "Tags": [{"Key": "keep", "Value": "no"}]}}}, {"logs/b"}),
    ({"Filter": {"And": {"ObjectSizeGreaterThan": 5, "ObjectSizeLessThan": 100}}}, {"logs/a", "data/c"}),
    ({"Filter": {}, "Status": "Disabled"}, set()),
], ids=["legacy-prefix", "prefix", "tag", "size-greater", "size-less", "and-prefix-tags", "and-sizes",
        "disabled"])
def test_filters(nubis, s3, bucket, noon, fields, expired):
    r = rule(Expiration={"Days": 1}, **fields)
    if r["Filter"] is None:
        del r["Filter"]
    lifecycle(s3, bucket, r)
    for key, size, tags in OBJECTS:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x" * size,
                      Tagging="&".join(f"{k}={v}" for k, v in tags.items()))
    advance_to(nubis, midnight(noon, 1) + 1)
    assert set(keys(s3, bucket)) == {k for k, _, _ in OBJECTS} - expired


def test_deleting_the_configuration_stops_it(nubis, s3, bucket, noon):
    lifecycle(s3, bucket, rule(Expiration={"Days": 1}))
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    s3.delete_bucket_lifecycle(Bucket=bucket)
    assert "Expiration" not in s3.head_object(Bucket=bucket, Key="k")
    nubis.advance(5 * DAY)
    assert keys(s3, bucket) == ["k"]


def test_a_deleted_bucket_takes_its_schedule_along(nubis, s3, bucket, noon):
    lifecycle(s3, bucket, rule(Expiration={"Days": 1}))
    s3.delete_bucket(Bucket=bucket)
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    nubis.advance(5 * DAY)
    assert keys(s3, bucket) == ["k"]
    with pytest.raises(ClientError) as e:
        s3.get_bucket_lifecycle_configuration(Bucket=bucket)
    assert e.value.response["Error"]["Code"] == "NoSuchLifecycleConfiguration"


# -- transitions -------------------------------------------------------------------------------

def test_transitions_change_the_storage_class(nubis, s3, bucket, noon):
    lifecycle(s3, bucket, rule(Transitions=[{"Days": 30, "StorageClass": "STANDARD_IA"},
                                            {"Days": 60, "StorageClass": "GLACIER"}]))
    s3.put_object(Bucket=bucket, Key="big", Body=b"x" * (128 * 1024))
    s3.put_object(Bucket=bucket, Key="small", Body=b"x")  # under 128 KB: not transitioned by default
    advance_to(nubis, midnight(noon, 30) - 1)
    assert "StorageClass" not in s3.head_object(Bucket=bucket, Key="big")
    nubis.advance(2)
    assert s3.head_object(Bucket=bucket, Key="big")["StorageClass"] == "STANDARD_IA"
    advance_to(nubis, midnight(noon, 60) + 1)
    assert s3.head_object(Bucket=bucket, Key="big")["StorageClass"] == "GLACIER"
    assert "StorageClass" not in s3.head_object(Bucket=bucket, Key="small")
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="big")
    assert e.value.response["Error"]["Code"] == "InvalidObjectState"


def test_small_objects_go_to_glacier_under_varies_by_storage_class(nubis, s3, bucket, noon):
    lifecycle(s3, bucket, rule(Transitions=[{"Days": 1, "StorageClass": "GLACIER"}]),
              TransitionDefaultMinimumObjectSize="varies_by_storage_class")
    s3.put_object(Bucket=bucket, Key="small", Body=b"x")
    advance_to(nubis, midnight(noon, 1) + 1)
    listed = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert listed[0]["StorageClass"] == "GLACIER"


# -- event notifications -----------------------------------------------------------------------

def test_lifecycle_event_notifications(nubis, aws_client, s3, bucket, noon):
    sqs = aws_client("sqs")
    url = sqs.create_queue(QueueName="lifecycle-events")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={"QueueConfigurations": [
        {"Id": "lc", "QueueArn": arn, "Events": ["s3:LifecycleExpiration:*"]}]})
    s3.put_object(Bucket=bucket, Key="plain", Body=b"x")
    versioned(s3, bucket)
    v = s3.put_object(Bucket=bucket, Key="versioned", Body=b"y")["VersionId"]
    lifecycle(s3, bucket, rule(Expiration={"Days": 1}))
    advance_to(nubis, midnight(noon, 1) + 1)

    records, deadline = [], time.monotonic() + 10
    while len(records) < 2 and time.monotonic() < deadline:
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
            body = json.loads(m["Body"])
            records += body.get("Records", [])
    got = {(r["eventName"], r["s3"]["object"]["key"]) for r in records}
    # "plain" was written before versioning: its null version gets a delete marker too.
    assert got == {("LifecycleExpiration:DeleteMarkerCreated", "plain"),
                   ("LifecycleExpiration:DeleteMarkerCreated", "versioned")}
    assert all(r["userIdentity"]["principalId"] == "s3.amazonaws.com" for r in records)
    assert all(r["eventSource"] == "aws:s3" and r["s3"]["configurationId"] == "lc" for r in records)
    assert s3.get_object(Bucket=bucket, Key="versioned", VersionId=v)["Body"].read() == b"y"


def test_transition_event(nubis, aws_client, s3, bucket, noon):
    sqs = aws_client("sqs")
    url = sqs.create_queue(QueueName="lifecycle-transitions")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={"QueueConfigurations": [
        {"QueueArn": arn, "Events": ["s3:LifecycleTransition"]}]})
    s3.put_object(Bucket=bucket, Key="cold", Body=b"x")
    lifecycle(s3, bucket, rule(Transitions=[{"Days": 1, "StorageClass": "DEEP_ARCHIVE"}]),
              TransitionDefaultMinimumObjectSize="varies_by_storage_class")
    advance_to(nubis, midnight(noon, 3))
    records, deadline = [], time.monotonic() + 10
    while not records and time.monotonic() < deadline:
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
            records += json.loads(m["Body"]).get("Records", [])
    # Once: later evaluations find the object already in its class.
    assert [(r["eventName"], r["s3"]["object"]["key"]) for r in records] == [("LifecycleTransition", "cold")]


def test_delete_event_in_an_unversioned_bucket(nubis, aws_client, s3, bucket, noon):
    sqs = aws_client("sqs")
    url = sqs.create_queue(QueueName="lifecycle-deletes")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={"QueueConfigurations": [
        {"QueueArn": arn, "Events": ["s3:LifecycleExpiration:Delete"]}]})
    s3.put_object(Bucket=bucket, Key="gone", Body=b"12345")
    lifecycle(s3, bucket, rule(Expiration={"Days": 1}))
    advance_to(nubis, midnight(noon, 1) + 1)
    records, deadline = [], time.monotonic() + 10
    while not records and time.monotonic() < deadline:
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
            records += json.loads(m["Body"]).get("Records", [])
    assert [(r["eventName"], r["s3"]["object"]["key"], r["s3"]["object"]["size"]) for r in records] == [
        ("LifecycleExpiration:Delete", "gone", 5)]


# -- large buckets, restarts -------------------------------------------------------------------

def test_a_sweep_goes_through_the_bucket_in_batches(nubis, s3, bucket, noon, monkeypatch):
    from nubis.services.s3 import lifecycle as engine
    monkeypatch.setattr(engine, "BATCH", 3)
    versioned(s3, bucket)
    lifecycle(s3, bucket, rule(Filter={"Prefix": "x/"}, Expiration={"Days": 1},
                               NoncurrentVersionExpiration={"NoncurrentDays": 1}),
              rule("mpu", AbortIncompleteMultipartUpload={"DaysAfterInitiation": 1}))
    for i in range(7):
        for _ in range(i % 3 + 1):
            s3.put_object(Bucket=bucket, Key=f"x/{i}", Body=b"v")
    s3.put_object(Bucket=bucket, Key="y/keep", Body=b"v")
    for i in range(5):
        s3.create_multipart_upload(Bucket=bucket, Key=f"u/{i}")
    advance_to(nubis, midnight(noon, 1) + 1)
    # Each x/ key: its current version is now behind a marker; older noncurrent versions are gone.
    got = versions(s3, bucket)
    assert sum(1 for g in got if g[3] == "marker") == 7
    assert keys(s3, bucket) == ["y/keep"]
    assert "Uploads" not in s3.list_multipart_uploads(Bucket=bucket)
    # The ex-current versions became noncurrent at that midnight's evaluation:
    # one day later, rounded up to the next midnight, they go.
    nubis.advance(DAY)
    assert len([g for g in versions(s3, bucket) if g[3] == "version"]) == 8
    nubis.advance(DAY)
    assert [g[0] for g in versions(s3, bucket) if g[3] == "version"] == ["y/keep"]


def test_the_schedule_survives_a_restart(server_process, tmp_path):
    data = str(tmp_path / "data")
    server = server_process("--data-dir", data)
    s3 = server.client("s3")
    s3.create_bucket(Bucket="lifecycle-restart")
    s3.put_bucket_lifecycle_configuration(Bucket="lifecycle-restart", LifecycleConfiguration={"Rules": [
        {"ID": "r", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 1}}]})
    s3.put_object(Bucket="lifecycle-restart", Key="k", Body=b"x" * (100 << 10))
    assert server.terminate() == 0

    server = server_process("--data-dir", data)
    s3 = server.client("s3")
    server.post("/_nubis/clock", {"advance_seconds": 3 * DAY})
    assert "Contents" not in s3.list_objects_v2(Bucket="lifecycle-restart")
