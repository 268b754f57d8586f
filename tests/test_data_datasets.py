"""``load``: the embedded subset, the full Debian Fashion-MNIST, fallbacks, preprocessing."""

import dataclasses
import gzip
import hashlib
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from minisharp import data
from minisharp.data import datasets, embedded_subset, idx

DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
REPO = Path(__file__).resolve().parent.parent
# Published SHA-256 of the decompressed Fashion-MNIST files (shared/notes/data-and-deps.md).
PUBLISHED_SHA256 = {
    "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}
needs_debian = pytest.mark.skipif(
    not (DEBIAN_DIR / "train-images-idx3-ubyte.gz").is_file(),
    reason="full Fashion-MNIST absent: apt-get install dataset-fashion-mnist",
)


@pytest.fixture
def no_full_set(tmp_path, monkeypatch):
    """Hide every full copy of Fashion-MNIST and forbid real downloads."""
    monkeypatch.setenv("MINISHARP_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("MINISHARP_DATA", raising=False)
    monkeypatch.setenv("MINISHARP_MIRROR", "http://127.0.0.1:9")
    no_debian = dataclasses.replace(datasets.FASHION_MNIST, system_dirs=())
    monkeypatch.setitem(datasets.REGISTRY, "fashion-mnist", no_debian)
    return tmp_path


def test_embedded_subset_is_balanced_real_data():
    train, test = data.load_pair("fashion-mnist", subset="embedded")
    for ds, per_class in ((train, 1600), (test, 200)):
        assert ds.X.shape == (10 * per_class, 1, 28, 28) and ds.X.dtype == np.float32
        assert ds.y.dtype == np.int64 and ds.y.shape == (10 * per_class,)
        assert np.bincount(ds.y).tolist() == [per_class] * 10
        assert 0.0 <= ds.X.min() and ds.X.max() == 1.0
        assert ds.source == "embedded" and ds.num_classes == 10
        assert ds.input_shape == (1, 28, 28) and len(ds) == 10 * per_class
    assert train.split == "train" and test.split == "test"


def test_embedded_package_fits_the_budget():
    total = sum(p.stat().st_size for p in embedded_subset.EMBEDDED_DIR.iterdir())
    assert total <= 8_000_000
    assert (embedded_subset.EMBEDDED_DIR / "LICENSE").read_text().count("Zalando SE") >= 1


def test_default_falls_back_to_embedded_with_one_notice(no_full_set, capsys):
    train, test = data.load_pair("fashion-mnist")
    assert train.source == test.source == "embedded"
    notice = capsys.readouterr().err
    assert notice.count("\n") == 1 and "embedded" in notice and "dataset-fashion-mnist" in notice
    assert data.load("fashion-mnist", "test").source == "embedded"
    assert capsys.readouterr().err.count("\n") == 1


def test_full_subset_demands_the_full_set(no_full_set):
    with pytest.raises(data.DataNotFoundError, match="subset='embedded'"):
        data.load("fashion-mnist", subset="full", download=False)


def test_argument_errors():
    with pytest.raises(ValueError, match="unknown data set"):
        data.load("imagenet")
    with pytest.raises(ValueError, match="split"):
        data.load("fashion-mnist", "valid")
    with pytest.raises(ValueError, match="subset"):
        data.load("fashion-mnist", subset="half")
    with pytest.raises(ValueError, match="no embedded subset"):
        data.load("cifar10", subset="embedded")


def write_idx_set(directory, rng, n_train=8, n_test=3, max_label=10):
    directory.mkdir(parents=True)
    arrays = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, max_label, size=n, dtype=np.uint8)
        idx.write_idx(directory / f"{prefix}-images-idx3-ubyte", images)  # uncompressed
        idx.write_idx(directory / f"{prefix}-labels-idx1-ubyte.gz", labels)
        arrays[prefix] = (images, labels)
    return arrays


def test_root_lookup_and_scaling(no_full_set):
    arrays = write_idx_set(no_full_set / "root" / "mnist", np.random.default_rng(0))
    test = data.load("mnist", "test", root=no_full_set / "root", download=False)
    images, labels = arrays["t10k"]
    np.testing.assert_array_equal(test.X[:, 0], images / np.float32(255))
    np.testing.assert_array_equal(test.y, labels)
    assert test.source == str(no_full_set / "root" / "mnist")


def test_env_root_is_used(no_full_set, monkeypatch):
    write_idx_set(no_full_set / "envroot", np.random.default_rng(1))
    monkeypatch.setenv("MINISHARP_DATA", str(no_full_set / "envroot"))
    assert data.load("mnist", download=False).source == str(no_full_set / "envroot")


def test_wrong_content_for_fashion_mnist_is_rejected(no_full_set):
    write_idx_set(no_full_set / "root" / "fashion-mnist", np.random.default_rng(2))
    with pytest.raises(data.ChecksumError, match="SHA-256"):
        data.load("fashion-mnist", root=no_full_set / "root")


def test_inconsistent_files_are_value_errors(no_full_set):
    write_idx_set(no_full_set / "root" / "mnist", np.random.default_rng(3), max_label=11)
    labels = np.full(8, 10, dtype=np.uint8)
    idx.write_idx(no_full_set / "root" / "mnist" / "train-labels-idx1-ubyte.gz", labels)
    with pytest.raises(ValueError, match="label 10"):
        data.load("mnist", root=no_full_set / "root", download=False)
    idx.write_idx(no_full_set / "root" / "mnist" / "train-labels-idx1-ubyte.gz", labels[:5] % 10)
    with pytest.raises(ValueError, match="5 labels for 8 images"):
        data.load("mnist", root=no_full_set / "root", download=False)


def test_f2_standin_is_flattened_fashion_mnist():
    images = data.load("fashion-mnist", "test", subset="embedded")
    frames = data.load("f2-standin", "test", subset="embedded")
    assert frames.X.shape == (2000, 784) and frames.input_shape == (784,)
    assert frames.name == "f2-standin" and frames.num_classes == 10
    np.testing.assert_array_equal(frames.X, images.X.reshape(2000, 784))
    np.testing.assert_array_equal(frames.y, images.y)


def test_standardize_uses_training_statistics_per_channel():
    rng = np.random.default_rng(4)
    train = rng.normal([1.0, -2.0, 5.0], [2.0, 0.5, 1.0], size=(500, 4, 4, 3))
    train = np.moveaxis(train, -1, 1).astype(np.float32)
    train[:, 2, 0, 0] = 5.0
    test = train[:50] + 1.0
    original = train.copy()
    train_std, test_std = data.standardize(train, test)
    np.testing.assert_array_equal(train, original)
    np.testing.assert_allclose(train_std.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(train_std.std(axis=(0, 2, 3)), 1, atol=1e-4)
    np.testing.assert_allclose(
        test_std, train_std[:50] + 1.0 / train.std(axis=(0, 2, 3))[None, :, None, None], atol=1e-4
    )
    assert train_std.dtype == test_std.dtype == np.float32
    constant = np.ones((10, 3), np.float32)
    assert np.isfinite(data.standardize(constant, constant)[0]).all()


@needs_debian
def test_full_fashion_mnist_from_debian(monkeypatch):
    monkeypatch.delenv("MINISHARP_DATA", raising=False)
    for name, digest in PUBLISHED_SHA256.items():
        with gzip.open(DEBIAN_DIR / f"{name}.gz", "rb") as stream:
            assert hashlib.sha256(stream.read()).hexdigest() == digest, name
    train, test = data.load_pair("fashion-mnist", download=False)
    assert (len(train), len(test)) == (60_000, 10_000)
    assert train.source == str(DEBIAN_DIR)
    assert np.bincount(train.y).tolist() == [6000] * 10
    assert train.X.shape == (60_000, 1, 28, 28) and train.X.dtype == np.float32
    assert abs(float(train.X.mean()) * 255 - 72.94) < 0.01  # mean pixel in the notes


@needs_debian
def test_embedded_rebuilds_byte_for_byte(tmp_path):
    spec = importlib.util.spec_from_file_location(
        "make_embedded", REPO / "scripts/make_embedded.py"
    )
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    rebuilt = script.build(DEBIAN_DIR, tmp_path)
    assert len(rebuilt) == 4
    for path in rebuilt:
        shipped = embedded_subset.EMBEDDED_DIR / path.name
        assert gzip.decompress(path.read_bytes()) == gzip.decompress(shipped.read_bytes()), path
        assert path.read_bytes() == shipped.read_bytes(), f"{path.name}: zlib deflate differs"


@pytest.mark.parametrize("setting", ["empty", "wrong", "blank"])
def test_a_data_root_without_the_files_is_named_in_a_notice(no_full_set, monkeypatch, capsys,
                                                            setting):
    empty = no_full_set / "empty"
    empty.mkdir()
    value = {"empty": str(empty), "wrong": str(no_full_set / "missing"), "blank": ""}[setting]
    monkeypatch.setenv("MINISHARP_DATA", value)
    assert data.load("fashion-mnist", "test").source == "embedded"
    notices = capsys.readouterr().err.strip().splitlines()
    assert len(notices) == 2 and "embedded" in notices[1]
    if setting == "blank":
        assert notices[0] == "minisharp: $MINISHARP_DATA is set but empty; ignored"
    else:
        assert notices[0].startswith(f"minisharp: $MINISHARP_DATA={value} does not hold the "
                                     "Fashion-MNIST files")


def test_a_root_argument_without_the_files_is_named_in_a_notice(no_full_set, capsys):
    write_idx_set(no_full_set / "cache" / "mnist", np.random.default_rng(3))
    nothing = no_full_set / "nothing"
    assert data.load("mnist", root=nothing).source == str(no_full_set / "cache" / "mnist")
    notice = capsys.readouterr().err.strip().splitlines()
    assert notice == [f"minisharp: root={nothing} does not hold the MNIST files (looked in "
                      f"{nothing / 'mnist'} and {nothing}); looking in the other places"]
    with pytest.raises(data.DataNotFoundError, match=f"not found in {nothing / 'cifar10'}"):
        data.load("cifar10", root=nothing, download=False)
    assert capsys.readouterr().err == ""  # the error lists the places; no second line


def test_an_unwritable_download_cache_is_named(no_full_set, monkeypatch):
    blocker = no_full_set / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("MINISHARP_CACHE", str(blocker))
    with pytest.raises(data.DataNotFoundError, match=r"the download cache .*a-file/mnist cannot "
                                                     r"be written .*\$MINISHARP_CACHE"):
        data.load("mnist", progress=False)
