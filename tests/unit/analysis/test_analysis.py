"""Analysis tools: statistics equal the closed forms; analyze (teachers and a student from their records, or from a
training YAML) writes CSV/JSON/PNG; BN folding is exact; without matplotlib, tables are written and figures skipped.
bench end to end: tests/e2e/test_bench_command.py."""
import json
from pathlib import Path

import numpy as np
import pytest

ms = pytest.importorskip("mindspore")

from ats_ms import reference as ref  # noqa: E402
from ats_ms.analysis import temperature  # noqa: E402
from ats_ms.models import create_model  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]
PNG = b"\x89PNG\r\n\x1a\n"


def test_statistics_equal_closed_forms():
    rng = np.random.default_rng(0)
    z = rng.normal(scale=5.0, size=(40, 10))
    y = rng.integers(0, 10, 40)
    rows = temperature.statistics(z, y, taus=(0.5, 2.0), pairs=((4.0, 2.0),))
    assert [(r["method"], r["tp_tau"], r["t_tau"]) for r in rows] == [
        ("TS", 0.5, 0.5), ("TS", 2.0, 2.0), ("ATS", 0.625, 0.375), ("ATS", 2.5, 1.5), ("ATS", 4.0, 2.0)]
    for r in rows:
        q = ref.asymmetric_teacher_probs(z, y, r["tp_tau"], r["t_tau"])
        q_y = q[np.arange(40), y]
        others = np.stack([np.delete(z[i], y[i]) for i in range(40)])
        sigma = (1 - q_y) * ref.softmax(others / r["t_tau"]).std(axis=1)
        assert r["q_y"] == pytest.approx(q_y.mean(), rel=1e-12)
        assert r["e"] == pytest.approx(((1 - q_y) / 9).mean(), rel=1e-12)
        assert r["sigma"] == pytest.approx(sigma.mean(), rel=1e-10)
        assert r["var"] == pytest.approx((sigma ** 2).mean(), rel=1e-10)
        assert r["class_discriminability"] == pytest.approx(0.0, abs=1e-12)  # uniform student
        assert r["total"] == pytest.approx(np.log(10), rel=1e-12)
    assert temperature.PAPER_TAUS[:6] == (0.05, 0.1, 0.25, 0.4, 0.5, 1.0) and temperature.PAPER_TAUS[-1] == 10.0


