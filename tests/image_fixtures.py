"""Tiny image datasets in their official on-disk layouts (ImageFolder, Tiny ImageNet, CUB-200-2011, Stanford Dogs),
written by the tests with real (random-pixel) images; each writer returns what it wrote as a ``Written``."""
import os
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

TINY_WNIDS = ("n02124075", "n01443537", "n04067472", "n02085620", "n09193705", "n03014705")  # not sorted
CUB_NAMES = ("Black_footed_Albatross", "Laysan_Albatross", "Sooty_Albatross", "Groove_billed_Ani", "Crested_Auklet")
DOG_BREEDS = (("n02085620", "Chihuahua"), ("n02085782", "Japanese_spaniel"), ("n02085936", "Maltese_dog"),
              ("n02086079", "Pekinese"), ("n02105855", "Shetland_sheepdog"))


@dataclass
class Written:
    """What a writer wrote: the dataset's top folder, its class names (index = label) and, per split, the image paths
    in the order a reader must return them with their labels; ``extras`` holds files a reader must skip or ignore."""

    top: str
    class_names: tuple
    train: tuple
    test: tuple
    extras: dict = field(default_factory=dict)


def save_image(path, rng, size=40, mode="RGB", fmt="JPEG"):
    """Write a random-pixel image of ``size`` (an int or (width, height)) in ``mode`` and ``fmt`` to ``path``."""
    width, height = (size, size) if isinstance(size, int) else size
    image = Image.fromarray(rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8))
    if mode != "RGB":
        image = image.convert(mode)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    image.save(path, format=fmt, **({"quality": 60} if fmt == "JPEG" else {}))
    return path


def _write_text(path, lines):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(line + "\n" for line in lines))


def write_undecodable(path):
    """Write bytes that are no image under ``path`` (an image name); returns ``path``."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "wb") as f:
        f.write(b"\x00\x01 this is not an image, whatever its name says \x02\x03" * 4)
    return path


def _torchvision_order(paths):
    """torchvision's order of the images of one class: folders sorted by path, then names sorted within a folder."""
    return sorted(paths, key=lambda p: (os.path.dirname(p), os.path.basename(p)))


def write_folder(root, classes=("cat", "dog", "zebra"), n_train=4, n_val=2, size=40, split_name="val", seed=0):
    """An ImageFolder tree ``root/train/<class>/...`` and ``root/<split_name>/<class>/...``.

    Beside ``n_train``/``n_val`` RGB JPEGs per class, train/ holds: a grayscale JPEG, a JPEG in a nested folder of the
    first class (``nested/deep.png``), a palette PNG and a CMYK JPEG with an upper-case suffix in the second, a PNG
    under a ``.jpg`` name in the third, and ``.DS_Store``, ``notes.txt`` and ``Thumbs.db`` in the first (skipped).
    Class folders are created in reverse order (the reader must sort them).
    """
    rng = np.random.default_rng(seed)
    root = os.path.abspath(root)
    n = len(classes)
    special = [(0, ("portrait_gray.jpg", "L", "JPEG")), (0, (os.path.join("nested", "deep.png"), "RGB", "PNG")),
               (1 % n, ("palette.png", "P", "PNG")), (1 % n, ("CMYK.JPEG", "CMYK", "JPEG")),
               (2 % n, ("disguised.jpg", "RGB", "PNG"))]
    splits = {}
    extras = {"skipped": [], "png_as_jpg": []}
    for split, count in (("train", n_train), (split_name, n_val)):
        per_class = {}
        for c in reversed(range(n)):
            folder = os.path.join(root, split, classes[c])
            os.makedirs(folder, exist_ok=True)
            specs = [(f"{classes[c]}_{i:02d}.jpg", "RGB", "JPEG") for i in reversed(range(count))]
            if split == "train":
                specs += [spec for owner, spec in special if owner == c]
            per_class[classes[c]] = [save_image(os.path.join(folder, name), rng, size, mode, fmt)
                                     for name, mode, fmt in specs]
            if split == "train" and c == 2 % n:
                extras["png_as_jpg"].append(os.path.join(folder, "disguised.jpg"))
            if split == "train" and c == 0:
                for junk in (".DS_Store", "notes.txt", "Thumbs.db"):
                    with open(os.path.join(folder, junk), "wb") as f:
                        f.write(b"\x00\x00\x00\x01Bud1" if junk == ".DS_Store" else b"not an image\n")
                    extras["skipped"].append(os.path.join(folder, junk))
        paths, labels = [], []
        for label, name in enumerate(sorted(classes)):
            ordered = _torchvision_order(per_class[name])
            paths += ordered
            labels += [label] * len(ordered)
        splits[split] = (paths, np.asarray(labels, dtype=np.int32))
    return Written(root, tuple(sorted(classes)), splits["train"], splits[split_name], extras)


