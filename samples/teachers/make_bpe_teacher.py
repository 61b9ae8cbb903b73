#!/usr/bin/python3
"""Trains the tiny byte-level BPE text teacher of the tests and exports it to ONNX.

    NODE_PATH=/tmp/bpe-node/node_modules node samples/teachers/make_bpe_fixture.mjs   # tokenizer files, golden ids, train ids
    /usr/bin/python3 samples/teachers/make_bpe_teacher.py

Reads /tmp/bpe_teacher_train.json, which make_bpe_fixture.mjs writes: the ids that Hugging Face's JS implementation of
tokenizer.json (@huggingface/tokenizers 0.2.0) gives for the 500 emails of llm_emails.csv (train) and the 50 rows of
text_emails.csv (test), each wrapped in <s> ... </s>. Each row is cut to 64 ids keeping the closing </s> (Hugging Face's
truncation: the text is cut, then the special tokens are added).

The model is make_text_teacher.py's (embedding + learned positions, one pre-norm attention block, masked mean pool,
linear to 2 logits; width 8), with an embedding table of the tokenizer's 1,261 ids; inputs input_ids and attention_mask (int64,
[batch, sequence], both dynamic), output logits [batch, 2] (0 = ham, 1 = spam), opset 14. Writes
tests/MLNetDistill.Tests/Fixtures/text_bpe/model.onnx and model.json (training record). The emails.tiktoken ranks are the
same tokens with the same ids, so the teacher also takes the tiktoken ids (split by a different pattern).
"""
import json
import os
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_text_teacher import REPO, TextTeacher, evaluate, export, train  # noqa: E402

MAX_TOKENS = 64
DIM = 8  # keeps model.onnx near 50 KB


def cut(ids):
    return ids if len(ids) <= MAX_TOKENS else ids[:MAX_TOKENS - 1] + [ids[-1]]


def main():
    seed = 20021201
    torch.manual_seed(seed)
    torch.set_num_threads(2)
    with open("/tmp/bpe_teacher_train.json", encoding="utf-8") as f:
        data = json.load(f)
    train_rows = [(r["label"], cut(r["ids"]), len(r["ids"]) > MAX_TOKENS) for r in data["train"]]
    test_rows = [(r["label"], cut(r["ids"]), len(r["ids"]) > MAX_TOKENS) for r in data["test"]]
    vocab = data["vocabulary"]
    model = TextTeacher(vocab, MAX_TOKENS, DIM, 2, 2 * DIM, 1, 0.0)
    start = time.time()
    history = train(model, train_rows, test_rows, 12, 1e-2, 16, seed)
    folder = os.path.join(REPO, "tests", "MLNetDistill.Tests", "Fixtures", "text_bpe")
    export(model, os.path.join(folder, "model.onnx"), 14)
    info = {
        "trainRows": len(train_rows), "testRows": len(test_rows),
        "trainAccuracy": round(evaluate(model, train_rows), 4), "testAccuracy": round(evaluate(model, test_rows), 4),
        "parameters": sum(p.numel() for p in model.parameters()), "vocabulary": vocab, "maxTokens": MAX_TOKENS, "opset": 14,
        "inputs": {"input_ids": ["batch", "sequence"], "attention_mask": ["batch", "sequence"]},
        "output": "logits", "outputShape": ["batch", 2], "classes": ["ham", "spam"],
        "architecture": f"make_text_teacher.py's TextTeacher: embedding({vocab}x{DIM}) + positions({MAX_TOKENS}x{DIM}), 1 pre-norm block (2 heads, GELU FFN {2 * DIM}), masked mean pool, linear({DIM}->2)",
        "train": "llm_emails.csv (500 emails), ids by @huggingface/tokenizers 0.2.0 over text_bpe/tokenizer.json, cut to 64 keeping </s>; test: text_emails.csv",
        "seed": seed, "trainSeconds": round(time.time() - start, 1), "torchVersion": torch.__version__, "history": history,
    }
    with open(os.path.join(folder, "model.json"), "w") as f:
        json.dump(info, f, indent=1)
    print(json.dumps({k: v for k, v in info.items() if k != "history"}, indent=1))


if __name__ == "__main__":
    main()
