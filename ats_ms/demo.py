"""The main job: a small and a large teacher, one student distilled without KD, with TS and with ATS from each.

On the embedded digits data (or a CIFAR-100 subset when ./data holds CIFAR-100) it trains both teachers, the student
five times (no KD; TS and ATS from each teacher), measures each teacher's wrong-class statistics e(q), sigma(q) under
TS and ATS on the training split, prints a results table and writes logs, checkpoints, a JSON summary and one PNG.
"""
import json
import os
import time

import numpy as np

from ats_ms.analysis import temperature
from ats_ms.utils.errors import UserError

PLANS = {
    "digits": {"dataset": "digits", "n_classes": 10, "small": "ResNet14", "large": "ResNet32", "student": "ResNet8",
               "teacher_epochs": 5, "student_epochs": 4, "batch_size": 64, "lr": 0.05, "max_train": 0,
               "max_test": 0},
    "cifar100": {"dataset": "cifar100", "n_classes": 100, "small": "ResNet14", "large": "ResNet32",
                 "student": "ResNet8", "teacher_epochs": 4, "student_epochs": 3, "batch_size": 128, "lr": 0.05,
                 "max_train": 5000, "max_test": 1000},
}
TS_TAU, ATS_TP, ATS_T, LAMB = 4.0, 4.0, 2.0, 0.5


def choose_plan(data_dir):
    """``cifar100`` if CIFAR-100 (either layout) is under ``data_dir``, else ``digits``."""
    from ats_ms.data.cifar import find_layout
    return "cifar100" if os.path.isdir(data_dir) and find_layout("cifar100", data_dir) else "digits"


def _arrays(plan, data_dir):
    from ats_ms.data import load_arrays
    train = load_arrays(plan["dataset"], data_dir, "train")
    test = load_arrays(plan["dataset"], data_dir, "test")
    cut = lambda a, n: (a[0][:n], a[1][:n]) if n else a  # noqa: E731
    return cut(train, plan["max_train"]), cut(test, plan["max_test"])


def _run(command, argv, arrays, emit):
    from ats_ms.engine.trainer import Trainer, validate
    from ats_ms.utils.config import COMMAND_FLAGS, resolve
    config = resolve(f"demo {command}", COMMAND_FLAGS[command], argv)[0]
    validate(config, command)

    class Emit:
        def write(self, text):
            if text.strip():
                emit("    " + text.rstrip("\n"))

        def flush(self):
            pass

    trainer = Trainer(config, command, out=Emit(), arrays=arrays).prepare()
    history = trainer.run()
    return trainer, history


