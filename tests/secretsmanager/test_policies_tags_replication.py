"""Resource policies, tags, replica Regions, GetRandomPassword."""
import json
import string

from .conftest import code, error_of

POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
    "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})
PUBLIC = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})


def test_resource_policy(sm):
    arn = sm.create_secret(Name="pol", SecretString="v")["ARN"]
    assert "ResourcePolicy" not in sm.get_resource_policy(SecretId="pol")
    assert sm.put_resource_policy(SecretId="pol", ResourcePolicy=POLICY)["ARN"] == arn
    assert json.loads(sm.get_resource_policy(SecretId="pol")["ResourcePolicy"]) == json.loads(POLICY)
    e = error_of(sm.put_resource_policy, SecretId="pol", ResourcePolicy=PUBLIC, BlockPublicPolicy=True)
    assert code(e) == "PublicPolicyException"
    e = error_of(sm.put_resource_policy, SecretId="pol", ResourcePolicy="{not json")
    assert code(e) == "MalformedPolicyDocumentException"
    sm.delete_resource_policy(SecretId="pol")
    assert "ResourcePolicy" not in sm.get_resource_policy(SecretId="pol")


def test_validate_resource_policy(sm):
    assert sm.validate_resource_policy(ResourcePolicy=POLICY)["PolicyValidationPassed"] is True
    out = sm.validate_resource_policy(ResourcePolicy=json.dumps({"Statement": [{"Effect": "Maybe"}]}))
    assert out["PolicyValidationPassed"] is False and out["ValidationErrors"]
    out = sm.validate_resource_policy(ResourcePolicy=PUBLIC)
    assert out["PolicyValidationPassed"] is False


def test_tags(sm):
    sm.create_secret(Name="t", SecretString="v", Tags=[{"Key": "a", "Value": "1"}])
    sm.tag_resource(SecretId="t", Tags=[{"Key": "b", "Value": "2"}, {"Key": "a", "Value": "3"}])
    assert sorted((t["Key"], t["Value"]) for t in sm.describe_secret(SecretId="t")["Tags"]) == [("a", "3"), ("b", "2")]
    sm.untag_resource(SecretId="t", TagKeys=["a"])
    assert sm.describe_secret(SecretId="t")["Tags"] == [{"Key": "b", "Value": "2"}]
    assert code(error_of(sm.tag_resource, SecretId="t", Tags=[{"Key": "aws:x", "Value": "1"}])) == \
        "InvalidParameterException"


def test_replica_regions(sm, aws_client):
    arn = sm.create_secret(Name="rep", SecretString="v", AddReplicaRegions=[{"Region": "eu-west-1",
                                                                              "KmsKeyId": "alias/k"}])["ARN"]
    out = sm.replicate_secret_to_regions(SecretId="rep", AddReplicaRegions=[{"Region": "us-west-2"}])
    assert [(r["Region"], r["Status"]) for r in out["ReplicationStatus"]] == [("eu-west-1", "InSync"),
                                                                             ("us-west-2", "InSync")]
    d = sm.describe_secret(SecretId="rep")
    assert d["PrimaryRegion"] == "us-east-1" and len(d["ReplicationStatus"]) == 2
    e = error_of(sm.delete_secret, SecretId="rep", ForceDeleteWithoutRecovery=True)
    assert code(e) == "InvalidRequestException"  # the replicas go first
    sm.remove_regions_from_replication(SecretId="rep", RemoveReplicaRegions=["eu-west-1"])
    assert [r["Region"] for r in sm.describe_secret(SecretId="rep")["ReplicationStatus"]] == ["us-west-2"]
    west = aws_client("secretsmanager", region="us-west-2")
    replica_arn = arn.replace("us-east-1", "us-west-2")
    assert west.stop_replication_to_replica(SecretId=replica_arn)["ARN"] == replica_arn
    assert west.get_secret_value(SecretId="rep")["SecretString"] == "v"
    assert "ReplicationStatus" not in sm.describe_secret(SecretId="rep")


def test_random_password_options(sm):
    pw = sm.get_random_password()["RandomPassword"]
    assert len(pw) == 32
    pw = sm.get_random_password(PasswordLength=200, ExcludePunctuation=True, ExcludeUppercase=True,
                                ExcludeCharacters="abc0")["RandomPassword"]
    assert len(pw) == 200 and set(pw) <= set(string.ascii_lowercase + string.digits) - set("abc0")
    pw = sm.get_random_password(PasswordLength=4, ExcludeLowercase=True, ExcludeUppercase=True,
                                ExcludeNumbers=True, IncludeSpace=True, RequireEachIncludedType=True)["RandomPassword"]
    assert " " in pw and all(not c.isalnum() for c in pw)
    for _ in range(20):
        pw = sm.get_random_password(PasswordLength=4)["RandomPassword"]
        assert any(c.islower() for c in pw) and any(c.isupper() for c in pw) and any(c.isdigit() for c in pw)
    e = error_of(sm.get_random_password, ExcludeLowercase=True, ExcludeUppercase=True, ExcludeNumbers=True,
                 ExcludePunctuation=True)
    assert code(e) == "InvalidParameterException"
    assert code(error_of(sm.get_random_password, PasswordLength=5000)) in ("InvalidParameterException",
                                                                          "ValidationException")
