"""S3 Access Grants: the instance, locations, grants and GetDataAccess's vended credentials."""
from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from .conftest import ACCOUNT

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "access-grants.s3.amazonaws.com"},
    "Action": ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:SetContext"]}]})
ROLE = f"arn:aws:iam::{ACCOUNT}:role/grants-location"
CENTER = f"arn:aws:sso:::instance/ssoins-1234567890abcdef"


def error(exc_info) -> tuple[str, int]:
    e = exc_info.value.response
    return e["Error"]["Code"], e["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture
def instance(control):
    return control.create_access_grants_instance(AccountId=ACCOUNT, Tags=[{"Key": "k", "Value": "v"}])


def test_the_instance(control):
    with pytest.raises(ClientError) as e:
        control.get_access_grants_instance(AccountId=ACCOUNT)
    assert error(e) == ("AccessGrantsInstanceNotExistsError", 404)
    out = control.create_access_grants_instance(AccountId=ACCOUNT, IdentityCenterArn=CENTER)
    arn = f"arn:aws:s3:us-east-1:{ACCOUNT}:access-grants/default"
    assert out["AccessGrantsInstanceId"] == "default" and out["AccessGrantsInstanceArn"] == arn
    assert out["IdentityCenterArn"] == CENTER
    assert out["IdentityCenterApplicationArn"].startswith(f"arn:aws:sso::{ACCOUNT}:application/ssoins-")
    with pytest.raises(ClientError) as e:
        control.create_access_grants_instance(AccountId=ACCOUNT)
    assert error(e) == ("AccessGrantsInstanceAlreadyExists", 409)
    control.dissociate_access_grants_identity_center(AccountId=ACCOUNT)
    assert "IdentityCenterArn" not in control.get_access_grants_instance(AccountId=ACCOUNT)
    with pytest.raises(ClientError) as e:
        control.associate_access_grants_identity_center(AccountId=ACCOUNT, IdentityCenterArn="arn:aws:sso:::nope/x")
    assert error(e) == ("InvalidIdentityCenterInstance", 400)
    listed = control.list_access_grants_instances(AccountId=ACCOUNT)["AccessGrantsInstancesList"]
    assert [i["AccessGrantsInstanceArn"] for i in listed] == [arn]

    with pytest.raises(ClientError) as e:
        control.get_access_grants_instance_resource_policy(AccountId=ACCOUNT)
    assert error(e) == ("AccessGrantsInstanceResourcePolicyNotExists", 404)
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": ACCOUNT},
                                                                 "Action": "s3:ListAccessGrants", "Resource": arn}]})
    control.put_access_grants_instance_resource_policy(AccountId=ACCOUNT, Policy=policy)
    assert control.get_access_grants_instance_resource_policy(AccountId=ACCOUNT)["Policy"] == policy
    with pytest.raises(ClientError) as e:
        control.put_access_grants_instance_resource_policy(AccountId=ACCOUNT, Policy="not json")
    assert error(e) == ("InvalidResourcePolicy", 400)
    control.delete_access_grants_instance_resource_policy(AccountId=ACCOUNT)

    control.create_access_grants_location(AccountId=ACCOUNT, LocationScope="s3://", IAMRoleArn=ROLE)
    with pytest.raises(ClientError) as e:
        control.delete_access_grants_instance(AccountId=ACCOUNT)
    assert error(e) == ("AccessGrantsInstanceNotEmptyError", 400)
    control.delete_access_grants_location(AccountId=ACCOUNT, AccessGrantsLocationId="default")
    control.delete_access_grants_instance(AccountId=ACCOUNT)
    with pytest.raises(ClientError) as e:
        control.list_access_grants_locations(AccountId=ACCOUNT)
    assert error(e) == ("AccessGrantsInstanceNotExistsError", 404)


