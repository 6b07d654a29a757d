"""The peers' epoch-dependent factors in training: DKD's warm-up and CTKD's gradient reversal change each epoch
without a recompile (a Parameter set before the epoch, in normal and in dataset sink mode), an interrupted run that
resumes continues them and CTKD's learned temperature exactly as an uninterrupted run, and C < 3 refuses DKD. The
training runs use TinyNet (tests/tiny_net.py): the factors do not depend on the network."""
import numpy as np
import pytest

import ats_ms

from conftest import TINY_KW

ms = pytest.importorskip("mindspore")

from ats_ms.engine.trainer import Trainer  # noqa: E402
from ats_ms.losses.objective import EpochObjective  # noqa: E402
from ats_ms.utils.errors import Interrupted  # noqa: E402

PEERS = {"DKD": {"dkd_warmup": 2}, "CTKD": {"ctkd_decay_epochs": 2}}


def _runs(teacher, folder, **extra):
    base = ats_ms.make_config("distill", t_ckpt=teacher, net_name="TinyNet", epoches=2, lr=0.2,
                              **dict(TINY_KW, max_train=64, max_test=32, batch_size=32), ckpt_dir=str(folder),
                              log_dir=str(folder), **extra)
    return [base.replace(kd_way=kd_way, ckpt_name=f"{kd_way}.ckpt", **values) for kd_way, values in PEERS.items()]


def _params(path):
    return {k: v.asnumpy() for k, v in ms.load_checkpoint(str(path)).items() if not isinstance(v, str)}


@pytest.mark.parametrize("sink", [False, pytest.param(True, marks=pytest.mark.slow)])
def test_epoch_factors_change_each_epoch_and_resume_exactly(tiny_teacher, tiny_net, tmp_path, monkeypatch, sink):
    _, teacher, _ = tiny_teacher
    seen, original = [], EpochObjective.set_epoch

    def recording(self, epoch):
        seen.append((self.kd_way, epoch))
        original(self, epoch)

    monkeypatch.setattr(EpochObjective, "set_epoch", recording)
    compiled = []
    build = Trainer._build_cells
    monkeypatch.setattr(Trainer, "_build_cells", lambda self, members: (compiled.append(1), build(self, members)))
    whole = ats_ms.train_pack(_runs(teacher, tmp_path / "whole", dataset_sink_mode=sink), emit=lambda line: None)
    assert seen == [(k, e) for e in (1, 2) for k in PEERS] and len(compiled) == 1  # one graph for all epochs
    temperatures = [r["temperature"] for r in whole[1]["history"]]
    assert len(set(temperatures)) == 2  # CTKD's temperature is learned: it moves every epoch
    if sink:  # a resumed sink-mode run sees a pipeline seeded for its resume epoch (docs/troubleshooting.md)
        return

    seen.clear()
    save = Trainer._save_epoch

    def interrupted_after_epoch_1(self, member, improved):
        save(self, member, improved)
        if member.history[-1]["epoch"] == 1 and member is self.members[-1]:
            raise KeyboardInterrupt

    monkeypatch.setattr(Trainer, "_save_epoch", interrupted_after_epoch_1)
    runs = _runs(teacher, tmp_path / "resumed", dataset_sink_mode=sink)
    with pytest.raises(Interrupted, match="resume files: .*DKD.resume.ckpt \\(epoch 1\\)"):
        ats_ms.train_pack(runs, emit=lambda line: None)
    monkeypatch.setattr(Trainer, "_save_epoch", save)
    resumed = ats_ms.train_pack([r.replace(resume=True) for r in runs], emit=lambda line: None)
    assert seen == [(k, e) for e in (1, 2) for k in PEERS]  # epoch 1, then 2 after the resumption
    for kd_way in PEERS:
        got, want = _params(tmp_path / "resumed" / f"{kd_way}.ckpt"), _params(tmp_path / "whole" / f"{kd_way}.ckpt")
        assert set(got) == set(want) and ("loss.ctkd_theta" in got) == (kd_way == "CTKD")
        for name in want:
            np.testing.assert_array_equal(got[name], want[name], err_msg=f"{kd_way} {name}")
    assert [r["temperature"] for r in resumed[1]["history"]] == temperatures
    assert [r["loss"] for r in resumed[0]["history"]] == [r["loss"] for r in whole[0]["history"]]


def test_dkd_needs_three_classes(tmp_path):
    """Its NCKD (the distribution among the non-target classes) is undefined with 2 (mdistiller issue 60: inf)."""
    ms.save_checkpoint(ms.nn.Dense(2, 2), str(tmp_path / "teacher.ckpt"))  # a checkpoint without a record
    with pytest.raises(ValueError, match="kd_way DKD needs at least 3 classes, but the data has 2"):
        ats_ms.make_config("distill", kd_way="DKD", n_classes=2, dataset="digits",
                           t_ckpt=str(tmp_path / "teacher.ckpt"))
    loss = ats_ms.create_loss("DKD")
    with pytest.raises(ValueError, match="needs at least 3 classes"):
        loss(ms.Tensor(np.zeros((2, 2), np.float32)), ms.Tensor(np.zeros((2, 2), np.float32)),
             ms.Tensor(np.zeros(2, np.int32)))
