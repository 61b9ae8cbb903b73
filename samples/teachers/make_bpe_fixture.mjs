// Makes the byte-level BPE and tiktoken tokenizer fixtures of the text teacher tests, and their golden token ids
// computed by independent JavaScript implementations (not by our C# code):
//   - Hugging Face's own JS implementation of tokenizer.json (@huggingface/tokenizers 0.2.0) for tokenizer.json,
//   - js-tiktoken 1.0.21 (OpenAI's tiktoken algorithm in JS) for the .tiktoken file.
//
//   npm install --prefix /tmp/bpe-node @huggingface/tokenizers@0.2.0 js-tiktoken@1.0.21
//   NODE_PATH=/tmp/bpe-node/node_modules node samples/teachers/make_bpe_fixture.mjs
//   /usr/bin/python3 samples/teachers/make_bpe_teacher.py      # trains the tiny teacher on the ids written here
//
// What it writes (under tests/MLNetDistill.Tests/Fixtures/):
//   text_bpe/tokenizer.json        a RoBERTa-style byte-level BPE: ByteLevel pre-tokenizer (GPT-2 regex), 256 byte tokens
//                                  (ids 0-255 in byte order), MERGES merges learned here from llm_emails.csv (ids 256..),
//                                  then <s>, <pad>, </s>, <unk>, <mask> as added special tokens; RobertaProcessing wraps
//                                  every text in <s> ... </s>
//   text_bpe/tokenizer_config.json model_max_length 64
//   text_tiktoken/emails.tiktoken  the same 256 + MERGES tokens as a tiktoken rank file (base64 bytes, rank = id)
//   golden_text_bpe.json           for each row of text_emails.csv: its length in UTF-16 chars, the tokenizer.json ids
//                                  (special tokens added) and the tiktoken ids (cl100k_base's split pattern, no specials);
//                                  prefixSpace: the first 5 rows' ids with the ByteLevel pre-tokenizer's add_prefix_space;
//                                  nfkcLowercase: the first 5 rows' ids with normalizer Sequence[NFKC, Lowercase]
// and, for make_bpe_teacher.py, /tmp/bpe_teacher_train.json: the tokenizer.json ids of llm_emails.csv with labels.
//
// Optional one-off check with a real-size vocabulary: `node make_bpe_fixture.mjs --real-ranks OUT [CSV]` writes js-tiktoken's
// cl100k_base, o200k_base and gpt2 ranks as NAME.tiktoken and their ids for CSV's Text column (llm_emails.csv) into OUT, and GPT-2 as a
// tokenizer.json (gpt2-hf/) with its @huggingface/tokenizers ids.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "..", "..");
const fixtures = path.join(repo, "tests", "MLNetDistill.Tests", "Fixtures");
const MERGES = 1000;

// Load the npm packages (their CommonJS builds) from NODE_PATH, which ES module imports ignore.
const require = createRequire(path.join(process.env.NODE_PATH ?? path.join(here, "node_modules"), "noop.js"));
const { Tokenizer } = require("@huggingface/tokenizers");
const { Tiktoken } = require("js-tiktoken/lite");
const ranksOf = name => require(`js-tiktoken/ranks/${name}`);

/** RFC 4180 CSV: quoted cells may hold commas, doubled quotes and line breaks. Returns rows of cells. */
function readCsv(file) {
  const text = fs.readFileSync(file, "utf8").replace(/^\uFEFF/, "");
  const rows = [];
  let row = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') { cell += '"'; i++; } else { quoted = false; }
      } else {
        cell += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ",") {
      row.push(cell); cell = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(cell); cell = "";
      rows.push(row); row = [];
    } else {
      cell += c;
    }
  }
  if (cell.length > 0 || row.length > 0) { row.push(cell); rows.push(row); }
  const header = rows.shift();
  return rows.map(r => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ""])));
}

/** GPT-2's bytes_to_unicode: printable bytes stand for themselves, the rest map to code points from 256 up. */
function bytesToUnicode() {
  const bs = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) { bs.push(b); cs.push(256 + n); n++; }
  }
  const map = new Array(256);
  bs.forEach((b, i) => { map[b] = String.fromCodePoint(cs[i]); });
  return map;
}

const GPT2_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;
const byteChar = bytesToUnicode();
const encoder = new TextEncoder();

/** Learns MERGES byte-level BPE merges from the texts: most frequent adjacent pair first, ties by the pair's text. */
function trainMerges(texts) {
  const counts = new Map();
  for (const text of texts) {
    for (const m of text.matchAll(GPT2_PATTERN)) {
      const word = Array.from(encoder.encode(m[0]), b => byteChar[b]).join("");
      counts.set(word, (counts.get(word) ?? 0) + 1);
    }
  }
  const words = [...counts.entries()].map(([w, c]) => ({ symbols: Array.from(w), count: c }));
  const merges = [];
  for (let step = 0; step < MERGES; step++) {
    const pairs = new Map();
    for (const w of words) {
      for (let i = 0; i + 1 < w.symbols.length; i++) {
        const key = w.symbols[i] + " " + w.symbols[i + 1];
        pairs.set(key, (pairs.get(key) ?? 0) + w.count);
      }
    }
    let best = null;
    let bestCount = 0;
    for (const [key, c] of pairs) {
      if (c > bestCount || (c === bestCount && key < best)) { best = key; bestCount = c; }
    }
    if (best === null || bestCount < 2) break;
    const [a, b] = best.split(" ");
    merges.push([a, b]);
    for (const w of words) {
      const s = w.symbols;
      const out = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === a && s[i + 1] === b) { out.push(a + b); i++; } else { out.push(s[i]); }
      }
      w.symbols = out;
    }
  }
  return merges;
}

