// Scores the embedded Fashion-MNIST test set with the embedded PyTorch CNN teacher, the ML.NET way, then saves the
// teacher inside an ML.NET model and loads it back. Run from any folder (teacher-model.zip is written to the current one):
//   dotnet run --project samples/ScoreTeacher
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill;
using MLNetDistill.Data;
using MLNetDistill.Teachers;

string samples = SamplesFolder();
var mlContext = new MLContext(seed: 0);
IDataView data = IdxReader.Load(Path.Combine(samples, "data", "fashion-mnist", "t10k-images-idx3-ubyte.gz"));

var options = new TeacherScoringOptions
{
    ModelFile = Path.Combine(samples, "teachers", "fashion_cnn.onnx"),
    Temperature = 4f,
    BatchSize = 256,
    GpuDeviceId = 0,        // use the GPU when this is the GPU build and one is there...
    FallbackToCpu = true,   // ...and the CPU otherwise, with a warning in mlContext.Log
};
options.Hints.Add(new TeacherHint("/relu4/Relu_output_0", "TeacherHidden")); // the 128-unit hidden layer

using TeacherScoringTransformer teacher = mlContext.Transforms.ScoreWithTeacher(options).Fit(data);
IDataView scored = teacher.Transform(data);

var metrics = mlContext.MulticlassClassification.Evaluate(
    mlContext.Transforms.Conversion.MapValueToKey("LabelKey", "Label", keyOrdinality: Microsoft.ML.Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
        .Fit(scored).Transform(scored),
    labelColumnName: "LabelKey", scoreColumnName: "SoftLabels", predictedLabelColumnName: "TeacherPredictedLabel");
Console.WriteLine($"teacher on {teacher.Device}: accuracy {metrics.MicroAccuracy:P2}, log-loss at T=4 {metrics.LogLoss:F3}");

float[] first = scored.GetColumn<float[]>("SoftLabels").First();
Console.WriteLine($"soft labels of the first image (an ankle boot): {string.Join(" ", first.Select(p => p.ToString("F3")))}");
Console.WriteLine($"hidden activations per row: {scored.Schema["TeacherHidden"].Type}");

// Saving: the teacher is stored as ML.NET's ApplyOnnxModel over the same rewritten graph.
mlContext.Model.Save(teacher, data.Schema, "teacher-model.zip");
ITransformer loaded = mlContext.Model.Load("teacher-model.zip", out _);
float[] again = loaded.Transform(data).GetColumn<float[]>("SoftLabels").First();
Console.WriteLine($"after save/load, largest difference: {first.Zip(again, (a, b) => MathF.Abs(a - b)).Max():E1}");

// The embedded data and teacher, found from where this program runs (bin/...), so any working directory will do.
static string SamplesFolder()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "samples", "teachers", "fashion_cnn.onnx")))
        {
            return Path.Combine(dir.FullName, "samples");
        }
    }

    throw new DirectoryNotFoundException($"No samples/teachers/fashion_cnn.onnx above {AppContext.BaseDirectory}: run the sample from inside the MLNetDistill repository.");
}
