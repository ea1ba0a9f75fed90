"""Custom key stores, their keys, multi-Region replicas and last usage across restarts
of a real nubis process."""
import pytest

from .test_custom_key_stores import CERT

DAY = 86400


@pytest.mark.parametrize("how", ["sigterm", "kill9"])
def test_stores_replicas_and_usage_survive_a_restart(server_process, tmp_path, how):
    data = str(tmp_path / "data")
    server = server_process("--data-dir", data)
    kms = server.client("kms")
    store_id = kms.create_custom_key_store(CustomKeyStoreName="hsm", CloudHsmClusterId="cluster-234abcdefgh",
                                           TrustAnchorCertificate=CERT, KeyStorePassword="kmsPswd1")["CustomKeyStoreId"]
    kms.connect_custom_key_store(CustomKeyStoreId=store_id)
    server.post("/_nubis/clock", {"advance_seconds": 60})
    hsm_key = kms.create_key(CustomKeyStoreId=store_id, Origin="AWS_CLOUDHSM")["KeyMetadata"]["KeyId"]
    hsm_blob = kms.encrypt(KeyId=hsm_key, Plaintext=b"hsm")["CiphertextBlob"]
    mrk = kms.create_key(MultiRegion=True)["KeyMetadata"]["KeyId"]
    kms.replicate_key(KeyId=mrk, ReplicaRegion="eu-west-1", Description="replica")
    kms.update_primary_region(KeyId=mrk, PrimaryRegion="eu-west-1")
    blob = kms.encrypt(KeyId=mrk, Plaintext=b"mr")["CiphertextBlob"]

    if how == "sigterm":
        assert server.terminate() == 0
    else:
        server.kill9()
    server = server_process("--data-dir", data)
    kms = server.client("kms")
    other = server.client("kms", region_name="eu-west-1")
    if how == "sigterm":
        # A clean shutdown writes the usage kept in memory.
        assert kms.get_key_last_usage(KeyId=hsm_key)["KeyLastUsage"]["Operation"] == "Encrypt"

    store = kms.describe_custom_key_stores(CustomKeyStoreId=store_id)["CustomKeyStores"][0]
    assert store["ConnectionState"] == "CONNECTED" and store["CloudHsmClusterId"] == "cluster-234abcdefgh"
    md = kms.describe_key(KeyId=hsm_key)["KeyMetadata"]
    assert md["CustomKeyStoreId"] == store_id and md["Origin"] == "AWS_CLOUDHSM"
    assert kms.decrypt(CiphertextBlob=hsm_blob)["Plaintext"] == b"hsm"

    replica = other.describe_key(KeyId=mrk)["KeyMetadata"]
    assert replica["Description"] == "replica"
    assert replica["MultiRegionConfiguration"]["MultiRegionKeyType"] == "PRIMARY"
    assert kms.describe_key(KeyId=mrk)["KeyMetadata"]["MultiRegionConfiguration"]["MultiRegionKeyType"] == "REPLICA"
    assert other.decrypt(CiphertextBlob=blob)["Plaintext"] == b"mr"
