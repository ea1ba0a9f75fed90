"""kill -9 in the middle of a 200 MiB PUT and of an UploadPart: after a restart on the same data
directory the interrupted writes left nothing visible, everything acknowledged before is intact,
and a multipart upload in progress carries on."""
from __future__ import annotations

import hashlib
import io
import os
import socket
import threading
import time

import pytest
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import BotoCoreError, ClientError
from conftest import ServerProcess

MIB = 1024 * 1024
BUCKET = "crash-bucket"


def blob_files(data_dir: str) -> dict[str, int]:
    """{file name: size} of everything under the blob store."""
    root = os.path.join(data_dir, "blobs")
    return {n: os.path.getsize(os.path.join(d, n)) for d, _, files in os.walk(root) for n in files}


def start_put(port: int, path: str, total: int, headers: str = "") -> socket.socket:
    """Begin a PUT that announces ``total`` bytes; the caller sends the body."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall((f"PUT {path} HTTP/1.1\r\nHost: localhost:{port}\r\nContent-Length: {total}\r\n"
                  f"x-amz-content-sha256: UNSIGNED-PAYLOAD\r\n{headers}\r\n").encode())
    return sock


def stream(sock: socket.socket, nbytes: int) -> None:
    """Send ``nbytes`` of a body, a MiB at a time, as a generator would produce it."""
    piece = bytes(range(256)) * 4096
    for _ in range(nbytes // MIB):
        sock.sendall(piece)


def wait_for_partial(data_dir: str, at_least: int, timeout: float = 20) -> None:
    """Until the server has written ``at_least`` bytes of some partial blob (it is mid-PUT)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(n.endswith(".part") and size >= at_least for n, size in blob_files(data_dir).items()):
            return
        time.sleep(0.02)
    raise AssertionError(f"no partial blob of {at_least} bytes: {blob_files(data_dir)}")


@pytest.fixture(scope="module")
def crashed(tmp_path_factory):
    """A server killed with -9 mid-writes and started again on the same data directory; yields a
    client of the new one and what the old one had acknowledged."""
    data_dir = str(tmp_path_factory.mktemp("crash") / "data")
    servers = []
    try:
        server = ServerProcess("--data-dir", data_dir)
        servers.append(server)
        s3 = server.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        acked = {
            "tiny": b"a database row",
            "one-mib": os.urandom(MIB),
            "replaced": os.urandom(200 * 1024),
        }
        etags = {key: s3.put_object(Bucket=BUCKET, Key=key, Body=body)["ETag"] for key, body in acked.items()}
        acked["multipart"] = os.urandom(13 * MIB)
        s3.upload_fileobj(io.BytesIO(acked["multipart"]), BUCKET, "multipart",
                          Config=TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB))
        etags["multipart"] = s3.head_object(Bucket=BUCKET, Key="multipart")["ETag"]
        assert etags["multipart"].endswith('-3"')

        parts = [os.urandom(5 * MIB), os.urandom(5 * MIB)]
        upload_id = s3.create_multipart_upload(Bucket=BUCKET, Key="in-progress")["UploadId"]
        part_etags = [s3.upload_part(Bucket=BUCKET, Key="in-progress", UploadId=upload_id, PartNumber=n,
                                     Body=body)["ETag"] for n, body in enumerate(parts, 1)]

        # Writers that keep putting objects (database rows and blobs) until the server dies;
        # each body acknowledged is remembered.
        stop = threading.Event()
        during: dict[str, str] = {}

        def writer(n: int) -> None:
            client = server.client("s3")
            for i in range(10_000):
                key, body = f"during/{n}/{i}", os.urandom(100 * 1024 if i % 2 else 1024)
                try:
                    client.put_object(Bucket=BUCKET, Key=key, Body=body)
                except (BotoCoreError, ClientError):
                    return  # never acknowledged
                during[key] = hashlib.md5(body).hexdigest()
                if stop.is_set():
                    return

        writers = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
        for t in writers:
            t.start()

        # Three writes under way when the process dies: a 200 MiB new object, a replacement
        # of an existing key, and a third part of the upload in progress.
        huge = start_put(server.port, f"/{BUCKET}/huge", 200 * MIB)
        stream(huge, 48 * MIB)
        wait_for_partial(data_dir, 32 * MIB)
        replacing = start_put(server.port, f"/{BUCKET}/replaced", 50 * MIB)
        stream(replacing, 8 * MIB)
        part3 = start_put(server.port, f"/{BUCKET}/in-progress?partNumber=3&uploadId={upload_id}", 5 * MIB)
        stream(part3, 4 * MIB)
        time.sleep(0.3)  # the server is streaming the three bodies to disk
        server.kill9()
        stop.set()
        for t in writers:
            t.join(30)
        for sock in (huge, replacing, part3):
            sock.close()
        assert len(during) >= 10
        left_by_crash = blob_files(data_dir)

        server = ServerProcess("--data-dir", data_dir)
        servers.append(server)
        yield {"s3": server.client("s3"), "acked": acked, "etags": etags, "during": during,
               "upload_id": upload_id, "parts": parts, "part_etags": part_etags,
               "data_dir": data_dir, "left_by_crash": left_by_crash}
    finally:
        for s in servers:
            s.stop()


