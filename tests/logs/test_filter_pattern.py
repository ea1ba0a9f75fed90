"""The filter pattern language, table-tested against the parser directly
(the wire tests in test_filter.py show it reaches FilterLogEvents)."""
import pytest

from nubis.services.logs.filter_pattern import PatternError, compile, split_fields

APACHE = '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 404 1534'
JSON = ('{"eventType": "UpdateTrail", "sourceIPAddress": "123.123.123.123", "bandwidth": 80, "latency": 500, '
        '"isEnabled": true, "hasError": false, "nothing": null, "user": {"id": 1, "name": "Ana"}, '
        '"array": [{"k": "first"}, {"k": "second"}], "tags": ["blue", "green"]}')

CASES = [
    # text terms: all must occur, case-sensitive
    ("", "anything", True),
    ('""', "anything", True),
    ("ERROR", "[ERROR] disk full", True),
    ("ERROR", "error: disk full", False),
    ("ERROR disk", "ERROR: the disk is full", True),
    ("ERROR disk", "ERROR: the network is down", False),
    ('"disk full"', "ERROR: disk full", True),
    ('"disk full"', "ERROR: full disk", False),
    ("?ERROR ?WARN", "WARN: low disk", True),
    ("?ERROR ?WARN", "INFO: fine", False),
    ("ERROR -Exiting", "ERROR: retrying", True),
    ("ERROR -Exiting", "ERROR: Exiting now", False),
    ('ERROR -"disk full"', "ERROR: disk full", False),
    # "?" opens a group of terms (CDK's anyTermGroup): one group must match entirely
    ('?"ERROR" "MainThread" ?"WARN" "Deadlock"', "WARN Deadlock found", True),
    ('?"ERROR" "MainThread" ?"WARN" "Deadlock"', "ERROR in MainThread", True),
    ('?"ERROR" "MainThread" ?"WARN" "Deadlock"', "ERROR in worker; WARN", False),
    ("?ERROR ?WARN -debug", "WARN debug", False),
    ("Exc*tion", "java.lang.Exception: x", True),
    ("%[0-9]{3}-[0-9]{4}%", "call 555-1234 now", True),
    ("%[0-9]{3}-[0-9]{4}%", "call me", False),
    # JSON
    ('{ $.eventType = "UpdateTrail" }', JSON, True),
    ("{ $.eventType = UpdateTrail }", JSON, True),
    ('{ $.eventType = "updatetrail" }', JSON, False),
    ("{ $.eventType != UpdateTrail }", JSON, False),
    ("{ $.sourceIPAddress = 123.123.* }", JSON, True),
    ("{ $.sourceIPAddress != 123.123.* }", JSON, False),
    ("{ $.bandwidth > 75 }", JSON, True),
    ("{ $.bandwidth < 75 }", JSON, False),
    ("{ $.latency <= 500 }", JSON, True),
    ("{ $.latency >= 501 }", JSON, False),
    ("{ $.bandwidth = 80 }", JSON, True),
    ("{ $.bandwidth != 80 }", JSON, False),
    ("{ $.user.id = 1 && $.user.name = Ana }", JSON, True),
    ("{ $.user.id = 2 || $.user.name = Ana }", JSON, True),
    ("{ ($.user.id = 2 || $.bandwidth > 100) && $.latency = 500 }", JSON, False),
    ("{ $.user.id = 2 || ($.bandwidth > 50 && $.latency = 500) }", JSON, True),
    ('{ $.array[0].k = "first" }', JSON, True),
    ('{ $.array[1].k = "first" }', JSON, False),
    ("{ $.tags[1] = green }", JSON, True),
    ("{ $.tags[*] = blue }", JSON, True),
    ("{ $.nothing IS NULL }", JSON, True),
    ("{ $.user IS NULL }", JSON, False),
    ("{ $.missing NOT EXISTS }", JSON, True),
    ("{ $.user NOT EXISTS }", JSON, False),
    ("{ $.isEnabled IS TRUE }", JSON, True),
    ("{ $.hasError IS FALSE }", JSON, True),
    ("{ $.hasError IS TRUE }", JSON, False),
    ("{ $.missing = x }", JSON, False),
    ("{ $.missing != x }", JSON, False),
    ("{ $.eventType = %Update.*% }", JSON, True),
    ("{ $.eventType = UpdateTrail }", "not json UpdateTrail", False),
    # space-delimited
    ("[ip, id, user, timestamp, request, status_code, bytes]", APACHE, True),
    ("[ip, id, user, timestamp, request, status_code]", APACHE, False),
    ("[ip, id, user, timestamp, request, status_code = 404, bytes]", APACHE, True),
    ("[ip, id, user, timestamp, request, status_code = 4*, bytes > 1000]", APACHE, True),
    ("[ip, id, user, timestamp, request, status_code = 4*, bytes > 2000]", APACHE, False),
    ("[ip, ..., status_code = 404, bytes]", APACHE, True),
    ("[..., status_code != 200, bytes]", APACHE, True),
    ("[..., status_code = 200, bytes]", APACHE, False),
    ("[ip = 127.0.0.*, ...]", APACHE, True),
    ("[ip, id, user = frank, ...]", APACHE, True),
    ('[..., request = "GET /apache_pb.gif HTTP/1.0", status_code, bytes]', APACHE, True),
    ("[..., status_code = 400 || status_code = 404, bytes]", APACHE, True),
    ("[..., status_code = 500 || status_code = 503, bytes]", APACHE, False),
    ("[..., status_code >= 400 && status_code < 500, bytes]", APACHE, True),
]


@pytest.mark.parametrize("pattern, message, expected", CASES)
def test_matches(pattern, message, expected):
    assert compile(pattern).matches(message) is expected


@pytest.mark.parametrize("pattern", [
    "{ $.a = ", "{ $.a = 1", "{ a = 1 }", "{ $.a > abc }", "{ $.a IS MAYBE }", "[a, b", "[a > x]",
    '"unterminated', "%unterminated", "{ $.a = %(% }", "{ $.a = 1 } trailing",
])
def test_invalid_patterns(pattern):
    with pytest.raises(PatternError):
        compile(pattern)


def test_fields_split_on_spaces_with_quotes_and_brackets():
    assert split_fields(APACHE) == ["127.0.0.1", "-", "frank", "10/Oct/2000:13:25:15 -0700",
                                    "GET /apache_pb.gif HTTP/1.0", "404", "1534"]


def test_extracted_values():
    pattern = compile("[ip, id, user, timestamp, request, status_code, bytes]")
    assert pattern.extract(APACHE)["$status_code"] == "404"
    assert compile("{ $.user.name = Ana && $.bandwidth > 1 }").extract(JSON) == {
        "$.user.name": "Ana", "$.bandwidth": "80"}


def test_a_long_message_against_an_ellipsis():
    words = " ".join(f"w{i}" for i in range(20_000))
    assert compile("[first = w0, ..., middle = w5000, ..., last]").matches(words)
    assert not compile("[first = w1, ...]").matches(words)
