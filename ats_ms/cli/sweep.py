"""``python -m ats_ms sweep``: distillations over grids of methods and hyper-parameters (``--grid``; default: the
classic ATS tp_tau x t_tau grid) and seeds, packed, resumable, shared.

The flags of ``distill`` go to every cell, but those the sweep sets per cell (the flag rows marked ``per_cell``: kd_way,
seed, output names, resume, overwrite) are skipped in its YAML and refused on its command line, and data-parallel
flags are refused; the teacher comes from the config (``t_ckpt``, else its ``ckpt_dir``).
Cells of one seed train ``--pack`` at a time sharing one teacher forward. Under msrun (scripts/run_sweep_gpu.sh,
run_sweep_ascend.sh) each worker uses its DEVICE_ID and takes cells through claim files. ``--report_only True`` only
gathers the grid. Exit status 3 when a cell's loss became NaN/inf (recorded in claims/<cell>.failed).
"""
import sys

from ats_ms.cli.common import command_main, print_lines


def _sweep(config):
    from ats_ms.sweep.worker import run_sweep
    status = run_sweep(config, emit=print_lines)
    return 3 if "failed" in status.values() else 0


main = command_main("sweep", _sweep)

if __name__ == "__main__":
    sys.exit(main())
