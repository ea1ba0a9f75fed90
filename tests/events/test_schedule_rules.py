"""Schedule rules fire on the controllable clock and deliver the Scheduled Event."""
import datetime as dt
import json

from .conftest import ACCOUNT, bodies, make_queue, quiet, receive


def schedule_to_queue(events, sqs, expression: str, name: str = "tick"):
    url, arn = make_queue(sqs, f"q-{name}")
    rule = events.put_rule(Name=name, ScheduleExpression=expression)["RuleArn"]
    events.put_targets(Rule=name, Targets=[{"Id": "q", "Arn": arn}])
    return url, rule


def test_rate_rule_fires_every_period(nubis, events, sqs):
    url, rule = schedule_to_queue(events, sqs, "rate(5 minutes)")
    assert events.describe_rule(Name="tick")["ScheduleExpression"] == "rate(5 minutes)"
    nubis.advance(299)
    assert quiet(sqs, url, 0.2)
    nubis.advance(1)
    (event,) = bodies(receive(sqs, url))
    assert event["source"] == "aws.events" and event["detail-type"] == "Scheduled Event"
    assert event["detail"] == {} and event["resources"] == [rule] and event["account"] == ACCOUNT
    nubis.advance(600)
    assert len(receive(sqs, url, 2)) == 2
    assert quiet(sqs, url, 0.2)


def test_cron_rule_over_several_firings(nubis, events, sqs):
    url, _ = schedule_to_queue(events, sqs, "cron(0 * * * ? *)")  # every hour on the hour
    now = nubis.clock()
    to_next_hour = 3600 - now % 3600
    nubis.advance(to_next_hour + 3 * 3600 + 10)
    got = bodies(receive(sqs, url, 4))
    assert len(got) == 4
    times = [dt.datetime.strptime(e["time"], "%Y-%m-%dT%H:%M:%SZ") for e in got]
    assert all(t.minute == 0 and t.second == 0 for t in times)
    assert [(b - a).total_seconds() for a, b in zip(times, times[1:])] == [3600, 3600, 3600]


def test_disabled_schedule_does_not_fire_and_resumes(nubis, events, sqs):
    url, _ = schedule_to_queue(events, sqs, "rate(1 minute)")
    events.disable_rule(Name="tick")
    nubis.advance(180)
    assert quiet(sqs, url, 0.2)
    events.enable_rule(Name="tick")
    nubis.advance(60)
    assert len(receive(sqs, url)) == 1


def test_deleted_schedule_stops(nubis, events, sqs):
    url, _ = schedule_to_queue(events, sqs, "rate(1 minute)")
    events.remove_targets(Rule="tick", Ids=["q"])
    events.delete_rule(Name="tick")
    nubis.advance(120)
    assert quiet(sqs, url, 0.2)


def test_schedule_and_input(nubis, events, sqs):
    url, arn = make_queue(sqs, "q")
    events.put_rule(Name="t", ScheduleExpression="rate(1 hour)")
    events.put_targets(Rule="t", Targets=[{"Id": "q", "Arn": arn, "Input": json.dumps({"job": "nightly"})}])
    nubis.advance(3600)
    assert bodies(receive(sqs, url)) == [{"job": "nightly"}]
