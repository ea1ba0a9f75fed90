"""A user's signed requests, allowed or denied by its policies (inline, attached
managed, its groups', its permissions boundary), across S3 and IAM itself."""
import pytest

from .conftest import ACCOUNT, allow, deny, doc, error_of

USER_ARN = f"arn:aws:iam::{ACCOUNT}:user/dev"


@pytest.fixture
def bucket(client):
    s3 = client("s3")
    s3.create_bucket(Bucket="data")
    s3.put_object(Bucket="data", Key="docs/a.txt", Body=b"a")
    s3.put_object(Bucket="data", Key="private/b.txt", Body=b"b")
    return "data"


def test_a_user_without_policies_may_do_nothing(client, user, bucket):
    key = user("dev")
    s3 = client("s3", creds=key)
    assert error_of(s3.list_buckets)["Code"] == "AccessDenied"
    assert error_of(s3.get_object, Bucket=bucket, Key="docs/a.txt")["Code"] == "AccessDenied"
    e = error_of(client("iam", creds=key).create_user, UserName="other")
    assert e["Status"] == 403 and e["Code"] == "AccessDenied"
    assert e["Message"] == (f"User: {USER_ARN} is not authorized to perform: iam:CreateUser on resource: "
                            f"arn:aws:iam::{ACCOUNT}:user/other because no identity-based policy allows the "
                            "iam:CreateUser action")
    # Who am I needs no permission.
    assert client("sts", creds=key).get_caller_identity()["Arn"] == USER_ARN


def test_an_inline_policy_allows_what_it_names(client, user, bucket):
    key = user("dev", allow("s3:GetObject", "arn:aws:s3:::data/docs/*"), allow("s3:ListAllMyBuckets"))
    s3 = client("s3", creds=key)
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["data"]
    assert s3.get_object(Bucket=bucket, Key="docs/a.txt")["Body"].read() == b"a"
    assert error_of(s3.get_object, Bucket=bucket, Key="private/b.txt")["Code"] == "AccessDenied"
    assert error_of(s3.put_object, Bucket=bucket, Key="docs/new", Body=b"x")["Code"] == "AccessDenied"


def test_an_explicit_deny_wins(client, user, iam):
    key = user("dev", allow("iam:*"), deny("iam:DeleteUser"))
    me = client("iam", creds=key)
    me.create_user(UserName="temp")
    e = error_of(me.delete_user, UserName="temp")
    assert e["Message"] == (f"User: {USER_ARN} is not authorized to perform: iam:DeleteUser on resource: "
                            f"arn:aws:iam::{ACCOUNT}:user/temp with an explicit deny in an identity-based policy")


def test_iam_actions_on_resources_with_paths(client, user):
    key = user("dev", allow("iam:CreateUser", f"arn:aws:iam::{ACCOUNT}:user/contractors/*"),
               allow("iam:ListAccessKeys", f"arn:aws:iam::{ACCOUNT}:user/${{aws:username}}"))
    me = client("iam", creds=key)
    me.create_user(UserName="c1", Path="/contractors/")
    assert error_of(me.create_user, UserName="c2")["Code"] == "AccessDenied"
    assert me.list_access_keys()["AccessKeyMetadata"][0]["AccessKeyId"] == key["AccessKeyId"]
    assert error_of(me.list_access_keys, UserName="c1")["Code"] == "AccessDenied"


