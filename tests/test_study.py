from dataclasses import replace

import numpy as np

from minisharp import data
from minisharp.study import RECIPES, first, mean_std, resolve, train_or_load_pair


def fake(n, source, size=4):
    rng = np.random.default_rng(n)
    return data.Dataset(X=rng.random((n, 1, size, size), dtype=np.float32),
                        y=rng.integers(0, 3, n), name="fake", split="train", source=source,
                        num_classes=3, input_shape=(1, size, size))


def test_batch_sizes_keep_the_noise_scale():
    full = resolve(RECIPES["quick"]["F1"], fake(60_000, "/usr/share/x", size=1))
    assert (full.sb, full.lb) == (256, 6000)
    embedded = resolve(RECIPES["quick"]["F1"], fake(16_000, "embedded", size=1))
    assert (embedded.sb, embedded.lb) == (64, 1600)  # N/B = 250, close to 60000/256


def test_mean_std_and_first():
    assert mean_std([2.0]) == (2.0, 0.0)
    mean, std = mean_std([1.0, 3.0])
    assert mean == 2.0 and std == 1.0
    ds = fake(10, "embedded")
    assert len(first(ds, 4).y) == 4 and first(ds, 40) is ds


def test_pairs_are_cached_and_stale_checkpoints_retrained(tmp_path, capsys):
    train, test = fake(64, "embedded"), replace(fake(32, "embedded"), split="test")
    recipe = replace(RECIPES["smoke"]["F1"], sb=8, lb=16, max_epochs=1, train_samples=64,
                     test_samples=32, sharpness_samples=32)
    sb, lb = train_or_load_pair(recipe, train, test, 0, tmp_path, "smoke", progress=False)
    assert sb.epochs == lb.epochs == 1
    np.testing.assert_array_equal(
        train_or_load_pair(recipe, train, test, 0, tmp_path, "smoke", progress=False)[0].theta,
        sb.theta)
    changed = replace(recipe, sb=4)
    again, _ = train_or_load_pair(changed, train, test, 0, tmp_path, "smoke", progress=False)
    assert again.config["batch_size"] == 4
    assert "another configuration" in capsys.readouterr().err
