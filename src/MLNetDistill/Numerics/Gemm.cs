using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MLNetDistill.Numerics;

/// <summary>Which micro-kernel a <see cref="Gemm"/> call uses.</summary>
internal enum GemmKernel
{
    /// <summary>The best kernel the processor supports.</summary>
    Auto,

    /// <summary>AVX-512F with FMA: 8 rows x 32 columns of accumulators.</summary>
    Avx512,

    /// <summary>AVX2 with FMA: 6 rows x 16 columns of accumulators.</summary>
    Avx2,

    /// <summary>Any processor: <see cref="Vector128{T}"/> multiply-add, 4 rows x 8 columns.</summary>
    Portable,
}

/// <summary>
/// Single-precision matrix products over dense row-major spans: C = op(A) op(B) (+ C) (+ bias per column), where op
/// transposes or not. Cache-blocked in the manner of BLIS (Goto and van de Geijn 2008; Van Zee and van de Geijn 2015):
/// both operands are packed into micro-panels, a register-blocked FMA micro-kernel computes each MR x NR tile of C, and
/// the tiles are split by rows or columns over the threads of a <see cref="ComputePool"/>.
/// </summary>
/// <remarks>
/// Every element of C is summed by one thread, in the same order whatever the thread count, so results are
/// bit-identical from run to run and across thread counts (they do depend on the kernel, so on the processor).
/// </remarks>
internal static unsafe class Gemm
{
    /// <summary>C[m x n] = A[m x k] B[k x n] (+ C when <paramref name="accumulate"/>) (+ bias[n]).</summary>
    /// <param name="a">A, row-major m x k.</param>
    /// <param name="b">B, row-major k x n.</param>
    /// <param name="c">C, row-major m x n.</param>
    /// <param name="m">Rows of C.</param>
    /// <param name="k">The inner dimension.</param>
    /// <param name="n">Columns of C.</param>
    /// <param name="bias">Empty, or n values added to every row of C.</param>
    /// <param name="accumulate">Whether to add the product to C instead of overwriting it.</param>
    /// <param name="context">Threads and packing buffers; null uses a per-thread default over <see cref="ComputePool.Shared"/>.</param>
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n,
        ReadOnlySpan<float> bias = default, bool accumulate = false, GemmContext? context = null)
        => Compute(false, false, a, b, c, m, k, n, bias, accumulate, context);

    /// <summary>C[m x n] = A[m x k] B^T (+ C) (+ bias), where B is stored row-major as n x k (the layout of a PyTorch Linear weight).</summary>
    /// <param name="a">A, row-major m x k.</param>
    /// <param name="b">B, row-major n x k.</param>
    /// <param name="c">C, row-major m x n.</param>
    /// <param name="m">Rows of C.</param>
    /// <param name="k">The inner dimension.</param>
    /// <param name="n">Columns of C.</param>
    /// <param name="bias">Empty, or n values added to every row of C.</param>
    /// <param name="accumulate">Whether to add the product to C instead of overwriting it.</param>
    /// <param name="context">Threads and packing buffers; null uses a per-thread default.</param>
    public static void MultiplyTransposeB(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n,
        ReadOnlySpan<float> bias = default, bool accumulate = false, GemmContext? context = null)
        => Compute(false, true, a, b, c, m, k, n, bias, accumulate, context);

    /// <summary>C[m x n] = A^T B[k x n] (+ C) (+ bias), where A is stored row-major as k x m.</summary>
    /// <param name="a">A, row-major k x m.</param>
    /// <param name="b">B, row-major k x n.</param>
    /// <param name="c">C, row-major m x n.</param>
    /// <param name="m">Rows of C.</param>
    /// <param name="k">The inner dimension.</param>
    /// <param name="n">Columns of C.</param>
    /// <param name="bias">Empty, or n values added to every row of C.</param>
    /// <param name="accumulate">Whether to add the product to C instead of overwriting it.</param>
    /// <param name="context">Threads and packing buffers; null uses a per-thread default.</param>
    public static void MultiplyTransposeA(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n,
        ReadOnlySpan<float> bias = default, bool accumulate = false, GemmContext? context = null)
        => Compute(true, false, a, b, c, m, k, n, bias, accumulate, context);

    /// <summary>C[m x n] = op(A) op(B) (+ C) (+ bias) for dense row-major operands.</summary>
    /// <param name="transposeA">Whether A is stored k x m (and used transposed) rather than m x k.</param>
    /// <param name="transposeB">Whether B is stored n x k (and used transposed) rather than k x n.</param>
    /// <param name="a">A.</param>
    /// <param name="b">B.</param>
    /// <param name="c">C, row-major m x n.</param>
    /// <param name="m">Rows of C.</param>
    /// <param name="k">The inner dimension.</param>
    /// <param name="n">Columns of C.</param>
    /// <param name="bias">Empty, or n values added to every row of C.</param>
    /// <param name="accumulate">Whether to add the product to C instead of overwriting it.</param>
    /// <param name="context">Threads and packing buffers; null uses a per-thread default.</param>
    public static void Compute(bool transposeA, bool transposeB, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c,
        int m, int k, int n, ReadOnlySpan<float> bias = default, bool accumulate = false, GemmContext? context = null)
    {
        if (m < 0 || k < 0 || n < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(m), $"Matrix sizes must not be negative but were m={m}, k={k}, n={n}.");
        }

        CheckLength(a, (long)m * k, nameof(a));
        CheckLength(b, (long)k * n, nameof(b));
        CheckLength(c, (long)m * n, nameof(c));
        if (!bias.IsEmpty)
        {
            CheckLength(bias, n, nameof(bias));
        }

        if (m == 0 || n == 0)
        {
            return;
        }

        context ??= GemmContext.ForCurrentThread;
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        fixed (float* pbias = bias)
        {
            if (k == 0)
            {
                for (int i = 0; i < m; i++)
                {
                    for (int j = 0; j < n; j++)
                    {
                        float v = pbias is null ? 0f : pbias[j];
                        pc[((long)i * n) + j] = accumulate ? v + pc[((long)i * n) + j] : v;
                    }
                }

                return;
            }

            context.Run(transposeA, transposeB, pa, transposeA ? m : k, pb, transposeB ? k : n, pc, n, m, k, n,
                pbias, accumulate);
        }
    }

    private static void CheckLength(ReadOnlySpan<float> span, long needed, string name)
    {
        if (span.Length < needed)
        {
            throw new ArgumentException($"Span '{name}' has {span.Length} elements but the product needs {needed}.", name);
        }
    }

    internal static GemmKernel Resolve(GemmKernel kernel) => kernel switch
    {
        GemmKernel.Auto when Avx512F.IsSupported => GemmKernel.Avx512,
        GemmKernel.Auto when Avx2.IsSupported && Fma.IsSupported => GemmKernel.Avx2,
        GemmKernel.Auto => GemmKernel.Portable,
        GemmKernel.Avx512 when !Avx512F.IsSupported => throw new PlatformNotSupportedException("AVX-512F is not supported by this processor."),
        GemmKernel.Avx2 when !(Avx2.IsSupported && Fma.IsSupported) => throw new PlatformNotSupportedException("AVX2 with FMA is not supported by this processor."),
        _ => kernel,
    };

    internal static (int Mr, int Nr) TileSize(GemmKernel kernel) => kernel switch
    {
        GemmKernel.Avx512 => (8, 32),
        GemmKernel.Avx2 => (6, 16),
        _ => (4, 8),
    };

    // ---------------------------------------------------------------- packing

    /// <summary>Packs row panels [panelStart, panelEnd) of A (rows i, columns p0..p0+kc) as [panel][p][mr], zero-padded.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void PackA(float* a, bool trans, long lda, int m, int p0, int kc, int mr, int panelStart, int panelEnd, float* dst)
    {
        for (int panel = panelStart; panel < panelEnd; panel++)
        {
            int i0 = panel * mr;
            int rows = Math.Min(mr, m - i0);
            float* d = dst + ((long)panel * mr * kc);
            if (trans)
            {
                // A(i, p) = a[p * lda + i]: each p gives mr contiguous values.
                float* s = a + ((long)p0 * lda) + i0;
                if (rows == mr && mr == 8)
                {
                    for (int p = 0; p < kc; p++, s += lda, d += 8)
                    {
                        Vector256.Store(Vector256.Load(s), d);
                    }
                }
                else
                {
                    for (int p = 0; p < kc; p++, s += lda, d += mr)
                    {
                        int r = 0;
                        for (; r < rows; r++)
                        {
                            d[r] = s[r];
                        }

                        for (; r < mr; r++)
                        {
                            d[r] = 0f;
                        }
                    }
                }
            }
            else
            {
                // A(i, p) = a[i * lda + p]: a transpose of rows x kc into kc x mr.
                if (rows == mr && mr == 8 && Avx.IsSupported)
                {
                    PackTranspose8(a + ((long)i0 * lda) + p0, lda, kc, d);
                    continue;
                }

                for (int r = 0; r < rows; r++)
                {
                    float* s = a + ((long)(i0 + r) * lda) + p0;
                    for (int p = 0; p < kc; p++)
                    {
                        d[((long)p * mr) + r] = s[p];
                    }
                }

                for (int r = rows; r < mr; r++)
                {
                    for (int p = 0; p < kc; p++)
                    {
                        d[((long)p * mr) + r] = 0f;
                    }
                }
            }
        }
    }

    /// <summary>Packs column panels [panelStart, panelEnd) of B (rows p0..p0+kc, columns j) as [panel][p][nr], zero-padded.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void PackB(float* b, bool trans, long ldb, int n, int p0, int kc, int nr, int panelStart, int panelEnd, float* dst)
    {
        for (int panel = panelStart; panel < panelEnd; panel++)
        {
            int j0 = panel * nr;
            int cols = Math.Min(nr, n - j0);
            float* d = dst + ((long)panel * nr * kc);
            if (!trans)
            {
                // B(p, j) = b[p * ldb + j]: each p gives nr contiguous values.
                float* s = b + ((long)p0 * ldb) + j0;
                if (cols == nr && nr == 32)
                {
                    for (int p = 0; p < kc; p++, s += ldb, d += 32)
                    {
                        Vector512.Store(Vector512.Load(s), d);
                        Vector512.Store(Vector512.Load(s + 16), d + 16);
                    }
                }
                else
                {
                    for (int p = 0; p < kc; p++, s += ldb, d += nr)
                    {
                        int j = 0;
                        for (; j < cols; j++)
                        {
                            d[j] = s[j];
                        }

                        for (; j < nr; j++)
                        {
                            d[j] = 0f;
                        }
                    }
                }
            }
            else
            {
                // B(p, j) = b[j * ldb + p]: a transpose of cols x kc into kc x nr.
                if (cols == nr && nr % 8 == 0 && Avx.IsSupported)
                {
                    for (int j = 0; j < nr; j += 8)
                    {
                        PackTranspose8Strided(b + ((long)(j0 + j) * ldb) + p0, ldb, kc, d + j, nr);
                    }

                    continue;
                }

                for (int j = 0; j < cols; j++)
                {
                    float* s = b + ((long)(j0 + j) * ldb) + p0;
                    for (int p = 0; p < kc; p++)
                    {
                        d[((long)p * nr) + j] = s[p];
                    }
                }

                for (int j = cols; j < nr; j++)
                {
                    for (int p = 0; p < kc; p++)
                    {
                        d[((long)p * nr) + j] = 0f;
                    }
                }
            }
        }
    }

    /// <summary>dst[p * 8 + r] = src[r * lds + p] for 8 rows and kc columns.</summary>
    private static void PackTranspose8(float* src, long lds, int kc, float* dst) => PackTranspose8Strided(src, lds, kc, dst, 8);

    /// <summary>dst[p * ldd + r] = src[r * lds + p] for 8 rows r and kc columns p, 8 x 8 blocks at a time with AVX shuffles.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackTranspose8Strided(float* src, long lds, int kc, float* dst, int ldd)
    {
        int p = 0;
        for (; p + 8 <= kc; p += 8)
        {
            Vector256<float> r0 = Avx.LoadVector256(src + p);
            Vector256<float> r1 = Avx.LoadVector256(src + lds + p);
            Vector256<float> r2 = Avx.LoadVector256(src + (2 * lds) + p);
            Vector256<float> r3 = Avx.LoadVector256(src + (3 * lds) + p);
            Vector256<float> r4 = Avx.LoadVector256(src + (4 * lds) + p);
            Vector256<float> r5 = Avx.LoadVector256(src + (5 * lds) + p);
            Vector256<float> r6 = Avx.LoadVector256(src + (6 * lds) + p);
            Vector256<float> r7 = Avx.LoadVector256(src + (7 * lds) + p);

            Vector256<float> t0 = Avx.UnpackLow(r0, r1);
            Vector256<float> t1 = Avx.UnpackHigh(r0, r1);
            Vector256<float> t2 = Avx.UnpackLow(r2, r3);
            Vector256<float> t3 = Avx.UnpackHigh(r2, r3);
            Vector256<float> t4 = Avx.UnpackLow(r4, r5);
            Vector256<float> t5 = Avx.UnpackHigh(r4, r5);
            Vector256<float> t6 = Avx.UnpackLow(r6, r7);
            Vector256<float> t7 = Avx.UnpackHigh(r6, r7);

            Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44);
            Vector256<float> u1 = Avx.Shuffle(t0, t2, 0xEE);
            Vector256<float> u2 = Avx.Shuffle(t1, t3, 0x44);
            Vector256<float> u3 = Avx.Shuffle(t1, t3, 0xEE);
            Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44);
            Vector256<float> u5 = Avx.Shuffle(t4, t6, 0xEE);
            Vector256<float> u6 = Avx.Shuffle(t5, t7, 0x44);
            Vector256<float> u7 = Avx.Shuffle(t5, t7, 0xEE);

            float* d = dst + ((long)p * ldd);
            Avx.Store(d, Avx.Permute2x128(u0, u4, 0x20));
            Avx.Store(d + ldd, Avx.Permute2x128(u1, u5, 0x20));
            Avx.Store(d + (2 * ldd), Avx.Permute2x128(u2, u6, 0x20));
            Avx.Store(d + (3 * ldd), Avx.Permute2x128(u3, u7, 0x20));
            Avx.Store(d + (4 * ldd), Avx.Permute2x128(u0, u4, 0x31));
            Avx.Store(d + (5 * ldd), Avx.Permute2x128(u1, u5, 0x31));
            Avx.Store(d + (6 * ldd), Avx.Permute2x128(u2, u6, 0x31));
            Avx.Store(d + (7 * ldd), Avx.Permute2x128(u3, u7, 0x31));
        }

        for (; p < kc; p++)
        {
            float* d = dst + ((long)p * ldd);
            for (int r = 0; r < 8; r++)
            {
                d[r] = src[(r * lds) + p];
            }
        }
    }

    // ---------------------------------------------------------------- micro-kernels

    /// <summary>
    /// One 8 x 32 tile: acc = sum_p a[p][0..8) (outer) b[p][0..32); then C = acc (+ bias) (+ C when <paramref name="load"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Kernel512(int kc, float* a, float* b, float* c, long ldc, bool load, float* bias)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default, c70 = default, c71 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b);
            Vector512<float> b1 = Vector512.Load(b + 16);
            Vector512<float> ai = Vector512.Create(a[0]);
            c00 = Avx512F.FusedMultiplyAdd(ai, b0, c00);
            c01 = Avx512F.FusedMultiplyAdd(ai, b1, c01);
            ai = Vector512.Create(a[1]);
            c10 = Avx512F.FusedMultiplyAdd(ai, b0, c10);
            c11 = Avx512F.FusedMultiplyAdd(ai, b1, c11);
            ai = Vector512.Create(a[2]);
            c20 = Avx512F.FusedMultiplyAdd(ai, b0, c20);
            c21 = Avx512F.FusedMultiplyAdd(ai, b1, c21);
            ai = Vector512.Create(a[3]);
            c30 = Avx512F.FusedMultiplyAdd(ai, b0, c30);
            c31 = Avx512F.FusedMultiplyAdd(ai, b1, c31);
            ai = Vector512.Create(a[4]);
            c40 = Avx512F.FusedMultiplyAdd(ai, b0, c40);
            c41 = Avx512F.FusedMultiplyAdd(ai, b1, c41);
            ai = Vector512.Create(a[5]);
            c50 = Avx512F.FusedMultiplyAdd(ai, b0, c50);
            c51 = Avx512F.FusedMultiplyAdd(ai, b1, c51);
            ai = Vector512.Create(a[6]);
            c60 = Avx512F.FusedMultiplyAdd(ai, b0, c60);
            c61 = Avx512F.FusedMultiplyAdd(ai, b1, c61);
            ai = Vector512.Create(a[7]);
            c70 = Avx512F.FusedMultiplyAdd(ai, b0, c70);
            c71 = Avx512F.FusedMultiplyAdd(ai, b1, c71);
            a += 8;
            b += 32;
        }

        Vector512<float> bias0 = bias is null ? default : Vector512.Load(bias);
        Vector512<float> bias1 = bias is null ? default : Vector512.Load(bias + 16);
        Store512(c, c00, c01, load, bias, bias0, bias1);
        Store512(c + ldc, c10, c11, load, bias, bias0, bias1);
        Store512(c + (2 * ldc), c20, c21, load, bias, bias0, bias1);
        Store512(c + (3 * ldc), c30, c31, load, bias, bias0, bias1);
        Store512(c + (4 * ldc), c40, c41, load, bias, bias0, bias1);
        Store512(c + (5 * ldc), c50, c51, load, bias, bias0, bias1);
        Store512(c + (6 * ldc), c60, c61, load, bias, bias0, bias1);
        Store512(c + (7 * ldc), c70, c71, load, bias, bias0, bias1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store512(float* c, Vector512<float> v0, Vector512<float> v1, bool load, float* bias,
        Vector512<float> bias0, Vector512<float> bias1)
    {
        if (bias is not null)
        {
            v0 += bias0;
            v1 += bias1;
        }

        if (load)
        {
            v0 += Vector512.Load(c);
            v1 += Vector512.Load(c + 16);
        }

        Vector512.Store(v0, c);
        Vector512.Store(v1, c + 16);
    }

    /// <summary>One 6 x 16 tile with AVX2 and FMA; same contract as <see cref="Kernel512"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Kernel256(int kc, float* a, float* b, float* c, long ldc, bool load, float* bias)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector256<float> b0 = Vector256.Load(b);
            Vector256<float> b1 = Vector256.Load(b + 8);
            Vector256<float> ai = Vector256.Create(a[0]);
            c00 = Fma.MultiplyAdd(ai, b0, c00);
            c01 = Fma.MultiplyAdd(ai, b1, c01);
            ai = Vector256.Create(a[1]);
            c10 = Fma.MultiplyAdd(ai, b0, c10);
            c11 = Fma.MultiplyAdd(ai, b1, c11);
            ai = Vector256.Create(a[2]);
            c20 = Fma.MultiplyAdd(ai, b0, c20);
            c21 = Fma.MultiplyAdd(ai, b1, c21);
            ai = Vector256.Create(a[3]);
            c30 = Fma.MultiplyAdd(ai, b0, c30);
            c31 = Fma.MultiplyAdd(ai, b1, c31);
            ai = Vector256.Create(a[4]);
            c40 = Fma.MultiplyAdd(ai, b0, c40);
            c41 = Fma.MultiplyAdd(ai, b1, c41);
            ai = Vector256.Create(a[5]);
            c50 = Fma.MultiplyAdd(ai, b0, c50);
            c51 = Fma.MultiplyAdd(ai, b1, c51);
            a += 6;
            b += 16;
        }

        Vector256<float> bias0 = bias is null ? default : Vector256.Load(bias);
        Vector256<float> bias1 = bias is null ? default : Vector256.Load(bias + 8);
        Store256(c, c00, c01, load, bias, bias0, bias1);
        Store256(c + ldc, c10, c11, load, bias, bias0, bias1);
        Store256(c + (2 * ldc), c20, c21, load, bias, bias0, bias1);
        Store256(c + (3 * ldc), c30, c31, load, bias, bias0, bias1);
        Store256(c + (4 * ldc), c40, c41, load, bias, bias0, bias1);
        Store256(c + (5 * ldc), c50, c51, load, bias, bias0, bias1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store256(float* c, Vector256<float> v0, Vector256<float> v1, bool load, float* bias,
        Vector256<float> bias0, Vector256<float> bias1)
    {
        if (bias is not null)
        {
            v0 += bias0;
            v1 += bias1;
        }

        if (load)
        {
            v0 += Vector256.Load(c);
            v1 += Vector256.Load(c + 8);
        }

        Vector256.Store(v0, c);
        Vector256.Store(v1, c + 8);
    }

    /// <summary>One 4 x 8 tile with <see cref="Vector128{T}"/> multiply-add; same contract as <see cref="Kernel512"/>.</summary>
    internal static void KernelPortable(int kc, float* a, float* b, float* c, long ldc, bool load, float* bias)
    {
        Vector128<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector128<float> c20 = default, c21 = default, c30 = default, c31 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector128<float> b0 = Vector128.Load(b);
            Vector128<float> b1 = Vector128.Load(b + 4);
            Vector128<float> ai = Vector128.Create(a[0]);
            c00 = Vector128.MultiplyAddEstimate(ai, b0, c00);
            c01 = Vector128.MultiplyAddEstimate(ai, b1, c01);
            ai = Vector128.Create(a[1]);
            c10 = Vector128.MultiplyAddEstimate(ai, b0, c10);
            c11 = Vector128.MultiplyAddEstimate(ai, b1, c11);
            ai = Vector128.Create(a[2]);
            c20 = Vector128.MultiplyAddEstimate(ai, b0, c20);
            c21 = Vector128.MultiplyAddEstimate(ai, b1, c21);
            ai = Vector128.Create(a[3]);
            c30 = Vector128.MultiplyAddEstimate(ai, b0, c30);
            c31 = Vector128.MultiplyAddEstimate(ai, b1, c31);
            a += 4;
            b += 8;
        }

        Vector128<float> bias0 = bias is null ? default : Vector128.Load(bias);
        Vector128<float> bias1 = bias is null ? default : Vector128.Load(bias + 4);
        Store128(c, c00, c01, load, bias, bias0, bias1);
        Store128(c + ldc, c10, c11, load, bias, bias0, bias1);
        Store128(c + (2 * ldc), c20, c21, load, bias, bias0, bias1);
        Store128(c + (3 * ldc), c30, c31, load, bias, bias0, bias1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store128(float* c, Vector128<float> v0, Vector128<float> v1, bool load, float* bias,
        Vector128<float> bias0, Vector128<float> bias1)
    {
        if (bias is not null)
        {
            v0 += bias0;
            v1 += bias1;
        }

        if (load)
        {
            v0 += Vector128.Load(c);
            v1 += Vector128.Load(c + 4);
        }

        Vector128.Store(v0, c);
        Vector128.Store(v1, c + 4);
    }
}

/// <summary>
/// What a thread needs to run <see cref="Gemm"/> products: a <see cref="ComputePool"/>, packing buffers that grow to the
/// largest product seen and are then reused, and the kernel choice. Not thread-safe: one context per calling thread.
/// </summary>
/// <remarks>
/// C is split by row panels (or column panels when it has more of those) into parts that the pool's threads claim.
/// Each thread packs the operand every part needs (B when splitting rows) once per product into a buffer of its own,
/// and each part packs its own slice of the other operand. Packing the shared operand twice costs less than sharing
/// one packed copy: a buffer written by one core and read by another moves between their caches on every product,
/// which on this kind of machine (the two cores may sit on different CCDs) cost more than the packing itself.
/// </remarks>
internal sealed unsafe class GemmContext : ParallelWork
{
    /// <summary>The least work, in floating-point operations, worth a part of its own.</summary>
    private const long MinFlopsPerPart = 1L << 21;

    /// <summary>Parts per thread: more than one, so that a thread the system delays does not hold the others up.</summary>
    private const int PartsPerThread = 4;

    /// <summary>The most floats either packed operand may take; larger products are done in chunks of rows or columns.</summary>
    private const long MaxPackedFloats = 1L << 22;

    private const int KcMax = 256;
    private const int L2BlockFloats = 96 * 1024;

    [ThreadStatic]
    private static GemmContext? t_default;

    private readonly GemmKernel _kernel;
    private readonly int _mr;
    private readonly int _nr;
    private readonly float[][] _shared;
    private readonly float[][] _slice;
    private readonly long[] _sharedPackedFor;
    private long _call;

    // The current chunk, read by the pool's threads.
    private bool _transA;
    private bool _transB;
    private float* _a;
    private float* _b;
    private float* _c;
    private float* _bias;
    private long _lda;
    private long _ldb;
    private long _ldc;
    private int _m;
    private int _k;
    private int _n;
    private bool _accumulate;
    private bool _splitRows;
    private int _kcBlocks;

    /// <summary>Creates a context over <paramref name="pool"/>.</summary>
    /// <param name="pool">The threads to use; null for <see cref="ComputePool.Shared"/>.</param>
    /// <param name="kernel">The micro-kernel; <see cref="GemmKernel.Auto"/> picks the best the processor has.</param>
    public GemmContext(ComputePool? pool = null, GemmKernel kernel = GemmKernel.Auto)
    {
        Pool = pool ?? ComputePool.Shared;
        _kernel = Gemm.Resolve(kernel);
        (_mr, _nr) = Gemm.TileSize(_kernel);
        _shared = new float[Pool.ThreadCount][];
        _slice = new float[Pool.ThreadCount][];
        _sharedPackedFor = new long[Pool.ThreadCount];
        for (int t = 0; t < Pool.ThreadCount; t++)
        {
            _shared[t] = [];
            _slice[t] = [];
            _sharedPackedFor[t] = -1;
        }
    }

    /// <summary>The calling thread's default context over <see cref="ComputePool.Shared"/>.</summary>
    public static GemmContext ForCurrentThread => t_default ??= new GemmContext();

    /// <summary>The threads products are split over.</summary>
    public ComputePool Pool { get; }

    /// <summary>The micro-kernel in use.</summary>
    public GemmKernel Kernel => _kernel;

    /// <summary>
    /// Allocates, for every thread, packing buffers large enough for any product of up to m x k times k x n, so that
    /// later products of that size allocate nothing whichever thread runs which part.
    /// </summary>
    /// <param name="m">The most rows of C.</param>
    /// <param name="k">The most inner dimension.</param>
    /// <param name="n">The most columns of C.</param>
    public void Reserve(int m, int k, int n)
    {
        if (m <= 0 || k <= 0 || n <= 0)
        {
            return;
        }

        var (rowChunk, colChunk) = Chunks(m, k, n);
        long mPad = (long)((rowChunk + _mr - 1) / _mr) * _mr;
        long nPad = (long)((colChunk + _nr - 1) / _nr) * _nr;
        long floats = Math.Max(mPad, nPad) * k; // either operand may be shared, or one part's slice of it
        for (int t = 0; t < _shared.Length; t++)
        {
            EnsureCapacity(ref _shared[t], floats, exact: true);
            EnsureCapacity(ref _slice[t], floats, exact: true);
        }
    }

    internal void Run(bool transA, bool transB, float* a, long lda, float* b, long ldb, float* c, long ldc,
        int m, int k, int n, float* bias, bool accumulate)
    {
        // Chunk huge products so the packed operands stay bounded.
        var (rowChunk, colChunk) = Chunks(m, k, n);
        for (int i0 = 0; i0 < m; i0 += rowChunk)
        {
            int mc = Math.Min(rowChunk, m - i0);
            float* ai = transA ? a + i0 : a + (i0 * lda);
            for (int j0 = 0; j0 < n; j0 += colChunk)
            {
                int nc = Math.Min(colChunk, n - j0);
                float* bj = transB ? b + (j0 * ldb) : b + j0;
                RunChunk(transA, transB, ai, lda, bj, ldb, c + (i0 * ldc) + j0, ldc, mc, k, nc,
                    bias is null ? null : bias + j0, accumulate);
            }
        }
    }

    private (int Rows, int Cols) Chunks(int m, int k, int n) =>
        ((int)Math.Min(m, Math.Max(_mr, MaxPackedFloats / k / _mr * _mr)), (int)Math.Min(n, Math.Max(_nr, MaxPackedFloats / k / _nr * _nr)));

    private void RunChunk(bool transA, bool transB, float* a, long lda, float* b, long ldb, float* c, long ldc,
        int m, int k, int n, float* bias, bool accumulate)
    {
        int rowPanels = (m + _mr - 1) / _mr;
        int colPanels = (n + _nr - 1) / _nr;
        _transA = transA;
        _transB = transB;
        _a = a;
        _b = b;
        _c = c;
        _bias = bias;
        _lda = lda;
        _ldb = ldb;
        _ldc = ldc;
        _m = m;
        _k = k;
        _n = n;
        _accumulate = accumulate;
        _kcBlocks = (k + KcMax - 1) / KcMax;
        _splitRows = rowPanels >= colPanels;
        int splitPanels = _splitRows ? rowPanels : colPanels;

        long flops = 2L * m * n * k;
        int threads = Pool.ThreadCount;
        int parts = (int)Math.Clamp(flops / MinFlopsPerPart, 1, threads == 1 ? 1 : threads * PartsPerThread);
        parts = Math.Min(parts, splitPanels);
        _call++;
        try
        {
            Pool.Run(this, parts);
        }
        finally
        {
            _a = _b = _c = _bias = null;
        }
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Execute(int part, int parts, int thread)
    {
        System.Diagnostics.Debug.Assert(_a is not null && _b is not null && _c is not null, "A product's part ran after the product returned.");
        int mr = _mr;
        int nr = _nr;
        int rowPanels = (_m + mr - 1) / mr;
        int colPanels = (_n + nr - 1) / nr;
        int splitPanels = _splitRows ? rowPanels : colPanels;
        var (s0, s1) = Split(splitPanels, part, parts);

        // The shared operand (all of B when splitting rows, all of A when splitting columns), once per product per thread.
        long sharedFloats = _splitRows ? (long)colPanels * nr * _k : (long)rowPanels * mr * _k;
        long sliceFloats = (long)(s1 - s0) * (_splitRows ? mr : nr) * _k;
        EnsureCapacity(ref _shared[thread], sharedFloats);
        EnsureCapacity(ref _slice[thread], sliceFloats);
        fixed (float* sharedBase = _shared[thread])
        fixed (float* sliceBase = _slice[thread])
        {
            float* shared = Align64(sharedBase);
            float* slice = Align64(sliceBase);
            if (_sharedPackedFor[thread] != _call)
            {
                for (int block = 0; block < _kcBlocks; block++)
                {
                    var (p0, kc) = KcBlock(block);
                    if (_splitRows)
                    {
                        Gemm.PackB(_b, _transB, _ldb, _n, p0, kc, nr, 0, colPanels, shared + ((long)p0 * colPanels * nr));
                    }
                    else
                    {
                        Gemm.PackA(_a, _transA, _lda, _m, p0, kc, mr, 0, rowPanels, shared + ((long)p0 * rowPanels * mr));
                    }
                }

                _sharedPackedFor[thread] = _call;
            }

            // This part's slice of the other operand, laid out as if it were the whole (panel s0 first).
            int slicePanels = s1 - s0;
            for (int block = 0; block < _kcBlocks; block++)
            {
                var (p0, kc) = KcBlock(block);
                if (_splitRows)
                {
                    float* dst = slice + ((long)p0 * slicePanels * mr) - ((long)s0 * mr * kc);
                    Gemm.PackA(_a, _transA, _lda, _m, p0, kc, mr, s0, s1, dst);
                }
                else
                {
                    float* dst = slice + ((long)p0 * slicePanels * nr) - ((long)s0 * nr * kc);
                    Gemm.PackB(_b, _transB, _ldb, _n, p0, kc, nr, s0, s1, dst);
                }
            }

            if (_splitRows)
            {
                Compute(slice, slicePanels, s0, s0, s1, shared, colPanels, 0, 0, colPanels);
            }
            else
            {
                Compute(shared, rowPanels, 0, 0, rowPanels, slice, slicePanels, s0, s0, s1);
            }
        }
    }

    private (int P0, int Kc) KcBlock(int block)
    {
        var (start, end) = Split(_k, block, _kcBlocks);
        return (start, end - start);
    }

    /// <summary>
    /// Computes C tiles for row panels [r0, r1) and column panels [c0, c1). Packed A holds <paramref name="aPanels"/>
    /// panels from panel <paramref name="aFirst"/> on; packed B likewise.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Compute(float* packA, int aPanels, int aFirst, int r0, int r1, float* packB, int bPanels, int bFirst, int c0, int c1)
    {
        int mr = _mr;
        int nr = _nr;
        float* tile = stackalloc float[(8 * 32) + 16];
        tile = Align64(tile);
        GemmKernel kernel = _kernel;
        for (int block = 0; block < _kcBlocks; block++)
        {
            var (p0, kc) = KcBlock(block);
            float* aBlock = packA + ((long)p0 * aPanels * mr) - ((long)aFirst * mr * kc);
            float* bBlock = packB + ((long)p0 * bPanels * nr) - ((long)bFirst * nr * kc);
            bool load = _accumulate || block > 0;
            float* bias = block == 0 ? _bias : null;
            int mcPanels = Math.Max(1, L2BlockFloats / (mr * kc));
            for (int ic = r0; ic < r1; ic += mcPanels)
            {
                int icEnd = Math.Min(ic + mcPanels, r1);
                for (int jr = c0; jr < c1; jr++)
                {
                    float* bp = bBlock + ((long)jr * nr * kc);
                    int j0 = jr * nr;
                    int cols = Math.Min(nr, _n - j0);
                    float* biasJ = bias is null ? null : bias + j0;
                    for (int ir = ic; ir < icEnd; ir++)
                    {
                        float* ap = aBlock + ((long)ir * mr * kc);
                        int i0 = ir * mr;
                        int rows = Math.Min(mr, _m - i0);
                        float* cp = _c + (i0 * _ldc) + j0;
                        if (rows == mr && cols == nr)
                        {
                            CallKernel(kernel, kc, ap, bp, cp, _ldc, load, biasJ);
                        }
                        else
                        {
                            CallKernel(kernel, kc, ap, bp, tile, nr, false, null);
                            for (int i = 0; i < rows; i++)
                            {
                                float* crow = cp + (i * _ldc);
                                float* trow = tile + (i * nr);
                                for (int j = 0; j < cols; j++)
                                {
                                    float v = trow[j];
                                    if (biasJ is not null)
                                    {
                                        v += biasJ[j];
                                    }

                                    if (load)
                                    {
                                        v += crow[j];
                                    }

                                    crow[j] = v;
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CallKernel(GemmKernel kernel, int kc, float* a, float* b, float* c, long ldc, bool load, float* bias)
    {
        switch (kernel)
        {
            case GemmKernel.Avx512:
                Gemm.Kernel512(kc, a, b, c, ldc, load, bias);
                break;
            case GemmKernel.Avx2:
                Gemm.Kernel256(kc, a, b, c, ldc, load, bias);
                break;
            default:
                Gemm.KernelPortable(kc, a, b, c, ldc, load, bias);
                break;
        }
    }

    private static void EnsureCapacity(ref float[] buffer, long floats, bool exact = false)
    {
        long needed = floats + 16;
        if (buffer.Length < needed)
        {
            buffer = GC.AllocateUninitializedArray<float>((int)(exact ? needed : Math.Max(needed, buffer.Length * 3L / 2)), pinned: true);
        }
    }

    private static float* Align64(float* p) => (float*)(((nint)p + 63) & ~(nint)63);
}
