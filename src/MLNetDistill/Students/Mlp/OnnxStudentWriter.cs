using System.Runtime.InteropServices;
using Google.Protobuf;
using MLNetDistill.Onnx.Proto;
using MLNetDistill.Numerics;
using MLNetDistill.Onnx;

namespace MLNetDistill.Students.Mlp;

/// <summary>
/// Writes a trained MLP student as a standard ONNX model (opset 13): input <c>features</c> [N, D], outputs
/// <c>logits</c> [N, K] and <c>probabilities</c> [N, K] with a dynamic batch axis. Linear layers are <c>Gemm</c>
/// (transB = 1, weights stored [out, in] as in PyTorch), layer norm is decomposed into ReduceMean/Sub/Mul/Sqrt/Div
/// (LayerNormalization itself needs opset 17), GELU is its exact erf form 0.5 x (1 + erf(x / sqrt 2)).
/// Any ONNX runtime can serve the file; ML.NET's <c>ApplyOnnxModel</c> and the teacher scorer run it too.
/// </summary>
internal static class OnnxStudentWriter
{
    public const string InputName = "features";
    public const string LogitsName = "logits";
    public const string ProbabilitiesName = "probabilities";

    public static byte[] ToBytes(MlpModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var graph = new GraphProto { Name = "mlnetdistill_mlp_student" };
        graph.Input.Add(FloatValue(InputName, model.InputSize));
        string current = InputName;
        int n = 0;
        string Next(string hint) => $"{hint}_{n++}";

        foreach (var layer in model.Layers)
        {
            string w = AddInitializer(graph, $"layer{layer.Index}.weight", layer.Weight.Values, [layer.OutputSize, layer.InputSize]);
            string b = AddInitializer(graph, $"layer{layer.Index}.bias", layer.Bias.Values, [layer.OutputSize]);
            string z = layer.IsOutput ? LogitsName : Next($"layer{layer.Index}_linear");
            graph.Node.Add(Node("Gemm", [current, w, b], z, Int("transB", 1)));
            current = z;
            if (layer.IsOutput)
            {
                break;
            }

            if (layer.LayerNormScale is { } gamma)
            {
                string mean = Next("ln_mean");
                graph.Node.Add(Node("ReduceMean", [current], mean, Ints("axes", 1), Int("keepdims", 1)));
                string centered = Next("ln_centered");
                graph.Node.Add(Node("Sub", [current, mean], centered));
                string squared = Next("ln_squared");
                graph.Node.Add(Node("Mul", [centered, centered], squared));
                string variance = Next("ln_variance");
                graph.Node.Add(Node("ReduceMean", [squared], variance, Ints("axes", 1), Int("keepdims", 1)));
                string eps = AddInitializer(graph, $"layer{layer.Index}.ln_eps", [MlpLayer.LayerNormEpsilon], []);
                string shifted = Next("ln_shifted");
                graph.Node.Add(Node("Add", [variance, eps], shifted));
                string std = Next("ln_std");
                graph.Node.Add(Node("Sqrt", [shifted], std));
                string normalized = Next("ln_normalized");
                graph.Node.Add(Node("Div", [centered, std], normalized));
                string g = AddInitializer(graph, $"layer{layer.Index}.ln_weight", gamma.Values, [layer.OutputSize]);
                string beta = AddInitializer(graph, $"layer{layer.Index}.ln_bias", layer.LayerNormBias!.Values, [layer.OutputSize]);
                string scaled = Next("ln_scaled");
                graph.Node.Add(Node("Mul", [normalized, g], scaled));
                current = Next("ln_out");
                graph.Node.Add(Node("Add", [scaled, beta], current));
            }

            string activated = Next($"layer{layer.Index}_{(layer.Activation == MlpActivation.ReLU ? "relu" : "gelu")}");
            if (layer.Activation == MlpActivation.ReLU)
            {
                graph.Node.Add(Node("Relu", [current], activated));
            }
            else
            {
                string sqrt2 = AddInitializer(graph, $"layer{layer.Index}.gelu_sqrt2", [MathF.Sqrt(2f)], []);
                string one = AddInitializer(graph, $"layer{layer.Index}.gelu_one", [1f], []);
                string half = AddInitializer(graph, $"layer{layer.Index}.gelu_half", [0.5f], []);
                string divided = Next("gelu_div");
                graph.Node.Add(Node("Div", [current, sqrt2], divided));
                string erf = Next("gelu_erf");
                graph.Node.Add(Node("Erf", [divided], erf));
                string plusOne = Next("gelu_plus_one");
                graph.Node.Add(Node("Add", [erf, one], plusOne));
                string times = Next("gelu_times_x");
                graph.Node.Add(Node("Mul", [current, plusOne], times));
                graph.Node.Add(Node("Mul", [times, half], activated));
            }

            current = activated;
        }

        graph.Output.Add(FloatValue(LogitsName, model.OutputSize));
        if (model.OutputSize > 1)
        {
            // A regression student (one output) has its prediction as `logits` and no probabilities.
            graph.Node.Add(Node("Softmax", [LogitsName], ProbabilitiesName, Int("axis", 1)));
            graph.Output.Add(FloatValue(ProbabilitiesName, model.OutputSize));
        }
        var proto = new ModelProto
        {
            IrVersion = 8,
            ProducerName = "MLNetDistill",
            ProducerVersion = typeof(OnnxStudentWriter).Assembly.GetName().Version?.ToString() ?? "1.0",
            Graph = graph,
        };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        proto.MetadataProps.Add(new StringStringEntryProto { Key = "mlnetdistill.student", Value = $"mlp:{string.Join(",", model.HiddenSizes)}" });
        return proto.ToByteArray();
    }

    private static ValueInfoProto FloatValue(string name, int width)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "batch" });
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = width });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }

    private static string AddInitializer(GraphProto graph, string name, ReadOnlySpan<float> values, long[] dims)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values)) };
        tensor.Dims.AddRange(dims);
        graph.Initializer.Add(tensor);
        return name;
    }

    private static NodeProto Node(string op, string[] inputs, string output, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = output + "_" + op };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        return node;
    }

    private static AttributeProto Int(string name, long value) => OnnxGraphEditor.IntAttribute(name, value);

    private static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }
}
