"""Numba kernels (CPU). Each is called by an autograd primitive in ``minisharp.ops``."""
