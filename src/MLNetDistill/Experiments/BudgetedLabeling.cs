using System.Globalization;
using System.Runtime.ExceptionServices;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.Evaluation;
using MLNetDistill.MlNet;
using MLNetDistill.Numerics;
using MLNetDistill.Students;
using MLNetDistill.Teachers;

namespace MLNetDistill.Experiments;

/// <summary>
/// Budgeted teacher labeling: the teacher labels only the pool rows the student is least sure of, in rounds, until the budget
/// of teacher calls is spent. Each round trains the student on the labeled rows (free) and the rows bought so far, scores the
/// pool with it, and buys the next batch; the same budgets are also spent on random rows (same seed), so every run carries
/// the curve selection is judged against.
/// </summary>
/// <remarks>
/// <para>The teacher runs on the chosen rows alone (<see cref="BudgetedLabelingResult.TeacherCalls"/> counts them; each pool
/// row is scored at most once, whichever curve asked for it first). The labeled and test rows are scored by the teacher when
/// they do not already carry its columns; those calls are not part of the budget.</para>
/// <para><see cref="BudgetSelection.Diverse"/> is margin then k-center greedy on the student's probabilities (not k-means):
/// no clustering to seed or tune, deterministic, and O(candidates x batch x K), while still spreading a batch over different
/// confusions of the student rather than one crowded class boundary.</para>
/// </remarks>
/// <example>
/// <code language="csharp">
/// var budget = new BudgetedLabeling(mlContext, new BudgetOptions { Calls = 900, Selection = BudgetSelection.Margin, Student = "sdca" });
/// var result = budget.Run(teacher, labeledRows, poolRows, testRows);
/// foreach (var (chosen, random) in result.Curve.Zip(result.Random))
/// {
///     Console.WriteLine($"{chosen.Bought}: {chosen.Agreement:P1} vs random {random.Agreement:P1}");
/// }
/// </code>
/// </example>
public sealed class BudgetedLabeling
{
    private const ulong RandomStream = 0xB0D6E7;

    private readonly MLContext _mlContext;
    private readonly BudgetOptions _options;
    private readonly StudentSpec _spec;

