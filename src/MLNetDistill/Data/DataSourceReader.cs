using Microsoft.ML;

namespace MLNetDistill.Data;

/// <summary>Opens a data file as an <see cref="IDataView"/>, choosing the reader by the file's name.</summary>
public static class DataSourceReader
{
    /// <summary>The formats <see cref="Load"/> understands, for messages and help text.</summary>
    public const string SupportedFormats =
        ".csv, .tsv, .txt (delimited text with a header row), .parquet, and IDX images (*-images-idx3-ubyte or *-images-idx3-ubyte.gz)";

    /// <summary>Opens <paramref name="path"/> with the reader its name calls for.</summary>
    /// <param name="path">
    /// A data file: <c>.csv</c>/<c>.tsv</c>/<c>.txt</c> go to <see cref="CsvFeatureReader"/>, <c>.parquet</c> to
    /// <see cref="ParquetFeatureReader"/>, names ending in <c>idx3-ubyte</c> or <c>idx3-ubyte.gz</c> to <see cref="IdxReader"/>.
    /// A folder or a glob is not data (a folder of cache shards is read by <c>TeacherCache.Read</c>).
    /// </param>
    /// <param name="labelColumnName">
    /// The label column of a tabular file, exposed as <c>Label</c>. When null, a column named <c>Label</c> (any case, ML.NET's
    /// convention) is the label if the file has one, and otherwise the data has no label. IDX images have no columns: their
    /// labels come from the label file beside them (see <see cref="IdxReader.FindLabels"/>), whatever the name; a name given
    /// here only says that labels are wanted.
    /// </param>
    /// <param name="labelOptional">
    /// When true, a label that is asked for and absent (a tabular file without <paramref name="labelColumnName"/>, IDX images
    /// with no label file beside them) gives a view without <c>Label</c> instead of an error: for transfer data nobody labeled.
    /// IDX images without a label file never fail when no label is asked for (<paramref name="labelColumnName"/> null).
    /// </param>
    /// <param name="ignoreColumns">
    /// Columns of a tabular file to leave out of <c>Features</c>: numeric columns that are not features, such as an <c>Id</c>
    /// or a row number (matched as the label is: exactly first, then ignoring case). Each must be in the file and must not be
    /// the label; <see cref="ColumnNames"/> tells which columns a file has. IDX images have no columns to ignore. Null or empty
    /// leaves nothing out.
    /// </param>
    /// <returns>A lazy view with <c>Features</c> and, when the data has one, <c>Label</c>.</returns>
    /// <exception cref="FileNotFoundException">
    /// The file does not exist; or a label is asked for (and not optional) of IDX images with no label file beside them.
    /// </exception>
    /// <exception cref="ArgumentException">
    /// The path is a folder or glob, its format is not supported, or the label column asked for is not in a tabular file
    /// (and not optional); or an ignored column is not in the file (the message lists its columns), is the label, or is
    /// asked of IDX images.
    /// </exception>
    /// <exception cref="InvalidDataException">The file's content is not valid for its format.</exception>
    public static IDataView Load(string path, string? labelColumnName = null, bool labelOptional = false, IReadOnlyCollection<string>? ignoreColumns = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (Directory.Exists(path))
        {
            throw new ArgumentException(
                $"'{path}' is a folder, not a data file. Pass one file: {SupportedFormats}. (A folder of teacher-cache shards is read with TeacherCache.Read.)",
                nameof(path));
        }

        if (path.AsSpan().IndexOfAny('*', '?') >= 0)
        {
            throw new ArgumentException(
                $"'{path}' is a glob, not a data file. Pass one file: {SupportedFormats}. (Globs of teacher-cache shards are read with TeacherCache.Read.)",
                nameof(path));
        }

        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Data file '{path}' was not found: check the path (relative paths start from '{Environment.CurrentDirectory}').", path);
        }

        string name = Path.GetFileName(path);
        if (IsIdx(name))
        {
            if (ignoreColumns is { Count: > 0 })
            {
                throw new ArgumentException(
                    $"IDX images '{path}' have no columns, so columns {string.Join(", ", ignoreColumns)} cannot be ignored: every pixel is a feature. Ignore columns of CSV or Parquet files only.",
                    nameof(ignoreColumns));
            }

            return LoadIdx(path, labelColumnName, labelOptional);
        }

