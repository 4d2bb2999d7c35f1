"""What every example shares: command line, device, seeding, data, plots, a train/eval loop.

Every example is ``python examples/NAME.py [--full] [--device cuda] [--data mnist]
[--epochs N] [--seed S] [--out DIR] [--smoke] [--blas-threads N]`` and has
``main(argv=None) -> dict``.

Data (``load_digits_data``): MNIST when ``--data mnist`` is given or
``MNIST_DIR`` points at a folder holding the four IDX files; otherwise a
fallback that needs no network, said aloud in the output:

1. scikit-learn's 8x8 digits (1,797 real handwritten digits) when scikit-learn
   is installed, else
2. "synthetic digits": the ten digits of a 5x7 bitmap font, drawn on 28x28
   with a random rotation, scale, shear, shift, stroke weight and pixel noise
   (``synthetic_digits``), generated in a second from the seed.

BLAS threads: ``setup`` gives NumPy's OpenBLAS one thread unless
``OPENBLAS_NUM_THREADS`` or ``--blas-threads`` says otherwise. On the
project's shared 2-core machine its default two threads spun against other
processes and made the autoencoder's matrix products 7-10 times slower
(0.9 s a training step against 0.13 s); on an idle machine one thread costs
at most the second core.

Plots: ``get_pyplot(args)`` returns matplotlib's pyplot or None (one line
says why), and ``savefig`` writes into ``--out`` (default ``examples/out/``).
Image grids are written as PNG without matplotlib (``save_image_grid``).
"""
import argparse
import ctypes
import os
import re
import struct
import sys
import time
import zlib
from types import SimpleNamespace

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
if ROOT not in sys.path:           # `python examples/NAME.py` from anywhere finds autograd and nn
    sys.path.insert(0, ROOT)

import autograd as ag  # noqa: E402
import nn  # noqa: E402
import nn.functional as F  # noqa: E402
from nn.training import accuracy, progress  # noqa: E402,F401  (examples use C.progress)

DEFAULT_OUT = os.path.join(HERE, "out")


# ------------------------------------------------------------------ command line
def make_parser(doc, epochs=None):
    """The shared options; an example adds its own with ``parser.add_argument``."""
    first = (doc or "").strip().split("\n\n")[0]
    p = argparse.ArgumentParser(description=first, formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=doc)
    p.add_argument("--full", action="store_true", help="the long run (the README's figures)")
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu", help="where to compute (default: cpu)")
    p.add_argument("--data", choices=["default", "mnist"], default="default",
                   help="'mnist' reads the IDX files from MNIST_DIR (or ~/.cache/tapegrad/mnist); "
                        "'default' uses MNIST only when MNIST_DIR is set, else data that needs no network")
    p.add_argument("--epochs", type=int, default=epochs, help="override the number of epochs")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--out", default=DEFAULT_OUT, help="folder for plots and images (default: examples/out/)")
    p.add_argument("--smoke", action="store_true", help="tests: tiny data, a few steps, no plots, no bars")
    p.add_argument("--blas-threads", type=int, default=None,
                   help="threads for NumPy's OpenBLAS (default: 1, unless OPENBLAS_NUM_THREADS is set; on a "
                        "shared 2-core machine OpenBLAS's own 2 threads made the autoencoder 10x slower)")
    return p


_SAME = object()


def pick(args, default, full=_SAME, smoke=_SAME):
    """The setting for this mode: ``smoke`` under --smoke, ``full`` under --full, else ``default``.

    A mode not given takes ``default``; ``None`` is a value like any other (e.g. "no cap").
    """
    if args.smoke and smoke is not _SAME:
        return smoke
    if args.full and full is not _SAME:
        return full
    return default


def n_epochs(args, default, full=_SAME, smoke=_SAME):
    return args.epochs if args.epochs is not None else pick(args, default, full, smoke)


def setup(args, lesson=None):
    """Seed everything, choose the device, print a header; returns the device name."""
    seed_everything(args.seed)
    threads = getattr(args, "blas_threads", None)
    if threads is None and "OPENBLAS_NUM_THREADS" not in os.environ:
        threads = 1
    if threads and set_blas_threads(threads) is None and args.blas_threads:
        print("[blas] could not find OpenBLAS in this process; --blas-threads ignored")
    args.device = select_device(args.device)
    mode = "smoke" if args.smoke else ("full" if args.full else "default")
    if lesson:
        print(lesson)
    print(f"[run] mode={mode} device={args.device} seed={args.seed}")
    return args.device


def seed_everything(seed):
    """Seed the engine's generators (init, dropout, shuffling) and NumPy's legacy global one."""
    ag.manual_seed(seed)
    np.random.seed(seed)


