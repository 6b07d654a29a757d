"""Training through the API and the CLI: demo output formats, start-up lines, frozen teacher, student-only optimizer,
best and final checkpoints with their record, eval/export from the record alone, PyNative training through the
fused step, amp O2, the official student initialisation, non-finite losses (stop with exit 3, skip with the schedule
still advancing)."""
import json
import re

import numpy as np
import pytest

import ats_ms

from conftest import TINY, TINY_KW

ms = pytest.importorskip("mindspore")

from ats_ms.api import _prepare_device as prepare_device  # noqa: E402
from ats_ms.config.record import read_record  # noqa: E402
from ats_ms.engine.trainer import Trainer  # noqa: E402
from ats_ms.models import create_model  # noqa: E402

EPOCH_LINE = re.compile(r"^\[Epoch:(\d+)\] \[Loss:(-?[\d.e+-]+|nan)\] \[TrAcc:([\d.e+-]+)\] \[TeAcc:([\d.e+-]+)\]$")


def _dirs(tmp_path):
    return dict(ckpt_dir=str(tmp_path / "ckpts"), log_dir=str(tmp_path / "logs"))


def test_teacher_run_outputs(digits_teacher):
    folder, ckpt, history = digits_teacher
    log = (folder / "logs" / "teacher.log").read_text().splitlines()
    assert log[0].startswith("Namespace(") and "net_name='ResNet8'" in log[0]
    assert " net=" not in log[0] and "n_layer=" not in log[0]  # the demo's spellings, never read, are not logged
    assert log[1] == "[EPOCHS]: 1 2"
    for key, line in zip(("LOSSES", "TrACCS", "TeACCS"), log[2:5]):
        assert re.fullmatch(rf"\[{key}\]: \d+\.\d{{5}} \d+\.\d{{5}}", line)
    assert log[5] == "" and len(log) == 6
    assert not (folder / "ckpts" / "digits-ResNet8.resume.ckpt").exists()
    metrics = [json.loads(line) for line in (folder / "logs" / "digits-ResNet8.metrics.jsonl").open()]
    assert [m["epoch"] for m in metrics] == [1, 2] and metrics == history
    assert {"lr", "loss", "train_acc", "test_acc", "test_top1", "test_top5", "seconds", "rss_mb"} <= set(metrics[0])
    saved = ms.load_checkpoint(ckpt)
    assert "conv1.weight" in saved and not any(k.startswith(("0.", "teacher.", "moments")) for k in saved)
    record = read_record(ckpt)
    assert (record["net_name"], record["net_style"], record["n_classes"], record["dataset"], record["normalize"]) == \
        ("ResNet8", "paper", 10, "digits", "cifar")
    best = folder / "ckpts" / "digits-ResNet8-best.ckpt"
    best_epoch = max(history, key=lambda r: r["test_acc"])["epoch"]
    assert best.is_file() and read_record(str(best))["epoch"] == best_epoch


@pytest.mark.parametrize("kd_way,fold", [("ATS", False), ("ATS", True), ("none", True)])
def test_distillation_keeps_teacher_frozen_and_student_learns(digits_teacher, tiny_net, tmp_path, kd_way, fold):
    """A ResNet8 teacher (frozen, its batch norms folded or kept) and a TinyNet student (tests/tiny_net.py)."""
    _, teacher_ckpt, _ = digits_teacher
    config = ats_ms.make_config("distill", t_ckpt=teacher_ckpt, net_name=tiny_net, epoches=2, lr=0.1,
                                kd_way=kd_way, weight_decay=5e-4, fold_teacher_bn=fold, **TINY_KW, **_dirs(tmp_path))
    lines = []
    prepare_device(config)
    trainer = Trainer(config, emit=lines.append).prepare()
    member = trainer.run()[0]
    assert member.status == "done" and member.history[-1]["loss"] < member.history[0]["loss"]
    logged = (tmp_path / "logs" / config.log_name).read_text().splitlines()[0]  # only the flags the run reads
    assert f"kd_way='{kd_way}'" in logged and "t_n_layer" not in logged and "dkd_alpha" not in logged
    assert ("tp_tau=" in logged) == ("t_net_name=" in logged) == (kd_way == "ATS")
    assert {p.name for p in trainer.members[0].optimizer.parameters} == \
        {p.name for p in member.student.trainable_params()}
    record = read_record(str(tmp_path / "ckpts" / config.ckpt_name))
    if kd_way == "none":  # what the method ignores is recorded as null
        assert trainer.frozen_teacher is None and (record["kd_way"], record["lamb"], record["t_net_name"]) == \
            ("none", None, None)
        return
    assert (record["kd_way"], record["lamb"]) == (kd_way, 0.5)
    assert (record["tp_tau"], record["t_tau"], record["t_net_name"]) == (4.0, 3.0, "ResNet8")
    assert any(line.startswith("teacher: ResNet8 (paper), 78,042 parameters, test top-1 0.") for line in lines)
    assert all(not p.requires_grad for p in trainer.teacher_net.get_parameters())
    if fold:
        x = ms.Tensor(np.random.default_rng(0).normal(size=(4, 3, 32, 32)).astype(np.float32))
        original = create_model("ResNet8", 10, checkpoint=teacher_ckpt)
        original.set_train(False)
        assert not any("moving_mean" in p.name for p in trainer.teacher_net.get_parameters())  # all folded
        np.testing.assert_allclose(trainer.teacher_net(x).asnumpy(), original(x).asnumpy(), atol=1e-4)
        return
    before = ms.load_checkpoint(teacher_ckpt)
    before.pop("ats_record")
    after = {p.name: p.asnumpy() for p in trainer.teacher_net.get_parameters()}
    assert set(after) == {f"teacher.{k}" for k in before}
    for name, value in before.items():
        np.testing.assert_array_equal(after[f"teacher.{name}"], value.asnumpy(), err_msg=name)
    assert any("moving_mean" in n for n in before)


