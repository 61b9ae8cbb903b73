using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;

namespace MLNetDistill.Students;

/// <summary>
/// Expands each source row into one row per kept class k, with label k (a key of K values) and weight p_k, where p is
/// the row's target distribution (soft labels, mixed with the hard label, pruned and renormalised). A trainer that
/// minimises weighted cross-entropy then minimises sum_k p_k * -log q_k, the distillation loss, exactly.
/// Lazy: the source row's columns are served once per kept class without copying feature vectors per class.
/// </summary>
internal sealed class SoftLabelExpansionDataView : DataViewBase
{
    private readonly IDataView _source;
    private readonly SoftLabelOptions _options;
    private readonly string _labelName;
    private readonly string _weightName;
    private readonly int _classes;
    private readonly Action<string>? _warn;
    private readonly bool _booleanLabel;

    public SoftLabelExpansionDataView(IDataView source, SoftLabelOptions options, string labelName, string weightName, Action<string>? warn, bool booleanLabel = false)
    {
        _booleanLabel = booleanLabel;
        _source = source;
        _options = options;
        _labelName = labelName;
        _weightName = weightName;
        _warn = warn;
        var soft = source.Schema.GetColumnOrNull(options.SoftLabelsColumnName)
            ?? throw new ArgumentException($"Soft-label column '{options.SoftLabelsColumnName}' is not in the data. Score the data with mlContext.Transforms.ScoreWithTeacher(...) or read a teacher cache (TeacherCache.Read) first. Columns present: {ColumnNameList.Format(source.Schema)}.");
        if (soft.Type is not VectorDataViewType { ItemType: NumberDataViewType, Size: >= 2 } v || v.ItemType != NumberDataViewType.Single)
        {
            throw new ArgumentException($"Soft-label column '{options.SoftLabelsColumnName}' holds {soft.Type}; it must be a vector of at least 2 Single probabilities of known size.");
        }

        _classes = v.Size;
        if (booleanLabel && _classes != 2)
        {
            throw new ArgumentException($"A binary student needs two-class soft labels but '{options.SoftLabelsColumnName}' has {_classes} classes; use a multiclass student.");
        }

        // Key k + 1 is the teacher's class k; its key values become the trained model's PredictedLabel key values
        // (ML.NET's multiclass trainers carry the label's key values), so MapKeyToValue works. A key label numbered
        // otherwise than the teacher's classes is an error here, at Fit.
        Classes = ClassValues.Resolve(source.Schema, options.SourceLabelColumnName, DataColumnNames.TeacherPredictedLabel, _classes);
        var builder = new DataViewSchema.Builder();
        foreach (var column in source.Schema)
        {
            if (column.Name != labelName && column.Name != weightName && !column.IsHidden)
            {
                builder.AddColumn(column.Name, column.Type, column.Annotations);
            }
        }

        if (booleanLabel)
        {
            builder.AddColumn(labelName, BooleanDataViewType.Instance);
        }
        else
        {
            builder.AddColumn(labelName, new KeyDataViewType(typeof(uint), _classes), Classes.KeyValueAnnotations());
        }

        builder.AddColumn(weightName, NumberDataViewType.Single);
        Schema = builder.ToSchema();
    }

    public override DataViewSchema Schema { get; }

    public int ClassCount => _classes;

    /// <summary>Gets the classes' values: the key values of the expanded label.</summary>
    public ClassValues Classes { get; }

    public override long? GetRowCount() => null;

    protected override DataViewRowCursor GetRowCursorCore(bool[] active) => new Cursor(this, active);

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly SoftLabelExpansionDataView _parent;
        private readonly DataViewRowCursor _source;
        private readonly ValueGetter<VBuffer<float>> _soft;
        private readonly ValueGetter<float>? _label;
        private readonly int[] _sourceIndex;
        private readonly bool[] _active;
        private readonly float[] _target;
        private readonly int[] _kept;
        private readonly int _labelIndex;
        private readonly int _weightIndex;
        private VBuffer<float> _softRow;
        private int _keptCount;
        private int _slot;
        private long _position = -1;
        private long _sourceRow = -1;
        private bool _warned;