def set_blas_threads(n):
    """Set NumPy's OpenBLAS thread count in this process (as threadpoolctl does); return the old count.

    Returns None when no OpenBLAS is loaded (another BLAS, or not Linux). On a
    machine whose cores are busy with other work, OpenBLAS's spinning threads
    can make matrix products several times slower than one thread does.
    """
    try:
        with open("/proc/self/maps") as f:
            paths = sorted(set(re.findall(r"(/\S*openblas\S*\.so[\w.]*)", f.read())))
    except OSError:
        return None
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix in ("scipy_openblas", "openblas"):
            for suffix in ("64_", ""):
                get = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
                put = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
                if get is not None and put is not None:
                    old = get()
                    put(int(n))
                    return old
    return None


def select_device(name):
    if name == "cuda" and not ag.cuda.is_available():
        print("[device] --device cuda asked for, but no CUDA GPU with CuPy is available "
              "(pip install -e '.[gpu]' on a machine with an NVIDIA GPU); running on the CPU instead")
        return "cpu"
    return name


# --------------------------------------------------------------------------- data
def _mnist_files_present(folder):
    names = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
    return folder is not None and all(os.path.exists(os.path.join(folder, n)) or
                                      os.path.exists(os.path.join(folder, n + ".gz")) for n in names)


def load_digits_data(args, n_train=None, n_test=None, synthetic_train=12000, synthetic_test=2000):
    """Digit images for classification: MNIST, else scikit-learn's digits, else synthetic digits.

    Returns a namespace with float32 ``X_train, X_test`` of shape (N, C, H, W)
    in [0, 1], int64 ``y_train, y_test``, ``name`` (a one-line description),
    ``image_shape`` (H, W), ``n_features`` (C*H*W) and ``num_classes``.
    ``n_train``/``n_test`` cap the sizes (first samples; MNIST's are shuffled already).
    Prints which data it chose and why.
    """
    from nn.data import datasets
    env = os.environ.get("MNIST_DIR")
    if args.data == "mnist" or (env and _mnist_files_present(env)):
        root = env if env else None
        try:
            train, test = datasets.mnist(root, train=True), datasets.mnist(root, train=False)
        except FileNotFoundError as e:
            raise SystemExit(f"[data] --data mnist: {e}")
        Xtr, ytr = train.tensors[0].numpy(), train.tensors[1].numpy()
        Xte, yte = test.tensors[0].numpy(), test.tensors[1].numpy()
        name = "MNIST (60,000 train / 10,000 test, 28x28)"
    else:
        if env:
            print(f"[data] MNIST_DIR={env} does not hold the four MNIST IDX files; using the fallback")
        try:
            d = datasets.digits()
            X, y = d.tensors[0].numpy(), d.tensors[1].numpy()
            perm = np.random.default_rng(1234).permutation(len(y))      # fixed split, whatever --seed
            X, y = X[perm], y[perm]
            cut = len(y) - 360
            Xtr, ytr, Xte, yte = X[:cut], y[:cut], X[cut:], y[cut:]
            name = "scikit-learn digits (1,437 train / 360 test, 8x8; MNIST not configured)"
        except ImportError:
            synthetic_train = min(synthetic_train, n_train or synthetic_train)   # generate only what is used
            synthetic_test = min(synthetic_test, n_test or synthetic_test)
            Xtr, ytr = synthetic_digits(synthetic_train, seed=10_000 + args.seed)
            Xte, yte = synthetic_digits(synthetic_test, seed=20_000 + args.seed)
            name = (f"synthetic digits ({synthetic_train:,} train / {synthetic_test:,} test, 28x28, generated; "
                    "set MNIST_DIR or pass --data mnist for MNIST)")
    if n_train is not None:
        Xtr, ytr = Xtr[:n_train], ytr[:n_train]
    if n_test is not None:
        Xte, yte = Xte[:n_test], yte[:n_test]
    print(f"[data] {name}" + (f"; using {len(ytr):,} train / {len(yte):,} test" if n_train or n_test else ""))
    return SimpleNamespace(X_train=Xtr, y_train=ytr, X_test=Xte, y_test=yte, name=name,
                           image_shape=Xtr.shape[2:], n_features=int(np.prod(Xtr.shape[1:])), num_classes=10,
                           is_mnist=name.startswith("MNIST"))


