"""The runs of one pack: which configs may train together, and one ``Member`` per run (its loss, files, record).

Runs of one pack differ only in the flags whose rows are ``per_student`` (the method, its hyper-parameters, output
names, resume/overwrite): they see the same batches, share one frozen-teacher forward per batch, and each keeps its
own student, loss, optimizer, files and history.
"""
import os

from ats_ms.config import record as records
from ats_ms.config.flags import keys_where
from ats_ms.config.run_config import RunConfig
from ats_ms.models.checkpoint import LOSS_PREFIX
from ats_ms.utils import naming
from ats_ms.utils.errors import UserError


class CheckedPack(list):
    """The configs of a pack that ``check_pack`` accepted (a Trainer given one does not check it again)."""


def member_keys(config):
    """The flags the runs of a pack of ``config`` may differ in (their rows are ``per_student``)."""
    return keys_where("per_student", config.command)


def check_pack(configs):
    """``configs`` as a CheckedPack, or UserError unless they can train as one pack (same everything but
    ``member_keys``; distinct output files)."""
    if isinstance(configs, CheckedPack):
        return configs
    if not configs:
        raise UserError("no runs to train; expected at least one config")
    first = configs[0]
    for config in configs:
        if not isinstance(config, RunConfig) or not config.trains:
            raise TypeError("a Trainer takes configs made by ats_ms.make_config('classify' or 'distill', ...)")
    keys = member_keys(first)
    for config in configs[1:]:
        differ = sorted(k for k, v in config.to_dict().items()
                        if k not in keys and (config.command != first.command or v != getattr(first, k)))
        if differ:
            raise UserError(f"runs of one pack must share teacher, data, student and recipe; these differ: "
                            f"{', '.join(differ)}; expected equal values (or separate runs)")
    seen = set()
    for config in configs:
        for kind, path in naming.run_paths(config.to_dict()).items():
            key = os.path.abspath(path)
            if kind != "log" and key in seen:
                raise UserError(f"two runs of the pack would write {path}; expected a different --ckpt_name each")
            seen.add(key)
    return CheckedPack(configs)


def method_values(config):
    """(kd_way, {hyper-parameter: value}) of a run: its method's own values (kd_way none without one)."""
    from ats_ms.losses import registry
    settings = config.to_dict()
    method = registry.get(settings.get("kd_way", "none"))
    return method.name, {name: settings[name] for name in method.hyper_names}


def build_cells(members, teacher, lrs, config, grad_reducer):
    """(training cell, evaluation cell) of ``members``: one teacher forward, each member's student, loss and
    optimizer (made once, on ``lrs``), ``grad_reducer(optimizer)`` per member for data parallelism (or None)."""
    from ats_ms.engine.cells import EvalStudents, StudentsWithLoss, TrainStep
    net = StudentsWithLoss([m.student for m in members], teacher, [m.loss_fn() for m in members])
    for member in members:
        member.build_optimizer(lrs)
    reducers = [grad_reducer(m.optimizer) for m in members]
    train_step = TrainStep(net, [m.optimizer for m in members], skip_nonfinite=config.on_nan == "skip",
                           grad_reducers=reducers if reducers[0] is not None else None)
    train_step.set_train(True)
    return train_step, EvalStudents([m.student for m in members])


class Member:
    """One run of a pack: its config, files, label, record, loss, and (set by the Trainer) student, optimizer,
    history and status (pending, running, done, failed)."""

    def __init__(self, config, label):
        self.config, self.label = config, label
        self.paths = naming.run_paths(config.to_dict())
        self.record = records.make_record(config)
        self.history, self.start_epoch = [], 0
        self.student, self.loss, self.named, self.optimizer, self.optimizer_state = None, None, [], None, None
        self.status, self.error = "pending", None

    def build_student(self, adapt, say):
        """Create the student (seeded, initialised, adapted by ``adapt``, mixed precision), and with ``--resume``
        restore its resume file (``state.restore_resume``: parameters, history; the optimizer state is kept for
        ``build_optimizer``)."""
        import mindspore as ms

        from ats_ms.engine import state as run_state
        from ats_ms.models import create_model
        from ats_ms.models.init import effective_init, official_weights_init
        from ats_ms.utils import logs
        c = self.config
        ms.set_seed(c.seed)
        student = create_model(c.net_name, c.n_classes, style=c.net_style)
        if effective_init(c.to_dict().get("student_init", "network"), c.needs_teacher, c.lr_schedule) == \
                "weights_init":
            official_weights_init(student)
        if c.to_dict().get("init_ckpt"):
            from ats_ms.models.checkpoint import load_pretrained
            self.record["init"] = load_pretrained(student, c.init_ckpt)
            say(logs.init_line(self.record["init"]))
        student = adapt(student)
        if c.amp_level != "O0":
            ms.amp.auto_mixed_precision(student, c.amp_level)
        self.student = student
        self.loss = self.make_loss()
        self.named = [(p.name, p) for p in student.get_parameters()] + \
            [(LOSS_PREFIX + p.name, p) for p in self.loss.trainable_params()]
        if not c.resume:
            return
        restored = run_state.restore_resume(self.paths["resume"], c, student, self.named)
        if restored is None:
            if self.label is None:  # a sweep resumes every cell that has a resume file; others start quietly
                say(logs.no_resume_line(self.paths["resume"]))
            return
        self.history, self.start_epoch, self.optimizer_state = restored
        say(logs.resumed_line(self.paths["resume"], self.start_epoch))

    def build_optimizer(self, lrs):
        """The student's optimizer on the per-step learning rates ``lrs`` (once), with its resumed state."""
        if self.optimizer is not None:
            return
        from ats_ms.engine import state as run_state
        from ats_ms.engine.optim import build_optimizer
        c = self.config
        self.optimizer = build_optimizer(self.student.trainable_params() + self.loss.trainable_params(), lrs,
                                         c.momentum, c.weight_decay)
        if self.optimizer_state is not None:
            run_state.load_optimizer_state(self.optimizer, self.named, self.optimizer_state, self.paths["resume"])

    def make_loss(self):
        """A new objective Cell of the run (``ats_ms.create_loss`` of its method and values)."""
        from ats_ms.losses import create_loss
        kd_way, values = method_values(self.config)
        return create_loss(kd_way, **values)

    def loss_fn(self):
        """The run's objective Cell (made once with the student: it may hold state, as CTKD's temperature)."""
        return self.loss
