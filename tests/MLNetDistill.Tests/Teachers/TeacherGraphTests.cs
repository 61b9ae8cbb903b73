using Google.Protobuf;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using MLNetDistill.Data;
using MLNetDistill.Onnx.Proto;
using MLNetDistill.Onnx;
using MLNetDistill.Teachers;

namespace MLNetDistill.Tests.Teachers;

/// <summary>
/// Each rewrite <see cref="TeacherGraph"/> makes, checked by running the rewritten graph itself in ONNX Runtime on the
/// committed fixtures and comparing with their PyTorch golden outputs, or with the math done here by hand.
/// </summary>
public sealed class TeacherGraphTests
{
    private static readonly FloatComparer Tol = new(1e-5);

    [Fact]
    public void Build_SingleInput_RenamesTheInputAfterItsColumn()
    {
        // mlp_two_outputs.onnx takes 'pixels'; the graph is fed from column 'Pixels'.
        var graph = Build("mlp_two_outputs.onnx", o => { o.FeatureColumnName = "Pixels"; o.TeacherOutputName = "logits"; });

        var input = Assert.Single(graph.Inputs);
        Assert.Equal(("Pixels", "Pixels", "pixels", "float"), (input.Name, input.ColumnName, input.TeacherName, input.ElementType));
        Assert.Equal([784L], input.RowShape);
        Assert.Null(input.FixedBatch);
        using var session = new InferenceSession(graph.Bytes);
        Assert.Equal(new[] { "Pixels" }, session.InputMetadata.Keys);

        var golden = Golden.Load("golden_mlp_two_outputs.json");
        var logits = Run(graph, Float("Pixels", FashionRows(16), 16, 784))["TeacherLogits"];
        AssertRows(golden.Matrix("logits"), logits, new FloatComparer(1e-4));
    }

    [Fact]
    public void Build_TwoNamedInt64Inputs_RenamesEachAndKeepsItsElementType()
    {
        var graph = Build("two_inputs.onnx", o =>
        {
            o.Inputs.Add(new TeacherInput("input_ids", "Ids"));
            o.Inputs.Add(new TeacherInput("attention_mask", "Mask"));
        });

        Assert.Equal([("Ids", "input_ids", "int64"), ("Mask", "attention_mask", "int64")], graph.Inputs.Select(i => (i.Name, i.TeacherName, i.ElementType)));
        using var session = new InferenceSession(graph.Bytes);
        Assert.Equal(new[] { "Ids", "Mask" }, session.InputMetadata.Keys.Order());

        var golden = Golden.Load("golden_two_inputs.json");
        long[] ids = golden.LongMatrix("input_ids").SelectMany(r => r).ToArray();
        long[] mask = golden.LongMatrix("attention_mask").SelectMany(r => r).ToArray();
        var outputs = Run(graph,
            ("Ids", OrtValue.CreateTensorValueFromMemory(ids, [4, 16])),
            ("Mask", OrtValue.CreateTensorValueFromMemory(mask, [4, 16])));
        AssertRows(golden.Matrix("logits"), outputs["TeacherLogits"], new FloatComparer(1e-4));
    }

    [Fact]
    public void Build_ImageInput_RowShapeFeedsAFlatBufferAsNchw()
    {
        // The CNN takes [batch, 1, 28, 28]: the scorer hands ONNX Runtime the flat 784-float rows with that shape.
        var graph = Build(TestPaths.FashionTeacher, null);

        Assert.Equal([1L, 28L, 28L], Assert.Single(graph.Inputs).RowShape);
        var golden = Golden.Load("golden_fashion_cnn.json");
        var logits = Run(graph, ("Features", OrtValue.CreateTensorValueFromMemory(FashionRows(16), [16, 1, 28, 28])))["TeacherLogits"];
        AssertRows(golden.Matrix("logits"), logits, new FloatComparer(1e-4));
    }

    [Fact]
    public void Build_Outputs_AreFloatBatchByKNamedAfterTheColumns()
    {
        var graph = Build(TestPaths.FashionTeacher, null);

        Assert.Equal([("TeacherLogits", 10), ("SoftLabels", 10)], graph.Outputs.Select(o => (o.Name, o.Size)));
        using var session = new InferenceSession(graph.Bytes);
        foreach (string name in new[] { "TeacherLogits", "SoftLabels" })
        {
            var meta = session.OutputMetadata[name];
            Assert.Equal(typeof(float), meta.ElementType);
            Assert.Equal([-1, 10], meta.Dimensions);
        }
    }

