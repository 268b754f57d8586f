"""Learning-rate scaling with warm-up, the train-longer budget, and dynamic sampling: exact
values at chosen steps and epochs."""

import pytest

from minisharp.remedies import DynamicSampling, LinearScalingWarmup, TrainLonger


def test_linear_scaling_with_warmup_exact_values():
    schedule = LinearScalingWarmup(base_lr=1e-3, batch=6000, reference_batch=250,
                                   warmup_steps=50)
    assert schedule.scale == 24.0
    assert schedule.lr(0) == 1e-3
    assert schedule.lr(25) == pytest.approx(1e-3 + 23e-3 * 0.5, rel=1e-15)
    assert schedule.lr(10) == pytest.approx(1e-3 + 23e-3 * 0.2, rel=1e-15)
    assert schedule.lr(50) == pytest.approx(24e-3, rel=1e-15)
    assert schedule.lr(10_000) == pytest.approx(24e-3, rel=1e-15)
    steps = [schedule.lr(t) for t in range(51)]
    increments = [b - a for a, b in zip(steps, steps[1:])]
    assert max(increments) - min(increments) < 1e-15  # a constant amount per update


def test_sqrt_scaling_and_no_warmup():
    schedule = LinearScalingWarmup(1e-3, 6400, 256, 0, rule="sqrt")
    assert schedule.scale == 5.0
    assert schedule.lr(0) == pytest.approx(5e-3, rel=1e-15)
    with pytest.raises(ValueError, match="rule"):
        LinearScalingWarmup(1e-3, 6400, 256, 0, rule="cubic")
    with pytest.raises(ValueError, match="warmup_steps"):
        LinearScalingWarmup(1e-3, 6400, 256, -1)


def test_train_longer_budget():
    longer = TrainLonger.regime_adaptation(256, 6000)
    assert longer.factor == pytest.approx(6000 / 256)
    assert longer.epochs(30) == 704  # ⌈30 · 23.4375⌉ = ⌈703.125⌉
    assert TrainLonger(2.0).epochs(7) == 14
    with pytest.raises(ValueError, match="factor"):
        TrainLonger(0.5)


def test_dynamic_sampling_grows_geometrically_to_the_final_batch():
    schedule = DynamicSampling(initial=250, final=6000, growth=2.0)
    assert [schedule.batch_size(e) for e in range(7)] == [250, 500, 1000, 2000, 4000, 6000,
                                                         6000]
    reaching = DynamicSampling.reaching(256, 6000, epochs=5)
    sizes = [reaching.batch_size(e) for e in range(8)]
    assert sizes[0] == 256 and sizes[5] == 6000 and sizes[7] == 6000
    assert all(a < b for a, b in zip(sizes[:5], sizes[1:6]))
    assert sizes[1] == round(256 * (6000 / 256) ** 0.2)
    with pytest.raises(ValueError, match="initial"):
        DynamicSampling(100, 50, 2.0)
    with pytest.raises(ValueError, match="growth"):
        DynamicSampling(10, 50, 0.5)
