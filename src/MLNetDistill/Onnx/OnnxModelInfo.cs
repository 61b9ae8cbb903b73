using System.Text.Json.Serialization;
using Google.Protobuf;
using MLNetDistill.Onnx.Proto;

namespace MLNetDistill.Onnx;

/// <summary>
/// What an ONNX file holds, read from the file itself without running it: inputs and outputs with their element
/// types and shapes, opset, parameter count, size, and the intermediate node outputs that can be exposed as columns.
/// </summary>
public sealed class OnnxModelInfo
{
    private OnnxModelInfo(string path, long fileBytes, ModelProto model)
    {
        Path = path;
        FileBytes = fileBytes;
        Model = model;
        var graph = model.Graph;
        var known = new Dictionary<string, ValueInfoProto>(StringComparer.Ordinal);
        foreach (var v in graph.ValueInfo)
        {
            known[v.Name] = v;
        }

        foreach (var v in graph.Output)
        {
            known[v.Name] = v;
        }

        var initializerNames = new HashSet<string>(StringComparer.Ordinal);
        long parameters = 0;
        foreach (var t in graph.Initializer)
        {
            initializerNames.Add(t.Name);
            long count = 1;
            foreach (long d in t.Dims)
            {
                count *= d;
            }

            parameters += count;
        }

        ParameterCount = parameters;
        Inputs = graph.Input.Where(i => !initializerNames.Contains(i.Name)).Select(ToInfo).ToArray();
        Outputs = graph.Output.Select(ToInfo).ToArray();
        var outputNames = new HashSet<string>(graph.Output.Select(o => o.Name), StringComparer.Ordinal);
        var intermediates = new List<OnnxTensorInfo>();
        foreach (var node in graph.Node)
        {
            foreach (string output in node.Output)
            {
                if (output.Length == 0 || outputNames.Contains(output))
                {
                    continue;
                }

                intermediates.Add(known.TryGetValue(output, out var vi)
                    ? ToInfo(vi) with { OperatorType = node.OpType }
                    : new OnnxTensorInfo(output, "unknown", null, node.OpType));
            }
        }

        IntermediateOutputs = intermediates;
        Opset = model.OpsetImport.Where(o => string.IsNullOrEmpty(o.Domain) || o.Domain == "ai.onnx").Select(o => o.Version).DefaultIfEmpty(0).Max();
    }

    /// <summary>Gets the path the model was read from.</summary>
    public string Path { get; }

    /// <summary>Gets the size of the file in bytes.</summary>
    public long FileBytes { get; }

    /// <summary>Gets the default-domain opset version the model imports.</summary>
    public long Opset { get; }

    /// <summary>Gets the number of parameters: the total element count of all initializers.</summary>
    public long ParameterCount { get; }

    /// <summary>Gets the graph inputs the caller must feed (initializers listed as inputs are left out).</summary>
    public IReadOnlyList<OnnxTensorInfo> Inputs { get; }

    /// <summary>Gets the graph outputs.</summary>
    public IReadOnlyList<OnnxTensorInfo> Outputs { get; }

    /// <summary>Gets the node outputs that are not graph outputs and could be exposed as extra columns.</summary>
    public IReadOnlyList<OnnxTensorInfo> IntermediateOutputs { get; }

    [JsonIgnore]
    internal ModelProto Model { get; }

    /// <summary>
    /// Runs one zero-filled row through the model to learn the element types and shapes of the intermediate
    /// outputs, which exporters often leave undeclared. Needs fixed input shapes after the batch dimension.
    /// </summary>
    /// <returns>The intermediate outputs with their shapes (first dimension <c>batch</c>), or <see cref="IntermediateOutputs"/> unchanged when the model cannot be probed.</returns>
    public IReadOnlyList<OnnxTensorInfo> ProbeIntermediateOutputs() => OnnxShapeProbe.Probe(this);

    /// <summary>Reads an ONNX file.</summary>
    /// <param name="path">The path of the <c>.onnx</c> file.</param>
    /// <returns>The model's description.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not an ONNX model.</exception>
    public static OnnxModelInfo Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"Teacher model '{path}' does not exist. Pass the path of an .onnx file (export a PyTorch model with torch.onnx.export).", path);
        }

        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"Teacher model '{path}' could not be read: {e.Message}", e);
        }

        return new OnnxModelInfo(path, bytes.LongLength, Parse(bytes, path));
    }

    /// <summary>Describes a model held in memory.</summary>
    internal static OnnxModelInfo FromBytes(byte[] bytes, string source) => new(source, bytes.LongLength, Parse(bytes, source));

    /// <summary>Parses ONNX bytes, with a clear error for anything that is not an ONNX model.</summary>
    internal static ModelProto Parse(byte[] bytes, string source)
    {
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw NotOnnx(source, e.Message);
        }

        if (model.Graph is null || model.Graph.Output.Count == 0 || model.Graph.Node.Count == 0 || !model.HasIrVersion)
        {
            throw NotOnnx(source, "it has no ONNX graph with nodes and outputs");
        }

        return model;
    }

    internal static string ElementTypeName(int elemType) => elemType switch
    {
        (int)TensorProto.Types.DataType.Float => "float",
        (int)TensorProto.Types.DataType.Double => "double",
        (int)TensorProto.Types.DataType.Float16 => "float16",
        (int)TensorProto.Types.DataType.Bfloat16 => "bfloat16",
        (int)TensorProto.Types.DataType.Int64 => "int64",
        (int)TensorProto.Types.DataType.Int32 => "int32",
        (int)TensorProto.Types.DataType.Int16 => "int16",
        (int)TensorProto.Types.DataType.Int8 => "int8",
        (int)TensorProto.Types.DataType.Uint8 => "uint8",
        (int)TensorProto.Types.DataType.Uint16 => "uint16",
        (int)TensorProto.Types.DataType.Uint32 => "uint32",
        (int)TensorProto.Types.DataType.Uint64 => "uint64",
        (int)TensorProto.Types.DataType.Bool => "bool",
        (int)TensorProto.Types.DataType.String => "string",
        _ => "unknown",
    };

    private static InvalidDataException NotOnnx(string source, string why) =>
        new($"'{source}' is not an ONNX model ({why}). Pass a file written by an ONNX exporter such as torch.onnx.export.");

    private static OnnxTensorInfo ToInfo(ValueInfoProto v)
    {
        var tensor = v.Type?.TensorType;
        if (tensor is null)
        {
            return new OnnxTensorInfo(v.Name, "unknown", null);
        }

        List<string>? dims = null;
        if (tensor.Shape is not null)
        {
            dims = new List<string>(tensor.Shape.Dim.Count);
            foreach (var d in tensor.Shape.Dim)
            {
                dims.Add(d.ValueCase switch
                {
                    TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue => d.DimValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam => d.DimParam,
                    _ => "?",
                });
            }
        }

        return new OnnxTensorInfo(v.Name, ElementTypeName(tensor.ElemType), dims);
    }
}
