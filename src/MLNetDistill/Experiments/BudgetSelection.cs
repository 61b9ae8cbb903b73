namespace MLNetDistill.Experiments;

/// <summary>How a <see cref="BudgetedLabeling"/> run picks the pool rows the teacher labels next, from the current student's probabilities.</summary>
public enum BudgetSelection
{
    /// <summary>The rows with the smallest margin (top probability minus the runner-up): where the student hesitates between two classes.</summary>
    Margin,

    /// <summary>The rows with the highest entropy of the student's probabilities: where it is unsure across all classes.</summary>
    Entropy,

    /// <summary>Rows drawn at random (seeded): the plain alternative every run also measures.</summary>
    Random,

    /// <summary>
    /// Margin, then diversity: the rows of smallest margin (<see cref="BudgetOptions.DiverseCandidates"/> times the batch) are
    /// thinned by k-center greedy on the student's probabilities (each next row the one farthest from those already picked),
    /// so one batch does not spend every call on the same pair of classes.
    /// </summary>
    Diverse,
}
