namespace MLNetDistill.Students;

/// <summary>
/// The student families <see cref="StudentSpec.Parse"/> knows, in the order they are described. A new family is one
/// <see cref="IStudentFamily"/> file plus one line here.
/// </summary>
internal static class StudentRegistry
{
    private static readonly IStudentFamily[] All =
    [
        new LightGbmStudent(),
        new FastTreeStudent(),
        new SdcaStudent(),
        new LbfgsStudent(),
        new MlpStudent(),
        new LogitMatchingStudent(),
    ];

    private static readonly Dictionary<string, IStudentFamily> ByName = All.ToDictionary(f => f.Name, StringComparer.Ordinal);

    /// <summary>Gets the families, in registration order.</summary>
    public static IReadOnlyList<IStudentFamily> Families => All;

    /// <summary>Finds a family by its (lowercase) name.</summary>
    /// <param name="name">The family name.</param>
    /// <param name="family">The family, when known.</param>
    /// <returns>Whether the family is known.</returns>
    public static bool TryGet(string name, out IStudentFamily family) => ByName.TryGetValue(name, out family!);

    /// <summary>
    /// Builds a spec's trainers: the family's, with the text featurizer put before them for a text student (a spec with
    /// <c>text=</c>, or any spec when the context names a text column).
    /// </summary>
    /// <param name="spec">A spec made by <see cref="StudentSpec.Parse"/>.</param>
    /// <param name="context">The build context.</param>
    /// <returns>The trainers.</returns>
    public static StudentTrainers Build(StudentSpec spec, StudentBuildContext context)
    {
        var family = Get(spec);
        var trainers = family.Build(spec, context);
        if (!context.IsText(spec))
        {
            return trainers;
        }

        if (!family.IsTextCapable)
        {
            throw new ArgumentException($"Student '{spec}' cannot read text: {family.Name} does not train on a Features vector. Use sdca, lbfgs, lightgbm, fasttree or mlp with text=word2,char3.", nameof(spec));
        }

        if (context.Teacher is null ? false : spec.NeedsLiveTeacher)
        {
            throw new ArgumentException($"Student '{spec}' is taught on the fly (augment=mixup or shift), which mixes or shifts numeric features: a text student cannot be. Use augment=none.", nameof(spec));
        }

        return TextStudentEstimator.Wrap(trainers, spec.Text ?? TextFeaturization.Default, context.TextColumnName ?? "Text", context.MLContext);
    }

    /// <summary>Gets the family of a parsed spec.</summary>
    /// <param name="spec">A spec made by <see cref="StudentSpec.Parse"/>.</param>
    /// <returns>The family.</returns>
    public static IStudentFamily Get(StudentSpec spec) => TryGet(spec.Family, out var family)
        ? family
        : throw new ArgumentException($"Student family '{spec.Family}' is not registered. Students: {StudentSpec.Describe()}.", nameof(spec));
}
