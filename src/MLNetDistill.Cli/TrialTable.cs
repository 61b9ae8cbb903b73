using System.Diagnostics;
using System.Globalization;
using MLNetDistill.Experiments;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace MLNetDistill.Cli;

/// <summary>What a trial of a student-size comparison is doing, as the live table shows it.</summary>
internal enum TrialStatus
{
    /// <summary>Not started yet.</summary>
    Waiting,

    /// <summary>Being trained.</summary>
    Training,

    /// <summary>Being measured on the test rows.</summary>
    Evaluating,

    /// <summary>Trained and measured: its values are known.</summary>
    Done,

    /// <summary>Not trained: the time budget ran out, or it is the same student as another candidate.</summary>
    Skipped,
}

/// <summary>
/// The live table of a student-size comparison (<c>compare</c>, <c>demo</c>): one row per candidate from the start, each
/// moving from waiting to training, evaluating (and timing) and done (or skipped), with its accuracy, agreement, size,
/// training seconds and single-row p50 latency once done, under a header line that says how the teacher's
/// scoring went. With a temperature or alpha sweep, a candidate's trials (<c>mlp:32@T=4</c>) take its place, one row
/// each, as they start. <see cref="Apply"/> maps each <see cref="StudentSizeExperimentProgress"/> onto the rows (unit-tested);
/// <see cref="Run"/> shows the table on an interactive terminal and the plain lines when the output is redirected.
/// </summary>
internal sealed class TrialTable
{
    private readonly object _gate = new();
    private readonly List<Row> _rows = [];
    private readonly Dictionary<string, Row> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Row> _lastTrial = new(StringComparer.Ordinal);
    private readonly List<string> _teacher = [];
    private readonly List<string> _notes = [];
    private readonly Func<TimeSpan> _clock;
    private bool _teacherDone;
    private string? _footer;
    private string? _teacherName;

    /// <summary>How the experiment says it opens the teacher's file (the rest names the file and the temperature).</summary>
    private const string OpeningTeacher = "opening the teacher ";

    /// <summary>Makes the table with one waiting row per candidate, in the given order (a name given twice has one row).</summary>
    /// <param name="candidates">The candidates' names, as the experiment names them.</param>
    /// <param name="clock">The time since the start (for the seconds a running trial has taken); a stopwatch's when null.</param>
    public TrialTable(IEnumerable<string> candidates, Func<TimeSpan>? clock = null)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        if (clock is null)
        {
            var watch = Stopwatch.StartNew();
            clock = () => watch.Elapsed;
        }

