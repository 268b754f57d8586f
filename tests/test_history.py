"""History, Run and the stopping rule, on hand-made histories."""

import pytest

from minisharp.history import History, Run, epochs_without_improvement, format_epoch, stop_reason


def history_of(train_losses):
    history = History.empty()
    for i, loss in enumerate(train_losses):
        history.append(epoch=i + 1, train_loss=loss, train_accuracy=0.5, test_loss=loss + 0.1,
                       test_accuracy=0.4, batch_loss=loss, seconds=1.5, step_seconds=1.0)
    return history


def test_epochs_without_improvement():
    assert epochs_without_improvement([1.0, 0.5, 0.4999, 0.6], 1e-3) == 2
    assert epochs_without_improvement([1.0, 0.5, 0.4], 1e-3) == 0
    assert epochs_without_improvement([], 1e-3) == 0


@pytest.mark.parametrize("losses, max_epochs, patience, expected", [
    ([1.0, 0.9, 0.8], 10, 2, None),               # still improving
    ([1.0, 0.9, 0.9, 0.9], 10, 2, "plateau"),     # two epochs without a 1e-3 gain
    ([1.0, 0.9, 0.8], 3, 2, "max_epochs"),
    ([1.0, 1.0, 1.0, 1.0], 3, 2, "plateau"),      # both apply: the plateau is named
    ([1.0, 1.0, 1.0], 10, 0, None),               # patience 0 turns the rule off
])
def test_stop_reason(losses, max_epochs, patience, expected):
    assert stop_reason(history_of(losses), max_epochs=max_epochs, patience=patience,
                       min_delta=1e-3) == expected


def test_history_round_trip_truncate_and_metrics():
    history = history_of([1.0, 0.5, 0.25])
    again = History.from_dict(history.to_dict())
    assert again == history and len(again) == 3
    assert "seconds" not in history.metrics() and history.metrics()["train_loss"] == [1.0, 0.5,
                                                                                       0.25]
    history.truncate(1)
    assert len(history) == 1 and history.test_loss == [1.1]


def test_run_final_and_format_epoch():
    history = history_of([1.0, 0.5])
    run = Run(net=None, theta=None, state={}, optimizer=None, history=history, config={},
              stop_reason="plateau")
    assert run.epochs == 2 and run.final()["train_loss"] == 0.5
    assert Run(None, None, {}, None, History.empty(), {}, "callback").final() == {}
    line = format_epoch(history)
    assert line.startswith("epoch   2") and "train loss 0.5000" in line and "1.5 s" in line
