"""Rotation: RotateSecret drives a Lambda through createSecret, setSecret,
testSecret and finishSecret (a stand-in function in tests/support that calls
back into Secrets Manager), and the schedule rotates again on the clock."""
import json

import pytest
from botocore.config import Config

from nubis.testing import start

from .conftest import code, error_of

DAY = 86400
FN = "arn:aws:lambda:us-east-1:000000000000:function:rotator"
FAILING = "arn:aws:lambda:us-east-1:000000000000:function:failing-rotator"
STEPS = ["createSecret", "setSecret", "testSecret", "finishSecret"]


@pytest.fixture(scope="module")
def cloud():
    c = start(providers="lambda=support.fake_lambda:RotationLambda")
    yield c
    c.stop()


@pytest.fixture
def sm(cloud):
    cloud.reset()
    cloud.freeze()
    return cloud.client("secretsmanager", config=Config(retries={"max_attempts": 1}))


def invocations(cloud):
    with __import__("urllib.request").request.urlopen(cloud.endpoint + "/_nubis/lambda/invocations") as r:
        return [i["Payload"] for i in json.loads(r.read())["invocations"]]


def test_rotate_immediately_runs_the_four_steps(sm, cloud):
    old = sm.create_secret(Name="rot", SecretString="initial")["VersionId"]
    out = sm.rotate_secret(SecretId="rot", RotationLambdaARN=FN, RotationRules={"AutomaticallyAfterDays": 7})
    token = out["VersionId"]
    calls = invocations(cloud)
    assert [c["Step"] for c in calls] == STEPS
    assert {c["ClientRequestToken"] for c in calls} == {token}
    assert {c["SecretId"] for c in calls} == {out["ARN"]}
    got = sm.get_secret_value(SecretId="rot")
    assert got["SecretString"] == f"rotated-{token}" and got["VersionId"] == token
    d = sm.describe_secret(SecretId="rot")
    assert d["RotationEnabled"] is True and d["RotationLambdaARN"] == FN
    assert d["RotationRules"]["AutomaticallyAfterDays"] == 7
    assert d["VersionIdsToStages"] == {token: ["AWSCURRENT"], old: ["AWSPREVIOUS"]}
    # The window opens at midnight UTC, 7 days after the day of the last rotation.
    last = d["LastRotatedDate"].timestamp()
    assert d["NextRotationDate"].timestamp() == last - last % DAY + 7 * DAY


def test_the_schedule_rotates_again_on_the_clock(sm, cloud):
    sm.create_secret(Name="sched", SecretString="initial")
    first = sm.rotate_secret(SecretId="sched", RotationLambdaARN=FN,
                             RotationRules={"AutomaticallyAfterDays": 2})["VersionId"]
    due = sm.describe_secret(SecretId="sched")["NextRotationDate"].timestamp()
    cloud.advance(due - cloud.clock() - 60)
    assert sm.get_secret_value(SecretId="sched")["VersionId"] == first
    cloud.advance(120)
    second = sm.get_secret_value(SecretId="sched")
    assert second["VersionId"] != first and second["SecretString"] == f"rotated-{second['VersionId']}"
    assert sm.get_secret_value(SecretId="sched", VersionStage="AWSPREVIOUS")["VersionId"] == first
    assert len(invocations(cloud)) == 8
    sm.cancel_rotate_secret(SecretId="sched")
    assert sm.describe_secret(SecretId="sched")["RotationEnabled"] is False
    cloud.advance(10 * DAY)
    assert sm.get_secret_value(SecretId="sched")["VersionId"] == second["VersionId"]


def test_schedule_expression_and_not_rotating_immediately(sm, cloud):
    sm.create_secret(Name="cron", SecretString="initial")
    out = sm.rotate_secret(SecretId="cron", RotationLambdaARN=FN, RotateImmediately=False,
                           RotationRules={"ScheduleExpression": "cron(0 4 ? * MON *)", "Duration": "2h"})
    assert "VersionId" not in out
    # Only testSecret ran, on a version that is gone again.
    assert [c["Step"] for c in invocations(cloud)] == ["testSecret"]
    d = sm.describe_secret(SecretId="cron")
    assert list(d["VersionIdsToStages"].values()) == [["AWSCURRENT"]]
    nxt = d["NextRotationDate"]
    assert nxt.weekday() == 0 and nxt.hour == 4 and nxt.minute == 0
    assert sm.get_secret_value(SecretId="cron")["SecretString"] == "initial"
    cloud.advance(nxt.timestamp() - cloud.clock() + 1)
    assert sm.get_secret_value(SecretId="cron")["SecretString"].startswith("rotated-")
    e = error_of(sm.rotate_secret, SecretId="cron", RotationRules={"ScheduleExpression": "cron(bad)"})
    assert code(e) == "InvalidParameterException"


