namespace MLNetDistill.Evaluation;

/// <summary>
/// How a student inherits its teacher's mistakes, counted over the labeled rows: of the teacher's mistakes, how many the
/// student <see cref="Copied"/> (the same wrong class), <see cref="Fixed"/> (the label) or turned into
/// <see cref="OtherMistakes"/> (another wrong class); and its <see cref="NewMistakes"/> on rows the teacher got right.
/// </summary>
/// <param name="LabeledRows">Rows with a valid label, the ones counted here.</param>
/// <param name="TeacherMistakes">Labeled rows the teacher gets wrong; <c>Copied + Fixed + OtherMistakes</c>.</param>
/// <param name="Copied">Teacher mistakes where the student predicts the same wrong class.</param>
/// <param name="Fixed">Teacher mistakes where the student predicts the label.</param>
/// <param name="OtherMistakes">Teacher mistakes where the student predicts a third class, neither the teacher's nor the label.</param>
/// <param name="NewMistakes">Rows the teacher gets right and the student wrong.</param>
/// <example>
/// <code language="csharp">
/// var t = mlContext.MulticlassClassification.EvaluateDistillation(student.Transform(scoredTest)).Inheritance!;
/// Console.WriteLine($"of {t.TeacherMistakes} teacher mistakes: {t.Copied} copied, {t.Fixed} fixed, {t.OtherMistakes} other; {t.NewMistakes} new");
/// </code>
/// </example>
public sealed record InheritanceTable(long LabeledRows, long TeacherMistakes, long Copied, long Fixed, long OtherMistakes, long NewMistakes)
{
    /// <summary>Gets the student's mistakes on the labeled rows: <c>Copied + OtherMistakes + NewMistakes</c>.</summary>
    public long StudentMistakes => Copied + OtherMistakes + NewMistakes;

    /// <summary>Gets the share of the teacher's mistakes the student copies (NaN when the teacher makes none).</summary>
    public double CopiedShare => TeacherMistakes == 0 ? double.NaN : (double)Copied / TeacherMistakes;
}
