"""Schedules that came after the paper: learning-rate scaling with warm-up, training longer,
and dynamic sampling.

*Linear scaling with gradual warm-up* (Goyal et al. 2017, "Accurate, large minibatch SGD"):
when the batch grows k = B / B_ref times, multiply the learning rate by k, and reach that rate
gradually — start at the reference rate η and add a constant amount every update, so that
η_t = η + (kη − η) · t / W for t < W updates and kη afterwards (Goyal et al.: W = 5 epochs).
The rule was derived for SGD; with Adam, whose steps do not grow with the gradient's size,
Hoffer et al. (2017) argue for k = √(B / B_ref) instead: ``rule="sqrt"`` gives that.

*Train longer* (Hoffer, Hubara and Soudry 2017, "Train longer, generalize better"): the gap
is largely a matter of too few updates — an epoch of the large batch makes B_L/B_S times
fewer steps. Their "regime adaptation" trains the large batch for as many *updates* as the
small batch, i.e. for B_L/B_S times as many epochs. :class:`TrainLonger` holds that factor
and turns a number of epochs into the longer budget; it needs no hook in the training loop.

*Dynamic sampling* (Byrd, Chin, Nocedal and Wu 2012; Friedlander and Schmidt 2012), the
remedy Keskar et al. proposed and did not run: start with a small batch, which explores, and
grow it, which makes later steps cheap and exact. Byrd et al. grow the batch when a norm test
on the gradient's variance fails; Friedlander and Schmidt grow it geometrically. We use the
geometric rule per epoch, B_e = min(B_max, round(B_0 · r^e)) — deterministic, so a resumed run
repeats the same sizes — with r chosen to reach B_max after a given number of epochs.
"""

import math
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class LinearScalingWarmup:
    """η_t = η + (kη − η)·min(t/W, 1), k = B/B_ref ("linear") or √(B/B_ref) ("sqrt")."""

    base_lr: float
    batch: int
    reference_batch: int
    warmup_steps: int
    rule: str = "linear"

    def __post_init__(self):
        if self.rule not in ("linear", "sqrt"):
            raise ValueError(f"rule must be 'linear' or 'sqrt', got {self.rule!r}")
        if not self.base_lr > 0:
            raise ValueError(f"base_lr must be positive, got {self.base_lr}")
        if self.batch < 1 or self.reference_batch < 1:
            raise ValueError(f"batch sizes must be positive, got batch {self.batch}, "
                             f"reference_batch {self.reference_batch}")
        if self.warmup_steps < 0:
            raise ValueError(f"warmup_steps must be non-negative, got {self.warmup_steps}")

    @property
    def scale(self):
        """k: the factor on the learning rate once warm-up is over."""
        ratio = self.batch / self.reference_batch
        return ratio if self.rule == "linear" else math.sqrt(ratio)

    def config(self):
        return {"name": "linear-scaling-warmup", **asdict(self)}

    def lr(self, step):
        """The learning rate of update number ``step`` (0-based)."""
        target = self.scale * self.base_lr
        if step >= self.warmup_steps:
            return target
        return self.base_lr + (target - self.base_lr) * step / self.warmup_steps


@dataclass(frozen=True)
class TrainLonger:
    """A budget ``factor`` times longer in epochs (regime adaptation: factor = B_L / B_S)."""

    factor: float

    def __post_init__(self):
        if not self.factor >= 1:
            raise ValueError(f"factor must be at least 1, got {self.factor}")

    @classmethod
    def regime_adaptation(cls, small_batch, large_batch):
        """As many updates as the small batch makes: factor = large_batch / small_batch."""
        return cls(large_batch / small_batch)

    def config(self):
        return {"name": "train-longer", **asdict(self)}

    def epochs(self, epochs):
        """The longer budget for a run that would otherwise train ``epochs`` epochs."""
        return math.ceil(self.factor * epochs)


@dataclass(frozen=True)
class DynamicSampling:
    """Batch size B_e = min(final, round(initial · growth^e)) in epoch e (0-based)."""

    initial: int
    final: int
    growth: float

    def __post_init__(self):
        if not 1 <= self.initial <= self.final:
            raise ValueError(f"need 1 ≤ initial ≤ final, got initial {self.initial}, "
                             f"final {self.final}")
        if not self.growth >= 1:
            raise ValueError(f"growth must be at least 1, got {self.growth}")

    @classmethod
    def reaching(cls, initial, final, epochs):
        """Geometric growth from ``initial`` that reaches ``final`` at epoch ``epochs``."""
        if epochs < 1:
            raise ValueError(f"epochs must be at least 1, got {epochs}")
        return cls(int(initial), int(final), (final / initial) ** (1 / epochs))

    def config(self):
        return {"name": "dynamic-sampling", **asdict(self)}

    def batch_size(self, epoch):
        """The batch size of epoch ``epoch`` (0-based)."""
        return min(self.final, round(self.initial * self.growth ** epoch))
