"""Sweeps: one distillation per cell (method, hyper-parameter values, seed; ``ats_ms.sweep.cells``), in packs.

Cells of one seed see the same batches, so ``--pack K`` trains K of them, whatever their methods, in one graph
sharing one teacher forward per batch (``ats_ms.train_pack``); each cell keeps its own files:
``{out_dir}/ckpts/<cell>.ckpt`` (and ``-best``, ``.resume``), ``{out_dir}/logs/<cell>.log``, ``.metrics.jsonl`` and
``.config.yaml``. A finished cell is skipped; an interrupted one continues after its last finished epoch, packed with
the cells of the same seed and progress. A finished cell whose checkpoint, metrics or config cannot be read
(``ats_ms.sweep.report.read_cell``) is not done: its files are moved aside to ``<file>.damaged-N`` (nothing is
deleted or overwritten) and it is trained again, with one line saying so. Workers (one per device, several machines
sharing the folder) divide the cells through claim files (``ats_ms.sweep.claims``). The report is
``ats_ms.sweep.report``; ``--report_only`` refuses flags other than those the cells were trained with
(``check_reported_cells``) and damaged cells, writing nothing.
"""
import os
import time

import numpy as np

from ats_ms.sweep.cells import base_overrides, cell_config, cell_dirs, sweep_cells
from ats_ms.utils import logs


def out_dir_of(config):
    """``--out_dir``, else ``outputs/sweep/<name of the --config file>``."""
    if config.out_dir:
        return config.out_dir
    name = os.path.splitext(os.path.basename(config.config))[0] if config.config else "sweep"
    return os.path.join("outputs", "sweep", name)


def _epochs_done(config):
    """Epochs finished by an interrupted cell (0 without a resume file)."""
    from ats_ms.engine.state import epochs_done
    from ats_ms.utils import naming
    return epochs_done(naming.run_paths(config.to_dict())["resume"])


def _finished(config):
    from ats_ms.utils import naming
    return os.path.isfile(naming.run_paths(config.to_dict())["ckpt"])


def _stored_config(paths, name):
    """The config a cell was trained with (``engine.state.saved_config``; None when it has none, or when a finished
    cell's config file is damaged: ``ats_ms.sweep.report.read_cell`` names it)."""
    import yaml

    from ats_ms.engine.state import saved_config
    from ats_ms.utils.errors import UserError
    try:
        stored = saved_config(paths)
    except UserError:
        raise  # an unreadable resume file, named
    except (ValueError, yaml.YAMLError):
        if not os.path.isfile(paths["ckpt"]):
            raise UserError(f"cell {name}: resume file {paths['resume']} holds an unreadable state; expected a resume "
                            f"file written by ats_ms (move it away to train the cell from its start)")
        return None
    return stored if isinstance(stored, dict) else None


def _same_value(a, b, path=False):
    if path and a and b:
        return os.path.realpath(a) == os.path.realpath(b)
    a, b = (list(v) if isinstance(v, tuple) else v for v in (a, b))
    return a == b or str(a) == str(b)


