"""``python -m ats_ms distill``: distillation from a frozen teacher with any registered method (``--kd_way``; the
demo's run_distill.py flags)."""
import sys

from ats_ms.cli.common import command_main, train_command

main = command_main("distill", train_command)

if __name__ == "__main__":
    sys.exit(main())
