using MLNetDistill.Data;
using MLNetDistill.Numerics;

namespace MLNetDistill.Teachers;

/// <summary>Options of <see cref="TeacherScoringEstimator"/>, the batched ONNX teacher scorer.</summary>
/// <remarks>The estimator keeps a copy made when it is built: changing the options afterwards does not change it, and building it does not change them.</remarks>
public sealed class TeacherScoringOptions
{
    private List<TeacherInput> _inputs = [];
    private List<TeacherHint> _hints = [];

    /// <summary>Gets or sets the path of the teacher's <c>.onnx</c> file.</summary>
    /// <value>Required.</value>
    public string ModelFile { get; set; } = "";

    /// <summary>Gets or sets the vector column fed to a teacher with a single input (used when <see cref="Inputs"/> is empty).</summary>
    /// <value>Defaults to <c>Features</c> (<see cref="DataColumnNames.Features"/>).</value>
    public string FeatureColumnName { get; set; } = DataColumnNames.Features;

    /// <summary>Gets the mapping of teacher inputs to columns, for teachers with several named inputs (e.g. <c>input_ids</c> and <c>attention_mask</c>).</summary>
    /// <value>Defaults to empty: the single teacher input is fed from <see cref="FeatureColumnName"/>.</value>
    public IList<TeacherInput> Inputs => _inputs;

    /// <summary>Gets or sets the teacher output holding the logits (or probabilities).</summary>
    /// <value>Defaults to <see langword="null"/>: the first floating-point output.</value>
    public string? TeacherOutputName { get; set; }

    /// <summary>Gets or sets what the teacher output holds.</summary>
    /// <value>Defaults to <see cref="TeacherOutputKind.Auto"/>.</value>
    public TeacherOutputKind OutputKind { get; set; } = TeacherOutputKind.Auto;

    /// <summary>Gets or sets what the teacher predicts.</summary>
    /// <value>Defaults to <see cref="TeacherTask.Auto"/>. Set <see cref="TeacherTask.Regression"/> for a regression teacher: one value per row is otherwise read as a binary logit.</value>
    public TeacherTask Task { get; set; } = TeacherTask.Auto;

    /// <summary>Gets or sets the softmax temperature T of the soft labels, softmax(logits / T). Must be positive and finite.</summary>
    /// <value>Defaults to 1. Tree and linear students learn best from T = 1; neural students apply their own T to the logits.</value>
    public float Temperature { get; set; } = 1f;

    /// <summary>Gets or sets the number of rows per ONNX Runtime call. Must be positive.</summary>
    /// <value>Defaults to 256.</value>
    public int BatchSize { get; set; } = 256;

    /// <summary>Gets or sets the name of the logits column (vector of K floats).</summary>
    /// <value>Defaults to <c>TeacherLogits</c> (<see cref="DataColumnNames.TeacherLogits"/>).</value>
    public string LogitsColumnName { get; set; } = DataColumnNames.TeacherLogits;

    /// <summary>Gets or sets the name of the soft-label column (vector of K probabilities at <see cref="Temperature"/>).</summary>
    /// <value>Defaults to <c>SoftLabels</c> (<see cref="DataColumnNames.SoftLabels"/>).</value>
    public string SoftLabelsColumnName { get; set; } = DataColumnNames.SoftLabels;

    /// <summary>Gets or sets the name of the teacher's predicted class column (a key of K values, 1-based as in ML.NET).</summary>
    /// <value>Defaults to <c>TeacherPredictedLabel</c> (<see cref="DataColumnNames.TeacherPredictedLabel"/>).</value>
    public string PredictedLabelColumnName { get; set; } = DataColumnNames.TeacherPredictedLabel;

    /// <summary>Gets or sets the name of the prediction column of a regression teacher (a float).</summary>
    /// <value>Defaults to <c>TeacherScore</c> (<see cref="DataColumnNames.TeacherScore"/>).</value>
    public string ScoreColumnName { get; set; } = DataColumnNames.TeacherScore;

    /// <summary>Gets or sets the label column checked against the teacher's class range when it is present.</summary>
    /// <value>Defaults to <c>Label</c> (<see cref="DataColumnNames.Label"/>); <see langword="null"/> turns the check off.</value>
    public string? LabelColumnName { get; set; } = DataColumnNames.Label;

    /// <summary>Gets the intermediate teacher tensors to expose as extra columns.</summary>
    /// <value>Defaults to empty.</value>
    public IList<TeacherHint> Hints => _hints;

    /// <summary>Gets or sets the CUDA device to run the teacher on, through ONNX Runtime's CUDA provider. Must be 0 or more.</summary>
    /// <value>
    /// Defaults to <see langword="null"/>: the <see cref="Microsoft.ML.MLContext.GpuDeviceId"/> of the MLContext whose
    /// catalog builds the estimator (with its <see cref="Microsoft.ML.MLContext.FallbackToCpu"/>), as ML.NET's
    /// <c>ApplyOnnxModel</c> does; the CPU when that is not set either. Needs the GPU build (<c>-p:OnnxRuntimeFlavor=Gpu</c>).
    /// </value>
    public int? GpuDeviceId { get; set; }

