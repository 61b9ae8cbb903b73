namespace MLNetDistill.Losses;

/// <summary>
/// A distillation loss over one batch: returns its value (averaged over the batch) and adds
/// <c>scale</c> x its gradient with respect to the student's outputs into <see cref="LossGradients"/>. Losses compose
/// by weighted sum (<see cref="WeightedLossSum"/>): each adds its own share, so none needs to know the others.
/// </summary>
internal interface IDistillationLoss
{
    /// <summary>A short name for progress and error messages.</summary>
    string Name { get; }

    /// <summary>Computes the loss of <paramref name="batch"/> and adds <paramref name="scale"/> times its gradient to <paramref name="gradients"/>.</summary>
    /// <param name="batch">The student's outputs and the teacher's targets.</param>
    /// <param name="scale">The factor on the gradient (the loss's weight in a sum); the returned value is not scaled.</param>
    /// <param name="gradients">Where the gradients are added.</param>
    /// <returns>The loss, averaged over the batch as the loss's documentation says.</returns>
    float Forward(in LossBatch batch, float scale, in LossGradients gradients);
}

/// <summary>The student's outputs and the teacher's targets for one batch; every span is row-major, rows first.</summary>
internal readonly ref struct LossBatch
{
    /// <summary>The rows in the batch.</summary>
    public required int Rows { get; init; }

    /// <summary>Classes (logits) per row.</summary>
    public required int Classes { get; init; }

    /// <summary>The student's logits, rows x classes.</summary>
    public required ReadOnlySpan<float> StudentLogits { get; init; }

    /// <summary>The teacher's probabilities at the distillation temperature, rows x classes, or empty.</summary>
    public ReadOnlySpan<float> TeacherProbabilities { get; init; }

    /// <summary>The teacher's logits, rows x classes, or empty.</summary>
    public ReadOnlySpan<float> TeacherLogits { get; init; }

    /// <summary>Hard labels (class indices; negative for a row without one), or empty when there are none.</summary>
    public ReadOnlySpan<int> Labels { get; init; }

    /// <summary>Regression targets (NaN for a row without one), or empty when there are none.</summary>
    public ReadOnlySpan<float> Targets { get; init; }

    /// <summary>A hidden layer of the student, rows x <see cref="HiddenSize"/>, or empty.</summary>
    public ReadOnlySpan<float> StudentHidden { get; init; }

    /// <summary>Width of <see cref="StudentHidden"/>.</summary>
    public int HiddenSize { get; init; }

    /// <summary>A teacher intermediate tensor (flattened), rows x <see cref="HintSize"/>, or empty.</summary>
    public ReadOnlySpan<float> TeacherHint { get; init; }

    /// <summary>Width of <see cref="TeacherHint"/>.</summary>
    public int HintSize { get; init; }
}

/// <summary>Where losses add their gradients: with respect to the student's logits and (for hint losses) its hidden layer.</summary>
internal readonly ref struct LossGradients
{
    /// <summary>d loss / d student logits, rows x classes.</summary>
    public required Span<float> Logits { get; init; }

    /// <summary>d loss / d student hidden layer, rows x hidden size, or empty when no loss looks at it.</summary>
    public Span<float> Hidden { get; init; }
}

/// <summary>A loss that owns trainable parameters (a projection), trained jointly with the student.</summary>
internal interface IParameterizedLoss
{
    /// <summary>Sets the parameters' starting values from <paramref name="seed"/>.</summary>
    /// <param name="seed">The seed.</param>
    void Initialize(int seed);
}

/// <summary>Checks shared by the losses.</summary>
internal static class LossChecks
{
    /// <summary>Throws unless <paramref name="span"/> holds rows x width values.</summary>
    /// <param name="span">The span.</param>
    /// <param name="rows">The rows.</param>
    /// <param name="width">The width.</param>
    /// <param name="what">What the span holds, for the message.</param>
    /// <param name="loss">The loss asking, for the message.</param>
    public static void Require(ReadOnlySpan<float> span, int rows, int width, string what, string loss)
    {
        if (span.Length != (long)rows * width)
        {
            throw new ArgumentException(span.IsEmpty
                ? $"{loss} needs {what} ({rows} x {width} values) but none were given."
                : $"{loss} needs {what} as {rows} x {width} = {(long)rows * width} values but got {span.Length}.");
        }
    }
}
