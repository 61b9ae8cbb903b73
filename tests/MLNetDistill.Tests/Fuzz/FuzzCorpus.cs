using System.IO.Compression;
using System.Text;
using Microsoft.ML;
using MLNetDistill.Data;
using Parquet;
using Parquet.Schema;
using MLNetDistill.Cache;
using TeacherCache = MLNetDistill.Cache.TeacherCache;

namespace MLNetDistill.Tests.Fuzz;

/// <summary>
/// The seed corpus, made deterministically from the committed real data and fixtures into a work folder: the first 20
/// Fashion-MNIST t10k images and labels as IDX (plain and gzip), the first 20 rows of breast_cancer.csv as CSV, TSV and
/// Parquet, a teacher cache of those 20 images scored by softmax_teacher.onnx (Parquet, and CSV with its JSON sidecar),
/// and the small ONNX fixtures.
/// </summary>
internal sealed class FuzzCorpus
{
    public const int Rows = 20;

    private FuzzCorpus(string folder, string repo)
    {
        Folder = folder;
        Repo = repo;
        Fixtures = Path.Combine(repo, "tests", "MLNetDistill.Tests", "Fixtures");
    }

    public string Folder { get; }

    public string Repo { get; }

    public string Fixtures { get; }

    public byte[] IdxImages { get; private set; } = [];

    public byte[] IdxLabels { get; private set; } = [];

    public string IdxImagesPath => Path.Combine(Folder, "seed-images-idx3-ubyte");

    public string IdxGzImagesPath => Path.Combine(Folder, "seedgz-images-idx3-ubyte.gz");

    public string Csv { get; private set; } = string.Empty;

    public string CsvPath => Path.Combine(Folder, "seed.csv");

    /// <summary>The committed text fixture (50 emails, RFC 4180 quoting with commas, quotes and line breaks), as text.</summary>
    public string TextCsv { get; private set; } = string.Empty;

    public string TsvPath => Path.Combine(Folder, "seed.tsv");

    public string DiabetesCsvPath => Path.Combine(Folder, "diabetes20.csv");

    public byte[] Parquet { get; private set; } = [];

    public string ParquetPath => Path.Combine(Folder, "seed.parquet");

    public string CacheParquetPath => Path.Combine(Folder, "cache.parquet");

    public string CacheCsvPath => Path.Combine(Folder, "cache.csv");

    public Dictionary<string, string> CacheKeyValues { get; private set; } = [];

    /// <summary>The same cache as three shards (0/3 Parquet, 1/3 and 2/3 CSV with sidecars), for folder reads.</summary>
    public string ShardFolder => Path.Combine(Folder, "shards");

    public string SoftmaxTeacher => Path.Combine(Fixtures, "softmax_teacher.onnx");

    public string BinaryTeacher => Path.Combine(Fixtures, "binary_teacher.onnx");

    public string RegressionTeacher => Path.Combine(Fixtures, "regression_teacher.onnx");

    public string TwoInputsModel => Path.Combine(Fixtures, "two_inputs.onnx");

    /// <summary>Builds the corpus in <paramref name="folder"/> (created), from the repository at <paramref name="repo"/> (found when null).</summary>
    public static FuzzCorpus Create(string folder, string? repo = null)
    {
        var corpus = new FuzzCorpus(folder, repo ?? FindRepo());
        Directory.CreateDirectory(folder);
        corpus.Build();
        return corpus;
    }

    public static string FindRepo()
    {
        foreach (string start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "MLNetDistill.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new DirectoryNotFoundException("The fuzz corpus is made from the repository's data: run inside the MLNetDistill repository.");
    }

    /// <summary>Gzip-compresses <paramref name="data"/> (deterministic: no file name or time in the header).</summary>
    public static byte[] Gzip(byte[] data)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(data);
        }

