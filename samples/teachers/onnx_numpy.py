"""A tiny NumPy evaluator for the few ONNX ops our exported teachers use.

Python here has no onnxruntime, so this is how the scripts check that an exported graph (not just the PyTorch
module) computes the golden outputs. It covers only what torch.onnx.export emits for these models at opset 13;
any other op raises NotImplementedError rather than guessing.
"""
import numpy as np
import onnx
from onnx import numpy_helper

_NP_TYPES = {onnx.TensorProto.FLOAT: np.float32, onnx.TensorProto.INT64: np.int64,
             onnx.TensorProto.INT32: np.int32, onnx.TensorProto.DOUBLE: np.float64,
             onnx.TensorProto.BOOL: np.bool_}


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _conv(x, w, b, a):
    if a.get("group", 1) != 1 or any(d != 1 for d in a.get("dilations", [1, 1])):
        raise NotImplementedError("Conv with groups/dilations")
    pads = a.get("pads", [0, 0, 0, 0])
    sh, sw = a.get("strides", [1, 1])
    x = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    n, c, h, wd = x.shape
    m, _, kh, kw = w.shape
    oh, ow = (h - kh) // sh + 1, (wd - kw) // sw + 1
    cols = np.empty((n, c, kh, kw, oh, ow), dtype=np.float32)
    for i in range(kh):
        for j in range(kw):
            cols[:, :, i, j] = x[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw]
    y = np.einsum("nckluv,mckl->nmuv", cols, w, optimize=True)
    if b is not None:
        y = y + b.reshape(1, -1, 1, 1)
    return y.astype(np.float32)


def _maxpool(x, a):
    kh, kw = a["kernel_shape"]
    sh, sw = a.get("strides", [1, 1])
    if any(a.get("pads", [0, 0, 0, 0])) or a.get("ceil_mode", 0):
        raise NotImplementedError("MaxPool with padding/ceil_mode")
    n, c, h, w = x.shape
    oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
    y = np.full((n, c, oh, ow), -np.inf, dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            y = np.maximum(y, x[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw])
    return y


def _gemm(a_, b_, c_, a):
    if a.get("transA", 0):
        a_ = a_.T
    if a.get("transB", 0):
        b_ = b_.T
    y = a.get("alpha", 1.0) * (a_ @ b_)
    if c_ is not None:
        y = y + a.get("beta", 1.0) * c_
    return y.astype(np.float32)


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def run(model_or_path, feeds: dict) -> dict:
    """Evaluate the graph on `feeds` (name -> ndarray); returns graph outputs by name."""
    model = onnx.load(model_or_path) if isinstance(model_or_path, str) else model_or_path
    env = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    env.update(feeds)
    for node in model.graph.node:
        a = _attrs(node)
        ins = [env[n] if n else None for n in node.input]
        op = node.op_type
        if op == "Conv":
            out = _conv(ins[0], ins[1], ins[2] if len(ins) > 2 else None, a)
        elif op == "Relu":
            out = np.maximum(ins[0], 0).astype(ins[0].dtype)
        elif op == "MaxPool":
            out = _maxpool(ins[0], a)
        elif op == "Flatten":
            axis = a.get("axis", 1)
            out = ins[0].reshape(int(np.prod(ins[0].shape[:axis])), -1)
        elif op == "Gemm":
            out = _gemm(ins[0], ins[1], ins[2] if len(ins) > 2 else None, a)
        elif op == "MatMul":
            out = np.matmul(ins[0], ins[1])
        elif op == "Add":
            out = ins[0] + ins[1]
        elif op == "Sub":
            out = ins[0] - ins[1]
        elif op == "Mul":
            out = ins[0] * ins[1]
        elif op == "Div":
            out = ins[0] / ins[1]
        elif op == "Softmax":  # opset 13 semantics: along one axis
            out = _softmax(ins[0], a.get("axis", -1)).astype(np.float32)
        elif op == "Sigmoid":
            out = (1.0 / (1.0 + np.exp(-ins[0]))).astype(np.float32)
        elif op == "Gather":
            out = np.take(ins[0], ins[1], axis=a.get("axis", 0))
        elif op == "Cast":
            out = ins[0].astype(_NP_TYPES[a["to"]])
        elif op == "Unsqueeze":  # opset 13: axes is an input
            out = ins[0]
            for ax in sorted(int(v) for v in ins[1]):
                out = np.expand_dims(out, ax if ax >= 0 else ax + out.ndim + 1)
        elif op == "ReduceSum":  # opset 13: axes is an optional input
            axes = tuple(int(v) for v in ins[1]) if len(ins) > 1 and ins[1] is not None else None
            out = np.sum(ins[0], axis=axes, keepdims=bool(a.get("keepdims", 1)))
        elif op == "Clip":
            lo = ins[1] if len(ins) > 1 and ins[1] is not None else None
            hi = ins[2] if len(ins) > 2 and ins[2] is not None else None
            out = np.clip(ins[0], lo, hi)
        elif op == "Constant":
            out = numpy_helper.to_array(a["value"])
        elif op == "Identity":
            out = ins[0]
        else:
            raise NotImplementedError(f"op {op} ({node.name})")
        env[node.output[0]] = np.asarray(out)
    return {o.name: env[o.name] for o in model.graph.output}
