"""TIMIT frame data for network F2, and the stand-in used when TIMIT is absent.

The paper's F2 is trained on TIMIT frames: 360-d acoustic feature vectors, each
labelled with one of 1,973 tied HMM states. TIMIT is an LDC corpus under a paid
licence, so it cannot be shipped or downloaded. Two things are provided:

* :func:`load_frames` reads a Kaldi-style export saved as a ``.npy`` pair
  (features float N x D, integer labels N), for anyone who has the corpus.
* ``load("f2-standin")`` gives a frame-shaped stand-in: every Fashion-MNIST image
  flattened to a 784-d vector (pixels in [0, 1]), 10 classes, same splits and
  sources as ``load("fashion-mnist")``. Flattening keeps the property F2 is about,
  a deep fully connected net on unstructured vectors, while keeping all the
  information in the images and adding no dependency; the input width (784 vs
  360) and the class count (10 vs 1,973) differ, which results must state.
  Standardise the features (``data.standardize``), as is usual for speech frames.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .container import Dataset

STANDIN_NAME = "f2-standin"
TIMIT_FRAME_DIM = 360  # the paper's F2 input width
TIMIT_NUM_CLASSES = 1973


def standin_from_images(images: Dataset) -> Dataset:
    """The F2 stand-in for one split: ``images`` flattened to N x (C*H*W) vectors."""
    width = int(np.prod(images.input_shape))
    return Dataset(
        X=images.X.reshape(len(images), width),
        y=images.y,
        name=STANDIN_NAME,
        split=images.split,
        source=images.source,
        num_classes=images.num_classes,
        input_shape=(width,),
    )


def _npy_header(path: Path) -> tuple[tuple[int, ...], np.dtype]:
    """Shape and dtype from a ``.npy`` header, checked against the file's size.

    Checking first means a damaged or hostile header cannot make ``np.load``
    allocate memory for data that is not there.
    """
    try:
        with open(path, "rb") as stream:
            version = np.lib.format.read_magic(stream)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
            elif version in ((2, 0), (3, 0)):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
            else:
                raise ValueError(f"unsupported .npy version {version}")
            data_start = stream.tell()
    except (ValueError, SyntaxError, OSError) as error:
        if isinstance(error, FileNotFoundError):
            raise
        raise ValueError(f"{path}: not a valid .npy file ({error})") from error
    if dtype.hasobject:
        raise ValueError(f"{path}: holds Python objects; only numeric arrays are accepted")
    declared = dtype.itemsize * int(np.prod(shape, dtype=object))
    present = path.stat().st_size - data_start
    if declared != present:
        raise ValueError(f"{path}: header declares {declared} data bytes, file holds {present}")
    return tuple(shape), dtype


def load_frames(
    features_path: str | os.PathLike,
    labels_path: str | os.PathLike,
    *,
    num_classes: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Read a frame-classification ``.npy`` pair: (features float32 N x D, labels int64 N).

    Features must be a 2-D floating array of finite values; labels a 1-D integer
    array of the same length with values in ``0 .. num_classes-1`` (when
    ``num_classes`` is given, else just non-negative). Anything else raises
    ``ValueError`` naming the offending file. Pickled arrays are never loaded.
    """
    features_path, labels_path = Path(features_path), Path(labels_path)
    feature_shape, feature_dtype = _npy_header(features_path)
    label_shape, label_dtype = _npy_header(labels_path)
    if len(feature_shape) != 2 or feature_dtype.kind != "f":
        raise ValueError(
            f"{features_path}: expected floating N x D features, "
            f"got {feature_dtype} {feature_shape}"
        )
    if len(label_shape) != 1 or label_dtype.kind not in "iu":
        raise ValueError(
            f"{labels_path}: expected 1-D integer labels, got {label_dtype} {label_shape}"
        )
    if label_shape[0] != feature_shape[0]:
        raise ValueError(
            f"{labels_path}: {label_shape[0]} labels for {feature_shape[0]} feature rows"
        )
    features = np.load(features_path, allow_pickle=False).astype(np.float32, copy=False)
    labels = np.load(labels_path, allow_pickle=False).astype(np.int64)
    if not np.isfinite(features).all():
        raise ValueError(f"{features_path}: contains NaN or infinite values")
    if len(labels) and labels.min() < 0:
        raise ValueError(f"{labels_path}: negative label {labels.min()}")
    if num_classes is not None and len(labels) and labels.max() >= num_classes:
        raise ValueError(f"{labels_path}: label {labels.max()} outside 0..{num_classes - 1}")
    return features, labels
