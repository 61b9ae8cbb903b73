using System.Text.Json;
using MLNetDistill.Data;
using MLNetDistill.Tests.Data;
using Parquet;
using Parquet.Schema;

namespace MLNetDistill.Tests.Cli;

/// <summary>The user story "the teacher labels rows nobody labeled": <c>distill --transfer</c> with unlabeled CSV, Parquet and IDX files.</summary>
[Collection("Console")]
public sealed class DistillTransferTests : IDisposable
{
    private const int TrainRows = 200;
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Distill_TransferCsvWithoutLabelColumn_TeacherLabelsItsRows()
    {
        var (train, transferRows) = SplitBreastCancer();
        string transfer = _temp.Write("transfer.csv", Csv(transferRows, withLabel: false));

        var json = Distill(train, transfer, "unlabeled");

        Assert.Equal(TrainRows, json.GetProperty("trainRows").GetInt64());
        Assert.Equal(transferRows.Count, json.GetProperty("transferRows").GetInt64());
        Assert.Equal(569, json.GetProperty("testRows").GetInt64());
        Assert.Equal(TrainRows + transferRows.Count + 569, json.GetProperty("teacherRowsScored").GetInt64());
        Assert.InRange(json.GetProperty("student").GetProperty("accuracy").GetDouble(), 0.9, 1.0);
    }

    [Fact]
    public void Distill_TransferWithLabelColumn_IgnoresTheLabels()
    {
        var (train, transferRows) = SplitBreastCancer();
        string unlabeled = _temp.Write("transfer.csv", Csv(transferRows, withLabel: false));
        string labeled = _temp.Write("transfer-labeled.csv", Csv(transferRows, withLabel: true));
        var withoutLabels = Distill(train, unlabeled, "unlabeled");

        // The labels in the transfer file are all wrong on purpose: ignored, they change nothing.
        string wrong = _temp.Write("transfer-wrong.csv", Csv(transferRows.Select(r => r with { Label = 1 - r.Label }).ToList(), withLabel: true));
        var withLabels = Distill(train, labeled, "labeled");
        var withWrongLabels = Distill(train, wrong, "wrong");

        Assert.Equal(transferRows.Count, withLabels.GetProperty("transferRows").GetInt64());
        Assert.Equal(Figures(withoutLabels), Figures(withLabels));
        Assert.Equal(Figures(withoutLabels), Figures(withWrongLabels));
    }

    [Fact]
    public void Distill_TransferParquetWithoutLabelColumn_SameAsTheCsv()
    {
        var (train, transferRows) = SplitBreastCancer();
        string csv = _temp.Write("transfer.csv", Csv(transferRows, withLabel: false));
        string parquet = _temp.File("transfer.parquet");
        WriteParquet(parquet, transferRows);

        var fromCsv = Distill(train, csv, "csv");
        var fromParquet = Distill(train, parquet, "parquet");

        Assert.Equal(transferRows.Count, fromParquet.GetProperty("transferRows").GetInt64());
        Assert.Equal(Figures(fromCsv), Figures(fromParquet));
    }

    [Fact]
    public void Distill_TransferIdxImagesWithoutLabelFile_TeacherLabelsThem()
    {
        var (pixels, _, cols, labels) = IdxReader.ReadAll(TestPaths.FashionImages);
        string trainImages = WriteIdx("train", pixels, cols, 0, 300, labels);
        string transferImages = WriteIdx("transfer", pixels, cols, 300, 200, labels: null);
        string testImages = WriteIdx("test", pixels, cols, 500, 200, labels);

        var (code, _, error) = CliRunner.Run("distill", "--teacher", TestPaths.FashionTeacher, "--train", trainImages, "--transfer", transferImages, "--test", testImages,
            "--student", "sdca:iterations=5", "--out", _temp.File("idx.zip"), "--report", _temp.File("idx.json"));

        Assert.True(code == 0, error);
        var json = JsonDocument.Parse(File.ReadAllText(_temp.File("idx.json"))).RootElement;
        Assert.Equal(300, json.GetProperty("trainRows").GetInt64());
        Assert.Equal(200, json.GetProperty("transferRows").GetInt64());
        Assert.Equal(700, json.GetProperty("teacherRowsScored").GetInt64());
    }

