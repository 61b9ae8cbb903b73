using System.Globalization;

namespace MLNetDistill.Serving;

/// <summary>
/// A cascade's quality against the share of rows it sends to the teacher, measured on rows where the student's
/// confidence and both models' answers are known: the least confident rows are deferred first.
/// </summary>
/// <remarks>
/// Every point is one a threshold can produce: when several rows share a confidence they are deferred together,
/// so a point's <see cref="CascadePoint.DeferredShare"/> is the share its threshold really defers, the realizable
/// share nearest the nominal one.
/// </remarks>
public sealed class CascadeCurve
{
    private readonly float[] _sorted;
    private readonly int[] _studentCorrect;
    private readonly int[] _teacherCorrect;
    private readonly int[] _agree;
    private readonly bool _labeled;

    private CascadeCurve(float[] sorted, int[] studentCorrect, int[] teacherCorrect, int[] agree, bool labeled)
    {
        _sorted = sorted;
        _studentCorrect = studentCorrect;
        _teacherCorrect = teacherCorrect;
        _agree = agree;
        _labeled = labeled;
        Points = [];
    }

    /// <summary>Gets the points, from no row deferred to every row deferred.</summary>
    public IReadOnlyList<CascadePoint> Points { get; private set; }

    /// <summary>The number of rows measured.</summary>
    internal int Rows => _sorted.Length;

    /// <summary>Whether the rows had labels.</summary>
    internal bool Labeled => _labeled;

    /// <summary>
    /// Measures the curve at deferred shares 0, 1/(<paramref name="points"/> - 1), ..., 1 (21 points = every 5 %),
    /// deferring the least confident rows first.
    /// </summary>
    /// <param name="confidence">The deferral confidence of each row (higher = surer); finite.</param>
    /// <param name="studentPredicted">The student's predicted class of each row.</param>
    /// <param name="teacherPredicted">The teacher's predicted class (arg-max) of each row.</param>
    /// <param name="labels">The true class of each row, or empty when the rows have no labels (accuracy is then null).</param>
    /// <param name="points">The number of points; at least 2.</param>
    /// <returns>The curve.</returns>
    public static CascadeCurve Measure(ReadOnlySpan<float> confidence, ReadOnlySpan<int> studentPredicted, ReadOnlySpan<int> teacherPredicted, ReadOnlySpan<int> labels, int points = 21)
    {
        if (points < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(points), points, "A cascade curve needs at least 2 points (no row deferred and every row deferred); 21 gives one every 5 %.");
        }

        var curve = Build(confidence, studentPredicted, teacherPredicted, labels);
        var list = new CascadePoint[points];
        int n = curve.Rows;
        for (int i = 0; i < points; i++)
        {
            int nominal = (int)Math.Round((double)i * n / (points - 1), MidpointRounding.AwayFromZero);
            list[i] = curve.PointAt(curve.NearestCut(nominal));
        }

