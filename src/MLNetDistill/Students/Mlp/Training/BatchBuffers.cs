using MLNetDistill.Numerics;

namespace MLNetDistill.Students.Mlp.Training;

/// <summary>
/// One batch's rows copied out of the training data: the features and whichever teacher outputs, labels and targets the
/// data has (an empty array for each it lacks). Allocated once per run; <see cref="Gather"/> fills them on the pool.
/// </summary>
internal sealed class BatchBuffers
{
    private readonly MlpTrainingData _data;
    private readonly ComputePool _pool;
    private readonly Action<int, int> _gatherBody;
    private int[] _gatherIndices = [];
    private int _gatherStart;

    /// <summary>Allocates the buffers for batches of up to <paramref name="batch"/> rows.</summary>
    /// <param name="data">The training data the rows come from.</param>
    /// <param name="batch">The most rows of a batch.</param>
    /// <param name="pool">The pool that copies rows in parallel.</param>
    public BatchBuffers(MlpTrainingData data, int batch, ComputePool pool)
    {
        _data = data;
        _pool = pool;
        int classes = data.ClassCount;
        X = new float[checked(batch * data.FeatureCount)];
        Soft = data.SoftLabels.IsEmpty ? [] : new float[batch * classes];
        Logits = data.TeacherLogits.IsEmpty ? [] : new float[batch * classes];
        Hints = data.Hints.IsEmpty ? [] : new float[checked(batch * data.HintSize)];
        Labels = data.Labels.IsEmpty ? [] : new int[batch];
        Targets = data.Targets.IsEmpty ? [] : new float[batch];
        _gatherBody = GatherRows;
    }

    /// <summary>Gets the batch's features (rows x features).</summary>
    public float[] X { get; }

    /// <summary>Gets the teacher's soft labels (rows x classes), or empty.</summary>
    public float[] Soft { get; }

    /// <summary>Gets the teacher's logits (rows x classes), or empty.</summary>
    public float[] Logits { get; }

    /// <summary>Gets the teacher's hint values (rows x hint size), or empty.</summary>
    public float[] Hints { get; }

    /// <summary>Gets the hard labels, or empty.</summary>
    public int[] Labels { get; }

    /// <summary>Gets the regression targets, or empty.</summary>
    public float[] Targets { get; }

    /// <summary>Copies rows indices[first..first+rows) of every input into the batch buffers.</summary>
    /// <param name="indices">The data's row numbers.</param>
    /// <param name="first">The first index of the batch in <paramref name="indices"/>.</param>
    /// <param name="rows">The rows of the batch.</param>
    public void Gather(int[] indices, int first, int rows)
    {
        _gatherIndices = indices;
        _gatherStart = first;
        _pool.For(rows, 64, _gatherBody);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void GatherRows(int start, int end)
    {
        int d = _data.FeatureCount;
        int k = _data.ClassCount;
        int h = _data.HintSize;
        ReadOnlySpan<float> features = _data.Features.Span;
        ReadOnlySpan<float> soft = _data.SoftLabels.Span;
        ReadOnlySpan<float> logits = _data.TeacherLogits.Span;
        ReadOnlySpan<float> hints = _data.Hints.Span;
        ReadOnlySpan<int> labels = _data.Labels.Span;
        ReadOnlySpan<float> targets = _data.Targets.Span;
        float[] x = X;
        float[] softOut = Soft;
        float[] logitsOut = Logits;
        float[] hintsOut = Hints;
        int[] labelsOut = Labels;
        float[] targetsOut = Targets;
        for (int r = start; r < end; r++)
        {
            int row = _gatherIndices[_gatherStart + r];
            features.Slice(row * d, d).CopyTo(x.AsSpan(r * d, d));
            if (softOut.Length > 0)
            {
                soft.Slice(row * k, k).CopyTo(softOut.AsSpan(r * k, k));
            }

            if (logitsOut.Length > 0)
            {
                logits.Slice(row * k, k).CopyTo(logitsOut.AsSpan(r * k, k));
            }

            if (hintsOut.Length > 0)
            {
                hints.Slice(row * h, h).CopyTo(hintsOut.AsSpan(r * h, h));
            }

            if (labelsOut.Length > 0)
            {
                labelsOut[r] = labels[row];
            }

            if (targetsOut.Length > 0)
            {
                targetsOut[r] = targets[row];
            }
        }
    }
}
