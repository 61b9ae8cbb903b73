using Microsoft.ML;
using MLNetDistill.Students.Mlp;

namespace MLNetDistill.Students;

/// <summary>What a student family needs, besides the spec, to build its trainers.</summary>
/// <param name="MLContext">The ML.NET context (its trainer catalogs).</param>
/// <param name="Classes">The teacher's class count K.</param>
/// <param name="Temperature">The soft labels' temperature T.</param>
/// <param name="Alpha">The weight of the soft labels against the hard labels, in [0, 1].</param>
/// <param name="Seed">The seed of every random choice.</param>
/// <param name="HintColumnName">The teacher's hint column (its penultimate layer), when the spec asked for one.</param>
/// <param name="EpochProgress">Receives the epochs of neural students.</param>
/// <param name="CancellationToken">Stops training: neural students check it between mini-batches; ML.NET trainers stop through <see cref="MLContext"/>'s cancellation, which the experiment ties to the same token.</param>
internal sealed record StudentBuildContext(MLContext MLContext, int Classes, float Temperature, float Alpha, int Seed, string? HintColumnName = null,
    IProgress<MlpEpochProgress>? EpochProgress = null, CancellationToken CancellationToken = default)
{
    /// <summary>Gets the fitted teacher, for students taught on the fly (null when the soft labels come from a cache only).</summary>
    public MLNetDistill.Teachers.TeacherScoringTransformer? Teacher { get; init; }

    /// <summary>Gets the data's text column when the students are text students (the experiment's <c>TextColumnName</c>), else null.</summary>
    public string? TextColumnName { get; init; }

    /// <summary>Whether a spec builds a text student: the spec says <c>text=</c>, or the data's text column is named.</summary>
    /// <param name="spec">The student's spec.</param>
    /// <returns>Whether the student reads text rather than a numeric <c>Features</c> vector.</returns>
    public bool IsText(StudentSpec spec) => spec.Text is not null || TextColumnName is not null;
}
