"""The main job: a small and a large teacher; one student trained without KD, with TS and with ATS from each, over
several seeds, the students of a teacher trained as one pack sharing its forward.

On the embedded digits data (or a CIFAR-100 subset when ``--data_dir`` holds CIFAR-100) it trains both teachers,
then per seed one pack per teacher (small teacher: no KD, TS, ATS; large teacher: TS, ATS), measures each teacher's
wrong-class statistics e(q), sigma(q) under TS and ATS on the training split, prints a table of mean and sample
standard deviation over the seeds and writes logs, checkpoints, a JSON summary and one PNG. Everything goes through
the Python API (``make_config``, ``train``, ``train_pack``).
"""
import os
import time

import numpy as np

from ats_ms.analysis import temperature
from ats_ms.data.plans import PLANS
from ats_ms.utils import logs
from ats_ms.utils.errors import UserError
from ats_ms.utils.files import write_json

TS_TAU, ATS_TP, ATS_T, LAMB = 4.0, 4.0, 2.0, 0.5
KD_RUNS = {"none": {"kd_way": "none"}, "TS": {"kd_way": "TS", "t_tau": TS_TAU, "lamb": LAMB},
           "ATS": {"kd_way": "ATS", "tp_tau": ATS_TP, "t_tau": ATS_T, "lamb": LAMB}}


def choose_plan(data_dir):
    """``cifar100`` if CIFAR-100 (either layout) is under ``data_dir``, else ``digits``."""
    from ats_ms.data.cifar import find_layout
    return "cifar100" if os.path.isdir(data_dir) and find_layout("cifar100", data_dir) else "digits"


def make_plan(config):
    """The plan of ``config.plan`` (or the one the data allows) with the demo command's overrides."""
    plan = dict(PLANS[config.plan or choose_plan(config.data_dir)])
    for key in ("teacher_epochs", "student_epochs", "small", "large", "student", "max_train", "max_test"):
        if getattr(config, key) is not None:
            plan[key] = getattr(config, key)
    return plan


def _indent(emit):
    return lambda line: emit("    " + line) if line.strip() else None


