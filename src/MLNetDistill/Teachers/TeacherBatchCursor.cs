using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Numerics;
using MLNetDistill.Data;

namespace MLNetDistill.Teachers;

/// <summary>
/// What the teacher's cursors share: rows are read in batches (or windows) from the source, the teacher runs once per
/// batch into output buffers, and the rows are then served one by one. Pass-through columns are captured per row in
/// <see cref="ColumnSlots"/>; the teacher's columns are read from <see cref="Outputs"/> at each call, so a derived cursor
/// may swap the buffers between batches.
/// </summary>
/// <remarks>
/// <see cref="TeacherScoringCursor"/> fills a batch from numeric input columns, <see cref="TextTeacherScoringCursor"/>
/// fills a window from a text column through the teacher's tokenizer. Each implements <see cref="FillBatch"/> only.
/// </remarks>
internal abstract class TeacherBatchCursor : DataViewRowCursor
{
    private readonly TeacherScoredDataView _view;
    private readonly bool[] _active;
    private ValueGetter<DataViewRowId>? _sourceId;

    protected TeacherBatchCursor(TeacherScoredDataView view, bool[] active)
    {
        _view = view;
        _active = active;
        Parent = view.Parent;
        var graph = Parent.Graph;
        InputCount = view.Source.Schema.Count;
        Classes = graph.Classes;
        OutputNames = new string[graph.Outputs.Count];
        OutputSizes = new int[graph.Outputs.Count];
        for (int o = 0; o < OutputNames.Length; o++)
        {
            OutputNames[o] = graph.Outputs[o].Name;
            OutputSizes[o] = graph.Outputs[o].Size;
        }

        Slots = new ColumnSlots?[InputCount];
    }

    public override long Position => RowPosition;

    public override long Batch => 0;

    public override DataViewSchema Schema => _view.Schema;

    /// <summary>The transformer whose teacher scores the rows.</summary>
    protected TeacherScoringTransformer Parent { get; }

    /// <summary>The number of the source's columns (the teacher's columns come after them).</summary>
    protected int InputCount { get; }

    /// <summary>The teacher's class count.</summary>
    protected int Classes { get; }

    /// <summary>The teacher's output names, in the graph's order.</summary>
    protected string[] OutputNames { get; }

    /// <summary>The values per row of each output.</summary>
    protected int[] OutputSizes { get; }

    /// <summary>The current batch's outputs, <c>rows x OutputSizes[o]</c> each.</summary>
    protected float[][] Outputs { get; set; } = [];

    /// <summary>The pass-through columns' values of the current batch (null for a column not requested).</summary>
    protected ColumnSlots?[] Slots { get; }

    /// <summary>The source's row ids of the current batch.</summary>
    protected DataViewRowId[] Ids { get; set; } = [];

    /// <summary>The source's label, checked against the teacher's classes as rows are read; null without a label.</summary>
    protected ValueGetter<float>? Label { get; set; }

    /// <summary>Rows in the current batch.</summary>
    protected int Count { get; set; }

    /// <summary>The row of the current batch being served.</summary>
    protected int Index { get; set; } = -1;

    /// <summary>The cursor's position (-1 before the first row).</summary>
    protected long RowPosition { get; set; } = -1;

    /// <summary>The source row last read (-1 before the first), for messages.</summary>
    protected long SourceRow { get; set; } = -1;

    /// <summary>Set when the source has no more rows.</summary>
    protected bool SourceDone { get; set; }

    public override bool IsColumnActive(DataViewSchema.Column column) => _active[column.Index];

    /// <summary>Whether the source column <paramref name="index"/> was requested (it then passes through).</summary>
    protected bool IsActive(int index) => _active[index];

    public override bool MoveNext()
    {
        if (Index + 1 < Count)
        {
            Index++;
            RowPosition++;
            return true;
        }

        if (SourceDone || !FillBatch())
        {
            Count = 0;
            return false;
        }

        Index = 0;
        RowPosition++;
        return true;
    }

