"""Resource policies, reserved concurrency (enforced), and layers under /opt."""
from __future__ import annotations

import json
import shutil
import threading
import time

import pytest

from .conftest import ACCOUNT, code, error_of, status, zip_of

ECHO = {"app.py": "import time\ndef handler(e, c):\n    time.sleep(e.get('sleep', 0))\n    return e\n"}


def test_permissions(lam, make_function):
    arn = make_function("pol", ECHO)["FunctionArn"]
    e = error_of(lam.get_policy, FunctionName="pol")
    assert code(e) == "ResourceNotFoundException"
    out = lam.add_permission(FunctionName="pol", StatementId="s3-invoke", Action="lambda:InvokeFunction",
                             Principal="s3.amazonaws.com", SourceArn="arn:aws:s3:::bucket", SourceAccount=ACCOUNT)
    statement = json.loads(out["Statement"])
    assert statement == {"Sid": "s3-invoke", "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
                         "Action": "lambda:InvokeFunction", "Resource": arn,
                         "Condition": {"StringEquals": {"AWS:SourceAccount": ACCOUNT},
                                       "ArnLike": {"AWS:SourceArn": "arn:aws:s3:::bucket"}}}
    lam.add_permission(FunctionName="pol", StatementId="acct", Action="lambda:GetFunction", Principal="111122223333")
    e = error_of(lam.add_permission, FunctionName="pol", StatementId="acct", Action="lambda:InvokeFunction",
                 Principal="*")
    assert code(e) == "ResourceConflictException" and status(e) == 409
    policy = json.loads(lam.get_policy(FunctionName="pol")["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["s3-invoke", "acct"]
    assert policy["Statement"][1]["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    lam.remove_permission(FunctionName="pol", StatementId="s3-invoke")
    assert [s["Sid"] for s in json.loads(lam.get_policy(FunctionName="pol")["Policy"])["Statement"]] == ["acct"]
    e = error_of(lam.remove_permission, FunctionName="pol", StatementId="s3-invoke")
    assert code(e) == "ResourceNotFoundException"


def test_reserved_concurrency_zero_throttles_everything(lam, make_function):
    make_function("conc", ECHO)
    assert lam.get_function_concurrency(FunctionName="conc").get("ReservedConcurrentExecutions") is None
    assert lam.put_function_concurrency(FunctionName="conc",
                                        ReservedConcurrentExecutions=0)["ReservedConcurrentExecutions"] == 0
    assert lam.get_function_concurrency(FunctionName="conc")["ReservedConcurrentExecutions"] == 0
    assert lam.get_function(FunctionName="conc")["Concurrency"] == {"ReservedConcurrentExecutions": 0}
    e = error_of(lam.invoke, FunctionName="conc", Payload=b"{}")
    assert code(e) == "TooManyRequestsException" and status(e) == 429
    assert e.response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    # An event is accepted and stays queued while the function is throttled.
    assert lam.invoke(FunctionName="conc", InvocationType="Event")["StatusCode"] == 202
    lam.delete_function_concurrency(FunctionName="conc")
    assert lam.invoke(FunctionName="conc", Payload=b'{"ok": 1}')["StatusCode"] == 200
    e = error_of(lam.put_function_concurrency, FunctionName="conc", ReservedConcurrentExecutions=950)
    assert code(e) == "InvalidParameterValueException" and "below its minimum value of [100]" in str(e)
    settings = lam.get_account_settings()["AccountLimit"]
    assert settings["UnreservedConcurrentExecutions"] == 1000


def test_reserved_concurrency_one_allows_one_at_a_time(lam, make_function, tmp_path):
    # The function marks a file when it is running (it shares this machine's files).
    source = ("import pathlib, time\ndef handler(e, c):\n    pathlib.Path(e['flag']).touch()\n"
              "    time.sleep(e['sleep'])\n    return 'done'\n")
    make_function("one", {"app.py": source}, Timeout=10)
    lam.put_function_concurrency(FunctionName="one", ReservedConcurrentExecutions=1)
    flag = tmp_path / "running"
    results = []
    worker = threading.Thread(target=lambda: results.append(lam.invoke(
        FunctionName="one", Payload=json.dumps({"flag": str(flag), "sleep": 0.5}))["StatusCode"]))
    worker.start()
    deadline = time.monotonic() + 10
    while not flag.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    e = error_of(lam.invoke, FunctionName="one", Payload=json.dumps({"flag": str(flag), "sleep": 0}))
    assert code(e) == "TooManyRequestsException" and status(e) == 429
    worker.join()
    assert results == [200]
    assert lam.invoke(FunctionName="one", Payload=json.dumps({"flag": str(flag), "sleep": 0}))["StatusCode"] == 200


def test_layer_versions_and_a_handler_importing_from_a_layer(lam, make_function):
    layer_zip = zip_of({"python/shared_lib.py": "def greet(name):\n    return 'hello ' + name\n"})
    v1 = lam.publish_layer_version(LayerName="shared", Content={"ZipFile": layer_zip},
                                   CompatibleRuntimes=["python3.12"], Description="first")
    assert v1["Version"] == 1
    assert v1["LayerVersionArn"] == f"arn:aws:lambda:us-east-1:{ACCOUNT}:layer:shared:1"
    assert v1["Content"]["CodeSize"] == len(layer_zip) and v1["Content"]["Location"].startswith("http")
    v2 = lam.publish_layer_version(LayerName="shared", Content={"ZipFile": layer_zip})
    assert v2["Version"] == 2
    got = lam.get_layer_version(LayerName="shared", VersionNumber=1)
    assert got["Description"] == "first" and got["CompatibleRuntimes"] == ["python3.12"]
    assert lam.get_layer_version_by_arn(Arn=v1["LayerVersionArn"])["Version"] == 1
    layers = lam.list_layers()["Layers"]
    assert [(l["LayerName"], l["LatestMatchingVersion"]["Version"]) for l in layers] == [("shared", 2)]
    assert [v["Version"] for v in lam.list_layer_versions(LayerName="shared")["LayerVersions"]] == [2, 1]
    source = "import shared_lib\ndef handler(e, c):\n    return shared_lib.greet(e['name'])\n"
    cfg = make_function("layered", {"app.py": source}, Layers=[v1["LayerVersionArn"]])
    assert cfg["Layers"] == [{"Arn": v1["LayerVersionArn"], "CodeSize": len(layer_zip)}]
    out = lam.invoke(FunctionName="layered", Payload=b'{"name": "layer"}')
    assert json.loads(out["Payload"].read()) == "hello layer"
    e = error_of(make_function, "bad-layer", {"app.py": source},
                 Layers=[f"arn:aws:lambda:us-east-1:{ACCOUNT}:layer:shared:9"])
    assert code(e) == "InvalidParameterValueException"
    lam.delete_layer_version(LayerName="shared", VersionNumber=2)
    assert code(error_of(lam.get_layer_version, LayerName="shared", VersionNumber=2)) == "ResourceNotFoundException"
    v3 = lam.publish_layer_version(LayerName="shared", Content={"ZipFile": layer_zip})
    assert v3["Version"] == 3  # numbers are never reused


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_node_handler_requires_from_a_layer(lam, make_function):
    layer = lam.publish_layer_version(LayerName="nodelib", Content={"ZipFile": zip_of({
        "nodejs/node_modules/shout/index.js": "module.exports = (s) => s.toUpperCase() + '!';"})})
    make_function("node-layered", {"index.js": "const shout = require('shout');\n"
                                               "exports.handler = async (e) => shout(e.word);"},
                  handler="index.handler", runtime="nodejs20.x", Layers=[layer["LayerVersionArn"]])
    out = lam.invoke(FunctionName="node-layered", Payload=b'{"word": "hey"}')
    assert json.loads(out["Payload"].read()) == "HEY!"


def test_layer_version_permissions(lam):
    arn = lam.publish_layer_version(LayerName="shared-perm", Content={"ZipFile": zip_of({"python/x.py": ""})})[
        "LayerVersionArn"]
    e = error_of(lam.get_layer_version_policy, LayerName="shared-perm", VersionNumber=1)
    assert code(e) == "ResourceNotFoundException"
    out = lam.add_layer_version_permission(LayerName="shared-perm", VersionNumber=1, StatementId="org",
                                           Action="lambda:GetLayerVersion", Principal="*", OrganizationId="o-abc123")
    assert json.loads(out["Statement"]) == {
        "Sid": "org", "Effect": "Allow", "Principal": "*", "Action": "lambda:GetLayerVersion", "Resource": arn,
        "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}}
    lam.add_layer_version_permission(LayerName="shared-perm", VersionNumber=1, StatementId="acct",
                                     Action="lambda:GetLayerVersion", Principal="111122223333")
    e = error_of(lam.add_layer_version_permission, LayerName="shared-perm", VersionNumber=1, StatementId="acct",
                 Action="lambda:GetLayerVersion", Principal="*")
    assert code(e) == "ResourceConflictException" and status(e) == 409
    got = lam.get_layer_version_policy(LayerName="shared-perm", VersionNumber=1)
    policy = json.loads(got["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["org", "acct"]
    assert policy["Statement"][1]["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    # The policy is the layer version's, not part of what GetLayerVersion describes.
    assert "Policy" not in lam.get_layer_version(LayerName="shared-perm", VersionNumber=1)
    e = error_of(lam.remove_layer_version_permission, LayerName="shared-perm", VersionNumber=1, StatementId="org",
                 RevisionId="not-the-revision")
    assert code(e) == "PreconditionFailedException"
    lam.remove_layer_version_permission(LayerName="shared-perm", VersionNumber=1, StatementId="org")
    lam.remove_layer_version_permission(LayerName="shared-perm", VersionNumber=1, StatementId="acct",
                                        RevisionId=lam.get_layer_version_policy(
                                            LayerName="shared-perm", VersionNumber=1)["RevisionId"])
    e = error_of(lam.get_layer_version_policy, LayerName="shared-perm", VersionNumber=1)
    assert code(e) == "ResourceNotFoundException"
    e = error_of(lam.add_layer_version_permission, LayerName="shared-perm", VersionNumber=9, StatementId="x",
                 Action="lambda:GetLayerVersion", Principal="*")
    assert code(e) == "ResourceNotFoundException"
