"""Figures (matplotlib is optional: without it, ``save`` returns None and the caller says the figure was skipped)."""
import os

from ats_ms.analysis.temperature import curve


def pyplot():
    """matplotlib.pyplot with the Agg backend, or None when matplotlib is not installed."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        return plt
    except ImportError:
        return None


def temperature_figure(per_teacher, path):
    """Figs. 7/13: e(q) and sigma(q) against temperature, TS vs ATS, one column per teacher. Returns path or None.

    Args:
        per_teacher (dict): {teacher label: rows of ``temperature.statistics``}.
    """
    plt = pyplot()
    if plt is None:
        return None
    fig, axes = plt.subplots(2, len(per_teacher), figsize=(4.2 * len(per_teacher), 6.4), squeeze=False)
    for col, (name, rows) in enumerate(per_teacher.items()):
        for row_idx, key in enumerate(("e", "sigma")):
            ax = axes[row_idx][col]
            for method, style in (("TS", "o-"), ("ATS", "s--")):
                ax.plot(*curve(rows, method, key), style, ms=3, label=method)
            ax.set_xlabel("tau (ATS: tau_1 = 1.25 tau, tau_2 = 0.75 tau)", fontsize=8)
            ax.set_ylabel({"e": "e(q): mean wrong-class prob.", "sigma": "sigma(q): std of wrong-class prob."}[key])
            ax.set_title(name)
            ax.grid(alpha=0.3)
            ax.legend()
    fig.tight_layout()
    return save_figure(fig, plt, path)


AXIS_LABELS = {"tp_tau": "tp_tau (tau_1, correct class)", "t_tau": "t_tau (tau_2, wrong classes)"}


def heatmap_figure(tp_taus, t_taus, last, best, path, title="", axes=("tp_tau", "t_tau"), diagonal=True):
    """Fig. 10: student accuracy over two axes (rows ``axes[0]`` with values ``tp_taus``, columns ``axes[1]``),
    last and best epoch side by side; with ``diagonal`` the cells tp_tau == t_tau (TS) are boxed."""
    diagonal = diagonal and tuple(axes) == ("tp_tau", "t_tau")
    plt = pyplot()
    if plt is None:
        return None
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.6))
    for ax, grid, name in ((axes[0], last, "last epoch"), (axes[1], best, "best epoch")):
        image = ax.imshow(grid, cmap="viridis", origin="lower", aspect="auto")
        ax.set_xticks(range(len(t_taus)), [f"{t:g}" for t in t_taus])
        ax.set_yticks(range(len(tp_taus)), [f"{t:g}" for t in tp_taus])
        ax.set_xlabel(AXIS_LABELS.get(axes[1], axes[1]))
        ax.set_ylabel(AXIS_LABELS.get(axes[0], axes[0]))
        ax.set_title(f"{title} test accuracy, {name}".strip(), fontsize=9)
        for i, tp in enumerate(tp_taus):
            for j, t in enumerate(t_taus):
                value = grid[i][j]
                ax.text(j, i, "-" if value != value else f"{100 * value:.1f}", ha="center", va="center",
                        color="white", fontsize=8)
                if diagonal and tp == t:
                    ax.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, ec="red", lw=1.5))
        fig.colorbar(image, ax=ax)
    if diagonal:
        fig.text(0.01, 0.01, "red boxes: tp_tau == t_tau (TS)", fontsize=8, color="red")
    fig.tight_layout()
    return save_figure(fig, plt, path)


def save_figure(fig, plt, path):
    """Save ``fig`` as PNG at ``path`` atomically (folder created); returns ``path``."""
    from ats_ms.utils.files import atomic_path
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110)
    plt.close(fig)
    return path
