"""Bad-input matrix: every case exits with status 2 and one 'error:' line naming the flag or file, the value and
what was expected; no traceback; nothing written or overwritten."""
import hashlib
import os

import pytest

from cifar_fixtures import write_binary_layout
from conftest import run_cli

ms = pytest.importorskip("mindspore")

from ats_ms.models import create_model  # noqa: E402
from ats_ms.models.checkpoint import save_network  # noqa: E402


def _snapshot(root):
    out = {}
    for folder, _, files in os.walk(root):
        for name in files:
            path = os.path.join(folder, name)
            with open(path, "rb") as f:
                out[os.path.relpath(path, root)] = hashlib.sha256(f.read()).hexdigest()
    return out


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """A folder with tiny CIFAR-10 data, a ResNet8 teacher checkpoint (10 classes) and broken files."""
    root = tmp_path_factory.mktemp("ws")
    write_binary_layout(str(root / "data"), "cifar10", n_train=10, n_test=5)
    write_binary_layout(str(root / "baddata"), "cifar10", n_train=10, n_test=5)
    bad_file = root / "baddata" / "cifar-10-batches-bin" / "test_batch.bin"
    bad_file.write_bytes(bad_file.read_bytes()[:-7])
    write_binary_layout(str(root / "data100"), "cifar100", n_train=30, n_test=15)
    (root / "ckpts").mkdir()
    ms.set_device("CPU")
    save_network(create_model("ResNet8", 10), str(root / "ckpts" / "cifar10-ResNet8.ckpt"))
    save_network(create_model("VGG8", 10), str(root / "ckpts" / "vgg.ckpt"))
    good = (root / "ckpts" / "cifar10-ResNet8.ckpt").read_bytes()
    (root / "ckpts" / "truncated.ckpt").write_bytes(good[: len(good) // 3])
    (root / "ckpts" / "corrupt.ckpt").write_bytes(b"\x13\x37" * 4000)
    (root / "a_file").write_text("not a folder")
    (root / "syntax.yaml").write_text("lr: 0.1\n  epoches: [\n")
    (root / "unknown.yaml").write_text("epoches: 1\nlearning_rate: 0.1\n")
    (root / "type.yaml").write_text("epoches: one\n")
    return root


BASE = ["--dataset", "cifar10", "--data_dir", "data", "--n_classes", "10", "--ckpt_dir", "ckpts",
        "--log_dir", "logs", "--epoches", "1", "--batch_size", "8", "--download", "False"]
DISTILL = ["distill", *BASE, "--t_net_name", "ResNet8", "--net_name", "ResNet8"]
CLASSIFY = ["classify", *BASE, "--net_name", "ResNet8"]

CASES = {
    "unknown network": (CLASSIFY + ["--net_name", "ResNet99"], ["ResNet99", "expected one of", "ResNet110"]),
    "n_classes vs teacher": (DISTILL + ["--n_classes", "100", "--data_dir", "data100", "--dataset", "cifar100",
                                        "--t_ckpt", "ckpts/cifar10-ResNet8.ckpt"],
                             ["--n_classes=100", "cifar10-ResNet8.ckpt", "10 classes"]),
    "missing teacher": (DISTILL + ["--t_ckpt", "ckpts/nope.ckpt"], ["nope.ckpt", "not found", "expected"]),
    "truncated teacher": (DISTILL + ["--t_ckpt", "ckpts/truncated.ckpt"], ["truncated.ckpt", "cannot be read"]),
    "corrupt teacher": (DISTILL + ["--t_ckpt", "ckpts/corrupt.ckpt"], ["corrupt.ckpt", "cannot be read"]),
    "other architecture": (DISTILL + ["--t_ckpt", "ckpts/vgg.ckpt"], ["vgg.ckpt", "does not match network ResNet8"]),
    "tau zero": (DISTILL + ["--tp_tau", "0"], ["--tp_tau", "0.0", "finite number > 0"]),
    "tau negative": (DISTILL + ["--t_tau", "-1"], ["--t_tau", "-1.0", "finite number > 0"]),
    "tau nan": (DISTILL + ["--s_tau", "nan"], ["--s_tau", "nan", "finite number > 0"]),
    "tau inf": (DISTILL + ["--t_tau", "inf"], ["--t_tau", "inf", "finite number > 0"]),
    "lamb": (DISTILL + ["--lamb", "1.5"], ["--lamb", "1.5", "[0, 1]"]),
    "kd_way": (DISTILL + ["--kd_way", "KL"], ["kd_way", "KL", "ATS, TS, none"]),
    "epoches": (CLASSIFY + ["--epoches", "0"], ["--epoches=0", "> 0"]),
    "batch_size": (CLASSIFY + ["--batch_size", "-4"], ["--batch_size=-4", "> 0"]),
    "lr": (CLASSIFY + ["--lr", "0"], ["--lr=0.0", "> 0"]),
    "missing data": (CLASSIFY + ["--data_dir", "nodata"], ["nodata", "cifar-10-batches-py/", "--download True"]),
    "corrupt data": (CLASSIFY + ["--data_dir", "baddata"], ["test_batch.bin", "truncated or corrupt"]),
    "labels out of range": (CLASSIFY + ["--dataset", "cifar100", "--data_dir", "data100", "--n_classes", "10"],
                            ["--n_classes=10", "labels in [0, 9]"]),
    "yaml syntax": (CLASSIFY + ["--config", "syntax.yaml"], ["syntax.yaml", "YAML syntax error at line"]),
    "yaml unknown key": (CLASSIFY + ["--config", "unknown.yaml"], ["unknown.yaml", "learning_rate", "expected"]),
    "yaml type": (CLASSIFY + ["--config", "type.yaml"], ["type.yaml", "epoches='one'", "an integer"]),
    "unwritable ckpt_dir": (CLASSIFY + ["--ckpt_dir", "a_file/sub"], ["--ckpt_dir=a_file/sub", "writable folder"]),
    "unwritable log_dir": (CLASSIFY + ["--log_dir", "a_file/logs", "--ckpt_name", "new.ckpt"], ["--log_dir=a_file/logs", "writable folder"]),
    "ckpt_name is the teacher": (DISTILL + ["--ckpt_name", "cifar10-ResNet8.ckpt"],
                                 ["--ckpt_name=cifar10-ResNet8.ckpt", "overwrite the teacher"]),
    "existing checkpoint": (CLASSIFY + ["--ckpt_name", "vgg.ckpt"], ["vgg.ckpt", "already exists", "--overwrite"]),
    "GPU missing": (CLASSIFY + ["--device_target", "GPU"], ["--device_target=GPU", "cannot use a GPU"]),
    "Ascend missing": (CLASSIFY + ["--device_target", "Ascend"], ["--device_target=Ascend", "cannot use a Ascend"]),
    "unknown flag": (CLASSIFY + ["--learning_rate", "0.1"], ["unrecognized arguments: --learning_rate"]),
    "bad boolean": (CLASSIFY + ["--download", "maybe"], ["--download", "maybe", "True/False"]),
    "bench rounds": (["bench", "--rounds", "0"], ["--rounds=0", "positive integers"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input(workspace, case):
    argv, needles = CASES[case]
    before = _snapshot(workspace)
    proc = run_cli(*argv, cwd=workspace)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, proc.stderr
    assert all(n in errors[0] for n in needles), errors[0]
    assert "expected" in errors[0]
    assert _snapshot(workspace) == before
    assert not (workspace / "logs").exists()
