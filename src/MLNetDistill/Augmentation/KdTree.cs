namespace MLNetDistill.Augmentation;

/// <summary>
/// An exact nearest-neighbour index over points (rows of a row-major array): a k-d tree split at the median of the widest
/// coordinate, built in O(n log n) (median by selection), queried by branch and bound.
/// </summary>
/// <remarks>Bentley 1975, "Multidimensional binary search trees used for associative searching"; Friedman, Bentley and Finkel 1977, "An algorithm for finding best matches in logarithmic expected time".</remarks>
internal sealed class KdTree
{
    private const int LeafSize = 8;

    private readonly float[] _points;
    private readonly int _width;
    private readonly int[] _order;
    private readonly List<Node> _nodes = [];

    /// <summary>Builds the tree over <paramref name="rows"/> points of <paramref name="width"/> coordinates.</summary>
    public KdTree(float[] points, int rows, int width)
    {
        _points = points;
        _width = width;
        _order = new int[rows];
        for (int i = 0; i < rows; i++)
        {
            _order[i] = i;
        }

        Build(0, rows);
    }

    /// <summary>The index of the point nearest (squared Euclidean) to point <paramref name="self"/>, other than itself; ties go to the lower index.</summary>
    public int NearestOther(int self)
    {
        int best = -1;
        double bestDistance = double.PositiveInfinity;
        Search(0, _points.AsSpan(self * _width, _width), self, ref best, ref bestDistance);
        return best;
    }

    private int Build(int start, int end)
    {
        int index = _nodes.Count;
        _nodes.Add(default);
        if (end - start <= LeafSize)
        {
            _nodes[index] = new Node(start, end, -1, 0, -1, -1);
            return index;
        }

        // The widest coordinate over these points.
        int axis = 0;
        float widest = -1;
        for (int j = 0; j < _width; j++)
        {
            float lo = float.PositiveInfinity, hi = float.NegativeInfinity;
            for (int k = start; k < end; k++)
            {
                float v = _points[(_order[k] * _width) + j];
                lo = Math.Min(lo, v);
                hi = Math.Max(hi, v);
            }

            if (hi - lo > widest)
            {
                (widest, axis) = (hi - lo, j);
            }
        }

        if (widest <= 0)
        {
            _nodes[index] = new Node(start, end, -1, 0, -1, -1); // all points equal: one leaf
            return index;
        }

        int middle = (start + end) / 2;
        Select(start, end - 1, middle, axis);
        float split = _points[(_order[middle] * _width) + axis];
        int left = Build(start, middle);
        int right = Build(middle, end);
        _nodes[index] = new Node(start, end, axis, split, left, right);
        return index;
    }

    /// <summary>Quickselect: puts the k-th smallest (by <paramref name="axis"/>) of _order[lo..hi] at k, smaller before, larger after.</summary>
    private void Select(int lo, int hi, int k, int axis)
    {
        while (lo < hi)
        {
            float pivot = Key(_order[(lo + hi) >>> 1], axis);
            int i = lo, j = hi;
            while (i <= j)
            {
                while (Key(_order[i], axis) < pivot)
                {
                    i++;
                }

                while (Key(_order[j], axis) > pivot)
                {
                    j--;
                }

                if (i <= j)
                {
                    (_order[i], _order[j]) = (_order[j], _order[i]);
                    i++;
                    j--;
                }
            }

            if (k <= j)
            {
                hi = j;
            }
            else if (k >= i)
            {
                lo = i;
            }
            else
            {
                return;
            }
        }
    }

    private float Key(int point, int axis) => _points[(point * _width) + axis];

    private void Search(int nodeIndex, ReadOnlySpan<float> query, int self, ref int best, ref double bestDistance)
    {
        var node = _nodes[nodeIndex];
        if (node.Axis < 0)
        {
            for (int k = node.Start; k < node.End; k++)
            {
                int p = _order[k];
                if (p == self)
                {
                    continue;
                }

                double d = 0;
                var point = _points.AsSpan(p * _width, _width);
                for (int j = 0; j < _width && d <= bestDistance; j++)
                {
                    double diff = query[j] - point[j];
                    d += diff * diff;
                }

                if (d < bestDistance || (d == bestDistance && p < best))
                {
                    (best, bestDistance) = (p, d);
                }
            }

            return;
        }

        double delta = query[node.Axis] - node.Split;
        int near = delta < 0 ? node.Left : node.Right, far = delta < 0 ? node.Right : node.Left;
        Search(near, query, self, ref best, ref bestDistance);
        if (delta * delta <= bestDistance)
        {
            Search(far, query, self, ref best, ref bestDistance);
        }
    }

    private readonly record struct Node(int Start, int End, int Axis, float Split, int Left, int Right);
}
