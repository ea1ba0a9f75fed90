"""Multipart uploads: create, upload (and copy) parts, list, complete, abort."""
from __future__ import annotations

import base64
import hashlib
import zlib

import pytest
from botocore.exceptions import ClientError

MIB = 1024 * 1024


def error_of(call, *args, **kwargs):
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)
    r = info.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r


def multipart_etag(parts: list[bytes]) -> str:
    digest = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest()
    return f'"{digest}-{len(parts)}"'


def test_full_upload(s3, bucket):
    parts = [b"a" * (5 * MIB), b"b" * (5 * MIB), b"tail"]
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp/obj", ContentType="text/plain",
                                    Metadata={"k": "v"})
    uid = up["UploadId"]
    assert up["Key"] == "mp/obj" and up["Bucket"] == bucket
    etags = []
    for i, p in enumerate(parts, 1):
        r = s3.upload_part(Bucket=bucket, Key="mp/obj", UploadId=uid, PartNumber=i, Body=p)
        assert r["ETag"] == f'"{hashlib.md5(p).hexdigest()}"'
        etags.append(r["ETag"])
    listed = s3.list_parts(Bucket=bucket, Key="mp/obj", UploadId=uid)
    assert [(p["PartNumber"], p["Size"], p["ETag"]) for p in listed["Parts"]] == \
        [(i, len(p), e) for i, (p, e) in enumerate(zip(parts, etags), 1)]
    uploads = s3.list_multipart_uploads(Bucket=bucket)["Uploads"]
    assert [(u["Key"], u["UploadId"]) for u in uploads] == [("mp/obj", uid)]
    r = s3.complete_multipart_upload(Bucket=bucket, Key="mp/obj", UploadId=uid, MultipartUpload={
        "Parts": [{"PartNumber": i, "ETag": e} for i, e in enumerate(etags, 1)]})
    assert r["ETag"] == multipart_etag(parts)
    assert r["Key"] == "mp/obj"
    g = s3.get_object(Bucket=bucket, Key="mp/obj")
    body = g["Body"].read()
    assert body == b"".join(parts)
    assert g["ETag"] == multipart_etag(parts)
    assert g["ContentType"] == "text/plain" and g["Metadata"] == {"k": "v"}
    # A range across the boundary of two parts.
    g = s3.get_object(Bucket=bucket, Key="mp/obj", Range=f"bytes={5 * MIB - 2}-{5 * MIB + 1}")
    assert g["Body"].read() == b"aabb"
    h = s3.head_object(Bucket=bucket, Key="mp/obj", PartNumber=2)
    assert h["PartsCount"] == 3 and h["ContentLength"] == 5 * MIB
    assert s3.get_object(Bucket=bucket, Key="mp/obj", PartNumber=3)["Body"].read() == b"tail"
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    code, status, _ = error_of(s3.list_parts, Bucket=bucket, Key="mp/obj", UploadId=uid)
    assert (code, status) == ("NoSuchUpload", 404)


def test_complete_errors(s3, bucket):
    uid = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    e1 = s3.upload_part(Bucket=bucket, Key="k", UploadId=uid, PartNumber=1, Body=b"small")["ETag"]
    e2 = s3.upload_part(Bucket=bucket, Key="k", UploadId=uid, PartNumber=2, Body=b"small too")["ETag"]
    code, status, _ = error_of(s3.complete_multipart_upload, Bucket=bucket, Key="k", UploadId=uid,
                               MultipartUpload={"Parts": [{"PartNumber": 2, "ETag": e2},
                                                          {"PartNumber": 1, "ETag": e1}]})
    assert (code, status) == ("InvalidPartOrder", 400)
    code, status, r = error_of(s3.complete_multipart_upload, Bucket=bucket, Key="k", UploadId=uid,
                               MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e2}]})
    assert (code, status) == ("InvalidPart", 400)
    code, status, _ = error_of(s3.complete_multipart_upload, Bucket=bucket, Key="k", UploadId=uid,
                               MultipartUpload={"Parts": [{"PartNumber": 3, "ETag": e2}]})
    assert (code, status) == ("InvalidPart", 400)
    code, status, r = error_of(s3.complete_multipart_upload, Bucket=bucket, Key="k", UploadId=uid,
                               MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1},
                                                          {"PartNumber": 2, "ETag": e2}]})
    assert (code, status) == ("EntityTooSmall", 400)
    assert r["Error"]["MinSizeAllowed"] == str(5 * MIB)
    # A single small part is fine (the last part may be small); part 2 is left out.
    r = s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=uid,
                                     MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}]})
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"small"
    code, status, _ = error_of(s3.upload_part, Bucket=bucket, Key="k", UploadId="nope", PartNumber=1, Body=b"")
    assert (code, status) == ("NoSuchUpload", 404)
    uid = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    code, status, _ = error_of(s3.upload_part, Bucket=bucket, Key="k", UploadId=uid, PartNumber=10001,
                               Body=b"x")
    assert (code, status) == ("InvalidArgument", 400)


def test_abort(s3, bucket):
    uid = s3.create_multipart_upload(Bucket=bucket, Key="gone")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="gone", UploadId=uid, PartNumber=1, Body=b"x")
    assert s3.abort_multipart_upload(Bucket=bucket, Key="gone", UploadId=uid)[
        "ResponseMetadata"]["HTTPStatusCode"] == 204
    code, status, r = error_of(s3.abort_multipart_upload, Bucket=bucket, Key="gone", UploadId=uid)
    assert (code, status) == ("NoSuchUpload", 404)
    assert r["Error"]["UploadId"] == uid
    error_of(s3.head_object, Bucket=bucket, Key="gone")


