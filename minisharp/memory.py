"""Keeping freed memory in the process, so that a training step does not fault in fresh pages.

glibc's ``malloc`` serves a block above its mmap threshold (at most 32 MiB) with a fresh
``mmap`` and returns it to the operating system on ``free``; smaller blocks come from the heap,
whose top is trimmed back to the OS once enough of it is free. A training step allocates the
same large temporaries every time (activations, im2col columns, gradients), so in steady state
every step asks the kernel for tens of megabytes of new pages, and the kernel zeroes each one
on its first touch. Measured with ``benchmarks/faults.py`` (Intel Xeon, 2 cores): about 5,900
page faults per F1 step at batch 6000 and 5,600 per C1 step at batch 256, where the kernel's
share is a fifth of the step's CPU time.

:func:`keep_freed_memory` asks glibc (``mallopt``) to serve every block from the heap and never
to trim it, so the next step reuses what the last one freed. The price is that the process
keeps its peak heap until it exits: ``minisharp train --net C1-narrow --subset embedded
--batch-size lb --epochs 2 --threads 1`` spent 4.8 s in the kernel instead of 24.1 s and peaked
at 1.77 GB instead of 1.28 GB (wall 61 s instead of 88 s, on a machine busy with other work);
F1 on the full set, 3 epochs at batch 6000: 0.75 s instead of 1.9 s, 614 MB instead of 601 MB.
That suits a lesson or a ``minisharp`` command, which own their process; it does not suit a
library imported into someone else's program, so minisharp never does it on import: the
lessons and the CLI call it. ``MINISHARP_KEEP_FREED_MEMORY=0`` turns it off. With a C library
other than glibc (macOS, musl, Windows) it does nothing and returns False.
"""

import ctypes
import os

ENVIRONMENT = "MINISHARP_KEEP_FREED_MEMORY"
M_TRIM_THRESHOLD = -1   # mallopt parameters, from glibc's <malloc.h>
M_MMAP_MAX = -4
NEVER_TRIM = 2**31 - 1  # the largest value mallopt's int accepts: trim only above 2 GiB free


def _mallopt():
    try:
        function = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError, TypeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_int]
    function.restype = ctypes.c_int
    return function


def keep_freed_memory():
    """Make glibc keep freed blocks for reuse (see the module doc). Returns whether it did.

    Nothing happens (False) when ``MINISHARP_KEEP_FREED_MEMORY=0`` or without glibc's
    ``mallopt``. Calling it again is harmless.
    """
    setting = os.environ.get(ENVIRONMENT, "1").strip()
    if setting not in ("0", "1", ""):
        raise ValueError(f"{ENVIRONMENT} must be 0 or 1, got {setting!r}")
    if setting == "0":
        return False
    mallopt = _mallopt()
    if mallopt is None:
        return False
    # mallopt returns 1 on success, 0 on error
    return bool(mallopt(M_MMAP_MAX, 0)) and bool(mallopt(M_TRIM_THRESHOLD, NEVER_TRIM))
