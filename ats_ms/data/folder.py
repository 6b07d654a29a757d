"""The ``folder`` dataset: any torchvision ImageFolder tree, e.g. ImageNet after the usual re-organisation.

Layout (``data_dir`` is the folder holding ``train/``)::

    data_dir/train/<class>/<image>        the training images
    data_dir/val/<class>/<image>          the evaluation images (``data_dir/test/<class>/...`` when there is no val/)

Classes and files are ordered exactly as torchvision's ``ImageFolder``: the class folders of ``train/`` sorted by name
(label = index), each class folder walked recursively (symbolic links followed) with the folders sorted by path and
the files of each folder sorted by name. Files whose names are no image (``is_image_name``) are skipped; the files
are neither opened nor decoded here (``image_files.check_images`` does that).
"""
import os

import numpy as np

from ats_ms.data.image_files import ImageFiles, check_split, first_names, is_image_name
from ats_ms.utils.errors import UserError

DATASET = "folder"


def _class_folders(split_dir):
    """The sorted names of the sub-folders of ``split_dir`` (torchvision's ``find_classes``)."""
    try:
        with os.scandir(split_dir) as entries:
            return tuple(sorted(entry.name for entry in entries if entry.is_dir()))
    except OSError as exc:
        raise UserError(f"{DATASET}: cannot list {split_dir} ({exc.strerror}); expected a readable folder")


def _train_dir(data_dir):
    if not os.path.isdir(data_dir):
        raise UserError(f"{DATASET}: --data_dir {data_dir} is not a folder; expected a folder holding "
                        f"train/<class>/<image> and val/<class>/<image>")
    train_dir = os.path.join(os.path.abspath(data_dir), "train")
    if not os.path.isdir(train_dir):
        raise UserError(f"{DATASET}: {train_dir} not found; expected the training images as "
                        f"{train_dir}/<class>/<image>")
    return train_dir


def _split_classes(split_dir):
    classes = _class_folders(split_dir)
    if not classes:
        raise UserError(f"{DATASET}: {split_dir} holds no class folder; expected one sub-folder per class, "
                        f"{split_dir}/<class>/<image>")
    return classes


def folder_classes(data_dir):
    """The class names: the sorted sub-folder names of ``data_dir/train`` (one directory listing).

    Args:
        data_dir: the folder holding ``train/``.

    Returns:
        tuple of class folder names; the index of a name is its label.

    Raises:
        UserError: ``data_dir`` or ``data_dir/train`` is missing, or ``train/`` holds no class folder.
    """
    return _split_classes(_train_dir(data_dir))


def _walk(folder, found, ancestors):
    """Append ``(folder, sorted image names)`` for ``folder`` and every folder below it (links followed, no cycles)."""
    names, subdirs = [], []
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                try:
                    is_dir = entry.is_dir()
                except OSError:
                    is_dir = False
                if is_dir:
                    subdirs.append(entry)
                elif is_image_name(entry.name):
                    names.append(entry.name)
    except OSError as exc:
        raise UserError(f"{DATASET}: cannot list {folder} ({exc.strerror}); expected a readable folder")
    found.append((folder, sorted(names)))
    for entry in subdirs:
        try:
            st = entry.stat()
        except OSError:
            continue
        key = (st.st_dev, st.st_ino)
        if key not in ancestors:  # a link back to a folder above would loop for ever
            _walk(entry.path, found, ancestors | {key})


def _class_images(class_dir):
    """The image paths under ``class_dir`` in torchvision's order (``sorted(os.walk(...))``, names sorted)."""
    found = []
    st = os.stat(class_dir)
    _walk(class_dir, found, frozenset([(st.st_dev, st.st_ino)]))
    found.sort(key=lambda item: item[0])
    return [os.path.join(folder, name) for folder, names in found for name in names]


def _eval_dir(data_dir):
    val_dir, test_dir = os.path.join(data_dir, "val"), os.path.join(data_dir, "test")
    for split_dir in (val_dir, test_dir):
        if os.path.isdir(split_dir):
            return split_dir
    raise UserError(f"{DATASET}: neither {val_dir} nor {test_dir} exists; expected the evaluation images as "
                    f"{val_dir}/<class>/<image>")


def folder_split(data_dir, split):
    """The image files and labels of one split of an ImageFolder tree.

    Args:
        data_dir: the folder holding ``train/`` and ``val/`` (or ``test/``).
        split: ``"train"`` reads ``train/``; ``"test"`` reads ``val/``, else ``test/``.

    Returns:
        ``ImageFiles`` with absolute paths, int32 labels (index of the class folder among the sorted class folders of
        ``train/``) and the class names.

    Raises:
        UserError: a folder is missing, the class folders of ``train/`` and the evaluation folder differ, or a class
            folder holds no image file.
    """
    check_split(split)
    train_dir = _train_dir(data_dir)
    classes = _split_classes(train_dir)
    split_dir = train_dir
    if split == "test":
        split_dir = _eval_dir(os.path.dirname(train_dir))
        theirs = _split_classes(split_dir)
        if theirs != classes:
            only_train = sorted(set(classes) - set(theirs))
            only_split = sorted(set(theirs) - set(classes))
            side = os.path.basename(split_dir)
            parts = [f"only in train/: {first_names(only_train)}" if only_train else "",
                     f"only in {side}/: {first_names(only_split)}" if only_split else ""]
            raise UserError(f"{DATASET}: the class folders of {train_dir} and {split_dir} differ "
                            f"({'; '.join(p for p in parts if p)}); expected the same class folders in both")
    paths, counts = [], []
    for name in classes:
        class_dir = os.path.join(split_dir, name)
        images = _class_images(class_dir)
        if not images:
            raise UserError(f"{DATASET}: class folder {class_dir} holds no image file; expected at least one image "
                            f"(.jpg, .png, ...) in it")
        paths.extend(images)
        counts.append(len(images))
    labels = np.repeat(np.arange(len(classes), dtype=np.int32), counts)
    return ImageFiles(paths=paths, labels=labels, class_names=classes)
