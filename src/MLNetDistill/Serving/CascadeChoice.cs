namespace MLNetDistill.Serving;

/// <summary>The threshold a cascade chose on held-out rows for a <see cref="CascadeTarget"/>.</summary>
/// <param name="Threshold">Rows whose confidence is below it are deferred to the teacher.</param>
/// <param name="DeferredShare">The share of the held-out rows the threshold deferred.</param>
/// <param name="TargetMet">
/// Whether the held-out rows met the target at that share. When even deferring every row misses it (e.g. a
/// share of the teacher's quality above 1 that the cascade never reaches), this is <see langword="false"/>
/// and the choice defers every row.
/// </param>
public sealed record CascadeChoice(float Threshold, double DeferredShare, bool TargetMet);
