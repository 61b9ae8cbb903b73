"""Shared helpers for the teacher and fixture scripts (run with /usr/bin/python3: it has torch, onnx, sklearn).

Nothing here downloads anything: Fashion-MNIST comes from Debian's `dataset-fashion-mnist` package
(or the copy of its test set embedded under samples/data/fashion-mnist), the tabular sets from sklearn.
"""
import gzip
import json
import os
import random
import re

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
SYSTEM_FASHION_DIR = "/usr/share/datasets/fashion-mnist"
EMBEDDED_FASHION_DIR = os.path.join(REPO, "samples", "data", "fashion-mnist")
FIXTURES_DIR = os.path.join(REPO, "tests", "MLNetDistill.Tests", "Fixtures")
OPSET = 13


def set_determinism(seed: int) -> None:
    """Same seed, same 2 threads, deterministic kernels: the same bytes on every run on this machine."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)


def read_idx_images(path: str) -> np.ndarray:
    """IDX3 (gzip) -> float32 [N,1,28,28], pixels / 255."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, n, rows, cols = (int.from_bytes(data[i:i + 4], "big") for i in range(0, 16, 4))
    if magic != 2051:
        raise ValueError(f"{path}: not an IDX3 image file (magic {magic})")
    pixels = np.frombuffer(data, dtype=np.uint8, offset=16)
    if pixels.size != n * rows * cols:
        raise ValueError(f"{path}: expected {n * rows * cols} pixels, found {pixels.size}")
    return (pixels.reshape(n, 1, rows, cols).astype(np.float32) / np.float32(255.0))


def read_idx_labels(path: str) -> np.ndarray:
    """IDX1 (gzip) -> int64 [N]."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, n = int.from_bytes(data[0:4], "big"), int.from_bytes(data[4:8], "big")
    if magic != 2049:
        raise ValueError(f"{path}: not an IDX1 label file (magic {magic})")
    labels = np.frombuffer(data, dtype=np.uint8, offset=8)
    if labels.size != n:
        raise ValueError(f"{path}: expected {n} labels, found {labels.size}")
    return labels.astype(np.int64)


def load_fashion(split: str, directory: str = SYSTEM_FASHION_DIR):
    """split is 'train' (60k) or 't10k' (10k)."""
    x = read_idx_images(os.path.join(directory, f"{split}-images-idx3-ubyte.gz"))
    y = read_idx_labels(os.path.join(directory, f"{split}-labels-idx1-ubyte.gz"))
    if len(x) != len(y):
        raise ValueError(f"{split}: {len(x)} images but {len(y)} labels")
    return x, y


class FashionCnn(nn.Module):
    """conv3x3(1->32)+ReLU, conv3x3(32->32)+ReLU+maxpool2, conv3x3(32->64)+ReLU+maxpool2, fc 3136->128+ReLU, fc 128->10.

    Every step is its own named module so the exported ONNX node outputs get readable names
    (e.g. `/relu4/Relu_output_0` is the 128-wide penultimate layer).
    """

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(32, 32, 3, padding=1)
        self.relu2 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(2)
        self.conv3 = nn.Conv2d(32, 64, 3, padding=1)
        self.relu3 = nn.ReLU()
        self.pool2 = nn.MaxPool2d(2)
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(64 * 7 * 7, 128)
        self.relu4 = nn.ReLU()
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = self.relu1(self.conv1(x))
        x = self.pool1(self.relu2(self.conv2(x)))
        x = self.pool2(self.relu3(self.conv3(x)))
        x = self.relu4(self.fc1(self.flatten(x)))
        return self.fc2(x)


class BenchMlp(nn.Module):
    """784-1200-1200-10 (2,395,210 parameters); returns (logits, hidden) where hidden is the second ReLU layer."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 1200)
        self.fc2 = nn.Linear(1200, 1200)
        self.fc3 = nn.Linear(1200, 10)

    def forward(self, x):
        hidden = torch.relu(self.fc2(torch.relu(self.fc1(x))))
        return self.fc3(hidden), hidden


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def export_onnx(model: nn.Module, example_inputs, path: str, input_names, output_names) -> None:
    """torch.onnx.export at opset 13 with axis 0 of every input and output dynamic and named `batch`."""
    model.eval()
    dynamic = {name: {0: "batch"} for name in list(input_names) + list(output_names)}
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    torch.onnx.export(
        model,
        example_inputs,
        path,
        export_params=True,
        opset_version=OPSET,
        do_constant_folding=True,
        input_names=list(input_names),
        output_names=list(output_names),
        dynamic_axes=dynamic,
    )


def check_onnx(path: str, inputs: dict, outputs: dict):
    """onnx.checker plus a check that the graph's inputs/outputs have the promised names, element types and shapes.

    inputs/outputs map name -> (onnx TensorProto elem type, [dims]) where a dim is an int or the string 'batch'.
    """
    import onnx

    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)

    def describe(values):
        out = {}
        for v in values:
            t = v.type.tensor_type
            dims = [d.dim_param if d.dim_param else d.dim_value for d in t.shape.dim]
            out[v.name] = (t.elem_type, dims)
        return out

    initializer_names = {i.name for i in model.graph.initializer}
    got_in = {k: v for k, v in describe(model.graph.input).items() if k not in initializer_names}
    got_out = describe(model.graph.output)
    for want, got, kind in ((inputs, got_in, "input"), (outputs, got_out, "output")):
        if list(want) != list(got):
            raise AssertionError(f"{path}: {kind} names {list(got)} != {list(want)}")
        for name, (elem, dims) in want.items():
            if got[name] != (elem, list(dims)):
                raise AssertionError(f"{path}: {kind} {name} is {got[name]}, expected {(elem, list(dims))}")
    return model


def floats(array) -> list:
    """float32 array -> nested lists of Python floats (exact float32 values; json writes them with repr)."""
    return np.asarray(array, dtype=np.float32).astype(np.float64).tolist()


def write_json(path: str, obj) -> None:
    """Indented JSON whose innermost number lists stay on one line (one row per line); floats keep full repr."""
    text = json.dumps(obj, indent=1)
    # collapse lists that hold only numbers onto a single line (json.dumps opens every non-empty list with "[\n")
    text = re.sub(r"\[\n\s*([-0-9.eE+,\s]*?)\s*\]",
                  lambda m: "[" + ", ".join(x.strip() for x in m.group(1).split(",") if x.strip()) + "]", text)
    json.loads(text)  # still valid
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text + "\n")


def rel(path: str) -> str:
    return os.path.relpath(path, REPO)
