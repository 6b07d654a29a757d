"""Training through ``mindspore.train.Model.train``: one run, or a pack of runs sharing teacher, data and recipe.

The loop: ``Trainer(configs).prepare().run()`` reads the teacher and the data, builds the students and one fused
training cell for the pack (``ats_ms.engine.pack``), then trains. In normal mode ``Model.train`` runs one epoch at a
time on a pipeline seeded by ``seed`` and the epoch (a resumed run sees what an uninterrupted one would); in dataset
sink mode one call runs every epoch on one pipeline (one sink-graph compilation). After each epoch every student is
evaluated on the test split in one pass and its files are written (``ats_ms.engine.outputs``).
"""
import time

from ats_ms.config.sources import save_effective
from ats_ms.data.pipeline import pack_data
from ats_ms.engine import outputs
from ats_ms.engine.callbacks import StopRequest
from ats_ms.engine.pack import Member, build_cells, check_pack
from ats_ms.engine.teacher import frozen_teacher, load_teacher
from ats_ms.utils import logs
from ats_ms.utils.errors import Interrupted, UserError


def resident_mb():
    """Resident memory of this process in MB."""
    import psutil
    return psutil.Process().memory_info().rss / 2**20


def data_options(config):
    """The pipeline options a run's config sets: normalisation, image size and transform recipe."""
    return {"normalize": config.normalize, "image_size": config.image_size, "transform": config.transform}


def data_seed(seed, epoch):
    """mindspore.dataset's seed for ``epoch`` of a run seeded with ``seed``."""
    return (seed * 100003 + epoch) % 2**32


