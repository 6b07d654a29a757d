"""``python -m ats_ms bench --pipelines True``: our image-file training pipeline against what a PyTorch user runs.

Two sizes, each with the transform recipe of ``ats_ms.data.transforms`` that its datasets use:
- 64x64, ``crop`` (as Tiny ImageNet): decode, Resize((64, 64)), RandomCrop(64, padding=8), horizontal flip;
- 224x224, ``resized-crop`` (as ImageNet): RandomResizedCrop(224) (decoding only the crop), horizontal flip;
both then Normalize (ImageNet mean/std) and HWC -> CHW, batched. Two rows per size, timed in alternating rounds in
this process (``ats_ms.bench.steps.measure_rounds``, medians), never at the same time:
- ours: ``create_dataset("folder", ...)`` (random-access ``FileSource`` in a ``GeneratorDataset``, MindSpore C++
  vision ops) iterated for one epoch, pipeline construction included;
- torch: ``torch.utils.data.DataLoader(dataset, batch_size, shuffle=True, num_workers=W, persistent_workers=True)``
  with spawned workers (forking this process, which runs MindSpore's threads, can deadlock), started before the
  timed epochs, over an ImageFolder-style dataset doing torchvision's work on the same files:
  ``Image.open(f).convert("RGB")``, the same crop and flip as torchvision's transforms, ToTensor and Normalize.
  torchvision itself when it imports; otherwise (as on the machine this was written on, where PyPI's torchvision
  wheel links a CUDA torch) a re-implementation with PIL + torch of torchvision 0.29.1's transforms v1
  (``transforms.py``, ``functional.py``, ``_functional_pil.py``): the same PIL calls and the same torch random draws.
Both use W workers: ``--num_workers`` (0: ``ats_ms.data.pipeline.worker_count(0)``, one per core). Beside img/s
(wall clock), each row reports its median CPU milliseconds per image (this process's threads plus torch's worker
processes): on a machine other work shares, it moves less than img/s.

Files: if ``--data_dir`` is an ImageFolder (``train/<class>/<image>``), a fixed random subset of its training images
(as many as the synthetic set below, ``open_split(..., limit=n)``); otherwise synthetic JPEGs (Pillow, quality 90,
smooth random content) written to a temporary folder that is removed afterwards: 64x64: 10 classes x 500 = 5,000
images of 64x64 (~2 KB each, as Tiny ImageNet's); 224x224: 10 classes x 150 = 1,500 images of random sizes in
(375..500) x (333..500) (~60 KB each, ImageNet's average is ~110 KB). The files are read once before timing, so that
both rows read them from the page cache, and each row runs once on one batch first. At ``--rounds 3`` on 2 cores the
whole bench takes about a minute.

Without PyTorch only our rows are timed; the torch rows are reported as unavailable.
"""
import os
import resource
import shutil
import statistics
import tempfile
import time

import numpy as np

from ats_ms.bench.steps import measure_rounds

SIZES = ((64, "crop"), (224, "resized-crop"))
SYNTHETIC = {64: (10, 500), 224: (10, 150)}
LARGE_WIDTHS, LARGE_HEIGHTS = (375, 500), (333, 500)
JPEG_QUALITY = 90
TORCHVISION_REIMPLEMENTED = "0.29.1"
NORMALIZE = "imagenet"


# ----- the files -----

