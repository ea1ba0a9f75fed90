"""Secrets and their versions: create, read by name / ARN / partial ARN, new
values and staging labels, idempotency."""
import re

from .conftest import code, error_of, message

ARN = re.compile(r"^arn:aws:secretsmanager:us-east-1:000000000000:secret:(.+)-([A-Za-z0-9]{6})$")


def test_create_and_get_by_name_full_and_partial_arn(sm):
    out = sm.create_secret(Name="db/password", SecretString="s3cret", Description="the db",
                           Tags=[{"Key": "team", "Value": "core"}])
    m = ARN.match(out["ARN"])
    assert m and m.group(1) == "db/password"
    assert out["Name"] == "db/password" and out["VersionId"]
    partial = out["ARN"][:-7]
    for secret_id in ("db/password", out["ARN"], partial):
        got = sm.get_secret_value(SecretId=secret_id)
        assert got["SecretString"] == "s3cret" and got["ARN"] == out["ARN"]
        assert got["VersionStages"] == ["AWSCURRENT"] and got["VersionId"] == out["VersionId"]
    d = sm.describe_secret(SecretId=partial)
    assert d["Description"] == "the db" and d["Tags"] == [{"Key": "team", "Value": "core"}]
    assert d["VersionIdsToStages"] == {out["VersionId"]: ["AWSCURRENT"]}
    assert "KmsKeyId" not in d and d["RotationEnabled"] is False
    e = error_of(sm.get_secret_value, SecretId="db/nope")
    assert code(e) == "ResourceNotFoundException"
    assert message(e) == "Secrets Manager can't find the specified secret."


def test_two_secrets_of_one_name_get_different_suffixes_over_time(sm):
    a = sm.create_secret(Name="x", SecretString="1")["ARN"]
    sm.delete_secret(SecretId="x", ForceDeleteWithoutRecovery=True)
    b = sm.create_secret(Name="x", SecretString="2")["ARN"]
    assert a != b
    assert code(error_of(sm.get_secret_value, SecretId=a)) == "ResourceNotFoundException"
    assert sm.get_secret_value(SecretId=b)["SecretString"] == "2"


def test_binary_secret_and_secret_without_value(sm):
    sm.create_secret(Name="bin", SecretBinary=b"\x00\x01\xff")
    got = sm.get_secret_value(SecretId="bin")
    assert got["SecretBinary"] == b"\x00\x01\xff" and "SecretString" not in got
    out = sm.create_secret(Name="empty")
    assert "VersionId" not in out
    e = error_of(sm.get_secret_value, SecretId="empty")
    assert code(e) == "ResourceNotFoundException"
    assert "staging label: AWSCURRENT" in message(e)


def test_create_errors(sm):
    sm.create_secret(Name="dup", SecretString="a")
    e = error_of(sm.create_secret, Name="dup", SecretString="b")
    assert code(e) == "ResourceExistsException"
    assert message(e) == "The operation failed because the secret dup already exists."
    e = error_of(sm.create_secret, Name="both", SecretString="a", SecretBinary=b"b")
    assert code(e) == "InvalidParameterException"
    assert code(error_of(sm.create_secret, Name="bad name!", SecretString="a")) == "InvalidParameterException"


def test_create_with_the_same_token_is_idempotent(sm):
    token = "a" * 32
    first = sm.create_secret(Name="idem", SecretString="v", ClientRequestToken=token)
    again = sm.create_secret(Name="idem", SecretString="v", ClientRequestToken=token)
    assert again["ARN"] == first["ARN"] and again["VersionId"] == token
    assert code(error_of(sm.create_secret, Name="idem", SecretString="other", ClientRequestToken=token)) == \
        "ResourceExistsException"


def test_put_secret_value_moves_current_and_previous(sm, nubis):
    v1 = sm.create_secret(Name="p", SecretString="one")["VersionId"]
    v2 = sm.put_secret_value(SecretId="p", SecretString="two")
    assert v2["VersionStages"] == ["AWSCURRENT"]
    v3 = sm.put_secret_value(SecretId="p", SecretString="three")["VersionId"]
    stages = sm.describe_secret(SecretId="p")["VersionIdsToStages"]
    assert stages == {v2["VersionId"]: ["AWSPREVIOUS"], v3: ["AWSCURRENT"]}
    assert sm.get_secret_value(SecretId="p", VersionStage="AWSPREVIOUS")["SecretString"] == "two"
    assert sm.get_secret_value(SecretId="p", VersionId=v1)["SecretString"] == "one"  # deprecated, still readable
    ids = [v["VersionId"] for v in sm.list_secret_version_ids(SecretId="p")["Versions"]]
    assert sorted(ids) == sorted([v2["VersionId"], v3])
    ids = [v["VersionId"] for v in sm.list_secret_version_ids(SecretId="p", IncludeDeprecated=True)["Versions"]]
    assert sorted(ids) == sorted([v1, v2["VersionId"], v3])
    e = error_of(sm.get_secret_value, SecretId="p", VersionId=v3, VersionStage="AWSPREVIOUS")
    assert code(e) == "ResourceNotFoundException"


