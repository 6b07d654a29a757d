"""Bad inputs a new user's first hour found (issue 27): each is one ``error:`` line and exit status 2, and the Python
API names keywords where the command line names flags."""
import os
import zipfile

import pytest

import ats_ms
from ats_ms.utils.errors import UserError, keyword_spelling


def _one_error(result):
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


@pytest.mark.parametrize("grid", ["", "   "])
def test_an_empty_grid_is_refused_not_the_classic_grid(cli, tmp_path, grid):
    line = _one_error(cli("sweep", "--grid", grid, "--report_only", "True", "--out_dir", tmp_path / "out"))
    assert "--grid=" in line and "is empty; expected a non-empty value, or the flag left out" in line
    assert not (tmp_path / "out").exists()


def test_an_empty_grid_list_in_yaml_is_refused(cli, tmp_path):
    config = tmp_path / "sweep.yaml"
    config.write_text("grid: []\n")
    line = _one_error(cli("sweep", "--config", config, "--report_only", "True"))
    assert f"--config {config}: grid=[] is empty" in line


@pytest.mark.parametrize("flag,value,label", [("--seeds", "1,,2", "--seeds='1,,2'"),
                                              ("--seeds", "1,2,", "--seeds='1,2,'"),
                                              ("--grid", "kd_way=ATS tp_tau=3,,4", "tp_tau='3,,4'")])
def test_empty_list_items_are_refused(cli, flag, value, label):
    line = _one_error(cli("sweep", flag, value, "--report_only", "True"))
    assert label in line and "has an empty item" in line


def test_a_yaml_key_given_twice_is_refused(cli, tmp_path):
    config = tmp_path / "run.yaml"
    config.write_text("lr: 0.1\nepoches: 3\nlr: 0.2\n")
    line = _one_error(cli("classify", "--config", config))
    assert f"--config {config}: line 3: the key 'lr' is given twice; expected each key once" in line


def test_a_folder_as_config_says_so(cli, tmp_path):
    line = _one_error(cli("classify", "--config", tmp_path))
    assert f"--config {tmp_path} is a folder; expected a YAML file" in line


def test_convert_says_what_a_file_that_is_not_pytorch_is(cli, tmp_path):
    from ats_ms.models import create_model
    from ats_ms.models.checkpoint import save_network
    ckpt = str(tmp_path / "teacher.ckpt")
    save_network(create_model("ResNet8", 10), ckpt)
    garbage = tmp_path / "weights.pth"
    garbage.write_bytes(b"not a tensor file at all")
    archive = tmp_path / "cifar100-ResNet14-E240.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("cifar100-ResNet14-E240.pth", b"\x80stand-in")
    expected = {ckpt: "is a MindSpore checkpoint, which needs no conversion",
                str(garbage): "is no PyTorch file: its first bytes b'not ' are neither a zip archive nor a pickle",
                str(archive): "is a zip archive holding cifar100-ResNet14-E240.pth (unzip it and give the .pth)"}
    for src, words in expected.items():
        line = _one_error(cli("convert", "--net_name", "ResNet8", "--src", src, "--dst", tmp_path / "out.ckpt"))
        assert f"--src {src} {words}" in line and "expected a PyTorch .pth state_dict" in line
        assert "install" not in line
    assert not (tmp_path / "out.ckpt").exists()


def test_keyword_spelling_of_messages():
    assert keyword_spelling("exists; expected a new --ckpt_name, or --overwrite True to replace it") == \
        "exists; expected a new ckpt_name, or overwrite=True to replace it"
    assert keyword_spelling("--image_size=64 contradicts x; expected --image_size 40, or leave --image_size out") == \
        "image_size=64 contradicts x; expected image_size=40, or leave image_size out"


def test_the_api_names_keywords_and_the_command_line_flags(tmp_path, cli):
    kw = dict(dataset="digits", max_train=64, max_test=32, batch_size=32, epoches=1, print_every=0,
              net_name="ResNet8", ckpt_dir=str(tmp_path / "ckpts"), log_dir=str(tmp_path / "logs"))
    ats_ms.train(ats_ms.make_config("classify", **kw), emit=lambda line: None)
    with pytest.raises(UserError) as api_error:
        ats_ms.train(ats_ms.make_config("classify", **kw), emit=lambda line: None)
    assert "overwrite=True" in str(api_error.value) and "--" not in str(api_error.value)
    args = [f"--{k}={v}" for k, v in kw.items()]
    line = _one_error(cli("classify", *args))
    assert "--overwrite True" in line
    assert os.path.isfile(tmp_path / "ckpts" / "digits-ResNet8.ckpt")
