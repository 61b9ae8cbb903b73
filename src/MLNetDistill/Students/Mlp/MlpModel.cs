using MLNetDistill.Numerics;
namespace MLNetDistill.Students.Mlp;

/// <summary>
/// One fully connected layer of an MLP student: z = x W^T + b, then (hidden layers only) optional layer norm, the
/// activation, and dropout while training. The weight is stored out x in, row-major, as PyTorch's nn.Linear stores it
/// and as ONNX Gemm reads it with transB = 1.
/// </summary>
internal sealed class MlpLayer
{
    /// <summary>The epsilon added to the variance in layer norm, as PyTorch's default.</summary>
    public const float LayerNormEpsilon = 1e-5f;

    internal MlpLayer(int index, int inputSize, int outputSize, MlpActivation? activation, bool layerNorm, ParameterStore.Builder builder)
    {
        Index = index;
        InputSize = inputSize;
        OutputSize = outputSize;
        Activation = activation;
        Weight = builder.Matrix(outputSize, inputSize);
        Bias = builder.Vector(outputSize);
        if (layerNorm)
        {
            LayerNormScale = builder.Vector(outputSize);
            LayerNormBias = builder.Vector(outputSize);
        }
    }

    /// <summary>The layer's position, 0 for the first.</summary>
    public int Index { get; }

    /// <summary>Inputs per row.</summary>
    public int InputSize { get; }

    /// <summary>Outputs per row.</summary>
    public int OutputSize { get; }

    /// <summary>The activation after this layer; null for the output layer, whose outputs are the logits.</summary>
    public MlpActivation? Activation { get; }

    /// <summary>Whether this is the output layer.</summary>
    public bool IsOutput => Activation is null;

    /// <summary>The weight, <see cref="OutputSize"/> x <see cref="InputSize"/>.</summary>
    public ParameterTensor Weight { get; }

    /// <summary>The bias, <see cref="OutputSize"/> values.</summary>
    public ParameterTensor Bias { get; }

    /// <summary>Layer norm's gain (gamma), or null without layer norm.</summary>
    public ParameterTensor? LayerNormScale { get; }

    /// <summary>Layer norm's shift (beta), or null without layer norm.</summary>
    public ParameterTensor? LayerNormBias { get; }
}

/// <summary>
/// An MLP student: its architecture and parameters. The trainer (<see cref="MlpTrainer"/>) fits it, the ONNX exporter
/// reads <see cref="Layers"/> in order (Gemm with transB = 1, then for hidden layers LayerNormalization when present and
/// Relu or the erf form of GELU; dropout is training-only), and <see cref="Predict"/> scores rows directly.
/// </summary>
internal sealed class MlpModel
{
    private readonly object _predictLock = new();
    private MlpPropagator? _predictor;

