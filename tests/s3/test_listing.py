"""Listing: v1 and v2 pagination, prefixes, delimiters, URL encoding, key order."""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

KEYS = ["a.txt", "dir/a", "dir/b", "dir/sub/c", "dir/sub/d", "dir2/e", "z", "Ω", "ab", "a/b", "a b"]


@pytest.fixture
def filled(s3, bucket):
    for k in KEYS:
        s3.put_object(Bucket=bucket, Key=k, Body=k.encode())
    return bucket


def utf8_sorted(keys):
    return sorted(keys, key=lambda k: k.encode("utf-8"))


def test_v2_lists_in_utf8_binary_order(s3, filled):
    r = s3.list_objects_v2(Bucket=filled)
    assert [o["Key"] for o in r["Contents"]] == utf8_sorted(KEYS)
    assert r["KeyCount"] == len(KEYS)
    assert r["IsTruncated"] is False
    o = r["Contents"][0]
    assert o["Size"] == len(o["Key"].encode()) and o["ETag"].startswith('"') and o["StorageClass"] == "STANDARD"
    assert "Owner" not in o
    assert "Owner" in s3.list_objects_v2(Bucket=filled, FetchOwner=True)["Contents"][0]


def test_v2_pagination(s3, filled):
    seen, token, pages = [], None, 0
    while True:
        kw = {"MaxKeys": 3}
        if token:
            kw["ContinuationToken"] = token
        r = s3.list_objects_v2(Bucket=filled, **kw)
        pages += 1
        assert r["KeyCount"] == len(r.get("Contents", []))
        seen += [o["Key"] for o in r.get("Contents", [])]
        if not r["IsTruncated"]:
            assert "NextContinuationToken" not in r
            break
        token = r["NextContinuationToken"]
    assert seen == utf8_sorted(KEYS)
    assert pages == 4
    paginated = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=filled, PaginationConfig={"PageSize": 2}) for o in page.get("Contents", [])]
    assert paginated == utf8_sorted(KEYS)


def test_v2_start_after_and_prefix(s3, filled):
    r = s3.list_objects_v2(Bucket=filled, StartAfter="dir/sub/c")
    assert [o["Key"] for o in r["Contents"]] == [k for k in utf8_sorted(KEYS) if k.encode() > b"dir/sub/c"]
    assert r["StartAfter"] == "dir/sub/c"
    r = s3.list_objects_v2(Bucket=filled, Prefix="dir/")
    assert [o["Key"] for o in r["Contents"]] == ["dir/a", "dir/b", "dir/sub/c", "dir/sub/d"]
    assert s3.list_objects_v2(Bucket=filled, Prefix="nothing")["KeyCount"] == 0
    r = s3.list_objects_v2(Bucket=filled, MaxKeys=0)
    assert r["KeyCount"] == 0 and r["IsTruncated"] is False


def test_delimiter_common_prefixes(s3, filled):
    r = s3.list_objects_v2(Bucket=filled, Delimiter="/")
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["a/", "dir/", "dir2/"]
    assert [o["Key"] for o in r["Contents"]] == ["a b", "a.txt", "ab", "z", "Ω"]
    assert r["KeyCount"] == 8
    r = s3.list_objects_v2(Bucket=filled, Delimiter="/", Prefix="dir/")
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["dir/sub/"]
    assert [o["Key"] for o in r["Contents"]] == ["dir/a", "dir/b"]
    # Pages of one: common prefixes count toward MaxKeys and are not repeated.
    seen, token = [], None
    while True:
        kw = {"Delimiter": "/", "MaxKeys": 1}
        if token:
            kw["ContinuationToken"] = token
        r = s3.list_objects_v2(Bucket=filled, **kw)
        seen += [p["Prefix"] for p in r.get("CommonPrefixes", [])] + [o["Key"] for o in r.get("Contents", [])]
        if not r["IsTruncated"]:
            break
        token = r["NextContinuationToken"]
    assert seen == ["a b", "a.txt", "a/", "ab", "dir/", "dir2/", "z", "Ω"]


def test_url_encoding(s3, filled):
    r = s3.list_objects_v2(Bucket=filled, Prefix="a")  # botocore asks for url encoding and decodes it
    assert [o["Key"] for o in r["Contents"]] == ["a b", "a.txt", "a/b", "ab"]
    client = s3
    raw = []
    client.meta.events.register("after-call.s3.ListObjectsV2",
                                lambda http_response, **kw: raw.append(http_response.content))
    client.list_objects_v2(Bucket=filled, Prefix="a ")
    assert b"<Key>a+b</Key>" in raw[0] or b"<Key>a%20b</Key>" in raw[0]


def test_v1_markers(s3, filled):
    r = s3.list_objects(Bucket=filled, MaxKeys=4)
    assert [o["Key"] for o in r["Contents"]] == utf8_sorted(KEYS)[:4]
    assert r["IsTruncated"] is True
    assert "NextMarker" not in r  # only with a delimiter
    assert "Owner" in r["Contents"][0]
    r2 = s3.list_objects(Bucket=filled, Marker=r["Contents"][-1]["Key"])
    assert [o["Key"] for o in r2["Contents"]] == utf8_sorted(KEYS)[4:]
    r = s3.list_objects(Bucket=filled, Delimiter="/", MaxKeys=3)
    assert r["IsTruncated"] and r["NextMarker"] == "a/"
    r = s3.list_objects(Bucket=filled, Delimiter="/", Marker="a/")
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["dir/", "dir2/"]
    keys = [o["Key"] for page in s3.get_paginator("list_objects").paginate(
        Bucket=filled, PaginationConfig={"PageSize": 2}) for o in page.get("Contents", [])]
    assert keys == utf8_sorted(KEYS)


def test_listing_errors(s3, bucket):
    with pytest.raises(ClientError) as e:
        s3.list_objects_v2(Bucket="no-such-bucket-here")
    assert e.value.response["Error"]["Code"] == "NoSuchBucket"
    with pytest.raises(ClientError) as e:
        s3.list_objects_v2(Bucket=bucket, ContinuationToken="!!!not-a-token")
    assert e.value.response["Error"]["Code"] == "InvalidArgument"


def test_many_keys_under_one_prefix(s3, bucket):
    for i in range(30):
        s3.put_object(Bucket=bucket, Key=f"logs/{i:03d}", Body=b"")
    s3.put_object(Bucket=bucket, Key="top", Body=b"")
    r = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["logs/"]
    assert [o["Key"] for o in r["Contents"]] == ["top"]
