"""Reader for the *binary* CIFAR-10 and CIFAR-100 tarballs (no pickle anywhere).

Layouts, as documented on https://www.cs.toronto.edu/~kriz/cifar.html:

* ``cifar-10-binary.tar.gz`` holds ``cifar-10-batches-bin/data_batch_{1..5}.bin``
  (training) and ``test_batch.bin``; each record is 1 label byte + 3072 pixel bytes.
* ``cifar-100-binary.tar.gz`` holds ``cifar-100-binary/train.bin`` and ``test.bin``;
  each record is a coarse-label byte, a fine-label byte, then 3072 pixel bytes.
  The fine (100-class) label is the one returned.

The 3072 pixel bytes are the red, green and blue 32x32 planes in row-major order,
so records reshape directly to N x 3 x 32 x 32.

The tarball is streamed in one pass and members are read in memory, never
extracted, so odd member paths cannot write anywhere. Damaged archives, missing
members, partial records and out-of-range labels raise ``ValueError`` naming the file.
"""

from __future__ import annotations

import gzip
import os
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

IMAGE_SHAPE = (3, 32, 32)
PIXELS_PER_IMAGE = 3 * 32 * 32
# A real member holds at most 50,000 CIFAR-100 records (153.7 MB); larger is corrupt.
MAX_MEMBER_BYTES = 200_000_000


@dataclass(frozen=True)
class CifarLayout:
    """Where each split lives in a tarball and how a record is laid out."""

    members: dict[str, tuple[str, ...]]
    label_bytes: int  # bytes before the pixels in each record
    label_offset: int  # which of those bytes is the label we keep
    num_classes: int

    @property
    def record_bytes(self) -> int:
        return self.label_bytes + PIXELS_PER_IMAGE


CIFAR10 = CifarLayout(
    members={
        "train": tuple(f"cifar-10-batches-bin/data_batch_{i}.bin" for i in range(1, 6)),
        "test": ("cifar-10-batches-bin/test_batch.bin",),
    },
    label_bytes=1,
    label_offset=0,
    num_classes=10,
)
CIFAR100 = CifarLayout(
    members={"train": ("cifar-100-binary/train.bin",), "test": ("cifar-100-binary/test.bin",)},
    label_bytes=2,
    label_offset=1,  # fine label; byte 0 is the coarse (20-class) label
    num_classes=100,
)
LAYOUTS = {"cifar10": CIFAR10, "cifar100": CIFAR100}


def parse_records(
    content: bytes, layout: CifarLayout, name: str = "<bytes>"
) -> tuple[np.ndarray, np.ndarray]:
    """Split raw CIFAR records into uint8 images N x 3 x 32 x 32 and int64 labels."""
    record = layout.record_bytes
    if len(content) == 0 or len(content) % record:
        raise ValueError(
            f"{name}: {len(content)} bytes is not a whole number of {record}-byte CIFAR records"
        )
    rows = np.frombuffer(content, dtype=np.uint8).reshape(-1, record)
    labels = rows[:, layout.label_offset].astype(np.int64)
    if labels.max() >= layout.num_classes:
        raise ValueError(
            f"{name}: label {labels.max()} out of range for {layout.num_classes} classes"
        )
    if layout.label_bytes == 2 and rows[:, 0].max() >= 20:
        raise ValueError(f"{name}: coarse label {rows[:, 0].max()} out of range for 20 classes")
    images = rows[:, layout.label_bytes :].reshape((-1, *IMAGE_SHAPE)).copy()
    return images, labels


def read_cifar_tarball(
    path: str | os.PathLike, variant: str, splits: tuple[str, ...] = ("train", "test")
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Read the requested ``splits`` of a binary CIFAR tarball in one streaming pass.

    ``variant`` is ``"cifar10"`` or ``"cifar100"``. Returns ``{split: (images, labels)}``
    with images uint8 N x 3 x 32 x 32 and labels int64 (fine labels for CIFAR-100).
    """
    layout = LAYOUTS[variant]
    wanted = {member for split in splits for member in layout.members[split]}
    found: dict[str, bytes] = {}
    path = Path(path)
    try:
        with tarfile.open(path, mode="r|*") as archive:
            for member in archive:
                if member.name not in wanted or not member.isfile():
                    continue
                if member.size > MAX_MEMBER_BYTES:
                    raise ValueError(f"{path}: member {member.name} declares {member.size} bytes")
                stream = archive.extractfile(member)
                content = stream.read() if stream is not None else b""
                if len(content) != member.size:
                    raise ValueError(f"{path}: member {member.name} is truncated")
                found[member.name] = content
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as error:
        raise ValueError(f"{path}: not a readable CIFAR tarball ({error})") from error

    missing = sorted(wanted - found.keys())
    if missing:
        raise ValueError(
            f"{path}: missing {', '.join(missing)}; is this the {variant} binary tarball?"
        )
    result = {}
    for split in splits:
        parts = [parse_records(found[m], layout, f"{path}:{m}") for m in layout.members[split]]
        images = np.concatenate([images for images, _ in parts])
        labels = np.concatenate([labels for _, labels in parts])
        result[split] = (images, labels)
    return result
