using System.Diagnostics;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.Experiments;
using MLNetDistill.Onnx;
using MLNetDistill.Students;
using MLNetDistill.Cache;
using TeacherCache = MLNetDistill.Cache.TeacherCache;

namespace MLNetDistill.Tests.Fuzz;

/// <summary>How a fuzz case ended.</summary>
internal enum FuzzOutcomeKind
{
    /// <summary>The input was read (or the command ran) without error.</summary>
    Success,

    /// <summary>An allowed .NET exception type whose message names the problem (or, for the CLI, one error line and a non-zero exit).</summary>
    ClearError,

    /// <summary>A crash type, a raw ML.NET/ONNX Runtime error, an unclear message, a huge allocation or a hang.</summary>
    Failure,
}

/// <summary>One case's result.</summary>
internal sealed record FuzzCaseResult(string Format, int Case, string Mutation, FuzzOutcomeKind Kind, string Detail, double Seconds)
{
    public override string ToString() => $"{Format} case {Case} [{Mutation}]: {Kind} after {Seconds:F2} s: {Detail}";
}

/// <summary>A format's run.</summary>
internal sealed record FuzzFormatSummary(string Format, int Seed, IReadOnlyList<FuzzCaseResult> Cases)
{
    public int Success => Cases.Count(c => c.Kind == FuzzOutcomeKind.Success);

    public int ClearError => Cases.Count(c => c.Kind == FuzzOutcomeKind.ClearError);

    public IReadOnlyList<FuzzCaseResult> Failures => [.. Cases.Where(c => c.Kind == FuzzOutcomeKind.Failure)];

    public double MaxSeconds => Cases.Count == 0 ? 0 : Cases.Max(c => c.Seconds);
}

/// <summary>
/// Runs seeded mutants of the corpus through each reader's public entry point, with a time limit per case, and classifies
/// each outcome (see <see cref="FuzzOutcomeKind"/>).
/// </summary>
internal sealed class FuzzHarness
{
    /// <summary>The formats, in report order.</summary>
    public static readonly IReadOnlyList<string> Formats = ["idx", "idx-gz", "csv", "tsv", "text-csv", "parquet", "cache", "cache-metadata", "onnx", "spec", "cli"];

    private const long AllocationLimit = 1L << 30;

    private static readonly Type[] AllowedTypes =
    [
        typeof(ArgumentException), typeof(InvalidDataException), typeof(FileNotFoundException), typeof(DirectoryNotFoundException),
        typeof(IOException), typeof(NotSupportedException), typeof(FormatException), typeof(UnauthorizedAccessException),
    ];

    private static readonly string[] RawMessages =
    [
        "Microsoft.ML", "OnnxRuntime", "[ErrorCode:", "   at ", "Parquet.", "Google.Protobuf", "Object reference not set",
        "Index was outside the bounds", "Specified argument was out of the range", "Arithmetic operation resulted in an overflow",
        "was not in a correct format", "Sequence contains no", "Value cannot be null", "Unable to cast", "Event we were waiting on",
        "Exception of type", "The given key", "Nullable object must have a value", "Destination is too short",
        "onnxruntime::", "onnxruntime_src", "ONNXRuntimeError",
    ];

    private readonly FuzzCorpus _corpus;
    private readonly TimeSpan _limit;

    public FuzzHarness(FuzzCorpus corpus, TimeSpan limit)
    {
        _corpus = corpus;
        _limit = limit;
    }

    /// <summary>Runs cases <c>0 .. cases-1</c> of <paramref name="format"/> for <paramref name="seed"/>.</summary>
    public FuzzFormatSummary Run(string format, int cases, int seed, Action<FuzzCaseResult>? progress = null)
    {
        var results = new List<FuzzCaseResult>(cases);
        for (int i = 0; i < cases; i++)
        {
            FuzzCaseResult result = RunCase(format, seed, i);
            results.Add(result);
            progress?.Invoke(result);
        }

        return new FuzzFormatSummary(format, seed, results);
    }

