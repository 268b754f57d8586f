import numpy as np

from minisharp import data
from minisharp.study import first, run_path


def fake(n, source, size=4):
    rng = np.random.default_rng(n)
    return data.Dataset(X=rng.random((n, 1, size, size), dtype=np.float32),
                        y=rng.integers(0, 3, n), name="fake", split="train", source=source,
                        num_classes=3, input_shape=(1, size, size))


def test_first_is_a_view_of_the_first_samples():
    ds = fake(10, "embedded")
    head = first(ds, 4)
    assert len(head.y) == 4 and np.shares_memory(head.X, ds.X)
    np.testing.assert_array_equal(head.y, ds.y[:4])
    assert first(ds, 40) is ds and first(ds, None) is ds


def test_run_path_names_data_network_seed_and_batch(tmp_path):
    path = run_path(tmp_path, fake(64, "/usr/share/x"), "F1", 2, 256)
    assert path == tmp_path / "full-64" / "F1" / "seed2" / "b256.npz"
    assert path.parent.is_dir()
    tagged = run_path(tmp_path, fake(64, "embedded"), "F1", 0, 8, tag="sam")
    assert tagged == tmp_path / "embedded-64" / "F1" / "seed0" / "b8-sam.npz"
