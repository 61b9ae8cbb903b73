using MLNetDistill.Onnx;
using MLNetDistill.Onnx.Proto;

namespace MLNetDistill.Teachers;

/// <summary>One input of a prepared teacher graph: its (renamed) name, element type and per-row shape.</summary>
internal sealed record TeacherGraphInput(string Name, string ColumnName, string ElementType, long[] RowShape, long? FixedBatch, string TeacherName)
{
    public long ElementsPerRow
    {
        get
        {
            // Saturates instead of wrapping: a damaged shape gives long.MaxValue, which every buffer check refuses.
            long n = 1;
            foreach (long d in RowShape)
            {
                n = d != 0 && Math.Abs(n) > long.MaxValue / Math.Abs(d) ? long.MaxValue : n * d;
            }

            return n;
        }
    }
}

/// <summary>One float output of a prepared teacher graph, [batch, Size].</summary>
internal sealed record TeacherGraphOutput(string Name, int Size);

/// <summary>
/// The teacher's ONNX graph rewritten once, when the estimator is built, so that it computes every column the
/// scorer adds: inputs renamed after their columns, logits flattened to [batch, K] (from probabilities through
/// Log, from one binary logit z as [0, z]), soft labels as Softmax(logits / T), and exposed intermediate tensors
/// flattened per row. The same bytes run in batches through ONNX Runtime and, for saving, through ML.NET's
/// <c>ApplyOnnxModel</c>, so both give the same numbers by construction.
/// </summary>
internal sealed class TeacherGraph
{
    private TeacherGraph(byte[] bytes, IReadOnlyList<TeacherGraphInput> inputs, IReadOnlyList<TeacherGraphOutput> outputs,
        TeacherTask task, int classes, bool probabilities)
    {
        Bytes = bytes;
        Inputs = inputs;
        Outputs = outputs;
        Task = task;
        Classes = classes;
        OutputWasProbabilities = probabilities;
    }

    public byte[] Bytes { get; }

    public IReadOnlyList<TeacherGraphInput> Inputs { get; }

    /// <summary>Gets the graph outputs, named after the columns they become.</summary>
    public IReadOnlyList<TeacherGraphOutput> Outputs { get; }

    public TeacherTask Task { get; }

    /// <summary>Gets the class count K (2 for binary teachers, 1 for regression).</summary>
    public int Classes { get; }

    public bool OutputWasProbabilities { get; }

    /// <summary>Gets the teacher model's output the logits are read from (see <see cref="TeacherOutputChoice"/>).</summary>
    public string SourceOutput { get; private init; } = "";

    /// <summary>Gets the model's outputs as an error or warning lists them.</summary>
    public string ModelOutputs { get; private init; } = "";

    /// <summary>The most values one row of a teacher input may hold (2^28: a 1 GiB float row), so a damaged shape cannot ask for more.</summary>
    internal const long MaxElementsPerRow = 1L << 28;

    /// <summary>
    /// Refuses an input whose declared row size, or whose batch buffer (fixed batch or <paramref name="batchSize"/> rows), is
    /// larger than one buffer can hold: a damaged or mistaken shape becomes a clear error instead of an overflow or an
    /// out-of-memory failure.
    /// </summary>
    private static void CheckBufferSize(OnnxTensorInfo input, long perRow, long? fixedBatch, int batchSize)
    {
        if (perRow > MaxElementsPerRow)
        {
            throw new InvalidDataException(
                $"Teacher input '{input.Name}' {input.ShapeText} declares more than {MaxElementsPerRow:N0} values per row: the model's input shape is damaged or not per-row. Re-export the model with its real input shape ([batch, ...]).");
        }

        if (fixedBatch is long fixedRows && fixedRows > Array.MaxLength / perRow)
        {
            throw new InvalidDataException(
                $"Teacher input '{input.Name}' {input.ShapeText} has a fixed batch of {fixedRows:N0} rows of {perRow:N0} values, more than one buffer holds ({Array.MaxLength:N0} values). Re-export the model with a dynamic batch dimension (dynamic_axes={{'{input.Name}': {{0: 'batch'}}}}).");
        }

        if (fixedBatch is null && batchSize > Array.MaxLength / perRow)
        {
            long most = Array.MaxLength / perRow;
            throw new ArgumentOutOfRangeException(
                nameof(TeacherScoringOptions.BatchSize),
                batchSize,
                $"BatchSize {batchSize:N0} rows of {perRow:N0} values (teacher input '{input.Name}') is more than one buffer holds ({Array.MaxLength:N0} values): use a BatchSize from 1 to {most:N0}, for example 256.");
        }
    }

