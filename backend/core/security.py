"""Security primitives: password hashing, opaque tokens, field encryption and fingerprints."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# argon2id with the library's RFC 9106 "low memory" profile: strong, yet a login costs ~50 ms
# and 64 MiB is not held per request on a 2-core machine.
_hasher = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        # Spend the same time as a real check so a missing account does not answer faster.
        _hasher.hash(password)
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def new_token(nbytes: int = 32) -> str:
    """An opaque, URL-safe random token (32 bytes = 256 bits by default)."""
    return secrets.token_urlsafe(nbytes)


def token_hash(token: str) -> str:
    """Tokens are stored only as SHA-256 hashes: high-entropy, so no salt or slow hash needed."""
    return hashlib.sha256(token.encode()).hexdigest()


def digits_code(length: int = 6) -> str:
    return "".join(secrets.choice("0123456789") for _ in range(length))


@lru_cache(maxsize=8)
def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(master)


def keyed_hash(master_key: bytes, purpose: str, value: str) -> str:
    """A keyed fingerprint (HMAC-SHA256 under a key derived for ``purpose``)."""
    key = _derive(master_key, b"qiyou-fingerprint:" + purpose.encode())
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


@lru_cache(maxsize=8)
def _cipher(master: bytes) -> AESGCM:
    # Building the cipher costs more than a short decryption (5.8 µs against 2.1 µs per call
    # for an address); a caregiver's day or a roster decrypts several fields per answer. The
    # object keeps only the key: each call makes its own context, so sharing it is safe.
    return AESGCM(_derive(master, b"qiyou-encryption"))


# The first byte of everything ``encrypt`` returns: the format's version.
SEALED_VERSION = b"\x01"


def encrypt(master_key: bytes, purpose: str, plaintext: str) -> bytes:
    """AES-256-GCM; the purpose is bound as associated data so ciphertexts cannot be swapped."""
    nonce = os.urandom(12)
    return (
        SEALED_VERSION
        + nonce
        + _cipher(master_key).encrypt(nonce, plaintext.encode(), purpose.encode())
    )


def decrypt(master_key: bytes, purpose: str, blob: bytes) -> str:
    if not blob or blob[:1] != SEALED_VERSION:
        raise ValueError("unknown ciphertext version")
    nonce, body = blob[1:13], blob[13:]
    return _cipher(master_key).decrypt(nonce, body, purpose.encode()).decode()


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


@dataclass(frozen=True, slots=True)
class SealedCode:
    """A code a resident shows at a door (a ticket, a booking's check-in code), as stored: its
    keyed hash, unique and looked up when the code is scanned, and the code encrypted, to show
    it to its owner again. Neither gives the code away without the data key."""

    code: str
    digest: str
    sealed: bytes


def code_digest(master_key: bytes, purpose: str, code: str) -> str:
    """The lookup value of a scanned code: a keyed hash, so a copy of the database cannot be
    turned into codes that open doors."""
    return keyed_hash(master_key, purpose, code)


def seal_code(master_key: bytes, purpose: str, code: str) -> SealedCode:
    return SealedCode(
        code=code,
        digest=code_digest(master_key, purpose, code),
        sealed=encrypt(master_key, purpose, code),
    )


def open_code(master_key: bytes, purpose: str, sealed: bytes) -> str:
    return decrypt(master_key, purpose, sealed)
