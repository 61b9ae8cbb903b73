using Microsoft.ML;
using MLNetDistill.Evaluation;

namespace MLNetDistill.Experiments;

/// <summary>One trained model of a <see cref="DistillationExperiment"/> (a distilled student or its hard-label twin) and how it did on the test rows.</summary>
/// <param name="Model">The model: input <c>Features</c>, outputs <c>Score</c> and <c>PredictedLabel</c>. Disposed with the experiment's result.</param>
/// <param name="Metrics">Accuracy, macro-F1 and log-loss against the labels; agreement and KL against the teacher at T = 1.</param>
/// <param name="TrainSeconds">Wall-clock training time.</param>
/// <param name="ModelBytes">The size of the deployable file: the ONNX graph for MLP students, the ML.NET model zip otherwise.</param>
public sealed record DistillationTrainedModel(ITransformer Model, DistillationMetrics Metrics, double TrainSeconds, long ModelBytes)
{
    /// <summary>Gets every quality metric of the model on the test rows (top-3 agreement, calibration, per-class accuracy and agreement, the inheritance table), of which <see cref="Metrics"/> is the summary.</summary>
    /// <value><see langword="null"/> when the model was measured without the evaluator's detail.</value>
    public DistillationQuality? Quality { get; init; }

    /// <summary>Gets whether the model's <c>Score</c> holds logits (softmax gives its probabilities) rather than probabilities.</summary>
    internal bool ScoresAreLogits { get; init; }
}
