"""Atomic .npz writes: the new content or the old, never a partial file or a stray temporary."""

import numpy as np
import pytest

from minisharp import atomic


def test_writes_and_replaces(tmp_path):
    path = tmp_path / "deeper" / "a.npz"
    assert atomic.save_npz(path, {"x": np.arange(3)}) == path
    atomic.save_npz(path, {"x": np.arange(5), "y": np.float32(2.5)})
    with np.load(path) as archive:
        np.testing.assert_array_equal(archive["x"], np.arange(5))
        assert archive["y"] == np.float32(2.5)
    assert sorted(p.name for p in path.parent.iterdir()) == ["a.npz"]


def test_failed_write_keeps_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "a.npz"
    atomic.save_npz(path, {"x": np.arange(3)})

    def crash(handle, **arrays):
        handle.write(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(atomic.np, "savez", crash)
    with pytest.raises(KeyboardInterrupt):
        atomic.save_npz(path, {"x": np.arange(7)})
    with np.load(path) as archive:
        np.testing.assert_array_equal(archive["x"], np.arange(3))
    assert [p.name for p in tmp_path.iterdir()] == ["a.npz"]
