using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace MLNetDistill.Students.Mlp;

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
}
