"""Shared test set-up: garbage frozen between tests, quiet MindSpore logs, the CPU oneDNN setting, the execution-mode
fixture, the command line run in this process (``cli``) or in a fresh one (``run_cli``), TinyNet for the end-to-end
runs (tests/tiny_net.py) and tiny teachers trained once per run, shared by the xdist workers (digits: ResNet8 and
TinyNet; an ImageFolder's)."""
import fcntl
import gc
import json
import os
import shutil
import subprocess
import sys
import time
from collections import namedtuple
from pathlib import Path

import pytest

os.environ.setdefault("GLOG_v", "3")
os.environ.setdefault("ONEDNN_MAX_CPU_ISA", "AVX2")
ROOT = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent
Result = namedtuple("Result", "returncode stdout stderr")
# Small digits runs: 256 training and 128 test images, batches of 64 (4 steps per epoch).
TINY = ["--dataset", "digits", "--n_classes", "10", "--max_train", "256", "--max_test", "128", "--batch_size", "64",
        "--print_every", "0", "--download", "False"]
TINY_KW = dict(dataset="digits", n_classes=10, max_train=256, max_test=128, batch_size=64, print_every=0,
               download=False)


def pytest_configure(config):
    """Refuse ``--dist loadgroup`` with pytest 9 and pytest-xdist 3.8 or older: xdist then tags no test with its
    ``xdist_group`` (pytest 9 reads a node id xdist does not set), so grouped tests spread over the processes and each
    process computes their session fixtures (msrun runs, reference grids) again."""
    if hasattr(config, "workerinput") or config.getoption("dist", "no") != "loadgroup":
        return
    from importlib.metadata import version
    pytest_major = int(pytest.__version__.split(".")[0])
    xdist = tuple(int(part) for part in version("pytest-xdist").split(".")[:2])
    if pytest_major >= 9 and xdist <= (3, 8):
        raise pytest.UsageError(f"pytest {pytest.__version__} breaks --dist loadgroup of pytest-xdist "
                                f"{version('pytest-xdist')}; expected pytest<9 (requirements.txt)")


def pytest_runtest_setup(item):
    """Collect the previous tests' garbage, then freeze what survives: MindSpore runs a full ``gc.collect()`` before
    every graph compile, which would otherwise rescan the whole session's objects (hundreds of thousands) each time."""
    gc.collect()
    gc.freeze()


@pytest.fixture(params=["graph", "pynative"])
def ms_mode(request):
    """Run the test once in GRAPH and once in PYNATIVE mode on CPU; yields the mode name."""
    import mindspore as ms
    ms.set_device("CPU")
    ms.set_context(mode=ms.GRAPH_MODE if request.param == "graph" else ms.PYNATIVE_MODE)
    yield request.param
    ms.set_context(mode=ms.GRAPH_MODE)


@pytest.fixture
def cli(capsys):
    """``cli(*args)``: ``python -m ats_ms ARGS`` through its main function in this process -> Result."""
    from ats_ms.__main__ import main

    def run(*args):
        capsys.readouterr()
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # argparse --help
            code = exc.code
        out = capsys.readouterr()
        return Result(code, out.out, out.err)
    return run


# Installed through PYTHONPATH as sitecustomize (see subprocess_env): SIGKILLs the process right before the N-th resume
# checkpoint is renamed into place (its temporary file fully written), i.e. in the middle of a checkpoint write.
KILL_DURING_WRITE = """
import os, signal
_replace, _count = os.replace, [0]
def replace(src, dst, *a, **k):
    if str(dst).endswith('.resume.ckpt'):
        _count[0] += 1
        if _count[0] == int(os.environ['KILL_AT_WRITE']):
            os.kill(os.getpid(), signal.SIGKILL)
    return _replace(src, dst, *a, **k)
os.replace = replace
"""


def subprocess_env(extra_path=None, tiny=False, **kw):
    """The environment of a fresh ``python -m ats_ms`` process (``extra_path`` first on PYTHONPATH); with ``tiny``
    it loads TinyNet as a plugin."""
    path = os.pathsep.join([p for p in (extra_path, str(ROOT), str(TESTS) if tiny else None) if p])
    if tiny:
        from tiny_net import PLUGIN_MODULE
        kw["ATS_MS_PLUGINS"] = PLUGIN_MODULE
    return dict(os.environ, PYTHONPATH=path, PYTHONUNBUFFERED="1", **kw)


