namespace MLNetDistill.Students;

/// <summary>A text option of a student family with a fixed set of values (<c>loss=kd|mse|hint|rkd</c>); the first value is the default.</summary>
/// <param name="Name">The option's name in a spec, e.g. <c>loss</c>.</param>
/// <param name="Values">The allowed values, lowercase, the default first.</param>
internal sealed record StudentChoice(string Name, IReadOnlyList<string> Values)
{
    /// <summary>Gets the value used when the spec does not set it.</summary>
    public string Default => Values[0];

    /// <summary>Gets whether the spec's canonical text leaves the choice out at its default (choices added later, so older specs print as before).</summary>
    public bool OmitWhenDefault { get; init; }

    /// <summary>Describes the option for help text and errors, e.g. <c>loss=kd|mse|hint|rkd</c>.</summary>
    public override string ToString() => $"{Name}={string.Join('|', Values)}";

    /// <summary>The allowed values as a sentence: <c>kd, mse, hint or rkd</c>.</summary>
    public string Sentence() => Values.Count == 1 ? Values[0] : string.Join(", ", Values.Take(Values.Count - 1)) + " or " + Values[^1];
}
