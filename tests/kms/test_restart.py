"""KMS across restarts of a real nubis process: keys, aliases, rotated material and
pending deletions come back, old ciphertexts still decrypt, and key material is not
in the database in the clear."""
import glob
import os

import pytest

from .test_import import import_material

DAY = 86400


@pytest.mark.parametrize("how", ["sigterm", "kill9"])
def test_keys_survive_a_restart(server_process, tmp_path, how):
    data = str(tmp_path / "data")
    server = server_process("--data-dir", data)
    kms = server.client("kms")
    key = kms.create_key(Description="durable", Tags=[{"TagKey": "k", "TagValue": "v"}])["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/durable", TargetKeyId=key)
    before = kms.encrypt(KeyId=key, Plaintext=b"old", EncryptionContext={"x": "y"})["CiphertextBlob"]
    kms.rotate_key_on_demand(KeyId=key)
    after = kms.encrypt(KeyId="alias/durable", Plaintext=b"new")["CiphertextBlob"]
    signing = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    public = kms.get_public_key(KeyId=signing)["PublicKey"]
    signature = kms.sign(KeyId=signing, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    doomed = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.schedule_key_deletion(KeyId=doomed, PendingWindowInDays=7)
    grant = kms.create_grant(KeyId=key, GranteePrincipal="arn:aws:iam::000000000000:role/r", Operations=["Decrypt"])

    if how == "sigterm":
        assert server.terminate() == 0
    else:
        server.kill9()
    server = server_process("--data-dir", data)
    kms = server.client("kms")

    md = kms.describe_key(KeyId="alias/durable")["KeyMetadata"]
    assert md["KeyId"] == key and md["Description"] == "durable"
    assert kms.list_resource_tags(KeyId=key)["Tags"] == [{"TagKey": "k", "TagValue": "v"}]
    assert kms.decrypt(CiphertextBlob=before, EncryptionContext={"x": "y"})["Plaintext"] == b"old"
    assert kms.decrypt(CiphertextBlob=after)["Plaintext"] == b"new"
    assert len(kms.list_key_rotations(KeyId=key)["Rotations"]) == 1
    assert kms.get_public_key(KeyId=signing)["PublicKey"] == public
    assert kms.verify(KeyId=signing, Message=b"m", Signature=signature,
                      SigningAlgorithm="ECDSA_SHA_256")["SignatureValid"] is True
    assert [g["GrantId"] for g in kms.list_grants(KeyId=key)["Grants"]] == [grant["GrantId"]]
    # The deletion timer survived too.
    assert kms.describe_key(KeyId=doomed)["KeyMetadata"]["KeyState"] == "PendingDeletion"
    server.post("/_nubis/clock", {"advance_seconds": 7 * DAY + 1})
    assert [k["KeyId"] for k in kms.list_keys()["Keys"]].count(doomed) == 0


def test_key_material_is_sealed_at_rest(server_process, tmp_path):
    data = str(tmp_path / "data")
    server = server_process("--data-dir", data)
    kms = server.client("kms")
    key = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    material = os.urandom(32)
    import_material(kms, key, material)
    blob = kms.encrypt(KeyId=key, Plaintext=b"p")["CiphertextBlob"]
    assert server.terminate() == 0
    stored = b"".join(open(p, "rb").read() for p in glob.glob(os.path.join(data, "nubis.db*")))
    assert stored and material not in stored
    master = os.path.join(data, "kms", "master.key")
    assert os.stat(master).st_mode & 0o077 == 0

    # The master key beside the database opens the material again after a restart.
    server = server_process("--data-dir", data)
    assert server.client("kms").decrypt(CiphertextBlob=blob)["Plaintext"] == b"p"
