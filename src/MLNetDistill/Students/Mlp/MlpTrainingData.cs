namespace MLNetDistill.Students.Mlp;

/// <summary>
/// What an MLP student trains on, as the ML.NET trainer hands it over: features and the teacher's outputs for every
/// row, row-major. Nothing is copied; the arrays must not change while training runs.
/// </summary>
internal sealed class MlpTrainingData
{
    /// <summary>Wraps and checks the arrays.</summary>
    /// <param name="features">rows x featureCount features.</param>
    /// <param name="featureCount">Features per row.</param>
    /// <param name="classCount">Classes per row.</param>
    /// <param name="softLabels">rows x classes teacher probabilities at the distillation temperature; may be empty if <paramref name="teacherLogits"/> is given.</param>
    /// <param name="labels">Empty, or one hard label per row (class index, negative for none).</param>
    /// <param name="teacherLogits">Empty, or rows x classes teacher logits.</param>
    /// <param name="hints">Empty, or rows x <paramref name="hintSize"/> teacher intermediate values.</param>
    /// <param name="hintSize">Hint values per row.</param>
    /// <param name="targets">Empty, or (regression, <paramref name="classCount"/> = 1) one target per row, NaN for none.</param>
    public MlpTrainingData(ReadOnlyMemory<float> features, int featureCount, int classCount, ReadOnlyMemory<float> softLabels,
        ReadOnlyMemory<int> labels = default, ReadOnlyMemory<float> teacherLogits = default, ReadOnlyMemory<float> hints = default, int hintSize = 0,
        ReadOnlyMemory<float> targets = default)
    {
        if (featureCount < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(featureCount), featureCount, $"Rows need at least one feature but the feature count was {featureCount}.");
        }

        if (classCount < 1 || (classCount == 1 && (teacherLogits.IsEmpty || !softLabels.IsEmpty || !labels.IsEmpty)))
        {
            throw new ArgumentOutOfRangeException(nameof(classCount), classCount,
                $"Classification needs at least two classes and regression (one output) the teacher's predictions and float targets, but the class count was {classCount}.");
        }

        if (features.Length == 0 || features.Length % featureCount != 0)
        {
            throw new ArgumentException($"Features must be rows x {featureCount} values, but {features.Length} values is not a positive multiple of {featureCount}.", nameof(features));
        }

        Rows = features.Length / featureCount;
        FeatureCount = featureCount;
        ClassCount = classCount;
        if (softLabels.IsEmpty && teacherLogits.IsEmpty)
        {
            throw new ArgumentException("Distillation needs the teacher's soft labels or its logits, but neither was given.", nameof(softLabels));
        }

        CheckSize(softLabels, classCount, nameof(softLabels), "soft labels");
        CheckSize(teacherLogits, classCount, nameof(teacherLogits), "teacher logits");
        if (!labels.IsEmpty && labels.Length != Rows)
        {
            throw new ArgumentException($"Expected one hard label per row ({Rows}) but got {labels.Length}.", nameof(labels));
        }

        if (!hints.IsEmpty)
        {
            if (hintSize < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(hintSize), hintSize, $"Hints were given, so the hint size must be positive, but it was {hintSize}.");
            }

            CheckSize(hints, hintSize, nameof(hints), "hints");
        }

        foreach (int label in labels.Span)
        {
            if (label >= classCount)
            {
                throw new ArgumentOutOfRangeException(nameof(labels), label, $"Hard label {label} is outside the class range [0, {classCount - 1}].");
            }
        }

        CheckFinite(features.Span, featureCount, "feature");
        CheckFinite(softLabels.Span, classCount, "soft label");
        CheckFinite(teacherLogits.Span, classCount, "teacher logit");
        if (!targets.IsEmpty && (classCount != 1 || targets.Length != Rows))
        {
            throw new ArgumentException($"Regression targets need one output and one target per row ({Rows}) but got {classCount} outputs and {targets.Length} targets.", nameof(targets));
        }

        foreach (float target in targets.Span)
        {
            if (float.IsInfinity(target))
            {
                throw new ArgumentException($"A regression target is {target}; targets must be finite (NaN marks a row without one).", nameof(targets));
            }
        }

        Targets = targets;
        Features = features;
        SoftLabels = softLabels;
        Labels = labels;
        TeacherLogits = teacherLogits;
        Hints = hints;
        HintSize = hints.IsEmpty ? 0 : hintSize;
    }

    /// <summary>The number of rows.</summary>
    public int Rows { get; }

    /// <summary>Features per row.</summary>
    public int FeatureCount { get; }

    /// <summary>Classes per row.</summary>
    public int ClassCount { get; }

    /// <summary>rows x features.</summary>
    public ReadOnlyMemory<float> Features { get; }

    /// <summary>rows x classes teacher probabilities at the temperature, or empty.</summary>
    public ReadOnlyMemory<float> SoftLabels { get; }

    /// <summary>One hard label per row (negative for none), or empty.</summary>
    public ReadOnlyMemory<int> Labels { get; }

    /// <summary>Whether this is a regression student (one output, trained on the teacher's predictions and <see cref="Targets"/>).</summary>
    public bool IsRegression => ClassCount == 1;

    /// <summary>One regression target per row (NaN for none), or empty.</summary>
    public ReadOnlyMemory<float> Targets { get; }

    /// <summary>rows x classes teacher logits, or empty.</summary>
    public ReadOnlyMemory<float> TeacherLogits { get; }

    /// <summary>rows x <see cref="HintSize"/> teacher hints, or empty.</summary>
    public ReadOnlyMemory<float> Hints { get; }

    /// <summary>Hint values per row (0 without hints).</summary>
    public int HintSize { get; }

    private void CheckSize<T>(ReadOnlyMemory<T> values, int width, string name, string what)
    {
        if (!values.IsEmpty && values.Length != (long)Rows * width)
        {
            throw new ArgumentException($"Expected {what} for {Rows} rows x {width} = {(long)Rows * width} values but got {values.Length}.", name);
        }
    }

    private static void CheckFinite(ReadOnlySpan<float> values, int width, string what)
    {
        for (int start = 0; start < values.Length; start += width)
        {
            ReadOnlySpan<float> row = values.Slice(start, width);
            if (!float.IsFinite(System.Numerics.Tensors.TensorPrimitives.Sum(row) * 0f))
            {
                for (int j = 0; j < width; j++)
                {
                    if (!float.IsFinite(row[j]))
                    {
                        throw new ArgumentException($"The {what} in row {start / width}, column {j} is {row[j]}; every value must be a finite number (impute or drop missing values first).");
                    }
                }
            }
        }
    }
}
