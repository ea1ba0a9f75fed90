"""IAM entities through the API: users, groups, roles, keys, managed and inline
policies, instance profiles, tags, and IAM's errors (enforcement off)."""
import json
import re

import pytest

from nubis.testing.cli import aws_json

from .conftest import allow, doc, err

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


@pytest.fixture
def iam(aws_client):
    return aws_client("iam")


def test_users_with_paths_tags_and_ids(iam, nubis):
    u = iam.create_user(UserName="alice", Path="/eng/", Tags=[{"Key": "team", "Value": "core"}])["User"]
    assert u["Arn"] == "arn:aws:iam::000000000000:user/eng/alice"
    assert re.fullmatch(r"AIDA[A-Z0-9]{17}", u["UserId"])
    assert iam.get_user(UserName="alice")["User"]["Tags"] == [{"Key": "team", "Value": "core"}]
    iam.create_user(UserName="bob")
    assert [x["UserName"] for x in iam.list_users()["Users"]] == ["alice", "bob"]
    assert [x["UserName"] for x in iam.list_users(PathPrefix="/eng/")["Users"]] == ["alice"]
    page = iam.list_users(MaxItems=1)
    assert page["IsTruncated"] and [x["UserName"] for x in iam.list_users(Marker=page["Marker"])["Users"]] == ["bob"]
    # Names are unique whatever their case.
    assert err(iam.create_user, UserName="ALICE") == ("EntityAlreadyExists", "User with name ALICE already exists.",
                                                       409)
    iam.update_user(UserName="bob", NewUserName="robert", NewPath="/ops/")
    assert iam.get_user(UserName="robert")["User"]["Arn"].endswith(":user/ops/robert")
    assert err(iam.get_user, UserName="bob") == ("NoSuchEntity", "The user with name bob cannot be found.", 404)
    iam.tag_user(UserName="robert", Tags=[{"Key": "k", "Value": "v"}])
    iam.untag_user(UserName="robert", TagKeys=["k"])
    assert iam.list_user_tags(UserName="robert")["Tags"] == []
    # The IAM user of a key (enforcement off: the key still names its user).
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    as_alice = nubis.client("sts", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
    assert as_alice.get_caller_identity()["Arn"] == u["Arn"]
    assert nubis.client("iam", aws_access_key_id=key["AccessKeyId"],
                        aws_secret_access_key=key["SecretAccessKey"]).get_user()["User"]["UserName"] == "alice"


def test_names_are_validated(iam):
    code, message, status = err(iam.create_user, UserName="bad/name")
    assert (code, status) == ("ValidationError", 400) and "[\\w+=,.@-]+" in message
    code, message, _ = err(iam.create_role, RoleName="r" * 65, AssumeRolePolicyDocument=TRUST)
    assert code == "ValidationError" and "less than or equal to 64" in message
    assert err(iam.create_user, UserName="u", Path="no-slash")[0] == "ValidationError"


def test_access_keys(iam):
    iam.create_user(UserName="k")
    a = iam.create_access_key(UserName="k")["AccessKey"]
    assert re.fullmatch(r"AKIA[A-Z2-7]{16}", a["AccessKeyId"]) and len(a["SecretAccessKey"]) == 40
    b = iam.create_access_key(UserName="k")["AccessKey"]
    assert err(iam.create_access_key, UserName="k") == ("LimitExceeded",
                                                        "Cannot exceed quota for AccessKeysPerUser: 2", 409)
    iam.update_access_key(UserName="k", AccessKeyId=a["AccessKeyId"], Status="Inactive")
    listed = {m["AccessKeyId"]: m["Status"] for m in iam.list_access_keys(UserName="k")["AccessKeyMetadata"]}
    assert listed == {a["AccessKeyId"]: "Inactive", b["AccessKeyId"]: "Active"}
    assert iam.get_access_key_last_used(AccessKeyId=b["AccessKeyId"])["UserName"] == "k"
    assert err(iam.delete_user, UserName="k") == ("DeleteConflict",
                                                  "Cannot delete entity, must delete access keys first.", 409)
    for key in (a, b):
        iam.delete_access_key(UserName="k", AccessKeyId=key["AccessKeyId"])
    assert err(iam.delete_access_key, UserName="k", AccessKeyId=a["AccessKeyId"])[0] == "NoSuchEntity"
    iam.delete_user(UserName="k")


def test_groups_and_membership(iam):
    iam.create_group(GroupName="devs")
    iam.create_user(UserName="u1")
    iam.add_user_to_group(GroupName="devs", UserName="u1")
    got = iam.get_group(GroupName="devs")
    assert got["Group"]["Arn"] == "arn:aws:iam::000000000000:group/devs"
    assert [u["UserName"] for u in got["Users"]] == ["u1"]
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="u1")["Groups"]] == ["devs"]
    assert err(iam.delete_group, GroupName="devs")[0] == "DeleteConflict"
    assert err(iam.delete_user, UserName="u1")[0] == "DeleteConflict"
    iam.remove_user_from_group(GroupName="devs", UserName="u1")
    iam.delete_group(GroupName="devs")
    iam.delete_user(UserName="u1")


