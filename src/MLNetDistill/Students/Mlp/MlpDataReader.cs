using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.SoftLabels;
using MLNetDistill.Numerics;
using SoftLabelMath = MLNetDistill.Numerics.SoftLabelMath;

namespace MLNetDistill.Students.Mlp;

/// <summary>Reads the training columns of an <see cref="IDataView"/> into the dense arrays the MLP trainer works on.</summary>
internal static class MlpDataReader
{
    public static MlpTrainingData Read(IDataView input, MlpStudentOptions options)
    {
        var schema = input.Schema;
        var features = VectorColumn(schema, options.FeatureColumnName, "feature");
        var logitsColumn = schema.GetColumnOrNull(options.TeacherLogitsColumnNames.Count > 0 ? options.TeacherLogitsColumnNames[0] : options.TeacherLogitsColumnName);
        var softColumn = schema.GetColumnOrNull(options.SoftLabelsColumnName);
        if (logitsColumn is null && softColumn is null)
        {
            throw new ArgumentException($"The data has neither the teacher logits column '{options.TeacherLogitsColumnName}' nor the soft-label column '{options.SoftLabelsColumnName}'. Score the data with mlContext.Transforms.ScoreWithTeacher(...) or read a teacher cache first.");
        }

        var target = logitsColumn is { } l ? VectorColumn(schema, l.Name, "teacher logits") : VectorColumn(schema, softColumn!.Value.Name, "soft-label");
        int d = features.Size;
        int k = target.Size;
        var labelColumn = schema.GetColumnOrNull(options.LabelColumnName) is { } lc && LabelReader.CanRead(lc.Type) ? lc : (DataViewSchema.Column?)null;
        var hintColumn = options.HintColumnName is { } h ? VectorColumn(schema, h, "hint") : (VectorDataViewType?)null;
        var hintSchemaColumn = options.HintColumnName is { } hn ? schema[hn] : (DataViewSchema.Column?)null;
        int hintSize = hintColumn?.Size ?? 0;

        var active = ActiveColumns(schema[options.FeatureColumnName], schema[logitsColumn?.Name ?? softColumn!.Value.Name], labelColumn, hintSchemaColumn);

        // Count the rows first (no column is computed), then refuse before reading if the dense matrix will not fit.
        long rows = input.GetRowCount() ?? CountRows(input);
        MlpMemoryEstimate.For(rows, d, k, options.Network.HiddenLayerSizes).ThrowIfTooLarge();
        var x = new GrowingBuffer<float>(checked((int)Math.Min(rows * d, Array.MaxLength)));
        var teacher = new GrowingBuffer<float>();
        var labels = new GrowingBuffer<int>();
        var hints = new GrowingBuffer<float>();
        using (var cursor = input.GetRowCursor(active))
        {
            var fGetter = cursor.GetGetter<VBuffer<float>>(schema[options.FeatureColumnName]);
            var tGetter = cursor.GetGetter<VBuffer<float>>(schema[logitsColumn?.Name ?? softColumn!.Value.Name]);
            var labelGetter = labelColumn is { } lab2 ? LabelReader.Create(cursor, lab2) : null;
            var hGetter = hintSchemaColumn is { } hc2 ? cursor.GetGetter<VBuffer<float>>(hc2) : null;
            VBuffer<float> buffer = default;
            float label = 0;
            while (cursor.MoveNext())
            {
                fGetter(ref buffer);
                buffer.CopyTo(x.Append(d));
                tGetter(ref buffer);
                Span<float> t = teacher.Append(k);
                buffer.CopyTo(t);
                if (logitsColumn is null)
                {
                    // Soft labels at T = 1: their logarithms are logits up to a constant, which softmax ignores.
                    for (int i = 0; i < k; i++)
                    {
                        t[i] = MathF.Log(MathF.Max(t[i], 1e-30f));
                    }
                }

                if (labelGetter is not null)
                {
                    labelGetter(ref label);
                    labels.Append(1)[0] = float.IsNaN(label) ? -1 : (int)label;
                }

                if (hGetter is not null)
                {
                    hGetter(ref buffer);
                    buffer.CopyTo(hints.Append(hintSize));
                }
            }
        }

        if (x.Count == 0)
        {
            throw new InvalidDataException("The training data has no rows.");
        }

        return WithTargets(input, options, x, d, k, teacher, labelColumn is null ? null : labels, hintColumn is null ? null : hints, hintSize);
    }