    /// <summary>Builds the scoring graph for <paramref name="options"/>.</summary>
    /// <param name="info">The teacher model.</param>
    /// <param name="options">The scorer options.</param>
    /// <param name="columnLengths">Per-row lengths of the input columns, used to resolve symbolic non-batch input dimensions.</param>
    public static TeacherGraph Build(OnnxModelInfo info, TeacherScoringOptions options, IReadOnlyDictionary<string, int>? columnLengths)
    {
        var inputs = ResolveInputs(info, options, columnLengths);
        var choice = TeacherOutputChoice.Choose(info, options.TeacherOutputName);
        string output = choice.Tensor;

        // Phase 1: expose the flattened raw output and hints, run one row of zeros to learn their per-row sizes.
        var probe = new OnnxGraphEditor(info.Model);
        foreach (var input in inputs)
        {
            probe.RenameTensor(input.OriginalName, input.Graph.Name);
        }

        string raw = Flatten(probe, output, "raw");
        var probeOutputs = new List<string> { raw };
        foreach (var hint in options.Hints)
        {
            probeOutputs.Add(Flatten(probe, CheckHint(info, probe, hint), "hint"));
        }

        probe.SetFloatOutputs(probeOutputs.Select(n => (n, (long?)null)));
        int[] sizes = TeacherSession.ProbeRowSizes(probe.ToBytes(), inputs.Select(i => i.Graph).ToArray(), probeOutputs, info.Path);
        int rawSize = sizes[0];

        var task = options.Task;
        if (task == TeacherTask.Auto)
        {
            task = rawSize == 1 ? TeacherTask.Binary : TeacherTask.Multiclass;
        }

        if (task == TeacherTask.Regression && rawSize != 1)
        {
            throw new ArgumentException($"Task is Regression but teacher output '{output}' has {rawSize} values per row; a regression teacher has one. Use Task = Multiclass for class logits.");
        }

        if (task == TeacherTask.Multiclass && rawSize < 2)
        {
            throw new ArgumentException($"Task is Multiclass but teacher output '{output}' has {rawSize} value per row. Use Task = Binary for one logit or Regression for one value.");
        }

        if (task == TeacherTask.Binary && rawSize > 2)
        {
            throw new ArgumentException($"Task is Binary but teacher output '{output}' has {rawSize} values per row; a binary teacher has one logit or two class logits.");
        }

        // Phase 2: the real graph.
        var editor = new OnnxGraphEditor(info.Model);
        foreach (var input in inputs)
        {
            editor.RenameTensor(input.OriginalName, input.Graph.Name);
        }

        string flat = Flatten(editor, output, "raw");
        var outputs = new List<TeacherGraphOutput>();
        bool probabilities = false;
        int classes;
        if (task == TeacherTask.Regression)
        {
            editor.AddNode("Identity", [flat], options.ScoreColumnName);
            outputs.Add(new TeacherGraphOutput(options.ScoreColumnName, 1));
            classes = 1;
        }
        else
        {
            probabilities = options.OutputKind switch
            {
                TeacherOutputKind.Probabilities => true,
                TeacherOutputKind.Logits => false,
                _ => choice.LooksLikeProbabilities(info, rawSize),
            };

            string logits = flat;
            if (probabilities)
            {
                string eps = editor.AddConstant("eps", 1e-30f);
                if (rawSize == 1)
                {
                    // p is P(class 1): logits are [log(1 - p), log p].
                    string one = editor.AddConstant("one", 1f);
                    string q = editor.AddNode("Sub", [one, flat]);
                    string logQ = editor.AddNode("Log", [editor.AddNode("Max", [q, eps])]);
                    string logP = editor.AddNode("Log", [editor.AddNode("Max", [flat, eps])]);
                    logits = editor.AddNode("Concat", [logQ, logP], null, OnnxGraphEditor.IntAttribute("axis", 1));
                }
                else
                {
                    logits = editor.AddNode("Log", [editor.AddNode("Max", [flat, eps])]);
                }
            }
            else if (rawSize == 1)
            {
                // One logit z = log(p / (1 - p)): class logits [0, z] give softmax = [1 - sigmoid(z), sigmoid(z)].
                string zero = editor.AddNode("Sub", [flat, flat]);
                logits = editor.AddNode("Concat", [zero, flat], null, OnnxGraphEditor.IntAttribute("axis", 1));
            }

            classes = rawSize == 1 ? 2 : rawSize;
            editor.AddNode("Identity", [logits], options.LogitsColumnName);
            string temperature = editor.AddConstant("temperature", options.Temperature);
            string scaled = editor.AddNode("Div", [logits, temperature]);
            editor.AddNode("Softmax", [scaled], options.SoftLabelsColumnName, OnnxGraphEditor.IntAttribute("axis", 1));
            outputs.Add(new TeacherGraphOutput(options.LogitsColumnName, classes));
            outputs.Add(new TeacherGraphOutput(options.SoftLabelsColumnName, classes));
        }

        for (int h = 0; h < options.Hints.Count; h++)
        {
            var hint = options.Hints[h];
            string flatHint = Flatten(editor, hint.TensorName, "hint");
            editor.AddNode("Identity", [flatHint], hint.ColumnName);
            outputs.Add(new TeacherGraphOutput(hint.ColumnName, sizes[h + 1]));
        }

        editor.SetFloatOutputs(outputs.Select(o => (o.Name, (long?)o.Size)));
        return new TeacherGraph(editor.ToBytes(), inputs.Select(i => i.Graph).ToArray(), outputs, task, classes, probabilities)
        {
            SourceOutput = choice.OutputName,
            ModelOutputs = TeacherOutputChoice.Describe(info),
        };
    }

