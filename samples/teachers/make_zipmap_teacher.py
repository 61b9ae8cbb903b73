"""Writes tests/MLNetDistill.Tests/Fixtures/digits_zipmap_teacher.onnx: a scikit-learn classifier as skl2onnx exports it.

skl2onnx is not installed here, so the graph is written with onnx.helper in the shape skl2onnx gives a
LogisticRegression (zipmap on, its default):

    float_input [N, 64] -> ai.onnx.ml.LinearClassifier (post_transform SOFTMAX) -> label int64 [N], probability_tensor [N, 10]
    probability_tensor -> ai.onnx.ml.Normalizer (L1) -> probabilities [N, 10]
    label -> Cast -> output_label int64 [N]
    probabilities -> ai.onnx.ml.ZipMap (classlabels_int64s 0..9) -> output_probability: sequence of map(int64, float)

The model is a real scikit-learn LogisticRegression trained on tests/MLNetDistill.Tests/Fixtures/digits_train.csv
(sklearn's 8x8 digits, pixel values 0-16, label 0-9); its accuracy on digits_test.csv is printed and written to
digits_zipmap_teacher.json beside the model, with the first rows' probabilities for the C# tests to compare with.

Run: /usr/bin/python3 samples/teachers/make_zipmap_teacher.py   (about 5 s; needs python3-sklearn, python3-onnx)
"""
import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper
from sklearn.linear_model import LogisticRegression

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "tests", "MLNetDistill.Tests", "Fixtures")


def load(name):
    data = np.loadtxt(os.path.join(FIXTURES, name), delimiter=",", skiprows=1, dtype=np.float32)
    return data[:, :-1], data[:, -1].astype(np.int64)


def sequence_of_maps():
    """seq(map(int64, float)), built by hand: onnx 1.12's helper has no make_map_type_proto."""
    value = onnx.TypeProto()
    value.map_type.key_type = TensorProto.INT64
    value.map_type.value_type.tensor_type.elem_type = TensorProto.FLOAT
    sequence = onnx.TypeProto()
    sequence.sequence_type.elem_type.CopyFrom(value)
    return sequence


def main():
    x_train, y_train = load("digits_train.csv")
    x_test, y_test = load("digits_test.csv")
    model = LogisticRegression(max_iter=5000, C=0.1, random_state=0).fit(x_train, y_train)
    classes = [int(c) for c in model.classes_]
    k, d = len(classes), x_train.shape[1]

    coefficients = model.coef_.astype(np.float32).reshape(-1).tolist()
    intercepts = model.intercept_.astype(np.float32).tolist()
    nodes = [
        helper.make_node("LinearClassifier", ["float_input"], ["label", "probability_tensor"], domain="ai.onnx.ml",
                         coefficients=coefficients, intercepts=intercepts, classlabels_ints=classes,
                         multi_class=1, post_transform="SOFTMAX", name="LinearClassifier"),
        helper.make_node("Normalizer", ["probability_tensor"], ["probabilities"], domain="ai.onnx.ml", norm="L1", name="Normalizer"),
        helper.make_node("Cast", ["label"], ["output_label"], to=TensorProto.INT64, name="Cast"),
        helper.make_node("ZipMap", ["probabilities"], ["output_probability"], domain="ai.onnx.ml",
                         classlabels_int64s=classes, name="ZipMap"),
    ]
    inputs = [helper.make_tensor_value_info("float_input", TensorProto.FLOAT, [None, d])]
    outputs = [
        helper.make_tensor_value_info("output_label", TensorProto.INT64, [None]),
        helper.make_value_info("output_probability", sequence_of_maps()),
    ]
    graph = helper.make_graph(nodes, "LogisticRegression", inputs, outputs)
    onnx_model = helper.make_model(graph, producer_name="skl2onnx-shaped (onnx.helper)",
                                   opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("ai.onnx.ml", 1)])
    onnx_model.ir_version = 8
    onnx.checker.check_model(onnx_model)
    path = os.path.join(FIXTURES, "digits_zipmap_teacher.onnx")
    onnx.save(onnx_model, path)

    probabilities = model.predict_proba(x_test)
    accuracy = float((model.predict(x_test) == y_test).mean())
    report = {
        "model": "sklearn LogisticRegression(max_iter=5000, C=0.1) on digits_train.csv, written as skl2onnx writes it (ZipMap on)",
        "testAccuracy": accuracy,
        "testRows": int(len(y_test)),
        "classes": classes,
        "firstTestProbabilities": probabilities[:8].astype(np.float32).tolist(),
    }
    with open(os.path.join(FIXTURES, "digits_zipmap_teacher.json"), "w") as f:
        json.dump(report, f, indent=1)
    print(f"wrote {path}: {k} classes, {d} features, test accuracy {accuracy:.4f}")


if __name__ == "__main__":
    main()
