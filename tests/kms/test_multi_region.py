"""Multi-Region keys: replicas in other Regions with the same key id and material,
interoperable ciphertext, and moving the primary."""
import pytest

from .conftest import ACCOUNT, DAY, code, error_of

PRIMARY, OTHER, THIRD = "us-east-1", "eu-west-1", "ap-southeast-2"


@pytest.fixture
def clients(aws_client):
    from botocore.config import Config
    return {r: aws_client("kms", region=r, config=Config(retries={"max_attempts": 1}))
            for r in (PRIMARY, OTHER, THIRD)}


@pytest.fixture
def mrk(clients):
    return clients[PRIMARY].create_key(MultiRegion=True, Description="primary")["KeyMetadata"]["KeyId"]


def arn(region, key_id):
    return f"arn:aws:kms:{region}:{ACCOUNT}:key/{key_id}"


def test_a_multi_region_key_starts_as_a_primary_without_replicas(clients, mrk):
    md = clients[PRIMARY].describe_key(KeyId=mrk)["KeyMetadata"]
    assert mrk.startswith("mrk-") and md["MultiRegion"] is True
    assert md["MultiRegionConfiguration"] == {"MultiRegionKeyType": "PRIMARY",
                                              "PrimaryKey": {"Arn": arn(PRIMARY, mrk), "Region": PRIMARY},
                                              "ReplicaKeys": []}


def test_replicate_key_makes_a_key_with_the_same_id_in_the_other_region(clients, mrk):
    out = clients[PRIMARY].replicate_key(KeyId=mrk, ReplicaRegion=OTHER, Description="replica",
                                         Tags=[{"TagKey": "t", "TagValue": "v"}])
    md = out["ReplicaKeyMetadata"]
    assert md["KeyId"] == mrk and md["Arn"] == arn(OTHER, mrk) and md["Description"] == "replica"
    assert md["MultiRegionConfiguration"]["MultiRegionKeyType"] == "REPLICA"
    assert md["MultiRegionConfiguration"]["PrimaryKey"] == {"Arn": arn(PRIMARY, mrk), "Region": PRIMARY}
    assert out["ReplicaTags"] == [{"TagKey": "t", "TagValue": "v"}]
    assert '"Statement"' in out["ReplicaPolicy"]

    replica = clients[OTHER].describe_key(KeyId=mrk)["KeyMetadata"]
    assert replica["Arn"] == arn(OTHER, mrk) and replica["KeyState"] == "Enabled"
    primary = clients[PRIMARY].describe_key(KeyId=mrk)["KeyMetadata"]
    assert primary["Description"] == "primary"
    assert primary["MultiRegionConfiguration"]["ReplicaKeys"] == [{"Arn": arn(OTHER, mrk), "Region": OTHER}]
    assert [k["KeyId"] for k in clients[OTHER].list_keys()["Keys"]] == [mrk]
    # Tags, description and state are each key's own.
    assert clients[PRIMARY].list_resource_tags(KeyId=mrk)["Tags"] == []
    clients[OTHER].disable_key(KeyId=mrk)
    assert clients[PRIMARY].describe_key(KeyId=mrk)["KeyMetadata"]["KeyState"] == "Enabled"


def test_ciphertext_from_one_region_decrypts_in_the_other(clients, mrk):
    clients[PRIMARY].replicate_key(KeyId=mrk, ReplicaRegion=OTHER)
    blob = clients[PRIMARY].encrypt(KeyId=mrk, Plaintext=b"hello", EncryptionContext={"a": "b"})["CiphertextBlob"]
    out = clients[OTHER].decrypt(CiphertextBlob=blob, EncryptionContext={"a": "b"})
    assert out["Plaintext"] == b"hello" and out["KeyId"] == arn(OTHER, mrk)
    back = clients[OTHER].encrypt(KeyId=arn(OTHER, mrk), Plaintext=b"back")["CiphertextBlob"]
    assert clients[PRIMARY].decrypt(CiphertextBlob=back, KeyId=mrk)["Plaintext"] == b"back"


