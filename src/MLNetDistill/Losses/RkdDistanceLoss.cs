using MLNetDistill.Numerics;

namespace MLNetDistill.Losses;

/// <summary>Which student output a relational loss looks at.</summary>
internal enum StudentEmbedding
{
    /// <summary>The logits.</summary>
    Logits,

    /// <summary>A hidden layer (<see cref="LossBatch.StudentHidden"/>).</summary>
    Hidden,
}

/// <summary>Which teacher output a relational loss looks at.</summary>
internal enum TeacherEmbedding
{
    /// <summary>The teacher's logits.</summary>
    Logits,

    /// <summary>The teacher's probabilities at the temperature.</summary>
    Probabilities,

    /// <summary>The teacher's hint tensor (<see cref="LossBatch.TeacherHint"/>).</summary>
    Hint,
}

/// <summary>
/// The distance-wise loss of relational knowledge distillation (Park, Kim, Lu and Cho 2019, "Relational Knowledge
/// Distillation", CVPR): the student should lay the batch's examples out at the same relative distances as the teacher.
/// </summary>
/// <remarks>
/// <para>
/// For embeddings e_i of the batch, psi(i, j) = ||e_i - e_j||_2 (computed as sqrt(max(|e_i|^2 + |e_j|^2 - 2 e_i.e_j,
/// 1e-12)), with psi(i, i) = 0), normalised by mu, its mean over the pairs i != j. Then
/// L = (1 / rows^2) sum_{i,j} smooth_l1(psi_s(i, j) / mu_s - psi_t(i, j) / mu_t), smooth_l1(z) = z^2 / 2 for |z| &lt; 1,
/// |z| - 1/2 otherwise: exactly the authors' code (RkdDistance with pdist and F.smooth_l1_loss, mean over all rows^2
/// entries). The student and teacher embeddings may have different widths.
/// </para>
/// <para>
/// Gradient (through mu_s too): with x = psi_s / mu_s, h' = clamp(z, -1, 1) and c = (1/N) sum_{i != j} h'_ij x_ij over
/// the N = rows (rows - 1) pairs, d L / d psi_s(k, l) = (h'_kl - c) / (rows^2 mu_s); then
/// d L / d e_k = sum_l G_kl (e_k - e_l) with G_kl = (dL/dpsi_kl + dL/dpsi_lk) / psi_kl.
/// </para>
/// </remarks>
internal sealed class RkdDistanceLoss : IDistillationLoss
{
    private const float Epsilon = 1e-12f;
    private readonly GemmContext? _gemm;
    private readonly float[] _gram;
    private readonly float[] _studentDist;
    private readonly float[] _teacherDist;
    private readonly float[] _coefficients;
    private readonly float[] _squares;
    private readonly float[] _product;

