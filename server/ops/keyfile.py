"""The server's secret key in a backup: encrypted with what the operator gives, never in
the clear.

The secret key signs the QR tags glued to doors, pull cursors and console sessions; a
restore onto a new machine without it makes a new one, and every printed tag fails
verification (`qr_invalid`). So a backup carries it as `secret.json`: AES-256-GCM under a
key derived from the operator's key file (HKDF-SHA256; `head -c 32 /dev/urandom`) or
passphrase (scrypt, N=2^15), with the backup's id as associated data, so the member
cannot be swapped into another archive. Without a key file or passphrase the archive
holds no secret at all; the key is never written unencrypted.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from server.ops.snapshot import BackupError

MEMBER = "secret.json"
FORMAT = "xuncha-secret/1"
MIN_KEY_FILE_BYTES = 32
MIN_PASSPHRASE = 12
_INFO = b"xuncha/backup-secret/v1"


@dataclass(frozen=True)
class BackupKey:
    """An operator's key file or passphrase, as read (never stored anywhere)."""

    kind: str  # "key_file" or "passphrase"
    material: bytes
    source: str  # where it came from, for messages

    @classmethod
    def from_key_file(cls, path: str | os.PathLike) -> BackupKey:
        data = _read(path)
        if len(data) < MIN_KEY_FILE_BYTES:
            raise BackupError(f"The key file {path} holds {len(data)} bytes; a backup key "
                              f"file needs at least {MIN_KEY_FILE_BYTES} random bytes "
                              "(head -c 32 /dev/urandom > FILE).")
        return cls("key_file", data, str(path))

    @classmethod
    def from_passphrase_file(cls, path: str | os.PathLike) -> BackupKey:
        text = _read(path).decode("utf-8", errors="strict").rstrip("\r\n")
        if len(text) < MIN_PASSPHRASE:
            raise BackupError(f"The passphrase in {path} is shorter than {MIN_PASSPHRASE} "
                              "characters.")
        return cls("passphrase", text.encode("utf-8"), str(path))


def _read(path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise BackupError(f"Cannot read {path}: {exc.strerror or exc}") from None


def from_config(config) -> BackupKey | None:
    """The key file named by XUNCHA_BACKUP_KEY_FILE, if any (the daily backup's)."""
    path = config.get("BACKUP_KEY_FILE")
    return BackupKey.from_key_file(path) if path else None


def _derive(key: BackupKey, salt: bytes, params: dict) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    if key.kind == "passphrase":
        return Scrypt(salt=salt, length=32, n=params["n"], r=params["r"],
                      p=params["p"]).derive(key.material)
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=_INFO).derive(key.material)


def seal(secret: str, key: BackupKey, backup_id: str) -> bytes:
    """The `secret.json` member: `secret` encrypted under `key`, bound to `backup_id`."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    salt, nonce = os.urandom(16), os.urandom(12)
    params = {"n": 2 ** 15, "r": 8, "p": 1} if key.kind == "passphrase" else {}
    box = AESGCM(_derive(key, salt, params)).encrypt(
        nonce, json.dumps({"secret_key": secret}).encode(), backup_id.encode())
    b64 = lambda raw: base64.b64encode(raw).decode("ascii")  # noqa: E731
    return json.dumps({"format": FORMAT, "kdf": "scrypt" if key.kind == "passphrase"
                       else "hkdf-sha256", **params, "salt": b64(salt), "nonce": b64(nonce),
                       "ciphertext": b64(box)}, indent=1).encode()


def unseal(data: bytes, key: BackupKey, backup_id: str) -> str:
    """The secret key from a `secret.json` member; BackupError for the wrong key."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        doc = json.loads(data)
        if doc.get("format") != FORMAT:
            raise BackupError(f"Unknown secret format {doc.get('format')!r}.")
        expected = "scrypt" if key.kind == "passphrase" else "hkdf-sha256"
        if doc["kdf"] != expected:
            raise BackupError("This archive's secret key was encrypted with a "
                              f"{'passphrase' if doc['kdf'] == 'scrypt' else 'key file'}; "
                              f"give that, not a {key.kind.replace('_', ' ')}.")
        plain = AESGCM(_derive(key, base64.b64decode(doc["salt"]), doc)).decrypt(
            base64.b64decode(doc["nonce"]), base64.b64decode(doc["ciphertext"]),
            backup_id.encode())
        return json.loads(plain)["secret_key"]
    except InvalidTag:
        raise BackupError(f"{key.source} does not open this archive's secret key (wrong "
                          "key file or passphrase); nothing was changed.") from None
    except (KeyError, ValueError, TypeError) as exc:
        raise BackupError(f"The archive's secret.json is damaged: {exc}") from None


def install(instance_path: str, secret: str) -> Path:
    """Write the restored secret to the instance folder (0600), where `create_app` reads
    it when XUNCHA_SECRET_KEY is not set; a different key found there is kept aside."""
    folder = Path(instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "secret_key"
    if path.exists() and path.read_text(encoding="ascii").strip() != secret:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        os.replace(path, folder / f"secret_key.replaced-{stamp}")
    staged = folder / ".secret_key.restoring"
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secret)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(staged, path)
    return path
