"""Datasets of image files end to end: one epoch on each official layout through the command line, the pipeline's
decoding (grayscale, palette, CMYK, a PNG under a .jpg name), the image size in the records, teachers of another
image size or class list refused, fine-tuning from a checkpoint, and the bad inputs (one ``error:`` line each). A sweep,
analyze and bench on image files: tests/e2e/test_image_runs.py."""
import json
import os
import shutil

import numpy as np
import pytest

from image_fixtures import (
    write_cub,
    write_dogs,
    write_folder,
    write_tiny_imagenet,
    write_undecodable,
)

ms = pytest.importorskip("mindspore")

import ats_ms  # noqa: E402
from ats_ms.config.record import read_record  # noqa: E402
from ats_ms.data import create_dataset, get_dataset, open_split  # noqa: E402
from ats_ms.utils.errors import UserError  # noqa: E402

ONE_EPOCH = ["--epoches", "1", "--batch_size", "4", "--print_every", "0", "--num_workers", "2"]
QUICK = [*ONE_EPOCH, "--net_name", "ResNet8"]
WRITERS = {"folder": lambda root: write_folder(root), "tiny-imagenet": lambda root: write_tiny_imagenet(root),
           "cub200": lambda root: write_cub(root), "stanford-dogs": lambda root: write_dogs(root)}


def _outputs(tmp_path):
    return ["--ckpt_dir", str(tmp_path / "ckpts"), "--log_dir", str(tmp_path / "logs")]