def test_the_interrupted_put_left_no_object(crashed):
    s3 = crashed["s3"]
    with pytest.raises(ClientError) as info:
        s3.get_object(Bucket=BUCKET, Key="huge")
    assert info.value.response["Error"]["Code"] == "NoSuchKey"
    listed = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
              for o in page.get("Contents", [])]
    assert [k for k in listed if not k.startswith("during/")] == ["multipart", "one-mib", "replaced", "tiny"]
    assert [v["Key"] for v in s3.list_object_versions(Bucket=BUCKET).get("Versions", [])].count("huge") == 0


def test_every_acknowledged_object_is_intact(crashed):
    s3 = crashed["s3"]
    for key, body in crashed["acked"].items():
        g = s3.get_object(Bucket=BUCKET, Key=key)
        assert (g["ETag"], g["ContentLength"]) == (crashed["etags"][key], len(body)), key
        assert hashlib.sha256(g["Body"].read()).digest() == hashlib.sha256(body).digest(), key
    # Every PUT the writers had an answer for, up to the kill.
    for key, md5 in crashed["during"].items():
        assert hashlib.md5(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()).hexdigest() == md5, key
    # The replacement that never finished did not touch the acknowledged body.
    assert crashed["etags"]["replaced"] == f'"{hashlib.md5(crashed["acked"]["replaced"]).hexdigest()}"'


def test_the_upload_in_progress_survives_and_completes(crashed):
    s3, uid, parts = crashed["s3"], crashed["upload_id"], crashed["parts"]
    uploads = s3.list_multipart_uploads(Bucket=BUCKET)["Uploads"]
    assert [(u["Key"], u["UploadId"]) for u in uploads] == [("in-progress", uid)]
    listed = s3.list_parts(Bucket=BUCKET, Key="in-progress", UploadId=uid)["Parts"]
    # Part 3 was cut off mid-body: only the acknowledged parts are there.
    assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in listed] == \
        [(1, crashed["part_etags"][0], 5 * MIB), (2, crashed["part_etags"][1], 5 * MIB)]
    last = b"the last part"
    e3 = s3.upload_part(Bucket=BUCKET, Key="in-progress", UploadId=uid, PartNumber=3, Body=last)["ETag"]
    done = s3.complete_multipart_upload(Bucket=BUCKET, Key="in-progress", UploadId=uid, MultipartUpload={
        "Parts": [{"PartNumber": n, "ETag": e} for n, e in enumerate([*crashed["part_etags"], e3], 1)]})
    assert done["ETag"].endswith('-3"')
    assert s3.get_object(Bucket=BUCKET, Key="in-progress")["Body"].read() == b"".join(parts) + last


def test_the_crash_left_partial_files_behind(crashed):
    # What the kill leaves on disk: the bodies being written are partial files.
    # (The 200 MiB PUT's for certain; the other two if the server had begun them.)
    partial = {n: size for n, size in crashed["left_by_crash"].items() if n.endswith(".part")}
    assert any(size >= 32 * MIB for size in partial.values())


def test_a_restart_removes_what_the_crash_left(crashed):
    deadline = time.monotonic() + 2  # a sweep may run just after the start
    while any(n.endswith(".part") for n in blob_files(crashed["data_dir"])) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [n for n in blob_files(crashed["data_dir"]) if n.endswith(".part")] == []


def test_a_client_that_goes_away_mid_body_leaves_nothing(server_process, tmp_path):
    data_dir = str(tmp_path / "data")
    server = server_process("--data-dir", data_dir)
    s3 = server.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="kept", Body=b"k" * (200 * 1024))
    plain = start_put(server.port, f"/{BUCKET}/kept", 20 * MIB)
    stream(plain, 8 * MIB)
    # The SDKs' streaming form: aws-chunked inside HTTP chunked, the checksum in a trailer never sent.
    chunked = socket.create_connection(("127.0.0.1", server.port))
    chunked.sendall((f"PUT /{BUCKET}/chunked HTTP/1.1\r\nHost: localhost:{server.port}\r\n"
                     "Transfer-Encoding: chunked\r\nContent-Encoding: aws-chunked\r\n"
                     f"x-amz-decoded-content-length: {20 * MIB}\r\n"
                     "x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER\r\n"
                     "x-amz-trailer: x-amz-checksum-crc32\r\n\r\n").encode())
    inner = b"%x\r\n" % MIB + b"c" * MIB + b"\r\n"
    for _ in range(6):
        chunked.sendall(b"%x\r\n" % len(inner) + inner + b"\r\n")
    wait_for_partial(data_dir, 4 * MIB)
    plain.close()
    chunked.close()

    deadline = time.monotonic() + 10
    while any(n.endswith(".part") for n in blob_files(data_dir)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [n for n in blob_files(data_dir) if n.endswith(".part")] == []
    assert s3.get_object(Bucket=BUCKET, Key="kept")["Body"].read() == b"k" * (200 * 1024)
    with pytest.raises(ClientError) as info:
        s3.head_object(Bucket=BUCKET, Key="chunked")
    assert info.value.response["Error"]["Code"] == "404"
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]] == ["kept"]
