"""Custom key stores: CloudHSM and external key stores, their connection states on
the controllable clock, and keys made in them."""
import pytest

from .conftest import code, error_of

CERT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"
CREDENTIAL = {"AccessKeyId": "ABCDEFGHIJKLMNOPQRST", "RawSecretAccessKey": "a" * 43}
CONNECT_SECONDS = 20


def cloudhsm_store(kms, name="hsm", cluster="cluster-234abcdefgh"):
    return kms.create_custom_key_store(CustomKeyStoreName=name, CloudHsmClusterId=cluster,
                                       TrustAnchorCertificate=CERT, KeyStorePassword="kmsPswd1")["CustomKeyStoreId"]


def xks_store(kms, name="xks", endpoint="https://xks.example.com", path="/kms/xks/v1", **extra):
    return kms.create_custom_key_store(
        CustomKeyStoreName=name, CustomKeyStoreType="EXTERNAL_KEY_STORE", XksProxyUriEndpoint=endpoint,
        XksProxyUriPath=path, XksProxyAuthenticationCredential=CREDENTIAL,
        XksProxyConnectivity=extra.pop("XksProxyConnectivity", "PUBLIC_ENDPOINT"), **extra)["CustomKeyStoreId"]


def describe(kms, store_id):
    return kms.describe_custom_key_stores(CustomKeyStoreId=store_id)["CustomKeyStores"][0]


def connected(kms, nubis, store_id):
    kms.connect_custom_key_store(CustomKeyStoreId=store_id)
    nubis.advance(CONNECT_SECONDS)
    assert describe(kms, store_id)["ConnectionState"] == "CONNECTED"
    return store_id


def test_a_cloudhsm_store_is_created_disconnected(kms):
    store_id = cloudhsm_store(kms)
    assert store_id.startswith("cks-")
    store = describe(kms, store_id)
    assert store["CustomKeyStoreName"] == "hsm"
    assert store["CustomKeyStoreType"] == "AWS_CLOUDHSM"
    assert store["CloudHsmClusterId"] == "cluster-234abcdefgh"
    assert store["TrustAnchorCertificate"] == CERT
    assert store["ConnectionState"] == "DISCONNECTED"
    assert "KeyStorePassword" not in store


def test_an_external_store_shows_its_proxy_configuration_but_not_the_secret(kms):
    store_id = xks_store(kms, "vpc", endpoint="https://private.example.com", path="/a/kms/xks/v2",
                         XksProxyConnectivity="VPC_ENDPOINT_SERVICE",
                         XksProxyVpcEndpointServiceName="com.amazonaws.vpce.us-east-1.vpce-svc-0123abc")
    store = describe(kms, store_id)
    assert store["CustomKeyStoreType"] == "EXTERNAL_KEY_STORE"
    assert store["XksProxyConfiguration"] == {
        "Connectivity": "VPC_ENDPOINT_SERVICE", "AccessKeyId": CREDENTIAL["AccessKeyId"],
        "UriEndpoint": "https://private.example.com", "UriPath": "/a/kms/xks/v2",
        "VpcEndpointServiceName": "com.amazonaws.vpce.us-east-1.vpce-svc-0123abc"}
    assert "CloudHsmClusterId" not in store


@pytest.mark.parametrize("missing", ["CloudHsmClusterId", "TrustAnchorCertificate", "KeyStorePassword"])
def test_a_cloudhsm_store_needs_its_cluster_certificate_and_password(kms, missing):
    params = {"CustomKeyStoreName": "hsm", "CloudHsmClusterId": "cluster-234abcdefgh",
              "TrustAnchorCertificate": CERT, "KeyStorePassword": "kmsPswd1"}
    del params[missing]
    err = error_of(lambda: kms.create_custom_key_store(**params))
    assert code(err) == "ValidationException" and missing in err.response["Error"]["Message"]