        curve.Points = list;
        return curve;
    }

    /// <summary>Measures the cascade at one threshold: rows whose confidence is below it are deferred.</summary>
    /// <param name="threshold">The confidence threshold; not NaN.</param>
    /// <returns>The point.</returns>
    public CascadePoint At(float threshold)
    {
        if (float.IsNaN(threshold))
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "The cascade threshold is NaN; give a number (negative infinity defers no row, positive infinity every row).");
        }

        var point = PointAt(CountBelow(threshold));
        return point with { Threshold = threshold };
    }

    /// <summary>Builds the sorted confidences and prefix counts, without points.</summary>
    internal static CascadeCurve Build(ReadOnlySpan<float> confidence, ReadOnlySpan<int> studentPredicted, ReadOnlySpan<int> teacherPredicted, ReadOnlySpan<int> labels)
    {
        int n = CheckInputs(confidence, studentPredicted, teacherPredicted, labels);
        float[] sorted = confidence.ToArray();
        int[] order = new int[n];
        for (int i = 0; i < n; i++)
        {
            order[i] = i;
        }

        Array.Sort(sorted, order);
        bool labeled = !labels.IsEmpty;
        int[] studentCorrect = new int[n + 1];
        int[] teacherCorrect = new int[n + 1];
        int[] agree = new int[n + 1];
        for (int i = 0; i < n; i++)
        {
            int r = order[i];
            int s = studentPredicted[r];
            int t = teacherPredicted[r];
            studentCorrect[i + 1] = studentCorrect[i] + (labeled && s == labels[r] ? 1 : 0);
            teacherCorrect[i + 1] = teacherCorrect[i] + (labeled && t == labels[r] ? 1 : 0);
            agree[i + 1] = agree[i] + (s == t ? 1 : 0);
        }

        return new CascadeCurve(sorted, studentCorrect, teacherCorrect, agree, labeled);
    }

    /// <summary>The number of rows whose confidence is below <paramref name="threshold"/>.</summary>
    internal int CountBelow(float threshold)
    {
        int lo = 0;
        int hi = _sorted.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_sorted[mid] < threshold)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    /// <summary>The realizable deferred count nearest <paramref name="nominal"/> (the smaller one on a tie).</summary>
    internal int NearestCut(int nominal)
    {
        int n = Rows;
        if (nominal <= 0 || nominal >= n)
        {
            return Math.Clamp(nominal, 0, n);
        }

        int below = CountBelow(_sorted[nominal]);
        int above = CountBelow(MathF.BitIncrement(_sorted[nominal - 1]));
        return nominal - below <= above - nominal ? below : above;
    }

    /// <summary>The smallest realizable deferred count above <paramref name="deferred"/> (<see cref="Rows"/> + 1 past the end).</summary>
    internal int NextCut(int deferred) => deferred >= Rows ? Rows + 1 : CountBelow(MathF.BitIncrement(_sorted[deferred]));

    /// <summary>The threshold that defers exactly the <paramref name="deferred"/> least confident rows (a realizable count).</summary>
    internal float ThresholdFor(int deferred) => deferred <= 0 ? float.NegativeInfinity : deferred >= Rows ? float.PositiveInfinity : _sorted[deferred];

    /// <summary>The number of rows the cascade answers correctly when the <paramref name="deferred"/> least confident rows go to the teacher.</summary>
    internal int CorrectAt(int deferred) => _teacherCorrect[deferred] + _studentCorrect[Rows] - _studentCorrect[deferred];

    /// <summary>The number of rows whose cascade answer equals the teacher's when <paramref name="deferred"/> rows are deferred.</summary>
    internal int AgreeAt(int deferred) => deferred + _agree[Rows] - _agree[deferred];

    /// <summary>The point of a realizable deferred count.</summary>
    internal CascadePoint PointAt(int deferred)
    {
        double n = Rows;
        double? accuracy = _labeled ? CorrectAt(deferred) / n : null;
        return new CascadePoint(deferred / n, accuracy, AgreeAt(deferred) / n, ThresholdFor(deferred));
    }

    private static int CheckInputs(ReadOnlySpan<float> confidence, ReadOnlySpan<int> studentPredicted, ReadOnlySpan<int> teacherPredicted, ReadOnlySpan<int> labels)
    {
        int n = confidence.Length;
        if (n == 0)
        {
            throw new ArgumentException("A cascade needs at least one row with a confidence to measure or choose a threshold on.", nameof(confidence));
        }

        if (studentPredicted.Length != n || teacherPredicted.Length != n || (!labels.IsEmpty && labels.Length != n))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"The cascade's inputs must have one value per row: {n} confidences, {studentPredicted.Length} student predictions, {teacherPredicted.Length} teacher predictions, {labels.Length} labels (labels may be empty when there are none)."));
        }

        for (int i = 0; i < n; i++)
        {
            if (!float.IsFinite(confidence[i]))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"The deferral confidence of row {i} is {confidence[i]}, not a finite number: the student's scores hold NaN or infinity there. Check the student's Score column."), nameof(confidence));
            }
        }

        return n;
    }
}
