"""Binary CIFAR-10/100 reader on small tarballs written in the official layout."""

import functools
import io
import tarfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minisharp import data
from minisharp.data import cifar


def records(labels, images, coarse=None):
    """Official record bytes: [coarse] label, then R, G, B planes of 32x32, row-major."""
    rows = []
    for i, (label, image) in enumerate(zip(labels, images)):
        head = bytes([coarse[i], label]) if coarse is not None else bytes([label])
        rows.append(head + image.astype(np.uint8).tobytes())
    return b"".join(rows)


def write_tarball(target, members: dict[str, bytes], mode="w:gz"):
    """Write ``members`` into a tarball at ``target`` (a path or a binary file object)."""
    opened = {"fileobj": target} if isinstance(target, io.IOBase) else {"name": target}
    with tarfile.open(mode=mode, **opened) as archive:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))


def random_images(rng, n):
    return rng.integers(0, 256, size=(n, 3, 32, 32), dtype=np.uint8)


def cifar10_members(rng, per_batch=2):
    members, expected = {}, {"train": ([], []), "test": ([], [])}
    names = [f"cifar-10-batches-bin/data_batch_{i}.bin" for i in range(1, 6)]
    for name in [*names, "cifar-10-batches-bin/test_batch.bin"]:
        images, labels = random_images(rng, per_batch), rng.integers(0, 10, per_batch)
        members[name] = records(labels, images)
        split = "test" if "test" in name else "train"
        expected[split][0].append(images)
        expected[split][1].append(labels)
    members["cifar-10-batches-bin/batches.meta.txt"] = b"airplane\n"
    return members, {k: (np.concatenate(a), np.concatenate(b)) for k, (a, b) in expected.items()}


def test_cifar10_layout_and_labels(tmp_path):
    members, expected = cifar10_members(np.random.default_rng(0))
    write_tarball(tmp_path / "c10.tar.gz", members)
    result = cifar.read_cifar_tarball(tmp_path / "c10.tar.gz", "cifar10")
    for split in ("train", "test"):
        images, labels = result[split]
        assert images.dtype == np.uint8 and labels.dtype == np.int64
        np.testing.assert_array_equal(images, expected[split][0])
        np.testing.assert_array_equal(labels, expected[split][1])
    assert result["train"][0].shape == (10, 3, 32, 32)


def test_channel_planes_come_in_rgb_order():
    image = np.zeros((3, 32, 32), np.uint8)
    image[0, 0, 1], image[1, 2, 0], image[2, 31, 31] = 11, 22, 33
    flat = bytes([4]) + bytes(3072)
    flat = bytearray(flat)
    flat[1 + 1], flat[1 + 1024 + 2 * 32], flat[1 + 3071] = 11, 22, 33
    images, labels = cifar.parse_records(bytes(flat), cifar.CIFAR10)
    np.testing.assert_array_equal(images[0], image)
    assert labels.tolist() == [4]


def test_cifar100_uses_fine_labels(tmp_path):
    rng = np.random.default_rng(1)
    fine, coarse = np.array([99, 5, 42]), np.array([19, 0, 7])
    images = random_images(rng, 3)
    members = {
        "cifar-100-binary/train.bin": records(fine, images, coarse),
        "cifar-100-binary/test.bin": records(fine[:1], images[:1], coarse[:1]),
    }
    write_tarball(tmp_path / "c100.tar.gz", members)
    result = cifar.read_cifar_tarball(tmp_path / "c100.tar.gz", "cifar100")
    np.testing.assert_array_equal(result["train"][1], fine)
    np.testing.assert_array_equal(result["train"][0], images)
    assert result["test"][1].tolist() == [99]


def test_load_from_root_scales_to_unit_interval(tmp_path, monkeypatch):
    monkeypatch.setenv("MINISHARP_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("MINISHARP_MIRROR", "http://127.0.0.1:9/unused")
    members, expected = cifar10_members(np.random.default_rng(2))
    (tmp_path / "cifar10").mkdir()
    write_tarball(tmp_path / "cifar10" / "cifar-10-binary.tar.gz", members)
    train, test = data.load_pair("cifar10", root=tmp_path, download=False)
    assert train.X.shape == (10, 3, 32, 32) and train.X.dtype == np.float32
    assert train.input_shape == (3, 32, 32) and train.num_classes == 10
    np.testing.assert_array_equal(train.X, expected["train"][0] / np.float32(255))
    np.testing.assert_array_equal(test.y, expected["test"][1])
    assert train.source == str(tmp_path / "cifar10")


def test_missing_member(tmp_path):
    members, _ = cifar10_members(np.random.default_rng(3))
    del members["cifar-10-batches-bin/data_batch_3.bin"]
    write_tarball(tmp_path / "c.tar.gz", members)
    with pytest.raises(ValueError, match="data_batch_3"):
        cifar.read_cifar_tarball(tmp_path / "c.tar.gz", "cifar10")
    # The test split alone does not need the missing member.
    assert len(cifar.read_cifar_tarball(tmp_path / "c.tar.gz", "cifar10", ("test",))["test"][1])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (bytes(3073 + 5), "whole number"),
        (b"", "whole number"),
        (bytes([10]) + bytes(3072), "out of range"),
    ],
)
def test_bad_records(content, message):
    with pytest.raises(ValueError, match=message):
        cifar.parse_records(content, cifar.CIFAR10, "x.bin")


def test_bad_coarse_label():
    with pytest.raises(ValueError, match="coarse"):
        cifar.parse_records(bytes([20, 3]) + bytes(3072), cifar.CIFAR100)


def test_not_a_tarball_and_truncated_tarball(tmp_path):
    (tmp_path / "junk.tar.gz").write_bytes(b"not a tarball at all" * 50)
    with pytest.raises(ValueError, match="junk.tar.gz"):
        cifar.read_cifar_tarball(tmp_path / "junk.tar.gz", "cifar10")
    members, _ = cifar10_members(np.random.default_rng(4))
    write_tarball(tmp_path / "ok.tar", members, mode="w")
    whole = (tmp_path / "ok.tar").read_bytes()
    (tmp_path / "cut.tar").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ValueError, match="cut.tar"):
        cifar.read_cifar_tarball(tmp_path / "cut.tar", "cifar10")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=4000), st.sampled_from(["cifar10", "cifar100"]))
def test_random_record_bytes_parse_or_raise(content, variant):
    try:
        images, labels = cifar.parse_records(content, cifar.LAYOUTS[variant])
    except ValueError:
        return
    assert images.shape == (len(labels), 3, 32, 32)


@functools.lru_cache(maxsize=1)
def valid_tarball_bytes() -> bytes:
    members, _ = cifar10_members(np.random.default_rng(5), per_batch=1)
    buffer = io.BytesIO()
    write_tarball(buffer, members)
    return buffer.getvalue()


@settings(max_examples=80, deadline=None)
@given(cut=st.integers(0, 10**6), flips=st.lists(st.integers(0, 10**6), max_size=3))
def test_damaged_tarballs_parse_or_raise(tmp_path_factory, cut, flips):
    content = bytearray(valid_tarball_bytes())
    for position in flips:
        content[position % len(content)] ^= 0xFF
    content = content[: cut % (len(content) + 1)]
    path = tmp_path_factory.mktemp("fuzz") / "c.tar.gz"
    path.write_bytes(bytes(content))
    try:
        result = cifar.read_cifar_tarball(path, "cifar10")
    except ValueError:
        return
    assert result["train"][0].shape[1:] == (3, 32, 32)
