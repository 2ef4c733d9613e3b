"""Card tokens: a card's id signed with Ed25519, compact enough for a small QR code.

token = base64url(version byte 0x01 || card id, 5 bytes big-endian || Ed25519 signature of the first 6
bytes, 64 bytes), 94 characters without padding. A partner app verifies it offline with the published
public key; the server also checks that the card is still valid (not replaced or revoked).
Plain Python (the `cryptography` package), no Django.
"""

from __future__ import annotations

import base64
import binascii

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

VERSION = 1
ID_BYTES = 5
PAYLOAD_BYTES = 1 + ID_BYTES
SIGNATURE_BYTES = 64
TOKEN_LENGTH = 94  # base64url of 70 bytes, unpadded


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def private_key_from_seed(seed_b64: str) -> Ed25519PrivateKey:
    seed = _b64decode(seed_b64)
    if len(seed) != 32:
        raise ValueError("an Ed25519 seed has 32 bytes")
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key_b64(private_key: Ed25519PrivateKey) -> str:
    """The raw 32-byte public key, base64url: what partner apps verify with."""
    return _b64encode(private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))


def sign(card_id: int, private_key: Ed25519PrivateKey) -> str:
    if not 0 < card_id < 256**ID_BYTES:
        raise ValueError("card id out of range")
    payload = bytes([VERSION]) + card_id.to_bytes(ID_BYTES, "big")
    return _b64encode(payload + private_key.sign(payload))


def verify(token: str, public_key: Ed25519PublicKey) -> int | None:
    """The card id of a genuine token, or None (malformed, wrong version, bad signature)."""
    if len(token) != TOKEN_LENGTH:
        return None
    try:
        raw = _b64decode(token)
    except (binascii.Error, ValueError):
        return None
    if len(raw) != PAYLOAD_BYTES + SIGNATURE_BYTES or raw[0] != VERSION:
        return None
    payload, signature = raw[:PAYLOAD_BYTES], raw[PAYLOAD_BYTES:]
    try:
        public_key.verify(signature, payload)
    except InvalidSignature:
        return None
    return int.from_bytes(payload[1:], "big")
