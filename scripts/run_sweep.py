"""Shim run by msrun workers: ``python scripts/run_sweep.py FLAGS`` is ``python -m ats_ms sweep FLAGS``."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from ats_ms.cli.sweep import main  # noqa: E402

sys.exit(main())
