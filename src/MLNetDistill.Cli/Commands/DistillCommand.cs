using System.CommandLine;
using Microsoft.ML;
using MLNetDistill.Augmentation;
using MLNetDistill.Data;
using MLNetDistill.Experiments;
using MLNetDistill.Students;
using MLNetDistill.Cache;
using TeacherCache = MLNetDistill.Cache.TeacherCache;

namespace MLNetDistill.Cli.Commands;

/// <summary><c>mlnet-distill distill</c>: train a student on a teacher's soft labels and report how it compares.</summary>
internal static class DistillCommand
{
    /// <summary>The flag of each library parameter or option, so the library's errors name what the user typed.</summary>
    private static readonly Dictionary<string, string> Flags = new(StringComparer.Ordinal)
    {
        [nameof(DistillationExperimentOptions.TeacherModelFile)] = "--teacher",
        [nameof(DistillationExperimentOptions.TrainingSoftLabels)] = "--soft-labels",
        [nameof(DistillationExperimentOptions.Students)] = "--student",
        [nameof(DistillationExperimentOptions.Temperature)] = "--temperature",
        [nameof(DistillationExperimentOptions.Alpha)] = "--alpha",
        ["spec"] = "--student",
        ["temperature"] = "--temperature",
        ["train"] = "--train",
        ["test"] = "--test",
        ["transfer"] = "--transfer",
        [IgnoreColumnsOption.Parameter] = IgnoreColumnsOption.Flag,
        ["output"] = "--out",
        ["report"] = "--report",
        [nameof(DistillationExperimentOptions.Augmentation)] = "--augment",
        [nameof(DistillationExperimentOptions.TestSoftLabels)] = "--test-soft-labels",
        [nameof(DistillationExperimentOptions.TextColumnName)] = "--text",
        [nameof(DistillationExperimentOptions.Budget)] = "--budget",
        [nameof(BudgetOptions.Calls)] = "--budget",
        [nameof(BudgetOptions.PoolFraction)] = "--budget",
        [nameof(BudgetOptions.Rounds)] = "--budget-rounds",
        [nameof(DistillationExperimentOptions.CascadeTarget)] = CascadeFlags.TargetFlag,
        [nameof(MLNetDistill.Serving.CascadeTarget.TeacherQualityShare)] = CascadeFlags.TargetFlag,
        [nameof(MLNetDistill.Serving.CascadeTarget.MaxDeferredShare)] = CascadeFlags.MaxDeferredFlag,
    };

    public static Command Create()
    {
        var a = new Arguments();
        var command = new Command("distill", "Train a student on a teacher's soft labels and compare it with the teacher (and its hard-label twin).");
        foreach (Option option in a.InHelpOrder)
        {
            command.Options.Add(option);
        }

        a.TeacherScoring.AddTo(command);
        a.Cascade.AddTo(command);
        command.SetAction((parse, ct) => CommandRunner.RunAsync(token => Task.FromResult(Execute(parse, a, token)), ct, TeacherOptions.WithFlags(Flags)));
        return command;
    }

