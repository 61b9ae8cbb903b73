using MLNetDistill.Losses;
using MLNetDistill.Numerics;

namespace MLNetDistill.Students.Mlp.Training;

/// <summary>
/// Scores the student on the held-out validation rows: the training loss, the divergence from the teacher at the
/// temperature (squared error for regression), the agreement with the teacher's top class and the accuracy.
/// </summary>
internal sealed class Validator
{
    private readonly int[] _rows;
    private readonly int _batch;
    private readonly float _temperature;
    private readonly MlpTrainingData _data;
    private readonly TrainingNetwork _network;
    private readonly BatchBuffers _buffers;
    private readonly float[] _grad;
    private readonly float[] _hiddenGrad;
    private readonly float[] _teacherRow;
    private readonly float[] _studentRow;
    private double _lossSum;
    private double _divergenceSum;
    private int _correct;
    private int _agree;

    /// <summary>Allocates the scratch buffers of a validation pass.</summary>
    /// <param name="rows">The data's validation row numbers (may be empty).</param>
    /// <param name="batch">The most rows of a batch.</param>
    /// <param name="o">The validated options.</param>
    /// <param name="data">The training data.</param>
    /// <param name="network">The network being trained.</param>
    /// <param name="buffers">The batch buffers the rows are gathered into.</param>
    public Validator(int[] rows, int batch, MlpTrainerOptions o, MlpTrainingData data, TrainingNetwork network, BatchBuffers buffers)
    {
        _rows = rows;
        _batch = batch;
        _temperature = o.Temperature;
        _data = data;
        _network = network;
        _buffers = buffers;
        int classes = data.ClassCount;
        _grad = new float[batch * classes];
        _teacherRow = new float[classes];
        _studentRow = new float[classes];
        _hiddenGrad = network.Hint is null ? [] : new float[batch * network.HintLayerSize];
    }

    /// <summary>Gets how many rows are held out (0: no validation).</summary>
    public int Rows => _rows.Length;

    /// <summary>One pass over the validation rows, batch by batch, with the network in inference mode.</summary>
    /// <returns>The means over the rows.</returns>
    public ValidationScores Run()
    {
        _lossSum = 0;
        _divergenceSum = 0;
        _correct = 0;
        _agree = 0;
        int classes = _data.ClassCount;
        var net = _network.Net;
        for (int first = 0; first < _rows.Length; first += _batch)
        {
            int rows = Math.Min(_batch, _rows.Length - first);
            _buffers.Gather(_rows, first, rows);
            net.Forward(_buffers.X, rows, training: false, 0);
            var grads = new LossGradients
            {
                Logits = _grad.AsSpan(0, rows * classes),
                Hidden = _network.Hint is null ? default : _hiddenGrad.AsSpan(0, rows * _network.HintLayerSize),
            };
            _lossSum += (double)_network.Loss.Forward(_network.View(_buffers, rows), 1f, grads) * rows;
            ReadOnlySpan<float> logits = net.Logits(rows);
            if (_data.IsRegression)
            {
                AddSquaredErrors(logits, rows);
            }
            else
            {
                AddClassScores(logits, rows);
            }
        }

        int n = _rows.Length;
        return new ValidationScores(_lossSum / n, (double)_correct / n, (double)_agree / n, _divergenceSum / n);
    }

    private void AddSquaredErrors(ReadOnlySpan<float> logits, int rows)
    {
        float[] teacher = _buffers.Logits;
        for (int r = 0; r < rows; r++)
        {
            double d = logits[r] - teacher[r];
            _divergenceSum += d * d;
        }
    }

    private void AddClassScores(ReadOnlySpan<float> logits, int rows)
    {
        int classes = _data.ClassCount;
        float t = _temperature;
        float[] soft = _buffers.Soft;
        int[] labels = _buffers.Labels;
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> z = logits.Slice(r * classes, classes);
            ReadOnlySpan<float> p = _teacherRow;
            if (soft.Length > 0)
            {
                p = soft.AsSpan(r * classes, classes);
            }
            else
            {
                SoftLabelMath.Softmax(_buffers.Logits.AsSpan(r * classes, classes), t, _teacherRow);
            }

            SoftLabelMath.Softmax(z, t, _studentRow);
            _divergenceSum += SoftLabelMath.KlDivergence(p, _studentRow);
            int predicted = SoftLabelMath.ArgMax(z);
            int teacher = SoftLabelMath.ArgMax(p);
            _agree += predicted == teacher ? 1 : 0;
            int target = labels.Length > 0 ? labels[r] : -1;
            _correct += predicted == (target < 0 ? teacher : target) ? 1 : 0;
        }
    }
}