def test_replace_part_and_list_parts_pages(s3, bucket):
    uid = s3.create_multipart_upload(Bucket=bucket, Key="p")["UploadId"]
    for i in range(1, 6):
        s3.upload_part(Bucket=bucket, Key="p", UploadId=uid, PartNumber=i, Body=b"old")
    new = s3.upload_part(Bucket=bucket, Key="p", UploadId=uid, PartNumber=5, Body=b"new!")["ETag"]
    r = s3.list_parts(Bucket=bucket, Key="p", UploadId=uid, MaxParts=2)
    assert [p["PartNumber"] for p in r["Parts"]] == [1, 2] and r["IsTruncated"]
    r = s3.list_parts(Bucket=bucket, Key="p", UploadId=uid, PartNumberMarker=r["NextPartNumberMarker"])
    assert [p["PartNumber"] for p in r["Parts"]] == [3, 4, 5] and not r["IsTruncated"]
    assert r["Parts"][-1]["ETag"] == new and r["Parts"][-1]["Size"] == 4


def test_list_multipart_uploads(s3, bucket):
    ids = {}
    for key in ("b/1", "a/1", "a/2", "c"):
        ids[key] = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    r = s3.list_multipart_uploads(Bucket=bucket)
    assert [u["Key"] for u in r["Uploads"]] == ["a/1", "a/2", "b/1", "c"]
    r = s3.list_multipart_uploads(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["a/", "b/"]
    assert [u["Key"] for u in r["Uploads"]] == ["c"]
    r = s3.list_multipart_uploads(Bucket=bucket, Prefix="a/", MaxUploads=1)
    assert [u["Key"] for u in r["Uploads"]] == ["a/1"] and r["IsTruncated"]
    r = s3.list_multipart_uploads(Bucket=bucket, Prefix="a/", KeyMarker=r["NextKeyMarker"],
                                  UploadIdMarker=r["NextUploadIdMarker"])
    assert [u["Key"] for u in r["Uploads"]] == ["a/2"]


def test_upload_part_copy(s3, bucket):
    src = bytes(range(256)) * 40000  # ~10 MB
    s3.put_object(Bucket=bucket, Key="source", Body=src)
    uid = s3.create_multipart_upload(Bucket=bucket, Key="assembled")["UploadId"]
    r1 = s3.upload_part_copy(Bucket=bucket, Key="assembled", UploadId=uid, PartNumber=1,
                             CopySource={"Bucket": bucket, "Key": "source"}, CopySourceRange=f"bytes=0-{5 * MIB - 1}")
    r2 = s3.upload_part_copy(Bucket=bucket, Key="assembled", UploadId=uid, PartNumber=2,
                             CopySource=f"{bucket}/source", CopySourceRange=f"bytes={5 * MIB}-{len(src) - 1}")
    assert r1["CopyPartResult"]["ETag"] == f'"{hashlib.md5(src[:5 * MIB]).hexdigest()}"'
    code, status, _ = error_of(s3.upload_part_copy, Bucket=bucket, Key="assembled", UploadId=uid, PartNumber=3,
                               CopySource=f"{bucket}/source", CopySourceRange=f"bytes=0-{len(src)}")
    assert (code, status) == ("InvalidArgument", 400)
    s3.complete_multipart_upload(Bucket=bucket, Key="assembled", UploadId=uid, MultipartUpload={"Parts": [
        {"PartNumber": 1, "ETag": r1["CopyPartResult"]["ETag"]},
        {"PartNumber": 2, "ETag": r2["CopyPartResult"]["ETag"]}]})
    assert s3.get_object(Bucket=bucket, Key="assembled")["Body"].read() == src


def test_composite_checksum(s3, bucket):
    parts = [b"x" * (5 * MIB), b"y" * 10]
    uid = s3.create_multipart_upload(Bucket=bucket, Key="ck", ChecksumAlgorithm="CRC32")["UploadId"]
    done = []
    for i, p in enumerate(parts, 1):
        r = s3.upload_part(Bucket=bucket, Key="ck", UploadId=uid, PartNumber=i, Body=p, ChecksumAlgorithm="CRC32")
        assert r["ChecksumCRC32"] == base64.b64encode(zlib.crc32(p).to_bytes(4, "big")).decode()
        done.append({"PartNumber": i, "ETag": r["ETag"], "ChecksumCRC32": r["ChecksumCRC32"]})
    r = s3.complete_multipart_upload(Bucket=bucket, Key="ck", UploadId=uid, MultipartUpload={"Parts": done})
    digests = b"".join(zlib.crc32(p).to_bytes(4, "big") for p in parts)
    expected = base64.b64encode(zlib.crc32(digests).to_bytes(4, "big")).decode() + "-2"
    assert r["ChecksumCRC32"] == expected


def test_transfer_manager_multipart(s3, bucket, tmp_path):
    from boto3.s3.transfer import TransferConfig
    data = bytes(range(256)) * (50 * 1024)  # 12.5 MiB
    src = tmp_path / "big.bin"
    src.write_bytes(data)
    cfg = TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB)
    s3.upload_file(str(src), bucket, "big.bin", Config=cfg)
    assert s3.head_object(Bucket=bucket, Key="big.bin")["ETag"].endswith('-3"')
    out = tmp_path / "back.bin"
    s3.download_file(bucket, "big.bin", str(out), Config=cfg)
    assert out.read_bytes() == data