class Trainer:
    """Builds everything for one run or one pack and trains it: ``Trainer(configs).prepare().run()``.

    Args:
        configs (RunConfig | list[RunConfig]): validated classify/distill configs (``ats_ms.make_config``); several
            form one pack and must differ only in their ``per_student`` flags (``pack.member_keys``).
        emit (callable): receives each output line (default: the ``ats_ms`` logger).
        labels (list[str] | None): one label per run; given, each run's own lines start with ``[label] ``.
        arrays (tuple | None): ((train images, labels), (test images, labels)) instead of reading the dataset.
        data (tuple | None): (train, test) ``DataSplit`` already opened (a sweep opens them once for all packs).
        teacher (FrozenTeacher | None): the teacher already loaded (a sweep loads it once for all packs).

    A run whose loss becomes NaN/inf (``--on_nan stop``) ends with status ``failed`` and its ``error``; the others
    continue (``ats_ms.train`` turns a failed run into ``NonFiniteLoss``).
    """

    def __init__(self, configs, emit=logs.log_line, labels=None, arrays=None, data=None, teacher=None):
        configs = check_pack(configs if isinstance(configs, (list, tuple)) else [configs])
        labels = list(labels) if labels is not None else [None] * len(configs)
        if len(labels) != len(configs):
            raise UserError(f"{len(labels)} labels for {len(configs)} runs; expected one label per run")
        self.config = configs[0]
        self.members = [Member(c, label) for c, label in zip(configs, labels)]
        self.emit, self.arrays, self.data = emit, arrays, data
        self.rank, self.group_size = 0, 1
        self.given_teacher = teacher
        self.teacher_net, self.frozen_teacher = None, None
        self.train_data, self.test_data = None, None
        self.prepared = False

    @property
    def needs_teacher(self):
        return any(m.config.needs_teacher for m in self.members)

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
            if self.given_teacher is not None:
                self.frozen_teacher, self.teacher_net = self.given_teacher, self.given_teacher.teacher
                self.teacher_params = self.given_teacher.param_count
            else:
                self.teacher_net = load_teacher(self.config)
                self.teacher_params = param_count(self.teacher_net)
        self._open_data()
        if self.rank == 0:
            for member in self.members:
                outputs.check_outputs(member.config, member.paths)
        self.prepared = True
        return self

    def _open_data(self):
        from ats_ms.data.pipeline import create_dataset
        c = self.config
        self.train_data, self.test_data = pack_data(c, self.data, self.arrays)
        self.test_ds = create_dataset(c.dataset, c.data_dir, "test", c.batch_size, n_classes=c.n_classes,
                                      num_workers=c.num_workers, data=self.test_data, **data_options(c))
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
                              num_workers=c.num_workers, data=self.train_data, drop_remainder=c.drop_last,
                              **data_options(c), **shard)

    # ----- building -----
    def _build_student(self, member):
        member.build_student(self._adapt_student, lambda line: self._say(line, member))

    def _build_cells(self, members):
        from mindspore.train import Model
        if self.needs_teacher and self.frozen_teacher is None:
            self.frozen_teacher = frozen_teacher(self.teacher_net, self.config)
        self.train_step, self.eval_cell = build_cells(members, self.frozen_teacher, self.lrs, self.config,
                                                      self._grad_reducer)
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
        from ats_ms.models.registry import style_label
        c = self.config
        teacher = None
        if self.frozen_teacher is not None:
            from mindspore import ops
            acc = self._evaluate(lambda x: ops.expand_dims(self.frozen_teacher(x), 0), 1)[0]["top1"]
            teacher = (c.t_net_name, style_label(c.t_net_name, c.t_net_style), self.teacher_params, acc)
        labels = [m.label or m.config.ckpt_name for m in members] if len(members) > 1 else []
        for line in logs.startup_lines(self.train_data, self.test_data, self.steps_per_epoch,
                                       c.batch_size * self.group_size,
                                       (c.net_name, style_label(c.net_name, c.net_style),
                                        param_count(members[0].student)), teacher, labels,
                                       size=c.image_size if c.image_size != 32 else None):
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
        """Train every run; returns the members (each with ``history``, ``status`` done/failed and ``error``).
        Ctrl-C (or SIGTERM) stops it after the current step, or after the epoch's files when it comes while they are
        written, and raises ``Interrupted``, which names the resume files."""
        from ats_ms.data.image_bytes import dumps_present
        dumps = dumps_present()
        with StopRequest() as self.stop:
            try:
                return self._run()
            except KeyboardInterrupt:
                raise Interrupted(self.members) from None
            except RuntimeError as exc:
                raise self._decode_error(exc, dumps) or exc

    def _decode_error(self, exc, dumps):
        """A UserError naming the image file a pipeline worker failed to decode (None when the error was another),
        after removing the files MindSpore dumped for it."""
        from ats_ms.data.image_bytes import remove_new_dumps, undecodable_file
        splits = [s for s in (self.train_data, self.test_data) if s is not None and s.files is not None]
        if not splits or "Decode" not in str(exc):
            return None
        remove_new_dumps(dumps)
        self._say("note: an image failed to decode in the data pipeline; finding which (each file decoded once)")
        path = undecodable_file(splits)
        reason = str(exc).strip().splitlines()[0][:160]
        if path is None:
            return UserError(f"an image failed to decode in the data pipeline ({reason}), but every file decodes "
                             f"alone; expected whole image files")
        return UserError(f"{path} cannot be decoded by MindSpore's Decode; expected a whole image file (replace or "
                         f"remove it)")

    def _run(self):
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
                outputs.write_metrics(member)
        epoch = start
        while epoch < c.epoches:
            active = [m for m in self.members if m.status == "running"]
            if not active:
                break
            if active != self.built_for:
                self._build_cells(active)
            self.stop.check()
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
                              first_epoch=first, epoch_begin=lambda epoch: [m.loss.set_epoch(epoch) for m in members],
                              stop=self.stop)
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
            learned = member.loss.state()
            record = {"epoch": epoch + 1, "lr": float(self.lrs[epoch * self.steps_per_epoch]), "loss": loss,
                      "train_acc": acc, "test_acc": result["acc"], "test_top1": result["top1"],
                      "test_top5": result["top5"], "seconds": seconds, "skipped_batches": skipped,
                      "rss_mb": round(resident_mb(), 1), **learned}
            if skipped:
                self._say(logs.skipped_line(skipped, epoch + 1), member)
            improved = record["test_acc"] > outputs.best_before(member)
            member.history.append(record)
            self._say(logs.epoch_line(record["epoch"], loss, acc, record["test_acc"]), member)
            if learned:
                self._say(logs.loss_state_line(learned), member)
            self._save_epoch(member, improved)
        return any(m.status != "running" for m in members)

    def _fail(self, member, epoch, step):
        last = f"{member.paths['resume']} (epoch {member.history[-1]['epoch']})" if member.history else \
            "none (first epoch)"
        where = f"epoch {epoch + 1}, step {step}" if step else f"epoch {epoch + 1}"
        member.status = "failed"
        member.error = (f"non-finite loss at {where}; training stopped. Last good checkpoint: {last}. Expected "
                        f"finite losses: lower --lr, or use --on_nan skip to skip such batches")

    def _save_epoch(self, member, improved):
        if self.rank == 0:
            outputs.save_epoch(member, improved)

    def _finish(self, member):
        member.status = "done"
        if self.rank == 0:
            outputs.finish(member, lambda line: self._say(line, member))
