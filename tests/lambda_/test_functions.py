"""The control plane: creating, reading, listing, updating and deleting functions."""
from __future__ import annotations

import base64
import hashlib
import io
import os
import urllib.error
import urllib.request
import zipfile

import pytest

from .conftest import ACCOUNT, ROLE, code, error_of, status, zip_of

HANDLER = {"app.py": "def handler(event, context):\n    return event\n"}


def test_create_answers_the_configuration_pending_then_active(lam, make_function):
    package = zip_of(HANDLER)
    out = lam.create_function(FunctionName="hello", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                              Code={"ZipFile": package}, Description="says hello", Timeout=10, MemorySize=256,
                              Environment={"Variables": {"GREETING": "hi"}}, Tags={"team": "a"})
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert out["FunctionArn"] == f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:hello"
    assert out["State"] == "Pending" and out["StateReasonCode"] == "Creating"
    assert out["CodeSha256"] == base64.b64encode(hashlib.sha256(package).digest()).decode()
    assert out["CodeSize"] == len(package)
    assert out["Version"] == "$LATEST" and out["PackageType"] == "Zip"
    assert out["Timeout"] == 10 and out["MemorySize"] == 256 and out["Description"] == "says hello"
    assert out["Environment"] == {"Variables": {"GREETING": "hi"}}
    assert out["Architectures"] == ["x86_64"] and out["EphemeralStorage"] == {"Size": 512}
    assert out["LastModified"].endswith("+0000") and len(out["LastModified"]) == 28
    assert out["RevisionId"]
    lam.get_waiter("function_active_v2").wait(FunctionName="hello", WaiterConfig={"Delay": 1, "MaxAttempts": 3})
    got = lam.get_function(FunctionName="hello")
    assert got["Configuration"]["State"] == "Active"
    assert got["Configuration"]["LastUpdateStatus"] == "Successful"
    assert got["Tags"] == {"team": "a"}
    # Code.Location is a URL nubis serves: the very package uploaded.
    with urllib.request.urlopen(got["Code"]["Location"]) as r:
        assert r.read() == package
    cfg = lam.get_function_configuration(FunctionName=out["FunctionArn"])
    assert cfg["RevisionId"] == out["RevisionId"]


def test_duplicate_and_missing_functions(lam, make_function):
    make_function("dup", HANDLER)
    e = error_of(make_function, "dup", HANDLER)
    assert code(e) == "ResourceConflictException" and status(e) == 409
    assert "Function already exist: dup" in str(e)
    e = error_of(lam.get_function, FunctionName="nope")
    assert code(e) == "ResourceNotFoundException" and status(e) == 404
    assert f"Function not found: arn:aws:lambda:us-east-1:{ACCOUNT}:function:nope" in str(e)
    e = error_of(lam.invoke, FunctionName="nope")
    assert code(e) == "ResourceNotFoundException"


@pytest.mark.parametrize("change,error,fragment", [
    ({"MemorySize": 64}, "ValidationException", "greater than or equal to 128"),
    ({"MemorySize": 10241}, "ValidationException", "less than or equal to 10240"),
    ({"Timeout": 0}, "ValidationException", "greater than or equal to 1"),
    ({"Timeout": 901}, "ValidationException", "less than or equal to 900"),
    ({"Runtime": "cobol9"}, "ValidationException", "enum value set"),
    ({"Runtime": "python3.7"}, "InvalidParameterValueException", "no longer supported"),
    ({"Role": "not-a-role"}, "ValidationException", "at 'role'"),
    ({"EphemeralStorage": {"Size": 100}}, "ValidationException", "ephemeralStorage.size"),
    ({"Architectures": ["x86_64", "arm64"]}, "ValidationException", "architectures"),
    ({"Environment": {"Variables": {"BIG": "x" * 5000}}}, "InvalidParameterValueException", "4KB"),
    ({"Environment": {"Variables": {"AWS_REGION": "x"}}}, "InvalidParameterValueException", "reserved keys"),
])
def test_create_validates_like_lambda(lam, unchecked_lam, change, error, fragment):
    kwargs = dict(FunctionName="bad", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                  Code={"ZipFile": zip_of(HANDLER)})
    kwargs.update(change)
    e = error_of(unchecked_lam.create_function, **kwargs)
    assert code(e) == error and status(e) == 400
    assert fragment in str(e)
    assert code(error_of(lam.get_function, FunctionName="bad")) == "ResourceNotFoundException"