def run_demo(config, emit=None):
    """Run the whole comparison for a ``demo`` RunConfig; returns the summary (also {out_dir}/summary.json). Lines go
    to ``emit`` (default: the ``ats_ms`` logger)."""
    from ats_ms.api import train, train_pack
    from ats_ms.config.make import make_config
    emit = emit or logs.log_line
    from ats_ms.data import load_arrays
    from ats_ms.models import create_model
    plan = make_plan(config)
    ckpt_dir, log_dir = os.path.join(config.out_dir, "ckpts"), os.path.join(config.out_dir, "logs")
    common = dict(dataset=plan["dataset"], data_dir=config.data_dir, n_classes=plan["n_classes"],
                  batch_size=plan["batch_size"], lr=plan["lr"], lr_schedule="demo", weight_decay=5e-4,
                  normalize="imagenet", ckpt_dir=ckpt_dir, log_dir=log_dir, print_every=0, overwrite=True,
                  download=False, max_train=plan["max_train"], max_test=plan["max_test"],
                  device_target=config.device_target, device_id=config.device_id)
    train_x, train_y = load_arrays(plan["dataset"], config.data_dir, "train")
    if plan["max_train"]:
        train_x, train_y = train_x[:plan["max_train"]], train_y[:plan["max_train"]]
    seeds = list(config.seeds)
    start = time.time()
    emit(f"[demo] {plan['dataset']}: {len(train_y)} training images; teachers {plan['small']} and {plan['large']}, "
         f"student {plan['student']}; seeds {', '.join(map(str, seeds))}; outputs in {config.out_dir}")
    teachers = {}
    for i, key in enumerate(("small", "large"), 1):
        name = plan[key]
        emit(f"[demo] teacher {i}/2: {name}, {plan['teacher_epochs']} epochs")
        teacher_config = make_config("classify", net_name=name, epoches=plan["teacher_epochs"], seed=0,
                                     log_name="teachers.log", **common)
        history = train(teacher_config, emit=_indent(emit))
        path = os.path.join(ckpt_dir, teacher_config.ckpt_name)
        logits = temperature.teacher_logits(create_model(name, plan["n_classes"], checkpoint=path), train_x, 256,
                                            "imagenet")
        stats = temperature.statistics(logits, train_y, temperature.PAPER_TAUS, ((ATS_TP, ATS_T),))
        teachers[name] = {"acc": history[-1]["test_acc"], "ckpt": path, "stats": stats,
                          "ts": _pick(stats, "TS", TS_TAU, TS_TAU), "ats": _pick(stats, "ATS", ATS_TP, ATS_T)}
    results = {}
    for seed in seeds:
        for teacher, runs in ((plan["small"], ("none", "TS", "ATS")), (plan["large"], ("TS", "ATS"))):
            labels = [f"{run if run == 'none' else f'{run} from {teacher}'} seed {seed}" for run in runs]
            emit(f"[demo] seed {seed}: student {plan['student']} {', '.join(runs)} from {teacher} as one pack, "
                 f"{plan['student_epochs']} epochs")
            configs = [make_config("distill", net_name=plan["student"], t_net_name=teacher,
                                   t_ckpt=teachers[teacher]["ckpt"], epoches=plan["student_epochs"],
                                   seed=seed, log_name="students.log", **KD_RUNS[run], **common,
                                   ckpt_name=f"{plan['dataset']}-{teacher if run != 'none' else 'none'}-"
                                             f"{plan['student']}-{run}-seed{seed}.ckpt")
                       for run in runs]
            for run, result in zip(runs, train_pack(configs, emit=_indent(emit), labels=labels)):
                if result["status"] != "done":
                    raise UserError(f"demo student {run} from {teacher} failed: {result['error']}")
                key = "no KD" if run == "none" else f"{run} from {teacher}"
                results.setdefault(key, []).append(result["history"][-1]["test_acc"])
    students = {key: {"last": accs, "mean": float(np.mean(accs)),
                      "std": float(np.std(accs, ddof=1)) if len(accs) > 1 else None} for key, accs in results.items()}
    summary = {"plan": plan, "seeds": seeds,
               "teachers": {k: {kk: vv for kk, vv in v.items() if kk != "stats"} for k, v in teachers.items()},
               "students": students, "seconds": round(time.time() - start, 1)}
    figure = _figure(plan, teachers, students, os.path.join(config.out_dir, "demo.png"))
    summary["figure"] = figure
    write_json(os.path.join(config.out_dir, "summary.json"), summary)
    for line in table_lines(plan, seeds, teachers, students):
        emit(line)
    emit(f"[demo] finished in {summary['seconds']:.0f} s")
    emit(f"[demo] figure: {figure}" if figure else "[demo] figure skipped: matplotlib is not installed")
    emit(f"[demo] logs: {log_dir}  checkpoints: {ckpt_dir}  summary: {os.path.join(config.out_dir, 'summary.json')}")
    return summary


def _pick(stats, method, tp, t):
    for row in stats:
        if row["method"] == method and np.isclose(row["tp_tau"], tp) and np.isclose(row["t_tau"], t):
            return {k: row[k] for k in ("q_y", "e", "sigma", "var")}
    raise UserError(f"no {method} statistics at tp_tau={tp}, t_tau={t}")


def _acc(student):
    std = "" if student["std"] is None else f" ± {100 * student['std']:.2f}"
    return f"{100 * student['mean']:.2f}{std}%"


def table_lines(plan, seeds, teachers, students):
    """The results table: accuracies in % (mean ± sample std over the seeds), e(q)/sigma(q) on the training split."""
    width = 10
    lines = ["", f"results on {plan['dataset']} over seeds {', '.join(map(str, seeds))} (test accuracy of the last "
                 f"epoch, mean ± sample std; e(q), sigma(q): teacher's wrong-class probabilities on the training "
                 f"split, "
                 f"TS tau={TS_TAU:g}, ATS tp_tau={ATS_TP:g} t_tau={ATS_T:g})",
             f"{'teacher':{width}s} {'teacher acc':>11s} {'student TS':>16s} {'student ATS':>16s} {'e(q) TS':>9s} "
             f"{'e(q) ATS':>9s} {'sigma TS':>9s} {'sigma ATS':>9s}"]
    for name, t in teachers.items():
        lines.append(f"{name:{width}s} {100 * t['acc']:10.2f}% {_acc(students[f'TS from {name}']):>16s} "
                     f"{_acc(students[f'ATS from {name}']):>16s} {t['ts']['e']:9.5f} {t['ats']['e']:9.5f} "
                     f"{t['ts']['sigma']:9.5f} {t['ats']['sigma']:9.5f}")
    lines.append(f"student {plan['student']} without KD: {_acc(students['no KD'])}")
    return lines


