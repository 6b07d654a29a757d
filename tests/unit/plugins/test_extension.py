"""A user's own method, network and dataset, registered by the plugin module docs/extending.md shows (imported after
``import ats_ms``), reach everything derived from the registries: the flag table and ``--help``, ``make_config``,
training (in a pack beside built-in methods), the checkpoint record, ``check``'s rows, sweep cell names and the
command line through ``--plugin``."""
import json
import subprocess
import sys

import pytest

import ats_ms

from conftest import ROOT, TINY_KW, subprocess_env
from tiny_net import unregister

ms = pytest.importorskip("mindspore")

PLUGIN = "toy_ats_plugin"


def _documented_plugin():
    """The plugin module of docs/extending.md ("A worked plugin"): the test runs what the page shows."""
    text = (ROOT / "docs" / "extending.md").read_text()
    return text.split("<!-- tested-plugin -->\n```python\n", 1)[1].split("```", 1)[0]


SOURCE = _documented_plugin()


@pytest.fixture
def plugin(tmp_path_factory, monkeypatch):
    """The plugin imported as a user would (after ``import ats_ms``); its entries are removed afterwards, so the
    other tests of this worker see the built-in registries."""
    import importlib

    from ats_ms.data import registry as datasets
    from ats_ms.losses import registry as methods
    folder = tmp_path_factory.mktemp("plugin")
    (folder / f"{PLUGIN}.py").write_text(SOURCE)
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.delitem(sys.modules, PLUGIN, raising=False)
    module = importlib.import_module(PLUGIN)
    yield folder, module
    methods._METHODS.pop("ToyKD", None)
    methods._GENERATION[0] += 1
    unregister("ToyNet")
    datasets._ENTRIES.pop("toy-digits", None)
    sys.modules.pop(PLUGIN, None)
    from ats_ms import plugins
    plugins._LOADED.pop(PLUGIN, None)
    plugins._MODULES.pop(PLUGIN, None)


def test_a_plugin_method_network_and_dataset_reach_everything_derived(plugin, digits_teacher, tmp_path, cli,
                                                                     monkeypatch):
    from ats_ms.config.flags import FLAGS
    from ats_ms.config.record import read_record
    from ats_ms.losses import KD_WAYS
    from ats_ms.sweep.cells import make_cells
    from ats_ms.verify.losses import grid_cases
    assert "ToyKD" in KD_WAYS and FLAGS["toy_gamma"].default is None and "ToyKD" in FLAGS["kd_way"].choices
    assert {epoch for kd_way, _, epoch in grid_cases() if kd_way == "ToyKD"} == {1, 10}  # check's rows, from uses_epoch
    assert "--toy_gamma" in cli("distill", "--help").stdout
    cells = make_cells([("ToyKD", {"toy_gamma": (1.0, 3.0)}), ("KD", {})], {}, (0,))
    assert [c.name for c in cells] == ["sweep-ToyKD-toy_gamma1-seed0", "sweep-ToyKD-toy_gamma3-seed0",
                                       "sweep-KD-seed0"]
    from ats_ms.sweep.grid import grid_groups  # a comparison's kd_way=others takes the plugin's method too
    assert ("ToyKD", {}) in grid_groups({"grid": ("kd_way=ATS tp_tau=4 t_tau=2", "kd_way=others")})
    loss = ats_ms.create_loss("ToyKD", toy_gamma=3.0)
    s, t, y = (ms.Tensor(a) for a in (_logits(0), _logits(1), _labels()))
    before = float(loss(s, t, y).asnumpy())
    loss.set_epoch(3)
    after = float(loss(s, t, y).asnumpy())
    twin = plugin[1].toy_twin
    assert before == pytest.approx(twin(_logits(0), _logits(1), _labels(), 4.0, 3.0, epoch=1.0), rel=1e-5)
    assert after == pytest.approx(twin(_logits(0), _logits(1), _labels(), 4.0, 3.0, epoch=3.0), rel=1e-5) != before

    dirs = dict(ckpt_dir=str(tmp_path / "ckpts"), log_dir=str(tmp_path / "logs"), epoches=2, lr=0.05)
    student = ats_ms.make_config("distill", t_ckpt=digits_teacher[1], net_name="ToyNet", **TINY_KW, **dirs)
    lines = []
    toy, kd = ats_ms.train_pack([student.replace(kd_way="ToyKD", toy_gamma=3.0, ckpt_name="toy.ckpt"),
                                 student.replace(kd_way="KD", ckpt_name="kd.ckpt")], labels=["ToyKD", "KD"],
                                emit=lines.append)
    assert toy["status"] == kd["status"] == "done"
    assert any(line.startswith("student: ToyNet (registered), ") for line in lines)  # not "(paper)": a user's net
    assert any(line.startswith("teacher: ResNet8 (paper), ") for line in lines)
    record = read_record(str(tmp_path / "ckpts" / "toy.ckpt"))
    assert (record["kd_way"], record["toy_gamma"], record["net_name"]) == ("ToyKD", 3.0, "ToyNet")
    assert read_record(str(tmp_path / "ckpts" / "kd.ckpt"))["toy_gamma"] is None

    from ats_ms.engine.trainer import Trainer
    from ats_ms.utils.errors import Interrupted
    save = Trainer._save_epoch

    def interrupted_after_epoch_1(self, member, improved):
        save(self, member, improved)
        if member.history[-1]["epoch"] == 1 and member is self.members[-1]:
            raise KeyboardInterrupt

    again = [student.replace(kd_way="ToyKD", toy_gamma=3.0, ckpt_name="toy.ckpt", ckpt_dir=str(tmp_path / "again")),
             student.replace(kd_way="KD", ckpt_name="kd.ckpt", ckpt_dir=str(tmp_path / "again"))]
    monkeypatch.setattr(Trainer, "_save_epoch", interrupted_after_epoch_1)
    with pytest.raises(Interrupted, match="toy.resume.ckpt"):
        ats_ms.train_pack(again, emit=lambda line: None)
    monkeypatch.setattr(Trainer, "_save_epoch", save)
    resumed = ats_ms.train_pack([c.replace(resume=True) for c in again], emit=lambda line: None)
    assert [r["history"][-1]["loss"] for r in resumed] == [toy["history"][-1]["loss"], kd["history"][-1]["loss"]]

    teacher = ats_ms.make_config("classify", dataset="toy-digits", net_name="ToyNet", epoches=1, batch_size=64,
                                 print_every=0, download=False, ckpt_dir=str(tmp_path / "ckpts"),
                                 log_dir=str(tmp_path / "logs"))
    assert teacher.n_classes == 10 and teacher.image_size == 32
    history = ats_ms.train(teacher)
    assert len(history) == 1 and read_record(str(tmp_path / "ckpts" / "toy-digits-ToyNet.ckpt"))["dataset"] == \
        "toy-digits"


