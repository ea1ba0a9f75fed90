"""The event-stream encoder, read back by botocore's own decoder."""
import datetime
import uuid

from botocore.eventstream import EventStreamBuffer

from nubis.protocol.eventstream import encode_message, error, event, exception


def decode(data: bytes):
    buf = EventStreamBuffer()
    buf.add_data(data)
    return list(buf)


def test_events_round_trip_through_botocore():
    ts = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    u = uuid.UUID("12345678-1234-5678-1234-567812345678")
    data = event("Records", b"hello") + encode_message(
        {"b": True, "f": False, "i": -7, "l": 2**40, "t": ts, "u": u, "bytes": b"\x00\x01", "s": "text"}, b"x" * 70000)
    first, second = decode(data)
    assert first.headers == {":message-type": "event", ":event-type": "Records",
                             ":content-type": "application/octet-stream"}
    assert first.payload == b"hello"
    assert second.headers["b"] is True and second.headers["f"] is False
    assert second.headers["i"] == -7 and second.headers["l"] == 2**40
    assert second.headers["t"] == int(ts.timestamp() * 1000)
    assert second.headers["u"] == u.bytes and second.headers["bytes"] == b"\x00\x01" and second.headers["s"] == "text"
    assert len(second.payload) == 70000


def test_exceptions_and_errors():
    (exc,) = decode(exception("ResourceNotFoundException", b'{"message":"m"}'))
    assert exc.headers[":message-type"] == "exception"
    assert exc.headers[":exception-type"] == "ResourceNotFoundException"
    (err,) = decode(error("InternalFailure", "boom"))
    assert err.headers == {":message-type": "error", ":error-code": "InternalFailure", ":error-message": "boom"}
