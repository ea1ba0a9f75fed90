"""Users, keys, policies, roles and STS sessions survive a restart of a real
nubis process (a kill -9 included), with enforcement on."""
import json

import pytest
from botocore.exceptions import ClientError


def as_key(server, service, creds):
    return server.client(service, aws_access_key_id=creds["AccessKeyId"],
                         aws_secret_access_key=creds["SecretAccessKey"],
                         aws_session_token=creds.get("SessionToken"))


@pytest.mark.parametrize("how", ["sigterm", "kill9"])
def test_identities_survive_a_restart(server_process, tmp_path, how):
    data = str(tmp_path / "data")
    server = server_process("--data-dir", data, "--enforce-iam")
    iam = server.client("iam")
    iam.create_user(UserName="dev", Path="/eng/")
    iam.put_user_policy(UserName="dev", PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="dev")["AccessKey"]
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "000000000000"}, "Action": "sts:AssumeRole"}]}))
    iam.attach_role_policy(RoleName="r", PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    session = server.client("sts").assume_role(RoleArn="arn:aws:iam::000000000000:role/r",
                                               RoleSessionName="keep")["Credentials"]
    if how == "sigterm":
        assert server.terminate() == 0
    else:
        server.kill9()
    server = server_process("--data-dir", data, "--enforce-iam")

    assert as_key(server, "iam", key).get_user()["User"]["Arn"] == "arn:aws:iam::000000000000:user/eng/dev"
    with pytest.raises(ClientError) as info:
        as_key(server, "iam", key).list_users()
    assert info.value.response["Error"]["Code"] == "AccessDenied"
    assert as_key(server, "sts", session).get_caller_identity()["Arn"] == \
        "arn:aws:sts::000000000000:assumed-role/r/keep"
    assert [u["UserName"] for u in as_key(server, "iam", session).list_users()["Users"]] == ["dev"]
    assert server.client("iam").list_attached_role_policies(RoleName="r")["AttachedPolicies"][0]["PolicyName"] == \
        "IAMReadOnlyAccess"
