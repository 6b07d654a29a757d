"""Registry, shapes in GRAPH mode (one network per family), parameter counts against the reference table, strict
checkpoint loading, the demo-style networks against a network written from the demo's description, and the official
distillation script's student initialisation."""
import numpy as np
import pytest

ms = pytest.importorskip("mindspore")

from ats_ms.models import create_model, list_models, resolve_name  # noqa: E402
from ats_ms.models.checkpoint import load_strict, save_network  # noqa: E402
from ats_ms.models.layers import param_count  # noqa: E402
from ats_ms.models.registry import image_size_of  # noqa: E402

# ../shared/docs/ATS_NOTES.md section 3 (PyTorch reference, 100 classes).
REFERENCE_COUNTS = {
    "ResNet8": 83892, "ResNet14": 181108, "ResNet20": 278324, "ResNet32": 472756, "ResNet44": 667188,
    "ResNet56": 861620, "ResNet110": 1736564,
    "WRN16-1": 180916, "WRN16-2": 703284, "WRN16-4": 2772020, "WRN16-8": 11007540, "WRN28-1": 375348,
    "WRN28-2": 1479220, "WRN28-4": 5872180, "WRN28-8": 23401012, "WRN40-1": 569780, "WRN40-2": 2255156,
    "VGG8": 3965028, "VGG11": 9277284, "VGG13": 9462180, "VGG16": 14774436, "VGG19": 20086692,
    "ResNeXt29-4-4d": 1300132, "ResNeXt29-8-4d": 1809828, "ResNeXt29-16-4d": 2829220, "ResNeXt29-32-4d": 4868004,
    "ResNeXt29-64-4d": 8945572, "MobileNetV2": 812836, "ShuffleNetV1": 949258,
}


@pytest.fixture(scope="module", autouse=True)
def graph_mode():
    ms.set_device("CPU")
    ms.set_context(mode=ms.GRAPH_MODE)


@pytest.mark.parametrize("name", sorted(REFERENCE_COUNTS))
def test_parameter_count_matches_reference(name):
    assert param_count(create_model(name, 100)) == REFERENCE_COUNTS[name]


FAMILIES = ["ResNet20", "WRN16-2", "VGG8", "ResNeXt29-4-4d", "MobileNetV2", "ShuffleNetV1"]


def test_every_name_builds():
    """Every registered CIFAR network builds (those with a reference parameter count in that test, the others
    here; a user's registered network is listed too); one per family is compiled below. The ImageNet networks (image
    size 224) are tested in tests/unit/models/test_imagenet_models.py."""
    cifar = [name for name in list_models() if image_size_of(name) == 32]
    assert set(REFERENCE_COUNTS) <= set(cifar)
    for name in sorted(set(cifar) - set(REFERENCE_COUNTS)):
        assert create_model(name, 3).model_name == name


@pytest.mark.parametrize("name", FAMILIES)
def test_one_model_per_family_maps_batch_to_logits_in_graph_mode(name):
    net = create_model(name, 7)
    net.set_train(False)
    out = net(ms.Tensor(np.random.default_rng(0).normal(size=(2, 3, 32, 32)).astype(np.float32)))
    assert out.shape == (2, 7) and np.isfinite(out.asnumpy()).all()


def test_names_and_aliases():
    assert resolve_name("resnet110") == "ResNet110"
    assert resolve_name("wrn_28_8") == "WRN28-8"
    assert resolve_name("RESNEXT29-64-4D") == "ResNeXt29-64-4d"
    assert resolve_name("mobilenetv2") == "MobileNetV2"
    assert create_model("vgg8", 10).model_name == "VGG8"


def test_unknown_name_lists_valid_ones():
    with pytest.raises(ValueError, match="network name='ResNet99' is unknown.*ResNet110.*WRN28-8"):
        create_model("ResNet99", 10)
    with pytest.raises(ValueError, match="^style demo exists for the demo's ResNet and VGG only"):
        create_model("WRN16-1", 10, style="demo")


def test_bn_updates_like_pytorch_momentum_0_1():
    """One training step moves the running mean 10 % of the way to the batch mean (PyTorch momentum 0.1)."""
    from mindspore import nn

    from ats_ms.models.layers import batch_norm
    bn = batch_norm(3)
    assert bn.eps == pytest.approx(1e-5)
    bn.set_train(True)
    x = np.random.default_rng(0).normal(loc=2.0, size=(4, 3, 5, 5)).astype(np.float32)
    nn.Cell.__call__(bn, ms.Tensor(x))
    np.testing.assert_allclose(bn.moving_mean.asnumpy(), 0.1 * x.mean(axis=(0, 2, 3)), rtol=1e-5)


def test_demo_parameter_names():
    resnet = {p.name for p in create_model("ResNet14", 100).get_parameters()}
    assert {"conv1.weight", "bn1.gamma", "bn1.moving_variance", "layer2.0.downsample.0.weight",
            "layer2.0.downsample.1.moving_mean", "layer3.1.conv2.weight", "fc.weight", "fc.bias"} <= resnet
    vgg = {p.name for p in create_model("VGG8", 100).get_parameters()}
    assert {"block0.0.weight", "block0.0.bias", "block0.1.gamma", "block4.1.moving_mean",
            "classifier.weight"} <= vgg


