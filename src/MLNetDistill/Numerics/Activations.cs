using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace MLNetDistill.Numerics;

/// <summary>
/// The students' activation functions and their derivatives over spans, vectorised. Each element gets the same
/// arithmetic wherever it sits in the span (tails go through the vector code too), so results do not depend on length.
/// </summary>
internal static class Activations
{
    private const float InvSqrt2 = 0.70710678118654752f;
    private const float InvSqrt2Pi = 0.39894228040143268f;

    // erf(x) ~= x p(x^2) / q(x^2) on [-4, 4] (+-1 outside): the rational approximation of Eigen's and XLA's
    // generic_fast_erf_float; within 5e-7 of erf in single precision.
    private const float A1 = -1.60960333262415e-02f;
    private const float A3 = -2.95459980854025e-03f;
    private const float A5 = -7.34990630326855e-04f;
    private const float A7 = -5.69250639462346e-05f;
    private const float A9 = -2.10102402082508e-06f;
    private const float A11 = 2.77068142495902e-08f;
    private const float A13 = -2.72614225801306e-10f;
    private const float B0 = -1.42647390514189e-02f;
    private const float B2 = -7.37332916720468e-03f;
    private const float B4 = -1.68282697438203e-03f;
    private const float B6 = -2.13374055278905e-04f;
    private const float B8 = -1.45660718464996e-05f;

    /// <summary>y = max(x, 0). NaN stays NaN, so a diverging run is seen.</summary>
    /// <param name="x">The input.</param>
    /// <param name="y">The output; may be <paramref name="x"/>.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Relu(ReadOnlySpan<float> x, Span<float> y)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            ref float xr = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(x);
            ref float yr = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(y);
            for (; i <= x.Length - 16; i += 16)
            {
                // Vector512.Max propagates NaN (IEEE 754:2019 maximum), as the scalar tail does.
                Vector512.Max(Vector512.LoadUnsafe(ref xr, (nuint)i), Vector512<float>.Zero).StoreUnsafe(ref yr, (nuint)i);
            }
        }

        for (; i < x.Length; i++)
        {
            y[i] = float.IsNaN(x[i]) ? x[i] : MathF.Max(x[i], 0f);
        }
    }

    /// <summary>grad = grad where the ReLU's output y is positive, else 0.</summary>
    /// <param name="y">The ReLU's output.</param>
    /// <param name="grad">The gradient with respect to y on entry, with respect to the ReLU's input on return.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ReluBackward(ReadOnlySpan<float> y, Span<float> grad)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            ref float yr = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(y);
            ref float gr = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(grad);
            for (; i <= y.Length - 16; i += 16)
            {
                Vector512<float> yv = Vector512.LoadUnsafe(ref yr, (nuint)i);
                Vector512<float> gv = Vector512.LoadUnsafe(ref gr, (nuint)i);
                Vector512.ConditionalSelect(Vector512.GreaterThan(yv, Vector512<float>.Zero), gv, Vector512<float>.Zero)
                    .StoreUnsafe(ref gr, (nuint)i);
            }
        }

        for (; i < y.Length; i++)
        {
            grad[i] = y[i] > 0f ? grad[i] : 0f;
        }
    }

    /// <summary>The Gauss error function as the students compute it (the approximation above, within 5e-7).</summary>
    /// <param name="x">The argument.</param>
    /// <returns>erf(x).</returns>
    public static float Erf(float x)
    {
        Span<float> buffer = stackalloc float[16];
        buffer[0] = x;
        Erf(Vector512.Create<float>(buffer)).CopyTo(buffer);
        return buffer[0];
    }

    /// <summary>GELU in its exact (erf) form, y = 0.5 x (1 + erf(x / sqrt 2)), as ONNX writes it with Div, Erf, Add, Mul.</summary>
    /// <param name="x">The input.</param>
    /// <param name="y">The output; may be <paramref name="x"/>.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Gelu(ReadOnlySpan<float> x, Span<float> y)
    {
        ref float xr = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(x);
        ref float yr = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(y);
        int i = 0;
        for (; i <= x.Length - 16; i += 16)
        {
            Gelu(Vector512.LoadUnsafe(ref xr, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        }

        if (i < x.Length)
        {
            Span<float> tail = stackalloc float[16];
            tail.Clear();
            x[i..].CopyTo(tail);
            Gelu(Vector512.Create<float>(tail)).CopyTo(tail);
            tail[..(x.Length - i)].CopyTo(y[i..]);
        }
    }

    /// <summary>grad *= GELU'(x) = Phi(x) + x phi(x), where Phi and phi are the normal CDF and density.</summary>
    /// <param name="x">The GELU's input.</param>
    /// <param name="grad">The gradient with respect to the GELU's output on entry, with respect to its input on return.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GeluBackward(ReadOnlySpan<float> x, Span<float> grad)
    {
        ref float xr = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(x);
        ref float gr = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(grad);
        int i = 0;
        for (; i <= x.Length - 16; i += 16)
        {
            Vector512<float> d = GeluDerivative(Vector512.LoadUnsafe(ref xr, (nuint)i));
            (d * Vector512.LoadUnsafe(ref gr, (nuint)i)).StoreUnsafe(ref gr, (nuint)i);
        }

        if (i < x.Length)
        {
            Span<float> tail = stackalloc float[16];
            tail.Clear();
            x[i..].CopyTo(tail);
            Vector512<float> d = GeluDerivative(Vector512.Create<float>(tail));
            tail.Clear();
            grad[i..].CopyTo(tail);
            (d * Vector512.Create<float>(tail)).CopyTo(tail);
            tail[..(x.Length - i)].CopyTo(grad[i..]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Erf(Vector512<float> x)
    {
        x = Vector512.Min(Vector512.Max(x, Vector512.Create(-4f)), Vector512.Create(4f));
        Vector512<float> x2 = x * x;
        Vector512<float> p = Vector512.FusedMultiplyAdd(x2, Vector512.Create(A13), Vector512.Create(A11));
        p = Vector512.FusedMultiplyAdd(x2, p, Vector512.Create(A9));
        p = Vector512.FusedMultiplyAdd(x2, p, Vector512.Create(A7));
        p = Vector512.FusedMultiplyAdd(x2, p, Vector512.Create(A5));
        p = Vector512.FusedMultiplyAdd(x2, p, Vector512.Create(A3));
        p = Vector512.FusedMultiplyAdd(x2, p, Vector512.Create(A1));
        p *= x;
        Vector512<float> q = Vector512.FusedMultiplyAdd(x2, Vector512.Create(B8), Vector512.Create(B6));
        q = Vector512.FusedMultiplyAdd(x2, q, Vector512.Create(B4));
        q = Vector512.FusedMultiplyAdd(x2, q, Vector512.Create(B2));
        q = Vector512.FusedMultiplyAdd(x2, q, Vector512.Create(B0));
        return p / q;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Gelu(Vector512<float> x)
    {
        Vector512<float> half = x * Vector512.Create(0.5f);
        return Vector512.FusedMultiplyAdd(half, Erf(x * Vector512.Create(InvSqrt2)), half);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> GeluDerivative(Vector512<float> x)
    {
        Vector512<float> cdf = Vector512.FusedMultiplyAdd(Vector512.Create(0.5f), Erf(x * Vector512.Create(InvSqrt2)), Vector512.Create(0.5f));
        Vector512<float> pdf = Vector512.Exp(x * x * Vector512.Create(-0.5f)) * Vector512.Create(InvSqrt2Pi);
        return Vector512.FusedMultiplyAdd(x, pdf, cdf);
    }
}
