"""Archives keep the events of a bus (those that match their pattern) for their retention on the
clock; a replay re-delivers a time window of them to the bus's rules with replay-name added."""
import datetime as dt
import time

from .conftest import ACCOUNT, bodies, code, error_of, put, quiet, receive, rule_to_queue

BUS = f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/default"


def wait_state(events, name: str, state: str, timeout: float = 5.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        replay = events.describe_replay(ReplayName=name)
        if replay["State"] == state or time.monotonic() > deadline:
            return replay
        time.sleep(0.02)


def test_archive_lifecycle(events):
    out = events.create_archive(ArchiveName="a", EventSourceArn=BUS, Description="all", RetentionDays=3)
    assert out["ArchiveArn"] == f"arn:aws:events:us-east-1:{ACCOUNT}:archive/a" and out["State"] == "ENABLED"
    assert code(error_of(events.create_archive, ArchiveName="a", EventSourceArn=BUS)) == "ResourceAlreadyExistsException"
    bus = f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/nope"
    assert code(error_of(events.create_archive, ArchiveName="b", EventSourceArn=bus)) == "ResourceNotFoundException"
    assert code(error_of(events.create_archive, ArchiveName="b", EventSourceArn=BUS, EventPattern='{"x": 1}')) == \
        "InvalidEventPatternException"
    got = events.describe_archive(ArchiveName="a")
    assert got["RetentionDays"] == 3 and got["EventCount"] == 0 and got["EventSourceArn"] == BUS
    events.update_archive(ArchiveName="a", RetentionDays=5, EventPattern='{"source": ["my.app"]}')
    assert events.describe_archive(ArchiveName="a")["RetentionDays"] == 5
    assert [a["ArchiveName"] for a in events.list_archives(EventSourceArn=BUS)["Archives"]] == ["a"]
    events.delete_archive(ArchiveName="a")
    assert code(error_of(events.describe_archive, ArchiveName="a")) == "ResourceNotFoundException"


def test_archive_keeps_matching_events_for_its_retention(nubis, events):
    events.create_archive(ArchiveName="mine", EventSourceArn=BUS, EventPattern='{"source": ["my.app"]}',
                          RetentionDays=1)
    events.create_archive(ArchiveName="all", EventSourceArn=BUS)
    put(events)
    put(events, source="other.app")
    assert events.describe_archive(ArchiveName="mine")["EventCount"] == 1
    all_ = events.describe_archive(ArchiveName="all")
    assert all_["EventCount"] == 2 and all_["SizeBytes"] > 0
    nubis.advance(86400 + 3600)
    assert events.describe_archive(ArchiveName="mine")["EventCount"] == 0
    assert events.describe_archive(ArchiveName="all")["EventCount"] == 2  # 0: kept indefinitely


def test_replay_redelivers_a_window_with_replay_name(nubis, events, sqs):
    url, rule = rule_to_queue(events, sqs, "r", {"source": ["my.app"]})
    archive = events.create_archive(ArchiveName="arc", EventSourceArn=BUS)["ArchiveArn"]
    start = dt.datetime.fromtimestamp(nubis.clock() - 1, tz=dt.timezone.utc)
    first = put(events, detail={"n": 1})
    put(events, detail={"n": 2})
    assert len(receive(sqs, url, 2)) == 2
    nubis.advance(3600)
    put(events, detail={"n": 3})  # after the window
    receive(sqs, url)
    end = dt.datetime.fromtimestamp(nubis.clock() - 1800, tz=dt.timezone.utc)

    out = events.start_replay(ReplayName="again", EventSourceArn=archive, EventStartTime=start, EventEndTime=end,
                              Destination={"Arn": BUS, "FilterArns": [rule]})
    assert out["State"] == "STARTING"
    assert events.describe_replay(ReplayName="again")["State"] == "STARTING"
    nubis.advance(1)
    replay = wait_state(events, "again", "COMPLETED")
    assert replay["State"] == "COMPLETED" and replay["Destination"]["Arn"] == BUS
    replayed = sorted(bodies(receive(sqs, url, 2)), key=lambda e: e["detail"]["n"])
    assert [e["detail"]["n"] for e in replayed] == [1, 2]
    assert all(e["replay-name"] == "again" for e in replayed)
    assert replayed[0]["id"] == first["EventId"]
    assert quiet(sqs, url)
    assert events.describe_archive(ArchiveName="arc")["EventCount"] == 3  # replays are not archived again
    assert [r["ReplayName"] for r in events.list_replays(State="COMPLETED")["Replays"]] == ["again"]
    e = error_of(events.start_replay, ReplayName="again", EventSourceArn=archive, EventStartTime=start,
                 EventEndTime=end, Destination={"Arn": BUS})
    assert code(e) == "ResourceAlreadyExistsException"
    assert code(error_of(events.cancel_replay, ReplayName="again")) == "IllegalStatusException"


def test_replay_filter_arns_and_cancel(nubis, events, sqs):
    url_a, rule_a = rule_to_queue(events, sqs, "a", {"source": ["my.app"]})
    url_b, _ = rule_to_queue(events, sqs, "b", {"source": ["my.app"]})
    archive = events.create_archive(ArchiveName="arc", EventSourceArn=BUS)["ArchiveArn"]
    start = dt.datetime.fromtimestamp(nubis.clock() - 1, tz=dt.timezone.utc)
    put(events)
    receive(sqs, url_a)
    receive(sqs, url_b)
    nubis.advance(10)
    end = dt.datetime.fromtimestamp(nubis.clock(), tz=dt.timezone.utc)
    events.start_replay(ReplayName="only-a", EventSourceArn=archive, EventStartTime=start, EventEndTime=end,
                        Destination={"Arn": BUS, "FilterArns": [rule_a]})
    nubis.advance(1)
    assert wait_state(events, "only-a", "COMPLETED")["State"] == "COMPLETED"
    assert len(receive(sqs, url_a)) == 1 and quiet(sqs, url_b)

    events.start_replay(ReplayName="stopped", EventSourceArn=archive, EventStartTime=start, EventEndTime=end,
                        Destination={"Arn": BUS})
    assert events.cancel_replay(ReplayName="stopped")["State"] == "CANCELLING"
    nubis.advance(5)
    assert events.describe_replay(ReplayName="stopped")["State"] == "CANCELLED"
    assert quiet(sqs, url_a) and quiet(sqs, url_b)


def test_replay_validation(nubis, events):
    archive = events.create_archive(ArchiveName="arc", EventSourceArn=BUS)["ArchiveArn"]
    now = dt.datetime.fromtimestamp(nubis.clock(), tz=dt.timezone.utc)
    hour = dt.timedelta(hours=1)
    e = error_of(events.start_replay, ReplayName="r", EventSourceArn=archive, EventStartTime=now - hour,
                 EventEndTime=now - 2 * hour, Destination={"Arn": BUS})
    assert code(e) == "ValidationException"
    e = error_of(events.start_replay, ReplayName="r", EventSourceArn=archive, EventStartTime=now - hour,
                 EventEndTime=now + hour, Destination={"Arn": BUS})
    assert code(e) == "ValidationException"
    events.create_event_bus(Name="other")
    e = error_of(events.start_replay, ReplayName="r", EventSourceArn=archive, EventStartTime=now - 2 * hour,
                 EventEndTime=now - hour, Destination={"Arn": BUS.replace("/default", "/other")})
    assert code(e) == "ValidationException"
    e = error_of(events.start_replay, ReplayName="r", EventSourceArn=archive + "x", EventStartTime=now - 2 * hour,
                 EventEndTime=now - hour, Destination={"Arn": BUS})
    assert code(e) == "ResourceNotFoundException"
