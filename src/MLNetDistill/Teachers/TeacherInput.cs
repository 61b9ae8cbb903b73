namespace MLNetDistill.Teachers;

/// <summary>Maps one data column onto one named input of the teacher graph.</summary>
/// <param name="InputName">The teacher graph's input name (see <c>mlnet-distill inspect</c>).</param>
/// <param name="ColumnName">The column that feeds it: a vector (or scalar) whose element type matches the input's
/// (<c>Single</c> for <c>float</c>, <c>Int64</c> for <c>int64</c>, ...) and whose length is the input's per-row element count.</param>
public sealed record TeacherInput(string InputName, string ColumnName);
