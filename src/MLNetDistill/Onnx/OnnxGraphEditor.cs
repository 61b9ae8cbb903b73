using Google.Protobuf;
using MLNetDistill.Onnx.Proto;

namespace MLNetDistill.Onnx;

/// <summary>
/// Small, safe edits of an ONNX graph: rename tensors, append nodes after the existing ones, replace the graph
/// outputs. The source model is cloned; fields this project does not model are carried along untouched.
/// </summary>
internal sealed class OnnxGraphEditor
{
    private readonly ModelProto _model;
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private int _counter;

    public OnnxGraphEditor(ModelProto source)
    {
        _model = source.Clone();
        foreach (var node in Graph.Node)
        {
            _names.UnionWith(node.Input);
            _names.UnionWith(node.Output);
        }

        foreach (var v in Graph.Input)
        {
            _names.Add(v.Name);
        }

        foreach (var t in Graph.Initializer)
        {
            _names.Add(t.Name);
        }
    }

    public GraphProto Graph => _model.Graph;

    /// <summary>Gets the default-domain opset of the model.</summary>
    public long Opset => _model.OpsetImport.Where(o => string.IsNullOrEmpty(o.Domain) || o.Domain == "ai.onnx").Select(o => o.Version).DefaultIfEmpty(0).Max();

    public bool HasTensor(string name) => _names.Contains(name);

    /// <summary>Renames a tensor everywhere it is produced, consumed or declared.</summary>
    public void RenameTensor(string from, string to)
    {
        if (from == to)
        {
            return;
        }

        if (_names.Contains(to))
        {
            throw new ArgumentException($"Cannot name the teacher tensor '{from}' '{to}': the graph already has a tensor called '{to}'. Choose another column name.");
        }

        foreach (var node in Graph.Node)
        {
            Replace(node.Input, from, to);
            Replace(node.Output, from, to);
        }

        foreach (var v in Graph.Input.Concat(Graph.Output).Concat(Graph.ValueInfo))
        {
            if (v.Name == from)
            {
                v.Name = to;
            }
        }

        _names.Remove(from);
        _names.Add(to);
    }

    /// <summary>Adds a float constant (as an initializer) and returns its name.</summary>
    public string AddConstant(string hint, float value)
    {
        string name = NewName(hint);
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.FloatData.Add(value);
        Graph.Initializer.Add(tensor);
        return name;
    }

    /// <summary>Appends a node and returns the name of its (single) output.</summary>
    public string AddNode(string opType, IEnumerable<string> inputs, string? outputName = null, params AttributeProto[] attributes)
    {
        string output = outputName ?? NewName(opType.ToLowerInvariant());
        if (outputName is not null)
        {
            if (_names.Contains(outputName))
            {
                throw new ArgumentException($"The teacher graph already has a tensor called '{outputName}'. Choose another output column name.");
            }

            _names.Add(outputName);
        }

        var node = new NodeProto { OpType = opType, Name = NewName(opType + "_node") };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        Graph.Node.Add(node);
        return output;
    }

    public static AttributeProto IntAttribute(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    /// <summary>Replaces the graph outputs by float tensors of shape [batch, size] (size null when unknown).</summary>
    public void SetFloatOutputs(IEnumerable<(string Name, long? Size)> outputs)
    {
        Graph.Output.Clear();
        foreach (var (name, size) in outputs)
        {
            var shape = new TensorShapeProto();
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "batch" });
            shape.Dim.Add(size is long s ? new TensorShapeProto.Types.Dimension { DimValue = s } : new TensorShapeProto.Types.Dimension());
            Graph.Output.Add(new ValueInfoProto
            {
                Name = name,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
            });
        }
    }

    public byte[] ToBytes() => _model.ToByteArray();

    private string NewName(string hint)
    {
        string name;
        do
        {
            name = $"mlnetdistill_{hint}_{_counter++}";
        }
        while (_names.Contains(name));
        _names.Add(name);
        return name;
    }

    private static void Replace(Google.Protobuf.Collections.RepeatedField<string> names, string from, string to)
    {
        for (int i = 0; i < names.Count; i++)
        {
            if (names[i] == from)
            {
                names[i] = to;
            }
        }
    }
}