    [Fact]
    public void Build_FourDimensionalHint_IsCastAndFlattenedPerRow()
    {
        // /pool2/MaxPool_output_0 is [batch, 64, 7, 7]; flattened per row it must equal the model's own
        // /flatten/Flatten_output_0 [batch, 3136], which PyTorch computes from it.
        var graph = Build(TestPaths.FashionTeacher, o =>
        {
            o.Hints.Add(new TeacherHint("/pool2/MaxPool_output_0", "Pool2"));
            o.Hints.Add(new TeacherHint("/flatten/Flatten_output_0", "Flat"));
        });

        Assert.Contains(("Pool2", 3136), graph.Outputs.Select(o => (o.Name, o.Size)));
        var outputs = Run(graph, ("Features", OrtValue.CreateTensorValueFromMemory(FashionRows(4), [4, 1, 28, 28])));
        Assert.Equal(4, outputs["Pool2"].Length);
        for (int r = 0; r < 4; r++)
        {
            Assert.Equal(3136, outputs["Pool2"][r].Length);
            Assert.Equal(outputs["Flat"][r], outputs["Pool2"][r]);
        }
    }

    [Fact]
    public void Build_DoubleOutput_IsCastToFloat()
    {
        // regression_teacher.onnx with its prediction also given as a double output (a Cast PyTorch did not write):
        // the scorer reads the double tensor and casts it back, so TeacherScore is the float prediction again.
        var model = OnnxModelInfo.Load(TestPaths.Fixture("regression_teacher.onnx")).Model.Clone();
        var cast = new NodeProto { OpType = "Cast", Name = "to_double" };
        cast.Input.Add("prediction");
        cast.Output.Add("prediction_double");
        cast.Attribute.Add(OnnxGraphEditor.IntAttribute("to", (int)TensorProto.Types.DataType.Double));
        model.Graph.Node.Add(cast);
        var output = model.Graph.Output[0].Clone();
        output.Name = "prediction_double";
        output.Type.TensorType.ElemType = (int)TensorProto.Types.DataType.Double;
        model.Graph.Output.Add(output);
        var info = OnnxModelInfo.FromBytes(model.ToByteArray(), "regression_double.onnx");
        Assert.Equal("double", info.Outputs.Single(o => o.Name == "prediction_double").ElementType);

        var graph = TeacherGraph.Build(info, new TeacherScoringOptions { ModelFile = info.Path, TeacherOutputName = "prediction_double", Task = TeacherTask.Regression }, null);

        var golden = Golden.Load("golden_regression_teacher.json");
        var score = Run(graph, Float("Features", CsvRows("diabetes.csv", "target", 16), 16, 10))["TeacherScore"];
        AssertRows(golden.Matrix("prediction"), score, new FloatComparer(1e-5));
    }

    [Fact]
    public void Build_RegressionTeacher_OneScoreColumnNoSoftLabels()
    {
        var graph = Build("regression_teacher.onnx", o => o.Task = TeacherTask.Regression);

        Assert.Equal(TeacherTask.Regression, graph.Task);
        Assert.Equal(1, graph.Classes);
        Assert.Equal([("TeacherScore", 1)], graph.Outputs.Select(o => (o.Name, o.Size)));
        var golden = Golden.Load("golden_regression_teacher.json");
        var score = Run(graph, Float("Features", CsvRows("diabetes.csv", "target", 16), 16, 10))["TeacherScore"];
        AssertRows(golden.Matrix("prediction"), score, new FloatComparer(1e-5));
    }

    [Fact]
    public void Build_SoftmaxTeacher_LogitsAreLogProbabilities()
    {
        var graph = Build("softmax_teacher.onnx", null);

        Assert.True(graph.OutputWasProbabilities);
        var golden = Golden.Load("golden_softmax_teacher.json").Matrix("probabilities");
        var outputs = Run(graph, Float("Features", FashionRows(16), 16, 784));
        for (int r = 0; r < golden.Length; r++)
        {
            // Logits = ln max(p, 1e-30); softmax at T = 1 of ln p is p again.
            Assert.Equal(golden[r].Select(p => MathF.Log(MathF.Max(p, 1e-30f))).ToArray(), outputs["TeacherLogits"][r], new FloatComparer(1e-4));
            Assert.Equal(golden[r], outputs["SoftLabels"][r], Tol);
        }
    }