def write_tiny_imagenet(root, n_classes=3, n_train=4, n_val=2, size=64, seed=1):
    """``root/tiny-imagenet-200/`` in the layout of ``tiny-imagenet-200.zip`` (wnids.txt in a non-sorted order).

    The annotation file lists the val images in reverse order of their names (the reader keeps the file's order);
    the second training image of the first class is grayscale.
    """
    rng = np.random.default_rng(seed)
    wnids = TINY_WNIDS[:n_classes] if n_classes <= len(TINY_WNIDS) else tuple(
        f"n{9000000 + i:08d}" for i in range(n_classes))
    top = os.path.join(os.path.abspath(root), "tiny-imagenet-200")
    _write_text(os.path.join(top, "wnids.txt"), wnids)
    _write_text(os.path.join(top, "words.txt"), [f"{w}\tthing {i}, object {i}" for i, w in enumerate(wnids)]
                + ["n00001740\tentity"])
    train_paths, train_labels = [], []
    for label, wnid in enumerate(wnids):
        names = [f"{wnid}_{i}.JPEG" for i in range(n_train)]
        for i, name in enumerate(names):
            mode = "L" if (label, i) == (0, 1) else "RGB"
            train_paths.append(save_image(os.path.join(top, "train", wnid, "images", name), rng, size, mode))
            train_labels.append(label)
        _write_text(os.path.join(top, "train", wnid, f"{wnid}_boxes.txt"), [f"{n}\t0\t0\t63\t63" for n in names])
    annotations, val = [], []
    for i in range(n_val * n_classes):
        label = (i * 2 + 1) % n_classes
        name = f"val_{i}.JPEG"
        val.append((save_image(os.path.join(top, "val", "images", name), rng, size), label))
        annotations.append(f"{name}\t{wnids[label]}\t{i % 5}\t3\t60\t61")
    val.reverse()
    annotations.reverse()
    _write_text(os.path.join(top, "val", "val_annotations.txt"), annotations)
    save_image(os.path.join(top, "test", "images", "test_0.JPEG"), rng, size)
    return Written(top, wnids, (train_paths, np.asarray(train_labels, dtype=np.int32)),
                   ([p for p, _ in val], np.asarray([lab for _, lab in val], dtype=np.int32)),
                   {"unlabelled": [os.path.join(top, "test", "images", "test_0.JPEG")]})


def write_cub(root, n_classes=3, n_per_class=4, size=40, seed=2):
    """``root/CUB_200_2011/`` in the layout of ``CUB_200_2011.tgz``; even images of a class are train (flag 1).

    Images have varied sizes; image id 2 is grayscale.
    """
    rng = np.random.default_rng(seed)
    top = os.path.join(os.path.abspath(root), "CUB_200_2011")
    names = [f"{k + 1:03d}.{CUB_NAMES[k % len(CUB_NAMES)]}{'' if k < len(CUB_NAMES) else k}" for k in range(n_classes)]
    images, labels, flags, boxes = [], [], [], []
    splits = {1: ([], []), 0: ([], [])}
    image_id = 0
    for k, folder in enumerate(names):
        for j in range(n_per_class):
            image_id += 1
            rel = f"{folder}/{folder.split('.', 1)[1]}_{j + 1:04d}_{790000 + image_id}.jpg"
            mode = "L" if image_id == 2 else "RGB"
            path = save_image(os.path.join(top, "images", *rel.split("/")), rng, (size + j, size + k), mode)
            flag = 1 if j % 2 == 0 else 0
            images.append(f"{image_id} {rel}")
            labels.append(f"{image_id} {k + 1}")
            flags.append(f"{image_id} {flag}")
            boxes.append(f"{image_id} 1.0 2.0 30.0 20.0")
            splits[flag][0].append(path)
            splits[flag][1].append(k)
    _write_text(os.path.join(top, "images.txt"), images)
    _write_text(os.path.join(top, "image_class_labels.txt"), labels)
    _write_text(os.path.join(top, "train_test_split.txt"), flags)
    _write_text(os.path.join(top, "classes.txt"), [f"{k + 1} {name}" for k, name in enumerate(names)])
    _write_text(os.path.join(top, "bounding_boxes.txt"), boxes)
    as_split = {flag: (paths, np.asarray(labs, dtype=np.int32)) for flag, (paths, labs) in splits.items()}
    return Written(top, tuple(names), as_split[1], as_split[0])


