"""What a run writes, and what it refuses to overwrite: the output-file policy of training.

Before anything runs: never the teacher's checkpoint, never a finished checkpoint or a half-done run without
``--overwrite``/``--resume``. After each epoch: the best checkpoint when the test accuracy improved, the resume file
(atomically) and the metrics. At the end: the demo's log block (once, even if a kill interrupts this), the final
checkpoint (the mark of a finished run), then the resume file is removed.
"""
import math
import os

from ats_ms.config import record as records
from ats_ms.config.flags import keys_where
from ats_ms.engine import state as run_state
from ats_ms.utils import logs, naming
from ats_ms.utils.errors import UserError
from ats_ms.utils.files import make_dir, remove_stale_temporaries, write_text


def check_outputs(config, paths):
    """Refuse runs that would overwrite the teacher, a finished checkpoint or a half-done run; create the folders.

    Called after every input has been checked, so a refused run writes nothing.
    """
    if config.needs_teacher:
        values = config.to_dict()
        teacher = os.path.abspath(naming.teacher_ckpt_path(values))
        for kind in ("ckpt", "best", "resume"):
            if os.path.abspath(paths[kind]) == teacher:
                raise UserError(f"--ckpt_name={config.ckpt_name} would overwrite the teacher checkpoint {teacher}; "
                                f"expected another name (default: {naming.default_ckpt_name(values, config.command)})")
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


def _meta(member, **extra):
    return records.encode(dict(member.record, **extra))


def write_metrics(member):
    """The run's per-epoch records as JSON lines."""
    write_text(member.paths["metrics"], "".join(logs.metrics_json(r) + "\n" for r in member.history))


def best_before(member):
    """The best test accuracy of the run's finished epochs (-inf before the first)."""
    return max((r["test_acc"] for r in member.history), default=-math.inf)


def save_epoch(member, improved):
    """After an epoch: the best checkpoint if ``improved``, the resume file and the metrics."""
    from ats_ms.models.checkpoint import save_network
    last = member.history[-1]
    if improved:
        save_network(member.named, member.paths["best"], _meta(member, epoch=last["epoch"], test_acc=last["test_acc"]))
    state = {"epoch": last["epoch"], "history": member.history, "seed": member.config.seed,
             "fingerprint": run_state.fingerprint(member.config), "config": member.config.to_dict()}
    run_state.save_state(member.paths["resume"], member.named, member.optimizer, state,
                         _meta(member, epoch=last["epoch"]))
    write_metrics(member)


def logged_values(config):
    """The values the log block prints: the run's flags without those it never reads (the demo's unread spellings
    ``net``/``n_layer``/``t_net``/``t_n_layer`` and, for a distillation, the hyper-parameters and teacher flags its
    method ignores)."""
    from ats_ms.losses import registry
    values = config.to_dict()
    skip = set(keys_where("unread", config.command))
    if values.get("kd_way"):
        skip |= set(registry.ignored_flags(values["kd_way"]))
    return {k: v for k, v in values.items() if k not in skip}


def finish(member, say):
    """The log block (once), the final checkpoint, then the resume file is removed; ``say`` gets the summary."""
    from ats_ms.models.checkpoint import save_network
    last = member.history[-1]
    block = "\n".join(logs.log_block(logged_values(member.config), member.history)) + "\n"
    log = member.paths["log"]
    written = False
    if os.path.isfile(log):
        with open(log, encoding="utf-8") as f:
            written = f.read().endswith(block)
    if not written:
        with open(log, "a", encoding="utf-8") as f:
            f.write(block)
    save_network(member.named, member.paths["ckpt"], _meta(member, epoch=last["epoch"], test_acc=last["test_acc"]))
    if os.path.exists(member.paths["resume"]):
        os.remove(member.paths["resume"])
    for line in logs.summary_lines(member.history, member.paths):
        say(line)