        public Cursor(SoftLabelExpansionDataView parent, bool[] active)
        {
            _parent = parent;
            var schema = parent.Schema;
            _active = active;
            _sourceIndex = new int[schema.Count];
            var needed = new List<DataViewSchema.Column> { parent._source.Schema[parent._options.SoftLabelsColumnName] };
            var labelColumn = parent._source.Schema.GetColumnOrNull(parent._options.SourceLabelColumnName);
            if (labelColumn is { } lc && LabelReader.CanRead(lc.Type))
            {
                needed.Add(lc);
            }
            else
            {
                labelColumn = null;
            }

            _labelIndex = schema[parent._labelName].Index;
            _weightIndex = schema[parent._weightName].Index;
            for (int i = 0; i < schema.Count; i++)
            {
                _sourceIndex[i] = -1;
                if (i != _labelIndex && i != _weightIndex)
                {
                    var sourceColumn = parent._source.Schema[schema[i].Name];
                    _sourceIndex[i] = sourceColumn.Index;
                    if (_active[i])
                    {
                        needed.Add(sourceColumn);
                    }
                }
            }

            _source = parent._source.GetRowCursor(needed);
            _soft = _source.GetGetter<VBuffer<float>>(parent._source.Schema[parent._options.SoftLabelsColumnName]);
            _label = labelColumn is { } l ? LabelReader.Create(_source, l) : null;
            _target = new float[parent._classes];
            _kept = new int[parent._classes];
        }

        public override long Position => _position;

        public override long Batch => 0;

        public override DataViewSchema Schema => _parent.Schema;

        public override bool IsColumnActive(DataViewSchema.Column column) => _active[column.Index];

        public override bool MoveNext()
        {
            while (++_slot >= _keptCount)
            {
                if (!_source.MoveNext())
                {
                    if (_sourceRow < 0)
                    {
                        throw new InvalidDataException("The training data has no rows to learn soft labels from.");
                    }

                    if (_position < 0)
                    {
                        throw new InvalidDataException($"No rows are left after pruning: every target probability is below MinProbability {_parent._options.MinProbability}. Lower MinProbability or raise TopK.");
                    }

                    return false;
                }

                _sourceRow++;
                _slot = -1;
                PrepareTargets();
                _slot = 0;
                if (_keptCount > 0)
                {
                    break;
                }
            }

            _position++;
            return true;
        }

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (column.Index == _labelIndex && _parent._booleanLabel)
            {
                ValueGetter<bool> positive = (ref bool value) => value = _kept[_slot] == 1;
                return (ValueGetter<TValue>)(Delegate)positive;
            }

            if (column.Index == _labelIndex)
            {
                ValueGetter<uint> label = (ref uint value) => value = (uint)_kept[_slot] + 1;
                return (ValueGetter<TValue>)(Delegate)label;
            }

            if (column.Index == _weightIndex)
            {
                ValueGetter<float> weight = (ref float value) => value = _target[_kept[_slot]];
                return (ValueGetter<TValue>)(Delegate)weight;
            }