    /// <summary>Creates the loss.</summary>
    /// <param name="student">Which student output to compare.</param>
    /// <param name="teacher">Which teacher output to compare.</param>
    /// <param name="maxRows">The largest batch.</param>
    /// <param name="maxStudentWidth">The width of the student's embedding.</param>
    /// <param name="gemm">Threads and buffers for the products; null for the calling thread's default.</param>
    /// <param name="maxTeacherWidth">The width of the teacher's embedding, if known, so its buffers are reserved now.</param>
    public RkdDistanceLoss(StudentEmbedding student, TeacherEmbedding teacher, int maxRows, int maxStudentWidth, GemmContext? gemm = null, int maxTeacherWidth = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxStudentWidth, 1);
        Student = student;
        Teacher = teacher;
        MaxRows = maxRows;
        _gemm = gemm;
        gemm?.Reserve(maxRows, maxStudentWidth, maxRows);
        gemm?.Reserve(maxRows, maxRows, maxStudentWidth);
        gemm?.Reserve(maxRows, maxTeacherWidth, maxRows);
        int pairs = checked(maxRows * maxRows);
        _gram = new float[pairs];
        _studentDist = new float[pairs];
        _teacherDist = new float[pairs];
        _coefficients = new float[pairs];
        _squares = new float[maxRows];
        _product = new float[checked(maxRows * maxStudentWidth)];
    }

    /// <inheritdoc />
    public string Name => "RKD distance (Park 2019)";

    /// <summary>The student output compared.</summary>
    public StudentEmbedding Student { get; }

    /// <summary>The teacher output compared.</summary>
    public TeacherEmbedding Teacher { get; }

    /// <summary>The largest batch.</summary>
    public int MaxRows { get; }

    /// <inheritdoc />
    public float Forward(in LossBatch batch, float scale, in LossGradients gradients)
    {
        int rows = batch.Rows;
        if (rows > MaxRows)
        {
            throw new ArgumentOutOfRangeException(nameof(batch), rows, $"{Name} was set up for batches of at most {MaxRows} rows but got {rows}.");
        }

        bool fromLogits = Student == StudentEmbedding.Logits;
        ReadOnlySpan<float> s = fromLogits ? batch.StudentLogits : batch.StudentHidden;
        int sWidth = fromLogits ? batch.Classes : batch.HiddenSize;
        Span<float> grad = fromLogits ? gradients.Logits : gradients.Hidden;
        ReadOnlySpan<float> t = Teacher switch
        {
            TeacherEmbedding.Logits => batch.TeacherLogits,
            TeacherEmbedding.Probabilities => batch.TeacherProbabilities,
            _ => batch.TeacherHint,
        };
        int tWidth = Teacher == TeacherEmbedding.Hint ? batch.HintSize : batch.Classes;
        string tName = Teacher switch
        {
            TeacherEmbedding.Logits => "the teacher's logits",
            TeacherEmbedding.Probabilities => "the teacher's probabilities",
            _ => "the teacher's hint",
        };
        LossChecks.Require(s, rows, sWidth, fromLogits ? "the student's logits" : "the student's hidden layer", Name);
        LossChecks.Require(grad, rows, sWidth, "a gradient buffer for the student's embedding", Name);
        LossChecks.Require(t, rows, tWidth, tName, Name);
        if ((long)rows * sWidth > _product.Length)
        {
            throw new ArgumentException($"{Name} was set up for student embeddings of at most {_product.Length / MaxRows} values but got {sWidth}.");
        }

        if (rows < 2)
        {
            return 0f;
        }

        int pairs = rows * rows;
        Span<float> dt = _teacherDist.AsSpan(0, pairs);
        Span<float> ds = _studentDist.AsSpan(0, pairs);
        float muT = Distances(t, rows, tWidth, dt);
        float muS = Distances(s, rows, sWidth, ds);
        if (!(muS > 0f) || !(muT > 0f))
        {
            return 0f; // every example in the same place: no relation to match
        }

        // Loss and the first part of the gradient.
        double loss = 0;
        double c = 0;
        Span<float> hPrime = _coefficients.AsSpan(0, pairs);
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < rows; j++)
            {
                int ij = (i * rows) + j;
                if (i == j)
                {
                    hPrime[ij] = 0f;
                    continue;
                }

                float x = ds[ij] / muS;
                float z = x - (dt[ij] / muT);
                float az = MathF.Abs(z);
                loss += az < 1f ? 0.5 * z * z : az - 0.5;
                float h = Math.Clamp(z, -1f, 1f);
                hPrime[ij] = h;
                c += (double)h * x;
            }
        }

        c /= (double)rows * (rows - 1);
        float factor = scale / (pairs * muS);

        // G_kl = (g_kl + g_lk) / psi_kl, built in the gram buffer (no longer needed).
        Span<float> g = _gram.AsSpan(0, pairs);
        for (int k = 0; k < rows; k++)
        {
            for (int l = 0; l < rows; l++)
            {
                int kl = (k * rows) + l;
                float d = ds[kl];
                g[kl] = k == l || d <= 1e-6f
                    ? 0f
                    : factor * (hPrime[kl] + hPrime[(l * rows) + k] - (float)(2 * c)) / d;
            }
        }

        // grad_k += (sum_l G_kl) e_k - (G e)_k.
        Span<float> product = _product.AsSpan(0, rows * sWidth);
        Gemm.Multiply(g, s, product, rows, rows, sWidth, context: _gemm);
        for (int k = 0; k < rows; k++)
        {
            float rowSum = SpanMath.Sum(g.Slice(k * rows, rows));
            Span<float> gk = grad.Slice(k * sWidth, sWidth);
            ReadOnlySpan<float> ek = s.Slice(k * sWidth, sWidth);
            ReadOnlySpan<float> pk = product.Slice(k * sWidth, sWidth);
            for (int j = 0; j < sWidth; j++)
            {
                gk[j] += (rowSum * ek[j]) - pk[j];
            }
        }

        return (float)(loss / pairs);
    }

    /// <summary>Pairwise distances of the rows of <paramref name="e"/> into <paramref name="dist"/>; returns their mean over i != j.</summary>
    private float Distances(ReadOnlySpan<float> e, int rows, int width, Span<float> dist)
    {
        Span<float> gram = _gram.AsSpan(0, rows * rows);
        Span<float> squares = _squares.AsSpan(0, rows);
        Gemm.MultiplyTransposeB(e, e, gram, rows, width, rows, context: _gemm);
        for (int i = 0; i < rows; i++)
        {
            squares[i] = SpanMath.Dot(e.Slice(i * width, width), e.Slice(i * width, width));
        }

        double sum = 0;
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < rows; j++)
            {
                float d = i == j ? 0f : MathF.Sqrt(MathF.Max(squares[i] + squares[j] - (2f * gram[(i * rows) + j]), Epsilon));
                dist[(i * rows) + j] = d;
                sum += d;
            }
        }

        return (float)(sum / ((double)rows * (rows - 1)));
    }
}
