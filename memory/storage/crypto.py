"""Encryption at rest of the text and data a user confides, and opaque keyword-search terms.

- `EncryptedText` / `EncryptedJSON` are SQLAlchemy column types that encrypt on the way into SQL
  and decrypt on the way out with Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`), through
  a `MultiFernet`: the first key encrypts, every key decrypts, so keys rotate without downtime
  (`memadvisor rotate-key`).
- Keyword search stores a keyed hash (HMAC-SHA256, truncated) of each term instead of the word:
  BM25 only needs equal terms to be equal, and the database no longer lists a user's words. The
  hash key is separate from the encryption keys, so rotating encryption keys leaves the terms alone.

Column types cannot take constructor arguments from settings (models are defined at import time),
so each engine carries its `Keyring` on its dialect (`attach`); a column read or written through an
engine without one fails loudly instead of storing plaintext.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Engine, Text
from sqlalchemy.dialects import mysql
from sqlalchemy.types import TypeDecorator

_DIALECT_ATTRIBUTE = "memadvisor_keyring"
DEV_KEYS_FILE = "keys.json"
TERM_HEX_CHARS = 16
"""64 bits of HMAC per term: collisions between a user's words are vanishingly rare."""


class EncryptionKeyError(RuntimeError):
    """Keys are missing, malformed, or do not open the stored data."""


class Keyring:
    """The encryption keys (newest first) and the key of keyword-term hashes."""

    def __init__(self, encryption_keys: Sequence[str], term_key: str) -> None:
        if not encryption_keys:
            raise EncryptionKeyError("at least one encryption key is needed")
        try:
            self._fernet = MultiFernet([Fernet(key.encode()) for key in encryption_keys])
        except ValueError as exc:
            raise EncryptionKeyError(
                "an encryption key is not a Fernet key (32 url-safe base64-encoded bytes); make "
                "one with `python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'`"
            ) from exc
        self._term_key = term_key.encode()

    def encrypt(self, plaintext: str) -> str:
        """Ciphertext (ASCII) of `plaintext` under the newest key."""
        return self._fernet.encrypt(plaintext.encode()).decode("ascii")

    def decrypt(self, ciphertext: str) -> str:
        """Plaintext of a value encrypted under any of the keys."""
        try:
            return self._fernet.decrypt(ciphertext.encode("ascii")).decode()
        except (InvalidToken, UnicodeEncodeError) as exc:
            raise EncryptionKeyError(
                "a stored value cannot be decrypted with MEMADVISOR_ENCRYPTION_KEYS: was a key "
                "removed before `memadvisor rotate-key` ran, or is this another installation's "
                "database?"
            ) from exc

    def rotate(self, ciphertext: str) -> str:
        """The same plaintext, re-encrypted under the newest key."""
        try:
            return self._fernet.rotate(ciphertext.encode("ascii")).decode("ascii")
        except InvalidToken as exc:
            raise EncryptionKeyError("a stored value cannot be decrypted with any key") from exc

    def hash_terms(self, terms: Iterable[str]) -> list[str]:
        """Keyed hashes of keyword terms: equal terms give equal hashes, words are not revealed."""
        key = self._term_key
        return [
            hmac.new(key, term.encode(), hashlib.sha256).hexdigest()[:TERM_HEX_CHARS]
            for term in terms
        ]


def development_keys(data_dir: Path) -> tuple[list[str], str]:
    """Keys kept in `<data_dir>/keys.json` (created 0600 on first use): development only.

    Whoever can read the data folder can read this file too, so it protects against leaked
    database files and backups of the database alone, not against a stolen data folder.
    """
    path = data_dir / DEV_KEYS_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        document = {
            "encryption_keys": [Fernet.generate_key().decode()],
            "term_key": secrets.token_urlsafe(32),
        }
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            json.dump(document, handle)
    document = json.loads(path.read_text())
    return list(document["encryption_keys"]), str(document["term_key"])


def add_development_key(data_dir: Path) -> None:
    """Put a new first key in the development key file (older keys still decrypt)."""
    keys, term_key = development_keys(data_dir)
    path = data_dir / DEV_KEYS_FILE
    document = {"encryption_keys": [Fernet.generate_key().decode(), *keys], "term_key": term_key}
    path.write_text(json.dumps(document))


def attach(engine: Engine, keyring: Keyring) -> None:
    """Let the encrypted columns of this engine use `keyring`."""
    setattr(engine.dialect, _DIALECT_ATTRIBUTE, keyring)


def _keyring(dialect: Any) -> Keyring:
    keyring = getattr(dialect, _DIALECT_ATTRIBUTE, None)
    if keyring is None:
        raise EncryptionKeyError(
            "this engine has no encryption keys: build it with `make_engine(url, keyring=...)`"
        )
    assert isinstance(keyring, Keyring)
    return keyring


LongText = Text().with_variant(mysql.LONGTEXT(), "mysql")
"""Ciphertext is about 4/3 the size of its plaintext plus 57 bytes: always a long text column."""


class EncryptedText(TypeDecorator[str]):
    """A text column stored encrypted (the empty string too: its length is not revealed)."""

    impl = LongText
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        """Encrypt on the way in."""
        return None if value is None else _keyring(dialect).encrypt(value)

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        """Decrypt on the way out."""
        return None if value is None else _keyring(dialect).decrypt(value)


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON value stored encrypted (as text: SQL cannot look inside it any more)."""

    impl = LongText
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        """Serialise, then encrypt."""
        if value is None:
            return None
        return _keyring(dialect).encrypt(json.dumps(value, ensure_ascii=False))

    def process_result_value(self, value: str | None, dialect: Any) -> Any:
        """Decrypt, then parse."""
        return None if value is None else json.loads(_keyring(dialect).decrypt(value))
