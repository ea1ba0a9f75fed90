"""State machines, versions, aliases, activities and tags through boto3, with AWS's errors."""
import json

from .conftest import ROLE, code, error_of, finished

DEF = {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}


def test_create_describe_list_delete(sfn, make_machine):
    arn = make_machine("orders", DEF, loggingConfiguration={"level": "OFF"})
    assert arn == "arn:aws:states:us-east-1:000000000000:stateMachine:orders"
    d = sfn.describe_state_machine(stateMachineArn=arn)
    assert (d["name"], d["status"], d["type"], d["roleArn"]) == ("orders", "ACTIVE", "STANDARD", ROLE)
    assert json.loads(d["definition"]) == DEF
    assert d["loggingConfiguration"] == {"level": "OFF", "includeExecutionData": False}
    assert d["tracingConfiguration"] == {"enabled": False}
    assert d["revisionId"]
    names = [m["name"] for m in sfn.list_state_machines()["stateMachines"]]
    assert "orders" in names
    sfn.delete_state_machine(stateMachineArn=arn)
    assert code(error_of(sfn.describe_state_machine, stateMachineArn=arn)) == "StateMachineDoesNotExist"


def test_create_is_idempotent_and_conflicts_otherwise(sfn, make_machine):
    arn = make_machine("same", DEF)
    assert make_machine("same", DEF) == arn
    other = {"StartAt": "B", "States": {"B": {"Type": "Succeed"}}}
    assert code(error_of(make_machine, "same", other)) == "StateMachineAlreadyExists"


def test_bad_names_roles_and_definitions(sfn, make_machine):
    assert code(error_of(make_machine, "has space", DEF)) == "InvalidName"
    assert code(error_of(make_machine, "x" * 81, DEF)) == "InvalidName"
    e = error_of(sfn.create_state_machine, name="r", definition=json.dumps(DEF), roleArn="not-a-role")
    assert code(e) == "InvalidArn"
    e = error_of(sfn.create_state_machine, name="d", definition="{", roleArn=ROLE)
    assert code(e) == "InvalidDefinition"
    e = error_of(make_machine, "d2", {"StartAt": "Nope", "States": {"A": {"Type": "Pass", "End": True}}})
    assert code(e) == "InvalidDefinition"
    assert e.response["Error"]["Message"].startswith("Invalid State Machine Definition: ")


def test_update_changes_the_revision(sfn, make_machine):
    arn = make_machine("upd", DEF)
    before = sfn.describe_state_machine(stateMachineArn=arn)["revisionId"]
    new = {"StartAt": "Z", "States": {"Z": {"Type": "Succeed"}}}
    out = sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(new))
    assert out["revisionId"] != before
    d = sfn.describe_state_machine(stateMachineArn=arn)
    assert json.loads(d["definition"]) == new and d["revisionId"] == out["revisionId"]
    assert code(error_of(sfn.update_state_machine, stateMachineArn=arn)) == "MissingRequiredParameter"


