using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetDistill.Tests.Data;

/// <summary>Reads columns of a view into lists, through a real cursor, for assertions.</summary>
public static class ViewRows
{
    public static List<float> Singles(IDataView view, string column)
    {
        DataViewSchema.Column col = view.Schema[column];
        var values = new List<float>();
        using DataViewRowCursor cursor = view.GetRowCursor([col]);
        ValueGetter<float> getter = cursor.GetGetter<float>(col);
        float value = 0;
        while (cursor.MoveNext())
        {
            getter(ref value);
            values.Add(value);
        }

        return values;
    }

    public static List<uint> Keys(IDataView view, string column)
    {
        DataViewSchema.Column col = view.Schema[column];
        var values = new List<uint>();
        using DataViewRowCursor cursor = view.GetRowCursor([col]);
        ValueGetter<uint> getter = cursor.GetGetter<uint>(col);
        uint value = 0;
        while (cursor.MoveNext())
        {
            getter(ref value);
            values.Add(value);
        }

        return values;
    }

    public static List<float[]> Vectors(IDataView view, string column)
    {
        DataViewSchema.Column col = view.Schema[column];
        var values = new List<float[]>();
        using DataViewRowCursor cursor = view.GetRowCursor([col]);
        ValueGetter<VBuffer<float>> getter = cursor.GetGetter<VBuffer<float>>(col);
        VBuffer<float> value = default;
        while (cursor.MoveNext())
        {
            getter(ref value);
            values.Add(value.DenseValues().ToArray());
        }

        return values;
    }

    public static long Count(IDataView view)
    {
        using DataViewRowCursor cursor = view.GetRowCursor([]);
        long count = 0;
        while (cursor.MoveNext())
        {
            count++;
        }

        return count;
    }

    public static string[] ColumnNames(IDataView view) => [.. view.Schema.Select(c => c.Name)];
}