def check_reported_cells(config, out_dir, cells):
    """``--report_only``: as ``SweepWorker.check_trained_cells``, without the teacher (a report needs none): each
    trained cell (finished or half-done) must have this sweep's method and hyper-parameters, and every other flag
    given (command line or YAML) must have the value it was trained with; else the report would show this sweep's
    values beside another grid's results.

    Args:
        config (RunConfig): the sweep's config.
        out_dir (str): the sweep folder.
        cells (list[Cell]): its cells (``ats_ms.sweep.cells.sweep_cells``).

    Raises:
        UserError: naming the first such cell and each flag that differs, with both values (nothing is written).
    """
    from ats_ms.config.flags import COMMANDS, flags_of, keys_where
    from ats_ms.losses import registry
    from ats_ms.sweep.report import cell_paths
    from ats_ms.utils.errors import UserError
    skip = set(keys_where("volatile", config.command)) | set(keys_where("location")) | \
        set(registry.per_method_keys()) | {"config"}
    given = {k: v for k, v in config.to_dict().items() if k in COMMANDS["distill"].flags and k not in skip
             and config.sources.get(k, "default") != "default"}
    paths = keys_where("path", config.command)
    flag_defaults = {name: flag.default for name, flag in flags_of(config.command).items()}
    for cell in cells:
        try:
            stored = _stored_config(cell_paths(out_dir, cell.name), cell.name)
        except UserError:  # a half-done cell's unreadable resume file: not reported as done, training names it
            continue
        if stored is None:
            continue
        ignored = set(registry.ignored_flags(cell.kd_way))
        wanted = {"kd_way": cell.kd_way, **cell.settings, **{k: v for k, v in given.items() if k not in ignored}}
        defaults = {**flag_defaults, **registry.get(cell.kd_way).defaults()}  # for flags added since
        was = {k: stored[k] if k in stored else defaults.get(k) for k in wanted}
        changed = [k for k, v in wanted.items() if not _same_value(v, was[k], k in paths)]
        if changed:
            raise UserError(f"--report_only: {cell.name} in {out_dir} was trained with other settings (changed: "
                            + ", ".join(f"{k} {was[k]} -> {wanted[k]}" for k in changed)
                            + "); expected the flags it was trained with; nothing was written")


def _move_aside(name, paths, damage):
    """Rename every file of damaged cell ``name`` (``paths``: ``ats_ms.sweep.report.cell_paths``) to
    ``<file>.damaged-N``, one N for all, the smallest that overwrites nothing; returns N. The final checkpoint goes
    last: when a file cannot be moved, those moved are moved back (the cell stays finished and damaged, nothing of it
    is overwritten later) and a UserError says which."""
    from ats_ms.utils.errors import UserError
    order = [paths[k] for k in paths if k != "ckpt"] + [paths["ckpt"]]
    present = [path for path in dict.fromkeys(order) if os.path.lexists(path)]
    n = 1
    while any(os.path.lexists(f"{path}.damaged-{n}") for path in present):
        n += 1
    moved = []
    for path in present:
        try:
            os.rename(path, f"{path}.damaged-{n}")
        except OSError as exc:
            for done in reversed(moved):
                try:
                    os.rename(f"{done}.damaged-{n}", done)
                except OSError:
                    pass
            raise UserError(f"cell {name}: {damage}; {path} cannot be moved aside to {path}.damaged-{n} "
                            f"({exc.strerror or type(exc).__name__}); expected a writable folder (or the cell's "
                            f"files moved away by hand, to train it again)")
        moved.append(path)
    return n


