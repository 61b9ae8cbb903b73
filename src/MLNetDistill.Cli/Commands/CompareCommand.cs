using System.CommandLine;
using System.Globalization;
using Microsoft.ML;
using MLNetDistill.Data;
using MLNetDistill.Experiments;
using MLNetDistill.Reports;
using MLNetDistill.Students;
using MLNetDistill.Cache;
using TeacherCache = MLNetDistill.Cache.TeacherCache;

namespace MLNetDistill.Cli.Commands;

/// <summary><c>mlnet-distill compare</c>: train several students on one teacher scoring, rank them, and pick the smallest one close enough to the teacher.</summary>
internal static class CompareCommand
{
    /// <summary>The default candidates.</summary>
    internal static readonly string DefaultStudents = string.Join(';', StudentSizeExperiment.DefaultStudents);

    /// <summary>The default candidates with <c>--text</c>.</summary>
    internal static readonly string DefaultTextStudents = string.Join(';', StudentSizeExperiment.DefaultTextStudents);

    /// <summary>The flag of each library parameter or option, so the library's errors name what the user typed.</summary>
    private static readonly Dictionary<string, string> Flags = new(StringComparer.Ordinal)
    {
        [nameof(DistillationExperimentOptions.TeacherModelFile)] = "--teacher",
        [nameof(StudentSizeExperimentOptions.Students)] = "--students",
        [nameof(StudentSizeExperimentOptions.AccuracyTolerance)] = "--within",
        [nameof(StudentSizeExperimentOptions.TimeBudget)] = "--time-budget",
        [nameof(StudentSizeExperimentOptions.CostAxis)] = "--cost",
        [nameof(StudentSizeExperimentOptions.Temperatures)] = "--temperatures",
        [nameof(StudentSizeExperimentOptions.Alphas)] = "--alphas",
        [nameof(DistillationExperimentOptions.Augmentation)] = "--augment",
        [nameof(DistillationExperimentOptions.TrainingSoftLabels)] = "--soft-labels",
        [nameof(DistillationExperimentOptions.TestSoftLabels)] = "--test-soft-labels",
        [nameof(DistillationExperimentOptions.TextColumnName)] = "--text",
        ["temperatures"] = "--temperatures",
        ["alphas"] = "--alphas",
        ["tolerance"] = "--within",
        ["spec"] = "--students",
        ["train"] = "--train",
        ["test"] = "--test",
        ["transfer"] = "--transfer",
        [IgnoreColumnsOption.Parameter] = IgnoreColumnsOption.Flag,
        [nameof(DistillationExperimentOptions.CascadeTarget)] = CascadeFlags.TargetFlag,
        [nameof(MLNetDistill.Serving.CascadeTarget.TeacherQualityShare)] = CascadeFlags.TargetFlag,
        [nameof(MLNetDistill.Serving.CascadeTarget.MaxDeferredShare)] = CascadeFlags.MaxDeferredFlag,
    };

