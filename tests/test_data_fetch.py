"""Look-up order and downloads, against an HTTP server on 127.0.0.1 started here.

No test touches the real internet: every load that could download points
``MINISHARP_MIRROR`` at the local server (or at a closed local port).
"""

import dataclasses
import gzip
import hashlib
import http.server
import threading

import numpy as np
import pytest

from minisharp import data
from minisharp.data import datasets, fetch, idx


class FileServer(http.server.ThreadingHTTPServer):
    """Serves ``files`` (URL path -> bytes); paths in ``truncate`` stop half-way."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.files: dict[str, bytes] = {}
        self.truncate: set[str] = set()
        self.requests: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (name fixed by http.server)
        self.server.requests.append(self.path)
        content = self.server.files.get(self.path)
        if content is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        if self.path in self.server.truncate:
            self.wfile.write(content[: len(content) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(content)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = FileServer()
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """Empty cache, no MINISHARP_DATA, and downloads aimed at a closed local port."""
    monkeypatch.setenv("MINISHARP_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("MINISHARP_DATA", raising=False)
    monkeypatch.setenv("MINISHARP_MIRROR", "http://127.0.0.1:9")
    return tmp_path


def leftovers(directory):
    return sorted(p.name for p in directory.rglob("*")) if directory.exists() else []


def test_download_success_is_verified_and_atomic(server, tmp_path):
    payload = gzip.compress(b"some idx bytes" * 1000)
    server.files["/f.gz"] = payload
    destination = tmp_path / "dl" / "f.gz"
    fetch.download(
        server.url + "/f.gz",
        destination,
        sha256=hashlib.sha256(b"some idx bytes" * 1000).hexdigest(),
        md5=hashlib.md5(payload).hexdigest(),
        progress=False,
    )
    assert destination.read_bytes() == payload
    assert leftovers(tmp_path / "dl") == ["f.gz"]


@pytest.mark.parametrize("kind", ["sha256", "md5"])
def test_checksum_mismatch_keeps_nothing(server, tmp_path, kind):
    server.files["/f.gz"] = gzip.compress(b"tampered")
    destination = tmp_path / "dl" / "f.gz"
    with pytest.raises(data.ChecksumError, match="expected 0000"):
        fetch.download(server.url + "/f.gz", destination, **{kind: "0000"}, progress=False)
    assert leftovers(tmp_path / "dl") == []


def test_interrupted_transfer_leaves_no_partial_file(server, tmp_path):
    server.files["/big"] = bytes(200_000)
    server.truncate.add("/big")
    with pytest.raises(data.DownloadError, match="big"):
        fetch.download(server.url + "/big", tmp_path / "dl" / "big", progress=False)
    assert leftovers(tmp_path / "dl") == []


def test_http_error_and_unreachable_server(server, tmp_path):
    with pytest.raises(data.DownloadError, match="404"):
        fetch.download(server.url + "/missing", tmp_path / "x", progress=False)
    with pytest.raises(data.DownloadError):
        fetch.download("http://127.0.0.1:9/x", tmp_path / "x", progress=False, timeout=5)
    assert leftovers(tmp_path) == []


def test_search_order(tmp_path, monkeypatch):
    monkeypatch.setenv("MINISHARP_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("MINISHARP_DATA", str(tmp_path / "env"))
    dirs = fetch.search_dirs("mnist", None, ["/sys/dir"])
    assert dirs == [
        tmp_path / "env" / "mnist",
        tmp_path / "env",
        fetch.Path("/sys/dir"),
        tmp_path / "cache" / "mnist",
    ]
    assert fetch.search_dirs("mnist", tmp_path / "arg")[0] == tmp_path / "arg" / "mnist"
    monkeypatch.delenv("MINISHARP_CACHE")
    assert fetch.cache_dir() == fetch.Path.home() / ".cache" / "minisharp"


def test_find_requires_all_files_in_one_directory(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "x.gz").touch()
    (tmp_path / "b" / "x").touch()
    (tmp_path / "b" / "y").touch()
    found = fetch.find_in_dirs([["x.gz", "x"], ["y"]], [tmp_path / "a", tmp_path / "b"])
    assert found == (tmp_path / "b", [tmp_path / "b" / "x", tmp_path / "b" / "y"])
    assert fetch.find_in_dirs([["z"]], [tmp_path / "a"]) is None


def fake_mnist_files(rng, n_train=12, n_test=4):
    """Small MNIST-format .gz files plus the registry entry whose MD5s match them."""
    served, files = {}, {}
    for split, prefix, n in (("train", "train", n_train), ("test", "t10k", n_test)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n, dtype=np.uint8)
        remote = []
        for kind, array in (("images-idx3", images), ("labels-idx1", labels)):
            name = f"{prefix}-{kind}-ubyte.gz"
            served[name] = idx.gzip_deterministic(idx.encode_idx(array))
            remote.append(datasets.RemoteFile(name, md5=hashlib.md5(served[name]).hexdigest()))
        files[split] = tuple(remote)
    return served, dataclasses.replace(datasets.MNIST, files=files)


def test_load_downloads_into_cache_once(server, isolated, monkeypatch):
    served, info = fake_mnist_files(np.random.default_rng(0))
    monkeypatch.setitem(datasets.REGISTRY, "mnist", info)
    server.files.update({f"/mnist/{name}": content for name, content in served.items()})
    monkeypatch.setenv("MINISHARP_MIRROR", server.url)
    train, test = data.load_pair("mnist", progress=False)
    assert train.X.shape == (12, 1, 28, 28) and test.X.shape == (4, 1, 28, 28)
    assert train.source == str(isolated / "cache" / "mnist")
    assert len(server.requests) == 4
    again = data.load("mnist", "test")
    np.testing.assert_array_equal(again.X, test.X)
    assert len(server.requests) == 4  # served from the cache the second time
    assert leftovers(isolated / "cache" / "mnist") == sorted(served)


def test_corrupt_download_during_load(server, isolated, monkeypatch):
    served, info = fake_mnist_files(np.random.default_rng(1))
    monkeypatch.setitem(datasets.REGISTRY, "mnist", info)
    served["t10k-labels-idx1-ubyte.gz"] = b"\x1f\x8b garbage"
    server.files.update({f"/mnist/{name}": content for name, content in served.items()})
    monkeypatch.setenv("MINISHARP_MIRROR", server.url)
    with pytest.raises(data.ChecksumError, match="t10k-labels"):
        data.load("mnist", "test", progress=False)
    assert "t10k-labels-idx1-ubyte.gz" not in leftovers(isolated / "cache")


def test_offline_gives_one_clear_error(isolated, monkeypatch):
    no_debian = dataclasses.replace(datasets.FASHION_MNIST, system_dirs=())
    monkeypatch.setitem(datasets.REGISTRY, "fashion-mnist", no_debian)
    with pytest.raises(data.DataNotFoundError) as info:
        data.load("fashion-mnist", subset="full", progress=False)
    message = str(info.value)
    for hint in ("apt-get install dataset-fashion-mnist", "MINISHARP_DATA", "fashion-mnist.s3"):
        assert hint in message
    assert isinstance(info.value, FileNotFoundError)
    assert leftovers(isolated / "cache" / "fashion-mnist") == []


def test_download_false_never_downloads(server, isolated, monkeypatch):
    monkeypatch.setenv("MINISHARP_MIRROR", server.url)
    with pytest.raises(data.DataNotFoundError, match="download=False"):
        data.load("cifar100", download=False)
    assert server.requests == []
