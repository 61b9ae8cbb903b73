using MLNetDistill.Numerics;

namespace MLNetDistill.Evaluation;

/// <summary>
/// Sums, one row at a time over spans, everything <see cref="DistillationQuality"/> reports; no allocation per row.
/// </summary>
internal sealed class QualityAccumulator
{
    private readonly int _classes;
    private readonly int _bins;
    private readonly int _topK;
    private readonly bool _hasTeacher;
    private readonly long[] _truePositive, _predictedCount, _labelCount;
    private readonly long[] _teacherCount, _teacherAgree;
    private readonly long[][] _pairs;
    private readonly long[] _binCount, _binCorrect, _teacherBinCount, _teacherBinCorrect;
    private readonly double[] _binConfidence, _teacherBinConfidence;
    private long _rows, _labeled, _correct, _teacherCorrect, _agree, _topKAgree;
    private long _copied, _fixed, _other, _new;
    private double _logLoss, _kl;

    public QualityAccumulator(int classes, int bins, int topK, bool hasTeacher)
    {
        _classes = classes;
        _bins = bins;
        _topK = topK;
        _hasTeacher = hasTeacher;
        _truePositive = new long[classes];
        _predictedCount = new long[classes];
        _labelCount = new long[classes];
        _teacherCount = new long[classes];
        _teacherAgree = new long[classes];
        _pairs = new long[hasTeacher ? classes : 0][];
        for (int c = 0; c < _pairs.Length; c++)
        {
            _pairs[c] = new long[classes];
        }

        _binCount = new long[bins];
        _binCorrect = new long[bins];
        _binConfidence = new double[bins];
        _teacherBinCount = new long[bins];
        _teacherBinCorrect = new long[bins];
        _teacherBinConfidence = new double[bins];
    }

    public long Rows => _rows;

    /// <summary>Adds one row.</summary>
    /// <param name="q">The student's probabilities (K, normalised).</param>
    /// <param name="p">The teacher's probabilities (K), or empty without a teacher.</param>
    /// <param name="label">The 0-based label, or −1 when the row has none.</param>
    public void Add(ReadOnlySpan<float> q, ReadOnlySpan<float> p, int label)
    {
        _rows++;
        int predicted = SoftLabelMath.ArgMax(q);
        int teacher = -1;
        if (_hasTeacher)
        {
            teacher = SoftLabelMath.ArgMax(p);
            _teacherCount[teacher]++;
            _pairs[teacher][predicted]++;
            if (predicted == teacher)
            {
                _agree++;
                _teacherAgree[teacher]++;
            }

            _topKAgree += Rank(q, teacher) < _topK ? 1 : 0;
            // KL is never negative; float rounding makes KL(p || p) about -1e-14, which is 0.
            _kl += Math.Max(0.0, SoftLabelMath.KlDivergence(p, q));
        }

        if (label < 0)
        {
            return;
        }

        _labeled++;
        bool right = predicted == label;
        _correct += right ? 1 : 0;
        _logLoss -= Math.Log(Math.Max(q[label], 1e-15));
        _predictedCount[predicted]++;
        _labelCount[label]++;
        _truePositive[label] += right ? 1 : 0;
        AddToBin(_binCount, _binCorrect, _binConfidence, q[predicted], right);
        if (_hasTeacher)
        {
            bool teacherRight = teacher == label;
            AddToBin(_teacherBinCount, _teacherBinCorrect, _teacherBinConfidence, p[teacher], teacherRight);
            if (teacherRight)
            {
                _teacherCorrect++;
                _new += right ? 0 : 1;
            }
            else if (predicted == teacher)
            {
                _copied++;
            }
            else if (right)
            {
                _fixed++;
            }
            else
            {
                _other++;
            }
        }
    }

    public DistillationQuality Result()
    {
        bool labeled = _labeled > 0;
        double accuracy = labeled ? (double)_correct / _labeled : double.NaN;
        double teacherAccuracy = labeled && _hasTeacher ? (double)_teacherCorrect / _labeled : double.NaN;
        var perClassAccuracy = new double[_classes];
        var perClassAgreement = new double[_classes];
        for (int c = 0; c < _classes; c++)
        {
            perClassAccuracy[c] = _labelCount[c] == 0 ? double.NaN : (double)_truePositive[c] / _labelCount[c];
            perClassAgreement[c] = _teacherCount[c] == 0 ? double.NaN : (double)_teacherAgree[c] / _teacherCount[c];
        }

        return new DistillationQuality
        {
            Rows = _rows,
            LabeledRows = _labeled,
            Classes = _classes,
            Accuracy = accuracy,
            MacroF1 = labeled ? MacroF1() : double.NaN,
            LogLoss = labeled ? _logLoss / _labeled : double.NaN,
            Agreement = _hasTeacher ? (double)_agree / _rows : double.NaN,
            TopK = _topK,
            TopKAgreement = _hasTeacher ? (double)_topKAgree / _rows : double.NaN,
            KlToTeacher = _hasTeacher ? _kl / _rows : double.NaN,
            CalibrationBins = _bins,
            ExpectedCalibrationError = labeled ? Ece(_binCount, _binCorrect, _binConfidence, _labeled) : double.NaN,
            TeacherExpectedCalibrationError = labeled && _hasTeacher ? Ece(_teacherBinCount, _teacherBinCorrect, _teacherBinConfidence, _labeled) : double.NaN,
            TeacherAccuracy = teacherAccuracy,
            RetainedAccuracy = accuracy / teacherAccuracy,
            PerClassAccuracy = perClassAccuracy,
            PerClassAgreement = perClassAgreement,
            TeacherStudentCounts = _pairs,
            Inheritance = labeled && _hasTeacher ? new InheritanceTable(_labeled, _copied + _fixed + _other, _copied, _fixed, _other, _new) : null,
        };
    }

    /// <summary>The 0-based rank of class <paramref name="c"/> in <paramref name="q"/>, ties broken by class index as <see cref="SoftLabelMath.ArgMax"/> does.</summary>
    private static int Rank(ReadOnlySpan<float> q, int c)
    {
        float v = q[c];
        int rank = 0;
        for (int i = 0; i < q.Length; i++)
        {
            rank += q[i] > v || (q[i] == v && i < c) ? 1 : 0;
        }

        return rank;
    }

    private void AddToBin(long[] count, long[] correct, double[] confidence, float top, bool right)
    {
        // Bins (0, 1/M], (1/M, 2/M], ..., ((M-1)/M, 1]; a confidence of exactly 0 (all-zero scores) goes to the first.
        int b = Math.Clamp((int)Math.Ceiling((double)top * _bins) - 1, 0, _bins - 1);
        count[b]++;
        correct[b] += right ? 1 : 0;
        confidence[b] += top;
    }

    private static double Ece(long[] count, long[] correct, double[] confidence, long n)
    {
        double ece = 0;
        for (int b = 0; b < count.Length; b++)
        {
            if (count[b] > 0)
            {
                ece += Math.Abs(((double)correct[b] - confidence[b]) / n);
            }
        }

        return ece;
    }

    private double MacroF1()
    {
        double sum = 0;
        int present = 0;
        for (int c = 0; c < _classes; c++)
        {
            if (_labelCount[c] == 0 && _predictedCount[c] == 0)
            {
                continue;
            }

            present++;
            double precision = _predictedCount[c] == 0 ? 0 : (double)_truePositive[c] / _predictedCount[c];
            double recall = _labelCount[c] == 0 ? 0 : (double)_truePositive[c] / _labelCount[c];
            sum += precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
        }

        return sum / present;
    }
}