def test_versions_and_aliases(sfn, make_machine):
    arn = sfn.create_state_machine(name="ver", definition=json.dumps(DEF), roleArn=ROLE, publish=True,
                                   versionDescription="first")
    machine, v1 = arn["stateMachineArn"], arn["stateMachineVersionArn"]
    assert v1 == machine + ":1"
    # Publishing an unchanged revision gives the same version.
    assert sfn.publish_state_machine_version(stateMachineArn=machine)["stateMachineVersionArn"] == v1
    new = {"StartAt": "Y", "States": {"Y": {"Type": "Pass", "Result": "two", "End": True}}}
    v2 = sfn.update_state_machine(stateMachineArn=machine, definition=json.dumps(new),
                                  publish=True)["stateMachineVersionArn"]
    assert v2 == machine + ":2"
    assert [v["stateMachineVersionArn"] for v in
            sfn.list_state_machine_versions(stateMachineArn=machine)["stateMachineVersions"]] == [v2, v1]
    d1 = sfn.describe_state_machine(stateMachineArn=v1)
    assert json.loads(d1["definition"]) == DEF and d1["description"] == "first"

    alias = sfn.create_state_machine_alias(name="live", routingConfiguration=[
        {"stateMachineVersionArn": v2, "weight": 100}])["stateMachineAliasArn"]
    assert alias == machine + ":live"
    a = sfn.describe_state_machine_alias(stateMachineAliasArn=alias)
    assert a["routingConfiguration"] == [{"stateMachineVersionArn": v2, "weight": 100}]
    ex = sfn.start_execution(stateMachineArn=alias)["executionArn"]
    d = finished(sfn, ex)
    assert d["output"] == '"two"' and d["stateMachineAliasArn"] == alias and d["stateMachineVersionArn"] == v2
    assert [e["executionArn"] for e in sfn.list_executions(stateMachineArn=alias)["executions"]] == [ex]
    assert [e["executionArn"] for e in sfn.list_executions(stateMachineArn=v2)["executions"]] == [ex]

    e = error_of(sfn.create_state_machine_alias, name="bad", routingConfiguration=[
        {"stateMachineVersionArn": v1, "weight": 50}, {"stateMachineVersionArn": v2, "weight": 40}])
    assert code(e) == "ValidationException"
    assert code(error_of(sfn.delete_state_machine_version, stateMachineVersionArn=v2)) == "ConflictException"
    sfn.update_state_machine_alias(stateMachineAliasArn=alias, routingConfiguration=[
        {"stateMachineVersionArn": v1, "weight": 100}])
    sfn.delete_state_machine_version(stateMachineVersionArn=v2)
    assert [a["stateMachineAliasArn"] for a in
            sfn.list_state_machine_aliases(stateMachineArn=machine)["stateMachineAliases"]] == [alias]
    sfn.delete_state_machine_alias(stateMachineAliasArn=alias)
    assert code(error_of(sfn.describe_state_machine_alias, stateMachineAliasArn=alias)) == "ResourceNotFound"


def test_activities(sfn):
    arn = sfn.create_activity(name="worker")["activityArn"]
    assert arn == "arn:aws:states:us-east-1:000000000000:activity:worker"
    assert sfn.create_activity(name="worker")["activityArn"] == arn
    assert sfn.describe_activity(activityArn=arn)["name"] == "worker"
    assert [a["name"] for a in sfn.list_activities()["activities"]] == ["worker"]
    sfn.delete_activity(activityArn=arn)
    assert code(error_of(sfn.describe_activity, activityArn=arn)) == "ActivityDoesNotExist"


def test_tags(sfn, make_machine):
    arn = make_machine("tagged", DEF, tags=[{"key": "team", "value": "a"}])
    sfn.tag_resource(resourceArn=arn, tags=[{"key": "env", "value": "dev"}])
    assert sorted((t["key"], t["value"]) for t in sfn.list_tags_for_resource(resourceArn=arn)["tags"]) == [
        ("env", "dev"), ("team", "a")]
    sfn.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert sfn.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "env", "value": "dev"}]
    missing = arn.replace("tagged", "missing")
    assert code(error_of(sfn.list_tags_for_resource, resourceArn=missing)) == "ResourceNotFound"


def test_validate_state_machine_definition(sfn):
    ok = sfn.validate_state_machine_definition(definition=json.dumps(DEF))
    assert ok["result"] == "OK" and ok["diagnostics"] == []
    bad = sfn.validate_state_machine_definition(definition=json.dumps(
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Missing"}}}))
    assert bad["result"] == "FAIL"
    assert any(d["code"] == "MISSING_TRANSITION_TARGET" for d in bad["diagnostics"])


def test_missing_members_and_bad_logging_destinations(aws_client):
    from botocore.config import Config

    raw = aws_client("stepfunctions", config=Config(parameter_validation=False, retries={"total_max_attempts": 1}))
    e = error_of(raw.create_state_machine, name="n", roleArn=ROLE)
    assert code(e) == "ValidationException"
    assert "Value null at 'definition'" in e.response["Error"]["Message"]
    assert code(error_of(raw.describe_execution)) == "ValidationException"
    e = error_of(raw.create_state_machine, name="n", roleArn=ROLE, definition=json.dumps(DEF),
                 loggingConfiguration={"level": "ALL", "destinations": [{}]})
    assert code(e) == "InvalidLoggingConfiguration"