def test_cli_distill_prints_startup_progress_epoch_lines_and_summary(digits_teacher, tmp_path, cli, monkeypatch):
    _, teacher_ckpt, _ = digits_teacher
    monkeypatch.chdir(tmp_path)
    result = cli("distill", *TINY, "--t_ckpt", teacher_ckpt, "--net_name", "ResNet8", "--epoches", "2",
                 "--print_every", "2", "--ckpt_dir", "c", "--log_dir", "l")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "data: digits train 256 images (in memory), test 128 images; 4 steps of 64 per epoch"
    assert lines[1] == "student: ResNet8 (paper), 78,042 parameters"
    assert re.match(r"teacher: ResNet8 \(paper\), 78,042 parameters, test top-1 0\.\d{4} \(measured before", lines[2])
    assert re.match(r"  epoch 1 step 2/4 loss \d\.\d{4} lr [\d.e-]+ [\d.]+ img/s eta epoch \d+:\d\d run \d+:\d\d$",
                    lines[3]), lines[3]
    assert [int(EPOCH_LINE.match(line).group(1)) for line in lines if line.startswith("[Epoch:")] == [1, 2]
    assert re.search(r"^checkpoint: c/digits-ResNet8-ResNet8-ATS\.ckpt \(last epoch\); best: "
                     r"c/digits-ResNet8-ResNet8-ATS-best\.ckpt \(epoch \d\)$", result.stdout, re.M)


def test_eval_and_export_need_only_the_checkpoint(digits_teacher, tmp_path, cli, monkeypatch):
    folder, ckpt, history = digits_teacher
    monkeypatch.chdir(tmp_path)
    result = cli("eval", "--ckpt", ckpt, "--json", "e.json", "--download", "False", "--max_test", "128")
    assert result.returncode == 0, result.stderr
    assert re.search(r"ResNet8 .* on digits test \(128 images, normalize cifar\): top-1 0\.\d{4}  top-5 0\.\d{4}",
                     result.stdout)
    assert json.loads((tmp_path / "e.json").read_text())["acc"] == pytest.approx(history[-1]["test_acc"], abs=1e-6)
    contradiction = cli("eval", "--ckpt", ckpt, "--normalize", "imagenet")
    assert contradiction.returncode == 2 and "--normalize=imagenet contradicts checkpoint" in contradiction.stderr
    config_yaml = tmp_path / "teacher.yaml"
    config_yaml.write_text(f"dataset: digits\nnet_name: ResNet8\nckpt_dir: {folder / 'ckpts'}\n"
                           f"ckpt_name: digits-ResNet8.ckpt\nepoches: 2\nlr: 0.1\nmax_test: 128\n")
    by_config = cli("eval", "--config", config_yaml)
    assert by_config.returncode == 0 and "top-1" in by_config.stdout, by_config.stderr
    out = tmp_path / "exp"
    out.mkdir()
    (out / "t.ckpt").write_bytes(open(ckpt, "rb").read())
    result = cli("export", "--ckpt_dir", out, "--ckpt_name", "t.ckpt")
    assert result.returncode == 0, result.stderr
    assert "(ResNet8, paper, 10 classes, input (1, 3, 32, 32))" in result.stdout
    mindir = out / "t_mindir.mindir"
    graph = ms.nn.GraphCell(ms.load(str(mindir)))
    net = create_model("ResNet8", 10, checkpoint=ckpt)
    net.set_train(False)
    x = ms.Tensor(np.zeros((1, 3, 32, 32), np.float32))
    np.testing.assert_allclose(graph(x).asnumpy(), net(x).asnumpy(), atol=1e-5)
    again = cli("export", "--ckpt_dir", out, "--ckpt_name", "t.ckpt")
    assert again.returncode == 2 and "already exists" in again.stderr


