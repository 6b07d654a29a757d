"""PyTorch -> MindSpore conversion: logits parity for each family, wrappers/prefixes, safe reading, CLI errors."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
ms = pytest.importorskip("mindspore")

from ats_ms import make_config  # noqa: E402
from ats_ms.config.record import read_record  # noqa: E402
from ats_ms.convert import (  # noqa: E402
    convert_file,
    read_torch_state_dict,
    torch_twins,  # noqa: E402
)
from ats_ms.models import create_model  # noqa: E402

FAMILIES = ["ResNet8", "WRN16-2", "VGG8", "ResNeXt29-4-4d", "MobileNetV2", "ShuffleNetV1"]


@pytest.fixture(scope="module", autouse=True)
def graph_mode():
    ms.set_device("CPU")
    ms.set_context(mode=ms.GRAPH_MODE)
    torch.set_num_threads(2)


def _twin(name, n_classes=10, seed=0):
    torch.manual_seed(seed)
    return torch_twins.randomize_bn(torch_twins.TWINS[name](n_classes), seed).eval()


@pytest.mark.parametrize("name", FAMILIES)
def test_converted_network_returns_pytorch_logits(tmp_path, name):
    twin = _twin(name)
    torch.save(twin.state_dict(), tmp_path / "twin.pth")
    convert_file(make_config("convert", net_name=name, src=str(tmp_path / "twin.pth"), dst=str(tmp_path / "twin.ckpt")))
    net = create_model(name, 10, checkpoint=str(tmp_path / "twin.ckpt"))
    net.set_train(False)
    x = np.random.default_rng(1).normal(size=(2, 3, 32, 32)).astype(np.float32)
    with torch.no_grad():
        want = twin(torch.from_numpy(x)).numpy()
    got = net(ms.Tensor(x)).asnumpy()
    np.testing.assert_allclose(got, want, atol=1e-4, rtol=0)


def test_every_cifar_network_has_a_twin():
    """``bench --torch`` takes any CIFAR network (``FAMILIES`` and the VGG tests below compare the twins' layers)."""
    from ats_ms.models import list_models
    from ats_ms.models.registry import image_size_of
    assert {n for n in list_models() if image_size_of(n) == 32} <= set(torch_twins.TWINS)


@pytest.mark.parametrize("name", ["VGG16", "VGG19"])
def test_deeper_vgg_twins_map_one_to_one_onto_the_network(name):
    """VGG's depth is its configuration (``FAMILIES`` runs VGG8): the twin's state_dict has our names and shapes."""
    from ats_ms.convert import torch_to_mindspore
    theirs = {k: tuple(v.shape) for k, v in torch_to_mindspore({k: v.numpy() for k, v in
                                                                _twin(name).state_dict().items()}).items()}
    assert theirs == {p.name: tuple(p.shape) for p in create_model(name, 10).get_parameters()}


def test_wrapped_and_prefixed_state_dicts(tmp_path):
    sd = _twin("ResNet8").state_dict()
    torch.save({"state_dict": {f"module.{k}": v for k, v in sd.items()}, "epoch": 3}, tmp_path / "wrapped.pth")
    got = read_torch_state_dict(str(tmp_path / "wrapped.pth"))
    assert set(got) == set(sd)
    np.testing.assert_array_equal(got["fc.weight"], sd["fc.weight"].numpy())


def test_pickle_with_code_is_refused_and_not_run(tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    torch.save({"fc.weight": torch.zeros(2, 2), "evil": Evil()}, tmp_path / "evil.pth",
               _use_new_zipfile_serialization=True)
    with pytest.raises(ValueError, match="cannot be read safely"):
        read_torch_state_dict(str(tmp_path / "evil.pth"))
    assert not marker.exists()


def test_convert_cli_records_the_recipe_and_never_overwrites(tmp_path, cli):
    torch.save(_twin("VGG8").state_dict(), tmp_path / "vgg.pth")
    dst = tmp_path / "ckpts" / "vgg.ckpt"  # a folder not made yet, as in README's paper path
    proc = cli("convert", "--net_name", "vgg8", "--src", tmp_path / "vgg.pth", "--dst", dst)
    assert proc.returncode == 0, proc.stderr
    assert "converted" in proc.stdout and "10 classes" in proc.stdout and dst.is_file()
    record = read_record(str(dst))
    assert (record["net_name"], record["n_classes"], record["dataset"], record["normalize"]) == \
        ("VGG8", 10, "cifar100", "imagenet")
    before = dst.read_bytes()
    again = cli("convert", "--net_name", "VGG8", "--src", tmp_path / "vgg.pth", "--dst", dst)
    assert again.returncode == 2 and again.stderr.startswith("error:") and "already exists" in again.stderr
    assert dst.read_bytes() == before
    wrong = cli("convert", "--net_name", "ResNet8", "--n_classes", 10, "--src", tmp_path / "vgg.pth",
                "--dst", tmp_path / "r.ckpt")
    assert wrong.returncode == 2 and "ResNet8" in wrong.stderr
    assert "Traceback" not in wrong.stderr and not (tmp_path / "r.ckpt").exists()
    classes = cli("convert", "--net_name", "VGG8", "--n_classes", 100, "--src", tmp_path / "vgg.pth",
                  "--dst", tmp_path / "c.ckpt")
    assert classes.returncode == 2 and "--n_classes=100" in classes.stderr and "10 classes" in classes.stderr