def test_roles_and_instance_profiles(iam):
    role = iam.create_role(RoleName="fn", AssumeRolePolicyDocument=TRUST, Path="/service/", MaxSessionDuration=7200,
                           Description="runs", Tags=[{"Key": "a", "Value": "b"}])["Role"]
    assert role["Arn"] == "arn:aws:iam::000000000000:role/service/fn" and role["RoleId"].startswith("AROA")
    got = iam.get_role(RoleName="fn")["Role"]
    assert got["AssumeRolePolicyDocument"] == json.loads(TRUST)  # boto3 decodes IAM's URL-encoded document
    assert got["MaxSessionDuration"] == 7200 and got["Description"] == "runs"
    bad_trust = doc(allow("sts:AssumeRole"))  # a trust policy names principals, not resources
    assert err(iam.create_role, RoleName="x", AssumeRolePolicyDocument=bad_trust)[0] == "MalformedPolicyDocument"
    iam.create_instance_profile(InstanceProfileName="ip")
    iam.add_role_to_instance_profile(InstanceProfileName="ip", RoleName="fn")
    assert [r["RoleName"] for r in iam.get_instance_profile(InstanceProfileName="ip")["InstanceProfile"]["Roles"]] \
        == ["fn"]
    assert [p["InstanceProfileName"] for p in iam.list_instance_profiles_for_role(RoleName="fn")["InstanceProfiles"]] \
        == ["ip"]
    assert err(iam.delete_role, RoleName="fn")[0] == "DeleteConflict"
    iam.remove_role_from_instance_profile(InstanceProfileName="ip", RoleName="fn")
    iam.delete_instance_profile(InstanceProfileName="ip")
    iam.put_role_policy(RoleName="fn", PolicyName="logs", PolicyDocument=doc(allow("logs:*")))
    assert iam.list_role_policies(RoleName="fn")["PolicyNames"] == ["logs"]
    assert iam.get_role_policy(RoleName="fn", PolicyName="logs")["PolicyDocument"]["Statement"][0]["Action"] == \
        "logs:*"
    assert err(iam.delete_role, RoleName="fn")[0] == "DeleteConflict"
    iam.delete_role_policy(RoleName="fn", PolicyName="logs")
    iam.delete_role(RoleName="fn")
    slr = iam.create_service_linked_role(AWSServiceName="elasticbeanstalk.amazonaws.com")["Role"]
    assert slr["Path"] == "/aws-service-role/elasticbeanstalk.amazonaws.com/"


def test_managed_policies_and_versions(iam):
    p = iam.create_policy(PolicyName="read", PolicyDocument=doc(allow("s3:GetObject")), Path="/app/")["Policy"]
    arn = p["Arn"]
    assert arn == "arn:aws:iam::000000000000:policy/app/read" and p["DefaultVersionId"] == "v1"
    for i in range(2, 6):
        v = iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc(allow(f"s3:Get{i}")),
                                      SetAsDefault=(i == 3))["PolicyVersion"]
        assert v["VersionId"] == f"v{i}"
    code, message, status = err(iam.create_policy_version, PolicyArn=arn, PolicyDocument=doc(allow("s3:X")))
    assert (code, status) == ("LimitExceeded", 409) and "up to 5 versions" in message
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v3"
    got = iam.get_policy_version(PolicyArn=arn, VersionId="v3")["PolicyVersion"]
    assert got["IsDefaultVersion"] and got["Document"]["Statement"][0]["Action"] == "s3:Get3"
    assert err(iam.delete_policy_version, PolicyArn=arn, VersionId="v3")[0] == "DeleteConflict"
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v5")
    iam.delete_policy_version(PolicyArn=arn, VersionId="v3")
    assert [v["VersionId"] for v in iam.list_policy_versions(PolicyArn=arn)["Versions"]] == ["v5", "v4", "v2", "v1"]
    iam.create_user(UserName="u")
    iam.attach_user_policy(UserName="u", PolicyArn=arn)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 1
    assert iam.list_entities_for_policy(PolicyArn=arn)["PolicyUsers"][0]["UserName"] == "u"
    assert err(iam.delete_policy, PolicyArn=arn)[0] == "DeleteConflict"
    missing = "arn:aws:iam::000000000000:policy/nope"
    assert err(iam.attach_user_policy, UserName="u", PolicyArn=missing) == (
        "NoSuchEntity", f"Policy {missing} does not exist or is not attachable.", 404)