    public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId id) => id = Ids[Index];

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        if (!_active[column.Index])
        {
            throw new InvalidOperationException($"Column '{column.Name}' was not requested when the cursor was made.");
        }

        if (column.Index < InputCount)
        {
            return InputGetter<TValue>(column);
        }

        string name = column.Name;
        if (name == Parent.Options.PredictedLabelColumnName && Parent.Graph.Task != TeacherTask.Regression)
        {
            ValueGetter<uint> predicted = (ref uint value) =>
                value = (uint)SoftLabelMath.ArgMax(Outputs[0].AsSpan(Index * Classes, Classes)) + 1;
            return (ValueGetter<TValue>)(Delegate)predicted;
        }

        int o = Array.IndexOf(OutputNames, name);
        int size = OutputSizes[o];
        if (typeof(TValue) == typeof(float))
        {
            ValueGetter<float> scalar = (ref float value) => value = Outputs[o][Index];
            return (ValueGetter<TValue>)(Delegate)scalar;
        }

        ValueGetter<VBuffer<float>> vector = (ref VBuffer<float> value) =>
        {
            var editor = VBufferEditor.Create(ref value, size);
            Outputs[o].AsSpan(Index * size, size).CopyTo(editor.Values);
            value = editor.Commit();
        };
        return (ValueGetter<TValue>)(Delegate)vector;
    }

    /// <summary>Reads the next batch from the source and scores it; false when the source has no more rows.</summary>
    protected abstract bool FillBatch();

    /// <summary>The getter of a pass-through column; by default from its <see cref="Slots"/>.</summary>
    protected virtual ValueGetter<TValue> InputGetter<TValue>(DataViewSchema.Column column) =>
        (ValueGetter<TValue>)Slots[column.Index]!.GetGetter(() => Index);

    /// <summary>
    /// The source columns a cursor must read: <paramref name="teacherInputs"/>, the label the teacher checks (returned in
    /// <paramref name="labelColumn"/>, null without one) and every requested pass-through column.
    /// </summary>
    protected List<DataViewSchema.Column> NeededColumns(IEnumerable<DataViewSchema.Column> teacherInputs, out DataViewSchema.Column? labelColumn)
    {
        var schema = _view.Source.Schema;
        var needed = new List<DataViewSchema.Column>(teacherInputs);
        labelColumn = Parent.LabelColumn(schema);
        if (labelColumn is { } label)
        {
            needed.Add(label);
        }

        for (int i = 0; i < InputCount; i++)
        {
            if (_active[i])
            {
                needed.Add(schema[i]);
            }
        }

        return needed;
    }

    /// <summary>Makes the slots of the requested pass-through columns, <paramref name="rows"/> rows each, the ids' buffer and the id and label getters of <paramref name="source"/>.</summary>
    protected void CreateSlots(DataViewRowCursor source, DataViewSchema.Column? labelColumn, int rows)
    {
        var schema = _view.Source.Schema;
        for (int i = 0; i < InputCount; i++)
        {
            if (_active[i])
            {
                Slots[i] = ColumnSlots.Create(source, schema[i], rows);
            }
        }

        Ids = new DataViewRowId[rows];
        _sourceId = source.GetIdGetter();
        if (labelColumn is { } label)
        {
            Label = LabelReader.Create(source, label);
        }
    }

    /// <summary>
    /// Keeps the current source row as row <paramref name="row"/> of the batch: checks its label is one of the teacher's
    /// classes (a missing label passes), and keeps its id and pass-through values (after <see cref="CreateSlots"/>).
    /// </summary>
    protected void KeepRow(int row)
    {
        CheckLabel();
        for (int i = 0; i < Slots.Length; i++)
        {
            Slots[i]?.Capture(row);
        }

        _sourceId!(ref Ids[row]);
    }

    /// <summary>The end of the data: false, or an error when not one row was read (an empty input is a mistake, not an empty result).</summary>
    protected bool NoMoreRows()
    {
        if (RowPosition < 0 && SourceRow < 0)
        {
            throw new InvalidDataException("The input data has no rows, so there is nothing for the teacher to score. Check the data file and any filter before the teacher.");
        }

        return false;
    }

    private void CheckLabel()
    {
        if (Label is null)
        {
            return;
        }

        float label = 0;
        Label(ref label);
        if (float.IsNaN(label))
        {
            return;
        }

        if (label < 0 || label >= Classes || label != MathF.Floor(label))
        {
            throw new InvalidDataException(
                $"Label {label} at row {SourceRow} is not a class of the teacher: the teacher has {Classes} classes (0 to {Classes - 1}) but the labels go beyond that. Use a teacher trained on these classes, or check the label column.");
        }
    }
}
