"""Tiny ImageNet in its official layout, the ``tiny-imagenet-200`` folder unpacked from ``tiny-imagenet-200.zip``.

Layout (../shared/docs/ATS_NOTES.md section 11)::

    tiny-imagenet-200/wnids.txt                          the 200 wnids; their order in the file is the class order
    tiny-imagenet-200/train/<wnid>/images/*.JPEG         the training images (500 per class)
    tiny-imagenet-200/val/images/val_<i>.JPEG            the evaluation images (10,000)
    tiny-imagenet-200/val/val_annotations.txt            file<TAB>wnid<TAB>x0<TAB>y0<TAB>x1<TAB>y1 per image
    tiny-imagenet-200/test/images/                       unlabelled, never used

``--data_dir`` names ``tiny-imagenet-200`` or the folder holding it. The ``test`` split is the val folder, in the
order of ``val_annotations.txt``; training images are sorted by name within each class.
"""
import os

import numpy as np

from ats_ms.data.image_files import ImageFiles, check_split, first_missing, is_image_name, locate, read_lines
from ats_ms.utils.errors import UserError

DATASET = "tiny-imagenet"
FOLDER = "tiny-imagenet-200"
MARKER = "wnids.txt"


def _top(data_dir):
    return locate(data_dir, FOLDER, MARKER, DATASET)


def _read_wnids(top):
    path = os.path.join(top, MARKER)
    lines = read_lines(path, "the tiny-imagenet-200 wnids.txt, one wnid per line", DATASET)
    if not lines:
        raise UserError(f"{DATASET}: {path} is empty; expected one wnid per line (200 in the official file)")
    seen = {}
    for number, line in lines:
        if len(line.split()) != 1:
            raise UserError(f"{DATASET}: {path} line {number} is {line[:60]!r}; expected one wnid such as n01443537")
        if line in seen:
            raise UserError(f"{DATASET}: {path} line {number} repeats wnid {line} of line {seen[line]}; expected "
                            f"each wnid once")
        seen[line] = number
    return tuple(line for _, line in lines)


def tiny_imagenet_classes(data_dir):
    """The class names: the wnids in the order of ``wnids.txt`` (only that file is read).

    Args:
        data_dir: the ``tiny-imagenet-200`` folder or the folder holding it.

    Returns:
        tuple of wnids; the index of a wnid is its label.

    Raises:
        UserError: ``wnids.txt`` is missing, empty, malformed or repeats a wnid.
    """
    return _read_wnids(_top(data_dir))


def _train(top, wnids):
    train_dir = os.path.join(top, "train")
    if not os.path.isdir(train_dir):
        raise UserError(f"{DATASET}: {train_dir} not found; expected the training images as "
                        f"{train_dir}/<wnid>/images/*.JPEG")
    paths, counts = [], []
    for wnid in wnids:
        folder = os.path.join(train_dir, wnid, "images")
        try:
            with os.scandir(folder) as entries:
                names = sorted(entry.name for entry in entries if is_image_name(entry.name))
        except FileNotFoundError:
            raise UserError(f"{DATASET}: {folder} not found; expected the training images of wnid {wnid} "
                            f"(listed in wnids.txt) there")
        except OSError as exc:
            raise UserError(f"{DATASET}: cannot list {folder} ({exc.strerror}); expected a readable folder")
        if not names:
            raise UserError(f"{DATASET}: {folder} holds no image file; expected the .JPEG training images of wnid "
                            f"{wnid} there")
        paths.extend(os.path.join(folder, name) for name in names)
        counts.append(len(names))
    return paths, np.repeat(np.arange(len(wnids), dtype=np.int32), counts)


def _val(top, wnids):
    val_dir = os.path.join(top, "val")
    images_dir = os.path.join(val_dir, "images")
    path = os.path.join(val_dir, "val_annotations.txt")
    lines = read_lines(path, "the tiny-imagenet-200 val_annotations.txt labelling val/images",
                       DATASET)
    if not os.path.isdir(images_dir):
        raise UserError(f"{DATASET}: {images_dir} not found; expected the evaluation images listed in {path} there")
    index = {wnid: i for i, wnid in enumerate(wnids)}
    paths, labels, seen = [], [], {}
    for number, line in lines:
        fields = [f.strip() for f in line.split("\t")]
        if len(fields) < 2 or not fields[0] or not fields[1] or len(fields[0].split()) != 1:
            raise UserError(f"{DATASET}: {path} line {number} is malformed ({line[:60]!r}); expected "
                            f"file<TAB>wnid<TAB>x0<TAB>y0<TAB>x1<TAB>y1")
        name, wnid = fields[0], fields[1]
        if wnid not in index:
            raise UserError(f"{DATASET}: {path} line {number} labels {name} with wnid {wnid}, which is not in "
                            f"wnids.txt; expected one of the {len(wnids)} wnids of wnids.txt")
        if name in seen:
            raise UserError(f"{DATASET}: {path} line {number} labels {name} again (first on line {seen[name]}); "
                            f"expected each file once")
        seen[name] = number
        paths.append(os.path.join(images_dir, name))
        labels.append(index[wnid])
    if not paths:
        raise UserError(f"{DATASET}: {path} labels no image; expected one line per image of {images_dir}")
    missing = first_missing(paths)
    if missing is not None:
        raise UserError(f"{DATASET}: {missing} not found; expected every file named in {path} under {images_dir}")
    return paths, np.asarray(labels, dtype=np.int32)


def tiny_imagenet_split(data_dir, split):
    """The image files and labels of one Tiny ImageNet split.

    Args:
        data_dir: the ``tiny-imagenet-200`` folder or the folder holding it.
        split: ``"train"`` (``train/<wnid>/images``) or ``"test"`` (``val/images`` labelled by ``val_annotations.txt``).

    Returns:
        ``ImageFiles`` with absolute paths, int32 labels (index of the wnid in ``wnids.txt``) and the wnids.

    Raises:
        UserError: a file or folder of the layout is missing or malformed (see the module docstring).
    """
    check_split(split)
    top = _top(data_dir)
    wnids = _read_wnids(top)
    paths, labels = (_train if split == "train" else _val)(top, wnids)
    return ImageFiles(paths=paths, labels=labels, class_names=wnids)
