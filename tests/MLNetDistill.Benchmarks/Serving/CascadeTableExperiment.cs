using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Transforms;
using MLNetDistill.Data;
using MLNetDistill.Experiments;
using MLNetDistill.Serving;
using MLNetDistill.Students.Mlp;
using MLNetDistill.Teachers;

namespace MLNetDistill.Benchmarks.Serving;

/// <summary>
/// <c>cascade-table [rows=5000] [heldOut=5000] [seed=1] [spec=mlp:128]</c>: the issue's done-means for the cascade. Fashion-MNIST
/// (Debian's full set): the student (<c>distill --student SPEC</c> through <see cref="DistillationExperiment"/>) and the plain ML.NET
/// peer (<c>LbfgsMaximumEntropy</c> on the hard labels) train on training rows [0, rows); each cascade's threshold is chosen
/// on training rows [rows, rows + heldOut), never seen in training; everything is measured on the 10,000 test rows with
/// the CNN teacher. Prints, per student and rule, the test figures at the threshold chosen for 99 % of the teacher's
/// accuracy and for at most 30 % deferred, the test curve at equal deferred shares (the rules compared), and the cost
/// per 1,000 rows of the student, the teacher and the cascade, measured in this one run.
/// </summary>
internal static class CascadeTableExperiment
{
    private const string TrainImages = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";
    private const string TestImages = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";
    private static readonly double[] Shares = [0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 1];

    public static int Run(string[] args)
    {
        int rows = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5000;
        int heldOutRows = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5000;
        int seed = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 1;
        string spec = args.Length > 3 ? args[3] : "mlp:128";
        var ml = new MLContext(seed);
        var all = IdxReader.Load(TrainImages);
        var train = ml.Data.Cache(ml.Data.TakeRows(all, rows));
        var heldOut = ml.Data.Cache(ml.Data.TakeRows(ml.Data.SkipRows(all, rows), heldOutRows));
        var test = ml.Data.Cache(IdxReader.Load(TestImages));
        using var teacher = ml.Transforms.ScoreWithTeacher(new TeacherScoringOptions { ModelFile = BenchPaths.CnnTeacher }).Fit(train);

        var options = new DistillationExperimentOptions { Teacher = teacher, Seed = seed };
        options.Students.Add(DistillationStudent.FromSpec(spec));
        using var result = new DistillationExperiment(new MLContext(seed), options).Run(train, test);
        var student = result.Students[0].Distilled.Model;
        var toKey = ml.Transforms.Conversion.MapValueToKey("Label", "Label", keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue);
        var peer = toKey.Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy()).Fit(train);

