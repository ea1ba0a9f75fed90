"""The AWS CLI against EventBridge: a rule, a target and an event, as a user would type them."""
import json
import os
import subprocess
import sys

from .conftest import bodies, make_queue, receive


def cli(endpoint: str, *args: str) -> dict:
    env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1")
    env.pop("AWS_PROFILE", None)
    out = subprocess.run([sys.executable, "-m", "awscli", "events", *args, "--endpoint-url", endpoint,
                          "--output", "json"], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout) if out.stdout.strip() else {}


def test_cli_rule_target_and_event(nubis_endpoint, sqs):
    url, arn = make_queue(sqs, "cli")
    rule = cli(nubis_endpoint, "put-rule", "--name", "cli-rule", "--event-pattern", '{"source": ["cli.app"]}')
    assert rule["RuleArn"].endswith(":rule/cli-rule")
    cli(nubis_endpoint, "put-targets", "--rule", "cli-rule", "--targets", f"Id=q,Arn={arn}")
    out = cli(nubis_endpoint, "put-events", "--entries",
              json.dumps([{"Source": "cli.app", "DetailType": "from the CLI", "Detail": '{"ok": true}'}]))
    assert out["FailedEntryCount"] == 0
    (event,) = bodies(receive(sqs, url))
    assert event["detail-type"] == "from the CLI" and event["detail"] == {"ok": True}
    listed = cli(nubis_endpoint, "list-rules")
    assert [r["Name"] for r in listed["Rules"]] == ["cli-rule"]
