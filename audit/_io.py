"""Writing files safely: one rule for every output biasaudit writes.

- An output is checked before any work starts (:func:`check_output`): it must not be a folder,
  must not be one of the command's own inputs (even with ``overwrite``), must not exist unless
  ``overwrite``, and its folder is created if missing and must be writable.
- It is written to a temporary file in the same folder and then moved into place
  (:func:`atomic_target`): a reader never sees half a file; without ``overwrite`` the move is
  exclusive, so of two writers to one new path exactly one succeeds.
- Temporary files are named ``.biasaudit-<host>-<pid>-<random>.<name>.tmp``; a later write to
  the same folder removes those left by a process that no longer runs (a killed run).
- JSON is written by :func:`json_text` (strict, floats exact, long arrays on one line) and
  :func:`dump_json`.
"""

from __future__ import annotations

import contextlib
import errno
import fnmatch
import glob
import json
import math
import os
import secrets
import socket
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from audit.exceptions import ConfigError

__all__ = [
    "atomic_target",
    "check_output",
    "dump_json",
    "json_text",
    "reap_stale",
    "write_text_atomic",
    "written_by_biasaudit",
]

_PREFIX = ".biasaudit-"
_SUFFIX = ".tmp"
_STALE_SECONDS = 24 * 3600  # temporaries of other hosts are removed after a day


def _host() -> str:
    return "".join(ch for ch in socket.gethostname() if ch.isalnum())[:32] or "host"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True


def reap_stale(folder: Path, prefix: str = _PREFIX) -> int:
    """Remove biasaudit's temporary files (and spill folders) in ``folder`` whose process is
    gone; return how many were removed. Never touches anything else."""
    import shutil

    removed = 0
    host = _host()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        name = entry.name.removeprefix("tmp_")  # DuckDB's own temporary of one of ours
        if not name.startswith(prefix):
            continue
        parts = name[len(prefix) :].split("-", 2)
        if len(parts) < 3 or not parts[1].isdigit():
            continue
        owner, pid = parts[0], int(parts[1])
        try:
            age = time.time() - entry.stat(follow_symlinks=False).st_mtime
        except OSError:
            continue
        stale = (owner == host and pid != os.getpid() and not _alive(pid)) or (
            owner != host and age > _STALE_SECONDS
        )
        if not stale:
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
            removed += 1
        except OSError:
            continue
    return removed


def temporary_name(name: str) -> str:
    """A temporary file name that :func:`reap_stale` recognises as this process's."""
    return f"{_PREFIX}{_host()}-{os.getpid()}-{secrets.token_hex(4)}.{name}{_SUFFIX}"


_MARKERS = (b'<meta name="generator" content="biasaudit', b"## biasaudit: ")


