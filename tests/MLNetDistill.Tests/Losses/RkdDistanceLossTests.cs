using MLNetDistill.Losses;

namespace MLNetDistill.Tests.Losses;

public sealed class RkdDistanceLossTests
{
    private static readonly FloatComparer Tol = new(1e-5);

    [Fact]
    public void MatchesTheAuthorsCode()
    {
        // RkdDistance from Park et al.'s repository (pdist + F.smooth_l1_loss), run in PyTorch 1.13 by
        // Fixtures/make_mlp_golden.py: student 4 x 3 (as logits), teacher 4 x 5 (as hint).
        float[] student = [1.0f, 0.0f, 2.0f, 0.5f, -1.0f, 0.0f, -1.5f, 2.0f, 1.0f, 0.0f, 0.3f, -0.7f];
        float[] teacher = [0.2f, 1.0f, 0.0f, -1.0f, 0.5f, 1.0f, 1.0f, 1.0f, 0.0f, 0.0f, -2.0f, 0.5f, 0.3f, 0.3f, 1.0f, 0.0f, 0.0f, 3.0f, 1.0f, -1.0f];
        var loss = new RkdDistanceLoss(StudentEmbedding.Logits, TeacherEmbedding.Hint, 4, 3);
        float[] grad = new float[12];
        float value = loss.Forward(Batch(student, teacher), 1f, new LossGradients { Logits = grad });
        Assert.Equal(0.034030732f, value, Tol);
        Assert.Equal([0.0075113452f, -0.0020665221f, 0.00012637302f, -0.0023029689f, 0.0018496036f, -0.019955948f, -0.008127382f, 0.0079562478f, -0.0098024029f, 0.0029190055f, -0.0077393302f, 0.02963198f],
            grad, Tol);
    }

    [Fact]
    public void Gradient_MatchesFiniteDifferences_OnHiddenEmbedding()
    {
        var rng = new Random(12);
        float[] student = KdLossTests.Random(rng, 6 * 4, 2);
        float[] teacher = KdLossTests.Random(rng, 6 * 3, 2);
        var loss = new RkdDistanceLoss(StudentEmbedding.Hidden, TeacherEmbedding.Hint, 6, 4);
        LossBatch Make() => new()
        {
            Rows = 6, Classes = 1, StudentLogits = new float[6], StudentHidden = student, HiddenSize = 4, TeacherHint = teacher, HintSize = 3,
        };
        float[] grad = new float[student.Length];
        loss.Forward(Make(), 1f, new LossGradients { Logits = new float[6], Hidden = grad });
        GradientCheck.AssertMatches(() => loss.Forward(Make(), 1f, new LossGradients { Logits = new float[6], Hidden = new float[student.Length] }),
            student, grad, "d RKD / d embedding", h: 1e-3f, tolerance: 1e-3);
    }

    [Fact]
    public void SameRelations_GiveZero()
    {
        // A teacher that is the student scaled by 3 has the same normalised distances.
        float[] student = [1f, 2f, -1f, 0f, 3f, 1f];
        float[] teacher = [3f, 6f, -3f, 0f, 9f, 3f];
        var loss = new RkdDistanceLoss(StudentEmbedding.Logits, TeacherEmbedding.Logits, 3, 2);
        float value = loss.Forward(new LossBatch { Rows = 3, Classes = 2, StudentLogits = student, TeacherLogits = teacher }, 1f,
            new LossGradients { Logits = new float[6] });
        Assert.Equal(0f, value, 1e-6f);
    }

    private static LossBatch Batch(float[] student, float[] teacher) => new()
    {
        Rows = 4, Classes = 3, StudentLogits = student, TeacherHint = teacher, HintSize = 5,
    };
}
