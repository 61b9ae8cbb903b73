using MLNetDistill.Onnx;
using MLNetDistill.Onnx.Proto;

namespace MLNetDistill.Teachers;

/// <summary>
/// Which output of a teacher model holds its predictions, and the tensor the scorer reads for it. Exporters put other
/// things first: ML.NET's converter (<c>ConvertToOnnx</c>) writes <c>Features.output</c>, a copy of the input, before
/// <c>Score.output</c>; scikit-learn's (skl2onnx) writes <c>output_label</c> (int64) and <c>output_probability</c>, a
/// sequence of maps made by <c>ZipMap</c> from a float [N, K] tensor, which is the tensor read.
/// </summary>
/// <param name="OutputName">The model output chosen (or the tensor asked for).</param>
/// <param name="Tensor">The float tensor read: <paramref name="OutputName"/>, or the input of the <c>ZipMap</c> that makes it.</param>
/// <param name="FromZipMap">Whether <paramref name="Tensor"/> is a <c>ZipMap</c>'s input (the class probabilities).</param>
internal sealed record TeacherOutputChoice(string OutputName, string Tensor, bool FromZipMap)
{
    /// <summary>Operators that only move or relabel values: a tensor they make from a graph input is a copy of it.</summary>
    private static readonly HashSet<string> CopyOperators = new(StringComparer.Ordinal) { "Identity", "Cast", "Reshape", "Flatten", "Squeeze", "Unsqueeze" };

    /// <summary>Words in an output's name that say it holds predictions, most wanted first.</summary>
    private static readonly string[] PredictionWords = ["logit", "score", "prob"];

    /// <summary>Chooses the output: <paramref name="requested"/> when given (refused when it copies an input), else the best prediction output.</summary>
    /// <param name="info">The teacher model.</param>
    /// <param name="requested">The output (or intermediate tensor) asked for, or <see langword="null"/> to choose.</param>
    /// <exception cref="ArgumentException">The output asked for is missing, not floating-point or a copy of an input; or no output holds predictions.</exception>
    public static TeacherOutputChoice Choose(OnnxModelInfo info, string? requested)
    {
        var producers = Producers(info.Model.Graph);
        var inputs = info.Inputs.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        return requested is null ? ChooseAuto(info, producers, inputs) : ChooseRequested(info, producers, inputs, requested);
    }

    /// <summary>The outputs as an error lists them: name, element type, shape, and what a copy of an input is.</summary>
    internal static string Describe(OnnxModelInfo info)
    {
        var producers = Producers(info.Model.Graph);
        var inputs = info.Inputs.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        return string.Join(", ", info.Outputs.Select(o =>
        {
            string what = CopiedInput(o.Name, producers, inputs) is { } copied ? $", a copy of input '{copied}'"
                : ZipMapInput(o.Name, producers) is not null ? ", a sequence of maps (ZipMap)"
                : "";
            return $"{o.Name} ({o.ElementType} {o.ShapeText}{what})";
        }));
    }

    /// <summary>
    /// Whether the tensor read holds probabilities rather than logits, from the operators that make it: <c>Softmax</c>,
    /// <c>Sigmoid</c>, an L1 <c>Normalizer</c>, a <c>ZipMap</c>'s input, an <c>ai.onnx.ml</c> classifier's scores with a
    /// <c>SOFTMAX</c> or <c>LOGISTIC</c> post-transform; or ML.NET's multiclass <c>Score.output</c> (ML.NET's multiclass
    /// scores are probabilities; its binary score, one value per row, is the raw margin).
    /// </summary>
    public bool LooksLikeProbabilities(OnnxModelInfo info, int valuesPerRow)
    {
        if (FromZipMap)
        {
            return true;
        }

        if (valuesPerRow >= 2 && info.Model.ProducerName == "ML.NET" && OutputName == "Score.output")
        {
            return true;
        }

        var producers = Producers(info.Model.Graph);
        string tensor = Tensor;
        for (int guard = 0; guard < 64 && producers.TryGetValue(tensor, out var node); guard++)
        {
            if (CopyOperators.Contains(node.OpType) || (node.OpType is "Max" or "Min" or "Sum" && node.Input.Count == 1))
            {
                tensor = node.Input[0];
                continue;
            }

            if (node.OpType is "LinearClassifier" or "TreeEnsembleClassifier" or "SVMClassifier")
            {
                string post = node.Attribute.FirstOrDefault(a => a.Name == "post_transform")?.S.ToStringUtf8() ?? "NONE";
                return node.Output.Count > 1 && node.Output[1] == tensor && post is "SOFTMAX" or "LOGISTIC" or "SOFTMAX_ZERO";
            }

            return node.OpType is "Softmax" or "Sigmoid"
                || (node.OpType == "Normalizer" && node.Attribute.FirstOrDefault(a => a.Name == "norm")?.S.ToStringUtf8() == "L1");
        }

        return false;
    }

