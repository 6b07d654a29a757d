"""``python -m ats_ms bench`` end to end, in one run: every row of a plain run, ``--pack``, ``--methods`` (one
student per registered method in one pack against as many ATS students; DKD, its warm-up, and CTKD, its learned
temperature, stand in for the registry here to keep the compile small; docs/benchmarks.md has the whole registry's
figure), ``--profile`` (each part's oneDNN primitives and convolution shapes) and, with torch, ``--torch``. The
networks are TinyNet (tests/tiny_net.py), known only through ``--plugin`` as a user's network would be: this process
and the profiling child import the plugin, and ``--torch`` builds the twin its ``register_model`` names."""
import importlib.util
import json
import re
import sys

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture
def tiny_plugin(monkeypatch):
    """TinyNet's plugin module, unloaded (TinyNet unknown) before the test and forgotten after it: its registry entry,
    the plugins' record and the imported module."""
    from ats_ms import plugins
    from ats_ms.models.registry import list_models

    from tiny_net import NAME, PLUGIN_MODULE, unregister
    assert NAME not in list_models()
    monkeypatch.delitem(sys.modules, PLUGIN_MODULE, raising=False)
    for loaded in ("_LOADED", "_MODULES"):
        copy = dict(getattr(plugins, loaded))
        copy.pop(PLUGIN_MODULE, None)
        monkeypatch.setattr(plugins, loaded, copy)
    yield PLUGIN_MODULE
    unregister()
    sys.modules.pop(PLUGIN_MODULE, None)


def test_bench_writes_every_row_and_field(tiny_plugin, tmp_path, cli, monkeypatch):
    import ats_ms.bench
    from ats_ms.bench.parts import PARTS

    from tiny_net import NAME
    monkeypatch.setattr(ats_ms.bench, "methods_timed", lambda: ("DKD", "CTKD"))
    extra = ["--pack", 3, "--num_workers", 1, "--methods", "True", "--profile"]
    if importlib.util.find_spec("torch"):
        extra.append("--torch")
    result = cli("bench", "--plugin", tiny_plugin, "--t_net_name", NAME, "--net_name", NAME, "--batch_size", 8,
                 "--steps", 2, "--n_classes", 10, "--rounds", 2, "--json", tmp_path / "b.json", *extra)
    assert result.returncode == 0, result.stderr
    out, result = result.stdout, json.loads((tmp_path / "b.json").read_text())
    assert {"compile_s", "img_per_s", "step_s", "peak_rss_mb"} <= set(result["ours"])
    assert result["demo_style"]["img_per_s"] > 0 and result["epoch"]["img_per_s"] > 0
    assert result["packed"]["k"] == 3 and result["packed"]["img_per_s"] > 0
    assert result["pipeline"]["workers"] == 1 and result["pipeline"]["img_per_s"] > 0
    assert result["ratios"]["packed_over_a"] == round(result["packed"]["img_per_s"] / result["ours"]["img_per_s"], 2)
    assert set(result["breakdown"]) == {"teacher_forward_s", "student_forward_s", "student_forward_backward_s",
                                        "student_step_s"}
    assert all(len(result[row]["rounds_img_per_s"]) == 2 for row in ("ours", "epoch", "demo_style", "packed",
                                                                      "pipeline", "pack_methods", "pack_ats"))
    assert "packed: 3 students, per cell" in out and "pipeline (data alone)" in out and "packed/a" in out
    assert result["pack_methods"]["k"] == result["pack_ats"]["k"] == 2 and result["pack_methods"]["img_per_s"] > 0
    ratio = result["pack_methods"]["img_per_s"] / result["pack_ats"]["img_per_s"]
    assert result["ratios"]["methods_over_ats"] == round(ratio, 3)
    assert "a pack of every method (DKD, CTKD) and a pack of 2 ATS students" in out
    assert "pack of every method (2), per cell" in out and "every method / ATS only, per cell" in out
    assert set(result["profile"]) == set(PARTS)
    for part in result["profile"].values():
        assert part["wall_s"] > 0 and part["onednn_s"] and {"other_s", "convs"} <= set(part)
    assert "conv fwd" in result["profile"]["teacher_forward"]["onednn_s"]
    assert "conv bwd-weights" in result["profile"]["student_step"]["onednn_s"]
    top = result["profile"]["teacher_forward"]["convs"][0]["shape"]  # the slowest shape varies with timing noise
    assert re.search(rf"^teacher conv {re.escape(top)}\s+x[\d.]+\s+[\d.]+ ms", out, re.M), out
    assert re.fullmatch(r"ic\d+ oc\d+ out \d+x\d+ k\d s\d", top)
    if "--torch" in extra:
        assert result["torch"]["img_per_s"] > 0 and "a_over_d" in result["ratios"]
