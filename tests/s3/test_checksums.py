"""S3 flexible checksums: hashers, request headers, verification, multipart combinations."""
from __future__ import annotations

import base64
import hashlib
import os
import random

import awscrt.checksums as crt
import pytest
from botocore import httpchecksum as bc

from nubis.protocol.errors import ServiceError
from nubis.protocol.wire import Headers
from nubis.services.s3 import checksums as ck

CHECK = b"123456789"

# botocore's own implementations (CRT-backed for CRC32C / CRC64NVME) as the reference.
BOTOCORE = {
    "CRC32": bc.Crc32Checksum,
    "CRC32C": bc.CrtCrc32cChecksum,
    "CRC64NVME": bc.CrtCrc64NvmeChecksum,
    "SHA1": bc.Sha1Checksum,
    "SHA256": bc.Sha256Checksum,
}


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def botocore_b64(alg: str, data: bytes) -> str:
    h = BOTOCORE[alg]()
    h.update(data)
    return h.b64digest()


# -- hashers ------------------------------------------------------------------

@pytest.mark.parametrize("alg,value", [("CRC32", 0xCBF43926), ("CRC32C", 0xE3069283),
                                       ("CRC64NVME", 0xAE8B14860A799888)])
def test_crc_check_values(alg, value):
    h = ck.hasher(alg)
    h.update(CHECK)
    size = ck.DIGEST_SIZES[alg]
    assert h.digest() == value.to_bytes(size, "big")
    assert h.b64() == b64(value.to_bytes(size, "big"))


def test_hash_check_values():
    for alg, fn in (("SHA1", hashlib.sha1), ("SHA256", hashlib.sha256), ("MD5", hashlib.md5)):
        h = ck.hasher(alg)
        h.update(CHECK)
        assert h.digest() == fn(CHECK).digest()
        assert h.b64() == b64(fn(CHECK).digest())


def test_empty_body():
    assert ck.checksum("CRC32", b"") == "AAAAAA=="
    assert ck.checksum("CRC64NVME", b"") == "AAAAAAAAAAA="
    assert ck.checksum("SHA256", b"") == b64(hashlib.sha256().digest())


@pytest.mark.parametrize("alg", ck.ALGORITHMS)
def test_matches_botocore_incrementally(alg):
    rng = random.Random(alg)
    data = rng.randbytes(200_003)
    expected = botocore_b64(alg, data)
    assert ck.checksum(alg, data) == expected
    # Fed in uneven pieces, as bytes, memoryview and bytearray.
    h = ck.hasher(alg.lower())
    pos = 0
    kinds = (bytes, memoryview, bytearray)
    while pos < len(data):
        n = rng.choice((0, 1, 7, 4096, 65536, 100_000))
        piece = data[pos:pos + n]
        h.update(kinds[pos % 3](piece))
        pos += n
    assert h.b64() == expected
    assert base64.b64decode(expected) == h.digest()


def test_unknown_algorithm():
    with pytest.raises(ValueError):
        ck.hasher("CRC16")


def test_names():
    assert ck.header_name("CRC64NVME") == "x-amz-checksum-crc64nvme"
    assert ck.member_name("CRC32C") == "ChecksumCRC32C"
    assert ck.default_checksum_type("CRC64NVME") == "FULL_OBJECT"
    assert ck.default_checksum_type("SHA256") == "COMPOSITE"


# -- what a request carries ---------------------------------------------------

def H(**kw) -> Headers:
    return Headers((k.replace("_", "-"), v) for k, v in kw.items())


def err(fn, *args) -> ServiceError:
    with pytest.raises(ServiceError) as e:
        fn(*args)
    return e.value


def test_requested_none():
    assert ck.requested_checksums(H(content_type="text/plain")) == {}
    # Headers sharing the prefix that are not values.
    assert ck.requested_checksums(H(x_amz_checksum_mode="ENABLED", x_amz_checksum_type="FULL_OBJECT",
                                    x_amz_checksum_algorithm="CRC32")) == {}


@pytest.mark.parametrize("alg", ck.ALGORITHMS)
def test_requested_header_value(alg):
    value = ck.checksum(alg, b"hello")
    assert ck.requested_checksums(Headers([(ck.header_name(alg), value)])) == {alg: value}
    # With the SDK naming the same algorithm (any case).
    h = Headers([(ck.header_name(alg).upper(), value), ("x-amz-sdk-checksum-algorithm", alg.lower())])
    assert ck.requested_checksums(h) == {alg: value}


def test_requested_multiple_headers():
    e = err(ck.requested_checksums, H(x_amz_checksum_crc32="lrVJrA==",
                                      x_amz_checksum_sha1="L5jx/Zcj6n2wGHyNnDqtXs0d3fg="))
    assert (e.code, e.status) == ("InvalidRequest", 400)
    assert e.message == "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed."


