using System.Reflection;
using MLNetDistill.Data;
using MLNetDistill.Teachers;

namespace MLNetDistill.Students.Mlp;

/// <summary>Options of <see cref="MlpStudentTrainer"/>: which columns to read, and the network and its training.</summary>
/// <remarks>The trainer keeps a copy made when it is built: changing the options afterwards does not change it.</remarks>
public sealed class MlpStudentOptions
{
    private List<string> _teacherLogitsColumnNames = [];

    /// <summary>Gets or sets the feature vector column.</summary>
    /// <value>Defaults to <c>Features</c> (<see cref="DataColumnNames.Features"/>).</value>
    public string FeatureColumnName { get; set; } = DataColumnNames.Features;

    /// <summary>Gets or sets the teacher's soft-label column (probabilities at temperature 1), used when <see cref="TeacherLogitsColumnName"/> is absent from the data.</summary>
    /// <value>Defaults to <c>SoftLabels</c> (<see cref="DataColumnNames.SoftLabels"/>).</value>
    public string SoftLabelsColumnName { get; set; } = DataColumnNames.SoftLabels;

    /// <summary>Gets or sets the teacher's logits column; when present, the soft targets are softmax(logits / T) at <see cref="MlpTrainerOptions.Temperature"/>.</summary>
    /// <value>Defaults to <c>TeacherLogits</c> (<see cref="DataColumnNames.TeacherLogits"/>).</value>
    public string TeacherLogitsColumnName { get; set; } = DataColumnNames.TeacherLogits;

    /// <summary>Gets or sets the regression teacher's prediction column (a Single), read by the regression student.</summary>
    /// <value>Defaults to <c>TeacherScore</c> (<see cref="DataColumnNames.TeacherScore"/>), the column <c>ScoreWithTeacher</c> adds for a regression teacher.</value>
    public string TeacherScoreColumnName { get; set; } = DataColumnNames.TeacherScore;

    /// <summary>
    /// Gets or sets the hard-label column (a class index or key; a bool for a binary student; a Single target for a
    /// regression student); used when present, for the (1 - alpha) term.
    /// </summary>
    /// <value>Defaults to <c>Label</c> (<see cref="DataColumnNames.Label"/>).</value>
    public string LabelColumnName { get; set; } = DataColumnNames.Label;

    /// <summary>Gets or sets a teacher intermediate-tensor column for the FitNets hint loss (see <see cref="MlpTrainerOptions.HintWeight"/>).</summary>
    /// <value>Defaults to <see langword="null"/> (no hint).</value>
    public string? HintColumnName { get; set; }

    /// <summary>
    /// Gets the logits columns of several teachers for multi-teacher distillation (each scored by its own
    /// <c>ScoreWithTeacher</c> with its own column names). When not empty, the soft targets are the teachers'
    /// softmax(logits / T) averaged with <see cref="TeacherWeights"/>, or per row by each teacher's confidence.
    /// </summary>
    /// <value>Defaults to empty: one teacher, read from <see cref="TeacherLogitsColumnName"/> or <see cref="SoftLabelsColumnName"/>.</value>
    public IList<string> TeacherLogitsColumnNames => _teacherLogitsColumnNames;

    /// <summary>Gets or sets the weights of the teachers in <see cref="TeacherLogitsColumnNames"/> (normalised to sum to 1).</summary>
    /// <value>Defaults to <see langword="null"/>: equal weights.</value>
    public float[]? TeacherWeights { get; set; }

    /// <summary>Gets or sets whether each row weighs the teachers by their confidence (largest probability) times <see cref="TeacherWeights"/>.</summary>
    /// <value>Defaults to <see langword="false"/>.</value>
    public bool WeightTeachersByConfidence { get; set; }

    /// <summary>
    /// Gets or sets the fitted teacher that scores mixed batches on the fly when <see cref="MlpTrainerOptions.Augmentation"/>
    /// is not <see cref="MlpAugmentation.None"/> (mixup, shifts; it must take the feature column as its one float input). The trainer does
    /// not own it: keep it alive (undisposed) until <c>Fit</c> returns.
    /// </summary>
    /// <value>Defaults to <see langword="null"/> (no on-the-fly teaching; required with any augmentation).</value>
    public TeacherScoringTransformer? Teacher { get; set; }

    /// <summary>Gets the network and training options (layers, epochs, learning rate, temperature, alpha, ...).</summary>
    public MlpTrainerOptions Network { get; private set; } = new();

    /// <summary>Gets or sets where per-epoch progress goes.</summary>
    /// <value>Defaults to <see langword="null"/>.</value>
    public IProgress<MlpEpochProgress>? Progress { get; set; }

    /// <summary>Gets or sets the token that stops training; it is checked between mini-batches, so a cancelled <c>Fit</c> throws within one batch.</summary>
    /// <value>Defaults to <see cref="CancellationToken.None"/>.</value>
    public CancellationToken CancellationToken { get; set; }

    /// <summary>
    /// A deep copy (the network options, lists and arrays too), so that a trainer keeps the options it was built with.
    /// The network options are copied property by property (every public read-write property), so that options added
    /// to <see cref="MlpTrainerOptions"/> are copied without a change here.
    /// </summary>
    internal MlpStudentOptions Clone()
    {
        var copy = (MlpStudentOptions)MemberwiseClone();
        copy._teacherLogitsColumnNames = [.. _teacherLogitsColumnNames];
        copy.TeacherWeights = (float[]?)TeacherWeights?.Clone();
        copy.Network = CopyNetwork(Network);
        return copy;
    }

    /// <summary>Throws for the first option out of range: the column names, then <see cref="Network"/>'s options.</summary>
    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(FeatureColumnName, nameof(FeatureColumnName));
        ArgumentException.ThrowIfNullOrWhiteSpace(SoftLabelsColumnName, nameof(SoftLabelsColumnName));
        ArgumentException.ThrowIfNullOrWhiteSpace(TeacherLogitsColumnName, nameof(TeacherLogitsColumnName));
        ArgumentException.ThrowIfNullOrWhiteSpace(TeacherScoreColumnName, nameof(TeacherScoreColumnName));
        ArgumentException.ThrowIfNullOrWhiteSpace(LabelColumnName, nameof(LabelColumnName));
        if (HintColumnName is not null)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(HintColumnName, nameof(HintColumnName));
        }

        foreach (string name in TeacherLogitsColumnNames)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(name, nameof(TeacherLogitsColumnNames));
        }

        Network.Validate();
        if (Network.Augmentation != MlpAugmentation.None && Teacher is null)
        {
            throw new ArgumentException(
                $"Augmentation {Network.Augmentation} has the teacher score each augmented batch, but no Teacher is set: soft labels already computed (a cache) cannot label new inputs. Set Teacher to the fitted teacher (ScoreWithTeacher(...).Fit(data)).",
                nameof(Teacher));
        }
    }

    private static MlpTrainerOptions CopyNetwork(MlpTrainerOptions source)
    {
        var copy = new MlpTrainerOptions();
        foreach (var property in typeof(MlpTrainerOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.CanRead && property.CanWrite && property.GetIndexParameters().Length == 0)
            {
                object? value = property.GetValue(source);
                property.SetValue(copy, value is Array array ? array.Clone() : value);
            }
        }

        return copy;
    }
}
