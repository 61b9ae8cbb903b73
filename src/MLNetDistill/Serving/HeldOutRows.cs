using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.Numerics;
using MLNetDistill.Teachers;

namespace MLNetDistill.Serving;

/// <summary>
/// What a cascade is fitted on: for each held-out row, the student's class probabilities and class, the teacher's class
/// and the label (none when any row lacks one).
/// </summary>
internal sealed class HeldOutRows
{
    private HeldOutRows(int classes, float[] probabilities, int[] studentPredicted, int[] teacherPredicted, int[] labels)
    {
        Classes = classes;
        Probabilities = probabilities;
        StudentPredicted = studentPredicted;
        TeacherPredicted = teacherPredicted;
        Labels = labels;
    }

    public int Classes { get; }

    public int Rows => StudentPredicted.Length;

    /// <summary>Row-major student probabilities, <see cref="Classes"/> per row.</summary>
    public float[] Probabilities { get; }

    public int[] StudentPredicted { get; }

    public int[] TeacherPredicted { get; }

    /// <summary>0-based labels, or empty when the rows have none.</summary>
    public int[] Labels { get; }

    /// <summary>Runs the student and the teacher on <paramref name="data"/> and reads their answers.</summary>
    public static HeldOutRows Read(ITransformer student, TeacherScoringTransformer teacher, string scoreColumn, string? labelColumn, IDataView data)
    {
        int classes = teacher.ClassCount;
        float[] probabilities = StudentProbabilities(student.Transform(data), scoreColumn, classes);
        int rows = probabilities.Length / classes;
        int[] studentPredicted = new int[rows];
        for (int r = 0; r < rows; r++)
        {
            studentPredicted[r] = SoftLabelMath.ArgMax(probabilities.AsSpan(r * classes, classes));
        }

        bool hasLabel = labelColumn is not null && data.Schema.GetColumnOrNull(labelColumn) is not null;
        int[] teacherPredicted = new int[rows];
        int[] labels = new int[rows];
        int read = 0;
        using (var scored = ScoredRows.Open(teacher.Transform(data), hasLabel ? labelColumn : null))
        {
            while (scored.MoveNext())
            {
                if (read == rows)
                {
                    throw RowCountMismatch(rows, read + 1);
                }

                teacherPredicted[read] = scored.Predicted;
                float label = scored.Label;
                hasLabel &= !float.IsNaN(label);
                labels[read] = hasLabel ? (int)label : -1;
                read++;
            }
        }

        if (read != rows)
        {
            throw RowCountMismatch(rows, read);
        }

        return new HeldOutRows(classes, probabilities, studentPredicted, teacherPredicted, hasLabel ? labels : []);
    }

    /// <summary>Reads the student's probability column, checked to hold <paramref name="classes"/> values a row.</summary>
    public static float[] StudentProbabilities(IDataView studentOutput, string scoreColumn, int classes)
    {
        var column = studentOutput.Schema.GetColumnOrNull(scoreColumn) ?? throw new ArgumentException(
            $"The student's output has no '{scoreColumn}' column (its columns are: {ColumnNameList.Format(studentOutput.Schema)}). Give a student that adds class probabilities.");
        var values = new List<float>();
        using var cursor = studentOutput.GetRowCursor([column]);
        var getter = cursor.GetGetter<VBuffer<float>>(column);
        var buffer = default(VBuffer<float>);
        float[] row = new float[classes];
        while (cursor.MoveNext())
        {
            getter(ref buffer);
            if (buffer.Length != classes)
            {
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                    $"Row {cursor.Position} of the student's '{scoreColumn}' has {buffer.Length} values but the teacher has {classes} classes: the student must give one probability per class."));
            }

            buffer.CopyTo(row);
            values.AddRange(row);
        }

        if (values.Count == 0)
        {
            throw new ArgumentException("The held-out data has no rows: a cascade chooses its threshold on held-out rows where the teacher is known. Give some (a few hundred or more).");
        }

        return values.ToArray();
    }

    private static InvalidDataException RowCountMismatch(int student, int teacher) => new(string.Create(CultureInfo.InvariantCulture,
        $"The student answered {student} held-out rows but the teacher {teacher}: the teacher skipped rows (SkipInvalidRows?). Clean the data or turn skipping off."));
}