class SweepWorker:
    """Trains the cells of a grid that no other worker holds, pack by pack, until none is left.

    Args:
        config (RunConfig): the sweep's config (``make_config("sweep", ...)``).
        emit (callable | None): receives each output line (default: the ``ats_ms`` logger).
    """

    def __init__(self, config, emit=None):
        self.config, self.emit = config, emit or logs.log_line
        self.out_dir = out_dir_of(config)
        self.cells = sweep_cells(config, self.out_dir)
        base = base_overrides(config, self.out_dir)
        self.configs = {cell: cell_config(base, cell) for cell in self.cells}
        self.base = self.configs[self.cells[0]]
        self.claims, self.status = None, {}

    def pack_limit(self, teacher):
        """``--pack``, or what the memory estimate allows for a seed's cells (printed)."""
        per_seed = len(self.cells) // len(self.config.seeds)
        if self.config.pack:
            return min(self.config.pack, per_seed)
        from ats_ms.engine.memory import pack_size
        from ats_ms.models import create_model
        c = self.base
        student = create_model(c.net_name, c.n_classes, style=c.net_style)
        k, line = pack_size(student, teacher, c.batch_size, c.device_target, c.device_id, per_seed, c.image_size)
        self.emit(f"[sweep] {line}")
        return k

    def check_trained_cells(self):
        """Cells of ``out_dir`` already trained (finished or half-done) must have this sweep's settings, else a
        re-run would mix two grids in one report."""
        from ats_ms.config.flags import keys_where
        from ats_ms.engine.state import config_changes
        from ats_ms.utils import naming
        from ats_ms.utils.errors import UserError
        for cell, config in self.configs.items():
            stored = _stored_config(naming.run_paths(config.to_dict()), cell.name)
            changed = config_changes(stored, config, keys_where("location")) if stored is not None else []
            if changed:
                raise UserError(f"{cell.name} in {self.out_dir} was trained with other settings (changed: "
                                f"{', '.join(changed)}); expected the flags it was trained with, or a new --out_dir")

    def retrain_damaged(self):
        """A finished cell whose files are damaged (``ats_ms.sweep.report.read_cell``) is not done: under its claim, its
        files are moved aside to ``<file>.damaged-N`` (nothing deleted) and a line says so; it is then trained with
        the other pending cells. A cell another worker holds is left to it."""
        from ats_ms.sweep.report import cell_paths, read_cell
        for cell, config in self.configs.items():
            if not _finished(config) or read_cell(self.out_dir, cell.name)[0] != "damaged":
                continue
            if not self.claims.try_claim(cell.name):
                continue
            try:
                state, damage = read_cell(self.out_dir, cell.name)  # again, now that it is this worker's
                if state == "damaged":
                    n = _move_aside(cell.name, cell_paths(self.out_dir, cell.name), damage)
                    self.emit(f"[sweep] cell {cell.name}: {damage}; training it again (its files are kept as "
                              f"<file>.damaged-{n})")
            finally:
                self.claims.release(cell.name)

    def _note_other_cells(self):
        """Cell names depend on what differs in the grid: say so when the folder holds cells of another grid."""
        folder = cell_dirs(self.out_dir)["ckpt_dir"]
        known = {cell.name for cell in self.cells}
        others = sorted(name[:-5] for name in (os.listdir(folder) if os.path.isdir(folder) else [])
                        if name.startswith("sweep-") and name.endswith(".ckpt") and name[:-5] not in known
                        and not name.endswith(("-best.ckpt", ".resume.ckpt")))
        if others:
            self.emit(f"[sweep] {len(others)} finished cells in {self.out_dir} are not in this grid (e.g. "
                      f"{others[0]}; names show what differs between a grid's cells); the report covers this grid")

    def _next_pack(self, limit):
        pending = [cell for cell in self.cells if not _finished(self.configs[cell])
                   and not self.claims.is_failed(cell.name)]
        groups = {}
        for cell in pending:
            groups.setdefault((cell.seed, _epochs_done(self.configs[cell])), []).append(cell)
        for (_, epoch), group in groups.items():
            taken = []
            for cell in group:
                name = cell.name
                if not self.claims.try_claim(name):
                    continue
                if _finished(self.configs[cell]) or _epochs_done(self.configs[cell]) != epoch:
                    self.claims.release(name)
                    continue
                taken.append(cell)
                if len(taken) == limit:
                    break
            if taken:
                return taken, epoch
        return [], 0

    def _unfinished(self):
        """Names of the cells neither finished nor failed (pending, or held by another worker)."""
        return [cell.name for cell, c in self.configs.items()
                if not _finished(c) and not self.claims.is_failed(cell.name)]

    def run(self):
        """Train until no cell is left for this worker; returns {cell name: done | failed}."""
        from ats_ms.api import train_pack
        from ats_ms.data.pipeline import pack_data
        from ats_ms.engine.teacher import frozen_teacher, load_teacher
        from ats_ms.sweep.claims import Claims
        self.check_trained_cells()
        teacher_config = next((c for c in self.configs.values() if c.needs_teacher), None)
        # the teacher checkpoint is read, strictly, before any data or cell: once for every pack
        teacher = load_teacher(teacher_config) if teacher_config is not None else None
        frozen = frozen_teacher(teacher, teacher_config) if teacher is not None else None
        data = pack_data(self.base)  # once for every pack, and checked before anything is written
        self.claims = Claims(os.path.join(self.out_dir, "claims"), self.config.claim_timeout)
        self.retrain_damaged()
        done_before = sum(_finished(c) for c in self.configs.values())
        c, methods = self.config, ", ".join(dict.fromkeys(cell.kd_way for cell in self.cells))
        settings = f"{len(c.tp_taus)} tp_tau x {len(c.t_taus)} t_tau" if not c.grid else \
            f"{len(self.cells) // len(c.seeds)} settings ({methods})"
        seeds = f"{len(c.seeds)} seed" + ("s" if len(c.seeds) != 1 else "")
        self.emit(f"[sweep] {len(self.cells)} cells ({settings} x {seeds}), {done_before} already done; "
                  f"outputs in {self.out_dir}")
        self._note_other_cells()
        limit = self.pack_limit(teacher) if self._unfinished() else None  # no pack size advice when all are done
        seconds_per_cell = []
        while limit:
            pack, epoch = self._next_pack(limit)
            if not pack:
                break
            names = [cell.name for cell in pack]
            self.emit(f"[sweep] pack of {len(pack)} (seed {pack[0].seed}, from epoch {epoch + 1}): {', '.join(names)}")
            start = time.time()
            try:
                with self.claims.heartbeat(names):
                    results = train_pack([self.configs[cell] for cell in pack], emit=self.emit, labels=names,
                                         data=data, teacher=frozen)
                for name, result in zip(names, results):
                    self.status[name] = result["status"]
                    if result["status"] == "failed":
                        self.claims.mark_failed(name, f"error: {result['error']}")
                        self.emit(f"[sweep] {name} failed: {result['error']}")
            finally:
                for name in names:
                    self.claims.release(name)
            seconds_per_cell.append((time.time() - start) / len(pack))
            left = len(self._unfinished())
            per_cell = float(np.mean(seconds_per_cell))
            self.emit(f"[sweep] pack done in {logs.duration(time.time() - start)} ({logs.duration(per_cell)} per "
                      f"cell); {left} cells left, ETA {logs.duration(per_cell * left)} at this worker's pace")
        held = self._unfinished()
        if held:
            self.emit(f"[sweep] {len(held)} cells are held by other workers; run again with --report_only True when "
                      f"they finish")
        return self.status


