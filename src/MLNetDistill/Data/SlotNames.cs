using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetDistill.Data;

/// <summary>
/// The names the readers keep for a feature vector's slots (its <c>SlotNames</c> annotation), and the name matching that
/// <see cref="LabelCandidates"/> and <see cref="NonFeatureCandidates"/> share to explain a feature count.
/// </summary>
internal static class SlotNames
{
    /// <summary>The slot names of <paramref name="column"/>, or null when it has none.</summary>
    /// <param name="column">A vector column, such as the readers' <c>Features</c>.</param>
    /// <returns>The names, one per slot.</returns>
    public static string[]? Of(DataViewSchema.Column column)
    {
        if (column.Type is not VectorDataViewType { Size: > 0 } vector
            || column.Annotations.Schema.GetColumnOrNull("SlotNames") is not { Type: VectorDataViewType { ItemType: TextDataViewType } slots }
            || slots.Size != vector.Size)
        {
            return null;
        }

        VBuffer<ReadOnlyMemory<char>> names = default;
        column.GetSlotNames(ref names);
        var result = new string[vector.Size];
        int i = 0;
        foreach (ReadOnlyMemory<char> slot in names.DenseValues())
        {
            result[i++] = slot.ToString();
        }

        return result;
    }

    /// <summary>Whether <paramref name="name"/>, trimmed, is one of <paramref name="candidates"/>, ignoring case.</summary>
    /// <param name="name">A column or slot name.</param>
    /// <param name="candidates">The names to match.</param>
    /// <returns>True on a match.</returns>
    public static bool IsOneOf(string name, ReadOnlySpan<string> candidates)
    {
        ArgumentNullException.ThrowIfNull(name);
        string trimmed = name.Trim();
        foreach (string candidate in candidates)
        {
            if (string.Equals(trimmed, candidate, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
