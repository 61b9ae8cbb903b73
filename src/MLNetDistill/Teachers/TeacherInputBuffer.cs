using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using MLNetDistill.Data;
using MLNetDistill.Onnx;

namespace MLNetDistill.Teachers;

/// <summary>A batch buffer for one teacher input, filled row by row from a cursor column.</summary>
internal abstract class TeacherInputBuffer
{
    protected TeacherInputBuffer(TeacherGraphInput input, int batchSize)
    {
        Input = input;
        PerRow = checked((int)input.ElementsPerRow);
        BatchSize = batchSize;
    }

    public TeacherGraphInput Input { get; }

    public int PerRow { get; }

    public int BatchSize { get; }

    /// <summary>Checks that a column can feed an input; returns the raw item type.</summary>
    public static void CheckColumn(TeacherGraphInput input, DataViewSchema schema)
    {
        var column = schema.GetColumnOrNull(input.ColumnName)
            ?? throw new ArgumentException($"Column '{input.ColumnName}' for teacher input '{input.TeacherName}' is not in the data. Columns present: {ColumnNameList.Format(schema)}.");
        var itemType = column.Type is VectorDataViewType v ? v.ItemType : column.Type;
        if (itemType.RawType != ItemType(input.ElementType)?.RawType || itemType is KeyDataViewType)
        {
            throw new ArgumentException(TypeMismatch(input.ColumnName, column.Type.ToString() ?? column.Type.RawType.Name, input.TeacherName, input.ElementType));
        }

        long perRow = input.ElementsPerRow;
        int size = column.Type is VectorDataViewType vec ? vec.Size : 1;
        if (perRow > 0 && size != 0 && size != perRow)
        {
            string message = $"Column '{input.ColumnName}' has {size} values per row, which cannot map onto teacher input '{input.TeacherName}' of shape [batch, {string.Join(", ", input.RowShape)}] ({perRow} values per row).";
            string? label = size == perRow + 1 ? LabelCandidates.InSlotNames(column) : null;
            if (label is not null)
            {
                var error = new ArgumentException($"{message} Column '{label}' of the data looks like a label read as a feature: pass its name as the label column.");
                error.Data[LabelCandidates.ExceptionDataKey] = label;
                throw error;
            }

            if (size > perRow && SlotNames.Of(column) is { } features)
            {
                throw ExtraColumns(message, column, features, size, perRow);
            }

            string hint = size == perRow + 1 ? " That is one value too many: if a label column was read as a feature, pass its name as the label column." : string.Empty;
            throw new ArgumentException($"{message}{hint} Pass a column of {perRow} values (a flat vector is reshaped), or the right teacher.");
        }
    }

    /// <summary>
    /// The error for a data file with more numeric columns than the teacher takes: names the columns that look like
    /// identifiers (or lists the feature columns) and says to leave them out; <see cref="NonFeatureCandidates.ExceptionDataKey"/>
    /// holds the names for a front end.
    /// </summary>
    private static ArgumentException ExtraColumns(string message, DataViewSchema.Column column, string[] features, long size, long perRow)
    {
        string[] ids = NonFeatureCandidates.InSlotNames(column);
        long extra = size - perRow;
        string counted = $"The data has {size} numeric columns besides the label but the teacher takes {perRow}";
        string detail = ids.Length > 0
            ? $"{counted}: {(ids.Length == 1 ? $"column '{ids[0]}' looks" : $"columns {string.Join(", ", ids.Select(n => $"'{n}'"))} look")} like an identifier, not a feature. " +
              $"Leave {(ids.Length == 1 ? "it" : "them")} out with the ignored columns (DataSourceReader.Load's ignoreColumns)" +
              (ids.Length == extra ? "." : $", and {extra - ids.Length} more that {(extra - ids.Length == 1 ? "is" : "are")} not a feature.")
            : $"{counted} ({extra} too many). If some are not features (an id, a row number, a date written as a number), leave them out with the ignored columns " +
              $"(DataSourceReader.Load's ignoreColumns). Feature columns read: {ColumnNameList.Format(features)}.";
        var error = new ArgumentException($"{message} {detail}");
        error.Data[NonFeatureCandidates.ExceptionDataKey] = string.Join(',', ids);
        return error;
    }

