"""An independent evaluator of ONNX graphs, written from the ONNX operator specification (opset 17), in
float64 with PyTorch: enough operators for a jdiffusion UNet export and its QDQ form. QuantizeLinear and
DequantizeLinear follow the spec exactly (round half to even, saturate, per-axis scales), so running a QDQ
model here simulates its quantization in exact-ish arithmetic, independently of ONNX Runtime's integer kernels.

usage: qdq_reference.py MODEL X_FILE T_FILE N C H W OUT_FILE OUTPUT_NAME
X_FILE: float32 little-endian [N, C, H, W]; T_FILE: int64 little-endian [N]; OUT_FILE: float64 little-endian.
"""
import sys

import numpy as np
import onnx
import torch
from onnx import numpy_helper

torch.set_grad_enabled(False)
torch.set_num_threads(1)  # small graphs; do not oversubscribe the cores the test JVM uses


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def quantize(x, scale, zero, axis, dtype):
    lo, hi = {np.uint8: (0, 255), np.int8: (-128, 127)}[dtype]
    scale, zero = broadcast(scale, x, axis), broadcast(zero, x, axis)
    return torch.clamp(torch.round(x / scale) + zero, lo, hi)  # torch.round: half to even


def broadcast(p, x, axis):
    if p.dim() == 0:
        return p
    shape = [1] * x.dim()
    shape[axis] = -1
    return p.reshape(shape)


def run(model, feeds):
    g = model.graph
    v = dict(feeds)
    kinds = {}
    for init in g.initializer:
        a = numpy_helper.to_array(init)
        kinds[init.name] = a.dtype.type
        v[init.name] = torch.from_numpy(a.astype(np.float64) if a.dtype != np.int64 else a)
    for n in g.node:
        ins = [v[i] if i else None for i in n.input]
        at = attrs(n)
        op = n.op_type
        if op == 'Cast':
            assert at['to'] == onnx.TensorProto.FLOAT
            y = ins[0].double()
        elif op == 'Reshape':
            shape = [int(s) for s in ins[1]]
            shape = [ins[0].shape[i] if s == 0 else s for i, s in enumerate(shape)]
            y = ins[0].reshape(shape)
        elif op == 'Shape':
            y = torch.tensor(list(ins[0].shape), dtype=torch.int64)
        elif op == 'Mul':
            y = ins[0] * ins[1]
        elif op == 'Add':
            y = ins[0] + ins[1]
        elif op == 'Sigmoid':
            y = torch.sigmoid(ins[0])
        elif op == 'Sin':
            y = torch.sin(ins[0])
        elif op == 'Cos':
            y = torch.cos(ins[0])
        elif op == 'Concat':
            y = torch.cat(ins, dim=at['axis'])
        elif op == 'Gemm':
            a, b = ins[0], ins[1]
            if at.get('transA', 0):
                a = a.T
            if at.get('transB', 0):
                b = b.T
            y = at.get('alpha', 1.0) * (a @ b)
            if len(ins) > 2 and ins[2] is not None:
                y = y + at.get('beta', 1.0) * ins[2]
        elif op == 'Conv':
            assert at.get('group', 1) == 1 and all(d == 1 for d in at.get('dilations', [1, 1]))
            p = at.get('pads', [0, 0, 0, 0])
            x = torch.nn.functional.pad(ins[0], (p[1], p[3], p[0], p[2]))
            y = torch.nn.functional.conv2d(x, ins[1], ins[2] if len(ins) > 2 else None, stride=at.get('strides', [1, 1]))
        elif op == 'InstanceNormalization':
            x = ins[0]
            dims = tuple(range(2, x.dim()))
            mean = x.mean(dim=dims, keepdim=True)
            var = ((x - mean) ** 2).mean(dim=dims, keepdim=True)
            y = (x - mean) / torch.sqrt(var + at['epsilon'])
            y = y * broadcast(ins[1], x, 1) + broadcast(ins[2], x, 1)
        elif op == 'Transpose':
            y = ins[0].permute(*at['perm'])
        elif op == 'MatMul':
            y = ins[0] @ ins[1]
        elif op == 'Softmax':
            y = torch.softmax(ins[0], dim=at['axis'])
        elif op == 'Resize':
            assert at['mode'] == b'nearest' and at['coordinate_transformation_mode'] == b'asymmetric' \
                and at['nearest_mode'] == b'floor'
            scales = [float(s) for s in ins[2]]
            x = ins[0]
            for axis, s in enumerate(scales):
                if s != 1:
                    size = int(x.shape[axis] * s)
                    index = torch.floor(torch.arange(size, dtype=torch.float64) / s).long()
                    x = x.index_select(axis, index)
            y = x
        elif op == 'QuantizeLinear':
            dtype = kinds[n.input[2]]
            y = quantize(ins[0], ins[1], ins[2], at.get('axis', 1), dtype)
        elif op == 'DequantizeLinear':
            axis = at.get('axis', 1)
            y = (ins[0] - broadcast(ins[2], ins[0], axis)) * broadcast(ins[1], ins[0], axis)
        else:
            raise SystemExit('qdq_reference.py: operator %s is not implemented' % op)
        v[n.output[0]] = y
    return v


def main():
    model_file, x_file, t_file, n, c, h, w, out_file, output = sys.argv[1:10]
    n, c, h, w = int(n), int(c), int(h), int(w)
    x = np.fromfile(x_file, dtype='<f4').reshape(n, c, h, w)
    t = np.fromfile(t_file, dtype='<i8')
    values = run(onnx.load(model_file), {'x': torch.from_numpy(x.astype(np.float64)), 't': torch.from_numpy(t)})
    values[output].numpy().astype('<f8').tofile(out_file)


if __name__ == '__main__':
    main()
