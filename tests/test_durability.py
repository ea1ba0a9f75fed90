"""Durability: ``kill -9`` in the middle of writes loses nothing acknowledged.

The write path is real: boto3 -> gateway -> json protocol -> a provider ->
SQLite commit -> response. The provider (tests/support/kv_ssm.py) stands in
for SSM until that service lands.
"""
import concurrent.futures
import threading
import time

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ConnectionClosedError

PROVIDERS = {"NUBIS_PROVIDERS": "ssm=support.kv_ssm:KvSsm,s3=support.stream_s3:StreamS3"}


@pytest.mark.parametrize("sync", ["normal", "full"])
def test_kill_9_keeps_every_acknowledged_write(server_process, tmp_path, sync):
    data = str(tmp_path / "data")
    server = server_process("--data-dir", data, "--sync", sync, env=PROVIDERS)
    acknowledged: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def writer(n: int):
        ssm = server.client("ssm")
        i = 0
        while not stop.is_set() and i < 100_000:
            name = f"/w{n}/p{i}"
            try:
                ssm.put_parameter(Name=name, Value=f"v{i}", Type="String")
            except (EndpointConnectionError, ConnectionClosedError, ClientError, OSError):
                return  # the server died under us: this write was never acknowledged
            with lock:
                acknowledged.append(name)
            i += 1

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(writer, n) for n in range(8)]
        deadline = time.monotonic() + 20
        while len(acknowledged) < 300 and time.monotonic() < deadline:
            time.sleep(0.05)
        server.kill9()  # in the middle of the writes
        stop.set()
        for f in futures:
            f.result()
    assert len(acknowledged) >= 300

    restarted = server_process("--data-dir", data, env=PROVIDERS)
    ssm = restarted.client("ssm")
    missing = []
    for name in acknowledged:
        try:
            ssm.get_parameter(Name=name)
        except ClientError:
            missing.append(name)
    assert missing == []


def test_clock_offset_survives_restart(server_process, tmp_path):
    data = str(tmp_path / "data")
    server = server_process("--data-dir", data)
    moved = server.post("/_nubis/clock", {"advance_seconds": 86400})["offset_seconds"]
    server.kill9()
    restarted = server_process("--data-dir", data)
    assert restarted.get("/_nubis/clock")["offset_seconds"] == pytest.approx(moved)


def test_accounts_and_regions_are_isolated(server_process, tmp_path):
    server = server_process("--ephemeral", env=PROVIDERS)
    a = server.client("ssm", aws_access_key_id="111111111111")
    b = server.client("ssm", aws_access_key_id="222222222222")
    a.put_parameter(Name="/x", Value="a", Type="String")
    with pytest.raises(ClientError) as info:
        b.get_parameter(Name="/x")
    assert info.value.response["Error"]["Code"] == "ParameterNotFound"
    assert a.get_parameter(Name="/x")["Parameter"]["Value"] == "a"
