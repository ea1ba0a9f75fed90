"""Object Lambda access points: the S3 Control operations and their configuration."""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from .conftest import ACCOUNT

FUNCTION = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:upper"
POLICY = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3-object-lambda:*",' \
         '"Resource":"*"}]}'


def config(supporting: str, actions=("GetObject",), function=FUNCTION, **extra) -> dict:
    return {"SupportingAccessPoint": supporting,
            "TransformationConfigurations": [{"Actions": list(actions),
                                              "ContentTransformation": {"AwsLambda": {"FunctionArn": function}}}],
            **extra}


def code(e: pytest.ExceptionInfo) -> tuple[str, int]:
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture
def olap(control, access_point):
    return control.create_access_point_for_object_lambda(
        AccountId=ACCOUNT, Name="upper-ap", Configuration=config(access_point["AccessPointArn"]))


def test_create_returns_arn_and_alias(olap):
    assert olap["ObjectLambdaAccessPointArn"] == f"arn:aws:s3-object-lambda:us-east-1:{ACCOUNT}:accesspoint/upper-ap"
    assert olap["Alias"]["Value"].startswith("upper-ap-") and olap["Alias"]["Value"].endswith("--ol-s3")
    assert olap["Alias"]["Status"] == "READY"


def test_get_list_and_configuration(control, access_point, olap):
    got = control.get_access_point_for_object_lambda(AccountId=ACCOUNT, Name="upper-ap")
    assert got["Name"] == "upper-ap" and got["Alias"] == olap["Alias"]
    assert got["PublicAccessBlockConfiguration"]["BlockPublicPolicy"] is True
    assert got["CreationDate"].year >= 2020
    listed = control.list_access_points_for_object_lambda(AccountId=ACCOUNT)["ObjectLambdaAccessPointList"]
    assert listed == [{"Name": "upper-ap", "ObjectLambdaAccessPointArn": olap["ObjectLambdaAccessPointArn"],
                       "Alias": olap["Alias"]}]
    conf = control.get_access_point_configuration_for_object_lambda(AccountId=ACCOUNT, Name="upper-ap")
    assert conf["Configuration"]["SupportingAccessPoint"] == access_point["AccessPointArn"]
    assert conf["Configuration"]["TransformationConfigurations"][0]["ContentTransformation"] == {
        "AwsLambda": {"FunctionArn": FUNCTION}}


def test_put_configuration_replaces_it(control, access_point, olap):
    new = config(access_point["AccessPointArn"], actions=("GetObject", "HeadObject"),
                 function=FUNCTION + ":$LATEST", AllowedFeatures=["GetObject-Range"], CloudWatchMetricsEnabled=True)
    new["TransformationConfigurations"][0]["ContentTransformation"]["AwsLambda"]["FunctionPayload"] = "p"
    control.put_access_point_configuration_for_object_lambda(AccountId=ACCOUNT, Name="upper-ap", Configuration=new)
    got = control.get_access_point_configuration_for_object_lambda(AccountId=ACCOUNT, Name="upper-ap")["Configuration"]
    assert got["AllowedFeatures"] == ["GetObject-Range"] and got["CloudWatchMetricsEnabled"] is True
    t = got["TransformationConfigurations"][0]
    assert t["Actions"] == ["GetObject", "HeadObject"]
    assert t["ContentTransformation"]["AwsLambda"] == {"FunctionArn": FUNCTION + ":$LATEST", "FunctionPayload": "p"}


def test_list_pages(control, access_point):
    for n in ("ol-a", "ol-b", "ol-c"):
        control.create_access_point_for_object_lambda(AccountId=ACCOUNT, Name=n,
                                                      Configuration=config(access_point["AccessPointArn"]))
    first = control.list_access_points_for_object_lambda(AccountId=ACCOUNT, MaxResults=2)
    assert [a["Name"] for a in first["ObjectLambdaAccessPointList"]] == ["ol-a", "ol-b"]
    rest = control.list_access_points_for_object_lambda(AccountId=ACCOUNT, NextToken=first["NextToken"])
    assert [a["Name"] for a in rest["ObjectLambdaAccessPointList"]] == ["ol-c"] and "NextToken" not in rest


def test_delete(control, olap):
    control.delete_access_point_for_object_lambda(AccountId=ACCOUNT, Name="upper-ap")
    with pytest.raises(ClientError) as e:
        control.get_access_point_for_object_lambda(AccountId=ACCOUNT, Name="upper-ap")
    assert code(e) == ("NoSuchAccessPoint", 404)
    with pytest.raises(ClientError) as e:
        control.delete_access_point_for_object_lambda(AccountId=ACCOUNT, Name="upper-ap")
    assert code(e) == ("NoSuchAccessPoint", 404)
    assert control.list_access_points_for_object_lambda(AccountId=ACCOUNT)["ObjectLambdaAccessPointList"] == []