def test_pynative_training_through_the_fused_step(tiny_teacher, tiny_net, tmp_path, monkeypatch):
    _, teacher_ckpt, _ = tiny_teacher
    graph = ats_ms.make_config("distill", t_ckpt=teacher_ckpt, net_name=tiny_net, epoches=1, mode="graph",
                               **TINY_KW, **_dirs(tmp_path / "g"))
    pynative = graph.replace(mode="pynative", **_dirs(tmp_path / "p"))
    a = ats_ms.train(graph, emit=lambda line: None)
    modes = []
    original = Trainer._train

    def recording(self, first, members):
        modes.append(ms.get_context("mode"))
        return original(self, first, members)

    monkeypatch.setattr(Trainer, "_train", recording)
    b = ats_ms.train(pynative, emit=lambda line: None)
    assert modes == [ms.PYNATIVE_MODE]
    assert a[0]["loss"] == pytest.approx(b[0]["loss"], rel=1e-4)
    assert a[0]["test_acc"] == pytest.approx(b[0]["test_acc"], abs=1 / 64 + 1e-9)


def test_amp_o2_on_cpu_writes_a_loadable_fp32_checkpoint(tmp_path):
    config = ats_ms.make_config("classify", net_name="ResNet8", epoches=1, amp_level="O2", **TINY_KW,
                                **_dirs(tmp_path))
    history = ats_ms.train(config, emit=lambda line: None)
    assert np.isfinite(history[0]["loss"])
    net = create_model("ResNet8", 10, checkpoint=str(tmp_path / "ckpts" / "digits-ResNet8.ckpt"))
    assert net.conv1.weight.dtype == ms.float32


def test_paper_recipe_student_starts_from_the_official_weights_init(digits_teacher, tmp_path):
    from ats_ms.models.init import official_weights_init
    _, teacher_ckpt, _ = digits_teacher
    config = ats_ms.make_config("distill", t_ckpt=teacher_ckpt, net_name="VGG8", epoches=1, lr_schedule="paper",
                                **TINY_KW, **_dirs(tmp_path))
    prepare_device(config)
    trainer = Trainer(config, emit=lambda line: None).prepare()
    trainer._build_student(trainer.members[0])
    student = trainer.members[0].student
    ms.set_seed(config.seed)
    want = official_weights_init(create_model("VGG8", 10))
    np.testing.assert_array_equal(student.classifier.weight.asnumpy(), want.classifier.weight.asnumpy())
    assert student.classifier.weight.asnumpy().std() > 0.03  # kaiming fan_in, not the network's N(0, 0.01)


# The paper schedule runs epoch 1 at 2e-7 x lr: lr * weight_decay is 10 there (large but finite losses) and 1e7 in
# epoch 2, where the weights overflow to inf within a few steps and the loss becomes NaN (8 steps per epoch here).
DIVERGE = dict(lr_schedule="paper", lr=0.05, weight_decay=1e9, epoches=2)


def test_non_finite_loss_stops_with_exit_3_and_keeps_the_last_good_checkpoint(tmp_path, cli, monkeypatch, tiny_net):
    monkeypatch.chdir(tmp_path)
    flags = [f"--{k}={v}" for k, v in DIVERGE.items()]
    result = cli("classify", *TINY, "--max_train", "512", "--net_name", tiny_net, *flags, "--ckpt_dir", "ckpts",
                 "--log_dir", "logs")
    assert result.returncode == 3, result.stdout + result.stderr
    error = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(error) == 1 and "non-finite loss at epoch 2, step" in error[0]
    assert "digits-TinyNet.resume.ckpt (epoch 1)" in error[0]
    params = ms.load_checkpoint(str(tmp_path / "ckpts" / "digits-TinyNet.resume.ckpt"))
    assert json.loads(params.pop("ats_state"))["epoch"] == 1
    params.pop("ats_record")
    assert all(np.isfinite(v.asnumpy()).all() for v in params.values())
    assert not (tmp_path / "ckpts" / "digits-TinyNet.ckpt").exists()
    last_good = cli("eval", "--ckpt", "ckpts/digits-TinyNet.resume.ckpt", "--download", "False")
    assert last_good.returncode == 0 and "top-1" in last_good.stdout, last_good.stderr  # the file the error names


