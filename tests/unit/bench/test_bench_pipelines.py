"""``bench --pipelines``: our image-file pipeline against a torch DataLoader on a tiny synthetic set (structure only,
never timings or ratios), the torch-less fallback, the ImageFolder source and the torchvision re-implementation."""
import os
import sys
import tempfile

import numpy as np
import pytest

from ats_ms.bench import pipelines as P

TINY = (2, 3)  # classes x images per class, at both sizes


def _check(result, with_torch, images=6):
    assert [row["size"] for row in result["sizes"]] == [64, 224]
    assert [row["recipe"] for row in result["sizes"]] == ["crop", "resized-crop"]
    assert result["workers"] >= 1 and result["cpu_count"] == os.cpu_count()
    for row in result["sizes"]:
        assert row["images"] == images
        assert isinstance(row["ours_img_per_s"], float) and row["ours_img_per_s"] > 0
        assert row["rounds"]["ours"]["images"] == images
        assert row["cpu_ms_per_img"]["ours"] > 0
        if with_torch:
            assert isinstance(row["torch_img_per_s"], float) and row["torch_img_per_s"] > 0
            assert row["rounds"]["torch"]["images"] == images
            assert row["ratio"] > 0 and row["cpu_ms_per_img"]["torch"] > 0
        else:
            assert row["torch_img_per_s"] is None and row["ratio"] is None and "torch" not in row["rounds"]
    lines = P.pipeline_lines(result)
    assert len(lines) == 5 and "64x64" in lines[1] and "224x224" in lines[2]


@pytest.mark.slow
def test_pipelines_synthetic_with_torch(tmp_path, monkeypatch):
    torch = pytest.importorskip("torch")
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    emitted = []
    result = P.run_pipelines(str(tmp_path / "missing"), 1, 4, 1, emitted.append, synthetic=TINY)
    _check(result, True)
    assert result["torch"] == torch.__version__
    assert "torchvision" in result["torch_transforms"]
    assert result["source"].startswith("synthetic JPEGs")
    assert any("no ImageFolder" in line for line in emitted)
    assert not list(temp.iterdir())  # the synthetic JPEGs are removed


def test_pipelines_without_torch(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch raises ImportError
    result = P.run_pipelines(str(tmp_path), 1, 4, 1, lambda line: None, synthetic=TINY)
    _check(result, False)
    assert result["torch"] is None and result["torch_transforms"] == "unavailable"
    assert "not installed" in P.pipeline_lines(result)[3]


def test_pipelines_reads_an_image_folder(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    P.write_synthetic(str(tmp_path), 64, 2, 4, seed=1)
    result = P.run_pipelines(str(tmp_path), 1, 4, 1, lambda line: None, synthetic=TINY)
    _check(result, False)  # a fixed subset of 2 x 3 of its 8 images
    assert str(tmp_path) in result["source"] and not result["source"].startswith("synthetic")


def test_torch_transforms_shapes_and_values():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    for size, recipe, (w, h) in ((64, "crop", (64, 64)), (64, "crop", (80, 50)), (224, "resized-crop", (500, 375)),
                                 (224, "resized-crop", (900, 40))):  # the last: RandomResizedCrop's fallback
        transform, _ = P.torch_transform(size, recipe)
        torch.manual_seed(0)
        out = transform(P._smooth_image(rng, w, h))
        assert out.dtype == torch.float32 and tuple(out.shape) == (3, size, size)
        assert torch.isfinite(out).all() and -2.2 < out.min() and out.max() < 2.7  # ImageNet-normalised [0, 1]