    /// <summary>
    /// Reads a regression student's data: features, the teacher's prediction and the target (NaN where missing), both
    /// standardized by the teacher predictions' mean and deviation, which are returned to be folded back into the model.
    /// </summary>
    public static (MlpTrainingData Data, float Mean, float Deviation) ReadRegression(IDataView input, MlpStudentOptions options)
    {
        var schema = input.Schema;
        var features = VectorColumn(schema, options.FeatureColumnName, "feature");
        if (options.TeacherLogitsColumnNames.Count > 0)
        {
            throw new ArgumentException("A regression student learns from one teacher's prediction column (TeacherScoreColumnName); TeacherLogitsColumnNames is for classification students.");
        }

        var teacherColumn = schema.GetColumnOrNull(options.TeacherScoreColumnName)
            ?? throw new ArgumentException($"The teacher prediction column '{options.TeacherScoreColumnName}' is not in the data. Score the data with a regression teacher (mlContext.Transforms.ScoreWithTeacher adds 'TeacherScore'), or set TeacherScoreColumnName. Columns present: {ColumnNameList.Format(schema)}.");
        if (teacherColumn.Type != NumberDataViewType.Single)
        {
            throw new ArgumentException($"The teacher prediction column '{teacherColumn.Name}' holds {teacherColumn.Type}; a regression student needs a Single (one prediction per row).");
        }

        DataViewSchema.Column? labelColumn = schema.GetColumnOrNull(options.LabelColumnName);
        if (labelColumn is { } lc && lc.Type != NumberDataViewType.Single)
        {
            throw new ArgumentException($"The label column '{lc.Name}' holds {lc.Type}; a regression target must be a Single (convert it with mlContext.Transforms.Conversion.ConvertType).");
        }

        var hintSchemaColumn = options.HintColumnName is { } hn ? schema[hn] : (DataViewSchema.Column?)null;
        int hintSize = options.HintColumnName is { } h ? VectorColumn(schema, h, "hint").Size : 0;
        var active = ActiveColumns(schema[options.FeatureColumnName], teacherColumn, labelColumn, hintSchemaColumn);

        int d = features.Size;
        var x = new GrowingBuffer<float>();
        var teacher = new GrowingBuffer<float>();
        var targets = new GrowingBuffer<float>();
        var hints = new GrowingBuffer<float>();
        using (var cursor = input.GetRowCursor(active))
        {
            var fGetter = cursor.GetGetter<VBuffer<float>>(schema[options.FeatureColumnName]);
            var tGetter = cursor.GetGetter<float>(teacherColumn);
            var yGetter = labelColumn is { } l2 ? cursor.GetGetter<float>(l2) : null;
            var hGetter = hintSchemaColumn is { } hc2 ? cursor.GetGetter<VBuffer<float>>(hc2) : null;
            VBuffer<float> buffer = default;
            float value = 0;
            while (cursor.MoveNext())
            {
                fGetter(ref buffer);
                buffer.CopyTo(x.Append(d));
                tGetter(ref value);
                teacher.Append(1)[0] = value;
                if (yGetter is not null)
                {
                    yGetter(ref value);
                    targets.Append(1)[0] = value;
                }

                if (hGetter is not null)
                {
                    hGetter(ref buffer);
                    buffer.CopyTo(hints.Append(hintSize));
                }
            }
        }

        if (x.Count == 0)
        {
            throw new InvalidDataException("The training data has no rows.");
        }

        float[] t = teacher.ToArray();
        var (y, mean, deviation) = Standardize(t, targets);
        var data = new MlpTrainingData(x.ToArray(), d, 1, default, default, t, hintSize > 0 ? hints.ToArray() : default, hintSize, y);
        return (data, mean, deviation);
    }

    /// <summary>The columns a reading cursor needs: features, the teacher's output, and the label and hint when present.</summary>
    private static List<DataViewSchema.Column> ActiveColumns(DataViewSchema.Column features, DataViewSchema.Column teacher, DataViewSchema.Column? label, DataViewSchema.Column? hint)
    {
        var active = new List<DataViewSchema.Column> { features, teacher };
        if (label is { } l)
        {
            active.Add(l);
        }

        if (hint is { } h)
        {
            active.Add(h);
        }

        return active;
    }

    /// <summary>
    /// A classification student's data from the rows read: the teacher's softmax at the temperature beside its logits,
    /// or, with several teachers, their combined targets.
    /// </summary>
    private static MlpTrainingData WithTargets(IDataView input, MlpStudentOptions options, GrowingBuffer<float> x, int d, int k, GrowingBuffer<float> teacher,
        GrowingBuffer<int>? labels, GrowingBuffer<float>? hints, int hintSize)
    {
        float temperature = options.Network.Temperature;
        if (options.TeacherLogitsColumnNames.Count > 0)
        {
            return new MlpTrainingData(x.ToArray(), d, k, MultiTeacherTargets(input, options, k, temperature), labels is null ? default : labels.ToArray(), default,
                hints is null ? default : hints.ToArray(), hintSize);
        }

        float[] logits = teacher.ToArray();
        float[] soft = new float[logits.Length];
        for (int r = 0; r < logits.Length / k; r++)
        {
            SoftLabelMath.Softmax(logits.AsSpan(r * k, k), temperature, soft.AsSpan(r * k, k));
        }

        return new MlpTrainingData(x.ToArray(), d, k, soft, labels is null ? default : labels.ToArray(), logits, hints is null ? default : hints.ToArray(), hintSize);
    }

