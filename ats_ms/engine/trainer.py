"""Training through ``mindspore.train.Model.train``: one run, or a pack of runs sharing teacher, data and recipe.

A run is a validated ``RunConfig`` of ``classify`` or ``distill``. Runs of one pack differ only in their distillation
settings and output names (``MEMBER_KEYS``): they see the same batches, share one frozen-teacher forward per batch,
and each keeps its own student, optimizer, files and history. In normal mode ``Model.train`` runs one epoch at a time
on a pipeline seeded by ``seed`` and the epoch (a resumed run sees what an uninterrupted one would); in dataset sink
mode one call runs every epoch on one pipeline (one sink-graph compilation). After each epoch every student is
evaluated on the test split in one pass.
"""
import math
import os
import time

from ats_ms.engine import record as records
from ats_ms.engine import state as run_state
from ats_ms.utils import logs, naming
from ats_ms.utils.config import RunConfig, save_effective
from ats_ms.utils.errors import UserError
from ats_ms.utils.files import make_dir, remove_stale_temporaries, write_text

AMP_LEVELS = ("O0", "O1", "O2", "O3")
ON_NAN = ("stop", "skip")
TRAIN_COMMANDS = ("classify", "distill")
# What the runs of one pack may differ in; everything else (teacher, data, student network, recipe, seed) is shared.
MEMBER_KEYS = ("kd_way", "tp_tau", "t_tau", "s_tau", "lamb", "ckpt_name", "log_name", "resume", "overwrite", "config")


def resident_mb():
    """Resident memory of this process in MB."""
    import psutil
    return psutil.Process().memory_info().rss / 2**20


def data_seed(seed, epoch):
    """mindspore.dataset's seed for ``epoch`` of a run seeded with ``seed``."""
    return (seed * 100003 + epoch) % 2**32


class NonFiniteLoss(UserError):
    """Training produced a NaN/inf loss (exit status 3)."""


def check_pack(configs):
    """Raise UserError unless ``configs`` can train as one pack (same everything but ``MEMBER_KEYS``)."""
    if not configs:
        raise UserError("no runs to train; expected at least one config")
    first = configs[0]
    for config in configs:
        if not isinstance(config, RunConfig) or config.command not in TRAIN_COMMANDS:
            raise TypeError("a Trainer takes configs made by ats_ms.make_config('classify' or 'distill', ...)")
    for config in configs[1:]:
        differ = sorted(k for k, v in config.to_dict().items()
                        if k not in MEMBER_KEYS and (config.command != first.command or v != getattr(first, k)))
        if differ:
            raise UserError(f"runs of one pack must share teacher, data, student and recipe; these differ: "
                            f"{', '.join(differ)}; expected equal values (or separate runs)")
    seen = {}
    for config in configs:
        for kind, path in naming.run_paths(config).items():
            if kind == "log":
                continue
            key = os.path.abspath(path)
            if key in seen:
                raise UserError(f"two runs of the pack would write {path}; expected a different --ckpt_name each")
            seen[key] = config


def open_splits(config):
    """The (train, test) ``DataSplit`` of a run's dataset (downloaded if asked, limited by max_train/max_test)."""
    from ats_ms.data.pipeline import open_split
    return (open_split(config.dataset, config.data_dir, "train", config.download, config.max_train),
            open_split(config.dataset, config.data_dir, "test", False, config.max_test))


def load_teacher(config):
    """The teacher network of a distill config, loaded strictly from its checkpoint."""
    from ats_ms.models import create_model
    from ats_ms.models.checkpoint import load_strict
    path = naming.teacher_ckpt_path(config)
    net = create_model(config.t_net_name, config.n_classes, style=config.t_net_style)
    load_strict(net, path, source=f"teacher checkpoint {path}", n_classes_flag=True)
    return net


