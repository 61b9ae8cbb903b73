using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Text;
using MLNetDistill.Data;
using MLNetDistill.Experiments;
using MLNetDistill.Students;
using MLNetDistill.Teachers;

namespace MLNetDistill.Benchmarks.Students;

/// <summary>
/// Where a text student's cost per email goes, and which cheaper student keeps the teacher's accuracy (issue 11's cost proof).
/// Part 1 (profile): the stages of the <c>text=word1</c> featurizer, each one a prefix of the pipeline fitted on the training
/// emails and timed through a <see cref="PredictionEngine{TSrc,TDst}"/> over every held-out email (mean µs per email length
/// bucket) and in one batched Transform pass: reading the text (PredictionEngine overhead), normalizing, tokenizing into
/// words, the n-gram dictionary (FeaturizeText whole), FeaturizeText + SDCA (the student), with and without a first-N-characters cap.
/// Part 2 (candidates): every student spec of <c>students=</c> trained on hard labels and distilled in one experiment, its
/// accuracy and share of the teacher's, and its cost beside the teacher's in the same run (p50, mean, batched rows/s).
/// Run: dotnet run -c Release --project tests/MLNetDistill.Benchmarks -- text-cost [csv=FOLDER] [teacher=MODEL.onnx]
///      [students=SPEC;SPEC] [caps=0,4000,2000,1000] [teacher-threads=N] [profile=true] [alpha=A] [temperature=T]
/// </summary>
internal static class TextCostExperiment
{
    private static readonly (int Below, string Name)[] Buckets = [(500, "< 500"), (1000, "500-1k"), (2000, "1k-2k"), (4000, "2k-4k"), (10000, "4k-10k"), (int.MaxValue, "10k-20k")];