def test_an_external_store_needs_its_proxy_settings(kms):
    err = error_of(lambda: kms.create_custom_key_store(
        CustomKeyStoreName="x", CustomKeyStoreType="EXTERNAL_KEY_STORE", XksProxyUriEndpoint="https://x.example.com",
        XksProxyUriPath="/kms/xks/v1", XksProxyConnectivity="PUBLIC_ENDPOINT"))
    assert code(err) == "ValidationException"
    # A VPC endpoint service store names its service; a public one may not.
    err = error_of(lambda: xks_store(kms, XksProxyConnectivity="VPC_ENDPOINT_SERVICE"))
    assert code(err) == "ValidationException"
    err = error_of(lambda: xks_store(kms, XksProxyVpcEndpointServiceName="com.amazonaws.vpce.us-east-1.vpce-svc-0a"))
    assert code(err) == "ValidationException"


def test_a_bad_proxy_path_is_refused(raw_kms):
    err = error_of(lambda: xks_store(raw_kms, path="/not/the/xks/api"))
    assert code(err) == "ValidationException"


def test_names_clusters_and_proxy_uris_are_unique(kms):
    cloudhsm_store(kms)
    assert code(error_of(lambda: cloudhsm_store(kms, cluster="cluster-567abcdefgh"))) == \
        "CustomKeyStoreNameInUseException"
    assert code(error_of(lambda: cloudhsm_store(kms, name="other"))) == "CloudHsmClusterInUseException"
    xks_store(kms)
    assert code(error_of(lambda: xks_store(kms, name="xks2"))) == "XksProxyUriInUseException"
    xks_store(kms, name="xks3", path="/other/kms/xks/v1")  # another path on the same endpoint is fine


def test_describe_by_name_pages_and_not_found(kms):
    ids = [cloudhsm_store(kms, f"s{i}", cluster=f"cluster-{'abc'[i]}34abcdefgh") for i in range(3)]
    assert kms.describe_custom_key_stores(CustomKeyStoreName="s1")["CustomKeyStores"][0]["CustomKeyStoreId"] == ids[1]
    first = kms.describe_custom_key_stores(Limit=2)
    assert first["Truncated"] and len(first["CustomKeyStores"]) == 2
    rest = kms.describe_custom_key_stores(Limit=2, Marker=first["NextMarker"])
    assert not rest["Truncated"]
    assert [s["CustomKeyStoreId"] for s in first["CustomKeyStores"] + rest["CustomKeyStores"]] == ids
    assert code(error_of(lambda: kms.describe_custom_key_stores(CustomKeyStoreId="cks-00000000000000000"))) == \
        "CustomKeyStoreNotFoundException"
    assert code(error_of(lambda: kms.describe_custom_key_stores(CustomKeyStoreName="nope"))) == \
        "CustomKeyStoreNotFoundException"


def test_stores_are_regional(kms, aws_client):
    store_id = cloudhsm_store(kms)
    other = aws_client("kms", region="eu-west-1")
    assert other.describe_custom_key_stores()["CustomKeyStores"] == []
    assert code(error_of(lambda: other.describe_custom_key_stores(CustomKeyStoreId=store_id))) == \
        "CustomKeyStoreNotFoundException"


def test_connecting_takes_time_on_the_clock(kms, nubis):
    store_id = cloudhsm_store(kms)
    kms.connect_custom_key_store(CustomKeyStoreId=store_id)
    assert describe(kms, store_id)["ConnectionState"] == "CONNECTING"
    kms.connect_custom_key_store(CustomKeyStoreId=store_id)  # connecting again is fine
    nubis.advance(CONNECT_SECONDS - 1)
    assert describe(kms, store_id)["ConnectionState"] == "CONNECTING"
    nubis.advance(1)
    assert describe(kms, store_id)["ConnectionState"] == "CONNECTED"
    kms.connect_custom_key_store(CustomKeyStoreId=store_id)  # and connecting a connected store too

    kms.disconnect_custom_key_store(CustomKeyStoreId=store_id)
    assert describe(kms, store_id)["ConnectionState"] == "DISCONNECTING"
    err = error_of(lambda: kms.connect_custom_key_store(CustomKeyStoreId=store_id))
    assert code(err) == "CustomKeyStoreInvalidStateException"
    err = error_of(lambda: kms.disconnect_custom_key_store(CustomKeyStoreId=store_id))
    assert code(err) == "CustomKeyStoreInvalidStateException"
    nubis.advance(5)
    assert describe(kms, store_id)["ConnectionState"] == "DISCONNECTED"
    err = error_of(lambda: kms.disconnect_custom_key_store(CustomKeyStoreId=store_id))
    assert code(err) == "CustomKeyStoreInvalidStateException"


