"""The PyTorch peers of the benchmarked minisharp models: the same layers, shapes and order.

Imported only by benchmarks/run.py (PyTorch is the optional ``bench`` extra, never a
dependency of minisharp itself).
"""

import torch
from torch import nn


def f1(input_dim=784, classes=10, width=512, depth=5):
    """F1: depth × [Linear → BatchNorm1d → ReLU] → Linear."""
    layers, d = [nn.Flatten()], input_dim
    for _ in range(depth):
        layers += [nn.Linear(d, width), nn.BatchNorm1d(width, eps=1e-3), nn.ReLU()]
        d = width
    return nn.Sequential(*layers, nn.Linear(d, classes))


def c1(channels=1, size=28, classes=10):
    """C1: 2 × [Conv 64 5×5 'same' → BN → ReLU → MaxPool 3/2 'same'] → 384 → 192 → classes."""
    layers, c = [], channels
    for _ in range(2):
        layers += [nn.Conv2d(c, 64, 5, padding=2), nn.BatchNorm2d(64, eps=1e-3), nn.ReLU(),
                   nn.MaxPool2d(3, 2, padding=1)]
        c = 64
    pooled = size
    for _ in range(2):
        pooled = (pooled + 1) // 2  # 'same' pooling with stride 2: ceil(size / 2)
    flat = 64 * pooled**2
    layers.append(nn.Flatten())
    for d_in, d_out in ((flat, 384), (384, 192)):
        layers += [nn.Linear(d_in, d_out), nn.BatchNorm1d(d_out, eps=1e-3), nn.ReLU(),
                   nn.Dropout(0.5)]
    return nn.Sequential(*layers, nn.Linear(192, classes))


def train_step(model, optimizer, X, y):
    """One Adam step: forward, cross-entropy, backward, update."""
    optimizer.zero_grad(set_to_none=True)
    loss = nn.functional.cross_entropy(model(X), y)
    loss.backward()
    optimizer.step()
    return loss


def full_loss_and_grad(model, X, y, chunk):
    """Mean cross-entropy over all samples and its gradient, in chunks (BN batch statistics)."""
    model.train()
    model.zero_grad(set_to_none=True)
    total = 0.0
    for i in range(0, len(X), chunk):
        loss = nn.functional.cross_entropy(model(X[i:i + chunk]), y[i:i + chunk],
                                           reduction="sum") / len(X)
        loss.backward()
        total += loss.item()
    return total


def conv_forward_backward(x, w, b):
    """conv2d forward and its backward to input and weight (NCHW)."""
    y = nn.functional.conv2d(x, w, b, padding=w.shape[-1] // 2)
    y.backward(torch.ones_like(y))
    return y
