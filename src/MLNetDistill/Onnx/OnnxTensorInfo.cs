namespace MLNetDistill.Onnx;

/// <summary>A named tensor of an ONNX graph: a graph input, a graph output or an intermediate node output.</summary>
/// <param name="Name">The tensor's name in the graph.</param>
/// <param name="ElementType">The ONNX element type name (<c>float</c>, <c>int64</c>, ...), or <c>unknown</c> when the graph does not say.</param>
/// <param name="Dimensions">The dimensions: a number for a fixed dimension, the symbolic name for a named one, <c>?</c> for an unnamed one; <see langword="null"/> when the rank is unknown.</param>
/// <param name="OperatorType">For an intermediate tensor, the operator that produces it; otherwise <see langword="null"/>.</param>
public sealed record OnnxTensorInfo(string Name, string ElementType, IReadOnlyList<string>? Dimensions, string? OperatorType = null)
{
    /// <summary>Gets the shape as text, e.g. <c>[batch, 1, 28, 28]</c>, or <c>[?]</c> when the rank is unknown.</summary>
    public string ShapeText => Dimensions is null ? "[?]" : "[" + string.Join(", ", Dimensions) + "]";

    /// <summary>
    /// Gets the number of elements per row: the product of all dimensions after the first (batch) one,
    /// or <see langword="null"/> when one of them is not a fixed number.
    /// </summary>
    public long? ElementsPerRow
    {
        get
        {
            if (Dimensions is null || Dimensions.Count == 0)
            {
                return null;
            }

            long product = 1;
            for (int i = 1; i < Dimensions.Count; i++)
            {
                if (!long.TryParse(Dimensions[i], out long d) || d <= 0)
                {
                    return null;
                }

                product *= d;
            }

            return product;
        }
    }
}
