"""Atomic writes (``.npz`` and text): a reader sees the old file or the new one, never half.

The arrays go to a temporary file ``.<name>.<random>.tmp`` in the destination directory, which
is flushed to disk (``fsync``) and then ``os.replace``d over the destination — a rename, atomic
on POSIX and Windows within one file system. A crash or Ctrl-C mid-write leaves the previous
file intact; the temporary is removed when the write fails inside Python, and its name lets
:func:`minisharp.checkpoint.exclusive` find and remove one that a killed process left behind.
"""

import os
import tempfile

import numpy as np


def save_npz(path, arrays):
    """Write ``arrays`` (a dict name → array) as an uncompressed ``.npz`` at ``path``
    atomically, creating its directory if needed. Returns ``path``."""
    return _replace(path, "wb", lambda handle: np.savez(handle, **arrays))


def save_text(path, text):
    """Write the string ``text`` (UTF-8) at ``path`` atomically, creating its directory if
    needed. Returns ``path``."""
    return _replace(path, "w", lambda handle: handle.write(text))


def _replace(path, mode, write):
    """Write a temporary file with ``write(handle)``, flush it to disk, rename it to ``path``."""
    directory, name = os.path.split(os.path.abspath(os.fspath(path)))
    os.makedirs(directory, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, mode, **({"encoding": "utf-8"} if "b" not in mode else {})) as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
    return path
