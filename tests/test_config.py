"""Flags and YAML: precedence, unknown keys, types, syntax errors, boolean parsing, every shipped config loads."""
from pathlib import Path

import pytest

from ats_ms.engine.trainer import validate
from ats_ms.utils.config import COMMAND_FLAGS, resolve, save_effective
from ats_ms.utils.errors import UserError

ROOT = Path(__file__).resolve().parents[1]


def _resolve(command, argv):
    return resolve("test", COMMAND_FLAGS[command], argv)[0]


def test_demo_defaults():
    c = _resolve("distill", [])
    assert (c.dataset, c.data_dir, c.download, c.n_classes, c.epoches, c.lr, c.momentum, c.batch_size) == \
        ("cifar100", "./data/", True, 100, 240, 0.03, 0.9, 128)
    assert (c.t_net_name, c.net_name, c.kd_way, c.s_tau, c.t_tau, c.tp_tau, c.lamb) == \
        ("ResNet14", "VGG8", "ATS", 1.0, 3.0, 4.0, 0.5)
    assert _resolve("classify", []).net_name == "ResNet14"


@pytest.mark.parametrize("text,value", [("False", False), ("false", False), ("0", False), ("no", False),
                                        ("True", True), ("1", True), ("yes", True)])
def test_booleans_parse_properly(text, value):
    assert _resolve("classify", ["--download", text]).download is value


def test_precedence_defaults_yaml_cli(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("lr: 0.05\nepoches: 7\ndownload: false\nkd_way: ts\n")
    c, sources = resolve("test", COMMAND_FLAGS["distill"], ["--config", str(cfg), "--epoches", "3"])
    assert (c.lr, c.epoches, c.download, c.kd_way, c.batch_size) == (0.05, 3, False, "TS", 128)
    assert (sources["lr"], sources["epoches"], sources["batch_size"]) == ("yaml", "cli", "default")


@pytest.mark.parametrize("text,message", [
    ("lrr: 0.1\n", r"unknown key\(s\) lrr"),
    ("lr: [1, 2]\n", r"lr=\[1, 2\] has the wrong type; expected a number"),
    ("epoches: 2.5\n", r"epoches=2.5 has the wrong type; expected an integer"),
    ("download: maybe\n", r"download='maybe' has the wrong type; expected a boolean"),
    ("lr: 0.1\n  bad: [\n", r"YAML syntax error at line"),
    ("- 1\n- 2\n", r"expected a mapping"),
    ("kd_way: KL\n", r"kd_way='KL' is not allowed; expected one of ATS, TS, none"),
])
def test_bad_yaml(tmp_path, text, message):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(text)
    with pytest.raises(UserError, match=message):
        _resolve("distill", ["--config", str(cfg)])


def test_bad_cli_values():
    with pytest.raises(UserError, match="--epoches"):
        _resolve("classify", ["--epoches", "two"])
    with pytest.raises(UserError, match="unrecognized arguments: --bogus"):
        _resolve("classify", ["--bogus", "1"])


@pytest.mark.parametrize("path", sorted((ROOT / "configs").rglob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_config_loads_and_validates(path):
    command = "distill" if "kd_way" in path.read_text() else "classify"
    config = _resolve(command, ["--config", str(path)])
    validate(config, command)
    assert config.ckpt_name.endswith(".ckpt")


def test_effective_config_round_trips(tmp_path):
    c = _resolve("distill", ["--lr", "0.01", "--kd_way", "TS"])
    save_effective(c, tmp_path / "eff.yaml")
    again = _resolve("distill", ["--config", str(tmp_path / "eff.yaml")])
    assert vars(again) == dict(vars(c), config=str(tmp_path / "eff.yaml"))
