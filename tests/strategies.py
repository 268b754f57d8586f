"""Hypothesis strategies shared by the kernel and primitive tests."""

from hypothesis import strategies as st


@st.composite
def pool_geometry(draw, max_side=9, max_batch=3):
    """(x_shape, size, stride, padding) for max-pooling: odd sizes, batch 1, non-square."""
    padding = draw(st.sampled_from(["same", "valid"]))
    size, stride = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    lo = size if padding == "valid" else 1
    h, w = draw(st.integers(lo, max_side)), draw(st.integers(lo, max_side))
    n, c = draw(st.integers(1, max_batch)), draw(st.integers(1, 3))
    return (n, h, w, c), size, stride, padding
