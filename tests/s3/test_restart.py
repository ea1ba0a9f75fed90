"""Buckets and objects survive SIGTERM and kill -9; an interrupted PUT leaves no object behind."""
from __future__ import annotations

import hashlib
import socket
import time

import pytest
from botocore.exceptions import ClientError


def test_buckets_and_objects_survive_restarts(server_process, tmp_path):
    data = str(tmp_path / "data")
    server = server_process("--data-dir", data)
    s3 = server.client("s3")
    s3.create_bucket(Bucket="durable")
    s3.put_bucket_versioning(Bucket="durable", VersioningConfiguration={"Status": "Enabled"})
    v1 = s3.put_object(Bucket="durable", Key="a/one", Body=b"first")["VersionId"]
    s3.put_object(Bucket="durable", Key="a/one", Body=b"second", Metadata={"m": "1"})
    big = bytes(range(256)) * 8192
    s3.put_object(Bucket="durable", Key="big", Body=big)
    uid = s3.create_multipart_upload(Bucket="durable", Key="pending")["UploadId"]
    s3.upload_part(Bucket="durable", Key="pending", UploadId=uid, PartNumber=1, Body=b"part")
    assert server.terminate() == 0

    server = server_process("--data-dir", data)
    s3 = server.client("s3")
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["durable"]
    g = s3.get_object(Bucket="durable", Key="a/one")
    assert g["Body"].read() == b"second" and g["Metadata"] == {"m": "1"}
    assert s3.get_object(Bucket="durable", Key="a/one", VersionId=v1)["Body"].read() == b"first"
    assert hashlib.md5(s3.get_object(Bucket="durable", Key="big")["Body"].read()).digest() == \
        hashlib.md5(big).digest()
    e = s3.upload_part(Bucket="durable", Key="pending", UploadId=uid, PartNumber=2, Body=b"more")["ETag"]
    s3.put_object(Bucket="durable", Key="after-sigterm", Body=b"acked")
    server.kill9()

    server = server_process("--data-dir", data)
    s3 = server.client("s3")
    assert s3.get_object(Bucket="durable", Key="after-sigterm")["Body"].read() == b"acked"
    parts = s3.list_parts(Bucket="durable", Key="pending", UploadId=uid)["Parts"]
    assert [(p["PartNumber"], p["ETag"]) for p in parts][1] == (2, e)
    assert s3.get_bucket_versioning(Bucket="durable")["Status"] == "Enabled"


def test_put_interrupted_by_kill_9_leaves_no_object(server_process, tmp_path):
    data = str(tmp_path / "data")
    server = server_process("--data-dir", data)
    s3 = server.client("s3")
    s3.create_bucket(Bucket="crash")
    s3.put_object(Bucket="crash", Key="obj", Body=b"old body")
    sock = socket.create_connection(("127.0.0.1", server.port))
    total = 8 * 1024 * 1024
    sock.sendall((f"PUT /crash/obj HTTP/1.1\r\nHost: localhost:{server.port}\r\n"
                  f"Content-Length: {total}\r\nx-amz-content-sha256: UNSIGNED-PAYLOAD\r\n\r\n").encode())
    sock.sendall(b"n" * (1024 * 1024))
    time.sleep(0.3)  # the server is streaming the body to a blob
    server.kill9()
    sock.close()

    server = server_process("--data-dir", data)
    s3 = server.client("s3")
    g = s3.get_object(Bucket="crash", Key="obj")
    assert g["Body"].read() == b"old body"
    with pytest.raises(ClientError):
        s3.head_object(Bucket="crash", Key="other")
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="crash")["Contents"]] == ["obj"]


def _blob_files(data: str) -> list[str]:
    import os
    root = os.path.join(data, "blobs")
    return sorted(n for d, _, files in os.walk(root) for n in files if not n.endswith(".part"))


def test_deleted_objects_free_their_blobs(server_process, tmp_path):
    # Bodies over 64 KiB are files (smaller ones are database rows).
    big = lambda c: c * (100 << 10)  # noqa: E731
    data = str(tmp_path / "data")
    server = server_process("--data-dir", data)
    s3 = server.client("s3")
    s3.create_bucket(Bucket="gc-bucket")
    s3.put_object(Bucket="gc-bucket", Key="keep", Body=big(b"k"))
    base = len(_blob_files(data))
    s3.put_object(Bucket="gc-bucket", Key="a", Body=big(b"1"))
    s3.put_object(Bucket="gc-bucket", Key="a", Body=big(b"2"))  # replaces: the first body goes
    assert len(_blob_files(data)) == base + 1
    s3.delete_object(Bucket="gc-bucket", Key="a")
    uid = s3.create_multipart_upload(Bucket="gc-bucket", Key="m")["UploadId"]
    s3.upload_part(Bucket="gc-bucket", Key="m", UploadId=uid, PartNumber=1, Body=big(b"p"))
    s3.upload_part(Bucket="gc-bucket", Key="m", UploadId=uid, PartNumber=1, Body=big(b"q"))
    assert len(_blob_files(data)) == base + 1
    s3.abort_multipart_upload(Bucket="gc-bucket", Key="m", UploadId=uid)
    assert len(_blob_files(data)) == base
    assert s3.get_object(Bucket="gc-bucket", Key="keep")["Body"].read() == big(b"k")


def test_small_bodies_live_in_the_database_and_survive_a_kill(server_process, tmp_path):
    data = str(tmp_path / "data")
    server = server_process("--data-dir", data)
    s3 = server.client("s3")
    s3.create_bucket(Bucket="small-bucket")
    s3.put_object(Bucket="small-bucket", Key="tiny", Body=b"hello")
    s3.put_object(Bucket="small-bucket", Key="edge", Body=b"e" * (64 << 10))
    assert _blob_files(data) == []
    server.kill9()
    server = server_process("--data-dir", data)
    s3 = server.client("s3")
    assert s3.get_object(Bucket="small-bucket", Key="tiny")["Body"].read() == b"hello"
    assert s3.get_object(Bucket="small-bucket", Key="edge", Range="bytes=65535-")["Body"].read() == b"e"
