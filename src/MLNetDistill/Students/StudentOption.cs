using System.Globalization;

namespace MLNetDistill.Students;

/// <summary>A numeric option of a student family (<c>trees=N</c>): its name, default and allowed range.</summary>
/// <param name="Name">The option's name in a spec, e.g. <c>trees</c>.</param>
/// <param name="Default">The value used when the spec does not set it.</param>
/// <param name="Min">The smallest allowed value.</param>
/// <param name="Max">The largest allowed value.</param>
/// <param name="Automatic">
/// When not null, the word for a default the library chooses by itself (<c>auto</c> for the MLP's epochs, chosen by
/// early stopping): <see cref="Default"/> is then the library's sentinel (outside [Min, Max]), the spec text spells it
/// with this word, and the word parses back to it.
/// </param>
internal sealed record StudentOption(string Name, double Default, double Min, double Max, string? Automatic = null)
{
    /// <summary>Gets whether <see cref="Min"/> itself is out of range (the value must be greater than it).</summary>
    public bool ExclusiveMin { get; init; }

    /// <summary>Gets whether the spec's canonical text leaves the option out at its default (options added later, so older specs print as before).</summary>
    public bool OmitWhenDefault { get; init; }

    /// <summary>Whether <paramref name="value"/> is in range.</summary>
    public bool InRange(double value) => !double.IsNaN(value) && (ExclusiveMin ? value > Min : value >= Min) && value <= Max;

    /// <summary>The range in words: <c>from 1 to 100</c>, or <c>greater than 0 and at most 100</c>.</summary>
    public string RangeText() => ExclusiveMin
        ? $"greater than {Min.ToString(CultureInfo.InvariantCulture)} and at most {Max.ToString(CultureInfo.InvariantCulture)}"
        : $"from {Min.ToString(CultureInfo.InvariantCulture)} to {Max.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Describes the option for help text and errors, e.g. <c>trees=N (1..100000, default 200)</c>.</summary>
    public override string ToString() =>
        $"{Name}=N ({(ExclusiveMin ? ">" : "")}{Min.ToString(CultureInfo.InvariantCulture)}..{Max.ToString(CultureInfo.InvariantCulture)}, default {Format(Default)})";

    /// <summary>The value as a spec writes it: the number, or the automatic word for the automatic default.</summary>
    public string Format(double value) =>
        Automatic is not null && value == Default ? Automatic : value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Whether <paramref name="text"/> is this option's automatic word.</summary>
    public bool IsAutomatic(string text) => Automatic is not null && string.Equals(text.Trim(), Automatic, StringComparison.OrdinalIgnoreCase);
}
