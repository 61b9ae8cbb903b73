using Microsoft.ML;

namespace MLNetDistill.Data;

/// <summary>
/// Spots numeric columns that were read as features but are likely not features: an identifier, a row number, a pandas
/// index written to CSV. Used to explain a feature count larger than a model's input, by the slot names the readers keep.
/// </summary>
/// <remarks>As <see cref="LabelCandidates"/>, only names count: values of an id and of a pixel can look alike.</remarks>
internal static class NonFeatureCandidates
{
    /// <summary>
    /// The key under which an exception's <see cref="Exception.Data"/> holds the comma-separated names of the columns to
    /// leave out (empty when none looks like an identifier), so a front end (the CLI) can say how in its own terms.
    /// </summary>
    public const string ExceptionDataKey = "MLNetDistill.IgnoreCandidates";

    private static readonly string[] Names = ["id", "index", "idx", "row", "rowid", "row_id", "key", "uuid", "guid", "unnamed: 0", "column_0"];

    /// <summary>Whether <paramref name="name"/> reads as an identifier or row number: id, index, row, key, uuid, or ending in <c>_id</c> or <c>Id</c>.</summary>
    /// <param name="name">A column name.</param>
    /// <returns>True for an identifier-like name.</returns>
    public static bool LooksLikeIdentifier(string name)
    {
        if (SlotNames.IsOneOf(name, Names))
        {
            return true;
        }

        string trimmed = name.Trim();
        return trimmed.EndsWith("_id", StringComparison.OrdinalIgnoreCase)
            || (trimmed.Length > 2 && trimmed.EndsWith("Id", StringComparison.Ordinal) && char.IsLower(trimmed[^3]));
    }

    /// <summary>The slot names of <paramref name="column"/> that look like identifiers, in slot order.</summary>
    /// <param name="column">A vector column, such as the readers' <c>Features</c>.</param>
    /// <returns>The names; empty when the column has no slot names or none looks like an identifier.</returns>
    public static string[] InSlotNames(DataViewSchema.Column column) =>
        SlotNames.Of(column) is { } names ? [.. names.Where(LooksLikeIdentifier)] : [];
}
