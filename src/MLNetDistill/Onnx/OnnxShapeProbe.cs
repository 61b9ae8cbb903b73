using Microsoft.ML.OnnxRuntime;
using MLNetDistill.Onnx.Proto;

namespace MLNetDistill.Onnx;

/// <summary>
/// Learns the element types and shapes of a model's intermediate tensors (which exporters often leave undeclared)
/// by running one zero-filled row with every intermediate tensor made a graph output.
/// </summary>
internal static class OnnxShapeProbe
{
    /// <summary>The most values one probed input row may hold (the teacher graph's own limit).</summary>
    private const long MaxElementsPerRow = 1L << 28;

    /// <summary>Returns the intermediate outputs with probed types and shapes (batch dimension named <c>batch</c>), or the originals when the model cannot be probed.</summary>
    public static IReadOnlyList<OnnxTensorInfo> Probe(OnnxModelInfo info)
    {
        if (info.IntermediateOutputs.Count == 0 || info.Inputs.Any(i => i.ElementsPerRow is null))
        {
            return info.IntermediateOutputs;
        }

        try
        {
            var editor = new OnnxGraphEditor(info.Model);
            foreach (var t in info.IntermediateOutputs)
            {
                editor.Graph.Output.Add(new ValueInfoProto { Name = t.Name });
            }

            using var options = new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL };
            using var session = new InferenceSession(editor.ToBytes(), options);
            var values = new List<OrtValue>();
            var names = new List<string>();
            foreach (var input in info.Inputs)
            {
                values.Add(ZeroRow(input));
                names.Add(input.Name);
            }

            string[] outputs = info.IntermediateOutputs.Select(t => t.Name).ToArray();
            using var results = session.Run(new RunOptions(), names, values, outputs);
            foreach (var v in values)
            {
                v.Dispose();
            }

            var probed = new List<OnnxTensorInfo>(outputs.Length);
            for (int i = 0; i < outputs.Length; i++)
            {
                var typeAndShape = results[i].GetTensorTypeAndShape();
                var dims = typeAndShape.Shape.Select((d, k) => k == 0 && d == 1 ? "batch" : d.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
                probed.Add(info.IntermediateOutputs[i] with { ElementType = OnnxModelInfo.ElementTypeName((int)typeAndShape.ElementDataType), Dimensions = dims });
            }

            return probed;
        }
        catch (Exception e) when (e is OnnxRuntimeException or ArgumentException or FormatException or InvalidOperationException or InvalidDataException or OverflowException)
        {
            return info.IntermediateOutputs;
        }
    }

    /// <summary>One zero-filled row (batch 1) for <paramref name="input"/>.</summary>
    private static OrtValue ZeroRow(OnnxTensorInfo input)
    {
        long[] rowShape = input.Dimensions!.Skip(1).Select(long.Parse).ToArray();
        long perRow = 1;
        foreach (long d in rowShape)
        {
            perRow = d < 0 || d > MaxElementsPerRow ? -1 : perRow * d;
            if (perRow < 0 || perRow > MaxElementsPerRow)
            {
                throw new InvalidDataException($"Input '{input.Name}' of shape [1, {string.Join(", ", rowShape)}] holds more values than one buffer can.");
            }
        }

        return OnnxZeroTensor.TryCreate(input.ElementType, [1, .. rowShape], (int)perRow, out var value)
            ? value!
            : throw new ArgumentException($"Input '{input.Name}' has element type {input.ElementType}; supported: {OnnxZeroTensor.SupportedTypes}.");
    }
}
