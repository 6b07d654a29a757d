"""``python -m ats_ms classify``: train a teacher or a plain student (the demo's run_classify.py)."""
import sys

from ats_ms.cli.common import command_main, train_command

main = command_main("classify", train_command)

if __name__ == "__main__":
    sys.exit(main())
