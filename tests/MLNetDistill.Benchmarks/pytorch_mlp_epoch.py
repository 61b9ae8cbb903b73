"""PyTorch reference for MlpEpochBenchmarks: seconds per knowledge-distillation epoch of an MLP student.

Same work as `dotnet run -c Release --project tests/MLNetDistill.Benchmarks -- epoch`: 60,000 random rows of 784
values in [0, 1), soft labels softmax(random logits / 4), random hard labels, batch 256 shuffled each epoch, AdamW
(lr 1e-3, weight decay 0.01), loss 0.7 * T^2 * KL(batchmean) + 0.3 * CE at T = 4, 2 threads, 3 epochs, median printed.

Run with Debian's interpreter, which has PyTorch 1.13 (install libopenblas0-pthread first, or it is very slow):
    /usr/bin/python3 tests/MLNetDistill.Benchmarks/pytorch_mlp_epoch.py [784-256-10 784-1200-1200-10] [--adam]
"""
import argparse
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

ROWS, FEATURES, CLASSES, T, ALPHA, BATCH = 60_000, 784, 10, 4.0, 0.7, 256


def mlp(sizes):
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("shapes", nargs="*", default=["784-256-10", "784-1200-1200-10"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--adam", action="store_true", help="torch.optim.Adam (as anchors.md) instead of AdamW")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    x = torch.rand(ROWS, FEATURES)
    soft = F.softmax(torch.empty(ROWS, CLASSES).uniform_(-3, 3) / T, dim=1)
    labels = torch.randint(0, CLASSES, (ROWS,))
    x[:64, :64] @ x[:64, :64]  # load the BLAS, then report which one (Debian's torch uses the libblas.so.3 alternative)
    with open("/proc/self/maps") as maps:
        libs = {line.split()[-1] for line in maps if "blas" in line.lower()}
    blas = ", ".join(sorted(lib.rsplit("/", 1)[-1] for lib in libs)) or "unknown BLAS"
    print(f"PyTorch {torch.__version__} ({blas}): {ROWS} x {FEATURES}, batch {BATCH}, "
          f"{'Adam' if args.adam else 'AdamW'}, 0.7 T^2 KL + 0.3 CE (T = 4), {torch.get_num_threads()} threads")
    for shape in args.shapes:
        model = mlp([int(v) for v in shape.split("-")])
        opt = (torch.optim.Adam(model.parameters(), lr=1e-3) if args.adam
               else torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01))
        seconds = []
        for _ in range(args.epochs):
            start = time.perf_counter()
            order = torch.randperm(ROWS)
            for first in range(0, ROWS, BATCH):
                idx = order[first:first + BATCH]
                xb, tb, yb = x[idx], soft[idx], labels[idx]
                z = model(xb)
                loss = ALPHA * T * T * F.kl_div(F.log_softmax(z / T, dim=1), tb, reduction="batchmean") \
                    + (1 - ALPHA) * F.cross_entropy(z, yb)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
            seconds.append(time.perf_counter() - start)
        print(f"{shape:<18} median {statistics.median(seconds):.3f} s/epoch   "
              f"(epochs in order: {', '.join(f'{s:.3f}' for s in seconds)})")


if __name__ == "__main__":
    main()