def test_round_trip_and_strict_errors(tmp_path):
    net = create_model("ResNet8", 10)
    path = tmp_path / "r8.ckpt"
    save_network(net, path)
    loaded = create_model("ResNet8", 10, checkpoint=str(path))
    for a, b in zip(net.get_parameters(), loaded.get_parameters()):
        np.testing.assert_array_equal(a.asnumpy(), b.asnumpy())
    with pytest.raises(ValueError, match=r"mis-shaped \(fc.bias \(10,\) vs network \(100,\)"):
        create_model("ResNet8", 100, checkpoint=str(path))
    with pytest.raises(ValueError, match=r"missing .*unexpected"):
        create_model("VGG8", 10, checkpoint=str(path))
    with pytest.raises(ValueError, match="no such file"):
        create_model("ResNet8", 10, checkpoint=str(tmp_path / "nope.ckpt"))
    truncated = tmp_path / "truncated.ckpt"
    truncated.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ValueError, match="cannot be read"):
        create_model("ResNet8", 10, checkpoint=str(truncated))
    garbage = tmp_path / "garbage.ckpt"
    garbage.write_bytes(b"\x00not a checkpoint" * 10)
    with pytest.raises(ValueError, match="cannot be read|holds no parameters"):
        create_model("ResNet8", 10, checkpoint=str(garbage))


def test_demo_style_vgg_checkpoint_without_conv_bias_loads_zeros(tmp_path, caplog):
    """The official demo's VGG has no conv biases: its checkpoints load with zero biases and one line saying so."""
    source = create_model("VGG8", 10)
    params = {p.name: p.asnumpy() for p in source.get_parameters() if not p.name.endswith(".0.bias")}
    assert not any(n.startswith("block") and n.endswith(".bias") for n in params)
    import mindspore as ms_
    ms_.save_checkpoint([{"name": n, "data": ms_.Tensor(v)} for n, v in params.items()], str(tmp_path / "demo.ckpt"))
    target = create_model("VGG8", 10)
    with caplog.at_level("WARNING"):
        load_strict(target, str(tmp_path / "demo.ckpt"))
    assert "loaded as zeros" in caplog.text
    assert not target.block0[0].bias.asnumpy().any()
    np.testing.assert_array_equal(target.block0[0].weight.asnumpy(), params["block0.0.weight"])


def test_numpy_reference_detects_a_wrong_kernel():
    """The model check is not vacuous: a network whose BN statistics differ from the reference's fails it."""
    from ats_ms.reference.networks import forward
    from ats_ms.verify.models import randomize_bn_stats
    net = randomize_bn_stats(create_model("ResNet8", 10))
    net.set_train(False)
    x = np.random.default_rng(0).normal(size=(2, 3, 32, 32)).astype(np.float32)
    params = {p.name: p.asnumpy() for p in net.get_parameters()}
    np.testing.assert_allclose(net(ms.Tensor(x)).asnumpy(), forward("ResNet8", params, x), atol=1e-4)
    params["layer2.0.bn1.moving_mean"] = params["layer2.0.bn1.moving_mean"] + 0.5
    assert np.abs(net(ms.Tensor(x)).asnumpy() - forward("ResNet8", params, x)).max() > 1e-3


# ----- the official MindSpore demo's networks, written here from its description (ATS_NOTES section 4) -----

def _demo_resnet_from_description(depth, n_classes):
    """The demo's CIFAR ResNet as described: 3x3 convs pad_mode "same" (stem: padding 1), 1x1 projection, BN momentum
    0.99, AvgPool2d(8), Dense. Written independently of ats_ms.models (same parameter names)."""
    from mindspore import nn, ops

    def conv(cin, cout, k, stride, stem=False):
        pad = dict(pad_mode="pad", padding=1) if stem else dict(pad_mode="same")
        return nn.Conv2d(cin, cout, k, stride=stride, has_bias=False, **pad)

    def bn(c):
        return nn.BatchNorm2d(c, momentum=0.99, eps=1e-5)

    class Block(nn.Cell):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1, self.bn1 = conv(cin, cout, 3, stride), bn(cout)
            self.conv2, self.bn2 = conv(cout, cout, 3, 1), bn(cout)
            self.downsample = nn.SequentialCell([conv(cin, cout, 1, stride), bn(cout)]) \
                if stride != 1 or cin != cout else None
            self.relu = ops.ReLU()

        def construct(self, x):
            out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
            return self.relu(out + (x if self.downsample is None else self.downsample(x)))

    class Net(nn.Cell):
        def __init__(self):
            super().__init__()
            n = (depth - 2) // 6
            self.conv1, self.bn1, self.relu = conv(3, 16, 3, 1, stem=True), bn(16), ops.ReLU()
            cin = 16
            for i, (w, s) in enumerate(((16, 1), (32, 2), (64, 2)), 1):
                setattr(self, f"layer{i}", nn.SequentialCell([Block(cin if j == 0 else w, w, s if j == 0 else 1)
                                                              for j in range(n)]))
                cin = w
            self.avgpool, self.fc = nn.AvgPool2d(8), nn.Dense(64, n_classes)

        def construct(self, x):
            x = self.layer3(self.layer2(self.layer1(self.relu(self.bn1(self.conv1(x))))))
            return self.fc(self.avgpool(x).view(x.shape[0], -1))

    return Net()


