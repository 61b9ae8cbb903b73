using Google.Protobuf;
using MLNetDistill.Onnx.Proto;

namespace MLNetDistill.Tests.Fuzz;

/// <summary>
/// Mutations of an ONNX model that keep it valid protobuf, so they reach past the parser into model inspection, graph
/// editing and ONNX Runtime: dimensions (huge, zero, negative, symbolic), element and tensor types, opsets and IR versions,
/// operator types, node inputs and attributes, initializers (dims that disagree with their data, truncated data, external
/// data that points elsewhere) and the graph's inputs and outputs.
/// </summary>
internal static class OnnxMutator
{
    private static readonly long[] OddDims = [0, -1, -7, 1L << 40, long.MaxValue, int.MaxValue, 1_000_003, 3];
    private static readonly int[] OddTypes = [0, 2, 3, 6, 7, 8, 9, 10, 11, 14, 16, 99, -1];

    /// <summary>One structural mutation of <paramref name="seed"/> drawn by <paramref name="m"/>; <paramref name="kind"/> names it.</summary>
    public static byte[] Mutate(byte[] seed, Mutator m, out string kind)
    {
        ModelProto model = ModelProto.Parser.ParseFrom(seed);
        GraphProto graph = model.Graph;
        if (graph is null || graph.Input.Count == 0 || graph.Output.Count == 0 || graph.Node.Count == 0)
        {
            kind = "unchanged (an earlier mutation left no inputs, outputs or nodes)";
            return seed;
        }

        switch (m.Next(16))
        {
            case 0:
            {
                TensorShapeProto.Types.Dimension dim = PickDim(m, graph.Input);
                long value = m.Pick(OddDims);
                dim.DimValue = value;
                kind = $"an input dimension set to {value}";
                break;
            }

            case 1:
            {
                TensorShapeProto.Types.Dimension dim = PickDim(m, graph.Output);
                long value = m.Pick(OddDims);
                dim.DimValue = value;
                kind = $"an output dimension set to {value}";
                break;
            }

            case 2:
            {
                ValueInfoProto v = m.Next(2) == 0 ? m.Pick(graph.Input) : m.Pick(graph.Output);
                int type = m.Pick(OddTypes);
                v.Type.TensorType.ElemType = type;
                kind = $"'{v.Name}' element type set to {type}";
                break;
            }

            case 3:
            {
                long version = m.Pick([0L, 1L, 6L, 999L, -3L]);
                if (model.OpsetImport.Count > 0)
                {
                    model.OpsetImport[0].Version = version;
                }

                kind = $"opset set to {version}";
                break;
            }

            case 4:
            {
                long ir = m.Pick([0L, 1L, 99L, -1L]);
                model.IrVersion = ir;
                kind = $"IR version set to {ir}";
                break;
            }

            case 5:
            {
                NodeProto node = m.Pick(graph.Node);
                string op = m.Pick(["Foo", "Relu", "Gemm", "MatMul", "Softmax", "Reshape", "Conv", "Identity", "Loop", ""]);
                kind = $"node '{node.Name}' op {node.OpType} -> '{op}'";
                node.OpType = op;
                break;
            }

            case 6:
            {
                NodeProto node = m.Pick(graph.Node);
                if (node.Input.Count > 0)
                {
                    int at = m.Next(node.Input.Count);
                    node.Input[at] = m.Pick(["missing", "", graph.Input[0].Name, node.Output.Count > 0 ? node.Output[0] : "x"]);
                    kind = $"node '{node.Name}' input {at} -> '{node.Input[at]}'";
                }
                else
                {
                    node.Input.Add("extra");
                    kind = $"node '{node.Name}' got an input";
                }

                break;
            }

            case 7:
            {
                NodeProto node = m.Pick(graph.Node);
                if (node.Attribute.Count > 0)
                {
                    AttributeProto a = m.Pick(node.Attribute);
                    a.I = m.Pick([99L, -99L, long.MaxValue, 0L]);
                    a.Ints.Add(m.Pick([99L, -1L, 1L << 40]));
                    kind = $"node '{node.Name}' attribute '{a.Name}' set to {a.I}";
                }
                else
                {
                    node.Attribute.Add(new AttributeProto { Name = "axis", I = 99, Type = AttributeProto.Types.AttributeType.Int });
                    kind = $"node '{node.Name}' got axis=99";
                }

                break;
            }

            case 8:
            {
                if (graph.Node.Count > 1)
                {
                    int at = m.Next(graph.Node.Count);
                    kind = $"node {at} ('{graph.Node[at].Name}') removed";
                    graph.Node.RemoveAt(at);
                }
                else
                {
                    graph.Node.Add(graph.Node[0].Clone());
                    kind = "node duplicated";
                }

                break;
            }

            case 9:
            {
                if (graph.Initializer.Count == 0)
                {
                    goto case 0;
                }

                TensorProto t = m.Pick(graph.Initializer);
                if (t.Dims.Count > 0)
                {
                    int at = m.Next(t.Dims.Count);
                    t.Dims[at] = m.Pick(OddDims);
                    kind = $"initializer '{t.Name}' dim {at} set to {t.Dims[at]}";
                }
                else
                {
                    t.Dims.Add(1L << 40);
                    kind = $"initializer '{t.Name}' got a dim 2^40";
                }

                break;
            }

            case 10:
            {
                if (graph.Initializer.Count == 0)
                {
                    goto case 0;
                }

                TensorProto t = m.Pick(graph.Initializer);
                if (t.HasRawData && t.RawData.Length > 0)
                {
                    int length = m.Next(t.RawData.Length);
                    t.RawData = ByteString.CopyFrom(t.RawData.Span[..length]);
                    kind = $"initializer '{t.Name}' raw data cut to {length} bytes";
                }
                else
                {
                    t.FloatData.Clear();
                    kind = $"initializer '{t.Name}' data cleared";
                }

                break;
            }

            case 11:
            {
                if (graph.Initializer.Count == 0)
                {
                    goto case 0;
                }

                TensorProto t = m.Pick(graph.Initializer);
                int type = m.Pick(OddTypes);
                t.DataType = type;
                kind = $"initializer '{t.Name}' data type set to {type}";
                break;
            }

            case 12:
            {
                if (graph.Initializer.Count == 0)
                {
                    goto case 0;
                }

                TensorProto t = m.Pick(graph.Initializer);
                t.ClearRawData();
                t.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = m.Pick(["missing.bin", "../../../../etc/passwd", "/etc/passwd", ""]) });
                t.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = m.Pick(["16", "-1", "99999999999"]) });
                kind = $"initializer '{t.Name}' moved to external data '{t.ExternalData[0].Value}'";
                break;
            }

            case 13:
            {
                if (graph.Output.Count > 0 && m.Next(2) == 0)
                {
                    graph.Output[0].Name = m.Pick(["missing", "", graph.Input[0].Name]);
                    kind = $"output renamed '{graph.Output[0].Name}'";
                }
                else
                {
                    graph.Output.Add(graph.Output[0].Clone());
                    kind = "output duplicated";
                }

                break;
            }

            case 14:
            {
                if (m.Next(2) == 0 && graph.Input.Count > 0)
                {
                    graph.Input.RemoveAt(0);
                    kind = "first input removed";
                }
                else
                {
                    ValueInfoProto extra = graph.Input[0].Clone();
                    extra.Name += m.Next(2) == 0 ? string.Empty : "_2";
                    graph.Input.Add(extra);
                    kind = $"input '{extra.Name}' added";
                }

                break;
            }

            default:
            {
                ValueInfoProto v = m.Pick(graph.Input);
                v.Type.TensorType.Shape = new TensorShapeProto();
                int rank = m.Next(6);
                for (int i = 0; i < rank; i++)
                {
                    v.Type.TensorType.Shape.Dim.Add(m.Next(2) == 0
                        ? new TensorShapeProto.Types.Dimension { DimParam = "d" + i }
                        : new TensorShapeProto.Types.Dimension { DimValue = m.Pick(OddDims) });
                }

                kind = $"input '{v.Name}' given rank {rank}";
                break;
            }
        }

        return model.ToByteArray();
    }

    private static TensorShapeProto.Types.Dimension PickDim(Mutator m, IList<ValueInfoProto> values)
    {
        ValueInfoProto v = m.Pick(values.ToArray());
        TensorShapeProto shape = v.Type.TensorType.Shape ??= new TensorShapeProto();
        if (shape.Dim.Count == 0)
        {
            shape.Dim.Add(new TensorShapeProto.Types.Dimension());
        }

        return shape.Dim[m.Next(shape.Dim.Count)];
    }
}
