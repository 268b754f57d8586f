"""The paper's networks F1, F2, C1–C4 (Keskar et al. 2017, Table 1 and App. B), and narrow variants.

Where the paper and the authors' code differ we follow the code (``network_zoo.py`` in
github.com/keskarnitish/large-batch-training):

- F1 (MNIST): 5 × [Dense 512 → BN → ReLU] → Dense k.
- F2 (TIMIT): 7 × [Dense 512 → BN → ReLU] → Dense k (order dense→BN→ReLU as in the conv nets).
- C1 / C3 (CIFAR-10 / -100, "shallow", AlexNet-like): 2 × [Conv 64 5×5 stride 1 'same' → BN →
  ReLU → MaxPool 3×3 stride 2 'same'] → Flatten → Dense 384 → BN → ReLU → Dropout 0.5 →
  Dense 192 → BN → ReLU → Dropout 0.5 → Dense k. The paper writes [64,5,5,2] (stride 2); the
  code uses stride 1 convolutions and stride-2 pooling, which we follow.
- C2 / C4 (deep, VGG-like): stacks 2×64, 2×128, 3×256, 3×512, 3×512 of [Conv 3×3 'same' → BN →
  ReLU], Dropout 0.3 after the first conv, Dropout 0.4 after every other conv except the last of
  each stack, MaxPool 2×2 stride 2 after each stack → Flatten → Dropout 0.5 → Dense 512 → BN →
  ReLU → Dropout 0.5 → Dense k. Pooling uses 'same' padding: identical to the code's 'valid'
  on 32×32 inputs, and it keeps the five halvings defined on 28×28 Fashion-MNIST (28→14→7→4→2→1).

C1 and C3 (likewise C2 and C4) are the same architecture; the paper names them by data set,
and ``build`` takes the class count. Parameters counted: all weights, biases and BN γ/β.

Narrow variants ("<name>-narrow") keep the depth and layer pattern and shrink the widths so a
2-core CPU trains them in minutes: dense layers 512 → 128; C1/C3 convs 64 → 32 and dense
384/192 → 192/96; C2/C4 conv widths ÷ 4 (16, 32, 64, 128, 128) and dense 512 → 128.
"""

from .nn import BatchNorm, Conv2D, Dense, Dropout, Flatten, MaxPool2D, Network, ReLU

# (name, input_shape, num_classes) -> parameter count in the paper's setting (computed).
PAPER_SHAPES = {
    "F1": ((784,), 10),
    "F2": ((360,), 1973),
    "C1": ((3, 32, 32), 10),
    "C2": ((3, 32, 32), 10),
    "C3": ((3, 32, 32), 100),
    "C4": ((3, 32, 32), 100),
}


def _dense_bn_relu(units):
    return [Dense(units), BatchNorm(), ReLU()]


def fully_connected(depth, width, num_classes):
    layers = []
    for _ in range(depth):
        layers += _dense_bn_relu(width)
    return layers + [Dense(num_classes)]


def shallow_conv(num_classes, filters=64, dense=(384, 192)):
    layers = []
    for _ in range(2):
        layers += [Conv2D(filters, 5, 1, "same"), BatchNorm(), ReLU(), MaxPool2D(3, 2, "same")]
    layers.append(Flatten())
    for units in dense:
        layers += _dense_bn_relu(units) + [Dropout(0.5)]
    return layers + [Dense(num_classes)]


def deep_conv(num_classes, widths=(64, 128, 256, 512, 512), dense=512):
    depths = (2, 2, 3, 3, 3)
    layers = []
    for stack, (width, depth) in enumerate(zip(widths, depths)):
        for i in range(depth):
            layers += [Conv2D(width, 3, 1, "same"), BatchNorm(), ReLU()]
            if i < depth - 1:
                layers.append(Dropout(0.3 if stack == 0 and i == 0 else 0.4))
        layers.append(MaxPool2D(2, 2, "same"))
    layers += [Flatten(), Dropout(0.5)] + _dense_bn_relu(dense) + [Dropout(0.5)]
    return layers + [Dense(num_classes)]


_BUILDERS = {
    "F1": lambda k: fully_connected(5, 512, k),
    "F2": lambda k: fully_connected(7, 512, k),
    "C1": lambda k: shallow_conv(k),
    "C2": lambda k: deep_conv(k),
    "F1-narrow": lambda k: fully_connected(5, 128, k),
    "F2-narrow": lambda k: fully_connected(7, 128, k),
    "C1-narrow": lambda k: shallow_conv(k, filters=32, dense=(192, 96)),
    "C2-narrow": lambda k: deep_conv(k, widths=(16, 32, 64, 128, 128), dense=128),
}
_BUILDERS["C3"], _BUILDERS["C4"] = _BUILDERS["C1"], _BUILDERS["C2"]
_BUILDERS["C3-narrow"], _BUILDERS["C4-narrow"] = _BUILDERS["C1-narrow"], _BUILDERS["C2-narrow"]

NAMES = tuple(_BUILDERS)


def build(name, input_shape=None, num_classes=None):
    """Build a zoo network by name for data of per-sample ``input_shape`` and ``num_classes``.

    Omitted shape/classes default to the paper's setting for that name (PAPER_SHAPES).
    """
    if name not in _BUILDERS:
        raise ValueError(f"unknown network {name!r}; choose from {', '.join(NAMES)}")
    base = name.split("-")[0]
    paper_shape, paper_classes = PAPER_SHAPES[base]
    input_shape = paper_shape if input_shape is None else tuple(input_shape)
    num_classes = paper_classes if num_classes is None else int(num_classes)
    return Network(name, _BUILDERS[name](num_classes), input_shape, num_classes)