    /// <summary>Runs one case: the same (format, seed, case) always builds the same input.</summary>
    public FuzzCaseResult RunCase(string format, int seed, int caseNumber)
    {
        var mutator = new Mutator(seed, caseNumber);
        string folder = Path.Combine(_corpus.Folder, "cases", $"{format}-{seed}-{caseNumber}");
        Directory.CreateDirectory(folder);
        FuzzCase fuzzCase;
        try
        {
            fuzzCase = Build(format, mutator, folder);
        }
        catch (Exception e)
        {
            return new FuzzCaseResult(format, caseNumber, "(building the case)", FuzzOutcomeKind.Failure, "the harness failed: " + e, 0);
        }

        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: false);
        var watch = Stopwatch.StartNew();
        Task<(FuzzOutcomeKind, string)> task = Task.Factory.StartNew(
            () => Execute(fuzzCase),
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
        bool finished = task.Wait(_limit);
        double seconds = watch.Elapsed.TotalSeconds;
        long allocated = GC.GetTotalAllocatedBytes(precise: false) - allocatedBefore;
        if (!finished)
        {
            return new FuzzCaseResult(format, caseNumber, fuzzCase.Mutation, FuzzOutcomeKind.Failure, $"hang: still running after {_limit.TotalSeconds:F0} s", seconds);
        }

        (FuzzOutcomeKind kind, string detail) = task.Result;
        if (allocated > AllocationLimit)
        {
            kind = FuzzOutcomeKind.Failure;
            detail = $"allocated {allocated >> 20} MiB for a {fuzzCase.InputBytes}-byte input ({detail})";
        }

        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return new FuzzCaseResult(format, caseNumber, fuzzCase.Mutation, kind, detail, seconds);
    }

    /// <summary>Classifies an exception thrown by the library; <paramref name="names"/> are what its message must mention (any one).</summary>
    public static (FuzzOutcomeKind Kind, string Detail) Classify(Exception e, IReadOnlyList<string> names)
    {
        string summary = $"{e.GetType().FullName}: {e.Message}";
        if (!AllowedTypes.Any(t => t.IsInstanceOfType(e)) || e.GetType().Namespace?.StartsWith("Microsoft.ML", StringComparison.Ordinal) == true)
        {
            return (FuzzOutcomeKind.Failure, "crash type " + e);
        }

        string? raw = RawMessages.FirstOrDefault(r => e.Message.Contains(r, StringComparison.Ordinal));
        if (raw is not null)
        {
            return (FuzzOutcomeKind.Failure, $"raw message (holds '{raw}'): {summary}");
        }

        if (names.Count > 0 && !names.Any(n => e.Message.Contains(n, StringComparison.OrdinalIgnoreCase)))
        {
            return (FuzzOutcomeKind.Failure, $"message does not name {string.Join(" or ", names.Select(n => $"'{n}'"))}: {summary}");
        }

        return (FuzzOutcomeKind.ClearError, summary);
    }

    /// <summary>Classifies a CLI run: success, or a non-zero exit with error lines and no stack trace.</summary>
    public static (FuzzOutcomeKind Kind, string Detail) ClassifyCli(int exitCode, string output, string error)
    {
        string[] lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string first = lines.FirstOrDefault() ?? string.Empty;
        string all = error + output;
        if (all.Contains("   at ", StringComparison.Ordinal) || all.Contains("Unhandled exception", StringComparison.Ordinal)
            || System.Text.RegularExpressions.Regex.IsMatch(all, @"\b(System|Microsoft)\.[A-Za-z.]*Exception\b"))
        {
            return (FuzzOutcomeKind.Failure, $"exit {exitCode}, stack trace or exception type printed: {Shorten(all)}");
        }

        if (exitCode == 0)
        {
            return (FuzzOutcomeKind.Success, "exit 0");
        }

        if (lines.Length == 0)
        {
            return (FuzzOutcomeKind.Failure, $"exit {exitCode} with nothing on stderr");
        }

        // A command's error is one `error: ...` line (progress lines may come before it); a parse error of System.CommandLine
        // (exit 1) is its own short message.
        string[] errors = [.. lines.Where(l => l.StartsWith("error:", StringComparison.Ordinal))];
        if (errors.Length > 1)
        {
            return (FuzzOutcomeKind.Failure, $"exit {exitCode}, {errors.Length} error lines: {Shorten(error)}");
        }

        if (errors.Length == 0 && exitCode != 1)
        {
            return (FuzzOutcomeKind.Failure, $"exit {exitCode} without an error line: {Shorten(error)}");
        }

        first = errors.Length == 1 ? errors[0] : first;
        string? raw = RawMessages.FirstOrDefault(r => error.Contains(r, StringComparison.Ordinal));
        if (raw is not null)
        {
            return (FuzzOutcomeKind.Failure, $"exit {exitCode}, raw message (holds '{raw}'): {Shorten(error)}");
        }

        return (FuzzOutcomeKind.ClearError, $"exit {exitCode}: {Shorten(first)}");
    }

    private static string Shorten(string text) => text.Length > 600 ? text[..600] + "..." : text.ReplaceLineEndings(" | ");

    private static (FuzzOutcomeKind, string) Execute(FuzzCase fuzzCase)
    {
        try
        {
            return fuzzCase.Run();
        }
        catch (Exception e)
        {
            return Classify(e, fuzzCase.Names);
        }
    }

