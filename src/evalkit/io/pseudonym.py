"""Keyed pseudonyms for direct identifiers (HMAC-SHA256).

A pseudonym is ``HMAC-SHA256(key, kind + ":" + value)``, cut to 16 hex
characters and prefixed by the kind's letter (``P`` person, ``H`` household).
The same value gets the same pseudonym in every file and year cleaned with the
same key, so panels still link; without the key nobody can recompute it from
a guessed ID number, which a plain hash would allow.

The key is secret and belongs to the data owner. It is read from the
``EVALKIT_PSEUDONYM_KEY`` environment variable or from a key file outside the
repository, exactly as written: a key must be random text of at least 32
hexadecimal characters (``evalkit key --new`` writes 64) or 43 base64url
characters, with no repeated stretch; a byte-order mark, a line end or any
other character is an error rather than part of the key, because a key that
changes silently (a file re-saved by an editor) would change every pseudonym.
A key file must be readable by its owner only, as ssh insists for private
keys. evalkit refuses to pseudonymize with no key, a guessable key, or a key
file inside the repository, instead of falling back to a default anyone could
guess.

Outputs record the key's :attr:`~PseudonymKey.fingerprint` (a hash that cannot
give the key back), never the key or the path of its file, so that a run with
another key can be recognised and refused.

Examples
--------
>>> key = PseudonymKey(b"5f0c2e9a41b7d3863e0f9a2c7b14d5e6")
>>> pseudonymize(["110105194912310029", "110105194912310029"], key, "person")
['Pf36a3810ba6cc569', 'Pf36a3810ba6cc569']
>>> pseudonymize(["H001"], key, "household")[0][:1]
'H'
>>> PseudonymKey(b"lichengcounty2018lichengcounty2018")
Traceback (most recent call last):
...
evalkit.errors.ConfigurationError: the pseudonym key (given) is not a random key: it must be 32 or more hexadecimal characters (or 43 or more base64url characters), as `evalkit key --new` writes. Create a key once and keep it outside the repository, e.g. `evalkit key --new ~/.config/evalkit/pseudonym.key`, then pass `--key-file PATH` or set EVALKIT_PSEUDONYM_KEY. Use the same key every year so pseudonyms link.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from evalkit import paths
from evalkit.errors import ConfigurationError

__all__ = ["PseudonymKey", "load_key", "pseudonymize", "new_key_file", "KEY_ENV", "MIN_KEY_BYTES"]

#: Environment variable holding the key when no key file is given.
KEY_ENV = "EVALKIT_PSEUDONYM_KEY"
#: Shortest key accepted, in characters (32 hexadecimal characters are 128 random bits).
MIN_KEY_BYTES = 32
_HEX = re.compile(rb"[0-9a-fA-F]{32,}")
_BASE64 = re.compile(rb"[A-Za-z0-9_-]{43,}={0,2}")
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
                f"the pseudonym key ({self.source}) has {len(self.secret)} characters; at least {MIN_KEY_BYTES} "
                f"are needed so it cannot be guessed. {_HOW}"
            )
        if self.secret.startswith(b"\xef\xbb\xbf") or re.search(rb"[\r\n\t ]", self.secret):
            raise ConfigurationError(
                f"the pseudonym key ({self.source}) has a byte-order mark, a line end or a space, which an editor "
                "adds when it re-saves the file; remove it (the key is used exactly as written, so it would "
                "change every pseudonym otherwise)."
            )
        if not (_HEX.fullmatch(self.secret) or _BASE64.fullmatch(self.secret)):
            raise ConfigurationError(
                f"the pseudonym key ({self.source}) is not a random key: it must be 32 or more hexadecimal "
                f"characters (or 43 or more base64url characters), as `evalkit key --new` writes. {_HOW}"
            )
        if len(set(self.secret)) < 10 or _repeats(self.secret):
            raise ConfigurationError(
                f"the pseudonym key ({self.source}) is not random: it repeats itself or uses too few characters. {_HOW}"
            )

    @property
    def fingerprint(self) -> str:
        """A short hash that identifies the key without revealing it (recorded in outputs, compared later).

        >>> PseudonymKey(b"5f0c2e9a41b7d3863e0f9a2c7b14d5e6").fingerprint
        'ecaf79f42374102a'
        """
        return hashlib.sha256(b"evalkit pseudonym key fingerprint:" + self.secret).hexdigest()[:16]


def _repeats(secret: bytes, stretch: int = 8) -> bool:
    """Whether any stretch of ``stretch`` characters occurs twice (a typed or pasted-twice key)."""
    seen = set()
    for i in range(len(secret) - stretch + 1):
        piece = secret[i : i + stretch]
        if piece in seen:
            return True
        seen.add(piece)
    return False


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
            mode = path.stat().st_mode
            secret = path.read_bytes()
        except OSError as exc:
            raise ConfigurationError(f"cannot read the key file {path}: {exc.strerror}. {_HOW}") from None
        if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ConfigurationError(
                f"the key file {path} can be read by other users (mode {stat.filemode(mode)}); a pseudonym key "
                f"must be readable by its owner only: run `chmod 600 {path}`."
            )
        return PseudonymKey(secret, source="the key file")
    value = os.environ.get(KEY_ENV)
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
    """Write a new random key (64 hexadecimal characters and nothing else, readable by the owner only);
    refuse to overwrite."""
    target = Path(path).expanduser().resolve()
    root = paths.project_root().resolve()
    if target == root or root in target.parents:
        raise ConfigurationError(f"{target} lies inside the evalkit repository; choose a path outside {root}.")
    if target.exists():
        raise ConfigurationError(f"{target} exists; evalkit never overwrites a key (pseudonyms would stop linking).")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32))  # exactly the key: no line end
    return target
