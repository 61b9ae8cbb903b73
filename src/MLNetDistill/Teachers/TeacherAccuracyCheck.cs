namespace MLNetDistill.Teachers;

/// <summary>
/// Says when a teacher's accuracy on labeled rows is clearly below chance, and why that usually happens. A teacher that
/// guesses at random among K classes is right on 1/K of the rows; one that is right on fewer, by more than three standard
/// errors of such a guesser (sqrt(p (1 - p) / n) with p = 1/K, so a random guesser trips it about once in 700 runs), is
/// not guessing: it reads the wrong output, numbers its classes in another order than the labels, or gets inputs scaled
/// differently from its training.
/// </summary>
internal static class TeacherAccuracyCheck
{
    /// <summary>The fewest labeled rows the check is made on: below this a handful of rows says little.</summary>
    internal const long MinimumRows = 20;

    /// <summary>How many standard errors below chance the accuracy must be.</summary>
    internal const double StandardErrors = 3;

    /// <summary>The accuracy below which a teacher of <paramref name="classes"/> classes measured on <paramref name="rows"/> rows is clearly below chance.</summary>
    internal static double Threshold(int classes, long rows)
    {
        double chance = 1.0 / classes;
        return chance - StandardErrors * Math.Sqrt(chance * (1 - chance) / rows);
    }

    /// <summary>The warning for an accuracy clearly below chance, else null.</summary>
    /// <param name="accuracy">The teacher's accuracy on <paramref name="rows"/> labeled rows.</param>
    /// <param name="rows">The labeled rows.</param>
    /// <param name="classes">The teacher's class count K.</param>
    /// <param name="output">The model output read.</param>
    /// <param name="outputs">The model's outputs, listed.</param>
    internal static string? Message(double accuracy, long rows, int classes, string output, string outputs)
    {
        if (classes < 2 || rows < MinimumRows || double.IsNaN(accuracy) || accuracy >= Threshold(classes, rows))
        {
            return null;
        }

        return FormattableString.Invariant(
            $"The teacher's accuracy on {rows:N0} labeled rows is {accuracy:P1}, below chance ({1.0 / classes:P1} for {classes} classes): its predictions do not match the labels. Likely causes: ")
            + FormattableString.Invariant($"the output read ('{output}') is not its predictions (its outputs: {outputs}; choose one with TeacherOutputName, CLI: --teacher-output NAME); ")
            + "its classes are in another order than the label values (class i of the output must be label value i, or the i-th label in sorted order); "
            + "or the inputs are not scaled as in its training (e.g. pixels in 0-255 for a teacher trained on 0-1, or unstandardized features).";
    }
}