    /// <summary>Gets or sets whether to fall back to the CPU, with a warning in the MLContext log, when the GPU cannot be used.</summary>
    /// <value>
    /// Defaults to <see langword="false"/>: a GPU that cannot be used is an error. When <see cref="GpuDeviceId"/> is not set
    /// and the device comes from <see cref="Microsoft.ML.MLContext.GpuDeviceId"/>, <see cref="Microsoft.ML.MLContext.FallbackToCpu"/> is used instead.
    /// </value>
    public bool FallbackToCpu { get; set; }

    /// <summary>Gets or sets whether rows with NaN or infinite features are skipped (and counted) instead of being an error.</summary>
    /// <value>Defaults to <see langword="false"/>.</value>
    public bool SkipInvalidRows { get; set; }

    /// <summary>Gets or sets the number of threads ONNX Runtime uses inside one operator.</summary>
    /// <value>Defaults to <see langword="null"/>: one thread per logical processor (<see cref="Environment.ProcessorCount"/>).</value>
    /// <remarks>
    /// ONNX Runtime's own default counts physical cores as it sees them, and on some virtual machines it sees one and
    /// runs single-threaded (measured: 42k vs 68k rows/s for a 2.4M-parameter MLP on a 2-vCPU machine), so the
    /// teacher session asks for every logical processor unless told otherwise.
    /// </remarks>
    public int? IntraOpNumThreads { get; set; }

    /// <summary>Gets or sets the text column to score with a text teacher (a transformer taking <c>input_ids</c> and <c>attention_mask</c>).</summary>
    /// <value>
    /// Defaults to <see langword="null"/>: the teacher takes numeric features (<see cref="FeatureColumnName"/>, <see cref="Inputs"/>).
    /// When set, each row's text is tokenized (see <see cref="TokenizerFile"/>) into <c>input_ids</c>, <c>attention_mask</c>
    /// and, when the graph has that input, <c>token_type_ids</c> (int64), each batch padded to its longest row.
    /// </value>
    public string? TextColumnName { get; set; }

    /// <summary>Gets or sets the tokenizer file of a text teacher: a BERT <c>vocab.txt</c>, a WordPiece or byte-level BPE <c>tokenizer.json</c>, a SentencePiece <c>tokenizer.model</c> or a tiktoken <c>*.tiktoken</c> rank file.</summary>
    /// <value>
    /// Defaults to <see langword="null"/>: the first of <c>vocab.txt</c>, <c>tokenizer.json</c>, <c>tokenizer.model</c> beside
    /// <see cref="ModelFile"/>, as Hugging Face exports lay them out (<c>tokenizer_config.json</c> beside the file gives
    /// <c>do_lower_case</c>, the special tokens and <c>model_max_length</c>), else the one <c>*.tiktoken</c> file there.
    /// A BPE <c>tokenizer.json</c> wraps each text in its post-processor's special tokens (<c>&lt;s&gt; ... &lt;/s&gt;</c> for
    /// RoBERTa) and pads with <c>padding.pad_id</c>, else its <c>&lt;pad&gt;</c> token, else 0; a <c>.tiktoken</c> file takes
    /// its special tokens, <c>bos_token</c>/<c>eos_token</c> (with <c>add_bos_token</c>/<c>add_eos_token</c>) and
    /// <c>pad_token</c> from <c>tokenizer_config.json</c>, else adds none and pads with 0 (masked out by <c>attention_mask</c>).
    /// </value>
    public string? TokenizerFile { get; set; }

    /// <summary>Gets or sets the most tokens per text, special tokens included; longer texts are truncated and counted. From 2 to 65,536.</summary>
    /// <value>
    /// Defaults to <see langword="null"/>: the teacher's fixed sequence length when its <c>input_ids</c> has one, else
    /// <c>model_max_length</c> from <c>tokenizer_config.json</c>, else 512.
    /// </value>
    public int? MaxTokens { get; set; }

    /// <summary>Gets or sets whether texts are grouped by token count before batching, so a batch pads short texts less. The output keeps the input order.</summary>
    /// <value>Defaults to <see langword="true"/>: windows of 8 batches are sorted by length, then cut into batches.</value>
    public bool LengthBucketing { get; set; } = true;