    private FuzzCase Build(string format, Mutator m, string folder) => format switch
    {
        "idx" => IdxCase(m, folder, gzip: false),
        "idx-gz" => IdxCase(m, folder, gzip: true),
        "csv" => TableCase(m, folder, ','),
        "tsv" => TableCase(m, folder, '\t'),
        "text-csv" => TextTableCase(m, folder),
        "parquet" => ParquetCase(m, folder),
        "cache" => CacheCase(m, folder),
        "cache-metadata" => CacheMetadataCase(m, folder),
        "onnx" => OnnxCase(m, folder),
        "spec" => SpecCase(m),
        "cli" => CliCase(m, folder),
        _ => throw new ArgumentException($"Unknown fuzz format '{format}': use one of {string.Join(", ", Formats)}.", nameof(format)),
    };

    private FuzzCase IdxCase(Mutator m, string folder, bool gzip)
    {
        // Mutate the images (mostly) or the labels; for gzip, either the plain bytes (then compressed: reaches the header)
        // or the compressed bytes themselves.
        bool labels = m.Next(5) == 0;
        byte[] seed = labels ? _corpus.IdxLabels : _corpus.IdxImages;
        int[] offsets = labels ? [0, 4] : [0, 4, 8, 12];
        string mutation;
        byte[] mutated;
        byte[] other = labels ? _corpus.IdxImages : _corpus.IdxLabels;
        if (gzip && m.Next(2) == 0)
        {
            mutated = m.MutateOnce(FuzzCorpus.Gzip(seed), null, false, out mutation);
            mutation = "compressed: " + mutation;
            other = FuzzCorpus.Gzip(other);
        }
        else
        {
            mutated = m.MutateOnce(seed, offsets, false, out mutation);
            if (m.Next(3) == 0)
            {
                mutated = m.MutateOnce(mutated, offsets, false, out string more);
                mutation += "; " + more;
            }

            if (gzip)
            {
                mutated = FuzzCorpus.Gzip(mutated);
                other = FuzzCorpus.Gzip(other);
            }
        }

        string suffix = gzip ? ".gz" : string.Empty;
        string images = Path.Combine(folder, "fuzz-images-idx3-ubyte" + suffix);
        string labelPath = Path.Combine(folder, "fuzz-labels-idx1-ubyte" + suffix);
        File.WriteAllBytes(images, labels ? other : mutated);
        File.WriteAllBytes(labelPath, labels ? mutated : other);
        return new FuzzCase((labels ? "labels " : "images ") + mutation, mutated.Length, [Path.GetFileName(images), Path.GetFileName(labelPath)], () =>
        {
            ReadAll(DataSourceReader.Load(images, "Label"));
            return (FuzzOutcomeKind.Success, "read");
        });
    }

    private FuzzCase TableCase(Mutator m, string folder, char delimiter)
    {
        string seed = delimiter == ',' ? _corpus.Csv : _corpus.Csv.Replace(',', '\t');
        byte[] bytes = m.MutateTableBytes(seed, delimiter, out string mutation);
        string path = Path.Combine(folder, delimiter == ',' ? "fuzz.csv" : "fuzz.tsv");
        File.WriteAllBytes(path, bytes);
        string? label = m.Next(3) switch { 0 => null, 1 => "label", _ => m.Pick(["Label", "mean_radius", "missing", "note"]) };
        bool optional = m.Next(4) == 0;
        return new FuzzCase($"{mutation}; label {label ?? "(auto)"}{(optional ? " optional" : string.Empty)}", bytes.Length, [Path.GetFileName(path)], () =>
        {
            ReadAll(DataSourceReader.Load(path, label, optional));
            return (FuzzOutcomeKind.Success, "read");
        });
    }

    private FuzzCase TextTableCase(Mutator m, string folder)
    {
        byte[] bytes = m.MutateTableBytes(_corpus.TextCsv, ',', out string mutation);
        string path = Path.Combine(folder, "fuzz-text.csv");
        File.WriteAllBytes(path, bytes);
        string text = m.Next(4) == 0 ? m.Pick(["Label", "Id", "Group", "missing", "text"]) : "Text";
        string? label = m.Next(3) == 0 ? m.Pick(["Label", "Group", "missing"]) : null;
        return new FuzzCase($"{mutation}; text {text}; label {label ?? "(auto)"}", bytes.Length, [Path.GetFileName(path)], () =>
        {
            ReadAll(DataSourceReader.LoadText(path, text, label));
            return (FuzzOutcomeKind.Success, "read");
        });
    }

    private FuzzCase ParquetCase(Mutator m, string folder)
    {
        // Offsets where Parquet declares sizes: the 4-byte magic at 0, and the footer length just before the final "PAR1".
        byte[] bytes = m.MutateOnce(_corpus.Parquet, [0, -8, -8, -12], false, out string mutation);
        string path = Path.Combine(folder, "fuzz.parquet");
        File.WriteAllBytes(path, bytes);
        string? label = m.Next(2) == 0 ? null : m.Pick(["label", "mean_radius", "note", "missing"]);
        return new FuzzCase($"{mutation}; label {label ?? "(auto)"}", bytes.Length, [Path.GetFileName(path)], () =>
        {
            ReadAll(DataSourceReader.Load(path, label));
            return (FuzzOutcomeKind.Success, "read");
        });
    }

