using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Numerics;

namespace MLNetDistill.Data;

/// <summary>
/// Walks the rows of a teacher-scored view (TeacherLogits, SoftLabels, TeacherPredictedLabel, optional Label) and hands
/// out each row's values as spans, for the cache writers.
/// </summary>
internal sealed class ScoredRows : IDisposable
{
    private readonly DataViewRowCursor _cursor;
    private readonly ValueGetter<VBuffer<float>> _logitsGetter;
    private readonly ValueGetter<VBuffer<float>> _softGetter;
    private readonly Func<int>? _predGetter;
    private readonly Func<float>? _labelGetter;
    private readonly float[] _logits;
    private readonly float[] _soft;
    private VBuffer<float> _buffer;
    private readonly IScoredBlockCursor? _blocks;
    private readonly DataViewSchema.Column _logitsColumn;
    private readonly DataViewSchema.Column _softColumn;
    private readonly DataViewSchema.Column? _labelColumn;
    private int[] _blockPredicted = [];

    private ScoredRows(IDataView scored, int classes, DataViewSchema.Column logits, DataViewSchema.Column soft, DataViewSchema.Column? pred, DataViewSchema.Column? label)
    {
        Classes = classes;
        _logits = new float[classes];
        _soft = new float[classes];
        var needed = new List<DataViewSchema.Column> { logits, soft };
        if (pred is not null)
        {
            needed.Add(pred.Value);
        }

        if (label is not null)
        {
            needed.Add(label.Value);
        }

        _cursor = scored.GetRowCursor(needed);
        _logitsGetter = _cursor.GetGetter<VBuffer<float>>(logits);
        _softGetter = _cursor.GetGetter<VBuffer<float>>(soft);
        _predGetter = pred is null ? null : ClassIndexGetter(_cursor, pred.Value, classes);
        _labelGetter = label is null ? null : LabelGetter(_cursor, label.Value);
        HasLabel = label is not null;
        _logitsColumn = logits;
        _softColumn = soft;
        _labelColumn = label;

        // Blocks when the cursor gives every column that way; the predicted class is then the arg-max of the logits, which
        // is what a teacher's cursor computes for its predicted-label column.
        if (_cursor is IScoredBlockCursor blocks && blocks.CanReadBlock(logits) && blocks.CanReadBlock(soft)
            && (label is null || (label.Value.Type == NumberDataViewType.Single && blocks.CanReadBlock(label.Value))))
        {
            _blocks = blocks;
        }
    }

    /// <summary>K, the number of classes.</summary>
    public int Classes { get; }

    /// <summary>Whether rows carry a label.</summary>
    public bool HasLabel { get; }

    /// <summary>The current row's label (NaN when there is none).</summary>
    public float Label { get; private set; } = float.NaN;

    /// <summary>The current row's teacher logits.</summary>
    public ReadOnlySpan<float> Logits => _logits;

    /// <summary>The current row's soft labels.</summary>
    public ReadOnlySpan<float> Soft => _soft;

    /// <summary>The current row's predicted class, 0-based.</summary>
    public int Predicted { get; private set; }

    /// <summary>The rows so far with a label (not NaN).</summary>
    public long LabeledRows { get; private set; }

    /// <summary>The rows so far whose label is the predicted class: the teacher's accuracy, counted on the way.</summary>
    public long CorrectRows { get; private set; }

