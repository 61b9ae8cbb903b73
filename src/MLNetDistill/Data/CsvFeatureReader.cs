using Microsoft.ML;

namespace MLNetDistill.Data;

/// <summary>
/// Reads a CSV or TSV file with a header row as an <see cref="IDataView"/> with an optional <c>Label</c> column and a
/// <c>Features</c> vector made of the other numeric columns.
/// </summary>
/// <remarks>
/// The view is lazy: <see cref="Load"/> reads the header and the first data row only (to check the file and to tell
/// numeric columns from text ones); each cursor reads the file again, row by row. A bad row is reported, with its
/// line and column, when a cursor reaches it.
/// </remarks>
public static class CsvFeatureReader
{
    /// <summary>Opens a delimited text file as a streaming data view.</summary>
    /// <param name="path">
    /// The file. Tab-separated when it ends in <c>.tsv</c> or its header holds a tab, comma-separated otherwise. Numbers use
    /// the invariant culture (a dot for decimals); an empty cell is a missing value (NaN); cells may be double-quoted.
    /// </param>
    /// <param name="labelColumnName">
    /// The label column's name (exact match first, then ignoring case), read as Single. When null, a column named <c>Label</c>
    /// (any case, ML.NET's convention) is the label if the file has one; otherwise the data has no label.
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
    /// A view with <c>Label</c> (Single, when the file has the label column) and <c>Features</c> (vector of Single, the
    /// other columns in file order, with their names as slot names). A column whose first data cell is not a number is text
    /// and is left out, as are the ignored columns. <see cref="IDataView.GetRowCount"/> returns null.
    /// </returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ArgumentException">
    /// <paramref name="labelColumnName"/> is not in the file (and not optional), or two columns match it ignoring case; or an
    /// ignored column is not in the file (the message lists its columns) or is the label column.
    /// </exception>
    /// <exception cref="InvalidDataException">
    /// The file is empty, has no data rows or no numeric columns, or its header repeats a name. Later, from the cursor:
    /// a row has the wrong number of cells or a non-numeric cell in a numeric column.
    /// </exception>
    public static IDataView Load(string path, string? labelColumnName = null, bool labelOptional = false, IReadOnlyCollection<string>? ignoreColumns = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"CSV file '{path}' was not found: check the path (relative paths start from '{Environment.CurrentDirectory}').", path);
        }

        using var lines = new CsvLineReader(path);
        if (!lines.TryReadLine(out ReadOnlySpan<char> headerLine) || headerLine.IsWhiteSpace())
        {
            throw new InvalidDataException($"'{path}' is empty: expected a header row naming the columns, then one row per example.");
        }

        char delimiter = CsvCells.DetectDelimiter(path, headerLine);
        string[] names = SplitHeader(headerLine, delimiter, path);
        int labelIndex = FeatureColumns.FindLabel(names, labelColumnName, labelOptional, path);
        bool[]? ignored = FeatureColumns.Ignored(names, ignoreColumns, labelIndex, textIndex: -1, path);

        ReadOnlySpan<char> first;
        do
        {
            if (!lines.TryReadLine(out first))
            {
                throw new InvalidDataException($"'{path}' has a header but no data rows: there is nothing to read.");
            }
        }
        while (first.IsEmpty);

        var cells = new Range[names.Length + 1];
        int count = CsvCells.Split(first, delimiter, cells);
        if (count != names.Length)
        {
            throw CsvDataView.Ragged(path, lines.LineNumber, count, names.Length, first);
        }

        var featureIndices = new List<int>(names.Length);
        var featureNames = new List<string>(names.Length);
        for (int i = 0; i < names.Length; i++)
        {
            if (i != labelIndex && ignored?[i] != true && CsvCells.TryParse(first[cells[i]], out _))
            {
                featureIndices.Add(i);
                featureNames.Add(names[i]);
            }
        }

        if (featureIndices.Count == 0)
        {
            throw new InvalidDataException(
                $"'{path}' has no numeric feature columns: line {lines.LineNumber} holds no number outside the label column{(ignored is null ? "" : " and the ignored columns")}. Columns: {ColumnNameList.Format(names)}.");
        }

        return new CsvDataView(path, delimiter, names, labelIndex, [.. featureIndices], [.. featureNames]);
    }

    /// <summary>
    /// Opens a delimited text file whose columns are text (emails, tickets, reviews) as a streaming data view: an optional
    /// <c>Label</c> (Single) and every other column as text under its own name.
    /// </summary>
    /// <param name="path">
    /// The file, UTF-8. Tab-separated when it ends in <c>.tsv</c> or its header holds a tab, comma-separated otherwise.
    /// Cells follow RFC 4180: a cell in double quotes may hold the delimiter, line breaks and doubled quotes (<c>""</c> for one).
    /// </param>
    /// <param name="textColumnName">The column that holds the text (exact match first, then ignoring case).</param>
    /// <param name="labelColumnName">As for <see cref="Load"/>: read as Single; null takes a column named <c>Label</c> if there is one.</param>
    /// <param name="labelOptional">As for <see cref="Load"/>: a missing label column means no label instead of an error.</param>
    /// <param name="ignoreColumns">As for <see cref="Load"/>: columns left out of the view (an <c>Id</c>, a <c>Group</c>); not the text or label column.</param>
    /// <returns>
    /// A view with <c>Label</c> (Single, when the file has the label column) and one <see cref="Microsoft.ML.Data.TextDataViewType"/>
    /// column per other file column that is not ignored, in file order (so <paramref name="textColumnName"/> and, say, an <c>Id</c>
    /// or <c>Group</c> column come through). Each text value is a new string per row. <see cref="IDataView.GetRowCount"/> returns null.
    /// </returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ArgumentException">
    /// <paramref name="textColumnName"/> is not in the file, is the label column, or holds only numbers in the first 64 rows
    /// (a numeric column, not text); or the label column is missing (and not optional); or an ignored column is not in the
    /// file (the message lists its columns) or is the text or label column.
    /// </exception>
    /// <exception cref="InvalidDataException">
    /// The file is empty, has no data rows, is not UTF-8 (the message names the line), or its header repeats a name. Later,
    /// from the cursor: a record has the wrong number of cells, a label is not a number, or bytes are not UTF-8.
    /// </exception>
    /// <example>
    /// <code>
    /// IDataView emails = CsvFeatureReader.LoadText("samples/data/spam-assassin/csv/test.csv", "Text");
    /// // columns: Id (Text), Text (Text), Label (Single), Group (Text)
    /// </code>
    /// </example>
    public static IDataView LoadText(string path, string textColumnName, string? labelColumnName = null, bool labelOptional = false, IReadOnlyCollection<string>? ignoreColumns = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentException.ThrowIfNullOrWhiteSpace(textColumnName);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"CSV file '{path}' was not found: check the path (relative paths start from '{Environment.CurrentDirectory}').", path);
        }

        using var lines = new CsvLineReader(path, strictUtf8: true);
        if (!lines.TryReadRecord(out ReadOnlySpan<char> headerLine, out _) || headerLine.IsWhiteSpace())
        {
            throw new InvalidDataException($"'{path}' is empty: expected a header row naming the columns, then one row per example.");
        }

        char delimiter = CsvCells.DetectDelimiter(path, headerLine);
        string[] names = SplitHeader(headerLine, delimiter, path);
        int labelIndex = FeatureColumns.FindLabel(names, labelColumnName, labelOptional, path);
        int textIndex = FindText(names, textColumnName, path);
        if (textIndex == labelIndex)
        {
            throw new ArgumentException(
                $"Text column '{textColumnName}' is also the label column in '{path}': the text must be its own column. Columns: {ColumnNameList.Format(names)}.",
                nameof(textColumnName));
        }

        bool[]? ignored = FeatureColumns.Ignored(names, ignoreColumns, labelIndex, textIndex, path);
        var cells = new Range[names.Length + 1];
        int rows = 0;
        int numeric = 0;
        bool sawText = false;
        string? sample = null;
        while (rows < 64 && lines.TryReadRecord(out ReadOnlySpan<char> record, out long line))
        {
            if (record.IsEmpty)
            {
                continue;
            }

            int count = CsvCells.Split(record, delimiter, cells);
            if (count != names.Length)
            {
                throw CsvDataView.Ragged(path, line, count, names.Length);
            }

            rows++;
            ReadOnlySpan<char> cell = record[cells[textIndex]];
            if (!cell.IsWhiteSpace() && CsvCells.TryParse(cell, out _))
            {
                numeric++;
                sample ??= CsvCells.Text(cell);
            }
            else if (!cell.IsWhiteSpace())
            {
                sawText = true;
            }
        }

        if (rows == 0)
        {
            throw new InvalidDataException($"'{path}' has a header but no data rows: there is nothing to read.");
        }

        if (numeric > 0 && !sawText)
        {
            throw new ArgumentException(
                $"Column '{names[textIndex]}' of '{path}' is not text: its {numeric} non-empty cells in the first {rows} rows are all numbers (such as '{sample}'). " +
                $"Pass the column that holds the text; columns: {ColumnNameList.Format(names)}.",
                nameof(textColumnName));
        }

        return new CsvTextDataView(path, delimiter, names, labelIndex, ignored);
    }

    /// <summary>The names in the header of a delimited text file (blank names read as <c>column_N</c>).</summary>
    internal static string[] ColumnNames(string path)
    {
        using var lines = new CsvLineReader(path);
        if (!lines.TryReadLine(out ReadOnlySpan<char> headerLine) || headerLine.IsWhiteSpace())
        {
            throw new InvalidDataException($"'{path}' is empty: expected a header row naming the columns, then one row per example.");
        }

        return SplitHeader(headerLine, CsvCells.DetectDelimiter(path, headerLine), path);
    }

    private static int FindText(string[] names, string textColumnName, string path)
    {
        int exact = Array.IndexOf(names, textColumnName);
        if (exact >= 0)
        {
            return exact;
        }

        int found = -1;
        for (int i = 0; i < names.Length; i++)
        {
            if (string.Equals(names[i], textColumnName, StringComparison.OrdinalIgnoreCase))
            {
                if (found >= 0)
                {
                    throw new ArgumentException(
                        $"Text column '{textColumnName}' matches both '{names[found]}' and '{names[i]}' in '{path}' when case is ignored: pass the exact name.",
                        nameof(textColumnName));
                }

                found = i;
            }
        }

        if (found < 0)
        {
            throw new ArgumentException(
                $"Text column '{textColumnName}' is not in '{path}'. Its columns are: {ColumnNameList.Format(names)}. Pass one of these as the text column.",
                nameof(textColumnName));
        }

        return found;
    }

    private static string[] SplitHeader(ReadOnlySpan<char> header, char delimiter, string path)
    {
        int count = CsvCells.Split(header, delimiter, []);
        var cells = new Range[count];
        CsvCells.Split(header, delimiter, cells);
        string[] names = new string[count];
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            string name = CsvCells.Text(header[cells[i]]).Trim();
            if (name.Length == 0)
            {
                name = $"column_{i}";
            }

            if (!seen.TryAdd(name, i))
            {
                throw new InvalidDataException(
                    $"'{path}' header names column '{name}' twice (columns {seen[name] + 1} and {i + 1}): rename one so every column has its own name.");
            }

            names[i] = name;
        }

        return names;
    }
}
