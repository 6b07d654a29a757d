"""The ImageNet networks (ResNet18/34/50, MobileNetV2-ImageNet) against torchvision: parameter counts, state_dict
names and shapes, logits of a converted torchvision-style file (tests/torchvision_twins.py is the reference), the
initialisation, the registry's image sizes; every CIFAR family on 64x64 inputs; ``convert`` of a file named as
torchvision caches it."""

import numpy as np
import pytest

ms = pytest.importorskip("mindspore")

from ats_ms.models import create_model, list_models, resolve_name  # noqa: E402
from ats_ms.models.layers import param_count  # noqa: E402
from ats_ms.models.registry import image_size_of  # noqa: E402

# torchvision 0.29.1, meta["num_params"] of the ImageNet weights (1000 classes).
TORCHVISION_COUNTS = {"ResNet18": 11689512, "ResNet34": 21797672, "ResNet50": 25557032,
                      "MobileNetV2-ImageNet": 3504872}
IMAGENET = tuple(TORCHVISION_COUNTS)
# One CIFAR network per family runs in the quick selection, the others with the slow tests.
CIFAR_REPRESENTATIVES = ("ResNet20", "WRN16-2", "VGG8", "ResNeXt29-4-4d", "MobileNetV2", "ShuffleNetV1")
TOLERANCE = 1e-4  # on logits scaled to magnitude <= 1


@pytest.fixture(scope="module", autouse=True)
def graph_mode():
    ms.set_device("CPU")
    ms.set_context(mode=ms.GRAPH_MODE)


def _twins():
    torch = pytest.importorskip("torch")
    torch.set_num_threads(2)
    import torchvision_twins
    return torch, torchvision_twins


def _twin(name, n_classes=1000, seed=0):
    torch, tv = _twins()
    torch.manual_seed(seed)
    return tv.randomized(tv.TWINS[name][0](n_classes), seed)


def _assert_same_logits(got, want):
    scale = max(1.0, float(np.abs(want).max()))
    err = float(np.abs(got - want).max())
    assert got.shape == want.shape and err <= TOLERANCE * scale, f"max |logit diff| {err:.3g} (logit scale {scale:.3g})"
    return err


def _torch_logits(twin, x):
    torch, _ = _twins()
    with torch.no_grad():
        return twin(torch.from_numpy(x)).numpy()


def test_registry_names_and_image_sizes():
    cifar = [name for name in list_models() if image_size_of(name) == 32]
    assert len(cifar) == 31 and "MobileNetV2" in cifar
    assert [name for name in list_models() if image_size_of(name) == 224] == list(IMAGENET)
    assert resolve_name("resnet_18") == "ResNet18" and resolve_name("mobilenetv2_imagenet") == "MobileNetV2-ImageNet"
    assert resolve_name("mobilenetv2") == "MobileNetV2"
    assert image_size_of("resnet50") == 224 and image_size_of("ResNet8") == 32
    with pytest.raises(ValueError, match="network name='ResNet19' is unknown"):
        image_size_of("ResNet19")
    with pytest.raises(ValueError, match="^style demo exists for the demo's ResNet and VGG only"):
        create_model("ResNet18", 10, style="demo")


@pytest.mark.parametrize("name", IMAGENET)
def test_parameter_count_matches_torchvision(name):
    assert param_count(create_model(name, 1000)) == TORCHVISION_COUNTS[name]


@pytest.mark.parametrize("name", IMAGENET)
def test_twin_state_dict_maps_one_to_one_onto_the_network(name):
    """The twin has torchvision's parameter count, and its state_dict (BN renamed, num_batches_tracked dropped) has
    exactly our parameter names and shapes."""
    from ats_ms.convert import torch_to_mindspore
    twin = _twin(name)
    assert sum(p.numel() for p in twin.parameters()) == TORCHVISION_COUNTS[name]
    theirs = {k: tuple(v.shape) for k, v in torch_to_mindspore({k: v.numpy() for k, v in
                                                                twin.state_dict().items()}).items()}
    ours = {p.name: tuple(p.shape) for p in create_model(name, 1000).get_parameters()}
    assert theirs == ours


