"""Capacity providers (Lambda Managed Instances) and the scaling configuration of
the function versions on them: states on the clock, validation, conflicts,
tags, and a restart."""
from __future__ import annotations

import json

import pytest

from nubis.testing import start

from .conftest import ACCOUNT, ROLE, code, error_of, status, zip_of

OPERATOR = f"arn:aws:iam::{ACCOUNT}:role/operator"
VPC = {"SubnetIds": ["subnet-1", "subnet-2"], "SecurityGroupIds": ["sg-1"]}
APP = {"app.py": "def handler(e, c):\n    return {'got': e}\n"}


def _create(lam, name="cp", **more):
    return lam.create_capacity_provider(CapacityProviderName=name, VpcConfig=VPC,
                                        PermissionsConfig={"CapacityProviderOperatorRoleArn": OPERATOR},
                                        **more)["CapacityProvider"]


def _on(cp_arn):
    return {"LambdaManagedInstancesCapacityProviderConfig": {"CapacityProviderArn": cp_arn}}


def test_create_is_pending_then_active_on_the_clock(lam, nubis):
    cp = _create(lam, Tags={"team": "a"})
    assert cp["CapacityProviderArn"] == f"arn:aws:lambda:us-east-1:{ACCOUNT}:capacity-provider:cp"
    assert cp["State"] == "Pending"
    assert cp["VpcConfig"] == VPC
    assert cp["InstanceRequirements"] == {"Architectures": ["x86_64"]}
    assert cp["CapacityProviderScalingConfig"] == {"ScalingMode": "Auto"}
    assert lam.get_capacity_provider(CapacityProviderName="cp")["CapacityProvider"]["State"] == "Pending"
    nubis.advance(5)
    got = lam.get_capacity_provider(CapacityProviderName=cp["CapacityProviderArn"])["CapacityProvider"]
    assert got["State"] == "Active"
    assert lam.list_tags(Resource=cp["CapacityProviderArn"])["Tags"] == {"team": "a"}


def test_create_validation(lam, unchecked_lam):
    e = error_of(lambda: _create(lam, InstanceRequirements={"AllowedInstanceTypes": ["m7g.large"],
                                                           "ExcludedInstanceTypes": ["c7g.large"]}))
    assert code(e) == "InvalidParameterValueException" and status(e) == 400
    e = error_of(lambda: _create(lam, CapacityProviderScalingConfig={"ScalingMode": "Manual"}))
    assert code(e) == "InvalidParameterValueException"
    e = error_of(lambda: _create(unchecked_lam, CapacityProviderScalingConfig={"MaxVCpuCount": 1}))
    assert code(e) == "ValidationException"
    e = error_of(lambda: unchecked_lam.create_capacity_provider(
        CapacityProviderName="cp", VpcConfig={"SubnetIds": [], "SecurityGroupIds": []},
        PermissionsConfig={"CapacityProviderOperatorRoleArn": OPERATOR}))
    assert code(e) == "ValidationException"
    e = error_of(lambda: unchecked_lam.create_capacity_provider(
        CapacityProviderName="bad name!", VpcConfig=VPC,
        PermissionsConfig={"CapacityProviderOperatorRoleArn": OPERATOR}))
    assert code(e) == "ValidationException"
    manual = _create(lam, "manual", CapacityProviderScalingConfig={
        "ScalingMode": "Manual", "MaxVCpuCount": 64,
        "ScalingPolicies": [{"PredefinedMetricType": "LambdaCapacityProviderAverageCPUUtilization",
                             "TargetValue": 70}]})
    assert manual["CapacityProviderScalingConfig"]["ScalingPolicies"][0]["TargetValue"] == 70.0
    assert lam.list_capacity_providers()["CapacityProviders"][0]["CapacityProviderArn"].endswith(":manual")


def test_duplicate_and_not_found(lam):
    _create(lam)
    e = error_of(lambda: _create(lam))
    assert code(e) == "ResourceConflictException" and status(e) == 409
    for call in (lambda: lam.get_capacity_provider(CapacityProviderName="nope"),
                 lambda: lam.delete_capacity_provider(CapacityProviderName="nope"),
                 lambda: lam.update_capacity_provider(CapacityProviderName="nope"),
                 lambda: lam.list_function_versions_by_capacity_provider(CapacityProviderName="nope")):
        e = error_of(call)
        assert code(e) == "ResourceNotFoundException" and status(e) == 404