def test_put_secret_value_with_custom_stages_and_idempotency(sm):
    v1 = sm.create_secret(Name="c", SecretString="one")["VersionId"]
    token = "b" * 36
    out = sm.put_secret_value(SecretId="c", SecretString="staged", ClientRequestToken=token,
                              VersionStages=["BLUE"])
    assert out["VersionStages"] == ["BLUE"]
    assert sm.get_secret_value(SecretId="c")["SecretString"] == "one"
    assert sm.get_secret_value(SecretId="c", VersionStage="BLUE")["SecretString"] == "staged"
    again = sm.put_secret_value(SecretId="c", SecretString="staged", ClientRequestToken=token, VersionStages=["BLUE"])
    assert again["VersionId"] == token
    e = error_of(sm.put_secret_value, SecretId="c", SecretString="changed", ClientRequestToken=token)
    assert code(e) == "ResourceExistsException"
    assert sm.describe_secret(SecretId="c")["VersionIdsToStages"] == {v1: ["AWSCURRENT"], token: ["BLUE"]}


def test_update_secret_description_kms_and_value(sm, aws_client):
    kms = aws_client("kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/mine", TargetKeyId=key)
    sm.create_secret(Name="u", SecretString="one")
    out = sm.update_secret(SecretId="u", Description="new", KmsKeyId="alias/mine")
    assert "VersionId" not in out
    d = sm.describe_secret(SecretId="u")
    assert d["Description"] == "new" and d["KmsKeyId"] == "alias/mine"
    vid = sm.update_secret(SecretId="u", SecretString="two")["VersionId"]
    got = sm.get_secret_value(SecretId="u")
    assert got["SecretString"] == "two" and got["VersionId"] == vid
    # The new value is sealed under the customer key: without it, it cannot be read; the old one still can.
    kms.disable_key(KeyId=key)
    assert code(error_of(sm.get_secret_value, SecretId="u")) == "DecryptionFailure"
    assert sm.get_secret_value(SecretId="u", VersionStage="AWSPREVIOUS")["SecretString"] == "one"
    kms.enable_key(KeyId=key)
    assert sm.get_secret_value(SecretId="u")["SecretString"] == "two"


def test_an_unknown_kms_key_is_an_encryption_failure(sm):
    e = error_of(sm.create_secret, Name="k", SecretString="v", KmsKeyId="alias/does-not-exist")
    assert code(e) == "EncryptionFailure"
    assert code(error_of(sm.describe_secret, SecretId="k")) == "ResourceNotFoundException"


def test_update_secret_version_stage(sm):
    v1 = sm.create_secret(Name="s", SecretString="one")["VersionId"]
    v2 = sm.put_secret_value(SecretId="s", SecretString="two")["VersionId"]
    e = error_of(sm.update_secret_version_stage, SecretId="s", VersionStage="AWSCURRENT", MoveToVersionId=v1)
    assert code(e) == "InvalidParameterException" and v2 in message(e)
    sm.update_secret_version_stage(SecretId="s", VersionStage="AWSCURRENT", MoveToVersionId=v1,
                                   RemoveFromVersionId=v2)
    assert sm.get_secret_value(SecretId="s")["SecretString"] == "one"
    assert sm.describe_secret(SecretId="s")["VersionIdsToStages"] == {v1: ["AWSCURRENT"], v2: ["AWSPREVIOUS"]}
    sm.update_secret_version_stage(SecretId="s", VersionStage="TEST", MoveToVersionId=v2)
    sm.update_secret_version_stage(SecretId="s", VersionStage="TEST", RemoveFromVersionId=v2)
    assert sm.describe_secret(SecretId="s")["VersionIdsToStages"][v2] == ["AWSPREVIOUS"]
    # Neither version named: nothing to do for a label on no version; refused for one that is on one.
    sm.update_secret_version_stage(SecretId="s", VersionStage="NOWHERE")
    e = error_of(sm.update_secret_version_stage, SecretId="s", VersionStage="AWSPREVIOUS")
    assert code(e) == "InvalidParameterException" and v2 in message(e)


def test_last_accessed_date_is_the_day(sm, nubis):
    sm.create_secret(Name="a", SecretString="v")
    assert "LastAccessedDate" not in sm.describe_secret(SecretId="a")
    sm.get_secret_value(SecretId="a")
    accessed = sm.describe_secret(SecretId="a")["LastAccessedDate"]
    assert accessed.hour == 0 and accessed.minute == 0


def test_regions_are_separate(aws_client):
    east, west = aws_client("secretsmanager"), aws_client("secretsmanager", region="us-west-2")
    east.create_secret(Name="r", SecretString="east")
    assert code(error_of(west.get_secret_value, SecretId="r")) == "ResourceNotFoundException"