    /// <summary>The command's stages: check the sources, build the experiment's options, read the files, run, save, print.</summary>
    private static int Execute(ParseResult parse, Arguments a, CancellationToken token)
    {
        CheckSources(parse, a);
        var budget = BudgetOption.Parse(parse.GetValue(a.Budget), parse.GetValue(a.Select), parse.GetValue(a.BudgetRounds), parse.GetValue(a.Transfer) is not null);
        AugmentationOptions? augmentation = parse.GetValue(a.Augment) is string augmentSpec ? ParseAugmentation(augmentSpec) : null;

        // Before minutes of scoring and training: the model and the report must be writable where they are asked for.
        OutputFolder.PrepareForFile(parse.GetValue(a.Output)!, "output");
        OutputFolder.PrepareForFile(parse.GetValue(a.Report)!, "report");
        var mlContext = new MLContext(parse.GetValue(a.Seed));
        TeacherOptions.PrintWarnings(mlContext);
        var options = BuildOptions(parse, a, budget, augmentation, token);
        var distilled = options.Students[0];
        var experiment = new DistillationExperiment(mlContext, options);
        var (train, test, transfer, trainLabeled) = ReadData(parse, a);
        using var result = Run(experiment, distilled, options.Baseline, train, test, transfer, token);
        var trained = result.Students[0];
        string reportPath = parse.GetValue(a.Report)!;
        token.ThrowIfCancellationRequested(); // past this point the model, its ONNX and the report are written together
        var saved = DistillationResultWriter.Save(mlContext, trained.Distilled, result.InputSchema, parse.GetValue(a.Output)!);
        var written = DistillationReport.From(result, trained) with { Onnx = saved.OnnxFile is { } onnx ? Path.GetFileName(onnx) : null, OnnxNote = saved.OnnxNote };
        DistillationResultWriter.WriteReport(written, reportPath);
        PrintResult(written, saved, options.Baseline && !trainLabeled, reportPath);
        return 0;
    }

    /// <summary>Soft labels need a teacher or a cache; transfer and synthetic rows need the teacher itself.</summary>
    private static void CheckSources(ParseResult parse, Arguments a)
    {
        string? teacherPath = parse.GetValue(a.Teacher);
        if (teacherPath is null && parse.GetValue(a.SoftLabels) is null)
        {
            throw new ArgumentException("distill needs --teacher T.onnx, or --soft-labels CACHE (a `score` or `label` cache of --train) for soft labels made earlier: the student learns from them (from them alone when --train has no labels).");
        }

        if (teacherPath is null && parse.GetValue(a.Transfer) is not null)
        {
            throw new ArgumentException("--transfer needs --teacher: the teacher labels the transfer rows (a cache of --train covers the training rows only).");
        }

        if (teacherPath is null && parse.GetValue(a.Augment) is not null)
        {
            throw new ArgumentException("--augment needs --teacher: soft labels from a cache (--soft-labels) cannot label new rows; the teacher labels the synthetic rows.");
        }
    }

    /// <summary>The experiment's options from the flags, with the soft-label caches of the training and test rows read.</summary>
    private static DistillationExperimentOptions BuildOptions(ParseResult parse, Arguments a, BudgetOptions? budget, AugmentationOptions? augmentation, CancellationToken token)
    {
        string? teacherPath = parse.GetValue(a.Teacher);
        string trainPath = parse.GetValue(a.Train)!;
        float? temperatureValue = parse.GetValue(a.Temperature);
        var teacherScoring = a.TeacherScoring.Read(parse, parse.GetValue(a.Text));
        var options = new DistillationExperimentOptions
        {
            TeacherModelFile = teacherPath,
            TeacherScoring = teacherPath is null ? null : teacherScoring,
            Temperature = temperatureValue,
            Alpha = parse.GetValue(a.Alpha),
            Baseline = parse.GetValue(a.Baseline),
            PseudoBaseline = parse.GetValue(a.PseudoBaseline),
            Seed = parse.GetValue(a.Seed),
            Augmentation = augmentation,
            TextColumnName = parse.GetValue(a.Text),
            Budget = budget,
            CascadeTarget = a.Cascade.Read(parse),
        };
        options.Students.Add(DistillationStudent.FromSpec(parse.GetValue(a.Student)!));
        if (parse.GetValue(a.SoftLabels) is string cache)
        {
            options.TrainingSoftLabels = temperatureValue is float t
                ? TeacherCache.ReadMatching(cache, trainPath, teacherPath, t, token)
                : TeacherCache.ReadMatching(cache, trainPath, teacherPath, cancellationToken: token);
        }

        if (parse.GetValue(a.TestSoftLabels) is string testCache)
        {
            string testFile = parse.GetValue(a.Test) ?? throw new ArgumentException("--test-soft-labels needs --test: the cache holds the soft labels of the --test rows (held-out rows of --train carry --soft-labels' labels already).");
            options.TestSoftLabels = TeacherCache.ReadMatching(testCache, testFile, teacherModelFile: null, temperatureValue ?? 1f, token);
            Console.Error.WriteLine($"test rows judged against the labels of {TeacherCache.ReadMetadata(testCache).TeacherFile} ({testCache})");
        }

        return options;
    }

