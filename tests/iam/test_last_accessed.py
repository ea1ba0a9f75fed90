"""Service last accessed reports (access advisor), the Organizations access report and the
organization root features, through the API (enforcement off)."""
import json

import pytest

from .conftest import allow, client, cloud, doc, enforcing, err, error_of  # noqa: F401  (the enforcing nubis)

ACCOUNT = "000000000000"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


def policy(*actions):
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": list(actions),
                                                               "Resource": "*"}]})


@pytest.fixture
def iam(aws_client):
    return aws_client("iam")


def report(iam, arn, **kwargs):
    job = iam.generate_service_last_accessed_details(Arn=arn, **kwargs)["JobId"]
    assert len(job) == 36
    return job, iam.get_service_last_accessed_details(JobId=job)


def test_a_users_report_lists_the_services_its_policies_allow(iam):
    iam.create_user(UserName="ann")
    iam.put_user_policy(UserName="ann", PolicyName="p", PolicyDocument=policy("s3:GetObject", "ec2:Describe*"))
    iam.create_group(GroupName="ops")
    iam.put_group_policy(GroupName="ops", PolicyName="g", PolicyDocument=policy("sqs:SendMessage"))
    iam.add_user_to_group(GroupName="ops", UserName="ann")
    managed = iam.create_policy(PolicyName="fn", PolicyDocument=policy("lambda:InvokeFunction"))["Policy"]["Arn"]
    iam.attach_user_policy(UserName="ann", PolicyArn=managed)
    job, out = report(iam, f"arn:aws:iam::{ACCOUNT}:user/ann")
    assert out["JobStatus"] == "COMPLETED" and out["JobType"] == "SERVICE_LEVEL"
    assert out["JobCompletionDate"] >= out["JobCreationDate"]
    services = {s["ServiceNamespace"]: s for s in out["ServicesLastAccessed"]}
    assert set(services) == {"s3", "ec2", "sqs", "lambda"}
    assert services["s3"]["ServiceName"] == "Amazon Simple Storage Service"
    assert services["ec2"]["ServiceName"] == "Amazon Elastic Compute Cloud"
    # nubis records no access: nothing was last authenticated.
    assert services["sqs"]["TotalAuthenticatedEntities"] == 0 and "LastAuthenticated" not in services["sqs"]
    assert [s["ServiceNamespace"] for s in out["ServicesLastAccessed"]] == sorted(services)


def test_a_wildcard_stands_for_every_service_nubis_serves(iam):
    _, out = report(iam, ADMIN, Granularity="ACTION_LEVEL")
    assert out["JobType"] == "ACTION_LEVEL"
    names = {s["ServiceNamespace"]: s["ServiceName"] for s in out["ServicesLastAccessed"]}
    assert {"s3", "sqs", "sns", "iam", "sts", "dynamodb", "kms", "lambda"} <= set(names)
    assert names["states"] == "AWS Step Functions"  # Step Functions' IAM namespace, not its API name
    assert names["iam"] == "AWS Identity and Access Management"


def test_a_deny_or_another_services_action_grants_nothing(iam):
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    iam.put_role_policy(RoleName="r", PolicyName="d", PolicyDocument=json.dumps({"Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"},
                      {"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"}]}))
    _, out = report(iam, f"arn:aws:iam::{ACCOUNT}:role/r")
    assert [s["ServiceNamespace"] for s in out["ServicesLastAccessed"]] == ["logs"]


