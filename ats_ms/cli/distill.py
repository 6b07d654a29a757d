"""``python -m ats_ms distill``: distillation from a frozen teacher with any registered method (``--kd_way``; the
demo's run_distill.py flags)."""
import sys

from ats_ms.cli.classify import _train
from ats_ms.cli.common import command_main

main = command_main("distill", _train)

if __name__ == "__main__":
    sys.exit(main())
