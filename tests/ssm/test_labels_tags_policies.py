"""Labels on versions, tags, parameter policies (Expiration on the clock)."""
import datetime as dt
import json

from .conftest import code, error_of, message


def test_labels(ssm):
    for i in range(1, 4):
        ssm.put_parameter(Name="/l", Value=f"v{i}", Type="String", Overwrite=i > 1)
    out = ssm.label_parameter_version(Name="/l", ParameterVersion=1, Labels=["prod", "1bad", "awsx", "a/b", "ok"])
    assert out["ParameterVersion"] == 1 and sorted(out["InvalidLabels"]) == ["1bad", "a/b", "awsx"]
    assert ssm.get_parameter(Name="/l:prod")["Parameter"]["Value"] == "v1"
    assert ssm.get_parameter(Name="/l:prod")["Parameter"]["Selector"] == ":prod"
    # Without a version, the label goes to the latest, moving from version 1.
    assert ssm.label_parameter_version(Name="/l", Labels=["prod"])["ParameterVersion"] == 3
    assert ssm.get_parameter(Name="/l:prod")["Parameter"]["Value"] == "v3"
    history = ssm.get_parameter_history(Name="/l")["Parameters"]
    assert [h["Labels"] for h in history] == [["ok"], [], ["prod"]]
    out = ssm.unlabel_parameter_version(Name="/l", ParameterVersion=1, Labels=["ok", "prod"])
    assert out["RemovedLabels"] == ["ok"] and out["InvalidLabels"] == ["prod"]
    assert code(error_of(ssm.get_parameter, Name="/l:ok")) == "ParameterVersionNotFound"
    e = error_of(ssm.label_parameter_version, Name="/l", ParameterVersion=9, Labels=["x"])
    assert code(e) == "ParameterVersionNotFound"
    assert code(error_of(ssm.label_parameter_version, Name="/none", Labels=["x"])) == "ParameterNotFound"
    e = error_of(ssm.label_parameter_version, Name="/l", ParameterVersion=2, Labels=[f"l{i}" for i in range(11)])
    assert code(e) in ("ParameterVersionLabelLimitExceeded", "ValidationException")
    ssm.label_parameter_version(Name="/l", ParameterVersion=2, Labels=[f"l{i}" for i in range(10)])
    e = error_of(ssm.label_parameter_version, Name="/l", ParameterVersion=2, Labels=["eleventh"])
    assert code(e) == "ParameterVersionLabelLimitExceeded"


def test_tags(ssm):
    ssm.put_parameter(Name="/tagged", Value="v", Type="String", Tags=[{"Key": "a", "Value": "1"}])
    ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId="/tagged",
                             Tags=[{"Key": "b", "Value": "2"}, {"Key": "a", "Value": "3"}])
    tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/tagged")["TagList"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("a", "3"), ("b", "2")]
    ssm.remove_tags_from_resource(ResourceType="Parameter", ResourceId="/tagged", TagKeys=["a"])
    assert ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/tagged")["TagList"] == \
        [{"Key": "b", "Value": "2"}]
    e = error_of(ssm.list_tags_for_resource, ResourceType="Parameter", ResourceId="/nope")
    assert code(e) == "InvalidResourceId"
    e = error_of(ssm.add_tags_to_resource, ResourceType="Parameter", ResourceId="/tagged",
                 Tags=[{"Key": "aws:reserved", "Value": "x"}])
    assert code(e) == "InvalidParameters"


def iso(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_expiration_policy_deletes_the_parameter_on_the_clock(ssm, nubis):
    now = nubis.clock()
    policies = [{"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": iso(now + 3600)}},
                {"Type": "ExpirationNotification", "Version": "1.0", "Attributes": {"Before": "15", "Unit": "Days"}},
                {"Type": "NoChangeNotification", "Version": "1.0", "Attributes": {"After": "20", "Unit": "Days"}}]
    e = error_of(ssm.put_parameter, Name="/exp", Value="v", Type="String", Policies=json.dumps(policies))
    assert code(e) == "ValidationException"  # policies need the advanced tier
    out = ssm.put_parameter(Name="/exp", Value="v", Type="String", Policies=json.dumps(policies),
                            Tier="Intelligent-Tiering")
    assert out["Tier"] == "Advanced"
    meta = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": ["/exp"]}])["Parameters"][0]
    assert [p["PolicyType"] for p in meta["Policies"]] == ["Expiration", "ExpirationNotification",
                                                           "NoChangeNotification"]
    assert json.loads(meta["Policies"][0]["PolicyText"])["Attributes"]["Timestamp"] == iso(now + 3600)
    nubis.advance(3500)
    assert ssm.get_parameter(Name="/exp")["Parameter"]["Value"] == "v"
    nubis.advance(200)
    assert code(error_of(ssm.get_parameter, Name="/exp")) == "ParameterNotFound"


def test_policy_errors(ssm, nubis):
    e = error_of(ssm.put_parameter, Name="/p", Value="v", Type="String", Tier="Advanced",
                 Policies=json.dumps([{"Type": "Explode", "Version": "1.0", "Attributes": {}}]))
    assert code(e) == "InvalidPolicyTypeException"
    e = error_of(ssm.put_parameter, Name="/p", Value="v", Type="String", Tier="Advanced",
                 Policies=json.dumps([{"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": "soon"}}]))
    assert code(e) == "InvalidPolicyAttributeException"
    past = iso(nubis.clock() - 60)
    e = error_of(ssm.put_parameter, Name="/p", Value="v", Type="String", Tier="Advanced",
                 Policies=json.dumps([{"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": past}}]))
    assert code(e) == "InvalidPolicyAttributeException"
    assert message(e)
