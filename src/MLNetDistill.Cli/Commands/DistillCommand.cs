using System.CommandLine;
using Microsoft.ML;
using MLNetDistill.Students;

namespace MLNetDistill.Cli.Commands;

/// <summary><c>mlnet-distill distill</c>: train a student on a teacher's soft labels and report how it compares.</summary>
internal static class DistillCommand
{
    public static Command Create()
    {
        var teacher = new Option<string?>("--teacher") { Description = "The teacher's .onnx file." };
        var train = new Option<string>("--train") { Description = "Labeled training data (CSV/TSV, Parquet or IDX).", Required = true };
        var test = new Option<string?>("--test") { Description = "Evaluation data (default: 20% of --train held out)." };
        var label = new Option<string?>("--label") { Description = "The label column of CSV or Parquet files." };
        var student = new Option<string>("--student") { Description = "Student spec: " + StudentSpec.Describe(), Required = true };
        var temperature = new Option<float?>("--temperature") { Description = "Soft-label temperature (default 1)." };
        var alpha = new Option<float?>("--alpha") { Description = "Weight of the soft labels against hard labels, in [0, 1] (default 0.5; 0.7 for mlp)." };
        var transfer = new Option<string?>("--transfer") { Description = "Unlabeled rows for the teacher to label (a label column there is ignored)." };
        var softLabels = new Option<string?>("--soft-labels") { Description = "A teacher cache of --train (file, folder or glob of shards) used instead of running the teacher on it." };
        var baseline = new Option<bool>("--baseline") { Description = "Also train the same student on hard labels only." };
        var seed = new Option<int>("--seed") { Description = "Seed (same inputs and seed give the same model).", DefaultValueFactory = _ => 0 };
        var output = new Option<string>("--out") { Description = "The student model: STUDENT.zip (and STUDENT.onnx for mlp students).", Required = true };
        var report = new Option<string>("--report") { Description = "The report: REPORT.json.", Required = true };
        var command = new Command("distill", "Train a student on a teacher's soft labels and compare it with the teacher (and its hard-label twin).")
        {
            teacher, train, test, label, student, temperature, alpha, transfer, softLabels, baseline, seed, output, report,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(_ =>
        {
            var options = new DistillationRunOptions
            {
                Teacher = parse.GetValue(teacher),
                Train = parse.GetValue(train)!,
                Test = parse.GetValue(test),
                Label = parse.GetValue(label),
                Student = parse.GetValue(student)!,
                Temperature = parse.GetValue(temperature),
                Alpha = parse.GetValue(alpha),
                Transfer = parse.GetValue(transfer),
                SoftLabelsCache = parse.GetValue(softLabels),
                Baseline = parse.GetValue(baseline),
                Seed = parse.GetValue(seed),
                Out = parse.GetValue(output)!,
                Report = parse.GetValue(report)!,
            };
            var spec = StudentSpec.Parse(options.Student);
            DistillationReport result;
            if (spec.IsNeural && Spectre.Console.AnsiConsole.Profile.Capabilities.Interactive && !Console.IsErrorRedirected)
            {
                // A progress bar over the epochs of the student (and of its hard-label twin).
                int epochs = (int)spec["epochs"] * (options.Baseline ? 2 : 1);
                result = ProgressDisplay.Run("training", epochs, progress =>
                {
                    int done = 0;
                    options.EpochProgress = new EpochCounter(() => progress.Report(++done));
                    return DistillationRun.Run(new MLContext(options.Seed), options);
                });
            }
            else
            {
                result = DistillationRun.Run(new MLContext(options.Seed), options, line => Console.Error.WriteLine(line));
            }

            Console.WriteLine($"teacher  accuracy {result.Teacher.Accuracy:F4}");
            Console.WriteLine($"student  accuracy {result.Student.Accuracy:F4}  agreement {result.Student.Agreement:F4}  logLoss {result.Student.LogLoss:F4}  ({result.Student.ModelBytes:N0} bytes, {result.Student.TrainSeconds:F1} s)");
            if (result.Baseline is { } b)
            {
                Console.WriteLine($"baseline accuracy {b.Accuracy:F4}  agreement {b.Agreement:F4}  logLoss {b.LogLoss:F4}  ({b.ModelBytes:N0} bytes, {b.TrainSeconds:F1} s)");
            }

            Console.WriteLine($"retained accuracy {result.RetainedAccuracy:P1}; report: {options.Report}");
            return Task.FromResult(0);
        }, ct));
        return command;
    }

    private sealed class EpochCounter(Action onEpoch) : IProgress<MLNetDistill.Students.Mlp.MlpEpochProgress>
    {
        public void Report(MLNetDistill.Students.Mlp.MlpEpochProgress value) => onEpoch();
    }
}
