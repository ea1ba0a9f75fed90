"""The AWS CLI's S3 commands (``aws s3 ...`` and a few ``aws s3api ...``) against nubis, as a user types them."""
from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

MIB = 1024 * 1024


@pytest.fixture
def aws(nubis, tmp_path):
    """aws("s3", "ls", ...) -> the finished process; raises when the command fails unless check=False."""
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(HOME=str(home), AWS_CONFIG_FILE=str(home / "config"),
               AWS_SHARED_CREDENTIALS_FILE=str(home / "credentials"), AWS_ACCESS_KEY_ID="test",
               AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1")

    def run(*args: str, input: bytes | None = None, check: bool = True, cwd=None):
        out = subprocess.run([sys.executable, "-m", "awscli", "--endpoint-url", nubis.endpoint, *args],
                             input=input, capture_output=True, env=env, cwd=cwd or tmp_path, timeout=120)
        out.stdout, out.stderr = out.stdout.decode(), out.stderr.decode()
        if check and out.returncode != 0:
            raise AssertionError(f"aws {' '.join(args)} -> {out.returncode}\n{out.stderr}")
        return out

    return run


def tree(root) -> dict[str, bytes]:
    """{relative path: contents} of every file under root."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_mb_cp_ls_and_download(aws, s3, tmp_path):
    assert aws("s3", "mb", "s3://cli-bucket").stdout.strip() == "make_bucket: cli-bucket"
    small = tmp_path / "small.txt"
    small.write_text("hello from the cli\n")
    big = tmp_path / "big.bin"
    big_data = os.urandom(20 * MIB)  # over the CLI's 8 MiB multipart threshold: three parts
    big.write_bytes(big_data)
    piped = os.urandom(10 * MIB)  # from stdin, of unknown length: multipart in two parts
    aws("s3", "cp", str(small), "s3://cli-bucket/docs/small.txt", "--no-progress")
    aws("s3", "cp", str(big), "s3://cli-bucket/data/big.bin", "--no-progress")
    aws("s3", "cp", "-", "s3://cli-bucket/stdin.bin", input=piped)

    assert s3.head_object(Bucket="cli-bucket", Key="data/big.bin")["ETag"].endswith('-3"')
    g = s3.get_object(Bucket="cli-bucket", Key="stdin.bin")
    assert g["ETag"].endswith('-2"') and g["Body"].read() == piped
    assert s3.get_object(Bucket="cli-bucket", Key="docs/small.txt")["Body"].read() == small.read_bytes()

    buckets = aws("s3", "ls").stdout.splitlines()
    assert [line.split()[-1] for line in buckets] == ["cli-bucket"]
    top = aws("s3", "ls", "s3://cli-bucket").stdout.splitlines()
    assert [line.split() for line in top if "PRE" in line] == [["PRE", "data/"], ["PRE", "docs/"]]
    assert [line.split()[-2:] for line in top if "PRE" not in line] == [[str(10 * MIB), "stdin.bin"]]
    listing = aws("s3", "ls", "s3://cli-bucket", "--recursive", "--human-readable", "--summarize").stdout
    lines = listing.splitlines()
    assert [line.split()[-1] for line in lines[:3]] == ["data/big.bin", "docs/small.txt", "stdin.bin"]
    assert "20.0 MiB data/big.bin" in lines[0] and "19 Bytes docs/small.txt" in lines[1]
    assert "Total Objects: 3" in listing and "Total Size: 30.0 MiB" in listing

    aws("s3", "cp", "s3://cli-bucket/data/big.bin", str(tmp_path / "back.bin"), "--no-progress")
    assert (tmp_path / "back.bin").read_bytes() == big_data
    assert aws("s3", "cp", "s3://cli-bucket/docs/small.txt", "-").stdout == "hello from the cli\n"

    aws("s3", "cp", str(small), "s3://cli-bucket/with-options.txt", "--content-type", "text/x-test",
        "--metadata", "team=blue,tier=2", "--cache-control", "max-age=60", "--storage-class", "STANDARD_IA",
        "--sse", "AES256", "--checksum-algorithm", "SHA256", "--no-progress")
    h = s3.head_object(Bucket="cli-bucket", Key="with-options.txt", ChecksumMode="ENABLED")
    assert (h["ContentType"], h["Metadata"], h["CacheControl"], h["StorageClass"], h["ServerSideEncryption"]) == \
        ("text/x-test", {"team": "blue", "tier": "2"}, "max-age=60", "STANDARD_IA", "AES256")
    assert h["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(small.read_bytes()).digest()).decode()


def test_recursive_copy_and_sync(aws, s3, tmp_path):
    src = tmp_path / "src"
    (src / "a" / "b").mkdir(parents=True)
    (src / "one.txt").write_text("1")
    (src / "a" / "two.txt").write_text("2")
    (src / "a" / "b" / "three.bin").write_bytes(os.urandom(100 * 1024))
    # Names that must be encoded in paths, queries and listings.
    (src / "sp ace" / "ü").mkdir(parents=True)
    (src / "sp ace" / "ü" / "a+b=c&d.txt").write_text("odd")
    (src / "100%?#~'.txt").write_text("odder")
    (src / "empty").write_bytes(b"")
    aws("s3", "mb", "s3://sync-bucket")

    aws("s3", "cp", str(src), "s3://sync-bucket/copied", "--recursive", "--no-progress")
    aws("s3", "cp", "s3://sync-bucket/copied", str(tmp_path / "copied-back"), "--recursive", "--no-progress")
    assert tree(tmp_path / "copied-back") == tree(src)

    # (Paths relative to the working directory, as the CLI prints them.)
    first = aws("s3", "sync", "src", "s3://sync-bucket/synced", "--no-progress").stdout
    assert sorted(first.splitlines()) == [
        "upload: src/100%?#~'.txt to s3://sync-bucket/synced/100%?#~'.txt",
        "upload: src/a/b/three.bin to s3://sync-bucket/synced/a/b/three.bin",
        "upload: src/a/two.txt to s3://sync-bucket/synced/a/two.txt",
        "upload: src/empty to s3://sync-bucket/synced/empty",
        "upload: src/one.txt to s3://sync-bucket/synced/one.txt",
        "upload: src/sp ace/ü/a+b=c&d.txt to s3://sync-bucket/synced/sp ace/ü/a+b=c&d.txt"]
    # Sizes and modification times now match: nothing to send again.
    assert aws("s3", "sync", "src", "s3://sync-bucket/synced", "--no-progress").stdout == ""

    (src / "a" / "two.txt").unlink()
    (src / "new.txt").write_text("new")
    out = aws("s3", "sync", "src", "s3://sync-bucket/synced", "--delete", "--no-progress").stdout
    assert sorted(out.splitlines()) == [
        "delete: s3://sync-bucket/synced/a/two.txt",
        "upload: src/new.txt to s3://sync-bucket/synced/new.txt"]
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="sync-bucket", Prefix="synced/")["Contents"]]
    assert keys == ["synced/100%?#~'.txt", "synced/a/b/three.bin", "synced/empty", "synced/new.txt",
                    "synced/one.txt", "synced/sp ace/ü/a+b=c&d.txt"]

    dest = tmp_path / "dest"
    aws("s3", "sync", "s3://sync-bucket/synced", str(dest), "--no-progress")
    assert tree(dest) == tree(src)
    assert aws("s3", "sync", "s3://sync-bucket/synced", str(dest), "--no-progress").stdout == ""


def test_mv_presign_rm_and_rb(aws, s3, nubis, tmp_path):
    aws("s3", "mb", "s3://mv-bucket")
    local = tmp_path / "local.txt"
    local.write_text("moving")
    aws("s3", "mv", str(local), "s3://mv-bucket/from-local.txt", "--no-progress")
    assert not local.exists()
    aws("s3", "mv", "s3://mv-bucket/from-local.txt", "s3://mv-bucket/dir/renamed.txt", "--no-progress")
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="mv-bucket")["Contents"]] == ["dir/renamed.txt"]

    # awscli v1 presigns with SigV2 unless the profile asks for s3v4.
    v2 = aws("s3", "presign", "s3://mv-bucket/dir/renamed.txt", "--expires-in", "300").stdout.strip()
    (tmp_path / "home" / "config").write_text("[default]\ns3 =\n    signature_version = s3v4\n")
    v4 = aws("s3", "presign", "s3://mv-bucket/dir/renamed.txt", "--expires-in", "300").stdout.strip()
    (tmp_path / "home" / "config").unlink()
    assert "Signature=" in v2 and "X-Amz-Signature=" in v4
    for url in (v2, v4):
        with urllib.request.urlopen(url, timeout=10) as r:
            assert r.read() == b"moving"
    nubis.advance(301)
    for url in (v2, v4):
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(url, timeout=10)
        assert info.value.code == 403 and b"<Message>Request has expired</Message>" in info.value.read()

    for i in range(3):
        s3.put_object(Bucket="mv-bucket", Key=f"dir/sub/{i}", Body=b"x")
    out = aws("s3", "rm", "s3://mv-bucket/dir", "--recursive").stdout
    assert sorted(out.splitlines()) == ["delete: s3://mv-bucket/dir/renamed.txt",
                                        *[f"delete: s3://mv-bucket/dir/sub/{i}" for i in range(3)]]
    assert s3.list_objects_v2(Bucket="mv-bucket")["KeyCount"] == 0

    s3.put_object(Bucket="mv-bucket", Key="left", Body=b"x")
    refused = aws("s3", "rb", "s3://mv-bucket", check=False)
    assert refused.returncode != 0 and "BucketNotEmpty" in refused.stderr
    assert aws("s3", "rb", "s3://mv-bucket", "--force").stdout.splitlines()[-1] == "remove_bucket: mv-bucket"
    assert s3.list_buckets()["Buckets"] == []


def test_s3api_commands(aws, tmp_path):
    aws("s3api", "create-bucket", "--bucket", "api-bucket")
    body = tmp_path / "body.json"
    body.write_text('{"a": 1}')
    put = json.loads(aws("s3api", "put-object", "--bucket", "api-bucket", "--key", "doc.json", "--body", str(body),
                         "--content-type", "application/json", "--metadata", "team=blue").stdout)
    assert put["ETag"] == '"' + hashlib.md5(b'{"a": 1}').hexdigest() + '"'
    head = json.loads(aws("s3api", "head-object", "--bucket", "api-bucket", "--key", "doc.json").stdout)
    assert (head["ContentLength"], head["ContentType"], head["Metadata"], head["ETag"]) == \
        (8, "application/json", {"team": "blue"}, put["ETag"])
    aws("s3api", "put-object", "--bucket", "api-bucket", "--key", "other.txt", "--body", str(body))
    keys = aws("s3api", "list-objects-v2", "--bucket", "api-bucket", "--query", "Contents[].Key", "--output", "text")
    assert keys.stdout.split() == ["doc.json", "other.txt"]
    got = json.loads(aws("s3api", "get-object", "--bucket", "api-bucket", "--key", "doc.json",
                         str(tmp_path / "out.json")).stdout)
    assert got["ContentType"] == "application/json" and (tmp_path / "out.json").read_text() == '{"a": 1}'
    missing = aws("s3api", "head-object", "--bucket", "api-bucket", "--key", "nope", check=False)
    assert missing.returncode != 0 and "An error occurred (404) when calling the HeadObject operation" in missing.stderr