def cell_array(strings):
    """A MATLAB cell array (N, 1) of strings as scipy.io.savemat writes it: an object array of 1-element arrays."""
    cells = np.empty((len(strings), 1), dtype=object)
    for i, text in enumerate(strings):
        cells[i, 0] = np.array([text])
    return cells


def save_list(path, files, labels):
    """A Stanford Dogs list (``file_list``, ``annotation_list``, ``labels`` (N, 1) float64 1-based) at ``path``."""
    import scipy.io

    scipy.io.savemat(path, {"file_list": cell_array(files),
                            "annotation_list": cell_array([f[:-len(".jpg")] for f in files]),
                            "labels": np.asarray(labels, dtype=np.float64).reshape(-1, 1)})
    return path


def write_dogs(root, n_classes=3, n_train=3, n_test=2, size=40, seed=3):
    """``root/Images/<wnid>-<breed>/<wnid>_<n>.jpg`` and ``root/{train,test,file}_list.mat`` as lists.tar unpacks.

    The first training image of the second breed is a PNG under a ``.jpg`` name, as one file of the real set.
    """
    rng = np.random.default_rng(seed)
    top = os.path.abspath(root)
    breeds = [f"{w}-{b}" for w, b in DOG_BREEDS[:n_classes]]
    lists = {"train": ([], []), "test": ([], [])}
    extras = {"png_as_jpg": []}
    for k, folder in enumerate(breeds):
        wnid = folder.split("-")[0]
        for j in range(n_train + n_test):
            rel = f"{folder}/{wnid}_{1000 + 37 * j + k}.jpg"
            png = (k, j) == (1 % n_classes, 0)
            save_image(os.path.join(top, "Images", *rel.split("/")), rng, size, fmt="PNG" if png else "JPEG")
            if png:
                extras["png_as_jpg"].append(os.path.join(top, "Images", *rel.split("/")))
            split = "train" if j < n_train else "test"
            lists[split][0].append(rel)
            lists[split][1].append(k + 1)
    for split, (files, labels) in lists.items():
        save_list(os.path.join(top, f"{split}_list.mat"), files, labels)
    save_list(os.path.join(top, "file_list.mat"), lists["train"][0] + lists["test"][0],
              lists["train"][1] + lists["test"][1])
    out = {split: ([os.path.join(top, "Images", *f.split("/")) for f in files],
                   np.asarray(labels, dtype=np.int32) - 1) for split, (files, labels) in lists.items()}
    return Written(top, tuple(breeds), out["train"], out["test"], extras)


def train_folder_teacher(root):
    """A ResNet8 teacher trained one epoch on an ImageFolder written under ``root`` at 40x40 with the crop recipe:
    (data folder, checkpoint); the ``folder_teacher`` fixture of conftest."""
    import ats_ms
    write_folder(str(root / "data"))
    config = ats_ms.make_config("classify", dataset="folder", data_dir=str(root / "data"), image_size=40,
                                transform="crop", net_name="ResNet8", epoches=1, batch_size=4, print_every=0,
                                ckpt_dir=str(root / "c"), log_dir=str(root / "l"))
    ats_ms.train(config, emit=lambda line: None)
    return root / "data", str(root / "c" / "folder-ResNet8.ckpt")
