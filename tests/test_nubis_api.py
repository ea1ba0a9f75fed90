"""nubis's own endpoints: health, reset, clock, and LocalStack's health path."""
import json
import urllib.error
import urllib.request

import pytest


def call(endpoint, path, doc=None, method=None):
    data = json.dumps(doc).encode() if doc is not None else None
    req = urllib.request.Request(endpoint + path, data=data, method=method or ("POST" if data else "GET"),
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_health(nubis, aws_client):
    aws_client("sts").get_caller_identity()
    status, health = call(nubis.endpoint, "/_nubis/health")
    assert status == 200
    assert health["version"] and health["uptime"] >= 0
    assert health["services"]["sts"] == "started"


def test_health_lists_unimplemented_services(nubis):
    import time

    for _ in range(200):  # the model index warms in the background after start
        _, health = call(nubis.endpoint, "/_nubis/health")
        if len(health["services"]) > 300:
            break
        time.sleep(0.05)
    assert health["services"]["kinesisvideo"] == "not implemented"


def test_localstack_health_shape(nubis):
    status, doc = call(nubis.endpoint, "/_localstack/health")
    assert status == 200
    assert doc["services"]["sts"] in ("available", "running")
    assert "version" in doc


def test_clock_reads_and_advances(nubis):
    _, before = call(nubis.endpoint, "/_nubis/clock")
    status, after = call(nubis.endpoint, "/_nubis/clock", {"advance_seconds": 14 * 86400})
    assert status == 200
    assert after["now"] - before["now"] >= 14 * 86400
    assert after["offset_seconds"] >= 14 * 86400
    assert after["iso"].endswith("Z")


@pytest.mark.parametrize("doc", [{"advance_seconds": -1}, {"advance_seconds": "10"}, {}, {"advance_seconds": True},
                                 {"freeze": "yes"}])
def test_clock_rejects_bad_input(nubis, doc):
    status, body = call(nubis.endpoint, "/_nubis/clock", doc, method="POST")
    assert status == 400 and ("advance_seconds" in body["error"] or "freeze" in body["error"])


def test_a_frozen_clock_moves_only_when_advanced(nubis):
    import time

    status, frozen = call(nubis.endpoint, "/_nubis/clock", {"freeze": True})
    assert status == 200 and frozen["frozen"] is True
    time.sleep(0.3)
    _, still = call(nubis.endpoint, "/_nubis/clock")
    assert still["now"] == frozen["now"]
    _, later = call(nubis.endpoint, "/_nubis/clock", {"advance_seconds": 60})
    assert later["now"] == frozen["now"] + 60
    # Running again continues from the time it showed, not from the wall clock.
    _, running = call(nubis.endpoint, "/_nubis/clock", {"freeze": False})
    assert running["frozen"] is False and later["now"] <= running["now"] < later["now"] + 1
    time.sleep(0.2)
    _, moved = call(nubis.endpoint, "/_nubis/clock")
    assert moved["now"] > running["now"]


def test_a_reset_runs_a_frozen_clock_again(nubis):
    call(nubis.endpoint, "/_nubis/clock", {"freeze": True})
    call(nubis.endpoint, "/_nubis/reset", {}, method="POST")
    _, clock = call(nubis.endpoint, "/_nubis/clock")
    assert clock["frozen"] is False


def test_reset_rewinds_the_clock(nubis):
    call(nubis.endpoint, "/_nubis/clock", {"advance_seconds": 3600})
    status, body = call(nubis.endpoint, "/_nubis/reset", {}, method="POST")
    assert status == 200
    _, clock = call(nubis.endpoint, "/_nubis/clock")
    assert clock["offset_seconds"] == 0


def test_reset_of_one_service(nubis):
    status, body = call(nubis.endpoint, "/_nubis/reset", {"service": "sts"})
    assert status == 200 and body == {"reset": ["sts"]}
    status, body = call(nubis.endpoint, "/_nubis/reset", {"service": "nosuch"})
    assert status == 404 and "nosuch" in body["error"]


def test_unknown_nubis_path(nubis):
    status, body = call(nubis.endpoint, "/_nubis/nothing")
    assert status == 404


def test_ping(nubis):
    with urllib.request.urlopen(nubis.endpoint + "/_nubis/ping") as r:
        assert r.read() == b"pong"