@pytest.mark.slow
def test_the_command_line_loads_a_plugin_and_sweeps_its_method(plugin, digits_teacher, tmp_path):
    folder, _ = plugin
    out = tmp_path / "sweep"
    argv = [sys.executable, "-m", "ats_ms", "sweep", "--plugin", PLUGIN, "--t_ckpt", digits_teacher[1], "--net_name",
            "ToyNet", "--grid", "kd_way=ToyKD toy_gamma=1,3", "--grid", "kd_way=ATS", "--epoches", "1",
            "--out_dir", str(out), *[str(a) for kv in TINY_KW.items() for a in (f"--{kv[0]}", kv[1])]]
    proc = subprocess.run(argv, cwd=tmp_path, env=subprocess_env(str(folder)), capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = json.loads((out / "sweep.json").read_text())["rows"]
    assert [r["cell"] for r in rows] == ["sweep-ToyKD-t4-toy_gamma1", "sweep-ToyKD-t4-toy_gamma3", "sweep-ATS-t3"]
    assert rows[0]["toy_gamma"] == 1.0 and rows[2]["toy_gamma"] is None


def test_a_plugin_that_fails_or_registers_a_name_twice_is_one_error_line(tmp_path, cli, monkeypatch):
    (tmp_path / "broken_plugin.py").write_text("raise RuntimeError('boom')\n")
    (tmp_path / "twice_plugin.py").write_text("from ats_ms.losses import registry\n"
                                              "registry.register(registry.get('KD'))\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    broken = cli("check", "--plugin", "broken_plugin")
    assert broken.returncode == 2 and broken.stderr.count("\n") == 1 and \
        broken.stderr.startswith("error: plugin broken_plugin failed to import (RuntimeError: boom)")
    twice = cli("check", "--plugin=twice_plugin")
    assert twice.returncode == 2
    assert twice.stderr == "error: plugin twice_plugin: kd_way KD is registered twice; expected a new name\n"
    monkeypatch.setenv("ATS_MS_PLUGINS", "no_such_plugin_module")
    missing = cli("check")
    assert missing.returncode == 2 and "plugin no_such_plugin_module failed to import" in missing.stderr
    assert cli("check", "--plugin").stderr.startswith("error: --plugin needs a module name")


def _logits(seed):
    import numpy as np
    return np.random.default_rng(seed).normal(size=(8, 10)).astype(np.float32)


def _labels():
    import numpy as np
    return np.arange(8, dtype=np.int32) % 10
