import json

import numpy as np
import pytest

from minisharp.report import Claims, lesson_arguments, save_json, table


def test_table_aligns_columns():
    text = table(("a", "long header"), [(1, 2.5), ("wide cell", "x")])
    lines = text.splitlines()
    assert len(lines) == 4 and set(lines[1]) <= {"-", " "}
    assert lines[0].index("long header") == lines[2].index("2.5") == lines[3].index("x")


def test_save_json_converts_numpy(tmp_path):
    path = save_json(tmp_path / "r.json", {"a": np.arange(3), "b": np.float32(1.5)})
    assert json.loads(path.read_text()) == {"a": [0, 1, 2], "b": 1.5}
    with pytest.raises(TypeError):
        save_json(tmp_path / "bad.json", {"x": object()})


def test_claims_report_marks_what_holds(capsys):
    claims = Claims("Checks:")
    assert claims.check("one", True, "because") is True
    claims.check("two", False, "not this time")
    items = claims.report()
    out = capsys.readouterr().out
    assert "[holds   ] one" in out and "[NOT SEEN] two" in out
    assert [i["holds"] for i in items] == [True, False]


def test_lesson_arguments_sizes_and_defaults(tmp_path):
    args = lesson_arguments("doc", ["--out", str(tmp_path / "f")])
    assert args.size == "quick" and (tmp_path / "f").is_dir()
    assert lesson_arguments("doc", ["--smoke", "--out", str(tmp_path)]).size == "smoke"
    with pytest.raises(SystemExit):
        lesson_arguments("doc", ["--smoke", "--full"])