        var testRows = HeldOutRows.Read(student, teacher, "Score", "Label", test);
        double teacherAccuracy = Accuracy(testRows.TeacherPredicted, testRows.Labels);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Cascade on Fashion-MNIST: students trained on train rows [0, {rows}), thresholds chosen on train rows [{rows}, {rows + heldOutRows}), measured on the 10,000 test rows; CNN teacher {teacherAccuracy:F4}; seed {seed}; load average {LoadAverage()}"));
        Console.WriteLine();
        Console.WriteLine("| student | rule | target (held-out) | deferred (held-out) | deferred (test) | accuracy (test) | of teacher |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        var curves = new List<(string Name, TestCurveRows Curve)>();
        foreach (var (name, model) in new (string, ITransformer)[] { ($"`{spec}`", student), ("plain ML.NET LbfgsMaximumEntropy", peer) })
        {
            var rowsOnTest = HeldOutRows.Read(model, teacher, "Score", "Label", test);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | alone | - | 0 % | 0 % | {Accuracy(rowsOnTest.StudentPredicted, rowsOnTest.Labels):F4} | {Accuracy(rowsOnTest.StudentPredicted, rowsOnTest.Labels) / teacherAccuracy:P1} |"));
            foreach (var rule in Enum.GetValues<DeferralRule>())
            {
                foreach (var target in new[] { new CascadeTarget { TeacherQualityShare = 0.99 }, new CascadeTarget { MaxDeferredShare = 0.3 } })
                {
                    var cascade = ml.Transforms.Cascade(model, teacher, new CascadeOptions { Rule = rule, Target = target }).Fit(heldOut);
                    var point = TestCurve(cascade, rowsOnTest).At(cascade.Threshold);
                    string goal = target.TeacherQualityShare is { } q ? $"{q:P0} of teacher" : $"≤ {target.MaxDeferredShare:P0} deferred";
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"| {name} | {rule} | {goal} | {cascade.Choice!.DeferredShare:P1}{(cascade.Choice.TargetMet ? "" : " (not met)")} | {point.DeferredShare:P1} | {point.Accuracy:F4} | {point.Accuracy / teacherAccuracy:P1} |"));
                    if (target.MaxDeferredShare is not null)
                    {
                        curves.Add(($"{name} {rule}", TestCurve(cascade, rowsOnTest)));
                    }
                }
            }
        }

        Console.WriteLine();
        Console.WriteLine($"Test accuracy as a share of the teacher's ({teacherAccuracy:F4}) at equal deferred shares (the rows with the lowest confidence deferred; Learned: its model trained on the even held-out rows):");
        Console.WriteLine();
        Console.WriteLine($"| student, rule | {string.Join(" | ", Shares.Select(s => s.ToString("P0", CultureInfo.InvariantCulture)))} |");
        Console.WriteLine($"|---|{string.Concat(Shares.Select(_ => "---|"))}");
        foreach (var (name, curve) in curves)
        {
            var points = CascadeCurve.Measure(curve.Confidence, curve.Student, curve.Teacher, curve.Labels, 21);
            Console.WriteLine($"| {name} | {string.Join(" | ", Shares.Select(s => points.Points.MinBy(p => Math.Abs(p.DeferredShare - s))!).Select(p => (p.Accuracy!.Value / teacherAccuracy).ToString("P1", CultureInfo.InvariantCulture)))} |");
        }

        Cost(ml, student, teacher, heldOut, test);
        return 0;
    }

    private static void Cost(MLContext ml, ITransformer student, TeacherScoringTransformer teacher, IDataView heldOut, IDataView test)
    {
        var cascade = ml.Transforms.Cascade(student, teacher, 0.99).Fit(heldOut);
        double studentMs = Time(() => Count(student.Transform(test), "Score"));
        double teacherMs = Time(() => Count(teacher.Transform(test), DataColumnNames.SoftLabels));
        long before = cascade.RowsDeferred;
        long served = cascade.RowsServed;
        double cascadeMs = Time(() => Count(cascade.Transform(test), "Score"));
        double share = (cascade.RowsDeferred - before) / (double)(cascade.RowsServed - served);
        long n = test.GetRowCount() ?? 10_000;
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Cost per 1,000 test rows (batched Transform, best of 3, load average {LoadAverage()}): student {studentMs * 1000 / n:F1} ms, teacher {teacherMs * 1000 / n:F1} ms, cascade at 99 % of the teacher {cascadeMs * 1000 / n:F1} ms ({share:P1} of rows deferred, {cascade.RowsDeferred - before} teacher calls per {cascade.RowsServed - served} rows)"));
    }

    private static double Time(Action run)
    {
        run();
        double best = double.MaxValue;
        for (int i = 0; i < 3; i++)
        {
            var watch = Stopwatch.StartNew();
            run();
            best = Math.Min(best, watch.Elapsed.TotalMilliseconds);
        }

        return best;
    }

    private static void Count(IDataView data, string column)
    {
        using var cursor = data.GetRowCursor([data.Schema[column]]);
        var getter = cursor.GetGetter<Microsoft.ML.Data.VBuffer<float>>(data.Schema[column]);
        var value = default(Microsoft.ML.Data.VBuffer<float>);
        while (cursor.MoveNext())
        {
            getter(ref value);
        }
    }

    /// <summary>The offline curve on the test rows, with the cascade's own confidence (its learned model for Learned).</summary>
    private static TestCurveRows TestCurve(CascadeTransformer cascade, HeldOutRows rows)
    {
        float[] confidence = new float[rows.Rows];
        cascade.Confidence(rows.Probabilities, confidence);
        return new TestCurveRows(confidence, rows.StudentPredicted, rows.TeacherPredicted, rows.Labels);
    }

    private static double Accuracy(int[] predicted, int[] labels) => Enumerable.Range(0, labels.Length).Count(r => predicted[r] == labels[r]) / (double)labels.Length;

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    private sealed record TestCurveRows(float[] Confidence, int[] Student, int[] Teacher, int[] Labels)
    {
        public CascadePoint At(float threshold) => CascadeCurve.Measure(Confidence, Student, Teacher, Labels).At(threshold);
    }
}
