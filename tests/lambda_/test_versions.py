"""Versions and aliases, and qualifiers on Invoke and GetFunction."""
from __future__ import annotations

import json

from .conftest import ACCOUNT, code, error_of, status, zip_of

ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:ver"


def source(text: str) -> dict:
    return {"app.py": f"def handler(e, c):\n    return {{'says': {text!r}, 'version': c.function_version}}\n"}


def call(lam, **kwargs):
    out = lam.invoke(FunctionName="ver", **kwargs)
    return out, json.loads(out["Payload"].read())


def test_publish_and_list_versions(lam, make_function):
    make_function("ver", source("one"))
    v1 = lam.publish_version(FunctionName="ver", Description="first")
    assert v1["Version"] == "1" and v1["FunctionArn"] == f"{ARN}:1" and v1["Description"] == "first"
    # Nothing changed: publishing again answers the same version.
    assert lam.publish_version(FunctionName="ver")["Version"] == "1"
    lam.update_function_code(FunctionName="ver", ZipFile=zip_of(source("two")))
    assert lam.publish_version(FunctionName="ver")["Version"] == "2"
    versions = lam.list_versions_by_function(FunctionName="ver")["Versions"]
    assert [v["Version"] for v in versions] == ["$LATEST", "1", "2"]
    every = [f["FunctionArn"] for f in lam.list_functions(FunctionVersion="ALL")["Functions"]]
    assert every == [ARN, f"{ARN}:1", f"{ARN}:2"]
    # Each version runs its own code.
    out, doc = call(lam, Qualifier="1")
    assert doc == {"says": "one", "version": "1"} and out["ExecutedVersion"] == "1"
    assert call(lam, Qualifier="2")[1] == {"says": "two", "version": "2"}
    assert json.loads(lam.invoke(FunctionName=f"{ARN}:1")["Payload"].read())["says"] == "one"
    assert lam.get_function(FunctionName="ver", Qualifier="1")["Configuration"]["Version"] == "1"
    e = error_of(lam.get_function, FunctionName="ver", Qualifier="9")
    assert code(e) == "ResourceNotFoundException" and f"{ARN}:9" in str(e)
    e = error_of(lam.publish_version, FunctionName="ver", CodeSha256="wrong")
    assert code(e) == "InvalidParameterValueException"


def test_alias_keeps_old_code_after_update(lam, make_function):
    make_function("ver", source("old"))
    lam.publish_version(FunctionName="ver")
    alias = lam.create_alias(FunctionName="ver", Name="prod", FunctionVersion="1", Description="live")
    assert alias["AliasArn"] == f"{ARN}:prod" and alias["FunctionVersion"] == "1"
    lam.update_function_code(FunctionName="ver", ZipFile=zip_of(source("new")))
    out, doc = call(lam, Qualifier="prod")
    assert doc["says"] == "old" and out["ExecutedVersion"] == "1"
    assert call(lam)[1]["says"] == "new"
    # By ARN with the alias in it.
    out = lam.invoke(FunctionName=f"{ARN}:prod")
    assert json.loads(out["Payload"].read())["says"] == "old"
    lam.publish_version(FunctionName="ver")
    lam.update_alias(FunctionName="ver", Name="prod", FunctionVersion="2")
    assert call(lam, Qualifier="prod")[1]["says"] == "new"
    assert lam.get_alias(FunctionName="ver", Name="prod")["FunctionVersion"] == "2"


def test_alias_errors_and_listing(lam, make_function):
    make_function("ver", source("x"))
    lam.publish_version(FunctionName="ver")
    lam.create_alias(FunctionName="ver", Name="a", FunctionVersion="1")
    lam.create_alias(FunctionName="ver", Name="b", FunctionVersion="$LATEST")
    e = error_of(lam.create_alias, FunctionName="ver", Name="a", FunctionVersion="1")
    assert code(e) == "ResourceConflictException" and status(e) == 409
    e = error_of(lam.create_alias, FunctionName="ver", Name="c", FunctionVersion="7")
    assert code(e) == "ResourceNotFoundException"
    e = error_of(lam.get_alias, FunctionName="ver", Name="zzz")
    assert code(e) == "ResourceNotFoundException" and "Alias not found" in str(e)
    assert [a["Name"] for a in lam.list_aliases(FunctionName="ver")["Aliases"]] == ["a", "b"]
    assert [a["Name"] for a in lam.list_aliases(FunctionName="ver", FunctionVersion="1")["Aliases"]] == ["a"]
    lam.delete_alias(FunctionName="ver", Name="b")
    assert [a["Name"] for a in lam.list_aliases(FunctionName="ver")["Aliases"]] == ["a"]
    e = error_of(lam.delete_function, FunctionName="ver", Qualifier="1")
    assert code(e) == "ResourceConflictException"  # alias "a" points at it


def test_alias_routing_weights(lam, make_function):
    make_function("ver", source("one"))
    lam.publish_version(FunctionName="ver")
    lam.update_function_code(FunctionName="ver", ZipFile=zip_of(source("two")))
    lam.publish_version(FunctionName="ver")
    lam.create_alias(FunctionName="ver", Name="canary", FunctionVersion="1",
                     RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}})
    got = lam.get_alias(FunctionName="ver", Name="canary")
    assert got["RoutingConfig"] == {"AdditionalVersionWeights": {"2": 0.5}}
    seen = {call(lam, Qualifier="canary")[0]["ExecutedVersion"] for _ in range(40)}
    assert seen == {"1", "2"}
    lam.update_alias(FunctionName="ver", Name="canary", RoutingConfig={"AdditionalVersionWeights": {}})
    assert {call(lam, Qualifier="canary")[0]["ExecutedVersion"] for _ in range(5)} == {"1"}


def test_delete_a_version(lam, make_function):
    make_function("ver", source("x"))
    lam.publish_version(FunctionName="ver")
    lam.delete_function(FunctionName="ver", Qualifier="1")
    assert [v["Version"] for v in lam.list_versions_by_function(FunctionName="ver")["Versions"]] == ["$LATEST"]
    assert code(error_of(lam.invoke, FunctionName="ver", Qualifier="1")) == "ResourceNotFoundException"
