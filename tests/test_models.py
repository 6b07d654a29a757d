"""Registry, shapes in GRAPH mode, parameter counts against the reference table, strict checkpoint loading."""
import numpy as np
import pytest

ms = pytest.importorskip("mindspore")

from ats_ms.models import create_model, list_models, resolve_name  # noqa: E402
from ats_ms.models.checkpoint import load_strict, save_network  # noqa: E402
from ats_ms.models.layers import param_count  # noqa: E402

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


@pytest.mark.parametrize("name", list_models())
def test_every_model_maps_batch_to_logits_in_graph_mode(name):
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
    with pytest.raises(ValueError, match="unknown network name 'ResNet99'.*ResNet110.*WRN28-8"):
        create_model("ResNet99", 10)


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
