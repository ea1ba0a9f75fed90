"""The AWS SDK for JavaScript v3 against nubis: the scripts in tests/js/ run under node and
print JSON that these tests assert on."""
from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import zlib
from pathlib import Path

import pytest

JS_DIR = Path(__file__).resolve().parent.parent / "js"
MIB = 1024 * 1024


@pytest.fixture
def run_js(node, nubis, tmp_path):
    """run_js("script.mjs", BUCKET=..., ...) -> the JSON the script printed."""
    def run(script: str, **env: str) -> dict:
        full_env = dict(os.environ, NUBIS_ENDPOINT=nubis.endpoint, **env)
        out = subprocess.run([node, str(JS_DIR / script)], capture_output=True, text=True, env=full_env,
                             cwd=JS_DIR, timeout=120)
        assert out.returncode == 0, f"node {script} failed:\n{out.stderr}"
        return json.loads(out.stdout.strip().splitlines()[-1])

    return run


def crc32(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def etag(data: bytes) -> str:
    return f'"{hashlib.md5(data).hexdigest()}"'


def test_put_and_get_with_the_default_crc32_checksum(run_js, s3, tmp_path):
    data = os.urandom(3 * MIB)
    (tmp_path / "data").write_bytes(data)
    r = run_js("put_get.mjs", BUCKET="js-objects", DATA_FILE=str(tmp_path / "data"))

    small = r["small"]
    assert small["text"] == "hello from node" and small["same"]
    assert small["sent"]["x-amz-checksum-crc32"] == crc32(b"hello from node")
    assert small["put"] == {"ETag": etag(b"hello from node"), "ChecksumCRC32": crc32(b"hello from node")}
    assert small["head"] == {"ETag": etag(b"hello from node"), "ChecksumCRC32": crc32(b"hello from node"),
                             "ChecksumType": "FULL_OBJECT", "ContentType": "text/plain", "ContentLength": 15}

    # A buffer of 2 MiB or more: the SDK waits for "100 Continue" before sending it.
    buffer = r["buffer"]
    assert buffer["sent"]["Expect"] == "100-continue"
    assert buffer["same"] and buffer["put"] == {"ETag": etag(data), "ChecksumCRC32": crc32(data)}
    assert buffer["head"]["ChecksumCRC32"] == crc32(data) and buffer["head"]["ContentLength"] == len(data)

    # A stream: aws-chunked, unsigned, with the CRC32 in a trailer after the last chunk.
    stream = r["stream"]
    sent = stream["sent"]
    assert sent["content-encoding"] == "aws-chunked"
    assert sent["x-amz-content-sha256"] == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    assert sent["x-amz-trailer"] == "x-amz-checksum-crc32" and "x-amz-checksum-crc32" not in sent
    assert sent["x-amz-decoded-content-length"] == str(len(data))
    assert stream["same"] and stream["put"] == {"ETag": etag(data), "ChecksumCRC32": crc32(data)}
    assert stream["head"] == {"ETag": etag(data), "ChecksumCRC32": crc32(data), "ChecksumType": "FULL_OBJECT",
                              "ContentType": "application/octet-stream", "ContentLength": len(data)}
    for put in (small, buffer, stream):  # each GET's body was checked by the SDK against this checksum
        assert put["getChecksumMode"] == "ENABLED" and put["gotChecksumCRC32"] == put["head"]["ChecksumCRC32"]
    # What boto3 reads back is the decoded body, not the chunk framing.
    assert s3.get_object(Bucket="js-objects", Key="stream.bin")["Body"].read() == data


def test_lib_storage_upload_is_multipart_with_checksums(run_js, s3, tmp_path):
    data = os.urandom(12 * MIB)
    (tmp_path / "data").write_bytes(data)
    r = run_js("upload.mjs", BUCKET="js-upload", DATA_FILE=str(tmp_path / "data"))

    parts = [data[i:i + 5 * MIB] for i in range(0, len(data), 5 * MIB)]
    assert r["operations"] == ["CreateBucketCommand", "CreateMultipartUploadCommand",
                               *["UploadPartCommand"] * 3, "CompleteMultipartUploadCommand",
                               "HeadObjectCommand", "GetObjectCommand"]
    assert sorted(h["x-amz-checksum-crc32"] for h in r["partHeaders"]) == sorted(crc32(p) for p in parts)
    multipart = f'"{hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest()}-3"'
    composite = crc32(b"".join(zlib.crc32(p).to_bytes(4, "big") for p in parts)) + "-3"
    assert r["done"]["ETag"] == multipart and r["done"]["ChecksumCRC32"] == composite
    assert (r["done"]["Bucket"], r["done"]["Key"]) == ("js-upload", "uploaded.bin")
    assert r["done"]["Location"].endswith("/js-upload/uploaded.bin")
    assert r["head"] == {"ETag": multipart, "ChecksumCRC32": composite, "ChecksumType": "COMPOSITE",
                         "ContentType": "application/x-upload", "ContentLength": len(data),
                         "Metadata": {"via": "lib-storage"}}
    assert r["loaded"] == len(data) and r["same"]
    # A body smaller than one part goes as a single PutObject.
    assert r["small"] == {"ETag": etag(b"tiny"), "operations": ["PutObjectCommand"]}
    assert s3.list_multipart_uploads(Bucket="js-upload").get("Uploads", []) == []


def test_paging_delete_objects_and_errors(run_js):
    r = run_js("list_delete.mjs", BUCKET="js-listing")
    assert r["pages"] == [
        {"keys": ["k/0", "k/1", "k/2"], "KeyCount": 3, "IsTruncated": True},
        {"keys": ["k/3", "k/4", "k/5"], "KeyCount": 3, "IsTruncated": True},
        {"keys": ["k/6"], "KeyCount": 1, "IsTruncated": False}]
    odd = "dir/ü ñ+&=?#%~'.txt"
    assert r["odd"] == {"body": "odd", "listed": [odd, odd + ".copy"]}
    # Deleting a key that does not exist succeeds, as on S3.
    assert r["deleted"] == sorted(["k/0", "k/1", "never-was", odd, odd + ".copy"]) and r["errors"] == []
    assert r["remaining"] == ["k/2", "k/3", "k/4", "k/5", "k/6"]
    assert r["noSuchKey"] == {"name": "NoSuchKey", "message": "The specified key does not exist.", "status": 404,
                              "fault": "client", "Key": "k/0"}
    # A HEAD answer has no body: the SDK knows only the status.
    assert (r["headMissing"]["name"], r["headMissing"]["status"]) == ("NotFound", 404)
    assert r["noSuchBucket"] == {"name": "NoSuchBucket", "message": "The specified bucket does not exist",
                                 "status": 404, "fault": "client", "BucketName": "no-such-bucket-here"}


def test_presigned_urls(run_js, s3):
    r = run_js("presign.mjs", BUCKET="js-presign")
    assert "X-Amz-Signature=" in r["putUrl"] and "X-Amz-Signature=" in r["getUrl"]
    # The SDK signs the CRC32 of the (absent) body into the PUT URL; S3's presigned URLs do not
    # support the flexible checksums (user guide, "Sharing objects with presigned URLs"), so the
    # real body is accepted.
    assert "x-amz-checksum-crc32=AAAAAA%3D%3D" in r["putUrl"]
    body = b"sent through a presigned URL"
    assert r["put"] == {"status": 200, "etag": etag(body)}
    assert r["get"] == {"status": 200, "body": body.decode()}
    assert s3.get_object(Bucket="js-presign", Key="presigned.txt")["Body"].read() == body