def kill_hook(folder, at_write, tiny=False):
    """The environment of a fresh process that SIGKILLs itself at its ``at_write``-th resume write."""
    folder.mkdir(exist_ok=True)
    (folder / "sitecustomize.py").write_text(KILL_DURING_WRITE)
    return subprocess_env(str(folder), tiny=tiny, KILL_AT_WRITE=str(at_write))


def run_cli(*args, cwd=None, timeout=600, env=None):
    """Run ``python -m ats_ms ARGS`` in a fresh process; returns the CompletedProcess (text mode)."""
    full_env = dict(subprocess_env(), **(env or {}))
    return subprocess.run([sys.executable, "-m", "ats_ms", *map(str, args)], cwd=cwd or ROOT, env=full_env,
                          capture_output=True, text=True, timeout=timeout)


def _train_digits_teacher(folder, net_name):
    """A ``net_name`` teacher trained 2 epochs on the tiny digits split by the API: (folder, checkpoint path,
    history)."""
    import ats_ms
    config = ats_ms.make_config("classify", net_name=net_name, epoches=2, lr=0.1, ckpt_dir=str(folder / "ckpts"),
                                log_dir=str(folder / "logs"), log_name="teacher.log", **TINY_KW)
    history = ats_ms.train(config, emit=lambda line: None)
    return folder, str(folder / "ckpts" / f"digits-{net_name}.ckpt"), history


def once_per_run(tmp_path_factory, name, make, wait_s=900):
    """``make(folder)``'s JSON-able result, computed once per test run in a folder ``name`` that the tests only read.

    Session fixtures are per process: under pytest-xdist each worker would train the same teacher. Here the workers
    share the run's temporary folder (the parent of each worker's): the first takes a file lock and computes, the
    others wait for it (``wait_s`` at most) and read ``result.json``; a failure is recorded in ``error.txt`` and
    reported by every worker, not computed again. Without xdist the folder is this process's own. The result goes
    through JSON either way.
    """
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return json.loads(json.dumps(make(tmp_path_factory.mktemp(name))))
    run_folder = tmp_path_factory.getbasetemp().parent
    folder = run_folder / name
    result_file, error_file = folder / "result.json", run_folder / f"{name}.error.txt"
    with open(run_folder / f"{name}.lock", "w") as lock:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{name}: another worker held its lock for {wait_s} s")
                time.sleep(0.2)
        if error_file.is_file():
            raise RuntimeError(f"{name} failed in another worker: {error_file.read_text()}")
        if not result_file.is_file():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            try:
                result = json.dumps(make(folder))
            except Exception as exc:
                error_file.write_text(f"{type(exc).__name__}: {exc}")
                raise
            result_file.with_suffix(".tmp").write_text(result)
            result_file.with_suffix(".tmp").replace(result_file)
        return json.loads(result_file.read_text())


def _digits_teacher_once(tmp_path_factory, name, net_name):
    """``_train_digits_teacher`` once per run (``once_per_run``)."""
    def make(folder):
        _, ckpt, history = _train_digits_teacher(folder, net_name)
        return [str(folder), ckpt, history]
    folder, ckpt, history = once_per_run(tmp_path_factory, name, make)
    return Path(folder), ckpt, history


@pytest.fixture(scope="session")
def digits_teacher(tmp_path_factory):
    """A ResNet8 teacher trained 2 epochs on the tiny digits split by the API, once per run: (folder, checkpoint
    path, history).

    Its checkpoint carries a record (ResNet8, paper, 10 classes, digits, normalize cifar).
    """
    return _digits_teacher_once(tmp_path_factory, "teacher", "ResNet8")


@pytest.fixture
def tiny_net():
    """TinyNet registered in this process for the test (tests/tiny_net.py); yields its name."""
    from tiny_net import registered
    with registered() as name:
        yield name


@pytest.fixture(scope="session")
def tiny_teacher(tmp_path_factory):
    """A TinyNet teacher trained 2 epochs on the tiny digits split by the API, once per run: (folder, checkpoint
    path, history)."""
    from tiny_net import registered
    with registered() as name:
        return _digits_teacher_once(tmp_path_factory, "tiny_teacher", name)


@pytest.fixture(scope="session")
def folder_teacher(tmp_path_factory):
    """A ResNet8 teacher of a written ImageFolder at 40x40, once per run: (data folder, checkpoint)
    (``image_fixtures``)."""
    from image_fixtures import train_folder_teacher

    def make(folder):
        data, ckpt = train_folder_teacher(folder)
        return [str(data), ckpt]
    data, ckpt = once_per_run(tmp_path_factory, "folder_teacher", make)
    return Path(data), ckpt
