using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetDistill.Data;

/// <summary>Reads a label column of any common type as a 0-based class index (NaN when missing).</summary>
internal static class LabelReader
{
    public static bool CanRead(DataViewType type) =>
        type is KeyDataViewType || type == NumberDataViewType.Single || type == NumberDataViewType.Double
        || type == NumberDataViewType.Int32 || type == NumberDataViewType.Int64 || type == BooleanDataViewType.Instance;

    public static ValueGetter<float> Create(DataViewRow row, DataViewSchema.Column column)
    {
        var type = column.Type;
        if (type is KeyDataViewType)
        {
            var g = row.GetGetter<uint>(column);
            uint raw = 0;
            return (ref float v) => { g(ref raw); v = raw == 0 ? float.NaN : raw - 1; };
        }

        if (type == NumberDataViewType.Single)
        {
            return row.GetGetter<float>(column);
        }

        if (type == NumberDataViewType.Double)
        {
            var g = row.GetGetter<double>(column);
            double raw = 0;
            return (ref float v) => { g(ref raw); v = (float)raw; };
        }

        if (type == NumberDataViewType.Int32)
        {
            var g = row.GetGetter<int>(column);
            int raw = 0;
            return (ref float v) => { g(ref raw); v = raw; };
        }

        if (type == NumberDataViewType.Int64)
        {
            var g = row.GetGetter<long>(column);
            long raw = 0;
            return (ref float v) => { g(ref raw); v = raw; };
        }

        if (type == BooleanDataViewType.Instance)
        {
            var g = row.GetGetter<bool>(column);
            bool raw = false;
            return (ref float v) => { g(ref raw); v = raw ? 1 : 0; };
        }

        throw new ArgumentException($"Label column '{column.Name}' holds {type}; a class label must be a number, a bool or a key.");
    }
}
