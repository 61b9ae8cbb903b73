using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetDistill.Tests;

/// <summary>Small in-memory and lazy data views for tests.</summary>
internal static class TestData
{
    public static IDataView Vectors(MLContext ml, float[][] rows, float[]? labels = null, int? width = null)
    {
        int size = width ?? rows[0].Length;
        var schema = SchemaDefinition.Create(typeof(VectorRow));
        schema[nameof(VectorRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, size);
        var items = rows.Select((r, i) => new VectorRow { Features = r, Label = labels?[i] ?? float.NaN, Id = i }).ToArray();
        return ml.Data.LoadFromEnumerable(items, schema);
    }

    public sealed class VectorRow
    {
        public float[] Features { get; set; } = [];

        public float Label { get; set; }

        public int Id { get; set; }
    }
}

/// <summary>
/// A lazy view of <c>rows</c> rows of <c>width</c> deterministic floats that records how far its cursor has read,
/// to prove the scorer streams instead of loading everything.
/// </summary>
internal sealed class CountingDataView(long rows, int width) : IDataView
{
    public long Rows { get; } = rows;

    public int Width { get; } = width;

    public long MaxRowRead { get; private set; } = -1;

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; } = BuildSchema(width);

    public long? GetRowCount() => Rows;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) => new Cursor(this);

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) => [new Cursor(this)];

    private static DataViewSchema BuildSchema(int width)
    {
        var b = new DataViewSchema.Builder();
        b.AddColumn("Features", new VectorDataViewType(NumberDataViewType.Single, width));
        return b.ToSchema();
    }

    private sealed class Cursor(CountingDataView parent) : DataViewRowCursor
    {
        private long _position = -1;

        public override long Position => _position;

        public override long Batch => 0;

        public override DataViewSchema Schema => parent.Schema;

        public override bool IsColumnActive(DataViewSchema.Column column) => true;

        public override bool MoveNext()
        {
            if (_position + 1 >= parent.Rows)
            {
                return false;
            }

            _position++;
            parent.MaxRowRead = Math.Max(parent.MaxRowRead, _position);
            return true;
        }

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            ValueGetter<VBuffer<float>> g = (ref VBuffer<float> v) =>
            {
                var e = VBufferEditor.Create(ref v, parent.Width);
                for (int i = 0; i < parent.Width; i++)
                {
                    e.Values[i] = ((_position * 31 + i) % 255) / 255f;
                }

                v = e.Commit();
            };
            return (ValueGetter<TValue>)(Delegate)g;
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId id) => id = new DataViewRowId((ulong)_position, 0);
    }
}
