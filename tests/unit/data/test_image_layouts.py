"""The readers of image-file datasets in their official layouts (ImageFolder, Tiny ImageNet, CUB-200-2011, Stanford
Dogs) on tiny fixtures: paths, labels and class order, ``--data_dir`` as the top folder or its parent, skipped
non-images, ``sniff``/``check_images``, and a one-line ``UserError`` naming the expected file or folder for every
malformed layout. No MindSpore is needed."""
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from ats_ms.data import image_files
from ats_ms.data.cub import cub_classes, cub_split
from ats_ms.data.dogs import dogs_classes, dogs_split
from ats_ms.data.folder import folder_classes, folder_split
from ats_ms.data.image_files import ImageFiles, check_images, image_suffixes, is_image_name, locate, sniff
from ats_ms.data.tiny_imagenet import tiny_imagenet_classes, tiny_imagenet_split
from ats_ms.utils.errors import UserError

from image_fixtures import (
    save_image,
    save_list,
    write_cub,
    write_dogs,
    write_folder,
    write_tiny_imagenet,
    write_undecodable,
)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def user_error(fn, *args, contains=()):
    """Call ``fn(*args)``, expect a UserError with a one-line message holding every string of ``contains``."""
    with pytest.raises(UserError) as info:
        fn(*args)
    message = str(info.value)
    assert "\n" not in message
    for part in contains:
        assert str(part) in message, message
    return message


def assert_split(files, expected, class_names):
    paths, labels = expected
    assert isinstance(files, ImageFiles)
    assert files.paths == list(paths)
    assert files.labels.dtype == np.int32 and files.labels.shape == (len(paths),)
    np.testing.assert_array_equal(files.labels, labels)
    assert files.class_names == tuple(class_names) and files.size == len(paths)
    assert all(os.path.isabs(p) for p in files.paths)


def edit_lines(path, edit):
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(line + "\n" for line in edit(lines)))


# --- image_files: names, magic numbers, check_images, locate ---------------------------------------------------------

@pytest.mark.parametrize("name, expected", [
    ("a.jpg", True), ("B.JPEG", True), ("c.png", True), ("d.Bmp", True), ("e.tif", True), ("f.webp", True),
    ("g.gif", True), ("/x/y/h.jpeg", True), (".DS_Store", False), ("notes.txt", False), ("Thumbs.db", False),
    ("._a.jpg", False), (".hidden.png", False), ("noext", False), ("a.jpg.part", False), ("doc.pdf", False),
])
def test_is_image_name(name, expected):
    assert is_image_name(name) is expected