    /// <summary>Checks the schema of <paramref name="scored"/> and opens a cursor over it.</summary>
    /// <param name="scored">The teacher's output.</param>
    /// <param name="labelColumn">
    /// The label column to copy, or null for none. The default name <c>Label</c> is optional (no label is written when the
    /// view has none); any other name must exist.
    /// </param>
    public static ScoredRows Open(IDataView scored, string? labelColumn)
    {
        DataViewSchema schema = scored.Schema;
        DataViewSchema.Column logits = Require(schema, DataColumnNames.TeacherLogits);
        if (logits.Type is not VectorDataViewType { ItemType: NumberDataViewType, IsKnownSize: true } logitType || logitType.ItemType != NumberDataViewType.Single)
        {
            throw new ArgumentException(
                $"Column '{DataColumnNames.TeacherLogits}' is {logits.Type}; expected a vector of Single of known size (one logit per class).", nameof(scored));
        }

        int classes = logitType.Size;
        DataViewSchema.Column soft = Require(schema, DataColumnNames.SoftLabels);
        if (soft.Type is not VectorDataViewType softType || softType.ItemType != NumberDataViewType.Single || softType.Size != classes)
        {
            throw new ArgumentException(
                $"Column '{DataColumnNames.SoftLabels}' is {soft.Type}; expected a vector of {classes} Single values, like '{DataColumnNames.TeacherLogits}'.", nameof(scored));
        }

        DataViewSchema.Column? pred = schema.GetColumnOrNull(DataColumnNames.TeacherPredictedLabel);
        DataViewSchema.Column? label = null;
        if (labelColumn is not null)
        {
            label = schema.GetColumnOrNull(labelColumn);
            if (label is null && labelColumn != DataColumnNames.Label)
            {
                throw new ArgumentException(
                    $"Label column '{labelColumn}' is not in the scored data. Its columns are: {ColumnNameList.Format(schema)}. Pass one of these, or null for no label.",
                    nameof(labelColumn));
            }
        }

        return new ScoredRows(scored, classes, logits, soft, pred, label);
    }

    /// <summary>Gets whether <see cref="MoveNextBlock"/> can be used (else <see cref="MoveNext"/>).</summary>
    public bool HasBlocks => _blocks is not null;

    /// <summary>Gets the rows of the current block.</summary>
    public int BlockRows => _blocks!.BlockRows;

    /// <summary>Gets the current block's logits, rows x K.</summary>
    public ReadOnlySpan<float> BlockLogits => _blocks!.BlockColumn(_logitsColumn);

    /// <summary>Gets the current block's soft labels, rows x K.</summary>
    public ReadOnlySpan<float> BlockSoft => _blocks!.BlockColumn(_softColumn);

    /// <summary>Gets the current block's labels (empty without a label).</summary>
    public ReadOnlySpan<float> BlockLabels => _labelColumn is { } label ? _blocks!.BlockColumn(label) : [];

    /// <summary>Gets the current block's predicted classes, 0-based.</summary>
    public ReadOnlySpan<int> BlockPredicted => _blockPredicted.AsSpan(0, _blocks!.BlockRows);

    /// <summary>Moves to the next block of rows (only when <see cref="HasBlocks"/>); false at the end.</summary>
    public bool MoveNextBlock()
    {
        if (!_blocks!.MoveNextBlock())
        {
            return false;
        }

        int n = _blocks.BlockRows;
        if (_blockPredicted.Length < n)
        {
            _blockPredicted = new int[n];
        }

        ReadOnlySpan<float> logits = BlockLogits;
        ReadOnlySpan<float> labels = BlockLabels;
        for (int r = 0; r < n; r++)
        {
            int predicted = SoftLabelMath.ArgMax(logits.Slice(r * Classes, Classes));
            _blockPredicted[r] = predicted;
            if (!labels.IsEmpty && !float.IsNaN(labels[r]))
            {
                LabeledRows++;
                if (predicted == labels[r])
                {
                    CorrectRows++;
                }
            }
        }

        return true;
    }

    /// <summary>Moves to the next row and reads its values; false at the end.</summary>
    public bool MoveNext()
    {
        if (!_cursor.MoveNext())
        {
            return false;
        }

        Copy(_logitsGetter, _logits, DataColumnNames.TeacherLogits);
        Copy(_softGetter, _soft, DataColumnNames.SoftLabels);
        Predicted = _predGetter is null ? SoftLabelMath.ArgMax(_logits) : _predGetter();
        if (_labelGetter is not null)
        {
            Label = _labelGetter();
            if (!float.IsNaN(Label))
            {
                LabeledRows++;
                if (Predicted == Label)
                {
                    CorrectRows++;
                }
            }
        }

        return true;
    }

