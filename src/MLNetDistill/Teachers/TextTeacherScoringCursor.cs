using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using MLNetDistill.SoftLabels;

namespace MLNetDistill.Teachers;

/// <summary>
/// The cursor of a text teacher: reads a window of rows, tokenizes each text once, orders the window by token count
/// (when bucketing), runs ONNX Runtime on batches each padded to its own longest row, puts the outputs back in input
/// order, then serves the rows one by one. Pass-through columns are captured per row as in <see cref="TeacherScoringCursor"/>.
/// </summary>
internal sealed class TextTeacherScoringCursor : DataViewRowCursor
{
    /// <summary>Batches per window when bucketing: a window this long is sorted by length before it is cut into batches.</summary>
    internal const int BucketBatches = 8;

    private readonly TeacherScoredDataView _view;
    private readonly TeacherScoringTransformer _parent;
    private readonly TextTeacher _text;
    private readonly DataViewRowCursor _source;
    private readonly bool[] _active;
    private readonly int _inputCount;
    private readonly int _batchSize;
    private readonly int _window;
    private readonly int _maxBatchTokens;
    private readonly ValueGetter<ReadOnlyMemory<char>> _getText;
    private readonly ValueGetter<float>? _label;
    private readonly ColumnSlots?[] _slots;
    private readonly ValueGetter<DataViewRowId> _sourceId;
    private readonly DataViewRowId[] _ids;
    private readonly int[][] _tokens;
    private readonly int[] _lengths;
    private readonly long[] _order;
    private readonly string[] _inputNames;
    private readonly long[][] _inputs;
    private readonly string[] _outputNames;
    private readonly int[] _outputSizes;
    private readonly float[][] _outputs;
    private readonly float[][] _batchOutputs;
    private readonly int _classes;
    private char[]? _scratch;
    private ReadOnlyMemory<char> _textValue;
    private int _count;
    private int _index = -1;
    private long _position = -1;
    private long _sourceRow = -1;
    private bool _sourceDone;

    public TextTeacherScoringCursor(TeacherScoredDataView view, bool[] active)
    {
        _view = view;
        _parent = view.Parent;
        _text = _parent.Text!;
        _active = active;
        var graph = _parent.Graph;
        var inputSchema = view.Source.Schema;
        _inputCount = inputSchema.Count;
        _batchSize = _parent.Options.BatchSize;
        _maxBatchTokens = _parent.Options.MaxBatchTokens;
        _window = _parent.Options.LengthBucketing ? checked(_batchSize * BucketBatches) : _batchSize;
        if (view.Source.GetRowCount() is long rows && rows < _window)
        {
            _window = (int)Math.Max(rows, 1);
        }

        _classes = graph.Classes;
        var textColumn = inputSchema[_text.TextColumn];
        var needed = new List<DataViewSchema.Column> { textColumn };
        var labelColumn = _parent.LabelColumn(inputSchema);
        if (labelColumn is { } lc)
        {
            needed.Add(lc);
        }

        for (int i = 0; i < _inputCount; i++)
        {
            if (active[i])
            {
                needed.Add(inputSchema[i]);
            }
        }

        _source = view.Source.GetRowCursor(needed);
        _getText = _source.GetGetter<ReadOnlyMemory<char>>(textColumn);
        if (labelColumn is { } label)
        {
            _label = LabelReader.Create(_source, label);
        }

        _slots = new ColumnSlots?[_inputCount];
        for (int i = 0; i < _inputCount; i++)
        {
            if (active[i])
            {
                _slots[i] = ColumnSlots.Create(_source, inputSchema[i], _window);
            }
        }

        _sourceId = _source.GetIdGetter();
        _ids = new DataViewRowId[_window];
        _tokens = new int[_window][];
        _lengths = new int[_window];
        _order = new long[_window];

        var names = new List<string> { _text.IdsInput };
        if (_text.MaskInput is { } mask)
        {
            names.Add(mask);
        }

        if (_text.TypesInput is { } types)
        {
            names.Add(types);
        }

        _inputNames = [.. names];
        int longestRow = _text.FixedSequence ?? _text.MaxTokens;
        int tokensPerCall = Math.Min(checked(_batchSize * longestRow), Math.Max(_maxBatchTokens, longestRow));
        _inputs = new long[_inputNames.Length][];
        for (int i = 0; i < _inputs.Length; i++)
        {
            _inputs[i] = new long[tokensPerCall];
        }

        _outputNames = new string[graph.Outputs.Count];
        _outputSizes = new int[graph.Outputs.Count];
        _outputs = new float[graph.Outputs.Count][];
        _batchOutputs = new float[graph.Outputs.Count][];
        for (int o = 0; o < _outputs.Length; o++)
        {
            _outputNames[o] = graph.Outputs[o].Name;
            _outputSizes[o] = graph.Outputs[o].Size;
            _outputs[o] = new float[checked(_window * _outputSizes[o])];
            _batchOutputs[o] = new float[checked(Math.Min(_batchSize, _window) * _outputSizes[o])];
        }
    }

