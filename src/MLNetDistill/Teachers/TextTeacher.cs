using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.MlNet;
using MLNetDistill.Onnx;
using MLNetDistill.Text;

namespace MLNetDistill.Teachers;

/// <summary>
/// What a text teacher needs beyond the numeric scorer: its tokenizer, which graph input gets the token ids, the mask and
/// the token types, the token limit, and the checks that tokenizer and graph agree. Built with the estimator.
/// </summary>
internal sealed class TextTeacher
{
    private TextTeacher(TeacherTokenizer tokenizer, string textColumn, string idsInput, string? maskInput, string? typesInput,
        int maxTokens, int? fixedSequence, long? embeddingRows)
    {
        Tokenizer = tokenizer;
        TextColumn = textColumn;
        IdsInput = idsInput;
        MaskInput = maskInput;
        TypesInput = typesInput;
        MaxTokens = maxTokens;
        FixedSequence = fixedSequence;
        EmbeddingRows = embeddingRows;
    }

    public TeacherTokenizer Tokenizer { get; }

    public string TextColumn { get; }

    /// <summary>The graph input fed the token ids (<c>input_ids</c>).</summary>
    public string IdsInput { get; }

    /// <summary>The graph input fed 1 for a token and 0 for padding (<c>attention_mask</c>), when the graph has one.</summary>
    public string? MaskInput { get; }

    /// <summary>The graph input fed zeros (<c>token_type_ids</c>: one segment), when the graph has one.</summary>
    public string? TypesInput { get; }

    public int MaxTokens { get; }

    /// <summary>The graph's fixed sequence length, when it has one: every batch is padded to it.</summary>
    public int? FixedSequence { get; }

    /// <summary>The rows of the embedding table that <c>input_ids</c> indexes, when the graph shows it.</summary>
    public long? EmbeddingRows { get; }

    /// <summary>Options for <see cref="TeacherGraph.Build"/>: every graph input mapped to a column of its own name.</summary>
    public static TeacherScoringOptions GraphOptions(OnnxModelInfo model, TeacherScoringOptions options)
    {
        var copy = options.Clone();
        copy.TextColumnName = null;
        foreach (var input in model.Inputs)
        {
            copy.Inputs.Add(new TeacherInput(input.Name, input.Name));
        }

        return copy;
    }

    /// <summary>Per-row lengths that resolve a symbolic sequence axis for the graph build (the scorer sets the real length per batch).</summary>
    public static Dictionary<string, int> GraphColumnLengths(OnnxModelInfo model) =>
        model.Inputs.ToDictionary(i => i.Name, _ => 1, StringComparer.Ordinal);

    /// <summary>Finds the token inputs, loads the tokenizer and checks that the two agree.</summary>
    public static TextTeacher Create(OnnxModelInfo model, TeacherScoringOptions options)
    {
        string textColumn = options.TextColumnName!;
        string? ids = null, mask = null, types = null;
        foreach (var input in model.Inputs)
        {
            string role = Role(input.Name);
            if (input.ElementType != "int64")
            {
                throw new ArgumentException(
                    $"Text teacher '{options.ModelFile}' input '{input.Name}' holds {input.ElementType}; the text scorer feeds int64 token tensors (input_ids, attention_mask, token_type_ids). " +
                    "Re-export the model with int64 inputs, or score numeric features without TextColumnName.");
            }

            if (input.Dimensions is not { Count: 2 })
            {
                throw new ArgumentException(
                    $"Text teacher '{options.ModelFile}' input '{input.Name}' has shape {input.ShapeText}; a text teacher's token inputs are [batch, sequence]. Re-export it with dynamic_axes={{'{input.Name}': {{0: 'batch', 1: 'sequence'}}}}.");
            }

            switch (role)
            {
                case "ids" when ids is null: ids = input.Name; break;
                case "mask" when mask is null: mask = input.Name; break;
                case "types" when types is null: types = input.Name; break;
                default:
                    throw new ArgumentException(
                        $"Text teacher '{options.ModelFile}' has input '{input.Name}' {input.ShapeText}, which the text scorer does not know how to fill: it feeds input_ids, attention_mask and token_type_ids. " +
                        $"Its inputs are: {string.Join(", ", model.Inputs.Select(i => $"{i.Name} {i.ElementType} {i.ShapeText}"))}.");
            }
        }

        if (ids is null)
        {
            throw new ArgumentException(
                $"Text teacher '{options.ModelFile}' has no input_ids input (its inputs: {string.Join(", ", model.Inputs.Select(i => $"{i.Name} {i.ElementType} {i.ShapeText}"))}). " +
                "A text teacher takes token ids as 'input_ids' [batch, sequence] int64 (Hugging Face's name); re-export it so, or leave TextColumnName unset for a numeric teacher.");
        }

        var idsInfo = model.Inputs.First(i => i.Name == ids);
        if (idsInfo.Dimensions![0] is var batch && long.TryParse(batch, out long fixedBatch) && fixedBatch > 0)
        {
            throw new ArgumentException(
                $"Text teacher '{options.ModelFile}' input '{ids}' {idsInfo.ShapeText} has a fixed batch of {fixedBatch}; the text scorer needs a dynamic batch axis. Re-export with dynamic_axes={{'{ids}': {{0: 'batch', 1: 'sequence'}}}}.");
        }

        int? fixedSequence = long.TryParse(idsInfo.Dimensions[1], out long sequence) && sequence > 0 ? (int)Math.Min(sequence, int.MaxValue) : null;
        TeacherTokenizer tokenizer = TeacherTokenizer.Load(options.ModelFile, options.TokenizerFile);
        int maxTokens = options.MaxTokens ?? fixedSequence ?? tokenizer.ModelMaxLength ?? 512;
        if (fixedSequence is int fixedLength && maxTokens > fixedLength)
        {
            throw new ArgumentOutOfRangeException(nameof(options.MaxTokens), maxTokens,
                $"MaxTokens {maxTokens} is more than text teacher '{options.ModelFile}' takes: its input '{ids}' has a fixed sequence of {fixedLength} tokens. Use MaxTokens from 2 to {fixedLength}, or leave it unset.");
        }

        long? rows = FindEmbeddingRows(model, ids);
        if (rows is long tableRows && tokenizer.VocabularySize > tableRows)
        {
            throw new ArgumentException(
                $"The tokenizer '{tokenizer.File}' has {tokenizer.VocabularySize:N0} tokens but text teacher '{options.ModelFile}' has an embedding table of {tableRows:N0} rows for '{ids}': " +
                $"token ids from {tableRows:N0} to {tokenizer.VocabularySize - 1:N0} would index past it. Use the tokenizer the teacher was trained with (TokenizerFile), or the teacher that goes with this vocabulary.");
        }

        return new TextTeacher(tokenizer, textColumn, ids, mask, types, maxTokens, fixedSequence, rows);
    }

