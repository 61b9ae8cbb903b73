using Microsoft.ML;

namespace MLNetDistill.Data;

/// <summary>Lazily keeps the rows of one shard; see <see cref="ShardSpec.Apply"/>.</summary>
internal sealed class ShardFilterDataView : DataViewBase
{
    private readonly IDataView _source;
    private readonly ShardSpec _shard;

    public ShardFilterDataView(IDataView source, ShardSpec shard)
    {
        _source = source;
        _shard = shard;
    }

    public override DataViewSchema Schema => _source.Schema;

    public override long? GetRowCount() => _source.GetRowCount() is long rows ? _shard.RowsOf(rows) : null;

    protected override DataViewRowCursor GetRowCursorCore(bool[] active) => new Cursor(this, active, _source.GetRowCursor(ActiveColumns(active)));

    private sealed class Cursor : RowCursorBase, IFeatureBlockCursor
    {
        private readonly DataViewRowCursor _source;
        private readonly int _index;
        private readonly int _count;
        private long _sourceRow = -1;
        private float[] _features = [];
        private float[] _labels = [];

        public Cursor(ShardFilterDataView parent, bool[] active, DataViewRowCursor source)
            : base(parent.Schema, active)
        {
            _source = source;
            _index = parent._shard.Index;
            _count = parent._shard.Count;
        }

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            CheckColumn(column);
            if (!IsActive(column.Index))
            {
                throw new InvalidOperationException($"Column '{column.Name}' is not active in this cursor: include it in the columns passed to GetRowCursor.");
            }

            return _source.GetGetter<TValue>(column);
        }

        protected override bool MoveNextCore()
        {
            while (_source.MoveNext())
            {
                _sourceRow++;
                if (_sourceRow % _count == _index)
                {
                    return true;
                }
            }

            return false;
        }

        public bool CanReadBlocks => _source is IFeatureBlockCursor { CanReadBlocks: true };

        public int FeatureCount => ((IFeatureBlockCursor)_source).FeatureCount;

        public bool HasLabel => ((IFeatureBlockCursor)_source).HasLabel;

        /// <summary>Reads blocks of the source and keeps its rows with index mod n == i, in order.</summary>
        public int ReadBlock(Span<float> features, Span<float> labels, int maxRows)
        {
            var source = (IFeatureBlockCursor)_source;
            int width = source.FeatureCount;
            bool hasLabel = source.HasLabel;
            int done = 0;
            while (done < maxRows)
            {
                // The source rows up to and including the last one this block can take.
                long want = Math.Min((long)(maxRows - done) * _count, 1024);
                int sourceRows = (int)Math.Max(want, 1);
                if (_features.Length < sourceRows * width)
                {
                    _features = new float[sourceRows * width];
                    _labels = new float[sourceRows];
                }

                int read = source.ReadBlock(_features.AsSpan(0, sourceRows * width), hasLabel ? _labels.AsSpan(0, sourceRows) : [], sourceRows);
                if (read == 0)
                {
                    break;
                }

                for (int r = 0; r < read; r++)
                {
                    _sourceRow++;
                    if (_sourceRow % _count == _index)
                    {
                        _features.AsSpan(r * width, width).CopyTo(features[(done * width)..]);
                        if (hasLabel)
                        {
                            labels[done] = _labels[r];
                        }

                        done++;
                    }
                }
            }

            AdvanceBlock(done);
            return done;
        }

        protected override void DisposeCore() => _source.Dispose();
    }
}
