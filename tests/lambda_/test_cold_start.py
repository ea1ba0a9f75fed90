"""Cold starts from spare Python processes (``spares.py``): started ahead,
assigned to one environment, never shared, replaced when they die."""
from __future__ import annotations

import base64
import json
import os
import signal
import time


SPARE_SIZE = 2

APP = """
import os, sys, tempfile
AT_IMPORT = {"greeting": os.environ.get("GREETING"), "tmp": tempfile.gettempdir(),
             "tmpdir": os.environ.get("TMPDIR"), "cwd": os.getcwd(), "root": os.environ.get("LAMBDA_TASK_ROOT"),
             "name": os.environ.get("AWS_LAMBDA_FUNCTION_NAME"),
             "path": [p.replace(os.environ["LAMBDA_TASK_ROOT"], "<root>") for p in sys.path]}
with open("/proc/self/cmdline", "rb") as f:
    SPARE = b"--spare" in f.read().split(b"\\0")

def handler(event, context):
    return dict(AT_IMPORT, pid=os.getpid(), spare=SPARE)
"""


def spares() -> set[int]:
    """The pids of this test process's children waiting as spares (the nubis under test runs in it):
    started with ``--spare`` and still in ``/``, where a spare waits for its code directory."""
    me = str(os.getpid())
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = f.read().rsplit(")", 1)[1].split()[1]
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
            cwd = os.readlink(f"/proc/{entry}/cwd")
        except OSError:
            continue
        if ppid == me and b"--spare" in argv and cwd == "/":
            found.add(int(entry))
    return found


def full(without: int | None = None):
    """The spares, once there are as many as the pool keeps (and ``without`` is not one); else None."""
    found = spares()
    return found if len(found) == SPARE_SIZE and without not in found else None


def wait_for(predicate, seconds: float = 15.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def invoke(lam, name: str, **more) -> dict:
    out = lam.invoke(FunctionName=name, Payload=b"{}", **more)
    assert "FunctionError" not in out, out["Payload"].read()
    return json.loads(out["Payload"].read())


def test_spare_sees_the_functions_variables_at_import(lam, make_function):
    make_function("first", {"app.py": APP})
    first = invoke(lam, "first")
    assert first["spare"] is False  # nothing started ahead of the first one
    wait_for(full)
    make_function("second", {"app.py": APP}, Environment={"Variables": {"GREETING": "hello"}})
    out = lam.invoke(FunctionName="second", Payload=b"{}", LogType="Tail")
    doc = json.loads(out["Payload"].read())
    assert doc["spare"] is True
    assert doc["greeting"] == "hello"
    assert doc["name"] == "second"
    assert doc["tmp"] == doc["tmpdir"] and "nubis-lambda-tmp-" in doc["tmpdir"]
    assert doc["cwd"] == doc["root"]
    assert doc["path"] == first["path"]  # what a process started for the function would import from
    log = base64.b64decode(out["LogResult"]).decode()
    assert "Init Duration:" in log.split("REPORT", 1)[1]


def test_two_functions_never_share_a_process(lam, make_function):
    names = [f"fn{i}" for i in range(4)]
    for name in names:
        make_function(name, {"app.py": APP})
    pids = []
    for name in names:
        pids.append(invoke(lam, name)["pid"])
        wait_for(full)
    assert len(set(pids)) == len(names)
    assert invoke(lam, "fn1")["pid"] == pids[1]  # warm: the same environment
    # A new revision gets a new process, not one another function used.
    lam.update_function_configuration(FunctionName="fn1", Environment={"Variables": {"GREETING": "again"}})
    lam.get_waiter("function_updated_v2").wait(FunctionName="fn1")
    again = invoke(lam, "fn1")
    assert again["greeting"] == "again"
    assert again["pid"] not in pids


def test_a_spare_that_died_is_replaced(lam, make_function):
    make_function("starter", {"app.py": APP})
    invoke(lam, "starter")
    before = wait_for(full)
    victim = min(before)
    os.kill(victim, signal.SIGKILL)
    after = wait_for(lambda: full(without=victim))
    assert after - before  # a new one
    make_function("later", {"app.py": APP})
    doc = invoke(lam, "later")
    assert doc["spare"] is True and doc["pid"] in after


def test_a_spare_reports_an_init_error_as_lambda_does(lam, make_function):
    make_function("starter", {"app.py": APP})
    invoke(lam, "starter")
    wait_for(full)
    make_function("broken", {"app.py": "raise ValueError('no config')\n"})
    out = lam.invoke(FunctionName="broken", Payload=b"{}")
    assert out["FunctionError"] == "Unhandled"
    doc = json.loads(out["Payload"].read())
    assert doc["errorType"] == "ValueError" and doc["errorMessage"] == "no config"


def test_a_variable_read_at_interpreter_start_gets_a_process_of_its_own(lam, make_function):
    make_function("starter", {"app.py": APP})
    invoke(lam, "starter")
    wait_for(full)
    make_function("optimised", {"app.py": APP + "\nimport sys\nOPT = sys.flags.optimize\n"
                                "def handler(event, context):\n    return {'optimize': OPT, 'spare': SPARE}\n"},
                  Environment={"Variables": {"PYTHONOPTIMIZE": "1"}})
    assert invoke(lam, "optimised") == {"optimize": 1, "spare": False}
