"""Finding data files on disk, and downloading them safely when they are missing.

Look-up order for a data set's files (the first directory holding *all* of them wins):

1. an explicit ``root`` argument, else the ``MINISHARP_DATA`` environment variable,
   as ``<root>/<dataset>/`` and then ``<root>/`` itself;
2. system locations, e.g. where Debian's ``dataset-fashion-mnist`` installs;
3. the user cache, ``$MINISHARP_CACHE`` or ``~/.cache/minisharp``, as ``<cache>/<dataset>/``;
4. a download into the cache.

Downloads go to a temporary file in the destination directory, are checked for the
announced length and the known checksums, and only then renamed into place, so an
interrupted or corrupt transfer never leaves a file that a later run would trust.
``MINISHARP_MIRROR`` replaces every official base URL with ``<mirror>/<dataset>/``.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.request
import zlib
from collections.abc import Sequence
from pathlib import Path

from tqdm.auto import tqdm

DATA_ENV = "MINISHARP_DATA"
CACHE_ENV = "MINISHARP_CACHE"
MIRROR_ENV = "MINISHARP_MIRROR"
DOWNLOAD_TIMEOUT_S = 60.0
_CHUNK = 1 << 16


class DataNotFoundError(FileNotFoundError):
    """A data set is neither on disk nor downloadable; the message says how to get it."""


class DownloadError(RuntimeError):
    """A transfer failed (network error, HTTP error, or it ended early)."""


class ChecksumError(ValueError):
    """A file's content does not match its published checksum."""


def cache_dir() -> Path:
    """The per-user download cache: ``$MINISHARP_CACHE`` or ``~/.cache/minisharp``."""
    configured = os.environ.get(CACHE_ENV)
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "minisharp"


def search_dirs(
    dataset: str, root: str | os.PathLike | None, system_dirs: Sequence[str | os.PathLike] = ()
) -> list[Path]:
    """Directories to look in for ``dataset``, in priority order (see module docstring)."""
    explicit = root if root is not None else os.environ.get(DATA_ENV)
    dirs = []
    if explicit:
        base = Path(explicit).expanduser()
        dirs += [base / dataset, base]
    dirs += [Path(d) for d in system_dirs]
    dirs.append(cache_dir() / dataset)
    return dirs


def find_in_dirs(
    alternatives_per_file: Sequence[Sequence[str]], dirs: Sequence[Path]
) -> tuple[Path, list[Path]] | None:
    """First directory holding one of the alternative names for every required file.

    ``alternatives_per_file[i]`` lists acceptable names for file ``i`` (e.g. with
    and without ``.gz``). Returns ``(directory, paths)`` or ``None``.
    """
    for directory in dirs:
        paths = []
        for alternatives in alternatives_per_file:
            hit = next((directory / n for n in alternatives if (directory / n).is_file()), None)
            if hit is None:
                break
            paths.append(hit)
        else:
            return directory, paths
    return None


def resolve_url(base_url: str, dataset: str, filename: str) -> str:
    """Official URL of ``filename``, or its place on ``$MINISHARP_MIRROR`` if that is set."""
    mirror = os.environ.get(MIRROR_ENV)
    if mirror:
        return f"{mirror.rstrip('/')}/{dataset}/{filename}"
    return base_url + filename


def content_sha256(path: str | os.PathLike) -> str:
    """SHA-256 of a file's content, decompressed first when it is gzipped.

    Hashing decompressed bytes makes the check independent of how a mirror or a
    distribution (Debian recompressed Fashion-MNIST) chose to compress the file.
    """
    digest = hashlib.sha256()
    with open(path, "rb") as raw:
        is_gzip = raw.read(2) == b"\x1f\x8b"
    with (gzip.open if is_gzip else open)(path, "rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def file_md5(path: str | os.PathLike) -> str:
    """MD5 of a file's raw bytes (the form in which CIFAR and MNIST publish checksums)."""
    digest = hashlib.md5()
    with open(path, "rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def verify_file(
    path: str | os.PathLike, *, sha256: str | None = None, md5: str | None = None, label: str = ""
) -> None:
    """Raise ``ChecksumError`` unless ``path`` matches the given checksums.

    ``sha256`` is of the decompressed content, ``md5`` of the raw file bytes.
    """
    label = label or str(path)
    if md5 is not None:
        actual = file_md5(path)
        if actual != md5:
            raise ChecksumError(f"{label}: MD5 of the file is {actual}, expected {md5}")
    if sha256 is not None:
        try:
            actual = content_sha256(path)
        except (EOFError, OSError, zlib.error) as error:
            raise ChecksumError(f"{label}: damaged gzip stream ({error})") from error
        if actual != sha256:
            raise ChecksumError(f"{label}: SHA-256 of the content is {actual}, expected {sha256}")


def download(
    url: str,
    destination: str | os.PathLike,
    *,
    sha256: str | None = None,
    md5: str | None = None,
    progress: bool = True,
    timeout: float = DOWNLOAD_TIMEOUT_S,
) -> Path:
    """Download ``url`` to ``destination`` atomically, verifying what is known about it.

    The bytes go to a hidden ``.part`` file next to ``destination``; it is renamed
    into place only when the length matches ``Content-Length`` and the checksums
    (``sha256`` of the decompressed content, ``md5`` of the raw bytes) match. On any
    failure the partial file is removed and ``DownloadError`` or ``ChecksumError``
    is raised.
    """
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(
        dir=destination.parent, prefix=f".{destination.name}.", suffix=".part", delete=False
    )
    part = Path(handle.name)
    try:
        with handle, urllib.request.urlopen(url, timeout=timeout) as response:
            announced = response.headers.get("Content-Length")
            expected = int(announced) if announced and announced.isdigit() else None
            received = 0
            with tqdm(
                total=expected,
                unit="B",
                unit_scale=True,
                desc=destination.name,
                disable=not progress,
            ) as bar:
                while chunk := response.read(_CHUNK):
                    handle.write(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
        if expected is not None and received != expected:
            raise DownloadError(f"{url}: transfer ended after {received} of {expected} bytes")
        verify_file(part, sha256=sha256, md5=md5, label=url)
        os.replace(part, destination)
    except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
        raise DownloadError(f"{url}: download failed ({error})") from error
    finally:
        part.unlink(missing_ok=True)
    return destination
