"""Teacher training (classify) and distillation (distill) through ``mindspore.train.Model.train``.

One ``Model`` holds the one-step training cell (student + frozen teacher + DistillLoss + optimizer in one graph)
and an eval network (the student alone) with metrics; ``Model.train`` runs one epoch at a time so that each epoch's
data order and augmentation come from ``seed + epoch`` (a resumed run sees exactly the batches an uninterrupted run
would), then ``Model.eval`` measures the test split.
"""
import logging
import os
import sys
import time

import numpy as np

from ats_ms.engine import state as run_state
from ats_ms.utils import logs, naming
from ats_ms.utils.errors import UserError, check_kd_way, check_temperature, check_unit_interval

log = logging.getLogger(__name__)


def resident_mb():
    """Resident memory of this process in MB (Linux /proc; 0.0 where unavailable)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0


class NonFiniteLoss(UserError):
    """Training produced a NaN/inf loss (exit status 3)."""


def validate(config, command):
    """Raise UserError for values no run can use (before anything is written)."""
    from ats_ms.models import resolve_name
    for key in ("epoches", "batch_size"):
        value = getattr(config, key)
        if value <= 0:
            raise UserError(f"--{key}={value} is invalid; expected an integer > 0")
    if not (config.lr > 0 and np.isfinite(config.lr)):
        raise UserError(f"--lr={config.lr} is invalid; expected a finite number > 0")
    if not 0 <= config.momentum < 1:
        raise UserError(f"--momentum={config.momentum} is invalid; expected a number in [0, 1)")
    if not (config.weight_decay >= 0 and np.isfinite(config.weight_decay)):
        raise UserError(f"--weight_decay={config.weight_decay} is invalid; expected a finite number >= 0")
    if config.n_classes < 1:
        raise UserError(f"--n_classes={config.n_classes} is invalid; expected an integer >= 1")
    if config.num_workers < 1 or config.print_every < 0:
        raise UserError("--num_workers must be >= 1 and --print_every >= 0")
    config.net_name = resolve_name(config.net_name)
    if command == "distill":
        config.kd_way = check_kd_way(config.kd_way)
        for key in ("tp_tau", "t_tau", "s_tau"):
            check_temperature(f"--{key}", getattr(config, key))
        check_unit_interval("--lamb", config.lamb)
        config.t_net_name = resolve_name(config.t_net_name)
    config.ckpt_name = config.ckpt_name or naming.default_ckpt_name(config, command)
    if os.path.basename(config.ckpt_name) != config.ckpt_name:
        raise UserError(f"--ckpt_name={config.ckpt_name!r} contains a folder; expected a file name (use --ckpt_dir)")


def _writable_dir(flag, folder):
    existing = os.path.abspath(folder)
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing) or not os.access(existing, os.W_OK | os.X_OK):
        raise UserError(f"--{flag}={folder} cannot be created or written ({existing} is not a writable folder); "
                        f"expected a writable folder")
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        raise UserError(f"--{flag}={folder} cannot be created ({exc.strerror}); expected a writable folder")


def check_outputs(config, command, paths):
    """Refuse runs that would overwrite the teacher, a finished checkpoint or a half-done run; create the folders.

    Called after every input has been checked, so a refused run writes nothing.
    """
    if command == "distill" and config.kd_way != "none":
        teacher = naming.teacher_ckpt_path(config)
        if os.path.abspath(paths["ckpt"]) == os.path.abspath(teacher):
            raise UserError(f"--ckpt_name={config.ckpt_name} would overwrite the teacher checkpoint {teacher}; "
                            f"expected another name (default: {naming.default_ckpt_name(config, command)})")
    if os.path.exists(paths["ckpt"]) and not config.overwrite:
        raise UserError(f"checkpoint {paths['ckpt']} already exists; expected a new --ckpt_name, or --overwrite True "
                        f"to replace it")
    if os.path.exists(paths["resume"]) and not config.resume and not config.overwrite:
        raise UserError(f"{paths['resume']} holds an interrupted run; expected --resume True to continue it, or "
                        f"--overwrite True to start over")
    _writable_dir("ckpt_dir", config.ckpt_dir)
    _writable_dir("log_dir", config.log_dir)


class Trainer:
    """Builds everything for one run and trains it: ``Trainer(config, command).prepare().run()``.

    Args:
        config (Namespace): resolved flags (see ``ats_ms.utils.config``), validated.
        command (str): ``classify`` or ``distill``.
        out (file): where console lines go.
        arrays (tuple | None): ((train images, labels), (test images, labels)) instead of loading ``config.dataset``.
    """

    def __init__(self, config, command, out=sys.stdout, arrays=None):
        self.config, self.command, self.out = config, command, out
        self.arrays = arrays
        self.paths = naming.run_paths(config)
        self.rank, self.group_size = 0, 1
        self.teacher_net = None
        self.prepared = False

    def prepare(self):
        """Read the data and the teacher (everything the user gave us), then check and create the outputs (rank 0).

        Every input error is raised before anything is written.
        """
        self._datasets()
        if self.command == "distill" and self.config.kd_way != "none":
            self.teacher_net = self._load_teacher()
        if self.rank == 0:
            check_outputs(self.config, self.command, self.paths)
        self.prepared = True
        return self

    def _load_teacher(self):
        from ats_ms.models import create_model
        from ats_ms.models.checkpoint import load_strict
        c = self.config
        path = naming.teacher_ckpt_path(c)
        if not os.path.isfile(path):
            raise UserError(f"teacher checkpoint {path} not found; expected --t_ckpt FILE or "
                            f"{{ckpt_dir}}/{{dataset}}-{{t_net_name}}.ckpt (train it with classify, or convert the "
                            f"published .pth with 'python -m ats_ms convert')")
        net = create_model(c.t_net_name, c.n_classes)
        load_strict(net, path, source=f"teacher checkpoint {path}", n_classes_flag=True)
        return net

    # ----- building -----
    def _print(self, text):
        if self.rank == 0:
            print(text, file=self.out, flush=True)

    def _datasets(self):
        from ats_ms.data import create_dataset, load_arrays
        c = self.config
        if self.arrays is not None:
            self.train_arrays, self.test_arrays = self.arrays
        else:
            self.train_arrays = load_arrays(c.dataset, c.data_dir, "train", c.download)
            self.test_arrays = load_arrays(c.dataset, c.data_dir, "test", False)
        kwargs = dict(n_classes=c.n_classes, normalize=c.normalize, num_workers=c.num_workers)
        self.test_ds = create_dataset(c.dataset, c.data_dir, "test", c.batch_size, arrays=self.test_arrays, **kwargs)
        self._train_kwargs = kwargs
        self.steps_per_epoch = self._train_ds(0).get_dataset_size()

    def _train_ds(self, epoch):
        import mindspore as ms

        from ats_ms.data import create_dataset
        c = self.config
        ms.dataset.config.set_seed(c.seed * 100003 + epoch)
        shard = dict(num_shards=self.group_size, shard_id=self.rank) if self.group_size > 1 else {}
        return create_dataset(c.dataset, c.data_dir, "train", c.batch_size, arrays=self.train_arrays,
                              **self._train_kwargs, **shard)

    def _networks(self):
        import mindspore as ms
        from mindspore import nn

        from ats_ms.engine.networks import FrozenTeacher, StudentWithLoss, TrainStep
        from ats_ms.engine.optim import build_optimizer
        from ats_ms.losses import DistillLoss
        from ats_ms.models import create_model
        c = self.config
        ms.set_seed(c.seed)
        self.student = self._adapt_student(create_model(c.net_name, c.n_classes))
        teacher = None
        if self.teacher_net is not None:
            teacher = FrozenTeacher(self.teacher_net, fold_bn=c.fold_teacher_bn)
        if c.amp_level != "O0":
            ms.amp.auto_mixed_precision(self.student, c.amp_level)
            if teacher is not None:
                ms.amp.auto_mixed_precision(teacher, c.amp_level)
        if self.command == "distill":
            loss_fn = DistillLoss(c.kd_way, c.tp_tau, c.t_tau, c.s_tau, c.lamb)
        else:
            loss_fn = DistillLoss("none")
        self.lrs = self._lr_array()
        self.optimizer = build_optimizer(self.student, self.lrs, c.momentum, c.weight_decay)
        self.train_step = TrainStep(StudentWithLoss(self.student, teacher, loss_fn), self.optimizer,
                                    skip_nonfinite=c.on_nan == "skip", grad_reducer=self._grad_reducer())
        eval_net = nn.WithEvalCell(self.student, nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean"))
        from mindspore.train import Model, Top1CategoricalAccuracy, Top5CategoricalAccuracy

        from ats_ms.engine.metrics import BatchMeanAccuracy
        metrics = {"acc": BatchMeanAccuracy(), "top1": Top1CategoricalAccuracy()}
        if c.n_classes >= 5:
            metrics["top5"] = Top5CategoricalAccuracy()
        self.model = Model(self.train_step, eval_network=eval_net, metrics=metrics, eval_indexes=[0, 1, 2])

    def _lr_array(self):
        from ats_ms.engine.lr import build_lr
        lr = self.config.lr * (self.group_size if self.config.lr_scale == "linear" else 1)
        return build_lr(self.config.lr_schedule, lr, self.config.epoches, self.steps_per_epoch)

    def _adapt_student(self, student):
        return student

    def _grad_reducer(self):
        return None

    # ----- running -----
    def _resume(self):
        c = self.config
        if not (c.resume and os.path.isfile(self.paths["resume"])):
            if c.resume:
                self._print(f"note: no resume checkpoint {self.paths['resume']}; starting from epoch 1")
            return 0, []
        saved = run_state.load_state(self.paths["resume"], c, self.student, self.optimizer)
        self._print(f"resumed from {self.paths['resume']} after epoch {saved['epoch']}")
        return saved["epoch"], saved["history"]

    def _write_metrics(self, history):
        tmp = f"{self.paths['metrics']}.tmp-{os.getpid()}"
        with open(tmp, "w", encoding="utf-8") as f:
            f.writelines(logs.metrics_json(r) + "\n" for r in history)
        os.replace(tmp, self.paths["metrics"])

    def _epoch(self, epoch, history):
        from ats_ms.engine.callbacks import StepMonitor
        c = self.config
        monitor = StepMonitor(epoch + 1, self.steps_per_epoch, c.batch_size * self.group_size, c.print_every,
                              self._print, skip_nonfinite=c.on_nan == "skip")
        start = time.time()
        self.model.train(1, self._train_ds(epoch), callbacks=[monitor], dataset_sink_mode=False)
        if monitor.non_finite is not None:
            step, value = monitor.non_finite
            last = f"{self.paths['resume']} (epoch {history[-1]['epoch']})" if history else "none (first epoch)"
            raise NonFiniteLoss(f"non-finite loss {value} at epoch {epoch + 1}, step {step}; training stopped. "
                                f"Last good checkpoint: {last}. Expected finite losses: lower --lr, or use "
                                f"--on_nan skip to skip such batches")
        result = self.model.eval(self.test_ds, dataset_sink_mode=False)
        self.train_step.set_train(True)
        record = {"epoch": epoch + 1, "lr": float(self.lrs[epoch * self.steps_per_epoch]),
                  "loss": monitor.mean_loss(), "train_acc": monitor.mean_acc(), "test_acc": result["acc"],
                  "test_top1": result["top1"], "test_top5": result.get("top5"),
                  "seconds": round(time.time() - start, 3), "skipped_batches": monitor.skipped,
                  "rss_mb": round(resident_mb(), 1)}
        if monitor.skipped:
            self._print(f"note: skipped {monitor.skipped} batches with non-finite loss in epoch {epoch + 1}")
        self._print(logs.epoch_line(record["epoch"], record["loss"], record["train_acc"], record["test_acc"]))
        return record

    def _save_epoch(self, history):
        if self.rank != 0:
            return
        state = {"epoch": history[-1]["epoch"], "history": history, "seed": self.config.seed,
                 "fingerprint": run_state.fingerprint(self.config), "config": vars(self.config)}
        run_state.save_state(self.paths["resume"], self.student, self.optimizer, state)
        self._write_metrics(history)

    def _finish(self, history):
        from ats_ms.models.checkpoint import save_network
        if self.rank != 0:
            return
        save_network(self.student, self.paths["ckpt"])
        with open(self.paths["log"], "a", encoding="utf-8") as f:
            f.write("\n".join(logs.log_block(self.config, history)) + "\n")
        if os.path.exists(self.paths["resume"]):
            os.remove(self.paths["resume"])
        for line in logs.summary_lines(history, self.paths["ckpt"], self.paths["log"], self.paths["metrics"]):
            self._print(line)

    def run(self):
        """Train; returns the per-epoch history (list of dicts)."""
        from ats_ms.utils.config import save_effective
        if not self.prepared:
            self.prepare()
        self._networks()
        start_epoch, history = self._resume()
        if self.rank == 0:
            save_effective(self.config, self.paths["config"])
            self._write_metrics(history)
        for epoch in range(start_epoch, self.config.epoches):
            history.append(self._epoch(epoch, history))
            self._save_epoch(history)
        self._finish(history)
        return history
