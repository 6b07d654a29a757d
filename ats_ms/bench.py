"""Benchmarks of one distillation step and one epoch (``python -m ats_ms bench``); numbers are measured, not assumed.

a. ours: the graph-mode TrainStep (student + frozen teacher + DistillLoss + optimizer in one graph), the cell that
   Model.train runs: compile seconds, steady img/s, peak resident memory.
b. demo-style: the official MindSpore demo's loop re-created: PyNative, teacher called separately, a GradOperation
   train step (forward, then forward + backward), plus its two extra forward passes per batch for logging.
c. a whole epoch through Model.train and the real data pipeline (augmentation, batching, callbacks) on synthetic
   CIFAR-sized uint8 data, so pipeline and callback overhead shows.
d. (--torch) PyTorch with the same architectures (ats_ms.convert.torch_twins), teacher under no_grad, 2 threads.
"""
import os
import resource
import time

import numpy as np

from ats_ms.engine.trainer import resident_mb


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _batch(batch_size, n_classes, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch_size, 3, 32, 32)).astype(np.float32)
    y = rng.integers(0, n_classes, batch_size).astype(np.int32)
    return x, y


def _time_steps(step, steps, warmup):
    for _ in range(warmup):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - start) / steps


def _build_ours(t_net, s_net, n_classes, fold_bn):
    from ats_ms.engine.lr import build_lr
    from ats_ms.engine.networks import FrozenTeacher, StudentWithLoss, TrainStep
    from ats_ms.engine.optim import build_optimizer
    from ats_ms.losses import DistillLoss
    from ats_ms.models import create_model
    teacher, student = create_model(t_net, n_classes), create_model(s_net, n_classes)
    optimizer = build_optimizer(student, build_lr("demo", 0.01, 1, 1000), 0.9, 5e-4)
    frozen = FrozenTeacher(teacher, fold_bn=fold_bn)
    return TrainStep(StudentWithLoss(student, frozen, DistillLoss("ATS", 4.0, 2.0)), optimizer), student


def bench_ours(t_net, s_net, batch_size, n_classes, steps, fold_bn=True):
    """(a): compile seconds, img/s and peak RSS of the graph-mode fused step."""
    import mindspore as ms
    ms.set_context(mode=ms.GRAPH_MODE)
    step_cell, _ = _build_ours(t_net, s_net, n_classes, fold_bn)
    step_cell.set_train(True)
    x, y = (ms.Tensor(a) for a in _batch(batch_size, n_classes))
    start = time.perf_counter()
    step_cell(x, y)[0].asnumpy()
    compile_s = time.perf_counter() - start
    seconds = _time_steps(lambda: step_cell(x, y)[0].asnumpy(), steps, 1)
    return {"compile_s": round(compile_s, 2), "img_per_s": round(batch_size / seconds, 1),
            "step_s": round(seconds, 4), "peak_rss_mb": round(peak_rss_mb(), 1)}


def bench_breakdown(t_net, s_net, batch_size, n_classes, steps, fold_bn=True):
    """Where a fused step's time goes: teacher forward alone (inference graph) and the student's step alone
    (forward, backward and optimizer with plain CE); the fused step is roughly their sum."""
    import mindspore as ms

    from ats_ms.engine.lr import build_lr
    from ats_ms.engine.networks import FrozenTeacher, StudentWithLoss, TrainStep
    from ats_ms.engine.optim import build_optimizer
    from ats_ms.losses import DistillLoss
    from ats_ms.models import create_model
    ms.set_context(mode=ms.GRAPH_MODE)
    x, y = (ms.Tensor(a) for a in _batch(batch_size, n_classes))
    teacher = FrozenTeacher(create_model(t_net, n_classes), fold_bn=fold_bn)
    teacher(x).asnumpy()
    teacher_s = _time_steps(lambda: teacher(x).asnumpy(), steps, 1)
    student = create_model(s_net, n_classes)
    optimizer = build_optimizer(student, build_lr("demo", 0.01, 1, 1000), 0.9, 5e-4)
    step = TrainStep(StudentWithLoss(student, None, DistillLoss("none")), optimizer)
    step.set_train(True)
    step(x, y)[0].asnumpy()
    student_s = _time_steps(lambda: step(x, y)[0].asnumpy(), steps, 1)
    return {"teacher_forward_s": round(teacher_s, 4), "student_step_s": round(student_s, 4)}


