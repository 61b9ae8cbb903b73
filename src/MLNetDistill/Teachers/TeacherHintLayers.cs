using MLNetDistill.Onnx;

namespace MLNetDistill.Teachers;

/// <summary>Finds the teacher tensors worth exposing as hint columns.</summary>
internal static class TeacherHintLayers
{
    /// <summary>The input of the teacher's last linear layer (Gemm, or MatMul with or without Add) that makes its first output.</summary>
    /// <param name="model">The teacher.</param>
    /// <returns>The tensor's name, for a <see cref="TeacherHint"/>.</returns>
    /// <exception cref="ArgumentException">The first output is not made by a final Gemm/MatMul.</exception>
    public static string Penultimate(OnnxModelInfo model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var graph = model.Model.Graph;
        string tensor = graph.Output[0].Name;
        for (int guard = 0; guard < 16; guard++)
        {
            var node = graph.Node.LastOrDefault(n => n.Output.Contains(tensor));
            if (node is null)
            {
                break;
            }

            if (node.OpType is "Gemm" or "MatMul")
            {
                return node.Input[0];
            }

            if (node.OpType is "Identity" or "Add" or "Reshape" or "Flatten" && node.Input.Count > 0)
            {
                tensor = node.Input[0];
                continue;
            }

            break;
        }

        throw new ArgumentException(
            $"The teacher's penultimate layer, for loss=hint, was not found: its output '{graph.Output[0].Name}' is not made by a final Gemm/MatMul. " +
            "Expose the tensor you choose yourself: a TeacherHint in TeacherScoringOptions.Hints and MlpStudentOptions.HintColumnName (`mlnet-distill inspect` lists the tensors).",
            nameof(model));
    }
}
