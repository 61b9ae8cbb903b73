using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.Text;

namespace MLNetDistill.Benchmarks.Teachers;

/// <summary>
/// `-- tokenize-check VOCAB CSV [MAXTOKENS...]`: encodes every text of the CSV's Text column twice, whole (what
/// BertTokenizer gives for the full text) and as the scorer does (a prefix first, see TeacherTokenizer.Encode), and
/// counts the rows whose ids or truncation flag differ (must be 0), with the time of each.
/// </summary>
internal static class TokenizeCheckCommand
{
    public static int Run(string[] args)
    {
        if (args.Length < 2)
        {
            Console.Error.WriteLine("usage: tokenize-check VOCAB CSV [MAXTOKENS...]");
            return 2;
        }

        TeacherTokenizer tokenizer = TeacherTokenizer.LoadFile(args[0]);
        string[] texts = [.. DataSourceReader.LoadText(args[1], "Text", labelOptional: true).GetColumn<ReadOnlyMemory<char>>("Text").Select(t => t.ToString())];
        int[] limits = args.Length > 2 ? [.. args[2..].Select(a => int.Parse(a, CultureInfo.InvariantCulture))] : [16, 64, 128, 256, 512];
        int failures = 0;
        foreach (int maxTokens in limits)
        {
            char[]? scratch = null;
            var whole = new List<int>[texts.Length];
            var wholeTruncated = new bool[texts.Length];
            var watch = Stopwatch.StartNew();
            for (int i = 0; i < texts.Length; i++)
            {
                whole[i] = [.. tokenizer.EncodeBert(texts[i], maxTokens, ref scratch, out wholeTruncated[i])];
            }

            double wholeSeconds = watch.Elapsed.TotalSeconds;
            watch.Restart();
            int mismatches = 0;
            int truncated = 0;
            for (int i = 0; i < texts.Length; i++)
            {
                var ids = tokenizer.Encode(texts[i], maxTokens, ref scratch, out bool t);
                truncated += t ? 1 : 0;
                if (t != wholeTruncated[i] || !ids.SequenceEqual(whole[i]))
                {
                    mismatches++;
                    if (mismatches <= 3)
                    {
                        int at = 0;
                        while (at < ids.Count && at < whole[i].Count && ids[at] == whole[i][at])
                        {
                            at++;
                        }

                        Console.WriteLine($"  row {i}: truncated {t} vs whole {wholeTruncated[i]}; {ids.Count} vs {whole[i].Count} ids, first difference at {at}: [{string.Join(' ', ids.Skip(Math.Max(0, at - 2)).Take(5))}] vs [{string.Join(' ', whole[i].Skip(Math.Max(0, at - 2)).Take(5))}]");
                    }
                }
            }

            double prefixSeconds = watch.Elapsed.TotalSeconds;
            failures += mismatches;
            Console.WriteLine($"MaxTokens {maxTokens}: {texts.Length} rows, {truncated} truncated, {mismatches} rows differ; whole texts {wholeSeconds:F3} s ({texts.Length / wholeSeconds:N0} rows/s), as scored {prefixSeconds:F3} s ({texts.Length / prefixSeconds:N0} rows/s, includes the comparison)");
        }

        return failures == 0 ? 0 : 1;
    }
}
