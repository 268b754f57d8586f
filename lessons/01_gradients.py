"""Lesson 01 — how minisharp differentiates, and how we know the gradients are right.

Everything in the paper's study is a derivative: training follows the gradient of the loss,
the sharpness metric climbs it inside a box, the parametric plots walk between two minimisers.
So before any experiment we check the machinery.

1. A network is a pure function of ONE flat vector θ. Each layer reads reshaped slices (views)
   of θ — no copies — so "a step of Adam", "the point x + A y of the sharpness metric" and
   "α θ_l + (1 − α) θ_s" are all plain arithmetic on one vector.
2. Each heavy operation is an autograd *primitive*: a forward function plus its vector-Jacobian
   product (VJP) written by hand next to it. For a dense layer y = x W + b with cotangent g:
       ∂/∂x = g Wᵀ,   ∂/∂W = xᵀ g,   ∂/∂b = Σ_n g_n.
3. We trust a VJP only after comparing it with central finite differences in float64:
       ⟨∇f(θ), v⟩  vs  (f(θ + h v) − f(θ − h v)) / 2h   for a random direction v.
   For a smooth f the difference is off by O(h²) (truncation) and O(ε_machine / h)
   (rounding), so the error against h is a "V". A ReLU network is only piecewise smooth: once
   h v is large enough to push some unit across zero the difference jumps to a large error.
   The figure this lesson draws shows both sides for whole networks; in between, the error
   falls to ~1e-10, which is how precise the hand-written VJPs are. In --full, the deep
   C2-narrow checked in "eval" mode at initialisation (running statistics still 0 and 1, so
   nothing is normalised) is kinky enough that the best step still leaves an error of ~1e-5:
   the lesson reports that as it is.
4. Batch norm shows why the check matters: in training mode the mean and variance depend on
   the batch, and a backward pass that forgets that dependence is the classic bug. We build
   that wrong VJP on purpose and watch the check reject it.

Run:  python lessons/01_gradients.py            (seconds; --smoke is even smaller)
Look at figures/01_gradients.png: the error of the finite difference against the step h.
"""

import numpy as np
from autograd import make_vjp

import minisharp
from minisharp import ops, zoo
from minisharp.gradcheck import directional_check, vjp_check
from minisharp.report import Claims, Stopwatch, lesson_arguments, save_json, table

# --- configuration ------------------------------------------------------------------------
NETWORKS = {  # size -> networks whose full gradient we check (name, input shape, classes)
    "smoke": [("F1-narrow", (1, 6, 6), 4), ("C1-narrow", (1, 8, 8), 4)],
    "quick": [("F1", (1, 28, 28), 10), ("C1-narrow", (1, 12, 12), 10)],
    "full": [("F1", (1, 28, 28), 10), ("C1", (1, 28, 28), 10), ("C2-narrow", (1, 28, 28), 10)],
}
BATCH = 8              # samples in the finite-difference checks
STEPS = np.logspace(-2, -10, 17)  # finite-difference steps for the figure
SEED = 0

args = lesson_arguments(__doc__)
clock = Stopwatch()
rng = np.random.default_rng(SEED)
claims = Claims("What this lesson checks:")
results = {"size": args.size}

# --- 1. one flat vector -----------------------------------------------------------------
net = zoo.build("F1", (1, 28, 28), 10)
theta = net.init(seed=SEED)
views = net.named_views(theta)
print(f"F1 on 28×28 images: {net.num_params:,} parameters in one {theta.dtype} vector θ.")
for name, view in list(views.items())[:4]:
    print(f"  {name:<18} shape {str(view.shape):<12} shares θ's memory: "
          f"{np.shares_memory(view, theta)}")
print("  …")

# --- 2. one primitive's VJP written out --------------------------------------------------
x, W, b = rng.standard_normal((5, 4)), rng.standard_normal((4, 3)), rng.standard_normal(3)
g = rng.standard_normal((5, 3))
by_hand = {"x": g @ W.T, "W": x.T @ g, "b": g.sum(axis=0)}
rows = []
for i, name in enumerate(("x", "W", "b")):
    args_ = [x, W, b]

    def F(z, i=i, args_=args_):
        return ops.dense(*args_[:i], z, *args_[i + 1:])

    vjp = make_vjp(F)(args_[i])[0]
    same = np.allclose(vjp(g), by_hand[name], rtol=1e-14)
    error = vjp_check(F, args_[i], vjp, seed=i)
    rows.append((f"dense ∂/∂{name}", "yes" if same else "NO", f"{error:.1e}"))
