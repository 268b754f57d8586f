"""Where arrays live: the CPU (NumPy) or a CUDA GPU (CuPy), and moving them between the two.

minisharp's code is written once against the NumPy API. Every primitive asks
:func:`array_module` which module owns its input and runs its Numba kernel on NumPy arrays
or its CUDA twin (``minisharp.kernels.cuda``, same formula) on CuPy arrays; where there is no
twin, plain array operations that CuPy runs as they are. A network's θ, the data and the
optimizer's moments then stay on the device across training steps; only scalars (the loss)
and per-epoch checkpoints come back to the host.

Devices are named ``"cpu"`` and ``"cuda"`` (the current CUDA device). CuPy is optional: it is
imported the first time a ``"cuda"`` array is asked for, and a missing CuPy or GPU raises
:class:`DeviceUnavailable` with the reason. On first import CuPy's arrays are registered with
autograd (a box type and a vector space), so autograd traces through them like NumPy arrays.
"""

import numpy as np

DEVICES = ("cpu", "cuda")


class DeviceUnavailable(RuntimeError):
    """The requested device cannot be used here (no CuPy, or no GPU that CuPy can see)."""


_cupy = None


def cupy_module():
    """CuPy, imported and registered with autograd; :class:`DeviceUnavailable` if it cannot run."""
    global _cupy
    if _cupy is None:
        try:
            import cupy
        except ImportError as error:
            raise DeviceUnavailable(f"device 'cuda' needs CuPy (pip install "
                                    f"'minisharp[gpu]'): {error}") from None
        try:
            count = cupy.cuda.runtime.getDeviceCount()
        except Exception as error:  # CUDA raises its own error types when no driver is found
            raise DeviceUnavailable(f"CuPy cannot reach a CUDA GPU: {error}") from None
        if count < 1:
            raise DeviceUnavailable("CuPy sees no CUDA GPU")
        _register_with_autograd(cupy)
        _cupy = cupy
    return _cupy


def gpu_available():
    """True when device ``"cuda"`` can be used (CuPy imports and sees a GPU)."""
    try:
        cupy_module()
    except DeviceUnavailable:
        return False
    return True


def check_device(device):
    """``device`` if it is one of :data:`DEVICES` and usable: a ValueError for an unknown name,
    :class:`DeviceUnavailable` for "cuda" without CuPy or a GPU."""
    if device not in DEVICES:
        raise ValueError(f"device must be one of {', '.join(DEVICES)}, got {device!r}")
    if device == "cuda":
        cupy_module()
    return device


def on_gpu(a):
    """True for a CuPy array (checked without importing CuPy)."""
    return type(a).__module__.startswith("cupy")


def array_module(a):
    """``numpy`` or ``cupy``: the module that owns array ``a`` (autograd boxes unwrapped)."""
    a = getattr(a, "_value", a)
    return cupy_module() if on_gpu(a) else np


def device_of(a):
    """"cuda" for a CuPy array, "cpu" otherwise."""
    return "cuda" if on_gpu(getattr(a, "_value", a)) else "cpu"


def to_device(a, device):
    """``a`` on ``device``: the same array when it is there already, else a copy."""
    if device == "cpu":
        return to_host(a)
    check_device(device)
    return cupy_module().asarray(a)


def to_host(a):
    """``a`` as a NumPy array (a copy from the GPU, the same object on the CPU)."""
    return a.get() if on_gpu(a) else a


def _register_with_autograd(cupy):
    from autograd.extend import VSpace
    from autograd.numpy.numpy_boxes import ArrayBox

    class CupyArrayVSpace(VSpace):
        """autograd's vector space of real CuPy arrays of one shape and dtype."""

        def __init__(self, value):
            self.shape, self.dtype = value.shape, value.dtype

        @property
        def size(self):
            return int(np.prod(self.shape))

        @property
        def ndim(self):
            return len(self.shape)

        def zeros(self):
            return cupy.zeros(self.shape, dtype=self.dtype)

        def ones(self):
            return cupy.ones(self.shape, dtype=self.dtype)

        def randn(self):
            return cupy.random.standard_normal(self.shape).astype(self.dtype)

        def _inner_prod(self, x, y):
            return float(cupy.dot(x.ravel(), y.ravel()))

    ArrayBox.register(cupy.ndarray)
    VSpace.register(cupy.ndarray, CupyArrayVSpace)
