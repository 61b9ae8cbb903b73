// The shortest complete distillation: a PyTorch CNN teacher (ONNX) scores Fashion-MNIST images, a LightGbm student
// learns from its soft labels, the evaluator compares the two, the student is saved and predicts one image on its own.
// Run from any folder (the model is written to the current one):
//   dotnet run --project samples/Quickstart [-- ROWS]      ROWS: how many of the 10,000 embedded images (default all)
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.LightGbm;
using MLNetDistill;
using MLNetDistill.Data;

string samples = SamplesFolder();
int rows = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 10_000;
var mlContext = new MLContext(seed: 0);
IDataView images = mlContext.Data.TakeRows(IdxReader.Load(Path.Combine(samples, "data", "fashion-mnist", "t10k-images-idx3-ubyte.gz")), rows);
var split = mlContext.Data.TrainTestSplit(images, testFraction: 0.2, seed: 0);

// 1. The teacher adds TeacherLogits, SoftLabels (softmax at T = 1) and TeacherPredictedLabel; Cache: it runs once.
using var teacher = mlContext.Transforms.ScoreWithTeacher(Path.Combine(samples, "teachers", "fashion_cnn.onnx")).Fit(split.TrainSet);
IDataView train = mlContext.Data.Cache(teacher.Transform(split.TrainSet));
IDataView test = mlContext.Data.Cache(teacher.Transform(split.TestSet));

// 2. The student: LightGbm on the soft labels mixed half and half with the labels (one weighted row per probable class).
var lightGbm = mlContext.MulticlassClassification.Trainers.LightGbm(new LightGbmMulticlassTrainer.Options
{
    LabelColumnName = "Label", ExampleWeightColumnName = "Weight", NumberOfIterations = 50, NumberOfThreads = 1,
});
var student = mlContext.MulticlassClassification.Trainers.SoftLabel(lightGbm).Fit(train);

// 3. Student against teacher on the held-out images.
var quality = mlContext.MulticlassClassification.EvaluateDistillation(student.Transform(test));
Console.WriteLine($"teacher accuracy {quality.TeacherAccuracy:F4}, student {quality.Accuracy:F4} ({quality.RetainedAccuracy:P1} of the teacher), agreement {quality.Agreement:F4} on {quality.Rows} images");

// 4. Save: an ordinary ML.NET LightGbm model, no teacher inside.
string modelFile = Path.GetFullPath("quickstart-student.zip");
mlContext.Model.Save(student, images.Schema, modelFile);
Console.WriteLine($"saved {modelFile} ({new FileInfo(modelFile).Length:N0} bytes; the teacher is {new FileInfo(Path.Combine(samples, "teachers", "fashion_cnn.onnx")).Length:N0})");

// 5. Load it and predict one image.
var engine = mlContext.Model.CreatePredictionEngine<Image, Prediction>(mlContext.Model.Load(modelFile, out _));
float[] first = split.TestSet.GetColumn<float[]>("Features").First();
var prediction = engine.Predict(new Image { Features = first });
Console.WriteLine($"first held-out image: class {prediction.PredictedLabel - 1}, probability {prediction.Score.Max():F4}");

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

sealed class Image
{
    [VectorType(784)]
    public float[] Features { get; set; } = [];
}

sealed class Prediction
{
    public uint PredictedLabel { get; set; } // a key: 1 + the class index

    public float[] Score { get; set; } = [];
}
