"""``python -m ats_ms sweep``: ATS distillation over a tp_tau x t_tau grid (and seeds), packed, resumable, shared.

Every flag of ``distill`` goes to every cell; the teacher comes from the config (``t_ckpt``, else its ``ckpt_dir``).
Cells of one seed train ``--pack`` at a time sharing one teacher forward. Under msrun (scripts/run_sweep_gpu.sh,
run_sweep_ascend.sh) each worker uses its DEVICE_ID and takes cells through claim files; msrun's scheduler process
has nothing to do and exits. ``--report_only True`` only gathers the grid.
"""
import os
import sys

from ats_ms.cli.common import command_main


def _sweep(config):
    from ats_ms.analysis import sweep
    from ats_ms.utils import device
    if os.environ.get("MS_ROLE") == "MS_SCHED":
        print("[sweep] msrun scheduler process: the workers share the grid through claim files; nothing to do here")
        return 0
    if os.environ.get("MS_ROLE") == "MS_WORKER" and config.sources["device_id"] == "default":
        config = config.replace(device_id=int(os.environ.get("DEVICE_ID", "0")))
    out_dir = sweep.out_dir_of(config)
    status = {}
    if not config.report_only:
        device.configure(config.device_target, config.device_id, config.mode, config.seed)
        status = sweep.SweepWorker(config).run()
    title = os.path.splitext(os.path.basename(config.config))[0] if config.config else ""
    lines, figure = sweep.report(out_dir, config.tp_taus, config.t_taus, config.seeds, title)
    print("\n".join(lines))
    print(f"table: {os.path.join(out_dir, 'sweep.csv')}")
    print(f"figure: {figure}" if figure else "figure skipped: matplotlib is not installed")
    return 3 if "failed" in status.values() else 0


main = command_main("sweep", _sweep)

if __name__ == "__main__":
    sys.exit(main())
