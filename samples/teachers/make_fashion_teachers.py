#!/usr/bin/python3
"""Train and export the default teacher, a small CNN on the full Fashion-MNIST training set.

    /usr/bin/python3 samples/teachers/make_fashion_teachers.py            # train, write fashion_cnn.onnx/.json + golden
    /usr/bin/python3 samples/teachers/make_fashion_teachers.py --bench-mlp /tmp/bench_mlp.onnx [--bench-cnn /tmp/bench_cnn.onnx] [--bench-trivial /tmp/t.onnx]
                                                                          # only export untrained benchmark models

Outputs of the default run:
    samples/teachers/fashion_cnn.onnx                      input `input` [batch,1,28,28] -> output `logits` [batch,10]
    samples/teachers/fashion_cnn.json                      accuracy, sizes, names, intermediate node outputs
    tests/MLNetDistill.Tests/Fixtures/golden_fashion_cnn.json   PyTorch logits for the first 16 embedded test rows
"""
import argparse
import os
import sys
import time

import numpy as np
import onnx
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import teacher_common as tc  # noqa: E402

SEED = 20171128  # Fashion-MNIST's release date; any fixed number would do
BATCH = 128
LR = 1e-3


def evaluate(model, x, y, batch=1000):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            correct += int((model(torch.from_numpy(x[i:i + batch])).argmax(1).numpy() == y[i:i + batch]).sum())
    return correct / len(x)


def intermediate_outputs(path):
    """Every node output in the exported graph with its op type and inferred shape (for exposing hidden layers)."""
    model = onnx.shape_inference.infer_shapes(onnx.load(path))
    shapes = {}
    for v in list(model.graph.value_info) + list(model.graph.output):
        dims = [d.dim_param if d.dim_param else d.dim_value for d in v.type.tensor_type.shape.dim]
        shapes[v.name] = dims
    graph_outputs = {o.name for o in model.graph.output}
    nodes = []
    for node in model.graph.node:
        for out in node.output:
            nodes.append({"name": out, "opType": node.op_type, "node": node.name,
                          "shape": shapes.get(out), "isGraphOutput": out in graph_outputs})
    return nodes


