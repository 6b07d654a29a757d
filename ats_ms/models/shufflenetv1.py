"""CIFAR ShuffleNetV1 (groups 3, widths 240/480/960) of the reference code, PyTorch default initialisation.

Names mirror its state_dict: conv1, bn1, layer{1,2,3}.{i}.conv1/.bn1/.conv2/.bn2/.conv3/.bn3, linear.
"""
from mindspore import nn, ops

from ats_ms.models.layers import GlobalAvgPool, PaddedAvgPool, batch_norm, conv2d, dense
from ats_ms.models.registry import register_model

OUT_PLANES = (240, 480, 960)
NUM_BLOCKS = (4, 8, 4)
GROUPS = 3


class ChannelShuffle(nn.Cell):
    """(N, C, H, W) -> (N, C, H, W) with channels reordered as view(N, g, C/g, H, W).transpose(1, 2)."""

    def __init__(self, groups):
        super().__init__()
        self.groups = groups

    def construct(self, x):
        n, c, h, w = x.shape
        x = x.reshape(n, self.groups, c // self.groups, h, w)
        return ops.transpose(x, (0, 2, 1, 3, 4)).reshape(n, c, h, w)


class ShuffleBottleneck(nn.Cell):
    """Grouped 1x1 - shuffle - depthwise 3x3 - grouped 1x1; stride 2 concatenates an average-pooled shortcut."""

    FOLD_PAIRS = (("conv1", "bn1"), ("conv2", "bn2"), ("conv3", "bn3"))

    def __init__(self, in_channels, out_channels, stride, groups):
        super().__init__()
        mid = int(out_channels / 4)
        g = 1 if in_channels == 24 else groups
        self.stride = stride
        self.conv1 = conv2d(in_channels, mid, 1, groups=g, init="torch_default")
        self.bn1 = batch_norm(mid)
        self.shuffle1 = ChannelShuffle(g)
        self.conv2 = conv2d(mid, mid, 3, stride, 1, groups=mid, init="torch_default")
        self.bn2 = batch_norm(mid)
        self.conv3 = conv2d(mid, out_channels, 1, groups=groups, init="torch_default")
        self.bn3 = batch_norm(out_channels)
        self.relu = nn.ReLU()
        self.shortcut = PaddedAvgPool(3, 2, 1) if stride == 2 else None

    def construct(self, x):
        out = self.shuffle1(self.relu(self.bn1(self.conv1(x))))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.stride == 2:
            return self.relu(ops.concat((out, self.shortcut(x)), axis=1))
        return self.relu(out + x)


class ShuffleNetV1(nn.Cell):
    """ShuffleNetV1 for 32x32 inputs (global pooling: any size). Inputs: (N, 3, H, W). Outputs: (N, n_classes)
    logits."""

    FOLD_PAIRS = (("conv1", "bn1"),)

    def __init__(self, n_classes):
        super().__init__()
        self.conv1 = conv2d(3, 24, 1, init="torch_default")
        self.bn1 = batch_norm(24)
        self.relu = nn.ReLU()
        in_ch = 24
        stages = []
        for out_ch, n in zip(OUT_PLANES, NUM_BLOCKS):
            blocks = []
            for i in range(n):
                blocks.append(ShuffleBottleneck(in_ch, out_ch - (in_ch if i == 0 else 0), 2 if i == 0 else 1,
                                                GROUPS))
                in_ch = out_ch
            stages.append(nn.SequentialCell(blocks))
        self.layer1, self.layer2, self.layer3 = stages
        self.pool = GlobalAvgPool()
        self.linear = dense(OUT_PLANES[-1], n_classes)

    def construct(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.linear(self.pool(x))


register_model("ShuffleNetV1", ShuffleNetV1)