def test_a_failed_step_leaves_the_pending_version(sm, cloud):
    current = sm.create_secret(Name="fail", SecretString="initial")["VersionId"]
    token = sm.rotate_secret(SecretId="fail", RotationLambdaARN=FAILING,
                             RotationRules={"AutomaticallyAfterDays": 1})["VersionId"]
    assert [c["Step"] for c in invocations(cloud)] == ["createSecret", "setSecret", "testSecret"]
    assert sm.get_secret_value(SecretId="fail")["VersionId"] == current
    stages = sm.describe_secret(SecretId="fail")["VersionIdsToStages"]
    assert stages == {current: ["AWSCURRENT"], token: ["AWSPENDING"]}
    e = error_of(sm.rotate_secret, SecretId="fail")
    assert code(e) == "InvalidRequestException"
    assert e.response["Error"]["Message"] == "A previous rotation isn't complete. That rotation will be reattempted."
    # The scheduled attempt retries the same token.
    cloud.advance(DAY)
    assert {c["ClientRequestToken"] for c in invocations(cloud)} == {token}


def test_rotation_errors(sm, cloud):
    sm.create_secret(Name="e", SecretString="v")
    e = error_of(sm.rotate_secret, SecretId="e")
    assert code(e) == "InvalidRequestException"
    e = error_of(sm.rotate_secret, SecretId="e", RotationLambdaARN=FN.replace("rotator", "missing"),
                 RotationRules={"AutomaticallyAfterDays": 1})
    assert code(e) == "AccessDeniedException"
    assert "RotationEnabled" not in sm.describe_secret(SecretId="e") or \
        sm.describe_secret(SecretId="e")["RotationEnabled"] is False
    assert list(sm.describe_secret(SecretId="e")["VersionIdsToStages"].values()) == [["AWSCURRENT"]]
    e = error_of(sm.rotate_secret, SecretId="e", RotationLambdaARN=FN,
                 RotationRules={"AutomaticallyAfterDays": 1, "ScheduleExpression": "rate(2 days)"})
    assert code(e) == "InvalidParameterException"
    e = error_of(sm.rotate_secret, SecretId="e", RotationLambdaARN=FN, RotationRules={"AutomaticallyAfterDays": 1001})
    assert code(e) in ("InvalidParameterException", "ValidationException")


def test_a_restored_secret_rotates_again(sm, cloud):
    sm.create_secret(Name="back", SecretString="initial")
    first = sm.rotate_secret(SecretId="back", RotationLambdaARN=FN,
                             RotationRules={"AutomaticallyAfterDays": 1})["VersionId"]
    sm.delete_secret(SecretId="back", RecoveryWindowInDays=7)
    cloud.advance(2 * DAY)  # the rotation due meanwhile does not run
    sm.restore_secret(SecretId="back")
    assert sm.get_secret_value(SecretId="back")["VersionId"] == first
    cloud.advance(DAY)
    assert sm.get_secret_value(SecretId="back")["VersionId"] != first


def test_rate_schedules_open_their_windows_from_midnight(sm, cloud):
    sm.create_secret(Name="hours", SecretString="initial")
    sm.rotate_secret(SecretId="hours", RotationLambdaARN=FN, RotationRules={"ScheduleExpression": "rate(10 hours)"})
    d = sm.describe_secret(SecretId="hours")
    last, nxt = d["LastRotatedDate"].timestamp(), d["NextRotationDate"]
    assert nxt.minute == 0 and nxt.hour in (0, 10, 20) and 0 < nxt.timestamp() - last <= 10 * 3600
    sm.create_secret(Name="days", SecretString="initial")
    sm.rotate_secret(SecretId="days", RotationLambdaARN=FN, RotationRules={"ScheduleExpression": "rate(3 days)"})
    d = sm.describe_secret(SecretId="days")
    last = d["LastRotatedDate"].timestamp()
    assert d["NextRotationDate"].timestamp() == last - last % DAY + 3 * DAY


def test_a_new_value_by_hand_counts_as_a_rotation(sm, cloud):
    sm.create_secret(Name="manual", SecretString="initial")
    sm.rotate_secret(SecretId="manual", RotationLambdaARN=FN, RotationRules={"AutomaticallyAfterDays": 2})
    due = sm.describe_secret(SecretId="manual")["NextRotationDate"].timestamp()
    cloud.advance(DAY)
    sm.put_secret_value(SecretId="manual", SecretString="by hand")
    moved = sm.describe_secret(SecretId="manual")["NextRotationDate"].timestamp()
    assert moved == due + DAY
    cloud.advance(moved - cloud.clock() - 60)
    assert sm.get_secret_value(SecretId="manual")["SecretString"] == "by hand"
