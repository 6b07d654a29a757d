"""Training: frozen teacher (weights and BN statistics unchanged), student loss falls, student-only optimizer,
demo output formats, eval and export (MINDIR loaded with nn.GraphCell)."""
import io
import re

import numpy as np
import pytest

from conftest import run_cli

ms = pytest.importorskip("mindspore")

from ats_ms.engine.trainer import Trainer, validate  # noqa: E402
from ats_ms.models import create_model  # noqa: E402
from ats_ms.utils import device  # noqa: E402
from ats_ms.utils.config import COMMAND_FLAGS, resolve  # noqa: E402

EPOCH_LINE = re.compile(r"^\[Epoch:(\d+)\] \[Loss:(-?[\d.e+-]+|nan)\] \[TrAcc:([\d.e+-]+)\] \[TeAcc:([\d.e+-]+)\]$")


def _config(command, tmp_path, *argv):
    base = ["--dataset", "digits", "--n_classes", "10", "--batch_size", "128", "--lr", "0.1",
            "--ckpt_dir", str(tmp_path / "ckpts"), "--log_dir", str(tmp_path / "logs"), "--print_every", "0"]
    config = resolve("test", COMMAND_FLAGS[command], base + list(argv))[0]
    validate(config, command)
    device.configure("CPU", 0, "graph", config.seed)
    return config


def _trainer(config, command):
    return Trainer(config, command, out=io.StringIO()).prepare()


@pytest.fixture(scope="module")
def trained_teacher(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("teacher")
    config = _config("classify", tmp, "--net_name", "ResNet8", "--epoches", "3", "--log_name", "teacher.log")
    trainer = _trainer(config, "classify")
    history = trainer.run()
    return tmp, config, history, trainer.out.getvalue()


def test_teacher_run_outputs(trained_teacher):
    tmp, config, history, text = trained_teacher
    lines = [line for line in text.splitlines() if line.startswith("[Epoch:")]
    assert [int(EPOCH_LINE.match(line).group(1)) for line in lines] == [1, 2, 3]
    assert history[-1]["loss"] < history[0]["loss"]
    log = (tmp / "logs" / "teacher.log").read_text().splitlines()
    assert log[0].startswith("Namespace(") and "net_name='ResNet8'" in log[0]
    assert log[1] == "[EPOCHS]: 1 2 3"
    for key, line in zip(("LOSSES", "TrACCS", "TeACCS"), log[2:5]):
        assert re.fullmatch(rf"\[{key}\]: \d+\.\d{{5}} \d+\.\d{{5}} \d+\.\d{{5}}", line)
    assert log[5] == "" and len(log) == 6
    assert (tmp / "ckpts" / "digits-ResNet8.ckpt").is_file()
    assert not (tmp / "ckpts" / "digits-ResNet8.resume.ckpt").exists()
    metrics = (tmp / "logs" / "digits-ResNet8.metrics.jsonl").read_text().splitlines()
    assert len(metrics) == 3 and '"test_top5"' in metrics[0]
    saved = ms.load_checkpoint(str(tmp / "ckpts" / "digits-ResNet8.ckpt"))
    assert "conv1.weight" in saved and not any(k.startswith(("student.", "teacher.", "moments")) for k in saved)


@pytest.mark.parametrize("kd_way,fold", [("ATS", "False"), ("ATS", "True"), ("none", "True")])
def test_distillation_keeps_teacher_frozen_and_student_learns(trained_teacher, tmp_path, kd_way, fold):
    tmp, _, _, _ = trained_teacher
    teacher_ckpt = str(tmp / "ckpts" / "digits-ResNet8.ckpt")
    config = _config("distill", tmp_path, "--t_net_name", "ResNet8", "--net_name", "ResNet8", "--epoches", "2",
                     "--kd_way", kd_way, "--t_ckpt", teacher_ckpt, "--weight_decay", "5e-4",
                     "--fold_teacher_bn", fold)
    trainer = _trainer(config, "distill")
    history = trainer.run()
    assert history[-1]["loss"] < history[0]["loss"]
    student_names = {p.name for p in trainer.student.trainable_params()}
    assert {p.name for p in trainer.optimizer.parameters} == student_names
    if kd_way == "none":
        assert trainer.train_step.network.teacher is None
        return
    assert all(not p.requires_grad for p in trainer.teacher_net.get_parameters())
    if fold == "True":
        x = ms.Tensor(np.random.default_rng(0).normal(size=(4, 3, 32, 32)).astype(np.float32))
        original = create_model("ResNet8", 10, checkpoint=teacher_ckpt)
        original.set_train(False)
        assert not any("moving_mean" in p.name for p in trainer.teacher_net.get_parameters())  # all folded
        np.testing.assert_allclose(trainer.teacher_net(x).asnumpy(), original(x).asnumpy(), atol=1e-4)
        return
    before = ms.load_checkpoint(teacher_ckpt)
    after = {p.name: p.asnumpy() for p in trainer.teacher_net.get_parameters()}
    assert set(after) == {f"teacher.{k}" for k in before}
    for name, value in before.items():
        np.testing.assert_array_equal(after[f"teacher.{name}"], value.asnumpy(), err_msg=name)
    assert any("moving_mean" in n for n in before)


def test_eval_and_export(trained_teacher, tmp_path):
    tmp, _, history, _ = trained_teacher
    ckpts = tmp / "ckpts"
    proc = run_cli("eval", "--dataset", "digits", "--n_classes", 10, "--net_name", "ResNet8", "--ckpt_dir", ckpts,
                   "--ckpt_name", "digits-ResNet8.ckpt", "--batch_size", 128, "--json", tmp_path / "e.json")
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"top-1 0\.\d{4}  top-5 0\.\d{4}", proc.stdout)
    import json
    result = json.loads((tmp_path / "e.json").read_text())
    assert result["acc"] == pytest.approx(history[-1]["test_acc"], abs=1e-6)
    proc = run_cli("export", "--n_classes", 10, "--net_name", "ResNet8", "--ckpt_dir", ckpts,
                   "--ckpt_name", "digits-ResNet8.ckpt")
    assert proc.returncode == 0, proc.stderr
    mindir = ckpts / "digits-ResNet8_mindir.mindir"
    assert mindir.is_file()
    graph = ms.nn.GraphCell(ms.load(str(mindir)))
    net = create_model("ResNet8", 10, checkpoint=str(ckpts / "digits-ResNet8.ckpt"))
    net.set_train(False)
    x = ms.Tensor(np.zeros((1, 3, 32, 32), np.float32))
    np.testing.assert_allclose(graph(x).asnumpy(), net(x).asnumpy(), atol=1e-5)
    again = run_cli("export", "--n_classes", 10, "--net_name", "ResNet8", "--ckpt_dir", ckpts,
                    "--ckpt_name", "digits-ResNet8.ckpt")
    assert again.returncode == 2 and "already exists" in again.stderr


def test_amp_o2_on_cpu_writes_a_loadable_fp32_checkpoint(tmp_path):
    proc = run_cli("classify", "--dataset", "digits", "--n_classes", 10, "--net_name", "ResNet8", "--epoches", 1,
                   "--batch_size", 128, "--amp_level", "O2", "--ckpt_dir", tmp_path / "c", "--log_dir", tmp_path / "l",
                   "--print_every", 0)
    assert proc.returncode == 0, proc.stderr
    assert EPOCH_LINE.match([line for line in proc.stdout.splitlines() if line.startswith("[Epoch:")][0])
    net = create_model("ResNet8", 10, checkpoint=str(tmp_path / "c" / "digits-ResNet8.ckpt"))
    assert net.conv1.weight.dtype == ms.float32
