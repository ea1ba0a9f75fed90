"""PutEvents: entry validation, the event EventBridge builds, and delivery to
the SQS targets of matching rules (the pattern table of test_pattern.py, through
TestEventPattern and through real delivery)."""
import datetime as dt
import json

from .conftest import ACCOUNT, bodies, code, error_of, make_queue, put, quiet, receive, rule_to_queue
from .test_pattern import CASES


def entry(**kw):
    base = {"Source": "my.app", "DetailType": "thing", "Detail": '{"a": 1}'}
    base.update(kw)
    return {k: v for k, v in base.items() if v is not None}


def test_entry_errors_are_per_entry(events):
    out = events.put_events(Entries=[
        entry(),
        entry(Source=None),
        entry(DetailType=None),
        entry(Detail=None),
        entry(Detail="{not json"),
        entry(Detail='["a list"]'),
        entry(Source="aws.s3"),
        entry(EventBusName="nope"),
    ])
    assert out["FailedEntryCount"] == 7
    results = out["Entries"]
    assert "EventId" in results[0]
    assert results[1] == {"ErrorCode": "InvalidArgument",
                          "ErrorMessage": "Parameter Source is not valid. Reason: Source is a required argument."}
    assert results[2]["ErrorCode"] == "InvalidArgument" and "DetailType is a required argument" in results[2]["ErrorMessage"]
    assert results[3]["ErrorCode"] == "InvalidArgument" and "Detail is a required argument" in results[3]["ErrorMessage"]
    assert results[4] == {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}
    assert results[5]["ErrorCode"] == "MalformedDetail"
    assert results[6] == {"ErrorCode": "NotAuthorizedForSourceException", "ErrorMessage": "Not authorized for the source."}
    assert results[7]["ErrorCode"] == "ResourceNotFoundException"


def test_request_limits(events):
    e = error_of(events.put_events, Entries=[entry() for _ in range(11)])
    assert code(e) == "ValidationException"
    big = json.dumps({"x": "y" * (130 * 1024)})
    e = error_of(events.put_events, Entries=[entry(Detail=big), entry(Detail=big)])
    assert code(e) == "ValidationException"
    assert e.response["Error"]["Message"] == "Total size of the entries in the request is over the limit."
    assert events.put_events(Entries=[entry(Detail=big)])["FailedEntryCount"] == 0


def test_the_delivered_event(events, sqs):
    url, _ = rule_to_queue(events, sqs, "r", {"source": ["my.app"], "detail": {"a": [1]}})
    when = dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.timezone.utc)
    result = put(events, **{"Resources": ["arn:aws:s3:::b"], "Time": when, "TraceHeader": "Root=1"})
    (event,) = bodies(receive(sqs, url))
    assert event == {"version": "0", "id": result["EventId"], "detail-type": "thing", "source": "my.app",
                     "account": ACCOUNT, "time": "2024-05-06T07:08:09Z", "region": "us-east-1",
                     "resources": ["arn:aws:s3:::b"], "detail": {"a": 1}}


def test_only_matching_enabled_rules_deliver(events, sqs):
    url_a, _ = rule_to_queue(events, sqs, "a", {"source": ["my.app"], "detail-type": ["A"]})
    url_b, _ = rule_to_queue(events, sqs, "b", {"source": ["my.app"], "detail-type": ["B"]})
    url_any, _ = rule_to_queue(events, sqs, "any", {"detail-type": ["B"]})  # no source: indexed apart
    put(events, detail_type="A")
    assert len(receive(sqs, url_a)) == 1
    assert quiet(sqs, url_b) and quiet(sqs, url_any)
    put(events, detail_type="B")
    assert len(receive(sqs, url_b)) == 1 and len(receive(sqs, url_any)) == 1
    events.disable_rule(Name="b")
    put(events, detail_type="B")
    assert len(receive(sqs, url_any)) == 1 and quiet(sqs, url_b)
    events.enable_rule(Name="b")
    put(events, detail_type="B")
    assert len(receive(sqs, url_b)) == 1


def test_custom_bus_by_name_and_arn(events, sqs):
    arn = events.create_event_bus(Name="orders")["EventBusArn"]
    url, _ = rule_to_queue(events, sqs, "r", {"source": ["my.app"]}, bus="orders")
    put(events, EventBusName="orders")
    put(events, EventBusName=arn)
    put(events)  # the default bus has no such rule
    assert len(receive(sqs, url, 2)) == 2
    assert quiet(sqs, url)


def test_fifo_queue_target_gets_the_message_group(events, sqs):
    url, arn = make_queue(sqs, "q.fifo", FifoQueue="true")
    events.put_rule(Name="r", EventPattern='{"source": ["my.app"]}')
    e = events.put_targets(Rule="r", Targets=[{"Id": "q", "Arn": arn}])
    assert e["FailedEntryCount"] == 1  # a FIFO queue needs SqsParameters.MessageGroupId
    events.put_targets(Rule="r", Targets=[{"Id": "q", "Arn": arn, "SqsParameters": {"MessageGroupId": "g1"}}])
    put(events)
    (m,) = receive(sqs, url, AttributeNames=["All"])
    assert m["Attributes"]["MessageGroupId"] == "g1"


