"""Transformers: stored per log group, and run over sample events by TestTransformer."""
import json

from .conftest import code, error_of

CONFIG = [{"parseJSON": {}}, {"addKeys": {"entries": [{"key": "env", "value": "prod"}]}}]


def run(logs, config, *messages):
    out = logs.test_transformer(transformerConfig=config, logEventMessages=list(messages))["transformedLogs"]
    return [json.loads(t["transformedEventMessage"]) if t["transformedEventMessage"].startswith("{")
            else t["transformedEventMessage"] for t in out]


def test_put_get_delete(logs):
    logs.create_log_group(logGroupName="/app")
    logs.put_transformer(logGroupIdentifier="/app", transformerConfig=CONFIG)
    got = logs.get_transformer(logGroupIdentifier="/app")
    assert got["transformerConfig"] == CONFIG and got["creationTime"] == got["lastModifiedTime"]
    logs.put_transformer(logGroupIdentifier="/app", transformerConfig=[{"csv": {}}])
    assert logs.get_transformer(logGroupIdentifier="/app")["transformerConfig"] == [{"csv": {}}]
    logs.delete_transformer(logGroupIdentifier="/app")
    assert "transformerConfig" not in logs.get_transformer(logGroupIdentifier="/app")
    assert code(error_of(logs.delete_transformer, logGroupIdentifier="/app")) == "ResourceNotFoundException"
    assert code(error_of(logs.put_transformer, logGroupIdentifier="/nope", transformerConfig=CONFIG)) == \
        "ResourceNotFoundException"
    # At least one parser; the vended-log parsers come first.
    e = error_of(logs.put_transformer, logGroupIdentifier="/app",
                 transformerConfig=[{"addKeys": {"entries": [{"key": "a", "value": "b"}]}}])
    assert code(e) == "InvalidParameterException"
    e = error_of(logs.put_transformer, logGroupIdentifier="/app",
                 transformerConfig=[{"parseJSON": {}}, {"parseVPC": {}}])
    assert code(e) == "InvalidParameterException"
    # The first processor is a parser; addKeys (like grok and copyValue) appears once.
    add = {"addKeys": {"entries": [{"key": "a", "value": "b"}]}}
    for config in ([add, {"parseJSON": {}}], [{"parseJSON": {}}, add, add], [{"csv": {}}] * 6):
        e = error_of(logs.put_transformer, logGroupIdentifier="/app", transformerConfig=config)
        assert code(e) == "InvalidParameterException", config
    logs.create_log_group(logGroupName="/ia", logGroupClass="INFREQUENT_ACCESS")
    assert code(error_of(logs.put_transformer, logGroupIdentifier="/ia", transformerConfig=CONFIG)) == \
        "InvalidOperationException"


def test_parse_json_and_mutate(logs):
    config = [
        {"parseJSON": {}},
        {"addKeys": {"entries": [{"key": "env", "value": "prod"}, {"key": "level", "value": "x"}]}},
        {"renameKeys": {"entries": [{"key": "msg", "renameTo": "message"}]}},
        {"copyValue": {"entries": [{"source": "user.name", "target": "who"}]}},
        {"deleteKeys": {"withKeys": ["secret"]}},
        {"lowerCaseString": {"withKeys": ["level"]}},
        {"upperCaseString": {"withKeys": ["who"]}},
        {"trimString": {"withKeys": ["message"]}},
    ]
    [out] = run(logs, config, json.dumps({"msg": "  hello  ", "level": "WARN", "secret": "s",
                                           "user": {"name": "ann"}}))
    # addKeys leaves an existing key alone unless told to overwrite.
    assert out == {"message": "hello", "level": "warn", "user": {"name": "ann"}, "env": "prod", "who": "ANN"}


def test_parsers(logs):
    [kv] = run(logs, [{"parseKeyValue": {"destination": "q", "keyPrefix": "p_"}}], "a=1&b=2&junk")
    assert kv == {"q": {"p_a": "1", "p_b": "2"}}
    [row] = run(logs, [{"csv": {"columns": ["ip", "path"]}}], '10.0.0.1,"/a,b"')
    assert row == {"ip": "10.0.0.1", "path": "/a,b"}
    [default] = run(logs, [{"csv": {"delimiter": ";"}}], "x;y")
    assert default == {"column_1": "x", "column_2": "y"}
    nested = run(logs, [{"parseJSON": {"destination": "body"}},
                         {"moveKeys": {"entries": [{"source": "body.id", "target": "id"}]}}], '{"id": 7, "n": 1}')
    assert nested == [{"body": {"n": 1}, "id": 7}]


def test_string_and_type_processors(logs):
    config = [{"parseJSON": {}},
              {"splitString": {"entries": [{"source": "tags", "delimiter": ","}]}},
              {"substituteString": {"entries": [{"source": "path", "from": "[0-9]+", "to": "N"}]}},
              {"typeConverter": {"entries": [{"key": "code", "type": "integer"}, {"key": "ok", "type": "boolean"},
                                             {"key": "ms", "type": "double"}]}},
              {"listToMap": {"source": "items", "key": "k", "valueKey": "v", "target": "m", "flatten": True,
                             "flattenedElement": "last"}}]
    [out] = run(logs, config, json.dumps({"tags": "a,b", "path": "/u/12/o/3", "code": "404", "ok": "TRUE",
                                           "ms": "1.5", "items": [{"k": "x", "v": 1}, {"k": "x", "v": 2}]}))
    assert out["tags"] == ["a", "b"] and out["path"] == "/u/N/o/N"
    # Groups are referred to as $1, as the reference's (Java) regular expressions write them.
    [swapped] = run(logs, [{"parseJSON": {}}, {"substituteString": {"entries": [
        {"source": "name", "from": "(\\w+) (\\w+)", "to": "$2, $1"}]}}], json.dumps({"name": "ann lee"}))
    assert swapped == {"name": "lee, ann"}
    assert (out["code"], out["ok"], out["ms"]) == (404, True, 1.5) and out["m"] == {"x": 2}


def test_an_event_that_fails_keeps_its_message(logs):
    outs = run(logs, CONFIG, "not json", '{"a": 1}')
    assert outs == ["not json", {"a": 1, "env": "prod"}]


def test_unsupported_processors_say_so(logs):
    e = error_of(logs.test_transformer, transformerConfig=[{"grok": {"match": "%{WORD:w}"}}],
                 logEventMessages=["x"])
    assert code(e) == "InvalidParameterException" and "grok" in str(e)
    e = error_of(logs.test_transformer, transformerConfig=[{"parseJSON": {}}, {"typeConverter": {
        "entries": [{"key": "a", "type": "date"}]}}], logEventMessages=["{}"])
    assert code(e) == "InvalidParameterException"