def test_create_errors(control, access_point, olap):
    ap = access_point["AccessPointArn"]
    cases = [
        ("upper-ap", config(ap), ("AccessPointAlreadyOwnedByYou", 409)),
        ("Bad_Name", config(ap), ("InvalidURI", 400)),
        ("missing", config(ap.replace("/myap", "/nope")), ("InvalidRequest", 400)),
        ("badarn", config("arn:aws:s3:::bucket"), ("InvalidRequest", 400)),
        ("badaction", config(ap, actions=("PutObject",)), ("InvalidArgument", 400)),
        ("twice", {"SupportingAccessPoint": ap, "TransformationConfigurations": [
            config(ap)["TransformationConfigurations"][0]] * 2}, ("InvalidRequest", 400)),
        ("badfn", config(ap, function="not a function!"), ("InvalidRequest", 400)),
        ("badfeature", config(ap, AllowedFeatures=["PutObject-Range"]), ("InvalidArgument", 400)),
    ]
    for name, conf, expected in cases:
        with pytest.raises(ClientError) as e:
            control.create_access_point_for_object_lambda(AccountId=ACCOUNT, Name=name, Configuration=conf)
        assert code(e) == expected, name
    with pytest.raises(ClientError) as e:
        control.create_access_point_for_object_lambda(AccountId="111111111111", Name="other", Configuration=config(ap))
    assert code(e) == ("AccessDenied", 403)
    names = [a["Name"] for a in control.list_access_points_for_object_lambda(AccountId=ACCOUNT)[
        "ObjectLambdaAccessPointList"]]
    assert names == ["upper-ap"]


def test_policy_lifecycle(control, olap):
    with pytest.raises(ClientError) as e:
        control.get_access_point_policy_for_object_lambda(AccountId=ACCOUNT, Name="upper-ap")
    assert code(e) == ("NoSuchAccessPointPolicy", 404)
    with pytest.raises(ClientError) as e:
        control.get_access_point_policy_status_for_object_lambda(AccountId=ACCOUNT, Name="upper-ap")
    assert code(e) == ("NoSuchAccessPointPolicy", 404)
    control.put_access_point_policy_for_object_lambda(AccountId=ACCOUNT, Name="upper-ap", Policy=POLICY)
    assert control.get_access_point_policy_for_object_lambda(AccountId=ACCOUNT, Name="upper-ap")["Policy"] == POLICY
    status = control.get_access_point_policy_status_for_object_lambda(AccountId=ACCOUNT, Name="upper-ap")
    assert status["PolicyStatus"]["IsPublic"] is True
    with pytest.raises(ClientError) as e:
        control.put_access_point_policy_for_object_lambda(AccountId=ACCOUNT, Name="upper-ap", Policy="not json")
    assert code(e) == ("MalformedPolicy", 400)
    control.delete_access_point_policy_for_object_lambda(AccountId=ACCOUNT, Name="upper-ap")
    with pytest.raises(ClientError) as e:
        control.get_access_point_policy_for_object_lambda(AccountId=ACCOUNT, Name="upper-ap")
    assert code(e) == ("NoSuchAccessPointPolicy", 404)
    with pytest.raises(ClientError) as e:
        control.put_access_point_policy_for_object_lambda(AccountId=ACCOUNT, Name="nope", Policy=POLICY)
    assert code(e) == ("NoSuchAccessPoint", 404)


def test_configuration_survives_restart(server_process, tmp_path):
    from .conftest import loopback
    data = str(tmp_path / "data")
    server = server_process("--data-dir", data)
    s3, control = loopback(server.client("s3"), server.port), loopback(server.client("s3control"), server.port)
    s3.create_bucket(Bucket="durable")
    ap = control.create_access_point(AccountId=ACCOUNT, Name="keep", Bucket="durable")["AccessPointArn"]
    alias = control.create_access_point_for_object_lambda(AccountId=ACCOUNT, Name="keep-ol",
                                                          Configuration=config(ap))["Alias"]
    control.put_access_point_policy_for_object_lambda(AccountId=ACCOUNT, Name="keep-ol", Policy=POLICY)
    server.kill9()

    server = server_process("--data-dir", data)
    control = loopback(server.client("s3control"), server.port)
    assert control.get_access_point_for_object_lambda(AccountId=ACCOUNT, Name="keep-ol")["Alias"] == alias
    conf = control.get_access_point_configuration_for_object_lambda(AccountId=ACCOUNT, Name="keep-ol")
    assert conf["Configuration"]["SupportingAccessPoint"] == ap
    assert control.get_access_point_policy_for_object_lambda(AccountId=ACCOUNT, Name="keep-ol")["Policy"] == POLICY


