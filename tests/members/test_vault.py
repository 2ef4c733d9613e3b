"""The NIK vault, without Django."""

import pytest

from members.vault import VaultError, new_key_spec, parse_keys, vault_from

HMAC = "c2VjcmV0LWhtYWMta2V5LWZvci10ZXN0cy1vbmx5LTEyMzQ1Njc4OTA"


def test_a_nik_round_trips_and_the_ciphertext_does_not_contain_it():
    keys = vault_from(new_key_spec("k1"), HMAC)
    blob, key_id = keys.encrypt("5271014408900001", purpose="nik")
    assert key_id == "k1"
    assert b"5271014408900001" not in blob
    assert keys.decrypt(blob, key_id, purpose="nik") == "5271014408900001"


def test_the_same_nik_encrypts_differently_each_time_but_digests_the_same():
    keys = vault_from(new_key_spec("k1"), HMAC)
    assert (
        keys.encrypt("5271014408900001", purpose="nik")[0]
        != keys.encrypt("5271014408900001", purpose="nik")[0]
    )
    assert keys.digest("5271014408900001", purpose="nik") == keys.digest("5271014408900001", purpose="nik")


def test_an_old_key_still_decrypts_after_rotation():
    old = new_key_spec("k1")
    before = vault_from(old, HMAC)
    blob, key_id = before.encrypt("5271014408900001", purpose="nik")
    after = vault_from(f"{new_key_spec('k2')},{old}", HMAC)
    assert after.current_key_id == "k2"
    assert after.decrypt(blob, key_id, purpose="nik") == "5271014408900001"


def test_a_ciphertext_cannot_be_read_as_another_field():
    from cryptography.exceptions import InvalidTag

    keys = vault_from(new_key_spec("k1"), HMAC)
    blob, key_id = keys.encrypt("5271014408900001", purpose="nik")
    with pytest.raises(InvalidTag):
        keys.decrypt(blob, key_id, purpose="kk")


@pytest.mark.parametrize("spec", ["", "nocolon", "k1:c2hvcnQ", "a-very-long-key-identifier:" + "A" * 43])
def test_bad_key_specifications_are_refused(spec):
    with pytest.raises(VaultError):
        parse_keys(spec)


def test_the_digest_is_hmac_sha256_of_purpose_and_value():
    # Stored digests must never change: this is the value of the HMAC as first written (hmac.new + update).
    keys = vault_from(new_key_spec("k1"), HMAC)
    assert (
        keys.digest("5271014408900001", purpose="nik")
        == "4a3d287e70968a85cd9e7df1c7fcba114557d60d7eb60e50268657315b708fef"
    )


def test_many_values_encrypt_at_once_each_with_its_own_nonce():
    keys = vault_from(new_key_spec("k1"), HMAC)
    values = [f"52710144089{index:05d}" for index in range(200)] + ["5271014408900001"] * 2
    sealed = keys.encrypt_many(values, purpose="nik")
    assert [keys.decrypt(blob, "k1", purpose="nik") for blob in sealed] == values
    assert len({blob[:12] for blob in sealed}) == len(values)
    assert sealed[-1] != sealed[-2]
    assert keys.encrypt_many([], purpose="nik") == []