    [Fact]
    public void Build_SoftmaxTeacherAtTemperature2_SoftLabelsAreNormalisedSquareRoots()
    {
        // softmax(ln p / 2) = sqrt(p) / sum sqrt(p).
        var graph = Build("softmax_teacher.onnx", o => o.Temperature = 2f);

        var golden = Golden.Load("golden_softmax_teacher.json").Matrix("probabilities");
        var soft = Run(graph, Float("Features", FashionRows(16), 16, 784))["SoftLabels"];
        for (int r = 0; r < golden.Length; r++)
        {
            double norm = golden[r].Sum(p => Math.Sqrt(p));
            Assert.Equal(golden[r].Select(p => (float)(Math.Sqrt(p) / norm)).ToArray(), soft[r], Tol);
        }
    }

    [Fact]
    public void Build_OneLogitBinaryTeacher_LogitsAreZeroAndZ()
    {
        var graph = Build("binary_teacher.onnx", null);

        Assert.Equal(TeacherTask.Binary, graph.Task);
        Assert.Equal(2, graph.Classes);
        Assert.False(graph.OutputWasProbabilities);
        var golden = Golden.Load("golden_binary_teacher.json").Matrix("logit");
        var outputs = Run(graph, Float("Features", CsvRows("breast_cancer.csv", "label", 16), 16, 30));
        for (int r = 0; r < golden.Length; r++)
        {
            float z = golden[r][0];
            Assert.Equal([0f, z], outputs["TeacherLogits"][r], new FloatComparer(1e-5));

            // softmax([0, z]) = [1 - sigmoid(z), sigmoid(z)].
            double p = 1 / (1 + Math.Exp(-z));
            Assert.Equal([(float)(1 - p), (float)p], outputs["SoftLabels"][r], Tol);
        }
    }

    [Fact]
    public void Build_OneProbabilityBinaryTeacher_LogitsAreLogOneMinusPAndLogP()
    {
        // binary_teacher.onnx with a Sigmoid appended (a teacher exported with its probability): detected as
        // probabilities, logits [ln(1 - p), ln p], soft labels [1 - p, p].
        var model = OnnxModelInfo.Load(TestPaths.Fixture("binary_teacher.onnx")).Model.Clone();
        var sigmoid = new NodeProto { OpType = "Sigmoid", Name = "probability" };
        sigmoid.Input.Add("logit");
        sigmoid.Output.Add("probability");
        model.Graph.Node.Add(sigmoid);
        model.Graph.Output[0].Name = "probability";
        var info = OnnxModelInfo.FromBytes(model.ToByteArray(), "binary_probability.onnx");

        var graph = TeacherGraph.Build(info, new TeacherScoringOptions { ModelFile = info.Path }, null);

        Assert.True(graph.OutputWasProbabilities);
        Assert.Equal(2, graph.Classes);
        // p as the teacher itself computes it (ONNX Runtime's Sigmoid is a fast approximation far in the tails, so p is
        // read from the unmodified model rather than from sigmoid of the golden logit); within a factor of 2 of sigmoid(golden logit).
        float[] rows = CsvRows("breast_cancer.csv", "label", 16);
        float[] p;
        using (var teacherSession = new InferenceSession(model.ToByteArray()))
        using (var input = OrtValue.CreateTensorValueFromMemory(rows, [16, 30]))
        using (var result = teacherSession.Run(new RunOptions(), ["input"], [input], ["probability"]))
        {
            p = result[0].GetTensorDataAsSpan<float>().ToArray();
        }

        var golden = Golden.Load("golden_binary_teacher.json").Matrix("logit");
        var outputs = Run(graph, Float("Features", rows, 16, 30));
        for (int r = 0; r < golden.Length; r++)
        {
            float exact = 1f / (1f + MathF.Exp(-golden[r][0]));
            Assert.InRange(p[r], 0.5f * exact, 2f * exact);
            Assert.Equal([MathF.Log(MathF.Max(1f - p[r], 1e-30f)), MathF.Log(MathF.Max(p[r], 1e-30f))], outputs["TeacherLogits"][r], new FloatComparer(1e-5));
            Assert.Equal([1f - p[r], p[r]], outputs["SoftLabels"][r], Tol);
        }
    }

