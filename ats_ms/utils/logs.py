"""Every output string of training, built in one place (the demo's formats are an API, pinned by tests).

- Epoch line (console):  [Epoch:1] [Loss:4.603412429491678] [TrAcc:0.0110677] [TeAcc:0.0107421875]
- Log block (appended once to {log_dir}/{log_name} at the end): str(args), then
  "[EPOCHS]: 1 2", "[LOSSES]: v v", "[TrACCS]: v v", "[TeACCS]: v v" (floats with 5 decimals), then a blank line.
Extra information (progress, summary, notes) goes on separate lines that never start with "[Epoch:".
"""
import argparse
import json


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


def progress_line(epoch, step, steps, loss, images_per_second):
    return f"  epoch {epoch} step {step}/{steps} loss {loss:.4f} {images_per_second:.1f} img/s"


def metrics_json(record):
    """One JSON line of the metrics file."""
    return json.dumps(record, sort_keys=False)


def summary_lines(history, ckpt_path, log_path, metrics_path):
    last = history[-1]
    best = max(history, key=lambda r: r["test_acc"])
    return [f"done: last test acc {last['test_acc']:.4f} (epoch {last['epoch']}), best {best['test_acc']:.4f} "
            f"(epoch {best['epoch']})",
            f"checkpoint: {ckpt_path}", f"log: {log_path}", f"metrics: {metrics_path}"]
