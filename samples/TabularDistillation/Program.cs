// Distilling onto rows nobody labeled, on a real tabular data set: UCI handwritten digits as sklearn ships them (8x8
// pixels, 64 integer features 0-16, classes 0-9; 1,078 training and 719 held-out rows) and a PyTorch MLP teacher
// exported to ONNX (64-256-256-10, 98.05 % held out; made by samples/teachers/make_tabular_teachers.py).
// Only the first LABELED training rows keep their labels; the teacher labels the rest, and each ML.NET student is
// trained twice: distilled (labeled + teacher-labeled rows) and on the labeled rows alone, its hard-label twin.
// Run from any folder:
//   dotnet run --project samples/TabularDistillation [-- LABELED]      LABELED: rows with labels (default 100)
using Microsoft.ML;
using MLNetDistill.Data;
using MLNetDistill.Experiments;

string fixtures = Fixtures();
int labeledRows = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 100;
var mlContext = new MLContext(seed: 0);
IDataView train = DataSourceReader.Load(Path.Combine(fixtures, "digits_train.csv"), "label"); // Features (64), Label
IDataView test = DataSourceReader.Load(Path.Combine(fixtures, "digits_test.csv"), "label");
IDataView labeled = mlContext.Data.TakeRows(train, labeledRows);
// The rows nobody labeled: their label column is dropped, the teacher's soft labels are all the students see of them.
IDataView unlabeled = mlContext.Transforms.DropColumns("Label").Fit(train).Transform(mlContext.Data.SkipRows(train, labeledRows));

var options = new DistillationExperimentOptions
{
    TeacherModelFile = Path.Combine(fixtures, "digits_teacher.onnx"), // takes the raw 0-16 pixels: it scales inside its graph
    Baseline = true,                                                   // also train each student on the labeled rows alone
};
foreach (string spec in new[] { "sdca", "lightgbm:trees=50", "mlp:64:epochs=200" })
{
    options.Students.Add(DistillationStudent.FromSpec(spec));
}

using var result = new DistillationExperiment(mlContext, options).Run(labeled, test, transfer: unlabeled);
Console.WriteLine($"teacher accuracy {result.Teacher!.Accuracy:F4} on {result.TestRows} held-out rows; {result.TrainRows} labeled and {result.TransferRows} unlabeled training rows");
foreach (var student in result.Students)
{
    var distilled = student.Distilled.Metrics;
    var alone = student.Baseline!.Metrics;
    Console.WriteLine($"{student.Name,-18} distilled {distilled.Accuracy:F4} (agreement {distilled.Agreement:F4}), labeled rows alone {alone.Accuracy:F4} (agreement {alone.Agreement:F4})");
}

var best = result.Students.MaxBy(s => s.Distilled.Metrics.Accuracy)!;
var saved = DistillationResultWriter.Save(mlContext, best.Distilled, result.InputSchema, Path.GetFullPath("digits-student.zip"));
Console.WriteLine($"saved {saved.ModelFile}{(saved.OnnxFile is null ? "" : " and " + saved.OnnxFile)}: {best.Name}");

// The committed digits CSVs and teacher, found from where this program runs (bin/...), so any working directory will do.
static string Fixtures()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        string candidate = Path.Combine(dir.FullName, "tests", "MLNetDistill.Tests", "Fixtures");
        if (File.Exists(Path.Combine(candidate, "digits_teacher.onnx")))
        {
            return candidate;
        }
    }

    throw new DirectoryNotFoundException($"No tests/MLNetDistill.Tests/Fixtures/digits_teacher.onnx above {AppContext.BaseDirectory}: run the sample from inside the MLNetDistill repository.");
}
