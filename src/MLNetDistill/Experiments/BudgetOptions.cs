using System.Globalization;
using MLNetDistill.Students;

namespace MLNetDistill.Experiments;

/// <summary>
/// Options of budgeted teacher labeling (<see cref="BudgetedLabeling"/>, or <see cref="DistillationExperimentOptions.Budget"/>):
/// how many pool rows the teacher may label, how the student picks them, and in how many rounds. Copied and checked when the
/// run (or experiment) is made.
/// </summary>
public sealed class BudgetOptions
{
    /// <summary>The number of rounds when none is given.</summary>
    public const int DefaultRounds = 10;

    /// <summary>Gets or sets the budget as a number of teacher calls (pool rows the teacher labels for the student); positive, at most the pool's rows.</summary>
    /// <value>Defaults to <see langword="null"/>. Set this or <see cref="PoolFraction"/>, not both.</value>
    public int? Calls { get; set; }

    /// <summary>Gets or sets the budget as a share of the pool's rows, in (0, 1] (0.2 buys a fifth of the pool, rounded, at least one row).</summary>
    /// <value>Defaults to <see langword="null"/>. Set this or <see cref="Calls"/>, not both.</value>
    public double? PoolFraction { get; set; }

    /// <summary>Gets or sets how the student picks the rows the teacher labels next.</summary>
    /// <value>Defaults to <see cref="BudgetSelection.Margin"/>.</value>
    public BudgetSelection Selection { get; set; } = BudgetSelection.Margin;

    /// <summary>Gets or sets the number of rounds the budget is spent in (equal batches; fewer when the budget is smaller than this); at least 1.</summary>
    /// <value>Defaults to 10.</value>
    public int Rounds { get; set; } = DefaultRounds;

    /// <summary>
    /// Gets or sets whether the same budgets are also spent on random pool rows (seeded), giving the curve selection is judged
    /// against. The teacher labels those rows too (each pool row at most once), which <see cref="BudgetedLabelingResult.TeacherCalls"/> counts.
    /// </summary>
    /// <value>Defaults to <see langword="true"/>.</value>
    public bool CompareRandom { get; set; } = true;

    /// <summary>Gets or sets the price of one teacher call, in whatever unit you count (seconds, dollars); <see cref="BudgetedLabelingResult.Cost"/> is the calls times this. Non-negative and finite.</summary>
    /// <value>Defaults to 1: the cost is the number of calls.</value>
    public double CostPerCall { get; set; } = 1;

    /// <summary>Gets or sets, for <see cref="BudgetSelection.Diverse"/>, how many times the batch the smallest-margin rows are that k-center greedy picks the batch from; at least 1 (1 is plain margin).</summary>
    /// <value>Defaults to 4.</value>
    public int DiverseCandidates { get; set; } = 4;

    /// <summary>Gets or sets the spec of the student that picks the rows (<c>sdca</c>, <c>lightgbm:trees=100</c>, <c>mlp:128</c>).</summary>
    /// <value>Defaults to <see langword="null"/>: in an experiment, its first student from a spec; <see cref="BudgetedLabeling"/> alone needs it set.</value>
    public string? Student { get; set; }

    /// <summary>Gets or sets the seed of the students and of the random rows.</summary>
    /// <value>Defaults to <see langword="null"/>: the experiment's seed, or 0 for <see cref="BudgetedLabeling"/> alone.</value>
    public int? Seed { get; set; }

    /// <summary>Gets or sets the weight of the soft labels (the experiment's <c>Alpha</c>), or null for the student family's default.</summary>
    internal float? Alpha { get; set; }

    /// <summary>Gets or sets the data's text column (the experiment's <c>TextColumnName</c>), or null for numeric features.</summary>
    internal string? TextColumnName { get; set; }

    /// <summary>The number of teacher calls this budget allows on a pool of <paramref name="poolRows"/> rows.</summary>
    /// <exception cref="ArgumentException">The budget is larger than the pool, or the pool is empty.</exception>
    internal int CallsFor(long poolRows)
    {
        if (poolRows == 0)
        {
            throw new ArgumentException("The pool to buy teacher labels from is empty: give unlabeled (transfer) rows for the teacher to label.", nameof(poolRows));
        }

        long calls = Calls ?? Math.Max(1, (long)Math.Round(PoolFraction!.Value * poolRows, MidpointRounding.AwayFromZero));
        if (calls > poolRows)
        {
            throw new ArgumentException(
                $"The budget of {calls:N0} teacher calls is larger than the pool of {poolRows:N0} rows: lower Calls to at most {poolRows:N0}, or give PoolFraction (a share of the pool) instead.",
                nameof(Calls));
        }

        return (int)calls;
    }

    /// <summary>A checked copy.</summary>
    internal BudgetOptions Validated()
    {
        if (Calls is null == PoolFraction is null)
        {
            throw new ArgumentException(
                Calls is null
                    ? "No budget: set Calls (teacher calls, e.g. 900) or PoolFraction (a share of the pool, e.g. 0.2)."
                    : "Both Calls and PoolFraction are set: give the budget one way, as teacher calls or as a share of the pool.",
                nameof(Calls));
        }

        if (Calls is int calls && calls <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Calls), calls, $"Calls must be positive (the teacher calls to spend) but was {calls}.");
        }

        if (PoolFraction is double share && !(share > 0 && share <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(PoolFraction), share,
                $"PoolFraction must be in (0, 1] (0.2 buys a fifth of the pool) but was {share.ToString(CultureInfo.InvariantCulture)}.");
        }

        if (!Enum.IsDefined(Selection))
        {
            throw new ArgumentOutOfRangeException(nameof(Selection), Selection, "Selection must be Margin, Entropy, Random or Diverse.");
        }

        if (Rounds < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Rounds), Rounds, $"Rounds must be at least 1 (the budget is bought in that many batches) but was {Rounds}.");
        }

        if (!(CostPerCall >= 0 && double.IsFinite(CostPerCall)))
        {
            throw new ArgumentOutOfRangeException(nameof(CostPerCall), CostPerCall, "CostPerCall must be a finite number, 0 or more (the price of one teacher call).");
        }

        if (DiverseCandidates < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(DiverseCandidates), DiverseCandidates, $"DiverseCandidates must be at least 1 (1 is plain margin) but was {DiverseCandidates}.");
        }

        if (Student is not null)
        {
            _ = StudentSpec.Parse(Student); // a bad spec fails here, listing the families
        }

        return new BudgetOptions
        {
            Calls = Calls,
            PoolFraction = PoolFraction,
            Selection = Selection,
            Rounds = Rounds,
            CompareRandom = CompareRandom,
            CostPerCall = CostPerCall,
            DiverseCandidates = DiverseCandidates,
            Student = Student?.Trim(),
            Seed = Seed,
            Alpha = Alpha,
            TextColumnName = TextColumnName,
        };
    }
}