    /// <summary>Reads the training, test and transfer files, saying which of them have no labels and what that means.</summary>
    private static (IDataView Train, IDataView? Test, IDataView? Transfer, bool TrainLabeled) ReadData(ParseResult parse, Arguments a)
    {
        string trainPath = parse.GetValue(a.Train)!;
        string? labelName = parse.GetValue(a.Label);
        string? textName = parse.GetValue(a.Text);
        string[] Ignored(string path) => IgnoreColumnsOption.For(path, IgnoreColumnsOption.Parse(parse.GetValue(a.Ignore)), trainPath, parse.GetValue(a.Test), parse.GetValue(a.Transfer));
        IDataView Read(string path, bool labelOptional) => textName is null
            ? DataSourceReader.Load(path, labelName, labelOptional, Ignored(path))
            : DataSourceReader.LoadText(path, textName, labelName, labelOptional, Ignored(path));

        IDataView trainData = Read(trainPath, TrainLabelOptional(trainPath, labelName, parse.GetValue(a.Test)));
        bool trainLabeled = trainData.Schema.GetColumnOrNull(DataColumnNames.Label) is not null;
        if (!trainLabeled)
        {
            Console.Error.WriteLine($"--train {trainPath} has no label column: the student learns from the soft labels alone (pass --label NAME if the file has labels under another name).");
        }

        // Test rows nobody labeled are still measured against the teacher (agreement, KL); label metrics are then NaN.
        IDataView? testData = parse.GetValue(a.Test) is string testPath ? Read(testPath, true) : null;
        if (testData is not null && testData.Schema.GetColumnOrNull(DataColumnNames.Label) is null)
        {
            Console.Error.WriteLine($"--test {parse.GetValue(a.Test)} has no label column: accuracy, macro-F1 and log-loss are not measured (NaN in the report); agreement and KL to the teacher are.");
        }

        IDataView? transferData = parse.GetValue(a.Transfer) is string transferPath ? Read(transferPath, true) : null;
        return (trainData, testData, transferData, trainLabeled);
    }

