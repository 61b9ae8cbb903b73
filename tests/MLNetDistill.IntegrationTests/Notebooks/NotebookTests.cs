using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;

namespace MLNetDistill.Tests.Notebooks;

/// <summary>
/// Runs every committed notebook, as committed, in the real .NET Interactive C# kernel (<c>dotnet-repl</c> from the tool
/// manifest, from the notebook's own folder) against the library packed by the command the notebooks document, then
/// checks: no cell failed, every cell that shows one of the library's report types rendered <c>text/html</c> holding its
/// table, and what the cells print agrees with the teacher's recorded facts and with each other.
/// </summary>
public sealed partial class NotebookTests : IClassFixture<NotebookFeed>
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;
    private readonly NotebookFeed _feed;

    public NotebookTests(NotebookFeed feed) => _feed = feed;

    /// <summary>The report types a cell can end with (the first pattern that matches a cell decides), the markup their fragment starts with, and the table it must hold.</summary>
    private static readonly (string Kind, Regex Cell, string Div, string Table)[] Reports =
    [
        ("tradeoff", new(@"\.ToTradeoffChart\(\)\s*$"), "<div class=\"mlnd mlnd-tradeoff\">", "<table class=\"tradeoff\">"),
        ("inheritance", new(@"(ToInheritanceReport\(\)|Inheritance!\.ToHtmlReport\([^)]*\)|new InheritanceTableReport\(.*\))\s*$"), "<div class=\"mlnd mlnd-inheritance\">", "<table class=\"inheritance\">"),
        ("leaderboard", new(@"^result\.ToHtmlReport\(\)\s*$", RegexOptions.Multiline), "<div class=\"mlnd mlnd-student-size\">", "<table class=\"leaderboard\">"),
        ("experiment", new(@"^result\.ToHtmlReport\(\$?""[^\n]*\)\s*$", RegexOptions.Multiline), "<div class=\"mlnd mlnd-experiment\">", "<table class=\"experiment\">"),
        ("quality", new(@"^\w+\.ToHtmlReport\(\$?""[^\n]*\)\s*$", RegexOptions.Multiline), "<div class=\"mlnd mlnd-quality\">", "<table class=\"summary\">"),
    ];

    [Theory]
    [InlineData("01-quickstart.ipynb")]
    [InlineData("02-student-sizes.ipynb")]
    [InlineData("03-neural-students.ipynb")]
    [InlineData("04-bring-your-own-teacher.ipynb")]
    [InlineData("05-text.ipynb")]
    public void Committed_EveryNotebook_HasClearedOutputsAndReferencesThePackedLibraryFirst(string name)
    {
        string path = Path.Combine(NotebookFeed.Folder, name);
        var cells = Notebook.Cells(path);
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        foreach (var cell in doc.RootElement.GetProperty("cells").EnumerateArray().Where(c => c.GetProperty("cell_type").GetString() == "code"))
        {
            Assert.Empty(cell.GetProperty("outputs").EnumerateArray());
            Assert.Equal(JsonValueKind.Null, cell.GetProperty("execution_count").ValueKind);
        }

        // The first cell says how to reference the library; the next two code cells do it: the feed, then the package.
        Assert.Equal("markdown", cells[0].CellType);
        Assert.Contains(_feed.PackCommand, cells[0].Source, StringComparison.Ordinal);
        var code = cells.Where(c => c.CellType == "code").ToList();
        Assert.Contains("#i \\\"nuget: {feed}\\\"", code[0].Source, StringComparison.Ordinal);
        Assert.Contains("\"..\", \"artifacts\", \"packages\"", code[0].Source, StringComparison.Ordinal);
        Assert.StartsWith($"#r \"nuget: MLNetDistill, {_feed.Version}\"", code[1].Source, StringComparison.Ordinal);

        // No path reaches outside the notebook's folder except through "../" (relative to the notebook), none is absolute.
        Assert.DoesNotMatch(new Regex(@"""/(work|home|root|tmp)/"), string.Concat(code.Select(c => c.Source)));
    }

    [Fact]
    public void Quickstart_RealKernel_ScoresTheTeacherAndShowsTheStudentReport()
    {
        var cells = Run("01-quickstart.ipynb", ["quality", "inheritance"]);
        var facts = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.Repo, "samples", "teachers", "fashion_cnn.json"))).RootElement;

        Assert.Equal($"teacher: input input [batch, 1, 28, 28] -> logits [batch, 10], {facts.GetProperty("parameters").GetInt64().ToString("N0", C)} parameters", Plain(cells, "teacher: input"));

        // About 750 held-out images: within 3 points of the teacher's 91.4 % on the whole test set.
        var teacher = Match(cells, @"^teacher accuracy on (?<rows>\d+) held-out images: (?<acc>[0-9.]+)$");
        Assert.InRange(int.Parse(teacher.Groups["rows"].Value, C), 700, 800);
        double teacherAccuracy = double.Parse(teacher.Groups["acc"].Value, C);
        Assert.InRange(teacherAccuracy, facts.GetProperty("testAccuracy").GetDouble() - 0.03, facts.GetProperty("testAccuracy").GetDouble() + 0.03);

        // The chart is an inline PNG; the entropy of the soft labels rises with the temperature.
        Assert.Contains("<img class=\"soft-labels\"", Html(cells, "plot.GetImageBytes"), StringComparison.Ordinal);
        var entropies = Regex.Matches(Plain(cells, "temperatures.Zip(entropies"), @"T=(\d+): ([0-9.]+)").Select(m => double.Parse(m.Groups[2].Value, C)).ToArray();
        Assert.Equal(4, entropies.Length);
        Assert.True(entropies.Zip(entropies.Skip(1), (a, b) => b > a).All(x => x), $"entropies {string.Join(", ", entropies)} do not rise with T");

        // The student's line and its HTML report show the same evaluation; the student is well above chance, below the teacher.
        var line = Match(cells, @"^student accuracy (?<acc>[0-9.]+), teacher (?<teacher>[0-9.]+), agreement (?<agree>[0-9.]+)$");
        string report = Html(cells, "quality.ToHtmlReport");
        Assert.Contains($"<td class=\"name\">accuracy</td><td>{line.Groups["acc"].Value}</td><td>{line.Groups["teacher"].Value}</td>", report, StringComparison.Ordinal);
        Assert.Equal(teacherAccuracy, double.Parse(line.Groups["teacher"].Value, C), 4);
        Assert.InRange(double.Parse(line.Groups["acc"].Value, C), 0.7, teacherAccuracy + 0.02);
        Assert.InRange(double.Parse(line.Groups["agree"].Value, C), 0.7, 1.0);
        Assert.Matches(@"^first held-out image: label \d, student predicts class \d$", Plain(cells, "first held-out image"));
    }

    [Fact]
    public void StudentSizes_RealKernel_ShowsLeaderboardChartAndAnOnnxExportThatMatches()
    {
        var cells = Run("02-student-sizes.ipynb", ["leaderboard", "tradeoff", "inheritance"]);

        var summary = Match(cells, @"^(?<n>\d+) students trained in [0-9.]+ s; teacher accuracy (?<acc>[0-9.]+) on the test rows$");
        Assert.Equal(5, int.Parse(summary.Groups["n"].Value, C));

        // One leaderboard row per student, the same five in the chart's table, each chart row with the PNG above it.
        string board = Html(cells, "result.ToHtmlReport()");
        int start = board.IndexOf("<table class=\"leaderboard\">", StringComparison.Ordinal);
        string leaderboard = board[start..board.IndexOf("</table>", start, StringComparison.Ordinal)];
        Assert.Equal(5, Regex.Matches(leaderboard, "<tr class=\"student[^\"]*\">").Count);
        string chart = Html(cells, "ToTradeoffChart()");
        Assert.Contains("src=\"data:image/png;base64,", chart, StringComparison.Ordinal);
        Assert.Equal(6, Regex.Matches(chart, "<tr(?: class=\"[a-z]+\")?><td class=\"name\">").Count);
        Assert.Contains($"<tr class=\"teacher\"><td class=\"name\">teacher</td><td>1,725,379</td><td>{summary.Groups["acc"].Value}</td>", chart, StringComparison.Ordinal);

        // The pick is named, exported, and ONNX Runtime gives the ML.NET model's class on every test row.
        string choice = Plain(cells, "result.Leaderboard.Choice");
        string chosen = choice[..choice.IndexOf(':', StringComparison.Ordinal)];
        Assert.Contains($"<tr class=\"chosen\"><td class=\"name\">{chosen}</td>", chart, StringComparison.Ordinal);
        Assert.StartsWith($"{chosen}: out/", Plain(cells, "OnnxModelInfo.Load(onnxFile)"), StringComparison.Ordinal);
        var onnx = Match(cells, @"^ONNX Runtime vs the ML.NET model on (?<n>\d+) test rows: same class on (?<same>\d+), largest score difference (?<diff>\S+)$");
        Assert.Equal(onnx.Groups["n"].Value, onnx.Groups["same"].Value);
        Assert.InRange(double.Parse(onnx.Groups["diff"].Value, C), 0, 1e-4);
    }

    [Fact]
    public void NeuralStudents_RealKernel_TrainsEveryLossAndTheOnnxStudentMatchesInMlNet()
    {
        var cells = Run("03-neural-students.ipynb", ["experiment", "quality"]);

        string table = Plain(cells, "var lines = new List<string>");
        foreach (string spec in new[] { "mlp:64:epochs=20", "mlp:64:loss=hint,epochs=20", "mlp:64:loss=rkd,epochs=20", "mlp:64:augment=mixup,epochs=20" })
        {
            var m = Regex.Match(table, $@"^{Regex.Escape(spec)}\s+distilled (?<acc>[0-9.]+) \(agreement (?<agree>[0-9.]+)", RegexOptions.Multiline);
            Assert.True(m.Success, $"no line for {spec} in:\n{table}");
            Assert.InRange(double.Parse(m.Groups["acc"].Value, C), 0.6, 0.95); // 2,000 rows, 20 epochs: far above chance (0.1), below the CNN
        }

        // The experiment's HTML table: the teacher, then each student and its hard-label twin.
        string experiment = Html(cells, "result.ToHtmlReport(");
        Assert.Equal(9, Regex.Matches(experiment, "<tr class=\"(teacher|student|baseline)\">").Count);

        // The ONNX graph in ApplyOnnxModel: the managed student's class on every row, the same accuracy as its HTML report.
        var onnx = Match(cells, @"^ONNX student in ApplyOnnxModel on (?<n>\d+) test rows: accuracy (?<acc>[0-9.]+) \(teacher (?<teacher>[0-9.]+)\), agreement with the teacher (?<agree>[0-9.]+); same class as the managed student on (?<same>\d+)/\d+, largest probability difference (?<diff>\S+);");
        Assert.Equal(onnx.Groups["n"].Value, onnx.Groups["same"].Value);
        Assert.InRange(double.Parse(onnx.Groups["diff"].Value, C), 0, 1e-5);
        string report = Html(cells, "quality.ToHtmlReport");
        Assert.Contains($"<td class=\"name\">accuracy</td><td>{onnx.Groups["acc"].Value}</td><td>{onnx.Groups["teacher"].Value}</td>", report, StringComparison.Ordinal);
        Assert.Contains($"<td class=\"name\">agreement with the teacher (top-1)</td><td>{onnx.Groups["agree"].Value}</td>", report, StringComparison.Ordinal);
    }

    [Fact]
    public void BringYourOwnTeacher_RealKernel_ShowsEachPitfallInTheData()
    {
        var cells = Run("04-bring-your-own-teacher.ipynb", ["quality", "inheritance"]);

        Assert.Contains("input  input float [batch, 64]", Plain(cells, "OnnxModelInfo.Load(digitsTeacher)"), StringComparison.Ordinal);
        // The digits teacher's recorded held-out accuracy: 705/719.
        Assert.EndsWith("teacher accuracy on the 719 held-out digits: " + (705.0 / 719).ToString("F4", C), Plain(cells, "digitsOptions.Inputs.Add"), StringComparison.Ordinal);

        // 1. Scaling: the same teacher on min-max scaled features loses at least 10 points.
        var scaling = Match(cells, @"^raw features \(max 16\): teacher accuracy (?<raw>[0-9.]+); min-max scaled \(max 1\.00\): (?<scaled>[0-9.]+)$");
        Assert.True(double.Parse(scaling.Groups["scaled"].Value, C) < double.Parse(scaling.Groups["raw"].Value, C) - 0.1, scaling.Value);

        // 2. Probabilities read as logits: the same accuracy, soft labels near uniform.
        var kinds = Match(cells, @"^detected as probabilities: accuracy (?<a1>[0-9.]+), mean top soft label (?<t1>[0-9.]+), mean entropy [0-9.]+ nats \| misread as logits: accuracy (?<a2>[0-9.]+), mean top soft label (?<t2>[0-9.]+), mean entropy (?<h2>[0-9.]+) nats \(uniform: (?<u>[0-9.]+)\)$");
        Assert.Equal(kinds.Groups["a1"].Value, kinds.Groups["a2"].Value);
        Assert.InRange(double.Parse(kinds.Groups["t1"].Value, C), 0.6, 1.0);
        Assert.InRange(double.Parse(kinds.Groups["t2"].Value, C), 0.1, 0.3);
        Assert.InRange(double.Parse(kinds.Groups["h2"].Value, C), double.Parse(kinds.Groups["u"].Value, C) - 0.2, double.Parse(kinds.Groups["u"].Value, C));

        // 3. Shift: agreement on the classes the transfer set held, and not on the others.
        var shift = Match(cells, @"agreement with the teacher (?<seen>[0-9.]+) on classes 0-4, (?<unseen>[0-9.]+) on classes 5-9");
        Assert.True(double.Parse(shift.Groups["seen"].Value, C) > double.Parse(shift.Groups["unseen"].Value, C) + 0.4, shift.Value);

        // 4. Bias: the soft-label student copies a larger share of the teacher's mistakes than the hard-label one.
        var bias = Match(cells, @"soft-label student copied (?<soft>[0-9.]+) %, the hard-label student (?<hard>[0-9.]+) %$");
        Assert.True(double.Parse(bias.Groups["soft"].Value, C) > double.Parse(bias.Groups["hard"].Value, C), bias.Value);
        string inheritance = Html(cells, "new InheritanceTableReport(");
        Assert.Contains("soft labels only (alpha = 1)", inheritance, StringComparison.Ordinal);
        Assert.Contains("hard labels only (alpha = 0)", inheritance, StringComparison.Ordinal);
    }

    [Fact]
    public void Text_RealKernel_ScoresEmailsAndShowsStudentsAndHardHamAsComputedOffline()
    {
        var cells = Run("05-text.ipynb", ["experiment", "quality", "inheritance"]);

        // The same 80/20 split of the 500-email fixture, scored by the teacher here.
        var ml = new MLContext(seed: 0);
        var split = ml.Data.TrainTestSplit(DataSourceReader.LoadText(TestPaths.Fixture("llm_emails.csv"), "Text", "Label"), testFraction: 0.2, seed: 0);
        using var teacher = ml.Transforms.ScoreTextWithTeacher(Path.Combine(TestPaths.Repo, "samples", "teachers", "spam_transformer", "model.onnx"), "Text").Fit(split.TestSet);
        var scored = teacher.Transform(split.TestSet);
        float[] labels = [.. scored.GetColumn<float>("Label")];
        string[] groups = [.. scored.GetColumn<string>("Group")];
        int[] predicted = [.. scored.GetColumn<float[]>(DataColumnNames.SoftLabels).Select(p => p[1] > p[0] ? 1 : 0)];
        double teacherAccuracy = labels.Select((l, i) => predicted[i] == (int)l ? 1.0 : 0.0).Average();

        Assert.Matches($@"^emails: 500 \(easy_ham_1 130, easy_ham_2 80, hard_ham_1 60, spam_1 110, spam_2 120\); {500 - labels.Length} to learn from, {labels.Length} held out$", Plain(cells, "var groups ="));
        Assert.Equal($"teacher accuracy on {labels.Length} held-out emails: {teacherAccuracy.ToString("F4", C)}", Plain(cells, "double teacherAccuracy"));
        Assert.Equal(8, Plain(cells, "SoftLabelMath.Entropy(testSoft[i])").Split('\n').Length);

        // The line, the experiment's HTML table and the offline teacher agree.
        var line = Match(cells, @"^teacher (?<teacher>[0-9.]+); distilled student accuracy (?<acc>[0-9.]+), agreement (?<agree>[0-9.]+); hard-label student accuracy (?<hacc>[0-9.]+), agreement [0-9.]+$");
        Assert.Equal(teacherAccuracy.ToString("F4", C), line.Groups["teacher"].Value);
        string experiment = Html(cells, "result.ToHtmlReport(");
        Assert.Contains($"<tr class=\"teacher\"><td class=\"name\">teacher</td><td>{line.Groups["teacher"].Value}</td>", experiment, StringComparison.Ordinal);
        Assert.Contains($"<tr class=\"student\"><td class=\"name\">sdca:iterations=100,text=word2</td><td>{line.Groups["acc"].Value}</td>", experiment, StringComparison.Ordinal);
        Assert.Contains($"<td class=\"name\">sdca:iterations=100,text=word2 (hard labels)</td><td>{line.Groups["hacc"].Value}</td>", experiment, StringComparison.Ordinal);
        Assert.InRange(double.Parse(line.Groups["acc"].Value, C), 0.6, 1.0);
        Assert.InRange(double.Parse(line.Groups["agree"].Value, C), 0.6, 1.0);

        // Hard ham: the count and the teacher's mistakes as computed here; the inheritance table names both students.
        int[] hard = [.. Enumerable.Range(0, labels.Length).Where(i => groups[i] == "hard_ham_1")];
        int mistakes = hard.Count(i => predicted[i] != (int)labels[i]);
        Assert.Matches($@"^hard ham: {hard.Length} emails, teacher accuracy {(1.0 - ((double)mistakes / hard.Length)).ToString("F4", C)} \({mistakes} mistakes\); distilled copied \d+, hard labels copied \d+$", Plain(cells, "$\"hard ham: "));
        string inheritance = Html(cells, "new InheritanceTableReport(");
        Assert.Contains("distilled", inheritance, StringComparison.Ordinal);
        Assert.Contains("hard labels", inheritance, StringComparison.Ordinal);
    }

    /// <summary>
    /// Runs the notebook with dotnet-repl from its folder, as committed, and checks what every run must show: exit code 0,
    /// every cell there, no error output, and each report cell as text/html holding its table.
    /// </summary>
    private static IReadOnlyList<Notebook> Run(string name, string[] expectedReports)
    {
        string committed = Path.Combine(NotebookFeed.Folder, name);
        string output = TestPaths.TempFile(".ipynb");
        var (code, log) = ChildProcess.Run(ChildProcess.Dotnet,
            ["tool", "run", "dotnet-repl", "--run", name, "--exit-after-run", "--output-format", "ipynb", "--output-path", output],
            NotebookFeed.Folder, TimeSpan.FromMinutes(8));
        Assert.True(File.Exists(output), $"dotnet-repl wrote no {output} (exit code {code}):\n{log}");
        var cells = Notebook.Cells(output);
        var errors = cells.Select((c, i) => (c, i)).SelectMany(x => x.c.Outputs.Where(o => o.Type == "error").Select(o => $"cell {x.i}: {o.Error}")).ToList();
        Assert.True(errors.Count == 0, $"{name}: failed cells:\n{string.Join("\n", errors)}");
        Assert.True(code == 0, $"{name}: dotnet-repl exited {code}:\n{log}");
        Assert.Equal(Notebook.Cells(committed).Select(c => c.CellType), cells.Select(c => c.CellType));

        var seen = new List<string>();
        foreach (var cell in cells.Where(c => c.CellType == "code"))
        {
            foreach (var (kind, pattern, div, table) in Reports)
            {
                if (!pattern.IsMatch(cell.Source))
                {
                    continue;
                }

                seen.Add(kind);
                var html = cell.Outputs.Where(o => o.Data.ContainsKey("text/html")).Select(o => o.Data["text/html"]).ToList();
                Assert.True(html.Count == 1, $"{name}: the {kind} cell shows {html.Count} text/html outputs ({string.Join(", ", cell.Outputs.SelectMany(o => o.Data.Keys))}):\n{cell.Source}");
                Assert.StartsWith(div, html[0], StringComparison.Ordinal);
                int at = html[0].IndexOf(table, StringComparison.Ordinal);
                Assert.True(at >= 0, $"{name}: the {kind} cell's HTML has no {table}");
                Assert.Matches(@"^[^<]*<thead>.*?</thead><tbody><tr", html[0][(at + table.Length)..]);
                break;
            }
        }

        Assert.Equal(expectedReports.Order(), seen.Order());
        return cells;
    }

    /// <summary>The text/plain output of the one code cell whose source contains <paramref name="sourcePart"/>.</summary>
    private static string Plain(IReadOnlyList<Notebook> cells, string sourcePart) => Output(cells, sourcePart, "text/plain").Trim();

    private static string Html(IReadOnlyList<Notebook> cells, string sourcePart) => Output(cells, sourcePart, "text/html");

    private static string Output(IReadOnlyList<Notebook> cells, string sourcePart, string mime)
    {
        var cell = Assert.Single(cells, c => c.CellType == "code" && c.Source.Contains(sourcePart, StringComparison.Ordinal));
        var data = cell.Outputs.Where(o => o.Data.ContainsKey(mime)).Select(o => o.Data[mime]).ToList();
        Assert.True(data.Count == 1, $"the cell with '{sourcePart}' shows {data.Count} {mime} outputs, not one");
        return data[0];
    }

    /// <summary>The match of <paramref name="pattern"/> in the text/plain output of any one cell.</summary>
    private static Match Match(IReadOnlyList<Notebook> cells, string pattern)
    {
        var regex = new Regex(pattern, RegexOptions.Multiline);
        var found = cells.SelectMany(c => c.Outputs).Where(o => o.Data.ContainsKey("text/plain")).Select(o => regex.Match(o.Data["text/plain"].Trim())).Where(m => m.Success).ToList();
        Assert.True(found.Count == 1, $"{found.Count} outputs match '{pattern}'");
        return found[0];
    }
}
