"""Shared test set-up: quiet MindSpore logs, the CPU oneDNN setting, and a fixture for the execution mode."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

os.environ.setdefault("GLOG_v", "3")
os.environ.setdefault("ONEDNN_MAX_CPU_ISA", "AVX2")
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(params=["graph", "pynative"])
def ms_mode(request):
    """Run the test once in GRAPH and once in PYNATIVE mode on CPU; yields the mode name."""
    import mindspore as ms
    ms.set_device("CPU")
    ms.set_context(mode=ms.GRAPH_MODE if request.param == "graph" else ms.PYNATIVE_MODE)
    yield request.param
    ms.set_context(mode=ms.GRAPH_MODE)


def run_cli(*args, cwd=None, timeout=600, env=None):
    """Run ``python -m ats_ms ARGS`` in a fresh process; returns the CompletedProcess (text mode)."""
    full_env = dict(os.environ, PYTHONPATH=str(ROOT), **(env or {}))
    return subprocess.run([sys.executable, "-m", "ats_ms", *map(str, args)], cwd=cwd or ROOT, env=full_env,
                          capture_output=True, text=True, timeout=timeout)