def test_list_filters_by_state_and_pages(lam, nubis):
    _create(lam, "a")
    _create(lam, "b")
    nubis.advance(5)
    _create(lam, "c")
    assert [p["CapacityProviderArn"].rsplit(":", 1)[1]
            for p in lam.list_capacity_providers(State="Active")["CapacityProviders"]] == ["a", "b"]
    assert [p["CapacityProviderArn"].rsplit(":", 1)[1]
            for p in lam.list_capacity_providers(State="Pending")["CapacityProviders"]] == ["c"]
    first = lam.list_capacity_providers(MaxItems=2)
    assert len(first["CapacityProviders"]) == 2 and first["NextMarker"]
    rest = lam.list_capacity_providers(MaxItems=2, Marker=first["NextMarker"])
    assert len(rest["CapacityProviders"]) == 1 and "NextMarker" not in rest


def test_update_scaling(lam, nubis):
    _create(lam)
    e = error_of(lambda: lam.update_capacity_provider(CapacityProviderName="cp",
                                                      CapacityProviderScalingConfig={"MaxVCpuCount": 8}))
    assert code(e) == "ResourceConflictException"  # still Pending
    nubis.advance(5)
    out = lam.update_capacity_provider(CapacityProviderName="cp",
                                       CapacityProviderScalingConfig={"MaxVCpuCount": 8})["CapacityProvider"]
    assert out["CapacityProviderScalingConfig"] == {"MaxVCpuCount": 8, "ScalingMode": "Auto"}
    got = lam.get_capacity_provider(CapacityProviderName="cp")["CapacityProvider"]
    assert got["CapacityProviderScalingConfig"]["MaxVCpuCount"] == 8


def test_delete_goes_through_deleting(lam, nubis):
    _create(lam)
    nubis.advance(5)
    assert lam.delete_capacity_provider(CapacityProviderName="cp")["CapacityProvider"]["State"] == "Deleting"
    assert lam.get_capacity_provider(CapacityProviderName="cp")["CapacityProvider"]["State"] == "Deleting"
    nubis.advance(5)
    assert code(error_of(lambda: lam.get_capacity_provider(CapacityProviderName="cp"))) == \
        "ResourceNotFoundException"
    assert lam.list_capacity_providers()["CapacityProviders"] == []
    assert _create(lam)["State"] == "Pending"  # the name is free again


def test_function_on_a_capacity_provider_runs_and_holds_it(lam, nubis, make_function):
    arn = _create(lam)["CapacityProviderArn"]
    nubis.advance(5)
    made = make_function("mi", APP, CapacityProviderConfig={"LambdaManagedInstancesCapacityProviderConfig": {
        "CapacityProviderArn": arn, "PerExecutionEnvironmentMaxConcurrency": 10}})
    assert made["CapacityProviderConfig"]["LambdaManagedInstancesCapacityProviderConfig"] == {
        "CapacityProviderArn": arn, "PerExecutionEnvironmentMaxConcurrency": 10}
    version = lam.publish_version(FunctionName="mi")["Version"]
    out = lam.invoke(FunctionName="mi", Qualifier=version, Payload=b'{"x": 1}')
    assert json.loads(out["Payload"].read()) == {"got": {"x": 1}}  # runs locally all the same
    listed = lam.list_function_versions_by_capacity_provider(CapacityProviderName="cp")
    assert listed["CapacityProviderArn"] == arn
    assert {i["FunctionArn"].rsplit(":", 1)[1] for i in listed["FunctionVersions"]} == {"$LATEST", version}
    assert all(i["State"] == "Active" for i in listed["FunctionVersions"])
    e = error_of(lambda: lam.delete_capacity_provider(CapacityProviderName="cp"))
    assert code(e) == "ResourceConflictException" and status(e) == 409
    lam.delete_function(FunctionName="mi")
    assert lam.delete_capacity_provider(CapacityProviderName="cp")["CapacityProvider"]["State"] == "Deleting"


def test_function_needs_an_existing_capacity_provider(lam, make_function):
    missing = f"arn:aws:lambda:us-east-1:{ACCOUNT}:capacity-provider:missing"
    e = error_of(lambda: make_function("mi", APP, CapacityProviderConfig=_on(missing)))
    assert code(e) == "InvalidParameterValueException"
    make_function("plain", APP)
    e = error_of(lambda: lam.update_function_configuration(FunctionName="plain",
                                                           CapacityProviderConfig=_on(missing)))
    assert code(e) == "InvalidParameterValueException"