def _one_error_line(result):
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode != 0 and len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_one_epoch_on_each_official_layout(tmp_path, cli, name, tiny_net):
    """On TinyNet (tests/tiny_net.py): the layouts are under test, not the network."""
    written = WRITERS[name](str(tmp_path / "data"))
    size = get_dataset(name).image_size if name == "tiny-imagenet" else 32
    result = cli("classify", "--dataset", name, "--data_dir", str(tmp_path / "data"), "--image_size", size,
                 *ONE_EPOCH, "--net_name", tiny_net, *_outputs(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "(image files)" in result.stdout and "[Epoch:1]" in result.stdout
    record = read_record(str(tmp_path / "ckpts" / f"{name}-TinyNet.ckpt"))
    assert record["image_size"] == size and record["dataset"] == name
    assert record["class_names"] == list(written.class_names) and record["n_classes"] == len(written.class_names)
    assert record["normalize"] == "imagenet"


def test_folder_decodes_every_mode_and_sorts_classes_like_torchvision(tmp_path):
    written = write_folder(str(tmp_path))
    data = open_split("folder", str(tmp_path), "train")
    assert data.files.class_names == ("cat", "dog", "zebra") == written.class_names
    assert data.size == len(written.train[0]) and not any(p.endswith((".txt", ".DS_Store")) for p in data.files.paths)
    for transform, size in (("crop", 24), ("resized-crop", 32)):
        dataset = create_dataset("folder", str(tmp_path), "train", 64, image_size=size, transform=transform,
                                 shuffle=False)
        images, labels = next(dataset.create_tuple_iterator(output_numpy=True))
        assert images.shape == (data.size, 3, size, size) and np.isfinite(images).all()
        np.testing.assert_array_equal(labels, data.labels)
    test = create_dataset("folder", str(tmp_path), "test", 64, image_size=32)
    assert next(test.create_tuple_iterator(output_numpy=True))[0].shape[1:] == (3, 32, 32)


def test_eval_recipe_is_resize_then_centre_crop(tmp_path):
    from PIL import Image
    root = tmp_path / "one"
    rows, cols = np.mgrid[0:40, 0:60]
    image = np.stack([rows * 6, cols * 4, (rows + cols) * 2], -1).astype(np.uint8)  # smooth: kernels agree
    for split in ("train", "val"):
        (root / split / "a").mkdir(parents=True)
        Image.fromarray(image).save(root / split / "a" / "x.png")
    batch = next(create_dataset("folder", str(root), "test", 1, image_size=28, normalize="cifar",
                                transform="resized-crop").create_tuple_iterator(output_numpy=True))[0][0]
    resized = np.asarray(Image.fromarray(image).resize((48, 32), Image.BILINEAR), np.float64)  # shorter side 32
    mean, std = np.array([0.4914, 0.4822, 0.4465]), np.array([0.2023, 0.1994, 0.2010])
    want = ((resized[2:30, 10:38] / 255.0 - mean) / std).transpose(2, 0, 1)
    assert np.abs(batch - want).max() < 0.1  # a crop shifted by one pixel differs by about 0.15


def test_pillow_only_formats_are_read(tmp_path):
    from PIL import Image
    rng = np.random.default_rng(1)
    for split in ("train", "val"):
        for cls, fmt, suffix in (("a", "GIF", ".gif"), ("b", "WEBP", ".webp")):
            folder = tmp_path / split / cls
            folder.mkdir(parents=True)
            Image.fromarray(rng.integers(0, 256, (20, 20, 3), dtype=np.uint8)).save(folder / f"x{suffix}", fmt)
    images, labels = next(create_dataset("folder", str(tmp_path), "train", 8, image_size=16, shuffle=False)
                          .create_tuple_iterator(output_numpy=True))
    assert images.shape == (2, 3, 16, 16) and labels.tolist() == [0, 1]


def test_cifar_pipeline_is_unchanged_at_32():
    from ats_ms.data.transforms import image_ops
    names = [type(op).__name__ for op in image_ops("crop", 32, True, stored_size=32)]
    assert names == ["RandomCrop", "RandomHorizontalFlip", "Normalize", "HWC2CHW"]
    assert [type(op).__name__ for op in image_ops("crop", 32, False, stored_size=32)] == ["Normalize", "HWC2CHW"]
    dataset = create_dataset("digits", "", "test", 8, image_size=48)
    assert next(dataset.create_tuple_iterator(output_numpy=True))[0].shape == (8, 3, 48, 48)


def test_distill_adopts_the_teachers_image_size_and_refuses_another(folder_teacher, tmp_path, cli):
    data, teacher = folder_teacher
    config = ats_ms.make_config("distill", dataset="folder", data_dir=str(data), t_ckpt=teacher, net_name="ResNet8",
                                kd_way="ATS")
    assert (config.image_size, config.transform, config.normalize) == (40, "crop", "imagenet")
    assert config.sources["image_size"] == config.sources["transform"] == "record"
    line = _one_error_line(cli("distill", "--dataset", "folder", "--data_dir", data, "--t_ckpt", teacher,
                               "--image_size", 64, *QUICK, *_outputs(tmp_path)))
    assert "--image_size=64 contradicts teacher checkpoint" in line and "image_size 40" in line


def test_a_record_without_class_names_is_refused_for_another_class_count(tmp_path, cli):
    from ats_ms.config.record import encode, network_record
    from ats_ms.models import create_model
    from ats_ms.models.checkpoint import save_network
    write_folder(str(tmp_path / "data"))
    converted = str(tmp_path / "imagenet-ResNet8.ckpt")  # as a converted torchvision file: 1000 classes, no names
    save_network(create_model("ResNet8", 1000), converted, encode(network_record(
        "convert", net_name="ResNet8", net_style="paper", n_classes=1000, dataset="folder", normalize="imagenet",
        image_size=32)))
    line = _one_error_line(cli("distill", "--dataset", "folder", "--data_dir", tmp_path / "data", "--t_ckpt",
                               converted, *QUICK, *_outputs(tmp_path)))
    assert "has 1000 classes, but the folder data" in line and "has 3" in line and "--init_ckpt" in line


def test_teacher_of_another_class_list_or_order_is_refused(folder_teacher, tmp_path, cli):
    data, teacher = folder_teacher
    other = tmp_path / "other"
    write_folder(str(other), classes=("cat", "dog", "lynx"))
    line = _one_error_line(cli("distill", "--dataset", "folder", "--data_dir", other, "--t_ckpt", teacher, *QUICK,
                               *_outputs(tmp_path)))
    assert "trained on classes [cat, dog, zebra]" in line and "[cat, dog, lynx]" in line and "lynx" in line
    from ats_ms.config.record import check_class_names
    check_class_names({"class_names": ["cat", "dog", "zebra"]}, "folder", str(data), "teacher x")
    with pytest.raises(UserError, match="orders its classes differently .* class 0 is 'dog' there and 'cat' here"):
        check_class_names({"class_names": ["dog", "cat", "zebra"]}, "folder", str(data), "teacher x")


def test_eval_and_export_use_the_recorded_size(folder_teacher, tmp_path, cli):
    data, shared = folder_teacher
    teacher = str(tmp_path / os.path.basename(shared))  # export writes beside it: not in the workers' shared folder
    shutil.copyfile(shared, teacher)
    result = cli("eval", "--ckpt", teacher, "--data_dir", data, "--json", tmp_path / "e.json")
    assert result.returncode == 0, result.stderr
    assert json.loads((tmp_path / "e.json").read_text())["images"] == 6
    line = _one_error_line(cli("eval", "--ckpt", teacher, "--data_dir", data, "--image_size", 64))
    assert "--image_size=64 contradicts checkpoint" in line and "image_size 40" in line
    result = cli("export", "--ckpt", teacher)
    assert result.returncode == 0, result.stderr
    exported = teacher[:-len(".ckpt")] + "_mindir.mindir"
    assert "input (1, 3, 40, 40)" in result.stdout
    graph = ms.nn.GraphCell(ms.load(exported))
    assert graph(ms.Tensor(np.zeros((1, 3, 40, 40), np.float32))).shape == (1, 3)


def test_fine_tune_from_a_checkpoint_of_another_class_count(folder_teacher, tmp_path):
    _, teacher = folder_teacher
    config = ats_ms.make_config("classify", net_name="ResNet8", init_ckpt=teacher, epoches=1, max_train=64,
                                max_test=32, batch_size=32, print_every=0, dataset="digits", n_classes=10,
                                ckpt_dir=str(tmp_path / "c"), log_dir=str(tmp_path / "l"))
    lines = []
    ats_ms.train(config, emit=lines.append)
    assert any(line.startswith("init: parameters from") and "classifier re-initialised (fc.bias, fc.weight" in line
               for line in lines)
    record = read_record(str(tmp_path / "c" / "digits-ResNet8.ckpt"))
    assert record["init"]["reinitialised"] == ["fc.bias", "fc.weight"] and record["init"]["classes"] == 3


def test_old_records_read_as_32x32(tmp_path):
    from ats_ms.config.record import encode
    from ats_ms.models import create_model
    from ats_ms.models.checkpoint import save_network
    path = str(tmp_path / "old.ckpt")
    save_network(create_model("ResNet8", 10), path, encode({"format": 1, "net_name": "ResNet8", "net_style": "paper",
                                                           "n_classes": 10, "dataset": "digits",
                                                           "normalize": "cifar"}))
    assert read_record(path)["image_size"] == 32
    assert ats_ms.make_config("export", ckpt=path).image_size == 32


@pytest.mark.parametrize("case", ["missing split", "empty class", "classes differ", "undecodable", "size 0",
                                  "size 7", "size 100000", "no tiny layout"])
def test_bad_inputs_are_one_error_line(tmp_path, cli, case):
    root = tmp_path / "data"
    write_folder(str(root))
    extra = []
    if case == "missing split":
        os.rename(root / "val", root / "elsewhere")
    elif case == "empty class":
        for name in os.listdir(root / "val" / "dog"):
            os.remove(root / "val" / "dog" / name)
    elif case == "classes differ":
        os.rename(root / "val" / "zebra", root / "val" / "lynx")
    elif case == "undecodable":
        write_undecodable(str(root / "train" / "cat" / "broken.jpg"))
    elif case.startswith("size"):
        extra = ["--image_size", case.split()[1]]
    args = ["--dataset", "tiny-imagenet" if case == "no tiny layout" else "folder", "--data_dir", root]
    line = _one_error_line(cli("classify", *args, *QUICK, *extra, *_outputs(tmp_path)))
    expected = {"missing split": "neither", "empty class": "holds no image file", "classes differ": "differ",
                "undecodable": "broken.jpg is not an image", "size 0": "--image_size=0 is invalid",
                "size 7": "--image_size=7 is invalid", "size 100000": "--image_size=100000 is invalid",
                "no tiny layout": "wnids.txt"}[case]
    assert expected in line, line
    assert not (tmp_path / "ckpts").exists()


def test_pack_memory_estimate_grows_with_the_image_size():
    from ats_ms.engine.memory import activation_elements, student_bytes
    from ats_ms.models import create_model
    net = create_model("ResNet8", 10)
    small, large = activation_elements(net, 32), activation_elements(net, 64)
    assert 3.9 * small < large < 4 * small  # every map but the pooled features and logits has 4x the pixels
    assert student_bytes(net, 8, 64) - student_bytes(net, 8, 32) == 2 * 4 * 8 * (large - small)


def test_an_image_cut_short_is_one_error_line_naming_it(tmp_path, cli):
    root = tmp_path / "data"
    write_folder(str(root))
    whole = (root / "train" / "cat" / "cat_00.jpg").read_bytes()
    (root / "train" / "cat" / "cat_00.jpg").write_bytes(whole[: len(whole) // 2])
    line = _one_error_line(cli("classify", "--dataset", "folder", "--data_dir", root, *QUICK, *_outputs(tmp_path)))
    assert "cat_00.jpg cannot be decoded" in line and "expected a whole image file" in line


def test_model_check_runs_at_the_given_image_size():
    from ats_ms.verify.models import run_model_check
    ms.set_context(mode=ms.GRAPH_MODE)
    rows = run_model_check(names=("ResNet8", "VGG8"), image_size=48)
    assert [r.name for r in rows] == ["ResNet8", "VGG8"] and all(r.passed for r in rows)


def test_a_jpeg_with_a_damaged_header_is_one_error_line_not_a_crash(tmp_path, cli):
    """MindSpore 2.10's JPEG decoder ends the process (SIGFPE) on some damaged headers: such files never reach it."""
    from ats_ms.data.image_bytes import jpeg_header_sound
    root = tmp_path / "data"
    write_folder(str(root))
    path = root / "train" / "dog" / "dog_01.jpg"
    whole = bytearray(path.read_bytes())
    assert jpeg_header_sound(bytes(whole))
    cut = slice(len(whole) * 3 // 10, len(whole) * 7 // 10)
    whole[cut] = np.random.default_rng(0).integers(0, 256, cut.stop - cut.start, dtype=np.uint8).tobytes()
    path.write_bytes(bytes(whole))
    assert not jpeg_header_sound(bytes(whole))
    line = _one_error_line(cli("classify", "--dataset", "folder", "--data_dir", root, *QUICK, *_outputs(tmp_path)))
    assert "dog_01.jpg cannot be decoded" in line
    assert not list(tmp_path.glob("abnormal_image.*")) and not list(root.parent.glob("abnormal_image.*"))


def test_the_file_pipeline_streams_reading_each_file_when_asked(tmp_path, monkeypatch):
    """Building the pipeline reads no image; an epoch reads each file once, when the sampler asks for it: what is
    held is the list of paths, not the images."""
    import ats_ms.data.image_bytes as image_bytes
    write_folder(str(tmp_path))
    data = open_split("folder", str(tmp_path), "train")
    reads = []
    real = image_bytes.read_file
    monkeypatch.setattr(image_bytes, "read_file", lambda path: reads.append(path) or real(path))
    for epoch in range(2):  # the second epoch skips the checks the first passed (``DataSplit.sound``)
        dataset = create_dataset("folder", str(tmp_path), "train", 4, image_size=16, data=data)
        assert len(reads) == epoch * data.size
        for _ in dataset.create_tuple_iterator(num_epochs=1, output_numpy=True):
            pass
        assert sorted(reads[epoch * data.size:]) == sorted(data.files.paths)
    assert data.sound.all()