def test_asymmetric_replicas_share_the_key_pair(clients):
    key = clients[PRIMARY].create_key(MultiRegion=True, KeySpec="ECC_NIST_P256",
                                      KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    clients[PRIMARY].replicate_key(KeyId=key, ReplicaRegion=OTHER)
    sig = clients[PRIMARY].sign(KeyId=key, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    assert clients[OTHER].verify(KeyId=key, Message=b"m", Signature=sig,
                                 SigningAlgorithm="ECDSA_SHA_256")["SignatureValid"] is True
    assert clients[OTHER].get_public_key(KeyId=key)["PublicKey"] == \
        clients[PRIMARY].get_public_key(KeyId=key)["PublicKey"]


def test_replicate_key_errors(clients, mrk):
    kms = clients[PRIMARY]
    single = kms.create_key()["KeyMetadata"]["KeyId"]
    assert code(error_of(lambda: kms.replicate_key(KeyId=single, ReplicaRegion=OTHER))) == \
        "UnsupportedOperationException"
    kms.replicate_key(KeyId=mrk, ReplicaRegion=OTHER)
    assert code(error_of(lambda: kms.replicate_key(KeyId=mrk, ReplicaRegion=OTHER))) == "AlreadyExistsException"
    assert code(error_of(lambda: kms.replicate_key(KeyId=mrk, ReplicaRegion=PRIMARY))) == "ValidationException"
    # Only the primary is replicated.
    err = error_of(lambda: clients[OTHER].replicate_key(KeyId=mrk, ReplicaRegion=THIRD))
    assert code(err) == "UnsupportedOperationException"
    kms.disable_key(KeyId=mrk)
    assert code(error_of(lambda: kms.replicate_key(KeyId=mrk, ReplicaRegion=THIRD))) == "DisabledException"


def test_update_primary_region_swaps_the_roles(clients, mrk):
    clients[PRIMARY].replicate_key(KeyId=mrk, ReplicaRegion=OTHER)
    clients[PRIMARY].replicate_key(KeyId=mrk, ReplicaRegion=THIRD)
    clients[PRIMARY].update_primary_region(KeyId=mrk, PrimaryRegion=OTHER)
    for region in (PRIMARY, OTHER, THIRD):
        config = clients[region].describe_key(KeyId=mrk)["KeyMetadata"]["MultiRegionConfiguration"]
        assert config["MultiRegionKeyType"] == ("PRIMARY" if region == OTHER else "REPLICA")
        assert config["PrimaryKey"] == {"Arn": arn(OTHER, mrk), "Region": OTHER}
        assert sorted(r["Region"] for r in config["ReplicaKeys"]) == sorted([PRIMARY, THIRD])
    # The former primary is now a replica: it cannot be replicated, the new primary can.
    err = error_of(lambda: clients[PRIMARY].replicate_key(KeyId=mrk, ReplicaRegion="us-west-2"))
    assert code(err) == "UnsupportedOperationException"
    assert clients[OTHER].replicate_key(KeyId=mrk, ReplicaRegion="us-west-2")["ReplicaKeyMetadata"]["Arn"] == \
        arn("us-west-2", mrk)


def test_update_primary_region_errors(clients, mrk):
    kms = clients[PRIMARY]
    assert code(error_of(lambda: kms.update_primary_region(KeyId=mrk, PrimaryRegion=OTHER))) == "NotFoundException"
    kms.replicate_key(KeyId=mrk, ReplicaRegion=OTHER)
    err = error_of(lambda: clients[OTHER].update_primary_region(KeyId=mrk, PrimaryRegion=PRIMARY))
    assert code(err) == "UnsupportedOperationException"
    single = kms.create_key()["KeyMetadata"]["KeyId"]
    assert code(error_of(lambda: kms.update_primary_region(KeyId=single, PrimaryRegion=OTHER))) == \
        "UnsupportedOperationException"
    kms.disable_key(KeyId=mrk)
    assert code(error_of(lambda: kms.update_primary_region(KeyId=mrk, PrimaryRegion=OTHER))) == "DisabledException"


def test_rotation_is_managed_on_the_primary_and_shared(clients, mrk):
    clients[PRIMARY].replicate_key(KeyId=mrk, ReplicaRegion=OTHER)
    err = error_of(lambda: clients[OTHER].enable_key_rotation(KeyId=mrk))
    assert code(err) == "UnsupportedOperationException"
    assert code(error_of(lambda: clients[OTHER].rotate_key_on_demand(KeyId=mrk))) == "UnsupportedOperationException"
    old = clients[OTHER].encrypt(KeyId=mrk, Plaintext=b"old")["CiphertextBlob"]
    clients[PRIMARY].enable_key_rotation(KeyId=mrk, RotationPeriodInDays=90)
    assert clients[OTHER].get_key_rotation_status(KeyId=mrk)["RotationPeriodInDays"] == 90
    clients[PRIMARY].rotate_key_on_demand(KeyId=mrk)
    primary_md = clients[PRIMARY].describe_key(KeyId=mrk)["KeyMetadata"]
    replica_md = clients[OTHER].describe_key(KeyId=mrk)["KeyMetadata"]
    assert primary_md["CurrentKeyMaterialId"] == replica_md["CurrentKeyMaterialId"]
    new = clients[OTHER].encrypt(KeyId=mrk, Plaintext=b"new")["CiphertextBlob"]
    assert clients[PRIMARY].decrypt(CiphertextBlob=new)["Plaintext"] == b"new"
    assert clients[PRIMARY].decrypt(CiphertextBlob=old)["Plaintext"] == b"old"


def test_grants_and_aliases_are_per_region(clients, mrk):
    clients[PRIMARY].replicate_key(KeyId=mrk, ReplicaRegion=OTHER)
    clients[PRIMARY].create_grant(KeyId=mrk, GranteePrincipal=f"arn:aws:iam::{ACCOUNT}:role/r",
                                  Operations=["Decrypt"])
    assert clients[OTHER].list_grants(KeyId=mrk)["Grants"] == []
    clients[OTHER].create_alias(AliasName="alias/mr", TargetKeyId=mrk)
    assert clients[OTHER].describe_key(KeyId="alias/mr")["KeyMetadata"]["Arn"] == arn(OTHER, mrk)
    assert code(error_of(lambda: clients[PRIMARY].describe_key(KeyId="alias/mr"))) == "NotFoundException"


def test_a_primary_with_replicas_waits_for_them_to_be_deleted(clients, mrk, nubis):
    clients[PRIMARY].replicate_key(KeyId=mrk, ReplicaRegion=OTHER)
    out = clients[PRIMARY].schedule_key_deletion(KeyId=mrk, PendingWindowInDays=7)
    assert out["KeyState"] == "PendingReplicaDeletion"
    assert clients[PRIMARY].describe_key(KeyId=mrk)["KeyMetadata"]["KeyState"] == "PendingReplicaDeletion"
    blob = clients[OTHER].encrypt(KeyId=mrk, Plaintext=b"x")["CiphertextBlob"]
    clients[OTHER].schedule_key_deletion(KeyId=mrk, PendingWindowInDays=7)
    nubis.advance(7 * DAY)
    assert code(error_of(lambda: clients[OTHER].describe_key(KeyId=mrk))) == "NotFoundException"
    # The replica is gone: the primary's own waiting period starts now.
    md = clients[PRIMARY].describe_key(KeyId=mrk)["KeyMetadata"]
    assert md["KeyState"] == "PendingDeletion" and "DeletionDate" in md
    clients[PRIMARY].cancel_key_deletion(KeyId=mrk)
    clients[PRIMARY].enable_key(KeyId=mrk)
    assert clients[PRIMARY].decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"