    private FuzzCase CacheCase(Mutator m, string folder)
    {
        if (m.Next(5) == 0)
        {
            return ShardFolderCase(m, folder);
        }

        string mutation;
        string target;
        long size;
        int which = m.Next(4);
        if (which == 0)
        {
            byte[] bytes = m.MutateOnce(File.ReadAllBytes(_corpus.CacheParquetPath), [0, -8, -8], false, out mutation);
            target = Path.Combine(folder, "fuzz.parquet");
            File.WriteAllBytes(target, bytes);
            mutation = "parquet cache: " + mutation;
            size = bytes.Length;
        }
        else
        {
            target = Path.Combine(folder, "fuzz.csv");
            string csv = FuzzCorpus.Text(_corpus.CacheCsvPath);
            string json = FuzzCorpus.Text(_corpus.CacheCsvPath + ".json");
            byte[] csvBytes = Encoding.UTF8.GetBytes(csv);
            byte[] jsonBytes = Encoding.UTF8.GetBytes(json);
            if (which == 1)
            {
                csvBytes = m.MutateTableBytes(csv, ',', out mutation);
                mutation = "csv cache: " + mutation;
            }
            else if (which == 2)
            {
                jsonBytes = m.MutateOnce(jsonBytes, null, false, out mutation);
                mutation = "sidecar bytes: " + mutation;
            }
            else
            {
                jsonBytes = Encoding.UTF8.GetBytes(MutateJsonValue(m, json, out mutation));
                mutation = "sidecar value: " + mutation;
            }

            File.WriteAllBytes(target, csvBytes);
            if (m.Next(20) != 0)
            {
                File.WriteAllBytes(target + ".json", jsonBytes);
            }
            else
            {
                mutation += "; no sidecar";
            }

            size = csvBytes.Length + jsonBytes.Length;
        }

        bool temperature = m.Next(3) == 0;
        return new FuzzCase(mutation + (temperature ? "; read at T=2" : string.Empty), size, [Path.GetFileName(target)], () =>
        {
            ReadAll(TeacherCache.Read(target, temperature ? 2f : null));
            return (FuzzOutcomeKind.Success, "read");
        });
    }

    /// <summary>A folder of three cache shards with one file mutated, removed, duplicated or given another shard's metadata.</summary>
    private FuzzCase ShardFolderCase(Mutator m, string folder)
    {
        string shards = Path.Combine(folder, "shards");
        Directory.CreateDirectory(shards);
        foreach (string file in Directory.GetFiles(_corpus.ShardFolder))
        {
            File.Copy(file, Path.Combine(shards, Path.GetFileName(file)));
        }

        string[] files = [.. Directory.GetFiles(shards).Order(StringComparer.Ordinal)];
        string target = m.Pick(files);
        string mutation;
        switch (m.Next(5))
        {
            case 0:
                File.Delete(target);
                mutation = $"{Path.GetFileName(target)} removed";
                break;
            case 1:
            {
                string copy = Path.Combine(shards, "copy-" + Path.GetFileName(target));
                File.Copy(target, copy);
                if (File.Exists(target + ".json"))
                {
                    File.Copy(target + ".json", copy + ".json");
                }

                mutation = $"{Path.GetFileName(target)} duplicated";
                break;
            }

            case 2:
                if (target.EndsWith(".json", StringComparison.Ordinal))
                {
                    File.WriteAllText(target, MutateJsonValue(m, File.ReadAllText(target), out mutation));
                    break;
                }

                goto default;
            case 3:
            {
                string json = Path.Combine(shards, "part-1.csv.json");
                File.WriteAllText(json, File.ReadAllText(json).Replace("\"1/3\"", m.Pick(["\"2/3\"", "\"1/2\"", "\"0/1\"", "\"1/4\""]), StringComparison.Ordinal));
                mutation = "part-1's shard changed";
                break;
            }

            default:
                File.WriteAllBytes(target, m.MutateOnce(File.ReadAllBytes(target), target.EndsWith(".parquet", StringComparison.Ordinal) ? [0, -8] : null, false, out string kind));
                mutation = $"{Path.GetFileName(target)}: {kind}";
                break;
        }

        bool glob = m.Next(3) == 0;
        string path = glob ? Path.Combine(shards, "part-*") : shards;
        return new FuzzCase("shard folder: " + mutation + (glob ? " (glob)" : string.Empty), new DirectoryInfo(shards).GetFiles().Sum(f => f.Length), ["shard", "part-", "cache"], () =>
        {
            ReadAll(TeacherCache.Read(path));
            return (FuzzOutcomeKind.Success, "read");
        });
    }

