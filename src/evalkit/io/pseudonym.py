"""Keyed pseudonyms for direct identifiers (HMAC-SHA256).

A pseudonym is ``HMAC-SHA256(key, kind + ":" + value)``, cut to 16 hex
characters and prefixed by the kind's letter (``P`` person, ``H`` household).
The same value gets the same pseudonym in every file and year cleaned with the
same key, so panels still link; without the key nobody can recompute it from
a guessed ID number, which a plain hash would allow.

The key is secret and belongs to the data owner. It is read from the
``EVALKIT_PSEUDONYM_KEY`` environment variable or from a key file outside the
repository; evalkit refuses to pseudonymize with no key, a short key, or a key
file inside the repository, instead of falling back to a default that anyone
could guess.

Examples
--------
>>> key = PseudonymKey(b"0123456789abcdef0123456789abcdef")
>>> pseudonymize(["110105194912310029", "110105194912310029"], key, "person")
['P22280ff5c2aac544', 'P22280ff5c2aac544']
>>> pseudonymize(["H001"], key, "household")[0][:1]
'H'
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from evalkit import paths
from evalkit.errors import ConfigurationError

__all__ = ["PseudonymKey", "load_key", "pseudonymize", "new_key_file", "KEY_ENV", "MIN_KEY_BYTES"]

KEY_ENV = "EVALKIT_PSEUDONYM_KEY"
MIN_KEY_BYTES = 32
_PREFIX = {"person": "P", "person_id": "Q", "household": "H"}

_HOW = (
    f"Create a key once and keep it outside the repository, e.g. `evalkit key --new ~/.config/evalkit/pseudonym.key`, "
    f"then pass `--key-file PATH` or set {KEY_ENV}. Use the same key every year so pseudonyms link."
)


@dataclass(frozen=True)
class PseudonymKey:
    """A secret key (bytes). Its ``repr`` never shows the key."""

    secret: bytes = field(repr=False)
    source: str = "given"

    def __post_init__(self) -> None:
        if len(self.secret) < MIN_KEY_BYTES:
            raise ConfigurationError(
                f"the pseudonym key from {self.source} has {len(self.secret)} bytes; at least {MIN_KEY_BYTES} "
                f"are needed so it cannot be guessed. {_HOW}"
            )
        if len(set(self.secret)) < 8:
            raise ConfigurationError(
                f"the pseudonym key from {self.source} is not random (too few distinct characters). {_HOW}"
            )


def load_key(key_file: str | os.PathLike[str] | None = None) -> PseudonymKey:
    """Read the key from ``key_file`` or, if None, from the environment; refuse otherwise.

    Raises
    ------
    ConfigurationError
        No key, a short or non-random key, an unreadable key file, or a key file inside the repository.
    """
    if key_file is not None:
        path = Path(key_file).expanduser().resolve()
        root = paths.project_root().resolve()
        if path == root or root in path.parents:
            raise ConfigurationError(
                f"the key file {path} lies inside the evalkit repository, where it could be committed. "
                f"Move it outside ({root}) and pass the new path."
            )
        try:
            secret = path.read_bytes().strip()
        except OSError as exc:
            raise ConfigurationError(f"cannot read the key file {path}: {exc.strerror}. {_HOW}") from None
        return PseudonymKey(secret, source=f"key file {path}")
    value = os.environ.get(KEY_ENV, "").strip()
    if not value:
        raise ConfigurationError(f"no pseudonym key: evalkit will not write de-identified data without one. {_HOW}")
    return PseudonymKey(value.encode("utf-8"), source=f"${KEY_ENV}")


def pseudonymize(values: Iterable[object], key: PseudonymKey, kind: str) -> list[str | None]:
    """Keyed pseudonyms of ``values`` (None for missing values).

    Parameters
    ----------
    values
        Identifier values, already normalized (so that one person has one value).
    key
        The secret key.
    kind
        ``person`` (ID numbers), ``person_id`` (registry person numbers, when there is no ID number) or
        ``household``; the kind enters the HMAC, so equal strings of different kinds get different pseudonyms.
    """
    prefix = _PREFIX[kind]
    out: list[str | None] = []
    for value in values:
        if value is None or (isinstance(value, float) and value != value) or str(value) == "":
            out.append(None)
            continue
        digest = hmac.new(key.secret, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
        out.append(prefix + digest[:16])
    return out


def new_key_file(path: str | os.PathLike[str]) -> Path:
    """Write a new random key (64 hex characters, readable by the owner only); refuse to overwrite."""
    target = Path(path).expanduser().resolve()
    root = paths.project_root().resolve()
    if target == root or root in target.parents:
        raise ConfigurationError(f"{target} lies inside the evalkit repository; choose a path outside {root}.")
    if target.exists():
        raise ConfigurationError(f"{target} exists; evalkit never overwrites a key (pseudonyms would stop linking).")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32) + "\n")
    return target