def test_image_suffixes_are_pillow_readable_and_cached():
    suffixes = image_suffixes()
    assert image_suffixes() is suffixes and image_files.IMAGE_SUFFIXES is suffixes
    assert {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm"} <= suffixes
    assert all(s == s.lower() and s.startswith(".") for s in suffixes)
    assert ".pdf" not in suffixes  # Pillow only writes PDF


@pytest.mark.parametrize("fmt, mode, expected", [
    ("JPEG", "RGB", "jpeg"), ("JPEG", "L", "jpeg"), ("JPEG", "CMYK", "jpeg"), ("PNG", "RGB", "png"),
    ("PNG", "P", "png"), ("GIF", "P", "gif"), ("BMP", "RGB", "bmp"), ("TIFF", "RGB", "tiff"), ("WEBP", "RGB", "webp"),
])
def test_sniff_formats(tmp_path, fmt, mode, expected):
    path = save_image(str(tmp_path / "image.jpg"), np.random.default_rng(0), 8, mode, fmt)
    assert sniff(path) == expected
    with Image.open(path) as image:
        assert image.format == fmt


def test_sniff_raw_bytes(tmp_path):
    cases = {b"MM\x00*\x00\x00\x00\x08": "tiff", b"II*\x00": "tiff", b"GIF87a..": "gif",
             b"RIFF\x10\x00\x00\x00WEBPVP8 ": "webp", b"RIFF\x10\x00\x00\x00WAVEfmt ": None, b"": None,
             b"\xff\xd8": None, b"<html>": None}
    for i, (head, expected) in enumerate(cases.items()):
        path = tmp_path / f"f{i}.jpg"
        path.write_bytes(head)
        assert sniff(str(path)) == expected, head
    assert sniff(write_undecodable(str(tmp_path / "bad.png"))) is None


def test_sniff_reads_at_most_32_bytes(tmp_path, monkeypatch):
    path = tmp_path / "big.jpg"
    path.write_bytes(b"\xff\xd8\xff" + bytes(10000))
    sizes = []

    class Recording:
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

        def read(self, n=-1):
            sizes.append(n)
            return self.f.read(n)

    monkeypatch.setattr(image_files, "open", lambda p, mode="r": Recording(open(p, mode)), raising=False)
    assert sniff(str(path)) == "jpeg"
    assert sizes and all(0 < n <= 32 for n in sizes)


def test_check_images_accepts_every_fixture(tmp_path):
    for written, read in ((write_folder(tmp_path / "f"), folder_split),
                          (write_tiny_imagenet(tmp_path / "t"), tiny_imagenet_split),
                          (write_cub(tmp_path / "c"), cub_split), (write_dogs(tmp_path / "d"), dogs_split)):
        for split in ("train", "test"):
            check_images(read(written.top, split), f"x {split}")
    check_images(ImageFiles([], np.zeros(0, np.int32), ("a",)), "empty")


def test_check_images_asks_pillow_about_other_formats(tmp_path):
    rng = np.random.default_rng(0)
    paths = [save_image(str(tmp_path / f"a.{ext}"), rng, 8, fmt=fmt) for ext, fmt in (("ppm", "PPM"), ("ico", "ICO"))]
    assert [sniff(p) for p in paths] == [None, None]
    check_images(ImageFiles(paths, np.zeros(2, np.int32), ("a",)), "folder train")


def test_check_images_names_the_first_undecodable_file(tmp_path, monkeypatch):
    monkeypatch.setattr(image_files, "CHECK_CHUNK", 2)  # several chunks on the thread pool
    rng = np.random.default_rng(0)
    paths = [save_image(str(tmp_path / f"ok{i}.jpg"), rng, 8) for i in range(12)]
    paths[5] = write_undecodable(str(tmp_path / "bad5.jpg"))
    paths[9] = write_undecodable(str(tmp_path / "bad9.png"))
    files = ImageFiles(paths, np.zeros(12, np.int32), ("a",))
    message = user_error(check_images, files, "folder train",
                         contains=["folder train: ", paths[5], "is not an image MindSpore or Pillow can decode",
                                   "expected a JPEG/PNG/GIF/BMP/TIFF/WebP file, or remove it"])
    assert "bad9" not in message


def test_check_images_names_a_missing_file(tmp_path):
    path = str(tmp_path / "gone.jpg")
    user_error(check_images, ImageFiles([path], np.zeros(1, np.int32), ("a",)), "cub200 test",
               contains=["cub200 test: cannot read", path, "expected a readable"])


def test_locate(tmp_path):
    top = tmp_path / "tiny-imagenet-200"
    top.mkdir()
    (top / "wnids.txt").write_text("n1\n")
    assert locate(str(top), "tiny-imagenet-200", "wnids.txt", "tiny-imagenet") == str(top)
    assert locate(str(tmp_path), "tiny-imagenet-200", "wnids.txt", "tiny-imagenet") == str(top)
    other = tmp_path / "other"
    other.mkdir()
    message = user_error(locate, str(other), "tiny-imagenet-200", "wnids.txt", "tiny-imagenet")
    assert message == (f"tiny-imagenet: neither {other}/wnids.txt nor {other}/tiny-imagenet-200/wnids.txt exists; "
                       f"expected --data_dir to name the tiny-imagenet-200 folder or the folder that holds it")
    dogs = tmp_path / "stanford_dogs"
    dogs.mkdir()
    (dogs / "train_list.mat").write_bytes(b"")
    names = ("StanfordDogs", "stanford-dogs", "stanford_dogs")
    assert locate(str(tmp_path), names, "train_list.mat", "dogs") == str(dogs)
    user_error(locate, str(other), names, "train_list.mat", "dogs",
               contains=["dogs: none of", f"{other}/StanfordDogs/train_list.mat", f"{other}/stanford_dogs/"])
    user_error(locate, str(tmp_path / "nowhere"), "CUB_200_2011", "images.txt", "cub200",
               contains=[f"--data_dir {tmp_path / 'nowhere'} is not a folder", "CUB_200_2011"])


def test_readers_do_not_import_mindspore():
    code = ("import sys\nimport ats_ms.data.folder, ats_ms.data.tiny_imagenet, ats_ms.data.cub, ats_ms.data.dogs\n"
            "assert 'mindspore' not in sys.modules and 'scipy' not in sys.modules and 'PIL' not in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


# --- folder (torchvision ImageFolder) --------------------------------------------------------------------------------

def torchvision_rules(split_dir):
    """torchvision's ``find_classes`` + ``make_dataset`` (IMG_EXTENSIONS) re-implemented: (paths, labels, classes)."""
    extensions = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")
    classes = sorted(entry.name for entry in os.scandir(split_dir) if entry.is_dir())
    paths, labels = [], []
    for label, name in enumerate(classes):
        for root, _, fnames in sorted(os.walk(os.path.join(split_dir, name), followlinks=True)):
            for fname in sorted(fnames):
                if fname.lower().endswith(extensions):
                    paths.append(os.path.join(root, fname))
                    labels.append(label)
    return paths, labels, classes


def test_folder_reads_like_torchvision(tmp_path):
    written = write_folder(tmp_path / "data")
    assert folder_classes(written.top) == ("cat", "dog", "zebra")
    train, test = folder_split(written.top, "train"), folder_split(written.top, "test")
    assert_split(train, written.train, written.class_names)
    assert_split(test, written.test, written.class_names)
    for files, split in ((train, "train"), (test, "val")):
        paths, labels, classes = torchvision_rules(os.path.join(written.top, split))
        assert files.paths == paths and files.labels.tolist() == labels and list(files.class_names) == classes
    cat = [p for p in train.paths if "/cat/" in p]
    assert cat[-1].endswith(os.path.join("cat", "nested", "deep.png"))  # the class folder's own files come first
    assert cat.index(os.path.join(written.top, "train", "cat", "portrait_gray.jpg")) < len(cat) - 1
    assert "CMYK.JPEG" in os.path.basename([p for p in train.paths if "/dog/" in p][0])  # 'C' sorts before 'd'
    assert not set(written.extras["skipped"]) & set(train.paths)
    assert set(written.extras["png_as_jpg"]) <= set(train.paths)


def test_folder_eval_split_is_val_else_test(tmp_path):
    written = write_folder(tmp_path / "a", split_name="test")
    assert_split(folder_split(written.top, "test"), written.test, written.class_names)
    both = write_folder(tmp_path / "b", n_val=1)
    shutil.copytree(os.path.join(both.top, "train"), os.path.join(both.top, "test"))
    assert_split(folder_split(both.top, "test"), both.test, both.class_names)


def test_folder_follows_links_without_looping(tmp_path):
    written = write_folder(tmp_path / "data", n_val=1)
    cat = os.path.join(written.top, "val", "cat")
    os.symlink(cat, os.path.join(cat, "loop"))
    extra = tmp_path / "more"
    extra.mkdir()
    save_image(str(extra / "linked.png"), np.random.default_rng(0), 8, fmt="PNG")
    os.symlink(str(extra), os.path.join(cat, "more"))
    files = folder_split(written.top, "test")
    assert files.paths[:2] == [os.path.join(cat, "cat_00.jpg"), os.path.join(cat, "more", "linked.png")]
    assert files.size == written.test[1].size + 1


def test_folder_layout_errors(tmp_path):
    missing = tmp_path / "missing"
    user_error(folder_split, str(missing), "train", contains=[f"--data_dir {missing} is not a folder", "train/"])
    empty = tmp_path / "empty"
    empty.mkdir()
    user_error(folder_classes, str(empty), contains=[f"{empty / 'train'} not found", "train/<class>/<image>"])
    written = write_folder(tmp_path / "data")
    top = written.top
    shutil.rmtree(os.path.join(top, "val"))
    assert folder_split(top, "train").size == written.train[1].size  # train alone needs no val/
    user_error(folder_split, top, "test",
               contains=[f"neither {top}/val nor {top}/test exists", f"{top}/val/<class>/<image>"])


def test_folder_class_without_images(tmp_path):
    written = write_folder(tmp_path / "data")
    dog = os.path.join(written.top, "train", "dog")
    shutil.rmtree(dog)
    os.makedirs(os.path.join(dog, "sub"))
    for junk in (".DS_Store", "notes.txt", "._x.jpg"):
        with open(os.path.join(dog, junk), "w") as f:
            f.write("x")
    user_error(folder_split, written.top, "train",
               contains=[f"class folder {dog} holds no image file", "expected at least one image (.jpg, .png, ...)"])
    assert folder_classes(written.top) == ("cat", "dog", "zebra")  # the cheap listing does not walk


def test_folder_classes_differ(tmp_path):
    written = write_folder(tmp_path / "data")
    val = os.path.join(written.top, "val")
    os.rename(os.path.join(val, "zebra"), os.path.join(val, "yak"))
    message = user_error(folder_split, written.top, "test",
                         contains=["class folders of", "only in train/: zebra; only in val/: yak",
                                   "expected the same class folders in both"])
    assert message.startswith("folder: ")
    for i in range(7):
        os.makedirs(os.path.join(val, f"extra{i}"))
    user_error(folder_split, written.top, "test",
               contains=["only in val/: extra0, extra1, extra2, extra3, extra4, ...)"])


def test_folder_split_without_class_folder(tmp_path):
    flat = tmp_path / "flat"
    save_image(str(flat / "train" / "a.jpg"), np.random.default_rng(0), 8)
    user_error(folder_classes, str(flat), contains=[f"{flat / 'train'} holds no class folder", "one sub-folder"])
    written = write_folder(tmp_path / "data")
    val = os.path.join(written.top, "val")
    shutil.rmtree(val)
    save_image(os.path.join(val, "a.jpg"), np.random.default_rng(0), 8)
    user_error(folder_split, written.top, "test", contains=[f"{val} holds no class folder"])


# --- Tiny ImageNet ---------------------------------------------------------------------------------------------------

def test_tiny_imagenet_reads_the_official_layout(tmp_path):
    written = write_tiny_imagenet(tmp_path)
    assert list(written.class_names) != sorted(written.class_names)
    for data_dir in (written.top, str(tmp_path)):
        assert tiny_imagenet_classes(data_dir) == written.class_names  # the order of wnids.txt
        train, test = tiny_imagenet_split(data_dir, "train"), tiny_imagenet_split(data_dir, "test")
        assert_split(train, written.train, written.class_names)
        assert_split(test, written.test, written.class_names)  # the order of val_annotations.txt
    assert not set(written.extras["unlabelled"]) & set(train.paths + test.paths)
    assert all(os.sep + os.path.join("val", "images") + os.sep in p for p in test.paths)


def test_tiny_imagenet_wnids_errors(tmp_path):
    user_error(tiny_imagenet_classes, str(tmp_path),
               contains=[f"neither {tmp_path}/wnids.txt nor {tmp_path}/tiny-imagenet-200/wnids.txt exists"])
    written = write_tiny_imagenet(tmp_path)
    wnids = os.path.join(written.top, "wnids.txt")
    edit_lines(wnids, lambda lines: ["", "  "])
    user_error(tiny_imagenet_classes, str(tmp_path), contains=[f"{wnids} is empty", "one wnid per line"])
    edit_lines(wnids, lambda lines: ["n01443537", "n02124075", "n01443537"])
    user_error(tiny_imagenet_split, written.top, "train",
               contains=[f"{wnids} line 3 repeats wnid n01443537 of line 1", "expected each wnid once"])
    edit_lines(wnids, lambda lines: ["n01443537 goldfish"])
    user_error(tiny_imagenet_classes, written.top, contains=[f"{wnids} line 1", "expected one wnid"])


def test_tiny_imagenet_train_errors(tmp_path):
    written = write_tiny_imagenet(tmp_path)
    edit_lines(os.path.join(written.top, "wnids.txt"), lambda lines: lines + ["n07999999"])
    folder = os.path.join(written.top, "train", "n07999999", "images")
    user_error(tiny_imagenet_split, written.top, "train",
               contains=[f"{folder} not found", "training images of wnid n07999999"])
    os.makedirs(folder)
    user_error(tiny_imagenet_split, written.top, "train", contains=[f"{folder} holds no image file"])
    shutil.rmtree(os.path.join(written.top, "train"))
    user_error(tiny_imagenet_split, written.top, "train", contains=[f"{written.top}/train not found"])


def test_tiny_imagenet_val_errors(tmp_path):
    written = write_tiny_imagenet(tmp_path)
    annotations = os.path.join(written.top, "val", "val_annotations.txt")
    with open(annotations) as f:
        original = f.read().splitlines()
    edit_lines(annotations, lambda lines: lines[:2] + ["val_99.JPEG n01443537 0 0 10 10"] + lines[2:])
    user_error(tiny_imagenet_split, written.top, "test",
               contains=[f"{annotations} line 3 is malformed", "file<TAB>wnid<TAB>x0<TAB>y0<TAB>x1<TAB>y1"])
    edit_lines(annotations, lambda lines: original + ["val_0.JPEG\tn07999999\t0\t0\t10\t10"])
    user_error(tiny_imagenet_split, written.top, "test",
               contains=[f"{annotations} line {len(original) + 1}", "wnid n07999999, which is not in wnids.txt"])
    edit_lines(annotations, lambda lines: original + [original[0]])
    user_error(tiny_imagenet_split, written.top, "test", contains=[f"line {len(original) + 1} labels", "again"])
    edit_lines(annotations, lambda lines: original + ["val_77.JPEG\tn01443537\t0\t0\t10\t10"])
    user_error(tiny_imagenet_split, written.top, "test",
               contains=[f"{written.top}/val/images/val_77.JPEG not found", f"every file named in {annotations}"])
    os.remove(annotations)
    user_error(tiny_imagenet_split, written.top, "test", contains=[f"{annotations} not found"])
    assert tiny_imagenet_split(written.top, "train").size == written.train[1].size


# --- CUB-200-2011 ----------------------------------------------------------------------------------------------------

def test_cub_reads_the_official_layout(tmp_path):
    written = write_cub(tmp_path)
    assert written.class_names == ("001.Black_footed_Albatross", "002.Laysan_Albatross", "003.Sooty_Albatross")
    for data_dir in (written.top, str(tmp_path)):
        assert cub_classes(data_dir) == written.class_names
        train, test = cub_split(data_dir, "train"), cub_split(data_dir, "test")
        assert_split(train, written.train, written.class_names)
        assert_split(test, written.test, written.class_names)
    assert train.labels.min() == 0 and train.labels.max() == 2 and train.size == test.size == 6
    assert not set(train.paths) & set(test.paths)


def test_cub_errors(tmp_path):
    user_error(cub_split, str(tmp_path), "train",
               contains=[f"neither {tmp_path}/images.txt nor {tmp_path}/CUB_200_2011/images.txt exists"])
    written = write_cub(tmp_path)
    top = written.top

    def fails(name, edit, *contains):
        path = os.path.join(top, name)
        with open(path) as f:
            original = f.read()
        edit_lines(path, edit)
        user_error(cub_split, top, "train", contains=contains)
        with open(path, "w") as f:
            f.write(original)

    fails("image_class_labels.txt", lambda lines: lines[:-1], "image id 12", "has no label in",
          "image_class_labels.txt")
    fails("train_test_split.txt", lambda lines: lines[1:], "image id 1 ", "has no line in", "train_test_split.txt")
    fails("image_class_labels.txt", lambda lines: lines[:-1] + ["12 4"], "gives image id 12 label 4",
          "expected a label in 1..3")
    fails("image_class_labels.txt", lambda lines: lines[:-1] + ["12 0"], "label 0", "1..3")
    fails("images.txt", lambda lines: lines[:3] + ["x 001.Black_footed_Albatross/a.jpg"] + lines[3:],
          f"{top}/images.txt line 4 is malformed", "expected <id> <path under images/>")
    fails("images.txt", lambda lines: lines + ["1 001.Black_footed_Albatross/a.jpg"], "line 13 repeats id 1")
    fails("train_test_split.txt", lambda lines: lines[:-1] + ["12 2"], "id 12 the value 2", "1 (train) or 0 (test)")
    fails("image_class_labels.txt", lambda lines: lines[:-1] + ["12 three"], "id 12 the value 'three'")
    fails("classes.txt", lambda lines: lines[:1] + lines[2:], "classes.txt lacks label 2", "labels 1..2")
    fails("classes.txt", lambda lines: [], "classes.txt is empty")
    fails("train_test_split.txt", lambda lines: [line[:-1] + "0" for line in lines], "marks no image as train")
    os.remove(written.train[0][1])
    user_error(cub_split, top, "train", contains=[f"{written.train[0][1]} not found", f"{top}/images.txt"])
    assert cub_split(top, "test").size == 6  # a missing training image does not concern the test split
    os.remove(os.path.join(top, "classes.txt"))
    user_error(cub_classes, top, contains=[f"{top}/classes.txt not found", "<label> <class name>"])


# --- Stanford Dogs ---------------------------------------------------------------------------------------------------

def test_dogs_mat_structure(tmp_path):
    import scipy.io

    written = write_dogs(tmp_path)
    mat = scipy.io.loadmat(os.path.join(written.top, "train_list.mat"))
    assert {"file_list", "annotation_list", "labels"} <= set(mat)
    assert mat["file_list"].shape == (9, 1) and mat["file_list"].dtype == object
    assert mat["file_list"][0, 0].shape == (1,)
    assert mat["file_list"][0, 0][0] == "n02085620-Chihuahua/n02085620_1000.jpg"
    assert mat["annotation_list"][0, 0][0] == "n02085620-Chihuahua/n02085620_1000"
    assert mat["labels"].shape == (9, 1) and mat["labels"].dtype == np.float64 and mat["labels"].min() == 1
    assert scipy.io.loadmat(os.path.join(written.top, "file_list.mat"))["file_list"].shape == (15, 1)


@pytest.mark.parametrize("folder", [None, "StanfordDogs", "stanford-dogs", "stanford_dogs"])
def test_dogs_reads_the_official_layout(tmp_path, folder):
    written = write_dogs(tmp_path / folder if folder else tmp_path)
    assert written.class_names == ("n02085620-Chihuahua", "n02085782-Japanese_spaniel", "n02085936-Maltese_dog")
    for data_dir in (written.top, str(tmp_path)):
        assert dogs_classes(data_dir) == written.class_names
        train, test = dogs_split(data_dir, "train"), dogs_split(data_dir, "test")
        assert_split(train, written.train, written.class_names)
        assert_split(test, written.test, written.class_names)
    assert train.labels.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    png = written.extras["png_as_jpg"][0]
    assert png in train.paths and png.endswith(".jpg") and sniff(png) == "png"
    check_images(train, "dogs train")


def test_dogs_layout_errors(tmp_path):
    user_error(dogs_classes, str(tmp_path),
               contains=["dogs: none of", f"{tmp_path}/train_list.mat", f"{tmp_path}/StanfordDogs/train_list.mat"])
    written = write_dogs(tmp_path)
    top = written.top
    os.remove(os.path.join(top, "test_list.mat"))
    assert dogs_split(top, "train").size == 9
    user_error(dogs_split, top, "test", contains=[f"{top}/test_list.mat not found", "lists.tar beside Images/"])
    os.rename(os.path.join(top, "Images"), os.path.join(top, "images"))
    user_error(dogs_classes, top, contains=[f"{top}/Images not found", "Images/<wnid>-<breed>/<file>.jpg"])


def test_dogs_malformed_lists(tmp_path):
    written = write_dogs(tmp_path)
    top = written.top
    train_mat, test_mat = os.path.join(top, "train_list.mat"), os.path.join(top, "test_list.mat")
    files = [os.path.relpath(p, os.path.join(top, "Images")) for p in written.train[0]]
    labels = (written.train[1] + 1).tolist()
    test_files = [os.path.relpath(p, os.path.join(top, "Images")) for p in written.test[0]]
    test_labels = (written.test[1] + 1).tolist()
    write_undecodable(test_mat)
    user_error(dogs_split, top, "test", contains=[f"{test_mat} is not a MATLAB file scipy can read",
                                                  "expected test_list.mat from the Stanford Dogs lists.tar"])
    import scipy.io

    scipy.io.savemat(test_mat, {"file_list": np.zeros((2, 1)), "names": np.zeros(1)})
    user_error(dogs_split, top, "test", contains=[f"{test_mat} has no variable 'labels'"])
    scipy.io.savemat(test_mat, {"file_list": np.zeros((2, 1)), "labels": np.ones((2, 1))})
    user_error(dogs_split, top, "test", contains=[f"{test_mat} file_list entry 1", "'<wnid>-<breed>/<file>.jpg'"])
    save_list(test_mat, test_files, test_labels[:-1])
    user_error(dogs_split, top, "test", contains=[f"{len(test_files)} file_list entries but {len(test_labels) - 1} "
                                                  "labels", "one label per file"])
    save_list(test_mat, test_files, test_labels[:-1] + [4])
    user_error(dogs_split, top, "test", contains=[f"{test_mat} holds label 4", "expected labels in 1..3"])
    save_list(test_mat, test_files, [2] + test_labels[1:])
    user_error(dogs_split, top, "test", contains=[f"gives {test_files[0]} label 2", "n02085782-Japanese_spaniel/",
                                                  "same breed folder for a label in both lists"])
    save_list(test_mat, test_files + ["n02085620-Chihuahua/n02085620_9.jpg"], test_labels + [1])
    missing = os.path.join(top, "Images", "n02085620-Chihuahua", "n02085620_9.jpg")
    user_error(dogs_split, top, "test", contains=[f"{missing} not found", f"every file of {test_mat}"])
    save_list(train_mat, files, [0] + labels[1:])
    user_error(dogs_classes, top, contains=[f"{train_mat} holds label 0", "labels from 1"])
    save_list(train_mat, files, labels[:-1] + [1])
    user_error(dogs_classes, top, contains=["gives label 1 to files of both n02085620-Chihuahua/ and "
                                            "n02085936-Maltese_dog/", "one breed folder per label"])
    save_list(train_mat, files, labels[:-3] + [4] * 3)
    user_error(dogs_classes, top, contains=["has no file of label 3", "1..4"])
    save_list(train_mat, files, [1, 1, 2] + labels[3:])
    user_error(dogs_classes, top, contains=["gives the files of n02085620-Chihuahua/ labels 1 and 2",
                                            "one label per breed folder"])
    scipy.io.savemat(train_mat, {"file_list": np.asarray(files, dtype=object).reshape(-1, 1),
                                 "labels": np.full((len(files), 1), 1.5)})
    user_error(dogs_classes, top, contains=[f"{train_mat} labels are float64", "whole numbers"])