/** The bytes a byte-level token stands for. */
const charByte = new Map(byteChar.map((c, b) => [c, b]));
function tokenBytes(token) {
  return Uint8Array.from(Array.from(token), c => charByte.get(c));
}

function tokenizerJson(merges) {
  const vocab = {};
  for (let b = 0; b < 256; b++) vocab[byteChar[b]] = b;
  merges.forEach(([a, b], i) => { vocab[a + b] = 256 + i; });
  const specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"];
  const first = 256 + merges.length;
  specials.forEach((s, i) => { vocab[s] = first + i; });
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: specials.map((s, i) => ({ id: first + i, content: s, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: null,
    pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: "RobertaProcessing", sep: ["</s>", first + 2], cls: ["<s>", first], trim_offsets: true, add_prefix_space: false },
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: "", end_of_word_suffix: "",
      fuse_unk: false, byte_fallback: false, vocab, merges: merges.map(([a, b]) => `${a} ${b}`),
    },
  };
}

/** A .tiktoken rank file: one "base64(bytes) rank" line per token. */
function tiktokenLines(tokens) {
  return tokens.map((bytes, rank) => `${Buffer.from(bytes).toString("base64")} ${rank}`).join("\n") + "\n";
}

/** js-tiktoken's own compressed-ranks form ("! offset tok0 tok1 ...") of a list of token byte strings. */
function jsRanks(tokens, patStr) {
  return { pat_str: patStr, special_tokens: {}, bpe_ranks: "! 0 " + tokens.map(t => Buffer.from(t).toString("base64")).join(" ") };
}

const cl100kPattern = ranksOf("cl100k_base").pat_str;

if (process.argv[2] === "--real-ranks") {
  const out = process.argv[3];
  fs.mkdirSync(out, { recursive: true });
  const texts = readCsv(process.argv[4] ?? path.join(fixtures, "llm_emails.csv")).map(r => r.Text);
  for (const name of ["cl100k_base", "o200k_base", "gpt2"]) {
    const ranks = ranksOf(name);
    const enc = new Tiktoken(ranks);
    const lines = [];
    for (const [token, rank] of enc.rankMap) lines.push(`${Buffer.from(token.split(",").map(Number)).toString("base64")} ${rank}`);
    fs.writeFileSync(path.join(out, `${name}.tiktoken`), lines.join("\n") + "\n");
    fs.writeFileSync(path.join(out, `${name}_ids.json`), JSON.stringify({ rows: texts.map(t => ({ chars: t.length, ids: enc.encode(t) })) }));
    console.log(`${name}: ${enc.rankMap.size} ranks, ${texts.length} texts`);
    if (name === "gpt2") {
      // GPT-2 as a Hugging Face tokenizer.json (merges recovered from the ranks, as transformers' tiktoken converter does),
      // with its ids by @huggingface/tokenizers: the same ranks through the BPE tokenizer.json path.
      const vocab = {};
      const byRank = [];
      for (const [token, rank] of enc.rankMap) {
        const text = token.split(",").map(b => byteChar[Number(b)]).join("");
        vocab[text] = rank;
        byRank[rank] = text;
      }
      const merges = [];
      for (let rank = 0; rank < byRank.length; rank++) {
        const token = Array.from(byRank[rank]);
        const local = [];
        for (let i = 1; i < token.length; i++) {
          const left = token.slice(0, i).join(""), right = token.slice(i).join("");
          if (Object.hasOwn(vocab, left) && Object.hasOwn(vocab, right)) local.push([left, right]);
        }
        local.sort((a, b) => vocab[a[0]] - vocab[b[0]] || vocab[a[1]] - vocab[b[1]]);
        merges.push(...local);
      }
      vocab["<|endoftext|>"] = 50256;
      const gpt2 = {
        version: "1.0", truncation: null, padding: null,
        added_tokens: [{ id: 50256, content: "<|endoftext|>", single_word: false, lstrip: false, rstrip: false, normalized: true, special: true }],
        normalizer: null,
        pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
        post_processor: { type: "ByteLevel", add_prefix_space: true, trim_offsets: false, use_regex: true },
        decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
        model: { type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: "", end_of_word_suffix: "", fuse_unk: false, byte_fallback: false, vocab, merges: merges.map(([a, b]) => `${a} ${b}`) },
      };
      fs.mkdirSync(path.join(out, "gpt2-hf"), { recursive: true });
      fs.writeFileSync(path.join(out, "gpt2-hf", "tokenizer.json"), JSON.stringify(gpt2));
      const hfGpt2 = new Tokenizer(gpt2, {});
      const hfIds = texts.map(t => hfGpt2.encode(t).ids);
      fs.writeFileSync(path.join(out, "gpt2_hf_ids.json"), JSON.stringify({ rows: texts.map((t, i) => ({ chars: t.length, ids: hfIds[i] })) }));
      const same = hfIds.filter((ids, i) => JSON.stringify(ids) === JSON.stringify(enc.encode(texts[i]))).length;
      console.log(`gpt2 tokenizer.json: ${merges.length} merges; @huggingface/tokenizers ids equal js-tiktoken's on ${same} of ${texts.length} texts`);
    }
  }
  process.exit(0);
}

