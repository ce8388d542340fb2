"""Phone numbers: normalised, hashed with a key, sealed to their ticket, never shown whole."""

from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidTag

from queue_core.domain.errors import InvalidInput
from queue_core.notify.phones import PhoneVault, masked, normalize_phone


def test_what_people_type_becomes_one_number() -> None:
    for typed in ("138 1234 5678", "+86 138-1234-5678", "008613812345678", "8613812345678"):
        assert normalize_phone(typed) == "+8613812345678"
    for bad in ("12345", "02912345678", "1381234567x", "+1 415 555 0100", ""):
        with pytest.raises(InvalidInput) as info:
            normalize_phone(bad)
        assert info.value.code == "invalid_phone"
    assert masked("+8613812345678") == "138****5678"


def test_the_hash_needs_the_branch_key_and_the_seal_is_bound_to_its_ticket() -> None:
    vault = PhoneVault(b"k" * 32)
    other = PhoneVault(b"j" * 32)
    phone = "+8613812345678"
    assert vault.digest(phone) == vault.digest(phone) != other.digest(phone)
    assert phone[3:] not in vault.digest(phone)
    sealed = vault.seal(phone, "ticket-1")
    assert phone[3:] not in sealed and sealed != vault.seal(phone, "ticket-1")  # fresh nonce
    assert vault.open(sealed, "ticket-1") == phone
    with pytest.raises(InvalidTag):
        vault.open(sealed, "ticket-2")
    with pytest.raises(InvalidTag):
        other.open(sealed, "ticket-1")
