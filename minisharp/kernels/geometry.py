"""Where a strided 2-D window lands: output size and leading padding, for conv and pooling.

Convolution and max pooling share one rule, TensorFlow/Keras semantics as in the paper's
code. Along one axis of length n, a window of k with stride s gives

    "valid":  out = ⌊(n − k) / s⌋ + 1, no padding;
    "same":   out = ⌈n / s⌉, pad_total = max((out − 1)·s + k − n, 0),
              pad_before = ⌊pad_total / 2⌋ (an odd extra pad goes after).

Layers (:mod:`minisharp.nn`) use it for their output shapes and kernels for their loops, so
a network's declared shapes and the arrays its kernels produce cannot disagree.
"""

PADDINGS = ("same", "valid")


def output_size_and_padding(size, kernel, stride, padding):
    """Return (out_size, pad_before) along one spatial axis."""
    if stride < 1 or kernel < 1:
        raise ValueError(f"stride and kernel must be >= 1, got {stride}, {kernel}")
    if padding == "valid":
        if size < kernel:
            raise ValueError(f"'valid' window {kernel} larger than input {size}")
        return (size - kernel) // stride + 1, 0
    if padding == "same":
        out = -(-size // stride)
        pad_total = max((out - 1) * stride + kernel - size, 0)
        return out, pad_total // 2
    raise ValueError(f"padding must be one of {PADDINGS}, got {padding!r}")


def window_geometry(height, width, kernel_h, kernel_w, stride, padding):
    """(out_h, out_w, pad_top, pad_left) of a kernel_h × kernel_w window over height × width."""
    out_h, pad_top = output_size_and_padding(height, kernel_h, stride, padding)
    out_w, pad_left = output_size_and_padding(width, kernel_w, stride, padding)
    return out_h, out_w, pad_top, pad_left
