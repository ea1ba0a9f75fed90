"""Retention on the controllable clock: expired events stop being returned and are deleted."""
from .conftest import DAY_MS, put


def test_events_expire_with_the_group_retention(nubis, logs, stream, now_ms):
    g, s = stream
    logs.put_retention_policy(logGroupName=g, retentionInDays=1)
    t = now_ms()
    put(logs, g, s, [(t - 1000, "old"), (t, "new")])
    nubis.advance(DAY_MS / 1000 - 2)  # the first event is just inside its day
    assert [e["message"] for e in logs.get_log_events(logGroupName=g, logStreamName=s)["events"]] == ["old", "new"]
    put(logs, g, s, [(now_ms(), "newest")])
    nubis.advance(1.5)  # "old" is past its day, "new" still inside
    assert [e["message"] for e in logs.get_log_events(logGroupName=g, logStreamName=s)["events"]] == [
        "new", "newest"]
    assert [e["message"] for e in logs.filter_log_events(logGroupName=g)["events"]] == ["new", "newest"]
    # The hourly sweep deletes what expired ("old", then "new"): the stored bytes go down.
    nubis.advance(2 * 3600)
    assert logs.describe_log_groups()["logGroups"][0]["storedBytes"] == len("newest")


def test_without_retention_events_are_kept(nubis, logs, stream, now_ms):
    g, s = stream
    put(logs, g, s, [(now_ms(), "kept")])
    nubis.advance(30 * DAY_MS / 1000)
    assert [e["message"] for e in logs.get_log_events(logGroupName=g, logStreamName=s)["events"]] == ["kept"]


def test_removing_the_policy_stops_expiry(nubis, logs, stream, now_ms):
    g, s = stream
    logs.put_retention_policy(logGroupName=g, retentionInDays=3)
    put(logs, g, s, [(now_ms(), "m")])
    logs.delete_retention_policy(logGroupName=g)
    nubis.advance(5 * DAY_MS / 1000)
    assert len(logs.get_log_events(logGroupName=g, logStreamName=s)["events"]) == 1
