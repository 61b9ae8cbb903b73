using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.Numerics;
using MLNetDistill.Serving;

namespace MLNetDistill.Experiments;

/// <summary>
/// Measures one student's cascade for <see cref="DistillationExperiment"/>: the student scores the held-out training rows and
/// the test rows (both already carry the teacher's logits, so the teacher does not run again); the threshold is chosen on the
/// held-out rows (<see cref="CascadeThreshold.Choose"/>) and the cascade measured on the test rows (<see cref="CascadeCurve"/>).
/// </summary>
internal static class DistillationCascadeMeasure
{
    /// <summary>
    /// Fewer held-out rows than this make the threshold a rough guess: at 99 % of the teacher, one row in a hundred decides
    /// it (on 5 rows of a 60-row wine set the student was right on all 5, so nothing was deferred, and the cascade kept
    /// 96 % of the teacher on the test rows).
    /// </summary>
    public const int MinTrustedRows = 200;

    /// <summary>The warning beside a threshold chosen on fewer than <see cref="MinTrustedRows"/> rows, or the empty string.</summary>
    /// <param name="heldOutRows">The rows the threshold was chosen on.</param>
    /// <returns>The warning, starting with "; ", or "".</returns>
    public static string FewRowsWarning(long heldOutRows) => heldOutRows >= MinTrustedRows
        ? ""
        : $"; only {heldOutRows:N0} held-out rows chose the threshold, too few to trust it (at least {MinTrustedRows} are needed): train on more rows or hold out a larger share (CascadeHoldoutFraction)";

    /// <summary>The points of each curve: every 5 % of the rows deferred, from 0 to 100 %.</summary>
    internal const int CurvePoints = 21;

    /// <summary>The rules whose curves are measured side by side.</summary>
    private static readonly DeferralRule[] Rules = [DeferralRule.TopProbability, DeferralRule.Margin, DeferralRule.Entropy, DeferralRule.Learned];

    /// <summary>Chooses the threshold on <paramref name="heldOut"/> and measures the cascade on <paramref name="test"/>.</summary>
    /// <param name="student">The trained student.</param>
    /// <param name="heldOut">The held-out training rows with the teacher's logits.</param>
    /// <param name="test">The test rows with the teacher's logits.</param>
    /// <param name="classes">The number of classes.</param>
    /// <param name="target">What the cascade must reach.</param>
    /// <param name="rule">The deferral rule.</param>
    /// <param name="cancellationToken">Stops between data sets.</param>
    public static DistillationCascade Measure(DistillationTrainedModel student, IDataView heldOut, IDataView test, int classes, CascadeTarget target, DeferralRule rule,
        CancellationToken cancellationToken = default)
    {
        var held = CascadeRows.Read(student.Model.Transform(heldOut), classes, student.ScoresAreLogits);
        cancellationToken.ThrowIfCancellationRequested();
        // The learned rule trains on the even held-out rows; its threshold is chosen on the odd ones (as CascadeEstimator does).
        var (learned, chooseOn) = held.Rows >= 2 ? FitLearned(held) : (null, held);
        if (rule == DeferralRule.Learned && learned is null)
        {
            throw new InvalidDataException($"The learned deferral rule needs at least 2 held-out rows (one to train it, one to choose its threshold) but {held.Rows} were held out: raise CascadeHoldoutFraction, or use another CascadeRule.");
        }

        var choice = rule == DeferralRule.Learned
            ? CascadeThreshold.Choose(chooseOn.Confidence(learned!), chooseOn.StudentPredicted, chooseOn.TeacherPredicted, chooseOn.Labels, target)
            : CascadeThreshold.Choose(held.Confidence(rule), held.StudentPredicted, held.TeacherPredicted, held.Labels, target);
        var rows = CascadeRows.Read(student.Model.Transform(test), classes, student.ScoresAreLogits);
        cancellationToken.ThrowIfCancellationRequested();
        var curves = new Dictionary<DeferralRule, IReadOnlyList<CascadePoint>>();
        CascadeCurve? chosenCurve = null;
        foreach (var r in Rules)
        {
            if (r == DeferralRule.Learned && learned is null)
            {
                continue;
            }

            float[] confidence = r == DeferralRule.Learned ? rows.Confidence(learned!) : rows.Confidence(r);
            var curve = CascadeCurve.Measure(confidence, rows.StudentPredicted, rows.TeacherPredicted, rows.Labels, CurvePoints);
            curves[r] = curve.Points;
            if (r == rule)
            {
                chosenCurve = curve;
            }
        }

        var at = chosenCurve!.At(choice.Threshold);
        return new DistillationCascade(rule, choice.Threshold, at.DeferredShare, at.Accuracy, at.Agreement, choice.TargetMet, choice.DeferredShare,
            rule == DeferralRule.Learned ? chooseOn.Rows : held.Rows, WithPoint(chosenCurve.Points, at))
        {
            RuleCurves = curves,
        };
    }

