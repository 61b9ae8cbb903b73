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
internal sealed class TextTeacherScoringCursor : TeacherBatchCursor
{
    /// <summary>Batches per window when bucketing: a window this long is sorted by length before it is cut into batches.</summary>
    internal const int BucketBatches = 8;

    private readonly TextTeacher _text;
    private readonly DataViewRowCursor _source;
    private readonly int _batchSize;
    private readonly int _window;
    private readonly int _maxBatchTokens;
    private readonly ValueGetter<ReadOnlyMemory<char>> _getText;
    private readonly int[][] _tokens;
    private readonly int[] _lengths;
    private readonly long[] _order;
    private readonly string[] _inputNames;
    private readonly long[][] _inputs;
    private readonly float[][] _batchOutputs;
    private char[]? _scratch;
    private ReadOnlyMemory<char> _textValue;

    public TextTeacherScoringCursor(TeacherScoredDataView view, bool[] active)
        : base(view, active)
    {
        _text = Parent.Text!;
        var graph = Parent.Graph;
        var inputSchema = view.Source.Schema;
        _batchSize = Parent.Options.BatchSize;
        _maxBatchTokens = Parent.Options.MaxBatchTokens;
        _window = Parent.Options.LengthBucketing ? checked(_batchSize * BucketBatches) : _batchSize;
        if (view.Source.GetRowCount() is long rows && rows < _window)
        {
            _window = (int)Math.Max(rows, 1);
        }

        var textColumn = inputSchema[_text.TextColumn];
        _source = view.Source.GetRowCursor(NeededColumns([textColumn], out var labelColumn));
        _getText = _source.GetGetter<ReadOnlyMemory<char>>(textColumn);
        CreateSlots(_source, labelColumn, _window);
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

        var outputs = new float[graph.Outputs.Count][];
        _batchOutputs = new float[graph.Outputs.Count][];
        for (int o = 0; o < outputs.Length; o++)
        {
            outputs[o] = new float[checked(_window * OutputSizes[o])];
            _batchOutputs[o] = new float[checked(Math.Min(_batchSize, _window) * OutputSizes[o])];
        }

        Outputs = outputs;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _source.Dispose();
        }

        base.Dispose(disposing);
    }


    protected override bool FillBatch()
    {
        int n = 0;
        int maxTokens = _text.MaxTokens;
        while (n < _window)
        {
            if (!_source.MoveNext())
            {
                SourceDone = true;
                break;
            }

            SourceRow++;
            _getText(ref _textValue);
            ReadOnlySpan<char> text = _textValue.Span;
            if (text.IsWhiteSpace())
            {
                if (Parent.Options.RejectEmptyTexts)
                {
                    throw new InvalidDataException(
                        $"Row {SourceRow} of text column '{_text.TextColumn}' is empty or whitespace only, and RejectEmptyTexts is set. Remove such rows, or clear RejectEmptyTexts to score them (as the tokenizer's special tokens alone) and count them.");
                }

                Parent.CountEmptyText();
            }

            IReadOnlyList<int> ids = _text.Tokenizer.Encode(text, maxTokens, ref _scratch, out bool truncated);
            if (truncated)
            {
                Parent.CountTruncatedText();
            }

            int[] row = _tokens[n] ??= new int[maxTokens];
            int length = ids.Count;
            for (int t = 0; t < length; t++)
            {
                row[t] = ids[t];
            }

            _lengths[n] = length;
            KeepRow(n);
            n++;
        }

        if (n == 0)
        {
            return NoMoreRows();
        }

        // Sort the window by token count (stable: the row index breaks ties), or keep it as it is.
        for (int i = 0; i < n; i++)
        {
            _order[i] = Parent.Options.LengthBucketing ? ((long)_lengths[i] << 32) | (uint)i : i;
        }

        if (Parent.Options.LengthBucketing)
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

        Parent.CountScoredRows(n);
        Count = n;
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
        var outputValues = new OrtValue[Outputs.Length];
        OrtIoBinding? binding = null;
        try
        {
            for (int i = 0; i < _inputs.Length; i++)
            {
                inputValues[i] = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _inputs[i].AsMemory(0, cells), shape);
            }

            for (int o = 0; o < Outputs.Length; o++)
            {
                outputValues[o] = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _batchOutputs[o].AsMemory(0, rows * OutputSizes[o]), [rows, OutputSizes[o]]);
            }

            binding = Parent.Session.Bind(_inputNames, inputValues, OutputNames, outputValues);
            Parent.Session.RunBound(rows, binding);
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

        for (int o = 0; o < Outputs.Length; o++)
        {
            int size = OutputSizes[o];
            float[] from = _batchOutputs[o];
            float[] to = Outputs[o];
            for (int r = 0; r < rows; r++)
            {
                int row = (int)_order[start + r];
                from.AsSpan(r * size, size).CopyTo(to.AsSpan(row * size, size));
            }
        }
    }
}