    [Fact]
    public void Build_Temperature3_SoftLabelsAreSoftmaxOfLogitsOverThree()
    {
        var graph = Build("mlp_two_outputs.onnx", o => { o.TeacherOutputName = "logits"; o.Temperature = 3f; });

        // The graph ends with Div(logits, 3) and Softmax(axis 1).
        var nodes = ModelProto.Parser.ParseFrom(graph.Bytes).Graph.Node;
        var softmax = nodes.Single(n => n.Output.Contains("SoftLabels"));
        Assert.Equal("Softmax", softmax.OpType);
        Assert.Equal(1, softmax.Attribute.Single(a => a.Name == "axis").I);
        Assert.Equal("Div", nodes.Single(n => n.Output.Contains(softmax.Input[0])).OpType);

        var golden = Golden.Load("golden_mlp_two_outputs.json").Matrix("logits");
        var soft = Run(graph, Float("Features", FashionRows(16), 16, 784))["SoftLabels"];
        for (int r = 0; r < golden.Length; r++)
        {
            double[] e = golden[r].Select(z => Math.Exp(z / 3.0)).ToArray();
            double sum = e.Sum();
            Assert.Equal(e.Select(v => (float)(v / sum)).ToArray(), soft[r], Tol);
        }
    }

    [Fact]
    public void Build_HintOnSecondOutput_ExposesItPerRow()
    {
        var graph = Build("mlp_two_outputs.onnx", o =>
        {
            o.TeacherOutputName = "logits";
            o.Hints.Add(new TeacherHint("embedding", "TeacherEmbedding"));
        });

        Assert.Equal([("TeacherLogits", 10), ("SoftLabels", 10), ("TeacherEmbedding", 64)], graph.Outputs.Select(o => (o.Name, o.Size)));
        var golden = Golden.Load("golden_mlp_two_outputs.json");
        var outputs = Run(graph, Float("Features", FashionRows(16), 16, 784));
        AssertRows(golden.Matrix("embedding"), outputs["TeacherEmbedding"], new FloatComparer(1e-4));
        AssertRows(golden.Matrix("logits"), outputs["TeacherLogits"], new FloatComparer(1e-4));
    }

    [Fact]
    public void Build_SymbolicRowDimension_ResolvedFromTheColumnLength()
    {
        // The CNN with its channel dimension declared symbolic, [batch, channels, 28, 28]: a 784-value column gives 1 channel.
        var info = WithInputDims(TestPaths.FashionTeacher, d => d[1] = new TensorShapeProto.Types.Dimension { DimParam = "channels" });
        var options = new TeacherScoringOptions { ModelFile = info.Path };

        var graph = TeacherGraph.Build(info, options, new Dictionary<string, int> { ["Features"] = 784 });

        Assert.Equal([1L, 28L, 28L], graph.Inputs[0].RowShape);
        var golden = Golden.Load("golden_fashion_cnn.json");
        var logits = Run(graph, ("Features", OrtValue.CreateTensorValueFromMemory(FashionRows(16), [16, 1, 28, 28])))["TeacherLogits"];
        AssertRows(golden.Matrix("logits"), logits, new FloatComparer(1e-4));
    }