    /// <summary>The run's figures on stdout: teacher, student, twins, inheritance, cascade, ONNX, augmentation, budget.</summary>
    private static void PrintResult(DistillationReport written, DistillationSavedModel saved, bool baselineWithoutLabels, string reportPath)
    {
        if (double.IsNaN(written.Teacher.Accuracy) && double.IsNaN(written.Student.Accuracy))
        {
            Console.WriteLine("the test rows have no labels: accuracy and log-loss are not measured (n/a); agreement and KL to the teacher are");
        }

        Console.WriteLine($"teacher  accuracy {Measured(written.Teacher.Accuracy)}");
        Console.WriteLine($"student  accuracy {Measured(written.Student.Accuracy)}  agreement {Measured(written.Student.Agreement)}  logLoss {Measured(written.Student.LogLoss)}  KL {Measured(written.Student.KlToTeacher)}  ({written.Student.ModelBytes:N0} bytes, {written.Student.TrainSeconds:F1} s)");
        if (written.Baseline is { } b)
        {
            Console.WriteLine($"baseline accuracy {Measured(b.Accuracy)}  agreement {Measured(b.Agreement)}  logLoss {Measured(b.LogLoss)}  KL {Measured(b.KlToTeacher)}  ({b.ModelBytes:N0} bytes, {b.TrainSeconds:F1} s)");
        }
        else if (baselineWithoutLabels)
        {
            Console.WriteLine("baseline not trained: --train has no hard labels (\"baseline\": null in the report; --pseudo-baseline trains on the teacher's labels instead)");
        }

        if (written.PseudoBaseline is { } p)
        {
            Console.WriteLine($"pseudo   accuracy {Measured(p.Accuracy)}  agreement {Measured(p.Agreement)}  logLoss {Measured(p.LogLoss)}  KL {Measured(p.KlToTeacher)}  ({p.ModelBytes:N0} bytes, {p.TrainSeconds:F1} s); soft labels {Gain(written.Student.Accuracy - p.Accuracy)} accuracy over pseudo-labels");
        }

        if (written.Inheritance is { } inherited)
        {
            Console.WriteLine($"inherit  of the teacher's {inherited.TeacherMistakes:N0} mistakes the student copied {inherited.Copied:N0}, fixed {inherited.Fixed:N0}, erred otherwise on {inherited.OtherMistakes:N0}; {inherited.NewMistakes:N0} new mistakes");
        }

        if (written.Cascade is { } cascade)
        {
            Console.WriteLine(CascadeLine(cascade, written.Student.Accuracy, written.Teacher.Accuracy));
        }

        Console.WriteLine(saved.OnnxFile is { } onnxFile ? $"onnx     {onnxFile} ({saved.OnnxBytes:N0} bytes)" : $"onnx     none: {saved.OnnxNote}");
        if (written.Augmentation is { } a)
        {
            Console.WriteLine($"augment  {a.Method}: {a.SyntheticRows:N0} synthetic rows labeled by the teacher in {a.TeacherSeconds:F1} s ({a.TeacherShare:P0} of its time)");
        }

        if (written.Budget is { } bought)
        {
            string chart = Path.ChangeExtension(reportPath, ".budget.png");
            MLNetDistill.Reports.BudgetCurveChart.Save(bought, chart);
            Console.WriteLine($"budget   {bought.Strategy}: {bought.Bought:N0} of {bought.PoolRows:N0} transfer rows bought in {bought.Rounds} rounds ({bought.TeacherCalls:N0} teacher calls with the random curve); agreement {Measured(bought.Curve[^1].Agreement)}"
                + (bought.Random.Count > 0 && !ReferenceEquals(bought.Random, bought.Curve) ? $" vs {Measured(bought.Random[^1].Agreement)} for as many random rows" : "") + $"; chart: {chart}");
        }

        Console.WriteLine(double.IsNaN(written.RetainedAccuracy) ? $"retained accuracy n/a (no test labels); report: {reportPath}" : $"retained accuracy {written.RetainedAccuracy:P1}; report: {reportPath}");
    }

    /// <summary>The command's flags, one property each, in the order the help lists them.</summary>
    private sealed class Arguments
    {
        public Option<string?> Teacher { get; } = new("--teacher") { Description = "The teacher's .onnx file (or --soft-labels for soft labels made earlier: then no teacher is needed)." };

        public Option<string> Train { get; } = new("--train") { Description = "Training data (CSV/TSV, Parquet or IDX), usually labeled; without a label column the student learns from the soft labels alone (--teacher or --soft-labels).", Required = true };

        public Option<string?> Test { get; } = new("--test") { Description = "Evaluation data (default: 20% of --train held out); without labels, only agreement and KL to the teacher are measured." };

        public Option<string?> Label { get; } = new("--label") { Description = "The label column of CSV or Parquet files (default: a column named Label)." };

        public Option<string> Student { get; } = new("--student") { Description = "Student spec: " + StudentSpec.Describe(), Required = true };

        public Option<float?> Temperature { get; } = new("--temperature") { Description = "Soft-label temperature (default 1)." };

        public Option<float?> Alpha { get; } = new("--alpha") { Description = $"Weight of the soft labels against hard labels, in [0, 1] (default 0.5; {StudentSpec.Parse("mlp:1").DefaultAlpha.ToString(System.Globalization.CultureInfo.InvariantCulture)} for mlp)." };

        public Option<string?> Transfer { get; } = new("--transfer") { Description = "Unlabeled rows for the teacher to label (same features as --train; a label column there may be absent, and is ignored)." };

