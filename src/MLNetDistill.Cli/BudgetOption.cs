using System.Globalization;
using MLNetDistill.Experiments;

namespace MLNetDistill.Cli;

/// <summary><c>--budget N|P% --select margin|entropy|random|diverse --budget-rounds R</c> of <c>distill</c>: budgeted teacher labeling of the <c>--transfer</c> rows.</summary>
internal static class BudgetOption
{
    /// <summary>The budget options of the flags, or null without <c>--budget</c>.</summary>
    /// <param name="budget">The <c>--budget</c> value: teacher calls (<c>900</c>) or a share of the pool (<c>20%</c>).</param>
    /// <param name="select">The <c>--select</c> value, or null for margin.</param>
    /// <param name="rounds">The <c>--budget-rounds</c> value, or null for the default.</param>
    /// <param name="hasTransfer">Whether <c>--transfer</c> was given (the pool).</param>
    /// <exception cref="ArgumentException">A value does not parse, or a flag is missing its partner; the message names the flag.</exception>
    public static BudgetOptions? Parse(string? budget, string? select, int? rounds, bool hasTransfer)
    {
        if (budget is null)
        {
            if (select is not null || rounds is not null)
            {
                throw new ArgumentException($"{(select is not null ? "--select" : "--budget-rounds")} needs --budget N (teacher calls) or --budget P% (a share of the --transfer rows).");
            }

            return null;
        }

        if (!hasTransfer)
        {
            throw new ArgumentException("--budget needs --transfer: the teacher labels only the --transfer rows the student picks, up to the budget.");
        }

        var options = new BudgetOptions { Selection = Selection(select), Rounds = rounds ?? BudgetOptions.DefaultRounds };
        string value = budget.Trim();
        if (value.EndsWith('%'))
        {
            options.PoolFraction = double.TryParse(value[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out double percent) && percent > 0 && percent <= 100
                ? percent / 100
                : throw new ArgumentException($"--budget: '{budget}' is not a share of the pool: give a percentage in (0, 100], e.g. 20%.");
        }
        else
        {
            options.Calls = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int calls) && calls > 0
                ? calls
                : throw new ArgumentException($"--budget: '{budget}' is neither a number of teacher calls (a positive whole number, e.g. 900) nor a share of the --transfer rows (e.g. 20%).");
        }

        return options;
    }

    private static BudgetSelection Selection(string? select) => select?.Trim().ToLowerInvariant() switch
    {
        null or "margin" => BudgetSelection.Margin,
        "entropy" => BudgetSelection.Entropy,
        "random" => BudgetSelection.Random,
        "diverse" => BudgetSelection.Diverse,
        _ => throw new ArgumentException($"--select: '{select}' is not a selection strategy: use margin, entropy, random or diverse."),
    };
}
