using Microsoft.ML;
using Parquet;
using Parquet.Schema;

namespace MLNetDistill.Data;

/// <summary>
/// Reads a Parquet file as an <see cref="IDataView"/> with an optional <c>Label</c> column and a <c>Features</c> vector made
/// of the other numeric columns.
/// </summary>
/// <remarks>
/// The view is lazy: <see cref="Load"/> reads the file footer only; each cursor opens the file again and decodes one row
/// group at a time, so memory is bounded by the largest row group, not by the file.
/// </remarks>
public static class ParquetFeatureReader
{
    /// <summary>Opens a Parquet file as a streaming data view.</summary>
    /// <param name="path">The file. Numeric columns of any width (integers, floats, decimals) are read as Single; nulls are missing values (NaN).</param>
    /// <param name="labelColumnName">
    /// The label column's name (exact match first, then ignoring case). When null, a column named <c>Label</c> (any case,
    /// ML.NET's convention) is the label if the file has one; otherwise the data has no label.
    /// </param>
    /// <param name="labelOptional">
    /// When true, a <paramref name="labelColumnName"/> the file does not have means no label (transfer data nobody labeled)
    /// instead of an error.
    /// </param>
    /// <param name="ignoreColumns">
    /// Columns to leave out, such as an <c>Id</c> or a row number that is numeric but not a feature (matched as the label is:
    /// exactly first, then ignoring case). Null or empty leaves nothing out.
    /// </param>
    /// <returns>
    /// A view with <c>Label</c> (Single, when the file has the label column) and <c>Features</c> (vector of Single: every
    /// other top-level numeric column that is not ignored, in file order, with their names as slot names). Text, date, boolean
    /// and nested columns are left out. <see cref="IDataView.GetRowCount"/> is the file's row count.
    /// </returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ArgumentException">
    /// <paramref name="labelColumnName"/> is not in the file (and not optional), or two columns match it ignoring case; or an
    /// ignored column is not in the file (the message lists its columns) or is the label column.
    /// </exception>
    /// <exception cref="InvalidDataException">The file is not Parquet, its label column is not numeric, or it has no numeric feature column.</exception>
    public static IDataView Load(string path, string? labelColumnName = null, bool labelOptional = false, IReadOnlyCollection<string>? ignoreColumns = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Parquet file '{path}' was not found: check the path (relative paths start from '{Environment.CurrentDirectory}').", path);
        }

        ParquetReader reader = ParquetColumns.Open(path);
        try
        {
            DataField[] fields = ParquetColumns.Decode(path, "its schema", () => reader.Schema.Fields.OfType<DataField>().ToArray());
            string[] names = [.. fields.Select(f => f.Name)];
            int labelIndex = FeatureColumns.FindLabel(names, labelColumnName, labelOptional, path);
            if (labelIndex >= 0 && !ParquetColumns.IsNumeric(fields[labelIndex]))
            {
                throw new InvalidDataException(
                    $"Label column '{names[labelIndex]}' in '{path}' holds {fields[labelIndex].ClrType.Name} values: the label must be numeric (a class index 0..K-1 or a regression target).");
            }

            bool[]? ignored = FeatureColumns.Ignored(names, ignoreColumns, labelIndex, textIndex: -1, path);
            DataField[] features = [.. fields.Where((f, i) => i != labelIndex && ignored?[i] != true && ParquetColumns.IsNumeric(f))];
            if (features.Length == 0)
            {
                throw new InvalidDataException(
                    $"'{path}' has no numeric feature columns outside the label{(ignored is null ? "" : " and the ignored columns")}. Its top-level columns are: {ColumnNameList.Format(fields.Select(f => $"{f.Name} ({f.ClrType.Name})"))}.");
            }

            long rows = 0;
            for (int g = 0; g < reader.RowGroupCount; g++)
            {
                rows += reader.RowGroups[g].RowCount;
            }

            return new ParquetDataView(path, labelIndex >= 0 ? fields[labelIndex] : null, features, rows);
        }
        finally
        {
            ParquetColumns.Close(reader);
        }
    }

    /// <summary>The names of a Parquet file's top-level fields, in file order.</summary>
    internal static string[] ColumnNames(string path)
    {
        ParquetReader reader = ParquetColumns.Open(path);
        try
        {
            return ParquetColumns.Decode(path, "its schema", () => reader.Schema.Fields.OfType<DataField>().Select(f => f.Name).ToArray());
        }
        finally
        {
            ParquetColumns.Close(reader);
        }
    }
}