def test_analyze_takes_network_and_normalisation_from_the_records(digits_teacher, tmp_path, cli):
    _, teacher, _ = digits_teacher
    result = cli("analyze", "--ckpt", teacher, "--ckpt", teacher, "--max_images", 64, "--taus", "1,2,4",
                 "--pairs", "4:2", "--out_dir", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    data = json.loads((tmp_path / "out" / "analyze.json").read_text())
    assert data["images"] == 64 and data["dataset"] == "digits" and len(data["rows"]) == 2 * (3 + 3 + 1)
    assert (tmp_path / "out" / "analyze.csv").read_text().startswith("teacher,checkpoint,method,tau,tp_tau")
    assert (tmp_path / "out" / "analyze.png").read_bytes()[:8] == PNG
    assert result.stdout.count("sigma(q), spread of the wrong classes against tau") == 2
    assert "o TS   + ATS" in result.stdout and "normalize cifar" in result.stdout
    bad = cli("analyze", "--ckpt", teacher, "--taus", "1,x")
    assert bad.returncode == 2 and bad.stderr.startswith("error: --taus='1,x'")
    contradiction = cli("analyze", "--ckpt", teacher, "--normalize", "imagenet")
    assert contradiction.returncode == 2 and "contradicts teacher checkpoint" in contradiction.stderr
    by_t_ckpt = cli("analyze", "--t_ckpt", teacher, "--max_images", 32, "--taus", "1", "--out_dir", tmp_path / "t")
    assert by_t_ckpt.returncode == 0 and "ResNet8" in by_t_ckpt.stdout, by_t_ckpt.stderr  # no default name imposed
    wrong = cli("analyze", "--t_ckpt", teacher, "--t_net_name", "ResNet14", "--taus", "1", "--out_dir", tmp_path / "w")
    assert wrong.returncode == 2 and wrong.stderr.startswith("error: --t_net_name=ResNet14 contradicts"), wrong.stderr


def test_analyze_student_decomposition_and_config(digits_teacher, tmp_path, cli):
    folder, teacher, _ = digits_teacher
    config = tmp_path / "distill.yaml"
    config.write_text(f"dataset: digits\nt_net_name: ResNet8\nckpt_dir: {folder / 'ckpts'}\nmax_images: 32\n"
                      f"epoches: 3\n")
    uniform = cli("analyze", "--config", config, "--taus", "1", "--out_dir", tmp_path / "u")
    assert uniform.returncode == 0, uniform.stderr
    assert json.loads((tmp_path / "u" / "analyze.json").read_text())["student"] == "uniform"
    result = cli("analyze", "--config", config, "--taus", "1", "--student_ckpt", teacher, "--out_dir", tmp_path / "s")
    assert result.returncode == 0, result.stderr
    other = cli("analyze", "--config", config, "--taus", "2,3", "--student_ckpt", teacher, "--out_dir", tmp_path / "o")
    assert other.returncode == 0 and "under TS at tau 2:" in other.stdout, other.stderr
    rows = json.loads((tmp_path / "s" / "analyze.json").read_text())["rows"]
    ts1 = next(r for r in rows if r["method"] == "TS" and r["tau"] == 1.0)
    assert ts1["class_discriminability"] != pytest.approx(0.0, abs=1e-9)  # a real student, not the uniform one
    parts = ts1["correct_guidance"] + ts1["smooth_regularization"] + ts1["class_discriminability"]
    assert ts1["total"] == pytest.approx(parts, rel=1e-12)
    assert "KD loss decomposition for student digits-ResNet8.ckpt under TS at tau 1:" in result.stdout


@pytest.mark.parametrize("name", ["ResNet20", "WRN16-2", "VGG8", "ResNeXt29-4-4d", "MobileNetV2", "ShuffleNetV1"])
def test_teacher_bn_folding_is_exact(name):
    from ats_ms.engine.cells import FrozenTeacher
    from ats_ms.verify.models import randomize_bn_stats
    ms.set_context(mode=ms.GRAPH_MODE)
    net = randomize_bn_stats(create_model(name, 10))
    net.set_train(False)
    x = ms.Tensor(np.random.default_rng(0).normal(size=(2, 3, 32, 32)).astype(np.float32))
    want = net(x).asnumpy()
    twin = create_model(name, 10)
    ms.load_param_into_net(twin, {p.name: ms.Parameter(p.data.copy(), name=p.name) for p in net.get_parameters()})
    folded = FrozenTeacher(twin, fold_bn=True)
    folded.set_train(True)  # the frozen teacher ignores the training flag
    np.testing.assert_allclose(folded(x).asnumpy(), want, atol=1e-5 * max(1.0, np.abs(want).max()))


def test_without_matplotlib_tables_are_written_and_figures_skipped(tmp_path, monkeypatch, capsys):
    from ats_ms.analysis import figures
    from ats_ms.sweep import report as sweep_report
    from ats_ms.sweep.cells import make_cells
    monkeypatch.setattr(figures, "pyplot", lambda: None)
    assert figures.temperature_figure({"t": []}, str(tmp_path / "a.png")) is None
    cells = make_cells([("ATS", {"tp_tau": (1.0, 2.0), "t_tau": (1.0,)})], {}, (0,), "classic")
    lines, figure = sweep_report.report(str(tmp_path / "sw"), cells, classic=True)
    assert figure is None and not (tmp_path / "sw" / "sweep.png").exists()
    assert json.loads((tmp_path / "sw" / "sweep.json").read_text())["rows"][0]["seeds"] == 0
    assert (tmp_path / "sw" / "sweep.csv").is_file() and lines[2].split() == ["1", "-*"]
    assert lines[4] == "no finished cell yet"


def test_demo_figure_is_drawn_from_fake_results(tmp_path):
    """The demo's figure (fitted accuracy axis, trained TS/ATS points marked) from fake teachers and students."""
    from ats_ms import demo
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 200)
    logits = rng.normal(0, 1, (200, 10))
    logits[np.arange(200), labels] += 3.0
    stats = temperature.statistics(logits, labels, temperature.PAPER_TAUS, ((demo.ATS_TP, demo.ATS_T),))
    teacher = {"acc": 0.8, "stats": stats, "ts": demo._pick(stats, "TS", demo.TS_TAU, demo.TS_TAU),
               "ats": demo._pick(stats, "ATS", demo.ATS_TP, demo.ATS_T)}
    students = {k: {"mean": m, "std": 0.005} for k, m in (("no KD", 0.63), ("TS from a", 0.65), ("ATS from a", 0.66),
                                                          ("TS from b", 0.66), ("ATS from b", 0.68))}
    path = demo._figure({"student": "s", "dataset": "digits"}, {"a": teacher, "b": teacher}, students,
                        str(tmp_path / "demo.png"))
    assert path == str(tmp_path / "demo.png") and (tmp_path / "demo.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