def test_non_finite_loss_skip_keeps_the_schedule(tmp_path, tiny_net):
    config = ats_ms.make_config("classify", net_name=tiny_net, on_nan="skip", **DIVERGE,
                                **dict(TINY_KW, max_train=512), **_dirs(tmp_path))
    prepare_device(config)
    lines = []
    trainer = Trainer(config, emit=lines.append).prepare()
    member = trainer.run()[0]
    assert member.history[0]["skipped_batches"] == 0 and member.history[1]["skipped_batches"] > 0
    assert any(line.startswith("note: skipped") for line in lines)
    steps = trainer.steps_per_epoch
    assert int(member.optimizer.global_step.asnumpy()[0]) == 2 * steps  # skipped steps advance the lr schedule
    assert (tmp_path / "ckpts" / "digits-TinyNet.ckpt").is_file()


class _Interrupted(Exception):
    pass


def test_dataset_sink_mode_trains_every_epoch_in_one_call_and_resumes_in_one(tiny_teacher, tiny_net, tmp_path):
    """Sink mode (on CPU MindSpore runs the same multi-epoch call without a sink): one pipeline and one Model.train
    call per run, epoch-aware progress lines, and a resumed run continues in one call from its resume epoch."""
    _, teacher_ckpt, _ = tiny_teacher
    config = ats_ms.make_config("distill", t_ckpt=teacher_ckpt, net_name=tiny_net, epoches=2,
                                dataset_sink_mode=True, **dict(TINY_KW, print_every=2), **_dirs(tmp_path))
    prepare_device(config)
    calls = []

    class Recording(Trainer):
        stop_after = None

        def _train_ds(self, epoch):
            calls.append(epoch)
            return super()._train_ds(epoch)

        def _save_epoch(self, member, improved):
            super()._save_epoch(member, improved)
            if member.history[-1]["epoch"] == self.stop_after:
                raise _Interrupted

    lines = []
    trainer = Recording(config, emit=lines.append).prepare()
    history = trainer.run()[0].history
    assert trainer.sink and [r["epoch"] for r in history] == [1, 2]
    assert calls == [0, 0]  # the step count at prepare(), then one pipeline for all epochs (one Model.train call)
    assert all(np.isfinite(r["loss"]) and 0 <= r["train_acc"] <= 1 for r in history)
    steps = trainer.steps_per_epoch
    second = [line for line in lines if line.startswith("  epoch 2 step 2/")]
    assert len(second) == 1 and f" lr {trainer.lrs[steps + 1]:.5g} " in second[0], lines
    assert ats_ms.make_config("classify").dataset_sink_mode is None  # default: True on GPU/Ascend, False on CPU

    interrupted = config.replace(ckpt_name="resumed.ckpt")
    Recording.stop_after = 1
    with pytest.raises(_Interrupted):
        Recording(interrupted, emit=lambda line: None).prepare().run()
    Recording.stop_after, calls[:] = None, []
    member = Recording(interrupted.replace(resume=True), emit=lambda line: None).prepare().run()[0]
    assert member.start_epoch == 1 and [r["epoch"] for r in member.history] == [1, 2]
    assert calls == [0, 1]  # prepare(), then one call from the resume epoch on a pipeline seeded for it


def test_export_reads_the_training_yaml(digits_teacher, tmp_path, cli):
    folder, ckpt, _ = digits_teacher
    out = tmp_path / "ck"
    out.mkdir()
    (out / "digits-ResNet8.ckpt").write_bytes(open(ckpt, "rb").read())
    config_yaml = tmp_path / "teacher.yaml"
    config_yaml.write_text(f"dataset: digits\nnet_name: ResNet8\nckpt_dir: {out}\nepoches: 2\nlr: 0.1\n")
    result = cli("export", "--config", config_yaml, "--ckpt_name", "digits-ResNet8.ckpt")
    assert result.returncode == 0, result.stderr
    assert (out / "digits-ResNet8_mindir.mindir").is_file()


def test_demo_networks_and_recipe_train_and_are_recorded(tmp_path, cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("classify", *TINY, "--max_train", "250", "--net_name", "ResNet8", "--net_style", "demo",
                 "--lr_schedule", "demo", "--epoches", "1", "--ckpt_dir", "c", "--log_dir", "l")
    assert result.returncode == 0, result.stderr
    assert "3 steps of 64 per epoch" in result.stdout  # the demo drops the last partial batch (250 = 3 x 64 + 58)
    assert "network: ResNet8 (demo), 78,042 parameters" in result.stdout
    assert read_record("c/digits-ResNet8.ckpt")["net_style"] == "demo"
    evaluated = cli("eval", "--ckpt", "c/digits-ResNet8.ckpt", "--max_test", "64")  # the style comes from the record
    assert evaluated.returncode == 0 and "top-1" in evaluated.stdout, evaluated.stderr
