using System.Globalization;
using System.Numerics.Tensors;
using MLNetDistill.Numerics;

namespace MLNetDistill.Serving;

/// <summary>Turns rows of student probabilities into one deferral confidence per row (higher = surer).</summary>
internal static class DeferralScores
{
    /// <summary>Writes the confidence of each row of <paramref name="probabilities"/> under <paramref name="rule"/>.</summary>
    /// <param name="rule">The deferral rule; <see cref="DeferralRule.Learned"/> needs a fitted model and is computed by it, not here.</param>
    /// <param name="probabilities">Row-major class probabilities, <paramref name="classes"/> per row.</param>
    /// <param name="classes">The number of classes; must be positive.</param>
    /// <param name="destination">Receives one confidence per row.</param>
    public static void Confidence(DeferralRule rule, ReadOnlySpan<float> probabilities, int classes, Span<float> destination)
    {
        int rows = CheckShape(probabilities, classes, destination);
        for (int r = 0; r < rows; r++)
        {
            destination[r] = RowConfidence(rule, probabilities.Slice(r * classes, classes));
        }
    }

    /// <summary>The confidence of one row of probabilities under a rule that needs no fitted model.</summary>
    /// <param name="rule">The deferral rule (not <see cref="DeferralRule.Learned"/>).</param>
    /// <param name="row">The class probabilities of one row.</param>
    /// <returns>The confidence; higher means the student is surer.</returns>
    public static float RowConfidence(DeferralRule rule, ReadOnlySpan<float> row) => rule switch
    {
        DeferralRule.TopProbability => TensorPrimitives.Max(row),
        DeferralRule.Margin => SoftLabelMath.Margin(row),
        DeferralRule.Entropy => -(float)SoftLabelMath.Entropy(row),
        DeferralRule.Learned => throw new InvalidOperationException(
            "The Learned deferral rule has no fixed formula: its confidence comes from a fitted LearnedDeferral model, trained on held-out rows where the teacher is known."),
        _ => throw new ArgumentOutOfRangeException(nameof(rule), rule,
            $"Unknown deferral rule {rule}; expected one of {string.Join(", ", Enum.GetNames<DeferralRule>())}."),
    };

    /// <summary>Checks that the probabilities hold whole rows of <paramref name="classes"/> and that the destination has one slot per row.</summary>
    /// <returns>The number of rows.</returns>
    internal static int CheckShape(ReadOnlySpan<float> probabilities, int classes, Span<float> destination)
    {
        if (classes <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(classes), classes, "The number of classes must be positive.");
        }

        if (probabilities.Length % classes != 0)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"The probabilities hold {probabilities.Length} values, which is not a whole number of rows of {classes} classes."), nameof(probabilities));
        }

        int rows = probabilities.Length / classes;
        if (destination.Length != rows)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"The destination holds {destination.Length} confidences but the probabilities have {rows} rows; give one slot per row."), nameof(destination));
        }

        return rows;
    }
}