    /// <summary>Makes a run; the options are checked and copied here.</summary>
    /// <param name="mlContext">The ML.NET context (caching; warnings of the students go to its log).</param>
    /// <param name="options">The budget, the strategy, the rounds and the student that picks.</param>
    /// <exception cref="ArgumentException">An option is missing or out of range, or <see cref="BudgetOptions.Student"/> is not set.</exception>
    public BudgetedLabeling(MLContext mlContext, BudgetOptions options)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(options);
        _mlContext = mlContext;
        _options = options.Validated();
        _spec = _options.Student is { } spec
            ? StudentSpec.Parse(spec)
            : throw new ArgumentException("BudgetOptions.Student is not set: give the spec of the student that picks the rows, e.g. \"sdca\".", nameof(options));
    }

    /// <summary>Spends the budget: rounds of training, scoring the pool and buying the next rows; then the same budgets at random.</summary>
    /// <param name="teacher">The teacher that labels the rows bought (and the labeled and test rows, when they lack its columns).</param>
    /// <param name="labeled">The free training rows: features and usually a <c>Label</c>; with the teacher's columns already, or scored here.</param>
    /// <param name="pool">The unlabeled rows to buy teacher labels for (a label column there is ignored).</param>
    /// <param name="test">The rows every curve point is measured on (accuracy against <c>Label</c>, agreement against the teacher).</param>
    /// <param name="progress">Receives a line per round.</param>
    /// <param name="cancellationToken">Stops the run between rounds and between rows.</param>
    /// <returns>The curves, the calls, and the bought rows with the teacher's columns.</returns>
    /// <exception cref="ArgumentException">The budget is larger than the pool, or the data do not fit the teacher.</exception>
    public BudgetedLabelingResult Run(TeacherScoringTransformer teacher, IDataView labeled, IDataView pool, IDataView test,
        IProgress<DistillationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(teacher);
        ArgumentNullException.ThrowIfNull(labeled);
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(test);
        var run = Prepare(teacher, labeled, pool, test, progress, cancellationToken);
        var (curve, bought) = SpendBudget(run);
        var random = _options.Selection == BudgetSelection.Random ? curve : _options.CompareRandom ? SpendAtRandom(run, curve[0]) : [];
        int[] positions = [.. bought];
        Array.Sort(positions);
        var rows = positions.Length == 0 ? null : run.Pool.Labeled(positions);
        return new BudgetedLabelingResult(_options.Selection.ToString().ToLowerInvariant(), positions.Length, run.Batches.Length, run.Pool.TeacherCalls,
            run.Pool.TeacherCalls * _options.CostPerCall, curve, random)
        {
            PoolRows = run.Pool.Count,
            Student = _spec.ToString(),
            BoughtRows = rows is null ? new RowSubsetDataView(run.Labeled, []) : Materialize(rows, cancellationToken),
            BoughtPositions = positions,
        };
    }

    /// <summary>
    /// The experiment's budget stage: the transfer rows are the pool, the scored training rows the free labeled rows, the
    /// scored test rows the measure. Returns the bought rows (in memory, with the teacher's columns), how many, and the teacher's calls.
    /// </summary>
    internal static (IDataView Rows, long Count, long TeacherCalls) BuyTransferRows(MLContext mlContext, BudgetOptions budget, DistillationRunState run)
    {
        var result = new BudgetedLabeling(mlContext, budget).Run(run.Teacher!, run.ScoredTrain, run.Transfer!, run.ScoredTest, run.Progress, run.CancellationToken);
        run.Budget = result;
        return (result.BoughtRows, result.Bought, result.TeacherCalls);
    }

    /// <summary>Stage 1: the labeled and test rows with the teacher's columns, the pool in memory without labels, the budget cut into rounds.</summary>
    private BudgetRun Prepare(TeacherScoringTransformer teacher, IDataView labeled, IDataView pool, IDataView test, IProgress<DistillationProgress>? progress, CancellationToken token)
    {
        IDataView Scored(IDataView rows) => rows.Schema.GetColumnOrNull(DataColumnNames.TeacherLogits) is null ? Materialize(teacher.Transform(rows), token) : rows;
        var poolRows = Materialize(pool.Schema.GetColumnOrNull(DataColumnNames.Label) is null ? pool : _mlContext.Transforms.DropColumns(DataColumnNames.Label).Fit(pool).Transform(pool), token);
        int count = (int)(poolRows.GetRowCount() ?? throw new InvalidOperationException("The pool's row count is unknown after caching."));
        int budget = _options.CallsFor(count);
        int rounds = Math.Min(_options.Rounds, budget);
        var batches = new int[rounds];
        for (int r = 0; r < rounds; r++)
        {
            batches[r] = (int)(((long)budget * (r + 1) / rounds) - ((long)budget * r / rounds));
        }

        var materialize = (IDataView view) => Materialize(view, token);
        var scoredTest = Scored(test);
        return new BudgetRun(teacher, Scored(labeled), new BudgetPool(teacher, poolRows, count, materialize), scoredTest, batches,
            _options.Seed ?? 0, _options.Alpha ?? _spec.DefaultAlpha, scoredTest.Schema.GetColumnOrNull(DataColumnNames.Label) is null ? null : DataColumnNames.Label, progress, token);
    }

    /// <summary>Stage 2: the strategy's rounds: train on what is bought, measure, score the pool, buy the least-sure rows.</summary>
    private (List<BudgetCurvePoint> Curve, List<int> Bought) SpendBudget(BudgetRun run)
    {
        var curve = new List<BudgetCurvePoint>();
        var bought = new List<int>();
        var isBought = new bool[run.Pool.Count];
        int[] permutation = Permutation(run);
        int drawn = 0;
        var (model, logits, point) = TrainAndMeasure(run, bought);
        curve.Add(point);
        try
        {
            for (int r = 0; r < run.Batches.Length; r++)
            {
                run.Token.ThrowIfCancellationRequested();
                int[] batch;
                if (_options.Selection == BudgetSelection.Random)
                {
                    batch = permutation[drawn..(drawn + run.Batches[r])];
                    drawn += batch.Length;
                }
                else
                {
                    float[] probabilities = PoolProbabilities(model, run, logits);
                    batch = BudgetRowSelector.Select(probabilities, run.Teacher.ClassCount, isBought, run.Batches[r], _options.Selection, _options.DiverseCandidates);
                }

                foreach (int p in batch)
                {
                    isBought[p] = true;
                    bought.Add(p);
                }

                (model as IDisposable)?.Dispose();
                (model, logits, point) = TrainAndMeasure(run, bought);
                curve.Add(point);
                Report(run, $"budget round {r + 1}/{run.Batches.Length}: {bought.Count:N0} rows bought by {_options.Selection.ToString().ToLowerInvariant()}, student accuracy {point.Accuracy.ToString("F4", CultureInfo.InvariantCulture)}, agreement {point.Agreement.ToString("F4", CultureInfo.InvariantCulture)} ({run.Pool.TeacherCalls:N0} teacher calls)");
            }
        }
        finally
        {
            (model as IDisposable)?.Dispose();
        }

        return (curve, bought);
    }

    /// <summary>Stage 3: the same budgets spent on random pool rows (one seeded permutation, so each set holds the one before).</summary>
    private List<BudgetCurvePoint> SpendAtRandom(BudgetRun run, BudgetCurvePoint start)
    {
        var curve = new List<BudgetCurvePoint> { start };
        int[] permutation = Permutation(run);
        int drawn = 0;
        foreach (int size in run.Batches)
        {
            run.Token.ThrowIfCancellationRequested();
            drawn += size;
            var (model, _, point) = TrainAndMeasure(run, permutation[..drawn]);
            (model as IDisposable)?.Dispose();
            curve.Add(point);
        }

        Report(run, $"the same budgets at random: agreement {string.Join(", ", curve.Select(p => p.Agreement.ToString("F4", CultureInfo.InvariantCulture)))} ({run.Pool.TeacherCalls:N0} teacher calls in all)");
        return curve;
    }

    private static int[] Permutation(BudgetRun run)
    {
        var permutation = new int[run.Pool.Count];
        for (int i = 0; i < permutation.Length; i++)
        {
            permutation[i] = i;
        }

        new DeterministicRandom(run.Seed, RandomStream).Shuffle(permutation);
        return permutation;
    }

    /// <summary>Trains the student on the labeled rows plus the given pool rows (the teacher labels those not labeled yet) and measures it on the test rows.</summary>
    private (ITransformer Model, bool ScoresAreLogits, BudgetCurvePoint Point) TrainAndMeasure(BudgetRun run, IReadOnlyCollection<int> positions)
    {
        var bought = positions.Count == 0 ? null : run.Pool.Labeled(positions);
        var rows = Materialize(bought is null ? run.Labeled : new AppendRowsDataView(run.Labeled, bought), run.Token);
        var context = new MLContext(run.Seed);
        context.Log += (_, e) =>
        {
            if (e.Kind is Microsoft.ML.Runtime.ChannelMessageKind.Warning or Microsoft.ML.Runtime.ChannelMessageKind.Error)
            {
                CatalogEnvironment.Warn(_mlContext.Transforms, e.RawMessage);
            }
        };
        using var stop = run.Token.Register(() => CatalogEnvironment.TryCancel(context));
        var build = new StudentBuildContext(context, run.Teacher.ClassCount, run.Teacher.Options.Temperature, run.Alpha, run.Seed, CancellationToken: run.Token)
        {
            Teacher = run.Teacher,
            TextColumnName = _options.TextColumnName,
        };
        var trainers = StudentRegistry.Build(_spec, build);
        var model = trainers.Distilled.Fit(rows);
        run.Token.ThrowIfCancellationRequested();
        var metrics = DistillationEvaluation.Evaluate(model.Transform(run.Test), DataColumnNames.Score, DataColumnNames.TeacherLogits, run.LabelColumn,
            trainers.ScoresAreLogits, teacherScoresAreLogits: true);
        return (model, trainers.ScoresAreLogits, new BudgetCurvePoint(positions.Count, metrics.Accuracy, metrics.Agreement));
    }

    /// <summary>The student's probabilities of every pool row, K a row (softmax of its scores when they are logits).</summary>
    private static float[] PoolProbabilities(ITransformer model, BudgetRun run, bool logits)
    {
        int classes = run.Teacher.ClassCount;
        var scored = model.Transform(run.Pool.Rows);
        var column = scored.Schema[DataColumnNames.Score];
        var probabilities = new float[run.Pool.Count * classes];
        var buffer = default(VBuffer<float>);
        using var cursor = scored.GetRowCursor([column]);
        var read = cursor.GetGetter<VBuffer<float>>(column);
        int row = 0;
        while (cursor.MoveNext())
        {
            read(ref buffer);
            if (buffer.Length != classes)
            {
                throw new InvalidOperationException($"The student scores {buffer.Length} classes but the teacher has {classes}.");
            }

            var destination = probabilities.AsSpan(row * classes, classes);
            buffer.CopyTo(destination);
            if (logits)
            {
                SoftLabelMath.Softmax(destination, 1f, destination);
            }

            row++;
        }

        return probabilities;
    }

    /// <summary>Reads every column of <paramref name="data"/> into memory in one pass (so a lazy source, such as the teacher, runs once).</summary>
    private IDataView Materialize(IDataView data, CancellationToken cancellationToken)
    {
        string[] columns = [.. data.Schema.Where(c => !c.IsHidden).Select(c => c.Name)];
        var cached = _mlContext.Data.Cache(data, columns);
        try
        {
            using var cursor = cached.GetRowCursor(cached.Schema);
            while (cursor.MoveNext())
            {
            }
        }
        catch (Exception e) when (e is AggregateException || e.Message.StartsWith("Event we were waiting on", StringComparison.Ordinal))
        {
            // ML.NET's cache fills on its own thread and wraps what went wrong there; the cause is the useful error.
            var cause = e;
            while (cause.InnerException is not null && (cause is AggregateException || cause.Message.StartsWith("Event we were waiting on", StringComparison.Ordinal)))
            {
                cause = cause.InnerException;
            }

            ExceptionDispatchInfo.Capture(cause).Throw();
            throw;
        }

        cancellationToken.ThrowIfCancellationRequested();
        return cached;
    }

    private static void Report(BudgetRun run, string message) =>
        run.Progress?.Report(new DistillationProgress(DistillationStage.ScoringTeacher, message));

    /// <summary>What the stages of one run share.</summary>
    private sealed record BudgetRun(TeacherScoringTransformer Teacher, IDataView Labeled, BudgetPool Pool, IDataView Test, int[] Batches, int Seed, float Alpha,
        string? LabelColumn, IProgress<DistillationProgress>? Progress, CancellationToken Token);
}