def _figure(plan, teachers, students, path):
    """demo.png: the students' test accuracy (mean ± sample std over seeds; the y axis fitted to them, the teachers'
    accuracies in the title) and each teacher's e(q), sigma(q) against tau, with the trained settings marked (TS
    tau 4, ATS tp_tau 4 / t_tau 2). Returns ``path``, or None without matplotlib.

    Args:
        plan (dict): the demo plan (``make_plan``).
        teachers (dict): {teacher name: {"acc", "stats", "ts", "ats"}}.
        students (dict): {student label: {"mean", "std"}} (fractions).
        path (str): the PNG to write.

    Returns:
        str | None: ``path``, or None when matplotlib is not installed.
    """
    from ats_ms.analysis.figures import fitted_limits, pyplot, save_figure
    plt = pyplot()
    if plt is None:
        return None
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.8))
    labels = list(students)
    means = [100 * students[k]["mean"] for k in labels]
    stds = [100 * (students[k]["std"] or 0.0) for k in labels]
    axes[0].bar(range(len(labels)), means, yerr=stds, capsize=4, color=["gray"] + ["tab:blue", "tab:orange"] * 2)
    bottom, top = fitted_limits([m - s for m, s in zip(means, stds)], [m + s for m, s in zip(means, stds)], 0.15)
    axes[0].set_ylim(bottom, top)
    for i, (m, s) in enumerate(zip(means, stds)):
        axes[0].text(i, m + s + 0.02 * (top - bottom), f"{m:.1f}", ha="center", va="bottom", fontsize=8)
    axes[0].set_xticks(range(len(labels)), labels, rotation=25, ha="right", fontsize=8)
    axes[0].set_ylabel("test accuracy (%), mean ± std over seeds")
    teacher_text = ", ".join(f"{name} {100 * t['acc']:.1f}%" for name, t in teachers.items())
    axes[0].set_title(f"student {plan['student']} on {plan['dataset']} (blue TS, orange ATS)\nteachers: "
                      f"{teacher_text}", fontsize=9)
    handles = []
    for ax, key, text in ((axes[1], "e", "e(q)"), (axes[2], "sigma", "sigma(q)")):
        for (name, t), color in zip(teachers.items(), ("tab:green", "tab:red")):
            for method, style in (("TS", "-"), ("ATS", "--")):
                taus, values = temperature.curve(t["stats"], method, key)
                ax.plot(taus, values, style, color=color, label=f"teacher {name}, {method} curve")
            ax.plot(TS_TAU, t["ts"][key], "o", ms=8, mfc="none", mec=color, mew=1.8,
                    label=f"teacher {name}, trained TS (tau {TS_TAU:g})")
            ax.plot(ATS_TP, t["ats"][key], "*", ms=11, color=color,
                    label=f"teacher {name}, trained ATS (tp_tau {ATS_TP:g}, t_tau {ATS_T:g}; at tau {ATS_TP:g})")
        first = next(iter(teachers.values()))
        ax.annotate(f"TS tau {TS_TAU:g}", (TS_TAU, first["ts"][key]), xytext=(10, 10), textcoords="offset points",
                    fontsize=8, arrowprops={"arrowstyle": "-", "lw": 0.6})
        ax.annotate(f"ATS ({ATS_TP:g}, {ATS_T:g})", (ATS_TP, first["ats"][key]), xytext=(10, -16),
                    textcoords="offset points", fontsize=8, arrowprops={"arrowstyle": "-", "lw": 0.6})
        ax.set_xlabel("temperature tau (ATS curve: 1.25 tau / 0.75 tau)", fontsize=9)
        ax.set_ylabel(text)
        ax.set_title(f"teacher {text} on the training split")
        ax.grid(alpha=0.3)
        handles = ax.get_legend_handles_labels()
    fig.legend(*handles, loc="lower center", ncol=3, fontsize=8, bbox_to_anchor=(0.5, 0.0))
    fig.tight_layout(rect=(0, 0.14, 1, 1))
    return save_figure(fig, plt, path)
