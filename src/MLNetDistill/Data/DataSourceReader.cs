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
    /// A folder or a glob is not data (a folder of cache shards is read by <see cref="TeacherCache.Read"/>).
    /// </param>
    /// <param name="labelColumnName">
    /// The label column for tabular files; null: a column named <c>Label</c> (ignoring case) is the label when present.
    /// Ignored for IDX, whose labels come from the label file.
    /// </param>
    /// <param name="labelOptional">Whether a named label column may be absent (the view then has no <c>Label</c>), as for unlabeled transfer data.</param>
    /// <returns>A lazy view with <c>Features</c> and, when known, <c>Label</c>.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ArgumentException">The path is a folder or glob, or its format is not supported.</exception>
    /// <exception cref="InvalidDataException">The file's content is not valid for its format.</exception>
    public static IDataView Load(string path, string? labelColumnName = null, bool labelOptional = false)
    {
        if (labelColumnName is null || labelOptional)
        {
            try
            {
                return LoadNamed(path, labelColumnName ?? DataColumnNames.Label);
            }
            catch (ArgumentException e) when (e.ParamName == "labelColumn")
            {
                return LoadNamed(path, null);
            }
        }

        return LoadNamed(path, labelColumnName);
    }

    private static IDataView LoadNamed(string path, string? labelColumn)
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
        if (name.EndsWith("idx3-ubyte", StringComparison.OrdinalIgnoreCase) || name.EndsWith("idx3-ubyte.gz", StringComparison.OrdinalIgnoreCase))
        {
            return IdxReader.Load(path);
        }

        string extension = Path.GetExtension(name).ToLowerInvariant();
        return extension switch
        {
            ".csv" or ".tsv" or ".txt" => CsvFeatureReader.Load(path, labelColumn),
            ".parquet" => ParquetFeatureReader.Load(path, labelColumn),
            _ => throw new ArgumentException(
                $"'{path}' has an unsupported format ('{(extension.Length == 0 ? "no extension" : extension)}'). Supported: {SupportedFormats}. Convert the file or rename it if its content is one of these.",
                nameof(path)),
        };
    }
}
