using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetDistill.Teachers;

/// <summary>
/// Holds the values of one pass-through column for every row of a batch, because the batched cursor reads its
/// source ahead of the row it serves. Vectors are deep-copied; other values are immutable.
/// </summary>
internal abstract class ColumnSlots
{
    public static ColumnSlots Create(DataViewRowCursor source, DataViewSchema.Column column, int batchSize)
    {
        var type = column.Type is VectorDataViewType v
            ? typeof(VectorSlots<>).MakeGenericType(v.ItemType.RawType)
            : typeof(ScalarSlots<>).MakeGenericType(column.Type.RawType);
        return (ColumnSlots)Activator.CreateInstance(type, source, column, batchSize)!;
    }

    /// <summary>Copies the source's current value into a slot.</summary>
    public abstract void Capture(int slot);

    /// <summary>Gets a getter that serves the value in the slot <paramref name="currentSlot"/> returns.</summary>
    public abstract Delegate GetGetter(Func<int> currentSlot);

    private sealed class ScalarSlots<T>(DataViewRowCursor source, DataViewSchema.Column column, int batchSize) : ColumnSlots
    {
        private readonly ValueGetter<T> _getter = source.GetGetter<T>(column);
        private readonly T[] _values = new T[batchSize];

        public override void Capture(int slot) => _getter(ref _values[slot]);

        public override Delegate GetGetter(Func<int> currentSlot) => (ValueGetter<T>)((ref T value) => value = _values[currentSlot()]);
    }

    private sealed class VectorSlots<T>(DataViewRowCursor source, DataViewSchema.Column column, int batchSize) : ColumnSlots
    {
        private readonly ValueGetter<VBuffer<T>> _getter = source.GetGetter<VBuffer<T>>(column);
        private readonly VBuffer<T>[] _values = new VBuffer<T>[batchSize];
        private VBuffer<T> _scratch;

        public override void Capture(int slot)
        {
            _getter(ref _scratch);
            _scratch.CopyTo(ref _values[slot]);
        }

        public override Delegate GetGetter(Func<int> currentSlot) => (ValueGetter<VBuffer<T>>)((ref VBuffer<T> value) => _values[currentSlot()].CopyTo(ref value));
    }
}
