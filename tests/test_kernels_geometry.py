"""The window rule shared by convolution, pooling and the layers' declared shapes."""

import math

import numpy as np
import pytest

from minisharp import zoo
from minisharp.kernels.geometry import output_size_and_padding, window_geometry


@pytest.mark.parametrize("size,kernel,stride", [(28, 5, 1), (14, 5, 1), (28, 3, 2),
                                                (7, 3, 2), (9, 4, 3), (5, 7, 1)])
def test_same_padding_matches_tensorflow_formula(size, kernel, stride):
    out, before = output_size_and_padding(size, kernel, stride, "same")
    total = max((out - 1) * stride + kernel - size, 0)
    assert out == math.ceil(size / stride)
    assert before == total // 2


def test_valid_output_size_and_errors():
    assert output_size_and_padding(9, 4, 2, "valid") == (3, 0)
    with pytest.raises(ValueError):
        output_size_and_padding(3, 4, 1, "valid")
    with pytest.raises(ValueError):
        output_size_and_padding(3, 1, 1, "full")


def test_window_geometry_is_the_rule_per_axis():
    assert window_geometry(28, 9, 5, 4, 2, "valid") == (12, 3, 0, 0)
    assert window_geometry(7, 8, 3, 3, 2, "same") == (4, 4, 1, 0)
    with pytest.raises(ValueError, match="stride and kernel"):
        window_geometry(7, 7, 3, 3, 0, "same")


@pytest.mark.parametrize("name,input_shape", [("C1", (1, 28, 28)), ("C2", (3, 32, 32))])
def test_declared_layer_shapes_match_the_arrays(name, input_shape):
    # a wrong declared shape would size the first Dense layer wrongly and the product fail
    net = zoo.build(name, input_shape, 10)
    logits = net.apply(net.init(0), np.zeros((2, *input_shape), np.float32))
    assert logits.shape == (2, 10)