def test_code_must_be_a_zip_and_small_enough(lam):
    kwargs = dict(FunctionName="z", Runtime="python3.12", Role=ROLE, Handler="app.handler")
    e = error_of(lam.create_function, Code={"ZipFile": b"not a zip"}, **kwargs)
    assert code(e) == "InvalidParameterValueException" and "Could not unzip" in str(e)
    # 250 MB unzipped is the limit, whatever the zipped size.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("big.bin", b"\0" * (251 * 1024 * 1024))
    e = error_of(lam.create_function, Code={"ZipFile": buf.getvalue()}, **kwargs)
    assert code(e) == "InvalidParameterValueException" and "Unzipped size must be smaller than 262144000" in str(e)


def test_code_from_s3(lam, aws_client):
    s3 = aws_client("s3")
    s3.create_bucket(Bucket="code")
    package = zip_of(HANDLER)
    s3.put_object(Bucket="code", Key="fn.zip", Body=package)
    out = lam.create_function(FunctionName="from-s3", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                              Code={"S3Bucket": "code", "S3Key": "fn.zip"})
    assert out["CodeSha256"] == base64.b64encode(hashlib.sha256(package).digest()).decode()
    assert lam.invoke(FunctionName="from-s3", Payload=b'{"x": 1}')["Payload"].read() == b'{"x": 1}'
    s3.put_object(Bucket="code", Key="v2.zip", Body=zip_of({"app.py": "def handler(e, c):\n    return 2\n"}))
    lam.update_function_code(FunctionName="from-s3", S3Bucket="code", S3Key="v2.zip")
    assert lam.invoke(FunctionName="from-s3")["Payload"].read() == b"2"
    e = error_of(lam.create_function, FunctionName="missing", Runtime="python3.12", Role=ROLE,
                 Handler="app.handler", Code={"S3Bucket": "code", "S3Key": "nope.zip"})
    assert code(e) == "InvalidParameterValueException" and "NoSuchKey" in str(e)


def test_list_functions_pages(lam, make_function):
    for i in range(5):
        make_function(f"f{i}", HANDLER)
    names, marker = [], None
    while True:
        page = lam.list_functions(MaxItems=2, **({"Marker": marker} if marker else {}))
        assert len(page["Functions"]) <= 2
        names += [f["FunctionName"] for f in page["Functions"]]
        marker = page.get("NextMarker")
        if not marker:
            break
    assert names == [f"f{i}" for i in range(5)]
    everything = [f["FunctionName"] for p in lam.get_paginator("list_functions").paginate() for f in p["Functions"]]
    assert everything == names


def test_update_code_and_configuration(lam, unchecked_lam, make_function):
    first = make_function("upd", HANDLER)
    new_package = zip_of({"app.py": "def handler(event, context):\n    return 'v2'\n"})
    out = lam.update_function_code(FunctionName="upd", ZipFile=new_package)
    assert out["LastUpdateStatus"] == "InProgress"
    assert out["CodeSha256"] != first["CodeSha256"] and out["RevisionId"] != first["RevisionId"]
    lam.get_waiter("function_updated_v2").wait(FunctionName="upd", WaiterConfig={"Delay": 1, "MaxAttempts": 3})
    assert lam.invoke(FunctionName="upd")["Payload"].read() == b'"v2"'
    out = lam.update_function_configuration(FunctionName="upd", MemorySize=512, Timeout=30,
                                            Environment={"Variables": {"AB": "1"}})
    assert out["MemorySize"] == 512 and out["Timeout"] == 30 and out["LastUpdateStatus"] == "InProgress"
    cfg = lam.get_function_configuration(FunctionName="upd")
    assert cfg["LastUpdateStatus"] == "Successful" and cfg["Environment"]["Variables"] == {"AB": "1"}
    e = error_of(lam.update_function_configuration, FunctionName="upd", RevisionId="stale", Timeout=5)
    assert code(e) == "PreconditionFailedException" and status(e) == 412
    e = error_of(unchecked_lam.update_function_configuration, FunctionName="upd", MemorySize=1)
    assert code(e) == "ValidationException"