def _smooth_image(rng, width, height):
    """A photo-like RGB image: upsampled random colours (16x16 blocks, bicubic) plus fine uniform noise (+-10), so
    that its JPEG is about as large as a photograph's of the same size."""
    from PIL import Image
    small = rng.integers(0, 256, size=(max(2, height // 16), max(2, width // 16), 3), dtype=np.uint8)
    base = np.asarray(Image.fromarray(small).resize((width, height), Image.BICUBIC), np.int16)
    fine = rng.integers(0, 21, size=(height, width, 3), dtype=np.uint8)
    return Image.fromarray(np.clip(base + fine - 10, 0, 255).astype(np.uint8))


def write_synthetic(root, size, classes, per_class, seed=0):
    """Write an ImageFolder tree ``root/train/c<k>/<i>.jpg`` of synthetic JPEGs.

    Args:
        root (str): the folder to write into (created).
        size (int): 64 writes 64x64 images; otherwise sizes drawn from ``LARGE_WIDTHS`` x ``LARGE_HEIGHTS``.
        classes, per_class (int): class folders and images per class.
        seed (int): the random generator's seed.

    Returns:
        str: ``root``.
    """
    rng = np.random.default_rng(seed)
    for k in range(classes):
        class_dir = os.path.join(root, "train", f"c{k:03d}")
        os.makedirs(class_dir, exist_ok=True)
        for i in range(per_class):
            if size <= 64:
                width = height = size
            else:
                width = int(rng.integers(LARGE_WIDTHS[0], LARGE_WIDTHS[1] + 1))
                height = int(rng.integers(LARGE_HEIGHTS[0], LARGE_HEIGHTS[1] + 1))
            _smooth_image(rng, width, height).save(os.path.join(class_dir, f"{i:05d}.jpg"), "JPEG",
                                                   quality=JPEG_QUALITY)
    return root


def _folder_split(data_dir, limit):
    """The ``folder`` train split of ``data_dir`` limited to ``limit`` images, or (None, why) if it is none."""
    from ats_ms.data.pipeline import open_split
    from ats_ms.utils.errors import UserError
    if not data_dir or not os.path.isdir(os.path.join(data_dir, "train")):
        return None, f"{data_dir} holds no train/ folder"
    try:
        return open_split("folder", data_dir, "train", limit=limit), ""
    except UserError as exc:
        return None, str(exc)


def _warm(paths):
    """Read every file once, so that no row pays for the first read from disk."""
    for path in paths:
        with open(path, "rb") as f:
            while f.read(1 << 20):
                pass


# ----- torch: torchvision's work -----

def _import_torch():
    """torch, or None when it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def _import_torchvision_transforms():
    """torchvision's transforms module and version, or (None, None) when ``import torchvision`` fails (any error:
    a wheel built for another torch fails with OSError or RuntimeError, not only ImportError)."""
    try:
        import torchvision
        from torchvision import transforms
    except Exception:
        return None, None
    return transforms, torchvision.__version__


class Compose:
    """torchvision.transforms.Compose: the transforms in order."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img


class Resize:
    """torchvision.transforms.Resize((h, w)) on a PIL image, bilinear: unchanged when it already has that size
    (``functional.resize``), else ``img.resize((w, h), BILINEAR)`` (``_functional_pil.resize``; PIL antialiases)."""

    def __init__(self, size):
        self.size = (int(size[0]), int(size[1]))

    def __call__(self, img):
        from PIL import Image
        height, width = self.size
        if (img.height, img.width) == (height, width):
            return img
        return img.resize((width, height), Image.BILINEAR)


class RandomCrop:
    """torchvision.transforms.RandomCrop(size, padding) on a PIL image: ``ImageOps.expand`` with black
    (``_functional_pil.pad``, constant mode, fill 0), then a crop at offsets drawn by ``torch.randint``."""

    def __init__(self, size, padding=None):
        self.size, self.padding = (int(size), int(size)), padding

    def __call__(self, img):
        import torch
        from PIL import ImageOps
        if self.padding is not None:
            img = ImageOps.expand(img, border=self.padding, fill=(0,) * len(img.getbands()))
        width, height = img.size
        th, tw = self.size
        if height < th or width < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size {(height, width)}")
        if width == tw and height == th:
            return img
        i = torch.randint(0, height - th + 1, size=(1,)).item()
        j = torch.randint(0, width - tw + 1, size=(1,)).item()
        return img.crop((j, i, j + tw, i + th))


class RandomResizedCrop:
    """torchvision.transforms.RandomResizedCrop(size) on a PIL image: ``get_params`` (10 attempts at an area in
    ``scale`` and a log-uniform aspect ratio in ``ratio``, drawn with torch, then the centre-crop fallback), then
    ``img.crop`` and a bilinear ``Resize``."""

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0)):
        self.size, self.scale, self.ratio = (int(size), int(size)), scale, ratio
        self.resize = Resize(self.size)

    def get_params(self, img):
        import math

        import torch
        width, height = img.size
        area = height * width
        scale, ratio = self.scale, self.ratio
        log_ratio = torch.log(torch.tensor(ratio))
        for _ in range(10):
            target_area = area * torch.empty(1).uniform_(scale[0], scale[1]).item()
            aspect_ratio = torch.exp(torch.empty(1).uniform_(log_ratio[0], log_ratio[1])).item()
            w = int(round(math.sqrt(target_area * aspect_ratio)))
            h = int(round(math.sqrt(target_area / aspect_ratio)))
            if 0 < w <= width and 0 < h <= height:
                i = torch.randint(0, height - h + 1, size=(1,)).item()
                j = torch.randint(0, width - w + 1, size=(1,)).item()
                return i, j, h, w
        in_ratio = float(width) / float(height)
        if in_ratio < min(ratio):
            w = width
            h = int(round(w / min(ratio)))
        elif in_ratio > max(ratio):
            h = height
            w = int(round(h * max(ratio)))
        else:
            w, h = width, height
        return (height - h) // 2, (width - w) // 2, h, w

    def __call__(self, img):
        i, j, h, w = self.get_params(img)
        return self.resize(img.crop((j, i, j + w, i + h)))


