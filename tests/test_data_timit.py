"""Frame ``.npy`` pair reader (Kaldi-style TIMIT export) on generated files."""

import numpy as np
import pytest

from minisharp import data


def save_pair(tmp_path, features, labels):
    np.save(tmp_path / "feats.npy", features)
    np.save(tmp_path / "labels.npy", labels)
    return tmp_path / "feats.npy", tmp_path / "labels.npy"


def test_reads_a_valid_pair(tmp_path):
    rng = np.random.default_rng(0)
    features = rng.normal(size=(50, 360)).astype(np.float32)
    labels = rng.integers(0, 1973, size=50).astype(np.int32)
    X, y = data.load_frames(*save_pair(tmp_path, features, labels), num_classes=1973)
    assert X.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_array_equal(X, features)
    np.testing.assert_array_equal(y, labels)


def test_float64_features_become_float32(tmp_path):
    X, _ = data.load_frames(*save_pair(tmp_path, np.ones((3, 2)), np.zeros(3, np.uint16)))
    assert X.dtype == np.float32


@pytest.mark.parametrize(
    ("features", "labels", "message"),
    [
        (np.ones((4, 3, 2), np.float32), np.zeros(4, np.int64), "N x D"),
        (np.ones((4, 3), np.int32), np.zeros(4, np.int64), "N x D"),
        (np.ones((4, 3), np.float32), np.zeros((4, 1), np.int64), "1-D integer"),
        (np.ones((4, 3), np.float32), np.zeros(4, np.float32), "1-D integer"),
        (np.ones((4, 3), np.float32), np.zeros(5, np.int64), "5 labels for 4"),
        (np.ones((2, 3), np.float32), np.array([0, -1]), "negative"),
        (np.ones((2, 3), np.float32), np.array([0, 10]), "outside 0..9"),
        (np.array([[0.0, np.nan]], np.float32), np.array([0]), "NaN"),
    ],
)
def test_invalid_pairs(tmp_path, features, labels, message):
    paths = save_pair(tmp_path, features, labels)
    with pytest.raises(ValueError, match=message):
        data.load_frames(*paths, num_classes=10)


def test_pickled_objects_are_refused(tmp_path):
    np.save(tmp_path / "feats.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    np.save(tmp_path / "labels.npy", np.zeros(1, np.int64))
    with pytest.raises(ValueError, match="objects"):
        data.load_frames(tmp_path / "feats.npy", tmp_path / "labels.npy")


def test_truncated_or_lying_header(tmp_path):
    features, labels = save_pair(tmp_path, np.ones((100, 8), np.float32), np.zeros(100, np.int64))
    content = features.read_bytes()
    features.write_bytes(content[:-40])
    with pytest.raises(ValueError, match="declares"):
        data.load_frames(features, labels)

    # A header claiming 8e12 floats over 32 bytes of data must not be allocated.
    with open(features, "wb") as stream:
        header = {"descr": "<f4", "fortran_order": False, "shape": (10**12, 8)}
        np.lib.format.write_array_header_1_0(stream, header)
        stream.write(bytes(32))
    with pytest.raises(ValueError, match="declares"):
        data.load_frames(features, labels)

    features.write_bytes(b"not numpy at all")
    with pytest.raises(ValueError, match="feats.npy"):
        data.load_frames(features, labels)
