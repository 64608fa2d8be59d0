"""Small file helpers: atomic writes (temporary file in the same folder, then rename) and the
JSON form shared by results, comparisons and mitigation results."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["atomic_target", "dump_json", "write_text_atomic"]


@contextmanager
def atomic_target(path: Path) -> Iterator[str]:
    """A temporary path beside ``path``; renamed onto it when the block succeeds, removed if
    it fails, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    # mkstemp creates the file private (0600); give it the mode a plain open() would.
    os.chmod(tmp, 0o666 & ~_umask())
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _umask() -> int:
    """The process umask, read without changing it where the system allows."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)  # elsewhere: the classic read-and-restore
    os.umask(mask)
    return mask


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically."""
    with atomic_target(path) as tmp, open(tmp, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)


def dump_json(payload: Mapping[str, Any], path: str | Path | None, indent: int | None) -> str:
    """Strict JSON text (NaN must already be None); also written atomically to ``path``."""
    text = json.dumps(payload, indent=indent, ensure_ascii=False, allow_nan=False)
    if path is not None:
        write_text_atomic(Path(path), text + "\n")
    return text
