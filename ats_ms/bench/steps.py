"""The four measurements of ``python -m ats_ms bench``; numbers are measured, not assumed.

a. ours: the graph-mode TrainStep (student + frozen teacher + DistillLoss + optimizer in one graph), the cell that
   Model.train runs: compile seconds, steady img/s, peak resident memory.
b. demo-style: the official MindSpore demo's loop re-created: PyNative, teacher called separately, a GradOperation
   train step (forward, then forward + backward), plus its two extra forward passes per batch for logging.
c. a whole epoch through Model.train and the real data pipeline (augmentation, batching, callbacks) on synthetic
   CIFAR-sized uint8 data, so pipeline and callback overhead shows; it runs the same compiled cell as (a).
d. (--torch) PyTorch with the same architectures (``ats_ms.convert.twins.torch_twin``: the built-in CIFAR
   networks' twins, or a user's network's own), teacher under no_grad, 2 threads.
packed (--pack K): K students sharing one teacher forward in one graph (a sweep's pack); reported per cell, i.e.
   K x batch images per step, so packed / ours is how much cheaper a grid cell gets.
pipeline: the training data pipeline alone (read, RandomCrop + flip + Normalize + HWC2CHW, batch), img/s.

Each ``setup_*`` builds and warms its measurement and returns (facts, timer): ``timer()`` returns the seconds of one
timed run and how many images it processed. ``measure_rounds`` calls the timers in alternating rounds, so that the
machine's speed drifts hit every row alike, and reports medians.
"""
import os
import resource
import statistics
import time

import numpy as np

from ats_ms.bench.parts import PARTS, build_fused_step, seconds_per_call, synthetic_batch, time_part