    private FuzzCase CacheMetadataCase(Mutator m, string folder)
    {
        // The Parquet key-value metadata, mutated as values, then read by the metadata reader; then a cache whose metadata
        // disagrees with the teacher or data (hash, fingerprint, row count) must be refused by ReadMatching.
        var values = new Dictionary<string, string>(_corpus.CacheKeyValues, StringComparer.Ordinal);
        string key = m.Pick(values.Keys.Order(StringComparer.Ordinal).ToArray());
        string mutation;
        int choice = m.Next(4);
        if (choice == 0)
        {
            values.Remove(key);
            mutation = $"'{key}' removed";
        }
        else if (choice == 1)
        {
            values[key] = m.Pick(["", "-1", "0", "NaN", "Infinity", "1e400", "2147483648", "99999999999999999999", "abc", "1/0", "3/2", "0/-1", "true", "\0", new string('f', 64), "sha256:x;rows=-5", "2147483647", "100000000", "11", "19"]);
            mutation = $"'{key}' = '{values[key]}'";
        }
        else
        {
            values[key] = m.MutateString(values[key], ["0", "1", "-", "/", ";", "rows=", "sha256:", "e", "."]);
            mutation = $"'{key}' = '{values[key]}'";
        }

        string path = Path.Combine(folder, "fuzz.parquet");
        bool matching = m.Next(2) == 0;
        return new FuzzCase(mutation + (matching ? "; ReadMatching" : string.Empty), values.Sum(kv => kv.Key.Length + kv.Value.Length), [path, Path.GetFileName(path)], () =>
        {
            CacheMetadata metadata = CacheMetadata.FromKeyValues(values, path);
            if (!matching)
            {
                return (FuzzOutcomeKind.Success, "read");
            }

            // A cache that does not match is refused with a message naming both values (the cache's and the expected one).
            string teacher = FileFingerprint.Sha256(_corpus.SoftmaxTeacher);
            string data = FileFingerprint.Data(_corpus.IdxImagesPath, FuzzCorpus.Rows);
            try
            {
                metadata.EnsureMatches(teacher, data);
            }
            catch (InvalidDataException e)
            {
                (string cached, string expected) = !string.Equals(metadata.TeacherSha256, teacher, StringComparison.OrdinalIgnoreCase)
                    ? (metadata.TeacherSha256, teacher)
                    : (metadata.DataFingerprint, data);
                return e.Message.Contains(cached, StringComparison.Ordinal) && e.Message.Contains(expected, StringComparison.Ordinal)
                    ? Classify(e, [])
                    : (FuzzOutcomeKind.Failure, $"mismatch message does not name both '{cached}' and '{expected}': {e.Message}");
            }

            bool same = string.Equals(metadata.TeacherSha256, teacher, StringComparison.OrdinalIgnoreCase)
                && (metadata.DataFingerprint.Length == 0 || string.Equals(metadata.DataFingerprint, data, StringComparison.OrdinalIgnoreCase));
            return same
                ? (FuzzOutcomeKind.Success, "matches")
                : (FuzzOutcomeKind.Failure, $"a cache of teacher '{metadata.TeacherSha256}' and data '{metadata.DataFingerprint}' was accepted for '{teacher}' and '{data}'");
        });
    }

    private FuzzCase OnnxCase(Mutator m, string folder)
    {
        (string seedPath, string data) = m.Next(4) switch
        {
            0 => (_corpus.BinaryTeacher, _corpus.CsvPath),
            1 => (_corpus.RegressionTeacher, _corpus.DiabetesCsvPath),
            2 => (_corpus.TwoInputsModel, string.Empty),
            _ => (_corpus.SoftmaxTeacher, _corpus.IdxImagesPath),
        };
        // Half the cases mutate bytes (mostly stopped by the protobuf parser), half mutate the model's structure and stay
        // valid protobuf, so they reach graph editing and ONNX Runtime.
        byte[] seed = File.ReadAllBytes(seedPath);
        string mutation;
        byte[] bytes;
        if (m.Next(2) == 0)
        {
            bytes = m.MutateOnce(seed, null, protobuf: true, out mutation);
        }
        else
        {
            bytes = OnnxMutator.Mutate(seed, m, out mutation);
            if (m.Next(3) == 0)
            {
                bytes = OnnxMutator.Mutate(bytes, m, out string more);
                mutation += "; " + more;
            }
        }

        string path = Path.Combine(folder, "fuzz.onnx");
        File.WriteAllBytes(path, bytes);
        // A model that loads but no longer fits the data is refused by the scorer, whose message names the teacher's input.
        return new FuzzCase($"{Path.GetFileName(seedPath)}: {mutation}", bytes.Length, [Path.GetFileName(path), "teacher"], () =>
        {
            OnnxModelInfo info = OnnxModelInfo.Load(path);
            _ = info.ParameterCount + info.Inputs.Count + info.Outputs.Count + info.ProbeIntermediateOutputs().Count;
            if (data.Length == 0)
            {
                return (FuzzOutcomeKind.Success, "inspected");
            }

            var ml = new MLContext(seed: 0);
            string label = data == _corpus.DiabetesCsvPath ? "target" : data == _corpus.CsvPath ? "label" : "Label";
            IDataView view = DataSourceReader.Load(data, label);
            ITransformer model = ml.Transforms.ScoreWithTeacher(path).Fit(view);
            try
            {
                ReadAll(model.Transform(view));
            }
            finally
            {
                (model as IDisposable)?.Dispose();
            }

            return (FuzzOutcomeKind.Success, "scored");
        });
    }

