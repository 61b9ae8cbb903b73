namespace MLNetDistill.Teachers;

/// <summary>Exposes one intermediate tensor of the teacher graph as an extra vector column (for feature-based distillation).</summary>
/// <param name="TensorName">The node output name in the teacher graph (see <c>mlnet-distill inspect</c>).</param>
/// <param name="ColumnName">The name of the column to add; it holds the tensor flattened per row.</param>
public sealed record TeacherHint(string TensorName, string ColumnName);