def test_managed_policies_attached_by_arn(client, user, bucket, iam):
    key = user("dev", managed=["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"])
    s3 = client("s3", creds=key)
    assert s3.get_object(Bucket=bucket, Key="private/b.txt")["Body"].read() == b"b"
    assert error_of(s3.put_object, Bucket=bucket, Key="x", Body=b"x")["Code"] == "AccessDenied"
    # A customer managed policy: its default version governs, and changes apply at once.
    arn = iam.create_policy(PolicyName="writer", PolicyDocument=doc(allow("s3:PutObject", "arn:aws:s3:::data/*")))[
        "Policy"]["Arn"]
    iam.attach_user_policy(UserName="dev", PolicyArn=arn)
    s3.put_object(Bucket=bucket, Key="x", Body=b"x")
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc(allow("s3:PutObject", "arn:aws:s3:::other/*")),
                              SetAsDefault=True)
    assert error_of(s3.put_object, Bucket=bucket, Key="y", Body=b"y")["Code"] == "AccessDenied"
    iam.detach_user_policy(UserName="dev", PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
    assert error_of(s3.get_object, Bucket=bucket, Key="x")["Code"] == "AccessDenied"


def test_group_policies_apply_to_members(client, user, bucket, iam):
    key = user("dev")
    iam.create_group(GroupName="readers")
    iam.put_group_policy(GroupName="readers", PolicyName="read", PolicyDocument=doc(allow("s3:GetObject")))
    s3 = client("s3", creds=key)
    assert error_of(s3.get_object, Bucket=bucket, Key="docs/a.txt")["Code"] == "AccessDenied"
    iam.add_user_to_group(GroupName="readers", UserName="dev")
    assert s3.get_object(Bucket=bucket, Key="docs/a.txt")["Body"].read() == b"a"
    iam.attach_group_policy(GroupName="readers", PolicyArn="arn:aws:iam::aws:policy/AmazonS3FullAccess")
    s3.put_object(Bucket=bucket, Key="docs/b.txt", Body=b"b")
    iam.remove_user_from_group(GroupName="readers", UserName="dev")
    assert error_of(s3.get_object, Bucket=bucket, Key="docs/a.txt")["Code"] == "AccessDenied"


def test_a_permissions_boundary_limits_what_policies_allow(client, user, bucket, iam):
    key = user("dev", managed=["arn:aws:iam::aws:policy/AdministratorAccess"])
    s3 = client("s3", creds=key)
    s3.put_object(Bucket=bucket, Key="ok", Body=b"1")
    iam.put_user_permissions_boundary(UserName="dev",
                                      PermissionsBoundary="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
    assert s3.get_object(Bucket=bucket, Key="ok")["Body"].read() == b"1"
    assert error_of(s3.put_object, Bucket=bucket, Key="no", Body=b"2")["Code"] == "AccessDenied"
    assert error_of(client("iam", creds=key).list_users)["Code"] == "AccessDenied"
    # The boundary alone grants nothing.
    iam.detach_user_policy(UserName="dev", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    assert error_of(s3.get_object, Bucket=bucket, Key="ok")["Code"] == "AccessDenied"
    iam.delete_user_permissions_boundary(UserName="dev")
    assert "PermissionsBoundary" not in iam.get_user(UserName="dev")["User"]


def test_principal_tags_in_conditions(client, user, bucket, iam):
    key = user("dev", allow("s3:GetObject", "arn:aws:s3:::data/*",
                            Condition={"StringEquals": {"aws:PrincipalTag/team": "docs"}}))
    s3 = client("s3", creds=key)
    assert error_of(s3.get_object, Bucket=bucket, Key="docs/a.txt")["Code"] == "AccessDenied"
    iam.tag_user(UserName="dev", Tags=[{"Key": "team", "Value": "docs"}])
    assert s3.get_object(Bucket=bucket, Key="docs/a.txt")["Body"].read() == b"a"


def test_inactive_and_deleted_keys_are_refused(client, user, iam):
    key = user("dev", allow("iam:GetUser"))
    me = client("iam", creds=key)
    assert me.get_user()["User"]["Arn"] == USER_ARN
    iam.update_access_key(UserName="dev", AccessKeyId=key["AccessKeyId"], Status="Inactive")
    assert error_of(me.get_user)["Code"] == "InvalidClientTokenId"
    iam.update_access_key(UserName="dev", AccessKeyId=key["AccessKeyId"], Status="Active")
    me.get_user()
    assert error_of(client("iam", key=key["AccessKeyId"], secret="wrong" * 8).get_user)["Code"] == \
        "SignatureDoesNotMatch"
    iam.delete_access_key(UserName="dev", AccessKeyId=key["AccessKeyId"])
    assert error_of(me.get_user)["Code"] == "InvalidClientTokenId"
    assert error_of(client("s3", creds=key).list_buckets)["Code"] == "InvalidAccessKeyId"


def test_a_bucket_policy_naming_the_user(client, user, bucket):
    import json
    key = user("dev")
    client("s3").put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": USER_ARN}, "Action": "s3:GetObject",
         "Resource": "arn:aws:s3:::data/docs/*"}]}))
    s3 = client("s3", creds=key)
    assert s3.get_object(Bucket=bucket, Key="docs/a.txt")["Body"].read() == b"a"
    assert error_of(s3.get_object, Bucket=bucket, Key="private/b.txt")["Code"] == "AccessDenied"


