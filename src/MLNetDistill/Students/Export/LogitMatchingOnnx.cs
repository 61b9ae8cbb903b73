using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;
using MLNetDistill.Data;
using MLNetDistill.Onnx;
using MLNetDistill.Onnx.Proto;
using MLNetDistill.Students.Mlp;

namespace MLNetDistill.Students.Export;

/// <summary>
/// Exports a logit-matching chain, whose arg-max step is a <c>CustomMapping</c> ML.NET's converter cannot write: the
/// steps before it (one regression per class, copies, the concatenation into <c>Score</c>) go through the converter,
/// and the arg-max is appended to the graph as ONNX nodes, <c>PredictedLabel.output</c> = ArgMax(<c>Score.output</c>) + 1
/// as uint32, ML.NET's 1-based key. That is only the chain's own <c>PredictedLabel</c> when its last steps map class
/// index k to key k + 1, which is checked on one one-hot score row per class before the graph is returned.
/// </summary>
internal static class LogitMatchingOnnx
{
    /// <summary>Whether a model is a chain (nested chains flattened) with the student arg-max <c>CustomMapping</c> in it after at least one step.</summary>
    public static bool IsArgMaxChain(ITransformer model, out TransformerChain<ITransformer> chain, out int argMax)
    {
        chain = model is IEnumerable<ITransformer> ? new TransformerChain<ITransformer>(StudentOutputMapping.Flatten(model).ToArray()) : new TransformerChain<ITransformer>();
        argMax = chain.Select((t, i) => (t, i)).FirstOrDefault(p => p.t is CustomMappingTransformer<StudentScoreVector, StudentPredictedIndex>, (null!, -1)).Item2;
        return argMax > 0;
    }

    /// <summary>The steps before the arg-max, to hand to ML.NET's converter.</summary>
    public static TransformerChain<ITransformer> Head(TransformerChain<ITransformer> chain, int argMax) => new(chain.Take(argMax).ToArray());

    /// <summary>Why the steps from the arg-max on are not ArgMax + 1 over <paramref name="classes"/> classes, or null when they are.</summary>
    public static string? CheckTail(MLContext mlContext, TransformerChain<ITransformer> chain, int argMax, int classes)
    {
        var tail = new TransformerChain<ITransformer>(chain.Skip(argMax).ToArray());
        var definition = SchemaDefinition.Create(typeof(ScoreRow));
        definition[0].ColumnType = new VectorDataViewType(NumberDataViewType.Single, classes);
        var rows = Enumerable.Range(0, classes).Select(k => new ScoreRow { Score = Enumerable.Range(0, classes).Select(j => j == k ? 1f : 0f).ToArray() });
        var predicted = tail.Transform(mlContext.Data.LoadFromEnumerable(rows, definition));
        if (predicted.Schema.GetColumnOrNull(DataColumnNames.PredictedLabel)?.Type is not KeyDataViewType { Count: var count } || (int)count != classes)
        {
            return $"its {DataColumnNames.PredictedLabel} is not a key over its {classes} classes";
        }

        var keys = predicted.GetColumn<uint>(DataColumnNames.PredictedLabel).ToArray();
        return keys.Select((key, k) => key == k + 1).All(same => same) ? null
            : $"its {DataColumnNames.PredictedLabel} does not number the classes in score order (keys {string.Join(", ", keys)} for classes 0..{classes - 1})";
    }

    /// <summary>Appends PredictedLabel.output = uint32(ArgMax(Score.output) + 1) and keeps only the two outputs a served student needs.</summary>
    public static byte[] AppendArgMax(byte[] converted, string scoreOutput, string predictedOutput)
    {
        var editor = new OnnxGraphEditor(OnnxModelInfo.Parse(converted, "the converted logit-matching student"));
        var scoreInfo = editor.Graph.Output.Single(o => o.Name == scoreOutput);
        string index = editor.AddNode("ArgMax", [scoreOutput], null, OnnxGraphEditor.IntAttribute("axis", 1), OnnxGraphEditor.IntAttribute("keepdims", 1));
        string asFloat = editor.AddNode("Cast", [index], null, OnnxGraphEditor.IntAttribute("to", (long)TensorProto.Types.DataType.Float));
        string key = editor.AddNode("Add", [asFloat, editor.AddConstant("one", 1f)]);
        editor.AddNode("Cast", [key], predictedOutput, OnnxGraphEditor.IntAttribute("to", (long)TensorProto.Types.DataType.Uint32));
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "batch" });
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = 1 });
        var predictedInfo = new ValueInfoProto
        {
            Name = predictedOutput,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Uint32, Shape = shape } },
        };
        editor.Graph.Output.Clear();
        editor.Graph.Output.Add(predictedInfo);
        editor.Graph.Output.Add(scoreInfo);
        return editor.ToBytes();
    }

    /// <summary>The row type of <see cref="CheckTail"/>.</summary>
    private sealed class ScoreRow
    {
        public float[] Score { get; set; } = [];
    }
}
