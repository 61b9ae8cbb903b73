"""The files of the README's pseudo-label table (issue 21), written to OUT (default /tmp/pm).

Fashion-MNIST: rows [2000, 7000) of the embedded t10k set as train5k.csv and rows [0, 2000) as test2k.csv, a Label
column then 784 pixel columns scaled to [0, 1] (byte / 255 as float32, written exactly).
SpamAssassin: samples/data/spam-assassin/csv/train.csv (run samples/data/spam-assassin/make_csv.py first) permuted with
numpy RandomState(0): the first 300 rows as spam_labeled300.csv, the next 3,000 as spam_transfer3000.csv (their Label is
ignored by distill), and test.csv copied as spam_test.csv. Run with /usr/bin/python3 (numpy).
"""
import csv, gzip, os, shutil, struct, sys
import numpy as np

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
out = sys.argv[1] if len(sys.argv) > 1 else '/tmp/pm'
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


write_images(os.path.join(out, 'train5k.csv'), range(2000, 7000))
write_images(os.path.join(out, 'test2k.csv'), range(0, 2000))

csv.field_size_limit(10**9)
spam = os.path.join(root, 'samples', 'data', 'spam-assassin', 'csv')
rows = list(csv.DictReader(open(os.path.join(spam, 'train.csv'), newline='')))
order = np.random.RandomState(0).permutation(len(rows))


def write_emails(path, indices):
    with open(path, 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=['Id', 'Text', 'Label', 'Group'])
        writer.writeheader()
        for i in indices:
            writer.writerow(rows[i])


write_emails(os.path.join(out, 'spam_labeled300.csv'), order[:300])
write_emails(os.path.join(out, 'spam_transfer3000.csv'), order[300:3300])
shutil.copyfile(os.path.join(spam, 'test.csv'), os.path.join(out, 'spam_test.csv'))