# (network, input height, width): 224x224 as designed, smaller (and odd) sizes where the test would be slow.
SLOW = pytest.mark.slow  # the quick suite keeps one size of ResNet18 and MobileNetV2
PARITY = [("ResNet18", 224, 224), pytest.param("ResNet18", 61, 45, marks=SLOW), ("MobileNetV2-ImageNet", 224, 224),
          pytest.param("MobileNetV2-ImageNet", 33, 47, marks=SLOW), pytest.param("ResNet34", 64, 64, marks=SLOW),
          pytest.param("ResNet50", 64, 64, marks=SLOW)]


@pytest.mark.parametrize("name,height,width", PARITY)
def test_converted_torchvision_file_gives_the_twins_logits(tmp_path, name, height, width):
    """A twin's random state_dict saved under torchvision's cache name, converted, loaded: the twin's logits."""
    from ats_ms import make_config
    from ats_ms.convert import convert_file
    torch, tv = _twins()
    twin = _twin(name)
    src = tmp_path / tv.TWINS[name][1]
    torch.save(twin.state_dict(), src)
    convert_file(make_config("convert", net_name=name, src=str(src), dst=str(tmp_path / "net.ckpt")))
    net = create_model(name, 1000, checkpoint=str(tmp_path / "net.ckpt"))
    net.set_train(False)
    x = np.random.default_rng(1).normal(size=(2, 3, height, width)).astype(np.float32)
    _assert_same_logits(net(ms.Tensor(x)).asnumpy(), _torch_logits(twin, x))


def test_folded_batchnorm_keeps_the_logits():
    """ResNet50's (conv, BN) pairs are all foldable (a frozen teacher's speed-up) and folding keeps its logits."""
    from ats_ms.models.fold import fold_batchnorm
    from ats_ms.verify.models import randomize_bn_stats
    net = randomize_bn_stats(create_model("ResNet50", 10))
    net.set_train(False)
    x = ms.Tensor(np.random.default_rng(0).normal(size=(1, 3, 64, 64)).astype(np.float32))
    want = net(x).asnumpy()
    assert fold_batchnorm(net) == 53
    _assert_same_logits(net(x).asnumpy(), want)


def test_initialisation_follows_torchvision():
    """Convolutions kaiming_normal fan_out, BN 1/0; ResNet's fc PyTorch's default Linear; MobileNetV2's classifier
    N(0, 0.01) with zero bias."""
    ms.set_seed(0)
    resnet = create_model("ResNet18", 1000)
    conv = resnet.layer4[0].conv2.weight.asnumpy()
    assert conv.std() == pytest.approx(np.sqrt(2.0 / (9 * 512)), rel=0.02)
    assert (resnet.layer1[0].bn1.gamma.asnumpy() == 1).all() and not resnet.layer1[0].bn1.beta.asnumpy().any()
    bound = 1 / np.sqrt(512)
    fc_w, fc_b = resnet.fc.weight.asnumpy(), resnet.fc.bias.asnumpy()
    assert np.abs(fc_w).max() <= bound and fc_w.std() == pytest.approx(bound / np.sqrt(3), rel=0.02)
    assert np.abs(fc_b).max() <= bound and fc_b.std() > 0
    mobile = create_model("MobileNetV2-ImageNet", 1000)
    depthwise = mobile.features[2].conv[1][0].weight.asnumpy()  # (96, 1, 3, 3): fan_out 96 * 9
    assert depthwise.shape == (96, 1, 3, 3) and depthwise.std() == pytest.approx(np.sqrt(2.0 / (9 * 96)), rel=0.05)
    linear = mobile.classifier[1]
    assert linear.weight.asnumpy().std() == pytest.approx(0.01, rel=0.02) and not linear.bias.asnumpy().any()
    # Dropout(0.2) is active in training only
    assert isinstance(mobile.classifier[0], ms.nn.Dropout) and mobile.classifier[0].p == pytest.approx(0.2)