        public Option<string?> SoftLabels { get; } = new("--soft-labels") { Description = "A teacher cache of --train (file, folder or glob of shards) used instead of running the teacher on it." };

        public Option<string?> Augment { get; } = new("--augment") { Description = "Offline augmentation: synthetic rows the teacher labels for the student (not its hard-label twin): " + AugmentationOptions.Describe() };

        public Option<string?> TestSoftLabels { get; } = new("--test-soft-labels") { Description = "A teacher cache of --test (e.g. from `label`): agreement, KL and the inheritance table are measured against it, for a teacher known only by its labels." };

        public Option<string?> Text { get; } = new("--text") { Description = "The text column of CSV files: students become text students (ML.NET FeaturizeText inside the model; the spec's text=word2,char3 sets the n-grams)." };

        public Option<bool> Baseline { get; } = new("--baseline") { Description = "Also train the same student on hard labels only." };

        public Option<bool> PseudoBaseline { get; } = new("--pseudo-baseline") { Description = "Also train the same student on the teacher's arg-max labels (pseudo-labels) of the same rows: what soft labels add over pseudo-labeling." };

        public Option<int> Seed { get; } = new("--seed") { Description = "Seed (same inputs and seed give the same model).", DefaultValueFactory = _ => 0 };

        public Option<string> Output { get; } = new("--out") { Description = "The student model: STUDENT.zip, and STUDENT.onnx beside it for every student that converts (every family on numeric features; a text student has no ONNX form, and REPORT.json's onnxNote says why).", Required = true };

        public Option<string> Report { get; } = new("--report") { Description = "The report: REPORT.json.", Required = true };

        public Option<string?> Ignore { get; } = IgnoreColumnsOption.Create();

        public Option<string?> Budget { get; } = new("--budget") { Description = "Budgeted labeling: the teacher labels only this many --transfer rows (900), or this share of them (20%), chosen by the student round by round (--select); REPORT.json's budget holds the curve and the same budgets spent at random, drawn in REPORT.budget.png beside it." };

        public Option<string?> Select { get; } = new("--select") { Description = "How --budget picks the rows: margin (default), entropy, random, or diverse (margin, then k-center greedy on the student's probabilities)." };

        public Option<int?> BudgetRounds { get; } = new("--budget-rounds") { Description = $"The rounds --budget is spent in (default {BudgetOptions.DefaultRounds})." };

        /// <summary>Gets the teacher's scoring flags (device, batch, inputs, ...).</summary>
        public TeacherOptions TeacherScoring { get; } = new();

        /// <summary>Gets the cascade's flags.</summary>
        public CascadeFlags Cascade { get; } = new();

        /// <summary>Gets the flags in the order the help lists them.</summary>
        public IEnumerable<Option> InHelpOrder => [Teacher, Train, Test, Label, Student, Temperature, Alpha, Transfer, SoftLabels, Augment, Baseline, PseudoBaseline, Seed, Output, Report, TestSoftLabels, Text, Ignore, Budget, Select, BudgetRounds];
    }

    /// <summary>The cascade as printed: the share of test rows sent to the teacher, the cascade's accuracy beside the student's and the teacher's, and whether the held-out rows met the target.</summary>
    private static string CascadeLine(DistillationCascadeReport cascade, double studentAccuracy, double teacherAccuracy)
    {
        var c = System.Globalization.CultureInfo.InvariantCulture;
        string quality = cascade.Accuracy is double a
            ? $"accuracy {Measured(a)} (student alone {Measured(studentAccuracy)}, teacher {Measured(teacherAccuracy)}; {(double.IsNaN(a / teacherAccuracy) ? "n/a" : (a / teacherAccuracy).ToString("P1", c))} of the teacher's)"
            : "accuracy n/a (no test labels)";
        return $"cascade  {cascade.Rule}: {cascade.DeferredShare.ToString("P1", c)} of the test rows to the teacher (threshold {cascade.Threshold.ToString("G4", c)} chosen on {cascade.HeldOutRows:N0} held-out training rows), {quality}, agreement {Measured(cascade.Agreement)}" +
            (cascade.TargetMet ? "" : "; the target was not met on the held-out rows, so every row goes to the teacher") +
            (cascade.HeldOutRows < DistillationCascadeMeasure.MinTrustedRows ? $"; warning: only {cascade.HeldOutRows:N0} held-out rows chose the threshold, too few to trust it (give --train at least {DistillationCascadeMeasure.MinTrustedRows * 10:N0} rows)" : "");
    }