def test_aws_managed_policies_by_arn(iam):
    listed = {p["PolicyName"]: p for p in iam.list_policies(Scope="AWS", MaxItems=1000)["Policies"]}
    for name in ("AdministratorAccess", "ReadOnlyAccess", "AmazonS3FullAccess", "AmazonS3ReadOnlyAccess",
                 "AmazonSQSFullAccess", "AmazonDynamoDBFullAccess", "AWSLambdaBasicExecutionRole",
                 "AWSLambda_FullAccess", "AmazonSNSFullAccess", "CloudWatchLogsFullAccess",
                 "SecretsManagerReadWrite", "AmazonSSMReadOnlyAccess", "AWSKeyManagementServicePowerUser"):
        assert name in listed
    basic = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    assert listed["AWSLambdaBasicExecutionRole"]["Arn"] == basic
    version = iam.get_policy_version(PolicyArn=basic, VersionId="v1")["PolicyVersion"]
    assert set(version["Document"]["Statement"][0]["Action"]) == {"logs:CreateLogGroup", "logs:CreateLogStream",
                                                                    "logs:PutLogEvents"}
    iam.create_role(RoleName="fn", AssumeRolePolicyDocument=TRUST)
    iam.attach_role_policy(RoleName="fn", PolicyArn=basic)
    assert iam.list_attached_role_policies(RoleName="fn")["AttachedPolicies"] == [
        {"PolicyName": "AWSLambdaBasicExecutionRole", "PolicyArn": basic}]
    assert [p["PolicyName"] for p in iam.list_policies(Scope="AWS", OnlyAttached=True)["Policies"]] == [
        "AWSLambdaBasicExecutionRole"]
    assert iam.list_policies(Scope="Local")["Policies"] == []
    assert err(iam.delete_policy, PolicyArn=basic)[0] == "UnmodifiableEntity"


@pytest.mark.parametrize("text, message", [
    ("not json", "This policy contains invalid Json"),
    (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*"}]}),
     "Policy statement must contain resources."),
    (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*"}]}),
     "Policy statement must contain actions."),
    (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*",
                                                         "Resource": "*"}]}),
     "Policy document should not specify a principal."),
    (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Action": "s3:*", "Resource": "*"}]}),
     "Syntax errors in policy."),
    (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "bucket"}]}),
     'Resource bucket must be in ARN format or "*".'),
])
def test_malformed_policy_documents(iam, text, message):
    iam.create_user(UserName="u")
    assert err(iam.put_user_policy, UserName="u", PolicyName="p", PolicyDocument=text) == (
        "MalformedPolicyDocument", message, 400)


def test_login_profile_mfa_providers_alias_password_policy(iam):
    iam.create_user(UserName="u")
    iam.create_login_profile(UserName="u", Password="Sup3r-secret!", PasswordResetRequired=True)
    assert iam.get_login_profile(UserName="u")["LoginProfile"]["PasswordResetRequired"] is True
    assert err(iam.create_login_profile, UserName="u", Password="Sup3r-secret!")[0] == "EntityAlreadyExists"
    iam.update_account_password_policy(MinimumPasswordLength=20, RequireNumbers=True)
    assert iam.get_account_password_policy()["PasswordPolicy"]["MinimumPasswordLength"] == 20
    assert err(iam.update_login_profile, UserName="u", Password="short1")[0] == "PasswordPolicyViolation"
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName="phone")["VirtualMFADevice"]["SerialNumber"]
    assert serial == "arn:aws:iam::000000000000:mfa/phone"
    iam.enable_mfa_device(UserName="u", SerialNumber=serial, AuthenticationCode1="123456",
                          AuthenticationCode2="654321")
    assert iam.list_mfa_devices(UserName="u")["MFADevices"][0]["SerialNumber"] == serial
    assert iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"][0]["User"]["UserName"] == "u"
    oidc = iam.create_open_id_connect_provider(Url="https://token.example.com", ClientIDList=["app"],
                                               ThumbprintList=["a" * 40])["OpenIDConnectProviderArn"]
    assert oidc == "arn:aws:iam::000000000000:oidc-provider/token.example.com"
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=oidc)["ClientIDList"] == ["app"]
    iam.create_account_alias(AccountAlias="my-team")
    assert iam.list_account_aliases()["AccountAliases"] == ["my-team"]
    iam.generate_credential_report()
    report = iam.get_credential_report()["Content"].decode().splitlines()
    assert report[0].startswith("user,arn,user_creation_time,password_enabled")
    assert report[2].startswith("u,arn:aws:iam::000000000000:user/u,") and ",true," in report[2]
    details = iam.get_account_authorization_details(Filter=["User"])["UserDetailList"]
    assert details[0]["UserName"] == "u"