@pytest.mark.parametrize("value", ["not base64!", "lrVJrA", "lrVJrA==AA", "AAAAAAAAAAA=", ""])
def test_requested_malformed_value(value):
    e = err(ck.requested_checksums, H(x_amz_checksum_crc32=value))
    assert (e.code, e.message) == ("InvalidRequest", "Value for x-amz-checksum-crc32 header is invalid.")


def test_requested_sdk_algorithm_mismatch_and_unknown():
    e = err(ck.requested_checksums, H(x_amz_checksum_crc32c="ImIEBA==", x_amz_sdk_checksum_algorithm="CRC32"))
    assert (e.code, e.message) == ("InvalidRequest", "Value for x-amz-sdk-checksum-algorithm header is invalid.")
    e = err(ck.requested_checksums, H(x_amz_checksum_crc32="ImIEBA==", x_amz_sdk_checksum_algorithm="MD4"))
    assert e.code == "InvalidRequest"


def test_requested_sdk_algorithm_without_value():
    e = err(ck.requested_checksums, H(x_amz_sdk_checksum_algorithm="CRC32"))
    assert e.code == "InvalidRequest"
    assert e.message == ("x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* "
                         "or x-amz-trailer headers were found.")


def test_requested_trailer():
    h = H(x_amz_trailer="x-amz-checksum-crc32", x_amz_sdk_checksum_algorithm="CRC32",
          x_amz_content_sha256="STREAMING-UNSIGNED-PAYLOAD-TRAILER")
    assert ck.requested_checksums(h) == {"CRC32": None}
    # Declared trailer without the SDK header (still known up front).
    assert ck.requested_checksums(H(x_amz_trailer="x-amz-checksum-crc64nvme")) == {"CRC64NVME": None}
    # SDK algorithm disagreeing with the trailer.
    e = err(ck.requested_checksums, H(x_amz_trailer="x-amz-checksum-crc32", x_amz_sdk_checksum_algorithm="SHA256"))
    assert e.message == "Value for x-amz-sdk-checksum-algorithm header is invalid."
    # A value header as well as a trailer.
    e = err(ck.requested_checksums, H(x_amz_trailer="x-amz-checksum-crc64nvme",
                                      x_amz_checksum_sha1="qvTGHdzF6KLavt4PO0gs2a6pQ00="))
    assert (e.code, e.message) == ("InvalidRequest", "Expecting a single x-amz-checksum- header")
    e = err(ck.requested_checksums, H(x_amz_trailer="x-amz-checksum-md4"))
    assert e.code == "InvalidRequest"


def test_trailing_checksum():
    h = H(x_amz_trailer="x-amz-checksum-crc32")
    assert ck.trailing_checksum(h, {"x-amz-checksum-crc32": "lrVJrA=="}) == {"CRC32": "lrVJrA=="}
    assert ck.trailing_checksum(H(), {}) == {}
    for trailers in ({}, {"x-amz-checksum-crc32c": "lrVJrA=="}):
        e = err(ck.trailing_checksum, h, trailers)
        assert e.code == "MalformedTrailerError"
        assert e.message.startswith("The request contained trailing data that was not well-formed")
    # A checksum trailer nobody declared.
    assert err(ck.trailing_checksum, H(), {"x-amz-checksum-crc32": "lrVJrA=="}).code == "MalformedTrailerError"
    e = err(ck.trailing_checksum, H(x_amz_trailer="x-amz-checksum-crc64nvme"),
            {"x-amz-checksum-crc64nvme": "M3eFcAZSQlcb"})
    assert (e.code, e.message) == ("InvalidRequest", "Value for x-amz-checksum-crc64nvme trailing header is invalid.")


# -- verification -------------------------------------------------------------

def test_verify():
    good = ck.checksum("CRC32", b"hello world" * 3)
    assert good == "lrVJrA=="
    ck.verify("CRC32", good, good)
    e = err(ck.verify, "CRC32", ck.checksum("CRC32", b"other"), good)
    assert (e.code, e.status, e.message) == (
        "BadDigest", 400, "The CRC32 you specified did not match the calculated checksum.")
    e = err(ck.verify, "SHA256", ck.checksum("SHA256", b"x"), ck.checksum("SHA256", b"y"))
    assert e.message == "The SHA256 you specified did not match the calculated checksum."
    e = err(ck.verify, "CRC32", "####", good)
    assert (e.code, e.message) == ("InvalidRequest", "Value for x-amz-checksum-crc32 header is invalid.")
    e = err(ck.verify, "crc32c", ck.checksum("CRC64NVME", b""), good)  # wrong length
    assert e.message == "Value for x-amz-checksum-crc32c header is invalid."
    e = err(ck.verify, "SHA1", "####", good, True)
    assert e.message == "Value for x-amz-checksum-sha1 trailing header is invalid."


