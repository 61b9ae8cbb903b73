using MLNetDistill.Onnx.Proto;

namespace MLNetDistill.Onnx;

/// <summary>
/// Turns a Hugging Face encoder export (a graph with <c>attention_mask</c> and a <c>last_hidden_state</c> [batch, sequence,
/// hidden] output, e.g. sentence-transformers' all-MiniLM-L6-v2) into a text classifier: sentence-transformers' mean pooling
/// (the hidden states of the tokens whose mask is 1, averaged; optionally L2-normalized, as that model does) followed by a
/// linear layer to class logits. The result has one output, <c>logits</c> [batch, classes], and the encoder's inputs unchanged.
/// Nodes are opset 13 (ReduceSum takes its axes as an input).
/// </summary>
internal static class MeanPoolingHead
{
    /// <summary>The name of the logits output the head adds.</summary>
    public const string LogitsOutput = "logits";

    /// <summary>The name of the pooled (and normalized) sentence embedding, the head's input.</summary>
    public const string EmbeddingTensor = "sentence_embedding";

    /// <summary>Appends pooling and the linear head to <paramref name="encoder"/>.</summary>
    /// <param name="encoder">The encoder's ONNX bytes.</param>
    /// <param name="weights">Row-major [hidden, classes]: embedding times weights plus bias gives the logits.</param>
    /// <param name="bias">One per class.</param>
    /// <param name="normalize">L2-normalize the pooled embedding before the linear layer.</param>
    /// <param name="hiddenOutput">The encoder's [batch, sequence, hidden] output.</param>
    /// <param name="maskInput">The encoder's attention mask input.</param>
    /// <returns>The classifier's ONNX bytes.</returns>
    /// <exception cref="ArgumentException">The encoder lacks <paramref name="hiddenOutput"/> or <paramref name="maskInput"/>, or the weights do not fit the bias.</exception>
    public static byte[] Append(byte[] encoder, float[] weights, float[] bias, bool normalize, string hiddenOutput = "last_hidden_state", string maskInput = "attention_mask")
    {
        return Append(encoder, weights, bias, normalize, hiddenOutput, maskInput, embeddingOnly: false);
    }

    /// <summary>The encoder with pooling only: one output, <see cref="EmbeddingTensor"/> [batch, hidden] (the head's training features).</summary>
    public static byte[] EmbeddingOnly(byte[] encoder, bool normalize, string hiddenOutput = "last_hidden_state", string maskInput = "attention_mask")
    {
        return Append(encoder, [], [], normalize, hiddenOutput, maskInput, embeddingOnly: true);
    }

    private static byte[] Append(byte[] encoder, float[] weights, float[] bias, bool normalize, string hiddenOutput, string maskInput, bool embeddingOnly)
    {
        var editor = new OnnxGraphEditor(ModelProto.Parser.ParseFrom(encoder));
        if (!editor.Graph.Output.Any(o => o.Name == hiddenOutput))
        {
            throw new ArgumentException($"The encoder has no output '{hiddenOutput}' (it has {string.Join(", ", editor.Graph.Output.Select(o => $"'{o.Name}'"))}): name its [batch, sequence, hidden] output.", nameof(hiddenOutput));
        }

        if (!editor.Graph.Input.Any(i => i.Name == maskInput))
        {
            throw new ArgumentException($"The encoder has no input '{maskInput}' (it has {string.Join(", ", editor.Graph.Input.Select(i => $"'{i.Name}'"))}): name its attention mask input.", nameof(maskInput));
        }

        if (!embeddingOnly && (bias.Length == 0 || weights.Length == 0 || weights.Length % bias.Length != 0))
        {
            throw new ArgumentException($"The head's weights ({weights.Length} values) must be [hidden, classes] with classes = the bias's length ({bias.Length}).", nameof(weights));
        }

        string embedding = Pool(editor, hiddenOutput, maskInput, normalize);
        if (embeddingOnly)
        {
            editor.SetFloatOutputs([(embedding, null)]);
            return editor.ToBytes();
        }

        int classes = bias.Length;
        string w = AddTensor(editor, "mlnetdistill_head_weight", weights, [weights.Length / classes, classes]);
        string b = AddTensor(editor, "mlnetdistill_head_bias", bias, [classes]);
        string product = editor.AddNode("MatMul", [embedding, w]);
        editor.AddNode("Add", [product, b], LogitsOutput);
        editor.SetFloatOutputs([(LogitsOutput, classes)]);
        return editor.ToBytes();
    }

    /// <summary>sentence-transformers' pooling: sum(hidden * mask) / max(sum(mask), 1e-9) over the sequence, then x / max(|x|, 1e-12).</summary>
    private static string Pool(OnnxGraphEditor editor, string hiddenOutput, string maskInput, bool normalize)
    {
        string axisSequence = AddInt64(editor, "mlnetdistill_axis_sequence", 1);
        string axisLast = AddInt64(editor, "mlnetdistill_axis_last", 2);
        string mask = editor.AddNode("Cast", [maskInput], null, OnnxGraphEditor.IntAttribute("to", (long)TensorProto.Types.DataType.Float));
        string mask3 = editor.AddNode("Unsqueeze", [mask, axisLast]);
        string masked = editor.AddNode("Mul", [hiddenOutput, mask3]);
        string summed = editor.AddNode("ReduceSum", [masked, axisSequence], null, OnnxGraphEditor.IntAttribute("keepdims", 0));
        string count = editor.AddNode("ReduceSum", [mask3, axisSequence], null, OnnxGraphEditor.IntAttribute("keepdims", 0));
        string clamped = editor.AddNode("Max", [count, editor.AddConstant("min_tokens", 1e-9f)]);
        if (!normalize)
        {
            return editor.AddNode("Div", [summed, clamped], EmbeddingTensor);
        }

        string mean = editor.AddNode("Div", [summed, clamped]);
        var axes = new AttributeProto { Name = "axes", Type = AttributeProto.Types.AttributeType.Ints };
        axes.Ints.Add(1);
        string norm = editor.AddNode("ReduceL2", [mean], null, axes, OnnxGraphEditor.IntAttribute("keepdims", 1));
        string normClamped = editor.AddNode("Max", [norm, editor.AddConstant("min_norm", 1e-12f)]);
        return editor.AddNode("Div", [mean, normClamped], EmbeddingTensor);
    }

    private static string AddTensor(OnnxGraphEditor editor, string name, float[] values, long[] dims)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dims);
        tensor.FloatData.AddRange(values);
        editor.Graph.Initializer.Add(tensor);
        return name;
    }

    private static string AddInt64(OnnxGraphEditor editor, string name, long value)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.Add(1);
        tensor.Int64Data.Add(value);
        editor.Graph.Initializer.Add(tensor);
        return name;
    }
}
