"""Versioning: enabling and suspending, version ids, delete markers, the null version, listing versions."""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError


def error_of(call, *args, **kwargs):
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)
    r = info.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r


def enable(s3, bucket, status="Enabled"):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": status})


def test_versioning_configuration(s3, bucket):
    assert "Status" not in s3.get_bucket_versioning(Bucket=bucket)
    enable(s3, bucket)
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    enable(s3, bucket, "Suspended")
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Suspended"
    code, status, _ = error_of(s3.put_bucket_versioning, Bucket=bucket,
                               VersioningConfiguration={"Status": "Off"})
    assert (code, status) == ("MalformedXML", 400)


def test_unversioned_bucket_has_no_version_ids(s3, bucket):
    r = s3.put_object(Bucket=bucket, Key="k", Body=b"1")
    assert "VersionId" not in r
    assert "VersionId" not in s3.get_object(Bucket=bucket, Key="k")
    assert s3.get_object(Bucket=bucket, Key="k", VersionId="null")["Body"].read() == b"1"


def test_versions_and_delete_markers(s3, bucket):
    enable(s3, bucket)
    v1 = s3.put_object(Bucket=bucket, Key="doc", Body=b"one")["VersionId"]
    v2 = s3.put_object(Bucket=bucket, Key="doc", Body=b"two")["VersionId"]
    assert v1 != v2 and v1 != "null"
    assert s3.get_object(Bucket=bucket, Key="doc")["Body"].read() == b"two"
    g = s3.get_object(Bucket=bucket, Key="doc", VersionId=v1)
    assert g["Body"].read() == b"one" and g["VersionId"] == v1
    assert s3.head_object(Bucket=bucket, Key="doc", VersionId=v2)["VersionId"] == v2
    d = s3.delete_object(Bucket=bucket, Key="doc")
    assert d["DeleteMarker"] is True
    marker = d["VersionId"]
    code, status, r = error_of(s3.get_object, Bucket=bucket, Key="doc")
    assert (code, status) == ("NoSuchKey", 404)
    headers = r["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amz-delete-marker"] == "true" and headers["x-amz-version-id"] == marker
    code, status, r = error_of(s3.head_object, Bucket=bucket, Key="doc")
    assert status == 404 and r["ResponseMetadata"]["HTTPHeaders"]["x-amz-delete-marker"] == "true"
    code, status, r = error_of(s3.get_object, Bucket=bucket, Key="doc", VersionId=marker)
    assert (code, status) == ("MethodNotAllowed", 405)
    assert s3.get_object(Bucket=bucket, Key="doc", VersionId=v1)["Body"].read() == b"one"
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    # Removing the delete marker brings the object back.
    r = s3.delete_object(Bucket=bucket, Key="doc", VersionId=marker)
    assert r["DeleteMarker"] is True and r["VersionId"] == marker
    assert s3.get_object(Bucket=bucket, Key="doc")["Body"].read() == b"two"
    # Deleting a version for good.
    s3.delete_object(Bucket=bucket, Key="doc", VersionId=v2)
    assert s3.get_object(Bucket=bucket, Key="doc")["Body"].read() == b"one"
    code, status, r = error_of(s3.get_object, Bucket=bucket, Key="doc", VersionId=v2)
    assert (code, status) == ("NoSuchVersion", 404)
    code, status, _ = error_of(s3.delete_bucket, Bucket=bucket)
    assert code == "BucketNotEmpty"