def bench_demo_style(t_net, s_net, batch_size, n_classes, steps):
    """(b): the demo's PyNative loop: teacher forward, GradOperation step, and two logging forwards per batch."""
    import mindspore as ms
    from mindspore import nn, ops

    from ats_ms.losses import DistillLoss
    from ats_ms.models import create_model
    ms.set_context(mode=ms.PYNATIVE_MODE)
    teacher, student = create_model(t_net, n_classes), create_model(s_net, n_classes)
    teacher.set_train(False)

    class LossCell(nn.Cell):
        def __init__(self):
            super().__init__()
            self.student, self.loss = student, DistillLoss("ATS", 4.0, 2.0)

        def construct(self, t_logits, xs, ys):
            return self.loss(self.student(xs), t_logits, ys)

    net = LossCell()
    optimizer = nn.Momentum(student.trainable_params(), learning_rate=0.01, momentum=0.9)
    weights = optimizer.parameters
    grad = ops.GradOperation(get_by_list=True)
    x, y = (ms.Tensor(a) for a in _batch(batch_size, n_classes))

    def step():
        student.set_train(True)
        t_logits = teacher(x)
        loss = net(t_logits, x, y)
        optimizer(grad(net, weights)(t_logits, x, y))
        logged = net(t_logits, x, y).asnumpy()
        logits = student(x)
        return loss, logged, (logits.argmax(1) == y).asnumpy().mean()

    seconds = _time_steps(step, steps, 1)
    ms.set_context(mode=ms.GRAPH_MODE)
    return {"img_per_s": round(batch_size / seconds, 1), "step_s": round(seconds, 4)}


def bench_epoch(t_net, s_net, batch_size, n_classes, steps, fold_bn=True):
    """(c): one epoch of ``steps`` batches through Model.train and the real augmentation pipeline."""
    import mindspore as ms
    from mindspore.train import Model

    from ats_ms.data import create_dataset
    from ats_ms.engine.callbacks import StepMonitor
    ms.set_context(mode=ms.GRAPH_MODE)
    step_cell, _ = _build_ours(t_net, s_net, n_classes, fold_bn)
    rng = np.random.default_rng(0)
    n = batch_size * steps
    arrays = (rng.integers(0, 256, size=(n, 32, 32, 3), dtype=np.uint8), (np.arange(n) % n_classes).astype(np.int32))
    data = create_dataset("cifar100", "", "train", batch_size, n_classes=n_classes, arrays=arrays,
                          num_workers=os.cpu_count() or 1, drop_remainder=True)
    model = Model(step_cell)
    monitor = StepMonitor(1, steps, batch_size, 0, lambda line: None)
    warm = create_dataset("cifar100", "", "train", batch_size, n_classes=n_classes,
                          arrays=(arrays[0][:batch_size], arrays[1][:batch_size]), drop_remainder=True)
    model.train(1, warm, dataset_sink_mode=False)
    start = time.perf_counter()
    model.train(1, data, callbacks=[monitor], dataset_sink_mode=False)
    seconds = time.perf_counter() - start
    return {"img_per_s": round(n / seconds, 1), "epoch_s": round(seconds, 3), "images": n}