# -- the data plane: GetObject through the Object Lambda access point ---------------------------

UPPER = '''
import boto3, urllib.request
from botocore.config import Config

def handler(event, context):
    ctx = event["getObjectContext"]
    assert event["protocolVersion"] == "1.00"
    assert event["configuration"]["supportingAccessPointArn"].endswith(":accesspoint/myap")
    original = urllib.request.urlopen(ctx["inputS3Url"]).read()
    s3 = boto3.client("s3", config=Config(inject_host_prefix=False))
    s3.write_get_object_response(RequestRoute=ctx["outputRoute"], RequestToken=ctx["outputToken"],
                                 Body=original.upper(), ContentType="text/plain", Metadata={"by": "lambda"})
    return {"status_code": 200}
'''
SILENT = '''
def handler(event, context):
    return {"status_code": 200}
'''
FAILING = '''
def handler(event, context):
    raise RuntimeError("boom")
'''
REFUSING = '''
import boto3
from botocore.config import Config

def handler(event, context):
    ctx = event["getObjectContext"]
    boto3.client("s3", config=Config(inject_host_prefix=False)).write_get_object_response(
        RequestRoute=ctx["outputRoute"], RequestToken=ctx["outputToken"], StatusCode=403,
        ErrorCode="NoSecrets", ErrorMessage="Not for you")
    return {"status_code": 403}
'''


@pytest.fixture
def function(make_client):
    import io
    import zipfile
    lam = make_client("lambda")

    def make(name: str, code: str) -> str:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("app.py", code)
        return lam.create_function(FunctionName=name, Runtime="python3.12", Handler="app.handler", Timeout=30,
                                   Role=f"arn:aws:iam::{ACCOUNT}:role/r", Code={"ZipFile": buf.getvalue()})[
            "FunctionArn"]

    return make


def olap_with(control, access_point, name: str, function_arn: str) -> str:
    return control.create_access_point_for_object_lambda(
        AccountId=ACCOUNT, Name=name, Configuration=config(access_point["AccessPointArn"], function=function_arn))[
        "ObjectLambdaAccessPointArn"]


def test_get_object_is_transformed_by_the_function(s3, control, bucket, access_point, function):
    s3.put_object(Bucket=bucket, Key="docs/hello.txt", Body=b"hello, object lambda")
    arn = olap_with(control, access_point, "upper", function("upper", UPPER))
    got = s3.get_object(Bucket=arn, Key="docs/hello.txt")
    assert got["Body"].read() == b"HELLO, OBJECT LAMBDA"
    assert got["ContentType"] == "text/plain" and got["Metadata"] == {"by": "lambda"}
    # The alias stands where the bucket name goes, too.
    alias = control.get_access_point_for_object_lambda(AccountId=ACCOUNT, Name="upper")["Alias"]["Value"]
    assert s3.get_object(Bucket=alias, Key="docs/hello.txt")["Body"].read() == b"HELLO, OBJECT LAMBDA"
    # The original is untouched.
    assert s3.get_object(Bucket=bucket, Key="docs/hello.txt")["Body"].read() == b"hello, object lambda"


def test_function_errors_reach_the_caller(s3, control, bucket, access_point, function):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    cases = [("silent", SILENT, ("LambdaResponseNotReceived", 500)),
             ("failing", FAILING, ("LambdaRuntimeError", 500)),
             ("refusing", REFUSING, ("NoSecrets", 403))]
    for name, code_text, expected in cases:
        arn = olap_with(control, access_point, name, function(name, code_text))
        with pytest.raises(ClientError) as e:
            s3.get_object(Bucket=arn, Key="k")
        assert code(e) == expected, name
    arn = olap_with(control, access_point, "nofn", f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:missing")
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=arn, Key="k")
    assert code(e) == ("LambdaNotFound", 404)


def test_without_a_get_object_transformation_the_supporting_access_point_answers(s3, control, bucket,
                                                                                  access_point):
    s3.put_object(Bucket=bucket, Key="k", Body=b"plain")
    arn = control.create_access_point_for_object_lambda(
        AccountId=ACCOUNT, Name="heads-only",
        Configuration=config(access_point["AccessPointArn"], actions=("HeadObject",)))["ObjectLambdaAccessPointArn"]
    assert s3.get_object(Bucket=arn, Key="k")["Body"].read() == b"plain"


def test_write_get_object_response_needs_a_waiting_request(make_client):
    # boto3 puts RequestRoute in front of the host unless told not to (a local endpoint has no such host).
    s3 = make_client("s3")
    s3.meta.config.inject_host_prefix = False
    with pytest.raises(ClientError) as e:
        s3.write_get_object_response(RequestRoute="io-use1-001", RequestToken="nothing-waits", Body=b"x")
    assert code(e) == ("ValidationError", 400)
