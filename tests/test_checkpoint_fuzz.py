"""Fuzzing the checkpoint reader: random bytes, truncations, bit flips, wrong keys, dtypes,
shapes and JSON fields, a .npy in place of an .npz.

Every outcome must be a checkpoint that can be used (finite θ of the network's size, optimizer
and dropout generator rebuildable) or a :class:`CheckpointError` whose message is one line
starting with the path. Anything else — another exception, a crash — fails the test.
``MINISHARP_FUZZ_EXAMPLES`` sets the number of cases per test (CI: the default below).
"""

import io
import json
import os
import tempfile
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from minisharp import checkpoint, optim, zoo
from minisharp import train as training

EXAMPLES = int(os.environ.get("MINISHARP_FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SHAPE, CLASSES = (1, 8, 8), 4


@pytest.fixture(scope="module")
def valid(tmp_path_factory):
    """A real checkpoint (F1-narrow, Adam, 2 epochs of history) as bytes and as arrays."""
    path = tmp_path_factory.mktemp("valid") / "run.npz"
    net = zoo.build("F1-narrow", SHAPE, CLASSES)
    theta = net.init(0)
    adam = optim.Adam()
    rng = np.random.default_rng(3)
    adam.step(theta, rng.normal(size=theta.size).astype(np.float32))
    history = training.History.empty()
    for epoch in (1, 2):
        history.append(epoch=epoch, train_loss=0.5, train_accuracy=0.8, test_loss=0.6,
                       test_accuracy=0.7, batch_loss=0.55, seconds=1.0, step_seconds=0.5)
    config = {"batch_size": 32, "seed": 0, "data": {"name": "fashion-mnist",
                                                    "source": "embedded"}}
    checkpoint.save(path, net=net, theta=theta, state=net.init_state(), optimizer=adam, rng=rng,
                    epoch=2, history=history.to_dict(), config=config)
    with np.load(path) as archive:
        arrays = {name: archive[name] for name in archive.files}
    return Valid(path.read_bytes(), arrays)


class Valid(tuple):
    """(bytes, arrays) of the valid checkpoint, with a short repr for falsifying examples."""

    def __new__(cls, content, arrays):
        return super().__new__(cls, (content, arrays))

    def __repr__(self):
        return f"<valid checkpoint, {len(self[0])} bytes>"


def check_load(content, record=True):
    """Write ``content`` to a file and load it: usable checkpoint or one clear error line."""
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "fuzzed.npz")
        with open(path, "wb") as handle:
            handle.write(content)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                saved = checkpoint.load(path)
            assert [str(w.message) for w in caught] == []  # each would print more lines
        except checkpoint.CheckpointError as error:
            message = str(error)
            assert message.startswith(f"{path}: ") and "\n" not in message, message
            assert "allow_pickle" not in message
            if record:
                event(f"refused: {message[len(path) + 2:][:40]}")
            return None
        # loaded: everything it offers must work
        assert saved.theta.shape == (saved.net.num_params,)
        assert np.isfinite(saved.theta).all()
        saved.optimizer()
        saved.rng().random()
        assert isinstance(saved.epoch, int) and saved.epoch >= 0
        if record:
            event("loaded")
        return saved


def archive_bytes(arrays, compressed=False):
    buffer = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buffer, **arrays)
    return buffer.getvalue()


def test_the_valid_checkpoint_loads(valid):
    content, arrays = valid
    saved = check_load(content, record=False)
    assert saved.epoch == 2 and saved.history["epoch"] == [1, 2]
    assert check_load(archive_bytes(arrays, compressed=True), record=False).epoch == 2
    single = io.BytesIO()
    np.save(single, arrays["theta"])  # θ alone, as a .npy, given as a checkpoint
    assert check_load(single.getvalue(), record=False) is None


@given(st.binary(max_size=4000) | st.binary(max_size=2000).map(lambda b: b"PK\x03\x04" + b)
       | st.binary(max_size=500).map(lambda b: b"\x93NUMPY" + b))
@FUZZ
def test_random_bytes(content):
    check_load(content)


@given(st.data())
@FUZZ
def test_truncated_and_flipped(valid, draw_data):
    content = bytearray(valid[0])
    if draw_data.draw(st.booleans()):
        content = content[:draw_data.draw(st.integers(0, len(content) - 1))]
    for position in draw_data.draw(st.lists(st.integers(0, max(len(content) - 1, 0)),
                                            max_size=8)):
        if content:
            content[position] ^= draw_data.draw(st.integers(1, 255))
    check_load(bytes(content))


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


def mutated_json(draw, original):
    """A JSON value near ``original``: one key changed, dropped or retyped, or anything."""
    kind = draw(st.sampled_from(["anything", "drop", "change", "nested", "text"]))
    if kind == "anything" or not isinstance(original, dict) or not original:
        return draw(JSON_VALUES)
    value = json.loads(json.dumps(original))
    key = draw(st.sampled_from(sorted(value)))
    if kind == "drop":
        del value[key]
    elif kind == "change":
        value[key] = draw(JSON_VALUES)
    elif kind == "nested" and isinstance(value[key], dict) and value[key]:
        value[key] = mutated_json(draw, value[key])
    else:
        return draw(st.text(max_size=20))  # not even JSON, once encoded as a string below
    return value


ARRAY_MUTATIONS = ["drop", "dtype", "shape", "non-finite", "scalar", "extra", "json", "text"]


@given(st.data())
@FUZZ
def test_wrong_keys_dtypes_shapes_and_fields(valid, draw_data):
    draw = draw_data.draw
    arrays = dict(valid[1])
    for _ in range(draw(st.integers(1, 3))):
        name = draw(st.sampled_from(sorted(arrays)))
        kind = draw(st.sampled_from(ARRAY_MUTATIONS))
        value = arrays[name]
        if kind == "drop":
            del arrays[name]
        elif kind == "dtype":
            kind = draw(st.sampled_from([np.int64, np.int8, np.uint8, np.float16, np.float64,
                                         np.complex64, bool, "U3", "S3"]))
            try:
                with warnings.catch_warnings():  # lossy casts are the point here
                    warnings.simplefilter("ignore")
                    arrays[name] = value.astype(kind)
            except (ValueError, TypeError):  # JSON text that is not a number stays
                pass
        elif kind == "shape":
            arrays[name] = draw(st.sampled_from([
                value.reshape(1, -1), value.ravel()[:-1] if value.size else value.ravel(),
                np.concatenate([value.ravel(), value.ravel()]) if value.size else value,
                np.zeros((0,), value.dtype)]))
        elif kind == "non-finite" and value.dtype.kind == "f":
            flat = value.copy().ravel()
            if flat.size:
                flat[draw(st.integers(0, flat.size - 1))] = draw(st.sampled_from(
                    [np.nan, np.inf, -np.inf]))
            arrays[name] = flat.reshape(value.shape)
        elif kind == "scalar":
            arrays[name] = np.array(draw(st.sampled_from([-1, 0, 2**40, 1.5, np.nan])))
        elif kind == "extra":
            arrays[draw(st.sampled_from(["bn/extra.mean", "optimizer/extra", "junk"]))] = value
        elif kind in ("json", "text") and value.dtype.kind == "U" and value.shape == ():
            try:
                original = json.loads(str(value[()]))
            except ValueError:  # already made into non-JSON text by an earlier mutation
                original = str(value[()])
            new = mutated_json(draw, original) if kind == "json" else draw(st.text(max_size=30))
            arrays[name] = np.array(json.dumps(new) if kind == "json" else new)
    check_load(archive_bytes(arrays, compressed=draw(st.booleans())))