def test_update_renames_while_connected_but_changes_settings_only_disconnected(kms, nubis):
    store_id = connected(kms, nubis, xks_store(kms))
    kms.update_custom_key_store(CustomKeyStoreId=store_id, NewCustomKeyStoreName="renamed")
    assert describe(kms, store_id)["CustomKeyStoreName"] == "renamed"
    err = error_of(lambda: kms.update_custom_key_store(CustomKeyStoreId=store_id, XksProxyUriPath="/kms/xks/v2"))
    assert code(err) == "CustomKeyStoreInvalidStateException"
    kms.disconnect_custom_key_store(CustomKeyStoreId=store_id)
    nubis.advance(5)
    kms.update_custom_key_store(CustomKeyStoreId=store_id, XksProxyUriPath="/kms/xks/v2",
                                XksProxyAuthenticationCredential={"AccessKeyId": "ZYXWVUTSRQPONMLKJIHG",
                                                                  "RawSecretAccessKey": "b" * 43})
    config = describe(kms, store_id)["XksProxyConfiguration"]
    assert config["UriPath"] == "/kms/xks/v2" and config["AccessKeyId"] == "ZYXWVUTSRQPONMLKJIHG"
    assert config["UriEndpoint"] == "https://xks.example.com"
    # CloudHSM settings do not belong to an external store.
    err = error_of(lambda: kms.update_custom_key_store(CustomKeyStoreId=store_id, KeyStorePassword="another1"))
    assert code(err) == "ValidationException"


def test_update_keeps_names_unique(kms):
    cloudhsm_store(kms, "a", cluster="cluster-234abcdefgh")
    b = cloudhsm_store(kms, "b", cluster="cluster-567abcdefgh")
    err = error_of(lambda: kms.update_custom_key_store(CustomKeyStoreId=b, NewCustomKeyStoreName="a"))
    assert code(err) == "CustomKeyStoreNameInUseException"
    kms.update_custom_key_store(CustomKeyStoreId=b, KeyStorePassword="newPassw0rd",
                                CloudHsmClusterId="cluster-777abcdefgh")
    assert describe(kms, b)["CloudHsmClusterId"] == "cluster-777abcdefgh"


def test_keys_in_a_cloudhsm_store(kms, nubis):
    store_id = cloudhsm_store(kms)
    err = error_of(lambda: kms.create_key(CustomKeyStoreId=store_id, Origin="AWS_CLOUDHSM"))
    assert code(err) == "CustomKeyStoreInvalidStateException"
    connected(kms, nubis, store_id)
    md = kms.create_key(CustomKeyStoreId=store_id, Origin="AWS_CLOUDHSM", Description="hsm key")["KeyMetadata"]
    assert md["Origin"] == "AWS_CLOUDHSM" and md["CustomKeyStoreId"] == store_id
    assert md["CloudHsmClusterId"] == "cluster-234abcdefgh" and md["KeyState"] == "Enabled"
    blob = kms.encrypt(KeyId=md["KeyId"], Plaintext=b"secret")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"secret"
    assert len(kms.generate_random(NumberOfBytes=16, CustomKeyStoreId=store_id)["Plaintext"]) == 16

    # Disconnected, its keys are unavailable.
    kms.disconnect_custom_key_store(CustomKeyStoreId=store_id)
    nubis.advance(5)
    described = kms.describe_key(KeyId=md["KeyId"])["KeyMetadata"]
    assert described["KeyState"] == "Unavailable" and described["Enabled"] is False
    assert code(error_of(lambda: kms.decrypt(CiphertextBlob=blob))) == "KMSInvalidStateException"
    assert code(error_of(lambda: kms.generate_random(NumberOfBytes=16, CustomKeyStoreId=store_id))) == \
        "CustomKeyStoreInvalidStateException"
    connected(kms, nubis, store_id)
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"secret"


