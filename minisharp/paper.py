"""The paper's numbers, in one place: what every lesson prints beside its own.

Keskar et al., "On Large-Batch Training for Deep Learning: Generalization Gap and Sharp
Minima", ICLR 2017 (arXiv 1609.04836). Every table cell is mean ± standard deviation over the
paper's 5 runs. The networks: F1 (dense, MNIST), F2 (dense, TIMIT), C1/C3 (shallow conv,
CIFAR-10/100), C2/C4 (deep conv, CIFAR-10/100). minisharp trains them on Fashion-MNIST, and its
narrowed variants (``C1-narrow`` …) stand for the paper's network of the same pattern.
"""

# Table 2: accuracy in %, (mean, std) — train SB, train LB, test SB, test LB.
TABLE2 = {
    "F1": {"train_sb": (99.66, 0.05), "train_lb": (99.92, 0.01),
           "test_sb": (98.03, 0.07), "test_lb": (97.81, 0.07)},
    "F2": {"train_sb": (99.99, 0.03), "train_lb": (98.35, 2.08),
           "test_sb": (64.02, 0.2), "test_lb": (59.45, 1.05)},
    "C1": {"train_sb": (99.89, 0.02), "train_lb": (99.66, 0.2),
           "test_sb": (80.04, 0.12), "test_lb": (77.26, 0.42)},
    "C2": {"train_sb": (99.99, 0.04), "train_lb": (99.99, 0.01),
           "test_sb": (89.24, 0.12), "test_lb": (87.26, 0.07)},
    "C3": {"train_sb": (99.56, 0.44), "train_lb": (99.88, 0.30),
           "test_sb": (49.58, 0.39), "test_lb": (46.45, 0.43)},
    "C4": {"train_sb": (99.10, 1.23), "train_lb": (99.57, 1.84),
           "test_sb": (63.08, 0.5), "test_lb": (57.81, 0.17)},
}

# Tables 3 (A = I, "full") and 4 (random subspace, p = 100): φ as (SB mean, SB std, LB mean,
# LB std), keyed by (space, ε).
SHARPNESS = {
    "F1": {("full", 1e-3): (1.23, 0.83, 205.14, 69.52), ("full", 5e-4): (0.61, 0.27, 42.90, 17.14),
           ("p=100", 1e-3): (0.11, 0.00, 9.22, 0.56), ("p=100", 5e-4): (0.05, 0.00, 9.17, 0.14)},
    "F2": {("full", 1e-3): (1.39, 0.02, 310.64, 38.46), ("full", 5e-4): (0.90, 0.05, 93.15, 6.81),
           ("p=100", 1e-3): (0.29, 0.02, 23.63, 0.54), ("p=100", 5e-4): (0.05, 0.00, 6.28, 0.19)},
    "C1": {("full", 1e-3): (28.58, 3.13, 707.23, 43.04),
           ("full", 5e-4): (7.08, 0.88, 227.31, 23.23),
           ("p=100", 1e-3): (2.18, 0.23, 137.25, 21.60),
           ("p=100", 5e-4): (0.71, 0.15, 29.50, 7.48)},
    "C2": {("full", 1e-3): (8.68, 1.32, 925.32, 38.29),
           ("full", 5e-4): (2.07, 0.86, 175.31, 18.28),
           ("p=100", 1e-3): (0.95, 0.34, 25.09, 2.61), ("p=100", 5e-4): (0.31, 0.08, 5.82, 0.52)},
    "C3": {("full", 1e-3): (29.85, 5.98, 258.75, 8.96),
           ("full", 5e-4): (8.56, 0.99, 105.11, 13.22),
           ("p=100", 1e-3): (17.02, 2.20, 236.03, 31.26),
           ("p=100", 5e-4): (4.03, 1.45, 86.96, 27.39)},
    "C4": {("full", 1e-3): (12.83, 3.84, 421.84, 36.97),
           ("full", 5e-4): (4.07, 0.87, 109.35, 16.57),
           ("p=100", 1e-3): (6.05, 1.13, 72.99, 10.96),
           ("p=100", 5e-4): (1.89, 0.33, 19.85, 4.12)},
}

# The data set each of the paper's networks was trained on.
DATA = {"F1": "MNIST", "F2": "TIMIT", "C1": "CIFAR-10", "C2": "CIFAR-10", "C3": "CIFAR-100",
        "C4": "CIFAR-100"}


def name_of(net_name):
    """The paper's network that a zoo network stands for: "C1-narrow" → "C1", "F1" → "F1"."""
    base = net_name.split("-")[0]
    if base not in TABLE2:
        raise ValueError(f"{net_name!r} is not one of the paper's networks {sorted(TABLE2)}")
    return base
