#!/usr/bin/python3
"""Make the small ONNX teachers, CSVs and golden outputs under tests/MLNetDistill.Tests/Fixtures.

    /usr/bin/python3 samples/teachers/make_test_fixtures.py            # make everything, then verify
    /usr/bin/python3 samples/teachers/make_test_fixtures.py --verify   # only re-check the committed files

Every model is a real PyTorch module exported with torch.onnx.export (opset 13, dynamic axis 0 named `batch`).
Golden outputs are PyTorch float32 results; verification re-computes them from the .onnx graph with a small
NumPy evaluator (onnx_numpy.py) since this Python has no onnxruntime, and runs onnx.checker on every model.
golden_fashion_cnn.json is written by make_fashion_teachers.py; it is verified here against fashion_cnn.onnx.
"""
import argparse
import csv
import json
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import onnx_numpy  # noqa: E402
import teacher_common as tc  # noqa: E402

FX = tc.FIXTURES_DIR
GOLDEN_ROWS = 16
FLOAT, INT64 = onnx.TensorProto.FLOAT, onnx.TensorProto.INT64


def fx(name):
    return os.path.join(FX, name)


# ---------------------------------------------------------------- models

class MlpTwoOutputs(nn.Module):
    """784-64-10; returns (logits, embedding) where embedding is the hidden ReLU layer."""

    def __init__(self, hidden=64):
        super().__init__()
        self.fc1 = nn.Linear(784, hidden)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(hidden, 10)

    def forward(self, pixels):
        embedding = self.relu(self.fc1(pixels))
        return self.fc2(embedding), embedding


