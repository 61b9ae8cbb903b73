using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetDistill.Serving;

/// <summary>
/// Holds copies of one column's values for a batch of rows read ahead, so that the deferred rows of the batch can be handed
/// to the teacher together after the cursor has moved past them. Values are deep copies (vectors, text), never the
/// source cursor's buffers.
/// </summary>
internal abstract class RowValueCache
{
    protected RowValueCache(DataViewSchema.Column column) => Column = column;

    /// <summary>The source column.</summary>
    public DataViewSchema.Column Column { get; }

    /// <summary>A cache of <paramref name="column"/> read from <paramref name="row"/>, with room for <paramref name="capacity"/> rows.</summary>
    public static RowValueCache Create(DataViewRow row, DataViewSchema.Column column, int capacity)
    {
        var type = column.Type;
        Type cacheType = type switch
        {
            VectorDataViewType vector => typeof(VectorCache<>).MakeGenericType(vector.ItemType.RawType),
            _ when type.RawType == typeof(ReadOnlyMemory<char>) => typeof(TextCache),
            _ => typeof(ScalarCache<>).MakeGenericType(type.RawType),
        };
        return (RowValueCache)Activator.CreateInstance(cacheType, row, column, capacity)!;
    }

    /// <summary>Copies the source row's current value into <paramref name="slot"/>.</summary>
    public abstract void Store(int slot);

    /// <summary>A getter (a <c>ValueGetter</c> of the column's type) serving the value in the slot <paramref name="slot"/> returns.</summary>
    public abstract Delegate Getter(Func<int> slot);

    private sealed class ScalarCache<T> : RowValueCache
    {
        private readonly ValueGetter<T> _source;
        private readonly T[] _values;

        public ScalarCache(DataViewRow row, DataViewSchema.Column column, int capacity)
            : base(column)
        {
            _source = row.GetGetter<T>(column);
            _values = new T[capacity];
        }

        public override void Store(int slot) => _source(ref _values[slot]);

        public override Delegate Getter(Func<int> slot) => (ValueGetter<T>)((ref T value) => value = _values[slot()]);
    }

    private sealed class VectorCache<T> : RowValueCache
    {
        private readonly ValueGetter<VBuffer<T>> _source;
        private readonly VBuffer<T>[] _values;
        private VBuffer<T> _read;

        public VectorCache(DataViewRow row, DataViewSchema.Column column, int capacity)
            : base(column)
        {
            _source = row.GetGetter<VBuffer<T>>(column);
            _values = new VBuffer<T>[capacity];
        }

        public override void Store(int slot)
        {
            _source(ref _read);
            _read.CopyTo(ref _values[slot]);
        }

        public override Delegate Getter(Func<int> slot) => (ValueGetter<VBuffer<T>>)((ref VBuffer<T> value) => _values[slot()].CopyTo(ref value));
    }

    private sealed class TextCache : RowValueCache
    {
        private readonly ValueGetter<ReadOnlyMemory<char>> _source;
        private readonly ReadOnlyMemory<char>[] _values;
        private ReadOnlyMemory<char> _read;

        public TextCache(DataViewRow row, DataViewSchema.Column column, int capacity)
            : base(column)
        {
            _source = row.GetGetter<ReadOnlyMemory<char>>(column);
            _values = new ReadOnlyMemory<char>[capacity];
        }

        public override void Store(int slot)
        {
            _source(ref _read);
            _values[slot] = _read.ToArray();
        }

        public override Delegate Getter(Func<int> slot) => (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> value) => value = _values[slot()]);
    }
}