print("\nThe dense layer's VJP: by hand, by minisharp, and against finite differences")
print(table(("VJP", "minisharp = by hand", "FD relative error"), rows))
results["dense_vjp_errors"] = [float(r[2]) for r in rows]

# --- 3. batch norm: the right VJP and the classic bug --------------------------------------
xb = rng.standard_normal((16, 6)) * 2 + 1
gamma, beta = rng.standard_normal(6), rng.standard_normal(6)


def batch_norm(z):
    return ops.batch_norm(z, gamma, beta)[0]


def forgetful_vjp(u):
    """Treats the batch mean and variance as constants: ∂/∂x = γ/σ · u. Wrong in training."""
    return u * gamma / np.sqrt(xb.var(axis=0) + ops.norm.EPS)


right = vjp_check(batch_norm, xb, make_vjp(batch_norm)(xb)[0])
wrong = vjp_check(batch_norm, xb, forgetful_vjp)
print(f"\nBatch norm with batch statistics: FD error of minisharp's VJP {right:.1e}; "
      f"of the VJP that forgets the statistics depend on x: {wrong:.1e}")
claims.check("bn-vjp", "the check accepts batch norm's VJP and rejects the classic bug",
             right < 1e-6 < wrong, f"errors {right:.1e} (ours) and {wrong:.1e} (forgetful)")
results["batch_norm"] = {"ours": right, "forgetful": wrong}

# --- 4. whole networks, float64, random directions ---------------------------------------
print("\nWhole networks: ⟨∇f(θ), v⟩ against the central difference, float64")
rows, curves = [], {}
for name, shape, classes in NETWORKS[args.size]:
    net = zoo.build(name, shape, classes)
    X, y = rng.random((BATCH, *shape)), rng.integers(0, classes, BATCH)
    theta = net.init(seed=SEED, dtype=np.float64)
    for mode in ("batchstat", "eval"):
        state = net.init_state()

        def f(t, net=net, X=X, y=y, mode=mode, state=state):
            return minisharp.loss_and_grad(net, t, X, y, mode=mode, state=state)[0]

        _, grad = minisharp.loss_and_grad(net, theta, X, y, mode=mode, state=state)
        error = directional_check(f, theta, grad, seed=1)
        rows.append((name, f"{net.num_params:,}", mode, f"{error:.1e}"))
        claims.check("gradient", f"{name} gradient ({mode}) matches finite differences to 1e-6",
                     error < 1e-6, f"relative error {error:.1e}")
    v = np.random.default_rng(2).standard_normal(net.num_params)
    exact = float(grad @ v)
    curves[name] = [abs((f(theta + h * v) - f(theta - h * v)) / (2 * h) - exact) / abs(exact)
                    for h in STEPS]
print(table(("network", "parameters", "mode", "FD relative error"), rows))
results["networks"] = rows

# --- 5. the figure: error against step size ----------------------------------------------
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

fig, ax = plt.subplots(figsize=(6, 4), dpi=120)
for name, errors in curves.items():
    ax.loglog(STEPS, np.maximum(errors, 1e-17), marker="o", ms=3, label=name)
ax.set_xlabel("finite-difference step h")
ax.set_ylabel("relative error of the directional derivative")
ax.set_title("Gradient check (float64)\nlarge h: ReLU kinks crossed; small h: rounding ∝ 1/h",
             fontsize=10)
ax.grid(True, which="both", alpha=0.3)
ax.legend()
fig.tight_layout()
png = args.out / "01_gradients.png"
fig.savefig(png)
plt.close(fig)
results["steps"], results["step_errors"] = STEPS, curves
results["claims"] = claims.report()
save_json(args.out / "01_gradients.json", results)
print(f"\nWrote {png} and {args.out / '01_gradients.json'} in {clock}.")