def bench_torch(t_net, s_net, batch_size, n_classes, steps, threads=2):
    """(d): PyTorch step with the same architectures, teacher forward under no_grad."""
    import torch
    import torch.nn.functional as F

    from ats_ms.convert.torch_twins import TWINS
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    teacher, student = TWINS[t_net](n_classes).eval(), TWINS[s_net](n_classes).train()
    optimizer = torch.optim.SGD(student.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    x, y = (torch.from_numpy(a) for a in _batch(batch_size, n_classes))
    y = y.long()
    taus = torch.full((batch_size, n_classes), 2.0)
    taus[torch.arange(batch_size), y] = 4.0

    def step():
        with torch.no_grad():
            q = (teacher(x) / taus).softmax(1)
        logits = student(x)
        loss = 0.5 * F.cross_entropy(logits, y) + 0.5 * (-(q * logits.log_softmax(1)).sum(1).mean())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item()

    seconds = _time_steps(step, steps, 1)
    return {"img_per_s": round(batch_size / seconds, 1), "step_s": round(seconds, 4), "threads": threads,
            "torch": torch.__version__}


def run_bench(t_net, s_net, batch_size=128, n_classes=100, steps=10, with_torch=False, fold_bn=True, emit=print):
    """All measurements in one process; returns the result dict (rows a-d and ratios)."""
    result = {"t_net_name": t_net, "net_name": s_net, "batch_size": batch_size, "n_classes": n_classes,
              "steps": steps, "fold_teacher_bn": fold_bn, "cpu_count": os.cpu_count(),
              "onednn_max_cpu_isa": os.environ.get("ONEDNN_MAX_CPU_ISA")}
    emit("[bench] a. ours: graph-mode fused distillation step")
    result["ours"] = bench_ours(t_net, s_net, batch_size, n_classes, steps, fold_bn)
    emit("[bench] breakdown: teacher forward alone, student step alone")
    result["breakdown"] = bench_breakdown(t_net, s_net, batch_size, n_classes, steps, fold_bn)
    emit("[bench] b. demo-style PyNative step")
    result["demo_style"] = bench_demo_style(t_net, s_net, batch_size, n_classes, max(2, steps // 3))
    emit("[bench] c. one epoch through Model.train and the data pipeline")
    result["epoch"] = bench_epoch(t_net, s_net, batch_size, n_classes, steps, fold_bn)
    ours = result["ours"]["img_per_s"]
    result["ratios"] = {"a_over_b": round(ours / result["demo_style"]["img_per_s"], 2),
                        "epoch_overhead_c_vs_a": round(1 - result["epoch"]["img_per_s"] / ours, 3)}
    if with_torch:
        emit("[bench] d. PyTorch twin step (teacher under no_grad)")
        result["torch"] = bench_torch(t_net, s_net, batch_size, n_classes, steps)
        result["ratios"]["a_over_d"] = round(ours / result["torch"]["img_per_s"], 2)
    result["resident_mb"] = round(resident_mb(), 1)
    return result


def table_lines(result):
    """Printable table of a bench result."""
    rows = [("a. ours (graph, fused step)", result["ours"]["img_per_s"],
             f"compile {result['ours']['compile_s']} s, peak RSS {result['ours']['peak_rss_mb']} MB"),
            ("b. demo-style (PyNative)", result["demo_style"]["img_per_s"], ""),
            ("c. epoch via Model.train + pipeline", result["epoch"]["img_per_s"],
             f"{result['epoch']['images']} images")]
    if "torch" in result:
        rows.append(("d. PyTorch twin, teacher no_grad", result["torch"]["img_per_s"],
                     f"{result['torch']['threads']} threads, torch {result['torch']['torch']}"))
    lines = [f"bench {result['t_net_name']} -> {result['net_name']}, batch {result['batch_size']}, "
             f"{result['n_classes']} classes, {result['steps']} steps",
             f"{'measurement':38s} {'img/s':>8s}  notes"]
    lines += [f"{name:38s} {ips:8.1f}  {note}" for name, ips, note in rows]
    if "breakdown" in result:
        b = result["breakdown"]
        lines.append(f"breakdown per step: teacher forward {b['teacher_forward_s']:.3f} s + student step "
                     f"{b['student_step_s']:.3f} s vs fused step {result['ours']['step_s']:.3f} s")
    ratios = result["ratios"]
    lines.append("ratios: a/b {a_over_b}  a/d {ad}  epoch overhead (1 - c/a) {ov:.1%}".format(
        a_over_b=ratios["a_over_b"], ad=ratios.get("a_over_d", "n/a"), ov=ratios["epoch_overhead_c_vs_a"]))
    return lines
