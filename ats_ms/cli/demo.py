"""``python -m ats_ms demo``: the main job (what ``bash scripts/run_demo.sh`` runs)."""
import sys

from ats_ms.cli.common import command_main, print_lines


def _demo(config):
    from ats_ms.demo import run_demo
    from ats_ms.utils import device
    device.configure(config.device_target, config.device_id, "graph", 0)
    run_demo(config, emit=print_lines)
    return 0


main = command_main("demo", _demo)

if __name__ == "__main__":
    sys.exit(main())
