"""The command line: the bad-input matrix (in this process, through the CLI's main function; a few in fresh processes
for the exit status and no-traceback contract), --help of every command and script, and the layering rule (nothing
below the command line imports it)."""
import ast
import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cifar_fixtures import write_binary_layout
from conftest import ROOT, run_cli

ms = pytest.importorskip("mindspore")

from ats_ms.models import create_model  # noqa: E402
from ats_ms.models.checkpoint import save_network  # noqa: E402


def _snapshot(root):
    out = {}
    for folder, _, files in os.walk(root):
        for name in files:
            path = os.path.join(folder, name)
            with open(path, "rb") as f:
                out[os.path.relpath(path, root)] = hashlib.sha256(f.read()).hexdigest()
    return out


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """A folder with tiny CIFAR-10 data, a ResNet8 teacher checkpoint (10 classes, no record) and broken files."""
    root = tmp_path_factory.mktemp("ws")
    write_binary_layout(str(root / "data"), "cifar10", n_train=10, n_test=5)
    write_binary_layout(str(root / "baddata"), "cifar10", n_train=10, n_test=5)
    bad_file = root / "baddata" / "cifar-10-batches-bin" / "test_batch.bin"
    bad_file.write_bytes(bad_file.read_bytes()[:-7])
    write_binary_layout(str(root / "data100"), "cifar100", n_train=30, n_test=15)
    (root / "ckpts").mkdir()
    ms.set_device("CPU")
    save_network(create_model("ResNet8", 10), str(root / "ckpts" / "cifar10-ResNet8.ckpt"))
    save_network(create_model("VGG8", 10), str(root / "ckpts" / "vgg.ckpt"))
    good = (root / "ckpts" / "cifar10-ResNet8.ckpt").read_bytes()
    (root / "ckpts" / "truncated.ckpt").write_bytes(good[: len(good) // 3])
    (root / "ckpts" / "corrupt.ckpt").write_bytes(b"\x13\x37" * 4000)
    (root / "a_file").write_text("not a folder")
    (root / "syntax.yaml").write_text("lr: 0.1\n  epoches: [\n")
    (root / "unknown.yaml").write_text("epoches: 1\nlearning_rate: 0.1\n")
    (root / "type.yaml").write_text("epoches: one\n")
    return root


BASE = ["--dataset", "cifar10", "--data_dir", "data", "--n_classes", "10", "--ckpt_dir", "ckpts",
        "--log_dir", "logs", "--epoches", "1", "--batch_size", "8", "--download", "False"]
DISTILL = ["distill", *BASE, "--t_net_name", "ResNet8", "--net_name", "ResNet8"]
CLASSIFY = ["classify", *BASE, "--net_name", "ResNet8"]

CASES = {
    "unknown network": (CLASSIFY + ["--net_name", "ResNet99"], ["ResNet99", "expected one of", "ResNet110"]),
    "n_classes vs teacher": (DISTILL + ["--n_classes", "100", "--data_dir", "data100", "--dataset", "cifar100",
                                        "--t_ckpt", "ckpts/cifar10-ResNet8.ckpt"],
                             ["--n_classes=100", "cifar10-ResNet8.ckpt", "10 classes"]),
    "missing teacher": (DISTILL + ["--t_ckpt", "ckpts/nope.ckpt"], ["nope.ckpt", "not found", "expected"]),
    "truncated teacher": (DISTILL + ["--t_ckpt", "ckpts/truncated.ckpt"], ["truncated.ckpt", "cannot be read"]),
    "corrupt teacher": (DISTILL + ["--t_ckpt", "ckpts/corrupt.ckpt"], ["corrupt.ckpt", "cannot be read"]),
    "other architecture": (DISTILL + ["--t_ckpt", "ckpts/vgg.ckpt"], ["vgg.ckpt", "does not match network ResNet8"]),
    "tau zero": (DISTILL + ["--tp_tau", "0"], ["--tp_tau", "0.0", "a finite number in [0.0001, 10000]"]),
    "tau negative": (DISTILL + ["--t_tau", "-1"], ["--t_tau", "-1.0", "a finite number in [0.0001, 10000]"]),
    "tau nan": (DISTILL + ["--s_tau", "nan"], ["--s_tau", "nan", "a finite number in [0.0001, 10000]"]),
    "tau inf": (DISTILL + ["--t_tau", "inf"], ["--t_tau", "inf", "a finite number in [0.0001, 10000]"]),
    "lamb": (DISTILL + ["--lamb", "1.5"], ["--lamb", "1.5", "[0, 1]"]),
    "kd_way": (DISTILL + ["--kd_way", "KL"], ["kd_way", "KL", "ATS, TS, none"]),
    "epoches": (CLASSIFY + ["--epoches", "0"], ["--epoches=0", "an integer in [1, 100000]"]),
    "batch_size": (CLASSIFY + ["--batch_size", "-4"], ["--batch_size=-4", "an integer in [1, 2147483647]"]),
    "lr": (CLASSIFY + ["--lr", "0"], ["--lr=0.0", "> 0"]),
    "seed": (CLASSIFY + ["--seed", "-5"], ["--seed=-5", "an integer in [0,"]),
    "device_id": (CLASSIFY + ["--device_id", "-1"], ["--device_id=-1", ">= 0"]),
    "missing data": (CLASSIFY + ["--data_dir", "nodata"], ["nodata", "cifar-10-batches-py/", "--download True"]),
    "corrupt data": (CLASSIFY + ["--data_dir", "baddata"], ["test_batch.bin", "truncated or corrupt"]),
    "labels out of range": (CLASSIFY + ["--dataset", "cifar100", "--data_dir", "data100", "--n_classes", "10"],
                            ["--n_classes=10", "labels in [0, 9]"]),
    "yaml syntax": (CLASSIFY + ["--config", "syntax.yaml"], ["syntax.yaml", "YAML syntax error at line"]),
    "yaml unknown key": (CLASSIFY + ["--config", "unknown.yaml"], ["unknown.yaml", "learning_rate", "expected"]),
    "yaml type": (CLASSIFY + ["--config", "type.yaml"], ["type.yaml", "epoches='one'", "an integer"]),
    "unwritable ckpt_dir": (CLASSIFY + ["--ckpt_dir", "a_file/sub"], ["--ckpt_dir=a_file/sub", "writable folder"]),
    "unwritable log_dir": (CLASSIFY + ["--log_dir", "a_file/logs", "--ckpt_name", "new.ckpt"],
                           ["--log_dir=a_file/logs", "writable folder"]),
    "ckpt_name is the teacher": (DISTILL + ["--ckpt_name", "cifar10-ResNet8.ckpt"],
                                 ["--ckpt_name=cifar10-ResNet8.ckpt", "overwrite the teacher"]),
    "existing checkpoint": (CLASSIFY + ["--ckpt_name", "vgg.ckpt"], ["vgg.ckpt", "already exists", "--overwrite"]),
    "GPU missing": (CLASSIFY + ["--device_target", "GPU"], ["--device_target=GPU", "cannot use a GPU"]),
    "Ascend missing": (CLASSIFY + ["--device_target", "Ascend"], ["--device_target=Ascend", "cannot use a Ascend"]),
    "unknown flag": (CLASSIFY + ["--learning_rate", "0.1"], ["unrecognized arguments: --learning_rate"]),
    "abbreviated flag": (["sweep", "--seed", "2"], ["unrecognized arguments: --seed"]),
    "bad boolean": (CLASSIFY + ["--download", "maybe"], ["--download", "maybe", "boolean"]),
    "sync_bn on CPU": (CLASSIFY + ["--sync_bn", "True", "--distribute", "True"], ["--sync_bn True", "GPU or Ascend"]),
    "demo style WRN": (CLASSIFY + ["--net_name", "WRN16-1", "--net_style", "demo"], ["net_style demo", "WRN16-1"]),
    "bench rounds": (["bench", "--rounds", "0"], ["--rounds=0", ">= 1"]),
    "sweep grid": (["sweep", "--tp_taus", "1,x"], ["--tp_taus='1,x'", "comma-separated"]),
    "sweep seeds repeated": (["sweep", "--seeds", "0,0"], ["--seeds='0,0'", "repeats a value"]),
    "sweep distribute": (["sweep", "--distribute", "True"], ["--distribute True", "run_sweep_gpu.sh"]),
    "sweep lr_scale": (["sweep", "--lr_scale", "linear"], ["--lr_scale linear", "separate cells"]),
    "sweep teacher": (["sweep", "--t_ckpt", "ckpts/nope.ckpt"], ["nope.ckpt", "not found"]),
    "eval no file": (["eval", "--ckpt", "ckpts/nope.ckpt"], ["nope.ckpt", "no such file"]),
    "analyze pairs": (["analyze", "--ckpt", "ckpts/cifar10-ResNet8.ckpt", "--pairs", "4:x"], ["--pairs", "4:x"]),
    "export AIR on CPU": (["export", "--ckpt", "ckpts/vgg.ckpt", "--n_classes", "10", "--file_format", "AIR"],
                          ["AIR needs --device_target Ascend"]),
    "convert missing net": (["convert", "--src", "x.pth", "--dst", "y.ckpt"], ["--net_name is required"]),
    "unknown command": (["fly"], ["unknown command 'fly'", "expected one of"]),
    "log_name empty": (CLASSIFY + ["--log_name", ""], ["--log_name=''", "not a file name"]),
    "no step per epoch": (CLASSIFY + ["--batch_size", "16", "--drop_last", "True"],
                          ["no training step per epoch: 10 training images", "--batch_size at most 10"]),
    "log_name with a folder": (CLASSIFY + ["--log_name", "sub/x.log"], ["--log_name='sub/x.log'", "not a file name"]),
    "batch_size huge": (CLASSIFY + ["--batch_size", "3000000000"], ["--batch_size=3000000000", "2147483647"]),
    "epoches huge": (CLASSIFY + ["--epoches", "10000000000000"], ["--epoches=10000000000000", "100000"]),
    "tau tiny": (DISTILL + ["--s_tau", "1e-300"], ["--s_tau", "[0.0001, 10000]"]),
    "lr_scale without distribute": (CLASSIFY + ["--lr_scale", "linear"], ["--lr_scale linear", "--distribute True"]),
    "sweep out_dir is a file": (["sweep", "--t_ckpt", "ckpts/cifar10-ResNet8.ckpt", "--out_dir", "a_file"],
                                ["--out_dir=a_file", "is a file"]),
    "sweep report of no sweep": (["sweep", "--report_only", "True", "--out_dir", "no_sweep_here"],
                                 ["no_sweep_here holds no sweep"]),
    "eval json under a file": (["eval", "--ckpt", "ckpts/vgg.ckpt", "--n_classes", "10", "--json", "a_file/x.json"],
                               ["a_file", "cannot be created or written"]),
    "analyze out_dir is a file": (["analyze", "--ckpt", "ckpts/cifar10-ResNet8.ckpt", "--out_dir", "a_file"],
                                  ["--out_dir=a_file", "is a file"]),
    "bench json is a folder": (["bench", "--json", "ckpts"], ["--json=ckpts", "is a folder"]),
    "log_name too long": (CLASSIFY + ["--log_name", "x" * 300], ["--log_name", "too long for the file system"]),
    "ckpt_name too long": (CLASSIFY + ["--ckpt_name", "y" * 240 + ".ckpt"], ["--ckpt_name", "too long"]),
    "out_dir name too long": (["sweep", "--report_only", "True", "--out_dir", "z" * 300], ["--out_dir", "too long"]),
    "ckpt is a folder": (["eval", "--ckpt", "ckpts"], ["ckpts is a folder", "--ckpt FILE"]),
    "hyper-parameter of another method": (["distill", "--kd_way", "none", "--lamb", "0.3"],
                                          ["--lamb not used by kd_way none"]),
    "TS with another tp_tau": (["distill", "--kd_way", "TS", "--t_tau", "2", "--tp_tau", "3"],
                               ["TS uses one value for --tp_tau and --t_tau"]),
    "grid without a method": (["sweep", "--grid", "tp_tau=3"], ["--grid", "names no method"]),
    "grid key of another method": (["sweep", "--grid", "kd_way=TS tp_tau=3"], ["tp_tau not a hyper-parameter of "
                                                                              "kd_way TS", "t_tau, s_tau, lamb"]),
    "grid value of the wrong type": (["sweep", "--grid", "kd_way=ATS tp_tau=a"], ["tp_tau='a'", "float values"]),
    "grid and classic grid": (["sweep", "--grid", "kd_way=TS t_tau=2", "--tp_taus", "2"], ["--grid and --tp_taus"]),
    "grid value also a flag": (["sweep", "--grid", "kd_way=ATS tp_tau=2,3", "--tp_tau", "3"],
                               ["--tp_tau given, but the grid sets it"]),
    "heatmap of unknown axis": (["sweep", "--heatmap", "TS:tp_tau,t_tau"], ["tp_tau not a hyper-parameter"]),
    "heatmap of an axis with one value": (["sweep", "--grid", "kd_way=ATS tp_tau=3,4 t_tau=2,3", "--heatmap",
                                          "ATS:tp_tau,lamb"], ["the grid gives lamb one value"]),
    "export device disagrees": (["export", "--ckpt", "ckpts/vgg.ckpt", "--n_classes", "10", "--device", "GPU",
                                 "--device_target", "CPU"], ["--device GPU and --device_target CPU"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input(workspace, cli, monkeypatch, case):
    argv, needles = CASES[case]
    monkeypatch.chdir(workspace)
    before = _snapshot(workspace)
    result = cli(*argv)
    assert result.returncode == 2, result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and result.stderr.strip() == errors[0], result.stderr
    assert all(n in errors[0] for n in needles), errors[0]
    assert "expected" in errors[0]
    assert _snapshot(workspace) == before
    assert not (workspace / "logs").exists()


@pytest.mark.parametrize("case", ["other architecture", "yaml syntax", "unknown flag"])
def test_bad_input_in_a_fresh_process_exits_2_without_traceback(workspace, case):
    argv, needles = CASES[case]
    proc = run_cli(*argv, cwd=workspace)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error:") and all(n in proc.stderr for n in needles)


COMMANDS = ("classify", "distill", "sweep", "eval", "export", "analyze", "convert", "demo", "bench", "check")
GROUPS = ("data:", "networks:", "training:", "distillation:", "outputs:", "device:")


@pytest.mark.parametrize("command", COMMANDS)
def test_help_of_every_command_shows_groups_defaults_and_choices(cli, command):
    result = cli(command, "--help")
    assert result.returncode == 0 and result.stderr == "", result.stderr
    text = " ".join(result.stdout.split())
    assert f"usage: python -m ats_ms {command}" in text and "default:" in text
    if command in ("classify", "distill", "sweep"):
        groups = [g for g in GROUPS if command != "classify" or g != "distillation:"]
        assert all(f"\n{group}" in result.stdout for group in groups)
        from ats_ms.data import dataset_names
        assert all(f"{name} (" in text for name in dataset_names()) and "tiny-imagenet (" in text
    if command == "distill":
        assert "--kd_way" in text and "one of: ATS, TS, none" in text and "(default: VGG8" in text


@pytest.mark.parametrize("script", ["run_classify.py", "run_distill.py", "export.py", "run_sweep.py"])
def test_help_of_every_script(script):
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / script), "--help"], capture_output=True, text=True,
                          timeout=120, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert "default:" in proc.stdout and "device:" in proc.stdout


SHELL_SCRIPTS = sorted(p.name for p in (ROOT / "scripts").glob("run_*.sh") if p.name not in ("run_demo.sh",
                                                                                             "run_tests.sh"))


@pytest.mark.parametrize("script", SHELL_SCRIPTS)
def test_help_of_every_shell_script_prints_its_header_without_set_up(script, tmp_path):
    text = (ROOT / "scripts" / script).read_text()
    delegate = re.findall(r'^DEVICE_TARGET=\S+ exec bash .*/(\w+\.sh)"', text, re.M)  # wrappers exec a shared script
    shown = (ROOT / "scripts" / (delegate[0] if delegate else script)).read_text().splitlines()[1][2:]
    proc = subprocess.run(["bash", str(ROOT / "scripts" / script), "--help"], capture_output=True, text=True,
                          timeout=60, cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout.splitlines()[0] == shown, proc.stdout + proc.stderr
    assert not list(tmp_path.iterdir())  # nothing created, no environment set up


def test_shell_scripts_print_usage_without_arguments():
    for script in ("run_standalone_train_gpu.sh", "run_distribute_train.sh", "run_sweep_gpu.sh"):
        proc = subprocess.run(["bash", str(ROOT / "scripts" / script)], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2 and "usage:" in proc.stderr, script


def test_top_level_help(cli):
    result = cli("--help")
    assert result.returncode == 0 and all(command in result.stdout for command in COMMANDS)


def _library_nodes():
    """(file, syntax node) of every module below the command line (all of ats_ms but cli/ and __main__)."""
    for path in (ROOT / "ats_ms").rglob("*.py"):
        rel = path.relative_to(ROOT).as_posix()
        if not (rel.startswith("ats_ms/cli/") or rel == "ats_ms/__main__.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                yield rel, node


def _imported(node):
    names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
        [node.module or ""] if isinstance(node, ast.ImportFrom) else []
    return [n for n in names if n == "ats_ms" or n.startswith("ats_ms.")]


def test_nothing_below_the_command_line_imports_it():
    offenders = []
    for rel, node in _library_nodes():
        offenders += [f"{rel}: {n}" for n in _imported(node) if n == "ats_ms.cli" or n.startswith("ats_ms.cli.")]
    assert not offenders


# The layers, lowest first: a module imports only from its own layer or below (function-level imports included).
LAYERS = (("utils", "reference", "plugins"), ("losses", "models", "data", "verify"), ("config", "sweep.grid"),
          ("engine", "convert"), ("api",), ("analysis",), ("sweep", "demo", "bench"), ("cli", "__main__"))
LAYER_OF = {name: level for level, names in enumerate(LAYERS) for name in names}


def _layer(module):
    """The layer of ``ats_ms.X[.Y]`` (or of the file ats_ms/X[/Y].py): of ``X.Y`` where it is listed, else of
    ``X``; None for the package facade."""
    parts = module.split(".")
    if len(parts) < 2:
        return None
    return LAYER_OF.get(".".join(parts[1:3]), LAYER_OF[parts[1]])


def test_layer_order_holds_for_every_import():
    """utils/reference < losses/models/data/verify < config (with the grid syntax, which the flag table validates
    with) < engine/convert < api < analysis < sweep/demo/bench < cli: the engine imports the flag table's facts from
    config; nothing below passes them down by copy."""
    offenders, seen = [], set()
    for path in (ROOT / "ats_ms").rglob("*.py"):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        if path.name == "__init__.py" and path.parent.name == "ats_ms":
            continue  # the public facade imports lazily by name
        seen.add(module.split(".")[1])
        for node in ast.walk(ast.parse(path.read_text())):
            for name in _imported(node):
                if _layer(name) is not None and _layer(name) > _layer(module):
                    offenders.append(f"{module} imports {name}")
    assert seen <= set(LAYER_OF), f"modules outside the layers: {seen - set(LAYER_OF)}"
    assert not offenders, offenders


def _constants(node):
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def test_no_code_builds_argv_for_itself():
    """The library calls the API, never its own command line: no list holding a "--flag" string, no process started
    on ``-m ats_ms`` (or its cli modules) and no parse_argv() below the command line (the demo and the sweep used to
    build argv lists)."""
    offenders = []
    for rel, node in _library_nodes():
        if isinstance(node, (ast.List, ast.Tuple)):
            flags = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)
                     and re.fullmatch(r"--[a-z][a-z_]*", e.value)]
            if flags:
                offenders.append(f"{rel}:{node.lineno} {flags[:3]}")
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            if name == "parse_argv":
                offenders.append(f"{rel}:{node.lineno} parse_argv()")
            if name in ("run", "Popen", "call", "check_call", "check_output", "system", "execv", "execvp") and any(
                    v in ("ats_ms", "ats_ms.__main__") or v.startswith("ats_ms.cli") or "-m ats_ms " in v
                    for v in _constants(node)):
                offenders.append(f"{rel}:{node.lineno} starts python -m ats_ms")
    assert not offenders


def test_console_command_is_declared_and_installed():
    text = (ROOT / "pyproject.toml").read_text()
    assert 'ats-ms = "ats_ms.__main__:main"' in text
    exe = Path(sys.executable).parent / "ats-ms"  # scripts/_venv.sh installs the package into .venv
    proc = subprocess.run([str(exe), "--help"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "commands:" in proc.stdout
