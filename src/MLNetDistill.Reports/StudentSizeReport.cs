using System.Text;
using Microsoft.ML;
using MLNetDistill.Data;
using MLNetDistill.Experiments;

namespace MLNetDistill.Reports;

/// <summary>Writes everything a student-size comparison made into one folder: each student's model (<c>.zip</c>, and <c>.onnx</c> for every family that converts), <c>leaderboard.json</c>, <c>report.md</c>, <c>tradeoff.png</c>, <c>cascade.png</c> (with cascades) and <c>report.html</c> (<see cref="StudentSizeHtmlReport"/>).</summary>
/// <example>
/// <code language="csharp">
/// using var result = experiment.Run(train, test);
/// IReadOnlyList&lt;string&gt; files = StudentSizeReport.WriteAll(mlContext, result, "compare-out");
/// </code>
/// </example>
public static class StudentSizeReport
{
    /// <summary>The leaderboard's file name.</summary>
    public const string LeaderboardFileName = "leaderboard.json";

    /// <summary>The Markdown report's file name.</summary>
    public const string ReportFileName = "report.md";

    /// <summary>The chart's file name.</summary>
    public const string ChartFileName = LeaderboardMarkdown.TradeoffChartFileName;

    /// <summary>The cascade chart's file name, written when the students' cascades were measured (<see cref="CascadeChart"/>).</summary>
    public const string CascadeChartFileName = LeaderboardMarkdown.CascadeChartFileName;

    /// <summary>The HTML report's file name: one self-contained page (<see cref="StudentSizeHtmlReport"/>).</summary>
    public const string ReportHtmlFileName = "report.html";

    /// <summary>Writes the models and reports into <paramref name="folder"/> (made when missing; files of the same names are replaced).</summary>
    /// <param name="mlContext">The ML.NET context, to save the models.</param>
    /// <param name="result">The experiment's result.</param>
    /// <param name="folder">The output folder.</param>
    /// <param name="cancellationToken">
    /// Stops between files. Each file is written under a temporary name and renamed when complete, so a stop leaves the files
    /// finished before it (whole) and none of the others; the reports, which describe every model, come after all the models.
    /// </param>
    /// <returns>The files written, models first.</returns>
    /// <exception cref="IOException">The folder is an existing file.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public static IReadOnlyList<string> WriteAll(MLContext mlContext, StudentSizeExperimentResult result, string folder, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(result);
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        if (File.Exists(folder))
        {
            throw new IOException($"The output folder '{folder}' is a file: give a folder (it is made when missing), or move the file.");
        }

        Directory.CreateDirectory(folder);
        var written = new List<string>();
        var files = LeaderboardFiles.ModelFiles(result.Leaderboard);
        foreach (var entry in result.Leaderboard.Entries)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var saved = DistillationResultWriter.Save(mlContext, result.Model(entry), result.Experiment.InputSchema, Path.Combine(folder, files[entry.Name]));
            written.Add(saved.ModelFile);
            if (saved.OnnxFile is { } onnx)
            {
                written.Add(onnx);
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        byte[] chart = TradeoffChart.Render(result.Leaderboard);
        cancellationToken.ThrowIfCancellationRequested();
        string json = Path.Combine(folder, LeaderboardFileName);
        LeaderboardJson.Write(result, json);
        string md = Path.Combine(folder, ReportFileName);
        LeaderboardMarkdown.Write(result, md);
        string png = Path.Combine(folder, ChartFileName);
        AtomicFile.Write(png, stream => stream.Write(chart));
        written.AddRange([json, md, png]);
        byte[]? cascadeChart = null;
        if (CascadeChart.HasCascades(result.Leaderboard))
        {
            cascadeChart = CascadeChart.Render(result.Leaderboard);
            string cascadePng = Path.Combine(folder, CascadeChartFileName);
            AtomicFile.Write(cascadePng, stream => stream.Write(cascadeChart));
            written.Add(cascadePng);
        }

        string html = Path.Combine(folder, ReportHtmlFileName);
        new StudentSizeHtmlReport(result, chart, cascadeChart).Save(html);
        written.Add(html);
        return written;
    }

    /// <summary>A student's model file name: its name with characters unsafe in file names replaced by <c>_</c>, then <c>.zip</c> (<c>lightgbm_trees=5.zip</c>).</summary>
    /// <param name="student">The student's name.</param>
    /// <returns>The file name.</returns>
    public static string ModelFileName(string student) => LeaderboardFiles.ModelFileName(student);
}
