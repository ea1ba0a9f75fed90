"""GetObjectTorrent: a bencoded single-file torrent of the object."""
from __future__ import annotations

import hashlib

import pytest
from botocore.exceptions import ClientError


def _error(call, **kwargs):
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def _bdecode(data: bytes, i: int = 0):
    c = data[i:i + 1]
    if c == b"i":
        end = data.index(b"e", i)
        return int(data[i + 1:end]), end + 1
    if c == b"l":
        out, i = [], i + 1
        while data[i:i + 1] != b"e":
            v, i = _bdecode(data, i)
            out.append(v)
        return out, i + 1
    if c == b"d":
        out, i = {}, i + 1
        while data[i:i + 1] != b"e":
            k, i = _bdecode(data, i)
            out[k], i = _bdecode(data, i)
        return out, i + 1
    colon = data.index(b":", i)
    n = int(data[i:colon])
    return data[colon + 1:colon + 1 + n], colon + 1 + n


@pytest.mark.parametrize("size", [0, 5, 256 * 1024, 700 * 1024 + 3])
def test_the_torrent_describes_the_object(s3, bucket, size):
    body = bytes(range(256)) * (size // 256) + b"z" * (size % 256)
    s3.put_object(Bucket=bucket, Key="media/video.mp4", Body=body)
    r = s3.get_object_torrent(Bucket=bucket, Key="media/video.mp4")
    assert r["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "application/x-bittorrent"
    assert "video.mp4.torrent" in r["ResponseMetadata"]["HTTPHeaders"]["content-disposition"]
    data = r["Body"].read()
    torrent, end = _bdecode(data)
    assert end == len(data)
    info = torrent[b"info"]
    assert (info[b"name"], info[b"length"]) == (b"video.mp4", size)
    piece = info[b"piece length"]
    expected = b"".join(hashlib.sha1(body[i:i + piece]).digest() for i in range(0, size, piece))
    assert info[b"pieces"] == expected
    assert torrent[b"announce"].startswith(b"http://")


def test_torrent_errors(s3, bucket, aws_client):
    assert _error(s3.get_object_torrent, Bucket=bucket, Key="missing") == ("NoSuchKey", 404)
    assert _error(s3.get_object_torrent, Bucket="no-such-bucket-here", Key="k") == ("NoSuchBucket", 404)
    s3.put_object(Bucket=bucket, Key="cold", Body=b"x", StorageClass="GLACIER")
    assert _error(s3.get_object_torrent, Bucket=bucket, Key="cold") == ("InvalidObjectState", 403)


def test_regions_launched_after_may_2016_serve_no_torrents(aws_client):
    s3 = aws_client("s3", region="eu-north-1")
    s3.create_bucket(Bucket="stockholm-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-north-1"})
    s3.put_object(Bucket="stockholm-bucket", Key="k", Body=b"x")
    assert _error(s3.get_object_torrent, Bucket="stockholm-bucket", Key="k") == ("InvalidRequest", 400)


def test_a_key_with_other_characters_gets_a_safe_file_name(s3, bucket):
    s3.put_object(Bucket=bucket, Key='clips/vidéo "1".mp4', Body=b"x")
    r = s3.get_object_torrent(Bucket=bucket, Key='clips/vidéo "1".mp4')
    disposition = r["ResponseMetadata"]["HTTPHeaders"]["content-disposition"]
    assert disposition == ("attachment; filename=\"vid_o _1_.mp4.torrent\"; "
                           "filename*=UTF-8''vid%C3%A9o%20%221%22.mp4.torrent")
    assert _bdecode(r["Body"].read())[0][b"info"][b"name"] == 'vidéo "1".mp4'.encode()