    /// <summary>
    /// Gets or sets the most tokens (rows x padded length) in one ONNX Runtime call of a text teacher; a batch of long
    /// texts holds fewer rows, and a text longer than this is a batch of its own. At least 2.
    /// </summary>
    /// <value>
    /// Defaults to 1,024 (8 rows of 128 tokens; at most <see cref="BatchSize"/> rows). Measured on the SpamAssassin teacher
    /// (2 cores): 512 to 1,024 tokens per call scored fastest (1,870 rows/s), 16,384 ran at 1,400 rows/s: a transformer's
    /// attention tensors grow with rows x length², and beyond a few rows batching adds memory traffic, not speed.
    /// </value>
    public int MaxBatchTokens { get; set; } = 1024;

    /// <summary>Gets or sets whether an empty or whitespace-only text is an error instead of being scored (as the tokenizer's special tokens alone, <c>[CLS] [SEP]</c> for BERT) and counted.</summary>
    /// <value>Defaults to <see langword="false"/>: empty texts are scored and counted in <see cref="TeacherScoringTransformer.EmptyTexts"/>.</value>
    public bool RejectEmptyTexts { get; set; }

    /// <summary>A deep copy (the input and hint lists too), so that an estimator keeps the options it was built with.</summary>
    internal TeacherScoringOptions Clone()
    {
        var copy = (TeacherScoringOptions)MemberwiseClone();
        copy._inputs = [.. _inputs];
        copy._hints = [.. _hints];
        return copy;
    }

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(ModelFile, nameof(ModelFile));
        Numerics.SoftLabelMath.CheckTemperature(Temperature, nameof(Temperature));
        if (BatchSize <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, $"BatchSize must be a positive number of rows (for example 256) but was {BatchSize}.");
        }

        if (GpuDeviceId is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(GpuDeviceId), GpuDeviceId, $"GpuDeviceId must be 0 or more but was {GpuDeviceId}.");
        }

        if (IntraOpNumThreads is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(IntraOpNumThreads), IntraOpNumThreads, $"IntraOpNumThreads must be positive (or null for one per logical processor) but was {IntraOpNumThreads}.");
        }

        if (Inputs.Count == 0)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(FeatureColumnName, nameof(FeatureColumnName));
        }

        if (TextColumnName is not null)
        {
            ValidateText();
        }

        foreach (var input in Inputs)
        {
            ArgumentNullException.ThrowIfNull(input, nameof(Inputs));
            ArgumentException.ThrowIfNullOrWhiteSpace(input.InputName, nameof(Inputs));
            ArgumentException.ThrowIfNullOrWhiteSpace(input.ColumnName, nameof(Inputs));
        }

        foreach (var hint in Hints)
        {
            ArgumentNullException.ThrowIfNull(hint, nameof(Hints));
            ArgumentException.ThrowIfNullOrWhiteSpace(hint.TensorName, nameof(Hints));
            ArgumentException.ThrowIfNullOrWhiteSpace(hint.ColumnName, nameof(Hints));
        }

        if (Task == TeacherTask.Regression)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(ScoreColumnName, nameof(ScoreColumnName));
        }
        else
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(LogitsColumnName, nameof(LogitsColumnName));
            ArgumentException.ThrowIfNullOrWhiteSpace(SoftLabelsColumnName, nameof(SoftLabelsColumnName));
            ArgumentException.ThrowIfNullOrWhiteSpace(PredictedLabelColumnName, nameof(PredictedLabelColumnName));
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (string name in OutputColumnNames())
        {
            if (!names.Add(name))
            {
                throw new ArgumentException($"Output column name '{name}' is used twice; give each teacher output column its own name.");
            }
        }
    }

    private void ValidateText()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(TextColumnName, nameof(TextColumnName));
        if (TokenizerFile is not null)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(TokenizerFile, nameof(TokenizerFile));
        }

        if (MaxTokens is < 2 or > 65536)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxTokens), MaxTokens,
                $"MaxTokens must be from 2 to 65,536 tokens (room for [CLS] and [SEP] at least; for example 256 or 512) but was {MaxTokens}; leave it unset for the teacher's own length.");
        }

        if (MaxBatchTokens < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxBatchTokens), MaxBatchTokens,
                $"MaxBatchTokens must be at least 2 tokens per ONNX Runtime call (for example 1024) but was {MaxBatchTokens}.");
        }

        if (Inputs.Count > 0)
        {
            throw new ArgumentException(
                $"TextColumnName '{TextColumnName}' and Inputs ({Inputs.Count} mapped) cannot be combined: a text teacher's inputs (input_ids, attention_mask, token_type_ids) are made by its tokenizer. Clear Inputs, or leave TextColumnName unset to feed token columns yourself.",
                nameof(Inputs));
        }
    }

    internal IEnumerable<string> OutputColumnNames()
    {
        if (Task == TeacherTask.Regression)
        {
            yield return ScoreColumnName;
        }
        else
        {
            yield return LogitsColumnName;
            yield return SoftLabelsColumnName;
            yield return PredictedLabelColumnName;
        }

        foreach (var hint in Hints)
        {
            yield return hint.ColumnName;
        }
    }
}
