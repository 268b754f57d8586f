"""The data set registry and ``load``: find (or fetch) the files, verify, decode.

Checksums are stored as constants below, with where each comes from. Policy:

* ``sha256`` is of the *decompressed* content and is checked wherever the file
  is found (it does not depend on how the file was compressed).
* ``md5`` is of the file exactly as the official server publishes it and is
  checked only right after a download (a local copy may be recompressed).
"""

from __future__ import annotations

import errno
import hashlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import cifar, embedded_subset, fetch, idx, timit
from .container import Dataset
from .fetch import ChecksumError, DataNotFoundError, DownloadError
from .preprocess import to_unit_float

SPLITS = ("train", "test")
SUBSETS = (None, "full", "embedded")

FASHION_MNIST_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
# The original site (http://yann.lecun.com/exdb/mnist/) often refuses downloads;
# this is the mirror torchvision uses, which serves the same .gz files.
MNIST_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"
CIFAR_URL = "https://www.cs.toronto.edu/~kriz/"
DEBIAN_FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"


@dataclass(frozen=True)
class RemoteFile:
    """One file of a data set: its name and whatever checksums can be justified."""

    name: str
    sha256: str | None = None  # of the decompressed content
    md5: str | None = None  # of the file as downloaded


@dataclass(frozen=True)
class DatasetInfo:
    """What ``load`` needs to know about one data set."""

    name: str
    title: str
    kind: str  # "idx" (images file + labels file per split) or "cifar" (one tarball)
    base_url: str
    files: dict[str, tuple[RemoteFile, ...]]  # split -> files
    num_classes: int
    input_shape: tuple[int, ...]
    system_dirs: tuple[str, ...] = ()
    how_to_get: str = ""
    has_embedded: bool = False