    /// <summary>
    /// Checks the teacher's predictions are finite, then standardizes them and the targets (in place) by the
    /// predictions' mean and deviation (1 when they are all equal).
    /// </summary>
    private static (float[] Targets, float Mean, float Deviation) Standardize(float[] t, GrowingBuffer<float> targets)
    {
        for (int r = 0; r < t.Length; r++)
        {
            if (!float.IsFinite(t[r]))
            {
                throw new ArgumentException($"The teacher's prediction in row {r} is {t[r]}; every teacher prediction must be a finite number.");
            }
        }

        float mean = System.Numerics.Tensors.TensorPrimitives.Sum(t) / t.Length;
        double squares = 0;
        foreach (float v in t)
        {
            squares += (double)(v - mean) * (v - mean);
        }

        float deviation = (float)Math.Sqrt(squares / t.Length);
        deviation = deviation > 0f ? deviation : 1f;
        float[] y = targets.ToArray();
        foreach (float[] values in (float[][])[t, y])
        {
            System.Numerics.Tensors.TensorPrimitives.Subtract(values, mean, values);
            System.Numerics.Tensors.TensorPrimitives.Divide(values, deviation, values);
        }

        return (y, mean, deviation);
    }

    private static float[] MultiTeacherTargets(IDataView input, MlpStudentOptions options, int classes, float temperature)
    {
        var names = options.TeacherLogitsColumnNames;
        var columns = new DataViewSchema.Column[names.Count];
        for (int t = 0; t < names.Count; t++)
        {
            int size = VectorColumn(input.Schema, names[t], $"teacher {t} logits").Size;
            if (size != classes)
            {
                throw new ArgumentException($"Teacher {t}'s logits column '{names[t]}' has {size} classes but the first teacher has {classes}; all teachers must predict the same classes.");
            }

            columns[t] = input.Schema[names[t]];
        }

        float[] weights = options.TeacherWeights ?? Enumerable.Repeat(1f, names.Count).ToArray();
        if (weights.Length != names.Count)
        {
            throw new ArgumentException($"TeacherWeights has {weights.Length} weights for {names.Count} teachers; give one weight per teacher.");
        }

        var perTeacher = new GrowingBuffer<float>[names.Count];
        for (int t = 0; t < perTeacher.Length; t++)
        {
            perTeacher[t] = new GrowingBuffer<float>();
        }

        using (var cursor = input.GetRowCursor(columns))
        {
            var getters = columns.Select(c => cursor.GetGetter<VBuffer<float>>(c)).ToArray();
            VBuffer<float> buffer = default;
            float[] logits = new float[classes];
            while (cursor.MoveNext())
            {
                for (int t = 0; t < getters.Length; t++)
                {
                    getters[t](ref buffer);
                    buffer.CopyTo(logits);
                    SoftLabelMath.Softmax(logits, temperature, perTeacher[t].Append(classes));
                }
            }
        }

        int rows = perTeacher[0].Count / classes;
        var combiner = new SoftLabels.MultiTeacherSoftLabels(classes, weights, options.WeightTeachersByConfidence ? SoftLabels.TeacherWeighting.Confidence : SoftLabels.TeacherWeighting.Fixed);
        float[] combined = new float[rows * classes];
        combiner.Combine(perTeacher.Select(b => (ReadOnlyMemory<float>)b.ToArray()).ToArray(), rows, combined);
        return combined;
    }

    private static VectorDataViewType VectorColumn(DataViewSchema schema, string name, string what)
    {
        var column = schema.GetColumnOrNull(name)
            ?? throw new ArgumentException($"The {what} column '{name}' is not in the data. Columns present: {ColumnNameList.Format(schema)}.");
        if (column.Type is not VectorDataViewType { ItemType: NumberDataViewType n, Size: > 0 } v || n != NumberDataViewType.Single)
        {
            throw new ArgumentException($"The {what} column '{name}' holds {column.Type}; it must be a vector of Single of known size.");
        }

        return v;
    }

    private static long CountRows(IDataView input)
    {
        long n = 0;
        using var cursor = input.GetRowCursor([]);
        while (cursor.MoveNext())
        {
            n++;
        }

        return n;
    }

    /// <summary>A list of values appended in runs; given the final count up front, it allocates once and copies nothing.</summary>
    private sealed class GrowingBuffer<T>(int capacity = 1024)
    {
        private T[] _items = new T[Math.Max(capacity, 1)];

        public int Count { get; private set; }

        public Span<T> Append(int n)
        {
            if (Count + n > _items.Length)
            {
                Array.Resize(ref _items, Math.Max(_items.Length * 2, Count + n));
            }

            var span = _items.AsSpan(Count, n);
            Count += n;
            return span;
        }

        public T[] ToArray() => Count == _items.Length ? _items : _items.AsSpan(0, Count).ToArray();
    }
}
