using MLNetDistill.Losses;
using MLNetDistill.Numerics;

namespace MLNetDistill.Students.Mlp.Training;

/// <summary>
/// What one run trains: the model and its parameters, the propagator that runs it on a batch, the distillation loss
/// (with the hint term's own parameters, if any), the optimizer, and the threads they share.
/// </summary>
internal sealed class TrainingNetwork : IDisposable
{
    private readonly MlpTrainerOptions _o;
    private readonly MlpTrainingData _data;

    /// <summary>Builds and initializes the network, its loss and its optimizer for batches of up to <paramref name="batch"/> rows.</summary>
    /// <param name="o">The validated options.</param>
    /// <param name="data">The training data.</param>
    /// <param name="batch">The most rows of a batch.</param>
    public TrainingNetwork(MlpTrainerOptions o, MlpTrainingData data, int batch)
    {
        _o = o;
        _data = data;
        Pool = new ComputePool(o.NumberOfThreads ?? Math.Min(Environment.ProcessorCount, 8));
        var gemm = new GemmContext(Pool);
        var builder = new ParameterStore.Builder();
        Model = new MlpModel(data.FeatureCount, o.HiddenLayerSizes, data.ClassCount, o.Activation, o.LayerNorm, o.DropoutRate, builder);
        HintLayer = o.HintLayer < 0 ? o.HiddenLayerSizes.Length - 1 : o.HintLayer;
        Hint = o.HintWeight > 0f ? new HintLoss(o.HiddenLayerSizes[HintLayer], data.HintSize, batch, builder, gemm) : null;
        Loss = ComposeLoss(o, data, batch, gemm, Hint);
        Store = builder.Build();
        Model.Initialize(o.Seed);
        Hint?.Initialize(o.Seed);
        _ = Store.Gradients;
        Net = new MlpPropagator(Model, batch, gemm, training: true);
        if (Hint is not null)
        {
            Net.HiddenGradient(HintLayer, batch);
        }

        Optimizer = o.Optimizer == MlpOptimizer.AdamW
            ? new AdamWOptimizer(Store, Pool, o.WeightDecay)
            : new SgdOptimizer(Store, Pool, o.Momentum, o.Nesterov, o.WeightDecay);
    }

    /// <summary>Gets the threads the run computes on.</summary>
    public ComputePool Pool { get; }

    /// <summary>Gets the model being trained.</summary>
    public MlpModel Model { get; }

    /// <summary>Gets every trained parameter: the model's, then the hint term's.</summary>
    public ParameterStore Store { get; }

    /// <summary>Gets the propagator that runs the model forward and backward on a batch.</summary>
    public MlpPropagator Net { get; }

    /// <summary>Gets the loss on a batch of data rows: the distillation term plus any weighted extra terms.</summary>
    public IDistillationLoss Loss { get; }

    /// <summary>Gets the hint term, or null without one.</summary>
    public HintLoss? Hint { get; }

    /// <summary>Gets the hidden layer the hint term reads.</summary>
    public int HintLayer { get; }

    /// <summary>Gets the optimizer.</summary>
    public IOptimizer Optimizer { get; }

    /// <summary>Gets the hint layer's width, the hint term's input size.</summary>
    public int HintLayerSize => _o.HiddenLayerSizes[HintLayer];

    /// <summary>The loss batch: the student's outputs on the last propagated rows against the teacher's outputs gathered for them.</summary>
    /// <param name="batch">The gathered rows.</param>
    /// <param name="rows">The rows of the batch.</param>
    /// <returns>The view over both.</returns>
    public LossBatch View(BatchBuffers batch, int rows)
    {
        int classes = _data.ClassCount;
        return new LossBatch
        {
            Rows = rows,
            Classes = classes,
            StudentLogits = Net.Logits(rows),
            TeacherProbabilities = batch.Soft.AsSpan(0, batch.Soft.Length == 0 ? 0 : rows * classes),
            TeacherLogits = batch.Logits.AsSpan(0, batch.Logits.Length == 0 ? 0 : rows * classes),
            Labels = batch.Labels.AsSpan(0, batch.Labels.Length == 0 ? 0 : rows),
            Targets = batch.Targets.AsSpan(0, batch.Targets.Length == 0 ? 0 : rows),
            StudentHidden = Hint is null ? default : Net.HiddenOutput(HintLayer, rows),
            HiddenSize = Hint is null ? 0 : HintLayerSize,
            TeacherHint = batch.Hints.AsSpan(0, batch.Hints.Length == 0 ? 0 : rows * _data.HintSize),
            HintSize = _data.HintSize,
        };
    }

    /// <inheritdoc/>
    public void Dispose() => Pool.Dispose();

    /// <summary>The distillation term, then logit matching, the hint term and the relational term, as the options weigh them.</summary>
    private static IDistillationLoss ComposeLoss(MlpTrainerOptions o, MlpTrainingData data, int batch, GemmContext gemm, HintLoss? hint)
    {
        int classes = data.ClassCount;
        var terms = new List<(IDistillationLoss, float)>
        {
            data.IsRegression
                ? (new RegressionDistillationLoss(o.Alpha), 1f)
                : (new KdLoss(o.Temperature, o.Alpha, classes, teacherGivesLogits: data.SoftLabels.IsEmpty), 1f),
        };
        if (o.LogitMatchingWeight > 0f && !data.IsRegression)
        {
            terms.Add((new LogitMseLoss(classes), o.LogitMatchingWeight));
        }

        if (hint is not null)
        {
            terms.Add((hint, o.HintWeight));
        }

        if (o.RelationalWeight > 0f)
        {
            var embedding = data.TeacherLogits.IsEmpty ? TeacherEmbedding.Probabilities : TeacherEmbedding.Logits;
            terms.Add((new RkdDistanceLoss(StudentEmbedding.Logits, embedding, batch, classes, gemm, classes), o.RelationalWeight));
        }

        return terms.Count == 1 ? terms[0].Item1 : new WeightedLossSum([.. terms]);
    }
}
