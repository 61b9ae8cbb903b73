using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.OnnxRuntime;
using MLNetDistill.Data;
using MLNetDistill.Numerics;
using MLNetDistill.Students.Mlp;

namespace MLNetDistill.Benchmarks.Students;

/// <summary>
/// The shape of Hinton et al. 2015 Table 1 on Fashion-MNIST with the embedded CNN teacher: the same MLP trained on
/// hard labels vs distilled at T in {1, 2, 4, 8}, same data and epochs, mean and spread over seeds; then how much of
/// the teacher's accuracy 784-64-10 and 784-256-10 students keep and how much faster they score.
/// Run: dotnet run -c Release --project tests/MLNetDistill.Benchmarks -- kd-table [transferRows] [epochs] [seeds]
/// </summary>
internal static class KdTableExperiment
{
    public static int Run(string[] args)
    {
        int transferRows = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 5000;
        int epochs = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 30;
        int seeds = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 3;
        string trainImages = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";
        var (trainX, trainRows, d, trainY) = IdxReader.ReadAll(trainImages);
        var (testX, testRows, _, testY) = IdxReader.ReadAll(BenchPaths.FashionImages);
        transferRows = Math.Min(transferRows, trainRows);
        Console.WriteLine($"transfer: first {transferRows:N0} rows of the 60k Fashion-MNIST training set; evaluation: the 10k test set; {epochs} epochs; {seeds} seeds");

        var ml = new MLContext(0);
        float[] trainLogits = StudentBench.TeacherLogits(ml, trainX.AsSpan(0, transferRows * d).ToArray(), transferRows, d);
        float[] testLogits = StudentBench.TeacherLogits(ml, testX, testRows, d);
        int k = 10;
        int[] testLabels = Array.ConvertAll(testY!, v => (int)v);
        var teacherEval = StudentBench.Evaluate(testLogits, testLogits, testLabels, k);
        Console.WriteLine($"teacher: accuracy {teacherEval.Accuracy:F4}, logLoss {teacherEval.LogLoss:F4}");
        Console.WriteLine();
        Console.WriteLine("| student | targets | T | accuracy | agreement | logLoss |");
        Console.WriteLine("|---|---|---|---|---|---|");
        int[] labels = Array.ConvertAll(trainY!.AsSpan(0, transferRows).ToArray(), v => (int)v);
        float[] x = trainX.AsSpan(0, transferRows * d).ToArray();
        foreach (int[] hidden in new[] { new[] { 256 }, new[] { 64 } })
        {
            string name = $"784-{string.Join("-", hidden)}-10";
            Row(name, "hard labels", "-", Repeat(seeds, seed => TrainAndEvaluate(x, labels, trainLogits, transferRows, d, k, hidden, epochs, seed, temperature: 1, alpha: 0, testX, testLabels, testLogits, testRows)));
            foreach (float t in new[] { 1f, 2f, 4f, 8f })
            {
                Row(name, "KD 0.7 soft + 0.3 hard", t.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    Repeat(seeds, seed => TrainAndEvaluate(x, labels, trainLogits, transferRows, d, k, hidden, epochs, seed, t, 0.7f, testX, testLabels, testLogits, testRows)));
            }
        }

        Console.WriteLine();
        SpeedTable(testX, testRows, d, k, epochs, x, labels, trainLogits, transferRows);
        return 0;
    }

    private static void SpeedTable(float[] testX, int testRows, int d, int k, int epochs, float[] x, int[] labels, float[] logits, int rows)
    {
        double teacher = RowsPerSecond(File.ReadAllBytes(BenchPaths.CnnTeacher), "input", [1, 28, 28], testX, testRows, d);
        Console.WriteLine($"| model | ONNX rows/s (batch 256) | vs teacher |");
        Console.WriteLine("|---|---|---|");
        Console.WriteLine($"| CNN teacher | {teacher:N0} | 1.0x |");
        foreach (int[] hidden in new[] { new[] { 256 }, new[] { 64 } })
        {
            var model = Train(x, labels, logits, rows, d, k, hidden, epochs, 0, 4f, 0.7f);
            double student = RowsPerSecond(OnnxStudentWriter.ToBytes(model), "features", [d], testX, testRows, d);
            Console.WriteLine($"| 784-{string.Join("-", hidden)}-10 student | {student:N0} | {student / teacher:F1}x |");
        }
    }

    private static double RowsPerSecond(byte[] onnx, string input, long[] rowShape, float[] x, int rows, int d)
    {
        using var session = new InferenceSession(onnx);
        string output = session.OutputMetadata.Keys.First();
        double best = double.MaxValue;
        for (int repeat = 0; repeat < 5; repeat++)
        {
            var watch = Stopwatch.StartNew();
            for (int start = 0; start < rows; start += 256)
            {
                int n = Math.Min(256, rows - start);
                using var value = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, x.AsMemory(start * d, n * d), [n, .. rowShape]);
                using var outputs = session.Run(new RunOptions(), [input], [value], [output]);
            }

            best = Math.Min(best, watch.Elapsed.TotalSeconds);
        }

        return rows / best;
    }

    private static MlpModel Train(float[] x, int[] labels, float[] teacherLogits, int rows, int d, int k, int[] hidden, int epochs, int seed, float temperature, float alpha)
    {
        float[] soft = new float[teacherLogits.Length];
        for (int r = 0; r < rows; r++)
        {
            SoftLabelMath.Softmax(teacherLogits.AsSpan(r * k, k), temperature, soft.AsSpan(r * k, k));
        }

        var options = new MlpTrainerOptions
        {
            HiddenLayerSizes = hidden,
            Epochs = epochs,
            BatchSize = 256, // the batch its README figures were measured with
            Seed = seed,
            Temperature = temperature,
            Alpha = alpha,
            ValidationFraction = 0f, // same data and epochs for every row of the table: no early stopping
        };
        var data = new MlpTrainingData(x, d, k, soft, labels, teacherLogits);
        return new MlpTrainer(options).Train(data);
    }

    private static StudentMetrics TrainAndEvaluate(float[] x, int[] labels, float[] trainLogits, int rows, int d, int k, int[] hidden, int epochs, int seed,
        float temperature, float alpha, float[] testX, int[] testLabels, float[] testLogits, int testRows)
    {
        var model = Train(x, labels, trainLogits, rows, d, k, hidden, epochs, seed, temperature, alpha);
        float[] logits = new float[testRows * k];
        model.Predict(testX, testRows, logits);
        return StudentBench.Evaluate(logits, testLogits, testLabels, k);
    }

    private static StudentMetrics[] Repeat(int seeds, Func<int, StudentMetrics> run) => Enumerable.Range(1, seeds).Select(run).ToArray();

    private static void Row(string student, string targets, string t, StudentMetrics[] runs)
    {
        Console.WriteLine($"| {student} | {targets} | {t} | {StudentBench.Stat(runs.Select(m => m.Accuracy))} | {StudentBench.Stat(runs.Select(m => m.Agreement))} | {StudentBench.Stat(runs.Select(m => m.LogLoss))} |");
    }
}