def test_entities_of_group_policy_user_and_role_reports(iam):
    iam.create_user(UserName="ann")
    iam.create_user(UserName="bob")
    iam.create_group(GroupName="ops")
    iam.add_user_to_group(GroupName="ops", UserName="bob")
    iam.put_group_policy(GroupName="ops", PolicyName="g", PolicyDocument=policy("sns:Publish"))
    p = iam.create_policy(PolicyName="q", PolicyDocument=policy("kinesis:PutRecord"))["Policy"]["Arn"]
    iam.attach_group_policy(GroupName="ops", PolicyArn=p)
    iam.attach_user_policy(UserName="ann", PolicyArn=p)

    job, out = report(iam, f"arn:aws:iam::{ACCOUNT}:group/ops")
    assert {s["ServiceNamespace"] for s in out["ServicesLastAccessed"]} == {"sns", "kinesis"}
    got = iam.get_service_last_accessed_details_with_entities(JobId=job, ServiceNamespace="sns")
    assert got["JobStatus"] == "COMPLETED"
    assert [(e["EntityInfo"]["Name"], e["EntityInfo"]["Type"]) for e in got["EntityDetailsList"]] == \
        [("bob", "USER")]
    assert got["EntityDetailsList"][0]["EntityInfo"]["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/bob"
    assert "LastAuthenticated" not in got["EntityDetailsList"][0]
    # A service the group's policies do not allow: no entity could have used them for it.
    assert iam.get_service_last_accessed_details_with_entities(
        JobId=job, ServiceNamespace="s3")["EntityDetailsList"] == []

    job, out = report(iam, p)  # a policy: every user and role it applies to, directly or through a group
    assert [s["ServiceNamespace"] for s in out["ServicesLastAccessed"]] == ["kinesis"]
    got = iam.get_service_last_accessed_details_with_entities(JobId=job, ServiceNamespace="kinesis")
    assert sorted(e["EntityInfo"]["Name"] for e in got["EntityDetailsList"]) == ["ann", "bob"]

    job, _ = report(iam, f"arn:aws:iam::{ACCOUNT}:user/ann")  # a user's report: the user itself
    got = iam.get_service_last_accessed_details_with_entities(JobId=job, ServiceNamespace="kinesis")
    assert [e["EntityInfo"]["Name"] for e in got["EntityDetailsList"]] == ["ann"]


def test_a_report_is_what_the_policies_were_when_it_was_made(iam):
    iam.create_user(UserName="ann")
    job, out = report(iam, f"arn:aws:iam::{ACCOUNT}:user/ann")
    assert out["ServicesLastAccessed"] == []
    iam.put_user_policy(UserName="ann", PolicyName="p", PolicyDocument=policy("sqs:*"))
    assert iam.get_service_last_accessed_details(JobId=job)["ServicesLastAccessed"] == []
    _, out = report(iam, f"arn:aws:iam::{ACCOUNT}:user/ann")
    assert [s["ServiceNamespace"] for s in out["ServicesLastAccessed"]] == ["sqs"]


def test_reports_page(iam):
    job, out = report(iam, ADMIN)
    every = [s["ServiceNamespace"] for s in out["ServicesLastAccessed"]]
    first = iam.get_service_last_accessed_details(JobId=job, MaxItems=3)
    assert first["IsTruncated"] and len(first["ServicesLastAccessed"]) == 3
    rest = iam.get_service_last_accessed_details(JobId=job, Marker=first["Marker"])
    assert [s["ServiceNamespace"] for s in first["ServicesLastAccessed"] + rest["ServicesLastAccessed"]] == every
    assert not rest["IsTruncated"]


def test_report_errors(iam):
    assert err(iam.generate_service_last_accessed_details, Arn=f"arn:aws:iam::{ACCOUNT}:user/nobody") == \
        ("NoSuchEntity", "The user with name nobody cannot be found.", 404)
    assert err(iam.generate_service_last_accessed_details, Arn=f"arn:aws:iam::{ACCOUNT}:policy/none")[::2] == \
        ("NoSuchEntity", 404)
    assert err(iam.generate_service_last_accessed_details, Arn="arn:aws:s3:::some-bucket-name")[::2] == \
        ("InvalidInput", 400)
    assert err(iam.generate_service_last_accessed_details, Arn=ADMIN, Granularity="ALL_LEVELS")[::2] == \
        ("ValidationError", 400)
    missing = "examplef-1305-c245-eba4-71fe298bcda7"
    assert err(iam.get_service_last_accessed_details, JobId=missing)[::2] == ("NoSuchEntity", 404)
    assert err(iam.get_service_last_accessed_details_with_entities, JobId=missing,
               ServiceNamespace="iam")[::2] == ("NoSuchEntity", 404)


def test_the_organizations_access_report_fails_without_an_organization(iam):
    job = iam.generate_organizations_access_report(EntityPath="o-a1b2c3d4e5/r-f6g7h8i9j0example")["JobId"]
    out = iam.get_organizations_access_report(JobId=job)
    assert out["JobStatus"] == "FAILED"
    assert out["ErrorDetails"]["Code"] == "OrganizationNotFoundException"
    assert "AccessDetails" not in out
    assert err(iam.get_organizations_access_report, JobId="examplef-1305-c245-eba4-71fe298bcda7")[::2] == \
        ("NoSuchEntity", 404)
    assert err(iam.generate_organizations_access_report, EntityPath="o-a1b2c3d4e5/nothing-of-the-kind")[::2] == \
        ("ValidationError", 400)


@pytest.mark.parametrize("op", ["list_organizations_features", "enable_organizations_root_credentials_management",
                                "disable_organizations_root_credentials_management",
                                "enable_organizations_root_sessions", "disable_organizations_root_sessions"])
def test_organization_root_features_need_an_organization(iam, op):
    code, message, status = err(getattr(iam, op))
    assert (code, status) == ("OrganizationNotFoundException", 400)
    assert message == "The request was rejected because no organization is associated with your account."


def test_under_enforcement_the_report_is_an_action_on_its_entity(client):
    root = client("iam")  # of the enforcing nubis (this file's ``iam`` is another's)
    root.create_user(UserName="ann")
    root.put_user_policy(UserName="ann", PolicyName="p", PolicyDocument=doc(
        allow("iam:GenerateServiceLastAccessedDetails", f"arn:aws:iam::{ACCOUNT}:user/ann"),
        allow("iam:GetServiceLastAccessedDetails")))
    ann = client("iam", creds=root.create_access_key(UserName="ann")["AccessKey"])
    job = ann.generate_service_last_accessed_details(Arn=f"arn:aws:iam::{ACCOUNT}:user/ann")["JobId"]
    assert [s["ServiceNamespace"] for s in ann.get_service_last_accessed_details(JobId=job)[
        "ServicesLastAccessed"]] == ["iam"]
    e = error_of(ann.generate_service_last_accessed_details, Arn=ADMIN)
    assert (e["Code"], e["Status"]) == ("AccessDenied", 403)
    assert f"on resource: {ADMIN}" in e["Message"]