    /// <summary>A difference of accuracies as printed, with its sign (<c>+0.0123</c>), or <c>n/a</c>.</summary>
    private static string Gain(double value) => MLNetDistill.Reports.LeaderboardMarkdown.Gain(value);

    /// <summary>A metric as printed: four decimals, or <c>n/a</c> when it was not measured (no test labels).</summary>
    private static string Measured(double value) =>
        double.IsNaN(value) ? "n/a" : value.ToString("F4", System.Globalization.CultureInfo.InvariantCulture);

    private static DistillationExperimentResult Run(DistillationExperiment experiment, DistillationStudent student, bool baseline,
        IDataView train, IDataView? test, IDataView? transfer, CancellationToken token)
    {
        if (student.Spec is { IsNeural: true } && Spectre.Console.AnsiConsole.Profile.Capabilities.Interactive && !Console.IsErrorRedirected)
        {
            // A progress bar over the epochs of the student (and of its hard-label twin): the automatic schedule's
            // search, then its final pass over every row, each with the epoch count the trainer reports.
            return ProgressDisplay.RunSteps(bar => experiment.Run(train, test, transfer, new LineProgress(p =>
            {
                if (p.Epoch is { } e)
                {
                    string model = p.Stage switch { DistillationStage.TrainingBaseline => "hard-label twin", DistillationStage.TrainingPseudoBaseline => "pseudo-label twin", _ => "student" };
                    bar.Report(($"{model}: {(e.Refit ? "final pass" : "epoch")} {e.Epoch}/{e.Epochs}", e.Epoch, e.Epochs));
                }
                else
                {
                    bar.Report((p.Message, 0, 1));
                }
            }), token));
        }

        return experiment.Run(train, test, transfer, new LineProgress(p => Console.Error.WriteLine(p.Message)), token);
    }

    /// <summary>
    /// Whether <c>--train</c> may lack the label column <c>--label</c> names: when <c>--test</c> has it, the training rows are
    /// rows nobody labeled (the student learns from the soft labels alone) judged on labeled test rows; when no file has it,
    /// the name is a mistake and reading <c>--train</c> says so.
    /// </summary>
    internal static bool TrainLabelOptional(string trainPath, string? labelName, string? testPath) =>
        labelName is not null && testPath is not null
        && !DataSourceReader.ColumnNames(trainPath).Contains(labelName, StringComparer.OrdinalIgnoreCase)
        && DataSourceReader.ColumnNames(testPath).Contains(labelName, StringComparer.OrdinalIgnoreCase);

    /// <summary>Parses <c>--augment</c>; the library's error, with its parameter name dropped, under the flag's name.</summary>
    internal static AugmentationOptions ParseAugmentation(string spec)
    {
        try
        {
            return AugmentationOptions.Parse(spec);
        }
        catch (ArgumentException e)
        {
            // The library names its own parameters; the user typed one flag.
            string message = e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal);
            if (e is ArgumentOutOfRangeException { ActualValue: { } actual })
            {
                message = message.Replace($"Actual value was {actual}.", "", StringComparison.Ordinal);
            }

            throw new ArgumentException($"'{spec}': {message.Trim()}", nameof(DistillationExperimentOptions.Augmentation), e);
        }
    }

    /// <summary>Reports on the calling thread, in order (unlike <see cref="Progress{T}"/>, which posts to the thread pool).</summary>
    private sealed class LineProgress(Action<DistillationProgress> report) : IProgress<DistillationProgress>
    {
        public void Report(DistillationProgress value) => report(value);
    }
}
