using System.Globalization;

namespace MLNetDistill.Data;

/// <summary>Splits one delimited line into cells and parses numbers, without allocating.</summary>
/// <remarks>
/// Quoting is minimal: a cell that starts with a double quote runs to the matching closing quote, and a doubled quote
/// inside stands for one quote. Quoted line breaks are not supported. Numbers use the invariant culture.
/// </remarks>
internal static class CsvCells
{
    /// <summary>Picks the delimiter: tab for <c>.tsv</c> files or a header with a tab in it, comma otherwise.</summary>
    public static char DetectDelimiter(string path, ReadOnlySpan<char> header) =>
        path.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase) || header.Contains('\t') ? '\t' : ',';

    /// <summary>
    /// Splits <paramref name="line"/>; stores up to <paramref name="cells"/>.Length cell ranges (quotes excluded) and returns
    /// the total number of cells, which may be larger.
    /// </summary>
    public static int Split(ReadOnlySpan<char> line, char delimiter, Span<Range> cells)
    {
        int count = 0;
        int i = 0;
        while (true)
        {
            int start;
            int end;
            if (i < line.Length && line[i] == '"')
            {
                start = i + 1;
                int j = start;
                while (true)
                {
                    int quote = line[j..].IndexOf('"');
                    if (quote < 0)
                    {
                        j = line.Length;
                        end = j;
                        break;
                    }

                    j += quote;
                    if (j + 1 < line.Length && line[j + 1] == '"')
                    {
                        j += 2;
                        continue;
                    }

                    end = j;
                    j++;
                    break;
                }

                int next = line[j..].IndexOf(delimiter);
                i = next < 0 ? line.Length : j + next;
            }
            else
            {
                start = i;
                int next = line[i..].IndexOf(delimiter);
                end = next < 0 ? line.Length : i + next;
                i = end;
            }

            if (count < cells.Length)
            {
                cells[count] = new Range(start, end);
            }

            count++;
            if (i >= line.Length)
            {
                return count;
            }

            i++; // past the delimiter
        }
    }

    /// <summary>A cell's text with doubled quotes undone (allocates; for headers and error messages).</summary>
    public static string Text(ReadOnlySpan<char> cell) => cell.Contains('"') ? cell.ToString().Replace("\"\"", "\"", StringComparison.Ordinal) : cell.ToString();

    /// <summary>Parses a number in the invariant culture; an empty or blank cell is a missing value (NaN).</summary>
    public static bool TryParse(ReadOnlySpan<char> cell, out float value)
    {
        if (cell.IsWhiteSpace())
        {
            value = float.NaN;
            return true;
        }

        return float.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }
}