    /// <summary>Checks that <paramref name="column"/> is in <paramref name="schema"/> and holds text.</summary>
    public static void CheckColumn(string column, DataViewSchema schema)
    {
        var found = schema.GetColumnOrNull(column)
            ?? throw new ArgumentException($"Text column '{column}' is not in the data. Columns present: {Data.ColumnNameList.Format(schema)}. Pass the column that holds the texts (TextColumnName; CLI --text).");
        if (found.Type is not TextDataViewType)
        {
            throw new ArgumentException(
                $"Column '{column}' holds {found.Type} values, not text: a text teacher tokenizes a text column (ReadOnlyMemory<char>, ML.NET's TextDataViewType). " +
                "Pass the column that holds the texts, or read the file with DataSourceReader.LoadText so the column comes as text.");
        }
    }

    /// <summary>Checks the text column of an input <see cref="SchemaShape"/>.</summary>
    public static void CheckColumn(string column, SchemaShape schema)
    {
        var match = schema.Where(c => c.Name == column).ToList();
        if (match.Count == 0)
        {
            throw new ArgumentException($"Text column '{column}' is not in the data. Columns present: {SchemaShapeChecks.Names(schema)}. Pass the column that holds the texts (TextColumnName; CLI --text).");
        }

        var found = match[^1];
        if (found.ItemType is not TextDataViewType || found.Kind != SchemaShape.Column.VectorKind.Scalar)
        {
            throw new ArgumentException(
                $"Column '{column}' holds {SchemaShapeChecks.Describe(found)} values, not text: a text teacher tokenizes a scalar text column (ML.NET's TextDataViewType). Pass the column that holds the texts.");
        }
    }

    /// <summary>The first dimension of the initializer a <c>Gather</c> node looks <paramref name="ids"/> up in (through any Cast), or null.</summary>
    internal static long? FindEmbeddingRows(OnnxModelInfo model, string ids)
    {
        var graph = model.Model.Graph;
        var names = new HashSet<string>(StringComparer.Ordinal) { ids };
        foreach (var node in graph.Node)
        {
            if (node.OpType is "Cast" or "Identity" && node.Input.Count == 1 && names.Contains(node.Input[0]))
            {
                names.Add(node.Output[0]);
            }
        }

        foreach (var node in graph.Node)
        {
            if (node.OpType == "Gather" && node.Input.Count == 2 && names.Contains(node.Input[1]))
            {
                foreach (var initializer in graph.Initializer)
                {
                    if (initializer.Name == node.Input[0] && initializer.Dims.Count >= 1)
                    {
                        return initializer.Dims[0];
                    }
                }
            }
        }

        return null;
    }

    private static string Role(string name)
    {
        string lower = name.ToLowerInvariant();
        if (lower.Contains("input_ids", StringComparison.Ordinal) || lower is "ids" or "tokens" or "input")
        {
            return "ids";
        }

        if (lower.Contains("attention_mask", StringComparison.Ordinal) || lower is "mask" or "input_mask")
        {
            return "mask";
        }

        if (lower.Contains("token_type_ids", StringComparison.Ordinal) || lower is "segment_ids" or "type_ids")
        {
            return "types";
        }

        return "other";
    }
}