            return _source.GetGetter<TValue>(_source.Schema[_sourceIndex[column.Index]]);
        }

        public override ValueGetter<DataViewRowId> GetIdGetter()
        {
            var id = _source.GetIdGetter();
            return (ref DataViewRowId value) =>
            {
                id(ref value);
                value = value.Combine(new DataViewRowId((ulong)_slot, 0));
            };
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _source.Dispose();
            }

            base.Dispose(disposing);
        }

        private static bool AllNaN(ReadOnlySpan<float> values)
        {
            foreach (float v in values)
            {
                if (!float.IsNaN(v))
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>
        /// The current source row's target distribution over the kept classes: its soft labels checked and renormalised,
        /// mixed with its hard label, pruned to the TopK classes at or above MinProbability, and renormalised again.
        /// </summary>
        private void PrepareTargets()
        {
            ReadSoftLabels();
            if (AllNaN(_target))
            {
                // No soft label for this row (an LLM answer that named no class, skipped): its hard label alone, or nothing.
                KeepHardLabelOnly();
                return;
            }

            double sum = CheckedSum();
            float scale = MixHardLabel((float)(1 / sum));
            if (scale != 1f)
            {
                int k = _parent._classes;
                for (int c = 0; c < k; c++)
                {
                    _target[c] *= scale;
                }
            }

            KeepTopClasses();
            RenormaliseKept();
        }

        /// <summary>Copies the row's soft labels into the target buffer.</summary>
        private void ReadSoftLabels()
        {
            int k = _parent._classes;
            _soft(ref _softRow);
            if (_softRow.Length != k)
            {
                throw new InvalidDataException($"Row {_sourceRow} of '{_parent._options.SoftLabelsColumnName}' has {_softRow.Length} soft labels, not {k}.");
            }

            _softRow.CopyTo(_target);
        }

        /// <summary>A row without soft labels: its valid hard label with weight 1, or no class at all.</summary>
        private void KeepHardLabelOnly()
        {
            int k = _parent._classes;
            _keptCount = 0;
            float truth = float.NaN;
            _label?.Invoke(ref truth);
            if (!float.IsNaN(truth) && truth >= 0 && truth < k && truth == MathF.Floor(truth))
            {
                _kept[0] = (int)truth;
                _target[(int)truth] = 1f;
                _keptCount = 1;
            }
        }

        /// <summary>The soft labels' sum, after checking each is a finite probability and the sum positive; warns once when it is not 1.</summary>
        private double CheckedSum()
        {
            int k = _parent._classes;
            var options = _parent._options;
            double sum = 0;
            for (int c = 0; c < k; c++)
            {
                float p = _target[c];
                if (!(p >= 0f) || float.IsInfinity(p))
                {
                    throw new InvalidDataException($"Row {_sourceRow} of '{options.SoftLabelsColumnName}' has soft label {p} for class {c}; soft labels must be finite probabilities >= 0.");
                }

                sum += p;
            }

            if (sum <= 0)
            {
                throw new InvalidDataException($"Row {_sourceRow} of '{options.SoftLabelsColumnName}' has soft labels that sum to 0; they must be a probability distribution.");
            }

            if (Math.Abs(sum - 1) > 1e-3)
            {
                if (!_warned)
                {
                    _parent._warn?.Invoke($"Soft labels in '{options.SoftLabelsColumnName}' do not sum to 1 (row {_sourceRow} sums to {sum:G4}); they are renormalised.");
                    _warned = true;
                }
            }

            return sum;
        }

        /// <summary>
        /// With a hard label on the row: target = alpha * soft * <paramref name="scale"/> + (1 - alpha) * one-hot, already
        /// normalised, so the scale left to apply is 1; otherwise <paramref name="scale"/> is left to apply.
        /// </summary>
        private float MixHardLabel(float scale)
        {
            if (_label is not null)
            {
                int k = _parent._classes;
                float label = 0;
                _label(ref label);
                if (!float.IsNaN(label))
                {
                    if (label < 0 || label >= k || label != MathF.Floor(label))
                    {
                        throw new InvalidDataException($"Label {label} at row {_sourceRow} is outside the class range 0 to {k - 1} of the soft labels ({k} classes).");
                    }

                    float alpha = _parent._options.Alpha;
                    for (int c = 0; c < k; c++)
                    {
                        _target[c] *= scale * alpha;
                    }

                    _target[(int)label] += 1f - alpha;
                    scale = 1f;
                }
            }

            return scale;
        }

        /// <summary>Keeps the TopK most probable classes at or above MinProbability, most probable first.</summary>
        private void KeepTopClasses()
        {
            int k = _parent._classes;
            var options = _parent._options;
            _keptCount = 0;
            int limit = options.TopK == 0 ? k : Math.Min(options.TopK, k);
            for (int c = 0; c < k; c++)
            {
                float p = _target[c];
                if (p <= 0f || p < options.MinProbability)
                {
                    continue;
                }

                int pos = _keptCount < limit ? _keptCount++ : limit;
                if (pos == limit)
                {
                    if (p <= _target[_kept[limit - 1]])
                    {
                        continue;
                    }

                    pos = limit - 1;
                }

                while (pos > 0 && _target[_kept[pos - 1]] < p)
                {
                    _kept[pos] = _kept[pos - 1];
                    pos--;
                }

                _kept[pos] = c;
            }
        }

        /// <summary>Renormalises the kept classes' targets to sum to 1.</summary>
        private void RenormaliseKept()
        {
            double keptSum = 0;
            for (int i = 0; i < _keptCount; i++)
            {
                keptSum += _target[_kept[i]];
            }

            for (int i = 0; i < _keptCount; i++)
            {
                _target[_kept[i]] = (float)(_target[_kept[i]] / keptSum);
            }
        }
    }
}