    /// <inheritdoc/>
    public void Dispose() => _cursor.Dispose();

    private void Copy(ValueGetter<VBuffer<float>> getter, float[] destination, string name)
    {
        getter(ref _buffer);
        if (_buffer.Length != destination.Length)
        {
            throw new InvalidDataException(
                $"Row {_cursor.Position} of column '{name}' has {_buffer.Length} values but the column type says {destination.Length}.");
        }

        _buffer.CopyTo(destination);
    }

    private static DataViewSchema.Column Require(DataViewSchema schema, string name) =>
        schema.GetColumnOrNull(name) ?? throw new ArgumentException(
            $"The scored data has no '{name}' column (its columns are: {ColumnNameList.Format(schema)}). " +
            "Score it with the teacher first (TeacherCatalog.ScoreWithTeacher), which adds TeacherLogits, SoftLabels and TeacherPredictedLabel.",
            "scored");

    private static Func<int> ClassIndexGetter(DataViewRowCursor cursor, DataViewSchema.Column column, int classes)
    {
        string name = column.Name;
        int Check(long value, long position) => value >= 0 && value < classes
            ? (int)value
            : throw new InvalidDataException($"Row {position} of '{name}' is class {value}, outside [0, {classes - 1}] for {classes} classes.");

        switch (column.Type)
        {
            case KeyDataViewType key when key.RawType == typeof(uint):
                {
                    ValueGetter<uint> getter = cursor.GetGetter<uint>(column);
                    uint value = 0;
                    return () =>
                    {
                        getter(ref value);
                        return Check((long)value - 1, cursor.Position);
                    };
                }

            case NumberDataViewType when column.Type.RawType == typeof(float):
                {
                    ValueGetter<float> getter = cursor.GetGetter<float>(column);
                    float value = 0;
                    return () =>
                    {
                        getter(ref value);
                        return Check(float.IsNaN(value) ? -1 : (long)value, cursor.Position);
                    };
                }

            case NumberDataViewType when column.Type.RawType == typeof(int):
                {
                    ValueGetter<int> getter = cursor.GetGetter<int>(column);
                    int value = 0;
                    return () =>
                    {
                        getter(ref value);
                        return Check(value, cursor.Position);
                    };
                }

            default:
                throw new ArgumentException(
                    $"Column '{name}' is {column.Type}; expected a key of UInt32 (1-based, as ML.NET predicts) or a Single or Int32 class index.", "scored");
        }
    }

    private static Func<float> LabelGetter(DataViewRowCursor cursor, DataViewSchema.Column column)
    {
        switch (column.Type)
        {
            case KeyDataViewType key when key.RawType == typeof(uint):
                {
                    ValueGetter<uint> getter = cursor.GetGetter<uint>(column);
                    uint value = 0;
                    return () =>
                    {
                        getter(ref value);
                        return value == 0 ? float.NaN : value - 1;
                    };
                }

            case NumberDataViewType when column.Type.RawType == typeof(float):
                {
                    ValueGetter<float> getter = cursor.GetGetter<float>(column);
                    float value = 0;
                    return () =>
                    {
                        getter(ref value);
                        return value;
                    };
                }

            case NumberDataViewType when column.Type.RawType == typeof(double):
                {
                    ValueGetter<double> getter = cursor.GetGetter<double>(column);
                    double value = 0;
                    return () =>
                    {
                        getter(ref value);
                        return (float)value;
                    };
                }

            case NumberDataViewType when column.Type.RawType == typeof(int):
                {
                    ValueGetter<int> getter = cursor.GetGetter<int>(column);
                    int value = 0;
                    return () =>
                    {
                        getter(ref value);
                        return value;
                    };
                }

            default:
                throw new ArgumentException(
                    $"Label column '{column.Name}' is {column.Type}; expected Single (a class index or regression target), Double, Int32 or a key.", "labelColumn");
        }
    }
}
