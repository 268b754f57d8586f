"""IDX reader/writer: official layout, round trips, and hostile input."""

import gzip
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minisharp.data import idx


def official_bytes(array: np.ndarray, type_code: int) -> bytes:
    """IDX bytes built by hand from the format description, independent of encode_idx."""
    header = bytes([0, 0, type_code, array.ndim]) + b"".join(
        struct.pack(">I", d) for d in array.shape
    )
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def test_reads_hand_built_image_and_label_files(tmp_path):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    labels = np.array([7, 3], dtype=np.uint8)
    (tmp_path / "img-idx3-ubyte").write_bytes(official_bytes(images, 0x08))
    (tmp_path / "lab-idx1-ubyte.gz").write_bytes(gzip.compress(official_bytes(labels, 0x08)))
    np.testing.assert_array_equal(idx.read_idx(tmp_path / "img-idx3-ubyte"), images)
    np.testing.assert_array_equal(idx.read_idx(tmp_path / "lab-idx1-ubyte.gz"), labels)


@pytest.mark.parametrize(
    "array",
    [
        np.arange(24, dtype=np.uint8).reshape(2, 3, 4),
        np.array([-5, 0, 5], dtype=np.int8),
        np.array([[1, -70000]], dtype=np.int32),
        np.array([-300, 2], dtype=np.int16),
        np.linspace(-1, 1, 6, dtype=np.float32).reshape(3, 2),
        np.array([np.pi], dtype=np.float64),
    ],
)
@pytest.mark.parametrize("name", ["a-idx", "a-idx.gz"])
def test_round_trip(tmp_path, array, name):
    idx.write_idx(tmp_path / name, array)
    back = idx.read_idx(tmp_path / name)
    assert back.dtype == array.dtype and back.shape == array.shape
    np.testing.assert_array_equal(back, array)
    assert back.flags.writeable


def test_encode_matches_official_layout():
    array = np.array([[1, 2], [3, 4]], dtype=np.int32)
    assert idx.encode_idx(array) == official_bytes(array, 0x0C)


def test_deterministic_gzip_is_valid_and_stable():
    content = bytes(range(256)) * 100
    packed = idx.gzip_deterministic(content)
    assert packed == idx.gzip_deterministic(content)
    assert gzip.decompress(packed) == content
    assert packed[4:8] == b"\0\0\0\0"  # mtime 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x00\x01\x08\x01\x00\x00\x00\x01\x05", "magic"),
        (b"\x00\x00\x07\x01\x00\x00\x00\x01\x05", "magic"),
        (b"\x00\x00\x08", "too short"),
        (b"\x00\x00\x08\x00", "dimensions"),
        (b"\x00\x00\x08\x03\x00\x00\x00\x01", "truncated"),
        (b"\x00\x00\x08\x01\x00\x00\x00\x03\x01\x02", "declares"),
        (b"\x00\x00\x08\x01\x00\x00\x00\x01\x01\x02", "declares"),
        (b"\x00\x00\x0e\x03" + b"\xff" * 12 + b"\x00" * 8, "declares"),
    ],
)
def test_malformed_content_names_the_file(tmp_path, content, message):
    path = tmp_path / "bad-idx"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message) as info:
        idx.read_idx(path)
    assert str(path) in str(info.value)


def test_damaged_gzip_is_a_value_error(tmp_path):
    packed = gzip.compress(official_bytes(np.zeros((10, 5), np.uint8), 0x08))
    path = tmp_path / "cut.gz"
    path.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(ValueError, match="gzip"):
        idx.read_idx(path)


def test_decompression_is_capped(tmp_path):
    path = tmp_path / "bomb.gz"
    path.write_bytes(gzip.compress(b"\0" * 5_000_000))
    with pytest.raises(ValueError, match="more than"):
        idx.read_file_bytes(path, max_bytes=1_000_000)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64))
def test_random_bytes_parse_or_raise_value_error(content):
    try:
        array = idx.parse_idx(content)
    except ValueError:
        return
    assert array.size * array.itemsize == len(content) - 4 - 4 * array.ndim


@settings(max_examples=300, deadline=None)
@given(
    type_code=st.sampled_from([0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E]),
    dims=st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=4),
    payload=st.binary(max_size=64),
)
def test_random_headers_never_allocate_blindly(type_code, dims, payload):
    header = bytes([0, 0, type_code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims)
    try:
        array = idx.parse_idx(header + payload)
    except ValueError:
        return
    assert list(array.shape) == dims


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_truncations_of_a_valid_file(data):
    valid = official_bytes(np.arange(60, dtype=np.uint8).reshape(3, 4, 5), 0x08)
    cut = data.draw(st.integers(0, len(valid) - 1))
    with pytest.raises(ValueError):
        idx.parse_idx(valid[:cut])
