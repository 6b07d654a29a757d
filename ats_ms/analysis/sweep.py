"""The tau_1 x tau_2 sweep (paper Fig. 10): one ATS distillation per (tp_tau, t_tau, seed) cell, resumable.

A cell whose final checkpoint exists is skipped; a cell with a resume checkpoint continues from it; each seed gives
every cell the same initialisation and data order. Results: last- and best-epoch test accuracy per cell, mean and
std over seeds, as CSV/JSON and a heatmap with the diagonal (tp_tau == t_tau, i.e. TS) boxed.
"""
import itertools
import json
import os

import numpy as np

from ats_ms.analysis import figures, textplot
from ats_ms.analysis.io import write_rows


def cell_name(tp, t, seed):
    return f"sweep-tp{tp:g}-t{t:g}-seed{seed}"


def cells(tp_taus, t_taus, seeds, shard=(0, 1)):
    """(tp, t, seed) cells of this shard (cell index modulo shard count), in a fixed order."""
    index, count = shard
    all_cells = list(itertools.product(tp_taus, t_taus, seeds))
    return [c for i, c in enumerate(all_cells) if i % count == index]


def run_cells(config_path, out_dir, todo, extra_argv, emit=print):
    """Run every cell in ``todo`` (skipping finished ones); returns {cell: exit status}."""
    from ats_ms.cli.train import run
    status = {}
    for n, (tp, t, seed) in enumerate(todo, 1):
        name = cell_name(tp, t, seed)
        ckpt_dir = os.path.join(out_dir, "ckpts")
        if os.path.isfile(os.path.join(ckpt_dir, f"{name}.ckpt")):
            emit(f"[sweep] cell {n}/{len(todo)} {name}: done, skipped")
            status[name] = 0
            continue
        emit(f"[sweep] cell {n}/{len(todo)} {name}: running")
        argv = ["--config", config_path, *extra_argv, "--kd_way", "ATS", "--tp_tau", str(tp), "--t_tau", str(t),
                "--seed", str(seed), "--ckpt_dir", ckpt_dir, "--log_dir", os.path.join(out_dir, "logs"),
                "--ckpt_name", f"{name}.ckpt", "--log_name", f"{name}.log", "--resume", "True"]
        status[name] = run("distill", argv)
        if status[name] != 0:
            emit(f"[sweep] cell {name} failed with status {status[name]}; continuing")
    return status


def collect(out_dir, tp_taus, t_taus, seeds):
    """Per-cell last/best accuracy (mean, std over the seeds that finished) and the two grids (NaN where missing)."""
    rows = []
    shape = (len(tp_taus), len(t_taus))
    last_grid, best_grid = np.full(shape, np.nan), np.full(shape, np.nan)
    for i, tp in enumerate(tp_taus):
        for j, t in enumerate(t_taus):
            last, best = [], []
            for seed in seeds:
                name = cell_name(tp, t, seed)
                metrics = os.path.join(out_dir, "logs", f"{name}.metrics.jsonl")
                if not os.path.isfile(os.path.join(out_dir, "ckpts", f"{name}.ckpt")) or not os.path.isfile(metrics):
                    continue
                with open(metrics, encoding="utf-8") as f:
                    accs = [json.loads(line)["test_acc"] for line in f if line.strip()]
                last.append(accs[-1])
                best.append(max(accs))
            row = {"tp_tau": tp, "t_tau": t, "ts_diagonal": tp == t, "seeds": len(last),
                   "last_mean": float(np.mean(last)) if last else None,
                   "last_std": float(np.std(last)) if last else None,
                   "best_mean": float(np.mean(best)) if best else None,
                   "best_std": float(np.std(best)) if best else None}
            rows.append(row)
            if last:
                last_grid[i, j], best_grid[i, j] = row["last_mean"], row["best_mean"]
    return rows, last_grid, best_grid


def table_lines(rows, t_taus, key="last_mean"):
    """Text heatmap: rows tp_tau, columns t_tau, cells 100 x accuracy (* marks the TS diagonal), each followed by a
    shade character from light (lowest accuracy of the grid) to dark (highest)."""
    lines = [f"{key.replace('_mean', '')}-epoch test accuracy (%), rows tp_tau, columns t_tau (* = TS), "
             f"shade {textplot.SHADES[0]} low .. {textplot.SHADES[-1]} high",
             "tp\\t  " + " ".join(f"{t:>8g}  " for t in t_taus)]
    values = [r[key] for r in rows if r[key] is not None]
    lo, hi = (min(values), max(values)) if values else (0.0, 0.0)
    by_tp = {}
    for row in rows:
        by_tp.setdefault(row["tp_tau"], []).append(row)
    for tp, cells_ in by_tp.items():
        text = []
        for r in cells_:
            std = r[key.replace("mean", "std")]
            value = "-" if r[key] is None else f"{100 * r[key]:.1f}" + (f"±{100 * std:.1f}" if r["seeds"] > 1 else "")
            mark = " " if r[key] is None else textplot.shade(r[key], lo, hi)
            text.append(f"{value + ('*' if r['ts_diagonal'] else ''):>8s} {mark}")
        lines.append(f"{tp:<6g}" + " ".join(text))
    return lines


def report(out_dir, tp_taus, t_taus, seeds, title=""):
    """Write sweep.csv, sweep.json and sweep.png; returns (lines, figure path or None)."""
    rows, last_grid, best_grid = collect(out_dir, tp_taus, t_taus, seeds)
    write_rows(rows, os.path.join(out_dir, "sweep.csv"), os.path.join(out_dir, "sweep.json"),
               {"tp_taus": list(tp_taus), "t_taus": list(t_taus), "seeds": list(seeds)})
    figure = figures.heatmap_figure(tp_taus, t_taus, last_grid.tolist(), best_grid.tolist(),
                                    os.path.join(out_dir, "sweep.png"), title)
    return table_lines(rows, t_taus, "last_mean") + table_lines(rows, t_taus, "best_mean"), figure