_FONT = {  # 5x7 bitmap digits, rows top to bottom
    0: ["01110", "10001", "10011", "10101", "11001", "10001", "01110"],
    1: ["00100", "01100", "00100", "00100", "00100", "00100", "01110"],
    2: ["01110", "10001", "00001", "00010", "00100", "01000", "11111"],
    3: ["11111", "00010", "00100", "00010", "00001", "10001", "01110"],
    4: ["00010", "00110", "01010", "10010", "11111", "00010", "00010"],
    5: ["11111", "10000", "11110", "00001", "00001", "10001", "01110"],
    6: ["00110", "01000", "10000", "11110", "10001", "10001", "01110"],
    7: ["11111", "00001", "00010", "00100", "01000", "01000", "01000"],
    8: ["01110", "10001", "10001", "01110", "10001", "10001", "01110"],
    9: ["01110", "10001", "10001", "01111", "00001", "00010", "01100"],
}


def _glyphs(up=4):
    """The ten glyphs upsampled ``up`` times and softened: (10, 7*up+8, 5*up+8) in [0, 1]."""
    out = []
    for d in range(10):
        g = np.array([[float(c) for c in row] for row in _FONT[d]])
        g = np.kron(g, np.ones((up, up)))
        g = np.pad(g, 4)
        for _ in range(2):    # two 3x3 box blurs: round strokes
            p = np.pad(g, 1)
            g = sum(p[i:i + g.shape[0], j:j + g.shape[1]] for i in range(3) for j in range(3)) / 9.0
        out.append(g)
    return np.stack(out)


def synthetic_digits(n, seed=0, size=28):
    """``n`` generated 28x28 digit images: (X float32 (n, 1, 28, 28) in [0, 1], y int64).

    Each image is one of ten 5x7 font glyphs under a random affine map
    (rotation +-20 deg, scale 0.75-1.15, shear +-0.35, shift +-3 px), with a
    random stroke weight, a random distracting stroke 30% of the time, and
    Gaussian pixel noise. Same seed, same images.
    """
    rng = np.random.default_rng(seed)
    glyphs = _glyphs()
    gh, gw = glyphs.shape[1:]
    y = rng.integers(0, 10, n)
    X = np.empty((n, size, size), dtype=np.float32)
    vv, uu = np.meshgrid(np.arange(size) - (size - 1) / 2, np.arange(size) - (size - 1) / 2, indexing="ij")
    grid = np.stack([uu.ravel(), vv.ravel()])                       # (2, size*size): x, y
    for s in range(0, n, 4096):
        b = min(4096, n - s)
        ang = rng.uniform(-20, 20, b) * np.pi / 180
        scale = rng.uniform(0.75, 1.15, b) * (20.0 / 28.0)            # output px per glyph px
        shear = rng.uniform(-0.35, 0.35, b)
        shift = rng.uniform(-3, 3, (b, 2))
        c, si = np.cos(ang), np.sin(ang)
        # inverse map: output pixel -> glyph pixel
        a11, a12, a21, a22 = c / scale, si / scale, -si / scale, c / scale
        gx = grid[0][None] - shift[:, :1]
        gy = grid[1][None] - shift[:, 1:]
        sx = a11[:, None] * gx + a12[:, None] * gy
        sy = a21[:, None] * gx + a22[:, None] * gy
        sx = sx - shear[:, None] * sy + (gw - 1) / 2
        sy = sy + (gh - 1) / 2
        x0, y0 = np.floor(sx).astype(np.int64), np.floor(sy).astype(np.int64)
        fx, fy = sx - x0, sy - y0
        flat = glyphs.reshape(10, -1)[y[s:s + b]]                     # (b, gh*gw)
        img = np.zeros_like(sx)
        for dx, dy, w in ((0, 0, (1 - fx) * (1 - fy)), (1, 0, fx * (1 - fy)), (0, 1, (1 - fx) * fy),
                          (1, 1, fx * fy)):
            xi, yi = x0 + dx, y0 + dy
            ok = (xi >= 0) & (xi < gw) & (yi >= 0) & (yi < gh)
            idx = np.where(ok, yi * gw + xi, 0)
            img += w * np.where(ok, np.take_along_axis(flat, idx, axis=1), 0.0)
        weight = rng.uniform(1.2, 2.5, (b, 1))                        # stroke weight
        img = np.clip(img * weight, 0, 1).reshape(b, size, size)
        for k in np.nonzero(rng.random(b) < 0.3)[0]:                 # a stray stroke
            p0, p1 = rng.uniform(2, size - 3, 2), rng.uniform(2, size - 3, 2)
            t = np.linspace(0, 1, 40)[:, None]
            pts = np.rint(p0 + t * (p1 - p0)).astype(int)
            img[k, pts[:, 1], pts[:, 0]] = np.maximum(img[k, pts[:, 1], pts[:, 0]], 0.8)
        img += rng.normal(0, 0.08, img.shape)
        X[s:s + b] = np.clip(img, 0, 1)
    return X[:, None], y.astype(np.int64)


