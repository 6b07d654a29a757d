"""Commands on image files end to end: a sweep packs its cells and estimates their memory from the image size; analyze
and bench at other image sizes."""
import json

import pytest

from ats_ms.config.record import read_record

pytestmark = pytest.mark.slow


def test_sweep_packs_and_memory_estimate_on_image_files(folder_teacher, tiny_net, tmp_path, cli):
    """The students are TinyNet (tests/tiny_net.py): a user's registered network gets a memory estimate too."""
    data, teacher = folder_teacher
    result = cli("sweep", "--dataset", "folder", "--data_dir", data, "--t_ckpt", teacher, "--net_name", tiny_net,
                 "--grid", "kd_way=ATS tp_tau=4 t_tau=1,2", "--grid", "kd_way=KD", "--epoches", 1, "--batch_size", 4,
                 "--print_every", 0, "--out_dir", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert "memory estimate" in result.stdout and "(image files)" in result.stdout
    rows = json.loads((tmp_path / "out" / "sweep.json").read_text())
    cells = rows["cells"] if isinstance(rows, dict) else rows
    assert len(cells) == 3
    record = read_record(str(tmp_path / "out" / "ckpts" / "sweep-ATS-tp4-t1-seed0.ckpt"))
    assert record["image_size"] == 40 and record["class_names"] == ["cat", "dog", "zebra"]



def test_analyze_and_bench_on_image_files_and_sizes(folder_teacher, tiny_net, tmp_path, cli):
    """bench times TinyNet (tests/tiny_net.py): the input size is under test, not the network."""
    data, teacher = folder_teacher
    result = cli("analyze", "--ckpt", teacher, "--data_dir", data, "--split", "test", "--out_dir", tmp_path / "a")
    assert result.returncode == 0, result.stderr
    assert "6 images" in result.stdout and (tmp_path / "a" / "analyze.csv").is_file()
    result = cli("bench", "--t_net_name", tiny_net, "--net_name", tiny_net, "--batch_size", 4, "--steps", 1,
                 "--rounds", 1, "--n_classes", 3, "--image_size", 48, "--json", tmp_path / "b.json")
    assert result.returncode == 0, result.stderr
    assert "48x48 inputs" in result.stdout and json.loads((tmp_path / "b.json").read_text())["image_size"] == 48
