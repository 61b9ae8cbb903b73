using System.Text.Json.Serialization;
using Microsoft.ML;

namespace MLNetDistill.Experiments;

/// <summary>
/// What a <see cref="BudgetedLabeling"/> run bought and how the student grew with it; REPORT.json's <c>budget</c> object.
/// </summary>
/// <param name="Strategy">The selection strategy, lower case (<c>margin</c>, <c>entropy</c>, <c>random</c>, <c>diverse</c>).</param>
/// <param name="Bought">Pool rows the strategy bought: the teacher labeled them, and the students learn from them.</param>
/// <param name="Rounds">Rounds of buying (each after the student was trained on what was bought before it).</param>
/// <param name="TeacherCalls">Pool rows the teacher scored in the run: the rows bought, plus the random curve's rows the strategy did not buy (each row at most once).</param>
/// <param name="Cost">The teacher's price of the run: <paramref name="TeacherCalls"/> times <see cref="BudgetOptions.CostPerCall"/>.</param>
/// <param name="Curve">The strategy's curve: the student on the labeled rows alone (0 bought), then after each round.</param>
/// <param name="Random">The same budgets spent on random pool rows (seeded, each a superset of the one before), or empty when not asked for.</param>
public sealed record BudgetedLabelingResult(string Strategy, int Bought, int Rounds, long TeacherCalls, double Cost,
    IReadOnlyList<BudgetCurvePoint> Curve, IReadOnlyList<BudgetCurvePoint> Random)
{
    /// <summary>Gets the number of rows in the pool the rows were bought from.</summary>
    public int PoolRows { get; init; }

    /// <summary>Gets the student spec that chose the rows (and whose curves these are).</summary>
    public string Student { get; init; } = "";

    /// <summary>Gets the bought rows with the teacher's columns (<c>TeacherLogits</c>, <c>SoftLabels</c>, ...), in memory, in pool order; not written to JSON.</summary>
    [JsonIgnore]
    public IDataView BoughtRows { get; init; } = null!;

    /// <summary>Gets the pool positions (0-based) of the bought rows, ascending; not written to JSON.</summary>
    [JsonIgnore]
    public IReadOnlyList<int> BoughtPositions { get; init; } = [];
}