    /// <summary>The learned rule trained on the even held-out rows (does the student agree with the teacher?), and the odd rows its threshold is chosen on.</summary>
    private static (LearnedDeferral? Rule, CascadeRows ChooseOn) FitLearned(CascadeRows held)
    {
        var (even, odd) = held.Halves();
        var agrees = new bool[even.Rows];
        for (int i = 0; i < agrees.Length; i++)
        {
            agrees[i] = even.StudentPredicted[i] == even.TeacherPredicted[i];
        }

        return (LearnedDeferral.Fit(even.Probabilities, even.Classes, agrees), odd);
    }

    /// <summary>A progress line: the share deferred, the accuracy and agreement on the test rows, and whether the target was met.</summary>
    public static string Describe(string student, DistillationCascade cascade)
    {
        var c = CultureInfo.InvariantCulture;
        return string.Format(c, "{0} cascade ({1}): {2:P1} of the test rows to the teacher (threshold {3:G4}, {4:P1} of the held-out rows){5}, agreement {6:F4}{7}",
            student, DistillationCascadeReport.RuleName(cascade.Rule), cascade.DeferredShare, cascade.Threshold, cascade.HeldOutDeferredShare,
            cascade.Accuracy is double a ? string.Format(c, ", accuracy {0:F4}", a) : "", cascade.Agreement,
            cascade.TargetMet ? "" : "; the target was not met on the held-out rows even by deferring every row, so every row goes to the teacher");
    }

    /// <summary>The curve's points with <paramref name="point"/> among them in order of deferred share; a point of the same share (the same rows deferred, so the same figures) gives way to it, so the chosen threshold is on the curve.</summary>
    internal static IReadOnlyList<CascadePoint> WithPoint(IReadOnlyList<CascadePoint> points, CascadePoint point)
    {
        var list = new List<CascadePoint>(points.Count + 1);
        bool placed = false;
        foreach (var p in points)
        {
            if (!placed && p.DeferredShare >= point.DeferredShare)
            {
                placed = true;
                list.Add(point);
                if (p.DeferredShare == point.DeferredShare)
                {
                    continue;
                }
            }

            list.Add(p);
        }

        if (!placed)
        {
            list.Add(point);
        }

        return list;
    }

    /// <summary>One data set's rows as the cascade reads them: the student's probabilities (row-major), its and the teacher's arg-max, and the labels.</summary>
    private sealed class CascadeRows
    {
        private readonly float[] _probabilities;
        private readonly int _classes;

        private CascadeRows(float[] probabilities, int classes, int[] student, int[] teacher, int[] labels)
        {
            (_probabilities, _classes, StudentPredicted, TeacherPredicted, Labels) = (probabilities, classes, student, teacher, labels);
        }

        /// <summary>Gets the number of rows.</summary>
        public int Rows => StudentPredicted.Length;

        /// <summary>Gets the number of classes.</summary>
        public int Classes => _classes;

        /// <summary>Gets the student's probabilities, row-major.</summary>
        public float[] Probabilities => _probabilities;

        /// <summary>Gets the student's arg-max class of each row.</summary>
        public int[] StudentPredicted { get; }

        /// <summary>Gets the teacher's arg-max class of each row.</summary>
        public int[] TeacherPredicted { get; }

        /// <summary>Gets the 0-based label of each row (empty when the rows have no labels).</summary>
        public int[] Labels { get; }

        /// <summary>The confidence of each row under <paramref name="rule"/>.</summary>
        public float[] Confidence(DeferralRule rule)
        {
            var confidence = new float[Rows];
            DeferralScores.Confidence(rule, _probabilities, _classes, confidence);
            return confidence;
        }

        /// <summary>The confidence of each row under a fitted learned rule.</summary>
        public float[] Confidence(LearnedDeferral rule)
        {
            var confidence = new float[Rows];
            rule.Confidence(_probabilities, _classes, confidence);
            return confidence;
        }