    private static FuzzCase SpecCase(Mutator m)
    {
        string[] seeds =
        [
            "lightgbm", "lightgbm:trees=200,leaves=31", "sdca", "sdca:l2=0.01", "fasttree:trees=50", "lbfgs", "mlp:256,64:epochs=20",
            "mlp:32", "mlp:64:loss=rkd", "logit-matching:sdca", "mlp:16,16:epochs=2,lr=0.01",
            .. StudentRegistry.Families.Select(f => f.Usage),
        ];
        string[] tokens = [.. seeds, .. StudentRegistry.Families.Select(f => f.Name), "trees", "leaves", "epochs", "lr", "loss", "=", ":", ","];
        string spec = m.MutateString(m.Pick(seeds), tokens);
        bool student = m.Next(2) == 0;
        return new FuzzCase($"'{Escape(spec)}'", spec.Length, [], () =>
        {
            if (student)
            {
                DistillationStudent s = DistillationStudent.FromSpec(spec);
                _ = s.Name + s.Spec?.ToString();
            }
            else
            {
                StudentSpec parsed = StudentSpec.Parse(spec);
                _ = parsed.ToString() + parsed.IsNeural + parsed.DefaultAlpha + parsed.NeedsTeacherHint + parsed.Loss;
                StudentSpec again = StudentSpec.Parse(parsed.ToString());
                if (!again.Equals(parsed))
                {
                    return (FuzzOutcomeKind.Failure, $"'{parsed}' does not parse back to itself (got '{again}')");
                }
            }

            return (FuzzOutcomeKind.Success, "parsed");
        });
    }