        string extension = Path.GetExtension(name).ToLowerInvariant();
        return extension switch
        {
            ".csv" or ".tsv" or ".txt" => CsvFeatureReader.Load(path, labelColumnName, labelOptional, ignoreColumns),
            ".parquet" => ParquetFeatureReader.Load(path, labelColumnName, labelOptional, ignoreColumns),
            _ => throw new ArgumentException(
                $"'{path}' has an unsupported format ('{(extension.Length == 0 ? "no extension" : extension)}'). Supported: {SupportedFormats}. Convert the file or rename it if its content is one of these.",
                nameof(path)),
        };
    }

    /// <summary>Opens a file whose examples are texts, keeping <paramref name="textColumnName"/> as a text column.</summary>
    /// <param name="path">A <c>.csv</c>, <c>.tsv</c> or <c>.txt</c> file (UTF-8, RFC 4180 quoting); see <see cref="CsvFeatureReader.LoadText"/>.</param>
    /// <param name="textColumnName">The column that holds the text.</param>
    /// <param name="labelColumnName">As for <see cref="Load"/>.</param>
    /// <param name="labelOptional">As for <see cref="Load"/>.</param>
    /// <param name="ignoreColumns">Columns left out of the view (an <c>Id</c>, a <c>Group</c>): each must be in the file and be neither the text nor the label column.</param>
    /// <returns>A lazy view with <c>Label</c> (Single, when present) and every other column that is not ignored as text.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ArgumentException">
    /// The path is a folder or glob; the format holds no text columns (IDX images, Parquet); the text column is missing, is the
    /// label, or holds numbers; the label column is missing (and not optional); an ignored column is not in the file or is the
    /// text or label column.
    /// </exception>
    /// <exception cref="InvalidDataException">The file's content is not valid (not UTF-8, ragged rows, ...); the message names the line.</exception>
    public static IDataView LoadText(string path, string textColumnName, string? labelColumnName = null, bool labelOptional = false, IReadOnlyCollection<string>? ignoreColumns = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentException.ThrowIfNullOrWhiteSpace(textColumnName);
        if (Directory.Exists(path) || path.AsSpan().IndexOfAny('*', '?') >= 0)
        {
            throw new ArgumentException($"'{path}' is a folder or a glob, not a data file: pass one .csv, .tsv or .txt file with a text column.", nameof(path));
        }

        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Data file '{path}' was not found: check the path (relative paths start from '{Environment.CurrentDirectory}').", path);
        }

        string extension = Path.GetExtension(path).ToLowerInvariant();
        return extension switch
        {
            ".csv" or ".tsv" or ".txt" => CsvFeatureReader.LoadText(path, textColumnName, labelColumnName, labelOptional, ignoreColumns),
            _ => throw new ArgumentException(
                $"'{path}' ('{(extension.Length == 0 ? "no extension" : extension)}') cannot hold text column '{textColumnName}': texts are read from .csv, .tsv or .txt files (UTF-8, RFC 4180 quoting). " +
                "Export the texts to CSV, or score numeric features without a text column.",
                nameof(path)),
        };
    }

    /// <summary>The column names of a data file, in file order: the header of a CSV/TSV file, the top-level fields of a Parquet file; none for IDX images.</summary>
    /// <param name="path">A data file, as for <see cref="Load"/>.</param>
    /// <returns>The names (a CSV header's blank names read as <c>column_N</c>, as the readers name them).</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ArgumentException">The format is not supported.</exception>
    /// <exception cref="InvalidDataException">The file is empty or not valid for its format.</exception>
    public static IReadOnlyList<string> ColumnNames(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Data file '{path}' was not found: check the path (relative paths start from '{Environment.CurrentDirectory}').", path);
        }

        string name = Path.GetFileName(path);
        if (IsIdx(name))
        {
            return [];
        }

        return Path.GetExtension(name).ToLowerInvariant() switch
        {
            ".csv" or ".tsv" or ".txt" => CsvFeatureReader.ColumnNames(path),
            ".parquet" => ParquetFeatureReader.ColumnNames(path),
            string extension => throw new ArgumentException(
                $"'{path}' has an unsupported format ('{(extension.Length == 0 ? "no extension" : extension)}'). Supported: {SupportedFormats}.", nameof(path)),
        };
    }

    private static bool IsIdx(string name) =>
        name.EndsWith("idx3-ubyte", StringComparison.OrdinalIgnoreCase) || name.EndsWith("idx3-ubyte.gz", StringComparison.OrdinalIgnoreCase);

    private static IDataView LoadIdx(string path, string? labelColumnName, bool labelOptional)
    {
        IDataView view = IdxReader.Load(path);
        if (labelColumnName is null || labelOptional || view.Schema.GetColumnOrNull(DataColumnNames.Label) is not null)
        {
            return view;
        }

        string? expected = IdxReader.LabelsNamedLike(path);
        string where = expected is null
            ? "its name holds no 'images' and 'idx3' to derive a label file name from (load it with IdxReader.Load(images, labels))"
            : $"expected '{expected}' (with or without .gz)";
        throw new FileNotFoundException(
            $"Label column '{labelColumnName}' was asked for, but IDX images '{path}' have no label file beside them: {where}. " +
            "IDX labels come from that file, not from a column: put it beside the images, or read them without a label.",
            expected ?? path);
    }
}