def test_aws_cli(nubis):
    def cli(*args):
        return aws_json(nubis.endpoint, "iam", *args)

    assert cli("create-user", "--user-name", "cli-user")["User"]["Arn"] == "arn:aws:iam::000000000000:user/cli-user"
    cli("attach-user-policy", "--user-name", "cli-user", "--policy-arn", "arn:aws:iam::aws:policy/ReadOnlyAccess")
    assert cli("list-attached-user-policies", "--user-name", "cli-user")["AttachedPolicies"][0]["PolicyName"] == \
        "ReadOnlyAccess"


SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIChcIqYoImuT3L8c1z879PB3s2v0aLAs9dILGKr4T38b dev@example"


def test_ssh_keys_service_credentials_and_service_access(iam):
    iam.create_user(UserName="dev")
    key = iam.upload_ssh_public_key(UserName="dev", SSHPublicKeyBody=SSH_KEY)["SSHPublicKey"]
    assert key["SSHPublicKeyId"].startswith("APKA") and key["Status"] == "Active"
    assert len(key["Fingerprint"].split(":")) == 16
    assert err(iam.upload_ssh_public_key, UserName="dev", SSHPublicKeyBody=SSH_KEY)[0] == "DuplicateSSHPublicKey"
    assert err(iam.upload_ssh_public_key, UserName="dev", SSHPublicKeyBody="not a key")[0] == "InvalidPublicKey"
    iam.update_ssh_public_key(UserName="dev", SSHPublicKeyId=key["SSHPublicKeyId"], Status="Inactive")
    assert iam.list_ssh_public_keys(UserName="dev")["SSHPublicKeys"][0]["Status"] == "Inactive"
    assert iam.get_ssh_public_key(UserName="dev", SSHPublicKeyId=key["SSHPublicKeyId"],
                                  Encoding="SSH")["SSHPublicKey"]["SSHPublicKeyBody"] == SSH_KEY
    cred = iam.create_service_specific_credential(UserName="dev", ServiceName="codecommit.amazonaws.com")[
        "ServiceSpecificCredential"]
    assert cred["ServiceUserName"] == "dev-at-000000000000" and cred["ServicePassword"]
    listed = iam.list_service_specific_credentials(UserName="dev")["ServiceSpecificCredentials"]
    assert [c["ServiceSpecificCredentialId"] for c in listed] == [cred["ServiceSpecificCredentialId"]]
    assert "ServicePassword" not in listed[0]
    assert err(iam.create_service_specific_credential, UserName="dev", ServiceName="s3.amazonaws.com")[0] == \
        "NotSupportedService"
    assert err(iam.delete_user, UserName="dev")[0] == "DeleteConflict"
    iam.delete_ssh_public_key(UserName="dev", SSHPublicKeyId=key["SSHPublicKeyId"])
    iam.delete_service_specific_credential(UserName="dev",
                                           ServiceSpecificCredentialId=cred["ServiceSpecificCredentialId"])
    iam.put_user_policy(UserName="dev", PolicyName="sqs", PolicyDocument=doc(allow("sqs:SendMessage")))
    iam.attach_user_policy(UserName="dev", PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
    access = iam.list_policies_granting_service_access(Arn="arn:aws:iam::000000000000:user/dev",
                                                       ServiceNamespaces=["s3", "sqs", "sns"])
    by_ns = {e["ServiceNamespace"]: [p["PolicyName"] for p in e["Policies"]]
             for e in access["PoliciesGrantingServiceAccess"]}
    assert by_ns == {"s3": ["AmazonS3ReadOnlyAccess"], "sqs": ["sqs"], "sns": []}


def test_a_trust_policy_names_principals_that_exist(iam):
    missing = "arn:aws:iam::000000000000:user/nobody"
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": missing}, "Action": "sts:AssumeRole"}]})
    assert err(iam.create_role, RoleName="r", AssumeRolePolicyDocument=trust) == (
        "MalformedPolicyDocument", f'Invalid principal in policy: "AWS":"{missing}"', 400)
    iam.create_user(UserName="nobody")
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=trust)