    private FuzzCase CliCase(Mutator m, string folder)
    {
        string o(string name) => Path.Combine(folder, name);
        string[][] seeds =
        [
            ["inspect", _corpus.SoftmaxTeacher],
            ["inspect", _corpus.BinaryTeacher, "--json"],
            ["score", "--teacher", _corpus.SoftmaxTeacher, "--data", _corpus.IdxImagesPath, "--out", o("out.csv")],
            ["score", "--teacher", _corpus.BinaryTeacher, "--data", _corpus.CsvPath, "--label", "label", "--out", o("out.parquet"), "--batch-size", "7"],
            ["score", "--teacher", _corpus.SoftmaxTeacher, "--data", _corpus.IdxGzImagesPath, "--out", o("out.parquet"), "--temperature", "2", "--shard", "1/3"],
            ["distill", "--teacher", _corpus.BinaryTeacher, "--train", _corpus.ParquetPath, "--student", "sdca", "--out", o("s.zip"), "--report", o("r.json")],
            ["distill", "--train", _corpus.IdxImagesPath, "--soft-labels", _corpus.CacheParquetPath, "--student", "lightgbm:trees=5,leaves=4", "--out", o("s.zip"), "--report", o("r.json")],
        ];
        var args = m.Pick(seeds).ToList();
        var done = new List<string>();
        int rounds = m.Next(4) == 0 ? 2 : 1;
        for (int r = 0; r < rounds && args.Count > 0; r++)
        {
            int at = m.Next(args.Count);
            int draw = m.Next(20);
            if (draw < 8 && ReplaceOptionValue(m, args, o, out string replaced))
            {
                done.Add(replaced);
                continue;
            }

            switch (draw < 12 ? 5 : draw - 12)
            {
                case 0:
                    done.Add($"dropped '{args[at]}'");
                    args.RemoveAt(at);
                    break;
                case 1:
                    done.Add($"duplicated '{args[at]}'");
                    args.Insert(at, args[at]);
                    break;
                case 2:
                {
                    int b = m.Next(args.Count);
                    (args[at], args[b]) = (args[b], args[at]);
                    done.Add($"swapped {at} and {b}");
                    break;
                }

                case 3:
                    args[at] = m.MutateString(args[at], ["--", "-", "=", ":", "/", "1", "NaN", "-1", "0"]);
                    done.Add($"arg {at} = '{Escape(args[at])}'");
                    break;
                case 4:
                    args.Insert(m.Next(args.Count + 1), m.Pick(["--unknown", "--batch-size", "0", "-1", "--temperature", "NaN", "--shard", "3/2", "--label", "", "--json", "--device", "cuda:99", "--seed", "2147483648", "--alpha", "1.5", "--time-budget", "-1s", "--skip-invalid"]));
                    done.Add("inserted a token");
                    break;
                case 5:
                {
                    // A data or model path replaced by a mutated copy.
                    int pathAt = args.FindIndex(a => File.Exists(a));
                    if (pathAt < 0)
                    {
                        goto case 3;
                    }

                    string source = args[pathAt];
                    string copy = o("m-" + Path.GetFileName(source).Replace("seedgz", "fuzz", StringComparison.Ordinal).Replace("seed", "fuzz", StringComparison.Ordinal));
                    byte[] original = File.ReadAllBytes(source);
                    byte[] mutated = source.EndsWith(".csv", StringComparison.Ordinal)
                        ? m.MutateTableBytes(Encoding.UTF8.GetString(original), ',', out string kind)
                        : m.MutateOnce(original, source.Contains("idx", StringComparison.Ordinal) ? [4, 8, 12] : null, source.EndsWith(".onnx", StringComparison.Ordinal), out kind);
                    File.WriteAllBytes(copy, mutated);
                    if (source.Contains("-images-", StringComparison.Ordinal))
                    {
                        string labels = IdxReader.FindLabels(source)!;
                        File.Copy(labels, o("m-" + Path.GetFileName(labels).Replace("seedgz", "fuzz", StringComparison.Ordinal).Replace("seed", "fuzz", StringComparison.Ordinal)), overwrite: true);
                    }

                    args[pathAt] = copy;
                    done.Add($"{Path.GetFileName(source)} mutated ({kind})");
                    break;
                }

                case 6:
                    args[at] = m.Pick([o("missing.onnx"), folder, o("*.csv"), o("x.unknown"), "", " ", o("sub/dir/out.csv")]);
                    done.Add($"arg {at} = '{args[at]}'");
                    break;
                case 7:
                    args[at] = m.Pick(["NaN", "-1", "0", "1e400", "Infinity", "abc", "--", "-"]);
                    done.Add($"arg {at} = '{args[at]}'");
                    break;
                default:
                    args.RemoveRange(at, args.Count - at);
                    done.Add($"cut after {at}");
                    break;
            }
        }

        // A relative output path (a mutation may put "NaN" after --out) is taken inside the case's folder, as if the CLI ran
        // there: the case still writes where it is told, but never into the folder the tests run from.
        for (int i = 1; i < args.Count; i++)
        {
            if (args[i - 1] is "--out" or "--report" && args[i].Length > 0 && !args[i].StartsWith("--", StringComparison.Ordinal) && !Path.IsPathRooted(args[i]))
            {
                args[i] = Path.Combine(folder, args[i]);
            }
        }

        string[] final = [.. args];
        return new FuzzCase(string.Join("; ", done) + " => " + Escape(string.Join(' ', final.Select(a => a.Replace(folder, "$CASE", StringComparison.Ordinal).Replace(_corpus.Folder, "$CORPUS", StringComparison.Ordinal)))), final.Sum(a => a.Length), [], () =>
        {
            (int code, string output, string error) = RunCli(final);
            return ClassifyCli(code, output, error);
        });
    }

    /// <summary>Replaces the value of one option of <paramref name="args"/> by an odd value for that option.</summary>
    private static bool ReplaceOptionValue(Mutator m, List<string> args, Func<string, string> o, out string done)
    {
        int[] options = [.. Enumerable.Range(0, args.Count - 1).Where(i => args[i].StartsWith("--", StringComparison.Ordinal) && !args[i + 1].StartsWith("--", StringComparison.Ordinal))];
        if (options.Length == 0)
        {
            done = string.Empty;
            return false;
        }

        int at = m.Pick(options);
        string value = args[at] switch
        {
            "--batch-size" => m.Pick(["0", "-1", "2147483647", "1000000000", "abc", "1e3"]),
            "--temperature" => m.Pick(["0", "-1", "NaN", "Infinity", "-Infinity", "1e-45", "1e400", "abc"]),
            "--shard" => m.Pick(["3/2", "0/0", "-1/2", "1/0", "auto", "1/3/5", "a/b", "0/2147483647", "2147483647/2147483647", "/", "1/"]),
            "--label" => m.Pick(["", "missing", "mean_radius", "Label", "LABEL", "note", "label,label"]),
            "--student" => m.MutateString(args[at + 1], ["sdca", "lightgbm", "mlp:4", "trees=", "leaves=", ",", ":", "=", "epochs=1", "0", "-1", "NaN"]),
            "--device" => m.Pick(["cuda:99", "gpu", "auto", "cuda:-1", "cuda:", "CPU", ""]),
            "--out" or "--report" => m.Pick([o("x.unknown"), o("sub/dir/out.csv"), o(string.Empty), o("out.json"), o("out.txt"), o("a.parquet.csv")]),
            "--seed" => m.Pick(["-1", "2147483648", "abc"]),
            _ => m.MutateString(args[at + 1], ["/", ".", "*", "?", "..", "~", " "]),
        };
        done = $"{args[at]} {Escape(value)}";
        args[at + 1] = value;
        return true;
    }

