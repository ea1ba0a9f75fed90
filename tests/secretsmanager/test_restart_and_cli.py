"""In a real nubis process: a restart keeps secrets, versions, a pending
deletion's timer; the AWS CLI reads a secret."""
import json
import subprocess

from nubis.testing.cli import aws_cli

DAY = 86400


def cli(endpoint: str, *args: str) -> subprocess.CompletedProcess:
    return aws_cli(endpoint, "secretsmanager", *args)


def test_restart_keeps_secrets_and_the_deletion_timer(server_process, tmp_path):
    data = str(tmp_path / "data")
    server = server_process("--data-dir", data)
    sm = server.client("secretsmanager")
    arn = sm.create_secret(Name="keep", SecretString="one", Tags=[{"Key": "k", "Value": "v"}])["ARN"]
    v2 = sm.put_secret_value(SecretId="keep", SecretString="two")["VersionId"]
    sm.create_secret(Name="bin", SecretBinary=b"\x00\xff")
    sm.create_secret(Name="doomed", SecretString="x")
    sm.delete_secret(SecretId="doomed", RecoveryWindowInDays=7)
    server.kill9()

    restarted = server_process("--data-dir", data, port=server.port)
    sm = restarted.client("secretsmanager")
    got = sm.get_secret_value(SecretId=arn)
    assert got["SecretString"] == "two" and got["VersionId"] == v2
    assert sm.get_secret_value(SecretId="keep", VersionStage="AWSPREVIOUS")["SecretString"] == "one"
    assert sm.get_secret_value(SecretId="bin")["SecretBinary"] == b"\x00\xff"
    assert sm.describe_secret(SecretId="keep")["Tags"] == [{"Key": "k", "Value": "v"}]
    assert "DeletedDate" in sm.describe_secret(SecretId="doomed")
    restarted.post("/_nubis/clock", {"advance_seconds": 7 * DAY + 1})
    assert [s["Name"] for s in sm.list_secrets(IncludePlannedDeletion=True)["SecretList"]] == ["keep", "bin"]


def test_cli_create_and_get_secret_value(nubis_endpoint):
    out = cli(nubis_endpoint, "create-secret", "--name", "cli/secret", "--secret-string", '{"user":"admin"}')
    assert out.returncode == 0, out.stderr
    arn = json.loads(out.stdout)["ARN"]
    out = cli(nubis_endpoint, "get-secret-value", "--secret-id", arn)
    assert out.returncode == 0, out.stderr
    assert json.loads(json.loads(out.stdout)["SecretString"]) == {"user": "admin"}