        return buffer.ToArray();
    }

    private void Build()
    {
        string fashion = Path.Combine(Repo, "samples", "data", "fashion-mnist");
        byte[] images = ReadGz(Path.Combine(fashion, "t10k-images-idx3-ubyte.gz"), 16 + Rows * 784);
        byte[] labels = ReadGz(Path.Combine(fashion, "t10k-labels-idx1-ubyte.gz"), 8 + Rows);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(4), Rows);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(labels.AsSpan(4), Rows);
        IdxImages = images;
        IdxLabels = labels;
        File.WriteAllBytes(IdxImagesPath, images);
        File.WriteAllBytes(Path.Combine(Folder, "seed-labels-idx1-ubyte"), labels);
        File.WriteAllBytes(IdxGzImagesPath, Gzip(images));
        File.WriteAllBytes(Path.Combine(Folder, "seedgz-labels-idx1-ubyte.gz"), Gzip(labels));

        string[] lines = File.ReadLines(Path.Combine(Fixtures, "breast_cancer.csv")).Take(Rows + 1).ToArray();
        Csv = string.Join("\n", lines) + "\n";
        File.WriteAllText(CsvPath, Csv);
        File.WriteAllText(TsvPath, Csv.Replace(',', '\t'));
        File.WriteAllText(DiabetesCsvPath, string.Join("\n", File.ReadLines(Path.Combine(Fixtures, "diabetes.csv")).Take(Rows + 1)) + "\n");

        TextCsv = File.ReadAllText(Path.Combine(Fixtures, "text_emails.csv"));

        WriteParquet(lines);
        Parquet = File.ReadAllBytes(ParquetPath);
        WriteCaches();
    }

    private void WriteParquet(string[] lines)
    {
        string[] header = lines[0].Split(',');
        float[][] cells = [.. lines.Skip(1).Select(l => l.Split(',').Select(c => float.Parse(c, System.Globalization.CultureInfo.InvariantCulture)).ToArray())];
        var fields = new List<DataField>();
        for (int c = 0; c < header.Length - 1; c++)
        {
            fields.Add(c % 7 == 3 ? new DataField<double?>(header[c]) : new DataField<float>(header[c]));
        }

        var label = new DataField<long>(header[^1]);
        var note = new DataField<string>("note");
        fields.Add(label);
        fields.Add(note);
        using FileStream stream = File.Create(ParquetPath);
        ParquetWriter writer = ParquetWriter.CreateAsync(new ParquetSchema([.. fields]), stream).GetAwaiter().GetResult();
        foreach ((int start, int count) in new[] { (0, 12), (12, Rows - 12) })
        {
            using ParquetRowGroupWriter group = writer.CreateRowGroup();
            for (int c = 0; c < header.Length - 1; c++)
            {
                float[] column = [.. cells.Skip(start).Take(count).Select(r => r[c])];
                if (fields[c] is DataField<double?> nullable)
                {
                    group.WriteAsync<double>(nullable, column.Select((v, i) => i % 5 == 2 ? (double?)null : v).ToArray().AsMemory()).GetAwaiter().GetResult();
                }
                else
                {
                    group.WriteAsync<float>((DataField<float>)fields[c], column.AsMemory()).GetAwaiter().GetResult();
                }
            }

            group.WriteAsync<long>(label, cells.Skip(start).Take(count).Select(r => (long)r[^1]).ToArray().AsMemory()).GetAwaiter().GetResult();
            group.WriteAsync(note, Enumerable.Range(start, count).Select(i => $"row {i}").ToArray()).GetAwaiter().GetResult();
        }

        writer.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    private void WriteCaches()
    {
        var ml = new MLContext(seed: 0);
        IDataView data = IdxReader.Load(IdxImagesPath);
        ITransformer teacher = ml.Transforms.ScoreWithTeacher(SoftmaxTeacher).Fit(data);
        IDataView scored = teacher.Transform(data);
        var metadata = new CacheMetadata
        {
            TeacherSha256 = FileFingerprint.Sha256(SoftmaxTeacher),
            TeacherFile = Path.GetFileName(SoftmaxTeacher),
            DataFingerprint = FileFingerprint.Data(IdxImagesPath, Rows),
            CreatedUtc = new DateTime(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc),
        };
        CacheMetadata written = TeacherCache.Write(scored, CacheParquetPath, metadata);
        TeacherCache.Write(scored, CacheCsvPath, metadata);
        CacheKeyValues = written.ToKeyValues();
        Directory.CreateDirectory(ShardFolder);
        for (int i = 0; i < 3; i++)
        {
            var shard = new ShardSpec(i, 3);
            IDataView shardData = shard.Apply(data);
            ITransformer shardTeacher = ml.Transforms.ScoreWithTeacher(SoftmaxTeacher).Fit(shardData);
            TeacherCache.Write(shardTeacher.Transform(shardData), Path.Combine(ShardFolder, $"part-{i}{(i == 0 ? ".parquet" : ".csv")}"), metadata with { Shard = shard });
            (shardTeacher as IDisposable)?.Dispose();
        }
        (teacher as IDisposable)?.Dispose();
    }

    private static byte[] ReadGz(string path, int bytes)
    {
        using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        byte[] data = new byte[bytes];
        gzip.ReadExactly(data);
        return data;
    }

    /// <summary>Text of a file as UTF-8.</summary>
    public static string Text(string path) => Encoding.UTF8.GetString(File.ReadAllBytes(path));
}