    /// <summary>Runs the CLI in-process, capturing its output (one at a time, under the same lock as every CLI test: the console is process-wide).</summary>
    public static (int ExitCode, string Out, string Error) RunCli(string[] args) => MLNetDistill.Tests.Cli.CliRunner.Run(args);

    private static string MutateJsonValue(Mutator m, string json, out string mutation)
    {
        string[] keys = ["formatVersion", "teacherSha256", "teacherFile", "classes", "rows", "temperature", "dataFingerprint", "shard", "hasLabel", "createdUtc"];
        string key = m.Pick(keys);
        string value = m.Pick(["null", "\"\"", "-1", "0", "1e400", "NaN", "\"NaN\"", "2147483648", "99999999999999999999999", "true", "[]", "{}", "\"abc\"", "\"5/2\"", "\"0/0\"", "1.5", "\"1\"", "1000000000000", "2147483647", "100000000", "11", "9", "21", "19"]);
        var regex = new System.Text.RegularExpressions.Regex($"(\"{key}\"\\s*:\\s*)(\"[^\"]*\"|[^,}}\\n]+)");
        int choice = m.Next(4);
        if (choice == 0)
        {
            mutation = $"'{key}' removed";
            return System.Text.RegularExpressions.Regex.Replace(json, $"\\s*\"{key}\"\\s*:\\s*(\"[^\"]*\"|[^,}}\\n]+),?", string.Empty);
        }

        if (choice == 1)
        {
            mutation = $"'{key}' duplicated with {value}";
            return json.Replace("{", $"{{\n  \"{key}\": {value},", StringComparison.Ordinal);
        }

        mutation = $"'{key}' = {value}";
        return regex.Replace(json, $"${{1}}{value}", 1);
    }

    private static string Escape(string text)
    {
        var builder = new StringBuilder(Math.Min(text.Length, 200));
        foreach (char c in text.Length > 200 ? text[..200] + "..." : text)
        {
            builder.Append(char.IsControl(c) || char.IsSurrogate(c) ? $"\\u{(int)c:X4}" : c.ToString());
        }

        return builder.ToString();
    }

    /// <summary>Reads every row of every column through a cursor, as a trainer would.</summary>
    private static void ReadAll(IDataView view)
    {
        DataViewSchema.Column[] columns = [.. view.Schema];
        using DataViewRowCursor cursor = view.GetRowCursor(columns);
        var getters = new List<Action>();
        foreach (DataViewSchema.Column column in columns)
        {
            getters.Add(Getter(cursor, column));
        }

        while (cursor.MoveNext())
        {
            foreach (Action get in getters)
            {
                get();
            }
        }
    }

    private static Action Getter(DataViewRowCursor cursor, DataViewSchema.Column column)
    {
        DataViewType type = column.Type;
        if (type is VectorDataViewType vector && vector.ItemType == NumberDataViewType.Single)
        {
            ValueGetter<VBuffer<float>> g = cursor.GetGetter<VBuffer<float>>(column);
            VBuffer<float> value = default;
            return () => g(ref value);
        }

        if (type == NumberDataViewType.Single)
        {
            ValueGetter<float> g = cursor.GetGetter<float>(column);
            float value = 0;
            return () => g(ref value);
        }

        if (type is TextDataViewType)
        {
            ValueGetter<ReadOnlyMemory<char>> g = cursor.GetGetter<ReadOnlyMemory<char>>(column);
            ReadOnlyMemory<char> value = default;
            return () => g(ref value);
        }

        if (type is KeyDataViewType)
        {
            ValueGetter<uint> g = cursor.GetGetter<uint>(column);
            uint value = 0;
            return () => g(ref value);
        }

        return () => { };
    }

    /// <summary>One built case: what was mutated, how big the input is, what the error must name, and how to run it.</summary>
    private sealed record FuzzCase(string Mutation, long InputBytes, IReadOnlyList<string> Names, Func<(FuzzOutcomeKind, string)> Run);
}
