using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.ML;
using MLNetDistill.Data;
using MLNetDistill.Students.Export;
using MLNetDistill.Students.Mlp;

namespace MLNetDistill.Experiments;

/// <summary>Writes what a <see cref="DistillationExperiment"/> made: model files and JSON reports, each atomically (a temporary name, renamed when complete).</summary>
public static class DistillationResultWriter
{
    /// <summary>Gets the JSON form of reports: indented camelCase, NaN written as a string where a metric is undefined.</summary>
    public static JsonSerializerOptions ReportJson { get; } = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Saves a trained model as an ML.NET zip and, for every family that converts, its ONNX graph beside it (same name, <c>.onnx</c>); see <see cref="Save"/>.</summary>
    /// <param name="mlContext">The ML.NET context.</param>
    /// <param name="model">A model of <see cref="DistillationExperimentResult.Students"/>.</param>
    /// <param name="inputSchema">The schema to store with it: <see cref="DistillationExperimentResult.InputSchema"/>.</param>
    /// <param name="path">The <c>.zip</c> to write; an existing file is replaced.</param>
    /// <returns>The size of the deployable file (the ONNX graph for MLP students, else the zip): the report's <c>modelBytes</c>.</returns>
    /// <example>
    /// <code language="csharp">
    /// long bytes = DistillationResultWriter.SaveModel(mlContext, result.Students[0].Distilled, result.InputSchema, "student.zip");
    /// </code>
    /// </example>
    public static long SaveModel(MLContext mlContext, DistillationTrainedModel model, DataViewSchema inputSchema, string path) =>
        Save(mlContext, model, inputSchema, path).ModelBytes;

    /// <summary>
    /// Saves a trained model as an ML.NET zip and its ONNX graph beside it (same name, <c>.onnx</c>): MLP students' own
    /// graph, ML.NET's converter for SDCA, L-BFGS, LightGbm and FastTree students (<see cref="StudentOnnxExporter"/>).
    /// A model that does not convert gets no <c>.onnx</c> (a stale one of that name is deleted) and a note saying why.
    /// Both files are reproducible: the same model gives the same bytes in any process. The zip is ML.NET's archive re-packed
    /// with every entry stamped 1980-01-01 00:00 in ordinal name order (ML.NET stamps the time of the save) and the column blocks
    /// of stored binary data in one order; <c>mlContext.Model.Load</c> reads it as it reads any saved model.
    /// </summary>
    /// <param name="mlContext">The ML.NET context.</param>
    /// <param name="model">A model of <see cref="DistillationExperimentResult.Students"/>.</param>
    /// <param name="inputSchema">The schema to store with it: <see cref="DistillationExperimentResult.InputSchema"/>.</param>
    /// <param name="path">The <c>.zip</c> to write; an existing file is replaced.</param>
    /// <returns>The files written, their sizes, and why there is no ONNX file when there is none.</returns>
    /// <example>
    /// <code language="csharp">
    /// var saved = DistillationResultWriter.Save(mlContext, result.Students[0].Distilled, result.InputSchema, "student.zip");
    /// Console.WriteLine(saved.OnnxFile ?? saved.OnnxNote);
    /// </code>
    /// </example>
    public static DistillationSavedModel Save(MLContext mlContext, DistillationTrainedModel model, DataViewSchema inputSchema, string path)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputSchema);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        // The ONNX export (the slow part) is made in memory first, so the .zip and the .onnx are renamed into place one right
        // after the other: a run stopped while exporting leaves neither, and never a .zip beside a stale .onnx.
        var export = StudentOnnxExporter.Export(mlContext, model.Model, inputSchema);
        AtomicFile.Write(path, stream => ModelArchive.Save(mlContext.Model, model.Model, inputSchema, stream));
        long zipBytes = new FileInfo(path).Length;
        string onnx = Path.ChangeExtension(path, ".onnx");
        if (export.Model is not { } graph)
        {
            File.Delete(onnx);
            return new DistillationSavedModel(path, null, export.Note, zipBytes, 0);
        }

        AtomicFile.Write(onnx, stream => stream.Write(graph));
        return new DistillationSavedModel(path, onnx, null, model.Model is MlpStudentTransformer ? graph.LongLength : zipBytes, graph.LongLength);
    }

    /// <summary>Writes a report as JSON (<see cref="ReportJson"/>).</summary>
    /// <param name="report">The report.</param>
    /// <param name="path">The <c>.json</c> file to write; an existing file is replaced.</param>
    public static void WriteReport(DistillationReport report, string path)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        AtomicFile.Write(path, stream => JsonSerializer.Serialize(stream, report, ReportJson));
    }

    /// <summary>The size <see cref="SaveModel"/> reports, measured in memory.</summary>
    internal static long ModelBytes(MLContext mlContext, ITransformer model, DataViewSchema inputSchema)
    {
        if (model is MlpStudentTransformer mlp)
        {
            return mlp.OnnxModel.Length;
        }

        return ModelArchive.ToBytes(mlContext.Model, model, inputSchema).LongLength;
    }
}
