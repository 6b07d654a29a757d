"""The flag table and make_config: precedence, YAML, types, every numeric range, one source of truth for allowed
values, records of teacher checkpoints, every shipped config, docs/flags.md generated from the table."""
from pathlib import Path

import pytest

import ats_ms
from ats_ms.cli.common import parse
from ats_ms.config.flags import COMMANDS, FLAGS, flags_of, markdown
from ats_ms.config.run_config import RunConfig
from ats_ms.config.sources import save_effective
from ats_ms.utils.errors import UserError

ROOT = Path(__file__).resolve().parents[3]


def test_demo_defaults():
    c = parse("distill", ["--kd_way", "none"])
    assert (c.dataset, c.data_dir, c.download, c.n_classes, c.epoches, c.lr, c.momentum, c.batch_size) == \
        ("cifar100", "./data/", True, 100, 240, 0.03, 0.9, 128)
    assert (c.t_net_name, c.net_name, c.s_tau, c.t_tau, c.tp_tau, c.lamb) == \
        ("ResNet14", "VGG8", None, None, None, None)
    from ats_ms.losses import registry  # none ignores them; the demo's defaults are ATS's and TS's own
    assert registry.get("ATS").defaults() == {"tp_tau": 4.0, "t_tau": 3.0, "s_tau": 1.0, "lamb": 0.5,
                                              "logit_std": False}
    assert registry.get("TS").defaults() == {"t_tau": 3.0, "s_tau": 1.0, "lamb": 0.5, "logit_std": False}
    assert parse("classify", []).net_name == "ResNet14"
    export = flags_of("export")  # the demo's export.py defaults
    assert (export["ckpt_name"].default, export["t_net_name"].default, export["net_name"].default) == \
        ("cifar100-ResNet14.ckpt", "ResNet14", "VGG8")


@pytest.mark.parametrize("text,value", [("False", False), ("false", False), ("0", False), ("no", False),
                                        ("True", True), ("1", True), ("yes", True)])
def test_booleans_parse_properly(text, value):
    assert parse("classify", ["--download", text]).download is value
    assert parse("classify", ["--resume"]).resume is True  # a bare boolean flag means True


