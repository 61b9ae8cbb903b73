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

    /// <summary>Gets or sets the regression teacher's prediction column (a Single), read by the regression student.</summary>
    /// <value>Defaults to <c>TeacherScore</c>, the column <c>ScoreWithTeacher</c> adds for a regression teacher.</value>
    public string TeacherScoreColumnName { get; set; } = "TeacherScore";

    /// <summary>
    /// Gets or sets the hard-label column (a class index or key; a bool for a binary student; a Single target for a
    /// regression student); used when present, for the (1 - alpha) term.
    /// </summary>
    /// <value>Defaults to <c>Label</c>.</value>
    public string LabelColumnName { get; set; } = "Label";

    /// <summary>Gets or sets a teacher intermediate-tensor column for the FitNets hint loss (see <see cref="MlpTrainerOptions.HintWeight"/>).</summary>
    /// <value>Defaults to <see langword="null"/> (no hint).</value>
    public string? HintColumnName { get; set; }

    /// <summary>
    /// Gets the logits columns of several teachers for multi-teacher distillation (each scored by its own
    /// <c>ScoreWithTeacher</c> with its own column names). When not empty, the soft targets are the teachers'
    /// softmax(logits / T) averaged with <see cref="TeacherWeights"/>, or per row by each teacher's confidence.
    /// </summary>
    /// <value>Defaults to empty: one teacher, read from <see cref="TeacherLogitsColumnName"/> or <see cref="SoftLabelsColumnName"/>.</value>
    public IList<string> TeacherLogitsColumnNames { get; } = new List<string>();

    /// <summary>Gets or sets the weights of the teachers in <see cref="TeacherLogitsColumnNames"/> (normalised to sum to 1).</summary>
    /// <value>Defaults to <see langword="null"/>: equal weights.</value>
    public float[]? TeacherWeights { get; set; }

    /// <summary>Gets or sets whether each row weighs the teachers by their confidence (largest probability) times <see cref="TeacherWeights"/>.</summary>
    /// <value>Defaults to <see langword="false"/>.</value>
    public bool WeightTeachersByConfidence { get; set; }

    /// <summary>Gets the network and training options (layers, epochs, learning rate, temperature, alpha, ...).</summary>
    public MlpTrainerOptions Network { get; } = new();

    /// <summary>Gets or sets where per-epoch progress goes.</summary>
    /// <value>Defaults to <see langword="null"/>.</value>
    public IProgress<MlpEpochProgress>? Progress { get; set; }
}