def check_outputs(config, paths):
    """Refuse runs that would overwrite the teacher, a finished checkpoint or a half-done run; create the folders.

    Called after every input has been checked, so a refused run writes nothing.
    """
    if config.command == "distill" and config.kd_way != "none":
        teacher = os.path.abspath(naming.teacher_ckpt_path(config))
        for kind in ("ckpt", "best", "resume"):
            if os.path.abspath(paths[kind]) == teacher:
                raise UserError(f"--ckpt_name={config.ckpt_name} would overwrite the teacher checkpoint {teacher}; "
                                f"expected another name (default: {naming.default_ckpt_name(config, config.command)})")
    if os.path.exists(paths["ckpt"]) and not config.overwrite:
        raise UserError(f"checkpoint {paths['ckpt']} already exists; expected a new --ckpt_name, or --overwrite True "
                        f"to replace it")
    if os.path.exists(paths["resume"]) and not config.resume and not config.overwrite:
        raise UserError(f"{paths['resume']} holds an interrupted run; expected --resume True to continue it, or "
                        f"--overwrite True to start over")
    make_dir("ckpt_dir", config.ckpt_dir)
    make_dir("log_dir", config.log_dir)
    for kind in ("ckpt", "best", "resume", "metrics", "config"):
        remove_stale_temporaries(paths[kind])


class Member:
    """One run of a Trainer: its config, files, label, student, optimizer, history and status."""

    def __init__(self, config, label):
        self.config, self.label = config, label
        self.paths = naming.run_paths(config)
        self.record = records.make_record(config)
        self.history, self.start_epoch = [], 0
        self.student, self.named, self.optimizer, self.optimizer_state = None, [], None, None
        self.status, self.error = "pending", None

    def loss_fn(self):
        from ats_ms.losses import DistillLoss
        c = self.config
        if c.command == "distill":
            return DistillLoss(c.kd_way, c.tp_tau, c.t_tau, c.s_tau, c.lamb)
        return DistillLoss("none")


