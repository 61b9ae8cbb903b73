using Microsoft.ML;

namespace MLNetDistill.Data;

/// <summary>
/// Spots a label that was read as a feature: a slot of a feature vector whose name (kept by the readers as the vector's
/// <c>SlotNames</c>) is one a label usually has. Used to explain a feature count one more than a model's input.
/// </summary>
/// <remarks>
/// Only names count. Values would mislead exactly where it matters: the first and last pixels of an image are integers of
/// small cardinality (mostly 0) just as a class index is, so a value test would point at a pixel.
/// </remarks>
internal static class LabelCandidates
{
    /// <summary>
    /// The key under which an exception's <see cref="Exception.Data"/> holds the name of the column that looks like a label,
    /// so a front end (the CLI) can add how to pass it in its own terms.
    /// </summary>
    public const string ExceptionDataKey = "MLNetDistill.LabelCandidate";

    private static readonly string[] Names = [DataColumnNames.Label, "Class", "Target", "Y"];

    /// <summary>Whether <paramref name="name"/> is a name labels usually have: label, class, target or y, ignoring case.</summary>
    /// <param name="name">A column name.</param>
    /// <returns>True for a label-like name.</returns>
    public static bool LooksLikeLabel(string name) => SlotNames.IsOneOf(name, Names);

    /// <summary>The first slot of <paramref name="column"/> whose slot name looks like a label.</summary>
    /// <param name="column">A vector column, such as the readers' <c>Features</c>.</param>
    /// <returns>The slot's name, or null when the column has no slot names or none looks like a label.</returns>
    public static string? InSlotNames(DataViewSchema.Column column)
    {
        foreach (string name in SlotNames.Of(column) ?? [])
        {
            if (LooksLikeLabel(name))
            {
                return name;
            }
        }

        return null;
    }
}
