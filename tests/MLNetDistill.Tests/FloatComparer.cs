namespace MLNetDistill.Tests;

/// <summary>Compares floats within an absolute-plus-relative tolerance.</summary>
public sealed class FloatComparer(double tolerance) : IEqualityComparer<float>, IEqualityComparer<double>
{
    public bool Equals(float x, float y) => Equals((double)x, y);

    public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance * (1 + Math.Max(Math.Abs(x), Math.Abs(y)));

    public int GetHashCode(float obj) => 0;

    public int GetHashCode(double obj) => 0;
}
