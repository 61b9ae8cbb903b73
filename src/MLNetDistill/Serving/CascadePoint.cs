namespace MLNetDistill.Serving;

/// <summary>One operating point of a cascade: the rows below <paramref name="Threshold"/> go to the teacher, the rest keep the student's answer.</summary>
/// <param name="DeferredShare">The share of rows sent to the teacher, in [0, 1].</param>
/// <param name="Accuracy">The cascade's accuracy against the labels; <see langword="null"/> when the rows have no labels.</param>
/// <param name="Agreement">The share of rows whose cascade answer equals the teacher's arg-max (a deferred row agrees by definition).</param>
/// <param name="Threshold">The confidence threshold: rows whose confidence is below it are deferred (negative infinity defers none, positive infinity all).</param>
public sealed record CascadePoint(double DeferredShare, double? Accuracy, double Agreement, float Threshold);
