using System.CommandLine;
using Microsoft.ML;
using MLNetDistill.Teachers;

namespace MLNetDistill.Cli;

/// <summary>
/// The options of every command that runs a teacher (<c>score</c>, <c>distill</c>, <c>compare</c>, <c>demo</c>): the same
/// names and help everywhere. A command adds them with <see cref="AddTo"/> and reads them back with <see cref="Read"/>
/// into a <see cref="TeacherScoringOptions"/> template (the command fills in the file, temperature and text column).
/// </summary>
internal sealed class TeacherOptions
{
    /// <summary>The flag of each <see cref="TeacherScoringOptions"/> property the library's errors name.</summary>
    private static readonly Dictionary<string, string> TeacherFlags = new(StringComparer.Ordinal)
    {
        [nameof(TeacherScoringOptions.TokenizerFile)] = "--tokenizer",
        [nameof(TeacherScoringOptions.MaxTokens)] = "--max-tokens",
        [nameof(TeacherScoringOptions.BatchSize)] = "--batch-size",
        [nameof(TeacherScoringOptions.GpuDeviceId)] = "--device",
        [nameof(TeacherScoringOptions.TeacherOutputName)] = "--teacher-output",
    };

    private readonly Option<string?> _tokenizer = new("--tokenizer")
    {
        Description = "With --text: the tokenizer file (vocab.txt, tokenizer.json of a WordPiece or byte-level BPE model, tokenizer.model, or a .tiktoken rank file; default: the first of these beside the teacher).",
    };

    private readonly Option<int?> _maxTokens = new("--max-tokens")
    {
        Description = "With --text: the most tokens per text, longer texts are truncated and counted (default: the teacher's fixed sequence length, else model_max_length of tokenizer_config.json, else 512).",
    };

    private readonly Option<string> _device = new("--device")
    {
        Description = "Where the teacher runs: cpu, cuda[:N] (error if the GPU cannot be used) or auto (GPU 0 if possible, else CPU with a warning).",
        DefaultValueFactory = _ => "cpu",
    };

    private readonly Option<int> _batchSize = new("--batch-size") { Description = "Rows per ONNX Runtime call of the teacher.", DefaultValueFactory = _ => 256 };

    private readonly Option<bool> _skipInvalid = new("--skip-invalid") { Description = "Skip rows with NaN or infinite features (counted) instead of failing." };

    private readonly Option<string?> _teacherOutput = new("--teacher-output")
    {
        Description = "The teacher's output holding its logits or probabilities (default: chosen; never a copy of an input such as ML.NET's Features.output, a [N, K] output named like logits, scores or probabilities first; a scikit-learn ZipMap output is read as its probabilities).",
    };

    /// <summary>Gets the options, in the order the help lists them.</summary>
    internal IEnumerable<Option> All => [_tokenizer, _maxTokens, _device, _batchSize, _skipInvalid, _teacherOutput];

    /// <summary>Adds the teacher options to <paramref name="command"/>.</summary>
    internal void AddTo(Command command)
    {
        foreach (var option in All)
        {
            command.Options.Add(option);
        }
    }

    /// <summary>The command's flags with the teacher options' added, for <see cref="CommandRunner.RunAsync"/>.</summary>
    internal static Dictionary<string, string> WithFlags(IReadOnlyDictionary<string, string>? flags)
    {
        var all = new Dictionary<string, string>(TeacherFlags, StringComparer.Ordinal);
        foreach (var (name, flag) in flags ?? new Dictionary<string, string>())
        {
            all[name] = flag;
        }

        return all;
    }

    /// <summary>The teacher's scoring settings as given; <see cref="TeacherScoringOptions.ModelFile"/>, the temperature and the text column are left to the command.</summary>
    /// <param name="parse">The parsed command line.</param>
    /// <param name="textColumn">The command's <c>--text</c>, or null (a numeric teacher, which takes no tokenizer options).</param>
    internal TeacherScoringOptions Read(ParseResult parse, string? textColumn)
    {
        var (gpu, fallback) = ParseDevice(parse.GetValue(_device)!);
        var options = new TeacherScoringOptions
        {
            BatchSize = parse.GetValue(_batchSize),
            GpuDeviceId = gpu,
            FallbackToCpu = fallback,
            SkipInvalidRows = parse.GetValue(_skipInvalid),
            TokenizerFile = parse.GetValue(_tokenizer),
            MaxTokens = parse.GetValue(_maxTokens),
            TeacherOutputName = parse.GetValue(_teacherOutput),
            TextColumnName = textColumn,
        };
        if (textColumn is null && (options.TokenizerFile is not null || options.MaxTokens is not null))
        {
            throw new ArgumentException("--tokenizer and --max-tokens apply to a text teacher: add --text COLUMN (the column that holds the texts).");
        }

        if (options.TeacherOutputName is { } name && string.IsNullOrWhiteSpace(name))
        {
            throw new ArgumentException("--teacher-output is empty: give the name of one of the teacher's outputs (`mlnet-distill inspect --teacher T.onnx` lists them).");
        }

        return options;
    }

    /// <summary>Parses <c>--device</c>: cpu, auto (GPU 0, else the CPU with a warning), cuda or cuda:N.</summary>
    internal static (int? GpuDeviceId, bool FallbackToCpu) ParseDevice(string device)
    {
        if (device == "cpu")
        {
            return (null, false);
        }

        if (device == "auto")
        {
            return (0, true);
        }

        if (device == "cuda")
        {
            return (0, false);
        }

        if (device.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(device.AsSpan(5), out int id) && id >= 0)
        {
            return (id, false);
        }

        throw new ArgumentException($"--device '{device}' is not a device: use cpu, cuda, cuda:N (N >= 0) or auto.");
    }

    /// <summary>Prints the library's warnings (a GPU fallback, a teacher below chance) as <c>warning: ...</c> lines on stderr.</summary>
    internal static void PrintWarnings(MLContext mlContext)
    {
        mlContext.Log += (_, e) =>
        {
            if (e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Warning && e.Source.StartsWith("MLNetDistill", StringComparison.Ordinal))
            {
                Console.Error.WriteLine("warning: " + e.RawMessage);
            }
        };
    }
}