    public static int Run(string[] args)
    {
        string csv = Path.Combine(BenchPaths.Repo, "samples", "data", "spam-assassin", "csv");
        string? teacherFile = null;
        string students = "sdca:iterations=200,text=word1;sdca:iterations=200,text=word1,chars=4000;sdca:iterations=200,text=word1,chars=2000;sdca:iterations=200,text=word1,chars=1000";
        int[] caps = [0, 4000, 2000, 1000];
        int? teacherThreads = null;
        float? alpha = null, temperature = null;
        bool profile = true;
        foreach (string arg in args)
        {
            string[] kv = arg.Split('=', 2);
            switch (kv[0])
            {
                case "csv" when kv.Length == 2: csv = kv[1]; break;
                case "teacher" when kv.Length == 2: teacherFile = kv[1]; break;
                case "students" when kv.Length == 2: students = kv[1]; break;
                case "caps" when kv.Length == 2: caps = [.. kv[1].Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture))]; break;
                case "teacher-threads" when kv.Length == 2: teacherThreads = int.Parse(kv[1], CultureInfo.InvariantCulture); break;
                case "profile" when kv.Length == 2: profile = bool.Parse(kv[1]); break;
                case "alpha" when kv.Length == 2: alpha = float.Parse(kv[1], CultureInfo.InvariantCulture); break;
                case "temperature" when kv.Length == 2: temperature = float.Parse(kv[1], CultureInfo.InvariantCulture); break;
                default:
                    Console.Error.WriteLine($"text-cost: unknown argument '{arg}'; usage: text-cost [csv=FOLDER] [teacher=MODEL.onnx] [students=SPEC;SPEC] [caps=0,4000,2000,1000] [teacher-threads=N] [profile=true] [alpha=A] [temperature=T]");
                    return 2;
            }
        }

        var mlContext = new MLContext(0);
        var train = mlContext.Data.Cache(DataSourceReader.LoadText(Path.Combine(csv, "train.csv"), "Text", "Label"));
        var test = mlContext.Data.Cache(DataSourceReader.LoadText(Path.Combine(csv, "test.csv"), "Text", "Label"));
        string[] texts = [.. test.GetColumn<string>("Text")];
        int[] bucketOf = [.. texts.Select(t => Array.FindIndex(Buckets, b => t.Length < b.Below))];
        Console.WriteLine($"data: {texts.Length:N0} held-out emails ({csv}), {Environment.ProcessorCount} logical processors; emails per length bucket (characters): "
            + string.Join(", ", Buckets.Select((b, i) => $"{b.Name}: {bucketOf.Count(x => x == i)}")));

        if (profile)
        {
            Profile(mlContext, train, texts, bucketOf, caps);
        }

        var specs = students.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (specs.Length == 0)
        {
            return 0;
        }

        teacherFile ??= Tests.Teachers.MiniLmSpamTeacher.ModelFile; // all-MiniLM-L6-v2 + spam head, assembled on first use
        using var teacher = mlContext.Transforms.ScoreWithTeacher(new TeacherScoringOptions { ModelFile = teacherFile, TextColumnName = "Text", IntraOpNumThreads = teacherThreads }).Fit(train);
        var options = new DistillationExperimentOptions { Teacher = teacher, TextColumnName = "Text", Baseline = true, Seed = 0, Alpha = alpha, Temperature = temperature };
        foreach (string spec in specs)
        {
            options.Students.Add(DistillationStudent.FromSpec(spec));
        }

        using var result = new DistillationExperiment(mlContext, options).Run(train, test);
        var teacherCost = TextCost.TimeTeacher(mlContext, teacher, test, texts);
        Console.WriteLine();
        Console.WriteLine($"### Candidates (held-out {result.TestRows:N0}; teacher {TextCost.Describe(teacherFile)}, {teacherThreads?.ToString(CultureInfo.InvariantCulture) ?? "all"} ONNX Runtime threads; students one thread; alpha {alpha?.ToString(CultureInfo.InvariantCulture) ?? "default 0.5"}, temperature {temperature?.ToString(CultureInfo.InvariantCulture) ?? "default 1"})");
        Console.WriteLine();
        Console.WriteLine(F("teacher: accuracy {0:F4}, p50 {1:F0} µs, mean {2:F0} µs, batched {3:N0} rows/s", result.Teacher!.Accuracy, teacherCost.P50, teacherCost.Mean, teacherCost.RowsPerSecond));
        Console.WriteLine();
        Console.WriteLine("| student | hard acc | distilled acc | of teacher | p50 µs | mean µs | rows/s | cheaper p50 | cheaper mean | cheaper batched | bytes |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var s in result.Students)
        {
            var cost = TextCost.TimeStudent(mlContext, s.Distilled.Model, test, texts);
            Console.WriteLine(F("| {0} | {1:F4} | {2:F4} | {3:P1} | {4:F0} | {5:F0} | {6:N0} | {7:F1}x | {8:F1}x | {9:F1}x | {10:N0} |", s.Name, s.Baseline!.Metrics.Accuracy, s.Distilled.Metrics.Accuracy,
                s.Distilled.Metrics.Accuracy / result.Teacher.Accuracy, cost.P50, cost.Mean, cost.RowsPerSecond, teacherCost.P50 / cost.P50, teacherCost.Mean / cost.Mean,
                cost.RowsPerSecond / teacherCost.RowsPerSecond, s.Distilled.ModelBytes));
        }

        return 0;
    }

    /// <summary>Mean µs per email of each stage prefix, per length bucket, and the batched pass, for each cap.</summary>
    private static void Profile(MLContext mlContext, IDataView train, string[] texts, int[] bucketOf, int[] caps)
    {
        Console.WriteLine();
        Console.WriteLine($"### Where the student's time goes (text=word1 featurizer stages; PredictionEngine mean µs per email by length in characters, each email the best of {TextCost.Repeats} runs; then one batched pass)");
        Console.WriteLine();
        Console.WriteLine($"| stage | cap | " + string.Join(" | ", Buckets.Select(b => b.Name)) + $" | all, mean µs | p50 µs | batched rows/s ({TextCost.StudentCopies} x the held-out set) | cursor setup ms |");
        Console.WriteLine("|---|---|" + string.Concat(Buckets.Select(_ => "---|")) + "---|---|---|---|");
        var copies = mlContext.Data.Cache(mlContext.Data.LoadFromEnumerable(Enumerable.Range(0, TextCost.StudentCopies).SelectMany(_ => texts).Select(t => new TextCost.TextRow { Text = t })));
        var sdca = DistillationStudent.FromSpec("sdca:iterations=200");
        _ = sdca;
        // The label as a key for SDCA, outside the timed pipelines (a student's model does not read the label).
        var keyed = mlContext.Data.Cache(mlContext.Transforms.Conversion.MapValueToKey("LabelKey", "Label").Fit(train).Transform(train));
        foreach (int cap in caps)
        {
            string source = "Text";
            IEstimator<ITransformer> Start()
            {
                // The cap the student's chars=N adds, or nothing.
                return cap > 0
                    ? mlContext.Transforms.Expression("Capped", $"x : left(x, {cap.ToString(CultureInfo.InvariantCulture)})", "Text")
                    : mlContext.Transforms.CopyColumns("Capped", "Text");
            }

            source = "Capped";
            var normalize = mlContext.Transforms.Text.NormalizeText("Normalized", source, TextNormalizingEstimator.CaseMode.Lower, keepDiacritics: false, keepPunctuations: true, keepNumbers: true);
            var stages = new (string Name, IEstimator<ITransformer> Estimator, Func<ITransformer, Func<string, object>> Engine, string Column)[]
            {
                ("read the text (+ cap)", Start(), m => Engine<StringOut>(mlContext, m), "Capped"),
                ("+ normalize", Start().Append(normalize), m => Engine<NormalizedOut>(mlContext, m), "Normalized"),
                ("+ tokenize into words", Start().Append(normalize).Append(mlContext.Transforms.Text.TokenizeIntoWords("Tokens", "Normalized")), m => Engine<TokensOut>(mlContext, m), "Tokens"),
                ("FeaturizeText word1 (+ dictionary, L2)", Start().Append(new TextFeaturization(1, 0).Estimator(mlContext, source, DataColumnNames.Features)), m => Engine<FeaturesOut>(mlContext, m), DataColumnNames.Features),
                ("+ SDCA (the student)", Start().Append(new TextFeaturization(1, 0).Estimator(mlContext, source, DataColumnNames.Features))
                    .Append(mlContext.MulticlassClassification.Trainers.SdcaMaximumEntropy("LabelKey", DataColumnNames.Features, maximumNumberOfIterations: 200)), m => Engine<ScoreOut>(mlContext, m), DataColumnNames.Score),
            };
            foreach (var (name, estimator, engine, column) in stages)
            {
                var model = estimator.Fit(keyed);
                var predict = engine(model);
                var times = TextCost.PerEmail(texts, text => predict(text));

                var perBucket = Buckets.Select((_, b) => Enumerable.Range(0, texts.Length).Where(i => bucketOf[i] == b).Select(i => times[i]).DefaultIfEmpty(double.NaN).Average());
                double rowsPerSecond = TextCost.Throughput(model.Transform(copies), column);
                double setup = TextCost.SetupMilliseconds(mlContext, model, texts[0], column);
                Console.WriteLine(F("| {0} | {1} | {2} | {3:F1} | {4:F1} | {5:N0} | {6:F1} |", name, cap > 0 ? cap.ToString("N0", CultureInfo.InvariantCulture) : "none",
                    string.Join(" | ", perBucket.Select(v => v.ToString("F1", CultureInfo.InvariantCulture))), times.Average(), TextCost.Median(times), rowsPerSecond, setup));
            }
        }
    }

    private static Func<string, object> Engine<TOut>(MLContext mlContext, ITransformer model)
        where TOut : class, new()
    {
        var engine = mlContext.Model.CreatePredictionEngine<TextCost.TextRow, TOut>(model);
        var input = new TextCost.TextRow();
        var output = new TOut();
        return text =>
        {
            input.Text = text;
            engine.Predict(input, ref output);
            return output;
        };
    }

    private static string F(string format, params object?[] args) => string.Format(CultureInfo.InvariantCulture, format, args);

    private sealed class StringOut
    {
        public string Capped { get; set; } = "";
    }

    private sealed class NormalizedOut
    {
        public string Normalized { get; set; } = "";
    }

    private sealed class TokensOut
    {
        public string[] Tokens { get; set; } = [];
    }

    private sealed class FeaturesOut
    {
        public VBuffer<float> Features { get; set; }
    }

    private sealed class ScoreOut
    {
        public float[] Score { get; set; } = [];
    }
}