        _clock = clock;
        foreach (string name in candidates)
        {
            if (!_byName.ContainsKey(name))
            {
                var row = new Row(name);
                _rows.Add(row);
                _byName.Add(name, row);
            }
        }
    }

    /// <summary>Gets a snapshot of the rows: name, status, and the values once done.</summary>
    public IReadOnlyList<(string Name, TrialStatus Status, LeaderboardEntry? Trial, string? Note)> Rows
    {
        get
        {
            lock (_gate)
            {
                return [.. _rows.Select(r => (r.Name, r.Status, r.Trial, r.Note))];
            }
        }
    }

    /// <summary>Gets the header line: how the teacher's scoring is going.</summary>
    public string Header
    {
        get
        {
            lock (_gate)
            {
                return HeaderText();
            }
        }
    }

    /// <summary>Gets the experiment's last report: the leaderboard's pick, or why there is none (not drawn: the command prints it under the leaderboard).</summary>
    public string? Footer
    {
        get
        {
            lock (_gate)
            {
                return _footer;
            }
        }
    }

    /// <summary>Gets the notes and warnings reported so far (held-out rows, duplicates, the time budget).</summary>
    public IReadOnlyList<string> Notes
    {
        get
        {
            lock (_gate)
            {
                return [.. _notes];
            }
        }
    }

    /// <summary>Moves the rows on by one report of the experiment.</summary>
    /// <param name="report">The report.</param>
    public void Apply(StudentSizeExperimentProgress report)
    {
        ArgumentNullException.ThrowIfNull(report);
        lock (_gate)
        {
            Row? row = report.Student is { } name ? RowFor(name) : null;
            if (report.Trial is { } trial)
            {
                row ??= RowFor(trial.Name);
                if (row is not null)
                {
                    row.Status = TrialStatus.Done;
                    row.Trial = trial;
                    row.Seconds = trial.TrainSeconds;
                }

                return;
            }

            if (report.IsWarning)
            {
                // Which rows a warning leaves untrained (duplicates, the time budget) the result says: see Finish.
                _notes.Add("warning: " + report.Message);
                return;
            }

            if (report.Detail is { } detail)
            {
                switch (detail.Stage)
                {
                    case DistillationStage.Preparing when detail.Message.StartsWith(OpeningTeacher, StringComparison.Ordinal):
                        _teacherName = detail.Message[OpeningTeacher.Length..];
                        break;
                    case DistillationStage.Preparing when row is null:
                        _notes.Add(detail.Message);
                        break;
                    case DistillationStage.ScoringTeacher:
                        _teacher.Add(detail.Message.Replace(" by the teacher", "", StringComparison.Ordinal));
                        break;
                    case DistillationStage.Training or DistillationStage.TrainingBaseline or DistillationStage.TrainingPseudoBaseline when row is not null:
                        Start(row);
                        row.Status = TrialStatus.Training;
                        row.Epoch = detail.Epoch is { } e ? $"{(e.Refit ? "final pass " : "epoch ")}{e.Epoch}/{e.Epochs}" : row.Epoch;
                        break;
                    case DistillationStage.Evaluating when row is not null:
                        Start(row);
                        row.Status = TrialStatus.Evaluating;
                        row.Epoch = null;
                        break;
                    case DistillationStage.Evaluating:
                        _notes.Add(detail.Message);
                        break;
                }

                return;
            }

            if (row is not null && row.Status == TrialStatus.Waiting)
            {
                Start(row); // "trial 2/5: name": it starts now
                row.Status = TrialStatus.Training;
            }
            else if (row is null || row.Status == TrialStatus.Done)
            {
                _footer = report.Message; // the leaderboard's pick (or why there is none)
            }
        }
    }

    /// <summary>Marks the rows no trial ran for: the duplicates of another candidate, and those the time budget left out.</summary>
    /// <param name="result">The experiment's result.</param>
    public void Finish(StudentSizeExperimentResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        lock (_gate)
        {
            _teacherDone = true;
            _footer ??= result.Leaderboard.Choice;
            foreach (var row in _rows.Where(r => r.Status is TrialStatus.Waiting or TrialStatus.Training or TrialStatus.Evaluating))
            {
                row.Status = TrialStatus.Skipped;
                row.Note = result.Duplicates.Contains(row.Name) ? "duplicate"
                    : result.Leaderboard.Skipped.Contains(row.Name) || result.Leaderboard.Skipped.Any(s => s.StartsWith(row.Name + "@", StringComparison.Ordinal)) ? "time budget"
                    : null;
            }
        }
    }

    /// <summary>Renders the header, one row per candidate, and the notes and warnings.</summary>
    /// <returns>The renderable.</returns>
    public IRenderable Render()
    {
        lock (_gate)
        {
            var c = CultureInfo.InvariantCulture;
            TimeSpan now = _clock();
            var table = new Table().Border(TableBorder.Rounded);
            table.AddColumn(new TableColumn("student"));
            table.AddColumn(new TableColumn("status"));
            table.AddColumn(new TableColumn("accuracy").RightAligned());
            table.AddColumn(new TableColumn("agreement").RightAligned());
            table.AddColumn(new TableColumn("size").RightAligned());
            table.AddColumn(new TableColumn("train s").RightAligned());
            table.AddColumn(new TableColumn("p50 µs").RightAligned());
            foreach (var row in _rows)
            {
                var e = row.Trial;
                double? seconds = row.Status == TrialStatus.Done ? row.Seconds : row.Started is { } s ? (now - s).TotalSeconds : null;
                table.AddRow(
                    new Spectre.Console.Text(row.Name),
                    new Spectre.Console.Text(StatusText(row), new Style(StatusColor(row.Status))),
                    new Spectre.Console.Text(e is null ? "" : e.Accuracy.ToString("F4", c)),
                    new Spectre.Console.Text(e is null ? "" : e.Agreement.ToString("F4", c)),
                    new Spectre.Console.Text(e is null ? "" : e.ModelBytes.ToString("N0", c) + " B"),
                    new Spectre.Console.Text(seconds is double v ? v.ToString("F1", c) : ""),
                    new Spectre.Console.Text(e is null || double.IsNaN(e.LatencyP50Microseconds) ? "" : e.LatencyP50Microseconds.ToString("N1", c)));
            }

            var parts = new List<IRenderable> { new Spectre.Console.Text(HeaderText(), new Style(_teacherDone ? Color.Default : Color.Yellow)), table };
            foreach (string note in _notes)
            {
                parts.Add(new Spectre.Console.Text(note, new Style(note.StartsWith("warning: ", StringComparison.Ordinal) ? Color.Yellow : Color.Grey)));
            }

            return new Rows(parts);
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/>: on an interactive terminal (neither output redirected) with the live table, redrawn
    /// on each report and twice a second; otherwise each report as one line on stderr, warnings prefixed
    /// <c>warning: </c>, as tools and tests read them, and the MLP epochs as <c>mlp:32: epoch 3/40 ...</c> lines: a
    /// trial's first epoch, its final pass, and otherwise at most one line every <see cref="EpochLines.Interval"/>.
    /// </summary>
    /// <param name="candidates">The candidates' names.</param>
    /// <param name="work">The experiment, given the progress sink to report to (on the calling thread).</param>
    /// <returns>What <paramref name="work"/> returned.</returns>
    public static StudentSizeExperimentResult Run(IEnumerable<string> candidates, Func<IProgress<StudentSizeExperimentProgress>, StudentSizeExperimentResult> work)
    {
        if (!AnsiConsole.Profile.Capabilities.Interactive || Console.IsOutputRedirected || Console.IsErrorRedirected)
        {
            var epochs = new EpochLines();
            return work(new SyncProgress(p =>
            {
                if (p.Detail?.Epoch is { } epoch)
                {
                    epochs.Write(p.Student ?? p.Detail.Student ?? "student", epoch);
                    return;
                }

                Console.Error.WriteLine(p.IsWarning ? "warning: " + p.Message : p.Message);
            }));
        }

        var trials = new TrialTable(candidates);
        StudentSizeExperimentResult? result = null;
        AnsiConsole.Live(trials.Render()).AutoClear(false).Overflow(VerticalOverflow.Ellipsis).Start(ctx =>
        {
            using var stop = new CancellationTokenSource();
            var ticker = Task.Run(async () =>
            {
                using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500));
                while (await timer.WaitForNextTickAsync(stop.Token).ConfigureAwait(false))
                {
                    ctx.UpdateTarget(trials.Render());
                }
            });
            try
            {
                result = work(new SyncProgress(p =>
                {
                    trials.Apply(p);
                    ctx.UpdateTarget(trials.Render());
                }));
            }
            finally
            {
                stop.Cancel();
                try
                {
                    ticker.GetAwaiter().GetResult();
                }
                catch (OperationCanceledException)
                {
                    // the ticker stops with the work
                }

                if (result is not null)
                {
                    trials.Finish(result);
                }

                ctx.UpdateTarget(trials.Render());
            }
        });
        return result!;
    }

    private string HeaderText()
    {
        string done = string.Join("; ", _teacher);
        string teacher = _teacherName is null ? "teacher: " : $"teacher {_teacherName}: ";
        return _teacherDone
            ? teacher + (done.Length > 0 ? done : "no rows to score")
            : teacher + (done.Length > 0 ? done + "; " : "") + "scoring...";
    }

    /// <summary>
    /// The row of a student or trial. A sweep's trial (<c>mlp:32@T=4</c>) takes over its candidate's waiting row when it
    /// is the candidate's first, and gets a row of its own after the candidate's last otherwise.
    /// </summary>
    private Row? RowFor(string name)
    {
        if (_byName.TryGetValue(name, out var row))
        {
            return row;
        }

        int at = name.LastIndexOf('@');
        if (at <= 0 || !_byName.TryGetValue(name[..at], out var candidate))
        {
            return null;
        }

        string key = name[..at];
        if (!_lastTrial.TryGetValue(key, out var last))
        {
            _lastTrial[key] = candidate;
            candidate.Name = name;
            _byName[name] = candidate;
            return candidate;
        }

        row = new Row(name);
        _rows.Insert(_rows.IndexOf(last) + 1, row);
        _byName[name] = row;
        _lastTrial[key] = row;
        return row;
    }

    private void Start(Row row)
    {
        _teacherDone = true; // the trials start once every data set is scored
        row.Started ??= _clock();
    }

    private static string StatusText(Row row) => row.Status switch
    {
        TrialStatus.Waiting => "waiting",
        TrialStatus.Training => row.Epoch is { } epoch ? "training, " + epoch : "training",
        TrialStatus.Evaluating => "evaluating",
        TrialStatus.Done => "done",
        _ => row.Note is { } note ? $"skipped ({note})" : "skipped",
    };

    private static Color StatusColor(TrialStatus status) => status switch
    {
        TrialStatus.Training or TrialStatus.Evaluating => Color.Yellow,
        TrialStatus.Done => Color.Green,
        TrialStatus.Skipped => Color.Grey,
        _ => Color.Default,
    };

    private sealed class Row(string name)
    {
        public string Name { get; set; } = name;

        public TrialStatus Status { get; set; }

        public LeaderboardEntry? Trial { get; set; }

        public string? Note { get; set; }

        public string? Epoch { get; set; }

        public TimeSpan? Started { get; set; }

        public double Seconds { get; set; }
    }

    /// <summary>Reports on the calling thread, in order.</summary>
    private sealed class SyncProgress(Action<StudentSizeExperimentProgress> report) : IProgress<StudentSizeExperimentProgress>
    {
        public void Report(StudentSizeExperimentProgress value) => report(value);
    }

    /// <summary>Redirected output's epoch lines: the first epoch of each trial and of its final pass, then one line per <see cref="Interval"/> at most.</summary>
    private sealed class EpochLines
    {
        /// <summary>The least time between two epoch lines of one trial.</summary>
        public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

        private readonly Dictionary<string, Stopwatch> _last = new(StringComparer.Ordinal);

        public void Write(string student, MLNetDistill.Students.Mlp.MlpEpochProgress e)
        {
            string key = e.Refit ? student + " (final pass)" : student;
            if (_last.TryGetValue(key, out var since) && since.Elapsed < Interval)
            {
                return;
            }

            _last[key] = Stopwatch.StartNew();
            var c = CultureInfo.InvariantCulture;
            Console.Error.WriteLine(string.Format(c, "{0}: {1} {2}/{3}, train loss {4:F4}{5}, {6:F1} s an epoch", student, e.Refit ? "final pass" : "epoch", e.Epoch, e.Epochs, e.TrainLoss,
                e.ValidationAgreement is double a ? string.Format(c, ", held-out agreement {0:F4}", a) : "", e.Seconds));
        }
    }
}
