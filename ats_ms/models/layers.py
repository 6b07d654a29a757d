"""Layer builders shared by the backbones: the paper's (PyTorch-equivalent) layers and the official demo's.

Paper style. BatchNorm: MindSpore momentum 0.9 is PyTorch momentum 0.1 (moving = 0.9 * moving + 0.1 * batch), eps
1e-5, gamma 1, beta 0. Initialisers named after the reference code: ``kaiming_out`` is kaiming_normal(mode="fan_out",
relu), which is also the reference's normal(0, sqrt(2 / (k * k * out_channels))); ``torch_default`` is PyTorch's
default (kaiming_uniform with a = sqrt(5), bias uniform in +-1/sqrt(fan_in)), which MindSpore's defaults reproduce.

Demo style (the official MindSpore demo's src/resnet.py): 3x3 convolutions with ``pad_mode="same"`` (at stride 2:
no padding top/left, one row/column bottom/right) except the stem (padding 1), XavierUniform convolution and dense
weights, dense bias ``Uniform`` (+-0.07), BatchNorm momentum 0.99 (moving = 0.99 * moving + 0.01 * batch) with gamma
``Uniform``.
"""
import math

from mindspore import nn, ops
from mindspore.common.initializer import HeNormal, Normal, Uniform, XavierUniform

BN_MOMENTUM = 0.9
BN_EPS = 1e-5
DEMO_BN_MOMENTUM = 0.99


def conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0, groups=1, bias=False, init="kaiming_out"):
    """Conv2d with explicit zero padding (PyTorch semantics).

    Args:
        init (str): ``kaiming_out`` or ``torch_default``. Biases of ``kaiming_out`` convs start at zero.

    Returns:
        nn.Conv2d mapping (N, in, H, W) to (N, out, H', W').
    """
    kwargs = {}
    if init == "kaiming_out":
        kwargs = {"weight_init": HeNormal(mode="fan_out", nonlinearity="relu"), "bias_init": "zeros"}
    return nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride, pad_mode="pad" if padding else "valid",
                     padding=padding, group=groups, has_bias=bias, **kwargs)


def batch_norm(channels):
    """BatchNorm2d equivalent to PyTorch's default (momentum 0.1, eps 1e-5)."""
    return nn.BatchNorm2d(channels, momentum=BN_MOMENTUM, eps=BN_EPS)


def dense(in_channels, out_channels, init="torch_default"):
    """Linear layer.

    Args:
        init (str): ``torch_default`` (PyTorch's nn.Linear), ``torch_zero_bias`` (PyTorch weight, zero bias) or
            ``normal001`` (weight N(0, 0.01), zero bias).
    """
    if init == "normal001":
        return nn.Dense(in_channels, out_channels, weight_init=Normal(0.01), bias_init="zeros")
    if init == "torch_zero_bias":
        return nn.Dense(in_channels, out_channels, bias_init="zeros")
    return nn.Dense(in_channels, out_channels)


class GlobalAvgPool(nn.Cell):
    """Mean over H and W: (N, C, H, W) -> (N, C). Equals the reference's AvgPool2d(8)/(4)/adaptive pools at 32x32."""

    def construct(self, x):
        return x.mean(axis=(2, 3))


class PaddedAvgPool(nn.Cell):
    """AvgPool2d(k, stride, padding) with PyTorch's count_include_pad=True: zero padding, then a valid pool."""

    def __init__(self, kernel_size, stride, padding):
        super().__init__()
        self.pad = (padding, padding, padding, padding)
        self.pool = nn.AvgPool2d(kernel_size, stride)

    def construct(self, x):
        return self.pool(ops.pad(x, self.pad))


def param_count(net):
    """Number of trainable parameters (what PyTorch's sum(p.numel() for p in parameters()) counts)."""
    return sum(math.prod(p.shape) for p in net.trainable_params())


def demo_conv(in_channels, out_channels, kernel_size, stride=1, stem=False):
    """The demo's convolution: no bias, XavierUniform, ``same`` padding (the stem: explicit padding 1)."""
    pad = {"pad_mode": "pad", "padding": 1} if stem else {"pad_mode": "same"}
    return nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride, has_bias=False,
                     weight_init=XavierUniform(), **pad)


def demo_batch_norm(channels):
    """The demo's BatchNorm2d: momentum 0.99 (MindSpore convention), eps 1e-5, gamma Uniform(0.07), beta 0."""
    return nn.BatchNorm2d(channels, momentum=DEMO_BN_MOMENTUM, eps=BN_EPS, gamma_init=Uniform(0.07),
                          beta_init="zeros", moving_mean_init="zeros", moving_var_init="ones")


def demo_dense(in_channels, out_channels):
    """The demo's Dense: XavierUniform weight, Uniform(0.07) bias."""
    return nn.Dense(in_channels, out_channels, weight_init=XavierUniform(), bias_init=Uniform(0.07))