    public override long Position => _position;

    public override long Batch => 0;

    public override DataViewSchema Schema => _view.Schema;

    public override bool IsColumnActive(DataViewSchema.Column column) => _active[column.Index];

    public override bool MoveNext()
    {
        if (_index + 1 < _count)
        {
            _index++;
            _position++;
            return true;
        }

        if (_sourceDone || !FillWindow())
        {
            _count = 0;
            return false;
        }

        _index = 0;
        _position++;
        return true;
    }

    public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId id) => id = _ids[_index];

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        if (!_active[column.Index])
        {
            throw new InvalidOperationException($"Column '{column.Name}' was not requested when the cursor was made.");
        }

        if (column.Index < _inputCount)
        {
            return (ValueGetter<TValue>)_slots[column.Index]!.GetGetter(() => _index);
        }

        string name = column.Name;
        if (name == _parent.Options.PredictedLabelColumnName && _parent.Graph.Task != TeacherTask.Regression)
        {
            float[] logits = _outputs[0];
            ValueGetter<uint> predicted = (ref uint value) =>
                value = (uint)SoftLabelMath.ArgMax(logits.AsSpan(_index * _classes, _classes)) + 1;
            return (ValueGetter<TValue>)(Delegate)predicted;
        }

        int o = Array.IndexOf(_outputNames, name);
        float[] buffer = _outputs[o];
        int size = _outputSizes[o];
        if (typeof(TValue) == typeof(float))
        {
            ValueGetter<float> scalar = (ref float value) => value = buffer[_index];
            return (ValueGetter<TValue>)(Delegate)scalar;
        }

        ValueGetter<VBuffer<float>> vector = (ref VBuffer<float> value) =>
        {
            var editor = VBufferEditor.Create(ref value, size);
            buffer.AsSpan(_index * size, size).CopyTo(editor.Values);
            value = editor.Commit();
        };
        return (ValueGetter<TValue>)(Delegate)vector;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _source.Dispose();
        }

        base.Dispose(disposing);
    }

    private bool FillWindow()
    {
        int n = 0;
        int maxTokens = _text.MaxTokens;
        while (n < _window)
        {
            if (!_source.MoveNext())
            {
                _sourceDone = true;
                break;
            }

            _sourceRow++;
            _getText(ref _textValue);
            ReadOnlySpan<char> text = _textValue.Span;
            if (text.IsWhiteSpace())
            {
                if (_parent.Options.RejectEmptyTexts)
                {
                    throw new InvalidDataException(
                        $"Row {_sourceRow} of text column '{_text.TextColumn}' is empty or whitespace only, and RejectEmptyTexts is set. Remove such rows, or clear RejectEmptyTexts to score them (as [CLS] [SEP]) and count them.");
                }

                _parent.CountEmptyText();
            }

            IReadOnlyList<int> ids = _text.Tokenizer.Encode(text, maxTokens, ref _scratch, out bool truncated);
            if (truncated)
            {
                _parent.CountTruncatedText();
            }

            int[] row = _tokens[n] ??= new int[maxTokens];
            int length = ids.Count;
            for (int t = 0; t < length; t++)
            {
                row[t] = ids[t];
            }

            _lengths[n] = length;
            if (_label is not null)
            {
                CheckLabel();
            }

            for (int i = 0; i < _slots.Length; i++)
            {
                _slots[i]?.Capture(n);
            }

            _sourceId(ref _ids[n]);
            n++;
        }

        if (n == 0)
        {
            if (_position < 0 && _sourceRow < 0)
            {
                throw new InvalidDataException("The input data has no rows, so there is nothing for the teacher to score. Check the data file and any filter before the teacher.");
            }

            return false;
        }

        // Sort the window by token count (stable: the row index breaks ties), or keep it as it is.
        for (int i = 0; i < n; i++)
        {
            _order[i] = _parent.Options.LengthBucketing ? ((long)_lengths[i] << 32) | (uint)i : i;
        }

        if (_parent.Options.LengthBucketing)
        {
            Array.Sort(_order, 0, n);
        }

        int start = 0;
        while (start < n)
        {
            int rows = 0;
            int longest = 0;
            while (start + rows < n && rows < _batchSize)
            {
                int next = Math.Max(longest, _lengths[(int)_order[start + rows]]);
                int padded = _text.FixedSequence ?? next;
                if (rows > 0 && (long)(rows + 1) * padded > _maxBatchTokens)
                {
                    break;
                }

                longest = next;
                rows++;
            }

            RunBatch(start, rows, _text.FixedSequence ?? Math.Max(longest, 1));
            start += rows;
        }

        _parent.CountScoredRows(n);
        _count = n;
        return true;
    }

    /// <summary>Runs the rows <c>_order[start .. start + rows)</c> padded to <paramref name="sequence"/> tokens, and puts their outputs in place.</summary>
    private void RunBatch(int start, int rows, int sequence)
    {
        int pad = _text.Tokenizer.PadId;
        int cells = rows * sequence;
        Span<long> ids = _inputs[0].AsSpan(0, cells);
        Span<long> mask = _text.MaskInput is null ? default : _inputs[1].AsSpan(0, cells);
        for (int r = 0; r < rows; r++)
        {
            int row = (int)_order[start + r];
            int length = _lengths[row];
            ReadOnlySpan<int> tokens = _tokens[row].AsSpan(0, length);
            Span<long> idRow = ids.Slice(r * sequence, sequence);
            for (int t = 0; t < length; t++)
            {
                idRow[t] = tokens[t];
            }

            idRow[length..].Fill(pad);
            if (!mask.IsEmpty)
            {
                Span<long> maskRow = mask.Slice(r * sequence, sequence);
                maskRow[..length].Fill(1);
                maskRow[length..].Clear();
            }
        }

        if (_text.TypesInput is not null)
        {
            _inputs[^1].AsSpan(0, cells).Clear();
        }

        long[] shape = [rows, sequence];
        var inputValues = new OrtValue[_inputs.Length];
        var outputValues = new OrtValue[_outputs.Length];
        OrtIoBinding? binding = null;
        try
        {
            for (int i = 0; i < _inputs.Length; i++)
            {
                inputValues[i] = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _inputs[i].AsMemory(0, cells), shape);
            }

            for (int o = 0; o < _outputs.Length; o++)
            {
                outputValues[o] = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _batchOutputs[o].AsMemory(0, rows * _outputSizes[o]), [rows, _outputSizes[o]]);
            }

            binding = _parent.Session.Bind(_inputNames, inputValues, _outputNames, outputValues);
            _parent.Session.RunBound(rows, binding);
        }
        finally
        {
            binding?.Dispose();
            foreach (var v in inputValues)
            {
                v?.Dispose();
            }

            foreach (var v in outputValues)
            {
                v?.Dispose();
            }
        }

        for (int o = 0; o < _outputs.Length; o++)
        {
            int size = _outputSizes[o];
            float[] from = _batchOutputs[o];
            float[] to = _outputs[o];
            for (int r = 0; r < rows; r++)
            {
                int row = (int)_order[start + r];
                from.AsSpan(r * size, size).CopyTo(to.AsSpan(row * size, size));
            }
        }
    }

    private void CheckLabel()
    {
        float label = 0;
        _label!(ref label);
        if (float.IsNaN(label))
        {
            return;
        }

        if (label < 0 || label >= _classes || label != MathF.Floor(label))
        {
            throw new InvalidDataException(
                $"Label {label} at row {_sourceRow} is not a class of the teacher: the teacher has {_classes} classes (0 to {_classes - 1}) but the labels go beyond that. Use a teacher trained on these classes, or check the label column.");
        }
    }
}