def test_delete_function(lam, make_function):
    make_function("gone", HANDLER)
    assert lam.delete_function(FunctionName="gone")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert code(error_of(lam.get_function, FunctionName="gone")) == "ResourceNotFoundException"
    assert code(error_of(lam.delete_function, FunctionName="gone")) == "ResourceNotFoundException"
    make_function("gone", HANDLER)  # the name is free again


def test_tags(lam, make_function):
    arn = make_function("tagged", HANDLER, Tags={"a": "1"})["FunctionArn"]
    lam.tag_resource(Resource=arn, Tags={"b": "2"})
    assert lam.list_tags(Resource=arn)["Tags"] == {"a": "1", "b": "2"}
    lam.untag_resource(Resource=arn, TagKeys=["a"])
    assert lam.list_tags(Resource=arn)["Tags"] == {"b": "2"}
    e = error_of(lam.list_tags, Resource=arn.replace("tagged", "other"))
    assert code(e) == "ResourceNotFoundException"


def test_account_settings(lam, make_function):
    package_size = make_function("counted", HANDLER)["CodeSize"]
    out = lam.get_account_settings()
    assert out["AccountLimit"]["CodeSizeZipped"] == 52428800
    assert out["AccountLimit"]["CodeSizeUnzipped"] == 262144000
    assert out["AccountLimit"]["ConcurrentExecutions"] == 1000
    assert out["AccountUsage"] == {"FunctionCount": 1, "TotalCodeSize": package_size}


def test_code_location_expires_on_the_clock(lam, make_function, nubis):
    nubis.freeze()
    make_function("loc", HANDLER)
    url = lam.get_function(FunctionName="loc")["Code"]["Location"]
    with urllib.request.urlopen(url) as r:
        assert r.status == 200
    nubis.advance(601)
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(url)
    assert info.value.code == 403
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(url.replace("Signature=", "Signature=0"))
    assert info.value.code == 403
    with pytest.raises(urllib.error.HTTPError) as info:  # a signature beyond ASCII is no match either
        urllib.request.urlopen(url.replace("Signature=", "Signature=%C3%A9"))
    assert info.value.code == 403


def test_code_from_a_version_of_an_s3_object(lam, aws_client):
    s3 = aws_client("s3")
    s3.create_bucket(Bucket="versioned-code")
    s3.put_bucket_versioning(Bucket="versioned-code", VersioningConfiguration={"Status": "Enabled"})
    first = s3.put_object(Bucket="versioned-code", Key="fn.zip",
                          Body=zip_of({"app.py": "def handler(e, c):\n    return 'first'\n"}))["VersionId"]
    s3.put_object(Bucket="versioned-code", Key="fn.zip",
                  Body=zip_of({"app.py": "def handler(e, c):\n    return 'second'\n"}))
    lam.create_function(FunctionName="pinned", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                        Code={"S3Bucket": "versioned-code", "S3Key": "fn.zip", "S3ObjectVersion": first})
    assert lam.invoke(FunctionName="pinned")["Payload"].read() == b'"first"'


def test_direct_upload_over_50_mb_is_too_large(lam):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("noise.bin", os.urandom(50 * 1024 * 1024 + 1))
    e = error_of(lam.create_function, FunctionName="huge", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                 Code={"ZipFile": buf.getvalue()})
    assert code(e) == "RequestEntityTooLargeException" and status(e) == 413
    assert "Request must be smaller than 69905067 bytes for the CreateFunction operation" in str(e)
