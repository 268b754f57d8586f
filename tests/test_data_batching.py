"""Seeded, fixed-size mini-batch index streams."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minisharp import data


@settings(max_examples=100, deadline=None)
@given(n=st.integers(1, 500), batch_size=st.integers(1, 500), seed=st.integers(0, 2**32))
def test_fixed_size_and_each_index_at_most_once(n, batch_size, seed):
    if batch_size > n:
        with pytest.raises(ValueError):
            list(data.batches(n, batch_size, seed=seed, epoch=0))
        return
    epoch = list(data.batches(n, batch_size, seed=seed, epoch=3))
    assert len(epoch) == n // batch_size == data.num_batches(n, batch_size)
    assert all(b.shape == (batch_size,) and b.dtype == np.int64 for b in epoch)
    seen = np.concatenate(epoch)
    assert len(np.unique(seen)) == len(seen)
    assert seen.min() >= 0 and seen.max() < n


def test_deterministic_per_seed_and_epoch():
    def run(seed, epoch):
        return np.stack(list(data.batches(1000, 100, seed=seed, epoch=epoch)))

    np.testing.assert_array_equal(run(7, 2), run(7, 2))
    assert not np.array_equal(run(7, 2), run(7, 3))
    assert not np.array_equal(run(7, 2), run(8, 2))


def test_dropped_samples_change_between_epochs():
    dropped = [
        set(range(105)) - set(np.concatenate(list(data.batches(105, 10, seed=0, epoch=e))))
        for e in range(5)
    ]
    assert all(len(d) == 5 for d in dropped)
    assert len({frozenset(d) for d in dropped}) > 1


def test_bad_arguments():
    for n, batch_size in ((0, 1), (10, 0), (10, 11)):
        with pytest.raises(ValueError):
            next(data.batches(n, batch_size, seed=0, epoch=0))


def test_large_batch_is_ten_percent():
    assert data.large_batch_size(60_000) == 6000
    assert data.large_batch_size(16_000) == 1600
    assert data.large_batch_size(5) == 1
    with pytest.raises(ValueError, match="n_train"):
        data.large_batch_size(0)


def test_small_batch_keeps_the_papers_samples_per_batch():
    assert data.small_batch_size(60_000) == 256  # the paper's batch
    assert data.small_batch_size(16_000) == 64  # 16,000 / 234 = 68.4
    assert data.small_batch_size(1_000_000) == 256  # capped
    assert data.small_batch_size(233) == 1 and data.small_batch_size(468) == 2
    with pytest.raises(ValueError, match="n_train"):
        data.small_batch_size(0)


@given(n=st.integers(1, 10**7))
def test_small_batch_is_the_largest_power_of_two_within_n_over_234(n):
    b = data.small_batch_size(n)
    assert b & (b - 1) == 0 and 1 <= b <= 256
    assert b == 1 or b * 234 <= n
    assert b == 256 or 2 * b * 234 > n
