"""The files of the budgeted labeling table (issue 24), written to OUT (default /tmp/bl).

Fashion-MNIST, the embedded t10k set: rows [2000, 2500) as labeled500.csv (the free labeled rows), rows [2500, 7000) as
pool4500.csv (the rows the teacher may label; their Label is ignored by distill), and the other 5,000 rows ([0, 2000) and
[7000, 10000)) as test5k.csv. A Label column then 784 pixel columns scaled to [0, 1] (byte / 255 as float32, written
exactly). Rows [2000, 7000) are pseudo_label_splits.py's train5k.csv. Run with /usr/bin/python3 (numpy).
"""
import gzip, os, struct, sys
import numpy as np

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
out = sys.argv[1] if len(sys.argv) > 1 else '/tmp/bl'
os.makedirs(out, exist_ok=True)

fashion = os.path.join(root, 'samples', 'data', 'fashion-mnist')
images = gzip.open(os.path.join(fashion, 't10k-images-idx3-ubyte.gz')).read()
labels = gzip.open(os.path.join(fashion, 't10k-labels-idx1-ubyte.gz')).read()
n = struct.unpack('>I', images[4:8])[0]
X = np.frombuffer(images, dtype=np.uint8, offset=16).reshape(n, 784)
y = np.frombuffer(labels, dtype=np.uint8, offset=8)


def write_images(path, rows):
    with open(path, 'w') as f:
        f.write('Label,' + ','.join(f'pixel{j}' for j in range(784)) + '\n')
        for r in rows:
            f.write(str(int(y[r])) + ',' + ','.join(repr(float(np.float32(v) / np.float32(255))) if v else '0' for v in X[r]) + '\n')


write_images(os.path.join(out, 'labeled500.csv'), range(2000, 2500))
write_images(os.path.join(out, 'pool4500.csv'), range(2500, 7000))
write_images(os.path.join(out, 'test5k.csv'), list(range(0, 2000)) + list(range(7000, 10000)))
print(f'wrote labeled500.csv, pool4500.csv, test5k.csv to {out}')