def train_cnn(epochs):
    tc.set_determinism(SEED)
    x_train, y_train = tc.load_fashion("train")
    # the test set is read from the copy the repository embeds (identical bytes to the system package)
    test_dir = tc.EMBEDDED_FASHION_DIR if os.path.exists(
        os.path.join(tc.EMBEDDED_FASHION_DIR, "t10k-images-idx3-ubyte.gz")) else tc.SYSTEM_FASHION_DIR
    x_test, y_test = tc.load_fashion("t10k", test_dir)
    print(f"train {x_train.shape} test {x_test.shape} (test from {tc.rel(test_dir) if test_dir.startswith(tc.REPO) else test_dir})")

    model = tc.FashionCnn()
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(SEED)
    xt, yt = torch.from_numpy(x_train), torch.from_numpy(y_train)
    started = time.time()
    history = []
    for epoch in range(1, epochs + 1):
        model.train()
        perm = torch.randperm(len(xt), generator=gen)
        total = 0.0
        for i in range(0, len(xt), BATCH):
            idx = perm[i:i + BATCH]
            opt.zero_grad()
            loss = loss_fn(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        acc = evaluate(model, x_test, y_test)
        history.append({"epoch": epoch, "trainLoss": total / len(xt), "testAccuracy": acc,
                        "seconds": round(time.time() - started, 1)})
        print(f"epoch {epoch}: train loss {total / len(xt):.4f}, test accuracy {acc:.4f}, {time.time() - started:.0f} s",
              flush=True)
    train_seconds = time.time() - started
    return model, x_train, x_test, y_test, history, train_seconds


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--out-dir", default=tc.HERE, help="where fashion_cnn.onnx/.json go (default: samples/teachers)")
    ap.add_argument("--golden-dir", default=tc.FIXTURES_DIR, help="where golden_fashion_cnn.json goes")
    ap.add_argument("--bench-mlp", metavar="OUT.onnx",
                    help="only export an untrained 784-1200-1200-10 MLP: input `input` [batch,784], "
                         "outputs `logits` [batch,10] and `hidden` [batch,1200]")
    ap.add_argument("--bench-cnn", metavar="OUT.onnx",
                    help="only export the untrained FashionCnn architecture: input `input` [batch,1,28,28], output `logits`")
    ap.add_argument("--bench-trivial", metavar="OUT.onnx",
                    help="only export an untrained trivial teacher, one 784x10 MatMul (+ bias): input `input` [batch,784], "
                         "output `logits` [batch,10]; with it the scoring pipeline, not the teacher, is what is timed")
    ap.add_argument("--seed", type=int, default=SEED, help="seed for the untrained benchmark models")
    args = ap.parse_args()

    if args.bench_mlp or args.bench_cnn or args.bench_trivial:
        if args.bench_trivial:
            tc.set_determinism(args.seed)
            trivial = nn.Linear(784, 10)
            tc.export_onnx(trivial, (torch.zeros(2, 784),), args.bench_trivial, ["input"], ["logits"])
            tc.check_onnx(args.bench_trivial, {"input": (1, ["batch", 784])}, {"logits": (1, ["batch", 10])})
            print(f"wrote {args.bench_trivial} ({tc.parameter_count(trivial)} parameters, {os.path.getsize(args.bench_trivial)} bytes)")
        if args.bench_mlp:
            tc.set_determinism(args.seed)
            mlp = tc.BenchMlp()
            tc.export_onnx(mlp, (torch.zeros(2, 784),), args.bench_mlp, ["input"], ["logits", "hidden"])
            tc.check_onnx(args.bench_mlp, {"input": (1, ["batch", 784])},
                          {"logits": (1, ["batch", 10]), "hidden": (1, ["batch", 1200])})
            print(f"wrote {args.bench_mlp} ({tc.parameter_count(mlp)} parameters, {os.path.getsize(args.bench_mlp)} bytes)")
        if args.bench_cnn:
            tc.set_determinism(args.seed)
            cnn = tc.FashionCnn()
            tc.export_onnx(cnn, (torch.zeros(2, 1, 28, 28),), args.bench_cnn, ["input"], ["logits"])
            tc.check_onnx(args.bench_cnn, {"input": (1, ["batch", 1, 28, 28])}, {"logits": (1, ["batch", 10])})
            print(f"wrote {args.bench_cnn} ({tc.parameter_count(cnn)} parameters, {os.path.getsize(args.bench_cnn)} bytes)")
        return

    cpu_started = time.process_time()
    model, _, x_test, y_test, history, train_seconds = train_cnn(args.epochs)
    model.eval()
    test_acc = evaluate(model, x_test, y_test)

    onnx_path = os.path.join(args.out_dir, "fashion_cnn.onnx")
    tc.export_onnx(model, (torch.from_numpy(x_test[:2]),), onnx_path, ["input"], ["logits"])
    tc.check_onnx(onnx_path, {"input": (1, ["batch", 1, 28, 28])}, {"logits": (1, ["batch", 10])})
    size = os.path.getsize(onnx_path)
    if size >= 4 * 1024 * 1024:
        raise SystemExit(f"{onnx_path} is {size} bytes, over the 4 MB budget")

    with torch.no_grad():
        golden = model(torch.from_numpy(x_test[:16])).numpy()
    tc.write_json(os.path.join(args.golden_dir, "golden_fashion_cnn.json"), {
        "model": "fashion_cnn.onnx",
        "source": "samples/data/fashion-mnist t10k, first 16 rows, pixels/255 as float32, NCHW [16,1,28,28]",
        "rows": 16,
        "labels": y_test[:16].tolist(),
        "logits": tc.floats(golden),
    })

    tc.write_json(os.path.join(args.out_dir, "fashion_cnn.json"), {
        "testAccuracy": test_acc,
        "trainRows": 60000,
        "testRows": 10000,
        "epochs": args.epochs,
        "parameters": tc.parameter_count(model),
        "opset": tc.OPSET,
        "input": "input",
        "inputShape": ["batch", 1, 28, 28],
        "output": "logits",
        "outputShape": ["batch", 10],
        "architecture": "conv3x3(1->32)+ReLU, conv3x3(32->32)+ReLU+maxpool2, conv3x3(32->64)+ReLU+maxpool2, "
                        "flatten, fc(3136->128)+ReLU, fc(128->10)",
        "optimizer": f"Adam lr={LR}, batch {BATCH}, seed {SEED}, 2 threads",
        "trainSeconds": round(train_seconds, 1),
        "cpuSeconds": round(time.process_time() - cpu_started, 1),
        "torchVersion": torch.__version__,
        "history": history,
        "penultimateOutput": {"name": "/relu4/Relu_output_0", "shape": ["batch", 128],
                              "note": "ReLU after fc1; a graph-internal value, not a graph output"},
        "intermediateOutputs": intermediate_outputs(onnx_path),
    })
    print(f"test accuracy {test_acc:.4f}; wrote {tc.rel(onnx_path)} ({size} bytes), fashion_cnn.json, golden_fashion_cnn.json")


if __name__ == "__main__":
    main()