def peak_rss_mb():
    """Peak resident memory of this process in MB (getrusage: psutil reads the current, not the peak, on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def measure_rounds(timers, rounds, emit=None):
    """Run every timer once per round for ``rounds`` rounds.

    Args:
        timers (dict[str, callable]): name -> timer returning (seconds, images).
        rounds (int): rounds; emit (callable | None): progress lines (default: the ``ats_ms`` logger).

    Returns:
        dict: name -> {"img_per_s": median over rounds, "seconds": median seconds per run, "images": per run,
        "rounds_img_per_s": each round's}.
    """
    from ats_ms.utils import logs
    emit = emit or logs.log_line
    samples = {name: [] for name in timers}
    for r in range(rounds):
        emit(f"[bench] round {r + 1}/{rounds}: " + ", ".join(timers))
        for name, timer in timers.items():
            samples[name].append(timer())
    result = {}
    for name, runs in samples.items():
        seconds = statistics.median(s for s, _ in runs)
        images = runs[0][1]
        result[name] = {"img_per_s": round(images / seconds, 1), "seconds": round(seconds, 4), "images": images,
                        "rounds_img_per_s": [round(n / s, 1) for s, n in runs]}
    return result


def setup_ours_and_epoch(t_net, s_net, batch_size, n_classes, steps, fold_bn=True, image_size=32):
    """(a) and (c) on one compiled cell.

    Returns:
        tuple[dict, callable, callable]: {"compile_s", "peak_rss_mb" (after compiling and one warm epoch, before the
        other rows are built)}, timer of ``steps`` fused steps on a fixed batch, timer of one epoch of ``steps``
        batches through Model.train and the data pipeline.
    """
    import mindspore as ms
    from mindspore.train import Model

    from ats_ms.data import create_dataset
    from ats_ms.engine.callbacks import StepMonitor
    ms.set_context(mode=ms.GRAPH_MODE)
    step_cell = build_fused_step(t_net, s_net, n_classes, fold_bn)
    x, y = (ms.Tensor(a) for a in synthetic_batch(batch_size, n_classes, image_size=image_size))
    start = time.perf_counter()
    step_cell(x, y)[0].asnumpy()
    compile_s = time.perf_counter() - start

    rng = np.random.default_rng(0)
    n = batch_size * steps
    arrays = (rng.integers(0, 256, size=(n, image_size, image_size, 3), dtype=np.uint8),
              (np.arange(n) % n_classes).astype(np.int32))
    model = Model(step_cell)
    warm = create_dataset("cifar100", "", "train", batch_size, n_classes=n_classes, image_size=image_size,
                          arrays=(arrays[0][:batch_size], arrays[1][:batch_size]), drop_remainder=True)
    model.train(1, warm, dataset_sink_mode=False)
    facts = {"compile_s": round(compile_s, 2), "peak_rss_mb": round(peak_rss_mb(), 1)}

    def step_timer():
        return steps * seconds_per_call(lambda: step_cell(x, y)[0].asnumpy(), steps, warmup=1), n

    def epoch_timer():
        data = create_dataset("cifar100", "", "train", batch_size, n_classes=n_classes, arrays=arrays,
                              num_workers=os.cpu_count() or 1, drop_remainder=True, image_size=image_size)
        monitor = StepMonitor(steps, batch_size, 0, lambda line: None, np.zeros(steps), 1)
        start = time.perf_counter()
        model.train(1, data, callbacks=[monitor], dataset_sink_mode=False)
        return time.perf_counter() - start, n

    return facts, step_timer, epoch_timer


def bench_breakdown(t_net, s_net, batch_size, n_classes, steps, fold_bn=True, image_size=32):
    """Where a fused step's time goes: each part of ``ats_ms.bench.parts`` but the fused step, compiled alone.

    Returns:
        dict: ``<part>_s`` seconds per step for teacher_forward, student_forward, student_forward_backward,
        student_step.
    """
    return {f"{name}_s": round(time_part(name, t_net, s_net, batch_size, n_classes, steps, fold_bn,
                                         image_size=image_size), 4)
            for name in PARTS if name != "fused_step"}


def setup_demo_style(t_net, s_net, batch_size, n_classes, steps, image_size=32):
    """(b): the demo's PyNative loop: teacher forward, GradOperation step, and two logging forwards per batch.
    Returns ({}, timer of ``steps`` steps)."""
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
    x, y = (ms.Tensor(a) for a in synthetic_batch(batch_size, n_classes, image_size=image_size))

    def step():
        student.set_train(True)
        t_logits = teacher(x)
        loss = net(t_logits, x, y)
        optimizer(grad(net, weights)(t_logits, x, y))
        logged = net(t_logits, x, y).asnumpy()
        logits = student(x)
        return loss, logged, (logits.argmax(1) == y).asnumpy().mean()

    def timer():
        ms.set_context(mode=ms.PYNATIVE_MODE)
        seconds = steps * seconds_per_call(step, steps, warmup=1)
        ms.set_context(mode=ms.GRAPH_MODE)
        return seconds, steps * batch_size

    ms.set_context(mode=ms.GRAPH_MODE)
    return {}, timer


def setup_torch(t_net, s_net, batch_size, n_classes, steps, threads=2, image_size=32):
    """(d): PyTorch step with the same architectures, teacher forward under no_grad.
    Returns ({threads, torch version}, timer of ``steps`` steps)."""
    import torch
    import torch.nn.functional as F

    from ats_ms.convert.twins import torch_twin
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    teacher, student = torch_twin(t_net)(n_classes).eval(), torch_twin(s_net)(n_classes).train()
    optimizer = torch.optim.SGD(student.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    x, y = (torch.from_numpy(a) for a in synthetic_batch(batch_size, n_classes, image_size=image_size))
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

    step()
    return ({"threads": threads, "torch": torch.__version__},
            lambda: (steps * seconds_per_call(step, steps, warmup=1), steps * batch_size))


def setup_packed(t_net, s_net, batch_size, n_classes, steps, fold_bn, pack, kd_ways=None, image_size=32):
    """(packed): ``pack`` students sharing one teacher forward (with ``kd_ways``: one per method). Returns ({k,
    compile_s}, timer of ``steps`` steps counting ``pack x batch`` images per step)."""
    import mindspore as ms
    pack = len(kd_ways) if kd_ways else pack
    step_cell = build_fused_step(t_net, s_net, n_classes, fold_bn, pack=pack, kd_ways=kd_ways)
    x, y = (ms.Tensor(a) for a in synthetic_batch(batch_size, n_classes, image_size=image_size))
    start = time.perf_counter()
    step_cell(x, y)[0].asnumpy()
    facts = {"k": pack, "compile_s": round(time.perf_counter() - start, 2)}
    return facts, lambda: (steps * seconds_per_call(lambda: step_cell(x, y)[0].asnumpy(), steps, warmup=1),
                           pack * batch_size * steps)


def setup_pipeline(batch_size, n_classes, num_workers, data_dir, batches=150, image_size=32):
    """(pipeline): the training pipeline alone over ``batches`` batches (19,200 images at batch 128): CIFAR-100 from
    ``data_dir`` with the C++ reader when its binary layout is there, else synthetic images in memory.
    Returns ({workers, source}, timer)."""
    images = batches * batch_size
    from ats_ms.data.cifar import official_binary
    from ats_ms.data.pipeline import DataSplit, create_dataset, open_split, worker_count
    if data_dir and official_binary("cifar100", data_dir):
        data = open_split("cifar100", data_dir, "train")
    else:
        rng = np.random.default_rng(0)
        data = DataSplit("cifar100", "train", (np.arange(images) % n_classes).astype(np.int32),
                         images=rng.integers(0, 256, size=(images, image_size, image_size, 3), dtype=np.uint8))

    def timer():
        dataset = create_dataset("cifar100", data_dir, "train", batch_size, n_classes=max(n_classes, 100),
                                 num_workers=num_workers, data=data, image_size=image_size)
        seen, start = 0, time.perf_counter()
        for batch, _ in dataset.create_tuple_iterator(num_epochs=1, output_numpy=True):
            seen += len(batch)
            if seen >= images:
                break
        return time.perf_counter() - start, seen

    return {"workers": worker_count(num_workers), "source": data.reader}, timer
