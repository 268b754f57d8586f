"""Reader and writer for the IDX format used by MNIST and Fashion-MNIST.

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of
dimensions), one big-endian uint32 per dimension, then the array in C order,
big-endian. Files may be gzip-compressed; ``.gz`` is detected from the content,
not the name.

The reader never trusts the header: it checks the declared size against the bytes
actually present before building an array, and caps decompression, so a corrupt
or hostile file gives a ``ValueError`` naming the file instead of a crash, a hang
or a huge allocation.
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib
from pathlib import Path

import numpy as np

# IDX type code -> big-endian numpy dtype (from the format's definition on the MNIST page).
IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODE_OF_DTYPE = {dtype.newbyteorder("="): code for code, dtype in IDX_DTYPES.items()}

# Largest decompressed file accepted. The biggest real IDX file (MNIST-like training
# images) is 47 MB; anything past this limit is treated as corrupt rather than read.
MAX_IDX_BYTES = 1 << 31
MAX_IDX_DIMS = 8
_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20


def read_file_bytes(path: str | os.PathLike, max_bytes: int = MAX_IDX_BYTES) -> bytes:
    """Return the (decompressed, if gzipped) content of ``path``.

    Reads in chunks so that memory only grows with data actually present, and
    raises ``ValueError`` once more than ``max_bytes`` come out or the gzip stream
    is damaged.
    """
    path = Path(path)
    with open(path, "rb") as raw:
        is_gzip = raw.read(2) == _GZIP_MAGIC
    opener = gzip.open if is_gzip else open
    chunks = []
    total = 0
    try:
        with opener(path, "rb") as stream:
            while chunk := stream.read(_CHUNK):
                total += len(chunk)
                if total > max_bytes:
                    raise ValueError(
                        f"{path}: more than {max_bytes} bytes of data; not an IDX file"
                    )
                chunks.append(chunk)
    except (EOFError, gzip.BadGzipFile, zlib.error) as error:
        raise ValueError(f"{path}: damaged gzip stream ({error})") from error
    return b"".join(chunks)


def parse_idx(content: bytes, name: str = "<bytes>") -> np.ndarray:
    """Parse IDX ``content`` into a native-endian array; ``name`` labels errors."""
    if len(content) < 4:
        raise ValueError(f"{name}: {len(content)} bytes is too short for an IDX header")
    zero, type_code, ndim = struct.unpack(">HBB", content[:4])
    if zero != 0 or type_code not in IDX_DTYPES:
        raise ValueError(f"{name}: bad IDX magic number 0x{content[:4].hex()}")
    if not 1 <= ndim <= MAX_IDX_DIMS:
        raise ValueError(f"{name}: IDX header declares {ndim} dimensions")
    header_len = 4 + 4 * ndim
    if len(content) < header_len:
        raise ValueError(f"{name}: truncated IDX header ({len(content)} bytes)")
    shape = struct.unpack(f">{ndim}I", content[4:header_len])
    dtype = IDX_DTYPES[type_code]
    declared = dtype.itemsize
    for dim in shape:  # Python ints: no overflow however absurd the dimensions
        declared *= dim
    present = len(content) - header_len
    if declared != present:
        raise ValueError(
            f"{name}: header declares shape {shape} ({declared} data bytes) "
            f"but the file holds {present} data bytes"
        )
    array = np.frombuffer(content, dtype=dtype, offset=header_len).reshape(shape)
    return array.astype(dtype.newbyteorder("="))


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (gzipped or not) into a native-endian numpy array."""
    return parse_idx(read_file_bytes(path), str(path))


def encode_idx(array: np.ndarray) -> bytes:
    """Serialise ``array`` to IDX bytes (inverse of :func:`parse_idx`)."""
    array = np.asarray(array)
    native = array.dtype.newbyteorder("=")
    if native not in _CODE_OF_DTYPE:
        raise ValueError(f"IDX cannot store dtype {array.dtype}")
    if not 1 <= array.ndim <= MAX_IDX_DIMS:
        raise ValueError(f"IDX stores 1 to {MAX_IDX_DIMS} dimensions, not {array.ndim}")
    code = _CODE_OF_DTYPE[native]
    header = struct.pack(f">HBB{array.ndim}I", 0, code, array.ndim, *array.shape)
    return header + np.ascontiguousarray(array, dtype=IDX_DTYPES[code]).tobytes()


def gzip_deterministic(content: bytes) -> bytes:
    """Gzip ``content`` at level 9 with a fixed 10-byte header (no name, mtime 0).

    The header is written by hand because Python versions differ in the OS byte
    they put there; this way the output depends only on the input and zlib's
    deflate, which is what lets ``scripts/make_embedded.py`` rebuild the embedded
    files byte for byte.
    """
    # magic, deflate method, no flags, mtime 0, XFL 2 (max compression), OS 255 (unknown)
    header = b"\x1f\x8b\x08\x00" + b"\x00\x00\x00\x00" + b"\x02\xff"
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS, 8, zlib.Z_DEFAULT_STRATEGY)
    body = compressor.compress(content) + compressor.flush()
    trailer = struct.pack("<II", zlib.crc32(content), len(content) & 0xFFFFFFFF)
    return header + body + trailer


def write_idx(path: str | os.PathLike, array: np.ndarray, *, compress: bool | None = None) -> None:
    """Write ``array`` as an IDX file; gzip it (deterministically) if ``compress``.

    ``compress=None`` compresses when the file name ends in ``.gz``.
    """
    path = Path(path)
    if compress is None:
        compress = path.suffix == ".gz"
    content = encode_idx(array)
    path.write_bytes(gzip_deterministic(content) if compress else content)
