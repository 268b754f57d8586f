"""Rebuild minisharp/data/embedded/ from the full Fashion-MNIST, byte for byte.

Usage: python scripts/make_embedded.py [--source DIR] [--out DIR]

The source defaults to Debian's dataset-fashion-mnist location. Samples are chosen
by the hash rule in ``minisharp.data.embedded_subset.select_balanced`` and written as IDX
with the deterministic gzip of ``minisharp.data.idx.gzip_deterministic``, so the
output depends only on the full data set (checked against its published SHA-256)
and zlib's deflate.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from minisharp.data import embedded_subset, idx  # noqa: E402
from minisharp.data.datasets import DEBIAN_FASHION_MNIST_DIR, FASHION_MNIST  # noqa: E402


def read_checked(path: Path, sha256: str):
    """Read an official IDX file, refusing anything but the published content."""
    content = idx.read_file_bytes(path)
    if hashlib.sha256(content).hexdigest() != sha256:
        raise SystemExit(f"{path}: content does not match the published SHA-256")
    return idx.parse_idx(content, str(path))


def build(source: Path, out: Path) -> list[Path]:
    """Write the four embedded files under ``out``; return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for split in ("train", "test"):
        image_file, label_file = FASHION_MNIST.files[split]
        images = read_checked(source / image_file.name, image_file.sha256)
        labels = read_checked(source / label_file.name, label_file.sha256)
        keep = embedded_subset.select_balanced(labels, embedded_subset.PER_CLASS[split], split)
        for name, array in (
            (embedded_subset.IMAGE_FILES[split], images[keep]),
            (embedded_subset.LABEL_FILES[split], labels[keep]),
        ):
            path = out / name
            path.write_bytes(idx.gzip_deterministic(idx.encode_idx(array)))
            written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=Path(DEBIAN_FASHION_MNIST_DIR))
    parser.add_argument("--out", type=Path, default=embedded_subset.EMBEDDED_DIR)
    args = parser.parse_args()
    for path in build(args.source, args.out):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        print(f"{path}  {path.stat().st_size:>9} bytes  sha256 {digest}")


if __name__ == "__main__":
    main()