    [Fact]
    public void Distill_TestCsvWithoutLabelColumn_ReportsAgreementAndKlOnly()
    {
        var (train, rows) = SplitBreastCancer();
        string unlabeledTest = _temp.Write("test-unlabeled.csv", Csv(rows, withLabel: false));
        string labeledTest = _temp.Write("test-labeled.csv", Csv(rows, withLabel: true));
        string report = _temp.File("unlabeled-test.json");
        string labeledReport = _temp.File("labeled-test.json");

        var (code, _, error) = CliRunner.Run("distill", "--teacher", TestPaths.Fixture("binary_teacher.onnx"), "--train", train, "--test", unlabeledTest,
            "--label", "label", "--student", "sdca", "--seed", "2", "--out", _temp.File("u.zip"), "--report", report);
        var (labeledCode, _, labeledError) = CliRunner.Run("distill", "--teacher", TestPaths.Fixture("binary_teacher.onnx"), "--train", train, "--test", labeledTest,
            "--label", "label", "--student", "sdca", "--seed", "2", "--out", _temp.File("l.zip"), "--report", labeledReport);

        Assert.True(code == 0, error);
        Assert.True(labeledCode == 0, labeledError);
        Assert.Contains("has no label column: accuracy, macro-F1 and log-loss are not measured", error, StringComparison.Ordinal);
        var student = JsonDocument.Parse(File.ReadAllText(report)).RootElement.GetProperty("student");
        var labeledStudent = JsonDocument.Parse(File.ReadAllText(labeledReport)).RootElement.GetProperty("student");
        Assert.Equal("NaN", student.GetProperty("accuracy").GetString());
        Assert.Equal("NaN", student.GetProperty("logLoss").GetString());
        // The same rows, labeled or not, give the same agreement and KL to the teacher.
        Assert.Equal(labeledStudent.GetProperty("agreement").GetDouble(), student.GetProperty("agreement").GetDouble(), 12);
        Assert.Equal(labeledStudent.GetProperty("klToTeacher").GetDouble(), student.GetProperty("klToTeacher").GetDouble(), 12);
        Assert.InRange(student.GetProperty("agreement").GetDouble(), 0.9, 1.0);
    }

    [Fact]
    public void Distill_TrainWithoutLabelColumn_LearnsFromTeacherAloneAndOnlyThePseudoTwinTrains()
    {
        var (_, rows) = SplitBreastCancer();
        string unlabeled = _temp.Write("train-unlabeled.csv", Csv(rows, withLabel: false));
        string report = _temp.File("t.json");

        var (code, output, error) = CliRunner.Run("distill", "--teacher", TestPaths.Fixture("binary_teacher.onnx"), "--train", unlabeled,
            "--student", "sdca", "--baseline", "--pseudo-baseline", "--out", _temp.File("t.zip"), "--report", report);

        Assert.True(code == 0, error);
        Assert.Contains("has no label column: the student learns from the soft labels alone", error, StringComparison.Ordinal);
        Assert.Contains("the hard-label baseline cannot be trained", error, StringComparison.Ordinal);
        Assert.Contains("baseline not trained: --train has no hard labels", output, StringComparison.Ordinal);
        Assert.Contains("pseudo   accuracy n/a  agreement ", output, StringComparison.Ordinal);
        var json = JsonDocument.Parse(File.ReadAllText(report)).RootElement;
        Assert.Equal(JsonValueKind.Null, json.GetProperty("baseline").ValueKind);
        // The held-out fifth has no labels either: measured against the teacher only.
        Assert.True(json.GetProperty("testHeldOut").GetBoolean());
        Assert.Equal(rows.Count, json.GetProperty("trainRows").GetInt64() + json.GetProperty("testRows").GetInt64());
        Assert.Equal("NaN", json.GetProperty("student").GetProperty("accuracy").GetString());
        Assert.InRange(json.GetProperty("student").GetProperty("agreement").GetDouble(), 0.9, 1.0);
        Assert.Equal("NaN", json.GetProperty("pseudoBaseline").GetProperty("accuracy").GetString());
        Assert.InRange(json.GetProperty("pseudoBaseline").GetProperty("agreement").GetDouble(), 0.9, 1.0);
    }

