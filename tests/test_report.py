import json

import numpy as np
import pytest

from minisharp.report import (
    HOLDS,
    NOT_SEEN,
    WITHIN_NOISE,
    Claims,
    accuracy_drop,
    binomial_se,
    cpu_model,
    lesson_arguments,
    log_ratio_verdict,
    machine_description,
    mean_std,
    paired_se,
    read_part,
    save_json,
    table,
    verdict,
)


def test_table_aligns_columns():
    text = table(("a", "long header"), [(1, 2.5), ("wide cell", "x")])
    lines = text.splitlines()
    assert len(lines) == 4 and set(lines[1]) <= {"-", " "}
    assert lines[0].index("long header") == lines[2].index("2.5") == lines[3].index("x")


def test_save_json_converts_numpy(tmp_path):
    path = save_json(tmp_path / "r.json", {"a": np.arange(3), "b": np.float32(1.5)})
    assert json.loads(path.read_text()) == {"a": [0, 1, 2], "b": 1.5}
    with pytest.raises(TypeError, match="cannot store object"):
        save_json(tmp_path / "bad.json", {"x": object()})


def test_mean_std():
    assert mean_std([2.0]) == (2.0, 0.0)
    assert mean_std([1.0, 3.0]) == (2.0, 1.0)


@pytest.mark.parametrize("margin, noise, expected", [
    (1.0, 0.1, HOLDS),            # clear difference in the claim's direction
    (0.1, 0.1, WITHIN_NOISE),     # smaller than two standard errors
    (-0.15, 0.1, WITHIN_NOISE),
    (-1.0, 0.1, NOT_SEEN),        # clearly reversed
    (0.3, 0.0, HOLDS),            # no noise estimate: the sign decides
    (-0.3, 0.0, NOT_SEEN),
])
def test_verdict_three_outcomes(margin, noise, expected):
    assert verdict(margin, noise) == expected


def test_verdict_rejects_nonsense():
    with pytest.raises(ValueError, match="finite margin"):
        verdict(np.nan, 1.0)
    with pytest.raises(ValueError, match="noise ≥ 0"):
        verdict(1.0, -1.0)


def test_binomial_and_paired_standard_errors():
    assert binomial_se(0.9, 10_000) == pytest.approx(0.003)
    assert paired_se([0.9], [0.8]) == 0.0
    # differences 0.1, 0.2, 0.3: std (ddof 1) 0.1, over sqrt(3)
    assert paired_se([1.0, 1.0, 1.0], [0.9, 0.8, 0.7]) == pytest.approx(0.1 / np.sqrt(3))
    with pytest.raises(ValueError, match="accuracy in"):
        binomial_se(1.5, 10)


def test_accuracy_drop_single_seed_uses_the_binomial_error():
    # 0.7 points on 10,000 images: SE ≈ sqrt(2·0.09·0.91e-4)... ≈ 0.42 points → within noise
    outcome, evidence = accuracy_drop([0.895], [0.888], 10_000)
    assert outcome == WITHIN_NOISE and "+0.70 ±" in evidence
    assert accuracy_drop([0.90], [0.85], 10_000)[0] == HOLDS
    assert accuracy_drop([0.85], [0.90], 10_000)[0] == NOT_SEEN


def test_accuracy_drop_over_seeds_uses_the_larger_error():
    noisy = accuracy_drop([0.90, 0.89, 0.91], [0.88, 0.91, 0.87], 100_000)
    steady = accuracy_drop([0.90, 0.90, 0.90], [0.89, 0.89, 0.89], 100_000)
    assert noisy[0] == WITHIN_NOISE and steady[0] == HOLDS


def test_log_ratio_verdict():
    outcome, ratio, spread = log_ratio_verdict([1.0, 1.2], [50.0, 60.0])
    assert outcome == HOLDS and ratio == pytest.approx(50.0) and spread > 1
    assert log_ratio_verdict([1.0, 3.0], [1.5, 2.5])[0] == WITHIN_NOISE
    assert log_ratio_verdict([50.0, 60.0], [1.0, 1.2])[0] == NOT_SEEN