def run_sweep(config, emit=None):
    """Everything ``python -m ats_ms sweep`` does for a ``sweep`` RunConfig: train this worker's share of the grid
    (unless ``report_only``), then write and print the report.

    Args:
        config (RunConfig): from ``make_config("sweep", ...)``.
        emit (callable | None): receives each output line (default: the ``ats_ms`` logger).

    Returns:
        dict: {cell name: done | failed} of the cells this worker trained.

    Raises:
        UserError: bad input, flags other than those the cells were trained with, or (``report_only``) a damaged
        cell; a refused report writes nothing.
    """
    from ats_ms.utils import device
    emit = emit or logs.log_line
    if os.environ.get("MS_ROLE") == "MS_SCHED":
        emit("[sweep] msrun scheduler process: the workers share the grid through claim files; nothing to do here")
        return {}
    from ats_ms.utils.errors import UserError
    from ats_ms.utils.files import make_dir
    out_dir = out_dir_of(config)
    status = {}
    if config.report_only and not os.path.isdir(cell_dirs(out_dir)["log_dir"]):
        raise UserError(f"--report_only: {out_dir} holds no sweep (no logs folder); expected the --out_dir of a "
                        f"sweep (default outputs/sweep/<name of its --config>)")
    if not config.report_only:
        make_dir("out_dir", out_dir)
        device.configure(config.device_target, config.device_id, config.mode, config.seeds[0])
        status = SweepWorker(config, emit).run()
    from ats_ms.sweep.report import report
    title = os.path.splitext(os.path.basename(config.config))[0] if config.config else ""
    cells = sweep_cells(config, out_dir)
    if config.report_only:
        check_reported_cells(config, out_dir, cells)
    lines, figure = report(out_dir, cells, title, config.heatmap, classic=not config.grid)
    if figure is None:
        from ats_ms.analysis.figures import pyplot
        figure_line = "figure skipped: " + ("no cell has finished yet" if pyplot() else
                                            "matplotlib is not installed")
    else:
        figure_line = f"figure: {figure}"
    for line in lines + [f"table: {os.path.join(out_dir, 'sweep.csv')} and sweep.json", figure_line]:
        emit(line)
    return status
