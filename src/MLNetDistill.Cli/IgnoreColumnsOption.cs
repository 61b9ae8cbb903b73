using System.CommandLine;
using MLNetDistill.Data;

namespace MLNetDistill.Cli;

/// <summary><c>--ignore-columns A,B</c>, shared by the commands that read data files for a teacher or a student.</summary>
internal static class IgnoreColumnsOption
{
    /// <summary>The flag, as the commands' <c>Flags</c> map the readers' parameter to it.</summary>
    public const string Flag = "--ignore-columns";

    /// <summary>The readers' parameter name, for the commands' <c>Flags</c>.</summary>
    public const string Parameter = "ignoreColumns";

    /// <summary>The option, with the same help on every command.</summary>
    public static Option<string?> Create() => new(Flag)
    {
        Description = "Columns of CSV or Parquet files to leave out, separated by ',' (e.g. Id,Group): numeric columns that are not features, " +
            "such as an id or a row number, which would otherwise be read as features. Each must be in one of the data files; a file without it is read as it is.",
    };

    /// <summary>The names of <c>--ignore-columns</c>: separated by ',', blanks dropped; empty when the option is not given.</summary>
    public static string[] Parse(string? value) =>
        value is null ? [] : value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>
    /// The ignored columns to read <paramref name="path"/> with: those it has, and those no file of the command has (so the
    /// reader's error names them with the file's columns). A column of one file only (an <c>Id</c> in the training file but
    /// not in the test file) is left out of the files without it.
    /// </summary>
    /// <param name="path">The file about to be read.</param>
    /// <param name="names">The parsed <c>--ignore-columns</c>.</param>
    /// <param name="files">Every data file of the command (null entries for options not given).</param>
    public static string[] For(string path, string[] names, params string?[] files)
    {
        if (names.Length == 0)
        {
            return names;
        }

        var columns = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        IReadOnlyList<string> ColumnsOf(string file) => columns.TryGetValue(file, out var known) ? known : columns[file] = DataSourceReader.ColumnNames(file);
        bool Has(string file, string name) => ColumnsOf(file).Contains(name, StringComparer.OrdinalIgnoreCase);
        return [.. names.Where(name => Has(path, name) || !files.OfType<string>().Any(file => file != path && File.Exists(file) && Has(file, name)))];
    }
}