def test_claims_report_prints_verdicts(capsys):
    claims = Claims("Checks:")
    assert claims.check("2", "one", True, "because") == HOLDS
    claims.check("5", "two", WITHIN_NOISE, "close call")
    claims.check("7", "three", False, "not this time")
    items = claims.report()
    out = capsys.readouterr().out
    assert "[HOLDS       ] claim 2: one" in out and "[WITHIN NOISE] claim 5: two" in out
    assert "[NOT SEEN    ] claim 7: three" in out
    assert [i["verdict"] for i in items] == [HOLDS, WITHIN_NOISE, NOT_SEEN]
    with pytest.raises(ValueError, match="outcome must be"):
        claims.check("1", "bad", "maybe", "")


def test_lesson_arguments_sizes_and_defaults(tmp_path):
    args = lesson_arguments("doc", ["--out", str(tmp_path / "f")])
    assert args.size == "quick" and (tmp_path / "f").is_dir()
    assert lesson_arguments("doc", ["--smoke", "--out", str(tmp_path)]).size == "smoke"
    with pytest.raises(SystemExit):
        lesson_arguments("doc", ["--smoke", "--full"])


def test_quick_runs_do_not_write_into_the_committed_figures(tmp_path):
    args = lesson_arguments("doc", ["--runs", str(tmp_path)])
    assert args.out == tmp_path / "figures" / "quick" and args.out.is_dir()
    assert lesson_arguments("doc", ["--full", "--runs", str(tmp_path)]).out.name == "figures"


def test_lesson_threads_flag(tmp_path, capsys):
    import numba

    before = numba.get_num_threads()
    try:
        lesson_arguments("doc", ["--threads", "1", "--out", str(tmp_path)])
        assert numba.get_num_threads() == 1
        with pytest.raises(SystemExit):
            lesson_arguments("doc", ["--threads", "0", "--out", str(tmp_path)])
        assert "threads must be a whole number" in capsys.readouterr().err
    finally:
        numba.set_num_threads(before)


def test_lesson_seeds_override(tmp_path):
    assert lesson_arguments("doc", ["--out", str(tmp_path)]).seeds is None
    assert lesson_arguments("doc", ["--seeds", "1", "2", "--out", str(tmp_path)]).seeds == [1, 2]
    with pytest.raises(SystemExit):
        lesson_arguments("doc", ["--seeds", "-1", "--out", str(tmp_path)])


def test_few_repeats_need_a_wider_band():
    from minisharp.report import t_quantile

    assert t_quantile(np.inf) == 2.0
    assert t_quantile(2) == pytest.approx(4.303, abs=1e-3)
    assert t_quantile(4) == pytest.approx(2.776, abs=1e-3)
    # log ratio 0.53 with standard error 0.12: beyond 2 σ, but not beyond t(2 dof) · σ
    sb, lb = [1.0, 1.25], [1.7, 2.1]
    assert log_ratio_verdict(sb, lb)[0] == WITHIN_NOISE
    assert log_ratio_verdict(sb * 3, lb * 3)[0] == HOLDS   # six values each: 10 dof


def test_log_ratio_against_a_threshold():
    sb, lb = [1.0, 1.1, 0.9], [30.0, 33.0, 27.0]
    assert log_ratio_verdict(sb, lb, threshold=10)[0] == HOLDS
    assert log_ratio_verdict(sb, lb, threshold=100)[0] == NOT_SEEN
    assert log_ratio_verdict(sb, lb, threshold=30)[0] == WITHIN_NOISE


def test_machine_description_names_the_cpu(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: Test CPU 9000\nflags\t: sse\n")
    assert machine_description(cpuinfo).startswith("Test CPU 9000, ")
    assert " cores, " in machine_description(tmp_path / "missing")   # falls back to platform


def test_cpu_model_names_family_and_model_of_the_first_processor(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    block = "processor\t: {}\ncpu family\t: {}\nmodel\t\t: 17\nmodel name\t: AMD EPYC\n\n"
    cpuinfo.write_text(block.format(0, 25) + block.format(1, 99))
    assert cpu_model(cpuinfo) == "AMD EPYC (family 25, model 17)"
    cpuinfo.write_text("model name\t: Test CPU 9000\n")
    assert cpu_model(cpuinfo) == "Test CPU 9000"


def test_read_part_checks_its_configuration(tmp_path, capsys):
    path = save_json(tmp_path / "part.json", {"size": "full", "batches": np.array([256, 6000]),
                                              "machine": "Test CPU", "runs": {"SB": 0.9}})
    part = read_part(path, {"size": "full", "batches": (256, 6000)})
    assert part["runs"] == {"SB": 0.9} and "Test CPU" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="batches"):
        read_part(path, {"batches": (256, 4096)})