    public static TeacherInputBuffer Create(TeacherGraphInput input, DataViewRowCursor cursor, int batchSize) => input.ElementType switch
    {
        "float" => new Typed<float>(input, cursor, batchSize),
        "double" => new Typed<double>(input, cursor, batchSize),
        "int64" => new Typed<long>(input, cursor, batchSize),
        "int32" => new Typed<int>(input, cursor, batchSize),
        "bool" => new Typed<bool>(input, cursor, batchSize),
        "uint8" => new Typed<byte>(input, cursor, batchSize),
        _ => throw new ArgumentException($"Teacher input '{input.TeacherName}' has element type {input.ElementType}, which the scorer cannot feed."),
    };

    /// <summary>Copies the cursor's current row into <paramref name="slot"/>; returns the index of a NaN/infinite value, or -1.</summary>
    public abstract int ReadRow(int slot);

    /// <summary>Zeroes the slots from <paramref name="slot"/> on (padding for fixed-batch teachers).</summary>
    public abstract void Clear(int slot);

    public abstract OrtValue CreateValue(int rows);

    /// <summary>The ML.NET item type that feeds an ONNX element type, or null for one the scorer cannot feed.</summary>
    internal static DataViewType? ItemType(string elementType) => elementType switch
    {
        "float" => NumberDataViewType.Single,
        "double" => NumberDataViewType.Double,
        "int64" => NumberDataViewType.Int64,
        "int32" => NumberDataViewType.Int32,
        "bool" => BooleanDataViewType.Instance,
        "uint8" => NumberDataViewType.Byte,
        _ => null,
    };

    /// <summary>The error for a column whose item type cannot feed a teacher input, naming both and the conversion.</summary>
    internal static string TypeMismatch(string column, string columnType, string teacherInput, string elementType)
    {
        string kind = elementType switch
        {
            "double" => "Double",
            "int64" => "Int64",
            "int32" => "Int32",
            "bool" => "Boolean",
            "uint8" => "Byte",
            _ => "Single",
        };
        return $"Column '{column}' holds {columnType} but teacher input '{teacherInput}' takes {elementType} values. Convert the column first, e.g. with mlContext.Transforms.Conversion.ConvertType(\"{column}\", outputKind: DataKind.{kind}).";
    }

    private sealed class Typed<T> : TeacherInputBuffer
        where T : unmanaged
    {
        private readonly T[] _buffer;
        private readonly ValueGetter<VBuffer<T>>? _vectorGetter;
        private readonly ValueGetter<T>? _scalarGetter;
        private VBuffer<T> _row;

        public Typed(TeacherGraphInput input, DataViewRowCursor cursor, int batchSize)
            : base(input, batchSize)
        {
            _buffer = new T[checked(PerRow * batchSize)];
            var column = cursor.Schema[input.ColumnName];
            if (column.Type is VectorDataViewType)
            {
                _vectorGetter = cursor.GetGetter<VBuffer<T>>(column);
            }
            else
            {
                _scalarGetter = cursor.GetGetter<T>(column);
            }
        }

        public override int ReadRow(int slot)
        {
            var destination = _buffer.AsSpan(slot * PerRow, PerRow);
            if (_vectorGetter is not null)
            {
                _vectorGetter(ref _row);
                if (_row.Length != PerRow)
                {
                    throw new InvalidDataException($"A row of column '{Input.ColumnName}' has {_row.Length} values but teacher input '{Input.TeacherName}' takes {PerRow} per row.");
                }

                _row.CopyTo(destination);
            }
            else
            {
                _scalarGetter!(ref destination[0]);
            }

            if (typeof(T) == typeof(float))
            {
                return Numerics.SpanMath.FirstNonFinite(System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(destination));
            }

            if (typeof(T) == typeof(double))
            {
                var d = System.Runtime.InteropServices.MemoryMarshal.Cast<T, double>(destination);
                for (int i = 0; i < d.Length; i++)
                {
                    if (!double.IsFinite(d[i]))
                    {
                        return i;
                    }
                }
            }

            return -1;
        }

        public override void Clear(int slot) => _buffer.AsSpan(slot * PerRow).Clear();

        public override OrtValue CreateValue(int rows)
        {
            long[] shape = [rows, .. Input.RowShape];
            return OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _buffer.AsMemory(0, rows * PerRow), shape);
        }
    }
}