@pytest.mark.parametrize("name", [name if name in CIFAR_REPRESENTATIVES else pytest.param(name, marks=pytest.mark.slow)
                                  for name in list_models() if image_size_of(name) == 32])
def test_cifar_networks_take_64x64_inputs(name):
    """In PyNative mode (the shapes are the point; a graph compile per network would cost more than the check)."""
    net = create_model(name, 5)
    net.set_train(False)
    ms.set_context(mode=ms.PYNATIVE_MODE)
    try:
        out = net(ms.Tensor(np.random.default_rng(0).normal(size=(1, 3, 64, 64)).astype(np.float32))).asnumpy()
    finally:
        ms.set_context(mode=ms.GRAPH_MODE)
    assert out.shape == (1, 5) and np.isfinite(out).all()


def test_convert_file_takes_the_class_count_from_the_file_and_flags_override_the_record(tmp_path):
    from ats_ms import make_config
    from ats_ms.config.record import read_record
    from ats_ms.convert import convert_file
    torch, tv = _twins()
    src = tmp_path / tv.TWINS["MobileNetV2-ImageNet"][1]
    torch.save(_twin("MobileNetV2-ImageNet", n_classes=10).state_dict(), src)
    config = make_config("convert", net_name="mobilenetv2_imagenet", src=str(src), dst=str(tmp_path / "a.ckpt"))
    net, record = convert_file(config)
    assert (record["net_name"], record["n_classes"], record["normalize"], record["image_size"]) == \
        ("MobileNetV2-ImageNet", 10, "imagenet", 224)
    assert read_record(str(tmp_path / "a.ckpt")) == record and param_count(net) == 3504872 - 990 * 1281
    overridden = make_config("convert", net_name="MobileNetV2-ImageNet", src=str(src), dst=str(tmp_path / "b.ckpt"),
                             normalize="cifar", dataset="cifar10", n_classes=10, image_size=96)
    _, record = convert_file(overridden)
    assert (record["normalize"], record["dataset"], record["image_size"]) == ("cifar", "cifar10", 96)
    with pytest.raises(ValueError, match="n_classes=100 but .* 10 classes"):
        convert_file(overridden.replace(n_classes=100, dst=str(tmp_path / "c.ckpt")))


def test_convert_cli_reads_a_torchvision_cache_file(tmp_path, cli):
    from ats_ms.config.record import read_record
    torch, _ = _twins()
    twin = _twin("ResNet18", seed=3)
    src = tmp_path / "resnet18-f37072fd.pth"
    torch.save(twin.state_dict(), src)
    dst = tmp_path / "resnet18.ckpt"
    proc = cli("convert", "--net_name", "ResNet18", "--src", src, "--dst", dst)
    assert proc.returncode == 0, proc.stderr
    assert "ResNet18, 1000 classes, 11,689,512 parameters" in proc.stdout and "image size 224" in proc.stdout
    record = read_record(str(dst))
    assert (record["net_name"], record["n_classes"], record["normalize"], record["image_size"], record["source"]) == \
        ("ResNet18", 1000, "imagenet", 224, "resnet18-f37072fd.pth")
    net = create_model("ResNet18", 1000, checkpoint=str(dst))
    net.set_train(False)
    x = np.random.default_rng(2).normal(size=(2, 3, 224, 224)).astype(np.float32)
    _assert_same_logits(net(ms.Tensor(x)).asnumpy(), _torch_logits(twin, x))
    small = cli("convert", "--net_name", "ResNet18", "--src", src, "--dst", tmp_path / "small.ckpt",
                "--image_size", 128, "--normalize", "cifar")
    assert small.returncode == 0, small.stderr
    record = read_record(str(tmp_path / "small.ckpt"))
    assert (record["image_size"], record["normalize"]) == (128, "cifar")
