"""Wiring of the analyze command: load data and teachers, compute statistics, write CSV/JSON/PNG."""
import os

import numpy as np

from ats_ms.analysis import figures, temperature, textplot
from ats_ms.analysis.io import write_rows


def analyze_teachers(teachers, args, taus=None, pairs=()):
    """Statistics for each (net_name, ckpt) in ``teachers``; returns paths and printable summary lines."""
    from ats_ms.data import load_arrays
    from ats_ms.data.pipeline import check_labels
    from ats_ms.models import create_model
    from ats_ms.models.checkpoint import load_strict

    images, labels = load_arrays(args.dataset, args.data_dir, args.split, args.download)
    if args.max_images:
        images, labels = images[:args.max_images], labels[:args.max_images]
    check_labels(labels, args.n_classes, f"{args.dataset} {args.split}")
    student_probs = None
    if args.student_ckpt:
        from ats_ms.reference import softmax
        student = create_model(args.student_net_name or "VGG8", args.n_classes)
        load_strict(student, args.student_ckpt, n_classes_flag=True)
        student_probs = softmax(temperature.teacher_logits(student, images, args.batch_size, args.normalize))
    per_teacher, rows, lines = {}, [], []
    for name, ckpt in teachers:
        net = create_model(name, args.n_classes)
        load_strict(net, ckpt, source=f"teacher checkpoint {ckpt}", n_classes_flag=True)
        logits = temperature.teacher_logits(net, images, args.batch_size, args.normalize)
        stats = temperature.statistics(logits, labels, taus or temperature.PAPER_TAUS, pairs, student_probs)
        label = f"{net.model_name} ({os.path.basename(ckpt)})"
        per_teacher[label] = stats
        accuracy = float(np.mean(logits.argmax(1) == labels))
        rows += [{"teacher": net.model_name, "checkpoint": ckpt, **r} for r in stats]
        lines.append(f"{label}: accuracy on {args.split} {accuracy:.4f}, {len(labels)} images")
        lines += [f"  {r['method']:3s} tp_tau {r['tp_tau']:6.3f} t_tau {r['t_tau']:6.3f}  q_y {r['q_y']:.4f}  "
                  f"e(q) {r['e']:.5f}  sigma(q) {r['sigma']:.5f}" for r in stats if r["tau"] in (1.0, 4.0, None)]
        lines += text_figure(stats, net.model_name)
    out = args.out_dir
    csv_path, json_path = os.path.join(out, "analyze.csv"), os.path.join(out, "analyze.json")
    write_rows(rows, csv_path, json_path, {"dataset": args.dataset, "split": args.split, "images": len(labels),
                                           "student": args.student_ckpt or "uniform"})
    figure = figures.temperature_figure(per_teacher, os.path.join(out, "analyze.png"))
    return {"csv": csv_path, "json": json_path, "figure": figure, "lines": lines, "per_teacher": per_teacher}


def text_figure(stats, name):
    """The PNG's two panels as text: e(q) and sigma(q) against tau, TS (o) and ATS at (1.25 tau, 0.75 tau) (+)."""
    lines = []
    for key, what in (("e", "e(q), mean wrong-class probability"), ("sigma", "sigma(q), spread of the wrong classes")):
        (taus, ts), (_, ats) = temperature.curve(stats, "TS", key), temperature.curve(stats, "ATS", key)
        lines += textplot.line_chart(taus, [("TS", "o", ts), ("ATS", "+", ats)], f"{name}: {what} against tau")
    return lines
