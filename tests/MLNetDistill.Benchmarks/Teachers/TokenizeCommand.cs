using System.Globalization;
using System.Text;
using Microsoft.ML;
using MLNetDistill.Data;
using MLNetDistill.Text;

namespace MLNetDistill.Benchmarks.Teachers;

/// <summary>
/// `-- tokenize VOCAB CSV TEXTCOLUMN MAXTOKENS OUT`: writes the token ids the scorer feeds a text teacher, one row per line
/// (`label TAB truncated(0|1) TAB id id ...`), through the library's own reader and tokenizer. The text-teacher script
/// (samples/teachers/make_text_teacher.py) trains on these ids, so training and scoring see the same tokens by construction.
/// </summary>
internal static class TokenizeCommand
{
    public static int Run(string[] args)
    {
        if (args.Length != 5)
        {
            Console.Error.WriteLine("usage: tokenize VOCAB CSV TEXTCOLUMN MAXTOKENS OUT");
            return 2;
        }

        TeacherTokenizer tokenizer = TeacherTokenizer.LoadFile(args[0]);
        int maxTokens = int.Parse(args[3], CultureInfo.InvariantCulture);
        IDataView view = CsvFeatureReader.LoadText(args[1], args[2], labelOptional: true);
        var text = view.Schema[args[2]];
        var label = view.Schema.GetColumnOrNull(DataColumnNames.Label);
        using var cursor = view.GetRowCursor(label is { } l ? [text, l] : [text]);
        var getText = cursor.GetGetter<ReadOnlyMemory<char>>(text);
        var getLabel = label is { } c ? cursor.GetGetter<float>(c) : null;
        using var writer = new StreamWriter(args[4], false, new UTF8Encoding(false));
        var line = new StringBuilder();
        long rows = 0;
        long truncatedRows = 0;
        ReadOnlyMemory<char> value = default;
        char[]? scratch = null;
        float y = float.NaN;
        while (cursor.MoveNext())
        {
            getText(ref value);
            getLabel?.Invoke(ref y);
            IReadOnlyList<int> ids = tokenizer.Encode(value.Span, maxTokens, ref scratch, out bool truncated);
            line.Clear().Append(y.ToString(CultureInfo.InvariantCulture)).Append('\t').Append(truncated ? '1' : '0').Append('\t');
            for (int i = 0; i < ids.Count; i++)
            {
                if (i > 0)
                {
                    line.Append(' ');
                }

                line.Append(ids[i].ToString(CultureInfo.InvariantCulture));
            }

            writer.WriteLine(line);
            rows++;
            truncatedRows += truncated ? 1 : 0;
        }

        Console.WriteLine($"{rows} rows, {truncatedRows} truncated at {maxTokens} tokens, vocabulary {tokenizer.VocabularySize} ({tokenizer.Kind}) -> {args[4]}");
        return 0;
    }
}