def test_test_event_pattern(events):
    event = {"id": "1", "account": ACCOUNT, "source": "my.app", "time": "2024-01-01T00:00:00Z",
             "region": "us-east-1", "detail-type": "x", "resources": [], "detail": {"n": 5}}
    assert events.test_event_pattern(EventPattern='{"detail": {"n": [{"numeric": [">", 3]}]}}',
                                     Event=json.dumps(event))["Result"] is True
    assert events.test_event_pattern(EventPattern='{"source": ["other"]}', Event=json.dumps(event))["Result"] is False
    e = error_of(events.test_event_pattern, EventPattern='{"source": "x"}', Event=json.dumps(event))
    assert code(e) == "InvalidEventPatternException"
    e = error_of(events.test_event_pattern, EventPattern='{"source": ["x"]}', Event='{"source": "x"}')
    assert code(e) == "ValidationException"


def test_pattern_table_through_test_event_pattern(events):
    # TestEventPattern wants a whole event: rows with a partial one get the envelope fields they do not test.
    envelope = {"id": "e", "account": ACCOUNT, "source": "my.app", "time": "2024-01-01T00:00:00Z",
                "region": "us-east-1", "detail-type": "x"}
    wrong = []
    for i, (pattern, event, expected) in enumerate(CASES):
        mentioned = json.dumps(pattern)
        event = {**{k: v for k, v in envelope.items() if f'"{k}"' not in mentioned}, **event}
        got = events.test_event_pattern(EventPattern=json.dumps(pattern), Event=json.dumps(event))["Result"]
        if got is not expected:
            wrong.append((i, pattern, expected))
    assert not wrong
    assert len(CASES) >= 100


_ENVELOPE = {"id", "account", "time", "region", "version", "source"}


def _deliverable(pattern) -> bool:
    """Whether a table row can go through PutEvents: it tests nothing EventBridge sets itself."""
    if not isinstance(pattern, dict):
        return False
    for key, value in pattern.items():
        if key in _ENVELOPE:
            return False
        if key == "$or" and not all(_deliverable(p) for p in value):
            return False
    return True


def test_pattern_table_through_delivery(events, sqs):
    """Each deliverable row is a rule (its pattern plus a source of its own) sending to one queue; the
    row's event is put with that source; exactly the rows expected to match arrive."""
    url, arn = make_queue(sqs, "table")
    rows = [(i, p, ev, exp) for i, (p, ev, exp) in enumerate(CASES)
            if _deliverable(p) and "detail-type" in ev and isinstance(ev.get("detail"), dict)
            and ("resources" in ev or '"resources"' not in json.dumps(p))]
    assert len(rows) >= 100  # the issue: at least 100 pairs both ways
    entries = []
    for i, pattern, event, _ in rows:
        source = f"table.row{i}"
        events.put_rule(Name=f"row{i}", EventPattern=json.dumps({**pattern, "source": [source]}))
        events.put_targets(Rule=f"row{i}", Targets=[{"Id": "q", "Arn": arn}])
        entries.append({"Source": source, "DetailType": event["detail-type"], "Detail": json.dumps(event["detail"]),
                        "Resources": event.get("resources", [])})
    for k in range(0, len(entries), 10):
        assert events.put_events(Entries=entries[k:k + 10])["FailedEntryCount"] == 0
    expected = {f"table.row{i}" for i, _, _, exp in rows if exp}
    got = [e["source"] for e in bodies(receive(sqs, url, len(expected), timeout=15))]
    assert quiet(sqs, url)
    assert sorted(got) == sorted(expected)


def test_rules_indexed_by_detail_type_still_match_every_way(events, sqs):
    url_ab, _ = rule_to_queue(events, sqs, "ab", {"source": ["my.app"], "detail-type": ["A", "B"]})
    url_or, _ = rule_to_queue(events, sqs, "or", {"source": ["my.app"], "detail-type": ["Z"],
                                                  "$or": [{"detail": {"x": [1]}}, {"detail": {"y": [1]}}]})
    url_prefix, _ = rule_to_queue(events, sqs, "prefix", {"detail-type": [{"prefix": "B"}]})
    put(events, detail_type="B", detail={"x": 1})
    assert len(receive(sqs, url_ab)) == 1 and len(receive(sqs, url_prefix)) == 1 and quiet(sqs, url_or)
    put(events, detail_type="Z", detail={"y": 1})
    assert len(receive(sqs, url_or)) == 1 and quiet(sqs, url_ab) and quiet(sqs, url_prefix)
