"""The project's card signing key (settings.CARD_SIGNING_KEY, an Ed25519 seed) and token helpers."""

from __future__ import annotations

from functools import cache

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings

from . import tokens


@cache
def _private_key(seed: str) -> Ed25519PrivateKey:
    return tokens.private_key_from_seed(seed)


def private_key() -> Ed25519PrivateKey:
    return _private_key(settings.CARD_SIGNING_KEY)


def public_key_b64() -> str:
    return tokens.public_key_b64(private_key())


def card_token(card_id: int) -> str:
    return tokens.sign(card_id, private_key())


def card_id_of(token: str) -> int | None:
    return tokens.verify(token, private_key().public_key())
