using System.Globalization;
using MLNetDistill.Data;

namespace MLNetDistill.Evaluation;

/// <summary>Options of <see cref="DistillationEvaluation.EvaluateDetailed(Microsoft.ML.IDataView, DistillationEvaluationOptions?)"/>: which columns to read and how.</summary>
/// <remarks>The evaluator reads a copy made when it is called; the options may be reused and changed afterwards.</remarks>
/// <example>
/// <code language="csharp">
/// var options = new DistillationEvaluationOptions { TeacherColumnName = DataColumnNames.TeacherLogits, TeacherScoresAreLogits = true };
/// DistillationQuality quality = mlContext.MulticlassClassification.EvaluateDistillation(student.Transform(scoredTest), options);
/// </code>
/// </example>
public sealed class DistillationEvaluationOptions
{
    /// <summary>The number of equal-width confidence bins of the expected calibration error.</summary>
    public const int DefaultCalibrationBins = 15;

    /// <summary>The k of the top-k agreement.</summary>
    public const int DefaultTopK = 3;

    /// <summary>Gets or sets the student's class scores (vector of K probabilities, normalised here if they do not sum to 1, or logits with <see cref="ScoresAreLogits"/>).</summary>
    /// <value>Defaults to <c>Score</c> (<see cref="DataColumnNames.Score"/>), what ML.NET's multiclass trainers write.</value>
    public string ScoreColumnName { get; set; } = DataColumnNames.Score;

    /// <summary>Gets or sets the teacher's class probabilities (vector of K), or <see langword="null"/> when there is no teacher (agreement, KL, teacher metrics and the inheritance table are then NaN or absent).</summary>
    /// <value>Defaults to <c>SoftLabels</c> (<see cref="DataColumnNames.SoftLabels"/>). Soft labels made at T ≠ 1 are read as they are; pass <c>TeacherLogits</c> with <see cref="TeacherScoresAreLogits"/> for the teacher at T = 1.</value>
    public string? TeacherColumnName { get; set; } = DataColumnNames.SoftLabels;

    /// <summary>Gets or sets the class label (index, key or bool), or <see langword="null"/>; rows with a missing (NaN) or out-of-range label count only for the teacher metrics.</summary>
    /// <value>Defaults to <c>Label</c> (<see cref="DataColumnNames.Label"/>). When the column is absent the label metrics are NaN.</value>
    public string? LabelColumnName { get; set; } = DataColumnNames.Label;

    /// <summary>Gets or sets whether the student's scores are logits (softmax at T = 1 is applied).</summary>
    /// <value>Defaults to <see langword="false"/>.</value>
    public bool ScoresAreLogits { get; set; }

    /// <summary>Gets or sets whether the teacher column holds logits (softmax at T = 1 is applied), so soft labels made at another temperature need no second teacher run.</summary>
    /// <value>Defaults to <see langword="false"/>.</value>
    public bool TeacherScoresAreLogits { get; set; }

    /// <summary>Gets or sets the number of equal-width confidence bins, (0, 1/M], (1/M, 2/M], ..., of the expected calibration error; in [1, 1000].</summary>
    /// <value>Defaults to 15 (<see cref="DefaultCalibrationBins"/>), as in Guo et al. 2017, "On Calibration of Modern Neural Networks".</value>
    public int CalibrationBins { get; set; } = DefaultCalibrationBins;

    /// <summary>Gets or sets the k of the top-k agreement: the share of rows whose teacher class is among the student's k most probable; at least 1.</summary>
    /// <value>Defaults to 3 (<see cref="DefaultTopK"/>). A k of K or more gives 1.</value>
    public int TopK { get; set; } = DefaultTopK;

    /// <summary>A checked copy.</summary>
    internal DistillationEvaluationOptions Validated()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(ScoreColumnName, nameof(ScoreColumnName));
        if (CalibrationBins is < 1 or > 1000)
        {
            throw new ArgumentOutOfRangeException(nameof(CalibrationBins), CalibrationBins,
                $"CalibrationBins must be in [1, 1000] but was {CalibrationBins.ToString(CultureInfo.InvariantCulture)}; the usual choice is {DefaultCalibrationBins}.");
        }

        if (TopK < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(TopK), TopK,
                $"TopK must be at least 1 but was {TopK.ToString(CultureInfo.InvariantCulture)}; use {DefaultTopK} for the usual top-3 agreement.");
        }

        return (DistillationEvaluationOptions)MemberwiseClone();
    }
}
