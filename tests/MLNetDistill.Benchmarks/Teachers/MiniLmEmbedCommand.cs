using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.Teachers;
using MLNetDistill.Tests.Teachers;

namespace MLNetDistill.Benchmarks.Teachers;

/// <summary>
/// `-- minilm-embed OUTDIR [csv=FOLDER] [limit=N]`: the training features of the MiniLM spam head
/// (samples/teachers/make_minilm_spam.py). all-MiniLM-L6-v2 from the NuGet package with sentence-transformers' pooling
/// (mean over the attention mask, L2-normalized) and no head is scored through the library's own text path (BERT WordPiece
/// over its vocab.txt, 256 tokens, token_type_ids zeros, length-bucketed batches), so the head learns from exactly the
/// embeddings the assembled teacher computes. Writes OUTDIR/{train,test}.f32 (rows x 384 float32, row-major) and
/// OUTDIR/{train,test}.labels.f32 (one float32 label a row) for train.csv and test.csv of the SpamAssassin CSV folder.
/// </summary>
internal static class MiniLmEmbedCommand
{
    public static int Run(string[] args)
    {
        if (args.Length == 0)
        {
            Console.Error.WriteLine("usage: minilm-embed OUTDIR [csv=FOLDER] [limit=N]");
            return 2;
        }

        string output = Path.GetFullPath(args[0]);
        string csv = Path.Combine(BenchPaths.Repo, "samples", "data", "spam-assassin", "csv");
        int limit = int.MaxValue;
        foreach (string arg in args[1..])
        {
            string[] kv = arg.Split('=', 2);
            switch (kv[0])
            {
                case "csv" when kv.Length == 2: csv = kv[1]; break;
                case "limit" when kv.Length == 2: limit = int.Parse(kv[1], CultureInfo.InvariantCulture); break;
                default:
                    Console.Error.WriteLine($"minilm-embed: unknown argument '{arg}'; usage: minilm-embed OUTDIR [csv=FOLDER] [limit=N]");
                    return 2;
            }
        }

        Directory.CreateDirectory(output);
        string model = Path.Combine(output, "embedding.onnx");
        MiniLmSpamTeacher.WriteEmbeddingModel(model, normalize: true);
        var ml = new MLContext(seed: 0);
        foreach (string split in new[] { "train", "test" })
        {
            IDataView labeled = ml.Data.TakeRows(DataSourceReader.LoadText(Path.Combine(csv, split + ".csv"), "Text", "Label"), limit);
            float[] labels = [.. labeled.GetColumn<float>("Label")];
            var watch = Stopwatch.StartNew();
            using var teacher = ml.Transforms.ScoreWithTeacher(new TeacherScoringOptions { ModelFile = model, TextColumnName = "Text", LabelColumnName = null }).Fit(labeled);
            var embeddings = new List<float>(labels.Length * 384);
            var scored = teacher.Transform(labeled);
            using (var cursor = scored.GetRowCursor(scored.Schema.Where(c => c.Name == DataColumnNames.TeacherLogits)))
            {
                var getter = cursor.GetGetter<VBuffer<float>>(cursor.Schema[DataColumnNames.TeacherLogits]);
                VBuffer<float> row = default;
                while (cursor.MoveNext())
                {
                    getter(ref row);
                    embeddings.AddRange(row.DenseValues());
                }
            }

            Write(Path.Combine(output, split + ".f32"), [.. embeddings]);
            Write(Path.Combine(output, split + ".labels.f32"), labels);
            Console.WriteLine($"{split}: {labels.Length} emails x {embeddings.Count / Math.Max(1, labels.Length)} in {watch.Elapsed.TotalSeconds:F1} s ({watch.Elapsed.TotalMilliseconds / Math.Max(1, labels.Length):F1} ms an email), truncated {teacher.TruncatedTexts}");
        }

        return 0;
    }

    private static void Write(string path, float[] values)
    {
        using var stream = File.Create(path);
        stream.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
    }
}
