"""boto3's managed transfer (s3transfer): multipart uploads with the default
CRC32 checksums, concurrent ranged downloads, and managed copy through UploadPartCopy."""
from __future__ import annotations

import base64
import hashlib
import io
import os
import zlib

import pytest
from boto3.s3.transfer import TransferConfig

MIB = 1024 * 1024
# Small enough thresholds that 20 MiB is a multipart transfer of four parts, on four threads.
CONFIG = TransferConfig(multipart_threshold=6 * MIB, multipart_chunksize=6 * MIB, max_concurrency=4)
SIZE = 20 * MIB


def md5_etag(parts: list[bytes]) -> str:
    return f'"{hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest()}-{len(parts)}"'


def crc32(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def composite_crc32(parts: list[bytes]) -> str:
    digests = b"".join(zlib.crc32(p).to_bytes(4, "big") for p in parts)
    return f"{base64.b64encode(zlib.crc32(digests).to_bytes(4, 'big')).decode()}-{len(parts)}"


def chunks(data: bytes, size: int = 6 * MIB) -> list[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)]


@pytest.fixture
def requests_seen(s3):
    """(operation, headers) of every request the client sends."""
    seen = []

    def record(request, event_name, **kwargs):
        headers = {k: v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()}
        seen.append((event_name.rsplit(".", 1)[-1], headers))

    s3.meta.events.register("before-send.s3", record)
    return seen


@pytest.fixture(scope="module")
def data() -> bytes:
    return os.urandom(SIZE)


def test_upload_file_is_multipart_with_crc32_checksums(s3, bucket, data, tmp_path, requests_seen):
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    s3.upload_file(str(src), bucket, "up/file", Config=CONFIG, ExtraArgs={"Metadata": {"origin": "file"}})
    parts = [h for op, h in requests_seen if op == "UploadPart"]
    assert len(parts) == 4 and all("x-amz-checksum-crc32" in h for h in parts)  # botocore's default
    h = s3.head_object(Bucket=bucket, Key="up/file", ChecksumMode="ENABLED")
    assert h["ContentLength"] == SIZE and h["Metadata"] == {"origin": "file"}
    assert h["ETag"] == md5_etag(chunks(data))
    assert h["ChecksumCRC32"] == composite_crc32(chunks(data)) and h["ChecksumType"] == "COMPOSITE"
    attrs = s3.get_object_attributes(Bucket=bucket, Key="up/file", ObjectAttributes=["ObjectParts"])
    assert attrs["ObjectParts"]["TotalPartsCount"] == 4
    assert attrs["ObjectParts"]["Parts"] == [{"PartNumber": n, "Size": len(p), "ChecksumCRC32": crc32(p)}
                                             for n, p in enumerate(chunks(data), 1)]
    assert s3.get_object(Bucket=bucket, Key="up/file")["Body"].read() == data


def test_upload_fileobj_streams_a_file_object(s3, bucket, data):
    s3.upload_fileobj(io.BytesIO(data), bucket, "up/fileobj", Config=CONFIG)
    g = s3.get_object(Bucket=bucket, Key="up/fileobj")
    assert g["ETag"] == md5_etag(chunks(data)) and g["Body"].read() == data


def test_download_file_uses_concurrent_ranged_gets(s3, bucket, data, tmp_path, requests_seen):
    s3.upload_fileobj(io.BytesIO(data), bucket, "down", Config=CONFIG)
    requests_seen.clear()
    dest = tmp_path / "dest.bin"
    s3.download_file(bucket, "down", str(dest), Config=CONFIG)
    assert dest.read_bytes() == data
    ranges = sorted((h["Range"] for op, h in requests_seen if op == "GetObject"),
                    key=lambda r: int(r.split("=")[1].split("-")[0]))
    assert ranges == [f"bytes={i * 6 * MIB}-{(i + 1) * 6 * MIB - 1}" for i in range(3)] + [f"bytes={18 * MIB}-"]
    # And the small-object path: one plain GET.
    s3.put_object(Bucket=bucket, Key="small", Body=b"tiny")
    s3.download_file(bucket, "small", str(dest), Config=CONFIG)
    assert dest.read_bytes() == b"tiny"


def test_managed_copy_of_a_multipart_object_uses_upload_part_copy(s3, bucket, data, requests_seen):
    s3.upload_fileobj(io.BytesIO(data), bucket, "orig", Config=CONFIG)
    requests_seen.clear()
    s3.copy({"Bucket": bucket, "Key": "orig"}, bucket, "copied", Config=CONFIG,
            ExtraArgs={"ContentType": "application/x-test", "Metadata": {"m": "1"}})
    assert [op for op, _ in requests_seen].count("UploadPartCopy") == 4
    g = s3.get_object(Bucket=bucket, Key="copied")
    assert g["Body"].read() == data
    # The same part boundaries as the source, so the same multipart ETag.
    assert g["ETag"] == md5_etag(chunks(data))
    # A multipart copy starts a new object: what it has is what CreateMultipartUpload said;
    # without a checksum algorithm there, it has no additional checksum, so no part list.
    attrs = s3.get_object_attributes(Bucket=bucket, Key="copied", ObjectAttributes=["ObjectParts", "Checksum"])
    assert attrs["ObjectParts"]["TotalPartsCount"] == 4 and "Parts" not in attrs["ObjectParts"]
    assert "Checksum" not in attrs
    assert g["ContentType"] == "application/x-test" and g["Metadata"] == {"m": "1"}


class Unseekable(io.RawIOBase):
    """A pipe-like file object: s3transfer must read it part by part, in order."""

    def __init__(self, data: bytes):
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        return self._data.read(n)


def test_upload_fileobj_from_a_stream_with_sha256(s3, bucket, data):
    s3.upload_fileobj(Unseekable(data), bucket, "sha", Config=CONFIG, ExtraArgs={"ChecksumAlgorithm": "SHA256"})
    h = s3.head_object(Bucket=bucket, Key="sha", ChecksumMode="ENABLED")
    sums = b"".join(hashlib.sha256(p).digest() for p in chunks(data))
    assert h["ChecksumSHA256"] == f"{base64.b64encode(hashlib.sha256(sums).digest()).decode()}-4"
    assert (h["ChecksumType"], h["ETag"]) == ("COMPOSITE", md5_etag(chunks(data)))


def test_upload_with_crc64nvme_is_a_full_object_checksum(s3, bucket, data, tmp_path):
    from botocore.httpchecksum import CrtCrc64NvmeChecksum

    s3.upload_fileobj(Unseekable(data), bucket, "nvme", Config=CONFIG, ExtraArgs={"ChecksumAlgorithm": "CRC64NVME"})
    h = s3.head_object(Bucket=bucket, Key="nvme", ChecksumMode="ENABLED")
    whole = CrtCrc64NvmeChecksum()
    whole.update(data)
    assert (h["ChecksumCRC64NVME"], h["ChecksumType"]) == (whole.b64digest(), "FULL_OBJECT")
    dest = tmp_path / "nvme.bin"
    s3.download_file(bucket, "nvme", str(dest), Config=CONFIG)
    assert dest.read_bytes() == data
