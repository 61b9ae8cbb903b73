namespace MLNetDistill.Students.Mlp;

/// <summary>Options of <see cref="MlpStudentTrainer"/>: which columns to read, and the network and its training.</summary>
public sealed class MlpStudentOptions
{
    /// <summary>Gets or sets the feature vector column.</summary>
    /// <value>Defaults to <c>Features</c>.</value>
    public string FeatureColumnName { get; set; } = "Features";

    /// <summary>Gets or sets the teacher's soft-label column (probabilities at temperature 1), used when <see cref="TeacherLogitsColumnName"/> is absent from the data.</summary>
    /// <value>Defaults to <c>SoftLabels</c>.</value>
    public string SoftLabelsColumnName { get; set; } = "SoftLabels";

    /// <summary>Gets or sets the teacher's logits column; when present, the soft targets are softmax(logits / T) at <see cref="MlpTrainerOptions.Temperature"/>.</summary>
    /// <value>Defaults to <c>TeacherLogits</c>.</value>
    public string TeacherLogitsColumnName { get; set; } = "TeacherLogits";

    /// <summary>Gets or sets the hard-label column (a class index or key); used when present, for the (1 - alpha) cross-entropy term.</summary>
    /// <value>Defaults to <c>Label</c>.</value>
    public string LabelColumnName { get; set; } = "Label";

    /// <summary>Gets or sets a teacher intermediate-tensor column for the FitNets hint loss (see <see cref="MlpTrainerOptions.HintWeight"/>).</summary>
    /// <value>Defaults to <see langword="null"/> (no hint).</value>
    public string? HintColumnName { get; set; }

    /// <summary>Gets the network and training options (layers, epochs, learning rate, temperature, alpha, ...).</summary>
    public MlpTrainerOptions Network { get; } = new();

    /// <summary>Gets or sets where per-epoch progress goes.</summary>
    /// <value>Defaults to <see langword="null"/>.</value>
    public IProgress<MlpEpochProgress>? Progress { get; set; }
}
