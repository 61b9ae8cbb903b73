namespace MLNetDistill.Serving;

/// <summary>
/// How a cascade turns the student's class probabilities of a row into a confidence (higher = surer).
/// Rows whose confidence is below the cascade's threshold are deferred to the teacher.
/// </summary>
public enum DeferralRule
{
    /// <summary>The student's largest class probability.</summary>
    TopProbability,

    /// <summary>The student's largest class probability minus its second largest (margin sampling's score).</summary>
    Margin,

    /// <summary>The negated entropy of the student's probabilities, in nats (a flat distribution is the least sure).</summary>
    Entropy,

    /// <summary>
    /// A small logistic model, trained on held-out rows where both student and teacher are known, that predicts
    /// from the student's probabilities whether the two agree; the confidence is that predicted probability.
    /// </summary>
    Learned,
}