class Trainer:
    """Builds everything for one run or one pack and trains it: ``Trainer(configs).prepare().run()``.

    Args:
        configs (RunConfig | list[RunConfig]): validated classify/distill configs (``ats_ms.make_config``); several
            form one pack and must differ only in ``MEMBER_KEYS``.
        emit (callable): receives each output line (default: the ``ats_ms`` logger).
        labels (list[str] | None): one label per run; given, each run's own lines start with ``[label] ``.
        arrays (tuple | None): ((train images, labels), (test images, labels)) instead of reading the dataset.
        data (tuple | None): (train, test) ``DataSplit`` already opened (a sweep opens them once for all packs).

    A run whose loss becomes NaN/inf (``--on_nan stop``) ends with status ``failed`` and its ``error``; the others
    continue (``ats_ms.train`` turns a failed run into ``NonFiniteLoss``).
    """

    def __init__(self, configs, emit=logs.log_line, labels=None, arrays=None, data=None):
        configs = list(configs) if isinstance(configs, (list, tuple)) else [configs]
        check_pack(configs)
        labels = list(labels) if labels is not None else [None] * len(configs)
        if len(labels) != len(configs):
            raise UserError(f"{len(labels)} labels for {len(configs)} runs; expected one label per run")
        self.config = configs[0]
        self.members = [Member(c, label) for c, label in zip(configs, labels)]
        self.emit, self.arrays, self.data = emit, arrays, data
        self.rank, self.group_size = 0, 1
        self.teacher_net, self.frozen_teacher = None, None
        self.prepared = False

    @property
    def needs_teacher(self):
        return any(m.config.command == "distill" and m.config.kd_way != "none" for m in self.members)

    def _say(self, text, member=None):
        if self.rank == 0:
            prefix = f"[{member.label}] " if member is not None and member.label else ""
            self.emit(prefix + text)

    # ----- inputs -----
    def prepare(self):
        """Read the teacher and the data (everything the user gave), then check and create the outputs (rank 0).

        Every input error is raised before anything is written.
        """
        if self.needs_teacher:
            from ats_ms.models.layers import param_count
            self.teacher_net = load_teacher(self.config)
            self.teacher_params = param_count(self.teacher_net)
        self._open_data()
        if self.rank == 0:
            for member in self.members:
                check_outputs(member.config, member.paths)
        self.prepared = True
        return self

    def _open_data(self):
        from ats_ms.data.pipeline import DataSplit, check_labels, create_dataset
        c = self.config
        if self.data is not None:
            self.train_data, self.test_data = self.data
        elif self.arrays is not None:
            (train_x, train_y), (test_x, test_y) = self.arrays
            self.train_data = DataSplit(c.dataset, "train", train_y, images=train_x)
            self.test_data = DataSplit(c.dataset, "test", test_y, images=test_x)
        else:
            self.train_data, self.test_data = open_splits(c)
        for data in (self.train_data, self.test_data):
            check_labels(data.labels, c.n_classes, f"{c.dataset} {data.split}")
        self.test_ds = create_dataset(c.dataset, c.data_dir, "test", c.batch_size, n_classes=c.n_classes,
                                      normalize=c.normalize, num_workers=c.num_workers, data=self.test_data)
        self.steps_per_epoch = self._train_ds(0).get_dataset_size()
        if self.steps_per_epoch == 0:
            images = len(self.train_data.labels)
            raise UserError(f"no training step per epoch: {images} training images, batches of {c.batch_size} on "
                            f"{self.group_size} device(s), --drop_last {c.drop_last}; expected --batch_size at most "
                            f"{max(-(-images // self.group_size), 1)} (or --drop_last False)")

    def _train_ds(self, epoch):
        import mindspore as ms

        from ats_ms.data.pipeline import create_dataset
        c = self.config
        ms.dataset.config.set_seed(data_seed(c.seed, epoch))
        shard = dict(num_shards=self.group_size, shard_id=self.rank) if self.group_size > 1 else {}
        return create_dataset(c.dataset, c.data_dir, "train", c.batch_size, n_classes=c.n_classes,
                              normalize=c.normalize, num_workers=c.num_workers, data=self.train_data,
                              drop_remainder=c.drop_last, **shard)

    # ----- building -----
    def _build_student(self, member):
        import mindspore as ms

        from ats_ms.models import create_model
        from ats_ms.models.checkpoint import load_strict
        from ats_ms.models.init import effective_init, official_weights_init
        c = member.config
        ms.set_seed(c.seed)
        student = create_model(c.net_name, c.n_classes, style=c.net_style)
        settings = c.to_dict()
        if effective_init(settings.get("student_init", "network"), c.command, c.lr_schedule,
                          settings.get("kd_way", "none")) == "weights_init":
            official_weights_init(student)
        student = self._adapt_student(student)
        if c.amp_level != "O0":
            ms.amp.auto_mixed_precision(student, c.amp_level)
        member.student = student
        member.named = [(p.name, p) for p in student.get_parameters()]
        if not c.resume:
            return
        if not os.path.isfile(member.paths["resume"]):
            if member.label is None:  # a sweep resumes every cell that has a resume file; others start quietly
                self._say(logs.no_resume_line(member.paths["resume"]), member)
            return
        saved, params, member.optimizer_state = run_state.read_state(member.paths["resume"], c)
        load_strict(student, params, source=member.paths["resume"])
        member.history, member.start_epoch = saved["history"], saved["epoch"]
        self._say(logs.resumed_line(member.paths["resume"], saved["epoch"]), member)

    def _build_cells(self, members):
        from mindspore.train import Model

        from ats_ms.engine.cells import EvalStudents, FrozenTeacher, StudentsWithLoss, TrainStep
        from ats_ms.engine.optim import build_optimizer
        c = self.config
        if self.needs_teacher and self.frozen_teacher is None:
            self.frozen_teacher = FrozenTeacher(self.teacher_net, fold_bn=c.fold_teacher_bn)
            if c.amp_level != "O0":
                import mindspore as ms
                ms.amp.auto_mixed_precision(self.frozen_teacher, c.amp_level)
        net = StudentsWithLoss([m.student for m in members], self.frozen_teacher, [m.loss_fn() for m in members])
        for member in members:
            if member.optimizer is None:
                member.optimizer = build_optimizer(member.student, self.lrs, c.momentum, c.weight_decay)
                if member.optimizer_state is not None:
                    run_state.load_optimizer_state(member.optimizer, member.named, member.optimizer_state,
                                                   member.paths["resume"])
        reducers = [self._grad_reducer(m.optimizer) for m in members]
        self.train_step = TrainStep(net, [m.optimizer for m in members], skip_nonfinite=c.on_nan == "skip",
                                    grad_reducers=reducers if reducers[0] is not None else None)
        self.train_step.set_train(True)
        self.eval_cell = EvalStudents([m.student for m in members])
        self.model = Model(self.train_step)
        self.built_for = list(members)

    def _lr_array(self):
        from ats_ms.engine.lr import build_lr
        lr = self.config.lr * (self.group_size if self.config.lr_scale == "linear" else 1)
        return build_lr(self.config.lr_schedule, lr, self.config.epoches, self.steps_per_epoch)

    def _adapt_student(self, student):
        return student

    def _grad_reducer(self, optimizer):
        return None

    def _startup(self, members):
        from ats_ms.models.layers import param_count
        c = self.config
        teacher = None
        if self.frozen_teacher is not None:
            from mindspore import ops
            acc = self._evaluate(lambda x: ops.expand_dims(self.frozen_teacher(x), 0), 1)[0]["top1"]
            teacher = (c.t_net_name, c.t_net_style, self.teacher_params, acc)
        labels = [m.label or m.config.ckpt_name for m in members] if len(members) > 1 else []
        for line in logs.startup_lines(self.train_data, self.test_data, self.steps_per_epoch,
                                       c.batch_size * self.group_size,
                                       (c.net_name, c.net_style, param_count(members[0].student)), teacher, labels):
            self._say(line)

    def _evaluate(self, predict, n_outputs):
        from ats_ms.engine.evaluation import test_accuracy
        return test_accuracy(predict, self.test_ds, n_outputs, self.config.n_classes)

    def _evaluate_students(self, n_outputs):
        self.eval_cell.set_train(False)
        try:
            return self._evaluate(self.eval_cell, n_outputs)
        finally:
            self.train_step.set_train(True)

    # ----- running -----
    def run(self):
        """Train every run; returns the members (each with ``history``, ``status`` done/failed and ``error``)."""
        if not self.prepared:
            self.prepare()
        c = self.config
        self.lrs = self._lr_array()
        for member in self.members:
            self._build_student(member)
        starts = {m.start_epoch for m in self.members}
        if len(starts) > 1:
            raise UserError(f"runs of one pack must continue from the same epoch; their resume files are at epochs "
                            f"{sorted(starts)}; expected them packed separately")
        start = self.members[0].start_epoch
        self.built_for = None
        if start < c.epoches:
            self._build_cells(self.members)
            self._startup(self.members)
        self.sink = bool(c.dataset_sink_mode) if c.dataset_sink_mode is not None else c.device_target != "CPU"
        for member in self.members:
            member.status = "running"
            if self.rank == 0:
                save_effective(member.config, member.paths["config"])
                self._write_metrics(member)
        epoch = start
        while epoch < c.epoches:
            active = [m for m in self.members if m.status == "running"]
            if not active:
                break
            if active != self.built_for:
                self._build_cells(active)
            epoch = self._train(epoch, active)
        for member in self.members:
            if member.status == "running":
                self._finish(member)
        return self.members

    def _train(self, first, members):
        """Train ``members`` from epoch ``first`` (0-based); returns the next epoch to train.

        Normal mode: one epoch, on a pipeline seeded for it (``data_seed``), so a resumed run is bit-identical to an
        uninterrupted one. Dataset sink mode: every remaining epoch in one ``Model.train`` call on one pipeline
        seeded for ``first`` (MindSpore compiles the sink graph once per pipeline); the epochs' bookkeeping runs in
        the epoch-end callback, and training stops early when a run of the pack fails (the graph is rebuilt without
        it). A run resumed in sink mode sees the data orders of a pipeline seeded for its resume epoch."""
        from ats_ms.engine.callbacks import StepMonitor
        c = self.config
        last = c.epoches if self.sink else first + 1
        monitor = StepMonitor(self.steps_per_epoch, c.batch_size * self.group_size, c.print_every, self._say,
                              self.lrs, c.epoches, stop_on_nonfinite=c.on_nan == "stop" and len(members) == 1,
                              epoch_end=lambda epoch, monitor: self._end_epoch(epoch, members, monitor),
                              first_epoch=first)
        self.model.train(last - first, self._train_ds(first), callbacks=[monitor], dataset_sink_mode=self.sink)
        return monitor.epochs_done

    def _end_epoch(self, epoch, members, monitor):
        """After epoch ``epoch`` (0-based): fail runs with non-finite losses, evaluate, log, save. Returns True when
        a run failed (the others go on in a graph rebuilt without it)."""
        c = self.config
        stats = self.train_step.take_stats()
        for k, (member, (_, _, _, skipped)) in enumerate(zip(members, stats)):
            if skipped and c.on_nan == "stop":
                self._fail(member, epoch, monitor.first_nonfinite.get(k))
        if all(m.status != "running" for m in members):
            return True
        results = self._evaluate_students(len(members))
        seconds = round(time.time() - monitor.start, 3)
        for member, (loss, acc, _, skipped), result in zip(members, stats, results):
            if member.status != "running":
                continue
            record = {"epoch": epoch + 1, "lr": float(self.lrs[epoch * self.steps_per_epoch]), "loss": loss,
                      "train_acc": acc, "test_acc": result["acc"], "test_top1": result["top1"],
                      "test_top5": result["top5"], "seconds": seconds, "skipped_batches": skipped,
                      "rss_mb": round(resident_mb(), 1)}
            if skipped:
                self._say(logs.skipped_line(skipped, epoch + 1), member)
            best_before = max((r["test_acc"] for r in member.history), default=-math.inf)
            member.history.append(record)
            self._say(logs.epoch_line(record["epoch"], loss, acc, record["test_acc"]), member)
            self._save_epoch(member, record["test_acc"] > best_before)
        return any(m.status != "running" for m in members)

    def _fail(self, member, epoch, step):
        last = f"{member.paths['resume']} (epoch {member.history[-1]['epoch']})" if member.history else \
            "none (first epoch)"
        where = f"epoch {epoch + 1}, step {step}" if step else f"epoch {epoch + 1}"
        member.status = "failed"
        member.error = (f"non-finite loss at {where}; training stopped. Last good checkpoint: {last}. Expected "
                        f"finite losses: lower --lr, or use --on_nan skip to skip such batches")

    def _meta(self, member, **extra):
        return records.encode(dict(member.record, **extra))

    def _save_epoch(self, member, improved):
        from ats_ms.models.checkpoint import save_network
        if self.rank != 0:
            return
        last = member.history[-1]
        if improved:
            save_network(member.named, member.paths["best"],
                         self._meta(member, epoch=last["epoch"], test_acc=last["test_acc"]))
        state = {"epoch": last["epoch"], "history": member.history, "seed": member.config.seed,
                 "fingerprint": run_state.fingerprint(member.config), "config": member.config.to_dict()}
        run_state.save_state(member.paths["resume"], member.named, member.optimizer, state,
                             self._meta(member, epoch=last["epoch"]))
        self._write_metrics(member)

    def _write_metrics(self, member):
        write_text(member.paths["metrics"], "".join(logs.metrics_json(r) + "\n" for r in member.history))

    def _finish(self, member):
        """The log block (once, even if a kill interrupts this), then the final checkpoint (the mark of a finished
        run), then the resume file is removed."""
        from ats_ms.models.checkpoint import save_network
        member.status = "done"
        if self.rank != 0:
            return
        last = member.history[-1]
        block = "\n".join(logs.log_block(member.config.namespace(), member.history)) + "\n"
        log = member.paths["log"]
        written = False
        if os.path.isfile(log):
            with open(log, encoding="utf-8") as f:
                written = f.read().endswith(block)
        if not written:
            with open(log, "a", encoding="utf-8") as f:
                f.write(block)
        save_network(member.named, member.paths["ckpt"],
                     self._meta(member, epoch=last["epoch"], test_acc=last["test_acc"]))
        if os.path.exists(member.paths["resume"]):
            os.remove(member.paths["resume"])
        for line in logs.summary_lines(member.history, member.paths):
            self._say(line, member)

