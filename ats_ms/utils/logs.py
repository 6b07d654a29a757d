"""Every output string of training, built in one place (the demo's formats are an API, pinned by tests).

- Epoch line (console):  [Epoch:1] [Loss:4.603412429491678] [TrAcc:0.0110677] [TeAcc:0.0107421875]
- Log block (appended once to {log_dir}/{log_name} at the end): str(args), then
  "[EPOCHS]: 1 2", "[LOSSES]: v v", "[TrACCS]: v v", "[TeACCS]: v v" (floats with 5 decimals), then a blank line.
Extra information (start-up, progress, summary, notes) goes on separate lines that never start with "[Epoch:".
Lines go to an ``emit`` callable: the command line prints them; the library's default is the ``ats_ms`` logger.
In a pack, a run's own lines start with "[<label>] " followed by the same text.
"""
import argparse
import json
import logging

LOGGER = logging.getLogger("ats_ms")


def log_line(line):
    """The library's default output: one line to the ``ats_ms`` logger at INFO (the command line prints instead)."""
    LOGGER.info(line)


def epoch_line(epoch, loss, train_acc, test_acc):
    """The demo's console line for one epoch (values printed with Python's repr of floats)."""
    return f"[Epoch:{epoch}] [Loss:{float(loss)}] [TrAcc:{float(train_acc)}] [TeAcc:{float(test_acc)}]"


def _fmt(value):
    return str(value) if isinstance(value, int) else f"{value:.5f}" if isinstance(value, float) else str(value)


def log_block(config, history):
    """The demo's log block: lines without trailing newlines, ending with an empty line.

    Args:
        config (Namespace | dict): the run's arguments (printed as ``Namespace(...)``).
        history (list[dict]): per-epoch records with epoch, loss, train_acc, test_acc.
    """
    args = config if isinstance(config, argparse.Namespace) else argparse.Namespace(**config)
    rows = {"EPOCHS": "epoch", "LOSSES": "loss", "TrACCS": "train_acc", "TeACCS": "test_acc"}
    lines = [str(args)]
    for key, field in rows.items():
        lines.append(f"[{key}]: " + " ".join(_fmt(r[field]) for r in history))
    return lines + [""]


def duration(seconds):
    """``h:mm:ss`` (or ``m:ss`` under an hour)."""
    seconds = int(round(max(0.0, seconds)))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def progress_line(epoch, step, steps, losses, lr, images_per_second, eta_epoch, eta_run):
    """Progress within an epoch: step, loss (one value, or min..max over a pack), lr, speed and the two ETAs."""
    loss = f"{losses[0]:.4f}" if len(losses) == 1 else f"{min(losses):.4f}..{max(losses):.4f} ({len(losses)} runs)"
    return (f"  epoch {epoch} step {step}/{steps} loss {loss} lr {lr:.5g} {images_per_second:.1f} img/s "
            f"eta epoch {duration(eta_epoch)} run {duration(eta_run)}")


def startup_lines(train, test, steps, batch, student, teacher, members, size=None):
    """What the run will do, before the first step.

    Args:
        train, test (DataSplit): the splits.
        steps (int): steps per epoch; batch (int): images per step (all devices).
        student (tuple): (name, style label, parameters) of the network trained (``network`` without a teacher);
        teacher (tuple | None): (name, style label, parameters, test top-1). A style label is ``paper``, ``demo``
            or ``registered`` (``models.registry.style_label``).
        members (list[str]): labels of a pack's runs (empty for one run).
        size (int | None): input height and width (said when not 32).
    """
    lines = [f"data: {train.name} train {train.size} images ({train.reader}), test {test.size} images; {steps} "
             f"steps of {batch} per epoch" + (f"; {size}x{size} inputs" if size else "")]
    lines.append(f"{'student' if teacher else 'network'}: {student[0]} ({student[1]}), {student[2]:,} parameters" +
                 (f", {len(members)} runs in one pack sharing the teacher: {', '.join(members)}" if members else ""))
    if teacher:
        lines.append(f"teacher: {teacher[0]} ({teacher[1]}), {teacher[2]:,} parameters, test top-1 {teacher[3]:.4f} "
                     f"(measured before training)")
    return lines


def loss_state_line(state):
    """What a loss learned by the end of an epoch, e.g. CTKD's ``learned temperature: 4.1234``."""
    return "learned " + ", ".join(f"{name}: {value:.4f}" for name, value in state.items())


def init_line(init):
    """Where a fine-tuned network started (``classify --init_ckpt``) and what was re-initialised."""
    fresh = (f"; classifier re-initialised ({', '.join(init['reinitialised'])}: the checkpoint has "
             f"{init['classes']} classes)" if init["reinitialised"] else "")
    return f"init: parameters from {init['checkpoint']}{fresh}"


def resumed_line(path, epoch):
    return f"resumed from {path} after epoch {epoch}"


def no_resume_line(path):
    return f"note: no resume checkpoint {path}; starting from epoch 1"


def skipped_line(skipped, epoch):
    return f"note: skipped {skipped} batches with non-finite loss in epoch {epoch}"


def metrics_json(record):
    """One JSON line of the metrics file."""
    return json.dumps(record, sort_keys=False)


def summary_lines(history, paths):
    """The end of a run: last and best test accuracy, and where its files are."""
    last = history[-1]
    best = max(history, key=lambda r: r["test_acc"])
    return [f"done: last test acc {last['test_acc']:.4f} (epoch {last['epoch']}), best {best['test_acc']:.4f} "
            f"(epoch {best['epoch']})",
            f"checkpoint: {paths['ckpt']} (last epoch); best: {paths['best']} (epoch {best['epoch']})",
            f"log: {paths['log']}", f"metrics: {paths['metrics']}"]
