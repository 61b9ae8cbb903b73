using MLNetDistill.Numerics;

namespace MLNetDistill.Losses;

/// <summary>
/// The hint loss of FitNets (Romero, Ballas, Kahou, Chassang, Gatta and Bengio 2015, "FitNets: Hints for Thin Deep
/// Nets", ICLR): a student hidden layer, passed through a learned linear regressor, is pulled towards a teacher
/// intermediate tensor (the hint).
/// </summary>
/// <remarks>
/// L = (1 / (rows E)) sum (h W_r^T + b_r - t)^2, the mean squared error over all elements as <c>F.mse_loss</c>, where
/// h is the student's hidden layer (rows x D), t the teacher's hint (rows x E, flattened) and the regressor W_r (E x D),
/// b_r (E) is trained jointly with the student (FitNets trains it in a first stage; joint training is the usual
/// simplification). With u = h W_r^T + b_r and g_u = 2 (u - t) / (rows E): dW_r = g_u^T h, db_r = sum over rows of g_u,
/// dh = g_u W_r. The regressor starts like a PyTorch nn.Linear.
/// </remarks>
internal sealed class HintLoss : IDistillationLoss, IParameterizedLoss
{
    private readonly GemmContext? _gemm;
    private readonly float[] _projected;
    private readonly float[] _gradProjected;

    /// <summary>Creates the loss and reserves its regressor in <paramref name="builder"/>.</summary>
    /// <param name="hiddenSize">D, the width of the student's hidden layer.</param>
    /// <param name="hintSize">E, the number of values in the teacher's hint per row.</param>
    /// <param name="maxRows">The largest batch.</param>
    /// <param name="builder">The student's parameter store builder, so the regressor is optimised with the student.</param>
    /// <param name="gemm">Threads and buffers for the products; null for the calling thread's default.</param>
    public HintLoss(int hiddenSize, int hintSize, int maxRows, ParameterStore.Builder builder, GemmContext? gemm = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(hiddenSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(hintSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRows, 1);
        HiddenSize = hiddenSize;
        HintSize = hintSize;
        MaxRows = maxRows;
        Weight = builder.Matrix(hintSize, hiddenSize);
        Bias = builder.Vector(hintSize);
        _gemm = gemm;
        gemm?.Reserve(maxRows, hiddenSize, hintSize);
        gemm?.Reserve(hintSize, maxRows, hiddenSize);
        gemm?.Reserve(maxRows, hintSize, hiddenSize);
        _projected = new float[checked(maxRows * hintSize)];
        _gradProjected = new float[maxRows * hintSize];
    }

    /// <inheritdoc />
    public string Name => "hint (FitNets, Romero 2015)";

    /// <summary>D, the student's hidden width.</summary>
    public int HiddenSize { get; }

    /// <summary>E, the hint's width.</summary>
    public int HintSize { get; }

    /// <summary>The largest batch.</summary>
    public int MaxRows { get; }

    /// <summary>The regressor's weight, E x D.</summary>
    public ParameterTensor Weight { get; }

    /// <summary>The regressor's bias, E.</summary>
    public ParameterTensor Bias { get; }

    /// <inheritdoc />
    public void Initialize(int seed)
    {
        var rng = new DeterministicRandom(seed, stream: 11);
        float bound = 1f / MathF.Sqrt(HiddenSize);
        foreach (ref float w in Weight.Values)
        {
            w = rng.NextSymmetric(bound);
        }

        foreach (ref float b in Bias.Values)
        {
            b = rng.NextSymmetric(bound);
        }
    }

    /// <inheritdoc />
    /// <remarks>Writes (does not add) the regressor's own gradients, scaled by <paramref name="scale"/>.</remarks>
    public float Forward(in LossBatch batch, float scale, in LossGradients gradients)
    {
        int rows = batch.Rows;
        if (rows > MaxRows)
        {
            throw new ArgumentOutOfRangeException(nameof(batch), rows, $"{Name} was set up for batches of at most {MaxRows} rows but got {rows}.");
        }

        if (batch.HiddenSize != HiddenSize || batch.HintSize != HintSize)
        {
            throw new ArgumentException($"{Name} maps a hidden layer of {HiddenSize} onto a hint of {HintSize} values but the batch has {batch.HiddenSize} and {batch.HintSize}.");
        }

        LossChecks.Require(batch.StudentHidden, rows, HiddenSize, "the student's hidden layer", Name);
        LossChecks.Require(batch.TeacherHint, rows, HintSize, "the teacher's hint", Name);
        LossChecks.Require(gradients.Hidden, rows, HiddenSize, "a hidden-layer gradient buffer", Name);
        Span<float> u = _projected.AsSpan(0, rows * HintSize);
        Span<float> gu = _gradProjected.AsSpan(0, rows * HintSize);
        Gemm.MultiplyTransposeB(batch.StudentHidden, Weight.Values, u, rows, HiddenSize, HintSize, Bias.Values, context: _gemm);
        gu.Clear();
        float loss = LogitMseLoss.MeanSquaredError(u, batch.TeacherHint, scale, gu);
        Gemm.MultiplyTransposeA(gu, batch.StudentHidden, Weight.Gradients, HintSize, rows, HiddenSize, context: _gemm);
        SpanMath.ColumnSums(gu, rows, HintSize, Bias.Gradients);
        Gemm.Multiply(gu, Weight.Values, gradients.Hidden, rows, HintSize, HiddenSize, accumulate: true, context: _gemm);
        return loss;
    }
}
