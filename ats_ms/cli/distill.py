"""``python -m ats_ms distill``: ATS/TS distillation from a frozen teacher (the demo's run_distill.py)."""
import sys

from ats_ms.cli.train import make_main

main = make_main("distill")

if __name__ == "__main__":
    sys.exit(main())