        /// <summary>The even rows (0, 2, ...) and the odd rows (1, 3, ...).</summary>
        public (CascadeRows Even, CascadeRows Odd) Halves() => (Take(0), Take(1));

        /// <summary>Reads a student's output over rows that carry the teacher's logits.</summary>
        /// <exception cref="InvalidDataException">The rows have no teacher logits, or none at all.</exception>
        public static CascadeRows Read(IDataView scored, int classes, bool scoresAreLogits)
        {
            var schema = scored.Schema;
            var score = schema[DataColumnNames.Score];
            var teacher = schema.GetColumnOrNull(DataColumnNames.TeacherLogits)
                ?? throw new InvalidDataException($"The rows to measure the cascade on have no '{DataColumnNames.TeacherLogits}' column: the teacher's answers are needed to defer to it.");
            DataViewSchema.Column? label = schema.GetColumnOrNull(DataColumnNames.Label) is { } l && LabelReader.CanRead(l.Type) ? l : null;
            var probabilities = new List<float>();
            var student = new List<int>();
            var teacherPredicted = new List<int>();
            var labels = new List<int>();
            bool allLabeled = label is not null;
            var active = label is { } lc ? new[] { score, teacher, lc } : new[] { score, teacher };
            using (var cursor = scored.GetRowCursor(active))
            {
                var readScore = cursor.GetGetter<VBuffer<float>>(score);
                var readTeacher = cursor.GetGetter<VBuffer<float>>(teacher);
                var readLabel = label is { } column ? LabelReader.Create(cursor, column) : null;
                VBuffer<float> s = default, t = default;
                var q = new float[classes];
                var raw = new float[Math.Max(classes, (score.Type as VectorDataViewType)?.Size ?? 0)];
                var p = new float[(teacher.Type as VectorDataViewType)?.Size ?? classes];
                float y = float.NaN;
                while (cursor.MoveNext())
                {
                    readScore(ref s);
                    ToProbabilities(s, raw, q, scoresAreLogits);
                    foreach (float v in q)
                    {
                        probabilities.Add(v);
                    }

                    student.Add(SoftLabelMath.ArgMax(q));
                    readTeacher(ref t);
                    t.CopyTo(p);
                    teacherPredicted.Add(SoftLabelMath.ArgMax(p));
                    if (readLabel is not null)
                    {
                        readLabel(ref y);
                        bool known = !float.IsNaN(y) && y >= 0 && y < classes;
                        allLabeled &= known;
                        labels.Add(known ? (int)y : -1);
                    }
                }
            }

            if (student.Count == 0)
            {
                throw new InvalidDataException("The rows to measure the cascade on are empty: hold out more rows (CascadeHoldoutFraction), or give more test rows.");
            }

            // Accuracy needs every row's label; rows some of which lack one are measured against the teacher (agreement) alone.
            return new CascadeRows([.. probabilities], classes, [.. student], [.. teacherPredicted], allLabeled ? [.. labels] : []);
        }

        private CascadeRows Take(int first)
        {
            int count = (Rows - first + 1) / 2;
            var probabilities = new float[count * _classes];
            var student = new int[count];
            var teacher = new int[count];
            var labels = Labels.Length == 0 ? [] : new int[count];
            for (int i = 0, r = first; i < count; i++, r += 2)
            {
                _probabilities.AsSpan(r * _classes, _classes).CopyTo(probabilities.AsSpan(i * _classes, _classes));
                student[i] = StudentPredicted[r];
                teacher[i] = TeacherPredicted[r];
                if (labels.Length > 0)
                {
                    labels[i] = Labels[r];
                }
            }

            return new CascadeRows(probabilities, _classes, student, teacher, labels);
        }

        /// <summary>The student's probabilities of one row (softmax of logits; otherwise normalized to sum 1, as the evaluator does).</summary>
        private static void ToProbabilities(in VBuffer<float> score, float[] scratch, float[] destination, bool logits)
        {
            Array.Clear(scratch);
            score.CopyTo(scratch);
            scratch.AsSpan(0, destination.Length).CopyTo(destination);

            if (logits)
            {
                SoftLabelMath.Softmax(destination, 1f, destination);
                return;
            }

            float sum = 0;
            foreach (float v in destination)
            {
                sum += v;
            }

            if (sum > 0 && MathF.Abs(sum - 1) > 1e-4f)
            {
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] /= sum;
                }
            }
        }
    }
}