def test_list_object_versions(s3, bucket):
    s3.put_object(Bucket=bucket, Key="a", Body=b"pre-versioning")
    enable(s3, bucket)
    va = s3.put_object(Bucket=bucket, Key="a", Body=b"a2")["VersionId"]
    vb1 = s3.put_object(Bucket=bucket, Key="b", Body=b"b1")["VersionId"]
    dm = s3.delete_object(Bucket=bucket, Key="b")["VersionId"]
    s3.put_object(Bucket=bucket, Key="dir/c", Body=b"c")
    r = s3.list_object_versions(Bucket=bucket)
    versions = [(v["Key"], v["VersionId"], v["IsLatest"]) for v in r["Versions"]]
    assert versions[:3] == [("a", va, True), ("a", "null", False), ("b", vb1, False)]
    assert versions[3][0] == "dir/c"
    assert [(m["Key"], m["VersionId"], m["IsLatest"]) for m in r["DeleteMarkers"]] == [("b", dm, True)]
    r = s3.list_object_versions(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["dir/"]
    # Pages of two versions each cover every version once, in order.
    seen, kw = [], {}
    while True:
        r = s3.list_object_versions(Bucket=bucket, MaxKeys=2, **kw)
        seen += [(v["Key"], v["VersionId"]) for v in r.get("Versions", []) + r.get("DeleteMarkers", [])]
        if not r["IsTruncated"]:
            break
        kw = {"KeyMarker": r["NextKeyMarker"], "VersionIdMarker": r["NextVersionIdMarker"]}
    assert sorted(seen) == sorted([("a", va), ("a", "null"), ("b", vb1), ("b", dm)] + [("dir/c", versions[3][1])])
    assert len(seen) == 5


def test_suspended_writes_null_version(s3, bucket):
    enable(s3, bucket)
    v1 = s3.put_object(Bucket=bucket, Key="k", Body=b"v1")["VersionId"]
    enable(s3, bucket, "Suspended")
    r = s3.put_object(Bucket=bucket, Key="k", Body=b"null-1")
    assert r["VersionId"] == "null"
    s3.put_object(Bucket=bucket, Key="k", Body=b"null-2")  # replaces the null version
    versions = s3.list_object_versions(Bucket=bucket)["Versions"]
    assert [(v["VersionId"], v["IsLatest"]) for v in versions] == [("null", True), (v1, False)]
    assert s3.get_object(Bucket=bucket, Key="k", VersionId="null")["Body"].read() == b"null-2"
    d = s3.delete_object(Bucket=bucket, Key="k")
    assert d["DeleteMarker"] is True and d["VersionId"] == "null"
    r = s3.list_object_versions(Bucket=bucket)
    assert [v["VersionId"] for v in r["Versions"]] == [v1]
    assert [m["VersionId"] for m in r["DeleteMarkers"]] == ["null"]


def test_delete_objects_with_versions(s3, bucket):
    enable(s3, bucket)
    v1 = s3.put_object(Bucket=bucket, Key="x", Body=b"1")["VersionId"]
    r = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "x"}]})
    assert r["Deleted"][0]["DeleteMarker"] is True
    marker = r["Deleted"][0]["DeleteMarkerVersionId"]
    r = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "x", "VersionId": v1},
                                                             {"Key": "x", "VersionId": marker}]})
    assert {d["VersionId"] for d in r["Deleted"]} == {v1, marker}
    assert s3.list_object_versions(Bucket=bucket).get("Versions", []) == []
    s3.delete_bucket(Bucket=bucket)


def test_copy_a_version(s3, bucket):
    enable(s3, bucket)
    v1 = s3.put_object(Bucket=bucket, Key="src", Body=b"first")["VersionId"]
    s3.put_object(Bucket=bucket, Key="src", Body=b"second")
    r = s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src", "VersionId": v1})
    assert r["CopySourceVersionId"] == v1 and r["VersionId"]
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == b"first"
    # In a versioned bucket copying an object onto itself makes a new version.
    r = s3.copy_object(Bucket=bucket, Key="src", CopySource={"Bucket": bucket, "Key": "src", "VersionId": v1})
    assert s3.get_object(Bucket=bucket, Key="src")["Body"].read() == b"first"
    code, status, _ = error_of(s3.copy_object, Bucket=bucket, Key="src", CopySource={"Bucket": bucket, "Key": "src"})
    assert (code, status) == ("InvalidRequest", 400)


def test_head_and_delete_marker_by_version(s3, bucket):
    enable(s3, bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=b"1")
    marker = s3.delete_object(Bucket=bucket, Key="k")["VersionId"]
    code, status, r = error_of(s3.head_object, Bucket=bucket, Key="k", VersionId=marker)
    assert status == 405
    assert r["ResponseMetadata"]["HTTPHeaders"]["x-amz-delete-marker"] == "true"
    code, status, r = error_of(s3.get_object, Bucket=bucket, Key="k", VersionId="doesnotexist")
    assert (code, status) == ("NoSuchVersion", 404)
    assert r["Error"]["VersionId"] == "doesnotexist"


def test_versions_after_restart_keep_order(s3, bucket):
    enable(s3, bucket)
    ids = [s3.put_object(Bucket=bucket, Key="p/k", Body=str(i).encode())["VersionId"] for i in range(5)]
    r = s3.list_object_versions(Bucket=bucket, Prefix="p/")
    assert [v["VersionId"] for v in r["Versions"]] == ids[::-1]
    assert [v["IsLatest"] for v in r["Versions"]] == [True, False, False, False, False]
    s3.delete_object(Bucket=bucket, Key="p/k", VersionId=ids[-1])
    assert s3.get_object(Bucket=bucket, Key="p/k")["VersionId"] == ids[-2]