def test_content_md5():
    body = b"payload"
    md5 = hashlib.md5(body).digest()
    ck.verify_content_md5(b64(md5), md5)
    e = err(ck.verify_content_md5, b64(hashlib.md5(b"x").digest()), md5)
    assert (e.code, e.message) == ("BadDigest", "The Content-MD5 you specified did not match what we received.")
    assert e.fields["CalculatedDigest"] == b64(md5)
    assert err(ck.verify_content_md5, "abc", md5).code == "InvalidDigest"


# -- multipart ----------------------------------------------------------------

def test_multipart_checksum_type():
    assert ck.multipart_checksum_type(None, None) is None
    assert ck.multipart_checksum_type("CRC32", None) == "COMPOSITE"
    assert ck.multipart_checksum_type("CRC32", "FULL_OBJECT") == "FULL_OBJECT"
    assert ck.multipart_checksum_type("CRC64NVME", None) == "FULL_OBJECT"
    assert ck.multipart_checksum_type("SHA256", "COMPOSITE") == "COMPOSITE"
    e = err(ck.multipart_checksum_type, "SHA256", "FULL_OBJECT")
    assert e.message == "The FULL_OBJECT checksum type cannot be used with the sha256 checksum algorithm."
    e = err(ck.multipart_checksum_type, "CRC64NVME", "COMPOSITE")
    assert e.message == "The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm."
    assert err(ck.multipart_checksum_type, None, "COMPOSITE").message == (
        "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.")
    e = err(ck.multipart_checksum_type, "CRC32", "BOTH")
    assert e.message == "Value for x-amz-checksum-type header is invalid."
    assert err(ck.multipart_checksum_type, "MD5", None).code == "InvalidRequest"


def split(data: bytes, rng: random.Random, n: int) -> list[bytes]:
    cuts = sorted(rng.sample(range(1, len(data)), n - 1))
    return [data[a:b] for a, b in zip([0] + cuts, cuts + [len(data)])]


@pytest.mark.parametrize("alg", ck.COMPOSITE_ALGORITHMS)
def test_composite(alg):
    rng = random.Random(1)
    parts = split(rng.randbytes(50_000), rng, 5)
    digests = [base64.b64decode(botocore_b64(alg, p)) for p in parts]
    expected = botocore_b64(alg, b"".join(digests)) + "-5"
    assert ck.composite(alg, digests) == expected
    assert ck.composite(alg, digests[:1]).endswith("-1")


def test_composite_known_shape():
    # Two parts: CRC32 of the two 4-byte part CRCs, then "-2".
    d1 = (0xCBF43926).to_bytes(4, "big")
    d2 = (0).to_bytes(4, "big")
    assert ck.composite("CRC32", [d1, d2]) == b64(crt.crc32(d1 + d2).to_bytes(4, "big")) + "-2"


@pytest.mark.parametrize("alg", ck.FULL_OBJECT_ALGORITHMS)
def test_full_object_crc(alg):
    rng = random.Random(alg)
    data = rng.randbytes(1 << 20) + os.urandom(12345)
    whole = botocore_b64(alg, data)
    for nparts in (1, 2, 3, 17):
        parts = split(data, rng, nparts) if nparts > 1 else [data]
        pairs = [(base64.b64decode(botocore_b64(alg, p)), len(p)) for p in parts]
        assert ck.full_object_crc(alg, pairs) == whole
    # Parts of 5 MiB-like equal sizes plus a short tail.
    parts = [data[i:i + 300_000] for i in range(0, len(data), 300_000)]
    pairs = [(base64.b64decode(ck.checksum(alg, p)), len(p)) for p in parts]
    assert ck.full_object_crc(alg.lower(), pairs) == whole


@pytest.mark.parametrize("alg", ck.FULL_OBJECT_ALGORITHMS)
def test_combine_python_fallback_matches_awscrt(alg):
    fn = {"CRC32": crt.crc32, "CRC32C": crt.crc32c, "CRC64NVME": crt.crc64nvme}[alg]
    rng = random.Random(7)
    for len1, len2 in ((0, 0), (0, 5), (5, 0), (1, 1), (100, 3), (4096, 65537), (3, 1 << 20)):
        a, b = rng.randbytes(len1), rng.randbytes(len2)
        assert ck.combine_py(alg, fn(a), fn(b), len2) == fn(a + b)
        assert ck.combine(alg, fn(a), fn(b), len2) == fn(a + b)
    # Large lengths without data (5 GiB parts): both implementations agree.
    assert ck.combine_py(alg, 0x1234, 0x5678, 5 << 30) == ck.combine(alg, 0x1234, 0x5678, 5 << 30)


def test_full_object_rejects_sha():
    with pytest.raises(ValueError):
        ck.full_object_crc("SHA256", [])
