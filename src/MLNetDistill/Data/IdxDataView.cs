using System.Numerics.Tensors;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetDistill.Data;

/// <summary>A lazy view over an IDX image file and its optional label file; see <see cref="IdxReader"/>.</summary>
internal sealed class IdxDataView : DataViewBase
{
    private readonly IdxFile _images;
    private readonly IdxFile? _labels;
    private readonly int _labelIndex;
    private readonly int _featuresIndex;

    public IdxDataView(IdxFile images, IdxFile? labels)
    {
        _images = images;
        _labels = labels;
        var builder = new DataViewSchema.Builder();
        _labelIndex = -1;
        if (labels is not null)
        {
            builder.AddColumn(DataColumnNames.Label, NumberDataViewType.Single);
            _labelIndex = 0;
        }

        builder.AddColumn(DataColumnNames.Features, new VectorDataViewType(NumberDataViewType.Single, images.ItemSize));
        _featuresIndex = labels is null ? 0 : 1;
        Schema = builder.ToSchema();
    }

    public override DataViewSchema Schema { get; }

    public override long? GetRowCount() => _images.Count;

    protected override DataViewRowCursor GetRowCursorCore(bool[] active) => new Cursor(this, active);

    private sealed class Cursor : RowCursorBase, IFeatureBlockCursor
    {
        private readonly IdxDataView _parent;
        private readonly Stream? _imageStream;
        private readonly Stream? _labelStream;
        private readonly byte[]? _pixels;
        private readonly ValueGetter<float> _labelGetter;
        private readonly ValueGetter<VBuffer<float>> _featuresGetter;
        private long _row = -1;
        private float _label;
        private byte[] _block = [];

        public Cursor(IdxDataView parent, bool[] active)
            : base(parent.Schema, active)
        {
            _parent = parent;
            try
            {
                if (active[parent._featuresIndex])
                {
                    _imageStream = parent._images.OpenData();
                    _pixels = new byte[parent._images.ItemSize];
                }

                if (parent._labels is not null && active[parent._labelIndex])
                {
                    _labelStream = parent._labels.OpenData();
                }
            }
            catch
            {
                _imageStream?.Dispose();
                throw;
            }

            _labelGetter = GetLabel;
            _featuresGetter = GetFeatures;
        }

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) =>
            column.Index == _parent._featuresIndex
                ? Getter<TValue, VBuffer<float>>(column, _featuresGetter)
                : Getter<TValue, float>(column, _labelGetter);

        protected override bool MoveNextCore()
        {
            if (_row + 1 >= _parent._images.Count)
            {
                return false;
            }

            _row++;
            if (_imageStream is not null)
            {
                IdxReader.ReadItems(_imageStream, _parent._images, _pixels, _row);
            }

            if (_labelStream is not null)
            {
                int value = _labelStream.ReadByte();
                if (value < 0)
                {
                    throw _parent._labels!.Truncated(_row);
                }

                _label = value;
            }

            return true;
        }

        public bool CanReadBlocks => _imageStream is not null;

        public int FeatureCount => _parent._images.ItemSize;

        public bool HasLabel => _labelStream is not null;

        public int ReadBlock(Span<float> features, Span<float> labels, int maxRows)
        {
            if (_imageStream is null)
            {
                throw new InvalidOperationException("The Features column is not active in this cursor: include it in the columns passed to GetRowCursor to read blocks.");
            }

            int size = _parent._images.ItemSize;
            int rows = (int)Math.Min(maxRows, _parent._images.Count - (_row + 1));
            if (rows <= 0)
            {
                AdvanceBlock(0);
                return 0;
            }

            int bytes = rows * size;
            if (_block.Length < bytes)
            {
                _block = new byte[bytes];
            }

            // One read for the block, then the same conversion the row getter makes (divide, not multiply by 1/255: the values match bit for bit).
            IdxReader.ReadItems(_imageStream, _parent._images, _block.AsSpan(0, bytes), _row + 1);
            Span<float> destination = features[..bytes];
            TensorPrimitives.ConvertTruncating<byte, float>(_block.AsSpan(0, bytes), destination);
            TensorPrimitives.Divide(destination, 255f, destination);
            if (_labelStream is not null)
            {
                Span<byte> raw = _block.AsSpan(0, rows);
                try
                {
                    _labelStream.ReadExactly(raw);
                }
                catch (Exception e) when (e is EndOfStreamException or InvalidDataException)
                {
                    throw _parent._labels!.Truncated(_row + 1, e);
                }

                TensorPrimitives.ConvertTruncating<byte, float>(raw, labels[..rows]);
            }

            _row += rows;
            AdvanceBlock(rows);
            return rows;
        }

        protected override void DisposeCore()
        {
            _imageStream?.Dispose();
            _labelStream?.Dispose();
        }

        private void GetLabel(ref float value)
        {
            CheckOnRow();
            value = _label;
        }

        private void GetFeatures(ref VBuffer<float> value)
        {
            CheckOnRow();
            VBufferEditor<float> editor = VBufferEditor.Create(ref value, _pixels!.Length);
            TensorPrimitives.ConvertTruncating<byte, float>(_pixels, editor.Values);
            TensorPrimitives.Divide(editor.Values, 255f, editor.Values);
            value = editor.Commit();
        }
    }
}