def run_demo(data_dir="./data", out_dir="./outputs/demo", plan_name=None, emit=print, **overrides):
    """Run the whole comparison; returns the summary dict (also written to {out_dir}/summary.json)."""
    plan = dict(PLANS[plan_name or choose_plan(data_dir)], **overrides)
    arrays = _arrays(plan, data_dir)
    ckpt_dir, log_dir = os.path.join(out_dir, "ckpts"), os.path.join(out_dir, "logs")
    common = ["--dataset", plan["dataset"], "--data_dir", data_dir, "--n_classes", str(plan["n_classes"]),
              "--batch_size", str(plan["batch_size"]), "--lr", str(plan["lr"]), "--lr_schedule", "demo",
              "--weight_decay", "5e-4", "--normalize", "imagenet", "--seed", "0", "--ckpt_dir", ckpt_dir,
              "--log_dir", log_dir, "--print_every", "0", "--overwrite", "True", "--download", "False"]
    start = time.time()
    steps = 7
    emit(f"[demo] {plan['dataset']}: {len(arrays[0][1])} train / {len(arrays[1][1])} test images; teachers "
         f"{plan['small']} and {plan['large']}, student {plan['student']}; outputs in {out_dir}")
    teachers = {}
    for i, key in enumerate(("small", "large"), 1):
        name = plan[key]
        emit(f"[demo] step {i}/{steps}: teacher {name}, {plan['teacher_epochs']} epochs")
        trainer, history = _run("classify", common + ["--net_name", name, "--epoches", str(plan["teacher_epochs"]),
                                                      "--log_name", "teachers.log"], arrays, emit)
        logits = temperature.teacher_logits(trainer.student, arrays[0][0], 256, "imagenet")
        stats = temperature.statistics(logits, arrays[0][1], temperature.PAPER_TAUS, ((ATS_TP, ATS_T),))
        teachers[name] = {"acc": history[-1]["test_acc"], "ckpt": trainer.paths["ckpt"], "stats": stats,
                          "ts": _pick(stats, "TS", TS_TAU, TS_TAU), "ats": _pick(stats, "ATS", ATS_TP, ATS_T)}
    students = {}
    runs = [("no KD", None, ["--kd_way", "none"])]
    for name in (plan["small"], plan["large"]):
        runs.append((f"TS from {name}", name, ["--kd_way", "TS", "--t_tau", str(TS_TAU), "--tp_tau", str(TS_TAU)]))
        runs.append((f"ATS from {name}", name, ["--kd_way", "ATS", "--tp_tau", str(ATS_TP), "--t_tau", str(ATS_T)]))
    for i, (label, teacher, flags) in enumerate(runs, 3):
        emit(f"[demo] step {min(i, steps)}/{steps}: student {plan['student']} {label}, {plan['student_epochs']} "
             f"epochs")
        t_flags = ["--t_net_name", teacher, "--t_ckpt", teachers[teacher]["ckpt"]] if teacher else \
            ["--t_net_name", plan["small"]]
        kd = "none" if teacher is None else flags[1]
        name = f"{plan['dataset']}-{teacher or 'none'}-{plan['student']}-{kd}.ckpt"
        _, history = _run("distill", common + t_flags + flags + [
            "--net_name", plan["student"], "--epoches", str(plan["student_epochs"]), "--lamb", str(LAMB),
            "--log_name", "students.log", "--ckpt_name", name], arrays, emit)
        students[label] = {"last": history[-1]["test_acc"], "best": max(r["test_acc"] for r in history)}
    summary = {"plan": plan, "teachers": {k: {kk: vv for kk, vv in v.items() if kk != "stats"}
                                          for k, v in teachers.items()},
               "students": students, "seconds": round(time.time() - start, 1)}
    figure = _figure(plan, teachers, students, os.path.join(out_dir, "demo.png"))
    summary["figure"] = figure
    with open(os.path.join(out_dir, "summary.json"), "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=1)
    for line in table_lines(plan, teachers, students):
        emit(line)
    emit(f"[demo] finished in {summary['seconds']:.0f} s")
    emit(f"[demo] figure: {figure}" if figure else "[demo] figure skipped: matplotlib is not installed")
    emit(f"[demo] logs: {log_dir}  checkpoints: {ckpt_dir}  summary: {os.path.join(out_dir, 'summary.json')}")
    return summary


def _pick(stats, method, tp, t):
    for row in stats:
        if row["method"] == method and np.isclose(row["tp_tau"], tp) and np.isclose(row["t_tau"], t):
            return {k: row[k] for k in ("q_y", "e", "sigma", "var")}
    raise UserError(f"no {method} statistics at tp_tau={tp}, t_tau={t}")


def table_lines(plan, teachers, students):
    """The results table (accuracies in %, e(q)/sigma(q) of the teacher on the training split)."""
    width = 22
    lines = ["", f"results on {plan['dataset']} (test accuracy of the last epoch; e(q), sigma(q): teacher's "
                 f"wrong-class probabilities on the training split, TS tau={TS_TAU:g}, ATS tp_tau={ATS_TP:g} "
                 f"t_tau={ATS_T:g})",
             f"{'teacher':{width}s} {'teacher acc':>11s} {'student TS':>10s} {'student ATS':>11s} {'e(q) TS':>9s} "
             f"{'e(q) ATS':>9s} {'sigma TS':>9s} {'sigma ATS':>9s}"]
    for name, t in teachers.items():
        lines.append(f"{name:{width}s} {100 * t['acc']:10.2f}% {100 * students[f'TS from {name}']['last']:9.2f}% "
                     f"{100 * students[f'ATS from {name}']['last']:10.2f}% {t['ts']['e']:9.5f} {t['ats']['e']:9.5f} "
                     f"{t['ts']['sigma']:9.5f} {t['ats']['sigma']:9.5f}")
    lines.append(f"student {plan['student']} without KD: {100 * students['no KD']['last']:.2f}%")
    return lines


def _figure(plan, teachers, students, path):
    from ats_ms.analysis.figures import pyplot, save_figure
    plt = pyplot()
    if plt is None:
        return None
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.4))
    labels = list(students)
    axes[0].bar(range(len(labels)), [100 * students[k]["last"] for k in labels],
                color=["gray"] + ["tab:blue", "tab:orange"] * 2)
    for (name, t), style in zip(teachers.items(), (":", "--")):
        axes[0].axhline(100 * t["acc"], ls=style, lw=1, color="black", label=f"teacher {name}: {100 * t['acc']:.1f}%")
    axes[0].legend(fontsize=8, loc="lower right")
    axes[0].set_xticks(range(len(labels)), labels, rotation=25, ha="right", fontsize=8)
    axes[0].set_ylabel("test accuracy (%)")
    axes[0].set_title(f"student {plan['student']} on {plan['dataset']}")
    for ax, key, text in ((axes[1], "e", "e(q)"), (axes[2], "sigma", "sigma(q)")):
        for (name, t), color in zip(teachers.items(), ("tab:green", "tab:red")):
            for method, style in (("TS", "-"), ("ATS", "--")):
                pts = [(r["tau"], r[key]) for r in t["stats"] if r["method"] == method and r["tau"] is not None]
                ax.plot([p[0] for p in pts], [p[1] for p in pts], style, color=color, label=f"{name} {method}")
        ax.set_xlabel("temperature tau (ATS: 1.25 tau / 0.75 tau)")
        ax.set_ylabel(text)
        ax.set_title(f"teacher {text} on the training split")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    return save_figure(fig, plt, path)
