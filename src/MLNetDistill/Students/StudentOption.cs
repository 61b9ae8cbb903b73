using System.Globalization;

namespace MLNetDistill.Students;

/// <summary>A numeric option of a student family (<c>trees=N</c>): its name, default and allowed range.</summary>
/// <param name="Name">The option's name in a spec, e.g. <c>trees</c>.</param>
/// <param name="Default">The value used when the spec does not set it.</param>
/// <param name="Min">The smallest allowed value.</param>
/// <param name="Max">The largest allowed value.</param>
internal sealed record StudentOption(string Name, double Default, double Min, double Max)
{
    /// <summary>Describes the option for help text and errors, e.g. <c>trees=N (1..100000, default 200)</c>.</summary>
    public override string ToString() =>
        $"{Name}=N ({Min.ToString(CultureInfo.InvariantCulture)}..{Max.ToString(CultureInfo.InvariantCulture)}, default {Default.ToString(CultureInfo.InvariantCulture)})";
}
