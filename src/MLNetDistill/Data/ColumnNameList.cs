using Microsoft.ML;

namespace MLNetDistill.Data;

/// <summary>
/// Formats the column names an error message lists: at most <see cref="MaxNames"/> of them, then "... and N more",
/// so a message about a 785-column file stays one readable line.
/// </summary>
internal static class ColumnNameList
{
    /// <summary>How many names a message lists before it counts the rest.</summary>
    public const int MaxNames = 10;

    /// <summary>Joins <paramref name="names"/> with ", ", keeping the first <see cref="MaxNames"/> and counting the rest.</summary>
    /// <param name="names">The names, in the order to list them.</param>
    /// <returns>For example <c>a, b, c</c>, or <c>pixel0, ..., pixel9, ... and 775 more</c>; <c>(none)</c> when there are no names.</returns>
    public static string Format(IEnumerable<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        var text = new System.Text.StringBuilder();
        int count = 0;
        foreach (string name in names)
        {
            if (count < MaxNames)
            {
                if (count > 0)
                {
                    text.Append(", ");
                }

                text.Append(name);
            }

            count++;
        }

        if (count == 0)
        {
            return "(none)";
        }

        if (count > MaxNames)
        {
            text.Append(", ... and ").Append(count - MaxNames).Append(" more");
        }

        return text.ToString();
    }

    /// <summary>Lists the visible (not hidden) columns of <paramref name="schema"/>, as <see cref="Format(IEnumerable{string})"/> does.</summary>
    /// <param name="schema">The schema whose columns to list.</param>
    /// <returns>The formatted names.</returns>
    public static string Format(DataViewSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        return Format(VisibleNames(schema));
    }

    private static IEnumerable<string> VisibleNames(DataViewSchema schema)
    {
        foreach (DataViewSchema.Column column in schema)
        {
            if (!column.IsHidden)
            {
                yield return column.Name;
            }
        }
    }
}
