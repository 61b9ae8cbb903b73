using MLNetDistill.Evaluation;

namespace MLNetDistill.Experiments;

/// <summary>One model's entry in the distill report (JSON fields in camelCase).</summary>
/// <param name="Accuracy">Test accuracy.</param>
/// <param name="MacroF1">Test macro-averaged F1.</param>
/// <param name="LogLoss">Test log-loss.</param>
/// <param name="Agreement">Share of test rows where the model and the teacher predict the same class.</param>
/// <param name="KlToTeacher">Mean KL(teacher ‖ model) on the test rows.</param>
/// <param name="TrainSeconds">Training time (0 for the teacher).</param>
/// <param name="ModelBytes">Size of the saved model file.</param>
public sealed record DistillationModelReport(double Accuracy, double MacroF1, double LogLoss, double Agreement, double KlToTeacher, double TrainSeconds, long ModelBytes)
{
    /// <summary>The entry of a model that could not be measured (no teacher on the test rows): every metric NaN.</summary>
    public static DistillationModelReport Unmeasured { get; } = new(double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, 0, 0);

    /// <summary>The entry of a trained model.</summary>
    /// <param name="model">The model and its metrics.</param>
    /// <returns>The entry.</returns>
    public static DistillationModelReport From(DistillationTrainedModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return From(model.Metrics, model.TrainSeconds, model.ModelBytes);
    }

    /// <summary>An entry from metrics.</summary>
    /// <param name="metrics">The metrics on the test rows.</param>
    /// <param name="trainSeconds">The training time (0 for the teacher).</param>
    /// <param name="modelBytes">The model file's size.</param>
    /// <returns>The entry.</returns>
    public static DistillationModelReport From(DistillationMetrics metrics, double trainSeconds, long modelBytes)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        return new(metrics.Accuracy, metrics.MacroF1, metrics.LogLoss, metrics.Agreement, metrics.KlToTeacher, Math.Round(trainSeconds, 3), modelBytes);
    }
}