def test_precedence_defaults_yaml_overrides(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("lr: 0.05\nepoches: 7\ndownload: false\nkd_way: none\n")
    c = parse("distill", ["--config", str(cfg), "--epoches", "3"])
    assert (c.lr, c.epoches, c.download, c.kd_way, c.batch_size) == (0.05, 3, False, "none", 128)
    assert (c.sources["lr"], c.sources["epoches"], c.sources["batch_size"]) == ("yaml", "given", "default")
    api = ats_ms.make_config("distill", str(cfg), epoches=3)
    assert api.to_dict() == c.to_dict()


def test_yaml_given_as_the_config_keyword_is_read_and_none_is_refused(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("net_name: VGG8\n")
    assert ats_ms.make_config("classify", config=str(cfg)).net_name == "VGG8"
    assert ats_ms.make_config("classify", str(cfg)).replace(lr=0.2).net_name == "VGG8"  # replace keeps the YAML
    with pytest.raises(UserError, match="lr=None is invalid"):
        ats_ms.make_config("classify", lr=None)
    with pytest.raises(UserError, match="lr=None is invalid"):
        cfg.write_text("lr: ~\n")
        ats_ms.make_config("classify", str(cfg))


def test_run_config_is_read_only_and_replace_revalidates():
    c = ats_ms.make_config("classify", lr=0.1)
    with pytest.raises(AttributeError, match="read-only"):
        c.lr = 0.2
    assert c.replace(lr=0.2).lr == 0.2 and c.lr == 0.1
    with pytest.raises(UserError, match="lr=-1.0 is invalid"):
        c.replace(lr=-1)
    with pytest.raises(TypeError, match="make_config"):
        RunConfig("classify", {}, {}, None)


def test_a_trainer_cannot_be_built_from_an_unvalidated_config():
    import argparse

    from ats_ms.engine.trainer import Trainer
    with pytest.raises(TypeError, match="make_config"):
        Trainer(argparse.Namespace(**ats_ms.make_config("classify").to_dict()))
    with pytest.raises(TypeError, match="make_config"):
        ats_ms.train(object())


@pytest.mark.parametrize("text,message", [
    ("lrr: 0.1\n", r"unknown key\(s\) lrr"),
    ("lr: [1, 2]\n", r"lr=\[1, 2\] has the wrong type; expected a number"),
    ("epoches: 2.5\n", r"epoches=2.5 has the wrong type; expected an integer"),
    ("download: maybe\n", r"download='maybe' has the wrong type; expected a boolean"),
    ("lr: 0.1\n  bad: [\n", r"YAML syntax error at line"),
    ("- 1\n- 2\n", r"expected a mapping"),
    ("kd_way: KL\n", r"kd_way='KL' is not allowed; expected one of ATS, TS, none"),
    ("seed: -5\n", r"seed=-5 is invalid; expected an integer in \[0, 4294967295\]"),
])
def test_bad_yaml(tmp_path, text, message):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(text)
    with pytest.raises(UserError, match=message):
        ats_ms.make_config("distill", str(cfg))


def test_sweep_sets_the_cells_keys_itself(tmp_path):
    cfg = tmp_path / "distill.yaml"
    cfg.write_text("kd_way: TS\ntp_tau: 9\nseed: 3\nckpt_name: x.ckpt\nlog_name: x.log\nlamb: 0.25\n")
    config = ats_ms.make_config("sweep", str(cfg), report_only=True)  # a training YAML: its per-run keys skipped
    assert config.lamb == 0.25 and "kd_way" not in config.to_dict() and "seed" not in config.to_dict()
    with pytest.raises(UserError, match="unknown flag"):
        ats_ms.make_config("sweep", kd_way="TS", report_only=True)


# Per numeric flag: a value outside its range (each is refused with the flag and value named).
OUT_OF_RANGE = {"device_id": -1, "seed": -5, "n_classes": 0, "batch_size": 0, "num_workers": -1, "max_train": -1,
                "max_test": -2, "n_layer": 0, "epoches": 0, "lr": 0.0, "momentum": 1.0, "weight_decay": -1e-4,
                "print_every": -1, "t_n_layer": -3, "s_tau": 0.0, "t_tau": float("nan"), "tp_tau": float("inf"),
                "lamb": 1.5, "max_images": -1, "tp_taus": "1,-2", "t_taus": "0", "seeds": "0,-1", "pack": -1,
                "claim_timeout": 0, "steps": 0, "rounds": 0, "threads": -1, "jobs": -1, "teacher_epochs": 0,
                "student_epochs": -1, "taus": "0.5,0", "ce_weight": -0.1, "kd_weight": float("inf"), "dkd_alpha": -1,
                "dkd_beta": float("nan"), "dkd_warmup": -1, "dist_beta": -2, "dist_gamma": -0.5, "ctkd_t_start": 0,
                "ctkd_t_end": -1, "ctkd_decay_epochs": 0, "image_size": 7, "classes": "10,2"}


# Flags with an upper bound: a value above it (huge values used to end in MindSpore's or numpy's traceback).
ABOVE_RANGE = {"batch_size": 2**31, "epoches": 10**13, "n_classes": 10**11, "teacher_epochs": 10**6,
               "student_epochs": 10**6, "s_tau": 1e300, "t_tau": 1e5, "tp_tau": 2e4, "seed": 2**32, "lamb": 1.01,
               "tp_taus": "1,1e9", "t_taus": "1e-300", "taus": "0.5,1e-9", "image_size": 100000}


def test_every_numeric_flag_has_a_range_check():
    """Every numeric flag has a check; those that are not a method's hyper-parameter have a value below their range
    here (a method's, from the registry: the next test)."""
    from ats_ms.losses import registry
    numeric = {name for name, flag in FLAGS.items() if flag.type in (int, float)}
    assert numeric - set(registry.hyper_parameters()) <= set(OUT_OF_RANGE) <= numeric
    assert all(FLAGS[name].validate is not None for name in numeric)


def test_every_numeric_hyper_parameter_refuses_nan_and_inf_in_one_line():
    from ats_ms.losses import registry
    for method in registry.methods():
        for h in method.hyper:
            if h.type is bool:
                continue
            for bad in ("nan", "inf"):
                with pytest.raises(UserError, match=rf"^{h.name}=.* expected"):  # the API names keywords
                    ats_ms.make_config("distill", kd_way=method.name, **{h.name: bad})


@pytest.mark.parametrize("name,value,bound", [(n, v, "low") for n, v in sorted(OUT_OF_RANGE.items())]
                         + [(n, v, "high") for n, v in sorted(ABOVE_RANGE.items())])
def test_numeric_flag_out_of_range_is_one_clear_error(name, value, bound):
    command = next(c for c, spec in COMMANDS.items() if name in spec.flags)
    extra = {"kd_way": "none"} if command == "distill" else {"report_only": True} if command == "sweep" else {}
    expected = r"(is invalid|has the wrong type); expected" if bound == "low" else r"is invalid; expected .*(in|<=)"
    with pytest.raises(UserError, match=rf"(?<!-){name}=.* {expected}"):
        ats_ms.make_config(command, **extra, **{name: value})


def test_allowed_values_are_defined_once_and_each_schedule_has_its_recipe():
    from ats_ms.config.allowed import SCHEDULES
    from ats_ms.data import NORMALIZATIONS, dataset_names
    from ats_ms.data.registry import check_dataset
    from ats_ms.engine.lr import RECIPES
    from ats_ms.models import NET_STYLES
    from ats_ms.utils.device import DEVICES, MODES
    assert FLAGS["dataset"].validate is check_dataset and FLAGS["normalize"].choices == tuple(NORMALIZATIONS)
    assert all(name in check_dataset.expected for name in dataset_names())
    assert FLAGS["lr_schedule"].choices == SCHEDULES and set(RECIPES) == set(SCHEDULES)  # each one implemented
    assert FLAGS["device_target"].choices == DEVICES and FLAGS["mode"].choices == MODES
    assert FLAGS["net_style"].choices == NET_STYLES == FLAGS["t_net_style"].choices


def test_one_table_of_defaults_for_every_command():
    assert flags_of("analyze")["normalize"].default == flags_of("classify")["normalize"].default is None
    for command in ("classify", "analyze"):  # none: the record's, else the dataset's
        config = ats_ms.make_config(command, dataset="digits")
        assert (config.normalize, config.image_size, config.transform) == ("cifar", 32, "crop")
    for command in COMMANDS:
        for name, flag in flags_of(command).items():
            if name not in COMMANDS[command].defaults:
                assert flag.default == FLAGS[name].default, (command, name)


def test_docs_flags_md_is_generated_from_the_table():
    assert (ROOT / "docs" / "flags.md").read_text() == markdown() + "\n", \
        "run: python -m ats_ms.config.flags > docs/flags.md"


@pytest.fixture(scope="module")
def any_checkpoint(tmp_path_factory):
    """A small checkpoint without a record (stands for the teacher a shipped config names)."""
    import mindspore as ms

    from ats_ms.models import create_model
    from ats_ms.models.checkpoint import save_network
    ms.set_device("CPU")
    path = tmp_path_factory.mktemp("ckpt") / "teacher.ckpt"
    save_network(create_model("ResNet8", 10), str(path))
    return str(path)


@pytest.fixture(scope="module")
def every_layout(tmp_path_factory):
    """One folder holding a tiny dataset in each image-file layout (folder, tiny-imagenet, cub200, stanford-dogs)."""
    from image_fixtures import write_cub, write_dogs, write_folder, write_tiny_imagenet
    root = tmp_path_factory.mktemp("layouts")
    write_folder(str(root))
    write_tiny_imagenet(str(root))
    write_cub(str(root))
    write_dogs(str(root / "StanfordDogs"))
    return str(root)


@pytest.mark.parametrize("path", sorted((ROOT / "configs").rglob("*.yaml")), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_shipped_config_loads_and_validates(path, any_checkpoint, every_layout):
    import yaml

    from ats_ms.data import get_dataset
    from ats_ms.utils.command_of import command_of
    command = command_of(str(path))
    keys = yaml.safe_load(path.read_text())
    extra = {"t_ckpt": any_checkpoint} if command in ("distill", "sweep") else {}
    if get_dataset(keys.get("dataset", "cifar100")).from_files:  # the image sets' files, written here
        extra["data_dir"] = every_layout
    if "init_ckpt" in keys:
        extra["init_ckpt"] = any_checkpoint
    config = ats_ms.make_config(command, str(path), **extra)
    if command == "sweep":  # configs/compare: every registered method in one grid (kd_way=others: the rest)
        from ats_ms.losses import KD_WAYS
        from ats_ms.sweep.grid import grid_groups
        assert sorted(kd_way for kd_way, _ in grid_groups(config.to_dict())) == sorted(KD_WAYS)
    else:
        assert config.ckpt_name.endswith(".ckpt")


def test_teacher_record_is_adopted_and_contradictions_are_refused(digits_teacher):
    _, teacher, _ = digits_teacher
    c = ats_ms.make_config("distill", t_ckpt=teacher, net_name="ResNet8")
    assert (c.t_net_name, c.n_classes, c.dataset, c.normalize) == ("ResNet8", 10, "digits", "cifar")
    with pytest.raises(UserError, match=r"normalize=imagenet contradicts teacher checkpoint .*digits-ResNet8.ckpt, "
                                        r"recorded with normalize cifar; expected normalize=cifar, or leave "
                                        r"normalize out"):
        ats_ms.make_config("distill", t_ckpt=teacher, normalize="imagenet")
    with pytest.raises(UserError, match="n_classes=100 contradicts"):
        ats_ms.make_config("distill", t_ckpt=teacher, n_classes=100)
    with pytest.raises(UserError, match="t_net_name=ResNet20 contradicts"):
        ats_ms.make_config("distill", t_ckpt=teacher, t_net_name="resnet20")
    with pytest.raises(UserError, match="kd_way TS uses one value for tp_tau and t_tau"):
        ats_ms.make_config("distill", t_ckpt=teacher, kd_way="TS", tp_tau=4, t_tau=2)
    assert ats_ms.make_config("distill", t_ckpt=teacher, kd_way="TS", t_tau=2).tp_tau == 2.0


def test_effective_config_round_trips(tmp_path):
    c = ats_ms.make_config("distill", lr=0.01, kd_way="none")
    save_effective(c, tmp_path / "eff.yaml")
    again = ats_ms.make_config("distill", str(tmp_path / "eff.yaml"))
    assert again.to_dict() == dict(c.to_dict(), config=str(tmp_path / "eff.yaml"))