def written_by_biasaudit(path: Path) -> bool:
    """Whether ``path`` is a report or summary a biasaudit run wrote (its first bytes say so)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    return head.startswith(_MARKERS[1]) or _MARKERS[0] in head


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def _is_input(target: Path, source: str | os.PathLike[str]) -> bool:
    """Whether writing ``target`` would write onto (or into) the input ``source``: the same
    file, a file matching the input glob, or a file inside the input folder."""
    text = os.fspath(source)
    resolved = Path(os.path.abspath(target))
    if any(ch in text for ch in "*?["):
        pattern = os.path.abspath(text)
        if fnmatch.fnmatch(str(resolved), pattern):
            return True
        return any(_same_file(target, Path(m)) for m in glob.glob(text, recursive=True))
    path = Path(text)
    if path.is_dir():
        folder = Path(os.path.realpath(path))
        parent = Path(os.path.realpath(resolved.parent))
        return parent == folder or folder in parent.parents
    return Path(os.path.abspath(path)) == resolved or _same_file(target, path)


def check_output(
    path: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    inputs: Iterable[str | os.PathLike[str] | None] = (),
    what: str = "output",
    option: str = "--overwrite",
) -> Path:
    """Validate an output path before any work is done, creating its folder if needed.

    Raises :class:`ConfigError` (exit 2 in the CLI) when ``path`` is a folder, is one of the
    ``inputs`` (never allowed, even with ``overwrite``), exists and ``overwrite`` is false,
    or its folder cannot be created or written.
    """
    if not isinstance(path, str | os.PathLike):
        raise ConfigError(f"The {what} must be a file path; got {type(path).__name__}.")
    text = os.fspath(path)
    if not isinstance(text, str) or not text.strip():
        raise ConfigError(f"The {what} path is empty. Hint: give a file path.")
    target = Path(text)
    if text.endswith(("/", os.sep)) or target.is_dir():
        raise ConfigError(
            f"The {what} '{text}' is a folder. Hint: give a file path inside it, e.g. "
            f"'{target / 'result.json'}'."
        )
    for source in inputs:
        if source is not None and _is_input(target, source):
            raise ConfigError(
                f"The {what} '{text}' is one of this command's inputs ('{os.fspath(source)}'); "
                "biasaudit never writes onto its own input, even with overwrite. Hint: choose "
                "another path."
            )
    if target.exists() and not overwrite:
        raise ConfigError(
            f"The {what} '{text}' already exists. Hint: pass {option} to replace it, or "
            "choose another path."
        )
    folder = target.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"Cannot create the folder '{folder}' for the {what} ({exc.strerror}). Hint: "
            "check the path and its permissions."
        ) from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError(
            f"Cannot write the {what} '{text}': the folder '{folder}' is not writable. Hint: "
            "choose another folder."
        )
    return target


@contextmanager
def atomic_target(path: Path, *, overwrite: bool = True) -> Iterator[str]:
    """A temporary path beside ``path``, moved onto it when the block succeeds and removed if
    it fails, so a reader never sees half a file.

    Without ``overwrite`` the move is exclusive (a hard link, which fails if ``path`` exists):
    when another writer created ``path`` meanwhile, :class:`ConfigError` is raised and the
    other file is left as it is.
    """
    folder = path.parent if str(path.parent) else Path(".")
    folder.mkdir(parents=True, exist_ok=True)
    reap_stale(folder)
    tmp = folder / temporary_name(path.name)
    try:
        # Not created here: an engine that finds its target present writes to a second
        # temporary of its own (DuckDB: tmp_<name>) and renames it.
        yield str(tmp)
        if overwrite:
            os.replace(tmp, path)
        else:
            _move_exclusive(tmp, path)
    except OSError as exc:  # a full disk, a file system that refuses, /proc...
        raise ConfigError(
            f"Cannot write '{path}' ({exc.strerror or type(exc).__name__}). Hint: check the "
            "free space and permissions of its folder, or choose another path."
        ) from None
    finally:
        for leftover in (tmp, folder / f"tmp_{tmp.name}"):
            with contextlib.suppress(FileNotFoundError):
                if leftover.is_dir():
                    import shutil

                    shutil.rmtree(leftover)
                else:
                    os.unlink(leftover)


def _move_exclusive(tmp: Path, path: Path) -> None:
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise ConfigError(
            f"'{path}' was created by another process while this one was writing it; it was "
            "left as it is. Hint: write to another path, or pass --overwrite."
        ) from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
            raise
        # No hard links on this file system: reserve the name exclusively, then replace it.
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
        except FileExistsError:
            raise ConfigError(
                f"'{path}' was created by another process while this one was writing it; it "
                "was left as it is. Hint: write to another path, or pass --overwrite."
            ) from None
        os.replace(tmp, path)


def write_text_atomic(
    path: Path,
    text: str,
    *,
    overwrite: bool = False,
    inputs: Iterable[str | os.PathLike[str] | None] = (),
) -> Path:
    """Write ``text`` to ``path`` under the rules of :func:`check_output`, atomically."""
    target = check_output(path, overwrite=overwrite, inputs=inputs)
    with (
        atomic_target(target, overwrite=overwrite) as tmp,
        open(tmp, "x", encoding="utf-8", newline="\n") as handle,
    ):
        handle.write(text)
    return target


def json_text(payload: Any, indent: int | None) -> str:
    """Strict JSON text (NaN must already be None), as ``json.dumps(payload,
    ensure_ascii=False)`` writes it, and as fast as it can for long arrays of floats.

    With ``indent``, every object, and every array that holds an object, is indented as
    ``json.dumps(indent=...)`` would; any other array (numbers, text, arrays of them: a column
    of groups) is written on one line. Floats are written by ``float.__repr__`` (the shortest
    text that reads back as the same float), each distinct value formatted once.
    """
    encode = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode
    parts: list[str] = []
    reprs: dict[float | None, str] = {None: "null"}

    def floats(values: list[Any]) -> str:  # floats and None
        distinct = set(values)
        for v in distinct.difference(reprs):
            if not math.isfinite(v):
                raise ValueError(f"Out of range float values are not JSON compliant: {v!r}")
            reprs[v] = float.__repr__(v)
        if 0.0 not in distinct:
            return "[" + ", ".join(map(reprs.__getitem__, values)) + "]"
        out = list(map(reprs.__getitem__, values))
        i = -1
        for _ in range(values.count(0.0)):  # 0.0 and -0.0 are one key: each with its sign
            i = values.index(0.0, i + 1)
            out[i] = float.__repr__(values[i])
        return "[" + ", ".join(out) + "]"

    def write(value: Any, depth: int) -> None:
        if isinstance(value, dict) and value:
            items: Iterable[tuple[Any, Any]] = value.items()
            opening, closing = "{", "}"
        elif isinstance(value, list | tuple) and value:
            types = set(map(type, value))
            if dict not in types:
                simple = types <= _FLOAT_OR_NONE and float in types
                parts.append(floats(list(value)) if simple else encode(value))
                return
            items = ((None, v) for v in value)
            opening, closing = "[", "]"
        else:
            parts.append(encode(value))
            return
        if indent is None:
            first, separator, last = "", ", ", ""
        else:
            first = "\n" + " " * (indent * (depth + 1))
            separator, last = "," + first, "\n" + " " * (indent * depth)
        parts.append(opening + first)
        for i, (key, item) in enumerate(items):
            if i:
                parts.append(separator)
            if opening == "{":
                if not isinstance(key, str):
                    raise TypeError(f"JSON object keys must be text; got {type(key).__name__}")
                parts.append(encode(key) + ": ")
            write(item, depth + 1)
        parts.append(last + closing)

    write(payload, 0)
    return "".join(parts)


_FLOAT_OR_NONE = frozenset((float, type(None)))


def dump_json(
    payload: Mapping[str, Any],
    path: str | Path | None,
    indent: int | None,
    *,
    overwrite: bool = False,
    inputs: Iterable[str | os.PathLike[str] | None] = (),
) -> str:
    """Strict JSON text (NaN must already be None; layout of :func:`json_text`); also written
    to ``path`` when given."""
    text = json_text(payload, indent)
    if path is not None and not isinstance(path, str | os.PathLike):
        raise ConfigError(f"path must be a file path or None; got {type(path).__name__}.")
    if path is not None:
        write_text_atomic(Path(path), text + "\n", overwrite=overwrite, inputs=inputs)
    return text
