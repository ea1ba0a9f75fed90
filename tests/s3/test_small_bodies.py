"""Small bodies kept in the database: a PutObject's in its object's row, a part's
or a copy's as a row of their own; each reads, copies, ranges and overwrites
like any body, and objects stored before bodies moved into the object row
(a database of the previous schema) read back after an upgrade."""
from __future__ import annotations

import os
import sqlite3

from botocore.exceptions import ClientError


def test_small_bodies_read_range_copy_and_overwrite(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"0123456789")
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"0123456789"
    r = s3.get_object(Bucket=bucket, Key="k", Range="bytes=2-4")
    assert r["Body"].read() == b"234" and r["ContentRange"] == "bytes 2-4/10"
    s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "k"})
    s3.put_object(Bucket=bucket, Key="k", Body=b"new")  # the copy keeps the old body
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"new"
    assert s3.get_object(Bucket=bucket, Key="copy")["Body"].read() == b"0123456789"
    s3.put_object(Bucket=bucket, Key="empty", Body=b"")
    assert s3.get_object(Bucket=bucket, Key="empty")["Body"].read() == b""
    s3.copy_object(Bucket=bucket, Key="empty2", CopySource={"Bucket": bucket, "Key": "empty"})
    assert s3.get_object(Bucket=bucket, Key="empty2")["ContentLength"] == 0


def test_versions_keep_their_own_small_bodies(s3, bucket):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    v1 = s3.put_object(Bucket=bucket, Key="k", Body=b"one")["VersionId"]
    v2 = s3.put_object(Bucket=bucket, Key="k", Body=b"two")["VersionId"]
    assert s3.get_object(Bucket=bucket, Key="k", VersionId=v1)["Body"].read() == b"one"
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"two"
    s3.delete_object(Bucket=bucket, Key="k", VersionId=v2)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"one"
    s3.delete_object(Bucket=bucket, Key="k")  # a delete marker
    try:
        s3.get_object(Bucket=bucket, Key="k")
        raise AssertionError("a delete marker has no body")
    except ClientError as e:
        assert e.response["Error"]["Code"] == "NoSuchKey"


def test_a_part_copied_from_a_small_object(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"abcdefgh")
    uid = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    e = s3.upload_part_copy(Bucket=bucket, Key="mp", UploadId=uid, PartNumber=1,
                            CopySource={"Bucket": bucket, "Key": "src"}, CopySourceRange="bytes=2-5")
    s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=uid, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": e["CopyPartResult"]["ETag"]}]})
    assert s3.get_object(Bucket=bucket, Key="mp")["Body"].read() == b"cdef"
    # A completed upload's small part (a row of its own) copies and ranges too.
    s3.copy_object(Bucket=bucket, Key="mp2", CopySource={"Bucket": bucket, "Key": "mp"})
    assert s3.get_object(Bucket=bucket, Key="mp2", Range="bytes=1-2")["Body"].read() == b"de"


def _to_previous_schema(db_path: str) -> dict:
    """Rewrite a database as the previous version kept it: every small body a
    row of ``s3_small_bodies`` (``i-`` ids), no ``data`` column, schema 2.
    Returns the body id of each key."""
    conn = sqlite3.connect(db_path, isolation_level=None)
    ids = {}
    try:
        rows = conn.execute("SELECT rowid, key, blobs, data FROM s3_objects WHERE data IS NOT NULL").fetchall()
        assert rows, "the objects were written into their rows"
        for rowid, key, blobs, data in rows:
            body_id = ids[bytes(key).decode()] = f"i-old{rowid:020d}"
            conn.execute("INSERT INTO s3_small_bodies(id, data) VALUES (?, ?)", (body_id, data))
            conn.execute("UPDATE s3_objects SET blobs = ? WHERE rowid = ?",
                         (blobs.replace('"row"', f'"{body_id}"'), rowid))
        conn.execute("ALTER TABLE s3_objects DROP COLUMN data")
        conn.execute("UPDATE nubis_schema SET version = 2 WHERE service = 's3'")
    finally:
        conn.close()
    return ids


def test_objects_of_the_previous_schema_read_back(server_process, tmp_path):
    data = str(tmp_path / "data")
    server = server_process("--data-dir", data)
    s3 = server.client("s3")
    s3.create_bucket(Bucket="old")
    s3.put_object(Bucket="old", Key="a", Body=b"alpha body")
    s3.put_object(Bucket="old", Key="b", Body=b"beta", ContentType="text/plain")
    assert server.terminate() == 0
    db_path = os.path.join(data, "nubis.db")
    old_ids = _to_previous_schema(db_path)

    server = server_process("--data-dir", data)
    s3 = server.client("s3")
    assert s3.get_object(Bucket="old", Key="a")["Body"].read() == b"alpha body"
    assert s3.get_object(Bucket="old", Key="a", Range="bytes=-4")["Body"].read() == b"body"
    got = s3.get_object(Bucket="old", Key="b")
    assert got["Body"].read() == b"beta" and got["ContentType"] == "text/plain"
    s3.copy_object(Bucket="old", Key="c", CopySource={"Bucket": "old", "Key": "a"})
    assert s3.get_object(Bucket="old", Key="c")["Body"].read() == b"alpha body"
    s3.put_object(Bucket="old", Key="a", Body=b"replaced")  # the old body's row goes with it
    assert s3.get_object(Bucket="old", Key="a")["Body"].read() == b"replaced"
    assert server.terminate() == 0
    conn = sqlite3.connect(db_path)
    try:
        left = {r[0] for r in conn.execute("SELECT id FROM s3_small_bodies")}
    finally:
        conn.close()
    # a's old body went with the overwrite; b's stays, and the copy has a row of its own.
    assert old_ids["a"] not in left and old_ids["b"] in left and len(left) == 2
