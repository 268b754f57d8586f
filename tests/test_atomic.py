"""Atomic writes (.npz and text): the new content or the old, never a partial file or a stray
temporary."""

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


def test_text_is_written_and_replaced_whole(tmp_path, monkeypatch):
    path = tmp_path / "deeper" / "a.json"
    assert atomic.save_text(path, "first φ") == path
    atomic.save_text(path, "second")
    assert path.read_text(encoding="utf-8") == "second"

    def crash(handle):
        handle.write("part")
        raise KeyboardInterrupt

    real = atomic._replace
    monkeypatch.setattr(atomic, "_replace", lambda p, mode, write: real(p, mode, crash))
    with pytest.raises(KeyboardInterrupt):
        atomic.save_text(path, "third")
    assert path.read_text(encoding="utf-8") == "second"
    assert sorted(p.name for p in path.parent.iterdir()) == ["a.json"]