    public static Command Create()
    {
        var teacher = new Option<string?>("--teacher") { Description = "The teacher's .onnx file (or --soft-labels for a teacher known only by its labels)." };
        var softLabels = new Option<string?>("--soft-labels") { Description = "A teacher cache of --train (from `score` or `label`) used instead of running a teacher on it." };
        var testSoftLabels = new Option<string?>("--test-soft-labels") { Description = "A teacher cache of --test: agreement, KL and the inheritance table are measured against it (a teacher known only by its labels)." };
        var text = new Option<string?>("--text") { Description = "The text column of CSV files: every student is a text student (ML.NET FeaturizeText inside its model; the spec's text=word2,char3 sets the n-grams)." };
        var train = new Option<string>("--train") { Description = "Training data (CSV/TSV, Parquet or IDX), usually labeled; without a label column the students learn from the soft labels alone (--teacher or --soft-labels).", Required = true };
        var pseudoBaseline = new Option<bool>("--pseudo-baseline") { Description = "Also train each student on the teacher's arg-max labels (pseudo-labels) of the same rows: the leaderboard shows what soft labels add over pseudo-labeling." };
        var transfer = new Option<string?>("--transfer") { Description = "Unlabeled rows for the teacher to label (same features as --train)." };
        var test = new Option<string?>("--test") { Description = "Evaluation data (default: 20% of --train held out); without labels, students are ranked on agreement with the teacher and none is picked." };
        var label = new Option<string?>("--label") { Description = "The label column of CSV or Parquet files (default: a column named Label)." };
        var students = StudentsOption();
        var cost = new Option<string>("--cost") { Description = "The cost axis: size (bytes of the deployable file, default), params (learned parameters: weights, tree thresholds and leaves) or latency (single-row p50 in µs through ML.NET's PredictionEngine path, after warm-up; the report also times each student's ONNX export and the teacher).", DefaultValueFactory = _ => "size" };
        var within = new Option<string>("--within") { Description = "Pick the lowest-cost student whose accuracy is within this percentage of the teacher's (default 2%).", DefaultValueFactory = _ => "2%" };
        var budget = new Option<string?>("--time-budget") { Description = "Wall-clock budget such as 90s, 10m or 1h (teacher scoring included); the students not started in time are skipped and listed." };
        var temperatures = new Option<string?>("--temperatures") { Description = "Sweep the soft labels' temperature: comma-separated values such as 1,2,4; each student is trained at each (one teacher run, soft labels recomputed from its logits)." };
        var alphas = new Option<string?>("--alphas") { Description = "Sweep alpha, the weight of the soft labels against the hard labels: comma-separated values in [0, 1] such as 0.5,0.9; each student is trained with each." };
        var augment = new Option<string?>("--augment") { Description = "Offline augmentation, as for distill: synthetic rows the teacher labels once for every candidate: " + MLNetDistill.Augmentation.AugmentationOptions.Describe() };
        var seed = new Option<int>("--seed") { Description = "Seed (same inputs and seed give the same models).", DefaultValueFactory = _ => 0 };
        var output = new Option<string>("--out") { Description = "Folder for leaderboard.json, report.md, tradeoff.png, cascade.png (with --cascade-target or --cascade-max-deferred), report.html and each student's .zip, and its .onnx for every student that converts (every family on numeric features; a text student has no ONNX form, and its onnxNote says why).", Required = true };
        var ignore = IgnoreColumnsOption.Create();
        var command = new Command("compare", "Train several students on one teacher scoring, rank them on quality vs cost (Pareto front), and pick the smallest within a tolerance of the teacher.")
        {
            teacher, train, transfer, test, label, students, cost, within, budget, temperatures, alphas, augment, seed, output, softLabels, testSoftLabels, text, ignore, pseudoBaseline,
        };
        var teacherOptions = new TeacherOptions();
        teacherOptions.AddTo(command);
        var cascadeFlags = new CascadeFlags();
        cascadeFlags.AddTo(command);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(token =>
        {
            string trainPath = parse.GetValue(train)!;
            string? labelName = parse.GetValue(label);
            string outFolder = parse.GetValue(output)!;
            if (File.Exists(outFolder))
            {
                throw new IOException($"--out {outFolder} is a file: give a folder (it is made when missing).");
            }

            var mlContext = new MLContext(parse.GetValue(seed));
            TeacherOptions.PrintWarnings(mlContext);
            string? teacherPath = parse.GetValue(teacher);
            string? textName = parse.GetValue(text);
            var teacherScoring = teacherOptions.Read(parse, textName);
            if (teacherPath is null && parse.GetValue(softLabels) is null)
            {
                throw new ArgumentException("compare needs --teacher T.onnx, or --soft-labels CACHE (a `score` or `label` cache of --train) for soft labels made earlier.");
            }

            var experiment = new StudentSizeExperiment(mlContext);
            if (teacherPath is not null)
            {
                experiment.SetTeacher(teacherPath, teacherScoring);
            }

            experiment.Options.Distillation.TextColumnName = textName;
            if (parse.GetValue(softLabels) is string cache)
            {
                experiment.Options.Distillation.TrainingSoftLabels = TeacherCache.ReadMatching(cache, trainPath, teacherPath, cancellationToken: token);
            }

            if (parse.GetValue(testSoftLabels) is string testCache)
            {
                string testFile = parse.GetValue(test) ?? throw new ArgumentException("--test-soft-labels needs --test: the cache holds the soft labels of the --test rows.");
                experiment.Options.Distillation.TestSoftLabels = TeacherCache.ReadMatching(testCache, testFile, teacherModelFile: null, cancellationToken: token);
                Console.Error.WriteLine($"test rows judged against the labels of {TeacherCache.ReadMetadata(testCache).TeacherFile} ({testCache})");
            }

            Configure(experiment, parse, new(cost, within, budget, seed, pseudoBaseline, augment, students, temperatures, alphas), cascadeFlags, textName);

            // Before scoring and training (and after the options are checked): the results must be writable where they are asked for.
            OutputFolder.Prepare(outFolder);
            var (trainData, testData, transferData) = ReadData(parse, trainPath, labelName, textName, ignore, test, transfer);
            // A live table of the trials on a terminal; the plain lines when redirected.
            using var result = TrialTable.Run(experiment.Options.Students.Select(s => s.Name), progress => experiment.Run(trainData, testData, transferData, progress, token));
            StudentSizeReport.WriteAll(mlContext, result, outFolder, token);
            Print(result, outFolder);
            return Task.FromResult(0);
        }, ct, TeacherOptions.WithFlags(Flags)));
        return command;
    }

    /// <summary>The flags that shape the comparison (cost, tolerance, time budget, seed, twins, augmentation, candidates, sweeps).</summary>
    private sealed record ComparisonFlags(Option<string> Cost, Option<string> Within, Option<string?> Budget, Option<int> Seed, Option<bool> PseudoBaseline,
        Option<string?> Augment, Option<string?> Students, Option<string?> Temperatures, Option<string?> Alphas);

    /// <summary>Sets the experiment's cost axis, tolerance, budget, seed, twins, cascade, augmentation, candidates and sweeps from the flags.</summary>
    private static void Configure(StudentSizeExperiment experiment, ParseResult parse, ComparisonFlags o, CascadeFlags cascade, string? textName)
    {
        experiment
            .SetCostAxis(ParseCost(parse.GetValue(o.Cost)!))
            .SetAccuracyTolerance(ParseWithin(parse.GetValue(o.Within)!))
            .SetTimeBudget(parse.GetValue(o.Budget) is string b ? ParseBudget(b) : null)
            .SetSeed(parse.GetValue(o.Seed))
            .SetPseudoBaseline(parse.GetValue(o.PseudoBaseline))
            .SetCascadeTarget(cascade.Read(parse))
            .SetAugmentation(parse.GetValue(o.Augment) is string augmentSpec ? DistillCommand.ParseAugmentation(augmentSpec) : null);
        string? studentSpecs = parse.GetValue(o.Students);
        if (studentSpecs is null && textName is not null)
        {
            Console.Error.WriteLine("note: " + StudentSizeExperiment.DefaultTextStudentsNote);
        }

        experiment.AddStudents(SplitStudents(studentSpecs ?? (textName is null ? DefaultStudents : DefaultTextStudents)));
        if (parse.GetValue(o.Temperatures) is string t)
        {
            experiment.SetTemperatures(ParseFloats("--temperatures", t));
        }

        if (parse.GetValue(o.Alphas) is string al)
        {
            experiment.SetAlphas(ParseFloats("--alphas", al));
        }
    }

    /// <summary>Reads the training, test and transfer files, saying which of them have no labels and what that means.</summary>
    private static (IDataView Train, IDataView? Test, IDataView? Transfer) ReadData(ParseResult parse, string trainPath, string? labelName, string? textName,
        Option<string?> ignore, Option<string?> test, Option<string?> transfer)
    {
        string[] Ignored(string path) => IgnoreColumnsOption.For(path, IgnoreColumnsOption.Parse(parse.GetValue(ignore)), trainPath, parse.GetValue(test), parse.GetValue(transfer));
        IDataView Read(string path, bool labelOptional) => textName is null
            ? DataSourceReader.Load(path, labelName, labelOptional, Ignored(path))
            : DataSourceReader.LoadText(path, textName, labelName, labelOptional, Ignored(path));

        IDataView trainData = Read(trainPath, DistillCommand.TrainLabelOptional(trainPath, labelName, parse.GetValue(test)));
        bool trainLabeled = trainData.Schema.GetColumnOrNull(DataColumnNames.Label) is not null;
        if (!trainLabeled)
        {
            Console.Error.WriteLine($"--train {trainPath} has no label column: the students learn from the soft labels alone (pass --label NAME if the file has labels under another name).");
        }

        IDataView? testData = parse.GetValue(test) is string testPath ? Read(testPath, true) : null;
        if (testData is not null && testData.Schema.GetColumnOrNull(DataColumnNames.Label) is null)
        {
            Console.Error.WriteLine($"--test {parse.GetValue(test)} has no label column: students are ranked on agreement with the teacher, and none is picked.");
        }
        else if (testData is null && !trainLabeled)
        {
            Console.Error.WriteLine("the held-out test rows have no labels either: students are ranked on agreement with the teacher, and none is picked.");
        }

        IDataView? transferData = parse.GetValue(transfer) is string transferPath ? Read(transferPath, true) : null;
        return (trainData, testData, transferData);
    }

    /// <summary>The <c>--students</c> option of <c>compare</c> and <c>demo</c>: candidate specs separated by ';', the default grid when not given.</summary>
    internal static Option<string?> StudentsOption() => new("--students")
    {
        Description = $"Candidate students separated by ';' (default \"{DefaultStudents}\"; with --text \"{DefaultTextStudents}\", no MLP: an MLP reads the n-gram vector densely). Specs: " + StudentSpec.Describe(),
    };

    /// <summary>The specs of <c>--students</c>: separated by ';', blanks dropped.</summary>
    internal static string[] SplitStudents(string students)
    {
        string[] specs = students.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return specs.Length > 0
            ? specs
            : throw new ArgumentException($"--students \"{students}\" names no student: give specs separated by ';', e.g. --students \"{DefaultStudents}\".");
    }

    /// <summary>Comma-separated numbers such as <c>1,2,4</c> or <c>0.5, 0.9</c> (invariant culture: '.' is the decimal point).</summary>
    internal static float[] ParseFloats(string flag, string text)
    {
        string[] parts = text.Split(',', StringSplitOptions.TrimEntries);
        var values = new float[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]) || !float.IsFinite(values[i]))
            {
                throw new ArgumentException(
                    $"{flag} {text}: '{parts[i]}' is not a number: give numbers separated by ',' with '.' as the decimal point, e.g. {(flag == "--alphas" ? "--alphas 0.5,0.9" : "--temperatures 1,2,4")}.");
            }
        }

        return values;
    }

    internal static LeaderboardCostAxis ParseCost(string cost) => cost.Trim().ToLowerInvariant() switch
    {
        "size" => LeaderboardCostAxis.Size,
        "params" or "parameters" => LeaderboardCostAxis.Parameters,
        "latency" => LeaderboardCostAxis.Latency,
        _ => throw new ArgumentException($"--cost {cost} is not a cost axis: use size, params or latency."),
    };

    /// <summary>A percentage such as <c>2%</c>, <c>2</c> or <c>0.5%</c>, as a share (0.02).</summary>
    internal static double ParseWithin(string within)
    {
        string text = within.Trim().TrimEnd('%').Trim();
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double percent) && percent >= 0 && percent < 100
            ? percent / 100
            : throw new ArgumentException($"--within {within} is not a percentage in [0, 100): give e.g. --within 2% (the pick's accuracy is at least 98% of the teacher's).");
    }

    /// <summary>A duration such as <c>90s</c>, <c>10m</c>, <c>1.5h</c> or <c>00:10:00</c>.</summary>
    internal static TimeSpan ParseBudget(string budget)
    {
        string text = budget.Trim().ToLowerInvariant();
        if (text.Length > 1 && text[^1] is 's' or 'm' or 'h'
            && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out double amount) && amount > 0 && double.IsFinite(amount))
        {
            return text[^1] switch
            {
                's' => TimeSpan.FromSeconds(amount),
                'm' => TimeSpan.FromMinutes(amount),
                _ => TimeSpan.FromHours(amount),
            };
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) && span > TimeSpan.Zero
            ? span
            : throw new ArgumentException($"--time-budget {budget} is not a positive duration: give e.g. 90s, 10m, 1h or 00:10:00.");
    }

    /// <summary>Prints each student against its pseudo-label twin (when trained): the twin's accuracy and agreement, and the gain of soft labels.</summary>
    private static void PrintPseudoLabels(Leaderboard board)
    {
        var twins = board.Entries.Where(e => e.PseudoBaselineAccuracy is not null).ToList();
        if (twins.Count == 0)
        {
            return;
        }

        var c = CultureInfo.InvariantCulture;
        int width = Math.Max(8, twins.Max(e => e.Name.Length));
        Console.WriteLine(string.Format(c, "{0}  {1,13}  {2,16}  {3,16}", "student".PadRight(width), "pseudo acc.", "pseudo agreement", "vs pseudo-labels"));
        foreach (var e in twins)
        {
            double twin = e.PseudoBaselineAccuracy ?? double.NaN;
            Console.WriteLine(string.Format(c, "{0}  {1,13}  {2,16}  {3,16}", e.Name.PadRight(width), F4(twin), F4(e.PseudoBaselineAgreement ?? double.NaN), LeaderboardMarkdown.Gain(e.Accuracy - twin)));
        }

        string F4(double value) => double.IsNaN(value) ? "n/a" : value.ToString("F4", c);
    }

    /// <summary>Prints each student's cascade (when measured): the share of the test rows sent to the teacher, the cascade's accuracy and agreement, and its cost per 1,000 rows where latency was measured.</summary>
    private static void PrintCascades(Leaderboard board)
    {
        var cascades = board.Entries.Where(e => e.Cascade is not null).ToList();
        if (cascades.Count == 0)
        {
            return;
        }

        var c = CultureInfo.InvariantCulture;
        int width = Math.Max(8, cascades.Max(e => e.Name.Length));
        double? teacherP50 = board.TeacherCostDetail?.LatencyP50Microseconds;
        Console.WriteLine(string.Format(c, "{0}  {1,8}  {2,8}  {3,9}  {4,8}  {5,12}  (cascade: threshold chosen on held-out training rows, measured on the test rows)",
            "student".PadRight(width), "deferred", "accuracy", "agreement", "retained", "ms per 1,000"));
        foreach (var e in cascades)
        {
            var cascade = e.Cascade!;
            double accuracy = cascade.Accuracy ?? double.NaN;
            string cost = cascade.CostPer1000(e.LatencyP50Microseconds, teacherP50) is double ms ? ms.ToString("N1", c) : "n/a";
            Console.WriteLine(string.Format(c, "{0}  {1,8}  {2,8}  {3,9}  {4,8}  {5,12}{6}", e.Name.PadRight(width), cascade.DeferredShare.ToString("P1", c), F4(accuracy), F4(cascade.Agreement),
                double.IsNaN(accuracy / board.TeacherAccuracy) ? "n/a" : (accuracy / board.TeacherAccuracy).ToString("P1", c), cost,
                cascade.TargetMet ? "" : "  target not met on the held-out rows: every row goes to the teacher"));
        }

        string F4(double value) => double.IsNaN(value) ? "n/a" : value.ToString("F4", c);
    }

    /// <summary>Prints the leaderboard (teacher first, then the students by cost, with the Pareto and pick flags) and the pick; <c>demo</c> prints the same.</summary>
    internal static void Print(StudentSizeExperimentResult result, string folder)
    {
        var board = result.Leaderboard;
        var c = CultureInfo.InvariantCulture;

        // The size column shows parameters on that axis, bytes otherwise; on the latency axis the p50 column is the cost.
        bool parameters = board.CostAxis == LeaderboardCostAxis.Parameters;
        string p50Header = board.CostAxis == LeaderboardCostAxis.Latency ? "p50 µs*" : "p50 µs";
        int width = Math.Max(8, board.Entries.Select(e => e.Name.Length).DefaultIfEmpty(0).Max());
        Console.WriteLine(string.Format(c, "{0}  {1,8}  {2,9}  {3,8}  {4,12}  {5,9}  {6,7}  {7}", "student".PadRight(width), "accuracy", "agreement", "retained",
            parameters ? "params" : "bytes", p50Header, "train s", "pareto/chosen"));
        if (result.Experiment.Teacher is { } t)
        {
            string size = parameters ? (board.TeacherCost is double tc ? tc.ToString("N0", c) : "n/a") : result.Experiment.TeacherModelBytes.ToString("N0", c);
            Console.WriteLine(string.Format(c, "{0}  {1,8}  {2,9}  {3,8}  {4,12}  {5,9}  {6,7}", "teacher".PadRight(width), F4(t.Accuracy), F4(t.Agreement),
                double.IsNaN(t.Accuracy) ? "n/a" : "100.0%", size, Micros(board.TeacherCostDetail?.LatencyP50Microseconds ?? double.NaN), ""));
        }

        foreach (var e in board.Entries.OrderBy(e => double.IsNaN(e.Cost) ? double.MaxValue : e.Cost))
        {
            string size = parameters ? (e.Parameters is long n ? n.ToString("N0", c) : "n/a") : e.ModelBytes.ToString("N0", c);
            string flags = (e.Pareto ? "pareto" : "") + (e.Chosen ? (e.Pareto ? " " : "") + "<- chosen" : "");
            Console.WriteLine(string.Format(c, "{0}  {1,8}  {2,9}  {3,8}  {4,12}  {5,9}  {6,7:F1}  {7}", e.Name.PadRight(width), F4(e.Accuracy), F4(e.Agreement),
                double.IsNaN(e.RetainedAccuracy) ? "n/a" : e.RetainedAccuracy.ToString("P1", c), size, Micros(e.LatencyP50Microseconds), e.TrainSeconds, flags));
        }

        if (board.CostAxis == LeaderboardCostAxis.Latency)
        {
            Console.WriteLine("* the cost axis: single-row latency through ML.NET, after warm-up");
        }

        if (board.QualityMetric == "agreement")
        {
            Console.WriteLine("the test rows have no labels: accuracy is not measured (n/a), the students are ranked on agreement with the teacher");
        }

        string F4(double value) => double.IsNaN(value) ? "n/a" : value.ToString("F4", c);
        string Micros(double value) => double.IsNaN(value) ? "n/a" : value.ToString("N1", c);

        PrintPseudoLabels(board);
        PrintCascades(board);
        if (board.Skipped.Count > 0)
        {
            Console.WriteLine($"skipped (time budget): {string.Join(", ", board.Skipped)}");
        }

        Console.WriteLine(board.Chosen is null ? board.Choice : $"pick: {board.Choice}");
        string cascadeChart = CascadeChart.HasCascades(board) ? $", {StudentSizeReport.CascadeChartFileName}" : "";
        Console.WriteLine($"written to {folder}: {StudentSizeReport.LeaderboardFileName}, {StudentSizeReport.ReportFileName}, {StudentSizeReport.ChartFileName}{cascadeChart}, {StudentSizeReport.ReportHtmlFileName} and each student's model");
    }
}
