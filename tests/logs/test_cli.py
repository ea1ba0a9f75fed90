"""The AWS CLI's logs commands against nubis."""
import json
import time

from .conftest import cli


def test_cli_group_stream_events(nubis_endpoint):
    assert cli(nubis_endpoint, "create-log-group", "--log-group-name", "/cli/app").returncode == 0
    assert cli(nubis_endpoint, "create-log-stream", "--log-group-name", "/cli/app",
               "--log-stream-name", "s").returncode == 0
    t = int(time.time() * 1000)
    events = json.dumps([{"timestamp": t, "message": "hello from the cli"}, {"timestamp": t + 1, "message": "ERROR x"}])
    put = cli(nubis_endpoint, "put-log-events", "--log-group-name", "/cli/app", "--log-stream-name", "s",
              "--log-events", events)
    assert put.returncode == 0, put.stderr
    assert json.loads(put.stdout)["nextSequenceToken"]
    got = cli(nubis_endpoint, "get-log-events", "--log-group-name", "/cli/app", "--log-stream-name", "s",
              "--start-from-head")
    assert [e["message"] for e in json.loads(got.stdout)["events"]] == ["hello from the cli", "ERROR x"]
    filtered = cli(nubis_endpoint, "filter-log-events", "--log-group-name", "/cli/app", "--filter-pattern", "ERROR")
    assert [e["message"] for e in json.loads(filtered.stdout)["events"]] == ["ERROR x"]
    groups = json.loads(cli(nubis_endpoint, "describe-log-groups").stdout)["logGroups"]
    assert [g["logGroupName"] for g in groups] == ["/cli/app"]
    missing = cli(nubis_endpoint, "delete-log-group", "--log-group-name", "/nope")
    assert missing.returncode != 0 and "ResourceNotFoundException" in missing.stderr