def test_keys_in_an_external_store_name_their_external_key(kms, nubis):
    store_id = connected(kms, nubis, xks_store(kms))
    err = error_of(lambda: kms.create_key(CustomKeyStoreId=store_id, Origin="EXTERNAL_KEY_STORE"))
    assert code(err) == "ValidationException"
    md = kms.create_key(CustomKeyStoreId=store_id, Origin="EXTERNAL_KEY_STORE", XksKeyId="ext-key-1")["KeyMetadata"]
    assert md["Origin"] == "EXTERNAL_KEY_STORE" and md["XksKeyConfiguration"] == {"Id": "ext-key-1"}
    assert md["CustomKeyStoreId"] == store_id and "CloudHsmClusterId" not in md
    err = error_of(lambda: kms.create_key(CustomKeyStoreId=store_id, Origin="EXTERNAL_KEY_STORE",
                                          XksKeyId="ext-key-1"))
    assert code(err) == "XksKeyAlreadyInUseException"
    data_key = kms.generate_data_key(KeyId=md["KeyId"], KeySpec="AES_256")
    assert kms.decrypt(CiphertextBlob=data_key["CiphertextBlob"])["Plaintext"] == data_key["Plaintext"]
    assert code(error_of(lambda: kms.generate_random(NumberOfBytes=8, CustomKeyStoreId=store_id))) == \
        "UnsupportedOperationException"


def test_create_key_checks_origin_spec_and_store(kms, nubis):
    hsm = connected(kms, nubis, cloudhsm_store(kms))
    err = error_of(lambda: kms.create_key(CustomKeyStoreId=hsm))  # Origin AWS_KMS
    assert code(err) == "ValidationException"
    err = error_of(lambda: kms.create_key(Origin="AWS_CLOUDHSM"))  # no store
    assert code(err) == "ValidationException"
    err = error_of(lambda: kms.create_key(CustomKeyStoreId=hsm, Origin="AWS_CLOUDHSM", KeySpec="RSA_2048",
                                          KeyUsage="SIGN_VERIFY"))
    assert code(err) == "UnsupportedOperationException"
    err = error_of(lambda: kms.create_key(CustomKeyStoreId=hsm, Origin="AWS_CLOUDHSM", MultiRegion=True))
    assert code(err) == "UnsupportedOperationException"
    err = error_of(lambda: kms.create_key(CustomKeyStoreId="cks-00000000000000000", Origin="AWS_CLOUDHSM"))
    assert code(err) == "CustomKeyStoreNotFoundException"


def test_delete_needs_the_store_disconnected_and_empty(kms, nubis):
    store_id = connected(kms, nubis, cloudhsm_store(kms))
    key = kms.create_key(CustomKeyStoreId=store_id, Origin="AWS_CLOUDHSM")["KeyMetadata"]["KeyId"]
    err = error_of(lambda: kms.delete_custom_key_store(CustomKeyStoreId=store_id))
    assert code(err) == "CustomKeyStoreInvalidStateException"
    kms.disconnect_custom_key_store(CustomKeyStoreId=store_id)
    nubis.advance(5)
    kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    err = error_of(lambda: kms.delete_custom_key_store(CustomKeyStoreId=store_id))
    assert code(err) == "CustomKeyStoreHasCMKsException"
    nubis.advance(7 * 86400)
    kms.delete_custom_key_store(CustomKeyStoreId=store_id)
    assert kms.describe_custom_key_stores()["CustomKeyStores"] == []
    err = error_of(lambda: kms.delete_custom_key_store(CustomKeyStoreId=store_id))
    assert code(err) == "CustomKeyStoreNotFoundException"