    private static TeacherOutputChoice ChooseRequested(OnnxModelInfo info, Dictionary<string, NodeProto> producers, HashSet<string> inputs, string name)
    {
        var match = info.Outputs.FirstOrDefault(o => o.Name == name)
            ?? info.IntermediateOutputs.FirstOrDefault(o => o.Name == name)
            ?? throw new ArgumentException($"The teacher has no output named '{name}'. Its outputs are: {Describe(info)}.", nameof(Teachers.TeacherScoringOptions.TeacherOutputName));
        if (CopiedInput(name, producers, inputs) is { } copied)
        {
            throw new ArgumentException(
                $"Teacher output '{name}' is a copy of the model's input '{copied}', not its predictions: choose an output the model computes. Its outputs are: {Describe(info)}.",
                nameof(Teachers.TeacherScoringOptions.TeacherOutputName));
        }

        if (ZipMapInput(name, producers) is { } probabilities)
        {
            return new TeacherOutputChoice(name, probabilities, true);
        }

        if (!IsFloating(match.ElementType) && match.ElementType != "unknown")
        {
            throw new ArgumentException(
                $"Teacher output '{name}' holds {match.ElementType}, not floating-point logits or probabilities. Choose a float output: {Describe(info)}.",
                nameof(Teachers.TeacherScoringOptions.TeacherOutputName));
        }

        return new TeacherOutputChoice(name, name, false);
    }

    private static TeacherOutputChoice ChooseAuto(OnnxModelInfo info, Dictionary<string, NodeProto> producers, HashSet<string> inputs)
    {
        var candidates = new List<TeacherOutputChoice>();
        var perRow = new HashSet<string>(StringComparer.Ordinal);
        foreach (var output in info.Outputs)
        {
            if (output.Dimensions is null || output.Dimensions.Count <= 2)
            {
                perRow.Add(output.Name);
            }

            if (CopiedInput(output.Name, producers, inputs) is not null)
            {
                continue;
            }

            if (ZipMapInput(output.Name, producers) is { } probabilities)
            {
                candidates.Add(new TeacherOutputChoice(output.Name, probabilities, true));
            }
            else if (IsFloating(output.ElementType))
            {
                candidates.Add(new TeacherOutputChoice(output.Name, output.Name, false));
            }
        }

        if (candidates.Count == 0)
        {
            throw new ArgumentException(
                $"The teacher has no floating-point output to read logits from that is not a copy of an input; its outputs are: {Describe(info)}. Export the model's logits or probabilities as a float output.");
        }

        // A [N, K] output whose name says logits, scores or probabilities wins (in that order), else the first output the model computes.
        foreach (string word in PredictionWords)
        {
            if (candidates.FirstOrDefault(c => perRow.Contains(c.OutputName) && c.OutputName.Contains(word, StringComparison.OrdinalIgnoreCase)) is { } named)
            {
                return named;
            }
        }

        return candidates[0];
    }

    /// <summary>The graph input a tensor copies (its name is the input's followed by <c>.output</c>, as ML.NET's converter names a column it passes through, or it is made from the input by copying operators only), else null.</summary>
    private static string? CopiedInput(string tensor, Dictionary<string, NodeProto> producers, HashSet<string> inputs)
    {
        const string suffix = ".output";
        if (tensor.EndsWith(suffix, StringComparison.Ordinal) && inputs.Contains(tensor[..^suffix.Length]))
        {
            return tensor[..^suffix.Length];
        }

        string current = tensor;
        for (int guard = 0; guard < 64; guard++)
        {
            if (inputs.Contains(current) && current != tensor)
            {
                return current;
            }

            if (!producers.TryGetValue(current, out var node) || !CopyOperators.Contains(node.OpType) || node.Input.Count == 0)
            {
                return null;
            }

            current = node.Input[0];
        }

        return null;
    }

    /// <summary>The float tensor a <c>ZipMap</c> turns into the output (through copying operators), else null.</summary>
    private static string? ZipMapInput(string tensor, Dictionary<string, NodeProto> producers)
    {
        for (int guard = 0; guard < 64 && producers.TryGetValue(tensor, out var node); guard++)
        {
            if (node.OpType == "ZipMap")
            {
                return node.Input.Count > 0 ? node.Input[0] : null;
            }

            if (node.OpType != "Identity" || node.Input.Count == 0)
            {
                return null;
            }

            tensor = node.Input[0];
        }

        return null;
    }

    private static Dictionary<string, NodeProto> Producers(GraphProto graph)
    {
        var producers = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            foreach (string output in node.Output)
            {
                if (output.Length > 0)
                {
                    producers[output] = node;
                }
            }
        }

        return producers;
    }

    internal static bool IsFloating(string elementType) => elementType is "float" or "double" or "float16" or "bfloat16";
}
