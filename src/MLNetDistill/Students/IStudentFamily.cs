namespace MLNetDistill.Students;

/// <summary>
/// A kind of student (<c>lightgbm</c>, <c>mlp</c>, ...): its name and options with defaults and ranges (for spec parsing
/// and the error that lists them), and how it builds its trainers from the teacher's soft-label column. Each family is
/// one file registered in <see cref="StudentRegistry"/>.
/// </summary>
internal interface IStudentFamily
{
    /// <summary>Gets the family's name, the first part of a spec (lowercase).</summary>
    string Name { get; }

    /// <summary>Gets the numeric options, in the order they are described.</summary>
    IReadOnlyList<StudentOption> Options { get; }

    /// <summary>Gets the text options with fixed values.</summary>
    IReadOnlyList<StudentChoice> Choices => [];

    /// <summary>Gets how the family is written before its options, e.g. <c>mlp:H1,H2</c>.</summary>
    string Usage => Name;

    /// <summary>Gets whether the student is a neural network trained with the distillation loss (else an ML.NET trainer on soft labels).</summary>
    bool IsNeural => false;

    /// <summary>Gets whether the family's trainer reads a <c>Features</c> vector, so a text featurizer can be put before it (<c>text=word2,char3</c>).</summary>
    bool IsTextCapable => true;

    /// <summary>Gets the weight of the soft labels used when none is given.</summary>
    float DefaultAlpha => 0.5f;

    /// <summary>Gets whether the soft labels' temperature changes what this family learns (a sweep trains it once per temperature only then).</summary>
    bool UsesTemperature => true;

    /// <summary>Gets whether alpha, the weight of the soft labels against the hard labels, changes what this family learns (a sweep trains it once per alpha only then).</summary>
    bool UsesAlpha => true;

    /// <summary>Reads the spec parts after the name that are not options (an MLP's widths); returns the index of the first option part.</summary>
    /// <param name="parts">The spec split at ':' (the name first).</param>
    /// <param name="spec">The whole spec, for messages.</param>
    /// <param name="hiddenLayers">Receives hidden layer widths.</param>
    /// <returns>The index in <paramref name="parts"/> where the options start.</returns>
    int ParseArguments(string[] parts, string spec, List<int> hiddenLayers) => 1;

    /// <summary>Writes the parts read by <see cref="ParseArguments"/> back, each with its leading ':'.</summary>
    /// <param name="spec">The parsed spec.</param>
    /// <returns>For example <c>:256,64</c>, or empty.</returns>
    string FormatArguments(StudentSpec spec) => "";

    /// <summary>Gets whether this spec trains on the teacher's penultimate layer, which the teacher must then expose.</summary>
    /// <param name="spec">The parsed spec.</param>
    /// <returns>Whether a hint column is needed.</returns>
    bool NeedsTeacherHint(StudentSpec spec) => false;

    /// <summary>Whether the spec's student needs the live teacher while it trains (on-the-fly teaching).</summary>
    /// <param name="spec">The parsed spec.</param>
    /// <returns>Whether the teacher must be given.</returns>
    bool NeedsLiveTeacher(StudentSpec spec) => false;

    /// <summary>Builds the distilled trainer and its hard-label twin.</summary>
    /// <param name="spec">The parsed spec (options checked, defaults filled in).</param>
    /// <param name="context">The context, temperature, alpha, seed and columns.</param>
    /// <returns>The trainers.</returns>
    StudentTrainers Build(StudentSpec spec, StudentBuildContext context);
}
