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