def _demo_vgg_from_description(n_classes):
    """The demo's VGG8: convs without bias (padding 1), BN, ReLU (the block's last ReLU dropped), 3 max-pools,
    AvgPool2d(4), Dense."""
    from mindspore import nn, ops

    class Net(nn.Cell):
        def __init__(self):
            super().__init__()
            widths, cin = (64, 128, 256, 512, 512), 3
            for b, w in enumerate(widths):
                setattr(self, f"block{b}", nn.SequentialCell([nn.Conv2d(cin, w, 3, pad_mode="pad", padding=1),
                                                               nn.BatchNorm2d(w)]))
                cin = w
            self.pool, self.relu = nn.MaxPool2d(2, 2), ops.ReLU()
            self.avgpool, self.classifier = nn.AvgPool2d(4), nn.Dense(512, n_classes)

        def construct(self, x):
            for block in (self.block0, self.block1, self.block2):
                x = self.pool(self.relu(block(x)))
            x = self.relu(self.block4(self.relu(self.block3(x))))
            return self.classifier(self.avgpool(x).view(x.shape[0], -1))

    return Net()


@pytest.mark.parametrize("name,make", [("ResNet14", lambda: _demo_resnet_from_description(14, 10)),
                                       ("VGG8", lambda: _demo_vgg_from_description(10))])
def test_demo_style_networks_give_the_demo_logits(tmp_path, name, make):
    from ats_ms.verify.models import randomize_bn_stats
    ms.set_seed(0)  # the demo network's initial weights (otherwise they depend on which tests ran before)
    demo = randomize_bn_stats(make())
    path = str(tmp_path / "demo.ckpt")
    ms.save_checkpoint(demo, path)
    ours = create_model(name, 10, checkpoint=path, style="demo")
    assert {p.name for p in ours.get_parameters()} == {p.name for p in demo.get_parameters()}
    x = ms.Tensor(np.random.default_rng(0).normal(size=(4, 3, 32, 32)).astype(np.float32))
    demo.set_train(False)
    ours.set_train(False)
    want = demo(x).asnumpy()
    np.testing.assert_allclose(ours(x).asnumpy(), want, rtol=1e-5, atol=1e-5 * np.abs(want).max())
    if name == "ResNet14":  # the paper's network (padding 1 at stride 2) computes something else from the same file
        paper = create_model(name, 10, checkpoint=path)
        paper.set_train(False)
        assert np.abs(paper(x).asnumpy() - want).max() > 1e-2 * np.abs(want).max()


def test_demo_style_layers_and_initialisers():
    from mindspore import nn
    net = create_model("ResNet8", 10, style="demo")
    assert net.net_style == "demo"
    bn = net.bn1
    bn.set_train(True)
    x = np.random.default_rng(0).normal(loc=2.0, size=(4, 16, 5, 5)).astype(np.float32)
    nn.Cell.__call__(bn, ms.Tensor(x))  # moving = 0.99 moving + 0.01 batch (MindSpore momentum 0.99)
    np.testing.assert_allclose(bn.moving_mean.asnumpy(), 0.01 * x.mean(axis=(0, 2, 3)), rtol=1e-4)
    assert net.layer2[0].conv1.pad_mode == "same" and net.conv1.pad_mode == "pad"
    gamma = net.bn1.gamma.asnumpy()
    assert np.abs(gamma).max() <= 0.07 and gamma.std() > 0  # Uniform(0.07), not ones
    assert np.abs(net.fc.bias.asnumpy()).max() <= 0.07 and net.fc.bias.asnumpy().std() > 0
    vgg = create_model("VGG8", 10, style="demo")
    assert not vgg.block0[0].has_bias and create_model("VGG8", 10).block0[0].has_bias


def test_official_weights_init_matches_the_distillation_script():
    from ats_ms.models.init import effective_init, official_weights_init
    ms.set_seed(3)
    net = official_weights_init(create_model("VGG8", 100))
    conv = net.block3[0].weight.asnumpy()
    assert conv.std() == pytest.approx(np.sqrt(2.0 / (512 * 9)), rel=0.05)  # kaiming normal, fan_out
    assert not net.block3[0].bias.asnumpy().any()
    dense = net.classifier.weight.asnumpy()
    assert dense.std() == pytest.approx(np.sqrt(2.0 / 512), rel=0.05)  # kaiming normal, fan_in (not N(0, 0.01))
    assert not net.classifier.bias.asnumpy().any()
    assert (net.block0[1].gamma.asnumpy() == 1).all() and not net.block0[1].beta.asnumpy().any()
    assert effective_init("auto", True, "paper") == "weights_init"
    assert effective_init("auto", True, "demo") == "network" == effective_init("auto", False, "paper")
    assert effective_init("weights_init", True, "demo") == "weights_init"  # kd_way none reads no teacher: False
