"""Writes rows [START, START + COUNT) of a Fashion-MNIST IDX set (images + labels, gzip) under OUT as
NAME-images-idx3-ubyte.gz and NAME-labels-idx1-ubyte.gz, for the cascade measurement on the benchmark page:

    /usr/bin/python3 tests/MLNetDistill.Benchmarks/fashion_subset.py samples/data/fashion-mnist/t10k 2000 5000 /tmp/fashion cascade-train
    /usr/bin/python3 tests/MLNetDistill.Benchmarks/fashion_subset.py samples/data/fashion-mnist/t10k 0 2000 /tmp/fashion cascade-test

SOURCE is the set's prefix (…/t10k or /usr/share/datasets/fashion-mnist/train). The t10k rows are the ones the teacher
never saw (kd-table's split: train on rows 2,000-6,999, test on the first 2,000). Standard library only."""
import gzip
import os
import struct
import sys


def write(path: str, data: bytes) -> None:
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as f:
        f.write(data)


def main(source: str, start: int, rows: int, out: str, name: str) -> None:
    os.makedirs(out, exist_ok=True)
    with gzip.open(source + "-images-idx3-ubyte.gz", "rb") as f:
        magic, count, height, width = struct.unpack(">IIII", f.read(16))
        if start + rows > count:
            sys.exit(f"asked for rows {start} to {start + rows - 1} but the set has {count}")
        f.read(start * height * width)
        images = f.read(rows * height * width)
    with gzip.open(source + "-labels-idx1-ubyte.gz", "rb") as f:
        label_magic, _ = struct.unpack(">II", f.read(8))
        f.read(start)
        labels = f.read(rows)
    write(os.path.join(out, f"{name}-images-idx3-ubyte.gz"), struct.pack(">IIII", magic, rows, height, width) + images)
    write(os.path.join(out, f"{name}-labels-idx1-ubyte.gz"), struct.pack(">II", label_magic, rows) + labels)
    print(os.path.join(out, f"{name}-images-idx3-ubyte.gz"))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5])