class RandomHorizontalFlip:
    """torchvision.transforms.RandomHorizontalFlip(): ``FLIP_LEFT_RIGHT`` when ``torch.rand(1) < 0.5``."""

    def __call__(self, img):
        import torch
        from PIL import Image
        if torch.rand(1) < 0.5:
            return img.transpose(Image.FLIP_LEFT_RIGHT)
        return img


class ToTensor:
    """torchvision.transforms.ToTensor() of an RGB PIL image: uint8 HWC -> float CHW / 255 (``to_tensor``)."""

    def __call__(self, pic):
        import torch
        img = torch.from_numpy(np.array(pic, np.uint8, copy=True))
        img = img.view(pic.size[1], pic.size[0], len(pic.getbands()))
        img = img.permute((2, 0, 1)).contiguous()
        return img.to(dtype=torch.get_default_dtype()).div(255)


class Normalize:
    """torchvision.transforms.Normalize(mean, std): a copy minus mean, divided by std (``_functional_tensor``)."""

    def __init__(self, mean, std):
        self.mean, self.std = list(mean), list(std)

    def __call__(self, tensor):
        import torch
        tensor = tensor.clone()
        mean = torch.as_tensor(self.mean, dtype=tensor.dtype, device=tensor.device)
        std = torch.as_tensor(self.std, dtype=tensor.dtype, device=tensor.device)
        if (std == 0).any():
            raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, leading to division by zero.")
        return tensor.sub_(mean.view(-1, 1, 1)).div_(std.view(-1, 1, 1))


