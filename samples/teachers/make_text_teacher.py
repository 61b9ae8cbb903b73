#!/usr/bin/python3
"""Trains the SpamAssassin text teacher (a small transformer encoder) and exports it to ONNX, with a BERT vocab.

    /usr/bin/python3 samples/teachers/make_text_teacher.py            # samples/teachers/spam_transformer.{onnx,json} + vocab
    /usr/bin/python3 samples/teachers/make_text_teacher.py --tiny     # the test fixture teacher, vocab, CSV and golden values
    # the costlier teacher, samples/teachers/spam_transformer_large/ + spam_transformer_large.json (4 layers, d 128, 256 tokens):
    /usr/bin/python3 samples/teachers/make_text_teacher.py --layers 4 --dim 128 --ff 256 --max-tokens 256 --epochs 5 \
        --threads 1 --name spam_transformer_large

Needs python3-torch (1.13) and python3-onnx, the CSVs of samples/data/spam-assassin/make_csv.py (not for --tiny, which
makes its own small CSV from them... or from --tiny-source), and the .NET SDK: the token ids the model trains on are
written by the benchmark project's `tokenize` command, which runs the library's own CSV reader and Microsoft.ML.Tokenizers
BertTokenizer exactly as the teacher scorer does. Training and scoring therefore see the same ids by construction.

Model: token embedding (vocab x d) + learned positions (max_tokens x d), `layers` pre-norm encoder blocks with
self-attention written out (Q, K, V projections, scores + (1 - mask) * -1e4, softmax, output projection; no
nn.MultiheadAttention fast path) and a GELU feed-forward block, masked mean pooling, a linear layer to 2 logits.
Inputs input_ids and attention_mask (int64, [batch, sequence], both axes dynamic); output logits [batch, 2]
(0 = ham, 1 = spam). Exported with torch.onnx.export, opset 14.
"""
import argparse
import collections
import csv
import json
import math
import os
import random
import subprocess
import sys
import time
import unicodedata

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
csv.field_size_limit(1 << 30)


# ---------------------------------------------------------------- vocabulary (the ids themselves come from .NET)

