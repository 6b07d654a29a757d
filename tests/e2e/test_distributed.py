"""Data parallelism with msrun on CPU, 2 workers on 127.0.0.1 (a free port chosen here): one step equals the
single-process result, ranks agree, only rank 0 writes, --resume and --lr_scale linear work under --distribute.

BatchNorm statistics are per device, so the single-process reference computes each half of the batch with its own
BN statistics and averages the two gradients: exactly what DATA_PARALLEL with gradients_mean computes.
"""
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

ms = pytest.importorskip("mindspore")
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("msrun")]  # one worker: the msrun run happens once

from ats_ms.models import create_model  # noqa: E402
from ats_ms.models.checkpoint import save_network  # noqa: E402

import dist_worker  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    teacher = out / "teacher.ckpt"
    ms.set_device("CPU")
    ms.set_seed(1)
    with dist_worker.registered():
        save_network(create_model(dist_worker.NET, 10), str(teacher))
    msrun = shutil.which("msrun") or str(Path(sys.executable).parent / "msrun")
    start = time.time()
    proc = subprocess.run([msrun, "--worker_num=2", "--local_worker_num=2", "--master_addr=127.0.0.1",
                           f"--master_port={_free_port()}", f"--log_dir={out / 'msrun'}", "--join=True",
                           str(ROOT / "tests" / "dist_worker.py"), str(out), str(teacher)],
                          cwd=out, env=dict(os.environ, PYTHONPATH=str(ROOT),
                                            PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"),
                          capture_output=True, text=True,
                          timeout=300)
    logs = "".join(p.read_text() for p in sorted((out / "msrun").glob("worker_*.log")))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:] + logs[-3000:]
    return out, time.time() - start


def test_two_workers_equal_single_process_on_the_split_batch(run):
    out, seconds = run
    print(f"\nmsrun 2-worker run took {seconds:.1f} s")
    ms.set_context(mode=ms.GRAPH_MODE)
    student, optimizer, net, x, y = dist_worker.step_setup(ms, str(out / "teacher.ckpt"))
    grad_fn = ms.value_and_grad(net, None, optimizer.parameters, has_aux=True)
    half = len(y) // 2
    grads = [grad_fn(ms.Tensor(x[i * half:(i + 1) * half]), ms.Tensor(y[i * half:(i + 1) * half]))[1]
             for i in (0, 1)]
    optimizer(tuple((a + b) / 2 for a, b in zip(*grads)))
    got = np.load(out / "rank0_step.npz")
    compared = 0
    for p in student.get_parameters():
        if "moving_" in p.name:
            continue
        np.testing.assert_allclose(got[p.name], p.asnumpy(), atol=1e-5, err_msg=p.name)
        compared += 1
    assert compared == len(student.trainable_params())


def test_ranks_agree_resume_matches_and_only_rank0_writes(run):
    out, _ = run
    a, b = np.load(out / "rank0_epoch.npz"), np.load(out / "rank1_epoch.npz")
    names = [n for n in a.files if n.startswith("whole/")]
    assert set(a.files) == set(b.files) and names
    for name in a.files:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    assert int(a["resumed_from"]) == int(b["resumed_from"]) == 1  # every rank continued after epoch 1
    for name in names:  # interrupted after epoch 1 and resumed = uninterrupted
        np.testing.assert_allclose(a[name.replace("whole/", "resumed/")], a[name], rtol=1e-6, atol=1e-7, err_msg=name)
    written = sorted(os.listdir(out / "rank0" / "ckpts")) + sorted(os.listdir(out / "rank0" / "logs"))
    assert {"whole.ckpt", "whole-best.ckpt", "classify.log", "whole.metrics.jsonl"} <= set(written)
    assert not (out / "rank1").exists()
    shared = sorted(os.listdir(out / "shared" / "ckpts"))
    assert "resumed.ckpt" in shared and not any(name.endswith(".resume.ckpt") for name in shared)


def test_image_files_are_sharded_each_read_once_per_epoch(run):
    out, _ = run
    seen = [np.load(out / f"rank{r}_files.npz")["seen"] for r in (0, 1)]
    red = np.round((np.concatenate(seen) * 0.2023 + 0.4914) * 255 / 20).astype(int)  # the image's index
    assert len(seen[0]) == len(seen[1]) == dist_worker.FOLDER_IMAGES // 2
    assert sorted(red.tolist()) == list(range(dist_worker.FOLDER_IMAGES))


def test_lr_scale_linear_multiplies_the_schedule_by_the_device_count(run):
    from ats_ms.engine.lr import build_lr
    out, _ = run
    a = np.load(out / "rank0_epoch.npz")
    assert int(a["group_size"]) == 2
    np.testing.assert_allclose(a["lrs"], build_lr("demo", 0.03 * 2, 2, int(a["steps"])), rtol=1e-6)


def test_distribute_without_launcher_is_a_clear_error(tmp_path, cli):
    result = cli("classify", "--dataset", "digits", "--n_classes", 10, "--net_name", "ResNet8", "--distribute",
                 "True", "--ckpt_dir", tmp_path / "c", "--log_dir", tmp_path / "l")
    assert result.returncode == 2 and "needs a launcher" in result.stderr and not (tmp_path / "c").exists()