    private static string Flatten(OnnxGraphEditor editor, string tensor, string hint)
    {
        string cast = editor.AddNode("Cast", [tensor], null, OnnxGraphEditor.IntAttribute("to", (int)TensorProto.Types.DataType.Float));
        return editor.AddNode("Flatten", [cast], null, OnnxGraphEditor.IntAttribute("axis", 1));
    }

    private static string CheckHint(OnnxModelInfo info, OnnxGraphEditor editor, TeacherHint hint)
    {
        if (!editor.HasTensor(hint.TensorName))
        {
            string available = string.Join(", ", info.IntermediateOutputs.Take(30).Select(o => o.Name));
            throw new ArgumentException(
                $"The teacher has no tensor named '{hint.TensorName}' to expose as column '{hint.ColumnName}'. Intermediate outputs it has: {available}{(info.IntermediateOutputs.Count > 30 ? ", ..." : "")} (all listed by `mlnet-distill inspect`).");
        }

        return hint.TensorName;
    }

    private static List<(string OriginalName, TeacherGraphInput Graph)> ResolveInputs(OnnxModelInfo info, TeacherScoringOptions options, IReadOnlyDictionary<string, int>? columnLengths)
    {
        var mapping = new List<TeacherInput>(options.Inputs);
        if (mapping.Count == 0)
        {
            if (info.Inputs.Count != 1)
            {
                throw new ArgumentException(
                    $"The teacher has {info.Inputs.Count} inputs ({string.Join(", ", info.Inputs.Select(i => $"{i.Name} {i.ElementType} {i.ShapeText}"))}); map each one to a column with TeacherScoringOptions.Inputs (CLI: one per --input NAME=COLUMN).");
            }

            mapping.Add(new TeacherInput(info.Inputs[0].Name, options.FeatureColumnName));
        }

        var result = new List<(string, TeacherGraphInput)>();
        foreach (var input in info.Inputs)
        {
            var map = mapping.FirstOrDefault(m => m.InputName == input.Name)
                ?? throw new ArgumentException($"Teacher input '{input.Name}' ({input.ElementType} {input.ShapeText}) is not mapped to any column. Add TeacherInput(\"{input.Name}\", \"<column>\") to TeacherScoringOptions.Inputs.");
            var dims = input.Dimensions ?? throw new ArgumentException($"Teacher input '{input.Name}' has no declared shape; re-export the model with input shapes.");
            if (dims.Count == 0)
            {
                throw new ArgumentException($"Teacher input '{input.Name}' is a scalar; the scorer needs a batch dimension first (shape [batch, ...]). Re-export with dynamic_axes={{'{input.Name}': {{0: 'batch'}}}}.");
            }

            long? fixedBatch = long.TryParse(dims[0], out long b) && b > 0 ? b : null;
            var rowShape = new long[dims.Count - 1];
            int unknown = -1;
            long known = 1;
            for (int i = 1; i < dims.Count; i++)
            {
                if (long.TryParse(dims[i], out long d) && d > 0)
                {
                    rowShape[i - 1] = d;
                    known = d > MaxElementsPerRow / known ? MaxElementsPerRow + 1 : known * d;
                }
                else if (unknown >= 0)
                {
                    throw new ArgumentException($"Teacher input '{input.Name}' {input.ShapeText} has more than one unknown dimension after the batch; the scorer can resolve only one from the column's length.");
                }
                else
                {
                    unknown = i - 1;
                }
            }

            if (unknown >= 0)
            {
                if (columnLengths is null || !columnLengths.TryGetValue(map.ColumnName, out int length))
                {
                    rowShape[unknown] = -1;
                }
                else if (length % known != 0)
                {
                    throw new ArgumentException($"Column '{map.ColumnName}' has {length} values per row, which cannot fill teacher input '{input.Name}' {input.ShapeText}: the length must be a multiple of {known}.");
                }
                else
                {
                    rowShape[unknown] = length / known;
                }
            }

            CheckBufferSize(input, known, fixedBatch, options.BatchSize);
            result.Add((input.Name, new TeacherGraphInput(map.ColumnName, map.ColumnName, input.ElementType, rowShape, fixedBatch, input.Name)));
        }

        foreach (var map in mapping)
        {
            if (!info.Inputs.Any(i => i.Name == map.InputName))
            {
                throw new ArgumentException($"The teacher has no input named '{map.InputName}'. Its inputs are: {string.Join(", ", info.Inputs.Select(i => $"{i.Name} ({i.ElementType} {i.ShapeText})"))}.");
            }
        }

        if (result.Select(r => r.Item2.Name).Distinct(StringComparer.Ordinal).Count() != result.Count)
        {
            throw new ArgumentException("Two teacher inputs are mapped to the same column; give each input its own column.");
        }

        return result;
    }
}
