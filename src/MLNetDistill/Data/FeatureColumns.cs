using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetDistill.Data;

/// <summary>Schema pieces shared by the tabular readers: label lookup and the <c>Features</c> column with slot names.</summary>
internal static class FeatureColumns
{
    /// <summary>
    /// Finds <paramref name="labelColumn"/> in <paramref name="names"/>: an exact match first, then a unique case-insensitive one.
    /// </summary>
    /// <returns>The index, or -1 when <paramref name="labelColumn"/> is null.</returns>
    /// <exception cref="ArgumentException">No column (or more than one, ignoring case) has that name; lists the columns.</exception>
    public static int FindLabel(IReadOnlyList<string> names, string? labelColumn, string path)
    {
        if (labelColumn is null)
        {
            return -1;
        }

        for (int i = 0; i < names.Count; i++)
        {
            if (string.Equals(names[i], labelColumn, StringComparison.Ordinal))
            {
                return i;
            }
        }

        int found = -1;
        for (int i = 0; i < names.Count; i++)
        {
            if (string.Equals(names[i], labelColumn, StringComparison.OrdinalIgnoreCase))
            {
                if (found >= 0)
                {
                    throw new ArgumentException(
                        $"Label column '{labelColumn}' matches both '{names[found]}' and '{names[i]}' in '{path}' when case is ignored: pass the exact name.",
                        nameof(labelColumn));
                }

                found = i;
            }
        }

        if (found < 0)
        {
            throw new ArgumentException(
                $"Label column '{labelColumn}' is not in '{path}'. Its columns are: {string.Join(", ", names)}. Pass one of these, or no label column.",
                nameof(labelColumn));
        }

        return found;
    }

    /// <summary>Builds the schema [Label (Single)]? + Features (vector of Single with slot names).</summary>
    public static DataViewSchema Schema(bool hasLabel, string[] featureNames)
    {
        var builder = new DataViewSchema.Builder();
        if (hasLabel)
        {
            builder.AddColumn(DataColumnNames.Label, NumberDataViewType.Single);
        }

        var slotType = new VectorDataViewType(TextDataViewType.Instance, featureNames.Length);
        var annotations = new DataViewSchema.Annotations.Builder();
        ValueGetter<VBuffer<ReadOnlyMemory<char>>> slotNames = (ref VBuffer<ReadOnlyMemory<char>> value) =>
        {
            VBufferEditor<ReadOnlyMemory<char>> editor = VBufferEditor.Create(ref value, featureNames.Length);
            for (int i = 0; i < featureNames.Length; i++)
            {
                editor.Values[i] = featureNames[i].AsMemory();
            }

            value = editor.Commit();
        };
        annotations.Add("SlotNames", slotType, slotNames);
        builder.AddColumn(DataColumnNames.Features, new VectorDataViewType(NumberDataViewType.Single, featureNames.Length), annotations.ToAnnotations());
        return builder.ToSchema();
    }
}