def torch_transform(size, recipe):
    """The torchvision training transform of ``recipe`` at ``size`` and what provides it.

    Returns:
        tuple: (callable PIL image -> float tensor (3, size, size), ``"torchvision X"`` or the re-implementation's
        name).
    """
    from ats_ms.data.transforms import NORMALIZATIONS
    mean, std = NORMALIZATIONS[NORMALIZE]
    tv, version = _import_torchvision_transforms()
    if tv is None:
        crop = [Resize((size, size)), RandomCrop(size, padding=size // 8)] if recipe == "crop" else \
            [RandomResizedCrop(size)]
        return Compose(crop + [RandomHorizontalFlip(), ToTensor(), Normalize(mean, std)]), \
            f"PIL+torch re-implementation of torchvision {TORCHVISION_REIMPLEMENTED} transforms"
    crop = [tv.Resize((size, size)), tv.RandomCrop(size, padding=size // 8)] if recipe == "crop" else \
        [tv.RandomResizedCrop(size)]
    return tv.Compose(crop + [tv.RandomHorizontalFlip(), tv.ToTensor(), tv.Normalize(mean, std)]), \
        f"torchvision {version}"


class ImageFileDataset:
    """torchvision's ImageFolder over given files: ``pil_loader`` (open, ``convert("RGB")``), the transform, the label
    as an int. A ``torch.utils.data.Dataset`` by duck typing (``__getitem__``, ``__len__``), as a map-style dataset."""

    def __init__(self, paths, labels, transform):
        self.paths, self.labels, self.transform = list(paths), [int(v) for v in labels], transform

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, index):
        from PIL import Image
        with open(self.paths[index], "rb") as f:
            img = Image.open(f)
            img = img.convert("RGB")
        return self.transform(img), self.labels[index]


# ----- the timers -----

def _ours_timer(split, size, recipe, batch_size, workers):
    from ats_ms.data.pipeline import create_dataset
    n_classes = int(split.labels.max()) + 1

    def timer():
        start = time.perf_counter()
        data = create_dataset("folder", "", "train", batch_size, n_classes=n_classes, normalize=NORMALIZE,
                              num_workers=workers, data=split, image_size=size, transform=recipe)
        images = 0
        for image, _ in data.create_tuple_iterator(num_epochs=1, output_numpy=True):
            images += image.shape[0]
        return time.perf_counter() - start, images

    return timer


def _torch_timer(split, transform, batch_size, workers):
    """Timer of one epoch of a DataLoader whose worker processes persist across epochs and are spawned: forking this
    process, which runs MindSpore's threads, can deadlock a worker. The workers start (and one batch is read) before
    the first timed epoch; ``timer.worker_cpu()`` reads their CPU seconds so far."""
    import psutil
    from torch.utils.data import DataLoader
    dataset = ImageFileDataset(split.files.paths, split.labels, transform)
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, num_workers=workers,
                        persistent_workers=workers > 0, multiprocessing_context="spawn" if workers else None)
    next(iter(loader))

    def timer():
        start = time.perf_counter()
        images = 0
        for image, _ in loader:
            images += int(image.shape[0])
        return time.perf_counter() - start, images

    def worker_cpu():
        procs = getattr(loader._iterator, "_workers", None) or []
        return sum(sum(psutil.Process(p.pid).cpu_times()[:2]) for p in procs if p.is_alive())

    timer.worker_cpu = worker_cpu
    return timer


def _head(split, n):
    """The first ``n`` images of ``split``, as a split."""
    from ats_ms.data.image_files import ImageFiles
    from ats_ms.data.pipeline import DataSplit
    files = ImageFiles(split.files.paths[:n], split.files.labels[:n], split.files.class_names)
    return DataSplit(split.name, split.split, split.labels[:n], files=files)


def _cpu_seconds():
    """CPU seconds (user + system) of this process and of its finished children (torch's joined workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _with_cpu(timer, samples):
    """``timer`` that also appends the CPU milliseconds per image of each run to ``samples``."""
    workers = getattr(timer, "worker_cpu", lambda: 0.0)  # persistent workers: never joined, so not in RUSAGE_CHILDREN

    def timed():
        before = _cpu_seconds() + workers()
        seconds, images = timer()
        samples.append((_cpu_seconds() + workers() - before) * 1e3 / max(images, 1))
        return seconds, images

    return timed


def _one_size(split, size, recipe, batch_size, workers, rounds, torch, emit):
    """Both rows of one size: each first run once on one batch (one-off start-up costs: MindSpore's pipeline
    machinery, torch's first worker processes), then timed in alternating rounds."""
    rows = {"ours": lambda data: _ours_timer(data, size, recipe, batch_size, workers)}
    transform_name = None
    if torch is not None:
        transform, transform_name = torch_transform(size, recipe)
        rows["torch"] = lambda data: _torch_timer(data, transform, batch_size, workers)
    emit(f"[pipelines] {size}x{size} {recipe}: {split.size} images, batch {batch_size}, {workers} workers")
    warm = _head(split, min(split.size, batch_size))
    for make in rows.values():
        make(warm)()
    cpu = {name: [] for name in rows}
    timed = measure_rounds({name: _with_cpu(make(split), cpu[name]) for name, make in rows.items()}, rounds, emit)
    ours = timed["ours"]["img_per_s"]
    theirs = timed["torch"]["img_per_s"] if "torch" in timed else None
    row = {"size": size, "recipe": recipe, "images": split.size, "ours_img_per_s": ours, "torch_img_per_s": theirs,
           "ratio": round(ours / theirs, 2) if theirs else None,
           "cpu_ms_per_img": {name: round(statistics.median(v), 3) for name, v in cpu.items()}, "rounds": timed}
    return row, transform_name


def run_pipelines(data_dir, num_workers, batch_size, rounds, emit, synthetic=None):
    """Time our training pipeline against a torch DataLoader doing torchvision's work, at 64x64 and 224x224.

    Args:
        data_dir (str): an ImageFolder (``train/<class>/<image>``) to read, else synthetic JPEGs are written.
        num_workers (int): workers of both pipelines (0: ``worker_count(0)``, one per core).
        batch_size (int): images per batch.
        rounds (int): alternating rounds (medians reported).
        emit (callable): progress lines.
        synthetic (tuple | None): (classes, images per class) of the image set of both sizes, synthetic or the
            subset of ``data_dir`` (None: ``SYNTHETIC``, 10 x 500 at 64 and 10 x 150 at 224).

    Returns:
        dict: ``sizes``: per size {"size", "recipe", "images", "ours_img_per_s", "torch_img_per_s" (None without
        torch), "ratio" (ours / torch, None without torch), "cpu_ms_per_img" ({"ours", "torch"}: median CPU
        milliseconds per image, all threads and worker processes), "rounds" (``measure_rounds``'s result)}; ``workers``,
        ``cpu_count``, ``batch_size``, ``source`` (the folder read, or the synthetic JPEGs written), ``torch``
        (version, or None), ``torch_transforms`` (torchvision's version, the re-implementation's name, or
        ``unavailable``).
    """
    from ats_ms.data.pipeline import open_split, worker_count
    workers = worker_count(num_workers)
    torch = _import_torch()
    if torch is None:
        from ats_ms.convert.torch_import import TORCH_HINT
        emit(f"[pipelines] PyTorch is not installed: timing our pipeline only; for the DataLoader rows: {TORCH_HINT}")
    result = {"workers": workers, "cpu_count": os.cpu_count(), "batch_size": batch_size,
              "torch": torch.__version__ if torch is not None else None, "torch_transforms": "unavailable",
              "sizes": []}
    counts = {size: tuple(synthetic) if synthetic else SYNTHETIC[size] for size, _ in SIZES}
    given, why = _folder_split(data_dir, max(c * n for c, n in counts.values()))
    if given is None:
        emit(f"[pipelines] --data_dir is no ImageFolder ({why}): writing synthetic JPEGs")
    sources = []
    for size, recipe in SIZES:
        classes, per_class = counts[size]
        temp = None
        try:
            if given is not None:
                split = given if given.size <= classes * per_class else open_split(
                    "folder", data_dir, "train", limit=classes * per_class)
                sources.append(f"{size}: {split.size} of the train images of {os.path.abspath(data_dir)}")
            else:
                temp = tempfile.mkdtemp(prefix=f"ats_ms_pipelines_{size}_")
                start = time.perf_counter()
                write_synthetic(temp, size, classes, per_class)
                split = open_split("folder", temp, "train")
                mean_kb = np.mean([os.path.getsize(p) for p in split.files.paths]) / 1024
                shape = f"{size}x{size}" if size <= 64 else \
                    f"{LARGE_WIDTHS[0]}..{LARGE_WIDTHS[1]}x{LARGE_HEIGHTS[0]}..{LARGE_HEIGHTS[1]}"
                sources.append(f"{size}: {classes}x{per_class} of {shape}, {mean_kb:.1f} KB")
                emit(f"[pipelines] wrote {split.size} synthetic JPEGs ({shape}, mean {mean_kb:.1f} KB) in "
                     f"{time.perf_counter() - start:.1f} s")
            _warm(split.files.paths)
            row, transform_name = _one_size(split, size, recipe, batch_size, workers, rounds, torch, emit)
        finally:
            if temp is not None:
                shutil.rmtree(temp, ignore_errors=True)
        result["sizes"].append(row)
        if transform_name:
            result["torch_transforms"] = transform_name
    result["source"] = ("" if given is not None else f"synthetic JPEGs (Pillow quality {JPEG_QUALITY}) ") + \
        "; ".join(sources)
    return result


def pipeline_lines(result):
    """The printable table of ``run_pipelines``'s result: one row per size, then the workers, cores, source and the
    torch transforms used."""
    def num(v):
        return "n/a" if v is None else f"{v:.1f}"

    lines = [f"{'size':>7}  {'recipe':<12} {'images':>6}  {'ours img/s':>10}  {'torch img/s':>11}  {'ours/torch':>10}"
             f"  {'CPU ms/img ours | torch':>23}"]
    for row in result["sizes"]:
        ratio = "n/a" if row["ratio"] is None else f"{row['ratio']:.2f}x"
        cpu = row.get("cpu_ms_per_img", {})
        cpu_text = " | ".join("n/a" if cpu.get(name) is None else f"{cpu[name]:.3f}" for name in ("ours", "torch"))
        lines.append(f"{row['size']:>3}x{row['size']:<3}  {row['recipe']:<12} {row['images']:>6}  "
                     f"{num(row['ours_img_per_s']):>10}  {num(row['torch_img_per_s']):>11}  {ratio:>10}"
                     f"  {cpu_text:>23}")
    torch = f"torch {result['torch']}, {result['torch_transforms']}" if result["torch"] else \
        "torch not installed (its rows are not timed)"
    lines.append(f"workers {result['workers']} (both pipelines), {result['cpu_count']} cores, batch "
                 f"{result['batch_size']}; {torch}")
    lines.append(f"source: {result['source']}")
    return lines