def test_update_function_configuration_moves_it_onto_a_provider(lam, nubis, make_function):
    arn = _create(lam)["CapacityProviderArn"]
    make_function("f", APP)
    out = lam.update_function_configuration(FunctionName="f", CapacityProviderConfig=_on(arn))
    assert out["CapacityProviderConfig"] == _on(arn)
    assert lam.get_function_configuration(FunctionName="f")["CapacityProviderConfig"] == _on(arn)


def test_capacity_provider_tags(lam):
    arn = _create(lam)["CapacityProviderArn"]
    lam.tag_resource(Resource=arn, Tags={"a": "1", "b": "2"})
    lam.untag_resource(Resource=arn, TagKeys=["a"])
    assert lam.list_tags(Resource=arn)["Tags"] == {"b": "2"}
    e = error_of(lambda: lam.list_tags(Resource=arn.replace(":cp", ":other")))
    assert code(e) == "ResourceNotFoundException"


# -- function scaling configuration ------------------------------------------------------------------


@pytest.fixture
def managed_version(lam, nubis, make_function):
    arn = _create(lam)["CapacityProviderArn"]
    nubis.advance(5)
    make_function("mi", APP, CapacityProviderConfig=_on(arn))
    return lam.publish_version(FunctionName="mi")


def test_scaling_config_requested_then_applied(lam, nubis, managed_version):
    version = managed_version["Version"]
    before = lam.get_function_scaling_config(FunctionName="mi", Qualifier=version)
    assert before["FunctionArn"] == managed_version["FunctionArn"]
    assert before["AppliedFunctionScalingConfig"] == {"MinExecutionEnvironments": 3}
    assert "RequestedFunctionScalingConfig" not in before
    out = lam.put_function_scaling_config(FunctionName="mi", Qualifier=version, FunctionScalingConfig={
        "MinExecutionEnvironments": 5, "MaxExecutionEnvironments": 100})
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 202 and out["FunctionState"] == "Active"
    now = lam.get_function_scaling_config(FunctionName="mi", Qualifier=version)
    assert now["RequestedFunctionScalingConfig"] == {"MinExecutionEnvironments": 5, "MaxExecutionEnvironments": 100}
    assert now["AppliedFunctionScalingConfig"] == {"MinExecutionEnvironments": 3}
    nubis.advance(5)
    later = lam.get_function_scaling_config(FunctionName="mi", Qualifier=version)
    assert later["AppliedFunctionScalingConfig"] == {"MinExecutionEnvironments": 5, "MaxExecutionEnvironments": 100}


def test_scaling_config_validation(lam, unchecked_lam, make_function, managed_version):
    version = managed_version["Version"]
    e = error_of(lambda: lam.put_function_scaling_config(FunctionName="mi", Qualifier=version, FunctionScalingConfig={
        "MinExecutionEnvironments": 10, "MaxExecutionEnvironments": 2}))
    assert code(e) == "InvalidParameterValueException"
    e = error_of(lambda: unchecked_lam.put_function_scaling_config(
        FunctionName="mi", Qualifier=version, FunctionScalingConfig={"MaxExecutionEnvironments": 15001}))
    assert code(e) == "ValidationException"
    e = error_of(lambda: lam.put_function_scaling_config(FunctionName="mi", Qualifier="$LATEST",
                                                         FunctionScalingConfig={}))
    assert code(e) == "ValidationException"
    e = error_of(lambda: lam.get_function_scaling_config(FunctionName="mi", Qualifier="99"))
    assert code(e) == "ResourceNotFoundException"
    e = error_of(lambda: lam.get_function_scaling_config(FunctionName="nope", Qualifier="1"))
    assert code(e) == "ResourceNotFoundException"
    make_function("plain", APP, Publish=True)
    e = error_of(lambda: lam.put_function_scaling_config(FunctionName="plain", Qualifier="1",
                                                         FunctionScalingConfig={"MinExecutionEnvironments": 1}))
    assert code(e) == "InvalidParameterValueException"


