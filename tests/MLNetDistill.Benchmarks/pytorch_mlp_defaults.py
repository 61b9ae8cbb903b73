"""PyTorch side of `dotnet run -c Release --project tests/MLNetDistill.Benchmarks -- mlp-defaults`: the same MLP
students distilled from the embedded CNN teacher on the same Fashion-MNIST rows, with a fixed textbook recipe
(Adam lr 1e-3, batch 128, 40 epochs, loss 0.9 * T^2 * KL(batchmean) + 0.1 * CE at T = 1, every training row used,
no validation split, no early stopping), printing the same columns.

Rows, as in the C# command:
  N <= 8000: train on rows [2000, 2000 + N) of the embedded 10k test set, evaluate on its first 2,000 rows;
  N >  8000: train on the first N rows of the 60k training set (Debian's dataset-fashion-mnist), evaluate on the 10k test set.

The teacher's logits come from our own CLI (`mlnet-distill score ... --out X.csv`), run once and cached under
tests/MLNetDistill.Benchmarks/teachers/ (git-ignored).

Run with Debian's interpreter (apt-get install libopenblas0-pthread python3-torch python3-numpy):
    /usr/bin/python3 tests/MLNetDistill.Benchmarks/pytorch_mlp_defaults.py [5000 60000] [--widths 32 128 512] [--seeds 3]
"""
import argparse
import csv
import gzip
import os
import statistics
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TEST_IMAGES = os.path.join(REPO, "samples", "data", "fashion-mnist", "t10k-images-idx3-ubyte.gz")
TRAIN_IMAGES = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"
TEACHER = os.path.join(REPO, "samples", "teachers", "fashion_cnn.onnx")
CACHE = os.path.join(REPO, "tests", "MLNetDistill.Benchmarks", "teachers")
HELD_OUT = 2000


def read_idx(images):
    with gzip.open(images, "rb") as f:
        data = f.read()
    rows = int.from_bytes(data[4:8], "big")
    x = np.frombuffer(data, dtype=np.uint8, offset=16).reshape(rows, 784).astype(np.float32) / 255.0
    with gzip.open(images.replace("images-idx3", "labels-idx1"), "rb") as f:
        y = np.frombuffer(f.read(), dtype=np.uint8, offset=8).astype(np.int64)
    return x, y


def teacher_logits(images, name):
    """The CNN teacher's logits for every row of the IDX file, from `mlnet-distill score` (cached)."""
    path = os.path.join(CACHE, name)
    if not os.path.exists(path):
        os.makedirs(CACHE, exist_ok=True)
        subprocess.run(["dotnet", "run", "-c", "Release", "--project", os.path.join(REPO, "src", "MLNetDistill.Cli"), "--",
                        "score", "--teacher", TEACHER, "--data", images, "--out", path], check=True, cwd=REPO, stdout=sys.stderr)
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        cols = [i for i, h in enumerate(header) if h.startswith("logit_")]
        return np.array([[float(row[i]) for i in cols] for row in reader], dtype=np.float32)


def load(rows):
    test_x, test_y = read_idx(TEST_IMAGES)
    test_z = teacher_logits(TEST_IMAGES, "fashion_t10k_cnn_scores.csv")
    if rows <= test_x.shape[0] - HELD_OUT:
        train = slice(HELD_OUT, HELD_OUT + rows)
        return (test_x[train], test_y[train], test_z[train], test_x[:HELD_OUT], test_y[:HELD_OUT], test_z[:HELD_OUT],
                f"rows [{HELD_OUT}, {HELD_OUT + rows}) of the 10k test set; evaluated on its first {HELD_OUT}")
    x, y = read_idx(TRAIN_IMAGES)
    z = teacher_logits(TRAIN_IMAGES, "fashion_train_cnn_scores.csv")
    return (x[:rows], y[:rows], z[:rows], test_x, test_y, test_z,
            f"the first {rows} rows of the 60k training set; evaluated on the 10k test set")


def train(x, y, z, width, seed, epochs, batch, alpha, t):
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(784, width), nn.ReLU(), nn.Linear(width, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    soft = F.softmax(z / t, dim=1)
    n = x.shape[0]
    for _ in range(epochs):
        order = torch.randperm(n)
        for first in range(0, n, batch):
            idx = order[first:first + batch]
            out = model(x[idx])
            loss = alpha * t * t * F.kl_div(F.log_softmax(out / t, dim=1), soft[idx], reduction="batchmean") \
                + (1 - alpha) * F.cross_entropy(out, y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    return model


def evaluate(model, x, y, z):
    with torch.no_grad():
        out = model(x)
    accuracy = (out.argmax(1) == y).float().mean().item()
    agreement = (out.argmax(1) == z.argmax(1)).float().mean().item()
    log_loss = F.cross_entropy(out, y).item()
    return accuracy, agreement, log_loss


def stat(values):
    mean = statistics.mean(values)
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{mean:.4f} ± {sd:.4f}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("rows", nargs="*", type=int, default=[5000, 60000])
    parser.add_argument("--widths", nargs="+", type=int, default=[32, 128, 512])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--alpha", type=float, default=0.9)
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads: Adam 1e-3, batch {args.batch}, {args.epochs} epochs, "
          f"{args.alpha} T^2 KL + {1 - args.alpha:.1f} CE at T = {args.temperature:g}; seeds 1..{args.seeds}")
    print()
    print("| rows | student | trainer | accuracy | agreement | logLoss | epochs | train s |")
    print("|---|---|---|---|---|---|---|---|")
    for rows in args.rows:
        x, y, z, tx, ty, tz, where = load(rows)
        x, y, z, tx, ty, tz = (torch.from_numpy(np.ascontiguousarray(a)) for a in (x, y, z, tx, ty, tz))
        t_acc = (tz.argmax(1) == ty).float().mean().item()
        print(f"<!-- {rows} rows: {where}; teacher accuracy {t_acc:.4f} -->")
        for width in args.widths:
            runs, seconds = [], []
            for seed in range(1, args.seeds + 1):
                start = time.perf_counter()
                model = train(x, y, z, width, seed, args.epochs, args.batch, args.alpha, args.temperature)
                seconds.append(time.perf_counter() - start)
                runs.append(evaluate(model, tx, ty, tz))
            print(f"| {rows:,} | 784-{width}-10 | PyTorch {args.epochs} epochs | {stat([r[0] for r in runs])} | "
                  f"{stat([r[1] for r in runs])} | {stat([r[2] for r in runs])} | {args.epochs} | {statistics.mean(seconds):.1f} |",
                  flush=True)


if __name__ == "__main__":
    main()
