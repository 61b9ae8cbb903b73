using Microsoft.ML.OnnxRuntime;
using MLNetDistill.Onnx.Proto;
using MLNetDistill.Teachers;

namespace MLNetDistill.Onnx;

/// <summary>
/// Learns the element types and shapes of a model's intermediate tensors (which exporters often leave undeclared)
/// by running one zero-filled row with every intermediate tensor made a graph output.
/// </summary>
internal static class OnnxShapeProbe
{
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
                long[] rowShape = input.Dimensions!.Skip(1).Select(long.Parse).ToArray();
                values.Add(TeacherSession.ZeroBatch(new TeacherGraphInput(input.Name, input.Name, input.ElementType, rowShape, null, input.Name)));
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
}
