"""CIFAR ResNet 6n+2 (8 ... 110) of the reference code, with the official MindSpore demo's parameter names.

Names: conv1, bn1, layer{1,2,3}.{i}.conv1/.bn1/.conv2/.bn2/.downsample.0/.downsample.1, fc. Widths 16/16/32/64.
``style="demo"`` builds the official demo's layers instead (``ats_ms.models.layers``: ``same`` padding, BatchNorm
momentum 0.99, XavierUniform and Uniform initialisers), so a demo checkpoint gives the demo's logits.
"""
import functools

from mindspore import nn

from ats_ms.models.layers import GlobalAvgPool, batch_norm, conv2d, demo_batch_norm, demo_conv, demo_dense, dense
from ats_ms.models.registry import NET_STYLES, register_model

DEPTHS = (8, 14, 20, 32, 44, 56, 110)


def _layers(style):
    """(conv builder (in, out, kernel, stride), BatchNorm builder) of ``style``."""
    if style == "demo":
        return demo_conv, demo_batch_norm
    return (lambda cin, cout, k, stride: conv2d(cin, cout, k, stride, k // 2)), batch_norm


class BasicBlock(nn.Cell):
    """conv3x3-BN-ReLU-conv3x3-BN plus (projected) identity, then ReLU. (N, cin, H, W) -> (N, cout, H/s, W/s)."""

    FOLD_PAIRS = (("conv1", "bn1"), ("conv2", "bn2"))

    def __init__(self, in_channels, channels, stride=1, style="paper"):
        super().__init__()
        conv, bn = _layers(style)
        self.conv1 = conv(in_channels, channels, 3, stride)
        self.bn1 = bn(channels)
        self.conv2 = conv(channels, channels, 3, 1)
        self.bn2 = bn(channels)
        self.relu = nn.ReLU()
        self.downsample = None
        if stride != 1 or in_channels != channels:
            self.downsample = nn.SequentialCell([conv(in_channels, channels, 1, stride), bn(channels)])

    def construct(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(out + identity)


class CifarResNet(nn.Cell):
    """ResNet for 32x32 inputs (global pooling: any size). Inputs: (N, 3, H, W). Outputs: (N, n_classes) logits.

    Args:
        depth (int): 6n + 2.
        n_classes (int): classes.
        style (str): ``paper`` (the official PyTorch code) or ``demo`` (the official MindSpore demo).
    """

    FOLD_PAIRS = (("conv1", "bn1"),)

    def __init__(self, depth, n_classes, style="paper"):
        super().__init__()
        n = (depth - 2) // 6
        widths = (16, 16, 32, 64)
        _, bn = _layers(style)
        self.conv1 = demo_conv(3, widths[0], 3, 1, stem=True) if style == "demo" else conv2d(3, widths[0], 3, 1, 1)
        self.bn1 = bn(widths[0])
        self.relu = nn.ReLU()
        in_ch = widths[0]
        stages = []
        for width, stride in zip(widths[1:], (1, 2, 2)):
            blocks = [BasicBlock(in_ch if i == 0 else width, width, stride if i == 0 else 1, style) for i in range(n)]
            stages.append(nn.SequentialCell(blocks))
            in_ch = width
        self.layer1, self.layer2, self.layer3 = stages
        self.pool = GlobalAvgPool()
        self.fc = demo_dense(widths[3], n_classes) if style == "demo" else dense(widths[3], n_classes)

    def construct(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(self.pool(x))


for _depth in DEPTHS:
    register_model(f"ResNet{_depth}", functools.partial(CifarResNet, _depth), styles=NET_STYLES)
