"""CIFAR ResNeXt29-g-4d (g = 4, 8, 16, 32, 64) of the reference code; names mirror its state_dict.

Names: conv1, bn1, layer{1,2,3}.{i}.conv1/.bn1/.conv2/.bn2/.conv3/.bn3/.downsample.0/.downsample.1, fc.
"""
import functools

from mindspore import nn

from ats_ms.models.layers import GlobalAvgPool, batch_norm, conv2d, dense
from ats_ms.models.registry import register_model

GROUPS = (4, 8, 16, 32, 64)
EXPANSION = 4


class Bottleneck(nn.Cell):
    """1x1 - grouped 3x3 - 1x1 bottleneck (width = planes * groups * base_width / 64) with residual and ReLU."""

    FOLD_PAIRS = (("conv1", "bn1"), ("conv2", "bn2"), ("conv3", "bn3"))

    def __init__(self, in_channels, planes, groups, base_width, stride=1):
        super().__init__()
        width = int(planes * groups * base_width / 64.0)
        out = planes * EXPANSION
        self.conv1 = conv2d(in_channels, width, 1)
        self.bn1 = batch_norm(width)
        self.conv2 = conv2d(width, width, 3, stride, 1, groups=groups)
        self.bn2 = batch_norm(width)
        self.conv3 = conv2d(width, out, 1)
        self.bn3 = batch_norm(out)
        self.relu = nn.ReLU()
        self.downsample = None
        if stride != 1 or in_channels != out:
            self.downsample = nn.SequentialCell([conv2d(in_channels, out, 1, stride), batch_norm(out)])

    def construct(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(out + identity)


class ResNeXt(nn.Cell):
    """ResNeXt (9n + 2 layers) for 32x32 inputs (global pooling: any size). Inputs: (N, 3, H, W). Outputs:
    (N, n_classes) logits."""

    FOLD_PAIRS = (("conv1", "bn1"),)

    def __init__(self, depth, groups, base_width, n_classes):
        super().__init__()
        n = (depth - 2) // 9
        widths = (64, 64, 128, 256)
        self.conv1 = conv2d(3, widths[0], 3, 1, 1)
        self.bn1 = batch_norm(widths[0])
        self.relu = nn.ReLU()
        in_ch = widths[0]
        stages = []
        for planes, stride in zip(widths[1:], (1, 2, 2)):
            blocks = []
            for i in range(n):
                blocks.append(Bottleneck(in_ch, planes, groups, base_width, stride if i == 0 else 1))
                in_ch = planes * EXPANSION
            stages.append(nn.SequentialCell(blocks))
        self.layer1, self.layer2, self.layer3 = stages
        self.pool = GlobalAvgPool()
        self.fc = dense(widths[3] * EXPANSION, n_classes)

    def construct(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(self.pool(x))


for _g in GROUPS:
    register_model(f"ResNeXt29-{_g}-4d", functools.partial(ResNeXt, 29, _g, 4))
