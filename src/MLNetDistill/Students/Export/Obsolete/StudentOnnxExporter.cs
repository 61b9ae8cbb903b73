using Microsoft.ML;
using MLNetDistill.Data;

// The old name, kept for one release. It lives beside the new type, not in Onnx/, so that Onnx/ imports nothing above it.
namespace MLNetDistill.Onnx;

/// <summary>Moved to <see cref="Students.Export.StudentOnnxExporter"/> (namespace <c>MLNetDistill.Students.Export</c>); this forwarder goes in the next release.</summary>
[Obsolete("Moved to MLNetDistill.Students.Export.StudentOnnxExporter")]
public static class StudentOnnxExporter
{
    /// <summary>Exports a student's ONNX graph: see <see cref="Students.Export.StudentOnnxExporter.Export"/>.</summary>
    /// <param name="mlContext">The ML.NET context.</param>
    /// <param name="model">The trained student: input <c>Features</c>, outputs <c>Score</c> and <c>PredictedLabel</c>.</param>
    /// <param name="inputSchema">The schema the model was trained on.</param>
    /// <param name="featureColumnName">The feature column (<c>Features</c>).</param>
    /// <returns>The graph's bytes and the names of its input and outputs, or a note saying why the student does not convert.</returns>
    public static StudentOnnxExport Export(MLContext mlContext, ITransformer model, DataViewSchema inputSchema, string featureColumnName = DataColumnNames.Features) =>
        Students.Export.StudentOnnxExporter.Export(mlContext, model, inputSchema, featureColumnName);
}