def is_punct(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def basic_words(text):
    """BERT's basic tokenization, close enough to pick a vocabulary (lower-case, strip accents, split punctuation)."""
    text = unicodedata.normalize("NFD", text.lower())
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    for word in text.split():
        current = []
        for ch in word:
            if is_punct(ch):
                if current:
                    yield "".join(current)
                    current = []
                yield ch
            else:
                current.append(ch)
        if current:
            yield "".join(current)


def build_vocab(texts, size, min_char_count):
    words = collections.Counter()
    chars = collections.Counter()
    for t in texts:
        for w in basic_words(t):
            if len(w) > 100:
                continue
            words[w] += 1
            for i, ch in enumerate(w):
                chars[ch if i == 0 else "##" + ch] += 1
    vocab = list(SPECIALS)
    seen = set(vocab)
    for piece, n in sorted(chars.items(), key=lambda kv: (-kv[1], kv[0])):
        if n >= min_char_count and piece not in seen:
            vocab.append(piece)
            seen.add(piece)
    for w, n in sorted(words.items(), key=lambda kv: (-kv[1], kv[0])):
        if len(vocab) >= size:
            break
        if w not in seen and n >= 2:
            vocab.append(w)
            seen.add(w)
    return vocab


def write_tokenizer(folder, prefix, vocab, max_tokens):
    vocab_path = os.path.join(folder, prefix + "vocab.txt")
    with open(vocab_path, "w", encoding="utf-8", newline="\n") as f:
        for token in vocab:
            f.write(token + "\n")
    config = {"tokenizer_class": "BertTokenizer", "do_lower_case": True, "model_max_length": max_tokens,
              "cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]", "unk_token": "[UNK]", "mask_token": "[MASK]"}
    with open(os.path.join(folder, prefix + "tokenizer_config.json"), "w") as f:
        json.dump(config, f, indent=1)
    return vocab_path


def dotnet_tokenize(vocab, csv_path, max_tokens, out):
    dll = os.path.join(REPO, "tests", "MLNetDistill.Benchmarks", "bin", "Release", "net10.0", "MLNetDistill.Benchmarks.dll")
    # Always (incremental): a stale build from before the tokenize command existed would print BenchmarkDotNet's menu instead.
    subprocess.run(["dotnet", "build", "-c", "Release", "-v", "q", "-nologo", os.path.join(REPO, "tests", "MLNetDistill.Benchmarks")], check=True)
    subprocess.run(["dotnet", dll, "tokenize", vocab, csv_path, "Text", str(max_tokens), out], check=True)
    rows = []
    with open(out, encoding="utf-8") as f:
        for line in f:
            label, truncated, ids = line.rstrip("\n").split("\t")
            rows.append((int(float(label)), [int(x) for x in ids.split()], truncated == "1"))
    return rows


# ---------------------------------------------------------------- model

class Block(nn.Module):
    def __init__(self, d, heads, ff, dropout):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.ff1 = nn.Linear(d, ff)
        self.ff2 = nn.Linear(ff, d)
        self.drop = nn.Dropout(dropout)

    def forward(self, x, bias):
        b, t, d = x.shape
        h = self.heads
        q, k, v = self.qkv(self.ln1(x)).chunk(3, dim=-1)
        q = q.reshape(b, t, h, d // h).transpose(1, 2)
        k = k.reshape(b, t, h, d // h).transpose(1, 2)
        v = v.reshape(b, t, h, d // h).transpose(1, 2)
        scores = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(d // h)) + bias
        attn = self.drop(torch.softmax(scores, dim=-1))
        y = torch.matmul(attn, v).transpose(1, 2).reshape(b, t, d)
        x = x + self.drop(self.proj(y))
        return x + self.drop(self.ff2(F.gelu(self.ff1(self.ln2(x)))))


class TextTeacher(nn.Module):
    def __init__(self, vocab, max_tokens, d, heads, ff, layers, dropout):
        super().__init__()
        self.tokens = nn.Embedding(vocab, d)
        self.positions = nn.Embedding(max_tokens, d)
        self.blocks = nn.ModuleList(Block(d, heads, ff, dropout) for _ in range(layers))
        self.ln = nn.LayerNorm(d)
        self.head = nn.Linear(d, 2)
        self.drop = nn.Dropout(dropout)

    def forward(self, input_ids, attention_mask):
        t = input_ids.shape[1]
        positions = torch.arange(t, device=input_ids.device).unsqueeze(0)
        x = self.drop(self.tokens(input_ids) + self.positions(positions))
        mask = attention_mask.to(x.dtype)
        bias = ((1.0 - mask) * -10000.0)[:, None, None, :]
        for block in self.blocks:
            x = block(x, bias)
        x = self.ln(x)
        pooled = (x * mask.unsqueeze(-1)).sum(dim=1) / mask.sum(dim=1, keepdim=True).clamp(min=1.0)
        return self.head(pooled)


def batches(rows, size, shuffle, rng):
    order = sorted(range(len(rows)), key=lambda i: len(rows[i][1]))
    chunks = [order[i:i + size] for i in range(0, len(order), size)]
    if shuffle:
        rng.shuffle(chunks)
    for chunk in chunks:
        t = max(len(rows[i][1]) for i in chunk)
        ids = torch.zeros(len(chunk), t, dtype=torch.long)
        mask = torch.zeros(len(chunk), t, dtype=torch.long)
        for r, i in enumerate(chunk):
            seq = rows[i][1]
            ids[r, :len(seq)] = torch.tensor(seq)
            mask[r, :len(seq)] = 1
        yield chunk, ids, mask, torch.tensor([rows[i][0] for i in chunk])


def evaluate(model, rows):
    model.eval()
    correct = 0
    with torch.no_grad():
        for chunk, ids, mask, y in batches(rows, 64, False, None):
            correct += (model(ids, mask).argmax(dim=1) == y).sum().item()
    return correct / len(rows)


def train(model, rows, test_rows, epochs, lr, batch, seed):
    rng = random.Random(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    steps = epochs * math.ceil(len(rows) / batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.1)
    history = []
    start = time.time()
    for epoch in range(1, epochs + 1):
        model.train()
        total, n = 0.0, 0
        for chunk, ids, mask, y in batches(rows, batch, True, rng):
            loss = F.cross_entropy(model(ids, mask), y)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            total += loss.item() * len(chunk)
            n += len(chunk)
        acc = evaluate(model, test_rows) if test_rows else None
        history.append({"epoch": epoch, "trainLoss": total / n, "testAccuracy": acc, "seconds": round(time.time() - start, 1)})
        print(json.dumps(history[-1]), flush=True)
    return history


def export(model, path, opset):
    model.eval()
    ids = torch.tensor([[2, 7, 8, 3], [2, 9, 3, 0]], dtype=torch.long)
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]], dtype=torch.long)
    torch.onnx.export(model, (ids, mask), path, input_names=["input_ids", "attention_mask"], output_names=["logits"],
                      dynamic_axes={"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
                                    "logits": {0: "batch"}}, opset_version=opset, do_constant_folding=True)
    import onnx
    onnx.checker.check_model(onnx.load(path))


def read_csv(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def tiny_csv(source, out, rows_wanted, seed):
    """~50 short real emails (first 400 characters) plus the edge cases the tests need."""
    rng = random.Random(seed)
    rows = read_csv(source)
    ham = [r for r in rows if r["Label"] == "0"]
    spam = [r for r in rows if r["Label"] == "1"]
    pick = rng.sample(ham, rows_wanted // 2 - 3) + rng.sample(spam, rows_wanted // 2 - 3)
    pick.sort(key=lambda r: r["Id"])
    out_rows = [{"Id": r["Id"], "Text": r["Text"][:400], "Label": r["Label"], "Group": r["Group"]} for r in pick]
    longest = max(rows, key=lambda r: len(r["Text"]) if r["Label"] == "1" else 0)
    out_rows += [
        {"Id": "edge/empty", "Text": "", "Label": "0", "Group": "edge"},
        {"Id": "edge/whitespace", "Text": "   \n\t  ", "Label": "0", "Group": "edge"},
        {"Id": "edge/quotes", "Text": 'Subject: "free", cheap, now!\n\nSay "yes", reply, win $1,000,000 "today"', "Label": "1", "Group": "edge"},
        {"Id": "edge/unicode", "Text": "Subject: Café naïve résumé — 日本語 テスト\n\nÜber straße", "Label": "0", "Group": "edge"},
        {"Id": "edge/long", "Text": longest["Text"][:3000], "Label": "1", "Group": "edge"},
        {"Id": "edge/short", "Text": "hi", "Label": "0", "Group": "edge"},
    ]
    with open(out, "w", encoding="utf-8", newline="") as f:
        f.write("Id,Text,Label,Group\n")
        for r in out_rows:
            f.write(r["Id"] + ',"' + r["Text"].replace('"', '""') + '",' + r["Label"] + "," + r["Group"] + "\n")
    return out_rows


def sentencepiece_fixture(out, a_model_type="unigram"):
    """A SentencePiece (unigram) tokenizer.model trained on the fixture emails, with python sentencepiece's ids as golden values."""
    import sentencepiece as spm
    rows = read_csv(os.path.join(out, "text_emails.csv"))
    folder = os.path.join(out, "text_sentencepiece")
    os.makedirs(folder, exist_ok=True)
    corpus = os.path.join(folder, "corpus.txt")
    with open(corpus, "w", encoding="utf-8") as f:
        for r in rows:
            for line in r["Text"].split("\n"):
                if line.strip():
                    f.write(line.strip() + "\n")
    spm.SentencePieceTrainer.train(input=corpus, model_prefix=os.path.join(folder, "tokenizer"), vocab_size=300, model_type=a_model_type,
                                   character_coverage=1.0, normalization_rule_name="identity", bos_id=1, eos_id=2, unk_id=0, pad_id=-1,
                                   split_by_whitespace=True, num_threads=1)
    os.remove(corpus)
    os.remove(os.path.join(folder, "tokenizer.vocab"))
    sp = spm.SentencePieceProcessor(model_file=os.path.join(folder, "tokenizer.model"))
    texts = [" ".join(r["Text"].split()) for r in rows]  # single spaces: no normalization questions about runs of whitespace
    golden = [{"text": t, "ids": sp.encode(t, add_bos=True)} for t in texts]
    with open(os.path.join(out, "golden_text_sentencepiece.json"), "w", encoding="utf-8") as f:
        json.dump({"tokenizer": "text_sentencepiece/tokenizer.model", "addBos": True, "vocabulary": sp.get_piece_size(),
                   "pieces": [sp.id_to_piece(i) for i in range(sp.get_piece_size())],
                   "scores": [sp.get_score(i) for i in range(sp.get_piece_size())], "rows": golden}, f, ensure_ascii=False)
    print(f"sentencepiece fixture: {sp.get_piece_size()} pieces, {len(golden)} rows")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tiny", action="store_true", help="make the test fixture teacher instead")
    p.add_argument("--sentencepiece", action="store_true", help="make the SentencePiece tokenizer fixture (needs python3-sentencepiece; after --tiny)")
    p.add_argument("--csv", default=os.path.join(REPO, "samples", "data", "spam-assassin", "csv"))
    p.add_argument("--out", default=None)
    p.add_argument("--vocab-size", type=int, default=None)
    p.add_argument("--max-tokens", type=int, default=None)
    p.add_argument("--dim", type=int, default=None)
    p.add_argument("--layers", type=int, default=None)
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--heads", type=int, default=None, help="attention heads (default 4; 2 with --tiny)")
    p.add_argument("--ff", type=int, default=None, help="feed-forward width (default 128; 32 with --tiny)")
    p.add_argument("--lr", type=float, default=None, help="peak one-cycle learning rate (default 3e-3; 1e-2 with --tiny)")
    p.add_argument("--name", default="spam_transformer", help="folder OUT/NAME/ and metrics file OUT/NAME.json (not with --tiny)")
    p.add_argument("--seed", type=int, default=20021001)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    if a.sentencepiece:
        sentencepiece_fixture(a.out or os.path.join(REPO, "tests", "MLNetDistill.Tests", "Fixtures"))
        return
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    tiny = a.tiny
    out = a.out or (os.path.join(REPO, "tests", "MLNetDistill.Tests", "Fixtures") if tiny else HERE)
    os.makedirs(out, exist_ok=True)
    vocab_size = a.vocab_size or (400 if tiny else 8000)
    max_tokens = a.max_tokens or (64 if tiny else 128)
    dim = a.dim or (16 if tiny else 64)
    layers = a.layers or 1
    epochs = a.epochs or (40 if tiny else 6)
    heads = a.heads or (2 if tiny else 4)
    ff = a.ff or (32 if tiny else 128)
    lr = a.lr or (1e-2 if tiny else 3e-3)
    prefix = "text_teacher_" if tiny else ""
    folder = os.path.join(out, "text_teacher") if tiny else os.path.join(out, a.name)
    os.makedirs(folder, exist_ok=True)
    work = os.path.join(folder, ".work")
    os.makedirs(work, exist_ok=True)

    if tiny:
        csv_path = os.path.join(out, "text_emails.csv")
        tiny_csv(os.path.join(a.csv, "test.csv"), csv_path, 50, a.seed)
        train_csv, test_csv = csv_path, None
    else:
        train_csv, test_csv = os.path.join(a.csv, "train.csv"), os.path.join(a.csv, "test.csv")
    texts = [r["Text"] for r in read_csv(train_csv)]
    vocab = build_vocab(texts, vocab_size, 1 if tiny else 3)
    vocab_path = write_tokenizer(folder, "", vocab, max_tokens)
    train_rows = dotnet_tokenize(vocab_path, train_csv, max_tokens, os.path.join(work, "train_ids.tsv"))
    test_rows = dotnet_tokenize(vocab_path, test_csv, max_tokens, os.path.join(work, "test_ids.tsv")) if test_csv else []

    model = TextTeacher(len(vocab), max_tokens, dim, heads, ff, layers, 0.0 if tiny else 0.1)
    start, cpu = time.time(), time.process_time()
    history = train(model, train_rows, test_rows, epochs, lr, 16 if tiny else 32, a.seed)
    seconds, cpu_seconds = time.time() - start, time.process_time() - cpu
    onnx_path = os.path.join(folder, "model.onnx")
    export(model, onnx_path, 14)
    params = sum(p.numel() for p in model.parameters())
    info = {
        "trainRows": len(train_rows), "testRows": len(test_rows),
        "testAccuracy": round(evaluate(model, test_rows), 4) if test_rows else None,
        "trainAccuracy": round(evaluate(model, train_rows), 4),
        "truncatedTrainRows": sum(r[2] for r in train_rows), "truncatedTestRows": sum(r[2] for r in test_rows),
        "epochs": epochs, "parameters": params, "vocabulary": len(vocab), "maxTokens": max_tokens, "opset": 14,
        "inputs": {"input_ids": ["batch", "sequence"], "attention_mask": ["batch", "sequence"]},
        "output": "logits", "outputShape": ["batch", 2], "classes": ["ham", "spam"],
        "architecture": f"embedding({len(vocab)}x{dim}) + positions({max_tokens}x{dim}), {layers} x pre-norm block (self-attention {heads} heads written out, GELU FFN {ff}), masked mean pool, linear({dim}->2)",
        "optimizer": f"AdamW + one-cycle, lr {lr}, batch {16 if tiny else 32} (length-bucketed), seed {a.seed}, {a.threads} threads",
        "tokenizer": "Microsoft.ML.Tokenizers 2.0.1 BertTokenizer over vocab.txt (do_lower_case), ids written by `MLNetDistill.Benchmarks tokenize`",
        "trainSeconds": round(seconds, 1), "cpuSeconds": round(cpu_seconds, 1), "torchVersion": torch.__version__,
        "history": history,
    }
    if tiny:
        # golden probabilities: PyTorch, one row at a time (no padding), on the .NET ids of every fixture row
        model.eval()
        golden = []
        with torch.no_grad():
            for label, ids, truncated in train_rows:
                t = torch.tensor([ids])
                logits = model(t, torch.ones_like(t))[0]
                golden.append({"ids": ids, "truncated": truncated, "logits": logits.tolist(), "probabilities": torch.softmax(logits, 0).tolist()})
        with open(os.path.join(out, "golden_text_teacher.json"), "w") as f:
            json.dump({"csv": "text_emails.csv", "textColumn": "Text", "maxTokens": max_tokens, "rows": golden}, f)
    with open(os.path.join(folder, "model.json") if tiny else os.path.join(out, a.name + ".json"), "w") as f:
        json.dump(info, f, indent=1)
    print(json.dumps({k: v for k, v in info.items() if k != "history"}, indent=1))


if __name__ == "__main__":
    main()