def test_simulate_principal_policy(iam, user):
    user("dev", allow("s3:GetObject", "arn:aws:s3:::data/*"), deny("s3:GetObject", "arn:aws:s3:::data/secret/*"))
    results = iam.simulate_principal_policy(
        PolicySourceArn=USER_ARN, ActionNames=["s3:GetObject", "s3:PutObject"],
        ResourceArns=["arn:aws:s3:::data/a", "arn:aws:s3:::data/secret/b"])["EvaluationResults"]
    decisions = {(r["EvalActionName"], r["EvalResourceName"]): r["EvalDecision"] for r in results}
    assert decisions == {("s3:GetObject", "arn:aws:s3:::data/a"): "allowed",
                         ("s3:GetObject", "arn:aws:s3:::data/secret/b"): "explicitDeny",
                         ("s3:PutObject", "arn:aws:s3:::data/a"): "implicitDeny",
                         ("s3:PutObject", "arn:aws:s3:::data/secret/b"): "implicitDeny"}
    allowed = next(r for r in results if r["EvalDecision"] == "allowed")
    assert allowed["MatchedStatements"][0]["SourcePolicyId"] == "inline"
    custom = iam.simulate_custom_policy(
        PolicyInputList=[doc(allow("sqs:SendMessage", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))],
        ActionNames=["sqs:SendMessage"],
        ContextEntries=[{"ContextKeyName": "aws:SourceIp", "ContextKeyValues": ["10.1.2.3"],
                         "ContextKeyType": "ip"}])["EvaluationResults"]
    assert custom[0]["EvalDecision"] == "allowed"
    assert iam.simulate_custom_policy(PolicyInputList=[doc(allow("sqs:SendMessage"))],
                                      ActionNames=["sqs:DeleteQueue"])["EvaluationResults"][0]["EvalDecision"] == \
        "implicitDeny"
    e = error_of(iam.simulate_custom_policy, PolicyInputList=[doc(allow("sqs:SendMessage"))],  # a context
                 ActionNames=["sqs:SendMessage"],  # entry without its key's name
                 ContextEntries=[{"ContextKeyValues": ["x"], "ContextKeyType": "string"}])
    assert e["Code"] == "ValidationError" and e["Status"] == 400


def test_unsigned_iam_calls_are_refused(cloud):
    import httpx
    r = httpx.post(cloud.endpoint + "/", data={"Action": "ListUsers", "Version": "2010-05-08"},
                   headers={"Authorization": ""})
    assert r.status_code == 403 and b"MissingAuthenticationToken" in r.content


def test_a_user_changes_its_own_password(client, user, iam):
    key = user("dev", allow("iam:ChangePassword", "arn:aws:iam::*:user/${aws:username}"))
    iam.create_login_profile(UserName="dev", Password="First-passw0rd", PasswordResetRequired=True)
    me = client("iam", creds=key)
    assert error_of(me.change_password, OldPassword="wrong-one", NewPassword="Second-passw0rd")["Code"] == \
        "AccessDenied"
    me.change_password(OldPassword="First-passw0rd", NewPassword="Second-passw0rd")
    assert iam.get_login_profile(UserName="dev")["LoginProfile"]["PasswordResetRequired"] is False
    me.change_password(OldPassword="Second-passw0rd", NewPassword="Third-passw0rd")