    [Fact]
    public void Distill_PseudoBaselineWithTransfer_ReportHasPseudoBaselineAndPrintsTheGain()
    {
        var (train, transferRows) = SplitBreastCancer();
        string transfer = _temp.Write("transfer.csv", Csv(transferRows, withLabel: false));
        string report = _temp.File("r.json");

        var (code, output, error) = CliRunner.Run("distill", "--teacher", TestPaths.Fixture("binary_teacher.onnx"), "--train", train, "--transfer", transfer,
            "--label", "label", "--student", "sdca", "--pseudo-baseline", "--out", _temp.File("r.zip"), "--report", report);

        Assert.True(code == 0, error);
        var json = JsonDocument.Parse(File.ReadAllText(report)).RootElement;
        double pseudo = json.GetProperty("pseudoBaseline").GetProperty("accuracy").GetDouble();
        Assert.InRange(pseudo, 0.85, 1.0);
        Assert.Equal(JsonValueKind.Null, json.GetProperty("baseline").ValueKind);
        double gain = json.GetProperty("student").GetProperty("accuracy").GetDouble() - pseudo;
        Assert.Contains($"pseudo   accuracy {pseudo.ToString("F4", System.Globalization.CultureInfo.InvariantCulture)}", output, StringComparison.Ordinal);
        Assert.Contains($"soft labels {MLNetDistill.Reports.LeaderboardMarkdown.Gain(gain)} accuracy over pseudo-labels", output, StringComparison.Ordinal);
        // Exactly the rows the student learned from: the training rows left after the held-out fifth, plus every transfer row.
        long rows = json.GetProperty("trainRows").GetInt64() + json.GetProperty("transferRows").GetInt64();
        Assert.Equal(transferRows.Count, json.GetProperty("transferRows").GetInt64());
        Assert.Contains($"training sdca on the teacher's arg-max labels (pseudo-label baseline) from {rows:N0} rows", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Distill_TrainWithoutTheNamedLabelColumn_FailsNamingIt()
    {
        var (_, rows) = SplitBreastCancer();
        string unlabeled = _temp.Write("train-unlabeled.csv", Csv(rows, withLabel: false));

        var (code, _, error) = CliRunner.Run("distill", "--teacher", TestPaths.Fixture("binary_teacher.onnx"), "--train", unlabeled, "--label", "label",
            "--student", "sdca", "--out", _temp.File("t.zip"), "--report", _temp.File("t.json"));

        Assert.NotEqual(0, code);
        Assert.Contains("Label column 'label' is not in", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Distill_TrainWithoutTheNamedLabelColumnThatTestHas_LearnsFromTheTeacherAndMeasuresAccuracy()
    {
        var (_, rows) = SplitBreastCancer();
        string unlabeled = _temp.Write("train-unlabeled.csv", Csv(rows, withLabel: false));
        string report = _temp.File("u.json");

        var (code, _, error) = CliRunner.Run("distill", "--teacher", TestPaths.Fixture("binary_teacher.onnx"), "--train", unlabeled, "--label", "label",
            "--test", TestPaths.Fixture("breast_cancer.csv"), "--student", "sdca", "--pseudo-baseline", "--out", _temp.File("u.zip"), "--report", report);

        Assert.True(code == 0, error);
        Assert.Contains("has no label column", error, StringComparison.Ordinal);
        var written = JsonDocument.Parse(File.ReadAllText(report)).RootElement;
        Assert.InRange(written.GetProperty("student").GetProperty("accuracy").GetDouble(), 0.8, 1.0); // measured on the labeled test rows
        Assert.Equal(JsonValueKind.Object, written.GetProperty("pseudoBaseline").ValueKind);
    }

    private JsonElement Distill(string train, string transfer, string name)
    {
        string report = _temp.File(name + ".json");
        var (code, _, error) = CliRunner.Run("distill", "--teacher", TestPaths.Fixture("binary_teacher.onnx"), "--train", train, "--transfer", transfer,
            "--test", TestPaths.Fixture("breast_cancer.csv"), "--label", "label", "--student", "sdca", "--seed", "2", "--out", _temp.File(name + ".zip"), "--report", report);
        Assert.True(code == 0, error);
        return JsonDocument.Parse(File.ReadAllText(report)).RootElement;
    }

    private static string Figures(JsonElement report)
    {
        var s = report.GetProperty("student");
        return string.Join(" ", new[] { "accuracy", "macroF1", "logLoss", "agreement", "klToTeacher", "modelBytes" }.Select(f => s.GetProperty(f).GetRawText()));
    }

    /// <summary>The first 200 rows of breast_cancer.csv as a labeled training file; the other 369 as rows for transfer files.</summary>
    private (string Train, List<Row> Transfer) SplitBreastCancer()
    {
        string[] lines = File.ReadAllLines(TestPaths.Fixture("breast_cancer.csv"));
        string train = _temp.Write("train.csv", string.Join('\n', lines.Take(TrainRows + 1)) + "\n");
        var rows = lines.Skip(TrainRows + 1).Select(line =>
        {
            string[] cells = line.Split(',');
            return new Row(cells[..^1], float.Parse(cells[^1], System.Globalization.CultureInfo.InvariantCulture));
        }).ToList();
        return (train, rows);
    }

    private static string Csv(IReadOnlyList<Row> rows, bool withLabel)
    {
        string header = File.ReadLines(TestPaths.Fixture("breast_cancer.csv")).First();
        if (!withLabel)
        {
            header = header[..header.LastIndexOf(',')];
        }

        return header + "\n" + string.Concat(rows.Select(r => string.Join(',', r.Cells) + (withLabel ? "," + r.Label.ToString(System.Globalization.CultureInfo.InvariantCulture) : "") + "\n"));
    }

    private static void WriteParquet(string path, IReadOnlyList<Row> rows)
    {
        string[] names = File.ReadLines(TestPaths.Fixture("breast_cancer.csv")).First().Split(',')[..^1];
        var fields = names.Select(n => new DataField<float>(n)).ToArray();
        using FileStream stream = File.Create(path);
        ParquetWriter writer = ParquetWriter.CreateAsync(new ParquetSchema(fields), stream).GetAwaiter().GetResult();
        using (ParquetRowGroupWriter group = writer.CreateRowGroup())
        {
            for (int c = 0; c < fields.Length; c++)
            {
                float[] column = [.. rows.Select(r => float.Parse(r.Cells[c], System.Globalization.CultureInfo.InvariantCulture))];
                group.WriteAsync<float>(fields[c], column.AsMemory()).GetAwaiter().GetResult();
            }
        }

        writer.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    private string WriteIdx(string name, float[] pixels, int cols, int first, int count, float[]? labels)
    {
        string images = _temp.File($"{name}-images-idx3-ubyte");
        var rows = Enumerable.Range(first, count).Select(i => pixels.AsSpan(i * cols, cols).ToArray().Select(p => (byte)MathF.Round(p * 255)).ToArray()).ToArray();
        IdxFiles.WriteImages(images, rows, 28, 28);
        if (labels is not null)
        {
            IdxFiles.WriteLabels(_temp.File($"{name}-labels-idx1-ubyte"), [.. Enumerable.Range(first, count).Select(i => (byte)labels[i])]);
        }

        return images;
    }

    private sealed record Row(string[] Cells, float Label);
}
