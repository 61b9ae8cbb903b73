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

    /// <summary>
    /// Marks the columns <paramref name="ignoreColumns"/> leaves out of a read. Each name matches as a label name does (exactly
    /// first, then ignoring case when only one column matches so).
    /// </summary>
    /// <param name="names">The file's column names, in file order.</param>
    /// <param name="ignoreColumns">The columns to leave out, or null for none.</param>
    /// <param name="labelIndex">The label's index, or -1: it cannot be ignored.</param>
    /// <param name="textIndex">The text column's index, or -1: it cannot be ignored.</param>
    /// <param name="path">The file, for messages.</param>
    /// <returns>One flag per column, true for an ignored one; null when nothing is ignored.</returns>
    /// <exception cref="ArgumentException">
    /// A name is blank, is not in the file (the message lists the file's columns), matches two columns ignoring case, or is
    /// the label or the text column.
    /// </exception>
    public static bool[]? Ignored(IReadOnlyList<string> names, IReadOnlyCollection<string>? ignoreColumns, int labelIndex, int textIndex, string path)
    {
        if (ignoreColumns is null || ignoreColumns.Count == 0)
        {
            return null;
        }

        var ignored = new bool[names.Count];
        foreach (string name in ignoreColumns)
        {
            if (string.IsNullOrWhiteSpace(name))
            {
                throw new ArgumentException(
                    $"An ignored column name is empty: name the columns of '{path}' to leave out ({ColumnNameList.Format(names)}).", IgnoreColumnsParameter);
            }

            int found = Find(names, name.Trim(), path, "Ignored column", IgnoreColumnsParameter);
            if (found < 0)
            {
                throw new ArgumentException(
                    $"Ignored column '{name}' is not in '{path}'. Its columns are: {ColumnNameList.Format(names)}. Ignore only columns the file has: a column that only some of your files have (a Group in the training file alone) goes in the ignored columns of those files only.",
                    IgnoreColumnsParameter);
            }

            if (found == labelIndex)
            {
                throw new ArgumentException(
                    $"Column '{names[found]}' is the label column of '{path}': it cannot also be ignored. Leave it out of the ignored columns (name another label column to use that one instead).",
                    IgnoreColumnsParameter);
            }

            if (found == textIndex)
            {
                throw new ArgumentException(
                    $"Column '{names[found]}' is the text column of '{path}': it cannot also be ignored. Leave it out of the ignored columns, or pass another text column.",
                    IgnoreColumnsParameter);
            }

            ignored[found] = true;
        }

        return ignored;
    }

    /// <summary>The readers' parameter that names the ignored columns, for <see cref="ArgumentException.ParamName"/>.</summary>
    public const string IgnoreColumnsParameter = "ignoreColumns";

    private static int Find(IReadOnlyList<string> names, string name, string path) =>
        Find(names, name, path, "Label column", "labelColumnName");

    private static int Find(IReadOnlyList<string> names, string name, string path, string what, string parameter)
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
                        $"{what} '{name}' matches both '{names[found]}' and '{names[i]}' in '{path}' when case is ignored: pass the exact name.",
                        parameter);
                }

                found = i;
            }
        }

        return found;
    }

    /// <summary>
    /// Checks that <paramref name="other"/> has as many features as <paramref name="train"/>, when both have a known-size
    /// <c>Features</c> vector; the error names the columns (slot names) only one of them has, and
    /// <see cref="NonFeatureCandidates.ExceptionDataKey"/> holds those that look like identifiers, for a front end.
    /// </summary>
    /// <param name="train">The training rows' schema.</param>
    /// <param name="other">The schema of test or transfer rows.</param>
    /// <param name="otherName">What <paramref name="other"/> is, for the message (<c>test</c>, <c>transfer</c>).</param>
    /// <param name="parameter">The parameter that passed <paramref name="other"/>.</param>
    /// <exception cref="ArgumentException">The feature counts differ.</exception>
    public static void CheckSameFeatures(DataViewSchema train, DataViewSchema other, string otherName, string parameter)
    {
        if (train.GetColumnOrNull(DataColumnNames.Features) is not { Type: VectorDataViewType { Size: > 0 } trainType } trainColumn
            || other.GetColumnOrNull(DataColumnNames.Features) is not { Type: VectorDataViewType { Size: > 0 } otherType } otherColumn
            || trainType.Size == otherType.Size)
        {
            return;
        }

        string[]? trainNames = SlotNames.Of(trainColumn);
        string[]? otherNames = SlotNames.Of(otherColumn);
        string message = $"The {otherName} data has {otherType.Size} features but the training data has {trainType.Size}: the student needs the same features in every file.";
        if (trainNames is null || otherNames is null)
        {
            throw new ArgumentException($"{message} Read both files with the same feature columns.", parameter);
        }

        string[] onlyOther = [.. otherNames.Except(trainNames, StringComparer.Ordinal)];
        string[] onlyTrain = [.. trainNames.Except(otherNames, StringComparer.Ordinal)];
        string Names(string[] names) => names.Length == 0 ? "(none)" : ColumnNameList.Format(names.Select(n => $"'{n}'"));
        var error = new ArgumentException(
            $"{message} Only in the {otherName} data: {Names(onlyOther)}; only in the training data: {Names(onlyTrain)}. " +
            "Only the columns the student uses must be in every file: leave a numeric column that is not a feature (an id, a row number) out with the ignored columns (DataSourceReader.Load's ignoreColumns), or add the missing feature columns.",
            parameter);
        string[] ids = [.. onlyOther.Concat(onlyTrain).Where(NonFeatureCandidates.LooksLikeIdentifier)];
        if (ids.Length > 0)
        {
            error.Data[NonFeatureCandidates.ExceptionDataKey] = string.Join(',', ids);
        }

        throw error;
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
