using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;

namespace MLNetDistill.SoftLabels;

/// <summary>
/// A lazy view of teacher-scored rows whose <c>SoftLabels</c> column is recomputed at another temperature from the
/// <c>TeacherLogits</c> already scored, softmax(logits / T) per row (<see cref="MLNetDistill.Numerics.SoftLabelMath.Softmax"/>): a temperature
/// sweep reuses one teacher run instead of scoring the teacher again. Every other column is served as it is.
/// </summary>
internal sealed class TemperatureSoftLabelsDataView : DataViewBase
{
    private readonly IDataView _source;
    private readonly DataViewSchema.Column _logits;
    private readonly int _softIndex;
    private readonly int _classes;

    /// <param name="source">Scored rows with a <c>TeacherLogits</c> vector column (a <c>SoftLabels</c> column there is replaced in place).</param>
    /// <param name="temperature">The temperature, positive and finite.</param>
    public TemperatureSoftLabelsDataView(IDataView source, float temperature)
    {
        MLNetDistill.Numerics.SoftLabelMath.CheckTemperature(temperature, nameof(temperature));
        _source = source;
        Temperature = temperature;
        _logits = source.Schema.GetColumnOrNull(DataColumnNames.TeacherLogits) is { Type: VectorDataViewType { ItemType: NumberDataViewType, Size: >= 2 } v } logits && v.ItemType == NumberDataViewType.Single
            ? logits
            : throw new ArgumentException(
                $"Soft labels at T = {temperature} are recomputed from the teacher's '{DataColumnNames.TeacherLogits}' column, which these rows do not hold as a vector of at least 2 Single values: score them with the teacher (ScoreWithTeacher) or read a teacher cache (TeacherCache.Read), which keeps the logits. Columns present: {ColumnNameList.Format(source.Schema)}.",
                nameof(source));
        _classes = ((VectorDataViewType)_logits.Type).Size;
        var builder = new DataViewSchema.Builder();
        _softIndex = -1;
        foreach (var column in source.Schema)
        {
            if (column.IsHidden)
            {
                continue;
            }

            if (column.Name == DataColumnNames.SoftLabels)
            {
                _softIndex = builder.ToSchema().Count;
                builder.AddColumn(column.Name, _logits.Type, column.Annotations);
            }
            else
            {
                builder.AddColumn(column.Name, column.Type, column.Annotations);
            }
        }

        if (_softIndex < 0)
        {
            _softIndex = builder.ToSchema().Count;
            builder.AddColumn(DataColumnNames.SoftLabels, _logits.Type);
        }

        Schema = builder.ToSchema();
    }

    /// <summary>Gets the temperature of the soft labels served.</summary>
    public float Temperature { get; }

    public override DataViewSchema Schema { get; }

    public override long? GetRowCount() => _source.GetRowCount();

    protected override DataViewRowCursor GetRowCursorCore(bool[] active)
    {
        var needed = new List<DataViewSchema.Column>();
        for (int i = 0; i < active.Length; i++)
        {
            if (active[i] && i != _softIndex)
            {
                needed.Add(_source.Schema[Schema[i].Name]);
            }
        }

        if (active[_softIndex])
        {
            needed.Add(_logits);
        }

        return new Cursor(this, _source.GetRowCursor(needed));
    }

    private sealed class Cursor(TemperatureSoftLabelsDataView parent, DataViewRowCursor source) : DataViewRowCursor
    {
        private VBuffer<float> _logitsBuffer;
        private float[] _dense = [];

        public override long Position => source.Position;

        public override long Batch => source.Batch;

        public override DataViewSchema Schema => parent.Schema;

        public override bool IsColumnActive(DataViewSchema.Column column) =>
            column.Index == parent._softIndex ? source.IsColumnActive(parent._logits) : source.IsColumnActive(source.Schema[column.Name]);

        public override bool MoveNext() => source.MoveNext();

        public override ValueGetter<DataViewRowId> GetIdGetter() => source.GetIdGetter();

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (column.Index != parent._softIndex)
            {
                return source.GetGetter<TValue>(source.Schema[column.Name]);
            }

            var logits = source.GetGetter<VBuffer<float>>(parent._logits);
            int classes = parent._classes;
            float temperature = parent.Temperature;
            _dense = new float[classes];
            ValueGetter<VBuffer<float>> getter = (ref VBuffer<float> value) =>
            {
                logits(ref _logitsBuffer);
                _logitsBuffer.CopyTo(_dense); // dense copy: a sparse logits vector has implicit zeros
                var editor = VBufferEditor.Create(ref value, classes);
                MLNetDistill.Numerics.SoftLabelMath.Softmax(_dense, temperature, editor.Values);
                value = editor.Commit();
            };
            return (ValueGetter<TValue>)(Delegate)getter;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                source.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
