using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.Onnx;
using MLNetDistill.Students.Mlp;

namespace MLNetDistill.Students.Export;

/// <summary>
/// Turns a trained student into an ONNX model, so tree and linear students ship as <c>.onnx</c> like MLP students.
/// MLP students already hold their graph; ML.NET's own models (SDCA, L-BFGS, LightGbm, one-versus-all FastTree) go
/// through <c>Microsoft.ML.OnnxConverter</c>'s <c>ConvertToOnnx</c>, given a data view that holds only the feature
/// column, so the graph has a single input <c>Features</c> [N, D] and outputs <c>Score.output</c> and (for
/// classifiers) <c>PredictedLabel.output</c>, ML.NET's 1-based key as uint32. Logit-matching chains, whose arg-max is a
/// <c>CustomMapping</c> the converter cannot write, get that arg-max as ONNX nodes (<see cref="LogitMatchingOnnx"/>).
/// A student that still does not convert gives a result with a note saying why instead of an exception.
/// </summary>
public static class StudentOnnxExporter
{
    /// <summary>The suffix ML.NET's converter gives a column's graph output.</summary>
    private const string OutputSuffix = ".output";

    /// <summary>Exports a student's ONNX graph.</summary>
    /// <param name="mlContext">The ML.NET context.</param>
    /// <param name="model">The trained student: input <c>Features</c>, outputs <c>Score</c> and <c>PredictedLabel</c>.</param>
    /// <param name="inputSchema">The schema the model was trained on; it must hold the feature column as a fixed-size vector of floats.</param>
    /// <param name="featureColumnName">The feature column (<c>Features</c>).</param>
    /// <returns>The graph's bytes and the names of its input and outputs, or a note saying why the student does not convert.</returns>
    /// <exception cref="ArgumentException">The schema has no fixed-size float vector column named <paramref name="featureColumnName"/>.</exception>
    /// <example>
    /// <code language="csharp">
    /// var export = StudentOnnxExporter.Export(mlContext, result.Students[0].Distilled.Model, result.InputSchema);
    /// if (export.Converted) File.WriteAllBytes("student.onnx", export.Model!); else Console.WriteLine(export.Note);
    /// </code>
    /// </example>
    public static StudentOnnxExport Export(MLContext mlContext, ITransformer model, DataViewSchema inputSchema, string featureColumnName = DataColumnNames.Features)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputSchema);
        ArgumentException.ThrowIfNullOrWhiteSpace(featureColumnName);
        if (model is MlpStudentTransformer mlp)
        {
            // ML.NET's Score: the probabilities (multiclass), the prediction (regression: the one logit); a binary
            // student's Score is logits[1] - logits[0], which no graph output holds.
            string? score = mlp.Task switch
            {
                Teachers.TeacherTask.Multiclass => OnnxStudentWriter.ProbabilitiesName,
                Teachers.TeacherTask.Regression => OnnxStudentWriter.LogitsName,
                _ => null,
            };
            return new StudentOnnxExport(mlp.OnnxModel.ToArray(), null, OnnxStudentWriter.InputName, score);
        }

        if (inputSchema.GetColumnOrNull(featureColumnName) is null && inputSchema.Any(c => !c.IsHidden && c.Type is TextDataViewType)
            && model.GetOutputSchema(inputSchema).GetColumnOrNull(featureColumnName) is not null)
        {
            // A text student: the features are made inside the model from a text column.
            return new StudentOnnxExport(null, "does not convert: a text student's FeaturizeText (word and character n-grams) has no ONNX form here; its ML.NET zip takes the raw text and needs no tokenizer file");
        }

        int width = FeatureWidth(inputSchema, featureColumnName);
        if (LogitMatchingOnnx.IsArgMaxChain(model, out var chain, out int argMax))
        {
            return ExportArgMaxChain(mlContext, chain, argMax, inputSchema, featureColumnName, width);
        }

        return Convert(mlContext, model, model, featureColumnName, width, out var bytes) ?? Check(bytes, model, featureColumnName);
    }

    /// <summary>A logit-matching chain: its steps before the arg-max through the converter, the arg-max as ONNX nodes (see <see cref="LogitMatchingOnnx"/>).</summary>
    private static StudentOnnxExport ExportArgMaxChain(MLContext mlContext, TransformerChain<ITransformer> chain, int argMax, DataViewSchema inputSchema, string featureColumnName, int width)
    {
        var head = LogitMatchingOnnx.Head(chain, argMax);
        if (head.GetOutputSchema(inputSchema).GetColumnOrNull(DataColumnNames.Score)?.Type is not VectorDataViewType { Size: >= 2 and var classes })
        {
            return new StudentOnnxExport(null, $"does not convert: {Describe(chain)} makes no fixed-size {DataColumnNames.Score} vector before its arg-max");
        }

        if (LogitMatchingOnnx.CheckTail(mlContext, chain, argMax, classes) is { } problem)
        {
            return new StudentOnnxExport(null, $"does not convert: the arg-max of {Describe(chain)} has no ONNX form here: {problem}");
        }

        if (Convert(mlContext, head, chain, featureColumnName, width, out var bytes) is { } failed)
        {
            return failed;
        }

        string score = DataColumnNames.Score + OutputSuffix;
        string predicted = DataColumnNames.PredictedLabel + OutputSuffix;
        var checkedHead = Check(bytes, head, featureColumnName);
        return checkedHead.Converted
            ? new StudentOnnxExport(LogitMatchingOnnx.AppendArgMax(bytes, score, predicted), null, featureColumnName, score, predicted)
            : checkedHead;
    }

    /// <summary>Runs ML.NET's converter on <paramref name="transformer"/>; returns null and the bytes, or the result that says why it failed.</summary>
    private static StudentOnnxExport? Convert(MLContext mlContext, ITransformer transformer, ITransformer model, string featureColumnName, int width, out byte[] bytes)
    {
        try
        {
            using var stream = new MemoryStream();
            mlContext.Model.ConvertToOnnx(transformer, FeaturesOnly(mlContext, featureColumnName, width), stream);
            bytes = stream.ToArray();
            return null;
        }
        catch (Exception e) when (e is InvalidOperationException or NotSupportedException or NotImplementedException or ArgumentException or FormatException)
        {
            // ML.NET's converter reports a transform it cannot write with one of these (usually InvalidOperationException).
            bytes = [];
            return new StudentOnnxExport(null, $"does not convert: ML.NET's ONNX converter cannot write {Describe(model)} ({e.Message.Trim()})");
        }
    }

    /// <summary>Keeps a graph only when it has the one input and the two outputs a served student needs.</summary>
    private static StudentOnnxExport Check(byte[] bytes, ITransformer model, string featureColumnName)
    {
        var info = OnnxModelInfo.FromBytes(bytes, "the converted student");
        string score = DataColumnNames.Score + OutputSuffix;
        string predicted = DataColumnNames.PredictedLabel + OutputSuffix;
        var inputs = info.Inputs.Select(i => i.Name).ToArray();
        var outputs = info.Outputs.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        if (inputs.Length != 1 || inputs[0] != featureColumnName || !outputs.Contains(score))
        {
            return new StudentOnnxExport(null,
                $"does not convert: ML.NET's ONNX converter wrote {Describe(model)} as a graph with inputs [{string.Join(", ", inputs)}] and outputs [{string.Join(", ", outputs)}], not the single input {featureColumnName} and the output {score} a served student needs");
        }

        // Regression students have no PredictedLabel; classifiers have it as ML.NET's 1-based key (uint32).
        // The converter also outputs pass-through columns (Features.output); they are left in, as ML.NET wrote the file
        // (re-encoding it here made it 24% larger): a caller asks ONNX Runtime for Score.output and PredictedLabel.output only.
        return new StudentOnnxExport(bytes, null, featureColumnName, score, outputs.Contains(predicted) ? predicted : null);
    }

    private static int FeatureWidth(DataViewSchema schema, string featureColumnName)
    {
        var column = schema.GetColumnOrNull(featureColumnName)
            ?? throw new ArgumentException($"The input schema has no column '{featureColumnName}', so the student's ONNX input cannot be sized. Pass the schema the student was trained on (DistillationExperimentResult.InputSchema).", nameof(schema));
        return column.Type is VectorDataViewType { ItemType: var item, Size: > 0 and var size } && item == NumberDataViewType.Single
            ? size
            : throw new ArgumentException($"Column '{featureColumnName}' holds {column.Type}; an ONNX student input needs a vector of floats of known size. Read the data with a fixed feature count (IDX, CSV, Parquet readers do).", nameof(schema));
    }

    /// <summary>One all-zero row holding only the feature column: the converter makes one graph input per column of the data it is given.</summary>
    private static IDataView FeaturesOnly(MLContext mlContext, string featureColumnName, int width)
    {
        var definition = SchemaDefinition.Create(typeof(FeaturesRow));
        definition[0].ColumnName = featureColumnName;
        definition[0].ColumnType = new VectorDataViewType(NumberDataViewType.Single, width);
        return mlContext.Data.LoadFromEnumerable([new FeaturesRow { Features = new float[width] }], definition);
    }

    /// <summary>Names the model's type, or a chain's distinct step types with their counts, and the steps that have no ONNX form.</summary>
    private static string Describe(ITransformer model)
    {
        if (model is not IEnumerable<ITransformer>)
        {
            return ShortName(model.GetType());
        }

        var steps = StudentOutputMapping.Flatten(model).Select(t => ShortName(t.GetType())).ToList();
        var distinct = steps.Distinct().Select(name => steps.Count(s => s == name) is var n and > 1 ? $"{n} x {name}" : name);
        var custom = steps.Where(s => s.StartsWith("CustomMappingTransformer", StringComparison.Ordinal)).Distinct().ToList();
        string culprit = custom.Count > 0 ? $"; {string.Join(", ", custom)} (a CustomMapping: C# code, which an ONNX graph cannot hold) has no ONNX form" : "";
        return $"a chain of {steps.Count} steps ({string.Join(", ", distinct)}){culprit}";
    }

    private static string ShortName(Type type) => type.IsGenericType ? $"{type.Name[..type.Name.IndexOf('`', StringComparison.Ordinal)]}<{string.Join(", ", type.GetGenericArguments().Select(ShortName))}>" : type.Name;

    /// <summary>The row type of <see cref="FeaturesOnly"/>.</summary>
    private sealed class FeaturesRow
    {
        public float[] Features { get; set; } = [];
    }
}