def test_capacity_providers_and_scaling_survive_a_restart(tmp_path):
    settings = dict(data_dir=str(tmp_path), ephemeral=False)
    cloud = start(**settings)
    try:
        lam = cloud.client("lambda")
        arn = _create(lam, Tags={"k": "v"})["CapacityProviderArn"]
        lam.create_function(FunctionName="mi", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                            Code={"ZipFile": zip_of(APP)}, CapacityProviderConfig=_on(arn))
        lam.publish_version(FunctionName="mi")
        lam.put_function_scaling_config(FunctionName="mi", Qualifier="1",
                                        FunctionScalingConfig={"MinExecutionEnvironments": 4})
    finally:
        cloud.stop()
    cloud = start(**settings)
    try:
        lam = cloud.client("lambda")
        cloud.advance(5)
        got = lam.get_capacity_provider(CapacityProviderName="cp")["CapacityProvider"]
        assert got["State"] == "Active" and got["VpcConfig"] == VPC
        assert lam.list_tags(Resource=arn)["Tags"] == {"k": "v"}
        scaling = lam.get_function_scaling_config(FunctionName="mi", Qualifier="1")
        assert scaling["RequestedFunctionScalingConfig"] == {"MinExecutionEnvironments": 4}
        assert lam.get_function_configuration(FunctionName="mi", Qualifier="1")["CapacityProviderConfig"] == _on(arn)
    finally:
        cloud.stop()


# -- $LATEST.PUBLISHED ---------------------------------------------------------------------------------


def test_latest_published_is_what_unqualified_invocations_run(lam, nubis, make_function):
    arn = _create(lam)["CapacityProviderArn"]
    nubis.advance(5)
    make_function("mi", {"app.py": "def handler(e, c):\n    return 'first'\n"}, CapacityProviderConfig=_on(arn))
    e = error_of(lambda: lam.invoke(FunctionName="mi"))
    assert code(e) == "NoPublishedVersionException" and status(e) == 400
    published = lam.publish_version(FunctionName="mi", PublishTo="LATEST_PUBLISHED")
    assert published["Version"] == "$LATEST.PUBLISHED"
    assert published["FunctionArn"].endswith(":function:mi:$LATEST.PUBLISHED")
    out = lam.invoke(FunctionName="mi")
    assert json.loads(out["Payload"].read()) == "first" and out["ExecutedVersion"] == "$LATEST.PUBLISHED"
    lam.update_function_code(FunctionName="mi", ZipFile=zip_of({"app.py": "def handler(e, c):\n    return 'second'\n"}),
                             PublishTo="LATEST_PUBLISHED")
    assert json.loads(lam.invoke(FunctionName="mi")["Payload"].read()) == "second"
    assert json.loads(lam.invoke(FunctionName="mi:$LATEST.PUBLISHED")["Payload"].read()) == "second"
    got = lam.get_function_configuration(FunctionName="mi", Qualifier="$LATEST.PUBLISHED")
    assert got["Version"] == "$LATEST.PUBLISHED"
    assert [v["Version"] for v in lam.list_versions_by_function(FunctionName="mi")["Versions"]] == ["$LATEST"]
    listed = lam.list_function_versions_by_capacity_provider(CapacityProviderName="cp")["FunctionVersions"]
    assert {i["FunctionArn"].rsplit(":", 1)[1] for i in listed} == {"$LATEST", "$LATEST.PUBLISHED"}
    lam.put_function_scaling_config(FunctionName="mi", Qualifier="$LATEST.PUBLISHED",
                                    FunctionScalingConfig={"MaxExecutionEnvironments": 6})
    scaling = lam.get_function_scaling_config(FunctionName="mi", Qualifier="$LATEST.PUBLISHED")
    assert scaling["FunctionArn"].endswith(":mi:$LATEST.PUBLISHED")
    assert scaling["RequestedFunctionScalingConfig"] == {"MaxExecutionEnvironments": 6}


def test_create_function_can_publish_latest_published(lam, nubis, make_function):
    arn = _create(lam)["CapacityProviderArn"]
    make_function("mi", APP, CapacityProviderConfig=_on(arn), PublishTo="LATEST_PUBLISHED")
    out = lam.invoke(FunctionName="mi", Payload=b'{"a": 1}')
    assert json.loads(out["Payload"].read()) == {"got": {"a": 1}}
    make_function("plain", APP)
    e = error_of(lambda: lam.publish_version(FunctionName="plain", PublishTo="LATEST_PUBLISHED"))
    assert code(e) == "InvalidParameterValueException"
    e = error_of(lambda: lam.get_function_configuration(FunctionName="plain", Qualifier="$LATEST.PUBLISHED"))
    assert code(e) == "ResourceNotFoundException"
    e = error_of(lambda: lam.get_function_configuration(FunctionName="plain", Qualifier="0"))
    assert code(e) == "ResourceNotFoundException"
