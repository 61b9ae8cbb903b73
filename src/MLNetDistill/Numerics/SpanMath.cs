using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace MLNetDistill.Numerics;

/// <summary>
/// The few element-wise span operations a training step runs, as plain vector loops compiled fully optimised on first
/// use. (The same operations from TensorPrimitives run unoptimised through the first epoch or two while the runtime's
/// tiering catches up with their generic internals, which made a first epoch about twice as slow as the others.)
/// </summary>
internal static class SpanMath
{
    /// <summary>y = exp(x).</summary>
    /// <param name="x">The input.</param>
    /// <param name="y">The output; may be <paramref name="x"/>.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Exp(ReadOnlySpan<float> x, Span<float> y)
    {
        if (!Vector512.IsHardwareAccelerated)
        {
            TensorPrimitives.Exp(x, y);
            return;
        }

        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        int i = 0;
        for (; i <= x.Length - 16; i += 16)
        {
            Vector512.Exp(Vector512.LoadUnsafe(ref xr, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        }

        if (i < x.Length)
        {
            Span<float> tail = stackalloc float[16];
            tail.Clear();
            x[i..].CopyTo(tail);
            Vector512.Exp(Vector512.Create<float>(tail)).CopyTo(tail);
            tail[..(x.Length - i)].CopyTo(y[i..]);
        }
    }

    /// <summary>y = log(x) (-infinity at 0).</summary>
    /// <param name="x">The input.</param>
    /// <param name="y">The output; may be <paramref name="x"/>.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Log(ReadOnlySpan<float> x, Span<float> y)
    {
        if (!Vector512.IsHardwareAccelerated)
        {
            TensorPrimitives.Log(x, y);
            return;
        }

        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        int i = 0;
        for (; i <= x.Length - 16; i += 16)
        {
            Vector512.Log(Vector512.LoadUnsafe(ref xr, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        }

        if (i < x.Length)
        {
            Span<float> tail = stackalloc float[16];
            tail.Fill(1f);
            x[i..].CopyTo(tail);
            Vector512.Log(Vector512.Create<float>(tail)).CopyTo(tail);
            tail[..(x.Length - i)].CopyTo(y[i..]);
        }
    }

    /// <summary>sum += x, element by element.</summary>
    /// <param name="sum">The accumulator.</param>
    /// <param name="x">The addend.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddInPlace(Span<float> sum, ReadOnlySpan<float> x)
    {
        ref float sr = ref MemoryMarshal.GetReference(sum);
        ref float xr = ref MemoryMarshal.GetReference(x);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= sum.Length - 16; i += 16)
            {
                (Vector512.LoadUnsafe(ref sr, (nuint)i) + Vector512.LoadUnsafe(ref xr, (nuint)i)).StoreUnsafe(ref sr, (nuint)i);
            }
        }

        for (; i < sum.Length; i++)
        {
            sum[i] += x[i];
        }
    }

    /// <summary>acc += x * y, element by element, fused (one rounding), vector and scalar alike.</summary>
    /// <param name="acc">The accumulator.</param>
    /// <param name="x">The first factors.</param>
    /// <param name="y">The second factors.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void FusedMultiplyAddInPlace(Span<float> acc, ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        ref float ar = ref MemoryMarshal.GetReference(acc);
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= acc.Length - 16; i += 16)
            {
                Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref xr, (nuint)i), Vector512.LoadUnsafe(ref yr, (nuint)i), Vector512.LoadUnsafe(ref ar, (nuint)i))
                    .StoreUnsafe(ref ar, (nuint)i);
            }
        }

        for (; i < acc.Length; i++)
        {
            acc[i] = MathF.FusedMultiplyAdd(x[i], y[i], acc[i]);
        }
    }

    /// <summary>y = x * m, element by element.</summary>
    /// <param name="x">The input.</param>
    /// <param name="m">The factors.</param>
    /// <param name="y">The output; may be <paramref name="x"/>.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply(ReadOnlySpan<float> x, ReadOnlySpan<float> m, Span<float> y)
    {
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float mr = ref MemoryMarshal.GetReference(m);
        ref float yr = ref MemoryMarshal.GetReference(y);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= x.Length - 16; i += 16)
            {
                (Vector512.LoadUnsafe(ref xr, (nuint)i) * Vector512.LoadUnsafe(ref mr, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
            }
        }

        for (; i < x.Length; i++)
        {
            y[i] = x[i] * m[i];
        }
    }

    /// <summary>
    /// sum_i x_i in a fixed order (16 lane sums from the start of the span, then the tail, then the lanes), so the
    /// result depends only on the values, never on where the span sits in memory.
    /// </summary>
    /// <param name="x">The values.</param>
    /// <returns>The sum.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Sum(ReadOnlySpan<float> x)
    {
        ref float xr = ref MemoryMarshal.GetReference(x);
        Vector512<float> acc = Vector512<float>.Zero;
        int i = 0;
        for (; i <= x.Length - 16; i += 16)
        {
            acc += Vector512.LoadUnsafe(ref xr, (nuint)i);
        }

        float tail = 0f;
        for (; i < x.Length; i++)
        {
            tail += x[i];
        }

        return HorizontalSum(acc) + tail;
    }

    /// <summary>The index of the first NaN or infinite value of <paramref name="values"/>, or -1 when all are finite.</summary>
    /// <param name="values">The values (a row of features).</param>
    /// <returns>The index, or -1.</returns>
    public static int FirstNonFinite(ReadOnlySpan<float> values)
    {
        // A finite sum means every value is finite, and it is for almost every clean row; only otherwise is the row searched value by value.
        if (float.IsFinite(System.Numerics.Tensors.TensorPrimitives.Sum(values)))
        {
            return -1;
        }

        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>sum_i x_i y_i in the same fixed order as <see cref="Sum"/> (fused multiply-adds).</summary>
    /// <param name="x">The first values.</param>
    /// <param name="y">The second values, as many.</param>
    /// <returns>The dot product.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        Vector512<float> acc = Vector512<float>.Zero;
        int i = 0;
        for (; i <= x.Length - 16; i += 16)
        {
            acc = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref xr, (nuint)i), Vector512.LoadUnsafe(ref yr, (nuint)i), acc);
        }

        float tail = 0f;
        for (; i < x.Length; i++)
        {
            tail = MathF.FusedMultiplyAdd(x[i], y[i], tail);
        }

        return HorizontalSum(acc) + tail;
    }

    /// <summary>The sum of a vector's lanes, pairwise in a fixed order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float HorizontalSum(Vector512<float> v)
    {
        Vector256<float> a = v.GetLower() + v.GetUpper();
        Vector128<float> b = a.GetLower() + a.GetUpper();
        return (b.GetElement(0) + b.GetElement(2)) + (b.GetElement(1) + b.GetElement(3));
    }

    /// <summary>sums[j] = sum over rows r of values[r, j], rows in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void ColumnSums(ReadOnlySpan<float> values, int rows, int width, Span<float> sums)
    {
        values[..width].CopyTo(sums);
        for (int r = 1; r < rows; r++)
        {
            AddInPlace(sums, values.Slice(r * width, width));
        }
    }
}