def to_tensors(device, *arrays):
    return tuple(ag.tensor(np.ascontiguousarray(a), device=device) for a in arrays)


def loader(X, y, batch_size, shuffle=True, seed=0, device="cpu"):
    """A DataLoader over (X, y) moved to ``device`` once, shuffled by its own seeded generator."""
    Xt, yt = to_tensors(device, X, y)
    return nn.data.DataLoader(nn.data.TensorDataset(Xt, yt), batch_size=batch_size, shuffle=shuffle,
                              generator=seed if shuffle else None)


# -------------------------------------------------------------- train / evaluate
def train_epoch(model, data, optimizer, loss_fn=F.cross_entropy, desc=None, smoke=False, scheduler_step=None):
    """One pass over ``data`` (an iterable of (x, y) batches); returns (mean loss, accuracy)."""
    model.train()
    total, correct, seen = 0.0, 0.0, 0
    bar = progress(data, desc=desc, disable=smoke, leave=False)
    for xb, yb in bar:
        out = model(xb)
        loss = loss_fn(out, yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if scheduler_step is not None:
            scheduler_step()
        n = yb.shape[0]
        lv = loss.item()
        total += lv * n
        seen += n
        if out.ndim == 2 and yb.ndim == 1:
            correct += accuracy(out, yb) * n
        if hasattr(bar, "set_postfix"):
            bar.set_postfix(loss=lv)
    return total / max(seen, 1), correct / max(seen, 1)


def evaluate(model, X, y, loss_fn=F.cross_entropy, batch_size=2000, device="cpu"):
    """(mean loss, accuracy) of ``model`` on arrays X, y, in eval mode, without recording."""
    model.eval()
    total, correct = 0.0, 0.0
    with ag.no_grad():
        for s in range(0, len(y), batch_size):
            xb, yb = to_tensors(device, X[s:s + batch_size], y[s:s + batch_size])
            out = model(xb)
            total += loss_fn(out, yb).item() * yb.shape[0]
            correct += accuracy(out, yb) * yb.shape[0]
    model.train()
    return total / len(y), correct / len(y)


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start


# -------------------------------------------------------------------------- plots
_warned = []


def get_pyplot(args):
    """matplotlib.pyplot (Agg backend) or None: under --smoke, or when matplotlib is absent (said once)."""
    if getattr(args, "smoke", False):
        return None
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        if not _warned:
            print("[plot] matplotlib is not installed: no plots (pip install matplotlib)")
            _warned.append(True)
        return None
    return plt


def out_path(args, name):
    os.makedirs(args.out, exist_ok=True)
    return os.path.join(args.out, name)


def savefig(fig, args, name):
    """Save ``fig`` as ``--out/name``, close it, print where; returns the path."""
    path = out_path(args, name)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt
    plt.close(fig)
    print(f"[plot] saved {os.path.relpath(path)}")
    return path


def maybe_plot(args, name, draw):
    """Call ``draw(plt) -> fig`` and save it as ``name`` when plotting is possible; else do nothing."""
    plt = get_pyplot(args)
    if plt is None:
        return None
    return savefig(draw(plt), args, name)


def save_image_grid(path, images, ncols, pad=2, scale=2):
    """Write grayscale images (N, H, W) in [0, 1] as one PNG grid (no matplotlib needed)."""
    images = np.clip(np.asarray(images, dtype=np.float64), 0, 1)
    n, h, w = images.shape
    nrows = -(-n // ncols)
    grid = np.ones((nrows * (h + pad) + pad, ncols * (w + pad) + pad))
    for i, im in enumerate(images):
        r, c = divmod(i, ncols)
        grid[pad + r * (h + pad): pad + r * (h + pad) + h, pad + c * (w + pad): pad + c * (w + pad) + w] = im
    grid = np.kron(grid, np.ones((scale, scale)))
    pix = (grid * 255 + 0.5).astype(np.uint8)
    raw = b"".join(b"\x00" + row.tobytes() for row in pix)            # filter type 0 per row

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", pix.shape[1], pix.shape[0], 8, 0, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "wb") as f:
        f.write(png)
    return path


def report(title, rows):
    """Print a small aligned table: ``rows`` is a list of (label, value) pairs."""
    print(f"\n== {title} ==")
    width = max(len(str(k)) for k, _ in rows)
    for k, v in rows:
        print(f"  {str(k).ljust(width)}  {v}")