def test_locations(control, instance):
    default = control.create_access_grants_location(AccountId=ACCOUNT, LocationScope="s3://", IAMRoleArn=ROLE)
    assert default["AccessGrantsLocationId"] == "default"
    assert default["AccessGrantsLocationArn"] == \
        f"arn:aws:s3:us-east-1:{ACCOUNT}:access-grants/default/location/default"
    bucket = control.create_access_grants_location(AccountId=ACCOUNT, LocationScope="s3://data/team",
                                                   IAMRoleArn=ROLE, Tags=[{"Key": "t", "Value": "1"}])
    with pytest.raises(ClientError) as e:
        control.create_access_grants_location(AccountId=ACCOUNT, LocationScope="s3://data/team", IAMRoleArn=ROLE)
    assert error(e) == ("AccessGrantsLocationAlreadyExistsError", 409)
    for scope, role, code in (("data/team", ROLE, "InvalidAccessGrantsLocation"),
                              ("s3://Not_A_Bucket", ROLE, "InvalidAccessGrantsLocation"),
                              ("s3://other", "arn:aws:iam::123456789012:user/x", "InvalidIamRole")):
        with pytest.raises(ClientError) as e:
            control.create_access_grants_location(AccountId=ACCOUNT, LocationScope=scope, IAMRoleArn=role)
        assert error(e) == (code, 400)

    location_id = bucket["AccessGrantsLocationId"]
    other_role = f"arn:aws:iam::{ACCOUNT}:role/other"
    updated = control.update_access_grants_location(AccountId=ACCOUNT, AccessGrantsLocationId=location_id,
                                                    IAMRoleArn=other_role)
    assert updated["IAMRoleArn"] == other_role and updated["LocationScope"] == "s3://data/team"
    assert control.get_access_grants_location(AccountId=ACCOUNT, AccessGrantsLocationId=location_id)[
        "IAMRoleArn"] == other_role
    scopes = [loc["LocationScope"] for loc in control.list_access_grants_locations(
        AccountId=ACCOUNT)["AccessGrantsLocationsList"]]
    assert scopes == ["s3://", "s3://data/team"]
    assert [loc["LocationScope"] for loc in control.list_access_grants_locations(
        AccountId=ACCOUNT, LocationScope="s3://data")["AccessGrantsLocationsList"]] == ["s3://data/team"]
    page = control.list_access_grants_locations(AccountId=ACCOUNT, MaxResults=1)
    rest = control.list_access_grants_locations(AccountId=ACCOUNT, MaxResults=1, NextToken=page["NextToken"])
    assert [loc["LocationScope"] for loc in page["AccessGrantsLocationsList"] + rest["AccessGrantsLocationsList"]] \
        == scopes

    # Tags of Access Grants resources go through TagResource and its siblings.
    arn = bucket["AccessGrantsLocationArn"]
    control.tag_resource(AccountId=ACCOUNT, ResourceArn=arn, Tags=[{"Key": "u", "Value": "2"}])
    control.untag_resource(AccountId=ACCOUNT, ResourceArn=arn, TagKeys=["t"])
    assert control.list_tags_for_resource(AccountId=ACCOUNT, ResourceArn=arn)["Tags"] == [{"Key": "u", "Value": "2"}]
    assert control.list_tags_for_resource(AccountId=ACCOUNT, ResourceArn=instance["AccessGrantsInstanceArn"])[
        "Tags"] == [{"Key": "k", "Value": "v"}]

    control.delete_access_grants_location(AccountId=ACCOUNT, AccessGrantsLocationId=location_id)
    with pytest.raises(ClientError) as e:
        control.get_access_grants_location(AccountId=ACCOUNT, AccessGrantsLocationId=location_id)
    assert error(e) == ("NoSuchAccessGrantsLocationError", 404)


