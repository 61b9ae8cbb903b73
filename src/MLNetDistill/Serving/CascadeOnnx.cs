using Google.Protobuf;
using MLNetDistill.Onnx.Proto;

namespace MLNetDistill.Serving;

/// <summary>
/// Writes a cascade as one ONNX graph, for ML.NET's <c>ApplyOnnxModel</c> to save and run one row at a time: the student's
/// graph, its deferral confidence, and an <c>If</c> whose then-branch holds the teacher's graph, so that the teacher runs
/// only when the row is deferred. Outputs <c>Score</c> [1, K] (the answering model's probabilities) and <c>Deferred</c>
/// [1, 1] (bool).
/// </summary>
internal static class CascadeOnnx
{
    /// <summary>The output holding the answering model's probabilities.</summary>
    public const string ScoreOutput = "Score";

    /// <summary>The output saying whether the teacher answered.</summary>
    public const string DeferredOutput = "CascadeDeferred";

    private const int FloatType = (int)TensorProto.Types.DataType.Float;
    private const int BoolType = (int)TensorProto.Types.DataType.Bool;

    /// <summary>Builds the graph.</summary>
    /// <param name="student">The student's ONNX model (input <c>features</c>, output <c>probabilities</c>).</param>
    /// <param name="teacher">The teacher's rewritten scoring graph (one input, output <paramref name="teacherLogits"/>).</param>
    /// <param name="inputName">The teacher graph's input name, which the cascade's single input takes.</param>
    /// <param name="teacherLogits">The teacher graph's logits output.</param>
    /// <param name="classes">K.</param>
    /// <param name="rule">The deferral rule.</param>
    /// <param name="threshold">The threshold.</param>
    /// <param name="learned">The learned rule's model (for <see cref="DeferralRule.Learned"/>).</param>
    public static byte[] Build(ReadOnlySpan<byte> student, byte[] teacher, string inputName, string teacherLogits, int classes, DeferralRule rule, float threshold, LearnedDeferral? learned)
    {
        var studentModel = ModelProto.Parser.ParseFrom(student.ToArray());
        var teacherModel = ModelProto.Parser.ParseFrom(teacher);
        var studentInput = studentModel.Graph.Input.Single(i => !studentModel.Graph.Initializer.Any(t => t.Name == i.Name));
        long features = studentInput.Type.TensorType.Shape.Dim[^1].DimValue;
        var s = Prefixed(studentModel.Graph, "cascade_s/", studentInput.Name, "cascade/student_input");
        var t = Prefixed(teacherModel.Graph, "cascade_t/", inputName, inputName);

        var graph = new GraphProto { Name = "cascade" };
        graph.Input.Add(teacherModel.Graph.Input.Single(i => i.Name == inputName).Clone());
        // The teacher's input may be shaped (e.g. [N, 1, 28, 28]); the student reads the same values as [N, D].
        graph.Initializer.Add(LongTensor("cascade/student_shape", [2], [-1, features]));
        graph.Node.Add(Node("Reshape", [inputName, "cascade/student_shape"], ["cascade/student_input"]));
        graph.Node.AddRange(s.Node);
        graph.Initializer.AddRange(s.Initializer);
        graph.Initializer.AddRange(t.Initializer);
        string probabilities = "cascade_s/probabilities";
        string confidence = Confidence(graph, probabilities, classes, rule, learned);
        graph.Initializer.Add(FloatTensor("cascade/threshold", [1], [threshold]));
        graph.Node.Add(Node("Less", [confidence, "cascade/threshold"], ["cascade/deferred"]));

        var thenBranch = new GraphProto { Name = "teacher" };
        thenBranch.Node.AddRange(t.Node);
        thenBranch.Node.Add(Node("Softmax", ["cascade_t/" + teacherLogits], ["cascade/teacher_probabilities"], IntAttribute("axis", 1)));
        thenBranch.Output.Add(Value("cascade/teacher_probabilities", FloatType));
        var elseBranch = new GraphProto { Name = "student" };
        elseBranch.Node.Add(Node("Identity", [probabilities], ["cascade/student_probabilities"]));
        elseBranch.Output.Add(Value("cascade/student_probabilities", FloatType));
        graph.Node.Add(Node("If", ["cascade/deferred"], [ScoreOutput],
            new AttributeProto { Name = "then_branch", Type = AttributeProto.Types.AttributeType.Graph, G = thenBranch },
            new AttributeProto { Name = "else_branch", Type = AttributeProto.Types.AttributeType.Graph, G = elseBranch }));
        graph.Node.Add(Node("Identity", ["cascade/deferred"], [DeferredOutput]));
        graph.Output.Add(Value(ScoreOutput, FloatType, [1, classes]));
        graph.Output.Add(Value(DeferredOutput, BoolType, [1, 1]));

        var model = new ModelProto
        {
            IrVersion = Math.Max(studentModel.IrVersion, teacherModel.IrVersion),
            ProducerName = "MLNetDistill cascade",
            Graph = graph,
        };
        long opset = new[] { studentModel, teacherModel }.SelectMany(m => m.OpsetImport).Where(o => string.IsNullOrEmpty(o.Domain) || o.Domain == "ai.onnx").Max(o => o.Version);
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Math.Max(opset, 13) });
        return model.ToByteArray();
    }

    /// <summary>Adds the nodes that compute the confidence [1, 1] of the row; returns its name.</summary>
    private static string Confidence(GraphProto graph, string probabilities, int classes, DeferralRule rule, LearnedDeferral? learned)
    {
        string Top(int k)
        {
            graph.Initializer.Add(LongTensor($"cascade/k{k}", [1], [k]));
            graph.Node.Add(Node("TopK", [probabilities, $"cascade/k{k}"], [$"cascade/top{k}", $"cascade/top{k}_index"], IntAttribute("axis", 1)));
            return $"cascade/top{k}";
        }

        string Margin()
        {
            string top2 = Top(2);
            graph.Initializer.Add(FloatTensor("cascade/margin_weights", [2, 1], [1f, -1f]));
            graph.Node.Add(Node("MatMul", [top2, "cascade/margin_weights"], ["cascade/margin"]));
            return "cascade/margin";
        }

        string SumPLogP()
        {
            graph.Initializer.Add(FloatTensor("cascade/tiny", [1], [1e-30f]));
            float[] ones = Enumerable.Repeat(1f, classes).ToArray();
            graph.Initializer.Add(FloatTensor("cascade/ones", [classes, 1], ones));
            graph.Node.Add(Node("Max", [probabilities, "cascade/tiny"], ["cascade/clamped"]));
            graph.Node.Add(Node("Log", ["cascade/clamped"], ["cascade/log"]));
            graph.Node.Add(Node("Mul", [probabilities, "cascade/log"], ["cascade/plogp"]));
            graph.Node.Add(Node("MatMul", ["cascade/plogp", "cascade/ones"], ["cascade/neg_entropy"]));
            return "cascade/neg_entropy";
        }

        switch (rule)
        {
            case DeferralRule.TopProbability:
                return Top(1);
            case DeferralRule.Margin:
                return Margin();
            case DeferralRule.Entropy:
                return SumPLogP();
            default:
                var model = learned ?? throw new InvalidOperationException("The learned rule has no fitted model.");
                int k = Math.Min(LearnedDeferral.TopK, classes);
                string top = Top(k);
                string margin = classes >= 2 ? Margin() : top;
                string negEntropy = SumPLogP();
                graph.Initializer.Add(FloatTensor("cascade/minus_one", [1], [-1f]));
                graph.Node.Add(Node("Mul", [negEntropy, "cascade/minus_one"], ["cascade/entropy"]));
                graph.Node.Add(Node("Concat", [top, margin, "cascade/entropy"], ["cascade/learned_features"], IntAttribute("axis", 1)));
                var (weights, bias) = model.Parameters;
                graph.Initializer.Add(FloatTensor("cascade/learned_weights", [weights.Length, 1], weights));
                graph.Initializer.Add(FloatTensor("cascade/learned_bias", [1], [bias]));
                graph.Node.Add(Node("MatMul", ["cascade/learned_features", "cascade/learned_weights"], ["cascade/learned_z"]));
                graph.Node.Add(Node("Add", ["cascade/learned_z", "cascade/learned_bias"], ["cascade/learned"]));
                return "cascade/learned";
        }
    }

    /// <summary>A copy of <paramref name="source"/> with every tensor and node name prefixed, <paramref name="input"/> renamed to <paramref name="inputName"/>.</summary>
    private static GraphProto Prefixed(GraphProto source, string prefix, string input, string inputName)
    {
        var graph = source.Clone();
        string Rename(string name) => name.Length == 0 ? name : name == input ? inputName : prefix + name;
        foreach (var node in graph.Node)
        {
            if (node.Attribute.Any(a => a.G is not null || a.Graphs.Count > 0))
            {
                throw new NotSupportedException($"The model's node '{node.Name}' ({node.OpType}) holds a subgraph; a cascade of such a model cannot be saved as one ONNX graph.");
            }

            for (int i = 0; i < node.Input.Count; i++)
            {
                node.Input[i] = Rename(node.Input[i]);
            }

            for (int i = 0; i < node.Output.Count; i++)
            {
                node.Output[i] = Rename(node.Output[i]);
            }

            node.Name = node.Name.Length == 0 ? node.Name : prefix + node.Name;
        }

        foreach (var tensor in graph.Initializer)
        {
            tensor.Name = Rename(tensor.Name);
        }

        return graph;
    }

    private static NodeProto Node(string op, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = outputs[0] + "_node" };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        return node;
    }

    private static AttributeProto IntAttribute(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    private static TensorProto FloatTensor(string name, long[] dims, float[] values)
    {
        var tensor = new TensorProto { Name = name, DataType = FloatType };
        tensor.Dims.AddRange(dims);
        tensor.FloatData.AddRange(values);
        return tensor;
    }

    private static TensorProto LongTensor(string name, long[] dims, long[] values)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.AddRange(dims);
        tensor.Int64Data.AddRange(values);
        return tensor;
    }

    private static ValueInfoProto Value(string name, int elementType, long[]? dims = null)
    {
        var type = new TypeProto.Types.Tensor { ElemType = elementType };
        if (dims is not null)
        {
            type.Shape = new TensorShapeProto();
            foreach (long d in dims)
            {
                type.Shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
            }
        }

        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = type } };
    }
}