class SoftmaxTeacher(nn.Module):
    """784-32-10 whose last op is Softmax over the 10 classes."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 32)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(32, 10)
        self.softmax = nn.Softmax(dim=1)

    def logits(self, x):
        return self.fc2(self.relu(self.fc1(x)))

    def forward(self, x):
        return self.softmax(self.logits(x))


class TinyMlp(nn.Module):
    """n_in-hidden-1 with ReLU; used for the binary (one logit) and regression teachers."""

    def __init__(self, n_in, hidden):
        super().__init__()
        self.fc1 = nn.Linear(n_in, hidden)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(hidden, 1)

    def forward(self, x):
        return self.fc2(self.relu(self.fc1(x)))


class TwoInputs(nn.Module):
    """Text-model-shaped: input_ids and attention_mask int64 [batch,16] -> masked mean of 8-d embeddings -> 3 logits."""

    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(100, 8)
        self.classifier = nn.Linear(8, 3)

    def forward(self, input_ids, attention_mask):
        emb = self.embedding(input_ids)                       # [batch,16,8]
        mask = attention_mask.unsqueeze(-1).to(emb.dtype)     # [batch,16,1]
        summed = (emb * mask).sum(dim=1)                      # [batch,8]
        count = mask.sum(dim=1).clamp(min=1.0)                # [batch,1]; all-zero mask -> bias only
        return self.classifier(summed / count)


# ---------------------------------------------------------------- training helpers

def train_classifier(forward_logits, params, x, y, epochs, batch, lr, seed):
    opt = torch.optim.Adam(params, lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(seed)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    for _ in range(epochs):
        perm = torch.randperm(len(xt), generator=gen)
        for i in range(0, len(xt), batch):
            idx = perm[i:i + batch]
            opt.zero_grad()
            loss_fn(forward_logits(xt[idx]), yt[idx]).backward()
            opt.step()


def accuracy(forward_logits, x, y):
    with torch.no_grad():
        return float((forward_logits(torch.from_numpy(x)).argmax(1).numpy() == y).mean())


def standardize(frame: np.ndarray):
    """Column-wise (x - mean) / std (population std) over all rows, as float32."""
    mean = frame.mean(axis=0)
    std = frame.std(axis=0)
    return ((frame - mean) / std).astype(np.float32), mean, std


def write_csv(path, header, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            w.writerow(r)


def f32(v):
    """Shortest text that parses back to the same float32."""
    return np.format_float_positional(np.float32(v), unique=True, trim="-")


def read_csv_features(path):
    with open(path, encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0], np.array([[float(v) for v in r[:-1]] for r in rows[1:]], dtype=np.float32), \
        np.array([float(r[-1]) for r in rows[1:]])


# ---------------------------------------------------------------- makers

def make_fashion_mlps(report):
    x_train, y_train = tc.load_fashion("train")
    x_test, y_test = tc.load_fashion("t10k", tc.EMBEDDED_FASHION_DIR)
    x_train = x_train[:10000].reshape(10000, 784)
    y_train = y_train[:10000]
    x_test = x_test.reshape(len(x_test), 784)
    golden_x = torch.from_numpy(x_test[:GOLDEN_ROWS])
    source = "samples/data/fashion-mnist t10k, first 16 rows, pixels/255 as float32, flattened to [16,784]"

    # mlp_two_outputs.onnx
    tc.set_determinism(101)
    mlp = MlpTwoOutputs()
    train_classifier(lambda t: mlp(t)[0], mlp.parameters(), x_train, y_train, epochs=5, batch=64, lr=1e-3, seed=101)
    mlp.eval()
    acc = accuracy(lambda t: mlp(t)[0], x_test, y_test)
    tc.export_onnx(mlp, (golden_x[:2],), fx("mlp_two_outputs.onnx"), ["pixels"], ["logits", "embedding"])
    with torch.no_grad():
        logits, emb = mlp(golden_x)
    tc.write_json(fx("golden_mlp_two_outputs.json"), {
        "model": "mlp_two_outputs.onnx", "source": source, "rows": GOLDEN_ROWS,
        "labels": y_test[:GOLDEN_ROWS].tolist(), "logits": tc.floats(logits), "embedding": tc.floats(emb)})
    report["mlp_two_outputs.onnx"] = {"testAccuracy": acc, "parameters": tc.parameter_count(mlp),
                                      "training": "first 10,000 Fashion-MNIST train rows, 5 epochs, Adam 1e-3, batch 64, seed 101"}

    # softmax_teacher.onnx
    tc.set_determinism(202)
    sm = SoftmaxTeacher()
    train_classifier(sm.logits, sm.parameters(), x_train, y_train, epochs=5, batch=64, lr=1e-3, seed=202)
    sm.eval()
    acc = accuracy(sm, x_test, y_test)
    tc.export_onnx(sm, (golden_x[:2],), fx("softmax_teacher.onnx"), ["input"], ["probabilities"])
    with torch.no_grad():
        probs = sm(golden_x)
    tc.write_json(fx("golden_softmax_teacher.json"), {
        "model": "softmax_teacher.onnx", "source": source, "rows": GOLDEN_ROWS,
        "labels": y_test[:GOLDEN_ROWS].tolist(), "probabilities": tc.floats(probs)})
    report["softmax_teacher.onnx"] = {"testAccuracy": acc, "parameters": tc.parameter_count(sm),
                                      "training": "first 10,000 Fashion-MNIST train rows, 5 epochs, Adam 1e-3, batch 64, seed 202"}


def split_indices(n, seed, test_fraction=0.2):
    perm = np.random.RandomState(seed).permutation(n)
    n_test = int(round(n * test_fraction))
    return perm[n_test:], perm[:n_test]


def make_binary(report):
    from sklearn.datasets import load_breast_cancer
    data = load_breast_cancer()
    names = [n.replace(" ", "_") for n in data.feature_names]
    x, mean, std = standardize(data.data.astype(np.float64))
    y = data.target.astype(np.int64)  # sklearn: 0 = malignant, 1 = benign
    header = names + ["label"]
    write_csv(fx("breast_cancer.csv"), header, ([f32(v) for v in row] + [int(lbl)] for row, lbl in zip(x, y)))
    _, x, y_csv = read_csv_features(fx("breast_cancer.csv"))  # train and score on exactly what the CSV holds
    assert (y_csv.astype(np.int64) == y).all()

    train, test = split_indices(len(x), 303)
    tc.set_determinism(303)
    model = TinyMlp(30, 8)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    loss_fn = nn.BCEWithLogitsLoss()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y.astype(np.float32)).unsqueeze(1)
    for _ in range(200):  # full-batch on the 455 training rows
        opt.zero_grad()
        loss_fn(model(xt[train]), yt[train]).backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        pred = (model(xt).squeeze(1).numpy() > 0).astype(np.int64)
        golden = model(xt[:GOLDEN_ROWS])
    tc.export_onnx(model, (xt[:2],), fx("binary_teacher.onnx"), ["input"], ["logit"])
    tc.write_json(fx("golden_binary_teacher.json"), {
        "model": "binary_teacher.onnx", "source": "breast_cancer.csv, first 16 data rows, the 30 feature columns as float32",
        "rows": GOLDEN_ROWS, "labels": y[:GOLDEN_ROWS].tolist(), "logit": tc.floats(golden)})
    report["binary_teacher.onnx"] = {
        "heldOutAccuracy": float((pred[test] == y[test]).mean()), "trainAccuracy": float((pred[train] == y[train]).mean()),
        "allRowsAccuracy": float((pred == y).mean()), "parameters": tc.parameter_count(model),
        "training": "30-8-1 ReLU MLP, BCE-with-logits, Adam 1e-2, 200 full-batch steps on a seeded 80% split "
                    "(455 rows; held-out 114 rows), seed 303",
        "standardization": "(x - mean) / std per column, population std over all 569 rows, float32",
        "labels": "sklearn's target: 0 = malignant, 1 = benign"}


def make_regression(report):
    from sklearn.datasets import load_diabetes
    data = load_diabetes(scaled=False)
    names = list(data.feature_names)  # age sex bmi bp s1..s6
    x, mean, std = standardize(data.data.astype(np.float64))
    target = data.target.astype(np.float64)
    write_csv(fx("diabetes.csv"), names + ["target"],
              ([f32(v) for v in row] + [f32(t)] for row, t in zip(x, target)))
    _, x, target = read_csv_features(fx("diabetes.csv"))

    train, test = split_indices(len(x), 404)
    t_mean, t_std = target[train].mean(), target[train].std()
    tc.set_determinism(404)
    model = TinyMlp(10, 16)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2, weight_decay=1e-3)
    xt = torch.from_numpy(x)
    yt = torch.from_numpy(((target - t_mean) / t_std).astype(np.float32)).unsqueeze(1)
    for _ in range(150):  # full-batch on the training rows, on a standardized target
        opt.zero_grad()
        nn.functional.mse_loss(model(xt[train]), yt[train]).backward()
        opt.step()
    # fold the target scaling into the last layer, so `prediction` is in the original target units
    with torch.no_grad():
        model.fc2.weight.mul_(float(t_std))
        model.fc2.bias.mul_(float(t_std)).add_(float(t_mean))
    model.eval()
    with torch.no_grad():
        pred = model(xt).squeeze(1).numpy().astype(np.float64)
        golden = model(xt[:GOLDEN_ROWS])

    def r2(idx):
        return float(1 - ((pred[idx] - target[idx]) ** 2).sum() / ((target[idx] - target[idx].mean()) ** 2).sum())

    tc.export_onnx(model, (xt[:2],), fx("regression_teacher.onnx"), ["input"], ["prediction"])
    tc.write_json(fx("golden_regression_teacher.json"), {
        "model": "regression_teacher.onnx", "source": "diabetes.csv, first 16 data rows, the 10 feature columns as float32",
        "rows": GOLDEN_ROWS, "targets": target[:GOLDEN_ROWS].tolist(), "prediction": tc.floats(golden)})
    report["regression_teacher.onnx"] = {
        "heldOutR2": r2(test), "trainR2": r2(train),
        "heldOutRmse": float(np.sqrt(((pred[test] - target[test]) ** 2).mean())),
        "parameters": tc.parameter_count(model),
        "training": "10-16-1 ReLU MLP, MSE on the standardized target (scaling folded back into fc2), Adam 1e-2, "
                    "weight decay 1e-3, 150 full-batch steps on a seeded 80% split (353 rows; held-out 89), seed 404",
        "standardization": "features: (x - mean) / std per column, population std over all 442 rows, float32 "
                           "(sklearn load_diabetes(scaled=False) as the raw values); target: raw disease progression"}


def make_two_inputs(report):
    tc.set_determinism(505)
    model = TwoInputs().eval()
    rng = np.random.RandomState(505)
    ids = rng.randint(0, 100, size=(4, 16)).astype(np.int64)
    ids[0] = np.arange(16)
    mask = np.ones((4, 16), dtype=np.int64)
    mask[1, 10:] = 0           # padded tail
    mask[2, ::2] = 0           # every other token masked
    mask[3, :] = 0             # nothing attended: output is the classifier bias
    ids[1, 10:] = 0            # pad token id 0 where masked, as tokenizers do
    tc.export_onnx(model, (torch.from_numpy(ids[:2]), torch.from_numpy(mask[:2])), fx("two_inputs.onnx"),
                   ["input_ids", "attention_mask"], ["logits"])
    with torch.no_grad():
        logits = model(torch.from_numpy(ids), torch.from_numpy(mask))
    tc.write_json(fx("golden_two_inputs.json"), {
        "model": "two_inputs.onnx", "rows": 4,
        "note": "row 3 has an all-zero attention_mask: the masked mean divides by max(count, 1), so logits == classifier bias",
        "input_ids": ids.tolist(), "attention_mask": mask.tolist(), "logits": tc.floats(logits)})
    report["two_inputs.onnx"] = {"parameters": tc.parameter_count(model),
                                 "training": "none: seeded random init (seed 505); embedding 100x8, masked mean, linear 8->3"}


def make_not_onnx():
    with open(fx("not_onnx.onnx"), "w", encoding="utf-8", newline="\n") as f:
        f.write("This file is plain text, not an ONNX model. Tests use it to check the error raised for a bad teacher file.\n")


# ---------------------------------------------------------------- verification

SPECS = {
    "mlp_two_outputs.onnx": ({"pixels": (FLOAT, ["batch", 784])},
                             {"logits": (FLOAT, ["batch", 10]), "embedding": (FLOAT, ["batch", 64])}),
    "softmax_teacher.onnx": ({"input": (FLOAT, ["batch", 784])}, {"probabilities": (FLOAT, ["batch", 10])}),
    "binary_teacher.onnx": ({"input": (FLOAT, ["batch", 30])}, {"logit": (FLOAT, ["batch", 1])}),
    "regression_teacher.onnx": ({"input": (FLOAT, ["batch", 10])}, {"prediction": (FLOAT, ["batch", 1])}),
    "two_inputs.onnx": ({"input_ids": (INT64, ["batch", 16]), "attention_mask": (INT64, ["batch", 16])},
                        {"logits": (FLOAT, ["batch", 3])}),
}


def verify():
    """onnx.checker + names/shapes for every model; golden outputs re-computed from the ONNX graphs with NumPy."""
    x_test, y_test = tc.load_fashion("t10k", tc.EMBEDDED_FASHION_DIR)
    px = x_test[:GOLDEN_ROWS]
    _, bc, _ = read_csv_features(fx("breast_cancer.csv"))
    _, db, _ = read_csv_features(fx("diabetes.csv"))
    g2 = json.load(open(fx("golden_two_inputs.json")))
    cases = {
        "mlp_two_outputs.onnx": ({"pixels": px.reshape(-1, 784)}, "golden_mlp_two_outputs.json"),
        "softmax_teacher.onnx": ({"input": px.reshape(-1, 784)}, "golden_softmax_teacher.json"),
        "binary_teacher.onnx": ({"input": bc[:GOLDEN_ROWS]}, "golden_binary_teacher.json"),
        "regression_teacher.onnx": ({"input": db[:GOLDEN_ROWS]}, "golden_regression_teacher.json"),
        "two_inputs.onnx": ({"input_ids": np.array(g2["input_ids"], dtype=np.int64),
                             "attention_mask": np.array(g2["attention_mask"], dtype=np.int64)}, "golden_two_inputs.json"),
    }
    cnn = os.path.join(tc.HERE, "fashion_cnn.onnx")
    specs = dict(SPECS)
    if os.path.exists(cnn):
        specs[cnn] = ({"input": (FLOAT, ["batch", 1, 28, 28])}, {"logits": (FLOAT, ["batch", 10])})
        cases[cnn] = ({"input": px}, "golden_fashion_cnn.json")
    worst = 0.0
    for name, (ins, outs) in specs.items():
        path = name if os.path.isabs(name) else fx(name)
        model = tc.check_onnx(path, ins, outs)
        feeds, golden_name = cases[name]
        golden = json.load(open(fx(golden_name)))
        if golden_name in ("golden_fashion_cnn.json", "golden_mlp_two_outputs.json", "golden_softmax_teacher.json"):
            assert golden["labels"] == y_test[:GOLDEN_ROWS].tolist(), golden_name
        got = onnx_numpy.run(model, feeds)
        for out_name in outs:
            want = np.array(golden[out_name], dtype=np.float32)
            diff = float(np.abs(got[out_name] - want).max())
            scale = float(np.abs(want).max())
            worst = max(worst, diff / max(scale, 1.0))
            if diff > 1e-4 * max(scale, 1.0):
                raise AssertionError(f"{os.path.basename(path)} {out_name}: max |numpy - torch| = {diff} (scale {scale})")
            print(f"  {os.path.basename(path)}:{out_name} {list(want.shape)} ok (max abs diff {diff:.2e})")
    with open(fx("not_onnx.onnx"), "rb") as f:
        try:
            onnx.load_model_from_string(f.read())
            raise AssertionError("not_onnx.onnx parsed as ONNX")
        except AssertionError:
            raise
        except Exception:
            print("  not_onnx.onnx: rejected by onnx.load as expected")
    print(f"verified; worst relative difference {worst:.2e}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--verify", action="store_true", help="only check the existing files")
    args = ap.parse_args()
    if not args.verify:
        os.makedirs(FX, exist_ok=True)
        report = {}
        make_fashion_mlps(report)
        make_binary(report)
        make_regression(report)
        make_two_inputs(report)
        make_not_onnx()
        tc.write_json(fx("fixtures_report.json"), report)
        print(json.dumps(report, indent=1))
    verify()


if __name__ == "__main__":
    main()
