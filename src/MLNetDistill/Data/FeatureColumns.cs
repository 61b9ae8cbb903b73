using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetDistill.Data;

/// <summary>Schema pieces shared by the tabular readers: label lookup and the <c>Features</c> column with slot names.</summary>
internal static class FeatureColumns
{
    /// <summary>
    /// Finds the label column in <paramref name="names"/>: <paramref name="labelColumnName"/> when given, else a column named
    /// <c>Label</c> (ML.NET's convention). A name matches exactly first, then ignoring case when only one column matches so.
    /// </summary>
    /// <param name="names">The file's column names, in file order.</param>
    /// <param name="labelColumnName">The label column asked for, or null to take a column named <c>Label</c> if there is one.</param>
    /// <param name="labelOptional">When true, a <paramref name="labelColumnName"/> that is not in the file means no label instead of an error.</param>
    /// <param name="path">The file, for messages.</param>
    /// <returns>The label's index, or -1 when the data has no label.</returns>
    /// <exception cref="ArgumentException">
    /// More than one column matches ignoring case; or <paramref name="labelColumnName"/> is given, not optional, and no column
    /// has that name (the message lists the columns).
    /// </exception>
    public static int FindLabel(IReadOnlyList<string> names, string? labelColumnName, bool labelOptional, string path)
    {
        int found = Find(names, labelColumnName ?? DataColumnNames.Label, path);
        if (found < 0 && labelColumnName is not null && !labelOptional)
        {
            throw new ArgumentException(
                $"Label column '{labelColumnName}' is not in '{path}'. Its columns are: {ColumnNameList.Format(names)}. " +
                "Pass one of these as the label column, or none (a column named Label is then the label if there is one).",
                nameof(labelColumnName));
        }

        return found;
    }

    private static int Find(IReadOnlyList<string> names, string name, string path)
    {
        for (int i = 0; i < names.Count; i++)
        {
            if (string.Equals(names[i], name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        int found = -1;
        for (int i = 0; i < names.Count; i++)
        {
            if (string.Equals(names[i], name, StringComparison.OrdinalIgnoreCase))
            {
                if (found >= 0)
                {
                    throw new ArgumentException(
                        $"Label column '{name}' matches both '{names[found]}' and '{names[i]}' in '{path}' when case is ignored: pass the exact name as the label column.",
                        "labelColumnName");
                }

                found = i;
            }
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
