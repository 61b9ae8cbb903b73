using System.Buffers;
using System.Numerics;
using Parquet;
using Parquet.Schema;

namespace MLNetDistill.Data;

/// <summary>Reads numeric Parquet columns, one row group at a time, as Single; shared by the feature and cache readers.</summary>
/// <remarks>
/// Parquet.Net is asynchronous; an <see cref="Microsoft.ML.IDataView"/> cursor is not. These helpers block on the file
/// reads, which run on the thread pool and need no synchronization context.
/// </remarks>
internal static class ParquetColumns
{
    /// <summary>Whether a column can be read as a number: a top-level, non-repeated field of a numeric type.</summary>
    public static bool IsNumeric(DataField field) =>
        !field.IsArray && field.MaxRepetitionLevel == 0 && Type.GetTypeCode(field.ClrType) is
            TypeCode.Single or TypeCode.Double or TypeCode.SByte or TypeCode.Byte or TypeCode.Int16 or TypeCode.UInt16 or
            TypeCode.Int32 or TypeCode.UInt32 or TypeCode.Int64 or TypeCode.UInt64 or TypeCode.Decimal;

    /// <summary>
    /// Opens a Parquet file, turning a non-Parquet or damaged file into a clear error: the frame and footer are checked first
    /// (<see cref="ParquetFooter"/>), then each row group's declared row count against the file's size.
    /// </summary>
    public static ParquetReader Open(string path)
    {
        ParquetFooter.Validate(path);
        ParquetReader reader = Decode(path, "its footer", () => ParquetReader.CreateAsync(path).GetAwaiter().GetResult());
        try
        {
            long bytes = new FileInfo(path).Length;
            long total = 0;
            for (int g = 0; g < reader.RowGroupCount; g++)
            {
                long rows = Decode(path, $"row group {g}", () => reader.RowGroups[g].RowCount);
                if (rows < 0 || rows > Array.MaxLength)
                {
                    throw new InvalidDataException(
                        $"'{path}' is not a readable Parquet file: row group {g} declares {rows} rows, expected 0 to {Array.MaxLength}. The file is damaged: write or download it again.");
                }

                total += rows;
                if (total > MaxRowsPerByte * bytes)
                {
                    throw new InvalidDataException(
                        $"'{path}' is not a readable Parquet file: its row groups declare {total} rows or more in {bytes} bytes, more than {MaxRowsPerByte} rows per byte even the most compressed data needs. " +
                        "The file is damaged: write or download it again.");
                }
            }

            return reader;
        }
        catch
        {
            Close(reader);
            throw;
        }
    }

    /// <summary>
    /// Runs one decoding step of Parquet.Net over <paramref name="path"/>; whatever a damaged file makes it throw (its own
    /// exceptions, Thrift and Snappy errors, index and overflow errors from bad offsets) becomes an <see cref="InvalidDataException"/>
    /// naming the file and <paramref name="what"/> was being read.
    /// </summary>
    public static T Decode<T>(string path, string what, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception ex) when (ex is not (OperationCanceledException or FileNotFoundException or UnauthorizedAccessException or OutOfMemoryException))
        {
            string detail = ex is ParquetException or IOException || ex.GetType().Name.Contains("Thrift", StringComparison.Ordinal)
                ? ex.Message.TrimEnd('.')
                : $"the Parquet decoder failed with {ex.GetType().Name}";
            throw new InvalidDataException(
                $"'{path}' is not a readable Parquet file: {what} could not be decoded ({detail}). The file is damaged or not completely written: write or download it again.",
                ex);
        }
    }

    /// <summary>The most rows a file may declare per byte of its size (64: an eighth of a bit per row, beyond any real encoding of real data).</summary>
    internal const long MaxRowsPerByte = 64;

    /// <summary>Disposes a reader from synchronous code.</summary>
    public static void Close(ParquetReader? reader) => reader?.DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>Reads the values of <paramref name="field"/> in a row group into <paramref name="destination"/> (one per row); nulls become NaN.</summary>
    public static void ReadAsSingle(ParquetRowGroupReader rowGroup, DataField field, Span<float> destination)
    {
        switch (Type.GetTypeCode(field.ClrType))
        {
            case TypeCode.Single: Read<float>(rowGroup, field, destination); break;
            case TypeCode.Double: Read<double>(rowGroup, field, destination); break;
            case TypeCode.SByte: Read<sbyte>(rowGroup, field, destination); break;
            case TypeCode.Byte: Read<byte>(rowGroup, field, destination); break;
            case TypeCode.Int16: Read<short>(rowGroup, field, destination); break;
            case TypeCode.UInt16: Read<ushort>(rowGroup, field, destination); break;
            case TypeCode.Int32: Read<int>(rowGroup, field, destination); break;
            case TypeCode.UInt32: Read<uint>(rowGroup, field, destination); break;
            case TypeCode.Int64: Read<long>(rowGroup, field, destination); break;
            case TypeCode.UInt64: Read<ulong>(rowGroup, field, destination); break;
            case TypeCode.Decimal: Read<decimal>(rowGroup, field, destination); break;
            default:
                throw new InvalidDataException($"Parquet column '{field.Name}' holds {field.ClrType.Name} values, not numbers.");
        }
    }

    /// <summary>Reads an Int32 column exactly (for class indices).</summary>
    public static void ReadInt32(ParquetRowGroupReader rowGroup, DataField field, Span<int> destination)
    {
        if (field.ClrType != typeof(int) || field.IsNullable)
        {
            throw new InvalidDataException($"Parquet column '{field.Name}' holds {(field.IsNullable ? "nullable " : string.Empty)}{field.ClrType.Name} values; expected non-null Int32.");
        }

        int[] buffer = ArrayPool<int>.Shared.Rent(destination.Length);
        try
        {
            rowGroup.ReadAsync<int>(field, buffer.AsMemory(0, destination.Length)).AsTask().GetAwaiter().GetResult();
            buffer.AsSpan(0, destination.Length).CopyTo(destination);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(buffer);
        }
    }

    private static void Read<T>(ParquetRowGroupReader rowGroup, DataField field, Span<float> destination)
        where T : struct, INumberBase<T>
    {
        int count = destination.Length;
        if (field.IsNullable)
        {
            T?[] nullable = ArrayPool<T?>.Shared.Rent(count);
            try
            {
                rowGroup.ReadAsync<T>(field, nullable.AsMemory(0, count)).AsTask().GetAwaiter().GetResult();
                for (int i = 0; i < count; i++)
                {
                    T? value = nullable[i];
                    destination[i] = value.HasValue ? float.CreateSaturating(value.GetValueOrDefault()) : float.NaN;
                }
            }
            finally
            {
                ArrayPool<T?>.Shared.Return(nullable);
            }

            return;
        }

        T[] values = ArrayPool<T>.Shared.Rent(count);
        try
        {
            rowGroup.ReadAsync<T>(field, values.AsMemory(0, count)).AsTask().GetAwaiter().GetResult();
            if (typeof(T) == typeof(float))
            {
                // Single columns (features written by Python or .NET) need no conversion: one bulk copy.
                System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(values.AsSpan(0, count)).CopyTo(destination);
                return;
            }

            for (int i = 0; i < count; i++)
            {
                destination[i] = float.CreateSaturating(values[i]);
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(values);
        }
    }
}