# Fashion-MNIST: SHA-256 of the decompressed files, computed from Debian bookworm's package
# dataset-fashion-mnist 0.0~git20200523.55506a9-1;
# their MD5s equal the raw-file MD5s that public Fashion-MNIST loaders check, so
# the content is upstream's. Upstream's published .gz MD5s are not used because
# Debian recompressed the files.
FASHION_MNIST = DatasetInfo(
    name="fashion-mnist",
    title="Fashion-MNIST",
    kind="idx",
    base_url=FASHION_MNIST_URL,
    files={
        "train": (
            RemoteFile(
                "train-images-idx3-ubyte.gz",
                sha256="c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            ),
            RemoteFile(
                "train-labels-idx1-ubyte.gz",
                sha256="bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            ),
        ),
        "test": (
            RemoteFile(
                "t10k-images-idx3-ubyte.gz",
                sha256="5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            ),
            RemoteFile(
                "t10k-labels-idx1-ubyte.gz",
                sha256="0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
            ),
        ),
    },
    num_classes=10,
    input_shape=(1, 28, 28),
    system_dirs=(DEBIAN_FASHION_MNIST_DIR,),
    how_to_get="on Debian/Ubuntu: apt-get install dataset-fashion-mnist",
    has_embedded=True,
)

# MNIST: no decompressed checksum could be verified here (the data is not on this
# machine), so only the MD5s of the .gz files are checked, after download. They are
# the values torchvision's MNIST loader checks against for these exact files.
MNIST = DatasetInfo(
    name="mnist",
    title="MNIST",
    kind="idx",
    base_url=MNIST_URL,
    files={
        "train": (
            RemoteFile("train-images-idx3-ubyte.gz", md5="f68b3c2dcbeaaa9fbdd348bbdeb94873"),
            RemoteFile("train-labels-idx1-ubyte.gz", md5="d53e105ee54ea40749a09fcbcd1e9432"),
        ),
        "test": (
            RemoteFile("t10k-images-idx3-ubyte.gz", md5="9fb629c4189551a2d022fa330f9573f3"),
            RemoteFile("t10k-labels-idx1-ubyte.gz", md5="ec29112dd5afa0611ce80d1b7f02629c"),
        ),
    },
    num_classes=10,
    input_shape=(1, 28, 28),
)

# CIFAR: the MD5s of the binary tarballs published on https://www.cs.toronto.edu/~kriz/cifar.html
# (cross-checked against several independent loaders); no per-content hash is published.
_CIFAR10_TARBALL = RemoteFile("cifar-10-binary.tar.gz", md5="c32a1d4ab5d03f1284b67883e8d87530")
_CIFAR100_TARBALL = RemoteFile("cifar-100-binary.tar.gz", md5="03b5dce01913d631647c71ecec9e9cb8")
CIFAR10 = DatasetInfo(
    name="cifar10",
    title="CIFAR-10",
    kind="cifar",
    base_url=CIFAR_URL,
    files={"train": (_CIFAR10_TARBALL,), "test": (_CIFAR10_TARBALL,)},
    num_classes=10,
    input_shape=cifar.IMAGE_SHAPE,
)
CIFAR100 = DatasetInfo(
    name="cifar100",
    title="CIFAR-100",
    kind="cifar",
    base_url=CIFAR_URL,
    files={"train": (_CIFAR100_TARBALL,), "test": (_CIFAR100_TARBALL,)},
    num_classes=100,
    input_shape=cifar.IMAGE_SHAPE,
)

REGISTRY = {info.name: info for info in (FASHION_MNIST, MNIST, CIFAR10, CIFAR100)}
NAMES = (*REGISTRY, timit.STANDIN_NAME)


def load(
    name: str,
    split: str = "train",
    *,
    root: str | os.PathLike | None = None,
    subset: str | None = None,
    download: bool = True,
    progress: bool = True,
) -> Dataset:
    """Load one split of a data set as a :class:`Dataset`.

    ``name`` is one of ``NAMES``; ``split`` is ``"train"`` or ``"test"``.
    ``subset=None`` uses the full set when it is found on disk (see
    :mod:`minisharp.data.fetch` for where it looks); for Fashion-MNIST it otherwise
    falls back to the embedded subset, with one notice on stderr, and does not go
    to the network. For other data sets it downloads when ``download`` is true.
    ``subset="embedded"`` forces the embedded Fashion-MNIST subset;
    ``subset="full"`` insists on the full set, downloading it if allowed, or raises
    :class:`DataNotFoundError` saying how to get it.
    """
    _check_split(split)
    return _load_splits(name, (split,), root, subset, download, progress)[split]


def load_pair(
    name: str,
    *,
    root: str | os.PathLike | None = None,
    subset: str | None = None,
    download: bool = True,
    progress: bool = True,
) -> tuple[Dataset, Dataset]:
    """Load ``(train, test)`` from the same source; arguments as for :func:`load`."""
    splits = _load_splits(name, SPLITS, root, subset, download, progress)
    return splits["train"], splits["test"]


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")


def _load_splits(name, splits, root, subset, download, progress) -> dict[str, Dataset]:
    if subset not in SUBSETS:
        raise ValueError(f"subset must be one of {SUBSETS}, not {subset!r}")
    if name == timit.STANDIN_NAME:
        images = _load_splits(FASHION_MNIST.name, splits, root, subset, download, progress)
        return {split: timit.standin_from_images(images[split]) for split in splits}
    if name not in REGISTRY:
        raise ValueError(f"unknown data set {name!r}; choose from {NAMES}")
    info = REGISTRY[name]
    if subset == "embedded" and not info.has_embedded:
        raise ValueError(f"{info.title} has no embedded subset; only fashion-mnist has one")

    if subset == "embedded":
        return _decode(info, splits, _embedded_paths(splits), "embedded")
    dirs = fetch.search_dirs(info.name, root, info.system_dirs)
    found = fetch.find_in_dirs(_alternatives(info, splits), dirs)
    if found is not None or (subset is None and info.has_embedded):
        _notice_unused_root(info, root, found)  # an error below lists the places itself
    if found is None and subset is None and info.has_embedded:
        print(
            f"minisharp: full {info.title} not found (looked in {', '.join(map(str, dirs))}); "
            f"using the embedded subset ({embedded_subset.PER_CLASS['train']} train / "
            f"{embedded_subset.PER_CLASS['test']} test images per class). For the full set: "
            f"{info.how_to_get}, set ${fetch.DATA_ENV}, or load with subset='full' to download.",
            file=sys.stderr,
        )
        return _decode(info, splits, _embedded_paths(splits), "embedded")
    if found is None:
        if not download:
            raise DataNotFoundError(_missing_message(info, dirs, "download=False"))
        found = _download(info, splits, dirs, progress)
    directory, paths = found
    return _decode(info, splits, paths, str(directory))


def _notice_unused_root(info: DatasetInfo, root, found) -> None:
    """Say on stderr when the place the user named does not hold the files (no silent skip)."""
    label, value = ("root", root) if root is not None else (
        f"${fetch.DATA_ENV}", os.environ.get(fetch.DATA_ENV))
    if value is None:
        return
    if not str(value):
        print(f"minisharp: {label} is set but empty; ignored", file=sys.stderr)
        return
    base = Path(value).expanduser()
    if found is None or found[0] not in (base / info.name, base):
        print(f"minisharp: {label}={value} does not hold the {info.title} files (looked in "
              f"{base / info.name} and {base}); looking in the other places", file=sys.stderr)


def _unique_files(info: DatasetInfo, splits) -> list[RemoteFile]:
    files = [f for split in splits for f in info.files[split]]
    return list(dict.fromkeys(files))  # CIFAR splits share one tarball


def _alternatives(info: DatasetInfo, splits) -> list[list[str]]:
    """Accepted file names: as published, and for IDX also already decompressed."""
    names = []
    for remote in _unique_files(info, splits):
        plain = remote.name.removesuffix(".gz")
        names.append([remote.name, plain] if info.kind == "idx" else [remote.name])
    return names


def _embedded_paths(splits) -> list[Path]:
    return [
        embedded_subset.EMBEDDED_DIR / file
        for split in splits
        for file in (embedded_subset.IMAGE_FILES[split], embedded_subset.LABEL_FILES[split])
    ]


def _missing_message(info: DatasetInfo, dirs, reason: str) -> str:
    files = ", ".join(f.name for f in _unique_files(info, SPLITS))
    install = f"{info.how_to_get}; or " if info.how_to_get else ""
    fallback = " Or use subset='embedded' for the built-in subset." if info.has_embedded else ""
    return (
        f"{info.title} not found in {', '.join(map(str, dirs))} and not downloaded ({reason}). "
        f"To get it: {install}download {files} from {info.base_url} into "
        f"{fetch.cache_dir() / info.name} or ${fetch.DATA_ENV}/{info.name}, "
        f"or set ${fetch.MIRROR_ENV} to a mirror laid out as <mirror>/{info.name}/<file>."
        f"{fallback}"
    )


def _download(info: DatasetInfo, splits, dirs, progress) -> tuple[Path, list[Path]]:
    """Download whatever files are missing from the cache directory, then use it."""
    target = fetch.cache_dir() / info.name
    try:
        target.mkdir(parents=True, exist_ok=True)
        if not os.access(target, os.W_OK):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(target))
    except OSError as error:
        raise DataNotFoundError(
            f"{info.title} must be downloaded, but the download cache {target} cannot be "
            f"written ({error.strerror}); set ${fetch.CACHE_ENV} to a writable directory"
        ) from None
    paths = []
    for remote, alternatives in zip(_unique_files(info, splits), _alternatives(info, splits)):
        present = next((target / n for n in alternatives if (target / n).is_file()), None)
        if present is None:
            url = fetch.resolve_url(info.base_url, info.name, remote.name)
            try:
                present = fetch.download(
                    url,
                    target / remote.name,
                    sha256=remote.sha256,
                    md5=remote.md5,
                    progress=progress,
                )
            except DownloadError as error:
                raise DataNotFoundError(_missing_message(info, dirs, str(error))) from error
        paths.append(present)
    return target, paths


def _decode(info, splits, paths, source) -> dict[str, Dataset]:
    """Read, verify and convert the located files into one ``Dataset`` per split."""
    if info.kind == "cifar":
        arrays = cifar.read_cifar_tarball(paths[0], info.name, tuple(splits))
    else:
        arrays = {}
        for split, (image_path, label_path) in zip(splits, zip(paths[::2], paths[1::2])):
            checks = (None, None) if source == "embedded" else info.files[split]
            images = _read_verified(image_path, checks[0] and checks[0].sha256)
            labels = _read_verified(label_path, checks[1] and checks[1].sha256)
            arrays[split] = _check_idx_pair(images, labels, image_path, label_path, info)
    return {
        split: Dataset(
            X=to_unit_float(images).reshape((-1, *info.input_shape)),
            y=labels.astype(np.int64),
            name=info.name,
            split=split,
            source=source,
            num_classes=info.num_classes,
            input_shape=info.input_shape,
        )
        for split, (images, labels) in arrays.items()
    }


def _read_verified(path: Path, sha256: str | None) -> np.ndarray:
    content = idx.read_file_bytes(path)
    if sha256 is not None:
        actual = hashlib.sha256(content).hexdigest()
        if actual != sha256:
            raise ChecksumError(
                f"{path}: SHA-256 of the content is {actual}, expected {sha256}; "
                "the file is damaged or is not the official release"
            )
    return idx.parse_idx(content, str(path))


def _check_idx_pair(images, labels, image_path, label_path, info) -> tuple[np.ndarray, np.ndarray]:
    height, width = info.input_shape[1:]
    if images.ndim != 3 or images.shape[1:] != (height, width) or images.dtype != np.uint8:
        raise ValueError(
            f"{image_path}: expected uint8 images N x {height} x {width}, "
            f"got {images.dtype} {images.shape}"
        )
    if labels.ndim != 1 or labels.dtype != np.uint8:
        raise ValueError(f"{label_path}: expected a 1-D uint8 label file, got {labels.shape}")
    if len(labels) != len(images):
        raise ValueError(f"{label_path}: {len(labels)} labels for {len(images)} images")
    if len(labels) and labels.max() >= info.num_classes:
        raise ValueError(f"{label_path}: label {labels.max()} outside 0..{info.num_classes - 1}")
    return images, labels
