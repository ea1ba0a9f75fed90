"""S3 Object Lock on object versions: retention (GOVERNANCE, COMPLIANCE) and
legal holds set on write, by the bucket's default retention and by
Put/GetObjectRetention and Put/GetObjectLegalHold; the permanent deletes they
refuse (DeleteObject with a version id, DeleteObjects, lifecycle), the
governance bypass, and retention ending on the controllable clock."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

DAY = 86400
LOCKED = "Access Denied because object protected by object lock."


@pytest.fixture(autouse=True)
def frozen(nubis):
    """The clock stands still between advances, so "one second before the date" holds."""
    return nubis.freeze()


@pytest.fixture
def locked(s3):
    s3.create_bucket(Bucket="locked", ObjectLockEnabledForBucket=True)
    return "locked"


def at(t: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(t, tz=dt.timezone.utc)


def error(call, **kwargs) -> ClientError:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return info.value


def code(e: ClientError) -> tuple[str, int]:
    return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]


def message(e: ClientError) -> str:
    return e.response["Error"]["Message"]


def versions(s3, bucket: str) -> set[str]:
    got = s3.list_object_versions(Bucket=bucket)
    return {v["VersionId"] for v in got.get("Versions", [])}


# -- retention -------------------------------------------------------------------------------

def test_put_and_get_object_retention_on_the_current_version(nubis, s3, locked):
    vid = s3.put_object(Bucket=locked, Key="k", Body=b"data")["VersionId"]
    e = error(s3.get_object_retention, Bucket=locked, Key="k")
    assert code(e) == ("NoSuchObjectLockConfiguration", 404)
    assert message(e) == "The specified object does not have a ObjectLock configuration"
    until = at(nubis.clock() + DAY).replace(microsecond=0)
    s3.put_object_retention(Bucket=locked, Key="k", Retention={"Mode": "GOVERNANCE", "RetainUntilDate": until})
    assert s3.get_object_retention(Bucket=locked, Key="k")["Retention"] == {"Mode": "GOVERNANCE",
                                                                            "RetainUntilDate": until}
    assert s3.get_object_retention(Bucket=locked, Key="k", VersionId=vid)["Retention"]["Mode"] == "GOVERNANCE"
    head = s3.head_object(Bucket=locked, Key="k")
    assert head["ObjectLockMode"] == "GOVERNANCE"
    assert head["ObjectLockRetainUntilDate"] == until
    assert "ObjectLockLegalHoldStatus" not in head
    got = s3.get_object(Bucket=locked, Key="k")
    assert got["ObjectLockMode"] == "GOVERNANCE" and got["ObjectLockRetainUntilDate"] == until


def test_retention_on_an_older_version_by_version_id(nubis, s3, locked):
    v1 = s3.put_object(Bucket=locked, Key="k", Body=b"1")["VersionId"]
    s3.put_object(Bucket=locked, Key="k", Body=b"2")
    until = at(nubis.clock() + DAY).replace(microsecond=0)
    s3.put_object_retention(Bucket=locked, Key="k", VersionId=v1,
                            Retention={"Mode": "COMPLIANCE", "RetainUntilDate": until})
    assert s3.get_object_retention(Bucket=locked, Key="k", VersionId=v1)["Retention"]["Mode"] == "COMPLIANCE"
    assert code(error(s3.get_object_retention, Bucket=locked, Key="k"))[0] == "NoSuchObjectLockConfiguration"
    assert "ObjectLockMode" not in s3.head_object(Bucket=locked, Key="k")


def test_put_object_with_lock_headers_in_both_modes(nubis, s3, locked):
    until = at(nubis.clock() + 2 * DAY).replace(microsecond=0)
    for mode in ("GOVERNANCE", "COMPLIANCE"):
        s3.put_object(Bucket=locked, Key=mode, Body=b"x", ObjectLockMode=mode, ObjectLockRetainUntilDate=until,
                      ObjectLockLegalHoldStatus="OFF")
        head = s3.head_object(Bucket=locked, Key=mode)
        assert (head["ObjectLockMode"], head["ObjectLockRetainUntilDate"]) == (mode, until)
        assert head["ObjectLockLegalHoldStatus"] == "OFF"
        assert s3.get_object_retention(Bucket=locked, Key=mode)["Retention"] == {"Mode": mode,
                                                                                 "RetainUntilDate": until}
        assert s3.get_object_legal_hold(Bucket=locked, Key=mode)["LegalHold"] == {"Status": "OFF"}


def test_default_retention_applies_to_new_versions(nubis, s3, locked):
    s3.put_object(Bucket=locked, Key="before", Body=b"x")
    s3.put_object_lock_configuration(Bucket=locked, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 3}}})
    now = nubis.clock()
    s3.put_object(Bucket=locked, Key="after", Body=b"x")
    retention = s3.get_object_retention(Bucket=locked, Key="after")["Retention"]
    assert retention["Mode"] == "GOVERNANCE"
    assert abs(retention["RetainUntilDate"].timestamp() - (now + 3 * DAY)) < 1
    assert "ObjectLockMode" not in s3.head_object(Bucket=locked, Key="before")
    # Explicit headers win over the default.
    until = at(now + 10 * DAY).replace(microsecond=0)
    s3.put_object(Bucket=locked, Key="explicit", Body=b"x", ObjectLockMode="COMPLIANCE",
                  ObjectLockRetainUntilDate=until)
    assert s3.head_object(Bucket=locked, Key="explicit")["ObjectLockMode"] == "COMPLIANCE"
    # Years are calendar years.
    s3.put_object_lock_configuration(Bucket=locked, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Years": 1}}})
    s3.put_object(Bucket=locked, Key="year", Body=b"x")
    head = s3.head_object(Bucket=locked, Key="year")
    expected = at(now)
    expected = expected.replace(year=expected.year + 1) if (expected.month, expected.day) != (2, 29) \
        else expected.replace(year=expected.year + 1, day=28)
    assert head["ObjectLockMode"] == "COMPLIANCE"
    assert abs(head["ObjectLockRetainUntilDate"].timestamp() - expected.timestamp()) < 1


def test_extending_and_shortening_retention(nubis, s3, locked):
    now = nubis.clock()
    near, far = at(now + DAY).replace(microsecond=0), at(now + 5 * DAY).replace(microsecond=0)
    s3.put_object(Bucket=locked, Key="g", Body=b"x", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=near)
    s3.put_object(Bucket=locked, Key="c", Body=b"x", ObjectLockMode="COMPLIANCE", ObjectLockRetainUntilDate=near)
    # Extending is always allowed.
    s3.put_object_retention(Bucket=locked, Key="g", Retention={"Mode": "GOVERNANCE", "RetainUntilDate": far})
    s3.put_object_retention(Bucket=locked, Key="c", Retention={"Mode": "COMPLIANCE", "RetainUntilDate": far})
    # Shortening GOVERNANCE takes the bypass header.
    e = error(s3.put_object_retention, Bucket=locked, Key="g",
              Retention={"Mode": "GOVERNANCE", "RetainUntilDate": near})
    assert code(e) == ("AccessDenied", 403)
    s3.put_object_retention(Bucket=locked, Key="g", Retention={"Mode": "GOVERNANCE", "RetainUntilDate": near},
                            BypassGovernanceRetention=True)
    assert s3.get_object_retention(Bucket=locked, Key="g")["Retention"]["RetainUntilDate"] == near
    # COMPLIANCE can be neither shortened, weakened nor removed, bypass or not.
    for retention in ({"Mode": "COMPLIANCE", "RetainUntilDate": near},
                      {"Mode": "GOVERNANCE", "RetainUntilDate": far}, {}):
        e = error(s3.put_object_retention, Bucket=locked, Key="c", Retention=retention,
                  BypassGovernanceRetention=True)
        assert code(e) == ("AccessDenied", 403)
    assert s3.get_object_retention(Bucket=locked, Key="c")["Retention"] == {"Mode": "COMPLIANCE",
                                                                            "RetainUntilDate": far}
    # Removing GOVERNANCE retention: with the bypass only.
    assert code(error(s3.put_object_retention, Bucket=locked, Key="g", Retention={}))[0] == "AccessDenied"
    s3.put_object_retention(Bucket=locked, Key="g", Retention={}, BypassGovernanceRetention=True)
    assert code(error(s3.get_object_retention, Bucket=locked, Key="g"))[0] == "NoSuchObjectLockConfiguration"
    assert "ObjectLockMode" not in s3.head_object(Bucket=locked, Key="g")
    # Once a COMPLIANCE retention has passed, it can be changed like any other.
    nubis.advance(5 * DAY + 1)
    later = at(nubis.clock() + DAY).replace(microsecond=0)
    s3.put_object_retention(Bucket=locked, Key="c", Retention={"Mode": "GOVERNANCE", "RetainUntilDate": later})
    assert s3.get_object_retention(Bucket=locked, Key="c")["Retention"]["Mode"] == "GOVERNANCE"


# -- legal hold ------------------------------------------------------------------------------

def test_legal_hold_on_and_off(s3, locked):
    vid = s3.put_object(Bucket=locked, Key="k", Body=b"x")["VersionId"]
    e = error(s3.get_object_legal_hold, Bucket=locked, Key="k")
    assert code(e) == ("NoSuchObjectLockConfiguration", 404)
    s3.put_object_legal_hold(Bucket=locked, Key="k", LegalHold={"Status": "ON"})
    assert s3.get_object_legal_hold(Bucket=locked, Key="k")["LegalHold"] == {"Status": "ON"}
    assert s3.head_object(Bucket=locked, Key="k")["ObjectLockLegalHoldStatus"] == "ON"
    e = error(s3.delete_object, Bucket=locked, Key="k", VersionId=vid, BypassGovernanceRetention=True)
    assert code(e) == ("AccessDenied", 403) and message(e) == LOCKED
    s3.put_object_legal_hold(Bucket=locked, Key="k", VersionId=vid, LegalHold={"Status": "OFF"})
    assert s3.get_object_legal_hold(Bucket=locked, Key="k", VersionId=vid)["LegalHold"] == {"Status": "OFF"}
    s3.delete_object(Bucket=locked, Key="k", VersionId=vid)
    assert versions(s3, locked) == set()


def test_legal_hold_on_write_without_retention(s3, locked):
    s3.put_object(Bucket=locked, Key="k", Body=b"x", ObjectLockLegalHoldStatus="ON")
    head = s3.head_object(Bucket=locked, Key="k")
    assert head["ObjectLockLegalHoldStatus"] == "ON" and "ObjectLockMode" not in head
    assert code(error(s3.get_object_retention, Bucket=locked, Key="k"))[0] == "NoSuchObjectLockConfiguration"


# -- what a lock refuses -----------------------------------------------------------------------

def test_governance_blocks_a_version_delete_unless_bypassed(nubis, s3, locked):
    until = at(nubis.clock() + DAY)
    vid = s3.put_object(Bucket=locked, Key="k", Body=b"x", ObjectLockMode="GOVERNANCE",
                        ObjectLockRetainUntilDate=until)["VersionId"]
    e = error(s3.delete_object, Bucket=locked, Key="k", VersionId=vid)
    assert code(e) == ("AccessDenied", 403) and message(e) == LOCKED
    assert versions(s3, locked) == {vid}
    s3.delete_object(Bucket=locked, Key="k", VersionId=vid, BypassGovernanceRetention=True)
    assert versions(s3, locked) == set()


def test_compliance_blocks_until_the_date_passes_on_the_clock(nubis, s3, locked):
    now = nubis.clock()
    vid = s3.put_object(Bucket=locked, Key="k", Body=b"x", ObjectLockMode="COMPLIANCE",
                        ObjectLockRetainUntilDate=at(now + DAY))["VersionId"]
    e = error(s3.delete_object, Bucket=locked, Key="k", VersionId=vid, BypassGovernanceRetention=True)
    assert code(e) == ("AccessDenied", 403) and message(e) == LOCKED
    nubis.advance(DAY - 1)
    assert code(error(s3.delete_object, Bucket=locked, Key="k", VersionId=vid))[0] == "AccessDenied"
    nubis.advance(2)
    s3.delete_object(Bucket=locked, Key="k", VersionId=vid)
    assert versions(s3, locked) == set()


def test_a_plain_delete_adds_a_marker_over_a_locked_version(nubis, s3, locked):
    vid = s3.put_object(Bucket=locked, Key="k", Body=b"x", ObjectLockMode="COMPLIANCE",
                        ObjectLockRetainUntilDate=at(nubis.clock() + DAY))["VersionId"]
    out = s3.delete_object(Bucket=locked, Key="k")
    assert out["DeleteMarker"] is True
    assert versions(s3, locked) == {vid}
    assert s3.get_object(Bucket=locked, Key="k", VersionId=vid)["Body"].read() == b"x"
    # A new version over it is a write, not an overwrite.
    s3.put_object(Bucket=locked, Key="k", Body=b"y")
    assert s3.get_object(Bucket=locked, Key="k")["Body"].read() == b"y"
    assert vid in versions(s3, locked)


def test_delete_objects_reports_locked_versions(nubis, s3, locked):
    until = at(nubis.clock() + DAY)
    g = s3.put_object(Bucket=locked, Key="g", Body=b"x", ObjectLockMode="GOVERNANCE",
                      ObjectLockRetainUntilDate=until)["VersionId"]
    c = s3.put_object(Bucket=locked, Key="c", Body=b"x", ObjectLockMode="COMPLIANCE",
                      ObjectLockRetainUntilDate=until)["VersionId"]
    h = s3.put_object(Bucket=locked, Key="h", Body=b"x", ObjectLockLegalHoldStatus="ON")["VersionId"]
    free = s3.put_object(Bucket=locked, Key="free", Body=b"x")["VersionId"]
    objects = [{"Key": "g", "VersionId": g}, {"Key": "c", "VersionId": c}, {"Key": "h", "VersionId": h},
               {"Key": "free", "VersionId": free}]
    out = s3.delete_objects(Bucket=locked, Delete={"Objects": objects})
    assert [d["Key"] for d in out["Deleted"]] == ["free"]
    assert sorted((e["Key"], e["VersionId"], e["Code"], e["Message"]) for e in out["Errors"]) == [
        ("c", c, "AccessDenied", LOCKED), ("g", g, "AccessDenied", LOCKED), ("h", h, "AccessDenied", LOCKED)]
    out = s3.delete_objects(Bucket=locked, Delete={"Objects": objects[:3]}, BypassGovernanceRetention=True)
    assert [d["Key"] for d in out["Deleted"]] == ["g"]
    assert sorted(e["Key"] for e in out["Errors"]) == ["c", "h"]
    assert versions(s3, locked) == {c, h}


def test_lifecycle_does_not_remove_a_locked_noncurrent_version(nubis, s3, locked):
    now = nubis.clock()
    v1 = s3.put_object(Bucket=locked, Key="k", Body=b"1", ObjectLockMode="COMPLIANCE",
                       ObjectLockRetainUntilDate=at(now + 10 * DAY))["VersionId"]
    v2 = s3.put_object(Bucket=locked, Key="n", Body=b"1")["VersionId"]
    s3.put_object(Bucket=locked, Key="k", Body=b"2")
    s3.put_object(Bucket=locked, Key="n", Body=b"2")
    s3.put_bucket_lifecycle_configuration(Bucket=locked, LifecycleConfiguration={"Rules": [{
        "ID": "r", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 1},
        "NoncurrentVersionExpiration": {"NoncurrentDays": 1}}]})
    nubis.advance(3 * DAY)
    left = versions(s3, locked)
    assert v1 in left and v2 not in left
    # The current versions got delete markers (a lock does not stop those).
    markers = s3.list_object_versions(Bucket=locked).get("DeleteMarkers", [])
    assert sorted(m["Key"] for m in markers) == ["k", "n"]
    nubis.advance(10 * DAY)
    assert v1 not in versions(s3, locked)


# -- lock on copy and multipart upload ---------------------------------------------------------

def test_copy_takes_the_locks_of_its_request_not_its_source(nubis, s3, locked):
    until = at(nubis.clock() + DAY).replace(microsecond=0)
    s3.put_object(Bucket=locked, Key="src", Body=b"x", ObjectLockMode="COMPLIANCE", ObjectLockRetainUntilDate=until,
                  ObjectLockLegalHoldStatus="ON")
    s3.copy_object(Bucket=locked, Key="plain", CopySource={"Bucket": locked, "Key": "src"})
    head = s3.head_object(Bucket=locked, Key="plain")
    assert "ObjectLockMode" not in head and "ObjectLockLegalHoldStatus" not in head
    s3.copy_object(Bucket=locked, Key="gov", CopySource={"Bucket": locked, "Key": "src"},
                   ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=until)
    assert s3.get_object_retention(Bucket=locked, Key="gov")["Retention"] == {"Mode": "GOVERNANCE",
                                                                              "RetainUntilDate": until}
    s3.copy_object(Bucket=locked, Key="held", CopySource={"Bucket": locked, "Key": "src"},
                   MetadataDirective="REPLACE", ObjectLockLegalHoldStatus="ON")
    assert s3.get_object_legal_hold(Bucket=locked, Key="held")["LegalHold"]["Status"] == "ON"


def test_multipart_upload_with_lock_headers(nubis, s3, locked):
    until = at(nubis.clock() + DAY).replace(microsecond=0)
    up = s3.create_multipart_upload(Bucket=locked, Key="big", ObjectLockMode="GOVERNANCE",
                                    ObjectLockRetainUntilDate=until, ObjectLockLegalHoldStatus="ON")
    body = b"p" * 1024
    part = s3.upload_part(Bucket=locked, Key="big", UploadId=up["UploadId"], PartNumber=1, Body=body,
                          ContentMD5=base64.b64encode(hashlib.md5(body).digest()).decode())
    done = s3.complete_multipart_upload(Bucket=locked, Key="big", UploadId=up["UploadId"], MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    head = s3.head_object(Bucket=locked, Key="big")
    assert (head["ObjectLockMode"], head["ObjectLockRetainUntilDate"], head["ObjectLockLegalHoldStatus"]) == (
        "GOVERNANCE", until, "ON")
    e = error(s3.delete_object, Bucket=locked, Key="big", VersionId=done["VersionId"], BypassGovernanceRetention=True)
    assert code(e) == ("AccessDenied", 403)  # the legal hold is not bypassed


# -- errors ------------------------------------------------------------------------------------

def test_object_level_lock_on_a_bucket_without_object_lock(nubis, s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    until = at(nubis.clock() + DAY)
    for call, kwargs in ((s3.put_object_retention, {"Retention": {"Mode": "GOVERNANCE", "RetainUntilDate": until}}),
                         (s3.get_object_retention, {}), (s3.put_object_legal_hold, {"LegalHold": {"Status": "ON"}}),
                         (s3.get_object_legal_hold, {})):
        e = error(call, Bucket=bucket, Key="k", **kwargs)
        assert code(e) == ("InvalidRequest", 400)
        assert message(e) == "Bucket is missing Object Lock Configuration"
    for kwargs in ({"ObjectLockMode": "GOVERNANCE", "ObjectLockRetainUntilDate": until},
                   {"ObjectLockLegalHoldStatus": "ON"}):
        e = error(s3.put_object, Bucket=bucket, Key="k2", Body=b"x", **kwargs)
        assert code(e) == ("InvalidRequest", 400) and message(e) == "Bucket is missing ObjectLockConfiguration"
        e = error(s3.copy_object, Bucket=bucket, Key="k2", CopySource={"Bucket": bucket, "Key": "k"}, **kwargs)
        assert message(e) == "Bucket is missing ObjectLockConfiguration"
        e = error(s3.create_multipart_upload, Bucket=bucket, Key="k2", **kwargs)
        assert message(e) == "Bucket is missing ObjectLockConfiguration"


def test_bad_lock_headers_on_put(nubis, s3, locked):
    now = nubis.clock()
    e = error(s3.put_object, Bucket=locked, Key="k", Body=b"x", ObjectLockMode="GOVERNANCE")
    assert code(e) == ("InvalidArgument", 400)
    assert message(e) == "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied"
    e = error(s3.put_object, Bucket=locked, Key="k", Body=b"x", ObjectLockRetainUntilDate=at(now + DAY))
    assert code(e) == ("InvalidArgument", 400)
    e = error(s3.put_object, Bucket=locked, Key="k", Body=b"x", ObjectLockMode="FOREVER",
              ObjectLockRetainUntilDate=at(now + DAY))
    assert code(e) == ("InvalidArgument", 400) and message(e) == "Unknown wormMode directive."
    e = error(s3.put_object, Bucket=locked, Key="k", Body=b"x", ObjectLockMode="GOVERNANCE",
              ObjectLockRetainUntilDate=at(now - 1))
    assert code(e) == ("InvalidArgument", 400) and message(e) == "The retain until date must be in the future!"
    e = error(s3.put_object, Bucket=locked, Key="k", Body=b"x", ObjectLockLegalHoldStatus="MAYBE")
    assert code(e) == ("InvalidArgument", 400)
    assert "Versions" not in s3.list_object_versions(Bucket=locked)


def test_bad_retention_and_legal_hold_requests(nubis, s3, locked):
    s3.put_object(Bucket=locked, Key="k", Body=b"x")
    e = error(s3.put_object_retention, Bucket=locked, Key="k",
              Retention={"Mode": "GOVERNANCE", "RetainUntilDate": at(nubis.clock() - DAY)})
    assert code(e) == ("InvalidArgument", 400) and message(e) == "The retain until date must be in the future!"
    e = error(s3.put_object_retention, Bucket=locked, Key="k",
              Retention={"Mode": "FOREVER", "RetainUntilDate": at(nubis.clock() + DAY)})
    assert code(e) == ("MalformedXML", 400)
    e = error(s3.put_object_legal_hold, Bucket=locked, Key="k", LegalHold={"Status": "MAYBE"})
    assert code(e) == ("MalformedXML", 400)
    e = error(s3.put_object_retention, Bucket=locked, Key="missing",
              Retention={"Mode": "GOVERNANCE", "RetainUntilDate": at(nubis.clock() + DAY)})
    assert code(e) == ("NoSuchKey", 404)
    e = error(s3.get_object_legal_hold, Bucket=locked, Key="k", VersionId="nosuchversion")
    assert code(e) == ("NoSuchVersion", 404)


def test_a_locked_put_needs_an_integrity_check(nubis, aws_client, s3, locked):
    """Without Content-MD5 or an x-amz-checksum-* (a client that adds neither), a
    PUT with lock parameters, or to a bucket with a default retention, is refused."""
    bare = aws_client("s3", config=Config(request_checksum_calculation="when_required"))
    until = at(nubis.clock() + DAY)
    e = error(bare.put_object, Bucket=locked, Key="k", Body=b"x", ObjectLockMode="GOVERNANCE",
              ObjectLockRetainUntilDate=until)
    assert code(e) == ("InvalidRequest", 400)
    assert message(e) == ("Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with "
                          "Object Lock parameters")
    bare.put_object(Bucket=locked, Key="plain", Body=b"x")  # no lock, no default: no check needed
    md5 = base64.b64encode(hashlib.md5(b"x").digest()).decode()
    bare.put_object(Bucket=locked, Key="k", Body=b"x", ContentMD5=md5, ObjectLockMode="GOVERNANCE",
                    ObjectLockRetainUntilDate=until)
    s3.put_object(Bucket=locked, Key="k2", Body=b"x", ChecksumAlgorithm="SHA256", ObjectLockMode="GOVERNANCE",
                  ObjectLockRetainUntilDate=until)
    s3.put_object_lock_configuration(Bucket=locked, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}})
    e = error(bare.put_object, Bucket=locked, Key="d", Body=b"x")
    assert code(e) == ("InvalidRequest", 400)
    bare.put_object(Bucket=locked, Key="d", Body=b"x", ContentMD5=md5)
    assert s3.head_object(Bucket=locked, Key="d")["ObjectLockMode"] == "GOVERNANCE"


def test_object_lock_turned_on_for_an_existing_versioned_bucket(nubis, s3, bucket):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    old = s3.put_object(Bucket=bucket, Key="k", Body=b"x")["VersionId"]
    s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 1}}})
    new = s3.put_object(Bucket=bucket, Key="k", Body=b"y")["VersionId"]
    assert s3.get_object_retention(Bucket=bucket, Key="k")["Retention"]["Mode"] == "COMPLIANCE"
    assert code(error(s3.delete_object, Bucket=bucket, Key="k", VersionId=new))[0] == "AccessDenied"
    s3.delete_object(Bucket=bucket, Key="k", VersionId=old)  # written before the lock: no retention
    nubis.advance(DAY + 1)
    s3.delete_object(Bucket=bucket, Key="k", VersionId=new)
    assert versions(s3, bucket) == set()
