"""DeleteSecret's recovery window on the controllable clock, RestoreSecret,
ForceDeleteWithoutRecovery."""
from .conftest import code, error_of, message

DAY = 86400
MARKED = "You can't perform this operation on the secret because it was marked for deletion."


def test_recovery_window_then_gone(sm, nubis):
    arn = sm.create_secret(Name="gone", SecretString="v")["ARN"]
    now = nubis.clock()
    out = sm.delete_secret(SecretId="gone", RecoveryWindowInDays=7)
    assert abs(out["DeletionDate"].timestamp() - (now + 7 * DAY)) < 2
    e = error_of(sm.get_secret_value, SecretId="gone")
    assert code(e) == "InvalidRequestException" and message(e) == MARKED
    assert code(error_of(sm.put_secret_value, SecretId="gone", SecretString="x")) == "InvalidRequestException"
    assert code(error_of(sm.delete_secret, SecretId="gone")) == "InvalidRequestException"
    e = error_of(sm.create_secret, Name="gone", SecretString="again")
    assert code(e) == "InvalidRequestException"
    assert "DeletedDate" in sm.describe_secret(SecretId="gone")
    assert sm.list_secrets()["SecretList"] == []
    assert [s["ARN"] for s in sm.list_secrets(IncludePlannedDeletion=True)["SecretList"]] == [arn]
    nubis.advance(7 * DAY - 60)
    assert sm.describe_secret(SecretId="gone")["ARN"] == arn
    nubis.advance(120)
    assert code(error_of(sm.describe_secret, SecretId="gone")) == "ResourceNotFoundException"
    sm.create_secret(Name="gone", SecretString="new")


def test_restore_within_the_window(sm, nubis):
    sm.create_secret(Name="back", SecretString="v")
    assert (sm.delete_secret(SecretId="back")["DeletionDate"].timestamp() - nubis.clock()) > 29 * DAY
    nubis.advance(10 * DAY)
    sm.restore_secret(SecretId="back")
    assert "DeletedDate" not in sm.describe_secret(SecretId="back")
    nubis.advance(30 * DAY)
    assert sm.get_secret_value(SecretId="back")["SecretString"] == "v"


def test_force_delete_and_invalid_windows(sm):
    sm.create_secret(Name="f", SecretString="v")
    for window in (6, 31):
        e = error_of(sm.delete_secret, SecretId="f", RecoveryWindowInDays=window)
        assert code(e) == "InvalidParameterException"
    e = error_of(sm.delete_secret, SecretId="f", RecoveryWindowInDays=7, ForceDeleteWithoutRecovery=True)
    assert code(e) == "InvalidParameterException"
    sm.delete_secret(SecretId="f", ForceDeleteWithoutRecovery=True)
    assert code(error_of(sm.describe_secret, SecretId="f")) == "ResourceNotFoundException"


def test_a_secret_pending_deletion_can_still_be_force_deleted(sm):
    sm.create_secret(Name="twice", SecretString="v")
    sm.delete_secret(SecretId="twice")
    sm.delete_secret(SecretId="twice", ForceDeleteWithoutRecovery=True)
    assert code(error_of(sm.describe_secret, SecretId="twice")) == "ResourceNotFoundException"
