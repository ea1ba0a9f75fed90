"""PutBearerTokenAuthentication: a log group's setting, described by DescribeLogGroups and kept across a restart."""
from __future__ import annotations

from .conftest import code, error_of


def test_bearer_token_authentication_is_set_and_described(logs):
    logs.create_log_group(logGroupName="/otel")
    [g] = logs.describe_log_groups()["logGroups"]
    assert g["bearerTokenAuthenticationEnabled"] is False
    logs.put_bearer_token_authentication(logGroupIdentifier="/otel", bearerTokenAuthenticationEnabled=True)
    assert logs.describe_log_groups()["logGroups"][0]["bearerTokenAuthenticationEnabled"] is True
    logs.put_bearer_token_authentication(logGroupIdentifier=g["logGroupArn"], bearerTokenAuthenticationEnabled=False)
    assert logs.describe_log_groups()["logGroups"][0]["bearerTokenAuthenticationEnabled"] is False


def test_bearer_token_authentication_needs_a_group(logs):
    e = error_of(logs.put_bearer_token_authentication, logGroupIdentifier="/missing",
                 bearerTokenAuthenticationEnabled=True)
    assert code(e) == "ResourceNotFoundException"


def test_the_setting_and_a_querys_groups_survive_kill9(server_process, tmp_path):
    data = str(tmp_path / "data")
    server = server_process("--data-dir", data)
    logs = server.client("logs")
    for name in ("/a", "/b"):
        logs.create_log_group(logGroupName=name)
    logs.put_bearer_token_authentication(logGroupIdentifier="/a", bearerTokenAuthenticationEnabled=True)
    qid = logs.start_query(logGroupNames=["/a", "/b"], startTime=0, endTime=10,
                           queryString="fields @message")["queryId"]
    server.kill9()

    server = server_process("--data-dir", data)
    logs = server.client("logs")
    described = {g["logGroupName"]: g["bearerTokenAuthenticationEnabled"]
                 for g in logs.describe_log_groups()["logGroups"]}
    assert described == {"/a": True, "/b": False}
    assert [i.rsplit(":", 1)[-1] for i in logs.list_log_groups_for_query(queryId=qid)["logGroupIdentifiers"]] == [
        "/a", "/b"]
