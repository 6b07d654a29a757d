"""Shim with the demo's name: ``python scripts/run_classify.py FLAGS`` is ``python -m ats_ms classify FLAGS``."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from ats_ms.cli.classify import main  # noqa: E402

sys.exit(main())
