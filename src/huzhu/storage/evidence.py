"""The evidence store: files kept by their SHA-256, behind an interface an object store can
implement later. The local implementation keeps them in a directory: `$HUZHU_EVIDENCE_DIR`, else
`evidence/` in the data directory (beside a SQLite database file; `~/.local/share/huzhu` for a
server database). Nothing here serves files to anyone: the API
decides who may read a file.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

from sqlalchemy.engine import URL, make_url

from huzhu.domain.errors import NotFound
from huzhu.settings import xdg_data_home
from huzhu.storage.engine import database_url

DIGEST = re.compile(r"^[0-9a-f]{64}$")


class EvidenceStore(Protocol):
    def put(self, data: bytes) -> str:
        """Store the bytes (idempotently) and return their sha256 in hex."""
        ...

    def get(self, sha256: str) -> bytes:
        """The bytes stored under this digest; NotFound when there are none."""
        ...

    def exists(self, sha256: str) -> bool: ...


def _missing(sha256: str) -> NotFound:
    return NotFound(f"no stored file {sha256[:12]}", code="unknown-evidence", field="evidence")


class LocalEvidenceStore:
    """Files under `root/ab/abcdef…`, written atomically, readable only by the owner."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def _path(self, sha256: str) -> Path:
        if not DIGEST.match(sha256):
            raise _missing(sha256)
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        path = self._path(digest)
        if path.exists():
            return digest
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest

    def get(self, sha256: str) -> bytes:
        path = self._path(sha256)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise _missing(sha256) from None
        if hashlib.sha256(data).hexdigest() != sha256:
            raise RuntimeError(f"stored evidence {sha256} does not match its digest")
        return data

    def exists(self, sha256: str) -> bool:
        return DIGEST.match(sha256) is not None and self._path(sha256).exists()


def data_dir(url: str | URL | None = None, explicit: Path | None = None) -> Path:
    """Where huzhu keeps files of its own: `explicit` (`$HUZHU_DATA_DIR`); else the directory of
    a SQLite database file; else `$XDG_DATA_HOME/huzhu` (`~/.local/share/huzhu`). Never the
    working directory of a server database, which is usually a source checkout."""
    if explicit is not None:
        return Path(explicit)
    parsed = make_url(url) if isinstance(url, URL) else make_url(database_url(url))
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        return Path(parsed.database or ".").resolve().parent
    return xdg_data_home() / "huzhu"


def default_evidence_dir(
    url: str | URL | None = None, explicit: Path | None = None, data: Path | None = None
) -> Path:
    """`explicit` (`$HUZHU_EVIDENCE_DIR`), else `evidence/` in the data directory (`data_dir`)."""
    if explicit is not None:
        return Path(explicit)
    return data_dir(url, data) / "evidence"


def local_store(
    url: str | URL | None = None, directory: Path | None = None, data: Path | None = None
) -> LocalEvidenceStore:
    return LocalEvidenceStore(default_evidence_dir(url, directory, data))
