using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.MlNet;
using MLNetDistill.Teachers;

namespace MLNetDistill.Serving;

/// <summary>
/// Builds a <see cref="CascadeTransformer"/> from a fitted student and a fitted teacher: <see cref="Fit"/> runs both on
/// held-out rows (never the test rows) and chooses the threshold for the <see cref="CascadeOptions.Target"/>.
/// Made by <see cref="CascadeCatalog.Cascade(TransformsCatalog, ITransformer, TeacherScoringTransformer, CascadeOptions)"/>.
/// </summary>
/// <remarks>
/// With <see cref="DeferralRule.Learned"/>, the held-out rows are split in two by position: the rule is trained on the
/// even rows and the threshold chosen on the odd ones, so that it is not chosen on the rows the rule learned from.
/// </remarks>
public sealed class CascadeEstimator : IEstimator<CascadeTransformer>
{
    private readonly TransformsCatalog _catalog;
    private readonly ITransformer _student;
    private readonly TeacherScoringTransformer _teacher;
    private readonly CascadeOptions _options;

    internal CascadeEstimator(TransformsCatalog catalog, ITransformer student, TeacherScoringTransformer teacher, CascadeOptions options)
    {
        _catalog = catalog;
        ArgumentNullException.ThrowIfNull(student);
        ArgumentNullException.ThrowIfNull(teacher);
        ArgumentNullException.ThrowIfNull(options);
        _student = student;
        _teacher = teacher;
        _options = options.Validated();
        if (teacher.Task == TeacherTask.Regression)
        {
            throw new ArgumentException("A cascade needs a classification teacher (class logits) to compare confidences and answers; this teacher does regression.", nameof(teacher));
        }
    }

    /// <summary>Runs the student and the teacher on held-out rows and chooses the threshold for the target.</summary>
    /// <param name="input">Held-out rows (never the test rows), with labels when the target is a share of the teacher's accuracy.</param>
    /// <returns>The cascade.</returns>
    public CascadeTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var rows = HeldOutRows.Read(_student, _teacher, _options.ScoreColumnName, _options.LabelColumnName, input);
        int k = rows.Classes;
        LearnedDeferral? learned = null;
        float[] confidence;
        int[] student = rows.StudentPredicted;
        int[] teacher = rows.TeacherPredicted;
        int[] labels = rows.Labels;
        if (_options.Rule == DeferralRule.Learned)
        {
            (learned, confidence, student, teacher, labels) = FitLearned(rows);
        }
        else
        {
            confidence = new float[rows.Rows];
            DeferralScores.Confidence(_options.Rule, rows.Probabilities, k, confidence);
        }

        var choice = CascadeThreshold.Choose(confidence, student, teacher, labels, _options.Target);
        var curve = CascadeCurve.Measure(confidence, student, teacher, labels);
        return new CascadeTransformer(_catalog, _student, _teacher, _options, choice.Threshold, choice, curve, learned);
    }

    /// <inheritdoc/>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var columns = inputSchema.ToDictionary(c => c.Name);
        foreach (string name in _teacher.Text is { } text ? [text.TextColumn] : _teacher.Graph.Inputs.Select(i => i.ColumnName))
        {
            if (!columns.ContainsKey(name))
            {
                throw new ArgumentException($"Column '{name}', which the teacher reads, is not in the data. Columns present: {SchemaShapeChecks.Names(inputSchema)}.");
            }
        }

        columns[_options.ScoreColumnName] = SchemaColumns.Create(_options.ScoreColumnName, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false);
        columns[DataColumnNames.PredictedLabel] = SchemaColumns.Create(DataColumnNames.PredictedLabel, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.UInt32, true);
        columns[CascadeTransformer.DeferredColumnName] = SchemaColumns.Create(CascadeTransformer.DeferredColumnName, SchemaShape.Column.VectorKind.Scalar, BooleanDataViewType.Instance, false);
        return new SchemaShape(columns.Values);
    }

    /// <summary>Trains the learned rule on the even held-out rows; returns the odd rows' confidences and answers to choose on.</summary>
    private static (LearnedDeferral, float[], int[], int[], int[]) FitLearned(HeldOutRows rows)
    {
        int k = rows.Classes;
        int train = (rows.Rows + 1) / 2;
        int choose = rows.Rows / 2;
        if (choose == 0)
        {
            throw new ArgumentException("The learned deferral rule needs at least 2 held-out rows (it learns on half and chooses the threshold on the other half); give a few hundred or more.");
        }

        float[] trainProbabilities = new float[train * k];
        bool[] agrees = new bool[train];
        float[] chooseProbabilities = new float[choose * k];
        int[] student = new int[choose];
        int[] teacher = new int[choose];
        int[] labels = rows.Labels.Length == 0 ? [] : new int[choose];
        for (int r = 0; r < rows.Rows; r++)
        {
            var source = rows.Probabilities.AsSpan(r * k, k);
            int half = r / 2;
            if (r % 2 == 0)
            {
                source.CopyTo(trainProbabilities.AsSpan(half * k, k));
                agrees[half] = rows.StudentPredicted[r] == rows.TeacherPredicted[r];
            }
            else
            {
                source.CopyTo(chooseProbabilities.AsSpan(half * k, k));
                student[half] = rows.StudentPredicted[r];
                teacher[half] = rows.TeacherPredicted[r];
                if (labels.Length > 0)
                {
                    labels[half] = rows.Labels[r];
                }
            }
        }

        var learned = LearnedDeferral.Fit(trainProbabilities, k, agrees);
        float[] confidence = new float[choose];
        learned.Confidence(chooseProbabilities, k, confidence);
        return (learned, confidence, student, teacher, labels);
    }
}