const train = readCsv(path.join(fixtures, "llm_emails.csv"));
const merges = trainMerges(train.map(r => r.Text));
const json = tokenizerJson(merges);
const tokens = [];
for (let b = 0; b < 256; b++) tokens.push(Uint8Array.of(b));
for (const [a, b] of merges) tokens.push(tokenBytes(a + b));

fs.mkdirSync(path.join(fixtures, "text_bpe"), { recursive: true });
fs.mkdirSync(path.join(fixtures, "text_tiktoken"), { recursive: true });
fs.writeFileSync(path.join(fixtures, "text_bpe", "tokenizer.json"), JSON.stringify(json));
fs.writeFileSync(path.join(fixtures, "text_bpe", "tokenizer_config.json"), JSON.stringify({ model_max_length: 64, tokenizer_class: "RobertaTokenizer" }, null, 1) + "\n");
fs.writeFileSync(path.join(fixtures, "text_tiktoken", "emails.tiktoken"), tiktokenLines(tokens));

// Golden ids, by the independent implementations, read back from the files just written.
const hf = new Tokenizer(JSON.parse(fs.readFileSync(path.join(fixtures, "text_bpe", "tokenizer.json"), "utf8")), {});
const tk = new Tiktoken(jsRanks(tokens, cl100kPattern));
const rows = readCsv(path.join(fixtures, "text_emails.csv"));
const golden = {
  source: "samples/teachers/make_bpe_fixture.mjs: @huggingface/tokenizers 0.2.0 (tokenizer.json, add_special_tokens) and js-tiktoken 1.0.21 (emails.tiktoken, cl100k_base pat_str, no special tokens)",
  vocabulary: Object.keys(json.model.vocab).length,
  tiktokenPattern: cl100kPattern,
  rows: rows.map(r => ({ chars: r.Text.length, ids: hf.encode(r.Text).ids, tiktoken: tk.encode(r.Text) })),
};
// The same tokenizer written as Sequence[Split(GPT-2 pattern, Isolated), ByteLevel(use_regex: false)] (the layout of
// Llama 3 / Qwen2 exports): Hugging Face's implementation must give the same ids, so the C# test can reuse these.
const variant = structuredClone(json);
variant.pre_tokenizer = {
  type: "Sequence", pretokenizers: [
    { type: "Split", pattern: { Regex: GPT2_PATTERN.source }, behavior: "Isolated", invert: false },
    { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false },
  ],
};
const hfSplit = new Tokenizer(variant, {});
golden.splitVariantSameIds = rows.every((r, i) => JSON.stringify(hfSplit.encode(r.Text).ids) === JSON.stringify(golden.rows[i].ids));
if (!golden.splitVariantSameIds) throw new Error("the Split + ByteLevel(use_regex: false) layout gave other ids");
// ByteLevel add_prefix_space: true (BART, Longformer, some RoBERTa exports): the ids of the first rows.
const spaced = structuredClone(json);
spaced.pre_tokenizer.add_prefix_space = true;
const hfSpaced = new Tokenizer(spaced, {});
golden.prefixSpace = rows.slice(0, 5).map(r => hfSpaced.encode(r.Text).ids);
// normalizer Sequence[NFKC, Lowercase]: the ids of the first rows.
const lowered = structuredClone(json);
lowered.normalizer = { type: "Sequence", normalizers: [{ type: "NFKC" }, { type: "Lowercase" }] };
const hfLowered = new Tokenizer(lowered, {});
golden.nfkcLowercase = rows.slice(0, 5).map(r => hfLowered.encode(r.Text).ids);
fs.writeFileSync(path.join(fixtures, "golden_text_bpe.json"), JSON.stringify(golden));
fs.writeFileSync("/tmp/bpe_teacher_train.json", JSON.stringify({
  vocabulary: golden.vocabulary,
  pad: json.model.vocab["<pad>"],
  train: train.map(r => ({ ids: hf.encode(r.Text).ids, label: Number(r.Label) })),
  test: rows.map((r, i) => ({ ids: golden.rows[i].ids, label: Number(r.Label) })),
}));
console.log(`merges ${merges.length}, vocabulary ${golden.vocabulary}, golden rows ${rows.length}, ` +
  `mean ids ${(golden.rows.reduce((s, r) => s + r.ids.length, 0) / rows.length).toFixed(1)}`);
