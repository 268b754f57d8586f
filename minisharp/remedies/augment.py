"""Data augmentation as a batch transform (Keskar et al. 2017, App. E.1).

The paper trained its conv nets, SB and LB alike, on randomly transformed images: horizontal
reflections, rotations by up to 10° and translations by up to 0.2 of the image size. Each
minibatch X is replaced by T(X), every image with its own random T drawn from the step's
generator (:func:`minisharp.data.augment`: one inverse coordinate map, nearest-neighbour
lookup, zeros outside the image), so the loss minimised is the expectation
E_T f(θ; T(X)). On Fashion-MNIST all three transformations keep the label — a mirrored shirt
or shoe is still a shirt or a shoe (unlike digits, where a flip can change the class) — so
we keep all three at the paper's settings; a translation of 0.2 × 28 moves an item by up to
5 pixels, which may cut off a sleeve but never changes the class.
"""

from dataclasses import asdict, dataclass

from .. import data


@dataclass(frozen=True)
class Augment:
    """Random flip / rotation / translation of every training batch (the paper's settings)."""

    translate: float = 0.2   # largest shift, fraction of the image size
    rotate: float = 10.0     # largest rotation, degrees
    flip: bool = True        # mirror half the images left-right

    def __post_init__(self):
        if not 0 <= self.translate < 1:
            raise ValueError(f"translate must lie in [0, 1), got {self.translate}")
        if not 0 <= self.rotate <= 180:
            raise ValueError(f"rotate must lie in [0, 180] degrees, got {self.rotate}")

    def config(self):
        return {"name": "augment", **asdict(self)}

    def transform(self, X, y, rng, net, theta):
        """(T(X), y) with one random transformation per image."""
        if X.ndim != 4:
            raise ValueError(f"augmentation needs N×C×H×W images, got X of shape {X.shape}")
        images = data.augment(X, rng, translate=self.translate, rotate=self.rotate,
                              flip=self.flip)
        return images, y