def test_grants(control, instance):
    loc = control.create_access_grants_location(AccountId=ACCOUNT, LocationScope="s3://data",
                                                IAMRoleArn=ROLE)["AccessGrantsLocationId"]
    user = f"arn:aws:iam::{ACCOUNT}:user/alice"
    grant = control.create_access_grant(AccountId=ACCOUNT, AccessGrantsLocationId=loc,
                                        AccessGrantsLocationConfiguration={"S3SubPrefix": "reports/*"},
                                        Grantee={"GranteeType": "IAM", "GranteeIdentifier": user},
                                        Permission="READ")
    assert grant["GrantScope"] == "s3://data/reports/*"
    assert grant["AccessGrantArn"] == \
        f"arn:aws:s3:us-east-1:{ACCOUNT}:access-grants/default/grant/{grant['AccessGrantId']}"
    whole = control.create_access_grant(AccountId=ACCOUNT, AccessGrantsLocationId=loc, Permission="READWRITE",
                                        Grantee={"GranteeType": "IAM", "GranteeIdentifier": ROLE})
    assert whole["GrantScope"] == "s3://data/*"
    with pytest.raises(ClientError) as e:
        control.create_access_grant(AccountId=ACCOUNT, AccessGrantsLocationId=loc, Permission="READWRITE",
                                    Grantee={"GranteeType": "IAM", "GranteeIdentifier": ROLE})
    assert error(e) == ("AccessGrantAlreadyExists", 409)
    with pytest.raises(ClientError) as e:  # directory users need IAM Identity Center
        control.create_access_grant(AccountId=ACCOUNT, AccessGrantsLocationId=loc, Permission="READ",
                                    Grantee={"GranteeType": "DIRECTORY_USER", "GranteeIdentifier": "u-1"})
    assert error(e) == ("InvalidAccessGrant", 400)
    with pytest.raises(ClientError) as e:
        control.create_access_grant(AccountId=ACCOUNT, AccessGrantsLocationId="nope", Permission="READ",
                                    Grantee={"GranteeType": "IAM", "GranteeIdentifier": user})
    assert error(e) == ("InvalidAccessGrantsLocation", 400)

    got = control.get_access_grant(AccountId=ACCOUNT, AccessGrantId=grant["AccessGrantId"])
    assert got["Grantee"] == {"GranteeType": "IAM", "GranteeIdentifier": user} and got["Permission"] == "READ"
    assert got["AccessGrantsLocationConfiguration"] == {"S3SubPrefix": "reports/*"}
    assert [g["AccessGrantId"] for g in control.list_access_grants(AccountId=ACCOUNT)["AccessGrantsList"]] == [
        grant["AccessGrantId"], whole["AccessGrantId"]]
    assert [g["AccessGrantId"] for g in control.list_access_grants(
        AccountId=ACCOUNT, Permission="READWRITE")["AccessGrantsList"]] == [whole["AccessGrantId"]]
    with pytest.raises(ClientError) as e:
        control.delete_access_grants_location(AccountId=ACCOUNT, AccessGrantsLocationId=loc)
    assert error(e) == ("AccessGrantsLocationNotEmptyError", 400)
    control.delete_access_grant(AccountId=ACCOUNT, AccessGrantId=grant["AccessGrantId"])
    with pytest.raises(ClientError) as e:
        control.get_access_grant(AccountId=ACCOUNT, AccessGrantId=grant["AccessGrantId"])
    assert error(e) == ("NoSuchAccessGrantError", 404)


def test_get_data_access_vends_the_location_roles_credentials(make_client, control, instance):
    iam = make_client("iam")
    iam.create_role(RoleName="grants-location", AssumeRolePolicyDocument=TRUST)
    iam.create_user(UserName="alice")
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    alice = make_client("s3control", key=key["AccessKeyId"])
    user = f"arn:aws:iam::{ACCOUNT}:user/alice"
    loc = control.create_access_grants_location(AccountId=ACCOUNT, LocationScope="s3://data",
                                                IAMRoleArn=ROLE)["AccessGrantsLocationId"]
    control.create_access_grant(AccountId=ACCOUNT, AccessGrantsLocationId=loc, Permission="READ",
                                AccessGrantsLocationConfiguration={"S3SubPrefix": "reports/*"},
                                Grantee={"GranteeType": "IAM", "GranteeIdentifier": user})

    out = alice.get_data_access(AccountId=ACCOUNT, Target="s3://data/reports/2024/*", Permission="READ",
                                DurationSeconds=900)
    assert out["MatchedGrantTarget"] == "s3://data/reports/*"
    assert out["Grantee"] == {"GranteeType": "IAM", "GranteeIdentifier": user}
    creds = out["Credentials"]
    sts = make_client("sts", key=creds["AccessKeyId"])
    sts.meta.events.register("before-sign.sts.*", lambda request, **_: request.headers.__setitem__(
        "X-Amz-Security-Token", creds["SessionToken"]))
    identity = sts.get_caller_identity()
    assert identity["Arn"].startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/grants-location/")

    mine = alice.list_caller_access_grants(AccountId=ACCOUNT)["CallerAccessGrantsList"]
    assert mine == [{"Permission": "READ", "GrantScope": "s3://data/reports/*"}]
    assert control.list_caller_access_grants(AccountId=ACCOUNT).get("CallerAccessGrantsList", []) == []

    for target, permission in (("s3://data/other/*", "READ"), ("s3://data/reports/x", "WRITE")):
        with pytest.raises(ClientError) as e:
            alice.get_data_access(AccountId=ACCOUNT, Target=target, Permission=permission)
        assert error(e) == ("AccessDenied", 403)

    # A location role that does not trust S3 Access Grants cannot be assumed.
    iam.create_role(RoleName="untrusting", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))
    control.update_access_grants_location(AccountId=ACCOUNT, AccessGrantsLocationId=loc,
                                          IAMRoleArn=f"arn:aws:iam::{ACCOUNT}:role/untrusting")
    with pytest.raises(ClientError) as e:
        alice.get_data_access(AccountId=ACCOUNT, Target="s3://data/reports/a.csv", Permission="READ")
    assert error(e) == ("StsNotAuthorizedError", 403)
