"""The AWS CLI against EventBridge: a rule, a target and an event, as a user would type them."""
import json

from nubis.testing.cli import aws_json

from .conftest import bodies, make_queue, receive


def cli(endpoint: str, *args: str) -> dict:
    return aws_json(endpoint, "events", *args)


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