    /// <summary>Reserves the parameters of an MLP in <paramref name="builder"/>; they exist once the builder is built.</summary>
    /// <param name="inputSize">Features per row.</param>
    /// <param name="hiddenSizes">The width of each hidden layer, in order; may be empty (a linear student).</param>
    /// <param name="outputSize">The number of classes (logits).</param>
    /// <param name="activation">The activation after each hidden layer.</param>
    /// <param name="layerNorm">Whether each hidden layer normalises before its activation.</param>
    /// <param name="dropoutRate">The dropout probability after each hidden activation while training, in [0, 1).</param>
    /// <param name="builder">The store builder; the trainer passes one so that losses can add their own parameters.</param>
    public MlpModel(int inputSize, IReadOnlyList<int> hiddenSizes, int outputSize, MlpActivation activation,
        bool layerNorm, float dropoutRate, ParameterStore.Builder builder)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inputSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputSize, 1);
        if (!(dropoutRate >= 0f && dropoutRate < 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(dropoutRate), dropoutRate, $"Dropout rate must be in [0, 1) but was {dropoutRate}.");
        }

        InputSize = inputSize;
        OutputSize = outputSize;
        HiddenSizes = [.. hiddenSizes];
        Activation = activation;
        LayerNorm = layerNorm;
        DropoutRate = dropoutRate;
        var layers = new List<MlpLayer>();
        int previous = inputSize;
        foreach (int width in HiddenSizes)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(width, 1, nameof(hiddenSizes));
            layers.Add(new MlpLayer(layers.Count, previous, width, activation, layerNorm, builder));
            previous = width;
        }

        layers.Add(new MlpLayer(layers.Count, previous, outputSize, null, false, builder));
        Layers = layers;
    }

    /// <summary>Features per row.</summary>
    public int InputSize { get; }

    /// <summary>Logits per row (the number of classes).</summary>
    public int OutputSize { get; }

    /// <summary>The hidden layers' widths.</summary>
    public IReadOnlyList<int> HiddenSizes { get; }

    /// <summary>The hidden layers' activation.</summary>
    public MlpActivation Activation { get; }

    /// <summary>Whether hidden layers apply layer norm before the activation.</summary>
    public bool LayerNorm { get; }

    /// <summary>The dropout probability while training.</summary>
    public float DropoutRate { get; }

    /// <summary>The layers in order, the output layer last.</summary>
    public IReadOnlyList<MlpLayer> Layers { get; }

    /// <summary>All parameters, flat.</summary>
    public ParameterStore Parameters => Layers[0].Weight.Store ?? throw new InvalidOperationException("The parameter store has not been built yet.");

    /// <summary>Creates a model with its own parameter store, initialised from <paramref name="seed"/>.</summary>
    /// <param name="inputSize">Features per row.</param>
    /// <param name="hiddenSizes">The hidden layers' widths.</param>
    /// <param name="outputSize">The number of classes.</param>
    /// <param name="activation">The hidden activation.</param>
    /// <param name="layerNorm">Whether to use layer norm.</param>
    /// <param name="dropoutRate">The dropout probability while training.</param>
    /// <param name="seed">The initialisation seed.</param>
    /// <returns>The model.</returns>
    public static MlpModel Create(int inputSize, IReadOnlyList<int> hiddenSizes, int outputSize, MlpActivation activation = MlpActivation.ReLU,
        bool layerNorm = false, float dropoutRate = 0f, int seed = 0)
    {
        var builder = new ParameterStore.Builder();
        var model = new MlpModel(inputSize, hiddenSizes, outputSize, activation, layerNorm, dropoutRate, builder);
        builder.Build();
        model.Initialize(seed);
        return model;
    }

    /// <summary>
    /// Initialises like PyTorch's nn.Linear (Kaiming-uniform with a = sqrt 5, which gives weights and biases uniform on
    /// +-1/sqrt(fan_in)) and nn.LayerNorm (gain 1, shift 0), from <paramref name="seed"/>.
    /// </summary>
    /// <param name="seed">The seed.</param>
    public void Initialize(int seed)
    {
        var rng = new DeterministicRandom(seed, stream: 1);
        foreach (var layer in Layers)
        {
            float bound = 1f / MathF.Sqrt(layer.InputSize);
            foreach (ref float w in layer.Weight.Values)
            {
                w = rng.NextSymmetric(bound);
            }

            foreach (ref float b in layer.Bias.Values)
            {
                b = rng.NextSymmetric(bound);
            }

            layer.LayerNormScale?.Values.Fill(1f);
            layer.LayerNormBias?.Values.Clear();
        }
    }

    /// <summary>Folds an affine map of the outputs into the output layer: outputs become scale * outputs + shift.</summary>
    /// <param name="scale">The factor (a regression target's standard deviation).</param>
    /// <param name="shift">The offset (the target's mean).</param>
    public void FoldOutputScale(float scale, float shift)
    {
        var output = Layers[^1];
        System.Numerics.Tensors.TensorPrimitives.Multiply(output.Weight.Values, scale, output.Weight.Values);
        System.Numerics.Tensors.TensorPrimitives.Multiply(output.Bias.Values, scale, output.Bias.Values);
        System.Numerics.Tensors.TensorPrimitives.Add(output.Bias.Values, shift, output.Bias.Values);
    }

    /// <summary>Computes the logits of <paramref name="rows"/> rows (inference: no dropout).</summary>
    /// <param name="features">rows x <see cref="InputSize"/> features, row-major.</param>
    /// <param name="rows">The number of rows.</param>
    /// <param name="logits">Receives rows x <see cref="OutputSize"/> logits.</param>
    public void Predict(ReadOnlySpan<float> features, int rows, Span<float> logits)
    {
        if (features.Length < (long)rows * InputSize || logits.Length < (long)rows * OutputSize)
        {
            throw new ArgumentException($"Predicting {rows} rows needs {(long)rows * InputSize} features and room for {(long)rows * OutputSize} logits, but got {features.Length} and {logits.Length}.");
        }

        lock (_predictLock)
        {
            _predictor ??= new MlpPropagator(this, 256, new GemmContext(), training: false);
            for (int start = 0; start < rows; start += _predictor.MaxRows)
            {
                int count = Math.Min(_predictor.MaxRows, rows - start);
                _predictor.Forward(features.Slice(start * InputSize, count * InputSize), count, training: false, dropoutKey: 0);
                _predictor.Logits(count).CopyTo(logits.Slice(start * OutputSize, count * OutputSize));
            }
        }
    }
}
