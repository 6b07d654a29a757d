"""The built-in dataset entries: cifar100, cifar10, digits (in memory) and folder, tiny-imagenet, cub200,
stanford-dogs (image files in their official layouts, docs/datasets.md). Each is one ``register_dataset`` call; the
class lists of the image-file sets are read from their files (wnids.txt, classes.txt, the .mat lists), so a subset
in the official layout works as well as the full set."""
import functools
import importlib

from ats_ms.data.cifar import N_CLASSES
from ats_ms.data.digits import N_CLASSES as DIGITS_CLASSES
from ats_ms.data.registry import DatasetEntry, register_dataset


def _lazy(module, function):
    """``module.function``, imported when first called (the entries cost nothing at import)."""
    def call(*args):
        return getattr(importlib.import_module(f"ats_ms.data.{module}"), function)(*args)
    return call


def _cifar(name):
    def classes(data_dir):
        from ats_ms.data.cifar import CLASS_NAMES
        return CLASS_NAMES[name]

    def open_arrays(data_dir, split, download):
        from ats_ms.data.cifar import find_layout, load_cifar
        if download and find_layout(name, data_dir) is None:
            from ats_ms.data.download import download_cifar
            download_cifar(name, data_dir)
        return load_cifar(name, data_dir, split)

    def download(data_dir):
        from ats_ms.data.download import download_cifar
        download_cifar(name, data_dir)

    def open_native(data_dir, split, download_first):
        from ats_ms.data.cifar import binary_labels, cpp_reader, official_binary
        from ats_ms.data.pipeline import DataSplit
        if download_first:
            download(data_dir)
        folder = official_binary(name, data_dir)
        if folder is None:
            return None
        return DataSplit(name, split, binary_labels(name, data_dir, split), reader_dir=folder, stored_size=32,
                         native=functools.partial(cpp_reader, name, folder, split))

    count = N_CLASSES[name]
    return DatasetEntry(name, f"CIFAR-{count}, 32x32, downloaded when missing", 32, "cifar", "crop", classes,
                        count, open_arrays=open_arrays, download=download, open_native=open_native)


register_dataset(_cifar("cifar100"))
register_dataset(_cifar("cifar10"))
register_dataset(DatasetEntry(
    "digits", "scikit-learn's 1,797 handwritten digits upscaled to 32x32, shipped in its wheel", 32, "cifar", "crop",
    lambda data_dir: tuple(str(d) for d in range(DIGITS_CLASSES)), DIGITS_CLASSES,
    open_arrays=lambda data_dir, split, download: _lazy("digits", "load_digits")(split)))
register_dataset(DatasetEntry(
    "folder", "any ImageFolder tree DATA_DIR/train/<class>/*, DATA_DIR/val (or test)/<class>/*", 224, "imagenet",
    "resized-crop", _lazy("folder", "folder_classes"), open_files=_lazy("folder", "folder_split")))
register_dataset(DatasetEntry(
    "tiny-imagenet", "the official tiny-imagenet-200 folder, 200 classes, 64x64", 64, "imagenet", "crop",
    _lazy("tiny_imagenet", "tiny_imagenet_classes"), open_files=_lazy("tiny_imagenet", "tiny_imagenet_split")))
register_dataset(DatasetEntry(
    "cub200", "the official CUB_200_2011 folder, 200 bird species", 224, "imagenet", "resized-crop",
    _lazy("cub", "cub_classes"), open_files=_lazy("cub", "cub_split")))
register_dataset(DatasetEntry(
    "stanford-dogs", "Stanford Dogs: Images/ with train_list.mat and test_list.mat, 120 breeds", 224, "imagenet",
    "resized-crop", _lazy("dogs", "dogs_classes"), open_files=_lazy("dogs", "dogs_split")))
