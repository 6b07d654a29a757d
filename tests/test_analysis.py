"""Analysis tools: statistics equal the closed forms; analyze writes CSV/JSON/PNG; a 2x2 sweep completes, resumes
after interruption and writes its table and heatmap; BN folding is exact; bench writes every field."""
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import run_cli

ms = pytest.importorskip("mindspore")

from ats_ms import reference as ref  # noqa: E402
from ats_ms.analysis import temperature  # noqa: E402
from ats_ms.models import create_model  # noqa: E402
from ats_ms.models.checkpoint import save_network  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
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


@pytest.fixture(scope="module")
def teacher_ckpt(tmp_path_factory):
    path = tmp_path_factory.mktemp("t") / "digits-ResNet8.ckpt"
    ms.set_device("CPU")
    ms.set_seed(0)
    save_network(create_model("ResNet8", 10), str(path))
    return path


def test_analyze_cli(tmp_path, teacher_ckpt):
    proc = run_cli("analyze", "--net_name", "ResNet8", "--ckpt", teacher_ckpt, "--ckpt", teacher_ckpt,
                   "--dataset", "digits", "--n_classes", 10, "--max_images", 64, "--taus", "1,2,4",
                   "--pairs", "4:2", "--out_dir", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    data = json.loads((tmp_path / "out" / "analyze.json").read_text())
    assert data["images"] == 64 and len(data["rows"]) == 2 * (3 + 3 + 1)
    assert (tmp_path / "out" / "analyze.csv").read_text().startswith("teacher,checkpoint,method,tau,tp_tau")
    assert (tmp_path / "out" / "analyze.png").read_bytes()[:8] == PNG
    assert proc.stdout.count("sigma(q), spread of the wrong classes against tau") == 2
    assert "o TS   + ATS" in proc.stdout
    bad = run_cli("analyze", "--net_name", "ResNet8", "--ckpt", teacher_ckpt, "--dataset", "digits",
                  "--n_classes", 10, "--taus", "1,x")
    assert bad.returncode == 2 and bad.stderr.startswith("error: --taus='1,x'")


def test_sweep_two_by_two_resumes_and_reports(tmp_path, teacher_ckpt):
    config = tmp_path / "sweep.yaml"
    config.write_text(f"dataset: digits\nn_classes: 10\nt_net_name: ResNet8\nt_ckpt: {teacher_ckpt}\n"
                      "net_name: ResNet8\nepoches: 1\nbatch_size: 128\nprint_every: 0\n")
    argv = [sys.executable, "-m", "ats_ms", "sweep", "--config", str(config), "--tp_taus", "2,3", "--t_taus", "2,1",
            "--out_dir", str(tmp_path / "sw")]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in proc.stdout:
        if "cell 2/4" in line:
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=120)
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "cell 1/4 sweep-tp2-t2-seed0: done, skipped" in done.stdout
    table = json.loads((tmp_path / "sw" / "sweep.json").read_text())
    assert len(table["rows"]) == 4 and all(r["seeds"] == 1 and 0 <= r["last_mean"] <= 1 for r in table["rows"])
    assert [r["ts_diagonal"] for r in table["rows"]] == [True, False, False, False]
    assert "2*" in done.stdout.splitlines()[2] or "*" in done.stdout
    assert (tmp_path / "sw" / "sweep.png").read_bytes()[:8] == PNG
    again = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600)
    assert again.stdout.count("done, skipped") == 4


@pytest.mark.parametrize("name", ["ResNet20", "WRN16-2", "VGG8", "ResNeXt29-4-4d", "MobileNetV2", "ShuffleNetV1"])
def test_teacher_bn_folding_is_exact(name):
    from ats_ms.engine.networks import FrozenTeacher
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


def test_bench_writes_every_field(tmp_path):
    args = ["bench", "--t_net_name", "ResNet8", "--net_name", "ResNet8", "--batch_size", 8, "--steps", 2,
            "--n_classes", 10, "--rounds", 2, "--profile", "--json", tmp_path / "b.json"]
    try:
        import torch  # noqa: F401
        args.append("--torch")
    except ImportError:
        pass
    proc = run_cli(*args)
    assert proc.returncode == 0, proc.stderr
    result = json.loads((tmp_path / "b.json").read_text())
    assert {"compile_s", "img_per_s", "step_s", "peak_rss_mb"} <= set(result["ours"])
    assert result["demo_style"]["img_per_s"] > 0 and result["epoch"]["img_per_s"] > 0
    assert {"a_over_b", "epoch_overhead_c_vs_a"} <= set(result["ratios"])
    assert set(result["breakdown"]) == {"teacher_forward_s", "student_forward_s", "student_forward_backward_s",
                                        "student_step_s"}
    rows = ["ours", "epoch", "demo_style"] + (["torch"] if "--torch" in args else [])
    assert all(len(result[row]["rounds_img_per_s"]) == 2 for row in rows)
    from ats_ms.bench.parts import PARTS
    assert set(result["profile"]) == set(PARTS)
    for part in result["profile"].values():
        assert part["wall_s"] > 0 and part["onednn_s"] and {"other_s", "convs"} <= set(part)
    assert "conv fwd" in result["profile"]["teacher_forward"]["onednn_s"]
    assert "conv bwd-weights" in result["profile"]["student_step"]["onednn_s"]
    assert "teacher conv ic16 oc16 out 32x32" in proc.stdout
    if "--torch" in args:
        assert result["torch"]["img_per_s"] > 0 and "a_over_d" in result["ratios"]
    assert "ratios: a/b" in proc.stdout


def test_without_matplotlib_tables_are_written_and_figures_skipped(tmp_path, monkeypatch, capsys):
    from ats_ms.analysis import figures, sweep
    monkeypatch.setattr(figures, "pyplot", lambda: None)
    assert figures.temperature_figure({"t": []}, str(tmp_path / "a.png")) is None
    lines, figure = sweep.report(str(tmp_path / "sw"), (1.0, 2.0), (1.0,), (0,))
    assert figure is None and not (tmp_path / "sw" / "sweep.png").exists()
    assert json.loads((tmp_path / "sw" / "sweep.json").read_text())["rows"][0]["seeds"] == 0
    assert (tmp_path / "sw" / "sweep.csv").is_file() and lines[2].split() == ["1", "-*"]
