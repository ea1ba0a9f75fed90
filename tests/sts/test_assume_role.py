"""AssumeRole with trust policies, external ids, session policies and tags; the
session's credentials on S3, IAM and STS; their expiry on the controllable clock."""
import json
import re
import time

import pytest

from iam.conftest import ACCOUNT, OTHER, allow, doc, error_of

ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/reader"


def trust(*principals, condition=None, actions="sts:AssumeRole") -> str:
    st = {"Effect": "Allow", "Principal": {"AWS": list(principals)}, "Action": actions}
    if condition:
        st["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [st]})


@pytest.fixture
def role(iam, client):
    """A role any principal of the account may assume (with identity permission) that reads data/docs/*."""
    iam.create_role(RoleName="reader", AssumeRolePolicyDocument=trust(f"arn:aws:iam::{ACCOUNT}:root"),
                    MaxSessionDuration=7200)
    iam.put_role_policy(RoleName="reader", PolicyName="read", PolicyDocument=doc(
        allow(["s3:GetObject", "s3:ListBucket"], ["arn:aws:s3:::data", "arn:aws:s3:::data/*"])))
    s3 = client("s3")
    s3.create_bucket(Bucket="data")
    s3.put_object(Bucket="data", Key="docs/a.txt", Body=b"a")
    s3.put_object(Bucket="data", Key="private/b.txt", Body=b"b")
    return ROLE_ARN


def test_the_root_assumes_a_role_and_uses_its_session(client, role):
    out = client("sts").assume_role(RoleArn=role, RoleSessionName="job-1", DurationSeconds=900)
    creds, assumed = out["Credentials"], out["AssumedRoleUser"]
    assert re.fullmatch(r"ASIA[A-Z2-7]{16}", creds["AccessKeyId"]) and len(creds["SecretAccessKey"]) == 40
    assert assumed["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/reader/job-1"
    assert re.fullmatch(r"AROA[A-Z0-9]{17}:job-1", assumed["AssumedRoleId"])
    ident = client("sts", creds=creds).get_caller_identity()
    assert ident == {**ident, "Arn": assumed["Arn"], "UserId": assumed["AssumedRoleId"], "Account": ACCOUNT}
    s3 = client("s3", creds=creds)
    assert s3.get_object(Bucket="data", Key="private/b.txt")["Body"].read() == b"b"
    assert error_of(s3.put_object, Bucket="data", Key="x", Body=b"x")["Code"] == "AccessDenied"
    assert error_of(client("iam", creds=creds).list_users)["Code"] == "AccessDenied"
    # The session needs its token.
    assert error_of(client("sts", key=creds["AccessKeyId"], secret=creds["SecretAccessKey"]).get_caller_identity)[
        "Code"] == "InvalidClientTokenId"
    assert client("iam").get_role(RoleName="reader")["Role"]["RoleLastUsed"]["Region"] == "us-east-1"


def test_a_session_expires_on_the_clock(cloud, client, role):
    creds = client("sts").assume_role(RoleArn=role, RoleSessionName="s1", DurationSeconds=900)["Credentials"]
    s3 = client("s3", creds=creds)
    cloud.advance(890)
    assert s3.get_object(Bucket="data", Key="docs/a.txt")["Body"].read() == b"a"
    cloud.advance(20)
    assert error_of(s3.get_object, Bucket="data", Key="docs/a.txt")["Code"] == "ExpiredToken"
    err = error_of(client("sts", creds=creds).get_caller_identity)
    assert (err["Code"], err["Status"]) == ("ExpiredToken", 403)


def test_the_trust_policy_decides_who_may_assume(client, iam, user, role):
    # Another account's root is not trusted by this role.
    err = error_of(client("sts", key=OTHER).assume_role, RoleArn=role, RoleSessionName="s1")
    assert err["Code"] == "AccessDenied" and err["Status"] == 403
    assert err["Message"] == (f"User: arn:aws:iam::{OTHER}:root is not authorized to perform: sts:AssumeRole on "
                              f"resource: {role}")
    # Once trusted, it may.
    iam.update_assume_role_policy(RoleName="reader", PolicyDocument=trust(f"arn:aws:iam::{ACCOUNT}:root", OTHER))
    client("sts", key=OTHER).assume_role(RoleArn=role, RoleSessionName="s1")
    # A role that does not exist is refused the same way.
    assert error_of(client("sts").assume_role, RoleArn=f"arn:aws:iam::{ACCOUNT}:role/none",
                    RoleSessionName="s1")["Code"] == "AccessDenied"


def test_a_user_needs_identity_permission_unless_the_trust_policy_names_it(client, iam, user, role):
    key = user("dev")
    sts = client("sts", creds=key)
    err = error_of(sts.assume_role, RoleArn=role, RoleSessionName="s1")
    assert err["Code"] == "AccessDenied" and "sts:AssumeRole" in err["Message"]
    iam.put_user_policy(UserName="dev", PolicyName="assume", PolicyDocument=doc(allow("sts:AssumeRole", role)))
    sts.assume_role(RoleArn=role, RoleSessionName="s1")
    iam.delete_user_policy(UserName="dev", PolicyName="assume")
    iam.update_assume_role_policy(RoleName="reader", PolicyDocument=trust(f"arn:aws:iam::{ACCOUNT}:user/dev"))
    creds = sts.assume_role(RoleArn=role, RoleSessionName="s1")["Credentials"]
    assert client("s3", creds=creds).get_object(Bucket="data", Key="docs/a.txt")["Body"].read() == b"a"


def test_external_id(client, iam, role):
    iam.update_assume_role_policy(RoleName="reader", PolicyDocument=trust(
        OTHER, condition={"StringEquals": {"sts:ExternalId": "secret-42"}}))
    sts = client("sts", key=OTHER)
    for external in (None, "wrong-id"):
        kwargs = {"ExternalId": external} if external else {}
        assert error_of(sts.assume_role, RoleArn=role, RoleSessionName="s1", **kwargs)["Code"] == "AccessDenied"
    sts.assume_role(RoleArn=role, RoleSessionName="s1", ExternalId="secret-42")


def test_session_policies_intersect_with_the_role(client, role):
    sts = client("sts")
    creds = sts.assume_role(RoleArn=role, RoleSessionName="s1", Policy=doc(
        allow("s3:GetObject", "arn:aws:s3:::data/docs/*"), allow("s3:PutObject")))["Credentials"]
    s3 = client("s3", creds=creds)
    assert s3.get_object(Bucket="data", Key="docs/a.txt")["Body"].read() == b"a"
    assert error_of(s3.get_object, Bucket="data", Key="private/b.txt")["Code"] == "AccessDenied"
    # The session policy allows PutObject, the role does not.
    assert error_of(s3.put_object, Bucket="data", Key="docs/x", Body=b"x")["Code"] == "AccessDenied"
    creds = sts.assume_role(RoleArn=role, RoleSessionName="s-2", PolicyArns=[
        {"arn": "arn:aws:iam::aws:policy/AmazonSQSFullAccess"}])["Credentials"]
    assert error_of(client("s3", creds=creds).get_object, Bucket="data", Key="docs/a.txt")["Code"] == \
        "AccessDenied"


def test_session_tags_are_principal_tags(client, iam, role):
    iam.update_assume_role_policy(RoleName="reader", PolicyDocument=trust(
        f"arn:aws:iam::{ACCOUNT}:root", actions=["sts:AssumeRole", "sts:TagSession"]))
    iam.put_role_policy(RoleName="reader", PolicyName="read", PolicyDocument=doc(
        allow("s3:GetObject", "arn:aws:s3:::data/${aws:PrincipalTag/folder}/*")))
    out = client("sts").assume_role(RoleArn=role, RoleSessionName="s1", Tags=[{"Key": "folder", "Value": "docs"}])
    assert out["PackedPolicySize"] >= 0
    s3 = client("s3", creds=out["Credentials"])
    assert s3.get_object(Bucket="data", Key="docs/a.txt")["Body"].read() == b"a"
    assert error_of(s3.get_object, Bucket="data", Key="private/b.txt")["Code"] == "AccessDenied"


def test_duration_and_session_name_rules(cloud, client, iam, role):
    sts = client("sts")
    err = error_of(sts.assume_role, RoleArn=role, RoleSessionName="s1", DurationSeconds=7201)
    assert (err["Code"], err["Message"]) == ("ValidationError", "The requested DurationSeconds exceeds the "
                                             "MaxSessionDuration set for this role.")
    err = error_of(sts.assume_role, RoleArn=role, RoleSessionName="bad name!")
    assert err["Code"] == "ValidationError" and "[\\w+=,.@-]*" in err["Message"]
    before = cloud.clock()
    out = sts.assume_role(RoleArn=role, RoleSessionName="long", DurationSeconds=7200)
    assert out["Credentials"]["Expiration"].timestamp() == pytest.approx(before + 7200, abs=2)


def test_get_session_token_and_federation_token(client, iam, user):
    key = user("dev", allow("s3:ListAllMyBuckets"), allow("sts:GetFederationToken"))
    sts = client("sts", creds=key)
    session = sts.get_session_token(DurationSeconds=900)["Credentials"]
    assert client("sts", creds=session).get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/dev"
    client("s3", creds=session).list_buckets()
    assert error_of(client("sts", creds=session).get_session_token)["Code"] == "AccessDenied"
    fed = sts.get_federation_token(Name="visitor", Policy=doc(allow("s3:*")))
    assert fed["FederatedUser"] == {"FederatedUserId": f"{ACCOUNT}:visitor",
                                    "Arn": f"arn:aws:sts::{ACCOUNT}:federated-user/visitor"}
    as_fed = client("s3", creds=fed["Credentials"])
    as_fed.list_buckets()  # allowed by both the user and the session policy
    assert error_of(as_fed.create_bucket, Bucket="nope")["Code"] == "AccessDenied"  # the user may not
    assert client("sts").get_access_key_info(AccessKeyId=key["AccessKeyId"])["Account"] == ACCOUNT


def test_role_chaining_keeps_transitive_tags_and_an_hour(client, iam, role):
    iam.update_assume_role_policy(RoleName="reader", PolicyDocument=trust(
        f"arn:aws:iam::{ACCOUNT}:root", actions=["sts:AssumeRole", "sts:TagSession"]))
    iam.create_role(RoleName="next", AssumeRolePolicyDocument=trust(role), MaxSessionDuration=7200)
    iam.put_role_policy(RoleName="reader", PolicyName="chain", PolicyDocument=doc(
        allow("sts:AssumeRole", f"arn:aws:iam::{ACCOUNT}:role/next")))
    iam.put_role_policy(RoleName="next", PolicyName="read", PolicyDocument=doc(
        allow("s3:GetObject", "arn:aws:s3:::data/${aws:PrincipalTag/folder}/*")))
    first = client("sts").assume_role(RoleArn=role, RoleSessionName="first", TransitiveTagKeys=["folder"],
                                      Tags=[{"Key": "folder", "Value": "docs"}, {"Key": "other", "Value": "x"}])
    sts = client("sts", creds=first["Credentials"])
    err = error_of(sts.assume_role, RoleArn=f"arn:aws:iam::{ACCOUNT}:role/next", RoleSessionName="second",
                   DurationSeconds=7200)
    assert err["Message"] == "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by " \
                             "role chaining."
    second = sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/next", RoleSessionName="second")
    s3 = client("s3", creds=second["Credentials"])
    assert s3.get_object(Bucket="data", Key="docs/a.txt")["Body"].read() == b"a"
    assert error_of(s3.get_object, Bucket="data", Key="private/b.txt")["Code"] == "AccessDenied"


def test_an_expired_session_is_forgotten_a_day_later(cloud, client, role):
    creds = client("sts").assume_role(RoleArn=role, RoleSessionName="old", DurationSeconds=900)["Credentials"]
    sts = client("sts", creds=creds)
    cloud.advance(901)
    assert error_of(sts.get_caller_identity)["Code"] == "ExpiredToken"
    cloud.advance(86400)
    for _ in range(50):  # the scheduler forgets it as the clock passes its timer
        err = error_of(sts.get_caller_identity)
        if err["Code"] == "InvalidClientTokenId":
            break
        time.sleep(0.05)
    assert err["Code"] == "InvalidClientTokenId"


def test_a_user_passing_session_tags_needs_tag_session(client, iam, user, role):
    iam.update_assume_role_policy(RoleName="reader", PolicyDocument=trust(
        f"arn:aws:iam::{ACCOUNT}:root", actions=["sts:AssumeRole", "sts:TagSession"]))
    key = user("dev", allow("sts:AssumeRole", role))
    sts = client("sts", creds=key)
    err = error_of(sts.assume_role, RoleArn=role, RoleSessionName="t1", Tags=[{"Key": "k", "Value": "v"}])
    assert err["Code"] == "AccessDenied" and "sts:TagSession" in err["Message"]
    iam.put_user_policy(UserName="dev", PolicyName="tag", PolicyDocument=doc(allow("sts:TagSession", role)))
    sts.assume_role(RoleArn=role, RoleSessionName="t1", Tags=[{"Key": "k", "Value": "v"}])


def test_a_roles_tags_are_its_sessions_principal_tags(client, iam, role):
    iam.put_role_policy(RoleName="reader", PolicyName="read", PolicyDocument=doc(
        allow("s3:GetObject", "arn:aws:s3:::data/${aws:PrincipalTag/folder}/*")))
    iam.tag_role(RoleName="reader", Tags=[{"Key": "folder", "Value": "private"}])
    s3 = client("s3", creds=client("sts").assume_role(RoleArn=role, RoleSessionName="t2")["Credentials"])
    assert s3.get_object(Bucket="data", Key="private/b.txt")["Body"].read() == b"b"
    assert error_of(s3.get_object, Bucket="data", Key="docs/a.txt")["Code"] == "AccessDenied"


def test_sessions_with_bucket_policies_and_policy_variables(client, iam, role):
    """What tests/auth/session_keys.py stood in for, with a real session."""
    iam.put_role_policy(RoleName="reader", PolicyName="read", PolicyDocument=doc(
        allow("s3:GetObject", ["arn:aws:s3:::data/docs/*", "arn:aws:s3:::data/home/${aws:userid}/*"]),
        allow("s3:PutObject", "arn:aws:s3:::data/home/${aws:userid}/*")))
    out = client("sts").assume_role(RoleArn=role, RoleSessionName="me")
    creds, user_id = out["Credentials"], out["AssumedRoleUser"]["AssumedRoleId"]
    s3 = client("s3", creds=creds)
    s3.put_object(Bucket="data", Key=f"home/{user_id}/notes", Body=b"mine")
    assert s3.get_object(Bucket="data", Key=f"home/{user_id}/notes")["Body"].read() == b"mine"
    assert error_of(s3.put_object, Bucket="data", Key="home/someone-else/notes", Body=b"x")["Code"] == "AccessDenied"
    # Without its token, S3 answers InvalidToken.
    err = error_of(client("s3", key=creds["AccessKeyId"], secret=creds["SecretAccessKey"]).list_buckets)
    assert (err["Code"], err["Status"]) == ("InvalidToken", 400)
    # A bucket policy naming the role governs its sessions (aws:PrincipalArn is the role's ARN).
    client("s3").put_bucket_policy(Bucket="data", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": role}, "Action": "s3:GetObject",
         "Resource": "arn:aws:s3:::data/private/*"},
        {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/docs/*",
         "Condition": {"ArnEquals": {"aws:PrincipalArn": role}}}]}))
    assert s3.get_object(Bucket="data", Key="private/b.txt")["Body"].read() == b"b"
    assert error_of(s3.get_object, Bucket="data", Key="docs/a.txt")["Code"] == "AccessDenied"


def test_mfa_codes_make_aws_multifactorauthpresent(client, iam, user, role):
    key = user("dev", allow("s3:GetObject", "arn:aws:s3:::data/*",
                            Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}))
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName="dev-phone")["VirtualMFADevice"]["SerialNumber"]
    iam.enable_mfa_device(UserName="dev", SerialNumber=serial, AuthenticationCode1="111111",
                          AuthenticationCode2="222222")
    assert error_of(client("s3", creds=key).get_object, Bucket="data", Key="docs/a.txt")["Code"] == "AccessDenied"
    sts = client("sts", creds=key)
    assert error_of(sts.get_session_token, SerialNumber=serial, TokenCode="12ab56")["Code"] == "AccessDenied"
    session = sts.get_session_token(SerialNumber=serial, TokenCode="123456")["Credentials"]
    assert client("s3", creds=session).get_object(Bucket="data", Key="docs/a.txt")["Body"].read() == b"a"
    # A role whose trust policy asks for MFA.
    iam.update_assume_role_policy(RoleName="reader", PolicyDocument=trust(
        f"arn:aws:iam::{ACCOUNT}:user/dev", condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}))
    assert error_of(sts.assume_role, RoleArn=role, RoleSessionName="m1")["Code"] == "AccessDenied"
    sts.assume_role(RoleArn=role, RoleSessionName="m1", SerialNumber=serial, TokenCode="654321")
