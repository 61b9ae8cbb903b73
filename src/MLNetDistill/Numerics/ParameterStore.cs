namespace MLNetDistill.Numerics;

/// <summary>
/// All trainable parameters of a student (its layers and any parameters its losses own) in one flat array, with a
/// matching gradient array. Tensors that take weight decay (weight matrices) come first, so that optimizers sweep two
/// contiguous ranges with vector code and snapshots are one array copy.
/// </summary>
internal sealed class ParameterStore
{
    private float[]? _gradients;

    private ParameterStore(float[] values, int decayedLength)
    {
        Values = values;
        DecayedLength = decayedLength;
    }

    /// <summary>Every parameter value.</summary>
    public float[] Values { get; }

    /// <summary>The gradient of the loss with respect to each value; allocated on first use.</summary>
    public float[] Gradients => _gradients ??= new float[Values.Length];

    /// <summary>The number of leading values that take weight decay; the rest (biases, layer-norm and the like) do not.</summary>
    public int DecayedLength { get; }

    /// <summary>The total number of parameters.</summary>
    public int Length => Values.Length;

    /// <summary>Collects tensors, then lays them out in one store.</summary>
    internal sealed class Builder
    {
        private readonly List<ParameterTensor> _tensors = [];
        private ParameterStore? _built;
        private int _decayed;

        /// <summary>Reserves a rows x cols matrix.</summary>
        /// <param name="rows">The rows.</param>
        /// <param name="cols">The columns.</param>
        /// <param name="decay">Whether weight decay applies.</param>
        /// <returns>The tensor, usable once <see cref="Build"/> has run.</returns>
        public ParameterTensor Matrix(int rows, int cols, bool decay = true) => Add(rows, cols, decay);

        /// <summary>Reserves a vector, which takes no weight decay.</summary>
        /// <param name="length">The length.</param>
        /// <returns>The tensor, usable once <see cref="Build"/> has run.</returns>
        public ParameterTensor Vector(int length) => Add(1, length, false);

        /// <summary>Lays out every tensor reserved so far (decayed ones first) and binds them to a new store.</summary>
        /// <returns>The store.</returns>
        public ParameterStore Build()
        {
            if (_built is not null)
            {
                throw new InvalidOperationException("This parameter store has already been built.");
            }

            long offset = 0;
            foreach (bool decay in new[] { true, false })
            {
                foreach (var tensor in _tensors)
                {
                    if (tensor.Decay == decay)
                    {
                        tensor.Offset = (int)offset;
                        offset += tensor.Length;
                    }
                }

                if (decay)
                {
                    _decayed = (int)offset;
                }
            }

            if (offset > Array.MaxLength)
            {
                throw new InvalidOperationException($"The student has {offset} parameters, more than one array can hold ({Array.MaxLength}); use smaller layers.");
            }

            _built = new ParameterStore(new float[offset], _decayed);
            foreach (var tensor in _tensors)
            {
                tensor.Store = _built;
            }

            return _built;
        }

        private ParameterTensor Add(int rows, int cols, bool decay)
        {
            if (_built is not null)
            {
                throw new InvalidOperationException("This parameter store has already been built.");
            }

            var tensor = new ParameterTensor(rows, cols, decay);
            _tensors.Add(tensor);
            return tensor;
        }
    }
}

/// <summary>One tensor (matrix or vector) inside a <see cref="ParameterStore"/>, row-major.</summary>
internal sealed class ParameterTensor
{
    internal ParameterTensor(int rows, int cols, bool decay)
    {
        if (rows <= 0 || cols <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(rows), $"A parameter tensor needs positive sizes but got {rows} x {cols}.");
        }

        Rows = rows;
        Cols = cols;
        Decay = decay;
    }

    /// <summary>Rows (1 for a vector).</summary>
    public int Rows { get; }

    /// <summary>Columns (the length of a vector).</summary>
    public int Cols { get; }

    /// <summary>Rows x columns.</summary>
    public int Length => Rows * Cols;

    /// <summary>Whether weight decay applies.</summary>
    public bool Decay { get; }

    /// <summary>Where the tensor starts in its store.</summary>
    public int Offset { get; internal set; }

    internal ParameterStore? Store { get; set; }

    /// <summary>The values, row-major.</summary>
    public Span<float> Values => BoundStore.Values.AsSpan(Offset, Length);

    /// <summary>The gradients, row-major.</summary>
    public Span<float> Gradients => BoundStore.Gradients.AsSpan(Offset, Length);

    private ParameterStore BoundStore => Store ?? throw new InvalidOperationException("The parameter store has not been built yet.");
}
