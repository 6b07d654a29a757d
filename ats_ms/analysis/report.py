"""Wiring of the analyze command: find the teachers (and a student) with their records, compute the statistics,
write CSV/JSON/PNG and the text charts."""
import os

import numpy as np

from ats_ms.analysis import figures, temperature, textplot
from ats_ms.analysis.io import write_rows
from ats_ms.utils.errors import UserError


def _checkpoint_paths(config):
    """(names or None per checkpoint, paths, the flag naming them): --ckpt, else the teacher (or network) of the
    YAML given with --config."""
    if config.ckpt:
        names = config.net_name or (None,)
        if len(names) not in (1, len(config.ckpt)):
            raise UserError(f"--net_name has {len(names)} names for {len(config.ckpt)} --ckpt; expected 1 or one per "
                            f"--ckpt")
        return (list(names) * len(config.ckpt) if len(names) == 1 else list(names)), list(config.ckpt), "net_name"
    from ats_ms.utils import naming
    if config.t_ckpt or config.sources["t_net_name"] == "yaml":
        name = config.t_net_name if config.sources["t_net_name"] != "default" else None
        return [name], [naming.teacher_ckpt_path(config.to_dict())], "t_net_name"
    if config.ckpt_name:
        return ([config.net_name[0] if config.net_name else None], [os.path.join(config.ckpt_dir, config.ckpt_name)],
                "net_name")
    raise UserError("no teacher checkpoint given; expected --ckpt FILE (repeat for several teachers), or --config "
                    "with the YAML of a distillation (its teacher) or of a classify run (its checkpoint)")


def resolve_network(config, path, name, name_flag, role):
    """Network name, style, classes, dataset and normalisation of checkpoint ``path``: its record, the flags for
    what it lacks; a given flag that contradicts the record raises UserError."""
    from ats_ms.config.record import adopt_checkpoint
    data_flags = ("n_classes", "dataset", "normalize", "image_size", "transform")
    values = {name_flag: name, "net_style": "paper", **{k: getattr(config, k) for k in data_flags}}
    values["transform"] = config.transform if config.sources["transform"] != "default" else None  # else the data's
    sources = {name_flag: "given" if name else "default", "net_style": "default"}
    sources.update({k: config.sources[k] for k in data_flags})
    mapping = {k: k for k in values} | {name_flag: "net_name"}
    adopt_checkpoint(values, sources, path, mapping, f"{role} checkpoint {path}", config.data_dir)
    values["net_name"] = values.pop(name_flag)
    if values["net_name"] is None:
        raise UserError(f"{role} checkpoint {path} has no record of its network; expected --{name_flag} NAME")
    from ats_ms.models import resolve_name
    values["net_name"] = resolve_name(values["net_name"])
    return values


def analyze_teachers(config):
    """Statistics for every teacher of ``config`` (an analyze RunConfig); returns paths and printable lines."""
    from ats_ms.data.pipeline import check_labels, open_split
    from ats_ms.models import create_model
    from ats_ms.models.checkpoint import load_strict

    names, paths, name_flag = _checkpoint_paths(config)
    teachers = [resolve_network(config, path, name, name_flag, "teacher") for name, path in zip(names, paths)]
    student = None
    if config.student_ckpt:
        student = resolve_network(config, config.student_ckpt, config.student_net_name, "student_net_name",
                                  "student")
    shared = {(t["dataset"], t["n_classes"]) for t in teachers + ([student] if student else [])}
    if len(shared) > 1:
        raise UserError(f"the checkpoints were trained on different data ({sorted(shared)}); expected one dataset and "
                        f"class count for all")
    dataset, n_classes = shared.pop()
    data = open_split(dataset, config.data_dir, config.split, config.download, config.max_images)
    labels = data.labels
    check_labels(labels, n_classes, f"{dataset} {config.split}")

    def logits_of(net, network):
        return temperature.split_logits(net, data, config, network["normalize"], network["image_size"],
                                        network["transform"])
    student_probs = None
    if student:
        from ats_ms.reference import softmax
        net = create_model(student["net_name"], n_classes, style=student["net_style"])
        load_strict(net, config.student_ckpt, n_classes_flag=True)
        student_probs = softmax(logits_of(net, student))
    per_teacher, rows, lines = {}, [], []
    for path, teacher in zip(paths, teachers):
        net = create_model(teacher["net_name"], n_classes, style=teacher["net_style"])
        load_strict(net, path, source=f"teacher checkpoint {path}", n_classes_flag=True)
        logits = logits_of(net, teacher)
        stats = temperature.statistics(logits, labels, config.taus or temperature.PAPER_TAUS,
                                       config.pairs or (), student_probs)
        label = f"{net.model_name} ({os.path.basename(path)})"
        per_teacher[label] = stats
        accuracy = float(np.mean(logits.argmax(1) == labels))
        rows += [{"teacher": net.model_name, "checkpoint": path, **r} for r in stats]
        lines.append(f"{label}: accuracy on {config.split} {accuracy:.4f}, {len(labels)} images, normalize "
                     f"{teacher['normalize']}")
        lines += [f"  {r['method']:3s} tp_tau {r['tp_tau']:6.3f} t_tau {r['t_tau']:6.3f}  q_y {r['q_y']:.4f}  "
                  f"e(q) {r['e']:.5f}  sigma(q) {r['sigma']:.5f}" for r in stats if r["tau"] in (1.0, 4.0, None)]
        if student:
            ts = [r for r in stats if r["method"] == "TS"]
            row = next((r for r in ts if r["tau"] == 1.0), ts[0])
            lines.append(f"  KD loss decomposition for student {os.path.basename(config.student_ckpt)} under TS at "
                         f"tau {row['tau']:g}: correct guidance {row['correct_guidance']:.4f}, smooth "
                         f"regularisation {row['smooth_regularization']:.4f}, class discriminability "
                         f"{row['class_discriminability']:.4f}")
        lines += text_figure(stats, net.model_name)
    out = config.out_dir
    csv_path, json_path = os.path.join(out, "analyze.csv"), os.path.join(out, "analyze.json")
    write_rows(rows, csv_path, json_path, {"dataset": dataset, "split": config.split, "images": len(labels),
                                           "student": config.student_ckpt or "uniform"})
    figure = figures.temperature_figure(per_teacher, os.path.join(out, "analyze.png"))
    return {"csv": csv_path, "json": json_path, "figure": figure, "lines": lines, "per_teacher": per_teacher}


def text_figure(stats, name):
    """The PNG's two panels as text: e(q) and sigma(q) against tau, TS (o) and ATS at (1.25 tau, 0.75 tau) (+)."""
    lines = []
    for key, what in (("e", "e(q), mean wrong-class probability"), ("sigma", "sigma(q), spread of the wrong classes")):
        (taus, ts), (_, ats) = temperature.curve(stats, "TS", key), temperature.curve(stats, "ATS", key)
        lines += textplot.line_chart(taus, [("TS", "o", ts), ("ATS", "+", ats)], f"{name}: {what} against tau")
    return lines
