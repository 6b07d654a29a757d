"""ImageNet ResNet18 / ResNet34 / ResNet50 as torchvision builds them, with torchvision's state_dict names.

Layer for layer as torchvision's ``models/resnet.py`` (read at torchvision 0.29.1): stem conv 7x7/2 (padding 3), BN,
ReLU, MaxPool 3x3/2 (padding 1); ``layer1`` .. ``layer4`` of BasicBlocks (ResNet18/34) or Bottlenecks with the stride
on the 3x3 convolution (ResNet50, "ResNet V1.5"), a 1x1 projection (``downsample``) in each stage's first block where
the shape changes; global average pooling (any input size); ``fc``. Initialisation as torchvision: convolutions
kaiming_normal (fan_out, relu), BatchNorm 1/0, ``fc`` PyTorch's default Linear.

Names (after the BatchNorm renaming weight/bias/running_mean/running_var -> gamma/beta/moving_mean/moving_variance):
conv1, bn1, layer{1..4}.{i}.conv1/.bn1/.conv2/.bn2[/.conv3/.bn3]/.downsample.0/.downsample.1, fc — so a torchvision
checkpoint (``resnet18-f37072fd.pth``, ...) converts by renaming only.
"""
import functools

from mindspore import nn

from ats_ms.models.layers import GlobalAvgPool, batch_norm, conv2d, dense
from ats_ms.models.registry import register_model

STEM_WIDTH = 64
STAGE_WIDTHS = (64, 128, 256, 512)
STAGE_STRIDES = (1, 2, 2, 2)
IMAGE_SIZE = 224


def _downsample(in_channels, out_channels, stride):
    """torchvision's projection shortcut: conv1x1(stride) + BN, or None where the shape is kept."""
    if stride == 1 and in_channels == out_channels:
        return None
    return nn.SequentialCell([conv2d(in_channels, out_channels, 1, stride), batch_norm(out_channels)])


class BasicBlock(nn.Cell):
    """torchvision's BasicBlock: conv3x3(stride)-BN-ReLU-conv3x3-BN plus (projected) identity, then ReLU.

    Args:
        in_channels (int): input channels.
        planes (int): output channels (expansion 1).
        stride (int): stride of the first convolution and of the projection.

    Inputs: (N, in_channels, H, W). Outputs: (N, planes, ceil(H / stride), ceil(W / stride)).
    """

    expansion = 1
    FOLD_PAIRS = (("conv1", "bn1"), ("conv2", "bn2"))

    def __init__(self, in_channels, planes, stride=1):
        super().__init__()
        self.conv1 = conv2d(in_channels, planes, 3, stride, 1)
        self.bn1 = batch_norm(planes)
        self.relu = nn.ReLU()
        self.conv2 = conv2d(planes, planes, 3, 1, 1)
        self.bn2 = batch_norm(planes)
        self.downsample = _downsample(in_channels, planes, stride)

    def construct(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(out + identity)


class Bottleneck(nn.Cell):
    """torchvision's Bottleneck (V1.5): conv1x1-BN-ReLU-conv3x3(stride)-BN-ReLU-conv1x1-BN plus (projected) identity,
    then ReLU.

    Args:
        in_channels (int): input channels.
        planes (int): width of the 1x1 and 3x3 convolutions; the block outputs ``4 * planes`` channels.
        stride (int): stride of the 3x3 convolution and of the projection.

    Inputs: (N, in_channels, H, W). Outputs: (N, 4 * planes, ceil(H / stride), ceil(W / stride)).
    """

    expansion = 4
    FOLD_PAIRS = (("conv1", "bn1"), ("conv2", "bn2"), ("conv3", "bn3"))

    def __init__(self, in_channels, planes, stride=1):
        super().__init__()
        out_channels = planes * self.expansion
        self.conv1 = conv2d(in_channels, planes, 1)
        self.bn1 = batch_norm(planes)
        self.conv2 = conv2d(planes, planes, 3, stride, 1)
        self.bn2 = batch_norm(planes)
        self.conv3 = conv2d(planes, out_channels, 1)
        self.bn3 = batch_norm(out_channels)
        self.relu = nn.ReLU()
        self.downsample = _downsample(in_channels, out_channels, stride)

    def construct(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(out + identity)


class ImageNetResNet(nn.Cell):
    """torchvision's ResNet (designed for 224x224; global pooling takes any input size >= 32).

    Args:
        block (type): ``BasicBlock`` or ``Bottleneck``.
        layers (tuple[int]): blocks per stage, e.g. (2, 2, 2, 2) for ResNet18.
        n_classes (int): classes.

    Inputs: (N, 3, H, W) float32. Outputs: (N, n_classes) logits.
    """

    FOLD_PAIRS = (("conv1", "bn1"),)

    def __init__(self, block, layers, n_classes):
        super().__init__()
        self.conv1 = conv2d(3, STEM_WIDTH, 7, 2, 3)
        self.bn1 = batch_norm(STEM_WIDTH)
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(3, 2, pad_mode="pad", padding=1)  # pads with -inf, as torch's MaxPool2d(3, 2, 1)
        in_ch = STEM_WIDTH
        stages = []
        for planes, stride, n in zip(STAGE_WIDTHS, STAGE_STRIDES, layers):
            blocks = []
            for i in range(n):
                blocks.append(block(in_ch, planes, stride if i == 0 else 1))
                in_ch = planes * block.expansion
            stages.append(nn.SequentialCell(blocks))
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.avgpool = GlobalAvgPool()
        self.fc = dense(in_ch, n_classes)

    def construct(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.avgpool(x))


ARCHITECTURES = {"ResNet18": (BasicBlock, (2, 2, 2, 2)), "ResNet34": (BasicBlock, (3, 4, 6, 3)),
                 "ResNet50": (Bottleneck, (3, 4, 6, 3))}

for _name, (_block, _layers) in ARCHITECTURES.items():
    register_model(_name, functools.partial(ImageNetResNet, _block, _layers), image_size=IMAGE_SIZE)