    [Fact]
    public void Build_SymbolicRowDimension_LengthNotAMultiple_ThrowsNamingBoth()
    {
        var info = WithInputDims(TestPaths.FashionTeacher, d => d[1] = new TensorShapeProto.Types.Dimension { DimParam = "channels" });
        var options = new TeacherScoringOptions { ModelFile = info.Path };

        var ex = Assert.Throws<ArgumentException>(() => TeacherGraph.Build(info, options, new Dictionary<string, int> { ["Features"] = 1000 }));

        Assert.Contains("Column 'Features' has 1000 values per row", ex.Message, StringComparison.Ordinal);
        Assert.Contains("a multiple of 784", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Transform_FixedBatchTeacher_PadsTheLastBatchAndKeepsItsRows()
    {
        // binary_teacher.onnx exported with a fixed batch of 4: 6 rows are one full batch and one of 2 rows padded to 4.
        var info = WithInputDims("binary_teacher.onnx", d => d[0] = new TensorShapeProto.Types.Dimension { DimValue = 4 });
        var bytes = info.Model.ToByteArray();
        var ml = new MLContext(1);
        var data = ml.Data.TakeRows(CsvFeatureReader.Load(TestPaths.Fixture("breast_cancer.csv"), "label"), 6);
        var estimator = new TeacherScoringEstimator(ml.Transforms, new TeacherScoringOptions(), bytes);
        using var teacher = estimator.Fit(data);

        Assert.Equal(4, teacher.Graph.Inputs[0].FixedBatch);
        var logits = teacher.Transform(data).GetColumn<float[]>("TeacherLogits").ToArray();
        var golden = Golden.Load("golden_binary_teacher.json").Matrix("logit");
        Assert.Equal(6, logits.Length);
        for (int r = 0; r < 6; r++)
        {
            Assert.Equal([0f, golden[r][0]], logits[r], new FloatComparer(1e-5));
        }
    }

    private static TeacherGraph Build(string model, Action<TeacherScoringOptions>? configure)
    {
        string path = Path.IsPathRooted(model) ? model : TestPaths.Fixture(model);
        var options = new TeacherScoringOptions { ModelFile = path };
        configure?.Invoke(options);
        return TeacherGraph.Build(OnnxModelInfo.Load(path), options, null);
    }

    private static OnnxModelInfo WithInputDims(string fixture, Action<Google.Protobuf.Collections.RepeatedField<TensorShapeProto.Types.Dimension>> edit)
    {
        string path = Path.IsPathRooted(fixture) ? fixture : TestPaths.Fixture(fixture);
        var model = OnnxModelInfo.Load(path).Model.Clone();
        edit(model.Graph.Input[0].Type.TensorType.Shape.Dim);
        return OnnxModelInfo.FromBytes(model.ToByteArray(), Path.GetFileName(path));
    }

    /// <summary>Runs the rewritten graph once and returns every output, row by row.</summary>
    private static Dictionary<string, float[][]> Run(TeacherGraph graph, params (string Name, OrtValue Value)[] inputs)
    {
        using var session = new InferenceSession(graph.Bytes);
        string[] outputNames = graph.Outputs.Select(o => o.Name).ToArray();
        try
        {
            using var results = session.Run(new RunOptions(), inputs.Select(i => i.Name).ToArray(), inputs.Select(i => i.Value).ToArray(), outputNames);
            var rows = new Dictionary<string, float[][]>();
            for (int o = 0; o < outputNames.Length; o++)
            {
                long[] shape = results[o].GetTensorTypeAndShape().Shape;
                Assert.Equal(2, shape.Length);
                float[] flat = results[o].GetTensorDataAsSpan<float>().ToArray();
                int width = (int)shape[1];
                rows[outputNames[o]] = Enumerable.Range(0, (int)shape[0]).Select(r => flat.AsSpan(r * width, width).ToArray()).ToArray();
            }

            return rows;
        }
        finally
        {
            foreach (var input in inputs)
            {
                input.Value.Dispose();
            }
        }
    }

    private static (string, OrtValue) Float(string name, float[] data, int rows, int width) =>
        (name, OrtValue.CreateTensorValueFromMemory(data, [rows, width]));

    private static float[] FashionRows(int rows)
    {
        var ml = new MLContext(1);
        return ml.Data.TakeRows(IdxReader.Load(TestPaths.FashionImages), rows).GetColumn<float[]>("Features").SelectMany(r => r).ToArray();
    }

    private static float[] CsvRows(string fixture, string label, int rows)
    {
        var ml = new MLContext(1);
        return ml.Data.TakeRows(CsvFeatureReader.Load(TestPaths.Fixture(fixture), label), rows).GetColumn<float[]>("Features").SelectMany(r => r).ToArray();
    }

    private static void AssertRows(float[][] expected, float[][] actual, FloatComparer comparer)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int r = 0; r < expected.Length; r++)
        {
            Assert.Equal(expected[r], actual[r], comparer);
        }
    }
}
