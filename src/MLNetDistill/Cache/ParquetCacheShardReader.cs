using Parquet;
using Parquet.Schema;
using MLNetDistill.Data;

namespace MLNetDistill.Cache;

/// <summary>Reads a Parquet teacher cache one row group at a time.</summary>
internal sealed class ParquetCacheShardReader : ICacheShardReader
{
    private readonly CacheShard _shard;
    private readonly CacheReadParts _parts;
    private readonly ParquetReader _reader;
    private readonly DataField? _labelField;
    private readonly DataField[] _logitFields;
    private readonly DataField[] _softFields;
    private readonly DataField _predField;
    private readonly float[][] _logitColumns;
    private readonly float[][] _softColumns;
    private readonly float[] _logits;
    private readonly float[] _soft;
    private float[] _labels = [];
    private int[] _predicted = [];
    private int _group = -1;
    private int _groupRows;
    private int _index = -1;

    public ParquetCacheShardReader(CacheShard shard, CacheReadParts parts)
    {
        _shard = shard;
        _parts = parts;
        int classes = shard.Metadata.Classes;
        _reader = ParquetColumns.Open(shard.Path);
        try
        {
            var fields = new Dictionary<string, DataField>(StringComparer.Ordinal);
            foreach (DataField field in ParquetColumns.Decode(shard.Path, "its schema", () => _reader.Schema.DataFields))
            {
                fields[field.Name] = field;
            }

            _labelField = shard.Metadata.HasLabel ? Field(fields, CacheColumns.Label, typeof(float)) : null;
            _logitFields = new DataField[classes];
            _softFields = new DataField[classes];
            for (int k = 0; k < classes; k++)
            {
                _logitFields[k] = Field(fields, CacheColumns.Logit(k), typeof(float));
                _softFields[k] = Field(fields, CacheColumns.Soft(k), typeof(float));
            }

            _predField = Field(fields, CacheColumns.Predicted, typeof(int));
            long rows = 0;
            for (int g = 0; g < _reader.RowGroupCount; g++)
            {
                rows += _reader.RowGroups[g].RowCount;
            }

            if (rows != shard.Metadata.Rows)
            {
                throw new InvalidDataException(
                    $"Teacher cache '{shard.Path}' holds {rows:N0} rows but its metadata records {shard.Metadata.Rows:N0}: the file is damaged. Re-run `mlnet-distill score`.");
            }
        }
        catch
        {
            ParquetColumns.Close(_reader);
            throw;
        }

        _logitColumns = parts.Logits ? NewColumns(classes) : [];
        _softColumns = parts.Soft ? NewColumns(classes) : [];
        _logits = parts.Logits ? new float[classes] : [];
        _soft = parts.Soft ? new float[classes] : [];
    }

    public float Label => _parts.Label ? _labels[_index] : float.NaN;

    public ReadOnlySpan<float> Logits => _logits;

    public ReadOnlySpan<float> Soft => _soft;

    public int Predicted => _parts.Predicted ? _predicted[_index] : 0;

    public bool MoveNext()
    {
        _index++;
        while (_group < 0 || _index >= _groupRows)
        {
            if (_group + 1 >= _reader.RowGroupCount)
            {
                return false;
            }

            LoadGroup(++_group);
        }

        for (int k = 0; k < _logits.Length; k++)
        {
            _logits[k] = _logitColumns[k][_index];
        }

        for (int k = 0; k < _soft.Length; k++)
        {
            _soft[k] = _softColumns[k][_index];
        }

        if (_parts.Predicted)
        {
            int predicted = _predicted[_index];
            if ((uint)predicted >= (uint)_shard.Metadata.Classes)
            {
                throw new InvalidDataException(
                    $"Teacher cache '{_shard.Path}' row group {_group}, row {_index}: teacher_pred is {predicted}, outside [0, {_shard.Metadata.Classes - 1}]. " +
                    "The file is damaged: re-run `mlnet-distill score`.");
            }
        }

        return true;
    }

    public void Dispose() => ParquetColumns.Close(_reader);

    private void LoadGroup(int group) =>
        ParquetColumns.Decode(_shard.Path, $"row group {group}", () =>
        {
            LoadGroupCore(group);
            return true;
        });

    private void LoadGroupCore(int group)
    {
        ParquetRowGroupReader rowGroup = _reader.OpenRowGroupReader(group);
        int rows = checked((int)rowGroup.RowCount);
        _groupRows = rows;
        _index = 0;
        if (_parts.Label)
        {
            Ensure(ref _labels, rows);
            ParquetColumns.ReadAsSingle(rowGroup, _labelField!, _labels.AsSpan(0, rows));
        }

        for (int k = 0; k < _logitColumns.Length; k++)
        {
            Ensure(ref _logitColumns[k], rows);
            ParquetColumns.ReadAsSingle(rowGroup, _logitFields[k], _logitColumns[k].AsSpan(0, rows));
        }

        for (int k = 0; k < _softColumns.Length; k++)
        {
            Ensure(ref _softColumns[k], rows);
            ParquetColumns.ReadAsSingle(rowGroup, _softFields[k], _softColumns[k].AsSpan(0, rows));
        }

        if (_parts.Predicted)
        {
            Ensure(ref _predicted, rows);
            ParquetColumns.ReadInt32(rowGroup, _predField, _predicted.AsSpan(0, rows));
        }
    }

    private DataField Field(Dictionary<string, DataField> fields, string name, Type type)
    {
        if (!fields.TryGetValue(name, out DataField? field))
        {
            throw new InvalidDataException(
                $"Teacher cache '{_shard.Path}' has no column '{name}' although its metadata ({_shard.Metadata.Classes} classes, " +
                $"{(_shard.Metadata.HasLabel ? "with" : "without")} label) calls for it: the file is damaged. Re-run `mlnet-distill score`.");
        }

        if (field.ClrType != type)
        {
            throw new InvalidDataException($"Teacher cache '{_shard.Path}' column '{name}' holds {field.ClrType.Name}; expected {type.Name}.");
        }

        return field;
    }

    private static float[][] NewColumns(int count)
    {
        float[][] columns = new float[count][];
        for (int i = 0; i < count; i++)
        {
            columns[i] = [];
        }

        return columns;
    }

    private static void Ensure<T>(ref T[] buffer, int length)
    {
        if (buffer.Length < length)
        {
            buffer = new T[length];
        }
    }
}
